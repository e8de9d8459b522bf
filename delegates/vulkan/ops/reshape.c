// reshape: the output shares the input's buffer (no work at all) unless the input is a state,
// whose bytes may change later in the partition; then a flat copy (copy.comp).

#include "delegates/vulkan/vk_ops.h"

static int reshape_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                            size_t reason_size) {
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status reshape_plan(sy_vk_node_ctx *ctx) {
    const sy_value_info *in = &ctx->graph->values[ctx->node->inputs[0]];
    const sy_value_info *out = &ctx->graph->values[ctx->node->outputs[0]];
    if (in->role != SY_ROLE_STATE && in->nbytes >= out->nbytes) {
        sy_vk_plan_alias(ctx, 0, 0);
        return SY_OK;
    }
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, bind, 1u << 1);
}

static sy_status reshape_record(sy_vk_node_ctx *ctx) {
    if (ctx->n_slots == 0) return SY_OK; // aliased
    sy_vk_copy_params p = {0};
    p.n = (uint32_t)sy_tensor_numel(&ctx->out_t[0]);
    p.rank = 1;
    p.dims[0] = p.n;
    p.si[0] = p.so[0] = 1;
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_reshape = {reshape_supports, reshape_plan, reshape_record};
