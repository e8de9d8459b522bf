#pragma once

// Portable kernels' paths for block-quantised weights (q8_0, q4_0, q4_1): dequantise a block at
// a time on the fly and accumulate in f32 against f32 activations. Called from the linear and
// embedding kernels when the weight or table has a block dtype (the op rules allow no others).

#include "switchyard/types.h"

/// linear with a quantised w [N, K]: y (m, N) = x (m, K) . w^T + bias (f32 x, bias, y).
void sy_portable_linear_q(const sy_tensor *x, const sy_tensor *w, const sy_tensor *bias, sy_tensor *y);
/// Row `row` of a quantised table [V, D] as D floats at out.
void sy_portable_dequant_row(const sy_tensor *table, int64_t row, float *out);
