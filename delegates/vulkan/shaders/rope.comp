#version 450
// Rotary position embedding on x [B, H, T, D]; one thread per rotated pair. The host computes
// the rotation of every (token, pair) in double precision, as cos/sin pairs [T, D/2] (rope
// angles reach thousands of radians, beyond what f32 angles and device sin/cos keep accurate);
// the shader rotates: half-split layout pairs (i, i + D/2), interleaved layout (2i, 2i + 1).
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) readonly buffer Rot { vec2 rot[]; }; // [T, D/2] (cos, sin)
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n_pairs; // B * H * T * D / 2
    uint T;
    uint D;
    uint layout_; // SY_VK_ROPE_*
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n_pairs) return;
    uint half_ = p.D / 2u;
    uint pair = i % half_, row = i / half_, t = row % p.T;
    uint base = row * p.D;
    uint ia = p.layout_ == uint(SY_VK_ROPE_HALF) ? base + pair : base + 2u * pair;
    uint ib = p.layout_ == uint(SY_VK_ROPE_HALF) ? base + pair + half_ : ia + 1u;
    vec2 cs = rot[t * half_ + pair];
    float a = x[ia], b = x[ib];
    o[ia] = a * cs.x - b * cs.y;
    o[ib] = a * cs.y + b * cs.x;
}
