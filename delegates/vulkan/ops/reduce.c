// sum, mean and max over the last axis on f32, one workgroup per row (reduce_last.comp).
// Other axis sets are refused: the partitioner gives those nodes to the next backend.

#include "delegates/vulkan/vk_ops.h"

typedef struct reduce_params {
    uint32_t rows, cols, op;
} reduce_params;

static int reduce_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_value_info *x = sy_vk_input_info(graph, node, 0);
    if (!x || x->rank == 0)
        return sy_vk_refuse(reason, reason_size, "input #0 is a scalar; only last-axis reductions run here");
    const sy_attr *keep = sy_node_find_attr(node, "keepdim");
    if (keep && keep->type != SY_ATTR_INT) return sy_vk_refuse(reason, reason_size, "attribute 'keepdim' must be INT");
    const sy_attr *axes = sy_node_find_attr(node, "axes");
    int64_t last = (int64_t)x->rank - 1;
    if (!axes) {
        if (x->rank != 1)
            return sy_vk_refuse(reason, reason_size,
                                "reduces every axis of a rank-%u input; only the last axis is "
                                "implemented",
                                x->rank);
    } else {
        if (axes->type != SY_ATTR_INTS) return sy_vk_refuse(reason, reason_size, "attribute 'axes' must be INTS");
        if (axes->n != 1)
            return sy_vk_refuse(reason, reason_size,
                                "attribute 'axes' names %u axes; only the last axis alone is "
                                "implemented",
                                axes->n);
        int64_t a = axes->u.ints[0] < 0 ? axes->u.ints[0] + (int64_t)x->rank : axes->u.ints[0];
        if (a != last)
            return sy_vk_refuse(reason, reason_size,
                                "reduces axis %lld of a rank-%u input; only the last axis is "
                                "implemented",
                                (long long)axes->u.ints[0], x->rank);
    }
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status reduce_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_REDUCE_LAST, bind, 1u << 1);
}

static sy_status reduce_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0]; // [..., cols] -> [...] or [..., 1]
    uint64_t cols = x->rank ? (uint64_t)x->dims[x->rank - 1] : 1;
    uint64_t rows = (uint64_t)sy_tensor_numel(&ctx->out_t[0]);
    uint32_t op = ctx->node->op == SY_OP_SUM    ? SY_VK_RED_SUM
                  : ctx->node->op == SY_OP_MEAN ? SY_VK_RED_MEAN
                                                : SY_VK_RED_MAX;
    reduce_params p = {(uint32_t)rows, (uint32_t)cols, op};
    // The rule rejects an empty reduced axis; an empty row count leaves nothing to write.
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, cols ? rows : 0);
}

const sy_vk_op_impl sy_vk_op_reduce = {reduce_supports, reduce_plan, reduce_record};
