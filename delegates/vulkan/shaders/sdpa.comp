#version 450
// Scaled dot-product attention, one workgroup per query row (b, h, t) over all its visible
// keys (sdpa_core.glsl). Used for prefill (T rows per head), for decode rows with few keys,
// and for plain sdpa. o [B, Hq, T, Dv].
#include "sdpa_core.glsl"

layout(std430, binding = 3) writeonly buffer Out { float o[]; };

void main() {
    uint g = sy_flat_group();
    if (g >= p.B * p.Hq * p.T) return; // uniform across the workgroup
    float m, l;
    sy_sdpa_range(g, 0u, sy_sdpa_row_keys(g), m, l);
    uint o_base = g * p.Dv;
    float inv = l > 0.0 ? 1.0 / l : 0.0; // a row that sees no key gives zeros
    for (uint c = 0u; c < MAX_PER_THREAD; c++) {
        uint d = gl_LocalInvocationID.x + c * uint(SY_VK_WG);
        if (d >= p.Dv) break;
        o[o_base + d] = acc[c] * inv;
    }
}
