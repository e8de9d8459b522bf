// GGUF llama-family checkpoint -> static-cache decoder graph (importers/llama.h).

#include "importers/llama.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/half.h"
#include "core/status.h"
#include "core/ops.h"
#include "core/quant.h"
#include "importers/gguf_meta.h"

const char *sy_gguf_supported_archs(void) { return "llama, qwen2, qwen3"; }

// --- hyperparameters ---

typedef struct hparams {
    char arch[16];
    int64_t n_layers, dim, n_heads, n_kv_heads, head_dim, hidden, vocab, ctx_len, max_seq, max_tokens;
    double eps, theta;
    int rope_layout; // 1 interleaved (llama: permuted q/k rows), 0 half-split (qwen)
    int qkv_bias;    // qwen2: q/k/v projections have biases
    int qk_norm;     // qwen3: rms_norm over each head of q and k before rope
    int tied;        // no output.weight: the LM head is token_embd
} hparams;

static sy_status get_key(const sy_gguf_file *f, const hparams *h, const char *suffix, int64_t *v) {
    char key[96];
    snprintf(key, sizeof key, "%s.%s", h->arch, suffix);
    return sy_gguf_get_int(f, key, v);
}

static sy_status get_key_opt(const sy_gguf_file *f, const hparams *h, const char *suffix, int64_t dflt, int64_t *v) {
    char key[96];
    snprintf(key, sizeof key, "%s.%s", h->arch, suffix);
    if (!sy_gguf_find(f, key)) {
        *v = dflt;
        return SY_OK;
    }
    return sy_gguf_get_int(f, key, v);
}

static sy_status get_float_key(const sy_gguf_file *f, const hparams *h, const char *suffix, int required, double dflt,
                               double *v) {
    char key[96];
    snprintf(key, sizeof key, "%s.%s", h->arch, suffix);
    if (!required && !sy_gguf_find(f, key)) {
        *v = dflt;
        return SY_OK;
    }
    return sy_gguf_get_float(f, key, v);
}

static sy_status read_arch(const sy_gguf_file *f, hparams *h) {
    char *arch = NULL;
    SY_TRY(sy_gguf_get_string(f, "general.architecture", &arch));
    int ok = !strcmp(arch, "llama") || !strcmp(arch, "qwen2") || !strcmp(arch, "qwen3");
    if (!ok) {
        sy_status st = sy_error_set(SY_ERR_UNSUPPORTED, "architecture '%s' is not supported (supported: %s)", arch,
                                    sy_gguf_supported_archs());
        sy_free(arch);
        return st;
    }
    snprintf(h->arch, sizeof h->arch, "%s", arch);
    sy_free(arch);
    h->rope_layout = !strcmp(h->arch, "llama") ? 1 : 0;
    h->qkv_bias = !strcmp(h->arch, "qwen2");
    h->qk_norm = !strcmp(h->arch, "qwen3");
    return SY_OK;
}

// Bounds that keep every later size computation far from overflow (and a fuzzed file cheap).
#define MAX_SIZE (1 << 20)

static sy_status check_hparams(const hparams *h) {
    const int64_t v[] = {h->n_layers, h->dim, h->n_heads, h->n_kv_heads, h->head_dim, h->hidden, h->vocab};
    static const char *const names[] = {"block_count", "embedding_length", "attention.head_count",
                                        "attention.head_count_kv", "attention.key_length",
                                        "feed_forward_length", "vocab_size"};
    for (int i = 0; i < 7; i++)
        SY_CHECK(v[i] >= 1 && v[i] <= MAX_SIZE * 64, SY_ERR_FORMAT, "metadata '%s.%s' is %lld; expected 1 to %d",
                 h->arch, names[i], (long long)v[i], MAX_SIZE * 64);
    SY_CHECK(h->n_layers <= 4096 && h->n_heads <= 4096 && h->head_dim <= 4096, SY_ERR_FORMAT,
             "metadata of '%s': %lld layers, %lld heads of %lld are absurd", h->arch, (long long)h->n_layers,
             (long long)h->n_heads, (long long)h->head_dim);
    SY_CHECK(h->n_heads % h->n_kv_heads == 0, SY_ERR_FORMAT,
             "metadata: %lld query heads are not a multiple of %lld kv heads", (long long)h->n_heads,
             (long long)h->n_kv_heads);
    SY_CHECK(h->head_dim % 2 == 0, SY_ERR_FORMAT, "metadata: the head size %lld is odd; rope needs pairs",
             (long long)h->head_dim);
    SY_CHECK(h->max_seq >= 1 && h->max_seq <= MAX_SIZE, SY_ERR_INVALID_ARGUMENT,
             "the cache length %lld is out of range [1, %d] (set --max-seq-len)", (long long)h->max_seq, MAX_SIZE);
    SY_CHECK(h->max_tokens >= 1 && h->max_tokens <= h->max_seq, SY_ERR_INVALID_ARGUMENT,
             "the tokens per call %lld are out of range [1, %lld] (the cache length)", (long long)h->max_tokens,
             (long long)h->max_seq);
    SY_CHECK(isfinite(h->eps) && h->eps >= 0 && isfinite(h->theta) && h->theta > 0, SY_ERR_FORMAT,
             "metadata: rms eps %g or rope base %g is not usable", h->eps, h->theta);
    return SY_OK;
}

