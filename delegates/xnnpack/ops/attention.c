// sdpa_with_kv_cache as one fused C kernel: write the new K/V rows into the caches, then attend
// over the cache with an online (flash-style) softmax, so neither memory nor the number of
// passes grows with the cache length. XNNPACK has no node for this (the 2024 API's attention
// helpers want other layouts and no cache), so it runs here, on the backend's thread pool.
//
// Work split: one item = (batch, kv head, block of query tokens) and every query head of that
// kv head's group, so each K/V block is loaded once for G = q_heads / kv_heads heads; when that
// gives too few items for the threads (decode with few kv heads), one item = one query head.
// Each query row is always computed by the same sequence of operations, whatever the split, so
// results do not depend on the thread count.
//
// Inner loops are plain C shaped for the auto-vectoriser (compiled with -O3): fixed 8-lane
// partial sums for dot products, a branch-free polynomial exp over a block of scores, and
// multi-row axpy updates of the output accumulator, which lives in the output row itself.

#include <math.h>
#include <string.h>

#include "delegates/xnnpack/internal.h"
#include "delegates/xnnpack/kernels/cpukern.h"

#define KEY_BLOCK 64   // keys scored per step; the scores stay in a stack tile
#define QUERY_BLOCK 16 // query tokens per work item

// AVX2 clones of the hot loops where the toolchain can dispatch at load time (GNU ifunc);
// elsewhere the baseline build is used.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SY_XNN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SY_XNN_CLONES
#endif

static inline float dot8(const float *a, const float *b, int64_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
    }
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

// exp(x) for a block, x <= 0 (scores minus their running max). Cephes-style: x = k ln2 + r,
// |r| <= ln2/2, a degree-6 polynomial for exp(r), 2^k built in the exponent bits. Relative
// error ~1e-7; inputs below -87 flush to ~1e-38 instead of denormals.
static inline void exp_block(float *x, int64_t n) {
    float kf[KEY_BLOCK];
    int32_t bits[KEY_BLOCK];
    float scale[KEY_BLOCK];
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] < -87.0f ? -87.0f : x[i];
        // round-to-nearest by adding and removing 1.5 * 2^23
        float k = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
        float r = v - k * 0.693359375f;
        r = r - k * -2.12194440e-4f;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        x[i] = p * r * r + r + 1.0f;
        kf[i] = k;
    }
    for (int64_t i = 0; i < n; i++) bits[i] = ((int32_t)kf[i] + 127) * (1 << 23);
    memcpy(scale, bits, (size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] *= scale[i];
}

// o += sum_j p[j] * v[j], four value rows per pass so each output element is loaded once per 4.
static inline void axpy_rows(float *o, const float *p, const float *v, int64_t n, int64_t d) {
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *v0 = v + j * d, *v1 = v0 + d, *v2 = v1 + d, *v3 = v2 + d;
        const float p0 = p[j], p1 = p[j + 1], p2 = p[j + 2], p3 = p[j + 3];
        for (int64_t i = 0; i < d; i++) o[i] += (p0 * v0[i] + p1 * v1[i]) + (p2 * v2[i] + p3 * v3[i]);
    }
    for (; j < n; j++) {
        const float *vj = v + j * d;
        const float pj = p[j];
        for (int64_t i = 0; i < d; i++) o[i] += pj * vj[i];
    }
}

