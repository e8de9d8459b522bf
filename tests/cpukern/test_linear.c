// The CPU linear kernels (delegates/xnnpack/kernels): every dtype × every ISA this machine runs
// (scalar always) × GEMV and GEMM with odd shapes, against a double-precision product of the
// independently dequantised weights (block dtypes in both activation modes: q8, and exact f32
// with the f32 rounding bound only); 1 vs 2 threads bitwise identical; bad shapes refused.

#include <stdlib.h>

#include "harness.h"
#include "tests/cpukern/ck_ref.h"

typedef struct shape {
    int64_t m, n, k;
} shape;

// Packs w for the packed variant (sy_cpukern_pack); returns the buffer to free, or NULL.
static void *pack_for(sy_cpukern_dtype dt, shape s, const void *w) {
    void *packed = malloc(sy_cpukern_packed_bytes(dt, s.n, s.k));
    if (packed && sy_cpukern_pack(dt, s.n, s.k, w, packed, "test.weight", NULL) != SY_OK) {
        CHECK_MSG(0, "pack: %s", sy_last_error());
        free(packed);
        return NULL;
    }
    return packed;
}

static int run_case(sy_cpukern_dtype dt, sy_cpu_isa isa, shape s, int with_bias, int exact, int packed,
                    pthreadpool_t pool) {
    size_t row = sy_cpukern_row_bytes(dt, s.k);
    uint8_t *w = calloc((size_t)s.n, row);
    float *wf = malloc(sizeof(float) * (size_t)(s.n * s.k)), *x = malloc(sizeof(float) * (size_t)(s.m * s.k));
    float *y = malloc(sizeof(float) * (size_t)(s.m * s.n)), *bias = malloc(sizeof(float) * (size_t)s.n);
    double *ref = malloc(sizeof(double) * (size_t)(s.m * s.n)), *tol = malloc(sizeof(double) * (size_t)(s.m * s.n));
    double *refq = malloc(sizeof(double) * (size_t)(s.m * s.n)), *tolq = malloc(sizeof(double) * (size_t)(s.m * s.n));
    int block = dt >= SY_CPUKERN_Q8_0;
    size_t sb = sy_cpukern_linear_scratch_bytes(dt, s.m, s.k);
    void *scratch = sb ? malloc(sb) : NULL;
    ck_random_weights(dt, s.n, s.k, w, wf);
    for (int64_t i = 0; i < s.m * s.k; i++) x[i] = ck_uniform(-2.0f, 2.0f);
    for (int64_t i = 0; i < s.n; i++) bias[i] = ck_uniform(-1.0f, 1.0f);
    ck_reference(dt, s.m, s.n, s.k, x, wf, with_bias ? bias : NULL, ref, tol, block ? refq : NULL,
                 block ? tolq : NULL);
    void *wp = packed ? pack_for(dt, s, w) : NULL;
    sy_cpukern_linear_args a = {.dtype = dt, .m = s.m, .n = s.n, .k = s.k, .x = x, .w = wp ? wp : (void *)w,
                                .bias = with_bias ? bias : NULL, .y = y, .scratch = scratch, .isa = isa,
                                .name = "test.weight", .exact = exact, .packed = packed};
    int bad = 0;
    sy_status st = sy_cpukern_linear(&a, pool);
    free(wp);
    CHECK_MSG(st == SY_OK, "%s", sy_last_error());
    const char *mode = block ? (exact ? " exact" : packed ? " packed" : " q8") : "";
    for (int64_t i = 0; st == SY_OK && i < s.m * s.n && bad < 3; i++) {
        const double bound = block && exact ? tolq[i] : tol[i]; // exact: f32 rounding only
        if (!(fabs(y[i] - ref[i]) <= bound)) {
            bad++;
            CHECK_MSG(0, "%s%s %s m=%lld n=%lld k=%lld: y[%lld,%lld] = %.8g, reference %.8g (bound %.3g)",
                      sy_cpukern_dtype_name(dt), mode, sy_cpu_isa_name(isa), (long long)s.m, (long long)s.n,
                      (long long)s.k, (long long)(i / s.n), (long long)(i % s.n), y[i], ref[i], bound);
        }
        if (block && !exact && !(fabs(y[i] - refq[i]) <= tolq[i])) {
            bad++;
            CHECK_MSG(0, "%s%s %s m=%lld n=%lld k=%lld: y[%lld,%lld] = %.8g, with q8 activations %.8g (bound %.3g)",
                      sy_cpukern_dtype_name(dt), mode, sy_cpu_isa_name(isa), (long long)s.m, (long long)s.n,
                      (long long)s.k, (long long)(i / s.n), (long long)(i % s.n), y[i], refq[i], tolq[i]);
        }
    }
    free(w), free(wf), free(x), free(y), free(bias), free(ref), free(tol), free(refq), free(tolq), free(scratch);
    return bad;
}

