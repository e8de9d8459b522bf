// add, sub, mul, div, pow, maximum, minimum on f32 with NumPy broadcasting (binary.comp).

#include "delegates/vulkan/vk_ops.h"

typedef struct binary_params {
    uint32_t n, rank, op, flags;
    uint32_t dims[6], sa[6], sb[6];
} binary_params;

static uint32_t op_code(sy_op op) {
    switch (op) {
    case SY_OP_ADD: return SY_VK_BIN_ADD;
    case SY_OP_SUB: return SY_VK_BIN_SUB;
    case SY_OP_MUL: return SY_VK_BIN_MUL;
    case SY_OP_DIV: return SY_VK_BIN_DIV;
    case SY_OP_POW: return SY_VK_BIN_POW;
    case SY_OP_MAXIMUM: return SY_VK_BIN_MAX;
    default: return SY_VK_BIN_MIN;
    }
}

static int binary_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status binary_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[3] = {ctx->in[0], ctx->in[1], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_BINARY, bind, 1u << 2);
}

static int same_dims(const sy_tensor *a, const sy_tensor *b) {
    if (a->rank != b->rank) return 0;
    for (uint32_t d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return 0;
    return 1;
}

// Strides of `x` per output axis: its own row-major stride, 0 where it broadcasts.
static void broadcast_strides(const sy_tensor *x, const sy_tensor *o, uint32_t *out) {
    int64_t cs[SY_MAX_RANK];
    sy_vk_contiguous_strides(x, cs);
    for (uint32_t d = 0; d < o->rank; d++) {
        int xd = (int)d - (int)(o->rank - x->rank);
        out[d] = (xd < 0 || x->dims[xd] == 1) ? 0 : (uint32_t)cs[xd];
    }
}

static sy_status binary_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *a = &ctx->in_t[0], *b = &ctx->in_t[1], *o = &ctx->out_t[0];
    binary_params p = {0};
    int64_t n = sy_tensor_numel(o);
    p.n = (uint32_t)n;
    p.rank = o->rank;
    p.op = op_code(ctx->node->op);
    if (same_dims(a, o) && same_dims(b, o)) {
        p.flags = SY_VK_BIN_SAME_SHAPE;
    } else {
        for (uint32_t d = 0; d < o->rank; d++) p.dims[d] = (uint32_t)o->dims[d];
        broadcast_strides(a, o, p.sa);
        broadcast_strides(b, o, p.sb);
    }
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up((uint64_t)n, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_binary = {binary_supports, binary_plan, binary_record};