// Query heads [h0, h0 + nh) (all in one kv group) x query tokens [t0, t1) of batch b.
SY_XNN_CLONES
static void attend(const sy_xnn_attention *a, int64_t b, int64_t h0, int64_t nh, int64_t t0,
                   int64_t t1) {
    const int64_t d = a->head_dim, s_len = a->cache_len, t_len = a->tokens;
    const int64_t group = a->q_heads / a->kv_heads;
    const int64_t kvh = h0 / group;
    const float *k = a->k_cache + (b * a->kv_heads + kvh) * s_len * d; // (cache_len, head_dim)
    const float *v = a->v_cache + (b * a->kv_heads + kvh) * s_len * d; // (cache_len, head_dim)
    float s[KEY_BLOCK]; // scores of one query row against one key block

    for (int64_t h = h0; h < h0 + nh; h++) {
        for (int64_t t = t0; t < t1; t++) {
            const int64_t row = (b * a->q_heads + h) * t_len + t;
            memset(a->out + row * d, 0, (size_t)d * sizeof(float));
            a->stats[2 * row] = -INFINITY;
            a->stats[2 * row + 1] = 0.0f;
        }
    }
    const int64_t key_end = a->start + t1; // the last row of the block sees keys [0, key_end)
    for (int64_t j0 = 0; j0 < key_end; j0 += KEY_BLOCK) {
        const int64_t jb = key_end - j0 < KEY_BLOCK ? key_end - j0 : KEY_BLOCK;
        for (int64_t h = h0; h < h0 + nh; h++) {
            for (int64_t t = t0; t < t1; t++) {
                const int64_t visible = a->start + t + 1 - j0; // causal: keys j <= start + t
                if (visible <= 0) continue;
                const int64_t n = visible < jb ? visible : jb;
                const int64_t row = (b * a->q_heads + h) * t_len + t;
                const float *q = a->q + row * d;
                float *o = a->out + row * d;
                float *st = a->stats + 2 * row;

                float mx = -INFINITY;
                for (int64_t j = 0; j < n; j++) {
                    s[j] = dot8(q, k + (j0 + j) * d, d) * a->scale;
                    mx = s[j] > mx ? s[j] : mx;
                }
                const float m_old = st[0];
                const float m_new = mx > m_old ? mx : m_old;
                if (m_new > m_old && m_old != -INFINITY) {
                    // rescale what was accumulated under the old maximum
                    const float corr = expf(m_old - m_new);
                    st[1] *= corr;
                    for (int64_t i = 0; i < d; i++) o[i] *= corr;
                }
                for (int64_t j = 0; j < n; j++) s[j] -= m_new;
                exp_block(s, n);
                float sum = 0.0f;
                for (int64_t j = 0; j < n; j++) sum += s[j];
                st[1] += sum;
                st[0] = m_new;
                axpy_rows(o, s, v + j0 * d, n, d);
            }
        }
    }
    for (int64_t h = h0; h < h0 + nh; h++) {
        for (int64_t t = t0; t < t1; t++) {
            const int64_t row = (b * a->q_heads + h) * t_len + t;
            const float inv = 1.0f / a->stats[2 * row + 1]; // >= 1: the maximum term is exp(0)
            float *o = a->out + row * d;
            for (int64_t i = 0; i < d; i++) o[i] *= inv;
        }
    }
}

static void task_group(void *ctx, size_t b, size_t kvh, size_t blk) {
    const sy_xnn_attention *a = ctx;
    const int64_t group = a->q_heads / a->kv_heads;
    const int64_t t0 = (int64_t)blk * QUERY_BLOCK;
    const int64_t t1 = t0 + QUERY_BLOCK < a->tokens ? t0 + QUERY_BLOCK : a->tokens;
    attend(a, (int64_t)b, (int64_t)kvh * group, group, t0, t1);
}

static void task_head(void *ctx, size_t b, size_t h, size_t blk) {
    const sy_xnn_attention *a = ctx;
    const int64_t t0 = (int64_t)blk * QUERY_BLOCK;
    const int64_t t1 = t0 + QUERY_BLOCK < a->tokens ? t0 + QUERY_BLOCK : a->tokens;
    attend(a, (int64_t)b, (int64_t)h, 1, t0, t1);
}

// The same work items as task_group / task_head, numbered flat for the kernel pool.
typedef struct flat_job {
    const sy_xnn_attention *a;
    int grouped;          // task_group's items (one KV head's query group), else task_head's
    size_t heads, blocks; // items per batch row: heads × query blocks
} flat_job;

static void task_flat(void *ctx, size_t i) {
    const flat_job *j = ctx;
    (j->grouped ? task_group : task_head)((void *)j->a, i / (j->heads * j->blocks), i / j->blocks % j->heads,
                                          i % j->blocks);
}

size_t sy_xnn_attention_scratch_bytes(int64_t batch, int64_t q_heads, int64_t tokens) {
    return (size_t)(batch * q_heads * tokens) * 2 * sizeof(float);
}

void sy_xnn_attention_run(const sy_xnn_attention *a, pthreadpool_t pool, size_t threads) {
    const int64_t d = a->head_dim;
    const size_t rows_bytes = (size_t)(a->tokens * d) * sizeof(float);
    for (int64_t bh = 0; bh < a->batch * a->kv_heads; bh++) {
        const int64_t dst = (bh * a->cache_len + a->start) * d;
        memcpy(a->k_cache + dst, a->k_new + bh * a->tokens * d, rows_bytes);
        memcpy(a->v_cache + dst, a->v_new + bh * a->tokens * d, rows_bytes);
    }
    if (a->tokens == 0) return;
    const size_t blocks = (size_t)((a->tokens + QUERY_BLOCK - 1) / QUERY_BLOCK);
    const size_t grouped = (size_t)(a->batch * a->kv_heads) * blocks;
    if (a->kpool) threads = sy_cpukern_pool_threads(a->kpool);
    const int g = a->q_heads == a->kv_heads || grouped >= 2 * threads; // one item per KV head group
    const size_t heads = (size_t)(g ? a->kv_heads : a->q_heads);
    if (a->kpool) {
        flat_job j = {a, g, heads, blocks};
        sy_cpukern_pool_parallelize(a->kpool, task_flat, &j, (size_t)a->batch * heads * blocks);
    } else {
        pthreadpool_parallelize_3d(pool, g ? task_group : task_head, (void *)a, (size_t)a->batch, heads, blocks,
                                   a->pool_flags);
    }
}

