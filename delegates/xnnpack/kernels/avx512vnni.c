// AVX-512 VNNI kernels for block dtypes: one vpdpbusd (256-bit, AVX512VL) per 32-element block
// and activation row, 4 × 4 micro-tiles in the 32 vector registers; in exact mode (f32
// activations) 512-bit FMAs on blocks dequantised through a 16-entry table. f32/f16 use avx2.c.
// (A 512-bit kernel taking two blocks per vpdpbusd was 17-25 % slower on Zen 4, which splits
// 512-bit ops in two: see the git history of x86_quant512.h.)

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>
#include <string.h>

#include "delegates/xnnpack/kernels/cpukern_internal.h"

#define QK_MR 4
#define QK_NR 4
#define QK_DOT(out, init, u, s) (out) = _mm256_dpbusd_epi32((init), (u), (s))
#define QK_CASES(kind)                                                                             \
    QK_CASE(kind, 1, 1) QK_CASE(kind, 1, 2) QK_CASE(kind, 1, 3) QK_CASE(kind, 1, 4)                \
    QK_CASE(kind, 2, 1) QK_CASE(kind, 2, 2) QK_CASE(kind, 2, 3) QK_CASE(kind, 2, 4)                \
    QK_CASE(kind, 3, 1) QK_CASE(kind, 3, 2) QK_CASE(kind, 3, 3) QK_CASE(kind, 3, 4)                \
    QK_CASE(kind, 4, 1) QK_CASE(kind, 4, 2) QK_CASE(kind, 4, 3) QK_CASE(kind, 4, 4)
#include "delegates/xnnpack/kernels/x86_quant.h"

QK_TILE_FN(tile_q8_0, 0)
QK_TILE_FN(tile_q4_0, 1)
QK_TILE_FN(tile_q4_1, 2)

// --- block dtypes against f32 activations (exact mode), 16 lanes ---
//
// Per block, the 16 values a 4-bit quant can take are dequantised once into one register
// (q4_0 (q-8)·d, q4_1 q·d + m: one FMA each) and the 32 weights are looked up with vpermps,
// which reads only the low 4 bits of each index: the zero-extended bytes give the low nibbles
// directly, the bytes shifted right by 4 the high ones. q8_0: sign-extend, convert, scale. Each
// output element is one 16-lane accumulator updated twice per block in k order (elements 0-15,
// then 16-31), whatever micro-tile it falls in.

static inline __attribute__((always_inline)) void bk16_dequant(const uint8_t *blk, int kind, __m512 w[2]) {
    // the block's f16 scale (and q4_1's min right after it) in one 4-byte load and conversion
    uint32_t dm;
    memcpy(&dm, blk, 4);
    const __m512 dmv = _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128((int)dm)));
    const __m512 d = _mm512_permutexvar_ps(_mm512_setzero_si512(), dmv);
    if (kind == SY_CPUKERN_Q8_0) {
        for (int s = 0; s < 2; s++) {
            __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(blk + 2 + 16 * s));
            w[s] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d);
        }
        return;
    }
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 c = kind == SY_CPUKERN_Q4_1 ? _mm512_permutexvar_ps(_mm512_set1_epi32(1), dmv)
                                             : _mm512_mul_ps(d, _mm512_set1_ps(-8.0f));
    const __m512 table = _mm512_fmadd_ps(iota, d, c); // value of each quant 0..15
    const __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(blk + (kind == SY_CPUKERN_Q4_1 ? 4 : 2))));
    w[0] = _mm512_permutexvar_ps(q, table);                        // low nibbles: elements 0-15
    w[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), table);  // high nibbles: 16-31
}

static inline __attribute__((always_inline)) void bk16_micro(const sy_ck_problem *p, int kind, int64_t m, int mr,
                                                             int64_t n, int nr) {
    const size_t bb = kind == SY_CPUKERN_Q8_0 ? 34 : kind == SY_CPUKERN_Q4_0 ? 18 : 20;
    __m512 acc[4][4];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps();
    const float *xr[4];
    for (int i = 0; i < mr; i++) xr[i] = p->x + (m + i) * p->k;
    const uint8_t *tile_end = p->w + (size_t)(n + nr) * p->w_row;
    for (int64_t b = 0; b < p->k / SY_CPUKERN_BLOCK; b++) {
        sy_ck_prefetch_step(tile_end, (size_t)nr * bb, b);
        for (int j = 0; j < nr; j++) {
            __m512 w[2];
            bk16_dequant(p->w + (size_t)(n + j) * p->w_row + (size_t)b * bb, kind, w);
            for (int i = 0; i < mr; i++) {
                const float *xb = xr[i] + b * SY_CPUKERN_BLOCK;
                acc[i][j] = _mm512_fmadd_ps(_mm512_loadu_ps(xb), w[0], acc[i][j]);
                acc[i][j] = _mm512_fmadd_ps(_mm512_loadu_ps(xb + 16), w[1], acc[i][j]);
            }
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = _mm512_reduce_add_ps(acc[i][j]);
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

#define BK_CASE(kind, MR_, NR_)                                                                    \
    case (MR_)*8 + (NR_): bk16_micro(p, kind, m, MR_, n, NR_); break;

#define BK_TILE_FN(name, kind)                                                                     \
    static void name(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {     \
        for (int64_t n = n0; n < n1; n += 4) {                                                     \
            int nr = (int)(n1 - n < 4 ? n1 - n : 4);                                               \
            for (int64_t m = m0; m < m1; m += 4) {                                                 \
                int mr = (int)(m1 - m < 4 ? m1 - m : 4);                                           \
                switch (mr * 8 + nr) {                                                             \
                    BK_CASE(kind, 1, 1) BK_CASE(kind, 1, 2) BK_CASE(kind, 1, 3) BK_CASE(kind, 1, 4) \
                    BK_CASE(kind, 2, 1) BK_CASE(kind, 2, 2) BK_CASE(kind, 2, 3) BK_CASE(kind, 2, 4) \
                    BK_CASE(kind, 3, 1) BK_CASE(kind, 3, 2) BK_CASE(kind, 3, 3) BK_CASE(kind, 3, 4) \
                    BK_CASE(kind, 4, 1) BK_CASE(kind, 4, 2) BK_CASE(kind, 4, 3) BK_CASE(kind, 4, 4) \
                default: break;                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

BK_TILE_FN(tile_q8_0_f32x, SY_CPUKERN_Q8_0)
BK_TILE_FN(tile_q4_0_f32x, SY_CPUKERN_Q4_0)
BK_TILE_FN(tile_q4_1_f32x, SY_CPUKERN_Q4_1)

const sy_ck_isa_kernels sy_ck_avx512vnni_kernels = {
    .tile = {NULL, NULL, tile_q8_0, tile_q4_0, tile_q4_1},
    .tile_f32x = {NULL, NULL, tile_q8_0_f32x, tile_q4_0_f32x, tile_q4_1_f32x},
    .quantize = qk_quantize_row,
};

#endif
