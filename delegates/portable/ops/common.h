#pragma once

// Helpers shared by the portable kernels: typed element access, row-major strides, broadcast
// strides, and an n-d iterator that walks any number of strided operands row by row.
//
// Everything here is static inline and allocation-free: kernels may call it in their loops.
// Offsets and strides are in elements (not bytes) of the tensor they belong to.

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"
#include "delegates/portable/kernels.h"

// --- element access ---

/// Element i of `t` as f32. Floats convert from their storage; integers and bool convert by
/// value (so a mask or an id can be read as a float too).
static inline float sy_load_f_inline(const sy_tensor *t, int64_t i) {
    switch (t->dtype) {
    case SY_DTYPE_F32: return ((const float *)t->data)[i];
    case SY_DTYPE_F16: return sy_f16_to_f32(((const uint16_t *)t->data)[i]);
    case SY_DTYPE_BF16: return sy_bf16_to_f32(((const uint16_t *)t->data)[i]);
    case SY_DTYPE_I32: return (float)((const int32_t *)t->data)[i];
    case SY_DTYPE_I64: return (float)((const int64_t *)t->data)[i];
    case SY_DTYPE_U8: case SY_DTYPE_BOOL: return (float)((const uint8_t *)t->data)[i];
    default: return 0.0f;
    }
}

/// Writes element i of a float tensor (f32, f16, bf16; round to nearest even). Other dtypes
/// are left alone: converting a float into an integer needs a policy, see sy_float_to_i64.
static inline void sy_store_f_inline(sy_tensor *t, int64_t i, float v) {
    switch (t->dtype) {
    case SY_DTYPE_F32: ((float *)t->data)[i] = v; break;
    case SY_DTYPE_F16: ((uint16_t *)t->data)[i] = sy_f32_to_f16(v); break;
    case SY_DTYPE_BF16: ((uint16_t *)t->data)[i] = sy_f32_to_bf16(v); break;
    default: break;
    }
}

/// A float truncated toward zero and saturated to [lo, hi]; NaN gives 0. The plain C
/// conversion is undefined for out-of-range values, which a user's tensor may hold.
static inline int64_t sy_float_to_int_sat(float v, int64_t lo, int64_t hi) {
    if (v != v) return 0;
    // Compare in double: lo and hi up to 2^63 are exact there; (double)INT64_MAX rounds up to 2^63.
    double t = trunc((double)v);
    if (t <= (double)lo) return lo;
    if (t >= (double)hi) return hi;
    return (int64_t)t;
}

/// Element i of `t` as int64. Integers and bool by value; floats truncated toward zero,
/// saturated to the int64 range, NaN as 0.
static inline int64_t sy_load_i_inline(const sy_tensor *t, int64_t i) {
    switch (t->dtype) {
    case SY_DTYPE_I32: return ((const int32_t *)t->data)[i];
    case SY_DTYPE_I64: return ((const int64_t *)t->data)[i];
    case SY_DTYPE_U8: case SY_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
    case SY_DTYPE_F32: case SY_DTYPE_F16: case SY_DTYPE_BF16:
        return sy_float_to_int_sat(sy_load_f_inline(t, i), INT64_MIN, INT64_MAX);
    default: return 0;
    }
}

/// Writes element i of an integer tensor (i32, i64, u8, bool). Narrowing wraps modulo 2^bits
/// like C's two's complement conversions; bool stores (v != 0). Float tensors are left alone.
static inline void sy_store_i_inline(sy_tensor *t, int64_t i, int64_t v) {
    switch (t->dtype) {
    case SY_DTYPE_I32: ((int32_t *)t->data)[i] = (int32_t)(uint32_t)(uint64_t)v; break;
    case SY_DTYPE_I64: ((int64_t *)t->data)[i] = v; break;
    case SY_DTYPE_U8: ((uint8_t *)t->data)[i] = (uint8_t)(uint64_t)v; break;
    case SY_DTYPE_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
    default: break;
    }
}

static inline int sy_dtype_is_float(sy_dtype dt) {
    return dt == SY_DTYPE_F32 || dt == SY_DTYPE_F16 || dt == SY_DTYPE_BF16;
}

