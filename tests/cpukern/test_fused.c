// The fused decode helpers: RMSNorm → q8 blocks, gate/up GEMV + SiLU·mul, and linear on
// pre-quantised activations, each against the unfused kernels and a double reference.

#include <stdlib.h>

#include "harness.h"
#include "tests/cpukern/ck_ref.h"

static void test_rmsnorm_quantize(void) {
    const int64_t k = 576;
    float x[576], wt[576], y[576];
    sy_cpukern_q8x xq[18], xq_ref[18];
    for (int i = 0; i < k; i++) x[i] = ck_uniform(-3.0f, 3.0f), wt[i] = ck_uniform(0.5f, 1.5f);
    CHECK_OK(sy_cpukern_rmsnorm_quantize(x, wt, k, 1e-5f, y, xq));
    double ss = 0;
    for (int i = 0; i < k; i++) ss += (double)x[i] * x[i];
    double r = 1.0 / sqrt(ss / k + 1e-5);
    int bad = 0;
    for (int i = 0; i < k; i++) bad += !(fabs(y[i] - x[i] * r * wt[i]) <= 1e-6 * (1.0 + fabs(x[i] * r * wt[i])));
    CHECK_MSG(bad == 0, "%d normalised values off the double reference", bad);
    // the blocks are the q8 quantisation of the f32 output, on every ISA
    for (int isa = SY_CPU_ISA_SCALAR; isa <= (int)sy_cpu_isa_detect(); isa++) {
        CHECK_OK(sy_cpukern_quantize_q8(y, 1, k, xq_ref, (sy_cpu_isa)isa));
        CHECK_MSG(!memcmp(xq, xq_ref, sizeof xq), "%s quantiser differs from the fused one",
                  sy_cpu_isa_name((sy_cpu_isa)isa));
    }
    // spot-check the quantiser itself against its definition
    float amax = 0;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(y[j]));
    CHECK_NEAR(xq[0].d, amax / 127.0f, 0);
    int32_t sum = 0;
    for (int j = 0; j < 32; j++) {
        CHECK(abs(xq[0].q[j]) <= 127);
        CHECK(fabsf(y[j] - xq[0].q[j] * xq[0].d) <= 0.5001f * xq[0].d);
        sum += xq[0].q[j];
    }
    CHECK(sum == xq[0].sum);
    CHECK_FAILS(sy_cpukern_rmsnorm_quantize(x, wt, 40, 1e-5f, NULL, xq), SY_ERR_SHAPE, "row length 40");
    CHECK_OK(sy_cpukern_rmsnorm_quantize(x, wt, 40, 1e-5f, y, NULL)); // f32 only: any length
}

