// AVX-512 VNNI kernels for block dtypes. GGUF-layout tiles: one vpdpbusd (256-bit, AVX512VL) per
// 32-element block and activation row, 4 × 4 micro-tiles in the 32 vector registers; in exact
// mode (f32 activations) 512-bit FMAs on blocks dequantised through a 16-entry table. GEMM over
// many rows: weight panels unpacked once per task. Packed weights (sy_cpukern_pack): 16 rows per
// 512-bit vpdpbusd. f32/f16 use avx2.c. (A 512-bit GGUF-layout kernel taking two blocks per
// vpdpbusd was 17-25 % slower on Zen 4, which splits 512-bit ops in two: see the git history of
// x86_quant512.h.)

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

// --- GEMM (many activation rows): weight panels unpacked once per task ---
//
// The GEMV tiles above unpack a weight block for every micro-tile of activation rows; with 128
// prompt rows that is 32 unpackings of every block, and the unpacking costs more than the
// arithmetic. The GEMM path (sy_ck_isa_kernels.gemm) unpacks a panel of weight rows once into a
// stack buffer and runs every activation row of the task against it.

// Exact mode: the panel holds NP weight rows dequantised to f32 by bk16_dequant (the GEMV's
// values), and each output element runs the GEMV's operation sequence (two 16-lane FMAs per
// block in k order, then _mm512_reduce_add_ps), so a GEMM row still equals its GEMV bitwise.
#define PF_MR 3          // activation rows per micro-tile
#define PF_NP 8          // weight rows per panel (24 accumulators with PF_MR)
#define PF_FLOATS 16384  // panel capacity (64 KiB of stack): K up to 2048 at 8 rows, 16384 at 1

