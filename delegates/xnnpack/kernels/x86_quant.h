#pragma once

// Block-dtype tile kernels for x86, written once and compiled per ISA (avx2.c, avx512vnni.c):
// the including file defines
//   QK_MR, QK_NR            the micro-tile (activation rows × weight rows; accumulators = MR·NR)
//   QK_DOT(acc, u, s)       acc (8 × i32) + the 4-byte-group dot products of u (32 × u8) and
//                           s (32 × i8): maddubs+madd+add on AVX2, vpdpbusd on VNNI
// Every output element is one 8-lane f32 accumulator updated once per block in block order, then
// summed by hsum8, whatever micro-tile it falls in: results do not depend on the split.
//
// Integer contract per block (exact): q8_0 dot(|w|, sign(x, w)); q4_0 dot(nibbles, x) - 8·Σx,
// with the correction folded into the accumulator's start value (8 lanes × -Σx); q4_1
// dot(nibbles, x), plus m·d_x·Σx accumulated in f32 alongside.

#include <immintrin.h>
#include <string.h>

#include "delegates/xnnpack/kernels/cpukern_internal.h"

static inline float qk_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline float qk_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256i qk_nibbles(const uint8_t *qs) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)qs);
    __m128i m = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m), _mm_and_si128(v, m));
}

// One (mr × nr) micro-tile of a block dtype at activation row m, weight row n.
// kind: 0 q8_0, 1 q4_0, 2 q4_1 (a constant after inlining).
static inline __attribute__((always_inline)) void qk_micro(const sy_ck_problem *p, int kind, int64_t m, int mr,
                                                           int64_t n, int nr) {
    const int64_t nb = p->k / SY_CPUKERN_BLOCK;
    const size_t bb = kind == 0 ? 34 : kind == 1 ? 18 : 20, qoff = kind == 2 ? 4 : 2;
    __m256 acc[QK_MR][QK_NR];
    float corr[QK_MR][QK_NR];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            acc[i][j] = _mm256_setzero_ps();
            corr[i][j] = 0.0f;
        }
    const sy_cpukern_q8x *xb[QK_MR];
    for (int i = 0; i < mr; i++) xb[i] = p->xq + (m + i) * nb;
    const uint8_t *wr[QK_NR];
    for (int j = 0; j < nr; j++) wr[j] = p->w + (size_t)(n + j) * p->w_row;
    const uint8_t *tile_end = p->w + (size_t)(n + nr) * p->w_row;
    for (int64_t b = 0; b < nb; b++) {
        sy_ck_prefetch_step(tile_end, (size_t)nr * bb, b);
        __m256i u[QK_NR], sgn[QK_NR];
        float dw[QK_NR], mw[QK_NR];
        for (int j = 0; j < nr; j++) {
            const uint8_t *blk = wr[j] + (size_t)b * bb;
            dw[j] = qk_f16(blk);
            mw[j] = kind == 2 ? qk_f16(blk + 2) : 0.0f;
            if (kind == 0) {
                sgn[j] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2));
                u[j] = _mm256_sign_epi8(sgn[j], sgn[j]);
            } else {
                sgn[j] = _mm256_setzero_si256();
                u[j] = qk_nibbles(blk + qoff);
            }
        }
        for (int i = 0; i < mr; i++) {
            const sy_cpukern_q8x *xi = &xb[i][b];
            __m256i xv = _mm256_loadu_si256((const __m256i *)(const void *)xi->q);
            __m256i init = kind == 1 ? _mm256_set1_epi32(-xi->sum) : _mm256_setzero_si256();
            float dx = xi->d, sx = kind == 2 ? xi->d * (float)xi->sum : 0.0f;
            for (int j = 0; j < nr; j++) {
                __m256i s8 = kind == 0 ? _mm256_sign_epi8(xv, sgn[j]) : xv;
                __m256i dot;
                QK_DOT(dot, init, u[j], s8);
                acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw[j] * dx), acc[i][j]);
                if (kind == 2) corr[i][j] += mw[j] * sx;
            }
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = qk_hsum8(acc[i][j]) + corr[i][j];
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

// Constant-argument instantiations, so each (mr, nr) compiles to straight-line code. QK_MICRO is
// the micro-kernel the tile functions call (qk_micro unless the including file says otherwise).
#ifndef QK_MICRO
#define QK_MICRO qk_micro
#endif
#define QK_CASE(kind, MR_, NR_)                                                                    \
    case (MR_)*8 + (NR_): QK_MICRO(p, kind, m, MR_, n, NR_); break;

#define QK_TILE_FN(name, kind)                                                                     \
    static void name(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {     \
        for (int64_t n = n0; n < n1; n += QK_NR) {                                                 \
            int nr = (int)(n1 - n < QK_NR ? n1 - n : QK_NR);                                       \
            for (int64_t m = m0; m < m1; m += QK_MR) {                                             \
                int mr = (int)(m1 - m < QK_MR ? m1 - m : QK_MR);                                   \
                switch (mr * 8 + nr) {                                                             \
                    QK_CASES(kind)                                                                 \
                default: break;                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

// q8 quantisation of one row, 32 at a time: same rounding as the scalar path (x · 127/amax,
// round to nearest even), so every ISA quantises identically.
static void qk_quantize_row(const float *x, int64_t k, sy_cpukern_q8x *xq) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < k / SY_CPUKERN_BLOCK; b++) {
        const float *xb = x + b * SY_CPUKERN_BLOCK;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8), v2 = _mm256_loadu_ps(xb + 16),
               v3 = _mm256_loadu_ps(xb + 24);
        __m256 a = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        __m256 vid = _mm256_set1_ps(id);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, vid)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, vid)),
                i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, vid)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, vid));
        __m256i s = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        // packs work per 128-bit lane: (i0 i1) -> 16-bit [i0lo i1lo | i0hi i1hi]; then bytes, then
        // restore element order with a dword permute.
        __m256i p16a = _mm256_packs_epi32(i0, i1), p16b = _mm256_packs_epi32(i2, i3);
        __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(void *)xq[b].q, p8);
        xq[b].d = amax / 127.0f;
        xq[b].sum = _mm_cvtsi128_si32(s4);
    }
}
