// embedding and gather (index_select) as custom kernels: XNNPACK has no f32 gather node in
// either API generation, and without these the token embedding at the head of every decoder
// would split a model into a portable partition plus an XNNPACK one.
//
// Both are the same block copy: the source viewed as [outer, dim, block], the output as
// [outer, len, block], with output block (o, j) = source block (o, indices[j]). embedding is
// the case outer = 1, dim = V, block = one row of D floats, len = number of ids. Every index is
// checked before anything is written, so a failing call leaves the output as it was (as the
// portable kernels do), and the copy itself runs on the pool in ~64 KiB tasks.

#include <string.h>

#include "core/half.h"
#include "core/quant.h"
#include "delegates/xnnpack/internal.h"
#include "switchyard/switchyard.h" // sy_dtype_name

typedef struct index_job {
    const char *src;   // (outer, dim, block bytes)
    char *dst;         // (outer, len, block bytes)
    const void *index; // (len) i32 or i64, validated to [0, dim)
    int index_i64;
    int64_t len, dim;
    size_t block;      // bytes per copied block
    int64_t rows;      // outer * len
    int64_t rows_per_task;
} index_job;

static int64_t load_index(const void *index, int i64, int64_t i) {
    return i64 ? ((const int64_t *)index)[i] : (int64_t)((const int32_t *)index)[i];
}

static void index_rows(void *p, size_t task) {
    const index_job *j = p;
    const int64_t r0 = (int64_t)task * j->rows_per_task;
    const int64_t r1 = r0 + j->rows_per_task < j->rows ? r0 + j->rows_per_task : j->rows;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r / j->len, k = load_index(j->index, j->index_i64, r % j->len);
        memcpy(j->dst + (size_t)r * j->block, j->src + (size_t)(o * j->dim + k) * j->block, j->block);
    }
}

static void run_index_copy(const sy_xnn_kernel_ctx *ctx, index_job *j) {
    if (j->rows == 0 || j->block == 0) return;
    // ~64 KiB of output per task: a decode step's few rows stay on the caller's thread
    // (pthreadpool runs a single task inline), a long prompt spreads over the pool
    const int64_t per = (int64_t)(65536 / j->block);
    j->rows_per_task = per < 1 ? 1 : per;
    const size_t tasks = (size_t)((j->rows + j->rows_per_task - 1) / j->rows_per_task);
    pthreadpool_parallelize_1d(ctx->be->pool, index_rows, j, tasks, ctx->be->pool_flags);
}

// --- dequantising rows (embedding of a block-quantised table; f16 for completeness) ---

void sy_xnn_dequantize_row(sy_dtype dtype, const void *src, int64_t n, float *dst) {
    const uint8_t *p = src;
    if (dtype == SY_DTYPE_F16) {
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            dst[i] = sy_f16_to_f32(h);
        }
        return;
    }
    const size_t bb = sy_dtype_block_bytes(dtype);
    for (int64_t b = 0; b < n / 32; b++) sy_dequantize_block(dtype, p + (size_t)b * bb, dst + b * 32); // core/quant.c
}

typedef struct dequant_job {
    const char *table; // (V, row bytes)
    float *dst;        // (n, dim)
    const void *index;
    int index_i64;
    sy_dtype dtype;
    int64_t dim, n, rows_per_task;
    size_t row_bytes;
} dequant_job;

static void dequant_rows(void *p, size_t task) {
    const dequant_job *j = p;
    const int64_t r0 = (int64_t)task * j->rows_per_task;
    const int64_t r1 = r0 + j->rows_per_task < j->n ? r0 + j->rows_per_task : j->n;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t id = load_index(j->index, j->index_i64, r);
        sy_xnn_dequantize_row(j->dtype, j->table + (size_t)id * j->row_bytes, j->dim, j->dst + r * j->dim);
    }
}

static void run_dequant_embedding(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *table = &ctx->in[0], *ids = &ctx->in[1];
    dequant_job j = {
        .table = table->data,
        .dst = ctx->out[0].data,
        .index = ids->data,
        .index_i64 = ids->dtype == SY_DTYPE_I64,
        .dtype = table->dtype,
        .dim = table->dims[1],
        .n = sy_tensor_numel(ids),
        .row_bytes = sy_dtype_row_bytes(table->dtype, table->dims[1]),
    };
    if (j.n == 0 || j.dim == 0) return;
    const int64_t per = 16384 / j.dim; // ~64 KiB of f32 output per task
    j.rows_per_task = per < 1 ? 1 : per;
    pthreadpool_parallelize_1d(ctx->be->pool, dequant_rows, &j,
                               (size_t)((j.n + j.rows_per_task - 1) / j.rows_per_task), ctx->be->pool_flags);
}

