// rms_norm(x, weight) over the last axis on f32, one workgroup per row (rms_norm.comp).

#include "delegates/vulkan/vk_ops.h"

typedef struct rms_norm_params {
    uint32_t rows, cols;
    float eps;
} rms_norm_params;

static int rms_norm_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                             size_t reason_size) {
    const sy_attr *a = sy_node_find_attr(node, "eps");
    if (a && a->type != SY_ATTR_FLOAT) return sy_vk_refuse(reason, reason_size, "attribute 'eps' must be FLOAT");
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status rms_norm_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[3] = {ctx->in[0], ctx->in[1], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_RMS_NORM, bind, 1u << 2);
}

static sy_status rms_norm_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0];
    uint64_t cols = x->rank ? (uint64_t)x->dims[x->rank - 1] : 1;
    uint64_t rows = cols ? (uint64_t)sy_tensor_numel(x) / cols : 0;
    rms_norm_params p = {(uint32_t)rows, (uint32_t)cols, sy_node_attr_float(ctx->node, "eps", 1e-6f)};
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, rows);
}

const sy_vk_op_impl sy_vk_op_rms_norm = {rms_norm_supports, rms_norm_plan, rms_norm_record};
