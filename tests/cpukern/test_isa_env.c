// SWITCHYARD_CPU_ISA forces a lower instruction set for SY_CPU_ISA_AUTO (how a CPU without AVX2
// is tested on one that has it); an unknown or too-high value falls back to the detected one.

#include <stdlib.h>

#include "harness.h"
#include "tests/cpukern/ck_ref.h"

int main(void) {
    setenv("SWITCHYARD_CPU_ISA", "scalar", 1); // before the first use: the choice is read once
    CHECK(sy_cpu_isa_active() == SY_CPU_ISA_SCALAR);
    printf("detected %s, active %s\n", sy_cpu_isa_name(sy_cpu_isa_detect()), sy_cpu_isa_name(sy_cpu_isa_active()));
    // AUTO now runs the scalar kernels: same bytes as asking for scalar explicitly
    const int64_t m = 3, n = 40, k = 128;
    for (int dt = 0; dt < SY_CPUKERN_DTYPE_COUNT; dt++) {
        uint8_t *w = calloc((size_t)n, sy_cpukern_row_bytes((sy_cpukern_dtype)dt, k));
        float *wf = malloc(sizeof(float) * n * k), x[3 * 128], y1[3 * 40], y2[3 * 40];
        sy_cpukern_q8x scratch[3 * 4];
        ck_random_weights((sy_cpukern_dtype)dt, n, k, w, wf);
        for (int i = 0; i < m * k; i++) x[i] = ck_uniform(-1.0f, 1.0f);
        sy_cpukern_linear_args a = {.dtype = (sy_cpukern_dtype)dt, .m = m, .n = n, .k = k, .x = x, .w = w, .y = y1,
                                    .scratch = scratch, .isa = SY_CPU_ISA_AUTO};
        CHECK_OK(sy_cpukern_linear(&a, NULL));
        a.isa = SY_CPU_ISA_SCALAR, a.y = y2;
        CHECK_OK(sy_cpukern_linear(&a, NULL));
        CHECK_MSG(!memcmp(y1, y2, sizeof y1), "%s: AUTO under SWITCHYARD_CPU_ISA=scalar is not the scalar path",
                  sy_cpukern_dtype_name((sy_cpukern_dtype)dt));
        free(w), free(wf);
    }
    return TEST_SUMMARY();
}