static int table_dtype_ok(const sy_value_info *t) {
    if (t->dtype == SY_DTYPE_F32) return 1;
    return sy_dtype_is_block(t->dtype) && t->rank == 2 && t->dims[1] % sy_dtype_block_elems(t->dtype) == 0;
}

static int index_dtype_ok(const sy_value_info *v) {
    return v->dtype == SY_DTYPE_I32 || v->dtype == SY_DTYPE_I64;
}

// --- embedding ---

int sy_xnn_supports_embedding(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_value_info *table = sy_xnn_input_info(graph, node, 0), *ids = sy_xnn_input_info(graph, node, 1);
    if (!table || !ids || node->n_outputs != 1)
        return sy_xnn_refuse(reason, reason_size, "embedding needs table and ids");
    const sy_value_info *y = &graph->values[node->outputs[0]];
    if (!table_dtype_ok(table) || y->dtype != SY_DTYPE_F32) {
        return sy_xnn_refuse(reason, reason_size,
                          "dtype %s not supported (embedding needs an f32 table, or a q8_0, q4_0 or "
                          "q4_1 one, and f32 output)",
                          sy_dtype_name(y->dtype != SY_DTYPE_F32 ? y->dtype : table->dtype));
    }
    if (!index_dtype_ok(ids)) return sy_xnn_refuse(reason, reason_size, "embedding ids must be i32 or i64");
    if (table->rank != 2) return sy_xnn_refuse(reason, reason_size, "embedding needs a [V, D] table");
    return 1;
}

sy_status sy_xnn_run_embedding(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *table = &ctx->in[0], *ids = &ctx->in[1]; // table [V, D], ids [...]
    const int64_t v = table->dims[0], n = sy_tensor_numel(ids);
    // ids were checked against [0, V) by the op's data check (the host's check_node_data)
    if (table->dtype != SY_DTYPE_F32) {
        run_dequant_embedding(ctx);
        return SY_OK;
    }
    index_job j = {
        .src = table->data,
        .dst = ctx->out[0].data, // [..., D]
        .index = ids->data,
        .index_i64 = ids->dtype == SY_DTYPE_I64,
        .len = n,
        .dim = v,
        .block = (size_t)table->dims[1] * sizeof(float),
        .rows = n,
    };
    run_index_copy(ctx, &j);
    return SY_OK;
}

// --- gather ---

int sy_xnn_supports_gather(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                        size_t reason_size) {
    const sy_value_info *x = sy_xnn_input_info(graph, node, 0), *idx = sy_xnn_input_info(graph, node, 1);
    if (!x || !idx || node->n_outputs != 1) return sy_xnn_refuse(reason, reason_size, "gather needs x and indices");
    const sy_value_info *y = &graph->values[node->outputs[0]];
    if (x->dtype != SY_DTYPE_F32 || y->dtype != SY_DTYPE_F32) {
        return sy_xnn_refuse(reason, reason_size, "dtype %s not supported (gather needs f32)",
                          sy_dtype_name(x->dtype != SY_DTYPE_F32 ? x->dtype : y->dtype));
    }
    if (!index_dtype_ok(idx) || idx->rank != 1)
        return sy_xnn_refuse(reason, reason_size, "gather indices must be 1-D i32 or i64");
    const int64_t axis = sy_node_attr_int(node, "axis", 0);
    if (x->rank < 1 || axis < -(int64_t)x->rank || axis >= (int64_t)x->rank)
        return sy_xnn_refuse(reason, reason_size, "gather needs rank >= 1 and a valid axis");
    return 1;
}

sy_status sy_xnn_run_gather(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *x = &ctx->in[0], *idx = &ctx->in[1]; // idx [len]
    int64_t axis = sy_node_attr_int(ctx->node, "axis", 0);
    if (axis < 0) axis += x->rank;
    const uint32_t a = (uint32_t)axis;
    const int64_t dim = x->dims[a], len = idx->dims[0];
    // indices were checked against [0, dim) by the op's data check
    int64_t outer = 1, inner = 1; // x viewed as [outer, dim, inner]
    for (uint32_t i = 0; i < a; i++) outer *= x->dims[i];
    for (uint32_t i = a + 1; i < x->rank; i++) inner *= x->dims[i];
    index_job j = {
        .src = x->data,
        .dst = ctx->out[0].data, // [outer, len, inner]
        .index = idx->data,
        .index_i64 = idx->dtype == SY_DTYPE_I64,
        .len = len,
        .dim = dim,
        .block = (size_t)inner * sizeof(float),
        .rows = outer * len,
    };
    run_index_copy(ctx, &j);
    return SY_OK;
}
