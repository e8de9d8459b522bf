#version 450
// Matrix-vector product for M == 1 (decode steps). Two layouts of B:
//  - K contiguous (linear's W [N, K]): SY_VK_WG / SY_VK_GEMV_ROWS threads share one output,
//    striding over k (four floats at a time when K and the offsets are multiples of 4), then
//    reduce in shared memory; a workgroup covers SY_VK_GEMV_ROWS outputs;
//  - N contiguous (matmul's B [K, N], SY_VK_GEMV_N_CONTIGUOUS): one thread per output, so
//    neighbouring threads read neighbouring words.
// Grid: x/y = folded output groups, z = batch.
#include "common.glsl"
#include "mm_params.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer InA { float a[]; };
layout(std430, binding = 1) readonly buffer InB { float b[]; };
// The same buffers read four floats at a time, when K and the offsets allow it.
layout(std430, binding = 0) readonly buffer InA4 { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer InB4 { vec4 b4[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

shared float red[SY_VK_WG];

void main() {
    uint tid = gl_LocalInvocationID.x, z = gl_WorkGroupID.z;
    uint a_off, b_off;
    sy_mm_batch_offsets(z, a_off, b_off);
    bool has_bias = (p.flags & uint(SY_VK_MM_BIAS)) != 0u;

    if ((p.flags & uint(SY_VK_GEMV_N_CONTIGUOUS)) != 0u) {
        uint n = sy_flat_group() * uint(SY_VK_WG) + tid;
        if (n >= p.N) return;
        float acc = 0.0;
        for (uint k = 0u; k < p.K; k++) acc += a[a_off + k] * b[b_off + k * p.b_ks + n];
        o[z * p.N + n] = has_bias ? acc + bias[n] : acc;
        return;
    }

    const uint lanes = uint(SY_VK_WG) / uint(SY_VK_GEMV_ROWS);
    uint row = tid / lanes, lane = tid % lanes;
    uint n = sy_flat_group() * uint(SY_VK_GEMV_ROWS) + row;
    float acc = 0.0;
    if (n < p.N) {
        uint base = b_off + n * p.b_ns;
        if (((p.K | a_off | base) & 3u) == 0u) {
            uint a4_off = a_off / 4u, b4_off = base / 4u, k4 = p.K / 4u;
            for (uint k = lane; k < k4; k += lanes) acc += dot(a4[a4_off + k], b4[b4_off + k]);
        } else {
            for (uint k = lane; k < p.K; k += lanes) acc += a[a_off + k] * b[base + k];
        }
    }
    red[tid] = acc;
    barrier();
    for (uint s = lanes / 2u; s > 0u; s >>= 1u) {
        if (lane < s) red[tid] += red[tid + s];
        barrier();
    }
    if (lane == 0u && n < p.N) o[z * p.N + n] = has_bias ? red[tid] + bias[n] : red[tid];
}
