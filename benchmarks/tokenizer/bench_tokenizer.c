// bench_tokenizer: encode throughput of Switchyard's tokenizer on a corpus of lines.
//   bench_tokenizer TOKENIZER.json CORPUS.txt [ROUNDS]
// CORPUS.txt holds one text per line with the escapes \n \t \r \\ (as `switchyard tokenize
// --escape` reads them). Times are CPU time of the process (best of ROUNDS). Prints bytes, tokens, MB/s and tokens/s on one line as JSON, for
// compare.py, which runs the `tokenizers` package on the same corpus and prints the ratio.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "switchyard/llm.h"
#include "switchyard/switchyard.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) free(p), p = NULL;
    fclose(f);
    if (p) p[n] = '\0', *len = (size_t)n;
    return p;
}

/// Splits the corpus into lines in place, undoing the escapes; returns the count.
static size_t split_lines(char *text, size_t len, char ***lines, size_t **lens) {
    size_t n = 0, cap = 1024;
    *lines = malloc(cap * sizeof **lines);
    *lens = malloc(cap * sizeof **lens);
    for (size_t i = 0; i < len;) {
        char *start = text + i, *w = start;
        while (i < len && text[i] != '\n') {
            char c = text[i++];
            if (c == '\\' && i < len && text[i] != '\n') {
                c = text[i++];
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            }
            *w++ = c;
        }
        i++;
        if (n == cap) {
            cap *= 2;
            *lines = realloc(*lines, cap * sizeof **lines);
            *lens = realloc(*lens, cap * sizeof **lens);
        }
        (*lines)[n] = start;
        (*lens)[n++] = (size_t)(w - start);
    }
    return n;
}

/// CPU seconds of this process: on a shared machine wall time measures the neighbours too.
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_tokenizer TOKENIZER.json CORPUS.txt [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    size_t jlen, clen;
    char *json = slurp(argv[1], &jlen), *corpus = slurp(argv[2], &clen);
    if (!json || !corpus) {
        fprintf(stderr, "bench_tokenizer: cannot read %s\n", json ? argv[2] : argv[1]);
        return 1;
    }
    sy_tokenizer *tok;
    double t0 = now();
    if (sy_tokenizer_create_from_json(json, jlen, &tok) != SY_OK) {
        fprintf(stderr, "bench_tokenizer: %s\n", sy_last_error());
        return 1;
    }
    double load_s = now() - t0;
    char **lines;
    size_t *lens, n = split_lines(corpus, clen, &lines, &lens), bytes = 0, tokens = 0;
    size_t cap = 1 << 16;
    int32_t *ids = malloc(cap * sizeof *ids);
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        size_t count = 0;
        bytes = 0;
        t0 = now();
        for (size_t i = 0; i < n; i++) {
            size_t k;
            if (sy_tokenizer_encode(tok, lines[i], lens[i], 0, ids, cap, &k) != SY_OK) {
                fprintf(stderr, "bench_tokenizer: line %zu: %s\n", i, sy_last_error());
                return 1;
            }
            count += k;
            bytes += lens[i];
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        tokens = count;
    }
    printf("{\"lines\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.6f, \"load_seconds\": %.4f, "
           "\"mb_per_s\": %.3f, \"tokens_per_s\": %.0f}\n",
           n, bytes, tokens, best, load_s, (double)bytes / best / 1e6, (double)tokens / best);
    sy_tokenizer_destroy(tok);
    free(ids), free(lines), free(lens), free(json), free(corpus);
    return 0;
}
