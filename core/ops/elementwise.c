// Shape and dtype rules of the elementwise ops: seven binary ops share one broadcasting rule,
// thirteen unary ops share one rule parameterised by the dtypes they accept; cast has its own.

#include <stdio.h>

#include "core/ops.h"
#include "core/status.h"

#define DT(name) (1u << SY_DTYPE_##name)
#define FLOATS (DT(F32) | DT(F16) | DT(BF16))
#define FLOATS_INTS (FLOATS | DT(I32) | DT(I64))

// "f32, f16, bf16, i32 or i64": the dtypes of `mask`, for messages.
static const char *dtype_list(unsigned mask, char *buf, size_t size) {
    size_t used = 0;
    unsigned left = mask;
    buf[0] = '\0';
    for (int dt = 1; dt < SY_DTYPE_COUNT && used < size; dt++) {
        if (!(mask & (1u << dt))) continue;
        left &= ~(1u << dt);
        const char *sep = used == 0 ? "" : left ? ", " : " or ";
        used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, sy_dtype_name((sy_dtype)dt));
    }
    return buf;
}

static sy_status check_dtype(const sy_node_info *node, const sy_tensor *inputs, uint32_t index,
                             unsigned allowed) {
    sy_dtype dt = inputs[index].dtype;
    if ((unsigned)dt < SY_DTYPE_COUNT && dt != SY_DTYPE_INVALID && (allowed & (1u << dt)))
        return SY_OK;
    char list[64];
    return sy_error_set(SY_ERR_DTYPE, "input #%u has dtype %s; %s accepts %s", index,
                        sy_dtype_name(dt), sy_op_name(node->op), dtype_list(allowed, list, sizeof list));
}

static void set_output(sy_tensor *out, sy_dtype dtype, uint32_t rank, const int64_t *dims) {
    out->dtype = dtype;
    out->rank = rank;
    for (uint32_t i = 0; i < rank; i++) out->dims[i] = dims[i];
}

// --- binary ops ---

// Both inputs share one dtype from `allowed`; the output takes the broadcast shape.
static sy_status binary_rule(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs,
                             unsigned allowed) {
    SY_TRY(check_dtype(node, inputs, 0, allowed));
    SY_CHECK(inputs[1].dtype == inputs[0].dtype, SY_ERR_DTYPE, "input #1 has dtype %s but input #0 has %s",
             sy_dtype_name(inputs[1].dtype), sy_dtype_name(inputs[0].dtype));
    sy_tensor shape;
    sy_status st = sy_broadcast_shapes(&inputs[0], &inputs[1], &shape);
    if (st != SY_OK) return sy_error_prefix(st, "inputs #0 and #1");
    set_output(&outputs[0], inputs[0].dtype, shape.rank, shape.dims);
    return SY_OK;
}

sy_status sy_infer_ADD(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS_INTS);
}
sy_status sy_infer_SUB(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS_INTS);
}
sy_status sy_infer_MUL(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS_INTS);
}
sy_status sy_infer_DIV(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS);
}
sy_status sy_infer_POW(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS);
}
sy_status sy_infer_MAXIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS_INTS);
}
sy_status sy_infer_MINIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return binary_rule(node, inputs, outputs, FLOATS_INTS);
}

// --- unary ops ---

// The output has the input's dtype (one of `allowed`) and shape.
static sy_status unary_rule(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs,
                            unsigned allowed) {
    SY_TRY(check_dtype(node, inputs, 0, allowed));
    set_output(&outputs[0], inputs[0].dtype, inputs[0].rank, inputs[0].dims);
    return SY_OK;
}

#define SY_UNARY_RULE_(id, allowed)                                                                \
    sy_status sy_infer_##id(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) { \
        return unary_rule(node, inputs, outputs, allowed);                                         \
    }
SY_UNARY_RULE_(NEG, FLOATS_INTS)
SY_UNARY_RULE_(RELU, FLOATS_INTS)
SY_UNARY_RULE_(EXP, FLOATS)
SY_UNARY_RULE_(LOG, FLOATS)
SY_UNARY_RULE_(SQRT, FLOATS)
SY_UNARY_RULE_(RSQRT, FLOATS)
SY_UNARY_RULE_(SIN, FLOATS)
SY_UNARY_RULE_(COS, FLOATS)
SY_UNARY_RULE_(TANH, FLOATS)
SY_UNARY_RULE_(SIGMOID, FLOATS)
SY_UNARY_RULE_(SILU, FLOATS)
#undef SY_UNARY_RULE_

sy_status sy_infer_GELU(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t approximate;
    SY_TRY(sy_attr_get_int(node, "approximate", 0, 0, &approximate));
    SY_CHECK(approximate == 0 || approximate == 1, SY_ERR_INVALID_ARGUMENT,
             "attribute 'approximate' must be 0 (erf) or 1 (tanh), not %lld", (long long)approximate);
    return unary_rule(node, inputs, outputs, FLOATS);
}

// Any dtype to any dtype; the shape is kept.
sy_status sy_infer_CAST(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    int64_t dtype;
    SY_TRY(sy_attr_get_int(node, "dtype", 1, 0, &dtype));
    SY_CHECK(dtype > SY_DTYPE_INVALID && dtype < SY_DTYPE_COUNT, SY_ERR_INVALID_ARGUMENT,
             "attribute 'dtype' %lld is not a dtype (1..%d)", (long long)dtype, SY_DTYPE_COUNT - 1);
    SY_TRY(check_dtype(node, inputs, 0, (1u << SY_DTYPE_COUNT) - 2u));
    set_output(&outputs[0], (sy_dtype)dtype, inputs[0].rank, inputs[0].dims);
    return SY_OK;
}
