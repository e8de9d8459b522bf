// linear and matmul as XNNPACK fully-connected. linear's weight [N, K] is exactly XNNPACK's
// default filter layout [output_channels, input_channels]; matmul by a constant [K, N] matrix is
// the same with XNN_FLAG_TRANSPOSE_WEIGHTS. Weights must be constants (the 2022 API has no
// dynamic-filter fully-connected). Batched matmul of two activations needs
// xnn_define_batch_matrix_multiply (2024 API).
//
// XNNPACK packs fully-connected weights when the object holding them is created. A subgraph node
// is packed by every runtime, and the 2022 API needs a runtime per shape, so with
// SY_XNN_HAVE_FC_OPERATOR (CMakeLists.txt found a create/setup signature it knows) each such node
// is instead one fully-connected operator created at compile time: one packed copy per node,
// set up per call for the call's row count. The subgraph definitions stay for builds without it.

#include <math.h>
#include <stdint.h>

#include "delegates/xnnpack/internal.h"

static int is_constant(const sy_value_info *v) {
    return v && v->role == SY_ROLE_CONSTANT && v->data != NULL;
}

int sy_xnn_supports_linear(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    // f16 and block-dtype weights run on the delegate's own kernels (ops/linear_cpu.c)
    if (sy_xnn_linear_on_cpukern(graph, node)) return sy_xnn_supports_linear_cpu(graph, node, reason, reason_size);
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *w = sy_xnn_input_info(graph, node, 1);
    const sy_value_info *b = sy_xnn_input_info(graph, node, 2);
    if (!x || !w) return sy_xnn_refuse(reason, reason_size, "linear needs x and weight");
    if (!is_constant(w)) return sy_xnn_refuse(reason, reason_size, "linear weight must be a constant");
    if (w->rank != 2) return sy_xnn_refuse(reason, reason_size, "linear weight must be 2-D");
    if (x->rank < 1 || x->sym[x->rank - 1] >= 0 || x->dims[x->rank - 1] != w->dims[1])
        return sy_xnn_refuse(reason, reason_size, "linear input's last dim must be the static K = %lld",
                          (long long)w->dims[1]);
    if (b && (!is_constant(b) || b->rank != 1 || b->dims[0] != w->dims[0]))
        return sy_xnn_refuse(reason, reason_size, "linear bias must be a constant [N]");
    return 1;
}

enum xnn_status sy_xnn_define_linear(sy_xnn_define_ctx *ctx) {
    const uint32_t bias = ctx->node->n_inputs > 2 ? ctx->in_ids[2] : XNN_INVALID_VALUE_ID;
    ctx->call = "xnn_define_fully_connected";
    return xnn_define_fully_connected(ctx->subgraph, -INFINITY, INFINITY, ctx->in_ids[0],
                                      ctx->in_ids[1], bias, ctx->out_ids[0], 0);
}

// matmul(a, B) with B a constant 2-D matrix: a fully-connected node.
static int matmul_is_fc(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *a = sy_xnn_input_info(graph, node, 0), *b = sy_xnn_input_info(graph, node, 1);
    return a && b && is_constant(b) && b->rank == 2 && a->rank >= 1 && a->sym[a->rank - 1] < 0 &&
           a->dims[a->rank - 1] == b->dims[0];
}

int sy_xnn_supports_matmul(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    if (matmul_is_fc(graph, node)) return 1;
#if defined(SY_XNN_HAVE_BMM)
    const sy_value_info *a = sy_xnn_input_info(graph, node, 0), *b = sy_xnn_input_info(graph, node, 1);
    if (!a || !b || a->rank < 3 || a->rank != b->rank)
        return sy_xnn_refuse(reason, reason_size, "batched matmul needs two inputs of equal rank >= 3");
    for (uint32_t i = 0; i + 2 < a->rank; i++) {
        if (a->dims[i] != b->dims[i] || a->sym[i] != b->sym[i])
            return sy_xnn_refuse(reason, reason_size, "batched matmul batch dims must match (no broadcasting)");
    }
    return 1;
#else
    return sy_xnn_refuse(reason, reason_size,
                      "matmul of two activations needs XNNPACK with xnn_define_batch_matrix_multiply "
                      "(this build has the %s API); a constant 2-D right operand is supported",
                      sy_xnn_api_generation());
#endif
}

