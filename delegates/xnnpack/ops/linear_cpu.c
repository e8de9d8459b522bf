// linear on the delegate's own CPU kernels (kernels/cpukern.h) for the weights XNNPACK's f32
// fully-connected cannot take: f16 and the GGUF block dtypes q8_0 / q4_0 / q4_1. The weight is a
// constant [N, K] read in place from the program's (mmapped) bytes (except below). x is f32
// [..., K] (every dim but the last is a row), y f32 [..., N], optional f32 bias [N].
//
// Block dtypes multiply the f32 activations with the weights dequantised in registers (option
// activations=f32, the default: the portable reference's arithmetic up to summation order), or
// (activations=q8) quantise the activation rows to q8 per 32-block first, into the node's scratch
// sized at compile time for the row count at the shape bounds, and use integer dot products: the
// exact product of the dequantised weights with the q8-rounded activations up to f32 rounding
// (tests/xnnpack/test_quant.c states both bounds). Each output element is the same operation
// sequence whatever the thread count.
//
// With q8 activations on a CPU whose kernels have the packed layout (AVX-512 VNNI), the node
// packs its weight once at compile time (sy_cpukern_pack: 16 rows interleaved for 512-bit
// integer dot products, the GGUF size rounded up to 16 rows) and runs as an operator that owns
// the packed copy; inspect counts it as packed bytes. The GGUF bytes are not read again.

#include "delegates/xnnpack/internal.h"
#include "delegates/xnnpack/kernels/cpukern.h"
#include "switchyard/switchyard.h" // sy_dtype_name, sy_last_error

static int sy_xnn_cpu_dtype(sy_dtype dtype, sy_cpukern_dtype *out) {
    switch (dtype) {
    case SY_DTYPE_F32: *out = SY_CPUKERN_F32; return 1;
    case SY_DTYPE_F16: *out = SY_CPUKERN_F16; return 1;
    case SY_DTYPE_Q8_0: *out = SY_CPUKERN_Q8_0; return 1;
    case SY_DTYPE_Q4_0: *out = SY_CPUKERN_Q4_0; return 1;
    case SY_DTYPE_Q4_1: *out = SY_CPUKERN_Q4_1; return 1;
    default: return 0;
    }
}

int sy_xnn_linear_on_cpukern(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *w = sy_xnn_input_info(graph, node, 1);
    return w && w->dtype != SY_DTYPE_F32;
}

static int is_f32(const sy_value_info *v) { return v && v->dtype == SY_DTYPE_F32; }

int sy_xnn_supports_linear_cpu(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                               size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *w = sy_xnn_input_info(graph, node, 1);
    const sy_value_info *b = sy_xnn_input_info(graph, node, 2);
    sy_cpukern_dtype dt;
    if (!x || !w || node->n_outputs != 1) return sy_xnn_refuse(reason, reason_size, "linear needs x and weight");
    if (!sy_xnn_cpu_dtype(w->dtype, &dt))
        return sy_xnn_refuse(reason, reason_size, "linear weight dtype %s not supported", sy_dtype_name(w->dtype));
    if (!is_f32(x) || !is_f32(&graph->values[node->outputs[0]]) || (b && !is_f32(b)))
        return sy_xnn_refuse(reason, reason_size, "linear with a %s weight needs f32 x, bias and output",
                             sy_dtype_name(w->dtype));
    if (w->role != SY_ROLE_CONSTANT || !w->data || w->rank != 2)
        return sy_xnn_refuse(reason, reason_size, "linear weight must be a constant [N, K]");
    if (x->rank < 1 || x->sym[x->rank - 1] >= 0 || x->dims[x->rank - 1] != w->dims[1])
        return sy_xnn_refuse(reason, reason_size, "linear input's last dim must be the static K = %lld",
                             (long long)w->dims[1]);
    if (b && (b->role != SY_ROLE_CONSTANT || !b->data || b->rank != 1 || b->dims[0] != w->dims[0]))
        return sy_xnn_refuse(reason, reason_size, "linear bias must be a constant [N]");
    if (sy_cpukern_weight_check(dt, w->dims[0], w->dims[1], w->name) != SY_OK)
        return sy_xnn_refuse(reason, reason_size, "%s", sy_last_error());
    return 1;
}

// Rows at the shape bounds (value dims hold the bounds of symbolic dims).
static int64_t max_rows(const sy_value_info *x) {
    int64_t rows = 1;
    for (uint32_t i = 0; i + 1 < x->rank; i++) rows *= x->dims[i];
    return rows;
}

