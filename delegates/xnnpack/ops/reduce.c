// sum and mean, and rms_norm built from them. With the 2024 API any axes go to
// xnn_define_static_reduce (or static_mean); the 2022 API has no reduction node, but a reduction
// over the last axis is a fully-connected node against a static [1, K] filter of 1/K (mean) or
// 1 (sum), which XNNPACK runs as a fast GEMV, so the usual normalisation patterns stay in one
// subgraph on every generation.

#include <math.h>
#include <string.h>

#include "delegates/xnnpack/internal.h"

#if (defined(SY_XNN_HAVE_REDUCE) || defined(SY_XNN_HAVE_MEAN)) && defined(XNN_FLAG_KEEP_DIMS)
#define SY_XNN_REDUCE_API 1
#endif

// Reduced-axis mask of a node over an input of rank `rank`; 0 on bad axes.
static int reduce_mask(const sy_node_info *node, uint32_t rank, uint32_t *mask) {
    const sy_attr *axes = sy_node_find_attr(node, "axes");
    *mask = 0;
    if (!axes) {
        *mask = rank ? (1u << rank) - 1 : 0;
        return 1;
    }
    if (axes->type != SY_ATTR_INTS) return 0;
    for (uint32_t i = 0; i < axes->n; i++) {
        int64_t a = axes->u.ints[i];
        if (a < 0) a += rank;
        if (a < 0 || a >= (int64_t)rank || (*mask & (1u << a))) return 0;
        *mask |= 1u << a;
    }
    return 1;
}

static int last_axis_only(uint32_t mask, uint32_t rank) {
    return rank >= 1 && mask == (1u << (rank - 1));
}

int sy_xnn_supports_reduce(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    uint32_t mask;
    if (!x || x->rank < 1) return sy_xnn_refuse(reason, reason_size, "%s needs rank >= 1", sy_xnn_op_name(node->op));
    if (!reduce_mask(node, x->rank, &mask) || mask == 0)
        return sy_xnn_refuse(reason, reason_size, "%s: unusable axes", sy_xnn_op_name(node->op));
    if (last_axis_only(mask, x->rank) && x->sym[x->rank - 1] < 0) return 1;
#if defined(SY_XNN_REDUCE_API)
#if !defined(SY_XNN_HAVE_REDUCE)
    if (node->op != SY_OP_MEAN)
        return sy_xnn_refuse(reason, reason_size, "sum over other than the last axis needs xnn_define_static_reduce");
#endif
    return 1;
#else
    return sy_xnn_refuse(reason, reason_size,
                      "%s over other than the last axis needs XNNPACK with xnn_define_static_reduce "
                      "(this build has the %s API)", sy_xnn_op_name(node->op), sy_xnn_api_generation());
#endif
}

// out (shape x with the last dim 1) = sum or mean of x over its last axis via a [1, K] filter.
static enum xnn_status emit_last_axis(sy_xnn_define_ctx *ctx, int mean, uint32_t x,
                                      const sy_tensor *shape, uint32_t out) {
    const int64_t k = shape->dims[shape->rank - 1];
    float *w = ctx->alloc_static(ctx->owner, (size_t)k * sizeof(float)); // (1, k)
    if (!w) {
        ctx->call = "allocating the reduction filter";
        return xnn_status_out_of_memory;
    }
    for (int64_t i = 0; i < k; i++) w[i] = mean ? 1.0f / (float)k : 1.0f;
    const size_t dims[2] = {1, (size_t)k};
    uint32_t filter;
    enum xnn_status st = sy_xnn_define_static(ctx, 2, dims, w, &filter);
    if (st != xnn_status_success) return st;
    ctx->call = "xnn_define_fully_connected";
    return xnn_define_fully_connected(ctx->subgraph, -INFINITY, INFINITY, x, filter,
                                      XNN_INVALID_VALUE_ID, out, 0);
}

