// The tiled matrix product shared by matmul.comp and matmul_small.comp: each 16 x 8
// workgroup computes a BM x BN output tile (every thread TM x TN outputs), staging BM x BK
// slices of A and BK x BN slices of B in shared memory. Grid: x = N tiles, y = M tiles,
// z = batch. The includer defines MM_TM, MM_TN and MM_BK.
#ifndef SY_VK_MM_TILE_GLSL
#define SY_VK_MM_TILE_GLSL

#include "common.glsl"
#include "mm_params.glsl"

layout(local_size_x = 16, local_size_y = 8) in;

layout(std430, binding = 0) readonly buffer InA { float a[]; };
layout(std430, binding = 1) readonly buffer InB { float b[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

const uint TM = MM_TM, TN = MM_TN;
const uint BM = 8u * TM, BN = 16u * TN, BK = MM_BK;

// [k][m] and [k][n]; one word of padding keeps the column reads of the fill off one bank.
shared float as_[BK][BM + 1];
shared float bs_[BK][BN + 1];

void main() {
    uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
    uint tid = ly * 16u + lx;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN, z = gl_WorkGroupID.z;
    uint a_off, b_off;
    sy_mm_batch_offsets(z, a_off, b_off);
    bool k_contig = p.b_ks == 1u;

    float acc[TM][TN];
    for (uint i = 0u; i < TM; i++)
        for (uint j = 0u; j < TN; j++) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.K; k0 += BK) {
        // BM x BK of A (read along k, contiguous) and BK x BN of B, spread over 128 threads.
        for (uint e = tid; e < BM * BK; e += 128u) {
            uint kk = e % BK, mm = e / BK;
            uint m = m0 + mm, k = k0 + kk;
            as_[kk][mm] = (m < p.M && k < p.K) ? a[a_off + m * p.a_rs + k] : 0.0;
        }
        for (uint e = tid; e < BN * BK; e += 128u) {
            // Walk B along whichever axis is contiguous in memory.
            uint kk = k_contig ? e % BK : e / BN;
            uint nn = k_contig ? e / BK : e % BN;
            uint n = n0 + nn, k = k0 + kk;
            bs_[kk][nn] = (n < p.N && k < p.K) ? b[b_off + k * p.b_ks + n * p.b_ns] : 0.0;
        }
        barrier();
        for (uint kk = 0u; kk < BK; kk++) {
            float bv[TN];
            for (uint j = 0u; j < TN; j++) bv[j] = bs_[kk][lx + 16u * j];
            for (uint i = 0u; i < TM; i++) {
                float av = as_[kk][ly + 8u * i];
                for (uint j = 0u; j < TN; j++) acc[i][j] += av * bv[j];
            }
        }
        barrier();
    }

    uint o_off = z * p.M * p.N;
    for (uint i = 0u; i < TM; i++) {
        uint m = m0 + ly + 8u * i;
        if (m >= p.M) continue;
        for (uint j = 0u; j < TN; j++) {
            uint n = n0 + lx + 16u * j;
            if (n >= p.N) continue;
            float v = acc[i][j];
            if ((p.flags & uint(SY_VK_MM_BIAS)) != 0u) v += bias[n];
            o[o_off + m * p.N + n] = v;
        }
    }
}

#endif
