// Portable kernels of the mask ops: comparisons, logical and/or/not, where. Operands broadcast
// through sy_iter; floats compare as f32 (NaN compares unequal to everything, as in C), integers
// and bool as int64, so i64 positions compare exactly.

#include "delegates/portable/ops/common.h"

typedef enum cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_AND, CMP_OR } cmp_op;

static inline int cmp_f(cmp_op op, float x, float y) {
    switch (op) {
    case CMP_EQ: return x == y;
    case CMP_NE: return x != y;
    case CMP_LT: return x < y;
    case CMP_LE: return x <= y;
    case CMP_GT: return x > y;
    case CMP_GE: return x >= y;
    case CMP_AND: return x != 0.0f && y != 0.0f;
    case CMP_OR: return x != 0.0f || y != 0.0f;
    }
    return 0;
}

static inline int cmp_i(cmp_op op, int64_t x, int64_t y) {
    switch (op) {
    case CMP_EQ: return x == y;
    case CMP_NE: return x != y;
    case CMP_LT: return x < y;
    case CMP_LE: return x <= y;
    case CMP_GT: return x > y;
    case CMP_GE: return x >= y;
    case CMP_AND: return x != 0 && y != 0;
    case CMP_OR: return x != 0 || y != 0;
    }
    return 0;
}

static sy_status compare(cmp_op op, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *a = &inputs[0], *b = &inputs[1];
    sy_tensor *out = &outputs[0];
    uint8_t *o = (uint8_t *)out->data;
    int64_t os[SY_MAX_RANK], as[SY_MAX_RANK], bs[SY_MAX_RANK];
    sy_contiguous_strides(out->dims, out->rank, os);
    sy_broadcast_strides(a, out->rank, as);
    sy_broadcast_strides(b, out->rank, bs);
    const int64_t *strides[3] = {os, as, bs};
    sy_iter it;
    sy_iter_init(&it, out->rank, out->dims, 3, strides);
    // Logical ops on mixed dtypes, or any float operand, go through f32; the rest through int64.
    int use_f = sy_dtype_is_float(a->dtype) || sy_dtype_is_float(b->dtype);
    for (int64_t r = 0; r < it.n_rows; r++, sy_iter_next_row(&it)) {
        for (int64_t j = 0; j < it.row_len; j++) {
            int64_t ia = it.off[1] + j * it.step[1], ib = it.off[2] + j * it.step[2];
            o[it.off[0] + j] = (uint8_t)(use_f ? cmp_f(op, sy_load_f_inline(a, ia), sy_load_f_inline(b, ib))
                                               : cmp_i(op, sy_load_i_inline(a, ia), sy_load_i_inline(b, ib)));
        }
    }
    return SY_OK;
}

#define SY_COMPARE_KERNEL_(id, op)                                                                 \
    sy_status sy_portable_##id(const sy_node_info *node, const sy_tensor *inputs,                 \
                               sy_tensor *outputs) {                                               \
        (void)node;                                                                                \
        return compare(op, inputs, outputs);                                                       \
    }
SY_COMPARE_KERNEL_(EQ, CMP_EQ)
SY_COMPARE_KERNEL_(NE, CMP_NE)
SY_COMPARE_KERNEL_(LT, CMP_LT)
SY_COMPARE_KERNEL_(LE, CMP_LE)
SY_COMPARE_KERNEL_(GT, CMP_GT)
SY_COMPARE_KERNEL_(GE, CMP_GE)
SY_COMPARE_KERNEL_(LOGICAL_AND, CMP_AND)
SY_COMPARE_KERNEL_(LOGICAL_OR, CMP_OR)
#undef SY_COMPARE_KERNEL_

sy_status sy_portable_LOGICAL_NOT(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    const sy_tensor *x = &inputs[0];
    uint8_t *o = (uint8_t *)outputs[0].data;
    int64_t n = sy_tensor_numel(x);
    for (int64_t i = 0; i < n; i++)
        o[i] = (uint8_t)(sy_dtype_is_float(x->dtype) ? sy_load_f_inline(x, i) == 0.0f : sy_load_i_inline(x, i) == 0);
    return SY_OK;
}

// where: out[i] = cond[i] ? a[i] : b[i], elements copied bit for bit (any dtype).
sy_status sy_portable_WHERE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    const sy_tensor *c = &inputs[0], *a = &inputs[1], *b = &inputs[2];
    sy_tensor *out = &outputs[0];
    size_t es = sy_dtype_size_inline(out->dtype);
    int64_t os[SY_MAX_RANK], cs[SY_MAX_RANK], as[SY_MAX_RANK], bs[SY_MAX_RANK];
    sy_contiguous_strides(out->dims, out->rank, os);
    sy_broadcast_strides(c, out->rank, cs);
    sy_broadcast_strides(a, out->rank, as);
    sy_broadcast_strides(b, out->rank, bs);
    const int64_t *strides[4] = {os, cs, as, bs};
    sy_iter it;
    sy_iter_init(&it, out->rank, out->dims, 4, strides);
    const uint8_t *cd = (const uint8_t *)c->data;
    const unsigned char *ad = (const unsigned char *)a->data, *bd = (const unsigned char *)b->data;
    unsigned char *od = (unsigned char *)out->data;
    for (int64_t r = 0; r < it.n_rows; r++, sy_iter_next_row(&it)) {
        for (int64_t j = 0; j < it.row_len; j++) {
            int64_t oi = it.off[0] + j, ci = it.off[1] + j * it.step[1];
            const unsigned char *src = cd[ci] ? ad + (size_t)(it.off[2] + j * it.step[2]) * es
                                              : bd + (size_t)(it.off[3] + j * it.step[3]) * es;
            memcpy(od + (size_t)oi * es, src, es);
        }
    }
    return SY_OK;
}
