#version 450
// Embedding lookup: o[r, d] = table[ids[r], d]. The host rejects out-of-range ids before the
// dispatch; the clamp only guarantees that no id can ever read outside the table.
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer Table { float table[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; }; // i32 (the host narrows i64)
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n; // n_ids * D
    uint D;
    uint V;
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    uint r = i / p.D, d = i % p.D;
    uint id = uint(clamp(ids[r], 0, int(p.V) - 1));
    o[i] = table[id * p.D + d];
}
