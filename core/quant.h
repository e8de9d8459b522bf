#pragma once

// Block quantisation of rows (GGUF's q8_0, q4_0, q4_1 layouts; docs/FORMAT.md). The public
// entry points sy_quantize_row / sy_dequantize_row check their arguments; the block functions
// here do not and are meant for kernels' inner loops (src/dst hold whole blocks).

#include "switchyard/switchyard.h"

#define SY_QK 32 // elements per block of every block dtype

/// Dequantises one block of `dtype` (q8_0, q4_0 or q4_1) into out[32]; other dtypes: zeros.
void sy_dequantize_block(sy_dtype dtype, const void *block, float *out);