static sy_status read_rope(const sy_gguf_file *f, hparams *h) {
    int64_t rope_dim;
    char key[96];
    SY_TRY(get_float_key(f, h, "rope.freq_base", 0, 10000.0, &h->theta));
    SY_TRY(get_key_opt(f, h, "rope.dimension_count", h->head_dim, &rope_dim));
    SY_CHECK(rope_dim == h->head_dim, SY_ERR_UNSUPPORTED,
             "metadata '%s.rope.dimension_count' is %lld but the head size is %lld: partial rotary embeddings are "
             "not supported", h->arch, (long long)rope_dim, (long long)h->head_dim);
    snprintf(key, sizeof key, "%s.rope.scaling.type", h->arch);
    const sy_gguf_value *scaling = sy_gguf_find(f, key);
    SY_CHECK(!scaling || (scaling->type == SY_GGUF_STRING && scaling->str_len == 4 && !memcmp(scaling->str, "none", 4)),
             SY_ERR_UNSUPPORTED, "metadata '%s': rope scaling is not supported", key);
    SY_CHECK(!sy_gguf_find_tensor(f, "rope_freqs.weight"), SY_ERR_UNSUPPORTED,
             "tensor 'rope_freqs.weight': rope frequency factors (Llama 3.1 style) are not supported");
    return SY_OK;
}

static sy_status read_hparams(const sy_gguf_file *f, const sy_gguf_convert_options *o, hparams *h) {
    memset(h, 0, sizeof *h);
    SY_TRY(read_arch(f, h));
    SY_TRY(get_key(f, h, "block_count", &h->n_layers));
    SY_TRY(get_key(f, h, "embedding_length", &h->dim));
    SY_TRY(get_key(f, h, "attention.head_count", &h->n_heads));
    SY_TRY(get_key_opt(f, h, "attention.head_count_kv", h->n_heads, &h->n_kv_heads));
    SY_TRY(get_key(f, h, "feed_forward_length", &h->hidden));
    SY_TRY(get_key(f, h, "context_length", &h->ctx_len));
    SY_TRY(get_float_key(f, h, "attention.layer_norm_rms_epsilon", 1, 0.0, &h->eps));
    SY_CHECK(h->n_heads >= 1, SY_ERR_FORMAT, "metadata '%s.attention.head_count' is %lld", h->arch,
             (long long)h->n_heads);
    SY_TRY(get_key_opt(f, h, "attention.key_length", h->dim / h->n_heads, &h->head_dim));
    int64_t vlen;
    SY_TRY(get_key_opt(f, h, "attention.value_length", h->head_dim, &vlen));
    SY_CHECK(vlen == h->head_dim, SY_ERR_UNSUPPORTED, "metadata: value length %lld differs from key length %lld",
             (long long)vlen, (long long)h->head_dim);
    const sy_gguf_tensor *emb = sy_gguf_find_tensor(f, "token_embd.weight");
    SY_CHECK(emb, SY_ERR_NOT_FOUND, "required tensor 'token_embd.weight' is missing");
    SY_TRY(get_key_opt(f, h, "vocab_size", emb->ne[1], &h->vocab));
    h->max_seq = o->max_seq_len > 0 ? o->max_seq_len : h->ctx_len;
    h->max_tokens = o->max_tokens > 0 ? o->max_tokens : h->max_seq < 512 ? h->max_seq : 512;
    h->tied = sy_gguf_find_tensor(f, "output.weight") == NULL;
    SY_TRY(read_rope(f, h));
    return check_hparams(h);
}