// --- the sdpa_with_kv_cache node ---

int sy_xnn_supports_sdpa_kv(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                         size_t reason_size) {
    for (uint32_t i = 0; i < 5; i++) {
        const sy_value_info *v = sy_xnn_input_info(graph, node, i);
        if (!v) return sy_xnn_refuse(reason, reason_size, "sdpa_with_kv_cache input %u is absent", i);
        if (v->dtype != SY_DTYPE_F32) {
            return sy_xnn_refuse(reason, reason_size, "dtype %s not supported (sdpa_with_kv_cache needs f32)",
                              v->dtype == SY_DTYPE_F16 ? "f16" : v->dtype == SY_DTYPE_BF16 ? "bf16" : "non-float");
        }
        if (v->rank != 4) return sy_xnn_refuse(reason, reason_size, "sdpa_with_kv_cache input %u must be 4-D", i);
    }
    const sy_value_info *pos = sy_xnn_input_info(graph, node, 5);
    if (!pos || (pos->dtype != SY_DTYPE_I32 && pos->dtype != SY_DTYPE_I64))
        return sy_xnn_refuse(reason, reason_size, "sdpa_with_kv_cache start_pos must be i32 or i64");
    const sy_value_info *q = sy_xnn_input_info(graph, node, 0), *kc = sy_xnn_input_info(graph, node, 3);
    if (kc->dims[1] <= 0 || q->dims[1] % kc->dims[1] != 0)
        return sy_xnn_refuse(reason, reason_size, "query heads %lld are not a multiple of kv heads %lld",
                          (long long)q->dims[1], (long long)kc->dims[1]);
    if (node->n_outputs != 1 || graph->values[node->outputs[0]].dtype != SY_DTYPE_F32)
        return sy_xnn_refuse(reason, reason_size, "sdpa_with_kv_cache output must be f32");
    return 1;
}

size_t sy_xnn_scratch_sdpa_kv(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *q = &graph->values[node->inputs[0]]; // dims hold the bounds
    return sy_xnn_attention_scratch_bytes(q->dims[0], q->dims[1], q->dims[2]);
}

sy_status sy_xnn_run_sdpa_kv(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *q = &ctx->in[0], *k = &ctx->in[1], *v = &ctx->in[2];
    const sy_tensor *kc = &ctx->in[3], *vc = &ctx->in[4];
    const int64_t tokens = q->dims[2];
    const int64_t start = sy_xnn_read_start(&ctx->in[5]); // checked by the op's data check
    // The shape rule has checked these; a mismatch here would be a host bug, and writing
    // through it would corrupt memory, so it is checked again (cheap, once per call).
    const int64_t d = q->dims[3];
    if (k->dims[2] != tokens || v->dims[2] != tokens || k->dims[3] != d || v->dims[3] != d ||
        kc->dims[3] != d || vc->dims[3] != d || vc->dims[2] != kc->dims[2] ||
        k->dims[1] != kc->dims[1] || v->dims[1] != kc->dims[1] || q->dims[1] % kc->dims[1] != 0) {
        return sy_xnn_error(ctx->be, SY_ERR_SHAPE,
                         "node #%u '%s' (sdpa_with_kv_cache): inconsistent q/k/v/cache shapes",
                         ctx->node_id, ctx->node->name ? ctx->node->name : "");
    }
    const float scale_attr = sy_node_attr_float(ctx->node, "scale", 0.0f);
    sy_xnn_attention a = {
        .batch = q->dims[0],
        .q_heads = q->dims[1],
        .kv_heads = kc->dims[1],
        .tokens = tokens,
        .cache_len = kc->dims[2],
        .head_dim = d,
        .start = start,
        .scale = scale_attr != 0.0f ? scale_attr : 1.0f / sqrtf((float)d),
        .q = q->data,
        .k_new = k->data,
        .v_new = v->data,
        .k_cache = kc->data,
        .v_cache = vc->data,
        .out = ctx->out[0].data,
        .stats = ctx->scratch,
        .pool_flags = ctx->be->pool_flags,
        .kpool = ctx->be->kpool, // NULL: pthreadpool (option kernel_pool=0)
    };
    // Little work (a decode step over a short cache: under 1M multiply-adds) runs on the caller:
    // pthreadpool's wait for every worker to check in costs more than that on a loaded machine.
    const int64_t work = a.batch * a.q_heads * a.tokens * (a.start + a.tokens) * a.head_dim;
    const int inline_run = work < (INT64_C(1) << 20);
    if (inline_run) a.kpool = NULL;
    sy_xnn_attention_run(&a, inline_run ? NULL : ctx->be->pool, inline_run ? 1 : ctx->be->threads);
    return SY_OK;
}
