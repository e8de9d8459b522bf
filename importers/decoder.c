#include "importers/decoder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"

sy_decoder_config sy_decoder_tiny(void) {
    sy_decoder_config c = {
        .vocab = 256, .dim = 64, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2, .hidden = 160,
        .max_seq = 64, .max_tokens = 16, .rope_theta = 10000.0f, .norm_eps = 1e-5f,
        .rope_layout = 0, .tied_embeddings = 0, .seed = 42,
    };
    return c;
}

int64_t sy_decoder_n_params(const sy_decoder_config *c) {
    int64_t hd = c->dim / c->n_heads;
    int64_t per_layer = 2 * c->dim + c->dim * c->n_heads * hd * 2 + 2 * c->dim * c->n_kv_heads * hd +
                        3 * c->dim * c->hidden;
    return c->vocab * c->dim * (c->tied_embeddings ? 1 : 2) + c->dim + c->n_layers * per_layer;
}

typedef struct builder {
    sy_graph *g;
    uint64_t rng;
    float *buf; // scratch for weights
    uint32_t ids, pos; // input values
} builder;

static float next_uniform(uint64_t *s) { // xorshift64*: uniform in [-1, 1)
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    uint64_t r = *s * 0x2545F4914F6CDD1DULL;
    return (float)((double)(r >> 40) / (double)(1ULL << 24)) * 2.0f - 1.0f;
}

/// A constant [rows, cols] (or [cols] when rows == 0) of uniform values in center ± scale.
static sy_status weight(builder *B, const char *name, int64_t rows, int64_t cols, float center, float scale,
                        uint32_t *id) {
    int64_t n = (rows ? rows : 1) * cols;
    for (int64_t i = 0; i < n; i++) B->buf[i] = center + scale * next_uniform(&B->rng);
    int64_t dims[2] = {rows ? rows : cols, cols};
    return sy_graph_add_constant(B->g, name, SY_DTYPE_F32, rows ? 2 : 1, dims, B->buf, (size_t)n * sizeof(float), id);
}

static sy_status op(builder *B, const char *name, sy_op o, const uint32_t *in, uint32_t n_in, const sy_attr *attrs,
                    uint32_t n_attrs, uint32_t *out) {
    return sy_graph_add_op(B->g, name, o, in, n_in, attrs, n_attrs, out);
}

static sy_status linear(builder *B, const char *name, uint32_t x, int64_t in_f, int64_t out_f, uint32_t *out) {
    char wname[96];
    uint32_t w;
    snprintf(wname, sizeof wname, "%s.weight", name);
    SY_TRY(weight(B, wname, out_f, in_f, 0.0f, 1.0f / sqrtf((float)in_f), &w));
    uint32_t in[2] = {x, w};
    return op(B, name, SY_OP_LINEAR, in, 2, NULL, 0, out);
}

static sy_status rms_norm(builder *B, const char *name, uint32_t x, const sy_decoder_config *c, uint32_t *out) {
    char wname[96];
    uint32_t w;
    snprintf(wname, sizeof wname, "%s.weight", name);
    SY_TRY(weight(B, wname, 0, c->dim, 1.0f, 0.1f, &w));
    uint32_t in[2] = {x, w};
    sy_attr eps = {.name = "eps", .type = SY_ATTR_FLOAT, .n = 1, .u.f = c->norm_eps};
    return op(B, name, SY_OP_RMS_NORM, in, 2, &eps, 1, out);
}

/// [1, T, heads*hd] -> [1, heads, T, hd]
static sy_status split_heads(builder *B, const char *name, uint32_t x, int64_t heads, int64_t hd, uint32_t *out) {
    char n1[96], n2[96];
    snprintf(n1, sizeof n1, "%s.heads", name);
    snprintf(n2, sizeof n2, "%s.bhtd", name);
    int64_t shape[4] = {0, 0, heads, hd}, perm[4] = {0, 2, 1, 3};
    sy_attr a = {.name = "shape", .type = SY_ATTR_INTS, .n = 4, .u.ints = shape};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    uint32_t r;
    SY_TRY(op(B, n1, SY_OP_RESHAPE, &x, 1, &a, 1, &r));
    return op(B, n2, SY_OP_TRANSPOSE, &r, 1, &p, 1, out);
}

