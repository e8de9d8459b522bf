// Portable kernels of the elementwise ops. Binary ops walk the broadcast output with sy_iter
// (a same-shape or scalar operand collapses to one long row); unary ops are one flat loop.
// f32 and the integer dtypes compute on their own storage; f16/bf16 convert per element.
// Integer add/sub/mul/neg wrap on overflow (two's complement) instead of being undefined.

#include "delegates/portable/ops/common.h"

// --- binary ---

typedef enum binop { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_MAX, BIN_MIN } binop;

// maximum/minimum propagate NaN, like torch.maximum (fmaxf would drop it).
static inline float max_f(float x, float y) { return x != x ? x : y != y ? y : x > y ? x : y; }
static inline float min_f(float x, float y) { return x != x ? x : y != y ? y : x < y ? x : y; }

static inline float apply_f(binop op, float x, float y) {
    switch (op) {
    case BIN_ADD: return x + y;
    case BIN_SUB: return x - y;
    case BIN_MUL: return x * y;
    case BIN_DIV: return x / y;
    case BIN_POW: return powf(x, y);
    case BIN_MAX: return max_f(x, y);
    case BIN_MIN: return min_f(x, y);
    }
    return 0.0f;
}

// One row: o[i] = EXPR(x = a[i * sa], y = b[i * sb]) for i < n.
#define BINARY_ROW_(T, EXPR)                                                                       \
    for (int64_t i = 0; i < n; i++) {                                                              \
        const T x = a[i * sa], y = b[i * sb];                                                      \
        o[i] = (EXPR);                                                                             \
    }

static void row_f32(binop op, float *o, const float *a, int64_t sa, const float *b, int64_t sb,
                    int64_t n) {
    switch (op) {
    case BIN_ADD: BINARY_ROW_(float, x + y) break;
    case BIN_SUB: BINARY_ROW_(float, x - y) break;
    case BIN_MUL: BINARY_ROW_(float, x * y) break;
    case BIN_DIV: BINARY_ROW_(float, x / y) break;
    case BIN_POW: BINARY_ROW_(float, powf(x, y)) break;
    case BIN_MAX: BINARY_ROW_(float, max_f(x, y)) break;
    case BIN_MIN: BINARY_ROW_(float, min_f(x, y)) break;
    }
}

// Integer rows: add/sub/mul go through the unsigned type so overflow wraps. div and pow are
// float-only (the rule refuses them for integers).
#define INT_ROW_FN_(name, T, U)                                                                    \
    static void name(binop op, T *o, const T *a, int64_t sa, const T *b, int64_t sb, int64_t n) {  \
        switch (op) {                                                                              \
        case BIN_ADD: BINARY_ROW_(T, (T)((U)x + (U)y)) break;                                      \
        case BIN_SUB: BINARY_ROW_(T, (T)((U)x - (U)y)) break;                                      \
        case BIN_MUL: BINARY_ROW_(T, (T)((U)x * (U)y)) break;                                      \
        case BIN_MAX: BINARY_ROW_(T, x > y ? x : y) break;                                         \
        case BIN_MIN: BINARY_ROW_(T, x < y ? x : y) break;                                         \
        case BIN_DIV: case BIN_POW: break;                                                         \
        }                                                                                          \
    }
INT_ROW_FN_(row_i32, int32_t, uint32_t)
INT_ROW_FN_(row_i64, int64_t, uint64_t)
#undef INT_ROW_FN_
#undef BINARY_ROW_

