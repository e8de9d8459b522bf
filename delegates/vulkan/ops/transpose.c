// transpose(x, perm) as a strided copy (copy.comp): output axis d walks input axis perm[d].

#include "delegates/vulkan/vk_ops.h"

static int transpose_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                              size_t reason_size) {
    const sy_attr *perm = sy_node_find_attr(node, "perm");
    const sy_value_info *x = sy_vk_input_info(graph, node, 0);
    if (!perm || perm->type != SY_ATTR_INTS || !x || perm->n != x->rank)
        return sy_vk_refuse(reason, reason_size, "attribute 'perm' must be INTS of the input's rank");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status transpose_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0], *o = &ctx->out_t[0];
    const sy_attr *perm = sy_node_find_attr(ctx->node, "perm");
    int64_t cs[SY_MAX_RANK], co[SY_MAX_RANK];
    sy_vk_contiguous_strides(x, cs);
    sy_vk_contiguous_strides(o, co);
    sy_vk_copy_params p = {0};
    p.n = (uint32_t)sy_tensor_numel(o);
    p.rank = o->rank;
    for (uint32_t d = 0; d < o->rank; d++) {
        int64_t src = perm->u.ints[d] < 0 ? perm->u.ints[d] + x->rank : perm->u.ints[d];
        if (src < 0 || src >= (int64_t)x->rank)
            return sy_vk_error(ctx->be, SY_ERR_INVALID_ARGUMENT, "vulkan: node #%u '%s': bad perm", ctx->node_id,
                               ctx->node->name);
        p.dims[d] = (uint32_t)o->dims[d];
        p.si[d] = (uint32_t)cs[src];
        p.so[d] = (uint32_t)co[d];
    }
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_transpose = {transpose_supports, sy_vk_plan_copy, transpose_record};
