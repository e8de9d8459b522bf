// AVX2 + FMA + F16C kernels (this file is compiled with those flags; dispatch.c only calls it on
// CPUs that have them). f32/f16: 8-wide FMAs; block dtypes: maddubs integer dot products
// (x86_quant.h) against q8 activations, or f32 FMAs on blocks dequantised in registers against
// f32 activations (exact mode).

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>
#include <string.h>

#include "delegates/xnnpack/kernels/cpukern_internal.h"

#define QK_MR 4
#define QK_NR 2
#define QK_DOT(out, init, u, s)                                                                    \
    (out) = _mm256_add_epi32((init), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1)))
#define QK_CASES(kind)                                                                             \
    QK_CASE(kind, 1, 1) QK_CASE(kind, 1, 2) QK_CASE(kind, 2, 1) QK_CASE(kind, 2, 2)                \
    QK_CASE(kind, 3, 1) QK_CASE(kind, 3, 2) QK_CASE(kind, 4, 1) QK_CASE(kind, 4, 2)
#include "delegates/xnnpack/kernels/x86_quant.h"

QK_TILE_FN(tile_q8_0, 0)
QK_TILE_FN(tile_q4_0, 1)
QK_TILE_FN(tile_q4_1, 2)

// --- f32 / f16: one 8-lane accumulator per output element, masked tail, hsum8 ---

static inline __m256 load_w(const uint8_t *row, int f16, int64_t i) {
    if (f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(row + 2 * i)));
    return _mm256_loadu_ps((const float *)(const void *)(row + 4 * i));
}

static inline __m256 load_w_tail(const uint8_t *row, int f16, int64_t i, int64_t left, __m256i mask) {
    if (f16) {
        uint16_t tmp[8] = {0};
        memcpy(tmp, row + 2 * i, (size_t)left * 2);
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)tmp));
    }
    return _mm256_maskload_ps((const float *)(const void *)(row + 4 * i), mask);
}

static inline __attribute__((always_inline)) void fk_micro(const sy_ck_problem *p, int f16, int64_t m, int mr,
                                                           int64_t n, int nr) {
    __m256 acc[4][4];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    const uint8_t *wr[4];
    for (int j = 0; j < nr; j++) wr[j] = p->w + (size_t)(n + j) * p->w_row;
    const float *xr[4];
    for (int i = 0; i < mr; i++) xr[i] = p->x + (m + i) * p->k;
    int64_t kk = 0;
    const uint8_t *tile_end = p->w + (size_t)(n + nr) * p->w_row;
    const size_t step = (size_t)nr * (f16 ? 16 : 32); // bytes of 8 elements across the rows
    for (; kk + 8 <= p->k; kk += 8) {
        sy_ck_prefetch_step(tile_end, step, kk / 8);
        __m256 wv[4];
        for (int j = 0; j < nr; j++) wv[j] = load_w(wr[j], f16, kk);
        for (int i = 0; i < mr; i++) {
            __m256 xv = _mm256_loadu_ps(xr[i] + kk);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
    if (kk < p->k) {
        int64_t left = p->k - kk;
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 wv[4];
        for (int j = 0; j < nr; j++) wv[j] = load_w_tail(wr[j], f16, kk, left, mask);
        for (int i = 0; i < mr; i++) {
            __m256 xv = _mm256_maskload_ps(xr[i] + kk, mask);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = qk_hsum8(acc[i][j]);
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

// --- block dtypes against f32 activations (exact mode): each block dequantised in registers ---

// The 32 weights of one block as four 8-lane f32 vectors, exactly as the portable reference
// dequantises them (q8_0 q·d; q4_0 (q-8)·d as one FMA of q·d - 8d, whose rounding is the same;
// q4_1 q·d + m as one FMA). kind: 2 q8_0, 3 q4_0, 4 q4_1 (sy_cpukern_dtype values).
static inline __attribute__((always_inline)) void bk_dequant(const uint8_t *blk, int kind, __m256 w[4]) {
    const __m256 d = _mm256_set1_ps(qk_f16(blk));
    if (kind == SY_CPUKERN_Q8_0) {
        for (int s = 0; s < 4; s++) {
            __m128i q = _mm_loadl_epi64((const __m128i *)(const void *)(blk + 2 + 8 * s));
            w[s] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d);
        }
        return;
    }
    const __m256 c = kind == SY_CPUKERN_Q4_1 ? _mm256_set1_ps(qk_f16(blk + 2)) : _mm256_mul_ps(d, _mm256_set1_ps(-8.0f));
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(blk + (kind == SY_CPUKERN_Q4_1 ? 4 : 2)));
    const __m128i lo = _mm_and_si128(v, _mm_set1_epi8(15)), hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(15));
    const __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int s = 0; s < 4; s++) w[s] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(part[s])), d, c);
}

