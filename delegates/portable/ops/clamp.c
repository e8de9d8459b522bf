// Portable clamp: y = min(max(x, min), max) element by element, in f32. NaN stays NaN (like
// torch.clamp); -0 stays -0 unless a bound replaces it.

#include "delegates/portable/ops/common.h"

sy_status sy_portable_CLAMP(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0]; // any shape
    sy_tensor *y = &outputs[0];      // x's shape and dtype
    float lo = (float)sy_op_attr_float(node, "min"), hi = (float)sy_op_attr_float(node, "max");
    int64_t n = sy_tensor_numel(x);
    for (int64_t i = 0; i < n; i++) {
        float v = sy_load_f_inline(x, i);
        sy_store_f_inline(y, i, v < lo ? lo : v > hi ? hi : v); // comparisons with NaN are false
    }
    return SY_OK;
}