int sy_xnn_linear_native(const sy_graph_view *graph, const sy_node_info *node) {
    return !sy_xnn_linear_on_cpukern(graph, node);
}

enum xnn_status sy_xnn_define_matmul(sy_xnn_define_ctx *ctx) {
    if (ctx->in[1].data && ctx->in[1].rank == 2 && ctx->in[0].rank >= 1 &&
        ctx->in[0].dims[ctx->in[0].rank - 1] == ctx->in[1].dims[0]) {
        ctx->call = "xnn_define_fully_connected";
        return xnn_define_fully_connected(ctx->subgraph, -INFINITY, INFINITY, ctx->in_ids[0],
                                          ctx->in_ids[1], XNN_INVALID_VALUE_ID, ctx->out_ids[0],
                                          XNN_FLAG_TRANSPOSE_WEIGHTS);
    }
#if defined(SY_XNN_HAVE_BMM)
    ctx->call = "xnn_define_batch_matrix_multiply";
    return xnn_define_batch_matrix_multiply(ctx->subgraph, ctx->in_ids[0], ctx->in_ids[1],
                                            ctx->out_ids[0], 0);
#else
    ctx->call = "matmul";
    return xnn_status_unsupported_parameter;
#endif
}

#if defined(SY_XNN_HAVE_FC_OPERATOR)

int sy_xnn_linear_as_operator(const sy_graph_view *graph, const sy_node_info *node) {
    // sy_xnn_supports_linear already requires a constant 2-D weight and constant bias
    return !sy_xnn_linear_on_cpukern(graph, node);
}

int sy_xnn_matmul_as_operator(const sy_graph_view *graph, const sy_node_info *node) {
    return matmul_is_fc(graph, node);
}

// XNNPACK's packed layout: output channels in tiles of the GEMM kernel's nr (16 for the widest
// f32 x86 kernels, 8 on SSE and NEON) with the bias stored in front of each tile's K weights.
// An estimate from above for the kernels the 2022 snapshot picks (their kr * sr is 1; the
// few "s4" kernels also round K up to 4).
static size_t packed_estimate(size_t k, size_t n) {
    const size_t nr = 16;
    return (n + nr - 1) / nr * nr * (k + 1) * sizeof(float);
}

enum xnn_status sy_xnn_create_fc_operator(const sy_xnn_backend *be, const sy_graph_view *graph,
                                       const sy_node_info *node, sy_xnn_node_operator *op_out, const char **call) {
    const sy_value_info *w = sy_xnn_input_info(graph, node, 1);
    const sy_value_info *b = node->op == SY_OP_LINEAR ? sy_xnn_input_info(graph, node, 2) : NULL;
    *call = "xnn_create_fully_connected_nc_f32";
    if (!w || w->rank != 2 || !w->data) return xnn_status_invalid_parameter;
    // linear: w [N, K]; matmul: B [K, N], given to XNNPACK as is with TRANSPOSE_WEIGHTS
    const int transposed = node->op != SY_OP_LINEAR;
    const size_t k = (size_t)(transposed ? w->dims[0] : w->dims[1]);
    const size_t n = (size_t)(transposed ? w->dims[1] : w->dims[0]);
    const float *bias = b && b->data ? (const float *)b->data : NULL;
    const uint32_t flags = (transposed ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0) | be->xnn_flags; // yield workers
    xnn_operator_t op = NULL;
#if SY_XNN_FC_CREATE_ARGS == 12
    enum xnn_status st = xnn_create_fully_connected_nc_f32(k, n, k, n, (const float *)w->data, bias, -INFINITY,
                                                           INFINITY, flags, NULL, NULL, &op);
#elif SY_XNN_FC_CREATE_ARGS == 11
    enum xnn_status st = xnn_create_fully_connected_nc_f32(k, n, k, n, (const float *)w->data, bias, -INFINITY,
                                                           INFINITY, flags, NULL, &op);
#else
    enum xnn_status st = xnn_create_fully_connected_nc_f32(k, n, k, n, (const float *)w->data, bias, -INFINITY,
                                                           INFINITY, flags, &op);
#endif
    if (st != xnn_status_success) return st;
    op_out->op = op;
    op_out->packed_bytes = packed_estimate(k, n);
    op_out->rows = SIZE_MAX;
    op_out->input = NULL;
    op_out->output = NULL;
    return xnn_status_success;
}

