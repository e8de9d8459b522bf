#version 450
// Layer normalisation over the last axis, one workgroup per row:
// y = (x - mean) / sqrt(var + eps) * w (+ b), population variance. Two passes over the row
// (mean, then squared deviations) as in portable, so a large common offset does not cancel.
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) readonly buffer Weight { float w[]; };
layout(std430, binding = 2) readonly buffer Bias { float b[]; }; // the weight when there is no bias
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint rows;
    uint cols;
    float eps;
    uint flags; // SY_VK_LN_BIAS
} p;

void main() {
    uint g = sy_flat_group();
    if (g >= p.rows) return; // uniform across the workgroup
    uint t = gl_LocalInvocationID.x, base = g * p.cols;
    // The mean is summed relative to the row's first element: for a row with a large common
    // offset the differences are small and exact, so the f32 sum loses almost nothing (portable
    // sums in double).
    float x0 = x[base];
    float s = 0.0;
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) s += x[base + j] - x0;
    float mean = x0 + sy_reduce_sum(s) / float(p.cols);
    float q = 0.0;
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) {
        float d = x[base + j] - mean;
        q += d * d;
    }
    float inv = 1.0 / sqrt(sy_reduce_sum(q) / float(p.cols) + p.eps);
    bool bias = (p.flags & uint(SY_VK_LN_BIAS)) != 0u;
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG))
        o[base + j] = (x[base + j] - mean) * inv * w[j] + (bias ? b[j] : 0.0);
}
