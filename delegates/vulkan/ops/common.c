// Helpers shared by the op files: capability checks, integer reads, strides, cache positions.

#include <stdarg.h>
#include <stdio.h>

#include "delegates/vulkan/vk_ops.h"
#include "switchyard/switchyard.h" // sy_dtype_name

int sy_vk_refuse(char *reason, size_t reason_size, const char *fmt, ...) {
    if (reason && reason_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_size, fmt, ap);
        va_end(ap);
    }
    return 0;
}

const sy_value_info *sy_vk_input_info(const sy_graph_view *graph, const sy_node_info *node, uint32_t i) {
    if (i >= node->n_inputs || node->inputs[i] == SY_NO_VALUE || node->inputs[i] >= graph->n_values) return NULL;
    return &graph->values[node->inputs[i]];
}

// Shaders index with 32-bit unsigned arithmetic (products such as id * D included).
#define MAX_ELEMENTS ((uint64_t)1 << 31)

static int check_one(sy_backend *be, const sy_value_info *vi, int want_int, const char *what, uint32_t index,
                     char *reason, size_t reason_size) {
    if (want_int) {
        if (vi->dtype != SY_DTYPE_I32 && vi->dtype != SY_DTYPE_I64)
            return sy_vk_refuse(reason, reason_size, "%s %u '%s' is %s; expected i32 or i64", what, index, vi->name,
                                sy_dtype_name(vi->dtype));
        if (vi->role == SY_ROLE_STATE)
            return sy_vk_refuse(reason, reason_size,
                                "%s %u '%s' is an integer state; integer "
                                "inputs must come from the host",
                                what, index, vi->name);
    } else if (vi->dtype != SY_DTYPE_F32) {
        return sy_vk_refuse(reason, reason_size,
                            "%s %u '%s' is %s; the Vulkan delegate computes "
                            "f32 only",
                            what, index, vi->name, sy_dtype_name(vi->dtype));
    }
    if (vi->rank > SY_MAX_RANK)
        return sy_vk_refuse(reason, reason_size, "%s %u '%s' has rank %u", what, index, vi->name, vi->rank);
    uint64_t n = 1;
    for (uint32_t d = 0; d < vi->rank; d++) {
        if (vi->dims[d] < 0 || (uint64_t)vi->dims[d] >= MAX_ELEMENTS)
            return sy_vk_refuse(reason, reason_size, "%s %u '%s' is too large", what, index, vi->name);
        n *= (uint64_t)vi->dims[d];
        if (n >= MAX_ELEMENTS)
            return sy_vk_refuse(reason, reason_size, "%s %u '%s' has 2^31 or more elements", what, index, vi->name);
    }
    uint64_t bytes = n * 4; // f32, or integers narrowed to i32 on the device
    if (bytes > be->props.limits.maxStorageBufferRange)
        return sy_vk_refuse(reason, reason_size,
                            "%s %u '%s' needs %llu bytes, more than this "
                            "device's maxStorageBufferRange (%u)",
                            what, index, vi->name, (unsigned long long)bytes, be->props.limits.maxStorageBufferRange);
    return 1;
}

int sy_vk_check_tensors(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, uint32_t int_mask,
                        char *reason, size_t reason_size) {
    return sy_vk_check_tensors_except(be, graph, node, int_mask, 0, reason, reason_size);
}

int sy_vk_check_tensors_except(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node,
                               uint32_t int_mask, uint32_t skip_mask, char *reason, size_t reason_size) {
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        const sy_value_info *vi = sy_vk_input_info(graph, node, i);
        if (!vi || ((skip_mask >> i) & 1u)) continue;
        if (!check_one(be, vi, (int_mask >> i) & 1u, "input", i, reason, reason_size)) return 0;
    }
    for (uint32_t i = 0; i < node->n_outputs; i++) {
        if (node->outputs[i] >= graph->n_values)
            return sy_vk_refuse(reason, reason_size, "output %u is not a value", i);
        if (!check_one(be, &graph->values[node->outputs[i]], 0, "output", i, reason, reason_size)) return 0;
    }
    return 1;
}

int sy_vk_block_index(sy_dtype dtype) {
    switch (dtype) {
    case SY_DTYPE_Q8_0: return SY_VK_Q8_0;
    case SY_DTYPE_Q4_0: return SY_VK_Q4_0;
    case SY_DTYPE_Q4_1: return SY_VK_Q4_1;
    default: return -1;
    }
}

