#pragma once

// A compiled partition of the XNNPACK delegate (what the host sees as sy_kernel).

#include "delegates/xnnpack/internal.h"

typedef struct sy_xnn_kernel sy_xnn_kernel;

/// Splits the partition into segments, places its values and builds the plan at the symbol
/// bounds (so XNNPACK rejections surface here). Writes *kernel_out and *info_out on SY_OK.
sy_status sy_xnn_kernel_compile(sy_xnn_backend *be, const sy_subgraph *subgraph, sy_xnn_kernel **kernel_out,
                             sy_compile_info *info_out);
/// Runs the partition for the shapes in args (building a plan the first time a shape is seen).
sy_status sy_xnn_kernel_execute(sy_xnn_kernel *kernel, const sy_exec_args *args);
/// Frees a compiled partition, its runtimes and its operators; accepts NULL.
void sy_xnn_kernel_release(sy_xnn_kernel *kernel);
