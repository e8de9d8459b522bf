// rope(x [B, H, T, D], positions [T]) on f32, both layouts (rope.comp). Positions are host
// data (a boundary input or constant); the host turns them into cos/sin pairs in double
// precision, the same arithmetic as the portable kernel, and uploads them with the inputs.

#include <math.h>

#include "delegates/vulkan/vk_ops.h"

typedef struct rope_params {
    uint32_t n_pairs, T, D, layout;
} rope_params;

static int rope_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                         size_t reason_size) {
    const sy_attr *layout = sy_node_find_attr(node, "layout");
    if (layout && (layout->type != SY_ATTR_INT || (layout->u.i != 0 && layout->u.i != 1)))
        return sy_vk_refuse(reason, reason_size, "attribute 'layout' must be INT 0 or 1");
    const sy_attr *theta = sy_node_find_attr(node, "theta");
    if (theta && (theta->type != SY_ATTR_FLOAT || !(theta->u.f > 0.0f)))
        return sy_vk_refuse(reason, reason_size, "attribute 'theta' must be a positive FLOAT");
    const sy_value_info *x = sy_vk_input_info(graph, node, 0);
    if (!x || x->rank != 4) return sy_vk_refuse(reason, reason_size, "x must be [B, H, T, D]");
    return sy_vk_check_tensors(be, graph, node, 1u << 1, reason, reason_size);
}

static sy_status rope_plan(sy_vk_node_ctx *ctx) {
    const sy_value_info *x = &ctx->graph->values[ctx->node->inputs[0]];
    uint32_t rot;
    // [T, D/2] (cos, sin) pairs at the bound T: T * D floats.
    SY_VK_TRY(sy_vk_plan_aux(ctx, (uint64_t)x->dims[2] * (uint64_t)x->dims[3], &rot));
    sy_vk_plan_host_read(ctx, 1);
    uint32_t bind[3] = {ctx->in[0], rot, ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_ROPE, bind, 1u << 2);
}

static sy_status rope_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *x = &ctx->in_t[0], *pos = &ctx->in_t[1];
    int64_t T = x->dims[2], D = x->dims[3], half = D / 2;
    float *rot = sy_vk_aux_write(ctx, 0, 1, (uint64_t)(T * D));
    if (!ctx->dry_run && (!rot || !pos->data))
        return sy_vk_error(ctx->be, SY_ERR_INTERNAL, "vulkan: node #%u '%s': rope table unavailable", ctx->node_id,
                           ctx->node->name);
    if (rot) {
        double theta = sy_node_attr_float(ctx->node, "theta", 10000.0f);
        for (int64_t i = 0; i < half; i++) {
            double freq = pow(theta, -2.0 * (double)i / (double)D);
            for (int64_t t = 0; t < T; t++) {
                double angle = (double)sy_vk_load_int(pos, t) * freq;
                rot[(t * half + i) * 2] = (float)cos(angle);
                rot[(t * half + i) * 2 + 1] = (float)sin(angle);
            }
        }
    }
    rope_params p = {
        .n_pairs = (uint32_t)(sy_tensor_numel(x) / 2),
        .T = (uint32_t)T,
        .D = (uint32_t)D,
        .layout = (uint32_t)sy_node_attr_int(ctx->node, "layout", 0),
    };
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, sy_vk_div_up(p.n_pairs, SY_VK_WG));
}

const sy_vk_op_impl sy_vk_op_rope = {rope_supports, rope_plan, rope_record};
