// Shape and dtype rules of the normalisations: softmax over one axis, and rms_norm / layer_norm
// over the last axis (which share one rule for x and their 1-D parameters).

#include <math.h>

#include "core/ops/rule_util.h"

sy_status sy_infer_SOFTMAX(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t axis;
    uint32_t a;
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_FLOAT));
    SY_TRY(sy_op_attr_get_int(node, "axis", &axis));
    SY_TRY(sy_normalize_axis(axis, inputs[0].rank, "attribute 'axis'", &a));
    sy_rule_copy_shape(&outputs[0], &inputs[0]);
    return SY_OK;
}

// x (float, rank >= 1) is normalised over its last axis; inputs #1.. (weight, optional bias)
// are 1-D of that axis' length and x's dtype. The default epsilon is the op record's.
static sy_status last_axis_norm_rule(const sy_node_info *node, const sy_tensor *inputs,
                                     sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    const char *op = sy_op_name(node->op);
    char sx[96], sp[96];
    float eps;
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_FLOAT));
    SY_CHECK(x->rank >= 1, SY_ERR_SHAPE, "input #0 is a scalar; %s needs rank >= 1", op);
    int64_t d = x->dims[x->rank - 1];
    for (uint32_t i = 1; i < node->n_inputs; i++) {
        const sy_tensor *p = &inputs[i];
        if (i >= 2 && p->dtype == SY_DTYPE_INVALID) continue; // absent optional bias
        SY_TRY(sy_rule_check_same_dtype(inputs, i));
        SY_CHECK(p->rank == 1 && p->dims[0] == d, SY_ERR_SHAPE,
                 "input #%u has shape %s but must be [%lld] (the last dim of input #0 %s)", i,
                 sy_format_dims(p->dims, p->rank, sp, sizeof sp), (long long)d,
                 sy_format_dims(x->dims, x->rank, sx, sizeof sx));
    }
    SY_TRY(sy_op_attr_get_float(node, "eps", &eps));
    SY_CHECK(eps >= 0.0f && isfinite(eps), SY_ERR_INVALID_ARGUMENT,
             "attribute 'eps' must be finite and >= 0, not %g", (double)eps);
    sy_rule_copy_shape(&outputs[0], x);
    return SY_OK;
}

sy_status sy_infer_RMS_NORM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return last_axis_norm_rule(node, inputs, outputs);
}

sy_status sy_infer_LAYER_NORM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return last_axis_norm_rule(node, inputs, outputs);
}

// --- op records ---

SY_OP_RECORD(SOFTMAX, .attrs = {{"axis", SY_ATTR_INT, 0, -1, 0}});
SY_OP_RECORD(RMS_NORM, .attrs = {{"eps", SY_ATTR_FLOAT, 0, 0, 1e-6f}});
SY_OP_RECORD(LAYER_NORM, .attrs = {{"eps", SY_ATTR_FLOAT, 0, 0, 1e-5f}});
