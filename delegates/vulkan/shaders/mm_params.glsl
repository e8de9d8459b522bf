// Parameters shared by matmul.comp and gemv.comp (the C mirror is sy_vk_mm_params).
#ifndef SY_VK_MM_PARAMS_GLSL
#define SY_VK_MM_PARAMS_GLSL

// out[z, m, n] = sum_k A[z, m, k] * B[z, k, n] (+ bias[n]); A rows are contiguous along k
// (a_rs apart); B element (k, n) is at k * b_ks + n * b_ns, so linear's W [N, K] is b_ks = 1,
// b_ns = K and matmul's B [K, N] is b_ks = N, b_ns = 1. Batch z (of nb) decomposes over bdims;
// a_bs / b_bs are the per-batch-axis strides of A and B (0 where one side broadcasts).
layout(push_constant) uniform Params {
    uint M, N, K, flags;
    uint a_rs, b_ks, b_ns, nb;
    uint bdims[SY_VK_MM_MAX_BATCH_RANK];
    uint a_bs[SY_VK_MM_MAX_BATCH_RANK];
    uint b_bs[SY_VK_MM_MAX_BATCH_RANK];
} p;

// Offsets of batch z inside A and B.
void sy_mm_batch_offsets(uint z, out uint a_off, out uint b_off) {
    a_off = 0u;
    b_off = 0u;
    for (int d = SY_VK_MM_MAX_BATCH_RANK - 1; d >= 0; d--) {
        uint c = z % p.bdims[d];
        z /= p.bdims[d];
        a_off += c * p.a_bs[d];
        b_off += c * p.b_bs[d];
    }
}

#endif
