// softmax along any axis on f32, one workgroup per row (softmax.comp).

#include "delegates/vulkan/vk_ops.h"

typedef struct softmax_params {
    uint32_t rows, len, inner;
} softmax_params;

static int softmax_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                            size_t reason_size) {
    const sy_attr *a = sy_node_find_attr(node, "axis");
    if (a && a->type != SY_ATTR_INT) return sy_vk_refuse(reason, reason_size, "attribute 'axis' must be INT");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status softmax_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_SOFTMAX, bind, 1u << 1);
}

static sy_status softmax_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0];
    int64_t axis = sy_node_attr_int(ctx->node, "axis", -1);
    if (axis < 0) axis += x->rank;
    if (x->rank == 0 || axis < 0 || axis >= (int64_t)x->rank)
        return sy_vk_error(ctx->be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: node #%u '%s': softmax axis "
                           "out of range",
                           ctx->node_id, ctx->node->name);
    uint64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; d++) outer *= (uint64_t)x->dims[d];
    for (uint32_t d = (uint32_t)axis + 1; d < x->rank; d++) inner *= (uint64_t)x->dims[d];
    softmax_params p = {(uint32_t)(outer * inner), (uint32_t)x->dims[axis], (uint32_t)inner};
    uint64_t rows = p.len ? (uint64_t)p.rows : 0; // an empty axis leaves nothing to write
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, rows);
}

const sy_vk_op_impl sy_vk_op_softmax = {softmax_supports, softmax_plan, softmax_record};
