#version 450
// Decode attention over long caches, first half: a decode step has only B * Hq query rows, too
// few workgroups to fill a GPU, so each row's keys are cut into p.n_splits slices and every
// (slice, row) gets a workgroup (x = slice, y = row). Each writes its partial result
// [m, l, acc[0..Dv)] to part [rows, n_splits, Dv + 2]; sdpa_combine.comp merges them.
#include "sdpa_core.glsl"

layout(std430, binding = 3) writeonly buffer Part { float part[]; };

void main() {
    uint split = gl_WorkGroupID.x, g = gl_WorkGroupID.y;
    uint L = sy_sdpa_row_keys(g);
    uint per = (L + p.n_splits - 1u) / p.n_splits;
    uint j_begin = min(split * per, L), j_end = min(j_begin + per, L);
    float m, l;
    sy_sdpa_range(g, j_begin, j_end, m, l);
    uint base = (g * p.n_splits + split) * (p.Dv + 2u);
    if (gl_LocalInvocationID.x == 0u) {
        part[base] = m;
        part[base + 1u] = l;
    }
    for (uint c = 0u; c < MAX_PER_THREAD; c++) {
        uint d = gl_LocalInvocationID.x + c * uint(SY_VK_WG);
        if (d >= p.Dv) break;
        part[base + 2u + d] = acc[c];
    }
}
