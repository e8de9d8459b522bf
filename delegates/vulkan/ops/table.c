// The Vulkan delegate's kernel table: one line per supported op.

#include "delegates/vulkan/vk_ops.h"

static const sy_vk_op_impl *const table[SY_OP_COUNT] = {
    [SY_OP_ADD] = &sy_vk_op_binary,
    [SY_OP_SUB] = &sy_vk_op_binary,
    [SY_OP_MUL] = &sy_vk_op_binary,
    [SY_OP_DIV] = &sy_vk_op_binary,
    [SY_OP_POW] = &sy_vk_op_binary,
    [SY_OP_MAXIMUM] = &sy_vk_op_binary,
    [SY_OP_MINIMUM] = &sy_vk_op_binary,
    [SY_OP_NEG] = &sy_vk_op_unary,
    [SY_OP_EXP] = &sy_vk_op_unary,
    [SY_OP_LOG] = &sy_vk_op_unary,
    [SY_OP_SQRT] = &sy_vk_op_unary,
    [SY_OP_RSQRT] = &sy_vk_op_unary,
    [SY_OP_SIN] = &sy_vk_op_unary,
    [SY_OP_COS] = &sy_vk_op_unary,
    [SY_OP_TANH] = &sy_vk_op_unary,
    [SY_OP_SIGMOID] = &sy_vk_op_unary,
    [SY_OP_SILU] = &sy_vk_op_unary,
    [SY_OP_GELU] = &sy_vk_op_unary,
    [SY_OP_RELU] = &sy_vk_op_unary,
    [SY_OP_SOFTMAX] = &sy_vk_op_softmax,
    [SY_OP_SUM] = &sy_vk_op_reduce,
    [SY_OP_MEAN] = &sy_vk_op_reduce,
    [SY_OP_MAX] = &sy_vk_op_reduce,
    [SY_OP_RMS_NORM] = &sy_vk_op_rms_norm,
    [SY_OP_LAYER_NORM] = &sy_vk_op_layer_norm,
    [SY_OP_MATMUL] = &sy_vk_op_matmul,
    [SY_OP_LINEAR] = &sy_vk_op_linear,
    [SY_OP_EMBEDDING] = &sy_vk_op_embedding,
    [SY_OP_GATHER] = &sy_vk_op_gather,
    [SY_OP_RESHAPE] = &sy_vk_op_reshape,
    [SY_OP_TRANSPOSE] = &sy_vk_op_transpose,
    [SY_OP_SLICE] = &sy_vk_op_slice,
    [SY_OP_CONCAT] = &sy_vk_op_concat,
    [SY_OP_EXPAND] = &sy_vk_op_expand,
    [SY_OP_ROPE] = &sy_vk_op_rope,
    [SY_OP_UPDATE_CACHE] = &sy_vk_op_update_cache,
    [SY_OP_SDPA] = &sy_vk_op_sdpa,
    [SY_OP_SDPA_WITH_KV_CACHE] = &sy_vk_op_sdpa_with_kv_cache,
    [SY_OP_CLAMP] = &sy_vk_op_clamp,
};

const sy_vk_op_impl *sy_vk_op_get(sy_op op) {
    return (unsigned)op < SY_OP_COUNT ? table[op] : NULL;
}

const char *sy_vk_op_name(sy_op op) {
    static const char *const names[SY_OP_COUNT] = {
#define SY_VK_OP_NAME_(id, name, min_in, max_in, n_out, mut) name,
        SY_OP_LIST(SY_VK_OP_NAME_)
#undef SY_VK_OP_NAME_
    };
    return (unsigned)op < SY_OP_COUNT ? names[op] : "invalid";
}
