// (a) A stack of MLP blocks (linear 576->1536, silu, linear 1536->576, residual add) at T = 1
// (decode) and T = 64 (prefill chunk): the XNNPACK delegate against the portable reference in
// the same run. Prints ms per execute and the speed-up, and the xnnpack runtime's first execute
// at each T: T = 1 is a shape it has not seen (compile prepared the bound, 64), so that call
// includes what a new shape costs the delegate (a shape plan; weights were packed at compile).

#include "bench_common.h"

#define LAYERS 4

// ms per execute at T (after warm-up); *first_ms (optional) = the first of those executes.
static double time_execute(sy_runtime *rt, int64_t t, double budget_ms, int min_iters, double *first_ms) {
    float *x = malloc(sizeof(float) * (size_t)(t * MLP_DIM));
    unsigned seed = 3;
    for (int64_t i = 0; i < t * MLP_DIM; i++) x[i] = bench_rand(&seed);
    sy_tensor tx = {.data = x, .dtype = SY_DTYPE_F32, .rank = 3, .dims = {1, t, MLP_DIM}};
    bench_check(sy_runtime_set_input(rt, "x", &tx), "set_input");
    const double f0 = bench_now_ms();
    bench_check(sy_runtime_execute(rt), "execute (warm-up)");
    if (first_ms) *first_ms = bench_now_ms() - f0;
    bench_check(sy_runtime_execute(rt), "execute (warm-up)");
    int iters = 0;
    const double t0 = bench_now_ms();
    double now = t0;
    while (iters < min_iters || now - t0 < budget_ms) {
        bench_check(sy_runtime_execute(rt), "execute");
        iters++;
        now = bench_now_ms();
    }
    free(x);
    return (now - t0) / iters;
}

int main(int argc, char **argv) {
    const char *threads = argc > 1 ? argv[1] : "0";
    sy_program *p = bench_mlp_program(LAYERS, 64, NULL);
    sy_runtime *portable = bench_runtime(p, "portable", NULL);
    sy_runtime *xnn = bench_runtime(p, "xnnpack", threads);
    printf("MLP stack: %d x (linear %d->%d, silu, linear %d->%d, add), f32, xnnpack threads=%s\n", LAYERS,
           MLP_DIM, MLP_HIDDEN, MLP_HIDDEN, MLP_DIM, threads);
    printf("%-6s %14s %14s %10s %14s %16s\n", "T", "portable ms", "xnnpack ms", "speed-up", "xnnpack GFLOP/s",
           "xnnpack 1st ms");
    const int64_t ts[2] = {1, 64};
    for (int i = 0; i < 2; i++) {
        double first_x = 0.0;
        const double ms_p = time_execute(portable, ts[i], 400.0, 3, NULL);
        const double ms_x = time_execute(xnn, ts[i], 400.0, 10, &first_x);
        const double flops = 2.0 * 2.0 * MLP_DIM * MLP_HIDDEN * (double)ts[i] * LAYERS;
        printf("%-6lld %14.3f %14.3f %9.1fx %14.1f %16.3f\n", (long long)ts[i], ms_p, ms_x, ms_p / ms_x,
               flops / (ms_x * 1e6), first_x);
    }
    sy_runtime_destroy(portable);
    sy_runtime_destroy(xnn);
    sy_program_destroy(p);
    return 0;
}
