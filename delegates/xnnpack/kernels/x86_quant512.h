#pragma once

// Block-dtype micro-kernel for AVX-512 VNNI: two 32-element blocks per step in one 512-bit
// vpdpbusd. Both operands are laid out as [b lo16 | b+1 lo16 | b hi16 | b+1 hi16] (128-bit lanes),
// which is how q4 nibbles unpack for free; activations and q8_0 weights get one lane shuffle.
// Scales become vectors of the same lane pattern ([s_b ×4, s_b+1 ×4, s_b ×4, s_b+1 ×4]), so the
// per-block scalar broadcasts of x86_quant.h disappear. An odd last block pairs with zeros.
// Every output element is one 16-lane accumulator updated once per block pair, in order,
// whatever micro-tile it is in (results do not depend on the split).
//
// The including file defines QK_MR, QK_NR and includes x86_quant.h first (qk_f16, QK_CASE).

#include <immintrin.h>

static const int32_t qk_pair_idx[16] = {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1};

// [v0 ×4, v1 ×4, v0 ×4, v1 ×4]
static inline __m512 qk_pair_ps(float v0, float v1) {
    return _mm512_permutexvar_ps(_mm512_loadu_si512(qk_pair_idx), _mm512_castps128_ps512(_mm_setr_ps(v0, v1, 0, 0)));
}

static inline __m512i qk_pair_epi32(int32_t v0, int32_t v1) {
    return _mm512_permutexvar_epi32(_mm512_loadu_si512(qk_pair_idx),
                                    _mm512_castsi128_si512(_mm_setr_epi32(v0, v1, 0, 0)));
}

// Two 32-byte int8 blocks -> [a lo16 | b lo16 | a hi16 | b hi16]
static inline __m512i qk_pair_bytes(const void *a, const void *b) {
    __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a)),
                                   _mm256_loadu_si256((const __m256i *)b), 1);
    return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
}

// Two 16-byte nibble arrays -> [a lo | b lo | a hi | b hi] as u8 0..15
static inline __m512i qk_pair_nibbles(const uint8_t *a, const uint8_t *b) {
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)a)),
                                        _mm_loadu_si128((const __m128i *)(const void *)b), 1);
    __m256i m = _mm256_set1_epi8(15);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(v, m)),
                              _mm256_and_si256(_mm256_srli_epi16(v, 4), m), 1);
}

static inline __attribute__((always_inline)) void qk2_micro(const sy_ck_problem *p, int kind, int64_t m, int mr,
                                                            int64_t n, int nr) {
    const int64_t nb = p->k / SY_CPUKERN_BLOCK;
    const size_t bb = kind == 0 ? 34 : kind == 1 ? 18 : 20, qoff = kind == 2 ? 4 : 2;
    static const uint8_t zero_block[40] = {0};
    static const sy_cpukern_q8x zero_x = {0};
    __m512 acc[QK_MR][QK_NR];
    float corr[QK_MR][QK_NR];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps(), corr[i][j] = 0.0f;
    for (int64_t b = 0; b < nb; b += 2) {
        const int has2 = b + 1 < nb;
        __m512i wv[QK_NR];
        __mmask64 neg[QK_NR];
        __m512 dw[QK_NR];
        float m0[QK_NR], m1[QK_NR];
        for (int j = 0; j < nr; j++) {
            const uint8_t *b0 = p->w + (size_t)(n + j) * p->w_row + (size_t)b * bb;
            const uint8_t *b1 = has2 ? b0 + bb : zero_block;
            dw[j] = qk_pair_ps(qk_f16(b0), qk_f16(b1));
            m0[j] = kind == 2 ? qk_f16(b0 + 2) : 0.0f;
            m1[j] = kind == 2 ? qk_f16(b1 + 2) : 0.0f;
            if (kind == 0) {
                __m512i w = qk_pair_bytes(b0 + 2, b1 + 2);
                neg[j] = _mm512_movepi8_mask(w);
                wv[j] = _mm512_abs_epi8(w); // -128 -> 0x80 = 128 as u8
            } else {
                neg[j] = 0;
                wv[j] = qk_pair_nibbles(b0 + qoff, b1 + qoff);
            }
        }
        for (int i = 0; i < mr; i++) {
            const sy_cpukern_q8x *x0 = p->xq + (m + i) * nb + b, *x1 = has2 ? x0 + 1 : &zero_x;
            __m512i xv = qk_pair_bytes(x0->q, x1->q);
            __m512 dx = qk_pair_ps(x0->d, x1->d);
            __m512i init = kind == 1 ? qk_pair_epi32(-x0->sum, -x1->sum) : _mm512_setzero_si512();
            float s0 = kind == 2 ? x0->d * (float)x0->sum : 0.0f, s1 = kind == 2 ? x1->d * (float)x1->sum : 0.0f;
            for (int j = 0; j < nr; j++) {
                __m512i sx = kind == 0 ? _mm512_mask_sub_epi8(xv, neg[j], _mm512_setzero_si512(), xv) : xv;
                __m512i dot = _mm512_dpbusd_epi32(init, wv[j], sx);
                acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[j], dx), acc[i][j]);
                if (kind == 2) corr[i][j] += m0[j] * s0 + m1[j] * s1;
            }
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = _mm512_reduce_add_ps(acc[i][j]) + corr[i][j];
            if (p->bias) v += p->bias[n + j];
            p->y[(m + i) * p->ldy + n + j] = v;
        }
}
