// linear and matmul as XNNPACK fully-connected nodes. linear's weight [N, K] is exactly
// XNNPACK's default filter layout [output_channels, input_channels]; matmul by a constant
// [K, N] matrix is the same node with XNN_FLAG_TRANSPOSE_WEIGHTS. Weights must be constants:
// XNNPACK packs them once per runtime (the 2022 API has no dynamic-filter fully-connected).
// Batched matmul of two activations needs xnn_define_batch_matrix_multiply (2024 API).

#include <math.h>

#include "delegates/xnnpack/xnn_internal.h"

static int is_constant(const sy_value_info *v) {
    return v && v->role == SY_ROLE_CONSTANT && v->data != NULL;
}

int xnn_supports_linear(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    if (!xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *x = xnn_input_info(graph, node, 0), *w = xnn_input_info(graph, node, 1);
    const sy_value_info *b = xnn_input_info(graph, node, 2);
    if (!x || !w) return xnn_refuse(reason, reason_size, "linear needs x and weight");
    if (!is_constant(w)) return xnn_refuse(reason, reason_size, "linear weight must be a constant");
    if (w->rank != 2) return xnn_refuse(reason, reason_size, "linear weight must be 2-D");
    if (x->rank < 1 || x->sym[x->rank - 1] >= 0 || x->dims[x->rank - 1] != w->dims[1])
        return xnn_refuse(reason, reason_size, "linear input's last dim must be the static K = %lld",
                          (long long)w->dims[1]);
    if (b && (!is_constant(b) || b->rank != 1 || b->dims[0] != w->dims[0]))
        return xnn_refuse(reason, reason_size, "linear bias must be a constant [N]");
    return 1;
}

enum xnn_status xnn_define_linear(xnn_define_ctx *ctx) {
    const uint32_t bias = ctx->node->n_inputs > 2 ? ctx->in_ids[2] : XNN_INVALID_VALUE_ID;
    ctx->call = "xnn_define_fully_connected";
    return xnn_define_fully_connected(ctx->subgraph, -INFINITY, INFINITY, ctx->in_ids[0],
                                      ctx->in_ids[1], bias, ctx->out_ids[0], 0);
}

// matmul(a, B) with B a constant 2-D matrix: a fully-connected node.
static int matmul_is_fc(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *a = xnn_input_info(graph, node, 0), *b = xnn_input_info(graph, node, 1);
    return a && b && is_constant(b) && b->rank == 2 && a->rank >= 1 && a->sym[a->rank - 1] < 0 &&
           a->dims[a->rank - 1] == b->dims[0];
}

int xnn_supports_matmul(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    if (!xnn_require_f32(graph, node, reason, reason_size)) return 0;
    if (matmul_is_fc(graph, node)) return 1;
#if defined(SY_XNN_HAVE_BMM)
    const sy_value_info *a = xnn_input_info(graph, node, 0), *b = xnn_input_info(graph, node, 1);
    if (!a || !b || a->rank < 3 || a->rank != b->rank)
        return xnn_refuse(reason, reason_size, "batched matmul needs two inputs of equal rank >= 3");
    for (uint32_t i = 0; i + 2 < a->rank; i++) {
        if (a->dims[i] != b->dims[i] || a->sym[i] != b->sym[i])
            return xnn_refuse(reason, reason_size, "batched matmul batch dims must match (no broadcasting)");
    }
    return 1;
#else
    return xnn_refuse(reason, reason_size,
                      "matmul of two activations needs XNNPACK with xnn_define_batch_matrix_multiply "
                      "(this build has the %s API); a constant 2-D right operand is supported",
                      xnn_api_generation());
#endif
}

enum xnn_status xnn_define_matmul(xnn_define_ctx *ctx) {
    if (ctx->in[1].data && ctx->in[1].rank == 2 && ctx->in[0].rank >= 1 &&
        ctx->in[0].dims[ctx->in[0].rank - 1] == ctx->in[1].dims[0]) {
        ctx->call = "xnn_define_fully_connected";
        return xnn_define_fully_connected(ctx->subgraph, -INFINITY, INFINITY, ctx->in_ids[0],
                                          ctx->in_ids[1], XNN_INVALID_VALUE_ID, ctx->out_ids[0],
                                          XNN_FLAG_TRANSPOSE_WEIGHTS);
    }
#if defined(SY_XNN_HAVE_BMM)
    ctx->call = "xnn_define_batch_matrix_multiply";
    return xnn_define_batch_matrix_multiply(ctx->subgraph, ctx->in_ids[0], ctx->in_ids[1],
                                            ctx->out_ids[0], 0);
#else
    ctx->call = "matmul";
    return xnn_status_unsupported_parameter;
#endif
}
