// Portable kernels of softmax, rms_norm and layer_norm. Each works on independent rows: softmax
// on the rows along its axis (stride = product of the dims after it), the norms on the last
// axis (contiguous rows of D). Row statistics accumulate in double; f32 has a direct path,
// f16/bf16 go through sy_load_f/sy_store_f and never store an unnormalised intermediate.

#include "delegates/portable/ops/common.h"

// --- softmax ---

// y[j*s] = exp(x[j*s] - max) / sum over the n elements of one row.
static void softmax_row_f32(float *y, const float *x, int64_t n, int64_t s) {
    float m = -INFINITY;
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) m = x[j * s] > m ? x[j * s] : m;
    for (int64_t j = 0; j < n; j++) {
        float e = expf(x[j * s] - m); // read before write: y may alias x
        y[j * s] = e;
        sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < n; j++) y[j * s] *= inv;
}

// The same for f16/bf16: exp is computed twice rather than rounding it to 16 bits in y.
static void softmax_row_any(sy_tensor *y, const sy_tensor *x, int64_t base, int64_t n, int64_t s) {
    float m = -INFINITY;
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) {
        float v = sy_load_f_inline(x, base + j * s);
        m = v > m ? v : m;
    }
    for (int64_t j = 0; j < n; j++) sum += expf(sy_load_f_inline(x, base + j * s) - m);
    float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < n; j++)
        sy_store_f_inline(y, base + j * s, expf(sy_load_f_inline(x, base + j * s) - m) * inv);
}

sy_status sy_portable_SOFTMAX(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    sy_tensor *y = &outputs[0];
    uint32_t a;
    SY_TRY(sy_normalize_axis(sy_node_attr_int(node, "axis", -1), x->rank, "attribute 'axis'", &a));
    // x viewed as [outer, n, inner]; a row is n elements inner apart.
    int64_t outer = sy_dims_product(x->dims, 0, a), n = x->dims[a];
    int64_t inner = sy_dims_product(x->dims, a + 1, x->rank);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t k = 0; k < inner; k++) {
            int64_t base = o * n * inner + k;
            if (x->dtype == SY_DTYPE_F32)
                softmax_row_f32((float *)y->data + base, (const float *)x->data + base, n, inner);
            else
                softmax_row_any(y, x, base, n, inner);
        }
    }
    return SY_OK;
}

// --- rms_norm, layer_norm ---

sy_status sy_portable_RMS_NORM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *w = &inputs[1];
    sy_tensor *y = &outputs[0];
    float eps = sy_node_attr_float(node, "eps", 1e-6f);
    int64_t d = x->dims[x->rank - 1], rows = sy_tensor_numel(x) / (d ? d : 1);
    for (int64_t r = 0; r < rows; r++) {
        int64_t base = r * d; // row r: x[base .. base + d)
        double ss = 0.0;
        if (x->dtype == SY_DTYPE_F32) {
            const float *xp = (const float *)x->data + base, *wp = (const float *)w->data;
            float *yp = (float *)y->data + base;
            for (int64_t j = 0; j < d; j++) ss += xp[j] * xp[j];
            float inv = 1.0f / sqrtf((float)(ss / (double)d) + eps);
            for (int64_t j = 0; j < d; j++) yp[j] = xp[j] * inv * wp[j];
        } else {
            for (int64_t j = 0; j < d; j++) {
                float v = sy_load_f_inline(x, base + j);
                ss += v * v;
            }
            float inv = 1.0f / sqrtf((float)(ss / (double)d) + eps);
            for (int64_t j = 0; j < d; j++)
                sy_store_f_inline(y, base + j, sy_load_f_inline(x, base + j) * inv * sy_load_f_inline(w, j));
        }
    }
    return SY_OK;
}

sy_status sy_portable_LAYER_NORM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *w = &inputs[1];
    const sy_tensor *b = node->n_inputs > 2 && inputs[2].data ? &inputs[2] : NULL; // optional
    sy_tensor *y = &outputs[0];
    float eps = sy_node_attr_float(node, "eps", 1e-5f);
    int64_t d = x->dims[x->rank - 1], rows = sy_tensor_numel(x) / (d ? d : 1);
    for (int64_t r = 0; r < rows; r++) {
        int64_t base = r * d; // row r: x[base .. base + d)
        double sum = 0.0, sq = 0.0;
        // Two passes (mean, then squared deviations): no cancellation for rows with a large mean.
        for (int64_t j = 0; j < d; j++) sum += sy_load_f_inline(x, base + j);
        float mean = (float)(sum / (double)d);
        for (int64_t j = 0; j < d; j++) {
            float dev = sy_load_f_inline(x, base + j) - mean;
            sq += dev * dev;
        }
        float inv = 1.0f / sqrtf((float)(sq / (double)d) + eps);
        if (x->dtype == SY_DTYPE_F32) {
            const float *xp = (const float *)x->data + base, *wp = (const float *)w->data;
            const float *bp = b ? (const float *)b->data : NULL;
            float *yp = (float *)y->data + base;
            for (int64_t j = 0; j < d; j++) yp[j] = (xp[j] - mean) * inv * wp[j] + (bp ? bp[j] : 0.0f);
        } else {
            for (int64_t j = 0; j < d; j++) {
                float v = (sy_load_f_inline(x, base + j) - mean) * inv * sy_load_f_inline(w, j);
                sy_store_f_inline(y, base + j, v + (b ? sy_load_f_inline(b, j) : 0.0f));
            }
        }
    }
    return SY_OK;
}