// --- weights ---

typedef struct builder {
    const sy_gguf_file *f;
    const sy_gguf_convert_options *o;
    const hparams *h;
    sy_graph *g;
    sy_dtype act; // activation and float-weight dtype
    uint32_t ids, pos;
} builder;

static int is_float_type(uint32_t t) { return t == SY_GGML_F32 || t == SY_GGML_F16 || t == SY_GGML_BF16; }

static sy_dtype block_dtype(uint32_t t) {
    return t == SY_GGML_Q8_0 ? SY_DTYPE_Q8_0 : t == SY_GGML_Q4_0 ? SY_DTYPE_Q4_0 : t == SY_GGML_Q4_1 ? SY_DTYPE_Q4_1
                                                                                                   : SY_DTYPE_INVALID;
}

// The tensor `name`, checked to exist with the expected shape (our order: dims[0] is the outer
// dim; GGUF's ne[] is reversed) and a type convert handles.
static sy_status find_weight(const builder *B, const char *name, uint32_t rank, const int64_t *dims,
                             const sy_gguf_tensor **out) {
    const sy_gguf_tensor *t = sy_gguf_find_tensor(B->f, name);
    SY_CHECK(t, SY_ERR_NOT_FOUND, "required tensor '%s' is missing", name);
    int same = t->n_dims == rank;
    for (uint32_t i = 0; same && i < rank; i++) same = t->ne[rank - 1 - i] == dims[i];
    if (!same) {
        char want[64], got[64];
        int64_t rev[SY_GGUF_MAX_DIMS];
        for (uint32_t i = 0; i < t->n_dims; i++) rev[i] = t->ne[t->n_dims - 1 - i];
        sy_format_dims(dims, rank, want, sizeof want);
        sy_format_dims(rev, t->n_dims, got, sizeof got);
        return sy_error_set(SY_ERR_SHAPE, "tensor '%s' has shape %s, but the metadata of '%s' implies %s", name, got,
                            B->h->arch, want);
    }
    const char *tn = sy_ggml_type_name(t->type);
    SY_CHECK(is_float_type(t->type) || block_dtype(t->type) != SY_DTYPE_INVALID, SY_ERR_UNSUPPORTED,
             "tensor '%s' has type %s, which convert does not support (supported: f32, f16, bf16, q8_0, q4_0, q4_1)",
             name, tn ? tn : "?");
    *out = t;
    return SY_OK;
}

// The tensor's elements as f32 into dst (numel floats).
static void to_f32(const sy_gguf_tensor *t, int64_t numel, float *dst) {
    const uint8_t *p = t->data;
    if (block_dtype(t->type) != SY_DTYPE_INVALID) {
        sy_dequantize_row(block_dtype(t->type), p, numel, dst);
        return;
    }
    for (int64_t i = 0; i < numel; i++) {
        if (t->type == SY_GGML_F32) {
            memcpy(&dst[i], p + 4 * i, 4);
        } else {
            uint16_t u = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            dst[i] = t->type == SY_GGML_F16 ? sy_f16_to_f32(u) : sy_bf16_to_f32(u);
        }
    }
}

// Adds tensor `name` as a constant of dtype `dt` (converted or requantised as needed).
static sy_status add_converted(builder *B, const char *name, const sy_gguf_tensor *t, uint32_t rank,
                               const int64_t *dims, sy_dtype dt, uint32_t *id) {
    sy_dtype src = block_dtype(t->type);
    if (src == dt || (dt == SY_DTYPE_F32 && t->type == SY_GGML_F32) || (dt == SY_DTYPE_F16 && t->type == SY_GGML_F16))
        return sy_graph_add_constant(B->g, name, dt, rank, dims, t->data, t->nbytes, id);
    int64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) numel *= dims[i];
    size_t nbytes;
    SY_TRY(sy_shape_nbytes(dt, rank, dims, &nbytes));
    float *f = sy_malloc((size_t)numel * sizeof *f);
    void *out = sy_malloc(nbytes ? nbytes : 1);
    sy_status st = f && out ? SY_OK : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory converting '%s'", name);
    if (st == SY_OK) {
        to_f32(t, numel, f);
        if (sy_dtype_is_block(dt)) st = sy_quantize_row(dt, f, numel, out);
        else if (dt == SY_DTYPE_F32) memcpy(out, f, nbytes);
        else
            for (int64_t i = 0; i < numel; i++) ((uint16_t *)out)[i] = sy_f32_to_f16(f[i]);
    }
    if (st == SY_OK) st = sy_graph_add_constant(B->g, name, dt, rank, dims, out, nbytes, id);
    sy_free(f);
    sy_free(out);
    return st;
}