static sy_status layer(builder *B, const sy_decoder_config *c, int64_t l, uint32_t x, uint32_t *out) {
    int64_t hd = c->dim / c->n_heads;
    char n[96], n2[96];
    uint32_t h, q, k, v, kc, vc, attn, o, x2;
#define NAME(fmt) (snprintf(n, sizeof n, "blk.%lld." fmt, (long long)l), n)
    SY_TRY(rms_norm(B, NAME("attn_norm"), x, c, &h));
    SY_TRY(linear(B, NAME("attn_q"), h, c->dim, c->n_heads * hd, &q));
    SY_TRY(linear(B, NAME("attn_k"), h, c->dim, c->n_kv_heads * hd, &k));
    SY_TRY(linear(B, NAME("attn_v"), h, c->dim, c->n_kv_heads * hd, &v));
    SY_TRY(split_heads(B, NAME("attn_q"), q, c->n_heads, hd, &q));
    SY_TRY(split_heads(B, NAME("attn_k"), k, c->n_kv_heads, hd, &k));
    SY_TRY(split_heads(B, NAME("attn_v"), v, c->n_kv_heads, hd, &v));
    sy_attr rope_attrs[2] = {{.name = "theta", .type = SY_ATTR_FLOAT, .n = 1, .u.f = c->rope_theta},
                             {.name = "layout", .type = SY_ATTR_INT, .n = 1, .u.i = c->rope_layout}};
    uint32_t rin[2] = {q, B->pos};
    SY_TRY(op(B, NAME("attn_q.rope"), SY_OP_ROPE, rin, 2, rope_attrs, 2, &q));
    rin[0] = k;
    SY_TRY(op(B, NAME("attn_k.rope"), SY_OP_ROPE, rin, 2, rope_attrs, 2, &k));
    sy_value_desc cache = {.dtype = SY_DTYPE_F32, .role = SY_ROLE_STATE, .rank = 4,
                           .dims = {1, c->n_kv_heads, c->max_seq, hd}, .sym = {-1, -1, -1, -1, -1, -1}};
    cache.name = NAME("k_cache");
    SY_TRY(sy_graph_add_value(B->g, &cache, &kc));
    cache.name = NAME("v_cache");
    SY_TRY(sy_graph_add_value(B->g, &cache, &vc));
    uint32_t ain[6] = {q, k, v, kc, vc, B->pos};
    SY_TRY(op(B, NAME("attn"), SY_OP_SDPA_WITH_KV_CACHE, ain, 6, NULL, 0, &attn));
    int64_t perm[4] = {0, 2, 1, 3}, shape[3] = {0, 0, c->n_heads * hd};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    sy_attr s = {.name = "shape", .type = SY_ATTR_INTS, .n = 3, .u.ints = shape};
    SY_TRY(op(B, NAME("attn.bthd"), SY_OP_TRANSPOSE, &attn, 1, &p, 1, &attn));
    SY_TRY(op(B, NAME("attn.merge"), SY_OP_RESHAPE, &attn, 1, &s, 1, &attn));
    SY_TRY(linear(B, NAME("attn_output"), attn, c->n_heads * hd, c->dim, &o));
    uint32_t add_in[2] = {x, o};
    SY_TRY(op(B, NAME("attn_residual"), SY_OP_ADD, add_in, 2, NULL, 0, &x2));
    uint32_t hh, gate, up, act, prod, down;
    SY_TRY(rms_norm(B, NAME("ffn_norm"), x2, c, &hh));
    SY_TRY(linear(B, NAME("ffn_gate"), hh, c->dim, c->hidden, &gate));
    SY_TRY(linear(B, NAME("ffn_up"), hh, c->dim, c->hidden, &up));
    SY_TRY(op(B, NAME("ffn_silu"), SY_OP_SILU, &gate, 1, NULL, 0, &act));
    uint32_t mul_in[2] = {act, up};
    SY_TRY(op(B, NAME("ffn_mul"), SY_OP_MUL, mul_in, 2, NULL, 0, &prod));
    SY_TRY(linear(B, NAME("ffn_down"), prod, c->hidden, c->dim, &down));
    add_in[0] = x2;
    add_in[1] = down;
    snprintf(n2, sizeof n2, "blk.%lld.ffn_residual", (long long)l);
    SY_TRY(op(B, n2, SY_OP_ADD, add_in, 2, NULL, 0, out));
#undef NAME
    return SY_OK;
}

