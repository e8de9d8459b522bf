// y[m, n] = sum_k x[m, k] * W[n, k] (+ bias[n]) for M > 1 (prefill) with W [N, K] in a
// block-quantised dtype. Each 16 x 8 workgroup computes a SY_VK_QMM_BM x SY_VK_MM_BN tile of y;
// per stage it stages 32 columns of x and dequantises one block of each of the tile's 64 rows
// of W into shared memory (a quarter block per thread and pass), so every block is read once
// per row tile and no dequantised copy of W ever exists in device memory.
// Grid: x = N tiles, y = M tiles. The includer defines SY_QTYPE.
#ifndef SY_VK_MATMUL_Q_GLSL
#define SY_VK_MATMUL_Q_GLSL

#include "common.glsl"

layout(local_size_x = 16, local_size_y = 8) in;

layout(std430, binding = 0) readonly buffer InX { float x[]; };
layout(std430, binding = 1) readonly buffer InW { uint wq[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint M, N, K, flags; // flags: SY_VK_MM_BIAS
} p;

#define SY_Q_BUF wq
#include "quant.glsl"

const uint TM = SY_VK_QMM_TM, TN = SY_VK_MM_TN;
const uint BM = 8u * TM, BN = 16u * TN, BK = SY_VK_Q_BLOCK;

// [k][m] and [k][n]; one word of padding keeps the column accesses off one bank.
shared float xs[BK][BM + 1];
shared float ws[BK][BN + 1];

void main() {
    uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
    uint tid = ly * 16u + lx;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
    uint nb = p.K / BK;

    float acc[TM][TN];
    for (uint i = 0u; i < TM; i++)
        for (uint j = 0u; j < TN; j++) acc[i][j] = 0.0;

    for (uint b = 0u; b < nb; b++) {
        uint k0 = b * BK;
        for (uint e = tid; e < BM * BK; e += 128u) {
            uint kk = e % BK, mm = e / BK, m = m0 + mm;
            xs[kk][mm] = m < p.M ? x[m * p.K + k0 + kk] : 0.0;
        }
        for (uint u = tid; u < BN * 4u; u += 128u) {
            uint nn = u >> 2, t = u & 3u, n = n0 + nn;
            vec4 lo = vec4(0.0), hi = vec4(0.0);
            if (n < p.N) sy_q_quarter((n * nb + b) * SY_Q_BLOCK_BYTES, t, lo, hi);
            uint kl = sy_q_k_lo(t), kh = sy_q_k_hi(t);
            for (uint i = 0u; i < 4u; i++) {
                ws[kl + i][nn] = lo[i];
                ws[kh + i][nn] = hi[i];
            }
        }
        barrier();
        for (uint kk = 0u; kk < BK; kk++) {
            float wv[TN];
            for (uint j = 0u; j < TN; j++) wv[j] = ws[kk][lx + 16u * j];
            for (uint i = 0u; i < TM; i++) {
                float xv = xs[kk][ly + 8u * i];
                for (uint j = 0u; j < TN; j++) acc[i][j] += xv * wv[j];
            }
        }
        barrier();
    }

    for (uint i = 0u; i < TM; i++) {
        uint m = m0 + ly + 8u * i;
        if (m >= p.M) continue;
        for (uint j = 0u; j < TN; j++) {
            uint n = n0 + lx + 16u * j;
            if (n >= p.N) continue;
            float v = acc[i][j];
            if ((p.flags & uint(SY_VK_MM_BIAS)) != 0u) v += bias[n];
            o[m * p.N + n] = v;
        }
    }
}

#endif