static const shape shapes_block[] = {
    {1, 1, 32},   {1, 3, 64},    {1, 33, 96},   {1, 67, 576},   {1, 9, 4128}, {2, 5, 32},   {3, 7, 160},
    {4, 8, 64},   {5, 3, 256},   {7, 13, 576},  {8, 17, 96},    {13, 2, 128}, {16, 35, 64}, {17, 19, 1536},
    {17, 33, 32}, {6, 1, 4096},  {1, 130, 4096},
    // the AVX-512 VNNI GEMM: panels of fewer rows (k 4128), none (k > 16384: the tiles), and
    // several 128-row tasks
    {9, 11, 4128}, {8, 3, 16416}, {130, 40, 64},
};
static const shape shapes_float[] = {
    {1, 1, 1},  {1, 5, 7},   {1, 33, 19},  {1, 67, 576}, {1, 9, 4100}, {2, 3, 8},    {3, 9, 17},
    {4, 4, 16}, {5, 10, 33}, {7, 13, 100}, {16, 5, 64},  {17, 19, 577}, {9, 1, 4096}, {1, 131, 31},
};

static void test_all_paths(void) {
    sy_cpu_isa best = sy_cpu_isa_detect();
    printf("this CPU runs up to %s\n", sy_cpu_isa_name(best));
    for (int isa = SY_CPU_ISA_SCALAR; isa <= (int)best; isa++) {
        for (int dt = 0; dt < SY_CPUKERN_DTYPE_COUNT; dt++) {
            const shape *sh = dt >= SY_CPUKERN_Q8_0 ? shapes_block : shapes_float;
            size_t n = dt >= SY_CPUKERN_Q8_0 ? sizeof shapes_block / sizeof *sh : sizeof shapes_float / sizeof *sh;
            // mode 0: q8 activations, 1: exact, 2: q8 on packed weights (where the ISA has them)
            for (int mode = 0; mode <= (dt >= SY_CPUKERN_Q8_0 ? 2 : 0); mode++) {
                if (mode == 2 && !sy_cpukern_packed_supported((sy_cpukern_dtype)dt, (sy_cpu_isa)isa)) continue;
                int bad = 0;
                for (size_t i = 0; i < n; i++)
                    bad += run_case((sy_cpukern_dtype)dt, (sy_cpu_isa)isa, sh[i], (int)(i & 1), mode == 1, mode == 2,
                                    NULL);
                printf("  %-10s %-5s%s %zu shapes: %s\n", sy_cpu_isa_name((sy_cpu_isa)isa),
                       sy_cpukern_dtype_name((sy_cpukern_dtype)dt), mode == 1 ? " exact" : mode == 2 ? " packed" : "", n,
                       bad ? "FAILED" : "ok");
            }
        }
    }
}

// Variants: every dtype with the default activations (v < SY_CPUKERN_DTYPE_COUNT), then the
// block dtypes in exact mode, then the block dtypes packed (sy_cpukern_pack, q8 activations).
#define N_VARIANTS (SY_CPUKERN_DTYPE_COUNT + 6)
static int variant_dtype(int v) { return v < SY_CPUKERN_DTYPE_COUNT ? v : v < SY_CPUKERN_DTYPE_COUNT + 3 ? v - 3 : v - 6; }
static int variant_exact(int v) { return v >= SY_CPUKERN_DTYPE_COUNT && v < SY_CPUKERN_DTYPE_COUNT + 3; }
static int variant_packed(int v) { return v >= SY_CPUKERN_DTYPE_COUNT + 3; }

