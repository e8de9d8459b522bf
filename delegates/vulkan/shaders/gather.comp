#version 450
// index_select: x viewed as [outer, dim, inner], o as [outer, len, inner];
// o[a, j, c] = x[a, idx[j], c]. The host rejects out-of-range indices before the dispatch; the
// clamp only guarantees that no index can ever read outside x.
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) readonly buffer Idx { int idx[]; }; // i32 (the host narrows i64)
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n; // outer * len * inner
    uint len;
    uint inner;
    uint dim;
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    uint c = i % p.inner, r = i / p.inner;
    uint j = r % p.len, a = r / p.len;
    uint k = uint(clamp(idx[j], 0, int(p.dim) - 1));
    o[i] = x[(a * p.dim + k) * p.inner + c];
}
