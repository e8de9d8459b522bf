// Data movement: reshape, transpose, slice, concat, expand. reshape is XNNPACK's static_reshape
// with the concrete output shape of the call. transpose, slice and concat are XNNPACK nodes where
// this XNNPACK has them (2024 API: static_transpose, static_slice, concatenate) and f32;
// otherwise, and for other dtypes or strided slices, they run as the small parallel copy kernels
// below so that a transformer block does not leave the partition for a permute. expand (f32) is
// always the copy kernel: XNNPACK's broadcast exists only inside binary nodes.

#include <string.h>

#include "delegates/xnnpack/internal.h"

// --- reshape ---

int sy_xnn_supports_reshape(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                         size_t reason_size) {
    return sy_xnn_require_f32(graph, node, reason, reason_size);
}

enum xnn_status sy_xnn_define_reshape(sy_xnn_define_ctx *ctx) {
    size_t dims[XNN_MAX_TENSOR_DIMS];
    size_t n = sy_xnn_dims(&ctx->out[0], dims);
    ctx->call = "xnn_define_static_reshape";
    return xnn_define_static_reshape(ctx->subgraph, n, dims, ctx->in_ids[0], ctx->out_ids[0], 0);
}

// --- shared copy machinery for the custom kernels ---

// A strided gather: out row r (of `row_len` elements) comes from `in + offset(r)` with element
// stride `in_stride`, where offset decomposes r over the output's leading dims.
typedef struct gather_job {
    const char *in;
    char *out;
    size_t elem;                 // bytes per element
    uint32_t lead;               // number of leading (row-indexing) dims
    int64_t lead_dims[SY_MAX_RANK];
    int64_t lead_strides[SY_MAX_RANK]; // input element strides of those dims
    int64_t row_len;
    int64_t in_stride; // input element stride along the row
    int64_t base;      // input element offset of output element 0
    int64_t rows_per_task;
    int64_t rows;
} gather_job;

static void gather_rows(void *ctx, size_t task) {
    const gather_job *j = ctx;
    const int64_t r0 = (int64_t)task * j->rows_per_task;
    const int64_t r1 = r0 + j->rows_per_task < j->rows ? r0 + j->rows_per_task : j->rows;
    for (int64_t r = r0; r < r1; r++) {
        int64_t off = j->base, rem = r;
        for (int32_t i = (int32_t)j->lead - 1; i >= 0; i--) {
            off += (rem % j->lead_dims[i]) * j->lead_strides[i];
            rem /= j->lead_dims[i];
        }
        char *dst = j->out + (size_t)(r * j->row_len) * j->elem;
        const char *src = j->in + (size_t)off * j->elem;
        if (j->in_stride == 1) {
            memcpy(dst, src, (size_t)j->row_len * j->elem);
            continue;
        }
        const int64_t s = j->in_stride, n = j->row_len;
        switch (j->elem) {
        case 4: for (int64_t i = 0; i < n; i++) ((uint32_t *)dst)[i] = ((const uint32_t *)src)[i * s]; break;
        case 2: for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = ((const uint16_t *)src)[i * s]; break;
        case 8: for (int64_t i = 0; i < n; i++) ((uint64_t *)dst)[i] = ((const uint64_t *)src)[i * s]; break;
        default: for (int64_t i = 0; i < n; i++) dst[i] = src[i * s]; break;
        }
    }
}

static void run_gather(const sy_xnn_kernel_ctx *ctx, gather_job *j) {
    if (j->row_len == 0 || j->rows == 0) return;
    // ~64 KiB of output per task keeps the pool's dispatch cost negligible
    int64_t per = (int64_t)(65536 / ((size_t)j->row_len * j->elem));
    j->rows_per_task = per < 1 ? 1 : per;
    const size_t tasks = (size_t)((j->rows + j->rows_per_task - 1) / j->rows_per_task);
    pthreadpool_parallelize_1d(ctx->be->pool, gather_rows, j, tasks, ctx->be->pool_flags);
}

static void strides_of(const sy_tensor *t, int64_t *strides) {
    int64_t s = 1;
    for (int32_t i = (int32_t)t->rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= t->dims[i];
    }
}

// --- transpose ---

