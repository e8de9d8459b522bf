// neg, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, silu, gelu, relu on f32 (unary.comp).

#include "delegates/vulkan/vk_ops.h"

typedef struct unary_params {
    uint32_t n, op;
} unary_params;

static uint32_t op_code(const sy_node_info *node) {
    switch (node->op) {
    case SY_OP_NEG: return SY_VK_UN_NEG;
    case SY_OP_EXP: return SY_VK_UN_EXP;
    case SY_OP_LOG: return SY_VK_UN_LOG;
    case SY_OP_SQRT: return SY_VK_UN_SQRT;
    case SY_OP_RSQRT: return SY_VK_UN_RSQRT;
    case SY_OP_SIN: return SY_VK_UN_SIN;
    case SY_OP_COS: return SY_VK_UN_COS;
    case SY_OP_TANH: return SY_VK_UN_TANH;
    case SY_OP_SIGMOID: return SY_VK_UN_SIGMOID;
    case SY_OP_SILU: return SY_VK_UN_SILU;
    case SY_OP_GELU: return sy_node_attr_int(node, "approximate", 0) ? SY_VK_UN_GELU_TANH : SY_VK_UN_GELU;
    default: return SY_VK_UN_RELU;
    }
}

static int unary_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                          size_t reason_size) {
    if (node->op == SY_OP_GELU) {
        const sy_attr *a = sy_node_find_attr(node, "approximate");
        if (a && (a->type != SY_ATTR_INT || (a->u.i != 0 && a->u.i != 1)))
            return sy_vk_refuse(reason, reason_size, "gelu attribute 'approximate' must be INT 0 or 1");
    }
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status unary_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_UNARY, bind, 1u << 1);
}

static sy_status unary_record(sy_vk_node_ctx *ctx) {
    int64_t n = sy_tensor_numel(&ctx->out_t[0]);
    unary_params p = {(uint32_t)n, op_code(ctx->node)};
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up((uint64_t)n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_unary = {unary_supports, unary_plan, unary_record};
