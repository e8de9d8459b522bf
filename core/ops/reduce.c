// Shape and dtype rule of the reductions sum, mean and max: one rule, parameterised by the
// dtypes each accepts.

#include "core/ops/rule_util.h"

// Reduces the axes in attribute `axes` (all axes when absent), keeping them as size 1 when
// `keepdim` is 1.
static sy_status reduce_rule(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs,
                             unsigned allowed) {
    const sy_tensor *x = &inputs[0];
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, allowed));

    const int64_t *axes;
    uint32_t n_axes;
    int64_t keepdim;
    SY_TRY(sy_op_attr_get_ints(node, "axes", &axes, &n_axes));
    SY_TRY(sy_op_attr_get_int(node, "keepdim", &keepdim));
    SY_CHECK(keepdim == 0 || keepdim == 1, SY_ERR_INVALID_ARGUMENT,
             "attribute 'keepdim' must be 0 or 1, not %lld", (long long)keepdim);

    uint32_t reduced = 0; // bit i: axis i is reduced
    if (!axes) reduced = (1u << x->rank) - 1u;
    for (uint32_t i = 0; i < n_axes; i++) {
        uint32_t a;
        SY_TRY(sy_normalize_axis(axes[i], x->rank, "attribute 'axes' entry", &a));
        SY_CHECK(!(reduced & (1u << a)), SY_ERR_INVALID_ARGUMENT,
                 "attribute 'axes' names axis %u twice", a);
        reduced |= 1u << a;
    }

    sy_tensor out = {.dtype = x->dtype, .rank = 0};
    for (uint32_t i = 0; i < x->rank; i++) {
        if (reduced & (1u << i)) {
            char dims[96];
            SY_CHECK(x->dims[i] != 0, SY_ERR_SHAPE, "input #0 %s: cannot %s over axis %u of size 0",
                     sy_format_dims(x->dims, x->rank, dims, sizeof dims), sy_op_name(node->op), i);
            if (keepdim) out.dims[out.rank++] = 1;
        } else {
            out.dims[out.rank++] = x->dims[i];
        }
    }
    sy_rule_copy_shape(&outputs[0], &out);
    return SY_OK;
}

sy_status sy_infer_SUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}
sy_status sy_infer_MEAN(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce_rule(node, inputs, outputs, SY_DTYPES_FLOAT);
}
sy_status sy_infer_MAX(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}

// --- op records ---

#define SY_REDUCE_ATTRS_ .attrs = {{"axes", SY_ATTR_INTS, 0, 0, 0}, {"keepdim", SY_ATTR_INT, 0, 0, 0}}
SY_OP_RECORD(SUM, SY_REDUCE_ATTRS_);
SY_OP_RECORD(MEAN, SY_REDUCE_ATTRS_);
SY_OP_RECORD(MAX, SY_REDUCE_ATTRS_);
#undef SY_REDUCE_ATTRS_
