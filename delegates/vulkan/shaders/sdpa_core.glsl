// The attention core shared by sdpa.comp (one workgroup per query row) and sdpa_split.comp
// (several workgroups per decode row, each over a slice of the keys): streams keys [j_begin,
// j_end) of one query row in chunks of SY_VK_WG with an online softmax (running max m, running
// sum l, rescaled accumulator), so no score matrix is ever stored.
//
// q [B, Hq, T, D]; k [B, Hkv, S, D] and v [B, Hkv, S, Dv] hold S rows per head of which the
// first Tk are valid. Query head h reads kv head h / (Hq / Hkv). With `causal`, row t sees keys
// j <= t + off (off = start_pos for a cache, Tk - T for sdpa). The includer declares the
// output binding 3 and (for sdpa_split.comp) the split count in the push constants.
#ifndef SY_VK_SDPA_CORE_GLSL
#define SY_VK_SDPA_CORE_GLSL

#include "common.glsl"
#include "reduce.glsl"

layout(local_size_x = SY_VK_WG) in;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };

layout(push_constant) uniform Params {
    uint B, Hq, Hkv, T;
    uint D, Dv, S, Tk;
    int off; // causal offset: row t sees keys j <= t + off
    uint causal;
    float scale;
    uint n_splits; // sdpa_split.comp: workgroups per row
} p;

const uint MAX_PER_THREAD = uint(SY_VK_SDPA_MAX_D) / uint(SY_VK_WG);

shared float qs[SY_VK_SDPA_MAX_D];
shared float ps[SY_VK_WG];

// This invocation's share of the row's output: dims d = tid + c * SY_VK_WG.
float acc[MAX_PER_THREAD];

// Keys visible to row g.
uint sy_sdpa_row_keys(uint g) {
    uint t = g % p.T;
    if (p.causal == 0u) return p.Tk;
    return uint(clamp(int(t) + p.off + 1, 0, int(p.Tk)));
}

// Runs keys [j_begin, j_end) of row g; leaves the unnormalised sums in acc and returns the
// running max in m and the running sum in l (m = SY_NEG_BIG, l = 0 for an empty range). Every
// invocation of the workgroup must call it (barriers).
void sy_sdpa_range(uint g, uint j_begin, uint j_end, out float m, out float l) {
    uint tid = gl_LocalInvocationID.x;
    uint h = (g / p.T) % p.Hq, b = g / (p.T * p.Hq);
    uint kvh = h / (p.Hq / p.Hkv);

    uint q_base = g * p.D;
    for (uint d = tid; d < p.D; d += uint(SY_VK_WG)) qs[d] = q[q_base + d] * p.scale;
    barrier();

    uint k_base = (b * p.Hkv + kvh) * p.S * p.D;
    uint v_base = (b * p.Hkv + kvh) * p.S * p.Dv;
    m = SY_NEG_BIG;
    l = 0.0;
    for (uint c = 0u; c < MAX_PER_THREAD; c++) acc[c] = 0.0;

    for (uint j0 = j_begin; j0 < j_end; j0 += uint(SY_VK_WG)) {
        uint j = j0 + tid;
        float s = SY_NEG_BIG;
        if (j < j_end) {
            s = 0.0;
            uint kr = k_base + j * p.D;
            for (uint d = 0u; d < p.D; d++) s += qs[d] * k[kr + d];
        }
        float m_new = max(m, sy_reduce_max(s));
        float e = j < j_end ? exp(s - m_new) : 0.0;
        ps[tid] = e;
        float corr = exp(m - m_new);
        l = l * corr + sy_reduce_sum(e); // the reduction's barriers also publish ps
        uint n = min(uint(SY_VK_WG), j_end - j0);
        for (uint c = 0u; c < MAX_PER_THREAD; c++) {
            uint d = tid + c * uint(SY_VK_WG);
            if (d >= p.Dv) break;
            float a = acc[c] * corr;
            for (uint jj = 0u; jj < n; jj++) a += ps[jj] * v[v_base + (j0 + jj) * p.Dv + d];
            acc[c] = a;
        }
        m = m_new;
        barrier(); // ps is rewritten by the next chunk
    }
}

#endif
