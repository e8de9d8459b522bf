// softmax over the last axis: XNNPACK's softmax node always normalises the innermost dim.

#include "delegates/xnnpack/internal.h"

int sy_xnn_supports_softmax(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                         size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    if (!x || x->rank < 1) return sy_xnn_refuse(reason, reason_size, "softmax needs rank >= 1");
    int64_t axis = sy_node_attr_int(node, "axis", -1);
    if (axis < 0) axis += x->rank;
    if (axis != (int64_t)x->rank - 1)
        return sy_xnn_refuse(reason, reason_size, "softmax only over the last axis (axis %lld of rank %u)",
                          (long long)sy_node_attr_int(node, "axis", -1), x->rank);
    return 1;
}

enum xnn_status sy_xnn_define_softmax_op(sy_xnn_define_ctx *ctx) {
    ctx->call = "xnn_define_softmax";
    return xnn_define_softmax(ctx->subgraph, ctx->in_ids[0], ctx->out_ids[0], 0);
}
