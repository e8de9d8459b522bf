// Portable kernels of the fill ops: arange and full_like.

#include "delegates/portable/ops/common.h"

/// Stores `v` into element i of t, any dtype (integers truncate and saturate, bool is v != 0).
static void store_value(sy_tensor *t, int64_t i, double v) {
    if (sy_dtype_is_float(t->dtype))
        sy_store_f_inline(t, i, (float)v);
    else if (t->dtype == SY_DTYPE_BOOL)
        ((uint8_t *)t->data)[i] = v != 0.0;
    else
        sy_store_i_inline(t, i, sy_float_to_int_sat((float)v, INT64_MIN, INT64_MAX));
}

sy_status sy_portable_ARANGE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)inputs;
    int64_t start = sy_node_attr_int(node, "start", 0), step = sy_node_attr_int(node, "step", 1);
    sy_tensor *out = &outputs[0];
    int64_t n = out->dims[0];
    for (int64_t i = 0; i < n; i++) {
        int64_t v = (int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)step); // wraps, never UB
        if (sy_dtype_is_float(out->dtype))
            sy_store_f_inline(out, i, (float)v);
        else
            sy_store_i_inline(out, i, v);
    }
    return SY_OK;
}

sy_status sy_portable_FULL_LIKE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)inputs;
    float value = sy_node_attr_float(node, "value", 0.0f);
    sy_tensor *out = &outputs[0];
    int64_t n = sy_tensor_numel(out);
    for (int64_t i = 0; i < n; i++) store_value(out, i, value);
    return SY_OK;
}
