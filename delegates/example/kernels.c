#include "kernels.h"

#include <math.h>

void example_add_f32(float *y, const float *a, const float *b, int64_t n, int64_t b_period) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i % b_period];
}

void example_mul_f32(float *y, const float *a, const float *b, int64_t n, int64_t b_period) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i % b_period];
}

void example_silu_f32(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}

void example_linear_f32(float *y, const float *x, const float *w, const float *bias, int64_t rows, int64_t in,
                        int64_t out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * in; // (in)
        float *yr = y + r * out;      // (out)
        for (int64_t o = 0; o < out; o++) {
            const float *wo = w + o * in; // (in)
            float acc = bias ? bias[o] : 0.0f;
            for (int64_t k = 0; k < in; k++) acc += xr[k] * wo[k];
            yr[o] = acc;
        }
    }
}