// --- f32 row arithmetic (matmul, linear, attention) ---

/// sum_i a[ao + i] * b[bo + i] for i < n, accumulated in f32 (both unit stride, same float
/// dtype). f32 reads raw pointers; f16/bf16 convert element by element.
static inline float sy_dot_f(const sy_tensor *a, int64_t ao, const sy_tensor *b, int64_t bo,
                             int64_t n) {
    float s = 0.0f;
    if (a->dtype == SY_DTYPE_F32) {
        const float *pa = (const float *)a->data + ao, *pb = (const float *)b->data + bo;
        for (int64_t i = 0; i < n; i++) s += pa[i] * pb[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            s += sy_load_f_inline(a, ao + i) * sy_load_f_inline(b, bo + i);
    }
    return s;
}

/// acc[i] += alpha * t[off + i] for i < n (t unit stride, any float dtype).
static inline void sy_axpy_f(float *acc, float alpha, const sy_tensor *t, int64_t off, int64_t n) {
    if (t->dtype == SY_DTYPE_F32) {
        const float *p = (const float *)t->data + off;
        for (int64_t i = 0; i < n; i++) acc[i] += alpha * p[i];
    } else {
        for (int64_t i = 0; i < n; i++) acc[i] += alpha * sy_load_f_inline(t, off + i);
    }
}

// --- strides ---

/// Row-major element strides of `dims` (strides[rank-1] = 1).
static inline void sy_contiguous_strides(const int64_t *dims, uint32_t rank, int64_t *strides) {
    int64_t s = 1;
    for (uint32_t i = rank; i-- > 0;) {
        strides[i] = s;
        s *= dims[i];
    }
}

/// Strides that read the contiguous tensor `t` as if it had the `rank` >= t->rank dims of a
/// broadcast result (NumPy rules, dims aligned on the right): new leading dims and size-1 dims
/// get stride 0, so every index along them reads the same element.
static inline void sy_broadcast_strides(const sy_tensor *t, uint32_t rank, int64_t *strides) {
    int64_t own[SY_MAX_RANK];
    uint32_t lead = rank - t->rank;
    sy_contiguous_strides(t->dims, t->rank, own);
    for (uint32_t i = 0; i < rank; i++)
        strides[i] = i < lead || t->dims[i - lead] == 1 ? 0 : own[i - lead];
}

// --- n-d iteration ---

#define SY_ITER_MAX_OPERANDS 4

/// Walks an index space of up to SY_MAX_RANK dims for up to SY_ITER_MAX_OPERANDS operands,
/// each with its own element strides, one row (innermost dim) at a time. Dims of size 1 are
/// dropped and neighbouring dims that every operand walks contiguously are merged, so a
/// same-shape elementwise op is one long row and a transpose keeps only the dims it permutes.
///
///     sy_iter it;
///     const int64_t *strides[2] = {out_strides, in_strides};
///     sy_iter_init(&it, rank, dims, 2, strides);
///     for (int64_t r = 0; r < it.n_rows; r++, sy_iter_next_row(&it))
///         for (int64_t j = 0; j < it.row_len; j++)
///             out[it.off[0] + j * it.step[0]] = in[it.off[1] + j * it.step[1]];
typedef struct sy_iter {
    uint32_t rank;  // dims left after merging (>= 1)
    uint32_t n_ops; // operands
    int64_t dims[SY_MAX_RANK];
    int64_t strides[SY_ITER_MAX_OPERANDS][SY_MAX_RANK];
    int64_t idx[SY_MAX_RANK];               // index of the current row over dims[0 .. rank-1)
    int64_t n_rows;                         // rows to visit; 0 when the space is empty
    int64_t row_len;                        // elements per row (dims[rank-1])
    int64_t step[SY_ITER_MAX_OPERANDS];     // per operand: stride along a row
    int64_t off[SY_ITER_MAX_OPERANDS];      // per operand: offset of the current row's start
} sy_iter;

/// Sets up `it` over `dims[0..rank)` (rank 0 = one element) for `n_ops` operands whose strides
/// are strides[k][0..rank). Offsets start at 0; add a base offset to it->off[k] if needed.
static inline void sy_iter_init(sy_iter *it, uint32_t rank, const int64_t *dims, uint32_t n_ops,
                                const int64_t *const *strides) {
    uint32_t r = 0;
    int empty = 0;
    it->n_ops = n_ops;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] == 0) empty = 1;
        if (dims[i] == 1) continue;
        int merge = r > 0;
        for (uint32_t k = 0; merge && k < n_ops; k++)
            merge = it->strides[k][r - 1] == strides[k][i] * dims[i];
        if (merge) {
            it->dims[r - 1] *= dims[i];
            for (uint32_t k = 0; k < n_ops; k++) it->strides[k][r - 1] = strides[k][i];
        } else {
            it->dims[r] = dims[i];
            for (uint32_t k = 0; k < n_ops; k++) it->strides[k][r] = strides[k][i];
            r++;
        }
    }
    if (r == 0) { // a single element
        it->dims[0] = 1;
        for (uint32_t k = 0; k < n_ops; k++) it->strides[k][0] = 0;
        r = 1;
    }
    it->rank = r;
    it->row_len = it->dims[r - 1];
    it->n_rows = 1;
    for (uint32_t i = 0; i + 1 < r; i++) it->n_rows *= it->dims[i];
    if (empty) it->n_rows = 0;
    for (uint32_t k = 0; k < n_ops; k++) {
        it->step[k] = it->strides[k][r - 1];
        it->off[k] = 0;
    }
    for (uint32_t i = 0; i < r; i++) it->idx[i] = 0;
}

