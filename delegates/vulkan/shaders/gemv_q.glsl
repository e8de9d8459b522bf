// y[n] = sum_k x[k] * W[n, k] (+ bias[n]) for one row x (M == 1, decode steps) with W [N, K] in
// a block-quantised dtype, read straight from its blocks (quant.glsl). A workgroup covers
// SY_VK_QGEMV_ROWS rows of W; the 16 threads of a row walk it a quarter block (8 weights, one
// or two words) at a time, then reduce in shared memory. K is a multiple of 32, so x is read as
// vec4. Grid: 1-D over ceil(N / SY_VK_QGEMV_ROWS) workgroups (folded over x and y).
// The includer defines SY_QTYPE.
#ifndef SY_VK_GEMV_Q_GLSL
#define SY_VK_GEMV_Q_GLSL

#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer InX { vec4 x4[]; };
layout(std430, binding = 1) readonly buffer InW { uint wq[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint M, N, K, flags; // flags: SY_VK_MM_BIAS
} p;

#define SY_Q_BUF wq
#include "quant.glsl"

const uint LANES = uint(SY_VK_WG) / uint(SY_VK_QGEMV_ROWS);
shared float red[SY_VK_WG];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint row = tid / LANES, lane = tid % LANES;
    uint n = sy_flat_group() * uint(SY_VK_QGEMV_ROWS) + row;
    uint nb = p.K / uint(SY_VK_Q_BLOCK);
    float acc = 0.0;
    if (n < p.N) {
        uint row_off = n * nb * SY_Q_BLOCK_BYTES;
        for (uint u = lane; u < nb * 4u; u += LANES) {
            uint b = u >> 2, t = u & 3u;
            vec4 lo, hi;
            sy_q_quarter(row_off + b * SY_Q_BLOCK_BYTES, t, lo, hi);
            uint k4 = b * 8u; // the block's first vec4 of x
            acc += dot(lo, x4[k4 + sy_q_k_lo(t) / 4u]) + dot(hi, x4[k4 + sy_q_k_hi(t) / 4u]);
        }
    }
    red[tid] = acc;
    barrier();
    for (uint s = LANES / 2u; s > 0u; s >>= 1u) {
        if (lane < s) red[tid] += red[tid + s];
        barrier();
    }
    if (lane == 0u && n < p.N) {
        float v = red[tid];
        if ((p.flags & uint(SY_VK_MM_BIAS)) != 0u) v += bias[n];
        o[n] = v;
    }
}

#endif
