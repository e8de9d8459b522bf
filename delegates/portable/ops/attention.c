// Portable rope, update_cache, sdpa and sdpa_with_kv_cache. Compute is f32; f16/bf16 are
// converted on load and store.
//
// Attention uses an online (running max, running sum) softmax over the keys, so no score row of
// Tk floats is needed and the kernel allocates nothing: an f32 output row is its own
// accumulator; other dtypes accumulate a block of ACC_BLOCK output columns on the stack (and
// recompute the scores once per block when Dv is larger than that).

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/status.h"
#include "delegates/portable/ops/common.h"

#define ACC_BLOCK 256 // output columns accumulated at once for non-f32 outputs
#define ROPE_BLOCK 64 // rotation pairs whose cos/sin are computed once per token

// --- rope ---

sy_status sy_portable_ROPE(const sy_node_info *node, const sy_tensor *inputs,
                           sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *positions = &inputs[1]; // x: (B, H, T, D), positions: (T)
    sy_tensor *y = &outputs[0];                                // (B, H, T, D)
    double theta = sy_node_attr_float(node, "theta", 10000.0f);
    int interleaved = sy_node_attr_int(node, "layout", 0) == 1;
    int64_t nb = x->dims[0], nh = x->dims[1], nt = x->dims[2], d = x->dims[3], half = d / 2;

    for (int64_t t = 0; t < nt; t++) {
        // Angles in double: at positions in the thousands an f32 angle is off by ~1e-4 rad.
        double pos = (double)sy_load_i_inline(positions, t);
        for (int64_t i0 = 0; i0 < half; i0 += ROPE_BLOCK) {
            int64_t ni = half - i0 < ROPE_BLOCK ? half - i0 : ROPE_BLOCK;
            float c[ROPE_BLOCK], s[ROPE_BLOCK]; // (ni) cos/sin of pairs i0 .. i0 + ni
            for (int64_t i = 0; i < ni; i++) {
                double angle = pos * pow(theta, -2.0 * (double)(i0 + i) / (double)d);
                c[i] = (float)cos(angle);
                s[i] = (float)sin(angle);
            }
            for (int64_t row = 0; row < nb * nh; row++) {
                int64_t base = (row * nt + t) * d;
                for (int64_t i = 0; i < ni; i++) {
                    int64_t p = i0 + i;
                    // half-split pairs (p, p + D/2); interleaved pairs (2p, 2p + 1)
                    int64_t ia = base + (interleaved ? 2 * p : p);
                    int64_t ib = interleaved ? ia + 1 : ia + half;
                    float a = sy_load_f_inline(x, ia), b = sy_load_f_inline(x, ib);
                    sy_store_f_inline(y, ia, a * c[i] - b * s[i]);
                    sy_store_f_inline(y, ib, a * s[i] + b * c[i]);
                }
            }
        }
    }
    return SY_OK;
}

// --- caches ---

// The start position (element 0); the op's data check (core/ops/attention.c) has verified that
// rows [start, start + T) fit the cache before the kernel runs.
static int64_t get_start(const sy_tensor *start_pos) { return sy_load_i_inline(start_pos, 0); }

// cache[:, :, start:start + T, :] = src. cache: (B, H, S, D), src: (B, H, T, D), same dtype.
static void write_rows(const sy_tensor *cache, const sy_tensor *src, int64_t start) {
    int64_t n_rows = cache->dims[2], n_new = src->dims[2];
    size_t row_bytes = sy_dtype_row_bytes(cache->dtype, cache->dims[3]);
    int64_t n_heads = cache->dims[0] * cache->dims[1];
    for (int64_t bh = 0; bh < n_heads; bh++) {
        char *dst = (char *)cache->data + (size_t)(bh * n_rows + start) * row_bytes;
        const char *from = (const char *)src->data + (size_t)(bh * n_new) * row_bytes;
        memcpy(dst, from, (size_t)n_new * row_bytes);
    }
}

sy_status sy_portable_UPDATE_CACHE(const sy_node_info *node, const sy_tensor *inputs,
                                   sy_tensor *outputs) {
    (void)node;
    (void)outputs;
    int64_t start = get_start(&inputs[2]);
    write_rows(&inputs[0], &inputs[1], start);
    return SY_OK;
}

// --- attention ---

// One attention call. Keys are rows [0, n_keys) of each kv head; query t may see key j iff
// j <= t + offset when causal (offset = Tk - Tq for sdpa, start for the cache op).
typedef struct attn_job {
    const sy_tensor *q;    // (B, Hq, Tq, D)
    const sy_tensor *k;    // (B, Hkv, kv_rows, D)
    const sy_tensor *v;    // (B, Hkv, kv_rows, Dv)
    const sy_tensor *mask; // broadcastable to (B, Hq, Tq, n_keys), or NULL
    sy_tensor *out;        // (B, Hq, Tq, Dv)
    int64_t n_batch, n_qheads, n_kvheads, n_queries, n_keys, kv_rows, d, dv;
    bool causal;
    int64_t offset;
    float scale;
    int64_t mask_stride[4]; // element strides of the mask per (b, h, t, j); 0 where broadcast
} attn_job;

