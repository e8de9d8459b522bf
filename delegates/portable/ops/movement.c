// Portable kernels of the data-movement ops. They copy bytes without interpreting them, so one
// code path serves every dtype: contiguous blocks go through memcpy, strided walks (transpose,
// expand) through sy_iter and sy_copy_strided. Ids and indices are checked over the whole
// input by the op's data check (core/ops/movement.c), which the delegate runs before the kernel.

#include "delegates/portable/ops/common.h"
#include "delegates/portable/ops/quant.h"

sy_status sy_portable_EMBEDDING(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *table = &inputs[0], *ids = &inputs[1]; // table [V, D], ids [...]
    sy_tensor *out = &outputs[0];                          // [..., D]
    int64_t v = table->dims[0], n = sy_tensor_numel(ids);
    size_t row = sy_dtype_row_bytes(table->dtype, table->dims[1]);
    (void)node, (void)v; // ids were checked against [0, V) by the op's data check
    if (sy_dtype_is_block(table->dtype)) { // quantised rows dequantise into the f32 output
        for (int64_t i = 0; i < n; i++)
            sy_portable_dequant_row(table, sy_load_i_inline(ids, i), (float *)out->data + i * table->dims[1]);
        return SY_OK;
    }
    for (int64_t i = 0; i < n && row > 0; i++)
        sy_copy_bytes((char *)out->data + (size_t)i * row, (const char *)table->data + (size_t)sy_load_i_inline(ids, i) * row,
               row);
    return SY_OK;
}

// Row-major data does not change under a reshape.
sy_status sy_portable_RESHAPE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    if (outputs[0].data != inputs[0].data) sy_copy_bytes(outputs[0].data, inputs[0].data, sy_tensor_nbytes(&inputs[0]));
    return SY_OK;
}

// Copies `in` into the contiguous `out` through per-dim input strides `in_strides` (one per
// output dim); used by transpose (permuted strides) and expand (0 on broadcast dims).
static void copy_strided_nd(sy_tensor *out, const sy_tensor *in, const int64_t *in_strides) {
    int64_t os[SY_MAX_RANK];
    size_t es = sy_dtype_size_inline(in->dtype);
    sy_contiguous_strides(out->dims, out->rank, os);
    const int64_t *strides[2] = {os, in_strides};
    sy_iter it;
    sy_iter_init(&it, out->rank, out->dims, 2, strides);
    for (int64_t r = 0; r < it.n_rows; r++, sy_iter_next_row(&it))
        sy_copy_strided((char *)out->data + (size_t)it.off[0] * es, it.step[0],
                        (const char *)in->data + (size_t)it.off[1] * es, it.step[1], it.row_len, es);
}

sy_status sy_portable_TRANSPOSE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const int64_t *perm;
    uint32_t n;
    int64_t xs[SY_MAX_RANK], in_strides[SY_MAX_RANK];
    SY_TRY(sy_attr_get_ints(node, "perm", 1, &perm, &n));
    sy_contiguous_strides(inputs[0].dims, inputs[0].rank, xs);
    for (uint32_t i = 0; i < n; i++) in_strides[i] = xs[perm[i]]; // output dim i walks input dim perm[i]
    copy_strided_nd(&outputs[0], &inputs[0], in_strides);
    return SY_OK;
}

sy_status sy_portable_EXPAND(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t in_strides[SY_MAX_RANK];
    (void)node;
    sy_broadcast_strides(&inputs[0], outputs[0].rank, in_strides);
    copy_strided_nd(&outputs[0], &inputs[0], in_strides);
    return SY_OK;
}

sy_status sy_portable_SLICE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    sy_tensor *y = &outputs[0];
    uint32_t a;
    SY_TRY(sy_normalize_axis(sy_node_attr_int(node, "axis", 0), x->rank, "attribute 'axis'", &a));
    int64_t start = sy_node_attr_int(node, "start", 0), step = sy_node_attr_int(node, "step", 1);
    int64_t dim = x->dims[a], count = y->dims[a]; // the rule computed count from start/end/step
    if (start < 0) start += dim;
    start = start < 0 ? 0 : start > dim ? dim : start;

    // x viewed as [outer, dim, inner], y as [outer, count, inner]; blocks of inner elements.
    size_t es = sy_dtype_size_inline(x->dtype);
    int64_t outer = sy_dims_product(x->dims, 0, a), inner = sy_dims_product(x->dims, a + 1, x->rank);
    size_t block = (size_t)inner * es;
    const char *src = (const char *)x->data;
    char *dst = (char *)y->data;
    for (int64_t o = 0; o < outer; o++) {
        const char *s = src + (size_t)(o * dim + start) * block;
        char *d = dst + (size_t)(o * count) * block;
        if (step == 1) {
            sy_copy_bytes(d, s, (size_t)count * block);
        } else {
            for (int64_t j = 0; j < count; j++) sy_copy_bytes(d + (size_t)j * block, s + (size_t)(j * step) * block, block);
        }
    }
    return SY_OK;
}

sy_status sy_portable_CONCAT(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    sy_tensor *y = &outputs[0];
    uint32_t a;
    SY_TRY(sy_normalize_axis(sy_node_attr_int(node, "axis", 0), y->rank, "attribute 'axis'", &a));
    // Every input viewed as [outer, dims[a], inner]: y's rows of outer take each input's block in turn.
    size_t es = sy_dtype_size_inline(y->dtype);
    int64_t outer = sy_dims_product(y->dims, 0, a), inner = sy_dims_product(y->dims, a + 1, y->rank);
    char *dst = (char *)y->data;
    for (int64_t o = 0; o < outer; o++) {
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            size_t chunk = (size_t)(inputs[i].dims[a] * inner) * es;
            sy_copy_bytes(dst, (const char *)inputs[i].data + (size_t)o * chunk, chunk);
            dst += chunk;
        }
    }
    return SY_OK;
}

sy_status sy_portable_GATHER(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *idx = &inputs[1]; // idx [len]
    sy_tensor *y = &outputs[0];
    uint32_t a;
    SY_TRY(sy_normalize_axis(sy_node_attr_int(node, "axis", 0), x->rank, "attribute 'axis'", &a));
    int64_t dim = x->dims[a], len = idx->dims[0]; // indices checked against [0, dim) by the data check
    // x viewed as [outer, dim, inner], y as [outer, len, inner].
    size_t es = sy_dtype_size_inline(x->dtype);
    int64_t outer = sy_dims_product(x->dims, 0, a), inner = sy_dims_product(x->dims, a + 1, x->rank);
    size_t block = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < len; j++)
            sy_copy_bytes((char *)y->data + (size_t)(o * len + j) * block,
                   (const char *)x->data + (size_t)(o * dim + sy_load_i_inline(idx, j)) * block, block);
    return SY_OK;
}