/// A weight matrix [rows, cols] (kept quantised, requantised, or converted to the float dtype).
static sy_status matrix(builder *B, const char *name, int64_t rows, int64_t cols, uint32_t *id) {
    const sy_gguf_tensor *t;
    const int64_t dims[2] = {rows, cols};
    SY_TRY(find_weight(B, name, 2, dims, &t));
    sy_dtype dt = block_dtype(t->type) != SY_DTYPE_INVALID ? block_dtype(t->type) : B->act;
    if (B->o->requantize != SY_DTYPE_INVALID) {
        SY_CHECK(cols % 32 == 0, SY_ERR_SHAPE, "tensor '%s': rows of %lld elements cannot be requantised to %s (blocks of 32)",
                 name, (long long)cols, sy_dtype_name(B->o->requantize));
        dt = B->o->requantize;
    }
    return add_converted(B, name, t, 2, dims, dt, id);
}

/// A weight vector [n] in the float dtype (norm weights, biases).
static sy_status vector(builder *B, const char *name, int64_t n, uint32_t *id) {
    const sy_gguf_tensor *t;
    SY_TRY(find_weight(B, name, 1, &n, &t));
    SY_CHECK(is_float_type(t->type), SY_ERR_UNSUPPORTED, "tensor '%s' is %s; vectors must be f32, f16 or bf16", name,
             sy_ggml_type_name(t->type));
    return add_converted(B, name, t, 1, &n, B->act, id);
}

// --- graph ---

static sy_status op(builder *B, const char *name, sy_op o, const uint32_t *in, uint32_t n_in, const sy_attr *attrs,
                    uint32_t n_attrs, uint32_t *out) {
    return sy_graph_add_op(B->g, name, o, in, n_in, attrs, n_attrs, out);
}

static sy_status cast(builder *B, const char *name, uint32_t x, sy_dtype dt, uint32_t *out) {
    sy_attr a = {.name = "dtype", .type = SY_ATTR_INT, .n = 1, .u.i = dt};
    return op(B, name, SY_OP_CAST, &x, 1, &a, 1, out);
}

// linear(x, w, b?) in the activation dtype; a quantised weight takes f32 x, so with f16
// activations the node is wrapped in casts.
static sy_status linear_w(builder *B, const char *name, uint32_t x, uint32_t w, uint32_t bias, uint32_t *out) {
    char n1[128], n2[128];
    sy_dtype wdt = sy_graph_get_view(B->g)->values[w].dtype;
    uint32_t in[3] = {x, w, bias};
    uint32_t n_in = bias == SY_NO_VALUE ? 2 : 3;
    if (!sy_dtype_is_block(wdt) || B->act == SY_DTYPE_F32) return op(B, name, SY_OP_LINEAR, in, n_in, NULL, 0, out);
    SY_CHECK(bias == SY_NO_VALUE, SY_ERR_UNSUPPORTED, "'%s': a quantised linear with a bias needs --dtype f32", name);
    snprintf(n1, sizeof n1, "%s.to_f32", name);
    snprintf(n2, sizeof n2, "%s.f32", name);
    SY_TRY(cast(B, n1, x, SY_DTYPE_F32, &in[0]));
    SY_TRY(op(B, n2, SY_OP_LINEAR, in, 2, NULL, 0, &x));
    return cast(B, name, x, B->act, out);
}

static sy_status linear(builder *B, const char *name, uint32_t x, int64_t in_f, int64_t out_f, int bias, uint32_t *out) {
    char wname[128];
    uint32_t w, b = SY_NO_VALUE;
    snprintf(wname, sizeof wname, "%s.weight", name);
    SY_TRY(matrix(B, wname, out_f, in_f, &w));
    if (bias) {
        snprintf(wname, sizeof wname, "%s.bias", name);
        SY_TRY(vector(B, wname, out_f, &b));
    }
    return linear_w(B, name, x, w, b, out);
}

