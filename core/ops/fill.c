// Shape and dtype rules of the fill ops: arange (a 1-D ramp as long as one dim of its input,
// so its length follows a symbolic dim such as the token count) and full_like.

#include "core/ops/rule_util.h"

#define SY_DTYPES_ANY SY_DTYPES_PLAIN

/// Reads the optional `dtype` attribute (default `dflt`) and checks it names a dtype in `allowed`.
static sy_status dtype_attr(const sy_node_info *node, sy_dtype dflt, unsigned allowed, sy_dtype *out) {
    int64_t dt;
    SY_TRY(sy_attr_get_int(node, "dtype", 0, dflt, &dt));
    SY_CHECK(dt > 0 && dt < SY_DTYPE_COUNT && (allowed & (1u << dt)), SY_ERR_INVALID_ARGUMENT,
             "attribute 'dtype' %lld is not a dtype %s accepts", (long long)dt, sy_op_name(node->op));
    *out = (sy_dtype)dt;
    return SY_OK;
}

// arange(x): [x.dims[axis]] with element i = start + i * step.
sy_status sy_infer_ARANGE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t axis, start, step;
    uint32_t ax;
    sy_dtype dt;
    SY_CHECK(inputs[0].rank >= 1, SY_ERR_SHAPE, "input #0 is a scalar; arange takes its length from a dim");
    SY_TRY(sy_attr_get_int(node, "axis", 0, 0, &axis));
    SY_TRY(sy_normalize_axis(axis, inputs[0].rank, "attribute 'axis'", &ax));
    SY_TRY(sy_attr_get_int(node, "start", 0, 0, &start));
    SY_TRY(sy_attr_get_int(node, "step", 0, 1, &step));
    SY_CHECK(step != 0, SY_ERR_INVALID_ARGUMENT, "attribute 'step' is 0");
    SY_TRY(dtype_attr(node, SY_DTYPE_I64, SY_DTYPES_FLOAT_INT, &dt));
    int64_t n = inputs[0].dims[ax];
    sy_rule_set_output(&outputs[0], dt, 1, &n);
    return SY_OK;
}

// full_like(x): x's shape, every element `value` in `dtype` (default x's).
sy_status sy_infer_FULL_LIKE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    float value;
    sy_dtype dt;
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_ANY));
    SY_TRY(sy_attr_get_float(node, "value", 0, 0.0f, &value));
    SY_TRY(dtype_attr(node, inputs[0].dtype, SY_DTYPES_ANY, &dt));
    sy_rule_set_output(&outputs[0], dt, inputs[0].rank, inputs[0].dims);
    return SY_OK;
}

// --- records (attribute defaults as the rules above read them; full_like's dtype 0 = x's) ---

SY_OP_RECORD(ARANGE, .attrs = {{"axis", SY_ATTR_INT, 0, 0, 0},
                               {"start", SY_ATTR_INT, 0, 0, 0},
                               {"step", SY_ATTR_INT, 0, 1, 0},
                               {"dtype", SY_ATTR_INT, 0, SY_DTYPE_I64, 0}});
SY_OP_RECORD(FULL_LIKE, .attrs = {{"value", SY_ATTR_FLOAT, 0, 0, 0.0f}, {"dtype", SY_ATTR_INT, 0, 0, 0}});
