// sy_steps: a test driver for static-cache decoder programs. Runs the prompt as one prefill call,
// then N greedy decode calls of one token each (the k/v caches persist between calls), and
// writes every logits row to a .npy file ([T + N, vocab] f32: prompt rows, then one row per
// step) and the greedy tokens (argmax of rows T-1 .. T+N-1) to a text file, one per line.
//
//   sy_steps PROGRAM.syp --backends LIST --ids 1,2,3 --steps N --logits OUT.npy --tokens OUT.txt

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switchyard/switchyard.h"

typedef struct args {
    const char *program, *backends, *ids, *logits, *tokens;
    long steps;
} args;

static int parse(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    a->backends = "portable";
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        const char **dst = !strcmp(f, "--backends") ? &a->backends
                           : !strcmp(f, "--ids")    ? &a->ids
                           : !strcmp(f, "--logits") ? &a->logits
                           : !strcmp(f, "--tokens") ? &a->tokens
                                                    : NULL;
        if ((dst || !strcmp(f, "--steps")) && i + 1 >= argc) return fprintf(stderr, "sy_steps: %s needs a value\n", f), 0;
        if (dst) *dst = argv[++i];
        else if (!strcmp(f, "--steps")) a->steps = strtol(argv[++i], NULL, 10);
        else if (!a->program && f[0] != '-') a->program = f;
        else return fprintf(stderr, "sy_steps: unexpected argument '%s'\n", f), 0;
    }
    if (!a->program || !a->ids || !a->logits || a->steps < 0)
        return fprintf(stderr, "usage: sy_steps PROGRAM --ids 1,2,3 --steps N --logits OUT.npy [--tokens OUT.txt] "
                               "[--backends LIST]\n"),
               0;
    return 1;
}

static int write_npy(const char *path, const float *data, long rows, long cols) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    char hdr[128];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld), }", rows, cols);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    unsigned short hl = (unsigned short)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 0xff, f);
    fputc(hl >> 8, f);
    fwrite(hdr, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t w = fwrite(data, sizeof(float), (size_t)(rows * cols), f);
    return fclose(f) == 0 && w == (size_t)(rows * cols);
}

static long argmax(const float *row, long n) {
    long best = 0;
    for (long i = 1; i < n; i++)
        if (row[i] > row[best]) best = i;
    return best;
}

// One call: ids[0..t) at positions pos0.., logits rows appended to out (vocab each).
static int step(sy_runtime *rt, const int64_t *ids, long t, long pos0, float *out, long vocab) {
    int64_t pos[4096];
    for (long i = 0; i < t; i++) pos[i] = pos0 + i;
    sy_tensor ti = {.data = (void *)ids, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, t}};
    sy_tensor tp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {t}};
    sy_tensor lo;
    if (sy_runtime_set_input(rt, "input_ids", &ti) || sy_runtime_set_input(rt, "cache_position", &tp) ||
        sy_runtime_execute(rt) || sy_runtime_get_output(rt, "logits", &lo))
        return fprintf(stderr, "sy_steps: %s\n", sy_last_error()), 0;
    if (lo.rank != 3 || lo.dims[1] != t || lo.dims[2] != vocab || lo.dtype != SY_DTYPE_F32)
        return fprintf(stderr, "sy_steps: unexpected logits shape\n"), 0;
    memcpy(out, lo.data, (size_t)(t * vocab) * sizeof(float));
    return 1;
}

static int run(const args *a, sy_runtime *rt, long vocab) {
    int64_t ids[4096];
    long t = 0;
    for (const char *p = a->ids; *p && t < 4096;) {
        char *end;
        ids[t++] = strtoll(p, &end, 10);
        p = *end == ',' ? end + 1 : end;
        if (end == p && *p) return fprintf(stderr, "sy_steps: bad --ids\n"), 0;
    }
    long rows = t + a->steps;
    float *logits = malloc((size_t)(rows * vocab) * sizeof(float));
    long *toks = malloc((size_t)(a->steps + 1) * sizeof(long));
    int ok = logits && toks && t > 0 && step(rt, ids, t, 0, logits, vocab);
    for (long s = 0; ok && s <= a->steps; s++) {
        toks[s] = argmax(logits + (t - 1 + s) * vocab, vocab);
        int64_t next = toks[s];
        if (s < a->steps) ok = step(rt, &next, 1, t + s, logits + (t + s) * vocab, vocab);
    }
    if (ok) ok = write_npy(a->logits, logits, rows, vocab);
    FILE *f = ok && a->tokens ? fopen(a->tokens, "w") : NULL;
    for (long s = 0; f && s <= a->steps; s++) fprintf(f, "%ld\n", toks[s]);
    if (f) fclose(f);
    free(logits);
    free(toks);
    return ok;
}

int main(int argc, char **argv) {
    args a;
    if (!parse(argc, argv, &a)) return 2;
    sy_program *prog = NULL;
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    int ok = sy_program_load(a.program, &prog) == SY_OK && sy_config_create(&cfg) == SY_OK &&
             sy_config_set_backends(cfg, a.backends) == SY_OK && sy_runtime_create(prog, cfg, &rt) == SY_OK;
    if (!ok) fprintf(stderr, "sy_steps: %s\n", sy_last_error());
    const char *v = ok ? sy_program_get_metadata(prog, "model.vocab_size") : NULL;
    if (ok && !v) ok = 0, fprintf(stderr, "sy_steps: the program has no model.vocab_size\n");
    if (ok) {
        sy_runtime_stats st;
        sy_runtime_get_stats(rt, &st);
        fprintf(stderr, "sy_steps: %s: %u partitions\n", a.backends, st.n_partitions);
        ok = run(&a, rt, strtol(v, NULL, 10));
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(prog);
    return ok ? 0 : 1;
}
