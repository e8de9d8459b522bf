// update_cache: cache[:, :, start:start+T, :] = new, a row copy per (batch, head). Any dtype:
// it moves bytes. Kept in the delegate so a graph's state writes stay in its partition.

#include <string.h>

#include "delegates/xnnpack/internal.h"

int sy_xnn_supports_update_cache(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                              size_t reason_size) {
    const sy_value_info *c = sy_xnn_input_info(graph, node, 0), *n = sy_xnn_input_info(graph, node, 1);
    const sy_value_info *pos = sy_xnn_input_info(graph, node, 2);
    if (!c || !n || !pos) return sy_xnn_refuse(reason, reason_size, "update_cache needs cache, new, start_pos");
    if (c->dtype != n->dtype || sy_dtype_size_inline(c->dtype) == 0)
        return sy_xnn_refuse(reason, reason_size, "update_cache cache and new must share a dtype");
    if (pos->dtype != SY_DTYPE_I32 && pos->dtype != SY_DTYPE_I64)
        return sy_xnn_refuse(reason, reason_size, "update_cache start_pos must be i32 or i64");
    if (c->rank != 4 || n->rank != 4) return sy_xnn_refuse(reason, reason_size, "update_cache needs 4-D tensors");
    return 1;
}

sy_status sy_xnn_run_update_cache(const sy_xnn_kernel_ctx *ctx) {
    const sy_tensor *cache = &ctx->in[0], *src = &ctx->in[1];
    const int64_t start = sy_xnn_read_start(&ctx->in[2]); // checked by the op's data check
    const int64_t tokens = src->dims[2], cache_len = cache->dims[2];
    if (src->dims[0] != cache->dims[0] || src->dims[1] != cache->dims[1] || src->dims[3] != cache->dims[3]) {
        return sy_xnn_error(ctx->be, SY_ERR_SHAPE, "node #%u '%s' (update_cache): new rows do not fit the cache",
                         ctx->node_id, ctx->node->name ? ctx->node->name : "");
    }
    const size_t row = sy_dtype_row_bytes(cache->dtype, cache->dims[3]);
    char *dst = cache->data; // the state, written in place (input 0 is mutated)
    const char *from = src->data;
    for (int64_t bh = 0; bh < cache->dims[0] * cache->dims[1]; bh++) {
        memcpy(dst + (size_t)(bh * cache_len + start) * row, from + (size_t)(bh * tokens) * row,
               (size_t)tokens * row);
    }
    return SY_OK;
}
