#version 450
// clamp: o[i] = min(max(x[i], lo), hi); NaN stays NaN (GLSL clamp may return a bound for it).
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n;   // elements
    float lo; // attribute min (-inf by default)
    float hi; // attribute max (+inf by default)
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    float v = x[i];
    o[i] = v < p.lo ? p.lo : v > p.hi ? p.hi : v; // comparisons with NaN are false
}
