// update_cache(cache [B, H, S, D] state, new [B, H, T, D], start_pos): a strided copy of `new`
// into rows [start, start + T) of the cache (copy.comp). start_pos is read on the host and
// checked before anything runs.

#include "delegates/vulkan/vk_ops.h"

static int update_cache_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                                 size_t reason_size) {
    const sy_value_info *cache = sy_vk_input_info(graph, node, 0);
    if (!cache || cache->role != SY_ROLE_STATE || cache->rank != 4)
        return sy_vk_refuse(reason, reason_size, "the cache must be a 4-D state tensor");
    return sy_vk_check_tensors(be, graph, node, 1u << 2, reason, reason_size);
}

static sy_status update_cache_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[1], ctx->in[0]};
    sy_vk_plan_host_read(ctx, 2);
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, bind, 1u << 1);
}

static sy_status update_cache_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *cache = &ctx->in_t[0], *x = &ctx->in_t[1];
    int64_t start;
    SY_VK_TRY(sy_vk_cache_start(ctx, &ctx->in_t[2], x->dims[2], cache->dims[2], &start));
    int64_t cs[SY_MAX_RANK];
    sy_vk_contiguous_strides(cache, cs);
    sy_vk_copy_params p;
    sy_vk_copy_params_contig(&p, x, cs, start * cs[2]);
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_update_cache = {update_cache_supports, update_cache_plan, update_cache_record};
