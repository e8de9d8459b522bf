// clamp: y = min(max(x, min), max) with FLOAT attributes min (default -inf) and max (default
// +inf). The record declares both; the rule checks their values.

#include <math.h>

#include "core/ops/rule_util.h"

sy_status sy_infer_CLAMP(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    float lo, hi;
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_FLOAT));
    SY_TRY(sy_op_attr_get_float(node, "min", &lo));
    SY_TRY(sy_op_attr_get_float(node, "max", &hi));
    SY_CHECK(!isnan(lo) && !isnan(hi), SY_ERR_INVALID_ARGUMENT, "attributes 'min' (%g) and 'max' (%g) must not be NaN",
             (double)lo, (double)hi);
    SY_CHECK(lo <= hi, SY_ERR_INVALID_ARGUMENT, "attribute 'min' (%g) is greater than 'max' (%g)", (double)lo,
             (double)hi);
    sy_rule_copy_shape(&outputs[0], &inputs[0]);
    return SY_OK;
}

SY_OP_RECORD(CLAMP, .attrs = {{"min", SY_ATTR_FLOAT, 0, 0, -INFINITY}, {"max", SY_ATTR_FLOAT, 0, 0, INFINITY}});
