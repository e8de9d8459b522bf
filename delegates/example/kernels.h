#pragma once

// Plain C f32 kernels of the example delegate. Output first, then inputs, then sizes; every
// buffer is dense and row-major. No allocation, no state: each is a loop a reader can check.

#include <stdint.h>

/// y[i] = a[i] + b[i % b_period], i < n. b_period = n: same shapes; b_period = the last dim of
/// a: b is one row added to every row of a.
void example_add_f32(float *y, const float *a, const float *b, int64_t n, int64_t b_period);
/// y[i] = a[i] * b[i % b_period], i < n (as example_add_f32).
void example_mul_f32(float *y, const float *a, const float *b, int64_t n, int64_t b_period);
/// y[i] = x[i] / (1 + exp(-x[i])), i < n.
void example_silu_f32(float *y, const float *x, int64_t n);
/// y = x · wᵀ + bias: x (rows, in), w (out, in), bias (out) or NULL, y (rows, out).
void example_linear_f32(float *y, const float *x, const float *w, const float *bias, int64_t rows, int64_t in,
                        int64_t out);
