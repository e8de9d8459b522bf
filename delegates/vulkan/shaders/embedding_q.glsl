// Embedding lookup from a block-quantised table [V, D]: o[r, d] = dequant(table[ids[r], d]),
// one thread per output element, read straight from the blocks (quant.glsl). The host rejects
// out-of-range ids before the dispatch; the clamp only keeps every read inside the table.
// The includer defines SY_QTYPE.
#ifndef SY_VK_EMBEDDING_Q_GLSL
#define SY_VK_EMBEDDING_Q_GLSL

#include "common.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer Table { uint wq[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; }; // i32 (the host narrows i64)
layout(std430, binding = 2) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint n; // n_ids * D
    uint D; // a multiple of 32
    uint V;
} p;

#define SY_Q_BUF wq
#include "quant.glsl"

void main() {
    uint i = sy_global_index();
    if (i >= p.n) return;
    uint r = i / p.D, d = i % p.D;
    uint id = uint(clamp(ids[r], 0, int(p.V) - 1));
    uint nb = p.D / uint(SY_VK_Q_BLOCK);
    uint blk = (id * nb + d / uint(SY_VK_Q_BLOCK)) * SY_Q_BLOCK_BYTES;
    o[i] = sy_q_element(blk, d % uint(SY_VK_Q_BLOCK));
}

#endif
