// Fused decode-step helpers that save passes over memory: RMSNorm straight into the q8
// activation blocks the next GEMV reads, and the MLP's gate and up GEMVs with SiLU·mul applied
// per tile, so one pool dispatch reads both weights and the intermediates stay on the stack.

#include <math.h>

#include "core/status.h"
#include "delegates/xnnpack/kernels/cpukern_internal.h"

#define GATE_UP_TILE 32 // rows of each weight per task (the two stack tiles hold 2 × 32 floats)

sy_status sy_cpukern_rmsnorm_quantize(const float *x, const float *weight, int64_t k, float eps,
                                      float *y_out, sy_cpukern_q8x *xq_out) {
    SY_CHECK(x && weight, SY_ERR_INVALID_ARGUMENT, "rmsnorm_quantize: NULL x or weight");
    SY_CHECK(k > 0 && (!xq_out || k % SY_CPUKERN_BLOCK == 0), SY_ERR_SHAPE,
             "rmsnorm_quantize: row length %lld must be positive (and a multiple of %d to quantise)",
             (long long)k, SY_CPUKERN_BLOCK);
    double ss = 0.0;
    for (int64_t i = 0; i < k; i++) ss += (double)x[i] * x[i];
    float r = (float)(1.0 / sqrt(ss / (double)k + (double)eps));
    float tmp[SY_CPUKERN_BLOCK];
    for (int64_t b = 0; b * SY_CPUKERN_BLOCK < k; b++) {
        int64_t base = b * SY_CPUKERN_BLOCK, len = k - base < SY_CPUKERN_BLOCK ? k - base : SY_CPUKERN_BLOCK;
        for (int64_t j = 0; j < len; j++) tmp[j] = x[base + j] * r * weight[base + j];
        if (y_out)
            for (int64_t j = 0; j < len; j++) y_out[base + j] = tmp[j];
        if (xq_out) sy_ck_quantize_block_scalar(tmp, &xq_out[b]);
    }
    return SY_OK;
}

typedef struct gate_up_task {
    sy_ck_tile_fn fn;
    sy_ck_problem p; // w and y are set per tile
    const uint8_t *w_gate, *w_up;
    float *h;
    int64_t n;
} gate_up_task;

static void gate_up_tile(void *ctx, size_t n0, size_t nn) {
    const gate_up_task *t = ctx;
    float g[GATE_UP_TILE], u[GATE_UP_TILE];
    sy_ck_problem p = t->p;
    p.w = t->w_gate + n0 * p.w_row;
    p.y = g;
    t->fn(&p, 0, 1, 0, (int64_t)nn);
    p.w = t->w_up + n0 * p.w_row;
    p.y = u;
    t->fn(&p, 0, 1, 0, (int64_t)nn);
    for (size_t i = 0; i < nn; i++) t->h[n0 + i] = sy_ck_silu(g[i]) * u[i];
}

static void gate_up_index(void *ctx, size_t t) {
    const gate_up_task *g = ctx;
    size_t n0 = t * GATE_UP_TILE, nn = (size_t)g->n - n0 < GATE_UP_TILE ? (size_t)g->n - n0 : GATE_UP_TILE;
    gate_up_tile(ctx, n0, nn);
}

sy_status sy_cpukern_gate_up_silu(const sy_cpukern_gate_up_args *a, pthreadpool_t pool) {
    SY_CHECK(a, SY_ERR_INVALID_ARGUMENT, "gate_up_silu: NULL arguments");
    SY_TRY(sy_cpukern_weight_check(a->dtype, a->n, a->k, a->name));
    int block = a->dtype >= SY_CPUKERN_Q8_0;
    SY_CHECK(a->w_gate && a->w_up && a->h && (block ? a->xq != NULL : a->x != NULL), SY_ERR_INVALID_ARGUMENT,
             "gate_up_silu with weight '%s': NULL weight, output or %s", a->name ? a->name : "(unnamed)",
             block ? "quantised activations" : "activations");
    sy_cpu_isa isa = a->isa == SY_CPU_ISA_AUTO ? sy_cpu_isa_active() : a->isa;
    SY_TRY(sy_cpu_isa_check(isa));
    sy_ck_tile_fn tiles[SY_CPUKERN_DTYPE_COUNT];
    sy_ck_quantize_fn quantize;
    sy_ck_kernels_for(isa, 0, tiles, &quantize);
    gate_up_task t = {.fn = tiles[a->dtype], .w_gate = a->w_gate, .w_up = a->w_up, .h = a->h, .n = a->n};
    t.p = (sy_ck_problem){.k = a->k, .x = a->x, .xq = a->xq, .w_row = sy_cpukern_row_bytes(a->dtype, a->k),
                          .bias = NULL, .ldy = a->n};
    if (a->kpool)
        sy_ck_pool_run(a->kpool, gate_up_index, &t, (size_t)((a->n + GATE_UP_TILE - 1) / GATE_UP_TILE));
    else
        pthreadpool_parallelize_1d_tile_1d(pool, gate_up_tile, &t, (size_t)a->n, GATE_UP_TILE, a->pool_flags);
    return SY_OK;
}
