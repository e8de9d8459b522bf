#pragma once

// Portable reference kernels: one function per op, all dtypes the op allows (f32 compute;
// f16/bf16 storage converted on load and store). Every other delegate is checked against these.
//
// Contract: inputs[i] and outputs[i] carry concrete dtype/rank/dims (already checked by the
// op's shape rule) and contiguous row-major data; an absent optional input has data == NULL.
// A kernel validates data-dependent things only (token ids, positions) and then, before writing
// anything, fails with sy_error_set(SY_ERR_OUT_OF_RANGE, ...). Kernels allocate nothing.

#include "core/ops.h"

typedef sy_status (*sy_portable_kernel_fn)(const sy_node_info *node, const sy_tensor *inputs,
                                           sy_tensor *outputs);

#define SY_PORTABLE_DECL_(id, name, min_in, max_in, n_out, mut)                                   \
    sy_status sy_portable_##id(const sy_node_info *node, const sy_tensor *inputs,                 \
                               sy_tensor *outputs);
SY_OP_LIST(SY_PORTABLE_DECL_)
#undef SY_PORTABLE_DECL_

/// Reads element i of a float-typed tensor (f32, f16, bf16) as f32.
float sy_load_f(const sy_tensor *t, int64_t i);
/// Writes element i of a float-typed tensor (f32, f16, bf16) from f32.
void sy_store_f(sy_tensor *t, int64_t i, float v);
/// Reads element i of an integer tensor (i32, i64, u8, bool) as int64.
int64_t sy_load_i(const sy_tensor *t, int64_t i);
