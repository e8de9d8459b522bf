// sy-genprog: writes the benchmark suite's programs (.syp) with the graph builder. Weights are
// deterministic pseudo-random numbers, so every machine benchmarks the same bytes.
//
//   sy-genprog OUTDIR [NAME ...]     (default: every program; --list shows them)

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "importers/decoder.h"
#include "switchyard/switchyard.h"

typedef struct gen {
    sy_graph *g;
    uint64_t rng;
    float *buf; // (buf_n) scratch for one weight
    size_t buf_n;
} gen;

static float uniform(uint64_t *s) { // xorshift64*: uniform in [-1, 1)
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    uint64_t r = *s * 0x2545F4914F6CDD1DULL;
    return (float)((double)(r >> 40) / (double)(1ULL << 24)) * 2.0f - 1.0f;
}

/// A constant [rows, cols] (or [cols] when rows == 0) of uniform values in center +- scale.
static sy_status weight(gen *G, const char *name, int64_t rows, int64_t cols, float center, float scale, uint32_t *id) {
    size_t n = (size_t)((rows ? rows : 1) * cols);
    if (n > G->buf_n) {
        float *p = realloc(G->buf, n * sizeof *p);
        if (!p) return SY_ERR_OUT_OF_MEMORY;
        G->buf = p;
        G->buf_n = n;
    }
    for (size_t i = 0; i < n; i++) G->buf[i] = center + scale * uniform(&G->rng);
    int64_t dims[2] = {rows ? rows : cols, cols};
    return sy_graph_add_constant(G->g, name, SY_DTYPE_F32, rows ? 2 : 1, dims, G->buf, n * sizeof(float), id);
}

static sy_status linear(gen *G, const char *name, uint32_t x, int64_t in_f, int64_t out_f, uint32_t *out) {
    char w_name[128];
    uint32_t w;
    snprintf(w_name, sizeof w_name, "%s.weight", name);
    sy_status st = weight(G, w_name, out_f, in_f, 0.0f, 1.0f / sqrtf((float)in_f), &w);
    uint32_t in[2] = {x, w};
    return st != SY_OK ? st : sy_graph_add_op(G->g, name, SY_OP_LINEAR, in, 2, NULL, 0, out);
}

static sy_status unary(gen *G, const char *name, sy_op op, uint32_t x, uint32_t *out) {
    return sy_graph_add_op(G->g, name, op, &x, 1, NULL, 0, out);
}

static sy_status binary(gen *G, const char *name, sy_op op, uint32_t a, uint32_t b, uint32_t *out) {
    uint32_t in[2] = {a, b};
    return sy_graph_add_op(G->g, name, op, in, 2, NULL, 0, out);
}

/// x: [1, T, dim] f32 input with T symbolic up to max_t.
static sy_status input_x(gen *G, int64_t max_t, int64_t dim, uint32_t *t_sym, uint32_t *x) {
    sy_status st = sy_graph_add_symbol(G->g, "tokens", max_t, t_sym);
    sy_value_desc d = {.name = "x",
                       .dtype = SY_DTYPE_F32,
                       .role = SY_ROLE_INPUT,
                       .rank = 3,
                       .dims = {1, max_t, dim},
                       .sym = {-1, (int32_t)*t_sym, -1, -1, -1, -1}};
    return st != SY_OK ? st : sy_graph_add_value(G->g, &d, x);
}

#define TRY(expr)                     \
    do {                              \
        sy_status st_ = (expr);       \
        if (st_ != SY_OK) return st_; \
    } while (0)

/// Four MLP blocks x + W2 silu(W1 x), 576 -> 1536 -> 576 (the SmolLM2-135M widths), T <= 64.
static sy_status build_linear_stack(gen *G) {
    const int64_t dim = 576, hidden = 1536;
    uint32_t t, x, h, a, y;
    TRY(input_x(G, 64, dim, &t, &x));
    for (int l = 0; l < 4; l++) {
        char n[64];
        snprintf(n, sizeof n, "mlp.%d.up", l);
        TRY(linear(G, n, x, dim, hidden, &h));
        snprintf(n, sizeof n, "mlp.%d.silu", l);
        TRY(unary(G, n, SY_OP_SILU, h, &a));
        snprintf(n, sizeof n, "mlp.%d.down", l);
        TRY(linear(G, n, a, hidden, dim, &y));
        snprintf(n, sizeof n, "mlp.%d.residual", l);
        TRY(binary(G, n, SY_OP_ADD, x, y, &x));
    }
    TRY(sy_graph_set_output(G->g, x, "y"));
    return sy_graph_set_metadata(G->g, "model.family", "switchyard-bench-linear-stack");
}