// Scaled, masked score of query row qo against key row `key` (absolute row in k); false when
// the key is masked out (bool false, or a float mask of -inf).
static bool score(const attn_job *a, int64_t qo, int64_t key, int64_t mo, float *out) {
    float bias = 0.0f;
    if (a->mask) {
        if (a->mask->dtype == SY_DTYPE_BOOL) {
            if (!((const uint8_t *)a->mask->data)[mo]) return false;
        } else {
            bias = sy_load_f_inline(a->mask, mo);
        }
    }
    float s = sy_dot_f(a->q, qo, a->k, key * a->d, a->d) * a->scale + bias;
    if (s == -INFINITY) return false;
    *out = s;
    return true;
}

static void attend_row(const attn_job *a, int64_t b, int64_t h, int64_t t) {
    int64_t kv_head = h / (a->n_qheads / a->n_kvheads);
    int64_t row = (b * a->n_qheads + h) * a->n_queries + t;
    int64_t qo = row * a->d, oo = row * a->dv;
    int64_t key0 = (b * a->n_kvheads + kv_head) * a->kv_rows; // first key row of this kv head
    int64_t mo = b * a->mask_stride[0] + h * a->mask_stride[1] + t * a->mask_stride[2];
    int64_t n_keys = a->n_keys;
    if (a->causal) {
        int64_t last = t + a->offset; // the last key this query may see
        if (last + 1 < n_keys) n_keys = last < 0 ? 0 : last + 1;
    }
    bool f32 = a->out->dtype == SY_DTYPE_F32;
    int64_t step = f32 ? (a->dv > 0 ? a->dv : 1) : ACC_BLOCK;
    float block[ACC_BLOCK]; // non-f32 accumulator for output columns d0 .. d0 + nd

    for (int64_t d0 = 0; d0 < a->dv; d0 += step) {
        int64_t nd = a->dv - d0 < step ? a->dv - d0 : step;
        float *acc = f32 ? (float *)a->out->data + oo + d0 : block;
        memset(acc, 0, (size_t)nd * sizeof(float));
        // Invariant: acc = sum_j exp(s_j - mx) * v_j and sum = sum_j exp(s_j - mx) over keys seen.
        float mx = -INFINITY, sum = 0.0f;
        for (int64_t j = 0; j < n_keys; j++) {
            float s;
            if (!score(a, qo, key0 + j, mo + j * a->mask_stride[3], &s)) continue;
            if (s > mx) { // rescale what was accumulated against the old maximum
                float c = expf(mx - s);
                sum *= c;
                for (int64_t i = 0; i < nd; i++) acc[i] *= c;
                mx = s;
            }
            float p = expf(s - mx);
            sum += p;
            sy_axpy_f(acc, p, a->v, (key0 + j) * a->dv + d0, nd);
        }
        // Every key masked: sum == 0 and the row stays zero (never NaN).
        float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
        for (int64_t i = 0; i < nd; i++) acc[i] *= inv;
        if (!f32)
            for (int64_t i = 0; i < nd; i++) sy_store_f_inline(a->out, oo + d0 + i, acc[i]);
    }
}

static void attend(const attn_job *a) {
    for (int64_t b = 0; b < a->n_batch; b++)
        for (int64_t h = 0; h < a->n_qheads; h++)
            for (int64_t t = 0; t < a->n_queries; t++) attend_row(a, b, h, t);
}

// Fills the job from q (B, Hq, Tq, D), k (B, Hkv, rows, D) and v (B, Hkv, rows, Dv); all rows
// are keys, not causal, no mask (callers adjust).
static void job_init(attn_job *a, const sy_tensor *q, const sy_tensor *k, const sy_tensor *v,
                     sy_tensor *out, float scale) {
    memset(a, 0, sizeof *a);
    a->q = q;
    a->k = k;
    a->v = v;
    a->out = out;
    a->n_batch = q->dims[0];
    a->n_qheads = q->dims[1];
    a->n_queries = q->dims[2];
    a->d = q->dims[3];
    a->n_kvheads = k->dims[1];
    a->kv_rows = k->dims[2];
    a->n_keys = k->dims[2];
    a->dv = v->dims[3];
    a->scale = scale != 0.0f ? scale : 1.0f / sqrtf((float)a->d);
}

sy_status sy_portable_SDPA(const sy_node_info *node, const sy_tensor *inputs,
                           sy_tensor *outputs) {
    attn_job a;
    job_init(&a, &inputs[0], &inputs[1], &inputs[2], &outputs[0],
             sy_node_attr_float(node, "scale", 0.0f));
    a.causal = sy_node_attr_int(node, "causal", 0) == 1;
    a.offset = a.n_keys - a.n_queries; // bottom-right aligned
    if (node->n_inputs > 3 && inputs[3].data) {
        a.mask = &inputs[3];
        sy_broadcast_strides(a.mask, 4, a.mask_stride); // against (B, Hq, Tq, Tk)
    }
    attend(&a);
    return SY_OK;
}

sy_status sy_portable_SDPA_WITH_KV_CACHE(const sy_node_info *node, const sy_tensor *inputs,
                                         sy_tensor *outputs) {
    const sy_tensor *q = &inputs[0], *k = &inputs[1], *v = &inputs[2];
    const sy_tensor *k_cache = &inputs[3], *v_cache = &inputs[4];
    int64_t n_new = q->dims[2], start = get_start(&inputs[5]);
    write_rows(k_cache, k, start);
    write_rows(v_cache, v, start);

    // Causal attention over cache rows [0, start + T): query t sits at absolute row start + t.
    attn_job a;
    job_init(&a, q, k_cache, v_cache, &outputs[0], sy_node_attr_float(node, "scale", 0.0f));
    a.n_keys = start + n_new;
    a.causal = true;
    a.offset = start;
    attend(&a);
    return SY_OK;
}