static sy_status binary(binop op, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *a = &inputs[0], *b = &inputs[1];
    sy_tensor *out = &outputs[0];
    int64_t os[SY_MAX_RANK], as[SY_MAX_RANK], bs[SY_MAX_RANK];
    sy_contiguous_strides(out->dims, out->rank, os);
    sy_broadcast_strides(a, out->rank, as);
    sy_broadcast_strides(b, out->rank, bs);
    const int64_t *strides[3] = {os, as, bs};
    sy_iter it;
    sy_iter_init(&it, out->rank, out->dims, 3, strides);

    for (int64_t r = 0; r < it.n_rows; r++, sy_iter_next_row(&it)) {
        // The output is contiguous, so its row step is 1 (size-1 dims were dropped).
        int64_t oo = it.off[0], ao = it.off[1], bo = it.off[2], sa = it.step[1], sb = it.step[2];
        int64_t n = it.row_len;
        switch (out->dtype) {
        case SY_DTYPE_F32:
            row_f32(op, (float *)out->data + oo, (const float *)a->data + ao, sa,
                    (const float *)b->data + bo, sb, n);
            break;
        case SY_DTYPE_I32:
            row_i32(op, (int32_t *)out->data + oo, (const int32_t *)a->data + ao, sa,
                    (const int32_t *)b->data + bo, sb, n);
            break;
        case SY_DTYPE_I64:
            row_i64(op, (int64_t *)out->data + oo, (const int64_t *)a->data + ao, sa,
                    (const int64_t *)b->data + bo, sb, n);
            break;
        default: // f16, bf16
            for (int64_t i = 0; i < n; i++)
                sy_store_f_inline(out, oo + i,
                                  apply_f(op, sy_load_f_inline(a, ao + i * sa), sy_load_f_inline(b, bo + i * sb)));
        }
    }
    return SY_OK;
}

sy_status sy_portable_ADD(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_ADD, inputs, outputs);
}
sy_status sy_portable_SUB(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_SUB, inputs, outputs);
}
sy_status sy_portable_MUL(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_MUL, inputs, outputs);
}
sy_status sy_portable_DIV(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_DIV, inputs, outputs);
}
sy_status sy_portable_POW(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_POW, inputs, outputs);
}
sy_status sy_portable_MAXIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_MAX, inputs, outputs);
}
sy_status sy_portable_MINIMUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    return binary(BIN_MIN, inputs, outputs);
}

// --- unary ---

typedef enum unop {
    UN_NEG, UN_EXP, UN_LOG, UN_SQRT, UN_RSQRT, UN_SIN, UN_COS, UN_TANH, UN_SIGMOID, UN_SILU,
    UN_GELU_ERF, UN_GELU_TANH, UN_RELU,
} unop;

// 1 / (1 + e^-x) without overflowing e^-x for large negative x.
static inline float sigmoid_f(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static inline float apply_unary_f(unop op, float x) {
    switch (op) {
    case UN_NEG: return -x;
    case UN_EXP: return expf(x);
    case UN_LOG: return logf(x);
    case UN_SQRT: return sqrtf(x);
    case UN_RSQRT: return 1.0f / sqrtf(x);
    case UN_SIN: return sinf(x);
    case UN_COS: return cosf(x);
    case UN_TANH: return tanhf(x);
    case UN_SIGMOID: return sigmoid_f(x);
    case UN_SILU: return x * sigmoid_f(x);
    case UN_GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case UN_GELU_TANH: // 0.7978845608 = sqrt(2 / pi)
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case UN_RELU: return x > 0.0f ? x : x != x ? x : 0.0f; // NaN stays NaN, like torch.relu
    }
    return 0.0f;
}

static sy_status unary(unop op, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    sy_tensor *y = &outputs[0];
    int64_t n = sy_tensor_numel(x);
    switch (x->dtype) {
    case SY_DTYPE_F32: {
        const float *xp = (const float *)x->data;
        float *yp = (float *)y->data;
        switch (op) { // the common cheap ops get their own loops so they vectorise
        case UN_NEG: for (int64_t i = 0; i < n; i++) yp[i] = -xp[i]; break;
        case UN_EXP: for (int64_t i = 0; i < n; i++) yp[i] = expf(xp[i]); break;
        case UN_SILU: for (int64_t i = 0; i < n; i++) yp[i] = xp[i] * sigmoid_f(xp[i]); break;
        default: for (int64_t i = 0; i < n; i++) yp[i] = apply_unary_f(op, xp[i]);
        }
        break;
    }
    case SY_DTYPE_I32: { // neg and relu only (the rule allows nothing else)
        const int32_t *xp = (const int32_t *)x->data;
        int32_t *yp = (int32_t *)y->data;
        for (int64_t i = 0; i < n; i++)
            yp[i] = op == UN_NEG ? (int32_t)(0u - (uint32_t)xp[i]) : xp[i] > 0 ? xp[i] : 0;
        break;
    }
    case SY_DTYPE_I64: {
        const int64_t *xp = (const int64_t *)x->data;
        int64_t *yp = (int64_t *)y->data;
        for (int64_t i = 0; i < n; i++)
            yp[i] = op == UN_NEG ? (int64_t)(0u - (uint64_t)xp[i]) : xp[i] > 0 ? xp[i] : 0;
        break;
    }
    default: // f16, bf16
        for (int64_t i = 0; i < n; i++) sy_store_f_inline(y, i, apply_unary_f(op, sy_load_f_inline(x, i)));
    }
    return SY_OK;
}

#define SY_UNARY_KERNEL_(id, op)                                                                   \
    sy_status sy_portable_##id(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) { \
        (void)node;                                                                                \
        return unary(op, inputs, outputs);                                                         \
    }