int sy_xnn_native_transpose(const sy_graph_view *graph, const sy_node_info *node) {
#if defined(SY_XNN_HAVE_TRANSPOSE)
    return sy_xnn_require_f32(graph, node, NULL, 0);
#else
    (void)graph;
    (void)node;
    return 0;
#endif
}

int sy_xnn_supports_transpose(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    const sy_attr *perm = sy_node_find_attr(node, "perm");
    if (!x || !perm || perm->type != SY_ATTR_INTS || perm->n != x->rank)
        return sy_xnn_refuse(reason, reason_size, "transpose needs a perm of the input's rank");
    if (sy_dtype_size_inline(x->dtype) == 0) return sy_xnn_refuse(reason, reason_size, "transpose of an unknown dtype");
    return 1;
}

enum xnn_status sy_xnn_define_transpose(sy_xnn_define_ctx *ctx) {
#if defined(SY_XNN_HAVE_TRANSPOSE)
    const sy_attr *perm = sy_node_find_attr(ctx->node, "perm");
    size_t p[XNN_MAX_TENSOR_DIMS] = {0};
    size_t n = ctx->in[0].rank ? ctx->in[0].rank : 1;
    for (uint32_t i = 0; i < ctx->in[0].rank; i++) {
        int64_t a = perm->u.ints[i];
        p[i] = (size_t)(a < 0 ? a + ctx->in[0].rank : a);
    }
    ctx->call = "xnn_define_static_transpose";
    return xnn_define_static_transpose(ctx->subgraph, n, p, ctx->in_ids[0], ctx->out_ids[0], 0);
#else
    ctx->call = "xnn_define_static_transpose";
    return xnn_status_unsupported_parameter;
#endif
}

sy_status sy_xnn_run_transpose(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0];
    const sy_attr *perm = sy_node_find_attr(ctx->node, "perm");
    int64_t in_strides[SY_MAX_RANK];
    strides_of(x, in_strides);
    gather_job j = {.in = x->data, .out = ctx->out[0].data, .elem = sy_dtype_size_inline(x->dtype)};
    if (x->rank == 0) {
        memcpy(ctx->out[0].data, x->data, j.elem);
        return SY_OK;
    }
    int64_t src_stride[SY_MAX_RANK]; // input stride of each output dim
    for (uint32_t i = 0; i < x->rank; i++) {
        int64_t a = perm->u.ints[i];
        src_stride[i] = in_strides[a < 0 ? a + x->rank : a];
    }
    const uint32_t r = x->rank;
    j.lead = r - 1;
    for (uint32_t i = 0; i + 1 < r; i++) {
        j.lead_dims[i] = ctx->out[0].dims[i];
        j.lead_strides[i] = src_stride[i];
    }
    j.row_len = ctx->out[0].dims[r - 1];
    j.in_stride = src_stride[r - 1];
    j.rows = sy_tensor_numel(&ctx->out[0]) / (j.row_len ? j.row_len : 1);
    run_gather(ctx, &j);
    return SY_OK;
}

// --- slice ---

typedef struct slice_params {
    uint32_t axis;
    int64_t start, step;
} slice_params;

// Python semantics as in the shape rule: negatives count from the end, then clamp to [0, dim].
static slice_params slice_resolve(const sy_node_info *node, const sy_tensor *x) {
    slice_params p;
    int64_t axis = sy_node_attr_int(node, "axis", 0);
    if (axis < 0) axis += x->rank;
    p.axis = (uint32_t)axis;
    const int64_t dim = x->dims[p.axis];
    int64_t start = sy_node_attr_int(node, "start", 0);
    if (start < 0) start += dim;
    p.start = start < 0 ? 0 : start > dim ? dim : start;
    p.step = sy_node_attr_int(node, "step", 1);
    return p;
}

int sy_xnn_native_slice(const sy_graph_view *graph, const sy_node_info *node) {
#if defined(SY_XNN_HAVE_SLICE)
    return sy_node_attr_int(node, "step", 1) == 1 && sy_xnn_require_f32(graph, node, NULL, 0);
#else
    (void)graph;
    (void)node;
    return 0;
#endif
}

