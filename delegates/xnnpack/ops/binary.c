// add, sub, mul, div, maximum, minimum: one XNNPACK binary node each. Every XNNPACK generation
// broadcasts NumPy-style over up to XNN_MAX_TENSOR_DIMS (= SY_MAX_RANK) dims, ranks may differ;
// rank-0 operands are given to XNNPACK as [1], which broadcasts identically.

#include <math.h>

#include "delegates/xnnpack/internal.h"

enum xnn_status sy_xnn_emit_binary(sy_xnn_define_ctx *ctx, sy_op op, uint32_t a, uint32_t b,
                                uint32_t out) {
    xnn_subgraph_t sg = ctx->subgraph;
#if defined(SY_XNN_HAVE_BINARY)
    enum xnn_binary_operator type;
    switch (op) {
    case SY_OP_ADD: type = xnn_binary_add; break;
    case SY_OP_SUB: type = xnn_binary_subtract; break;
    case SY_OP_MUL: type = xnn_binary_multiply; break;
    case SY_OP_DIV: type = xnn_binary_divide; break;
    case SY_OP_MAXIMUM: type = xnn_binary_maximum; break;
    case SY_OP_MINIMUM: type = xnn_binary_minimum; break;
    default: ctx->call = "xnn_define_binary"; return xnn_status_unsupported_parameter;
    }
    ctx->call = "xnn_define_binary";
    return xnn_define_binary(sg, type, NULL, a, b, out, 0);
#else
    switch (op) {
    case SY_OP_ADD:
        ctx->call = "xnn_define_add2";
        return xnn_define_add2(sg, -INFINITY, INFINITY, a, b, out, 0);
    case SY_OP_SUB:
        ctx->call = "xnn_define_subtract";
        return xnn_define_subtract(sg, -INFINITY, INFINITY, a, b, out, 0);
    case SY_OP_MUL:
        ctx->call = "xnn_define_multiply2";
        return xnn_define_multiply2(sg, -INFINITY, INFINITY, a, b, out, 0);
    case SY_OP_DIV:
        ctx->call = "xnn_define_divide";
        return xnn_define_divide(sg, -INFINITY, INFINITY, a, b, out, 0);
    case SY_OP_MAXIMUM:
        ctx->call = "xnn_define_maximum2";
        return xnn_define_maximum2(sg, a, b, out, 0);
    case SY_OP_MINIMUM:
        ctx->call = "xnn_define_minimum2";
        return xnn_define_minimum2(sg, a, b, out, 0);
    default:
        ctx->call = "binary";
        return xnn_status_unsupported_parameter;
    }
#endif
}

int sy_xnn_supports_binary(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *a = sy_xnn_input_info(graph, node, 0), *b = sy_xnn_input_info(graph, node, 1);
    if (!a || !b) return sy_xnn_refuse(reason, reason_size, "%s needs two inputs", sy_xnn_op_name(node->op));
    // NumPy broadcasting at the bounds; symbolic dims are checked by the shape rule per call.
    for (uint32_t i = 0; i < a->rank && i < b->rank; i++) {
        int64_t da = a->dims[a->rank - 1 - i], db = b->dims[b->rank - 1 - i];
        int sa = a->sym[a->rank - 1 - i], sb = b->sym[b->rank - 1 - i];
        if (sa < 0 && sb < 0 && da != db && da != 1 && db != 1)
            return sy_xnn_refuse(reason, reason_size, "%s cannot broadcast dims %lld and %lld",
                              sy_xnn_op_name(node->op), (long long)da, (long long)db);
    }
    return 1;
}

enum xnn_status sy_xnn_define_binary_op(sy_xnn_define_ctx *ctx) {
    return sy_xnn_emit_binary(ctx, ctx->node->op, ctx->in_ids[0], ctx->in_ids[1], ctx->out_ids[0]);
}
