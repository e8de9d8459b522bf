#pragma once

// Small helpers shared by the XNNPACK delegate benchmarks: timing, a deterministic RNG, an MLP
// program builder and a runtime maker.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "switchyard/switchyard.h"

static inline double bench_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static inline float bench_rand(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static inline void bench_check(sy_status st, const char *what) {
    if (st != SY_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, sy_status_name(st), sy_last_error());
        exit(1);
    }
}

#define MLP_DIM 576
#define MLP_HIDDEN 1536

/// x [1, T, 576] -> layers x (linear 576->1536, silu, linear 1536->576, add residual) -> y.
/// Weights are deterministic; w_out receives them (layer-major: up [1536,576], down [576,1536])
/// when not NULL so a hand-written XNNPACK graph can use the same numbers.
static inline sy_program *bench_mlp_program(int layers, int64_t max_t, float **w_out) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, x;
    bench_check(sy_graph_create(&g), "sy_graph_create");
    bench_check(sy_graph_add_symbol(g, "T", max_t, &t), "add_symbol");
    sy_value_desc xd = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 3,
                        .dims = {1, max_t, MLP_DIM}, .sym = {-1, (int32_t)t, -1, -1, -1, -1}};
    bench_check(sy_graph_add_value(g, &xd, &x), "add_value");
    const size_t per = (size_t)MLP_DIM * MLP_HIDDEN;
    float *w = malloc(sizeof(float) * per * 2 * (size_t)layers);
    unsigned seed = 1;
    for (size_t i = 0; i < per * 2 * (size_t)layers; i++) w[i] = bench_rand(&seed) * 0.04f;
    uint32_t h = x;
    for (int l = 0; l < layers; l++) {
        char name[32];
        uint32_t up, down, a, b, c, r;
        const int64_t up_dims[2] = {MLP_HIDDEN, MLP_DIM}, down_dims[2] = {MLP_DIM, MLP_HIDDEN};
        snprintf(name, sizeof(name), "blk.%d.up.w", l);
        bench_check(sy_graph_add_constant(g, name, SY_DTYPE_F32, 2, up_dims, w + per * 2 * (size_t)l,
                                          per * sizeof(float), &up), "constant");
        snprintf(name, sizeof(name), "blk.%d.down.w", l);
        bench_check(sy_graph_add_constant(g, name, SY_DTYPE_F32, 2, down_dims, w + per * (2 * (size_t)l + 1),
                                          per * sizeof(float), &down), "constant");
        const uint32_t in1[2] = {h, up};
        snprintf(name, sizeof(name), "blk.%d.ffn_up", l);
        bench_check(sy_graph_add_op(g, name, SY_OP_LINEAR, in1, 2, NULL, 0, &a), "linear");
        snprintf(name, sizeof(name), "blk.%d.act", l);
        bench_check(sy_graph_add_op(g, name, SY_OP_SILU, &a, 1, NULL, 0, &b), "silu");
        const uint32_t in2[2] = {b, down};
        snprintf(name, sizeof(name), "blk.%d.ffn_down", l);
        bench_check(sy_graph_add_op(g, name, SY_OP_LINEAR, in2, 2, NULL, 0, &c), "linear");
        const uint32_t in3[2] = {h, c};
        snprintf(name, sizeof(name), "blk.%d.res", l);
        bench_check(sy_graph_add_op(g, name, SY_OP_ADD, in3, 2, NULL, 0, &r), "add");
        h = r;
    }
    bench_check(sy_graph_set_output(g, h, "y"), "set_output");
    bench_check(sy_program_from_graph(g, &p), "program_from_graph");
    sy_graph_destroy(g);
    if (w_out) *w_out = w;
    else free(w);
    return p;
}

static inline sy_runtime *bench_runtime(const sy_program *p, const char *backends, const char *threads) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    bench_check(sy_config_create(&cfg), "config");
    bench_check(sy_config_set_backends(cfg, backends), "set_backends");
    if (threads) bench_check(sy_config_set_option(cfg, "xnnpack", "threads", threads), "set_option");
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    bench_check(sy_runtime_create(p, cfg, &rt), "runtime_create");
    sy_config_destroy(cfg);
    return rt;
}