/// [1, T, heads*64] -> [1, heads, T, 64]
static sy_status heads(gen *G, const char *name, uint32_t x, int64_t n_heads, uint32_t *out) {
    char n1[96], n2[96];
    int64_t shape[4] = {0, 0, n_heads, 64}, perm[4] = {0, 2, 1, 3};
    sy_attr a = {.name = "shape", .type = SY_ATTR_INTS, .n = 4, .u.ints = shape};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    uint32_t r;
    snprintf(n1, sizeof n1, "%s.heads", name);
    snprintf(n2, sizeof n2, "%s.bhtd", name);
    TRY(sy_graph_add_op(G->g, n1, SY_OP_RESHAPE, &x, 1, &a, 1, &r));
    return sy_graph_add_op(G->g, n2, SY_OP_TRANSPOSE, &r, 1, &p, 1, out);
}

/// One pre-norm attention block without a cache: SmolLM2-135M widths (dim 576, 9 query heads,
/// 3 kv heads of 64), RoPE at `positions`, causal grouped-query sdpa, output projection and
/// residual. T <= 128.
static sy_status build_attention(gen *G) {
    const int64_t dim = 576, hq = 9, hkv = 3, max_t = 128;
    uint32_t t, x, pos, nw, h, q, k, v, y, o;
    TRY(input_x(G, max_t, dim, &t, &x));
    sy_value_desc d = {.name = "positions",
                       .dtype = SY_DTYPE_I64,
                       .role = SY_ROLE_INPUT,
                       .rank = 1,
                       .dims = {max_t},
                       .sym = {(int32_t)t, -1, -1, -1, -1, -1}};
    TRY(sy_graph_add_value(G->g, &d, &pos));
    TRY(weight(G, "attn_norm.weight", 0, dim, 1.0f, 0.1f, &nw));
    sy_attr eps = {.name = "eps", .type = SY_ATTR_FLOAT, .n = 1, .u.f = 1e-5f};
    uint32_t nin[2] = {x, nw};
    TRY(sy_graph_add_op(G->g, "attn_norm", SY_OP_RMS_NORM, nin, 2, &eps, 1, &h));
    TRY(linear(G, "attn_q", h, dim, hq * 64, &q));
    TRY(linear(G, "attn_k", h, dim, hkv * 64, &k));
    TRY(linear(G, "attn_v", h, dim, hkv * 64, &v));
    TRY(heads(G, "attn_q", q, hq, &q));
    TRY(heads(G, "attn_k", k, hkv, &k));
    TRY(heads(G, "attn_v", v, hkv, &v));
    sy_attr rope[2] = {{.name = "theta", .type = SY_ATTR_FLOAT, .n = 1, .u.f = 100000.0f},
                       {.name = "layout", .type = SY_ATTR_INT, .n = 1, .u.i = 0}};
    uint32_t rin[2] = {q, pos};
    TRY(sy_graph_add_op(G->g, "attn_q.rope", SY_OP_ROPE, rin, 2, rope, 2, &q));
    rin[0] = k;
    TRY(sy_graph_add_op(G->g, "attn_k.rope", SY_OP_ROPE, rin, 2, rope, 2, &k));
    sy_attr causal = {.name = "causal", .type = SY_ATTR_INT, .n = 1, .u.i = 1};
    uint32_t ain[3] = {q, k, v};
    TRY(sy_graph_add_op(G->g, "attn", SY_OP_SDPA, ain, 3, &causal, 1, &y));
    int64_t perm[4] = {0, 2, 1, 3}, shape[3] = {0, 0, hq * 64};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    sy_attr s = {.name = "shape", .type = SY_ATTR_INTS, .n = 3, .u.ints = shape};
    TRY(sy_graph_add_op(G->g, "attn.bthd", SY_OP_TRANSPOSE, &y, 1, &p, 1, &y));
    TRY(sy_graph_add_op(G->g, "attn.merge", SY_OP_RESHAPE, &y, 1, &s, 1, &y));
    TRY(linear(G, "attn_output", y, hq * 64, dim, &o));
    TRY(binary(G, "attn_residual", SY_OP_ADD, x, o, &y));
    TRY(sy_graph_set_output(G->g, y, "y"));
    return sy_graph_set_metadata(G->g, "model.family", "switchyard-bench-attention");
}

static sy_decoder_config decoder_15m(void) {
    // The llama2.c stories15M shape: 15.2M parameters with tied embeddings.
    sy_decoder_config c = {.vocab = 32000,
                           .dim = 288,
                           .n_layers = 6,
                           .n_heads = 6,
                           .n_kv_heads = 6,
                           .hidden = 768,
                           .max_seq = 256,
                           .max_tokens = 64,
                           .rope_theta = 10000.0f,
                           .norm_eps = 1e-5f,
                           .rope_layout = 0,
                           .tied_embeddings = 1,
                           .seed = 15};
    return c;
}

