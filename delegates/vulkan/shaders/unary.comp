#version 450
// Elementwise unary op: o[i] = f(x[i]).
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n;  // elements
    uint op; // SY_VK_UN_*
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    float v = x[i], r;
    switch (p.op) {
    case SY_VK_UN_NEG: r = -v; break;
    case SY_VK_UN_EXP: r = exp(v); break;
    case SY_VK_UN_LOG: r = log(v); break;
    case SY_VK_UN_SQRT: r = sqrt(v); break;
    case SY_VK_UN_RSQRT: r = inversesqrt(v); break;
    case SY_VK_UN_SIN: r = sin(sy_reduce_angle(v)); break;
    case SY_VK_UN_COS: r = cos(sy_reduce_angle(v)); break;
    case SY_VK_UN_TANH: r = sy_tanh(v); break;
    case SY_VK_UN_SIGMOID: r = sy_sigmoid(v); break;
    case SY_VK_UN_SILU: r = v * sy_sigmoid(v); break;
    case SY_VK_UN_GELU: r = 0.5 * v * (1.0 + sy_erf(v * 0.70710678118654752)); break;
    case SY_VK_UN_GELU_TANH: {
        float u = 0.79788456080286536 * (v + 0.044715 * v * v * v);
        r = 0.5 * v * (1.0 + sy_tanh(u));
        break;
    }
    default: r = isnan(v) ? v : max(v, 0.0); break; // relu: NaN stays NaN, as portable
    }
    o[i] = r;
}
