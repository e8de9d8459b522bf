// AVX-512 F/BW/VL kernels for f32 and f16 weights: 16-wide FMAs, 32 registers, so GEMM tiles
// are 4 × 4 and GEMV takes 8 weight rows at a time. Block dtypes use the AVX2 or VNNI kernels.

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include "delegates/xnnpack/kernels/cpukern_internal.h"

static inline __m512 load_w(const uint8_t *row, int f16, int64_t i, __mmask16 mask) {
    if (f16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, row + 2 * i));
    return _mm512_maskz_loadu_ps(mask, row + 4 * i);
}

static inline __attribute__((always_inline)) void fk_micro(const sy_ck_problem *p, int f16, int64_t m, int mr,
                                                           int64_t n, int nr) {
    __m512 acc[4][8];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps();
    const uint8_t *wr[8];
    for (int j = 0; j < nr; j++) wr[j] = p->w + (size_t)(n + j) * p->w_row;
    const float *xr[4];
    for (int i = 0; i < mr; i++) xr[i] = p->x + (m + i) * p->k;
    for (int64_t kk = 0; kk < p->k; kk += 16) {
        __mmask16 mask = p->k - kk >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (p->k - kk)) - 1u);
        __m512 wv[8];
        for (int j = 0; j < nr; j++) wv[j] = load_w(wr[j], f16, kk, mask);
        for (int i = 0; i < mr; i++) {
            __m512 xv = _mm512_maskz_loadu_ps(mask, xr[i] + kk);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = _mm512_reduce_add_ps(acc[i][j]);
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

#define FK_CASE(f16, MR_, NR_)                                                                     \
    case (MR_)*16 + (NR_): fk_micro(p, f16, m, MR_, n, NR_); break;

#define FK_TILE_FN(name, f16)                                                                      \
    static void name(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {     \
        const int NR = m1 - m0 == 1 ? 8 : 4;                                                       \
        for (int64_t n = n0; n < n1; n += NR) {                                                    \
            int nr = (int)(n1 - n < NR ? n1 - n : NR);                                             \
            for (int64_t m = m0; m < m1; m += 4) {                                                 \
                int mr = (int)(m1 - m < 4 ? m1 - m : 4);                                           \
                switch (mr * 16 + nr) {                                                            \
                    FK_CASE(f16, 1, 1) FK_CASE(f16, 1, 2) FK_CASE(f16, 1, 3) FK_CASE(f16, 1, 4)    \
                    FK_CASE(f16, 1, 5) FK_CASE(f16, 1, 6) FK_CASE(f16, 1, 7) FK_CASE(f16, 1, 8)    \
                    FK_CASE(f16, 2, 1) FK_CASE(f16, 2, 2) FK_CASE(f16, 2, 3) FK_CASE(f16, 2, 4)    \
                    FK_CASE(f16, 3, 1) FK_CASE(f16, 3, 2) FK_CASE(f16, 3, 3) FK_CASE(f16, 3, 4)    \
                    FK_CASE(f16, 4, 1) FK_CASE(f16, 4, 2) FK_CASE(f16, 4, 3) FK_CASE(f16, 4, 4)    \
                default: break;                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

FK_TILE_FN(tile_f32, 0)
FK_TILE_FN(tile_f16, 1)

const sy_ck_isa_kernels sy_ck_avx512_kernels = {
    .tile = {tile_f32, tile_f16, NULL, NULL, NULL},
    .quantize = NULL,
};

#endif
