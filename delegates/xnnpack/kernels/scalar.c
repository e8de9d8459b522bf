// Portable C kernels for every weight dtype: the fallback on CPUs without AVX2 (and on other
// architectures), and the path tests force with SWITCHYARD_CPU_ISA=scalar. Block dtypes use the
// same integer-dot contract as the SIMD paths: per block, the int32 sum of weight quants times
// activation quants, scaled once in f32 — or, in exact mode, f32 dot products with the blocks
// dequantised.

#include <math.h>
#include <string.h>

#include "core/half.h"
#include "delegates/xnnpack/kernels/cpukern_internal.h"

void sy_ck_quantize_block_scalar(const float *x, sy_cpukern_q8x *out) {
    float amax = 0.0f;
    for (int j = 0; j < SY_CPUKERN_BLOCK; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f, id = amax > 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < SY_CPUKERN_BLOCK; j++) {
        int32_t q = (int32_t)nearbyintf(x[j] * id);
        out->q[j] = (int8_t)q;
        sum += q;
    }
    out->d = d;
    out->sum = sum;
}

static void quantize_row(const float *x, int64_t k, sy_cpukern_q8x *xq) {
    for (int64_t b = 0; b < k / SY_CPUKERN_BLOCK; b++) sy_ck_quantize_block_scalar(x + b * SY_CPUKERN_BLOCK, &xq[b]);
}

static inline float load_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return sy_f16_to_f32(h);
}

// 8 partial sums, combined pairwise: the same order for every element.
static float dot_f32(const float *x, const float *w, int64_t k) {
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= k; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[i + l] * w[i + l];
    for (int l = 0; i < k; i++, l++) acc[l] += x[i] * w[i];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static float dot_f16(const float *x, const uint8_t *w, int64_t k) {
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= k; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[i + l] * load_f16(w + 2 * (i + l));
    for (int l = 0; i < k; i++, l++) acc[l] += x[i] * load_f16(w + 2 * i);
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static float dot_q8_0(const sy_cpukern_q8x *xq, const uint8_t *w, int64_t nb) {
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++, w += 34) {
        const int8_t *q = (const int8_t *)(w + 2);
        int32_t s = 0;
        for (int j = 0; j < 32; j++) s += (int32_t)q[j] * xq[b].q[j];
        acc += (float)s * (load_f16(w) * xq[b].d);
    }
    return acc;
}

static float dot_q4_0(const sy_cpukern_q8x *xq, const uint8_t *w, int64_t nb) {
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++, w += 18) {
        const uint8_t *q = w + 2;
        int32_t s = 0;
        for (int j = 0; j < 16; j++) s += (int32_t)(q[j] & 15) * xq[b].q[j] + (int32_t)(q[j] >> 4) * xq[b].q[j + 16];
        acc += (float)(s - 8 * xq[b].sum) * (load_f16(w) * xq[b].d);
    }
    return acc;
}

static float dot_q4_1(const sy_cpukern_q8x *xq, const uint8_t *w, int64_t nb) {
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++, w += 20) {
        const uint8_t *q = w + 4;
        int32_t s = 0;
        for (int j = 0; j < 16; j++) s += (int32_t)(q[j] & 15) * xq[b].q[j] + (int32_t)(q[j] >> 4) * xq[b].q[j + 16];
        acc += (float)s * (load_f16(w) * xq[b].d) + load_f16(w + 2) * (xq[b].d * (float)xq[b].sum);
    }
    return acc;
}

// Exact mode: each block dequantised as the portable reference does, then the f32 dot product
// with the same 8 partial sums as dot_f32.
static void dequant_block(sy_cpukern_dtype dtype, const uint8_t *blk, float out[SY_CPUKERN_BLOCK]) {
    const float d = load_f16(blk);
    if (dtype == SY_CPUKERN_Q8_0) {
        for (int j = 0; j < 32; j++) out[j] = (float)(int8_t)blk[2 + j] * d;
        return;
    }
    const int q41 = dtype == SY_CPUKERN_Q4_1;
    const float mn = q41 ? load_f16(blk + 2) : 0.0f;
    const uint8_t *q = blk + (q41 ? 4 : 2);
    for (int j = 0; j < 16; j++) {
        const int lo = q[j] & 15, hi = q[j] >> 4;
        out[j] = q41 ? fmaf((float)lo, d, mn) : (float)(lo - 8) * d;
        out[j + 16] = q41 ? fmaf((float)hi, d, mn) : (float)(hi - 8) * d;
    }
}

static float dot_block_f32x(sy_cpukern_dtype dtype, const float *x, const uint8_t *w, int64_t nb) {
    const size_t bb = sy_cpukern_row_bytes(dtype, SY_CPUKERN_BLOCK);
    float acc[8] = {0}, wf[SY_CPUKERN_BLOCK];
    for (int64_t b = 0; b < nb; b++, w += bb, x += SY_CPUKERN_BLOCK) {
        dequant_block(dtype, w, wf);
        for (int i = 0; i < SY_CPUKERN_BLOCK; i += 8)
            for (int l = 0; l < 8; l++) acc[l] += x[i + l] * wf[i + l];
    }
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

#define SCALAR_TILE(name, expr)                                                                    \
    static void name(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {     \
        const int64_t nb = p->k / SY_CPUKERN_BLOCK;                                                \
        (void)nb;                                                                                  \
        for (int64_t m = m0; m < m1; m++)                                                          \
            for (int64_t n = n0; n < n1; n++) {                                                    \
                const uint8_t *w = p->w + (size_t)n * p->w_row;                                    \
                float v = (expr);                                                                  \
                p->y[m * p->ldy + n] = p->bias ? v + p->bias[n] : v;                               \
            }                                                                                      \
    }

SCALAR_TILE(tile_f32, dot_f32(p->x + m * p->k, (const float *)(const void *)w, p->k))
SCALAR_TILE(tile_f16, dot_f16(p->x + m * p->k, w, p->k))
SCALAR_TILE(tile_q8_0, dot_q8_0(p->xq + m * nb, w, nb))
SCALAR_TILE(tile_q4_0, dot_q4_0(p->xq + m * nb, w, nb))
SCALAR_TILE(tile_q4_1, dot_q4_1(p->xq + m * nb, w, nb))
SCALAR_TILE(tile_q8_0_f32x, dot_block_f32x(SY_CPUKERN_Q8_0, p->x + m * p->k, w, nb))
SCALAR_TILE(tile_q4_0_f32x, dot_block_f32x(SY_CPUKERN_Q4_0, p->x + m * p->k, w, nb))
SCALAR_TILE(tile_q4_1_f32x, dot_block_f32x(SY_CPUKERN_Q4_1, p->x + m * p->k, w, nb))

const sy_ck_isa_kernels sy_ck_scalar_kernels = {
    .tile = {tile_f32, tile_f16, tile_q8_0, tile_q4_0, tile_q4_1},
    .tile_f32x = {tile_f32, tile_f16, tile_q8_0_f32x, tile_q4_0_f32x, tile_q4_1_f32x},
    .quantize = quantize_row,
};
