#pragma once

// The op set, as one X-macro list. Each entry is
//   X(ENUM_SUFFIX, "name", min_inputs, max_inputs, n_outputs, mutated_inputs_mask)
// mutated_inputs_mask has bit i set when the op writes input i in place (state tensors).
// Ops grow only at the end: the enum value is the op id stored in program files. Ops after
// sdpa_with_kv_cache came with format 1.1 (core/ops.h: SY_OP_LAST_OF_1_0); a writer marks a file
// that uses one as 1.1 and a reader refuses such an op in a 1.0 file.
// docs/OPS.md specifies every op (inputs, attributes, shape and dtype rules).

#define SY_OP_LIST(X)                                     \
    /* elementwise binary, NumPy broadcasting */          \
    X(ADD, "add", 2, 2, 1, 0)                             \
    X(SUB, "sub", 2, 2, 1, 0)                             \
    X(MUL, "mul", 2, 2, 1, 0)                             \
    X(DIV, "div", 2, 2, 1, 0)                             \
    X(POW, "pow", 2, 2, 1, 0)                             \
    X(MAXIMUM, "maximum", 2, 2, 1, 0)                     \
    X(MINIMUM, "minimum", 2, 2, 1, 0)                     \
    /* elementwise unary */                               \
    X(NEG, "neg", 1, 1, 1, 0)                             \
    X(EXP, "exp", 1, 1, 1, 0)                             \
    X(LOG, "log", 1, 1, 1, 0)                             \
    X(SQRT, "sqrt", 1, 1, 1, 0)                           \
    X(RSQRT, "rsqrt", 1, 1, 1, 0)                         \
    X(SIN, "sin", 1, 1, 1, 0)                             \
    X(COS, "cos", 1, 1, 1, 0)                             \
    X(TANH, "tanh", 1, 1, 1, 0)                           \
    X(SIGMOID, "sigmoid", 1, 1, 1, 0)                     \
    X(SILU, "silu", 1, 1, 1, 0)                           \
    X(GELU, "gelu", 1, 1, 1, 0)                           \
    X(RELU, "relu", 1, 1, 1, 0)                           \
    X(CAST, "cast", 1, 1, 1, 0)                           \
    /* reductions over axes */                            \
    X(SUM, "sum", 1, 1, 1, 0)                             \
    X(MEAN, "mean", 1, 1, 1, 0)                           \
    X(MAX, "max", 1, 1, 1, 0)                             \
    /* normalisation */                                   \
    X(SOFTMAX, "softmax", 1, 1, 1, 0)                     \
    X(RMS_NORM, "rms_norm", 2, 2, 1, 0)                   \
    X(LAYER_NORM, "layer_norm", 2, 3, 1, 0)               \
    /* linear algebra */                                  \
    X(MATMUL, "matmul", 2, 2, 1, 0)                       \
    X(LINEAR, "linear", 2, 3, 1, 0)                       \
    /* data movement */                                   \
    X(EMBEDDING, "embedding", 2, 2, 1, 0)                 \
    X(RESHAPE, "reshape", 1, 1, 1, 0)                     \
    X(TRANSPOSE, "transpose", 1, 1, 1, 0)                 \
    X(SLICE, "slice", 1, 1, 1, 0)                         \
    X(CONCAT, "concat", 1, 16, 1, 0)                      \
    X(EXPAND, "expand", 1, 1, 1, 0)                       \
    X(GATHER, "gather", 2, 2, 1, 0)                       \
    /* transformer */                                     \
    X(ROPE, "rope", 2, 2, 1, 0)                           \
    X(UPDATE_CACHE, "update_cache", 3, 3, 0, 0x1)         \
    X(SDPA, "sdpa", 3, 4, 1, 0)                           \
    X(SDPA_WITH_KV_CACHE, "sdpa_with_kv_cache", 6, 6, 1, 0x18)  \
    /* format 1.1: every op below needs minor >= 1 */      \
    X(CLAMP, "clamp", 1, 1, 1, 0)                         \
    /* comparisons, masks and index helpers (exporter) */ \
    X(WHERE, "where", 3, 3, 1, 0)                         \
    X(EQ, "eq", 2, 2, 1, 0)                               \
    X(NE, "ne", 2, 2, 1, 0)                               \
    X(LT, "lt", 2, 2, 1, 0)                               \
    X(LE, "le", 2, 2, 1, 0)                               \
    X(GT, "gt", 2, 2, 1, 0)                               \
    X(GE, "ge", 2, 2, 1, 0)                               \
    X(LOGICAL_AND, "logical_and", 2, 2, 1, 0)             \
    X(LOGICAL_OR, "logical_or", 2, 2, 1, 0)               \
    X(LOGICAL_NOT, "logical_not", 1, 1, 1, 0)             \
    X(ARANGE, "arange", 1, 1, 1, 0)                       \
    X(FULL_LIKE, "full_like", 1, 1, 1, 0)
