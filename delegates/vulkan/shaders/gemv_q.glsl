// y[n] = sum_k x[k] * W[n, k] (+ bias[n]) for one row x (M == 1, decode steps) with W [N, K] in
// a block-quantised dtype, read straight from its blocks (quant.glsl). A workgroup covers
// SY_VK_QGEMV_ROWS rows of W; the 8 threads of a row walk it half a block (16 weights, two or
// four words) at a time, then reduce in shared memory. K is a multiple of 32, so x is read as
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

// sum over half h (elements 16h .. 16h+15 for q8_0; for the 4-bit types the low and high
// nibbles of qs[8h .. 8h+7], elements 8h .. 8h+7 and 16+8h .. 16+8h+7) of the block at byte
// offset blk times x, whose block starts at vec4 index k4. The scale multiplies the sum, not
// each weight, and q4_0's -8 / q4_1's m become one multiple of sum(x).
float half_dot(uint blk, uint h, uint k4) {
#if SY_QTYPE == SY_VK_Q4_1
    vec2 dm = sy_q_dm(blk);
#else
    float d = sy_q_f16(blk);
#endif
#if SY_QTYPE == SY_VK_Q8_0
    uvec4 w = sy_q_u32x4(blk + SY_Q_DATA + 16u * h);
    uint x0 = k4 + 4u * h;
    return d * (dot(sy_q_i8x4(w.x), x4[x0]) + dot(sy_q_i8x4(w.y), x4[x0 + 1u]) +
                dot(sy_q_i8x4(w.z), x4[x0 + 2u]) + dot(sy_q_i8x4(w.w), x4[x0 + 3u]));
#else
    uvec2 w = sy_q_u32x2(blk + SY_Q_DATA + 8u * h);
    vec4 xa = x4[k4 + 2u * h], xb = x4[k4 + 2u * h + 1u];
    vec4 xc = x4[k4 + 4u + 2u * h], xd = x4[k4 + 5u + 2u * h];
    float s = dot(sy_q_lo_nibbles(w.x), xa) + dot(sy_q_lo_nibbles(w.y), xb) + dot(sy_q_hi_nibbles(w.x), xc) +
              dot(sy_q_hi_nibbles(w.y), xd);
    float sx = dot((xa + xb) + (xc + xd), vec4(1.0));
#if SY_QTYPE == SY_VK_Q4_0
    return d * (s - 8.0 * sx);
#else
    return dm.x * s + dm.y * sx;
#endif
#endif
}

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint row = tid / LANES, lane = tid % LANES;
    uint n = sy_flat_group() * uint(SY_VK_QGEMV_ROWS) + row;
    uint nb = p.K / uint(SY_VK_Q_BLOCK);
    float acc = 0.0;
    if (n < p.N) {
        uint row_off = n * nb * SY_Q_BLOCK_BYTES;
        for (uint u = lane; u < nb * 2u; u += LANES) {
            uint b = u >> 1;
            acc += half_dot(row_off + b * SY_Q_BLOCK_BYTES, u & 1u, b * 8u);
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