static sy_status check_config(const sy_decoder_config *c) {
    SY_CHECK(c->vocab > 0 && c->dim > 0 && c->n_layers > 0 && c->n_heads > 0 && c->n_kv_heads > 0 && c->hidden > 0,
             SY_ERR_INVALID_ARGUMENT, "decoder: every size must be positive");
    SY_CHECK(c->dim % c->n_heads == 0 && (c->dim / c->n_heads) % 2 == 0, SY_ERR_INVALID_ARGUMENT,
             "decoder: dim %lld must split into %lld heads of even size", (long long)c->dim, (long long)c->n_heads);
    SY_CHECK(c->n_heads % c->n_kv_heads == 0, SY_ERR_INVALID_ARGUMENT,
             "decoder: %lld query heads are not a multiple of %lld kv heads", (long long)c->n_heads,
             (long long)c->n_kv_heads);
    SY_CHECK(c->max_tokens >= 1 && c->max_tokens <= c->max_seq, SY_ERR_INVALID_ARGUMENT,
             "decoder: max_tokens must be in [1, max_seq]");
    return SY_OK;
}

sy_status sy_decoder_build(const sy_decoder_config *c, sy_graph **graph_out) {
    SY_CHECK(c && graph_out, SY_ERR_INVALID_ARGUMENT, "sy_decoder_build: NULL argument");
    SY_TRY(check_config(c));
    builder B = {.rng = c->seed * 0x9E3779B97F4A7C15ULL + 1};
    int64_t biggest = c->vocab * c->dim;
    if (c->dim * c->hidden > biggest) biggest = c->dim * c->hidden;
    if (c->dim * c->dim > biggest) biggest = c->dim * c->dim;
    B.buf = sy_malloc((size_t)biggest * sizeof(float));
    SY_CHECK(B.buf, SY_ERR_OUT_OF_MEMORY, "decoder: out of memory");
    sy_status st = sy_graph_create(&B.g);
    uint32_t T = 0, emb = 0, x = 0, logits = 0;
    char meta[64];
    if (st == SY_OK) st = sy_graph_add_symbol(B.g, "tokens", c->max_tokens, &T);
    if (st == SY_OK) {
        sy_value_desc d = {.name = "input_ids", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 2,
                           .dims = {1, c->max_tokens}, .sym = {-1, (int32_t)T, -1, -1, -1, -1}};
        st = sy_graph_add_value(B.g, &d, &B.ids);
        d.name = "cache_position";
        d.rank = 1;
        d.dims[0] = c->max_tokens;
        d.sym[0] = (int32_t)T;
        if (st == SY_OK) st = sy_graph_add_value(B.g, &d, &B.pos);
    }
    if (st == SY_OK) st = weight(&B, "token_embd.weight", c->vocab, c->dim, 0.0f, 1.0f, &emb);
    uint32_t in[2] = {emb, B.ids};
    if (st == SY_OK) st = op(&B, "token_embd", SY_OP_EMBEDDING, in, 2, NULL, 0, &x);
    for (int64_t l = 0; l < c->n_layers && st == SY_OK; l++) st = layer(&B, c, l, x, &x);
    if (st == SY_OK) st = rms_norm(&B, "output_norm", x, c, &x);
    if (st == SY_OK && c->logits_last_only) { // only the last position feeds the LM head
        sy_attr sl[2] = {{.name = "axis", .type = SY_ATTR_INT, .n = 1, .u.i = 1},
                         {.name = "start", .type = SY_ATTR_INT, .n = 1, .u.i = -1}};
        st = op(&B, "output_norm.last", SY_OP_SLICE, &x, 1, sl, 2, &x);
    }
    if (st == SY_OK) {
        if (c->tied_embeddings) {
            in[0] = x;
            in[1] = emb;
            st = op(&B, "output", SY_OP_LINEAR, in, 2, NULL, 0, &logits);
        } else {
            st = linear(&B, "output", x, c->dim, c->vocab, &logits);
        }
    }
    if (st == SY_OK) st = sy_graph_set_output(B.g, logits, "logits");
    if (st == SY_OK) st = sy_graph_set_metadata(B.g, "model.family", "switchyard-demo-decoder");
    snprintf(meta, sizeof meta, "%lld", (long long)c->max_seq);
    if (st == SY_OK) st = sy_graph_set_metadata(B.g, "model.max_seq_len", meta);
    snprintf(meta, sizeof meta, "%lld", (long long)c->vocab);
    if (st == SY_OK) st = sy_graph_set_metadata(B.g, "model.vocab_size", meta);
    if (st == SY_OK) st = sy_graph_set_metadata(B.g, "model.signature", "forward(input_ids, cache_position) -> logits");
    sy_free(B.buf);
    if (st != SY_OK) {
        sy_graph_destroy(B.g);
        return st;
    }
    *graph_out = B.g;
    return SY_OK;
}