size_t sy_xnn_scratch_linear_cpu(const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *w = sy_xnn_input_info(graph, node, 1);
    sy_cpukern_dtype dt;
    if (!x || !w || !sy_xnn_cpu_dtype(w->dtype, &dt) || w->rank != 2) return 0;
    return sy_cpukern_linear_scratch_bytes(dt, max_rows(x), w->dims[1]);
}

int sy_xnn_linear_packs(const sy_xnn_backend *be, const sy_graph_view *graph, const sy_node_info *node) {
    const sy_value_info *w = sy_xnn_input_info(graph, node, 1);
    sy_cpukern_dtype dt;
    return be && be->q8_activations && w && w->rank == 2 && w->data &&
           sy_xnn_cpu_dtype(w->dtype, &dt) && dt >= SY_CPUKERN_Q8_0 && sy_cpukern_packed_supported(dt, SY_CPU_ISA_AUTO);
}

static enum xnn_status create_packed(const sy_xnn_backend *be, const sy_graph_view *graph, const sy_node_info *node,
                                     sy_xnn_node_operator *op_out, const char **call) {
    const sy_value_info *w = sy_xnn_input_info(graph, node, 1);
    sy_cpukern_dtype dt = SY_CPUKERN_Q8_0;
    sy_xnn_cpu_dtype(w->dtype, &dt); // sy_xnn_linear_packs accepted it
    const size_t bytes = sy_cpukern_packed_bytes(dt, w->dims[0], w->dims[1]);
    *call = "sy_cpukern_pack";
    void *packed = be->host.alloc(be->host.host, bytes, 64);
    if (!packed) return xnn_status_out_of_memory;
    if (sy_cpukern_pack(dt, w->dims[0], w->dims[1], w->data, packed, w->name, be->kpool) != SY_OK) {
        be->host.free(be->host.host, packed);
        return xnn_status_invalid_parameter;
    }
    *op_out = (sy_xnn_node_operator){.packed = packed, .packed_bytes = bytes, .rows = SIZE_MAX};
    return xnn_status_success;
}

enum xnn_status sy_xnn_create_linear_op(const sy_xnn_backend *be, const sy_graph_view *graph, const sy_node_info *node,
                                        sy_xnn_node_operator *op_out, const char **call) {
    if (sy_xnn_linear_packs(be, graph, node)) return create_packed(be, graph, node, op_out, call);
#if defined(SY_XNN_HAVE_FC_OPERATOR)
    return sy_xnn_create_fc_operator(be, graph, node, op_out, call);
#else
    *call = "create (no fully-connected operator in this XNNPACK)";
    return xnn_status_unsupported_parameter;
#endif
}

sy_status sy_xnn_run_linear_op(const sy_xnn_kernel_ctx *ctx) {
    if (ctx->op->packed) return sy_xnn_run_linear_cpu(ctx);
#if defined(SY_XNN_HAVE_FC_OPERATOR)
    return sy_xnn_run_fc_operator(ctx);
#else
    return sy_xnn_error(ctx->be, SY_ERR_INTERNAL, "node #%u: linear operator without packed weights", ctx->node_id);
#endif
}

sy_status sy_xnn_run_linear_cpu(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0], *w = &ctx->in[1], *b = &ctx->in[2];
    sy_cpukern_dtype dt = SY_CPUKERN_F32;
    sy_xnn_cpu_dtype(w->dtype, &dt); // supports() accepted it
    const int64_t k = w->dims[1], n = w->dims[0];
    const int64_t rows = sy_tensor_numel(x) / k;
    if (rows == 0) return SY_OK;
    const sy_cpukern_linear_args args = {
        .dtype = dt,
        .m = rows,
        .n = n,
        .k = k,
        .x = x->data,
        .w = ctx->op && ctx->op->packed ? ctx->op->packed : w->data, // packed: operator mode
        .packed = ctx->op && ctx->op->packed,
        .bias = ctx->node->n_inputs > 2 ? b->data : NULL,
        .y = ctx->out[0].data,
        .scratch = ctx->scratch,
        .isa = SY_CPU_ISA_AUTO,
        .name = ctx->node->name,
        .pool_flags = ctx->be->pool_flags,
        .kpool = ctx->be->kpool, // NULL: the pthreadpool below
        .exact = !ctx->be->q8_activations,
    };
    const sy_status st = sy_cpukern_linear(&args, ctx->be->pool);
    if (st != SY_OK) {
        return sy_xnn_error(ctx->be, st, "node #%u '%s' (linear): %s", ctx->node_id,
                            ctx->node->name ? ctx->node->name : "", sy_last_error());
    }
    return SY_OK;
}