enum xnn_status sy_xnn_define_reduce(sy_xnn_define_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0];
    uint32_t mask;
    if (!reduce_mask(ctx->node, x->rank, &mask)) {
        ctx->call = "reading axes";
        return xnn_status_invalid_parameter;
    }
    const int keepdim = sy_node_attr_int(ctx->node, "keepdim", 0) != 0;
    sy_tensor keep = *x; // the output with reduced dims kept as 1
    for (uint32_t i = 0; i < x->rank; i++)
        if (mask & (1u << i)) keep.dims[i] = 1;
    uint32_t target = ctx->out_ids[0];
    enum xnn_status st;
    if (!keepdim) {
        st = sy_xnn_define_temp(ctx, &keep, &target);
        if (st != xnn_status_success) return st;
    }
    const int mean = ctx->node->op == SY_OP_MEAN;
    if (last_axis_only(mask, x->rank)) {
        st = emit_last_axis(ctx, mean, ctx->in_ids[0], x, target);
    } else {
#if defined(SY_XNN_REDUCE_API)
        size_t axes[SY_MAX_RANK];
        size_t n = 0;
        for (uint32_t i = 0; i < x->rank; i++)
            if (mask & (1u << i)) axes[n++] = i;
#if defined(SY_XNN_HAVE_REDUCE)
        ctx->call = "xnn_define_static_reduce";
        st = xnn_define_static_reduce(ctx->subgraph, mean ? xnn_reduce_mean : xnn_reduce_sum, n, axes,
                                      ctx->in_ids[0], target, XNN_FLAG_KEEP_DIMS);
#else
        ctx->call = "xnn_define_static_mean";
        st = xnn_define_static_mean(ctx->subgraph, n, axes, ctx->in_ids[0], target, XNN_FLAG_KEEP_DIMS);
#endif
#else
        ctx->call = "reduce";
        st = xnn_status_unsupported_parameter;
#endif
    }
    if (st != xnn_status_success || keepdim) return st;
    size_t dims[XNN_MAX_TENSOR_DIMS];
    size_t n = sy_xnn_dims(&ctx->out[0], dims);
    ctx->call = "xnn_define_static_reshape";
    return xnn_define_static_reshape(ctx->subgraph, n, dims, target, ctx->out_ids[0], 0);
}

int sy_xnn_supports_rms_norm(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                          size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *w = sy_xnn_input_info(graph, node, 1);
    if (!x || !w || x->rank < 1 || w->rank != 1)
        return sy_xnn_refuse(reason, reason_size, "rms_norm needs x of rank >= 1 and a 1-D weight");
    if (x->sym[x->rank - 1] >= 0)
        return sy_xnn_refuse(reason, reason_size, "rms_norm over a symbolic last dim");
    return 1;
}

// y = x / sqrt(mean(x^2, last axis) + eps) * weight, as six XNNPACK nodes.
enum xnn_status sy_xnn_define_rms_norm(sy_xnn_define_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0];
    sy_tensor keep = *x;
    keep.dims[x->rank - 1] = 1;
    float *eps = ctx->alloc_static(ctx->owner, sizeof(float)); // (1)
    if (!eps) {
        ctx->call = "allocating eps";
        return xnn_status_out_of_memory;
    }
    *eps = sy_node_attr_float(ctx->node, "eps", 1e-6f);
    uint32_t sq, ms, eps_id, mse, den, xn;
    const size_t one[1] = {1};
    enum xnn_status st;
    if ((st = sy_xnn_define_temp(ctx, x, &sq)) != xnn_status_success) return st;
    if ((st = sy_xnn_define_temp(ctx, &keep, &ms)) != xnn_status_success) return st;
    if ((st = sy_xnn_define_temp(ctx, &keep, &mse)) != xnn_status_success) return st;
    if ((st = sy_xnn_define_temp(ctx, &keep, &den)) != xnn_status_success) return st;
    if ((st = sy_xnn_define_temp(ctx, x, &xn)) != xnn_status_success) return st;
    if ((st = sy_xnn_define_static(ctx, 1, one, eps, &eps_id)) != xnn_status_success) return st;
    if ((st = sy_xnn_emit_unary(ctx, SY_XNN_SQUARE, 0, ctx->in_ids[0], sq)) != xnn_status_success) return st;
    if ((st = emit_last_axis(ctx, 1, sq, x, ms)) != xnn_status_success) return st;
    if ((st = sy_xnn_emit_binary(ctx, SY_OP_ADD, ms, eps_id, mse)) != xnn_status_success) return st;
    if ((st = sy_xnn_emit_unary(ctx, SY_OP_SQRT, 0, mse, den)) != xnn_status_success) return st;
    if ((st = sy_xnn_emit_binary(ctx, SY_OP_DIV, ctx->in_ids[0], den, xn)) != xnn_status_success) return st;
    return sy_xnn_emit_binary(ctx, SY_OP_MUL, xn, ctx->in_ids[1], ctx->out_ids[0]);
}