// Same inputs through NULL (caller thread), a 1-thread and a 2-thread pool: identical bytes.
static void test_threads_identical(void) {
    pthreadpool_t p1 = pthreadpool_create(1), p2 = pthreadpool_create(2);
    CHECK(p1 && p2);
    sy_cpukern_pool *k2 = NULL, *k3 = NULL;
    CHECK_OK(sy_cpukern_pool_create(2, 50, &k2));
    CHECK_OK(sy_cpukern_pool_create(3, 0, &k3)); // workers sleep at once: every job wakes them
    const shape cases[] = {{1, 1000, 576}, {17, 200, 576}, {128, 70, 192}};
    for (int isa = SY_CPU_ISA_SCALAR; isa <= (int)sy_cpu_isa_detect(); isa++)
        for (int v = 0; v < N_VARIANTS; v++)
            for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
                const int dt = variant_dtype(v), exact = variant_exact(v), packed = variant_packed(v);
                if (packed && !sy_cpukern_packed_supported((sy_cpukern_dtype)dt, (sy_cpu_isa)isa)) continue;
                shape s = cases[c];
                size_t row = sy_cpukern_row_bytes((sy_cpukern_dtype)dt, s.k);
                uint8_t *w = calloc((size_t)s.n, row);
                float *wf = malloc(sizeof(float) * (size_t)(s.n * s.k)), *x = malloc(sizeof(float) * (size_t)(s.m * s.k));
                float *y[5];
                for (int t = 0; t < 5; t++) y[t] = malloc(sizeof(float) * (size_t)(s.m * s.n));
                void *scratch = malloc(sy_cpukern_linear_scratch_bytes((sy_cpukern_dtype)dt, s.m, s.k) + 1);
                ck_random_weights((sy_cpukern_dtype)dt, s.n, s.k, w, wf);
                void *wp = packed ? pack_for((sy_cpukern_dtype)dt, s, w) : NULL;
                for (int64_t i = 0; i < s.m * s.k; i++) x[i] = ck_uniform(-1.0f, 1.0f);
                pthreadpool_t pools[5] = {NULL, p1, p2, NULL, NULL};
                sy_cpukern_pool *kpools[5] = {NULL, NULL, NULL, k2, k3};
                for (int t = 0; t < 5; t++) {
                    sy_cpukern_linear_args a = {.dtype = (sy_cpukern_dtype)dt, .m = s.m, .n = s.n, .k = s.k, .x = x,
                                                .w = wp ? wp : (void *)w, .y = y[t], .scratch = scratch,
                                                .isa = (sy_cpu_isa)isa,
                                                .pool_flags = t == 2 ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0,
                                                .kpool = kpools[t], .exact = exact, .packed = packed};
                    CHECK_OK(sy_cpukern_linear(&a, pools[t]));
                }
                int same = 1;
                for (int t = 1; t < 5; t++) same &= !memcmp(y[0], y[t], sizeof(float) * (size_t)(s.m * s.n));
                CHECK_MSG(same,
                          "%s %s%s m=%lld: results differ between thread counts", sy_cpu_isa_name((sy_cpu_isa)isa),
                          sy_cpukern_dtype_name((sy_cpukern_dtype)dt), exact ? " exact" : packed ? " packed" : "",
                          (long long)s.m);
                free(w), free(wf), free(x), free(scratch), free(wp);
                for (int t = 0; t < 5; t++) free(y[t]);
            }
    pthreadpool_destroy(p1);
    pthreadpool_destroy(p2);
    sy_cpukern_pool_destroy(k2);
    sy_cpukern_pool_destroy(k3);
}

