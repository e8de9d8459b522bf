// gather(x f32, indices [N] i32/i64) along `axis` (index_select) (gather.comp). Indices are a
// boundary input or a constant: they are checked on the host before anything runs
// (SY_ERR_OUT_OF_RANGE, nothing submitted), and the shader clamps as well, so no index can
// read outside x.

#include "delegates/vulkan/vk_ops.h"

typedef struct gather_params {
    uint32_t n, len, inner, dim;
} gather_params;

static int gather_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_attr *a = sy_node_find_attr(node, "axis");
    if (a && a->type != SY_ATTR_INT) return sy_vk_refuse(reason, reason_size, "attribute 'axis' must be INT");
    const sy_value_info *idx = sy_vk_input_info(graph, node, 1);
    if (!idx || idx->rank != 1) return sy_vk_refuse(reason, reason_size, "indices must be 1-D");
    return sy_vk_check_tensors(be, graph, node, 1u << 1, reason, reason_size);
}

static sy_status gather_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[3] = {ctx->in[0], ctx->in[1], ctx->out[0]};
    sy_vk_plan_host_read(ctx, 1);
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_GATHER, bind, 1u << 2);
}

static sy_status gather_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0], *idx = &ctx->in_t[1]; // x [..., dim, ...], idx [len]
    int64_t axis = sy_node_attr_int(ctx->node, "axis", 0);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= (int64_t)x->rank || idx->rank != 1)
        return sy_vk_error(ctx->be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: node #%u '%s' (gather): axis %lld or indices of rank %u out of range", ctx->node_id,
                           ctx->node->name, (long long)sy_node_attr_int(ctx->node, "axis", 0), idx->rank);
    int64_t dim = x->dims[axis], len = idx->dims[0];
    // indices were checked against [0, dim) by the op's data check (sy_vk_record_steps runs it)
    uint64_t inner = 1;
    for (uint32_t d = (uint32_t)axis + 1; d < x->rank; d++) inner *= (uint64_t)x->dims[d];
    uint64_t n = (uint64_t)sy_tensor_numel(&ctx->out_t[0]);
    gather_params p = {(uint32_t)n, (uint32_t)len, (uint32_t)inner, (uint32_t)dim};
    // An empty axis admits no index, so dim == 0 leaves nothing to gather (and nothing to clamp to).
    uint64_t groups = dim > 0 ? sy_vk_div_up(n, SY_VK_WG) : 0;
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, groups);
}

const sy_vk_op_impl sy_vk_op_gather = {gather_supports, gather_plan, gather_record};