int sy_xnn_supports_slice(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                       size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    if (!x || x->rank < 1) return sy_xnn_refuse(reason, reason_size, "slice needs rank >= 1");
    const sy_attr *axis = sy_node_find_attr(node, "axis");
    if (!axis || axis->type != SY_ATTR_INT || axis->u.i < -(int64_t)x->rank || axis->u.i >= (int64_t)x->rank)
        return sy_xnn_refuse(reason, reason_size, "slice needs a valid axis");
    if (sy_node_attr_int(node, "step", 1) < 1) return sy_xnn_refuse(reason, reason_size, "slice step must be >= 1");
    if (sy_dtype_size_inline(x->dtype) == 0) return sy_xnn_refuse(reason, reason_size, "slice of an unknown dtype");
    return 1;
}

enum xnn_status sy_xnn_define_slice(sy_xnn_define_ctx *ctx) {
#if defined(SY_XNN_HAVE_SLICE)
    const slice_params p = slice_resolve(ctx->node, &ctx->in[0]);
    size_t offsets[XNN_MAX_TENSOR_DIMS] = {0}, sizes[XNN_MAX_TENSOR_DIMS];
    size_t n = sy_xnn_dims(&ctx->out[0], sizes);
    offsets[p.axis] = (size_t)p.start;
    ctx->call = "xnn_define_static_slice";
    return xnn_define_static_slice(ctx->subgraph, n, offsets, sizes, ctx->in_ids[0], ctx->out_ids[0], 0);
#else
    ctx->call = "xnn_define_static_slice";
    return xnn_status_unsupported_parameter;
#endif
}

sy_status sy_xnn_run_slice(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0], *y = &ctx->out[0];
    const slice_params p = slice_resolve(ctx->node, x);
    int64_t in_strides[SY_MAX_RANK];
    strides_of(x, in_strides);
    gather_job j = {.in = x->data, .out = y->data, .elem = sy_dtype_size_inline(x->dtype)};
    const uint32_t r = x->rank;
    j.lead = r - 1;
    for (uint32_t i = 0; i + 1 < r; i++) {
        j.lead_dims[i] = y->dims[i];
        j.lead_strides[i] = in_strides[i] * (i == p.axis ? p.step : 1);
    }
    j.row_len = y->dims[r - 1];
    j.in_stride = p.axis == r - 1 ? p.step : 1;
    j.base = p.start * in_strides[p.axis];
    j.rows = sy_tensor_numel(y) / (j.row_len ? j.row_len : 1);
    run_gather(ctx, &j);
    return SY_OK;
}

// --- concat ---

int sy_xnn_native_concat(const sy_graph_view *graph, const sy_node_info *node) {
    if (!sy_xnn_require_f32(graph, node, NULL, 0)) return 0;
#if defined(SY_XNN_HAVE_CONCAT_N)
    return node->n_inputs >= 2;
#elif defined(SY_XNN_HAVE_CONCAT)
    return node->n_inputs >= 2 && node->n_inputs <= 4;
#else
    return 0;
#endif
}

int sy_xnn_supports_concat(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    if (!x || x->rank < 1) return sy_xnn_refuse(reason, reason_size, "concat needs rank >= 1");
    for (uint32_t i = 0; i < node->n_inputs; i++)
        if (!sy_xnn_input_info(graph, node, i)) return sy_xnn_refuse(reason, reason_size, "concat input %u is absent", i);
    if (sy_dtype_size_inline(x->dtype) == 0) return sy_xnn_refuse(reason, reason_size, "concat of an unknown dtype");
    return 1;
}

enum xnn_status sy_xnn_define_concat(sy_xnn_define_ctx *ctx) {
    const int64_t a = sy_node_attr_int(ctx->node, "axis", 0);
    const int32_t axis = (int32_t)(a < 0 ? a + ctx->in[0].rank : a);
    const uint32_t *in = ctx->in_ids;
    (void)axis;
    (void)in;
#if defined(SY_XNN_HAVE_CONCAT_N)
    ctx->call = "xnn_define_concatenate";
    return xnn_define_concatenate(ctx->subgraph, axis, ctx->node->n_inputs, in, ctx->out_ids[0], 0);
#elif defined(SY_XNN_HAVE_CONCAT)
    switch (ctx->node->n_inputs) {
    case 2:
        ctx->call = "xnn_define_concatenate2";
        return xnn_define_concatenate2(ctx->subgraph, axis, in[0], in[1], ctx->out_ids[0], 0);
    case 3:
        ctx->call = "xnn_define_concatenate3";
        return xnn_define_concatenate3(ctx->subgraph, axis, in[0], in[1], in[2], ctx->out_ids[0], 0);
    case 4:
        ctx->call = "xnn_define_concatenate4";
        return xnn_define_concatenate4(ctx->subgraph, axis, in[0], in[1], in[2], in[3], ctx->out_ids[0], 0);
    default: break;
    }
#endif
    ctx->call = "xnn_define_concatenate";
    return xnn_status_unsupported_parameter;
}

