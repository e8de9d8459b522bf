#pragma once

// Types shared by the runtime API (switchyard.h) and the delegate ABI (delegate.h).
// Everything here is plain C data with fixed meaning; it is part of the delegate ABI, so
// structs only grow at the end and enums only gain values at the end.

#include <stddef.h>
#include <stdint.h>

#include "switchyard/op_list.h"

#if defined(_WIN32)
#define SY_API __declspec(dllexport)
#elif defined(__GNUC__)
#define SY_API __attribute__((visibility("default")))
#else
#define SY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

// --- constants ---

#define SY_MAX_RANK 6
#define SY_MAX_SYMBOLS 8
#define SY_NO_VALUE UINT32_MAX // an absent optional input

// --- enums ---

typedef enum sy_status {
    SY_OK = 0,
    SY_ERR_INVALID_ARGUMENT = 1, // a caller passed something unusable (NULL, bad name, bad shape)
    SY_ERR_OUT_OF_MEMORY = 2,
    SY_ERR_IO = 3,          // a file could not be opened, read, written or mapped
    SY_ERR_FORMAT = 4,      // a program file is malformed
    SY_ERR_UNSUPPORTED = 5, // valid, but not supported here (op, dtype, version, feature)
    SY_ERR_NOT_FOUND = 6,   // a named thing (input, backend, option) does not exist
    SY_ERR_SHAPE = 7,       // shapes do not fit an op's rule
    SY_ERR_DTYPE = 8,       // dtypes do not fit an op's rule
    SY_ERR_OUT_OF_RANGE = 9, // an index, token id, position or length is past its bound
    SY_ERR_UNAVAILABLE = 10, // a backend cannot run on this machine
    SY_ERR_DELEGATE = 11,    // a delegate failed (its message says why)
    SY_ERR_ABI = 12,         // a plugin speaks an incompatible delegate ABI
    SY_ERR_CONFIG = 13,      // a runtime config is malformed or names unknown things
    SY_ERR_DEVICE = 14,      // a device error (lost device, device out of memory)
    SY_ERR_INTERNAL = 15,    // a bug in Switchyard
} sy_status;

// The dtypes, as one X-macro list. Each entry is
//   X(ENUM_SUFFIX, id, "name", block_elems, block_bytes, format_minor)
// Plain dtypes have block_elems 1 and block_bytes = the element size. Block-quantised dtypes
// store runs of block_elems consecutive elements of the last dim as one block_bytes record
// (GGUF's layouts, docs/FORMAT.md): a row's length must be a multiple of block_elems.
// format_minor is the .syp minor version that defines the dtype. Ids grow only at the end.
#define SY_DTYPE_LIST(X)                                                                           \
    X(F32, 1, "f32", 1, 4, 0)                                                                      \
    X(F16, 2, "f16", 1, 2, 0)                                                                      \
    X(BF16, 3, "bf16", 1, 2, 0)                                                                    \
    X(I32, 4, "i32", 1, 4, 0)                                                                      \
    X(I64, 5, "i64", 1, 8, 0)                                                                      \
    X(U8, 6, "u8", 1, 1, 0)                                                                        \
    X(BOOL, 7, "bool", 1, 1, 0) /* one byte per element, 0 or 1 */                                 \
    X(Q8_0, 8, "q8_0", 32, 34, 1) /* f16 scale d; i8 q[32]; x = d*q */                             \
    X(Q4_0, 9, "q4_0", 32, 18, 1) /* f16 d; u8 nibbles[16]; x = d*(q-8) */                        \
    X(Q4_1, 10, "q4_1", 32, 20, 1) /* f16 d; f16 m; u8 nibbles[16]; x = d*q + m */

typedef enum sy_dtype {
    SY_DTYPE_INVALID = 0,
#define SY_DTYPE_ENUM_(id, value, name, block_elems, block_bytes, minor) SY_DTYPE_##id = value,
    SY_DTYPE_LIST(SY_DTYPE_ENUM_)
#undef SY_DTYPE_ENUM_
} sy_dtype;
#define SY_DTYPE_COUNT 11 // one past the largest id

