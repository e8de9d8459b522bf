// clamp as our own loop rather than xnn_define_clamp: libXNNPACK's clamp turns NaN into a bound
// (its min/max instructions drop NaN), and portable keeps NaN (docs/OPS.md, Special values).

#include <math.h>

#include "delegates/xnnpack/internal.h"

int sy_xnn_supports_clamp(const sy_graph_view *graph, const sy_node_info *node, char *reason, size_t reason_size) {
    return sy_xnn_require_f32(graph, node, reason, reason_size);
}

sy_status sy_xnn_run_clamp(const sy_xnn_kernel_ctx *ctx) {
    const float *x = ctx->in[0].data; // any shape
    float *y = ctx->out[0].data;      // same shape
    const float lo = sy_node_attr_float(ctx->node, "min", -INFINITY), hi = sy_node_attr_float(ctx->node, "max", INFINITY);
    const int64_t n = sy_tensor_numel(&ctx->in[0]);
    for (int64_t i = 0; i < n; i++) y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i]; // NaN compares false
    return SY_OK;
}
