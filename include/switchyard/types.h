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

typedef enum sy_dtype {
    SY_DTYPE_INVALID = 0,
    SY_DTYPE_F32 = 1,
    SY_DTYPE_F16 = 2,
    SY_DTYPE_BF16 = 3,
    SY_DTYPE_I32 = 4,
    SY_DTYPE_I64 = 5,
    SY_DTYPE_U8 = 6,
    SY_DTYPE_BOOL = 7, // one byte per element, 0 or 1
} sy_dtype;
#define SY_DTYPE_COUNT 8

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

static inline size_t sy_dtype_size_inline(sy_dtype dt) {
    switch (dt) {
    case SY_DTYPE_F32: case SY_DTYPE_I32: return 4;
    case SY_DTYPE_F16: case SY_DTYPE_BF16: return 2;
    case SY_DTYPE_I64: return 8;
    case SY_DTYPE_U8: case SY_DTYPE_BOOL: return 1;
    default: return 0;
    }
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

/// The byte size of t's data, or SIZE_MAX when sy_tensor_numel is -1 or the size overflows.
static inline size_t sy_tensor_nbytes(const sy_tensor *t) {
    int64_t n = sy_tensor_numel(t);
    size_t es = sy_dtype_size_inline(t->dtype);
    if (n < 0 || (uint64_t)n > SIZE_MAX / (es ? es : 1)) return SIZE_MAX;
    return (size_t)n * es;
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
