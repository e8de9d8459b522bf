#version 450
// RMS normalisation over the last axis, one workgroup per row:
// y = x / sqrt(mean(x^2) + eps) * w.
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) readonly buffer Weight { float w[]; };
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint rows;
    uint cols;
    float eps;
} p;

void main() {
    uint g = sy_flat_group();
    if (g >= p.rows) return; // uniform across the workgroup
    uint t = gl_LocalInvocationID.x, base = g * p.cols;
    float s = 0.0;
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) {
        float v = x[base + j];
        s += v * v;
    }
    s = sy_reduce_sum(s);
    float inv = 1.0 / sqrt(s / float(p.cols) + p.eps);
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) o[base + j] = x[base + j] * inv * w[j];
}
