// Shape and dtype rules of the elementwise ops: seven binary ops share one broadcasting rule,
// thirteen unary ops share one rule parameterised by the dtypes they accept; cast has its own.

#include "core/ops/rule_util.h"

// --- binary ops ---

// Both inputs share one dtype from `allowed`; the output takes the broadcast shape.
static sy_status binary_rule(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs,
                             unsigned allowed) {
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, allowed));
    SY_TRY(sy_rule_check_same_dtype(inputs, 1));
    sy_tensor shape;
    sy_status st = sy_broadcast_shapes(&inputs[0], &inputs[1], &shape);
    if (st != SY_OK) return sy_error_prefix(st, "inputs #0 and #1");
    sy_rule_set_output(&outputs[0], inputs[0].dtype, shape.rank, shape.dims);
    return SY_OK;
}

sy_status sy_infer_ADD(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}
sy_status sy_infer_SUB(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}
sy_status sy_infer_MUL(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}
sy_status sy_infer_DIV(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT);
}
sy_status sy_infer_POW(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT);
}
sy_status sy_infer_MAXIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}
sy_status sy_infer_MINIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, SY_DTYPES_FLOAT_INT);
}

// --- unary ops ---

// The output has the input's dtype (one of `allowed`) and shape.
static sy_status unary_rule(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs,
                            unsigned allowed) {
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, allowed));
    sy_rule_copy_shape(&outputs[0], &inputs[0]);
    return SY_OK;
}

#define SY_UNARY_RULE_(id, allowed)                                                                \
    sy_status sy_infer_##id(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) { \
        return unary_rule(node, inputs, outputs, allowed);                                         \
    }
SY_UNARY_RULE_(NEG, SY_DTYPES_FLOAT_INT)
SY_UNARY_RULE_(RELU, SY_DTYPES_FLOAT_INT)
SY_UNARY_RULE_(EXP, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(LOG, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(SQRT, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(RSQRT, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(SIN, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(COS, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(TANH, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(SIGMOID, SY_DTYPES_FLOAT)
SY_UNARY_RULE_(SILU, SY_DTYPES_FLOAT)
#undef SY_UNARY_RULE_

sy_status sy_infer_GELU(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t approximate;
    SY_TRY(sy_op_attr_get_int(node, "approximate", &approximate));
    SY_CHECK(approximate == 0 || approximate == 1, SY_ERR_INVALID_ARGUMENT,
             "attribute 'approximate' must be 0 (erf) or 1 (tanh), not %lld", (long long)approximate);
    return unary_rule(node, inputs, outputs, SY_DTYPES_FLOAT);
}

// Any plain dtype to any plain dtype; the shape is kept.
sy_status sy_infer_CAST(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t dtype;
    SY_TRY(sy_op_attr_get_int(node, "dtype", &dtype));
    SY_CHECK(dtype > SY_DTYPE_INVALID && dtype < SY_DTYPE_COUNT && (SY_DTYPES_PLAIN & (1u << dtype)),
             SY_ERR_INVALID_ARGUMENT, "attribute 'dtype' %lld is not a plain dtype (1..%d)", (long long)dtype,
             SY_DTYPE_BOOL);
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_PLAIN));
    sy_rule_set_output(&outputs[0], (sy_dtype)dtype, inputs[0].rank, inputs[0].dims);
    return SY_OK;
}

// --- op records (attributes the host checks; docs/OPS.md specifies them) ---

SY_OP_RECORD(GELU, .attrs = {{"approximate", SY_ATTR_INT, 0, 0, 0}});
SY_OP_RECORD(CAST, .attrs = {{"dtype", SY_ATTR_INT, 1, 0, 0}});
