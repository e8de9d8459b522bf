#version 450
// Decode attention over long caches, second half: merges the p.n_splits partial results of a
// row (sdpa_split.comp): M = max m_s, l = sum l_s e^(m_s - M), o = sum acc_s e^(m_s - M) / l.
// One workgroup per row, one invocation per output dim.
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer Part { float part[]; };
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint rows;
    uint Dv;
    uint n_splits;
} p;

void main() {
    uint g = sy_flat_group();
    if (g >= p.rows) return;
    uint stride = p.Dv + 2u, base = g * p.n_splits * stride;
    float M = SY_NEG_BIG;
    for (uint s = 0u; s < p.n_splits; s++) M = max(M, part[base + s * stride]);
    float l = 0.0;
    for (uint s = 0u; s < p.n_splits; s++) l += part[base + s * stride + 1u] * exp(part[base + s * stride] - M);
    float inv = l > 0.0 ? 1.0 / l : 0.0;
    for (uint d = gl_LocalInvocationID.x; d < p.Dv; d += uint(SY_VK_WG)) {
        float a = 0.0;
        for (uint s = 0u; s < p.n_splits; s++)
            a += part[base + s * stride + 2u + d] * exp(part[base + s * stride] - M);
        o[g * p.Dv + d] = a * inv;
    }
}
