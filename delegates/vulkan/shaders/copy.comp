#version 450
// Strided copy of 32-bit words: the one data-movement kernel behind transpose, slice, concat,
// expand, reshape (when it cannot alias) and the cache writes of update_cache and
// sdpa_with_kv_cache. Element i of the n-element iteration space (dims) is read at
// in_base + sum(c[d] * si[d]) and written at out_base + sum(c[d] * so[d]).
#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer In { uint src[]; };
layout(std430, binding = 1) writeonly buffer Out { uint dst[]; };

layout(push_constant) uniform Params {
    uint n;
    uint rank; // <= 6
    uint in_base;
    uint out_base;
    uint dims[6];
    uint si[6];
    uint so[6];
} p;

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    uint r = i, io = p.in_base, oo = p.out_base;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
        uint c = r % p.dims[d];
        r /= p.dims[d];
        io += c * p.si[d];
        oo += c * p.so[d];
    }
    dst[oo] = src[io];
}
