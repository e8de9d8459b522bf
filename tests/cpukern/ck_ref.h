#pragma once

// Shared by the CPU-kernel tests: random weights in every dtype (f16 values built from their bit
// fields, so their f32 value is known without a converter), an independent dequantiser to f32
// and a double-accumulated reference product with its error bound.

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delegates/xnnpack/kernels/cpukern.h"

static uint64_t ck_rng_state = 0x9e3779b97f4a7c15ull;
static inline uint32_t ck_rand(void) {
    ck_rng_state ^= ck_rng_state << 13;
    ck_rng_state ^= ck_rng_state >> 7;
    ck_rng_state ^= ck_rng_state << 17;
    return (uint32_t)(ck_rng_state >> 11);
}
static inline float ck_uniform(float lo, float hi) { return lo + (hi - lo) * (float)(ck_rand() % 1000001u) / 1e6f; }

/// A random f16 with exponent field in [e_lo, e_hi]; *value_out is its exact value.
static inline uint16_t ck_f16(int e_lo, int e_hi, int allow_negative, float *value_out) {
    uint32_t e = (uint32_t)e_lo + ck_rand() % (uint32_t)(e_hi - e_lo + 1), man = ck_rand() % 1024u;
    int neg = allow_negative && (ck_rand() & 1u);
    *value_out = (neg ? -1.0f : 1.0f) * ldexpf(1.0f + (float)man / 1024.0f, (int)e - 15);
    return (uint16_t)((neg ? 0x8000u : 0u) | (e << 10) | man);
}

static inline void ck_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/// Fills w (n rows of sy_cpukern_row_bytes) with random weights and wf (n, k) with their values.
static inline void ck_random_weights(sy_cpukern_dtype dt, int64_t n, int64_t k, uint8_t *w, float *wf) {
    size_t row = sy_cpukern_row_bytes(dt, k);
    for (int64_t r = 0; r < n; r++) {
        uint8_t *wr = w + (size_t)r * row;
        float *fr = wf + r * k;
        if (dt == SY_CPUKERN_F32) {
            for (int64_t i = 0; i < k; i++) fr[i] = ck_uniform(-1.0f, 1.0f);
            memcpy(wr, fr, (size_t)k * 4);
            continue;
        }
        if (dt == SY_CPUKERN_F16) {
            for (int64_t i = 0; i < k; i++) ck_put16(wr + 2 * i, ck_f16(8, 15, 1, &fr[i]));
            continue;
        }
        size_t bb = dt == SY_CPUKERN_Q8_0 ? 34 : dt == SY_CPUKERN_Q4_0 ? 18 : 20;
        for (int64_t b = 0; b < k / 32; b++) {
            uint8_t *blk = wr + (size_t)b * bb;
            float d, mn = 0.0f;
            ck_put16(blk, ck_f16(5, 10, 0, &d));
            if (dt == SY_CPUKERN_Q4_1) ck_put16(blk + 2, ck_f16(5, 10, 1, &mn));
            for (int j = 0; j < 32; j++) {
                float *v = &fr[b * 32 + j];
                if (dt == SY_CPUKERN_Q8_0) {
                    int q = (int)(ck_rand() % 256u) - 128; // -128 included: the kernels must cope
                    blk[2 + j] = (uint8_t)(int8_t)q;
                    *v = (float)q * d;
                } else {
                    uint8_t *qs = blk + (dt == SY_CPUKERN_Q4_1 ? 4 : 2);
                    int q = (int)(ck_rand() % 16u);
                    if (j < 16)
                        qs[j] = (uint8_t)((qs[j] & 0xf0u) | (unsigned)q);
                    else
                        qs[j - 16] = (uint8_t)((qs[j - 16] & 0x0fu) | ((unsigned)q << 4));
                    *v = dt == SY_CPUKERN_Q4_0 ? (float)(q - 8) * d : (float)q * d + mn;
                }
            }
        }
    }
}

/// Reference y (m, n) in double, and per element the error bound of the kernel: f32 rounding
/// over the sum of |w·x| (K-proportional, generous) plus, for block dtypes, the q8 activation
/// rounding: |x - x̂| <= d/2 with d = amax/127 per 32-block. For block dtypes, refq/tolq (may be
/// NULL) are the product with the q8-rounded activations x̂ and its (tight) f32 bound.
static inline void ck_reference(sy_cpukern_dtype dt, int64_t m, int64_t n, int64_t k, const float *x,
                                const float *wf, const float *bias, double *ref, double *tol, double *refq,
                                double *tolq) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = bias ? bias[j] : 0.0, mag = bias ? fabs(bias[j]) : 0.0, qerr = 0.0;
            for (int64_t b = 0; b * 32 < k; b++) {
                double amax = 0.0, wabs = 0.0;
                for (int64_t t = b * 32; t < k && t < b * 32 + 32; t++) {
                    double xv = x[i * k + t], wv = wf[j * k + t];
                    s += xv * wv;
                    mag += fabs(xv * wv);
                    amax = fmax(amax, fabs(xv));
                    wabs += fabs(wv);
                }
                qerr += 0.5001 * (amax / 127.0) * wabs;
            }
            ref[i * n + j] = s;
            if (refq) { // the same product against the activations as q8 blocks (the spec's rounding)
                double sq = bias ? bias[j] : 0.0;
                for (int64_t b = 0; b * 32 < k; b++) {
                    float amax = 0.0f;
                    for (int64_t t = b * 32; t < b * 32 + 32; t++) amax = fmaxf(amax, fabsf(x[i * k + t]));
                    float id = amax > 0.0f ? 127.0f / amax : 0.0f, d = amax / 127.0f;
                    for (int64_t t = b * 32; t < b * 32 + 32; t++)
                        sq += (double)(nearbyintf(x[i * k + t] * id) * d) * wf[j * k + t];
                }
                refq[i * n + j] = sq;
            }
            double ferr = mag * 1.2e-7 * (double)(k / 8 + 16);
            if (dt >= SY_CPUKERN_Q8_0) ferr += 1.2e-7 * 4 * (double)(k / 32 + 8) * (mag + qerr);
            tol[i * n + j] = ferr + (dt >= SY_CPUKERN_Q8_0 ? qerr : 0.0) + 1e-30;
            if (tolq) tolq[i * n + j] = ferr + 1e-30;
        }
}
