// clamp on f32 (clamp.comp): the bounds travel as push constants.

#include <math.h>

#include "delegates/vulkan/vk_ops.h"

typedef struct clamp_params {
    uint32_t n;
    float lo, hi;
} clamp_params;

static int clamp_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                          size_t reason_size) {
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status clamp_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_CLAMP, bind, 1u << 1);
}

static sy_status clamp_record(sy_vk_node_ctx *ctx) {
    int64_t n = sy_tensor_numel(&ctx->out_t[0]);
    clamp_params p = {(uint32_t)n, sy_node_attr_float(ctx->node, "min", -INFINITY),
                      sy_node_attr_float(ctx->node, "max", INFINITY)};
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up((uint64_t)n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_clamp = {clamp_supports, clamp_plan, clamp_record};