static sy_status rms_norm(builder *B, const char *name, uint32_t x, int64_t n, uint32_t *out) {
    char wname[128];
    uint32_t w;
    snprintf(wname, sizeof wname, "%s.weight", name);
    SY_TRY(vector(B, wname, n, &w));
    uint32_t in[2] = {x, w};
    sy_attr eps = {.name = "eps", .type = SY_ATTR_FLOAT, .n = 1, .u.f = (float)B->h->eps};
    return op(B, name, SY_OP_RMS_NORM, in, 2, &eps, 1, out);
}

/// [1, T, heads*hd] -> [1, heads, T, hd]
static sy_status split_heads(builder *B, const char *name, uint32_t x, int64_t heads, uint32_t *out) {
    char n1[128], n2[128];
    snprintf(n1, sizeof n1, "%s.heads", name);
    snprintf(n2, sizeof n2, "%s.bhtd", name);
    int64_t shape[4] = {0, 0, heads, B->h->head_dim}, perm[4] = {0, 2, 1, 3};
    sy_attr a = {.name = "shape", .type = SY_ATTR_INTS, .n = 4, .u.ints = shape};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    uint32_t r;
    SY_TRY(op(B, n1, SY_OP_RESHAPE, &x, 1, &a, 1, &r));
    return op(B, n2, SY_OP_TRANSPOSE, &r, 1, &p, 1, out);
}

// q, k or v of layer l: projection, heads split, (qwen3) per-head norm, rope for q and k.
static sy_status project(builder *B, int64_t l, const char *which, uint32_t x, int64_t heads, int rope, uint32_t *out) {
    const hparams *h = B->h;
    char n[96];
    snprintf(n, sizeof n, "blk.%lld.attn_%s", (long long)l, which);
    SY_TRY(linear(B, n, x, h->dim, heads * h->head_dim, h->qkv_bias, out));
    SY_TRY(split_heads(B, n, *out, heads, out));
    if (h->qk_norm && rope) {
        char nn[112];
        snprintf(nn, sizeof nn, "%s_norm", n);
        SY_TRY(rms_norm(B, nn, *out, h->head_dim, out));
    }
    if (!rope) return SY_OK;
    char rn[112];
    snprintf(rn, sizeof rn, "%s.rope", n);
    sy_attr attrs[2] = {{.name = "theta", .type = SY_ATTR_FLOAT, .n = 1, .u.f = (float)h->theta},
                        {.name = "layout", .type = SY_ATTR_INT, .n = 1, .u.i = h->rope_layout}};
    uint32_t in[2] = {*out, B->pos};
    return op(B, rn, SY_OP_ROPE, in, 2, attrs, 2, out);
}

static sy_status attention(builder *B, int64_t l, uint32_t x, uint32_t *out) {
    const hparams *h = B->h;
    char n[96];
    uint32_t q, k, v, kc, vc, y;
#define NAME(fmt) (snprintf(n, sizeof n, "blk.%lld." fmt, (long long)l), n)
    SY_TRY(project(B, l, "q", x, h->n_heads, 1, &q));
    SY_TRY(project(B, l, "k", x, h->n_kv_heads, 1, &k));
    SY_TRY(project(B, l, "v", x, h->n_kv_heads, 0, &v));
    sy_value_desc cache = {.dtype = B->act, .role = SY_ROLE_STATE, .rank = 4,
                           .dims = {1, h->n_kv_heads, h->max_seq, h->head_dim}, .sym = {-1, -1, -1, -1, -1, -1}};
    cache.name = NAME("k_cache");
    SY_TRY(sy_graph_add_value(B->g, &cache, &kc));
    cache.name = NAME("v_cache");
    SY_TRY(sy_graph_add_value(B->g, &cache, &vc));
    uint32_t ain[6] = {q, k, v, kc, vc, B->pos};
    SY_TRY(op(B, NAME("attn"), SY_OP_SDPA_WITH_KV_CACHE, ain, 6, NULL, 0, &y));
    int64_t perm[4] = {0, 2, 1, 3}, shape[3] = {0, 0, h->n_heads * h->head_dim};
    sy_attr p = {.name = "perm", .type = SY_ATTR_INTS, .n = 4, .u.ints = perm};
    sy_attr s = {.name = "shape", .type = SY_ATTR_INTS, .n = 3, .u.ints = shape};
    SY_TRY(op(B, NAME("attn.bthd"), SY_OP_TRANSPOSE, &y, 1, &p, 1, &y));
    SY_TRY(op(B, NAME("attn.merge"), SY_OP_RESHAPE, &y, 1, &s, 1, &y));
    SY_TRY(linear(B, NAME("attn_output"), y, h->n_heads * h->head_dim, h->dim, 0, out));
#undef NAME
    return SY_OK;
}