// A GEMM row equals the GEMV of that row (same per-element operation sequence) on every ISA,
// except the AVX-512 VNNI GEMM against q8 activations: its interleaved panels accumulate each
// block's integer sum in one f32 chain, the GEMV in 8 lanes (both checked against the
// reference in test_all_paths).
static void test_gemm_rows_match_gemv(void) {
    for (int isa = SY_CPU_ISA_SCALAR; isa <= (int)sy_cpu_isa_detect(); isa++)
    for (int v = 0; v < N_VARIANTS; v++) {
        const int dt = variant_dtype(v), exact = variant_exact(v), packed = variant_packed(v);
        if (dt >= SY_CPUKERN_Q8_0 && !exact && !packed && isa >= SY_CPU_ISA_AVX512VNNI) continue;
        if (packed && !sy_cpukern_packed_supported((sy_cpukern_dtype)dt, (sy_cpu_isa)isa)) continue;
        const int64_t m = 9, n = 21, k = 320;
        uint8_t *w = calloc((size_t)n, sy_cpukern_row_bytes((sy_cpukern_dtype)dt, k));
        float *wf = malloc(sizeof(float) * n * k), *x = malloc(sizeof(float) * m * k);
        float *y = malloc(sizeof(float) * m * n), y1[21];
        void *scratch = malloc(sy_cpukern_linear_scratch_bytes((sy_cpukern_dtype)dt, m, k) + 1);
        ck_random_weights((sy_cpukern_dtype)dt, n, k, w, wf);
        void *wp = packed ? pack_for((sy_cpukern_dtype)dt, (shape){m, n, k}, w) : NULL;
        for (int64_t i = 0; i < m * k; i++) x[i] = ck_uniform(-1.0f, 1.0f);
        sy_cpukern_linear_args a = {.dtype = (sy_cpukern_dtype)dt, .m = m, .n = n, .k = k, .x = x,
                                    .w = wp ? wp : (void *)w, .y = y, .scratch = scratch, .isa = (sy_cpu_isa)isa,
                                    .exact = exact, .packed = packed};
        CHECK_OK(sy_cpukern_linear(&a, NULL));
        for (int64_t r = 0; r < m; r++) {
            sy_cpukern_linear_args g = a;
            g.m = 1, g.x = x + r * k, g.y = y1;
            CHECK_OK(sy_cpukern_linear(&g, NULL));
            CHECK_MSG(!memcmp(y1, y + r * n, sizeof y1), "%s %s%s: GEMM row %lld differs from its GEMV",
                      sy_cpu_isa_name((sy_cpu_isa)isa), sy_cpukern_dtype_name((sy_cpukern_dtype)dt),
                      exact ? " exact" : packed ? " packed" : "", (long long)r);
        }
        free(w), free(wf), free(x), free(y), free(scratch), free(wp);
    }
}

// Packing on the kernel pool writes the same bytes as on the caller (every dtype, a short group).
static void test_pack_on_pool(void) {
    sy_cpukern_pool *kp = NULL;
    CHECK_OK(sy_cpukern_pool_create(2, 50, &kp));
    for (int dt = SY_CPUKERN_Q8_0; dt < SY_CPUKERN_DTYPE_COUNT; dt++) {
        const int64_t n = 37, k = 96;
        uint8_t *w = calloc((size_t)n, sy_cpukern_row_bytes((sy_cpukern_dtype)dt, k));
        float *wf = malloc(sizeof(float) * n * k);
        const size_t bytes = sy_cpukern_packed_bytes((sy_cpukern_dtype)dt, n, k);
        uint8_t *a = malloc(bytes), *b = malloc(bytes);
        memset(a, 0xAA, bytes), memset(b, 0x55, bytes); // every byte must be written
        ck_random_weights((sy_cpukern_dtype)dt, n, k, w, wf);
        CHECK_OK(sy_cpukern_pack((sy_cpukern_dtype)dt, n, k, w, a, "w", NULL));
        CHECK_OK(sy_cpukern_pack((sy_cpukern_dtype)dt, n, k, w, b, "w", kp));
        CHECK_MSG(!memcmp(a, b, bytes), "%s: packing on the pool differs", sy_cpukern_dtype_name((sy_cpukern_dtype)dt));
        free(w), free(wf), free(a), free(b);
    }
    sy_cpukern_pool_destroy(kp);
}