/// Moves to the next row (after the last row it wraps around to the first).
static inline void sy_iter_next_row(sy_iter *it) {
    for (uint32_t d = it->rank - 1; d-- > 0;) {
        for (uint32_t k = 0; k < it->n_ops; k++) it->off[k] += it->strides[k][d];
        if (++it->idx[d] < it->dims[d]) return;
        for (uint32_t k = 0; k < it->n_ops; k++) it->off[k] -= it->strides[k][d] * it->dims[d];
        it->idx[d] = 0;
    }
}

/// Back to the first row with all offsets 0 (the dims and strides are kept).
static inline void sy_iter_reset(sy_iter *it) {
    for (uint32_t i = 0; i < it->rank; i++) it->idx[i] = 0;
    for (uint32_t k = 0; k < it->n_ops; k++) it->off[k] = 0;
}

/// memcpy that accepts n == 0 with NULL pointers (an empty tensor may have no data).
static inline void sy_copy_bytes(void *dst, const void *src, size_t n) {
    if (n) memcpy(dst, src, n);
}

/// Copies n elements of `esize` bytes from src (element step src_step) to dst (element step
/// dst_step). Moves through memcpy of a constant size, so any dtype is copied bit for bit.
static inline void sy_copy_strided(void *dst, int64_t dst_step, const void *src, int64_t src_step,
                                   int64_t n, size_t esize) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (n <= 0) return;
    if (dst_step == 1 && src_step == 1) {
        memcpy(d, s, (size_t)n * esize);
        return;
    }
#define SY_COPY_STRIDED_CASE_(size)                                                                \
    case size:                                                                                     \
        for (int64_t i = 0; i < n; i++)                                                            \
            memcpy(d + i * dst_step * (size), s + i * src_step * (size), (size));                  \
        break;
    switch (esize) {
        SY_COPY_STRIDED_CASE_(1)
        SY_COPY_STRIDED_CASE_(2)
        SY_COPY_STRIDED_CASE_(4)
        SY_COPY_STRIDED_CASE_(8)
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)(i * dst_step) * esize, s + (size_t)(i * src_step) * esize, esize);
    }
#undef SY_COPY_STRIDED_CASE_
}

/// Product of dims[from .. to).
static inline int64_t sy_dims_product(const int64_t *dims, uint32_t from, uint32_t to) {
    int64_t n = 1;
    for (uint32_t i = from; i < to; i++) n *= dims[i];
    return n;
}
