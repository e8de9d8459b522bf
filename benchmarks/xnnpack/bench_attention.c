// (c) sdpa_with_kv_cache: the XNNPACK delegate's fused kernel against the portable kernel, at
// cache lengths 128, 512 and 2048 (8 query heads, 2 kv heads, head dim 64, cache 2048): one
// decode token at position L-1, and a 64-token chunk ending at L.

#include "bench_common.h"

#define HQ 8
#define HKV 2
#define D 64
#define S 2048
#define TMAX 64

static sy_program *build(void) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, q, k, v, kc, vc, pos, y;
    bench_check(sy_graph_create(&g), "graph");
    bench_check(sy_graph_add_symbol(g, "T", TMAX, &t), "symbol");
    sy_value_desc dq = {.name = "q", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 4, .dims = {1, HQ, TMAX, D},
                        .sym = {-1, -1, (int32_t)t, -1, -1, -1}};
    sy_value_desc dk = dq, dv = dq, dc = dq, dvc, dp;
    dk.name = "k", dk.dims[1] = HKV;
    dv.name = "v", dv.dims[1] = HKV;
    dc.name = "k_cache", dc.role = SY_ROLE_STATE, dc.dims[1] = HKV, dc.dims[2] = S, dc.sym[2] = -1;
    dvc = dc, dvc.name = "v_cache";
    dp = (sy_value_desc){.name = "pos", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 1, .dims = {1},
                         .sym = {-1, -1, -1, -1, -1, -1}};
    bench_check(sy_graph_add_value(g, &dq, &q), "q");
    bench_check(sy_graph_add_value(g, &dk, &k), "k");
    bench_check(sy_graph_add_value(g, &dv, &v), "v");
    bench_check(sy_graph_add_value(g, &dc, &kc), "kc");
    bench_check(sy_graph_add_value(g, &dvc, &vc), "vc");
    bench_check(sy_graph_add_value(g, &dp, &pos), "pos");
    const uint32_t in[6] = {q, k, v, kc, vc, pos};
    bench_check(sy_graph_add_op(g, "attn", SY_OP_SDPA_WITH_KV_CACHE, in, 6, NULL, 0, &y), "sdpa");
    bench_check(sy_graph_set_output(g, y, "y"), "output");
    bench_check(sy_program_from_graph(g, &p), "program");
    sy_graph_destroy(g);
    return p;
}

static float g_q[HQ * TMAX * D], g_k[HKV * TMAX * D], g_v[HKV * TMAX * D];

static double time_call(sy_runtime *rt, int64_t tokens, int64_t start, double budget_ms) {
    sy_tensor tq = {.data = g_q, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HQ, tokens, D}};
    sy_tensor tk = {.data = g_k, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, tokens, D}};
    sy_tensor tv = {.data = g_v, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, tokens, D}};
    sy_tensor tp = {.data = &start, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {1}};
    bench_check(sy_runtime_set_input(rt, "q", &tq), "q");
    bench_check(sy_runtime_set_input(rt, "k", &tk), "k");
    bench_check(sy_runtime_set_input(rt, "v", &tv), "v");
    bench_check(sy_runtime_set_input(rt, "pos", &tp), "pos");
    bench_check(sy_runtime_execute(rt), "warm-up");
    int iters = 0;
    const double t0 = bench_now_ms();
    double now = t0;
    while (iters < 5 || now - t0 < budget_ms) {
        bench_check(sy_runtime_execute(rt), "execute");
        iters++;
        now = bench_now_ms();
    }
    return (now - t0) / iters;
}

int main(int argc, char **argv) {
    const char *threads = argc > 1 ? argv[1] : "0";
    unsigned seed = 5;
    for (int i = 0; i < HQ * TMAX * D; i++) g_q[i] = bench_rand(&seed);
    for (int i = 0; i < HKV * TMAX * D; i++) g_k[i] = bench_rand(&seed), g_v[i] = bench_rand(&seed);
    sy_program *p = build();
    sy_runtime *portable = bench_runtime(p, "portable", NULL), *xnn = bench_runtime(p, "xnnpack", threads);
    // fill both caches with the same rows (a 64-token chunk written at every offset)
    for (int64_t s = 0; s < S; s += TMAX) {
        time_call(portable, TMAX, s, 0);
        time_call(xnn, TMAX, s, 0);
    }
    printf("sdpa_with_kv_cache: %d q heads, %d kv heads, head dim %d, cache %d, xnnpack threads=%s\n", HQ, HKV, D, S,
           threads);
    printf("%-8s %-8s %14s %14s %10s\n", "cache L", "tokens", "portable ms", "xnnpack ms", "speed-up");
    const int64_t lens[3] = {128, 512, 2048};
    for (int i = 0; i < 3; i++) {
        const int64_t toks[2] = {1, TMAX};
        for (int j = 0; j < 2; j++) {
            const int64_t start = lens[i] - toks[j];
            const double ms_p = time_call(portable, toks[j], start, 300.0);
            const double ms_x = time_call(xnn, toks[j], start, 300.0);
            printf("%-8lld %-8lld %14.4f %14.4f %9.1fx\n", (long long)lens[i], (long long)toks[j], ms_p, ms_x, ms_p / ms_x);
        }
    }
    sy_runtime_destroy(portable);
    sy_runtime_destroy(xnn);
    sy_program_destroy(p);
    return 0;
}
