// switchyard convert: a GGUF checkpoint -> a .syp program (importers/llama.h).

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "importers/llama.h"
#include "tools/cli.h"

static const char convert_help[] =
    "usage: switchyard convert MODEL.gguf -o MODEL.syp [--max-seq-len N] [--max-tokens N]\n"
    "                          [--dtype f32|f16] [--requantize q8_0|q4_0|q4_1] [--logits all|last]\n"
    "\n"
    "Converts a GGUF checkpoint (versions 2 and 3; architectures llama, qwen2, qwen3) into a\n"
    "program: forward(input_ids [1, T], cache_position [T]) -> logits [1, T, vocab], with the\n"
    "k/v caches as states, and the tokenizer data and chat template in the metadata.\n"
    "\n"
    "  -o, --output FILE    the program to write (written to FILE.tmp.* and renamed: a failed\n"
    "                       conversion leaves no partial file)\n"
    "  --max-seq-len N      cache length (default: the file's context length)\n"
    "  --max-tokens N       most tokens per call (prefill chunk; sizes the memory plan);\n"
    "                       default min(cache length, 512)\n"
    "  --dtype f32|f16      dtype of the float tensors and the activations (default f32);\n"
    "                       quantised linears always compute on f32 activations\n"
    "  --requantize TYPE    re-quantise every weight matrix to q8_0, q4_0 or q4_1 (rows must be a\n"
    "                       multiple of 32); default: f32, f16, q8_0, q4_0, q4_1 are kept as stored\n"
    "  --logits all|last    all (default): logits for every position, [1, T, vocab]; last: the LM\n"
    "                       head sees only the last position, [1, 1, vocab] (generation and bench\n"
    "                       sample that row only: saves the head's work on every prompt token)\n"
    "\n"
    "Other GGUF tensor types (k-quants, i-quants, ...) are refused with the tensor's name.\n"
    "Progress goes to stderr.\n";

typedef struct convert_args {
    const char *in, *out;
    sy_gguf_convert_options o;
} convert_args;

static void on_progress(void *user, const char *msg) {
    (void)user;
    fprintf(stderr, "switchyard convert: %s\n", msg);
}

// Parses argv; returns -1 to exit 0 (help), 0 on success, 2 on a usage error (printed).
static int parse_args(int argc, char **argv, convert_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("%s", convert_help);
            return -1;
        }
        int takes = !strcmp(f, "-o") || !strcmp(f, "--output") || !strcmp(f, "--max-seq-len") || !strcmp(f, "--max-tokens") || !strcmp(f, "--dtype") ||
                    !strcmp(f, "--requantize") || !strcmp(f, "--logits");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "switchyard convert: %s needs a value\n", f);
            return 2;
        }
        if (!strcmp(f, "-o") || !strcmp(f, "--output")) {
            a->out = argv[++i];
        } else if (!strcmp(f, "--max-seq-len") || !strcmp(f, "--max-tokens")) {
            char *end;
            long long n = strtoll(argv[++i], &end, 10);
            if (*end || n < 1) {
                fprintf(stderr, "switchyard convert: %s '%s' is not a positive integer\n", f, argv[i]);
                return 2;
            }
            *(!strcmp(f, "--max-tokens") ? &a->o.max_tokens : &a->o.max_seq_len) = n;
        } else if (!strcmp(f, "--logits")) {
            const char *v = argv[++i];
            if (strcmp(v, "all") && strcmp(v, "last")) {
                fprintf(stderr, "switchyard convert: --logits '%s': expected all or last\n", v);
                return 2;
            }
            a->o.logits_last_only = !strcmp(v, "last");
        } else if (!strcmp(f, "--dtype") || !strcmp(f, "--requantize")) {
            sy_dtype dt = sy_dtype_from_name(argv[++i]);
            int is_q = !strcmp(f, "--requantize");
            int ok = is_q ? sy_dtype_is_block(dt) : (dt == SY_DTYPE_F32 || dt == SY_DTYPE_F16);
            if (!ok) {
                fprintf(stderr, "switchyard convert: %s '%s': expected %s\n", f, argv[i],
                        is_q ? "q8_0, q4_0 or q4_1" : "f32 or f16");
                return 2;
            }
            *(is_q ? &a->o.requantize : &a->o.float_dtype) = dt;
        } else if (f[0] == '-' || a->in) {
            fprintf(stderr, "switchyard convert: unexpected argument '%s' (see --help)\n", f);
            return 2;
        } else {
            a->in = f;
        }
    }
    if (!a->in || !a->out) {
        fprintf(stderr, "%s", convert_help);
        return 2;
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sy_cmd_convert(int argc, char **argv) {
    convert_args a;
    memset(&a, 0, sizeof a);
    a.o.progress = on_progress;
    int r = parse_args(argc, argv, &a);
    if (r) return r < 0 ? 0 : r;
    double t0 = now_s();
    sy_gguf_file *f = NULL;
    sy_graph *g = NULL;
    if (sy_gguf_open(a.in, &f) != SY_OK) return sy_cli_fail("convert");
    fprintf(stderr, "switchyard convert: %s: GGUF v%u, %llu tensors, %llu metadata keys\n", a.in, f->version,
            (unsigned long long)f->n_tensors, (unsigned long long)f->n_kv);
    sy_status st = sy_gguf_build_graph(f, &a.o, &g);
    sy_gguf_close(f);
    if (st != SY_OK) return sy_cli_fail("convert");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a.out, (long)getpid());
    fprintf(stderr, "switchyard convert: writing %s\n", a.out);
    st = sy_graph_save(g, tmp);
    sy_graph_destroy(g);
    if (st != SY_OK) {
        unlink(tmp);
        return sy_cli_fail("convert");
    }
    if (rename(tmp, a.out) != 0) {
        perror("switchyard convert: rename");
        unlink(tmp);
        return 1;
    }
    fprintf(stderr, "switchyard convert: done in %.1f s\n", now_s() - t0);
    return 0;
}