static void test_gate_up(void) {
    const int64_t n = 200, k = 576;
    pthreadpool_t p2 = pthreadpool_create(2);
    sy_cpukern_pool *k2 = NULL;
    CHECK_OK(sy_cpukern_pool_create(2, 50, &k2));
    for (int isa = SY_CPU_ISA_SCALAR; isa <= (int)sy_cpu_isa_detect(); isa++)
        for (int dt = 0; dt < SY_CPUKERN_DTYPE_COUNT; dt++) {
            size_t row = sy_cpukern_row_bytes((sy_cpukern_dtype)dt, k);
            uint8_t *wg = calloc((size_t)n, row), *wu = calloc((size_t)n, row);
            float *wf = malloc(sizeof(float) * n * k), x[576], g[200], u[200], h1[200], h2[200], h3[200];
            sy_cpukern_q8x xq[18];
            ck_random_weights((sy_cpukern_dtype)dt, n, k, wg, wf);
            ck_random_weights((sy_cpukern_dtype)dt, n, k, wu, wf);
            for (int i = 0; i < k; i++) x[i] = ck_uniform(-1.0f, 1.0f);
            int block = dt >= SY_CPUKERN_Q8_0;
            if (block) CHECK_OK(sy_cpukern_quantize_q8(x, 1, k, xq, (sy_cpu_isa)isa));
            sy_cpukern_linear_args a = {.dtype = (sy_cpukern_dtype)dt, .m = 1, .n = n, .k = k, .x = x, .w = wg,
                                        .y = g, .isa = (sy_cpu_isa)isa, .xq = block ? xq : NULL};
            CHECK_OK(sy_cpukern_linear(&a, NULL));
            a.w = wu, a.y = u;
            CHECK_OK(sy_cpukern_linear(&a, NULL));
            sy_cpukern_gate_up_args f = {.dtype = (sy_cpukern_dtype)dt, .n = n, .k = k, .x = x, .xq = block ? xq : NULL,
                                         .w_gate = wg, .w_up = wu, .h = h1, .isa = (sy_cpu_isa)isa, .name = "ffn"};
            CHECK_OK(sy_cpukern_gate_up_silu(&f, NULL));
            f.h = h2, f.pool_flags = PTHREADPOOL_FLAG_YIELD_WORKERS;
            CHECK_OK(sy_cpukern_gate_up_silu(&f, p2));
            f.h = h3, f.kpool = k2;
            CHECK_OK(sy_cpukern_gate_up_silu(&f, NULL));
            int bad = 0;
            for (int i = 0; i < n; i++) {
                double want = (double)g[i] / (1.0 + exp(-(double)g[i])) * u[i];
                bad += !(fabs(h1[i] - want) <= 1e-6 * (1.0 + fabs(want)));
            }
            CHECK_MSG(bad == 0, "%s %s: %d fused outputs differ from silu(gate)*up",
                      sy_cpu_isa_name((sy_cpu_isa)isa), sy_cpukern_dtype_name((sy_cpukern_dtype)dt), bad);
            CHECK_MSG(!memcmp(h1, h2, sizeof h1) && !memcmp(h1, h3, sizeof h1), "%s %s: 1 and 2 threads differ", sy_cpu_isa_name((sy_cpu_isa)isa),
                      sy_cpukern_dtype_name((sy_cpukern_dtype)dt));
            free(wg), free(wu), free(wf);
        }
    pthreadpool_destroy(p2);
    sy_cpukern_pool_destroy(k2);
    float h[4], x[64] = {0};
    uint8_t w[256] = {0};
    sy_cpukern_gate_up_args f = {.dtype = SY_CPUKERN_Q4_1, .n = 2, .k = 64, .x = x, .w_gate = w, .w_up = w,
                                 .h = h, .name = "blk.3.ffn_gate.weight"};
    CHECK_FAILS(sy_cpukern_gate_up_silu(&f, NULL), SY_ERR_INVALID_ARGUMENT, "quantised activations");
    f.k = 48;
    CHECK_FAILS(sy_cpukern_gate_up_silu(&f, NULL), SY_ERR_SHAPE, "'blk.3.ffn_gate.weight' [2, 48] is q4_1");
}

// linear on activations quantised by the caller = linear quantising them itself.
static void test_prequantised(void) {
    const int64_t m = 5, n = 37, k = 256;
    for (int dt = SY_CPUKERN_Q8_0; dt < SY_CPUKERN_DTYPE_COUNT; dt++) {
        uint8_t *w = calloc((size_t)n, sy_cpukern_row_bytes((sy_cpukern_dtype)dt, k));
        float *wf = malloc(sizeof(float) * n * k), x[5 * 256], y1[5 * 37], y2[5 * 37];
        sy_cpukern_q8x xq[5 * 8], scratch[5 * 8];
        ck_random_weights((sy_cpukern_dtype)dt, n, k, w, wf);
        for (int i = 0; i < m * k; i++) x[i] = ck_uniform(-1.0f, 1.0f);
        sy_cpukern_linear_args a = {.dtype = (sy_cpukern_dtype)dt, .m = m, .n = n, .k = k, .x = x, .w = w, .y = y1,
                                    .scratch = scratch};
        CHECK_OK(sy_cpukern_linear(&a, NULL));
        CHECK_OK(sy_cpukern_quantize_q8(x, m, k, xq, SY_CPU_ISA_AUTO));
        a.x = NULL, a.scratch = NULL, a.xq = xq, a.y = y2;
        CHECK_OK(sy_cpukern_linear(&a, NULL));
        CHECK_MSG(!memcmp(y1, y2, sizeof y1), "%s: pre-quantised activations give other results",
                  sy_cpukern_dtype_name((sy_cpukern_dtype)dt));
        free(w), free(wf);
    }
}

int main(void) {
    RUN(test_rmsnorm_quantize);
    RUN(test_gate_up);
    RUN(test_prequantised);
    return TEST_SUMMARY();
}
