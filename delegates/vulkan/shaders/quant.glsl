// Reading GGUF's block-quantised weights straight from a storage buffer of words. The includer
// defines SY_QTYPE (SY_VK_Q8_0 / SY_VK_Q4_0 / SY_VK_Q4_1) and SY_Q_BUF, the uint[] array of the
// weight buffer, before including this file.
//
// Blocks of 32 elements (docs/FORMAT.md):
//   q8_0: f16 d; i8 q[32]               (34 bytes)  x[j] = d * q[j]
//   q4_0: f16 d; u8 qs[16]              (18 bytes)  x[j] = d * (n[j] - 8)
//   q4_1: f16 d; f16 m; u8 qs[16]       (20 bytes)  x[j] = d * n[j] + m
// with n[j] the low nibble of qs[j] for j < 16 and the high nibble of qs[j - 16] for j >= 16.
// 34, 18 and 20 are not multiples of 4, so a block starts at any even byte offset: words are
// read whole and shifted, which needs no 8- or 16-bit storage feature from the device. The
// host rounds the buffer up to a whole word, so the last word read always exists.
#ifndef SY_VK_QUANT_GLSL
#define SY_VK_QUANT_GLSL

#include "codes.h"

#if SY_QTYPE == SY_VK_Q8_0
#define SY_Q_BLOCK_BYTES 34u
#define SY_Q_DATA 2u // byte offset of the quants inside a block
#elif SY_QTYPE == SY_VK_Q4_0
#define SY_Q_BLOCK_BYTES 18u
#define SY_Q_DATA 2u
#elif SY_QTYPE == SY_VK_Q4_1
#define SY_Q_BLOCK_BYTES 20u
#define SY_Q_DATA 4u
#else
#error "SY_QTYPE must be SY_VK_Q8_0, SY_VK_Q4_0 or SY_VK_Q4_1"
#endif

// The 16-bit word at an even byte offset.
uint sy_q_u16(uint off) {
    return (SY_Q_BUF[off >> 2] >> ((off & 2u) * 8u)) & 0xffffu;
}

float sy_q_f16(uint off) {
    return unpackHalf2x16(sy_q_u16(off)).x;
}

#if SY_QTYPE == SY_VK_Q4_1
// q4_1's scale and min: 20-byte blocks always start on a word, so one read gives both.
vec2 sy_q_dm(uint blk) {
    return unpackHalf2x16(SY_Q_BUF[blk >> 2]);
}
#endif

// The 32 bits starting at an even byte offset.
uint sy_q_u32(uint off) {
    uint i = off >> 2;
    if ((off & 2u) == 0u) return SY_Q_BUF[i];
    return (SY_Q_BUF[i] >> 16) | (SY_Q_BUF[i + 1u] << 16);
}

// The 64 and 128 bits starting at an even byte offset (the reads of a half block).
uvec2 sy_q_u32x2(uint off) {
    uint i = off >> 2;
    uint a = SY_Q_BUF[i], b = SY_Q_BUF[i + 1u];
    if ((off & 2u) == 0u) return uvec2(a, b);
    uint c = SY_Q_BUF[i + 2u];
    return uvec2((a >> 16) | (b << 16), (b >> 16) | (c << 16));
}

uvec4 sy_q_u32x4(uint off) {
    uint i = off >> 2;
    uvec4 w = uvec4(SY_Q_BUF[i], SY_Q_BUF[i + 1u], SY_Q_BUF[i + 2u], SY_Q_BUF[i + 3u]);
    if ((off & 2u) == 0u) return w;
    uint e = SY_Q_BUF[i + 4u];
    return uvec4((w.x >> 16) | (w.y << 16), (w.y >> 16) | (w.z << 16), (w.z >> 16) | (w.w << 16),
                 (w.w >> 16) | (e << 16));
}

uint sy_q_u8(uint off) {
    return (SY_Q_BUF[off >> 2] >> ((off & 3u) * 8u)) & 0xffu;
}

// Quarter t (0..3) of a block gives eight elements as two runs of four: `lo` holds elements
// sy_q_k_lo(t) .. +3 of the block, `hi` elements sy_q_k_hi(t) .. +3. For q8_0 a quarter is 8
// consecutive quants; for the 4-bit types it is one word of qs, whose low nibbles are elements
// 4t .. 4t+3 and whose high nibbles are elements 16+4t .. 16+4t+3.
uint sy_q_k_lo(uint t) {
#if SY_QTYPE == SY_VK_Q8_0
    return 8u * t;
#else
    return 4u * t;
#endif
}

uint sy_q_k_hi(uint t) {
#if SY_QTYPE == SY_VK_Q8_0
    return 8u * t + 4u;
#else
    return 16u + 4u * t;
#endif
}

vec4 sy_q_i8x4(uint w) {
    int s = int(w);
    return vec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8),
                bitfieldExtract(s, 24, 8));
}

vec4 sy_q_lo_nibbles(uint w) {
    return vec4(w & 15u, (w >> 8) & 15u, (w >> 16) & 15u, (w >> 24) & 15u);
}

vec4 sy_q_hi_nibbles(uint w) {
    return vec4((w >> 4) & 15u, (w >> 12) & 15u, (w >> 20) & 15u, w >> 28);
}

// Dequantises quarter t of the block at byte offset blk.
void sy_q_quarter(uint blk, uint t, out vec4 lo, out vec4 hi) {
#if SY_QTYPE == SY_VK_Q4_1
    vec2 dm = sy_q_dm(blk);
    float d = dm.x, m = dm.y;
#else
    float d = sy_q_f16(blk);
#endif
#if SY_QTYPE == SY_VK_Q8_0
    uint at = blk + SY_Q_DATA + 8u * t;
    lo = d * sy_q_i8x4(sy_q_u32(at));
    hi = d * sy_q_i8x4(sy_q_u32(at + 4u));
#else
    uint w = sy_q_u32(blk + SY_Q_DATA + 4u * t);
#if SY_QTYPE == SY_VK_Q4_0
    lo = d * (sy_q_lo_nibbles(w) - 8.0);
    hi = d * (sy_q_hi_nibbles(w) - 8.0);
#else
    lo = d * sy_q_lo_nibbles(w) + m;
    hi = d * sy_q_hi_nibbles(w) + m;
#endif
#endif
}

// Element j (0..31) of the block at byte offset blk.
float sy_q_element(uint blk, uint j) {
    float d = sy_q_f16(blk);
#if SY_QTYPE == SY_VK_Q8_0
    int q = bitfieldExtract(int(sy_q_u8(blk + SY_Q_DATA + j)), 0, 8);
    return d * float(q);
#else
    uint byte = sy_q_u8(blk + SY_Q_DATA + (j & 15u));
    float n = float(j < 16u ? byte & 15u : byte >> 4);
#if SY_QTYPE == SY_VK_Q4_0
    return d * (n - 8.0);
#else
    return d * n + sy_q_f16(blk + 2u);
#endif
#endif
}

#endif
