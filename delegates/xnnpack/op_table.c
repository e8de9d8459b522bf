// The op table of the XNNPACK delegate and the helpers its op files share.

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "delegates/xnnpack/internal.h"
#include "delegates/xnnpack/kernels/cpukern.h"
#include "switchyard/switchyard.h" // sy_dtype_name

// --- names ---

const char *sy_xnn_status_name(enum xnn_status status) {
    switch ((int)status) {
    case 0: return "xnn_status_success";
    case 1: return "xnn_status_uninitialized";
    case 2: return "xnn_status_invalid_parameter";
    case 3: return "xnn_status_invalid_state";
    case 4: return "xnn_status_unsupported_parameter";
    case 5: return "xnn_status_unsupported_hardware";
    case 6: return "xnn_status_out_of_memory";
    case 7: return "xnn_status_reallocation_required"; // 2024 API
    case 8: return "xnn_status_deprecated";            // 2024 API
    default: return "xnn_status_unknown";
    }
}

const char *sy_xnn_op_name(sy_op op) {
    static const char *const names[] = {
#define SY_XNN_NAME_(id, name, min_in, max_in, n_out, mut) name,
        SY_OP_LIST(SY_XNN_NAME_)
#undef SY_XNN_NAME_
    };
    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "invalid";
}

const char *sy_xnn_api_generation(void) {
#if defined(SY_XNN_HAVE_TRANSPOSE) || defined(SY_XNN_HAVE_RESHAPE_API)
    return "2024";
#else
    return "2022";
#endif
}

// --- the table ---

static const sy_xnn_op_entry kTable[SY_OP_COUNT] = {
    [SY_OP_ADD] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_SUB] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_MUL] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_DIV] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_MAXIMUM] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_MINIMUM] = {.supports = sy_xnn_supports_binary, .define = sy_xnn_define_binary_op},
    [SY_OP_NEG] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_EXP] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_LOG] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_SQRT] = {.supports = sy_xnn_supports_unary, .run = sy_xnn_run_unary_exact},
    [SY_OP_RSQRT] = {.supports = sy_xnn_supports_unary, .run = sy_xnn_run_unary_exact},
    [SY_OP_SIN] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_COS] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_TANH] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_SIGMOID] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_SILU] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_GELU] = {.supports = sy_xnn_supports_unary, .define = sy_xnn_define_unary_op},
    [SY_OP_RELU] = {.supports = sy_xnn_supports_unary, .run = sy_xnn_run_unary_exact},
    [SY_OP_SUM] = {.supports = sy_xnn_supports_reduce, .define = sy_xnn_define_reduce},
    [SY_OP_MEAN] = {.supports = sy_xnn_supports_reduce, .define = sy_xnn_define_reduce},
    [SY_OP_SOFTMAX] = {.supports = sy_xnn_supports_softmax, .define = sy_xnn_define_softmax_op},
    [SY_OP_RMS_NORM] = {.supports = sy_xnn_supports_rms_norm, .define = sy_xnn_define_rms_norm},
#if defined(SY_XNN_HAVE_FC_OPERATOR)
    // one operator per node: weights packed once at compile time instead of once per shape plan
    [SY_OP_MATMUL] = {.supports = sy_xnn_supports_matmul, .define = sy_xnn_define_matmul,
                      .as_operator = sy_xnn_matmul_as_operator, .create_op = sy_xnn_create_fc_operator,
                      .run_op = sy_xnn_run_fc_operator},
    // f32 weights: an operator; f16 / block weights: the delegate's kernels (ops/linear_cpu.c)
    [SY_OP_LINEAR] = {.supports = sy_xnn_supports_linear, .define = sy_xnn_define_linear,
                      .run = sy_xnn_run_linear_cpu, .native = sy_xnn_linear_native,
                      .scratch = sy_xnn_scratch_linear_cpu,
                      .as_operator = sy_xnn_linear_as_operator, .create_op = sy_xnn_create_linear_op,
                      .run_op = sy_xnn_run_linear_op},
#else
    [SY_OP_MATMUL] = {.supports = sy_xnn_supports_matmul, .define = sy_xnn_define_matmul},
    [SY_OP_LINEAR] = {.supports = sy_xnn_supports_linear, .define = sy_xnn_define_linear,
                      .run = sy_xnn_run_linear_cpu, .native = sy_xnn_linear_native,
                      .scratch = sy_xnn_scratch_linear_cpu, .create_op = sy_xnn_create_linear_op,
                      .run_op = sy_xnn_run_linear_op},