typedef enum sy_role {
    SY_ROLE_INVALID = 0,
    SY_ROLE_INPUT = 1,        // set by the caller before each execute
    SY_ROLE_OUTPUT = 2,       // produced by execute, read by the caller
    SY_ROLE_CONSTANT = 3,     // data stored in the program (weights), borrowed
    SY_ROLE_STATE = 4,        // mutable, persists across executes (KV caches), zero at start
    SY_ROLE_INTERMEDIATE = 5, // produced and consumed inside one execute
} sy_role;

typedef enum sy_op {
#define SY_OP_ENUM_(id, name, min_in, max_in, n_out, mut) SY_OP_##id,
    SY_OP_LIST(SY_OP_ENUM_)
#undef SY_OP_ENUM_
        SY_OP_COUNT
} sy_op;

typedef enum sy_attr_type {
    SY_ATTR_INT = 1,    // one int64
    SY_ATTR_FLOAT = 2,  // one float
    SY_ATTR_INTS = 3,   // n int64
    SY_ATTR_STRING = 4, // n bytes, NUL-terminated in memory
} sy_attr_type;

// --- data ---

/// A dense, row-major tensor. `data` is borrowed; whoever made the tensor owns it.
typedef struct sy_tensor {
    void *data;
    sy_dtype dtype;
    uint32_t rank;
    int64_t dims[SY_MAX_RANK];
} sy_tensor;

/// A typed node attribute. Pointers are borrowed from the program or graph.
typedef struct sy_attr {
    const char *name;
    sy_attr_type type;
    uint32_t n; // element count for INTS, byte length for STRING, 1 otherwise
    union {
        int64_t i;
        float f;
        const int64_t *ints;
        const char *s;
    } u;
} sy_attr;

/// A symbolic dimension (for example the sequence length), bounded by `max`.
typedef struct sy_symbol_info {
    const char *name;
    int64_t max;
} sy_symbol_info;

/// One value of a graph. For a symbolic dim, dims[i] holds the bound and sym[i] the symbol id;
/// for a static dim sym[i] is -1.
typedef struct sy_value_info {
    const char *name;
    sy_dtype dtype;
    sy_role role;
    uint32_t rank;
    int64_t dims[SY_MAX_RANK];
    int32_t sym[SY_MAX_RANK];
    const void *data; // CONSTANT only: borrowed bytes (mmapped program), else NULL
    size_t nbytes;    // size at the maximum shape
} sy_value_info;

/// One node of a graph. inputs[i] may be SY_NO_VALUE for an absent optional input.
typedef struct sy_node_info {
    const char *name;
    sy_op op;
    uint32_t n_inputs;
    uint32_t n_outputs;
    uint32_t n_attrs;
    const uint32_t *inputs;
    const uint32_t *outputs;
    const sy_attr *attrs;
} sy_node_info;

/// A read-only view of a whole graph. Nodes are in a valid execution order.
typedef struct sy_graph_view {
    uint32_t n_values;
    uint32_t n_nodes;
    uint32_t n_symbols;
    const sy_value_info *values;
    const sy_node_info *nodes;
    const sy_symbol_info *symbols;
} sy_graph_view;

// --- helpers usable without linking the library (plugins include this header only) ---

/// Elements per storage block: 1 for plain dtypes, 32 for the block-quantised ones, 0 if invalid.
static inline int64_t sy_dtype_block_elems(sy_dtype dt) {
    switch (dt) {
#define SY_DTYPE_BLOCK_ELEMS_(id, value, name, block_elems, block_bytes, minor)                     \
    case SY_DTYPE_##id: return block_elems;
        SY_DTYPE_LIST(SY_DTYPE_BLOCK_ELEMS_)
#undef SY_DTYPE_BLOCK_ELEMS_
    default: return 0;
    }
}