static sy_status fc_failed(const sy_xnn_kernel_ctx *ctx, const char *call, enum xnn_status st) {
    ctx->op->rows = SIZE_MAX; // the operator's state is unknown: set it up again next time
    ctx->op->input = NULL;
    ctx->op->output = NULL;
    return sy_xnn_error(ctx->be, SY_ERR_DELEGATE, "node #%u '%s' (%s): %s failed: %s", ctx->node_id,
                     ctx->node->name ? ctx->node->name : "", sy_xnn_op_name(ctx->node->op), call,
                     sy_xnn_status_name(st));
}

sy_status sy_xnn_run_fc_operator(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0], *y = &ctx->out[0];
    sy_xnn_node_operator *fc = ctx->op;
    const int64_t k = x->rank ? x->dims[x->rank - 1] : 1;
    const int64_t n = y->rank ? y->dims[y->rank - 1] : 1;
    const int64_t rows = k > 0 ? sy_tensor_numel(x) / k : 0;
    if (rows * n != sy_tensor_numel(y)) {
        return sy_xnn_error(ctx->be, SY_ERR_SHAPE, "node #%u '%s' (%s): %lld rows of input give %lld outputs, not %lld",
                         ctx->node_id, ctx->node->name ? ctx->node->name : "", sy_xnn_op_name(ctx->node->op),
                         (long long)rows, (long long)sy_tensor_numel(y), (long long)(rows * n));
    }
    if (rows == 0 || n == 0) return SY_OK; // nothing to compute (XNNPACK would skip it too)
    // One row (a decode step): the delegate's GEMV reads the f32 weights in place, 2x faster
    // than XNNPACK's packed GEMM at M = 1 on the 135M decoder (README.md, "f32 linear").
    if (rows == 1 && ctx->node->op == SY_OP_LINEAR) return sy_xnn_run_linear_cpu(ctx);
    const size_t r = (size_t)rows;
    enum xnn_status st;
#if defined(SY_XNN_HAVE_FC_RESHAPE)
    if (fc->rows != r) {
        st = xnn_reshape_fully_connected_nc_f32(fc->op, r, ctx->be->pool);
        if (st != xnn_status_success) return fc_failed(ctx, "xnn_reshape_fully_connected_nc_f32", st);
        fc->rows = r;
        fc->input = NULL; // a reshape needs a new setup
    }
    if (fc->input != x->data || fc->output != y->data) {
        st = xnn_setup_fully_connected_nc_f32(fc->op, x->data, y->data);
        if (st != xnn_status_success) return fc_failed(ctx, "xnn_setup_fully_connected_nc_f32", st);
        fc->input = x->data;
        fc->output = y->data;
    }
#else
    if (fc->rows != r || fc->input != x->data || fc->output != y->data) {
        st = xnn_setup_fully_connected_nc_f32(fc->op, r, x->data, y->data, ctx->be->pool);
        if (st != xnn_status_success) return fc_failed(ctx, "xnn_setup_fully_connected_nc_f32", st);
        fc->rows = r;
        fc->input = x->data;
        fc->output = y->data;
    }
#endif
    st = xnn_run_operator(fc->op, ctx->be->pool);
    if (st != xnn_status_success) return fc_failed(ctx, "xnn_run_operator", st);
    return SY_OK;
}

#endif // SY_XNN_HAVE_FC_OPERATOR