static sy_status layer(builder *B, int64_t l, uint32_t x, uint32_t *out) {
    const hparams *h = B->h;
    char n[96];
    uint32_t a, o, x2, hh, gate, up, act, prod, down;
#define NAME(fmt) (snprintf(n, sizeof n, "blk.%lld." fmt, (long long)l), n)
    SY_TRY(rms_norm(B, NAME("attn_norm"), x, h->dim, &a));
    SY_TRY(attention(B, l, a, &o));
    uint32_t add_in[2] = {x, o};
    SY_TRY(op(B, NAME("attn_residual"), SY_OP_ADD, add_in, 2, NULL, 0, &x2));
    SY_TRY(rms_norm(B, NAME("ffn_norm"), x2, h->dim, &hh));
    SY_TRY(linear(B, NAME("ffn_gate"), hh, h->dim, h->hidden, 0, &gate));
    SY_TRY(linear(B, NAME("ffn_up"), hh, h->dim, h->hidden, 0, &up));
    SY_TRY(op(B, NAME("ffn_silu"), SY_OP_SILU, &gate, 1, NULL, 0, &act));
    uint32_t mul_in[2] = {act, up};
    SY_TRY(op(B, NAME("ffn_mul"), SY_OP_MUL, mul_in, 2, NULL, 0, &prod));
    SY_TRY(linear(B, NAME("ffn_down"), prod, h->hidden, h->dim, 0, &down));
    add_in[0] = x2;
    add_in[1] = down;
    SY_TRY(op(B, NAME("ffn_residual"), SY_OP_ADD, add_in, 2, NULL, 0, out));
#undef NAME
    return SY_OK;
}

static void progress(const builder *B, const char *fmt, long long a, long long b) {
    if (!B->o->progress) return;
    char msg[160];
    snprintf(msg, sizeof msg, fmt, a, b);
    B->o->progress(B->o->user, msg);
}

static sy_status add_inputs(builder *B) {
    uint32_t T;
    SY_TRY(sy_graph_add_symbol(B->g, "tokens", B->h->max_tokens, &T));
    sy_value_desc d = {.name = "input_ids", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 2,
                       .dims = {1, B->h->max_tokens}, .sym = {-1, (int32_t)T, -1, -1, -1, -1}};
    SY_TRY(sy_graph_add_value(B->g, &d, &B->ids));
    d.name = "cache_position";
    d.rank = 1;
    d.dims[0] = B->h->max_tokens;
    d.sym[0] = (int32_t)T;
    d.sym[1] = -1;
    return sy_graph_add_value(B->g, &d, &B->pos);
}

static sy_status build_body(builder *B) {
    const hparams *h = B->h;
    uint32_t emb, x, logits;
    SY_TRY(add_inputs(B));
    SY_TRY(matrix(B, "token_embd.weight", h->vocab, h->dim, &emb));
    uint32_t in[2] = {emb, B->ids};
    SY_TRY(op(B, "token_embd", SY_OP_EMBEDDING, in, 2, NULL, 0, &x));
    if (sy_graph_get_view(B->g)->values[x].dtype != B->act) SY_TRY(cast(B, "token_embd.cast", x, B->act, &x));
    for (int64_t l = 0; l < h->n_layers; l++) {
        progress(B, "converting layer %lld/%lld", (long long)l + 1, (long long)h->n_layers);
        SY_TRY(layer(B, l, x, &x));
    }
    SY_TRY(rms_norm(B, "output_norm", x, h->dim, &x));
    if (B->o->logits_last_only) { // the generator samples the last row only: skip the head elsewhere
        const sy_attr sl[2] = {{.name = "axis", .type = SY_ATTR_INT, .n = 1, .u.i = 1},
                               {.name = "start", .type = SY_ATTR_INT, .n = 1, .u.i = -1}};
        SY_TRY(op(B, "output_norm.last", SY_OP_SLICE, &x, 1, sl, 2, &x));
    }
    if (h->tied) SY_TRY(linear_w(B, "output", x, emb, SY_NO_VALUE, &logits));
    else SY_TRY(linear(B, "output", x, h->dim, h->vocab, 0, &logits));
    if (B->act != SY_DTYPE_F32) SY_TRY(cast(B, "logits.to_f32", logits, SY_DTYPE_F32, &logits));
    return sy_graph_set_output(B->g, logits, "logits");
}

