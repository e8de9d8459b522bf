// The XNNPACK delegate's fused attention kernel (sy_xnn_attention_run) against a direct,
// two-pass reference written here: cache writes at start_pos, causal masking with the query
// block at the end of the visible cache, grouped-query heads, several head dims (vectorised
// and tail lanes), cache lengths above the key block, and thread-count independence.

#include <stdlib.h>

#include "harness.h"

#if defined(SY_HAVE_XNNPACK)
#include "delegates/xnnpack/internal.h"
#include "delegates/xnnpack/kernels/cpukern.h"

static float frand(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

// Reference: out[b,h,t] = softmax_j(q . k_j * scale) v_j over j <= start + t, two passes.
static void reference(const sy_xnn_attention *a, const float *kc, const float *vc, float *out) {
    const int64_t d = a->head_dim, g = a->q_heads / a->kv_heads;
    double *p = malloc(sizeof(double) * (size_t)a->cache_len);
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->q_heads; h++)
            for (int64_t t = 0; t < a->tokens; t++) {
                const float *q = a->q + ((b * a->q_heads + h) * a->tokens + t) * d;
                const float *k = kc + (b * a->kv_heads + h / g) * a->cache_len * d;
                const float *v = vc + (b * a->kv_heads + h / g) * a->cache_len * d;
                const int64_t n = a->start + t + 1;
                double mx = -1e300, sum = 0;
                for (int64_t j = 0; j < n; j++) {
                    double s = 0;
                    for (int64_t i = 0; i < d; i++) s += (double)q[i] * k[j * d + i];
                    p[j] = s * a->scale;
                    if (p[j] > mx) mx = p[j];
                }
                for (int64_t j = 0; j < n; j++) sum += (p[j] = exp(p[j] - mx));
                float *o = out + ((b * a->q_heads + h) * a->tokens + t) * d;
                for (int64_t i = 0; i < d; i++) {
                    double acc = 0;
                    for (int64_t j = 0; j < n; j++) acc += p[j] * v[j * d + i];
                    o[i] = (float)(acc / sum);
                }
            }
    free(p);
}

typedef struct attn_case {
    int64_t batch, q_heads, kv_heads, tokens, cache_len, head_dim, start;
} attn_case;

static void run_case(attn_case c, pthreadpool_t pool, size_t threads, sy_cpukern_pool *kpool, float *out_copy) {
    unsigned seed = (unsigned)(c.tokens * 131 + c.start * 7 + c.head_dim);
    const size_t nq = (size_t)(c.batch * c.q_heads * c.tokens * c.head_dim);
    const size_t nkv = (size_t)(c.batch * c.kv_heads * c.tokens * c.head_dim);
    const size_t nc = (size_t)(c.batch * c.kv_heads * c.cache_len * c.head_dim);
    float *q = malloc(nq * 4), *k = malloc(nkv * 4), *v = malloc(nkv * 4), *kc = malloc(nc * 4),
          *vc = malloc(nc * 4), *kc0 = malloc(nc * 4), *vc0 = malloc(nc * 4), *out = malloc(nq * 4),
          *ref = malloc(nq * 4), *stats = malloc(sy_xnn_attention_scratch_bytes(c.batch, c.q_heads, c.tokens));
    for (size_t i = 0; i < nq; i++) q[i] = frand(&seed);
    for (size_t i = 0; i < nkv; i++) k[i] = frand(&seed), v[i] = frand(&seed);
    for (size_t i = 0; i < nc; i++) kc[i] = kc0[i] = frand(&seed), vc[i] = vc0[i] = frand(&seed);
    sy_xnn_attention a = {.batch = c.batch, .q_heads = c.q_heads, .kv_heads = c.kv_heads, .tokens = c.tokens,
                       .cache_len = c.cache_len, .head_dim = c.head_dim, .start = c.start,
                       .scale = 1.0f / sqrtf((float)c.head_dim), .q = q, .k_new = k, .v_new = v,
                       .k_cache = kc, .v_cache = vc, .out = out, .stats = stats, .kpool = kpool};
    sy_xnn_attention_run(&a, pool, threads);
    // the caches: rows [start, start+T) replaced, every other row untouched
    int cache_ok = 1;
    for (int64_t bh = 0; bh < c.batch * c.kv_heads; bh++)
        for (int64_t s = 0; s < c.cache_len; s++)
            for (int64_t i = 0; i < c.head_dim; i++) {
                const size_t at = (size_t)((bh * c.cache_len + s) * c.head_dim + i);
                const int fresh = s >= c.start && s < c.start + c.tokens;
                const size_t src = (size_t)((bh * c.tokens + (s - c.start)) * c.head_dim + i);
                cache_ok &= kc[at] == (fresh ? k[src] : kc0[at]) && vc[at] == (fresh ? v[src] : vc0[at]);
            }
    CHECK_MSG(cache_ok, "cache rows wrong (T=%lld start=%lld)", (long long)c.tokens, (long long)c.start);
    reference(&a, kc, vc, ref);
    CHECK_MSG(sy_test_allclose(out, ref, (long)nq, 2e-5f, 1e-4f, "attention"),
              "B=%lld Hq=%lld Hkv=%lld T=%lld S=%lld D=%lld start=%lld", (long long)c.batch,
              (long long)c.q_heads, (long long)c.kv_heads, (long long)c.tokens, (long long)c.cache_len,
              (long long)c.head_dim, (long long)c.start);
    if (out_copy) memcpy(out_copy, out, nq * 4);
    free(q), free(k), free(v), free(kc), free(vc), free(kc0), free(vc0), free(out), free(ref), free(stats);
}