int sy_vk_check_block_weight(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, uint32_t input,
                             const char *what, char *reason, size_t reason_size) {
    const sy_value_info *vi = sy_vk_input_info(graph, node, input);
    if (!vi || sy_vk_block_index(vi->dtype) < 0)
        return sy_vk_refuse(reason, reason_size, "input %u (%s) is not q8_0, q4_0 or q4_1", input, what);
    // The shaders read the blocks in place: only constants, uploaded once at compile.
    if (vi->role != SY_ROLE_CONSTANT || !vi->data)
        return sy_vk_refuse(reason, reason_size,
                            "input %u (%s) '%s' is %s but not a constant; the Vulkan delegate reads "
                            "block-quantised weights only from constants",
                            input, what, vi->name, sy_dtype_name(vi->dtype));
    if (vi->rank != 2 || vi->dims[1] % SY_VK_Q_BLOCK != 0)
        return sy_vk_refuse(reason, reason_size, "input %u (%s) '%s' must be 2-D with rows of whole blocks", input,
                            what, vi->name);
    if ((uint64_t)vi->dims[0] * (uint64_t)vi->dims[1] >= MAX_ELEMENTS)
        return sy_vk_refuse(reason, reason_size, "input %u (%s) '%s' has 2^31 or more elements", input, what,
                            vi->name);
    // The buffer is rounded up to a whole word (the shaders read words).
    size_t bytes = (sy_dtype_row_bytes(vi->dtype, vi->dims[0] * vi->dims[1]) + 3) / 4 * 4;
    if (bytes > be->props.limits.maxStorageBufferRange)
        return sy_vk_refuse(reason, reason_size,
                            "input %u (%s) '%s' needs %zu bytes, more than this device's "
                            "maxStorageBufferRange (%u)",
                            input, what, vi->name, bytes, be->props.limits.maxStorageBufferRange);
    return 1;
}

int64_t sy_vk_load_int(const sy_tensor *t, int64_t i) {
    if (t->dtype == SY_DTYPE_I64) return ((const int64_t *)t->data)[i];
    return ((const int32_t *)t->data)[i];
}

void sy_vk_contiguous_strides(const sy_tensor *t, int64_t *strides) {
    int64_t s = 1;
    for (int d = (int)t->rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= t->dims[d];
    }
}

uint64_t sy_vk_div_up(uint64_t n, uint64_t per_group) {
    return (n + per_group - 1) / per_group;
}

sy_status sy_vk_cache_start(sy_vk_node_ctx *ctx, const sy_tensor *start_pos, int64_t T, int64_t S, int64_t *start_out) {
    *start_out = 0;
    if (ctx->dry_run) return SY_OK; // no host data at compile: every start gives the same grid
    if (!start_pos->data || sy_tensor_numel(start_pos) < 1)
        return sy_vk_error(ctx->be, SY_ERR_SHAPE,
                           "vulkan: node #%u '%s' (%s): start_pos needs at "
                           "least one element",
                           ctx->node_id, ctx->node->name, sy_vk_op_name(ctx->node->op));
    (void)T, (void)S; // the op's data check (run before record) has put [start, start + T) inside [0, S)
    *start_out = sy_vk_load_int(start_pos, 0);
    return SY_OK;
}

void sy_vk_copy_params_contig(sy_vk_copy_params *p, const sy_tensor *src, const int64_t *dst_strides,
                              int64_t out_base) {
    int64_t cs[SY_MAX_RANK];
    sy_vk_contiguous_strides(src, cs);
    *p = (sy_vk_copy_params){0};
    p->n = (uint32_t)sy_tensor_numel(src);
    p->rank = src->rank;
    p->out_base = (uint32_t)out_base;
    for (uint32_t d = 0; d < src->rank; d++) {
        p->dims[d] = (uint32_t)src->dims[d];
        p->si[d] = (uint32_t)cs[d];
        p->so[d] = (uint32_t)dst_strides[d];
    }
}

sy_status sy_vk_plan_copy(sy_vk_node_ctx *ctx) {
    uint32_t bind[2] = {ctx->in[0], ctx->out[0]};
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, bind, 1u << 1);
}
