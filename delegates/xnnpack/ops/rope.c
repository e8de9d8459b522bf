// rope as a custom kernel. XNNPACK's rope node (2024 API) wants [batch, tokens, heads, channels]
// and a precomputed table, while this op set has [B, H, T, D] and runtime positions, so one
// kernel serves every API generation: the cos/sin table for this call's positions is built once
// in scratch (T x D/2 pairs, angles in double), then applied to every (batch, head) row.

#include <math.h>

#include "delegates/xnnpack/internal.h"

int sy_xnn_supports_rope(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                      size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *pos = sy_xnn_input_info(graph, node, 1);
    if (!x || !pos) return sy_xnn_refuse(reason, reason_size, "rope needs x and positions");
    if (x->dtype != SY_DTYPE_F32 || graph->values[node->outputs[0]].dtype != SY_DTYPE_F32)
        return sy_xnn_refuse(reason, reason_size, "dtype %s not supported (rope needs f32)",
                          x->dtype == SY_DTYPE_F16 ? "f16" : x->dtype == SY_DTYPE_BF16 ? "bf16" : "non-float");
    if (pos->dtype != SY_DTYPE_I32 && pos->dtype != SY_DTYPE_I64)
        return sy_xnn_refuse(reason, reason_size, "rope positions must be i32 or i64");
    if (x->rank != 4 || x->sym[3] >= 0 || x->dims[3] % 2 != 0)
        return sy_xnn_refuse(reason, reason_size, "rope needs [B, H, T, D] with a static even D");
    const int64_t layout = sy_node_attr_int(node, "layout", 0);
    if (layout != 0 && layout != 1) return sy_xnn_refuse(reason, reason_size, "rope layout must be 0 or 1");
    return 1;
}

size_t sy_xnn_scratch_rope(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *x = &graph->values[node->inputs[0]]; // bounds
    return (size_t)(x->dims[2] * x->dims[3]) * sizeof(float);
}

typedef struct rope_job {
    const sy_xnn_kernel_ctx *ctx;
    float *table;  // (tokens, half, 2): cos, sin
    int64_t tokens, d, half;
    double theta;
    int interleaved;
} rope_job;

static void rope_table(void *p, size_t t) {
    const rope_job *j = p;
    const sy_tensor *pos = &j->ctx->in[1];
    const double position = pos->dtype == SY_DTYPE_I32 ? (double)((const int32_t *)pos->data)[t]
                                                        : (double)((const int64_t *)pos->data)[t];
    float *row = j->table + (int64_t)t * j->half * 2;
    for (int64_t i = 0; i < j->half; i++) {
        const double angle = position * pow(j->theta, -2.0 * (double)i / (double)j->d);
        row[2 * i] = (float)cos(angle);
        row[2 * i + 1] = (float)sin(angle);
    }
}

static void rope_row(void *p, size_t r) {
    const rope_job *j = p;
    const int64_t t = (int64_t)r % j->tokens;
    const float *cs = j->table + t * j->half * 2;
    const float *x = (const float *)j->ctx->in[0].data + (int64_t)r * j->d;
    float *y = (float *)j->ctx->out[0].data + (int64_t)r * j->d;
    // pair i is (i, i + half) in the half-split layout and (2i, 2i + 1) interleaved
    const int64_t stride = j->interleaved ? 2 : 1, other = j->interleaved ? 1 : j->half;
    for (int64_t i = 0; i < j->half; i++) {
        const float a = x[i * stride], b = x[i * stride + other];
        const float c = cs[2 * i], s = cs[2 * i + 1];
        y[i * stride] = a * c - b * s;
        y[i * stride + other] = a * s + b * c;
    }
}

sy_status sy_xnn_run_rope(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0];
    if (sy_tensor_numel(&ctx->in[1]) != x->dims[2]) {
        return sy_xnn_error(ctx->be, SY_ERR_SHAPE, "node #%u '%s' (rope): %lld positions for %lld tokens",
                         ctx->node_id, ctx->node->name ? ctx->node->name : "",
                         (long long)sy_tensor_numel(&ctx->in[1]), (long long)x->dims[2]);
    }
    rope_job j = {
        .ctx = ctx,
        .table = ctx->scratch,
        .tokens = x->dims[2],
        .d = x->dims[3],
        .half = x->dims[3] / 2,
        .theta = sy_node_attr_float(ctx->node, "theta", 10000.0f),
        .interleaved = sy_node_attr_int(ctx->node, "layout", 0) == 1,
    };
    if (j.tokens == 0 || j.d == 0) return SY_OK;
    const int64_t rows = x->dims[0] * x->dims[1] * j.tokens;
    // a decode step's few rows run on the caller (see runtime_pool in kernel.c for why)
    const int small = rows * j.d <= 16384;
    sy_xnn_parallelize(ctx->be, rope_table, &j, (size_t)j.tokens, small);
    sy_xnn_parallelize(ctx->be, rope_row, &j, (size_t)(x->dims[0] * x->dims[1] * j.tokens), small);
    return SY_OK;
}