static inline __attribute__((always_inline)) void pf_micro(const sy_ck_problem *p, const float *panel, int64_t m,
                                                           int mr, int64_t n, int nr) {
    __m512 acc[PF_MR][PF_NP];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps();
    const float *xr[PF_MR];
    for (int i = 0; i < mr; i++) xr[i] = p->x + (m + i) * p->k;
    for (int64_t kk = 0; kk < p->k; kk += 16) {
        __m512 xv[PF_MR];
        for (int i = 0; i < mr; i++) xv[i] = _mm512_loadu_ps(xr[i] + kk);
        for (int j = 0; j < nr; j++) {
            const __m512 wv = _mm512_load_ps(panel + j * p->k + kk);
            for (int i = 0; i < mr; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = _mm512_reduce_add_ps(acc[i][j]);
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}

#define PF_CASE(MR_, NR_)                                                                          \
    case (MR_)*16 + (NR_): pf_micro(p, panel, m, MR_, n, NR_); break;
#define PF_CASES(MR_)                                                                              \
    PF_CASE(MR_, 1) PF_CASE(MR_, 2) PF_CASE(MR_, 3) PF_CASE(MR_, 4) PF_CASE(MR_, 5) PF_CASE(MR_, 6)     \
    PF_CASE(MR_, 7) PF_CASE(MR_, 8)

static inline __attribute__((always_inline)) void gemm_f32x(const sy_ck_problem *p, int kind, int64_t m0,
                                                            int64_t m1, int64_t n0, int64_t n1) {
    _Alignas(64) float panel[PF_FLOATS]; // (np, k) dequantised weight rows
    const size_t bb = kind == SY_CPUKERN_Q8_0 ? 34 : kind == SY_CPUKERN_Q4_0 ? 18 : 20;
    const int64_t cap = PF_FLOATS / p->k, np = cap < PF_NP ? cap : PF_NP; // >= 1: see gemm_fits
    for (int64_t n = n0; n < n1; n += np) {
        const int nr = (int)(n1 - n < np ? n1 - n : np);
        for (int j = 0; j < nr; j++)
            for (int64_t b = 0; b < p->k / SY_CPUKERN_BLOCK; b++) {
                __m512 w[2];
                bk16_dequant(p->w + (size_t)(n + j) * p->w_row + (size_t)b * bb, kind, w);
                _mm512_store_ps(panel + j * p->k + b * 32, w[0]);
                _mm512_store_ps(panel + j * p->k + b * 32 + 16, w[1]);
            }
        for (int64_t m = m0; m < m1; m += PF_MR) {
            const int mr = (int)(m1 - m < PF_MR ? m1 - m : PF_MR);
            switch (mr * 16 + nr) {
                PF_CASES(1) PF_CASES(2) PF_CASES(3)
            default: break;
            }
        }
    }
}

static void gemm_q8_0_f32x(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    gemm_f32x(p, SY_CPUKERN_Q8_0, m0, m1, n0, n1);
}
static void gemm_q4_0_f32x(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    gemm_f32x(p, SY_CPUKERN_Q4_0, m0, m1, n0, n1);
}
static void gemm_q4_1_f32x(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    gemm_f32x(p, SY_CPUKERN_Q4_1, m0, m1, n0, n1);
}

// q8 activations: 16 weight rows interleaved (the packed layout, cpukern.h) so that one 512-bit
// vpdpbusd takes 4 elements of all 16 rows against 4 activation bytes broadcast to every lane.
// Offsets are folded into the integer accumulator's start: q4_0 -8·Σx, q8_0 -128·Σx (exact).
// Each output element is one f32 accumulation over blocks, acc += float(isum)·(d_w·d_x)
// (+ m_w·d_x·Σx for q4_1), in y between block chunks, so results do not depend on the split or
// on whether the weights were packed ahead (sy_cpukern_pack) or per task (gemm_q8x); they differ
// from the GGUF-layout GEMV's 8-lane order by f32 rounding.
#define PQ_MR 8  // activation rows per micro-tile
#define PQ_BC 32 // blocks per chunk packed per task (17 KiB of stack for q8_0)

static inline __attribute__((always_inline)) void pk_micro(const sy_ck_problem *p, int kind, const uint8_t *grp,
                                                           int64_t b0, int64_t nbk, int64_t m, int mr, int64_t n,
                                                           int nr) {
    const int64_t nb = p->k / SY_CPUKERN_BLOCK;
    const size_t pbb = sy_ck_packed_block_bytes((sy_cpukern_dtype)kind), qoff = kind == SY_CPUKERN_Q4_1 ? 64 : 32;
    const __mmask16 keep = (__mmask16)((1u << nr) - 1u);
    const __m512i low4 = _mm512_set1_epi8(15);
    __m512 f[PQ_MR];
    for (int i = 0; i < mr; i++)
        f[i] = b0 ? _mm512_maskz_loadu_ps(keep, p->y + (m + i) * p->ldy + n) : _mm512_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        const uint8_t *blk = grp + (size_t)b * pbb;
        sy_ck_prefetch_step(blk + 2 * pbb, pbb, 0);
        __m512i a[PQ_MR];
        const sy_cpukern_q8x *xb[PQ_MR];
        const int32_t off = kind == SY_CPUKERN_Q8_0 ? -128 : kind == SY_CPUKERN_Q4_0 ? -8 : 0;
        for (int i = 0; i < mr; i++) {
            xb[i] = p->xq + (m + i) * nb + b0 + b;
            a[i] = _mm512_set1_epi32(off * xb[i]->sum);
        }
        for (int c = 0; c < (kind == SY_CPUKERN_Q8_0 ? 8 : 4); c++) {
            const __m512i v = _mm512_loadu_si512((const void *)(blk + qoff + 64 * c));
            const __m512i lo = kind == SY_CPUKERN_Q8_0 ? v : _mm512_and_si512(v, low4);
            const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
            for (int i = 0; i < mr; i++) {
                int32_t x4;
                memcpy(&x4, xb[i]->q + 4 * c, 4);
                a[i] = _mm512_dpbusd_epi32(a[i], lo, _mm512_set1_epi32(x4));
                if (kind == SY_CPUKERN_Q8_0) continue;
                memcpy(&x4, xb[i]->q + 16 + 4 * c, 4);
                a[i] = _mm512_dpbusd_epi32(a[i], hi, _mm512_set1_epi32(x4));
            }
        }
        const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)blk));
        const __m512 mn = kind == SY_CPUKERN_Q4_1 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(blk + 32)))
                                                 : _mm512_setzero_ps();
        for (int i = 0; i < mr; i++) {
            f[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[i]), _mm512_mul_ps(d, _mm512_set1_ps(xb[i]->d)), f[i]);
            if (kind == SY_CPUKERN_Q4_1) f[i] = _mm512_fmadd_ps(mn, _mm512_set1_ps(xb[i]->d * (float)xb[i]->sum), f[i]);
        }
    }
    const int last = b0 + nbk == nb;
    const __m512 bias = last && p->bias ? _mm512_maskz_loadu_ps(keep, p->bias + n) : _mm512_setzero_ps();
    for (int i = 0; i < mr; i++)
        _mm512_mask_storeu_ps(p->y + (m + i) * p->ldy + n, keep, last ? _mm512_add_ps(f[i], bias) : f[i]);
}

