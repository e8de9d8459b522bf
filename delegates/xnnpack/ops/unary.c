// Elementwise unary ops. The 2022 API has negate, sigmoid, square_root, square and clamp (relu);
// silu is x * sigmoid(x) and rsqrt is 1 / sqrt(x) inside the subgraph there. The 2024 API adds
// tanh, exp, log, gelu, reciprocal_square_root (and xnn_define_unary covering all of them);
// each is used only where configure found it.

#include <math.h>
#include <string.h>

#include "delegates/xnnpack/internal.h"

static const float kOne = 1.0f; // the numerator of the composed rsqrt, a static [1] tensor

int sy_xnn_unary_native(sy_op op, int approximate) {
    switch ((int)op) {
    case SY_OP_NEG:
    case SY_OP_SIGMOID:
    case SY_OP_SQRT:
    case SY_OP_RELU:
    case SY_XNN_SQUARE:
        return 1;
    case SY_OP_TANH:
#if defined(SY_XNN_HAVE_UNARY) || defined(SY_XNN_HAVE_TANH)
        return 1;
#else
        return 0;
#endif
    case SY_OP_EXP:
#if defined(SY_XNN_HAVE_UNARY) || defined(SY_XNN_HAVE_EXP)
        return 1;
#else
        return 0;
#endif
    case SY_OP_LOG:
#if defined(SY_XNN_HAVE_UNARY) || defined(SY_XNN_HAVE_LOG)
        return 1;
#else
        return 0;
#endif
    case SY_OP_RSQRT:
#if defined(SY_XNN_HAVE_UNARY) || defined(SY_XNN_HAVE_RSQRT)
        return 1;
#else
        return 0;
#endif
    case SY_OP_GELU:
        if (approximate) {
#if defined(SY_XNN_HAVE_UNARY) && defined(SY_XNN_HAVE_APPROXGELU)
            return 1;
#else
            return 0;
#endif
        }
#if defined(SY_XNN_HAVE_UNARY) || defined(SY_XNN_HAVE_GELU)
        return 1;
#else
        return 0;
#endif
    case SY_OP_SIN:
    case SY_OP_COS:
#if defined(SY_XNN_HAVE_UNARY) && defined(SY_XNN_HAVE_SINCOS)
        return 1;
#else
        return 0;
#endif
    default:
        return 0;
    }
}

#if defined(SY_XNN_HAVE_UNARY)
// The 2024 API: one xnn_define_unary with an operator type (and clamp parameters for relu).
static enum xnn_status emit_unary_generic(sy_xnn_define_ctx *ctx, sy_op op, int approximate, uint32_t in,
                                          uint32_t out) {
    enum xnn_unary_operator type;
    union xnn_unary_params params;
    const union xnn_unary_params *p = NULL;
    memset(&params, 0, sizeof(params));
    (void)approximate;
    switch ((int)op) {
    case SY_OP_NEG: type = xnn_unary_negate; break;
    case SY_OP_SIGMOID: type = xnn_unary_sigmoid; break;
    case SY_OP_SQRT: type = xnn_unary_square_root; break;
    case SY_OP_RSQRT: type = xnn_unary_reciprocal_square_root; break;
    case SY_XNN_SQUARE: type = xnn_unary_square; break;
    case SY_OP_TANH: type = xnn_unary_tanh; break;
    case SY_OP_EXP: type = xnn_unary_exp; break;
    case SY_OP_LOG: type = xnn_unary_log; break;
#if defined(SY_XNN_HAVE_APPROXGELU)
    case SY_OP_GELU: type = approximate ? xnn_unary_approxgelu : xnn_unary_gelu; break;
#else
    case SY_OP_GELU: type = xnn_unary_gelu; break;
#endif
#if defined(SY_XNN_HAVE_SINCOS)
    case SY_OP_SIN: type = xnn_unary_sine; break;
    case SY_OP_COS: type = xnn_unary_cosine; break;
#endif
    case SY_OP_RELU:
        type = xnn_unary_clamp;
        params.clamp.min = 0.0f;
        params.clamp.max = INFINITY;
        p = &params;
        break;
    default: ctx->call = "xnn_define_unary"; return xnn_status_unsupported_parameter;
    }
    ctx->call = "xnn_define_unary";
    return xnn_define_unary(ctx->subgraph, type, p, in, out, 0);
}
#else
// The 2022 API: one define function per operator, some only in later releases of it.
static enum xnn_status emit_unary_per_op(sy_xnn_define_ctx *ctx, sy_op op, uint32_t in, uint32_t out) {
    xnn_subgraph_t sg = ctx->subgraph;
    switch ((int)op) {
    case SY_OP_NEG: ctx->call = "xnn_define_negate"; return xnn_define_negate(sg, in, out, 0);
    case SY_OP_SIGMOID: ctx->call = "xnn_define_sigmoid"; return xnn_define_sigmoid(sg, in, out, 0);
    case SY_OP_SQRT:
        ctx->call = "xnn_define_square_root";
        return xnn_define_square_root(sg, in, out, 0);
    case SY_XNN_SQUARE: ctx->call = "xnn_define_square"; return xnn_define_square(sg, in, out, 0);
    case SY_OP_RELU:
        ctx->call = "xnn_define_clamp";
        return xnn_define_clamp(sg, 0.0f, INFINITY, in, out, 0);
#if defined(SY_XNN_HAVE_TANH)
    case SY_OP_TANH: ctx->call = "xnn_define_tanh"; return xnn_define_tanh(sg, in, out, 0);
#endif
#if defined(SY_XNN_HAVE_EXP)
    case SY_OP_EXP: ctx->call = "xnn_define_exp"; return xnn_define_exp(sg, in, out, 0);
#endif
#if defined(SY_XNN_HAVE_LOG)
    case SY_OP_LOG: ctx->call = "xnn_define_log"; return xnn_define_log(sg, in, out, 0);
#endif
#if defined(SY_XNN_HAVE_GELU)
    case SY_OP_GELU: ctx->call = "xnn_define_gelu"; return xnn_define_gelu(sg, in, out, 0);
#endif
#if defined(SY_XNN_HAVE_RSQRT)
    case SY_OP_RSQRT:
        ctx->call = "xnn_define_reciprocal_square_root";
        return xnn_define_reciprocal_square_root(sg, in, out, 0);
#endif
    default: ctx->call = "unary"; return xnn_status_unsupported_parameter;
    }
}
#endif