static sy_status set_model_metadata(builder *B) {
    const hparams *h = B->h;
    char v[64];
    SY_TRY(sy_graph_set_metadata(B->g, "model.family", h->arch));
    SY_TRY(sy_graph_set_metadata(B->g, "model.source", "gguf"));
    SY_TRY(sy_graph_set_metadata(B->g, "model.signature", "forward(input_ids, cache_position) -> logits"));
    snprintf(v, sizeof v, "%lld", (long long)h->max_seq);
    SY_TRY(sy_graph_set_metadata(B->g, "model.max_seq_len", v));
    snprintf(v, sizeof v, "%lld", (long long)h->max_tokens);
    SY_TRY(sy_graph_set_metadata(B->g, "model.max_tokens", v));
    snprintf(v, sizeof v, "%lld", (long long)h->vocab);
    SY_TRY(sy_graph_set_metadata(B->g, "model.vocab_size", v));
    snprintf(v, sizeof v, "%lld", (long long)h->ctx_len);
    SY_TRY(sy_graph_set_metadata(B->g, "model.context_length", v));
    char *name = NULL;
    if (sy_gguf_find(B->f, "general.name") && sy_gguf_get_string(B->f, "general.name", &name) == SY_OK) {
        sy_status st = sy_graph_set_metadata(B->g, "model.name", name);
        sy_free(name);
        SY_TRY(st);
    }
    return SY_OK;
}

static sy_status check_options(const sy_gguf_convert_options *o) {
    SY_CHECK(o->float_dtype == SY_DTYPE_INVALID || o->float_dtype == SY_DTYPE_F32 || o->float_dtype == SY_DTYPE_F16,
             SY_ERR_INVALID_ARGUMENT, "the float dtype must be f32 or f16, not %s", sy_dtype_name(o->float_dtype));
    SY_CHECK(o->requantize == SY_DTYPE_INVALID || sy_dtype_is_block(o->requantize), SY_ERR_INVALID_ARGUMENT,
             "requantize to q8_0, q4_0 or q4_1, not %s", sy_dtype_name(o->requantize));
    SY_CHECK(o->max_seq_len >= 0, SY_ERR_INVALID_ARGUMENT, "the cache length %lld is negative", (long long)o->max_seq_len);
    return SY_OK;
}

sy_status sy_gguf_build_graph(const sy_gguf_file *f, const sy_gguf_convert_options *o, sy_graph **graph_out) {
    SY_CHECK(f && o && graph_out, SY_ERR_INVALID_ARGUMENT, "sy_gguf_build_graph: NULL argument");
    SY_TRY(check_options(o));
    hparams h;
    sy_status st = read_hparams(f, o, &h);
    if (st != SY_OK) return sy_error_prefix(st, "GGUF file '%s'", f->origin);
    builder B = {.f = f, .o = o, .h = &h, .act = o->float_dtype ? o->float_dtype : SY_DTYPE_F32};
    SY_TRY(sy_graph_create(&B.g));
    st = build_body(&B);
    if (st == SY_OK) st = set_model_metadata(&B);
    if (st == SY_OK) st = sy_gguf_set_tokenizer_metadata(f, B.g, o->progress, o->user);
    if (st == SY_OK) st = sy_graph_validate(B.g);
    if (st != SY_OK) {
        sy_graph_destroy(B.g);
        return sy_error_prefix(st, "GGUF file '%s'", f->origin);
    }
    *graph_out = B.g;
    return SY_OK;
}
