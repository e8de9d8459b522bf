#version 450
// sum, mean or max over the last axis, one workgroup per row: o[g] = op(x[g * cols .. + cols)).
// The host only dispatches when cols >= 1 (the op rule rejects reducing an empty axis).
#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint rows;
    uint cols;
    uint op; // SY_VK_RED_*
} p;

void main() {
    uint g = sy_flat_group();
    if (g >= p.rows) return; // uniform across the workgroup
    uint t = gl_LocalInvocationID.x, base = g * p.cols;
    if (p.op == uint(SY_VK_RED_MAX)) {
        // Every thread starts from an element of the row (threads past its end repeat the
        // last one), so no identity value is needed: a row of -inf stays -inf. GLSL's max is
        // undefined for NaN, so NaNs are counted apart and win at the end, as in portable.
        float m = x[base + min(t, p.cols - 1u)];
        float nan_seen = 0.0;
        for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) {
            float v = x[base + j];
            if (isnan(v)) nan_seen = 1.0;
            else m = max(m, v);
        }
        // A thread whose start element is NaN keeps a NaN m; the owner of that element has
        // raised the flag, so the row's result is NaN either way.
        m = sy_reduce_max(isnan(m) ? SY_NEG_BIG : m);
        nan_seen = sy_reduce_max(nan_seen);
        if (t == 0u) o[g] = nan_seen > 0.0 ? uintBitsToFloat(0x7fc00000u) : m;
        return;
    }
    float s = 0.0;
    for (uint j = t; j < p.cols; j += uint(SY_VK_WG)) s += x[base + j];
    s = sy_reduce_sum(s);
    if (t == 0u) o[g] = p.op == uint(SY_VK_RED_MEAN) ? s / float(p.cols) : s;
}