typedef struct concat_job {
    const sy_xnn_kernel_ctx *ctx;
    uint32_t axis;
    int64_t inner; // elements after the axis
    size_t elem;
    int64_t out_row; // elements of one outer row of the output
} concat_job;

static void concat_outer(void *ctx_, size_t outer) {
    const concat_job *j = ctx_;
    const sy_xnn_kernel_ctx *ctx = j->ctx;
    char *dst = (char *)ctx->out[0].data + (size_t)((int64_t)outer * j->out_row) * j->elem;
    for (uint32_t i = 0; i < ctx->node->n_inputs; i++) {
        const size_t n = (size_t)(ctx->in[i].dims[j->axis] * j->inner) * j->elem;
        memcpy(dst, (const char *)ctx->in[i].data + outer * n, n);
        dst += n;
    }
}

sy_status sy_xnn_run_concat(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *y = &ctx->out[0];
    const int64_t a = sy_node_attr_int(ctx->node, "axis", 0);
    concat_job j = {.ctx = ctx, .axis = (uint32_t)(a < 0 ? a + y->rank : a), .inner = 1,
                    .elem = sy_dtype_size_inline(y->dtype)};
    int64_t outer = 1;
    for (uint32_t i = 0; i < j.axis; i++) outer *= y->dims[i];
    for (uint32_t i = j.axis + 1; i < y->rank; i++) j.inner *= y->dims[i];
    j.out_row = y->dims[j.axis] * j.inner;
    if (outer == 0 || j.out_row == 0) return SY_OK;
    pthreadpool_parallelize_1d(ctx->be->pool, concat_outer, &j, (size_t)outer, ctx->be->pool_flags);
    return SY_OK;
}

// --- expand ---

// torch expand: the output's dims aligned on the right with x's; a new leading dim or a size-1
// dim of x is walked with input stride 0, so the copy is the strided gather above. f32 only (the
// copy itself would move any dtype; the other dtypes are left to the portable kernel).
int sy_xnn_supports_expand(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0);
    if (!x || node->n_outputs != 1) return sy_xnn_refuse(reason, reason_size, "expand needs x");
    if (!sy_xnn_require_f32(graph, node, reason, reason_size)) return 0;
    const sy_value_info *y = &graph->values[node->outputs[0]];
    if (y->rank < x->rank || y->rank > SY_MAX_RANK)
        return sy_xnn_refuse(reason, reason_size, "expand needs an output rank in [rank of x, %d]", SY_MAX_RANK);
    return 1;
}

sy_status sy_xnn_run_expand(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0], *y = &ctx->out[0];
    if (y->rank == 0) { // rank 0 to rank 0: one element
        memcpy(y->data, x->data, sizeof(float));
        return SY_OK;
    }
    int64_t xs[SY_MAX_RANK], src_stride[SY_MAX_RANK]; // input stride of each output dim
    strides_of(x, xs);
    const uint32_t r = y->rank, lead = y->rank - x->rank;
    for (uint32_t i = 0; i < r; i++)
        src_stride[i] = i < lead || x->dims[i - lead] == 1 ? 0 : xs[i - lead];
    gather_job j = {.in = x->data, .out = y->data, .elem = sizeof(float), .lead = r - 1};
    for (uint32_t i = 0; i + 1 < r; i++) {
        j.lead_dims[i] = y->dims[i];
        j.lead_strides[i] = src_stride[i];
    }
    j.row_len = y->dims[r - 1];
    j.in_stride = src_stride[r - 1];
    j.rows = sy_tensor_numel(y) / (j.row_len ? j.row_len : 1);
    run_gather(ctx, &j);
    return SY_OK;
}
