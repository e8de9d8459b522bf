// Portable reference for block-quantised weights. Each block is dequantised into 32 floats
// (core/quant.c, the same function as sy_dequantize_row) and consumed at once, so the sums run
// in the same order as the f32 kernel's on the dequantised weights.

#include "delegates/portable/ops/quant.h"

#include "core/quant.h"

// The dot product of a quantised row (k elements, whole blocks) with x[0..k).
static float dot_q(sy_dtype dt, const uint8_t *row, const float *x, int64_t k) {
    const size_t bb = sy_dtype_block_bytes(dt);
    float w[SY_QK], s = 0.0f;
    for (int64_t b = 0; b < k / SY_QK; b++) {
        sy_dequantize_block(dt, row + (size_t)b * bb, w);
        const float *xb = x + b * SY_QK;
        for (int i = 0; i < SY_QK; i++) s += w[i] * xb[i];
    }
    return s;
}

void sy_portable_linear_q(const sy_tensor *x, const sy_tensor *w, const sy_tensor *bias, sy_tensor *y) {
    const int64_t k = w->dims[1], n = w->dims[0], m = sy_tensor_numel(x) / (k ? k : 1);
    const size_t row_bytes = sy_dtype_row_bytes(w->dtype, k);
    const float *xs = x->data, *bs = bias ? bias->data : NULL;
    float *ys = y->data;
    for (int64_t r = 0; r < m; r++) {     // x: (m, k)
        for (int64_t c = 0; c < n; c++) { // w: (n, k) blocks, y: (m, n)
            float s = dot_q(w->dtype, (const uint8_t *)w->data + (size_t)c * row_bytes, xs + r * k, k);
            ys[r * n + c] = bs ? s + bs[c] : s;
        }
    }
}

void sy_portable_dequant_row(const sy_tensor *table, int64_t row, float *out) {
    const int64_t d = table->dims[1];
    const size_t bb = sy_dtype_block_bytes(table->dtype);
    const uint8_t *p = (const uint8_t *)table->data + (size_t)row * sy_dtype_row_bytes(table->dtype, d);
    for (int64_t b = 0; b < d / SY_QK; b++) sy_dequantize_block(table->dtype, p + (size_t)b * bb, out + b * SY_QK);
}
