// concat(x0, x1, ...) along an axis: one strided copy per input into its block of the output
// (copy.comp).

#include "delegates/vulkan/vk_ops.h"

static int concat_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_attr *a = sy_node_find_attr(node, "axis");
    if (!a || a->type != SY_ATTR_INT) return sy_vk_refuse(reason, reason_size, "attribute 'axis' must be INT");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status concat_plan(sy_vk_node_ctx *ctx) {
    for (uint32_t i = 0; i < ctx->node->n_inputs; i++) {
        uint32_t bind[2] = {ctx->in[i], ctx->out[0]};
        SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, bind, 1u << 1));
    }
    return SY_OK;
}

static sy_status concat_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *o = &ctx->out_t[0];
    int64_t axis = sy_node_attr_int(ctx->node, "axis", 0);
    if (axis < 0) axis += o->rank;
    if (axis < 0 || axis >= (int64_t)o->rank)
        return sy_vk_error(ctx->be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: node #%u '%s': concat axis "
                           "out of range",
                           ctx->node_id, ctx->node->name);
    int64_t co[SY_MAX_RANK];
    sy_vk_contiguous_strides(o, co);
    int64_t offset = 0;
    for (uint32_t i = 0; i < ctx->node->n_inputs; i++) {
        const sy_tensor *x = &ctx->in_t[i];
        sy_vk_copy_params p;
        sy_vk_copy_params_contig(&p, x, co, offset * co[axis]);
        SY_VK_TRY(sy_vk_dispatch_1d(ctx, i, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG)));
        offset += x->dims[axis];
    }
    return SY_OK;
}

const sy_vk_op_impl sy_vk_op_concat = {concat_supports, concat_plan, concat_record};
