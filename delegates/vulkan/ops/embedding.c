// embedding(table [V, D] f32, ids i32/i64) (embedding.comp), or a q8_0/q4_0/q4_1 constant table
// read block by block (embedding_q*.comp; the device holds only the raw blocks). Ids are a small
// boundary input: they are checked on the host before anything runs (SY_ERR_OUT_OF_RANGE), and
// the shader clamps as well, so no id can read outside the table.

#include "delegates/vulkan/vk_ops.h"

typedef struct embedding_params {
    uint32_t n, D, V;
} embedding_params;

static int embedding_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                              size_t reason_size) {
    const sy_value_info *table = sy_vk_input_info(graph, node, 0);
    if (!table || table->rank != 2) return sy_vk_refuse(reason, reason_size, "table must be 2-D");
    if (sy_dtype_is_block(table->dtype)) {
        if (!sy_vk_check_block_weight(be, graph, node, 0, "table", reason, reason_size)) return 0;
        return sy_vk_check_tensors_except(be, graph, node, 1u << 1, 1u << 0, reason, reason_size);
    }
    return sy_vk_check_tensors(be, graph, node, 1u << 1, reason, reason_size);
}

static const sy_vk_shader block_shaders[3] = {SY_VK_SHADER_EMBEDDING_Q8_0, SY_VK_SHADER_EMBEDDING_Q4_0,
                                              SY_VK_SHADER_EMBEDDING_Q4_1};

static sy_status embedding_plan(sy_vk_node_ctx *ctx) {
    uint32_t bind[3] = {ctx->in[0], ctx->in[1], ctx->out[0]};
    int q = sy_vk_block_index(ctx->graph->values[ctx->node->inputs[0]].dtype);
    sy_vk_plan_host_read(ctx, 1);
    return sy_vk_plan_slot(ctx, q < 0 ? SY_VK_SHADER_EMBEDDING : block_shaders[q], bind, 1u << 2);
}

static sy_status embedding_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *table = &ctx->in_t[0], *ids = &ctx->in_t[1];
    int64_t V = table->dims[0], D = table->dims[1], n_ids = sy_tensor_numel(ids);
    // ids were checked against [0, V) by the op's data check (sy_vk_record_steps runs it)
    embedding_params p = {(uint32_t)(n_ids * D), (uint32_t)D, (uint32_t)V};
    uint64_t groups = V > 0 ? sy_vk_div_up(p.n, SY_VK_WG) : 0;
    return sy_vk_dispatch_1d(ctx, 0, &p, sizeof p, groups);
}

const sy_vk_op_impl sy_vk_op_embedding = {embedding_supports, embedding_plan, embedding_record};