SY_UNARY_KERNEL_(NEG, UN_NEG)
SY_UNARY_KERNEL_(EXP, UN_EXP)
SY_UNARY_KERNEL_(LOG, UN_LOG)
SY_UNARY_KERNEL_(SQRT, UN_SQRT)
SY_UNARY_KERNEL_(RSQRT, UN_RSQRT)
SY_UNARY_KERNEL_(SIN, UN_SIN)
SY_UNARY_KERNEL_(COS, UN_COS)
SY_UNARY_KERNEL_(TANH, UN_TANH)
SY_UNARY_KERNEL_(SIGMOID, UN_SIGMOID)
SY_UNARY_KERNEL_(SILU, UN_SILU)
SY_UNARY_KERNEL_(RELU, UN_RELU)
#undef SY_UNARY_KERNEL_

sy_status sy_portable_GELU(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return unary(sy_node_attr_int(node, "approximate", 0) == 1 ? UN_GELU_TANH : UN_GELU_ERF, inputs,
                 outputs);
}

// --- cast ---

// Converts n elements from x to y (same shape). Float -> integer truncates toward zero and
// saturates to the target's range (NaN -> 0); integer -> narrower integer wraps; anything ->
// bool is (x != 0); f16/bf16 round to nearest even.
sy_status sy_portable_CAST(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    sy_tensor *y = &outputs[0];
    int64_t n = sy_tensor_numel(x);
    (void)node;
    if (x->dtype == y->dtype) {
        if (x->data != y->data) sy_copy_bytes(y->data, x->data, sy_tensor_nbytes(x));
        return SY_OK;
    }
    int from_float = sy_dtype_is_float(x->dtype);
    if (sy_dtype_is_float(y->dtype)) {
        for (int64_t i = 0; i < n; i++)
            sy_store_f_inline(y, i, from_float ? sy_load_f_inline(x, i) : (float)sy_load_i_inline(x, i));
        return SY_OK;
    }
    if (!from_float) {
        for (int64_t i = 0; i < n; i++) sy_store_i_inline(y, i, sy_load_i_inline(x, i));
        return SY_OK;
    }
    for (int64_t i = 0; i < n; i++) { // float -> integer or bool
        float v = sy_load_f_inline(x, i);
        int64_t iv;
        switch (y->dtype) {
        case SY_DTYPE_I32: iv = sy_float_to_int_sat(v, INT32_MIN, INT32_MAX); break;
        case SY_DTYPE_U8: iv = sy_float_to_int_sat(v, 0, UINT8_MAX); break;
        case SY_DTYPE_BOOL: iv = v != 0.0f; break; // NaN != 0, so NaN -> true, as in torch
        default: iv = sy_float_to_int_sat(v, INT64_MIN, INT64_MAX); break;
        }
        sy_store_i_inline(y, i, iv);
    }
    return SY_OK;
}