enum xnn_status sy_xnn_emit_unary(sy_xnn_define_ctx *ctx, sy_op op, int approximate, uint32_t in,
                               uint32_t out) {
#if defined(SY_XNN_HAVE_UNARY)
    return emit_unary_generic(ctx, op, approximate, in, out);
#else
    (void)approximate;
    return emit_unary_per_op(ctx, op, in, out);
#endif
}

int sy_xnn_supports_unary(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                       size_t reason_size) {
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const int approximate = (int)sy_node_attr_int(node, "approximate", 0);
    switch (node->op) {
    case SY_OP_SILU: return 1;  // x * sigmoid(x)
    case SY_OP_RSQRT: return 1; // native, or 1 / sqrt(x)
    default: break;
    }
    if (!sy_xnn_unary_native(node->op, approximate)) {
        return sy_xnn_refuse(reason, reason_size, "%s%s needs a newer XNNPACK (this build has the %s API)",
                          sy_xnn_op_name(node->op), node->op == SY_OP_GELU && approximate ? " (tanh form)" : "",
                          sy_xnn_api_generation());
    }
    return 1;
}

enum xnn_status sy_xnn_define_unary_op(sy_xnn_define_ctx *ctx) {
    const uint32_t x = ctx->in_ids[0], y = ctx->out_ids[0];
    enum xnn_status st;
    uint32_t tmp;
    switch (ctx->node->op) {
    case SY_OP_SILU:
        st = sy_xnn_define_temp(ctx, &ctx->out[0], &tmp);
        if (st != xnn_status_success) return st;
        st = sy_xnn_emit_unary(ctx, SY_OP_SIGMOID, 0, x, tmp);
        if (st != xnn_status_success) return st;
        return sy_xnn_emit_binary(ctx, SY_OP_MUL, x, tmp, y);
    case SY_OP_RSQRT:
        if (sy_xnn_unary_native(SY_OP_RSQRT, 0)) return sy_xnn_emit_unary(ctx, SY_OP_RSQRT, 0, x, y);
        {
            uint32_t one;
            const size_t dims1[1] = {1};
            st = sy_xnn_define_temp(ctx, &ctx->out[0], &tmp);
            if (st != xnn_status_success) return st;
            st = sy_xnn_define_static(ctx, 1, dims1, &kOne, &one);
            if (st != xnn_status_success) return st;
            st = sy_xnn_emit_unary(ctx, SY_OP_SQRT, 0, x, tmp);
            if (st != xnn_status_success) return st;
            return sy_xnn_emit_binary(ctx, SY_OP_DIV, one, tmp, y);
        }
    default:
        return sy_xnn_emit_unary(ctx, ctx->node->op, (int)sy_node_attr_int(ctx->node, "approximate", 0),
                              x, y);
    }
}

// sqrt, rsqrt and relu as custom kernels: the 2022 library's square root gives -0 for negative
// inputs (so 1 / sqrt(-1) was -inf), and its clamp turns NaN into 0. These match portable on
// NaN, +-inf, -0 and denormals (docs/OPS.md, "Special values"); they are memory-bound anyway.
sy_status sy_xnn_run_unary_exact(const sy_xnn_kernel_ctx *ctx) {
    const float *x = ctx->in[0].data; // any shape, f32
    float *y = ctx->out[0].data;      // same shape
    const int64_t n = sy_tensor_numel(&ctx->in[0]);
    switch (ctx->node->op) {
    case SY_OP_SQRT:
        for (int64_t i = 0; i < n; i++) y[i] = sqrtf(x[i]);
        break;
    case SY_OP_RSQRT:
        for (int64_t i = 0; i < n; i++) y[i] = 1.0f / sqrtf(x[i]);
        break;
    default: // relu: NaN stays NaN, -0 becomes +0 (as portable)
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] != x[i] ? x[i] : 0.0f;
        break;
    }
    return SY_OK;
}
