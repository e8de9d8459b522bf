#version 450
// Elementwise binary op with NumPy broadcasting: o[i] = a[ia] (op) b[ib]. The host gives the
// output dims and, per input, a stride per output axis (0 where that input broadcasts).
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer InA { float a[]; };
layout(std430, binding = 1) readonly buffer InB { float b[]; };
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n;     // output elements
    uint rank;  // output rank (<= 6)
    uint op;    // SY_VK_BIN_*
    uint flags; // SY_VK_BIN_SAME_SHAPE: both inputs have the output's shape
    uint dims[6];
    uint sa[6];
    uint sb[6];
} p;

float sy_pow(float x, float y) {
    // GLSL pow is undefined for x <= 0; follow C powf for the cases models meet.
    if (y == 0.0) return 1.0;
    if (x > 0.0) return pow(x, y);
    if (x == 0.0) return y > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
    if (y != floor(y)) return uintBitsToFloat(0x7fc00000u); // negative base, fractional power
    float r = pow(-x, y);
    return mod(y, 2.0) == 1.0 ? -r : r;
}

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    uint ia = i, ib = i;
    if ((p.flags & uint(SY_VK_BIN_SAME_SHAPE)) == 0u) {
        uint r = i;
        ia = 0u;
        ib = 0u;
        for (int d = int(p.rank) - 1; d >= 0; d--) {
            uint c = r % p.dims[d];
            r /= p.dims[d];
            ia += c * p.sa[d];
            ib += c * p.sb[d];
        }
    }
    float x = a[ia], y = b[ib], z;
    switch (p.op) {
    case SY_VK_BIN_ADD: z = x + y; break;
    case SY_VK_BIN_SUB: z = x - y; break;
    case SY_VK_BIN_MUL: z = x * y; break;
    case SY_VK_BIN_DIV: z = x / y; break;
    case SY_VK_BIN_POW: z = sy_pow(x, y); break;
    // GLSL max/min may return either operand for NaN; portable (and torch) propagate NaN
    case SY_VK_BIN_MAX: z = isnan(x) || isnan(y) ? x + y : max(x, y); break;
    default: z = isnan(x) || isnan(y) ? x + y : min(x, y); break;
    }
    o[i] = z;
}