#endif
    [SY_OP_RESHAPE] = {.supports = sy_xnn_supports_reshape, .define = sy_xnn_define_reshape},
    [SY_OP_TRANSPOSE] = {.supports = sy_xnn_supports_transpose, .define = sy_xnn_define_transpose,
                         .run = sy_xnn_run_transpose, .native = sy_xnn_native_transpose},
    [SY_OP_SLICE] = {.supports = sy_xnn_supports_slice, .define = sy_xnn_define_slice,
                     .run = sy_xnn_run_slice, .native = sy_xnn_native_slice},
    [SY_OP_CONCAT] = {.supports = sy_xnn_supports_concat, .define = sy_xnn_define_concat,
                      .run = sy_xnn_run_concat, .native = sy_xnn_native_concat},
    [SY_OP_ROPE] = {.supports = sy_xnn_supports_rope, .run = sy_xnn_run_rope, .scratch = sy_xnn_scratch_rope},
    [SY_OP_UPDATE_CACHE] = {.supports = sy_xnn_supports_update_cache, .run = sy_xnn_run_update_cache},
    [SY_OP_EMBEDDING] = {.supports = sy_xnn_supports_embedding, .run = sy_xnn_run_embedding},
    [SY_OP_GATHER] = {.supports = sy_xnn_supports_gather, .run = sy_xnn_run_gather},
    [SY_OP_EXPAND] = {.supports = sy_xnn_supports_expand, .run = sy_xnn_run_expand},
    [SY_OP_SDPA_WITH_KV_CACHE] = {.supports = sy_xnn_supports_sdpa_kv, .run = sy_xnn_run_sdpa_kv,
                                  .scratch = sy_xnn_scratch_sdpa_kv},
    [SY_OP_CLAMP] = {.supports = sy_xnn_supports_clamp, .run = sy_xnn_run_clamp},
};

const sy_xnn_op_entry *sy_xnn_op_find(sy_op op) {
    if ((unsigned)op >= SY_OP_COUNT || !kTable[op].supports) return NULL;
    return &kTable[op];
}

sy_xnn_node_mode sy_xnn_op_mode(const sy_xnn_backend *be, const sy_xnn_op_entry *entry, const sy_graph_view *graph,
                          const sy_node_info *node) {
    // block weights packed at compile time for q8 activations: the node owns them as an operator
    if (node->op == SY_OP_LINEAR && entry->create_op && sy_xnn_linear_packs(be, graph, node))
        return SY_XNN_MODE_OPERATOR;
    // option f32_linear=kernels: every other linear on the delegate's kernels (weights read in place)
    if (be && be->f32_linear_kernels && node->op == SY_OP_LINEAR && entry->run) return SY_XNN_MODE_CUSTOM;
    if (entry->as_operator && entry->create_op && entry->run_op && entry->as_operator(graph, node))
        return SY_XNN_MODE_OPERATOR;
    if (!entry->define) return SY_XNN_MODE_CUSTOM;
    if (!entry->run || !entry->native) return SY_XNN_MODE_SUBGRAPH;
    return entry->native(graph, node) ? SY_XNN_MODE_SUBGRAPH : SY_XNN_MODE_CUSTOM;
}

// --- helpers ---

void sy_xnn_parallelize(const sy_xnn_backend *be, void (*fn)(void *ctx, size_t i), void *ctx, size_t n, int small) {
    if (be->kpool && !small) sy_cpukern_pool_parallelize(be->kpool, fn, ctx, n);
    else pthreadpool_parallelize_1d(small ? NULL : be->pool, fn, ctx, n, be->pool_flags); // NULL: the caller
}

int sy_xnn_refuse(char *reason, size_t reason_size, const char *fmt, ...) {
    // no "xnnpack: " prefix: the host prefixes every reason with the backend's name
    if (reason && reason_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_size, fmt, ap);
        va_end(ap);
    }
    return 0;
}

int sy_xnn_require_f32(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                    size_t reason_size) {
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        const sy_value_info *v = sy_xnn_input_info(graph, node, i);
        if (v && v->dtype != SY_DTYPE_F32)
            return sy_xnn_refuse(reason, reason_size, "dtype %s not supported", sy_dtype_name(v->dtype));
    }
    for (uint32_t i = 0; i < node->n_outputs; i++) {
        const sy_value_info *v = &graph->values[node->outputs[i]];
        if (v->dtype != SY_DTYPE_F32)
            return sy_xnn_refuse(reason, reason_size, "dtype %s not supported", sy_dtype_name(v->dtype));
    }
    return 1;
}

const sy_value_info *sy_xnn_input_info(const sy_graph_view *graph, const sy_node_info *node,
                                    uint32_t i) {
    if (i >= node->n_inputs || node->inputs[i] == SY_NO_VALUE || node->inputs[i] >= graph->n_values)
        return NULL;
    return &graph->values[node->inputs[i]];
}

size_t sy_xnn_dims(const sy_tensor *t, size_t *dims) {
    if (t->rank == 0) {
        dims[0] = 1;
        return 1;
    }
    for (uint32_t i = 0; i < t->rank; i++) dims[i] = (size_t)t->dims[i];
    return t->rank;
}

enum xnn_status sy_xnn_define_temp(sy_xnn_define_ctx *ctx, const sy_tensor *shape, uint32_t *id_out) {
    size_t dims[XNN_MAX_TENSOR_DIMS];
    size_t n = sy_xnn_dims(shape, dims);
    ctx->call = "xnn_define_tensor_value";
    return xnn_define_tensor_value(ctx->subgraph, xnn_datatype_fp32, n, dims, NULL,
                                   XNN_INVALID_VALUE_ID, 0, id_out);
}

enum xnn_status sy_xnn_define_static(sy_xnn_define_ctx *ctx, size_t n_dims, const size_t *dims,
                                  const float *data, uint32_t *id_out) {
    ctx->call = "xnn_define_tensor_value";
    return xnn_define_tensor_value(ctx->subgraph, xnn_datatype_fp32, n_dims, dims, data,
                                   XNN_INVALID_VALUE_ID, 0, id_out);
}

int64_t sy_xnn_read_start(const sy_tensor *t) {
    if (t->dtype == SY_DTYPE_I32) return ((const int32_t *)t->data)[0];
    return ((const int64_t *)t->data)[0];
}