/// Bytes per storage block (the element size for plain dtypes); 0 for an invalid dtype.
static inline size_t sy_dtype_block_bytes(sy_dtype dt) {
    switch (dt) {
#define SY_DTYPE_BLOCK_BYTES_(id, value, name, block_elems, block_bytes, minor)                     \
    case SY_DTYPE_##id: return block_bytes;
        SY_DTYPE_LIST(SY_DTYPE_BLOCK_BYTES_)
#undef SY_DTYPE_BLOCK_BYTES_
    default: return 0;
    }
}

/// Whether the dtype is block-quantised (more than one element per block).
static inline int sy_dtype_is_block(sy_dtype dt) { return sy_dtype_block_elems(dt) > 1; }

/// Element size in bytes of a plain dtype; 0 for block-quantised and invalid dtypes (their
/// elements have no size of their own: use sy_dtype_row_bytes).
static inline size_t sy_dtype_size_inline(sy_dtype dt) {
    return sy_dtype_block_elems(dt) == 1 ? sy_dtype_block_bytes(dt) : 0;
}

/// Bytes of n consecutive elements along the last dim. SIZE_MAX when the dtype is invalid, n is
/// negative, n is not a multiple of the dtype's block, or the size overflows.
static inline size_t sy_dtype_row_bytes(sy_dtype dt, int64_t n) {
    int64_t be = sy_dtype_block_elems(dt);
    if (be <= 0 || n < 0 || n % be != 0) return (size_t)-1;
    uint64_t blocks = (uint64_t)(n / be), bb = sy_dtype_block_bytes(dt);
    if (blocks > (uint64_t)(size_t)-1 / bb) return (size_t)-1;
    return (size_t)(blocks * bb);
}

/// The element count of t, or -1 when t is not a valid shape: rank above SY_MAX_RANK, a negative
/// dim, or a product past INT64_MAX (a zero dim makes the count 0 whatever the others are).
static inline int64_t sy_tensor_numel(const sy_tensor *t) {
    if (t->rank > SY_MAX_RANK) return -1;
    int64_t n = 1;
    int overflow = 0;
    for (uint32_t i = 0; i < t->rank; i++) {
        int64_t d = t->dims[i];
        if (d < 0) return -1;
        if (d == 0) return 0;
        if (n > INT64_MAX / d) overflow = 1;
        else n *= d;
    }
    return overflow ? -1 : n;
}

/// Bytes of a contiguous tensor: rows (all dims but the last) times the last dim's row bytes.
/// SIZE_MAX when sy_tensor_numel is -1, the shape does not fit the dtype's block (see
/// sy_dtype_row_bytes), or the size overflows.
static inline size_t sy_tensor_nbytes(const sy_tensor *t) {
    int64_t n = sy_tensor_numel(t);
    if (n < 0) return SIZE_MAX;
    size_t row = sy_dtype_row_bytes(t->dtype, t->rank ? t->dims[t->rank - 1] : 1);
    if (row == SIZE_MAX || n == 0) return row == SIZE_MAX ? row : 0;
    uint64_t rows = 1;
    for (uint32_t i = 0; i + 1 < t->rank; i++) rows *= (uint64_t)t->dims[i]; // bounded by numel
    if (row && rows > SIZE_MAX / row) return SIZE_MAX;
    return (size_t)(rows * row);
}

/// Finds an attribute by name; NULL when the node has none of that name.
static inline const sy_attr *sy_node_find_attr(const sy_node_info *node, const char *name) {
    for (uint32_t i = 0; i < node->n_attrs; i++) {
        const char *a = node->attrs[i].name, *b = name;
        while (*a && *a == *b) { a++; b++; }
        if (*a == *b) return &node->attrs[i];
    }
    return NULL;
}

static inline int64_t sy_node_attr_int(const sy_node_info *node, const char *name, int64_t dflt) {
    const sy_attr *a = sy_node_find_attr(node, name);
    return a && a->type == SY_ATTR_INT ? a->u.i : dflt;
}

static inline float sy_node_attr_float(const sy_node_info *node, const char *name, float dflt) {
    const sy_attr *a = sy_node_find_attr(node, name);
    return a && a->type == SY_ATTR_FLOAT ? a->u.f : dflt;
}

#ifdef __cplusplus
}
#endif
