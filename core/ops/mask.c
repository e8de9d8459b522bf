// Shape and dtype rules of the mask ops the exporter needs: the six comparisons, logical
// and/or/not, and where. All broadcast NumPy-style; comparisons and logical ops output bool.

#include "core/ops/rule_util.h"

#define SY_DTYPES_ANY (SY_DTYPES_FLOAT_INT | SY_DTYPE_BIT(U8) | SY_DTYPE_BIT(BOOL))

// Two inputs broadcast into a bool output. `same` requires one dtype for both (comparisons).
static sy_status bool_binary_rule(const sy_node_info *node, const sy_tensor *inputs,
                                  sy_tensor *outputs, int same) {
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_ANY));
    SY_TRY(sy_rule_check_dtype(node, inputs, 1, SY_DTYPES_ANY));
    if (same) SY_TRY(sy_rule_check_same_dtype(inputs, 1));
    sy_tensor shape;
    sy_status st = sy_broadcast_shapes(&inputs[0], &inputs[1], &shape);
    if (st != SY_OK) return sy_error_prefix(st, "inputs #0 and #1");
    sy_rule_set_output(&outputs[0], SY_DTYPE_BOOL, shape.rank, shape.dims);
    return SY_OK;
}

#define SY_COMPARE_RULE_(id, same)                                                                 \
    sy_status sy_infer_##id(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) { \
        return bool_binary_rule(node, inputs, outputs, same);                                      \
    }
SY_COMPARE_RULE_(EQ, 1)
SY_COMPARE_RULE_(NE, 1)
SY_COMPARE_RULE_(LT, 1)
SY_COMPARE_RULE_(LE, 1)
SY_COMPARE_RULE_(GT, 1)
SY_COMPARE_RULE_(GE, 1)
SY_COMPARE_RULE_(LOGICAL_AND, 0)
SY_COMPARE_RULE_(LOGICAL_OR, 0)
#undef SY_COMPARE_RULE_

sy_status sy_infer_LOGICAL_NOT(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    SY_TRY(sy_rule_check_dtype(node, inputs, 0, SY_DTYPES_ANY));
    sy_rule_set_output(&outputs[0], SY_DTYPE_BOOL, inputs[0].rank, inputs[0].dims);
    return SY_OK;
}

// where(cond, a, b): cond bool; a and b one dtype (the output's); all three broadcast.
sy_status sy_infer_WHERE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    SY_CHECK(inputs[0].dtype == SY_DTYPE_BOOL, SY_ERR_DTYPE,
             "input #0 (cond) has dtype %s; where needs a bool condition", sy_dtype_name(inputs[0].dtype));
    SY_TRY(sy_rule_check_dtype(node, inputs, 1, SY_DTYPES_ANY));
    SY_CHECK(inputs[2].dtype == inputs[1].dtype, SY_ERR_DTYPE, "input #2 has dtype %s but input #1 has %s",
             sy_dtype_name(inputs[2].dtype), sy_dtype_name(inputs[1].dtype));
    sy_tensor ab, all;
    sy_status st = sy_broadcast_shapes(&inputs[1], &inputs[2], &ab);
    if (st != SY_OK) return sy_error_prefix(st, "inputs #1 and #2");
    st = sy_broadcast_shapes(&inputs[0], &ab, &all);
    if (st != SY_OK) return sy_error_prefix(st, "input #0 and inputs #1, #2");
    sy_rule_set_output(&outputs[0], inputs[1].dtype, all.rank, all.dims);
    return SY_OK;
}