#define PK_CASE(kind, MR_) case MR_: pk_micro(p, kind, grp, b0, nbk, m, MR_, n, nr); break;

// Rows [m0, m1) × one group of nr <= 16 weight rows at n, blocks [b0, b0 + nbk) packed at grp.
static inline __attribute__((always_inline)) void pk_rows(const sy_ck_problem *p, int kind, const uint8_t *grp,
                                                          int64_t b0, int64_t nbk, int64_t m0, int64_t m1, int64_t n,
                                                          int nr) {
    for (int64_t m = m0; m < m1; m += PQ_MR) {
        switch (m1 - m < PQ_MR ? (int)(m1 - m) : PQ_MR) {
            PK_CASE(kind, 1) PK_CASE(kind, 2) PK_CASE(kind, 3) PK_CASE(kind, 4)
            PK_CASE(kind, 5) PK_CASE(kind, 6) PK_CASE(kind, 7) PK_CASE(kind, 8)
        default: break;
        }
    }
}

// GGUF-layout weights: each task packs its 16-row groups chunk by chunk on the stack.
static inline __attribute__((always_inline)) void gemm_q8x(const sy_ck_problem *p, int kind, int64_t m0, int64_t m1,
                                                           int64_t n0, int64_t n1) {
    _Alignas(64) uint8_t grp[PQ_BC * 544]; // (PQ_BC blocks) of one group, packed
    const int64_t nb = p->k / SY_CPUKERN_BLOCK;
    for (int64_t n = n0; n < n1; n += 16) {
        const int nr = (int)(n1 - n < 16 ? n1 - n : 16);
        for (int64_t b0 = 0; b0 < nb; b0 += PQ_BC) {
            const int64_t nbk = nb - b0 < PQ_BC ? nb - b0 : PQ_BC;
            sy_ck_pack_group((sy_cpukern_dtype)kind, p->w + (size_t)n * p->w_row, p->w_row, nr, b0, nbk, grp);
            pk_rows(p, kind, grp, b0, nbk, m0, m1, n, nr);
        }
    }
}

// Packed weights (sy_cpukern_pack): GEMV and GEMM alike, n0 a multiple of 16.
static inline __attribute__((always_inline)) void tile_packed(const sy_ck_problem *p, int kind, int64_t m0,
                                                              int64_t m1, int64_t n0, int64_t n1) {
    const int64_t nb = p->k / SY_CPUKERN_BLOCK;
    const size_t group = (size_t)nb * sy_ck_packed_block_bytes((sy_cpukern_dtype)kind);
    for (int64_t n = n0; n < n1; n += 16)
        pk_rows(p, kind, p->w + (size_t)(n / 16) * group, 0, nb, m0, m1, n, (int)(n1 - n < 16 ? n1 - n : 16));
}

#define PK_FNS(dt, kind)                                                                           \
    static void gemm_##dt(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) { \
        gemm_q8x(p, kind, m0, m1, n0, n1);                                                         \
    }                                                                                              \
    static void packed_##dt(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) { \
        tile_packed(p, kind, m0, m1, n0, n1);                                                      \
    }
PK_FNS(q8_0, SY_CPUKERN_Q8_0)
PK_FNS(q4_0, SY_CPUKERN_Q4_0)
PK_FNS(q4_1, SY_CPUKERN_Q4_1)

// The exact panel holds at least one row of k floats.
static int gemm_fits(int64_t k, int exact) { return !exact || k <= PF_FLOATS; }

const sy_ck_isa_kernels sy_ck_avx512vnni_kernels = {
    .tile = {NULL, NULL, tile_q8_0, tile_q4_0, tile_q4_1},
    .tile_f32x = {NULL, NULL, tile_q8_0_f32x, tile_q4_0_f32x, tile_q4_1_f32x},
    .gemm = {NULL, NULL, gemm_q8_0, gemm_q4_0, gemm_q4_1},
    .gemm_f32x = {NULL, NULL, gemm_q8_0_f32x, gemm_q4_0_f32x, gemm_q4_1_f32x},
    .gemm_fits = gemm_fits,
    .packed = {NULL, NULL, packed_q8_0, packed_q4_0, packed_q4_1},
    .quantize = qk_quantize_row,
};

#endif
