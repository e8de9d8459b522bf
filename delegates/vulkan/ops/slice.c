// slice(x, axis, start, end, step) with Python semantics as a strided copy (copy.comp).

#include "delegates/vulkan/vk_ops.h"

static int slice_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                          size_t reason_size) {
    static const char *const names[] = {"axis", "start", "end", "step"};
    for (int i = 0; i < 4; i++) {
        const sy_attr *a = sy_node_find_attr(node, names[i]);
        if (a && a->type != SY_ATTR_INT)
            return sy_vk_refuse(reason, reason_size, "attribute '%s' must be INT", names[i]);
    }
    if (sy_node_attr_int(node, "step", 1) < 1)
        return sy_vk_refuse(reason, reason_size, "attribute 'step' must be >= 1");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status slice_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0], *o = &ctx->out_t[0];
    int64_t axis = sy_node_attr_int(ctx->node, "axis", 0);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= (int64_t)x->rank)
        return sy_vk_error(ctx->be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: node #%u '%s': slice axis "
                           "out of range",
                           ctx->node_id, ctx->node->name);
    int64_t dim = x->dims[axis];
    int64_t start = sy_node_attr_int(ctx->node, "start", 0);
    int64_t step = sy_node_attr_int(ctx->node, "step", 1);
    if (start < 0) start += dim;
    if (start < 0) start = 0;
    if (start > dim) start = dim;
    int64_t cs[SY_MAX_RANK], co[SY_MAX_RANK];
    sy_vk_contiguous_strides(x, cs);
    sy_vk_contiguous_strides(o, co);
    sy_vk_copy_params p = {0};
    p.n = (uint32_t)sy_tensor_numel(o);
    p.rank = o->rank;
    p.in_base = (uint32_t)(start * cs[axis]);
    for (uint32_t d = 0; d < o->rank; d++) {
        p.dims[d] = (uint32_t)o->dims[d];
        p.si[d] = (uint32_t)(d == axis ? cs[d] * step : cs[d]);
        p.so[d] = (uint32_t)co[d];
    }
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_slice = {slice_supports, sy_vk_plan_copy, slice_record};
