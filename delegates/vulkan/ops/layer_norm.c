// layer_norm(x, weight, bias?) over the last axis on f32, one workgroup per row
// (layer_norm.comp).

#include "delegates/vulkan/vk_ops.h"

typedef struct layer_norm_params {
    uint32_t rows, cols;
    float eps;
    uint32_t flags;
} layer_norm_params;

static int has_bias(const sy_vk_node_ctx *ctx) {
    return ctx->node->n_inputs > 2 && ctx->in[2] != UINT32_MAX;
}

static int layer_norm_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                               size_t reason_size) {
    const sy_attr *a = sy_node_find_attr(node, "eps");
    if (a && a->type != SY_ATTR_FLOAT) return sy_vk_refuse(reason, reason_size, "attribute 'eps' must be FLOAT");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status layer_norm_plan(sy_vk_node_ctx *ctx) {
    // Without a bias the weight stands in for binding 2 (never read: the flag is off).
    uint32_t bind[4] = {ctx->in[0], ctx->in[1], has_bias(ctx) ? ctx->in[2] : ctx->in[1], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_LAYER_NORM, bind, 1u << 3);
}

static sy_status layer_norm_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0]; // [..., cols]
    uint64_t cols = x->rank ? (uint64_t)x->dims[x->rank - 1] : 1;
    uint64_t rows = cols ? (uint64_t)sy_tensor_numel(x) / cols : 0;
    layer_norm_params p = {(uint32_t)rows, (uint32_t)cols, sy_node_attr_float(ctx->node, "eps", 1e-5f),
                           has_bias(ctx) ? SY_VK_LN_BIAS : 0u};
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, rows);
}

const sy_vk_op_impl sy_vk_op_layer_norm = {layer_norm_supports, layer_norm_plan, layer_norm_record};