static void test_against_reference(void) {
    pthreadpool_t pool = pthreadpool_create(2);
    const attn_case cases[] = {
        {1, 4, 2, 5, 16, 8, 0},      // prefill, GQA 2:1
        {1, 4, 2, 1, 16, 8, 5},      // decode after it
        {2, 6, 3, 7, 40, 20, 9},     // batch 2, head dim with a tail (20 = 16 + 4)
        {1, 8, 1, 3, 300, 64, 250},  // MQA, keys span several 64-key blocks
        {1, 2, 2, 40, 200, 32, 150}, // several query blocks, no grouping
        {1, 4, 4, 1, 2048, 64, 2047} // the last row of a long cache
    };
    sy_cpukern_pool *kpool = NULL;
    CHECK_OK(sy_cpukern_pool_create(2, 50, &kpool));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(cases[i], pool, 2, NULL, NULL);
        run_case(cases[i], NULL, 1, kpool, NULL); // the kernels' caller-driven pool
    }
    sy_cpukern_pool_destroy(kpool);
    pthreadpool_destroy(pool);
}

static void test_thread_count_independent(void) {
    const attn_case c = {1, 8, 2, 19, 96, 40, 30};
    const size_t n = (size_t)(c.batch * c.q_heads * c.tokens * c.head_dim);
    float *one = malloc(n * 4), *two = malloc(n * 4), *kp = malloc(n * 4);
    pthreadpool_t pool = pthreadpool_create(2);
    sy_cpukern_pool *kpool = NULL;
    CHECK_OK(sy_cpukern_pool_create(2, 50, &kpool));
    run_case(c, NULL, 1, NULL, one);
    run_case(c, pool, 2, NULL, two);
    run_case(c, NULL, 1, kpool, kp);
    CHECK_MSG(memcmp(one, two, n * 4) == 0, "threads=1 and threads=2 differ");
    CHECK_MSG(memcmp(one, kp, n * 4) == 0, "threads=1 and the 2-thread kernel pool differ");
    sy_cpukern_pool_destroy(kpool);
    pthreadpool_destroy(pool);
    free(one), free(two), free(kp);
}

int main(void) {
    RUN(test_against_reference);
    RUN(test_thread_count_independent);
    return TEST_SUMMARY();
}
#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