static sy_decoder_config decoder_135m(void) {
    // The SmolLM2-135M shape (134.5M parameters, tied embeddings); a 256-position cache.
    sy_decoder_config c = {.vocab = 49152,
                           .dim = 576,
                           .n_layers = 30,
                           .n_heads = 9,
                           .n_kv_heads = 3,
                           .hidden = 1536,
                           .max_seq = 256,
                           .max_tokens = 64,
                           .rope_theta = 100000.0f,
                           .norm_eps = 1e-5f,
                           .rope_layout = 0,
                           .tied_embeddings = 1,
                           .seed = 135};
    return c;
}

static sy_decoder_config decoder_135m_last(void) {
    // The same, with the LM head on the last position only (logits [1, 1, vocab]): what
    // llama.cpp computes during prefill; the generator reads only that row anyway.
    sy_decoder_config c = decoder_135m();
    c.logits_last_only = 1;
    return c;
}

typedef struct program_def {
    const char *name;
    const char *what;
    sy_status (*build)(gen *G); // or NULL for a decoder
    sy_decoder_config (*decoder)(void);
    int on_request; // 1: written only when named (not part of the default suite)
} program_def;

static const program_def programs[] = {
    {"linear_stack", "4 MLP blocks 576->1536->576 with residuals, symbolic T<=64", build_linear_stack, NULL, 0},
    {"attention", "one attention block, SmolLM2 widths (9q/3kv heads), causal sdpa, T<=128", build_attention, NULL, 0},
    {"decoder_tiny", "the demo decoder (sy_decoder_tiny)", NULL, sy_decoder_tiny, 0},
    {"decoder_15m", "decoder, stories15M shape: dim 288, 6 layers, vocab 32000, tied", NULL, decoder_15m, 0},
    {"decoder_135m", "decoder, SmolLM2-135M shape: dim 576, 30 layers, 9q/3kv, hidden 1536, vocab 49152", NULL,
     decoder_135m, 0},
    {"decoder_135m_last", "decoder_135m with the LM head on the last position only (logits [1, 1, vocab])", NULL,
     decoder_135m_last, 1},
};
#define N_PROGRAMS (sizeof programs / sizeof programs[0])

static int write_program(const program_def *def, const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.syp", dir, def->name);
    sy_graph *g = NULL;
    sy_status st;
    int64_t params = 0;
    if (def->decoder) {
        sy_decoder_config c = def->decoder();
        params = sy_decoder_n_params(&c);
        st = sy_decoder_build(&c, &g);
    } else {
        gen G = {.rng = 0x5EED0000ULL + (uint64_t)(def - programs)};
        st = sy_graph_create(&G.g);
        if (st == SY_OK) st = def->build(&G);
        free(G.buf);
        g = G.g;
        const sy_graph_view *v = g ? sy_graph_get_view(g) : NULL;
        for (uint32_t i = 0; v && i < v->n_values; i++) {
            if (v->values[i].role != SY_ROLE_CONSTANT) continue;
            int64_t n = 1;
            for (uint32_t d = 0; d < v->values[i].rank; d++) n *= v->values[i].dims[d];
            params += n;
        }
    }
    if (st == SY_OK) st = sy_graph_set_metadata(g, "bench.program", def->name);
    if (st == SY_OK) st = sy_graph_save(g, path);
    sy_graph_destroy(g);
    if (st != SY_OK) {
        fprintf(stderr, "sy-genprog: %s: %s\n", def->name, sy_last_error());
        return 1;
    }
    printf("%s  %.2fM parameters  (%s)\n", path, (double)params / 1e6, def->what);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "--list")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: sy-genprog OUTDIR [NAME ...]\nprograms:\n");
        for (size_t i = 0; i < N_PROGRAMS; i++) fprintf(f, "  %-17s %s\n", programs[i].name, programs[i].what);
        return argc < 2 ? 2 : 0;
    }
    const char *dir = argv[1];
    mkdir(dir, 0777); // an existing folder is fine; a real failure shows when saving
    int rc = 0;
    for (size_t i = 0; i < N_PROGRAMS; i++) {
        int wanted = argc == 2 && !programs[i].on_request;
        for (int k = 2; k < argc; k++) wanted |= !strcmp(argv[k], programs[i].name);
        if (wanted) rc |= write_program(&programs[i], dir);
    }
    for (int k = 2; k < argc; k++) {
        size_t i = 0;
        while (i < N_PROGRAMS && strcmp(argv[k], programs[i].name)) i++;
        if (i == N_PROGRAMS) {
            fprintf(stderr, "sy-genprog: unknown program '%s' (see --list)\n", argv[k]);
            rc = 1;
        }
    }
    return rc;
}
