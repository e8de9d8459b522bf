#version 450
// Softmax along one axis, one workgroup per row. The tensor is viewed as [outer, len, inner];
// row g = (o, i) covers elements o * len * inner + j * inner + i for j < len.
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint rows;  // outer * inner
    uint len;
    uint inner;
} p;

void main() {
    uint g = sy_flat_group();
    if (g >= p.rows) return; // uniform across the workgroup
    uint t = gl_LocalInvocationID.x;
    uint base = (g / p.inner) * p.len * p.inner + g % p.inner;

    float m = SY_NEG_BIG;
    for (uint j = t; j < p.len; j += uint(SY_VK_WG)) m = max(m, x[base + j * p.inner]);
    m = sy_reduce_max(m);
    float s = 0.0;
    for (uint j = t; j < p.len; j += uint(SY_VK_WG)) s += exp(x[base + j * p.inner] - m);
    s = sy_reduce_sum(s);
    float inv = 1.0 / s;
    for (uint j = t; j < p.len; j += uint(SY_VK_WG))
        o[base + j * p.inner] = exp(x[base + j * p.inner] - m) * inv;
}
