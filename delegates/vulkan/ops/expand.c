// expand(x, shape) as a copy that reads broadcast axes with stride 0 (copy.comp).

#include "delegates/vulkan/vk_ops.h"

static int expand_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status expand_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0], *o = &ctx->out_t[0];
    int64_t cs[SY_MAX_RANK], co[SY_MAX_RANK];
    sy_vk_contiguous_strides(x, cs);
    sy_vk_contiguous_strides(o, co);
    sy_vk_copy_params p = {0};
    p.n = (uint32_t)sy_tensor_numel(o);
    p.rank = o->rank;
    for (uint32_t d = 0; d < o->rank; d++) {
        int xd = (int)d - (int)(o->rank - x->rank);
        p.dims[d] = (uint32_t)o->dims[d];
        p.si[d] = (xd < 0 || x->dims[xd] == 1) ? 0 : (uint32_t)cs[xd];
        p.so[d] = (uint32_t)co[d];
    }
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_expand = {expand_supports, sy_vk_plan_copy, expand_record};
