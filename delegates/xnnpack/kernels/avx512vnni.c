// AVX-512 VNNI kernels for block dtypes: one vpdpbusd (256-bit, AVX512VL) per 32-element block
// and activation row, 4 × 4 micro-tiles in the 32 vector registers. f32/f16 use avx2.c.
// (A 512-bit kernel taking two blocks per vpdpbusd was 17-25 % slower on Zen 4, which splits
// 512-bit ops in two: see the git history of x86_quant512.h.)

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

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

const sy_ck_isa_kernels sy_ck_avx512vnni_kernels = {
    .tile = {NULL, NULL, tile_q8_0, tile_q4_0, tile_q4_1},
    .quantize = qk_quantize_row,
};

#endif