static void test_bad_input(void) {
    float x[64] = {0}, y[4];
    uint8_t w[256] = {0};
    sy_cpukern_q8x scratch[4];
    sy_cpukern_linear_args a = {.dtype = SY_CPUKERN_Q4_0, .m = 1, .n = 2, .k = 33, .x = x, .w = w, .y = y,
                                .scratch = scratch, .name = "blk.0.ffn_down.weight"};
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_SHAPE, "'blk.0.ffn_down.weight' [2, 33] is q4_0");
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_SHAPE, "not a multiple of the block size 32");
    CHECK_FAILS(sy_cpukern_weight_check(SY_CPUKERN_Q8_0, 7, 48, "tok_embd"), SY_ERR_SHAPE, "'tok_embd' [7, 48]");
    CHECK_OK(sy_cpukern_weight_check(SY_CPUKERN_F32, 7, 33, "f32 rows may be any length"));
    CHECK_FAILS(sy_cpukern_weight_check(SY_CPUKERN_F16, 0, 8, "empty"), SY_ERR_SHAPE, "'empty': shape [0, 8]");
    a.k = 32;
    a.scratch = NULL;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_INVALID_ARGUMENT, "needs 40 scratch bytes");
    a.scratch = scratch;
    a.x = NULL;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_INVALID_ARGUMENT, "NULL x, w or y");
    a.x = x;
    a.m = 0;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_SHAPE, "0 activation rows");
    a.m = 1;
    a.isa = (sy_cpu_isa)SY_CPU_ISA_COUNT;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_INVALID_ARGUMENT, "invalid CPU instruction set");
    CHECK_FAILS(sy_cpukern_linear(NULL, NULL), SY_ERR_INVALID_ARGUMENT, "NULL arguments");
    a.isa = SY_CPU_ISA_AUTO;
    a.packed = 1;
    a.exact = 1;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_INVALID_ARGUMENT, "packed weights need a block dtype and q8");
    a.exact = 0;
    a.isa = SY_CPU_ISA_AVX2;
    CHECK_FAILS(sy_cpukern_linear(&a, NULL), SY_ERR_UNAVAILABLE, "no avx2 kernel for packed q4_0 weights");
    a.isa = SY_CPU_ISA_AUTO;
    a.packed = 0;
    CHECK_FAILS(sy_cpukern_pack(SY_CPUKERN_F16, 2, 32, w, scratch, "blk.0.attn_q.weight", NULL), SY_ERR_DTYPE,
                "'blk.0.attn_q.weight': only block dtypes have a packed layout, not f16");
    CHECK_FAILS(sy_cpukern_pack(SY_CPUKERN_Q8_0, 2, 40, w, scratch, "odd", NULL), SY_ERR_SHAPE, "not a multiple");
    CHECK(sy_cpukern_packed_bytes(SY_CPUKERN_Q4_0, 17, 64) == 2 * 2 * 288); // 17 rows: two groups
    CHECK(!sy_cpukern_packed_supported(SY_CPUKERN_Q4_0, SY_CPU_ISA_SCALAR));
    CHECK_FAILS(sy_cpukern_quantize_q8(x, 1, 40, scratch, SY_CPU_ISA_AUTO), SY_ERR_SHAPE, "multiple of 32");
    sy_cpu_isa isa = SY_CPU_ISA_AUTO;
    CHECK_FAILS(sy_cpu_isa_parse("sse9", &isa), SY_ERR_INVALID_ARGUMENT, "unknown CPU instruction set 'sse9'");
    CHECK(isa == SY_CPU_ISA_AUTO);
    CHECK_OK(sy_cpu_isa_parse("avx512vnni", &isa));
    CHECK(isa == SY_CPU_ISA_AVX512VNNI);
    if (sy_cpu_isa_detect() < SY_CPU_ISA_AVX512VNNI)
        CHECK_FAILS(sy_cpu_isa_check(SY_CPU_ISA_AVX512VNNI), SY_ERR_UNAVAILABLE, "not available here");
}

int main(void) {
    RUN(test_all_paths);
    RUN(test_threads_identical);
    RUN(test_gemm_rows_match_gemv);
    RUN(test_pack_on_pool);
    RUN(test_bad_input);
    return TEST_SUMMARY();
}
