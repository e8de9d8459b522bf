// Dtype checks shared by the op rules (see rule_util.h).

#include "core/ops/rule_util.h"

#include "core/strbuf.h"

#include <stdio.h>

// "f32, f16, bf16, i32 or i64": the dtypes of `mask`, for messages.
static const char *dtype_list(unsigned mask, char *buf, size_t size) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, size);
    unsigned left = mask;
    for (int dt = 1; dt < SY_DTYPE_COUNT; dt++) {
        if (!(mask & (1u << dt))) continue;
        left &= ~(1u << dt);
        const char *sep = sb.used == 0 ? "" : left ? ", " : " or ";
        sy_strbuf_addf(&sb, "%s%s", sep, sy_dtype_name((sy_dtype)dt));
    }
    return buf;
}

sy_status sy_rule_check_dtype(const sy_node_info *node, const sy_tensor *inputs, uint32_t index,
                              unsigned allowed) {
    sy_dtype dt = inputs[index].dtype;
    if ((unsigned)dt < SY_DTYPE_COUNT && dt != SY_DTYPE_INVALID && (allowed & (1u << dt)))
        return SY_OK;
    char list[64];
    return sy_error_set(SY_ERR_DTYPE, "input #%u has dtype %s; %s accepts %s", index,
                        sy_dtype_name(dt), sy_op_name(node->op), dtype_list(allowed, list, sizeof list));
}

sy_status sy_rule_check_same_dtype(const sy_tensor *inputs, uint32_t index) {
    SY_CHECK(inputs[index].dtype == inputs[0].dtype, SY_ERR_DTYPE,
             "input #%u has dtype %s but input #0 has %s", index,
             sy_dtype_name(inputs[index].dtype), sy_dtype_name(inputs[0].dtype));
    return SY_OK;
}

sy_status sy_rule_check_float_pair(const sy_tensor *inputs, uint32_t index, const char *name0,
                                   const char *name) {
    SY_CHECK(sy_rule_is_float(inputs[0].dtype), SY_ERR_DTYPE,
             "input #0 (%s) has dtype %s; expected f32, f16 or bf16", name0,
             sy_dtype_name(inputs[0].dtype));
    SY_CHECK(inputs[index].dtype == inputs[0].dtype, SY_ERR_DTYPE,
             "input #%u (%s) has dtype %s but %s has %s", index, name,
             sy_dtype_name(inputs[index].dtype), name0, sy_dtype_name(inputs[0].dtype));
    return SY_OK;
}