// One (mr × nr) micro-tile of a block dtype with f32 activations; every output element is one
// 8-lane accumulator updated in k order, as in fk_micro, so the split does not change results.
static inline __attribute__((always_inline)) void bk_micro(const sy_ck_problem *p, int kind, int64_t m, int mr,
                                                           int64_t n, int nr) {
    const size_t bb = kind == SY_CPUKERN_Q8_0 ? 34 : kind == SY_CPUKERN_Q4_0 ? 18 : 20;
    __m256 acc[4][4];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    const float *xr[4];
    for (int i = 0; i < mr; i++) xr[i] = p->x + (m + i) * p->k;
    const uint8_t *tile_end = p->w + (size_t)(n + nr) * p->w_row;
    for (int64_t b = 0; b < p->k / SY_CPUKERN_BLOCK; b++) {
        sy_ck_prefetch_step(tile_end, (size_t)nr * bb, b);
        for (int j = 0; j < nr; j++) {
            __m256 w[4];
            bk_dequant(p->w + (size_t)(n + j) * p->w_row + (size_t)b * bb, kind, w);
            for (int i = 0; i < mr; i++) {
                const float *xb = xr[i] + b * SY_CPUKERN_BLOCK;
                for (int s = 0; s < 4; s++) acc[i][j] = _mm256_fmadd_ps(_mm256_loadu_ps(xb + 8 * s), w[s], acc[i][j]);
            }
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = qk_hsum8(acc[i][j]);
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

#define FK_CASE(micro, kind, MR_, NR_)                                                             \
    case (MR_)*8 + (NR_): micro(p, kind, m, MR_, n, NR_); break;

// GEMV rows (mr 1) take 4 weight rows at a time (4 independent FMA chains); GEMM takes 4 × 2.
#define FK_TILE_FN(name, micro, kind)                                                              \
    static void name(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {     \
        const int NR = m1 - m0 == 1 ? 4 : 2;                                                       \
        for (int64_t n = n0; n < n1; n += NR) {                                                    \
            int nr = (int)(n1 - n < NR ? n1 - n : NR);                                             \
            for (int64_t m = m0; m < m1; m += 4) {                                                 \
                int mr = (int)(m1 - m < 4 ? m1 - m : 4);                                           \
                switch (mr * 8 + nr) {                                                             \
                    FK_CASE(micro, kind, 1, 1) FK_CASE(micro, kind, 1, 2) FK_CASE(micro, kind, 1, 3) \
                    FK_CASE(micro, kind, 1, 4) FK_CASE(micro, kind, 2, 1) FK_CASE(micro, kind, 2, 2) \
                    FK_CASE(micro, kind, 3, 1) FK_CASE(micro, kind, 3, 2) FK_CASE(micro, kind, 4, 1) \
                    FK_CASE(micro, kind, 4, 2)                                                     \
                default: break;                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

FK_TILE_FN(tile_f32, fk_micro, 0)
FK_TILE_FN(tile_f16, fk_micro, 1)
FK_TILE_FN(tile_q8_0_f32x, bk_micro, SY_CPUKERN_Q8_0)
FK_TILE_FN(tile_q4_0_f32x, bk_micro, SY_CPUKERN_Q4_0)
FK_TILE_FN(tile_q4_1_f32x, bk_micro, SY_CPUKERN_Q4_1)

const sy_ck_isa_kernels sy_ck_avx2_kernels = {
    .tile = {tile_f32, tile_f16, tile_q8_0, tile_q4_0, tile_q4_1},
    .tile_f32x = {NULL, NULL, tile_q8_0_f32x, tile_q4_0_f32x, tile_q4_1_f32x},
    .quantize = qk_quantize_row,
};

#endif
