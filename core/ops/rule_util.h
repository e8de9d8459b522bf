#pragma once

// Helpers shared by the op rules in core/ops/*.c (internal; not part of the op registry API).
// The dtype checks here produce the messages the rules used to spell out one by one, so every
// family words a wrong dtype the same way.

#include <stdbool.h>
#include <string.h>

#include "core/ops.h"
#include "core/status.h"

// --- dtype sets (bit i = dtype i) ---

#define SY_DTYPE_BIT(name) (1u << SY_DTYPE_##name)
#define SY_DTYPES_FLOAT (SY_DTYPE_BIT(F32) | SY_DTYPE_BIT(F16) | SY_DTYPE_BIT(BF16))
#define SY_DTYPES_FLOAT_INT (SY_DTYPES_FLOAT | SY_DTYPE_BIT(I32) | SY_DTYPE_BIT(I64))
/// Every dtype with a size per element (not block-quantised).
#define SY_DTYPES_PLAIN (SY_DTYPES_FLOAT_INT | SY_DTYPE_BIT(U8) | SY_DTYPE_BIT(BOOL))
/// The block-quantised weight dtypes.
#define SY_DTYPES_BLOCK (SY_DTYPE_BIT(Q8_0) | SY_DTYPE_BIT(Q4_0) | SY_DTYPE_BIT(Q4_1))

static inline bool sy_rule_is_float(sy_dtype dt) {
    return dt == SY_DTYPE_F32 || dt == SY_DTYPE_F16 || dt == SY_DTYPE_BF16;
}

static inline bool sy_rule_is_index(sy_dtype dt) { return dt == SY_DTYPE_I32 || dt == SY_DTYPE_I64; }

/// Element i of an i32/i64 tensor (the index inputs the data checks read); unaligned-safe.
static inline int64_t sy_rule_load_index(const sy_tensor *t, int64_t i) {
    if (t->dtype == SY_DTYPE_I32) {
        int32_t x;
        memcpy(&x, (const char *)t->data + 4 * i, 4);
        return x;
    }
    int64_t x;
    memcpy(&x, (const char *)t->data + 8 * i, 8);
    return x;
}

// --- checks (each records a message and returns SY_ERR_DTYPE on failure) ---

/// Input #index must have a dtype in `allowed` (a set of SY_DTYPE_BIT): "input #0 has dtype
/// i32; exp accepts f32, f16 or bf16".
sy_status sy_rule_check_dtype(const sy_node_info *node, const sy_tensor *inputs, uint32_t index,
                              unsigned allowed);

/// Input #index must have input #0's dtype: "input #1 has dtype f16 but input #0 has f32".
sy_status sy_rule_check_same_dtype(const sy_tensor *inputs, uint32_t index);

/// Input #0 (called name0) must be a float dtype and input #index (called name) must have the
/// same one; the names go into the messages ("input #1 (w) has dtype f16 but x has f32").
sy_status sy_rule_check_float_pair(const sy_tensor *inputs, uint32_t index, const char *name0,
                                   const char *name);

// --- output shape ---

/// Sets the output's dtype and shape (not its data pointer, which belongs to the caller).
static inline void sy_rule_set_output(sy_tensor *out, sy_dtype dtype, uint32_t rank,
                                      const int64_t *dims) {
    out->dtype = dtype;
    out->rank = rank;
    for (uint32_t i = 0; i < rank; i++) out->dims[i] = dims[i];
}

/// The output takes `like`'s dtype and shape.
static inline void sy_rule_copy_shape(sy_tensor *out, const sy_tensor *like) {
    sy_rule_set_output(out, like->dtype, like->rank, like->dims);
}
