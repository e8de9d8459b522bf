// Portable matmul and linear. Compute is f32; f16/bf16 are converted on load and store.
//
// The f32 inner loops read raw pointers (the reference must be usable on real model sizes); the
// other float dtypes convert element by element. Both run the same loops.

#include <string.h>

#include "delegates/portable/ops/common.h"
#include "delegates/portable/ops/quant.h"

// Accumulator block for non-f32 outputs (f16/bf16 cannot accumulate in their own storage).
#define ACC_BLOCK 256

sy_status sy_portable_LINEAR(const sy_node_info *node, const sy_tensor *inputs,
                             sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *w = &inputs[1];
    const sy_tensor *bias = node->n_inputs > 2 && inputs[2].data ? &inputs[2] : NULL;
    sy_tensor *y = &outputs[0];
    int64_t k = x->dims[x->rank - 1], n = w->dims[0], m = 1;
    for (uint32_t i = 0; i + 1 < x->rank; i++) m *= x->dims[i];
    if (sy_dtype_is_block(w->dtype)) {
        sy_portable_linear_q(x, w, bias, y);
        return SY_OK;
    }

    // x: (m, k), w: (n, k), bias: (n), y: (m, n). Each output is one contiguous dot product.
    for (int64_t r = 0; r < m; r++) {
        for (int64_t c = 0; c < n; c++) {
            float s = sy_dot_f(x, r * k, w, c * k, k);
            if (bias) s += sy_load_f_inline(bias, c);
            sy_store_f_inline(y, r * n + c, s);
        }
    }
    return SY_OK;
}

// Flat offset into an operand's batch dims for output batch index `flat`, broadcasting size-1
// (or missing) dims. out_batch: (n_out) output batch dims; dims: (n_in) the operand's.
static int64_t batch_offset(int64_t flat, const int64_t *out_batch, uint32_t n_out,
                            const int64_t *dims, uint32_t n_in, int64_t matrix_size) {
    int64_t off = 0, stride = matrix_size;
    uint32_t lead = n_out - n_in; // operand dims are right-aligned
    for (uint32_t i = n_out; i-- > 0;) {
        int64_t coord = flat % out_batch[i];
        flat /= out_batch[i];
        if (i < lead) continue;
        int64_t d = dims[i - lead];
        if (d != 1) off += coord * stride;
        stride *= d;
    }
    return off;
}

sy_status sy_portable_MATMUL(const sy_node_info *node, const sy_tensor *inputs,
                             sy_tensor *outputs) {
    (void)node;
    const sy_tensor *a = &inputs[0], *b = &inputs[1];
    sy_tensor *y = &outputs[0];
    // torch.matmul promotion: 1-D a is [1, K], 1-D b is [K, 1].
    int64_t m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    int64_t k = a->dims[a->rank - 1];
    int64_t n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    uint32_t na = a->rank > 2 ? a->rank - 2 : 0, nb = b->rank > 2 ? b->rank - 2 : 0;
    uint32_t nbatch = na > nb ? na : nb;
    int64_t out_batch[SY_MAX_RANK], n_mats = 1;
    for (uint32_t i = 0; i < nbatch; i++) {
        // The rule already checked that the batch dims broadcast; take the non-1 one.
        int64_t da = i < nbatch - na ? 1 : a->dims[i - (nbatch - na)];
        int64_t db = i < nbatch - nb ? 1 : b->dims[i - (nbatch - nb)];
        out_batch[i] = da == 1 ? db : da;
        n_mats *= out_batch[i];
    }
    int f32 = y->dtype == SY_DTYPE_F32;
    float block[ACC_BLOCK]; // non-f32 accumulator for a run of output columns

    for (int64_t bi = 0; bi < n_mats; bi++) {
        int64_t a0 = batch_offset(bi, out_batch, nbatch, a->dims, na, m * k); // a: (m, k)
        int64_t b0 = batch_offset(bi, out_batch, nbatch, b->dims, nb, k * n); // b: (k, n)
        int64_t y0 = bi * m * n;                                               // y: (m, n)
        for (int64_t i = 0; i < m; i++) {
            // i-k-j order: the inner loop walks a row of b and a row of y with unit stride.
            int64_t step = f32 ? (n > 0 ? n : 1) : ACC_BLOCK;
            for (int64_t j0 = 0; j0 < n; j0 += step) {
                int64_t nj = n - j0 < step ? n - j0 : step;
                float *acc = f32 ? (float *)y->data + y0 + i * n + j0 : block;
                memset(acc, 0, (size_t)nj * sizeof(float));
                for (int64_t kk = 0; kk < k; kk++) {
                    float aik = sy_load_f_inline(a, a0 + i * k + kk);
                    sy_axpy_f(acc, aik, b, b0 + kk * n + j0, nj);
                }
                for (int64_t j = 0; !f32 && j < nj; j++)
                    sy_store_f_inline(y, y0 + i * n + j0 + j, acc[j]);
            }
        }
    }
    return SY_OK;
}
