#pragma once

// Helpers shared by the op tests (tests/ops/test_*.c): nodes, tensors and attributes built on the
// stack, shape comparison, rule + kernel in one call, f16/bf16 conversion, and reproducible
// random data. Expected values stay in each test; nothing here computes a reference.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/ops.h"
#include "delegates/portable/kernels.h"
#include "harness.h"

// --- building nodes, tensors, attributes ---

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
// An INTS attribute's values and count: attr_ints("perm", INTS(1, 0)).
#define INTS(...) DIMS(__VA_ARGS__), (uint32_t)(sizeof(DIMS(__VA_ARGS__)) / sizeof(int64_t))

/// A node of `op` with `n_inputs` inputs and the op's number of outputs; attrs are borrowed.
/// Rules and kernels do not read value ids, but a node from a real graph has distinct ones.
static inline sy_node_info make_node(sy_op op, uint32_t n_inputs, const sy_attr *attrs,
                                     uint32_t n_attrs) {
    // (16 inputs at most (concat) + 1 output) value ids
    static const uint32_t ids[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    sy_node_info n = {0};
    n.name = "n";
    n.op = op;
    n.n_inputs = n_inputs;
    n.n_outputs = sy_op_get(op)->n_outputs;
    n.inputs = ids;
    n.outputs = ids + n_inputs;
    n.attrs = attrs;
    n.n_attrs = n_attrs;
    return n;
}

/// A tensor view of `data` (borrowed; may be NULL for a rule-only test).
static inline sy_tensor tensor(sy_dtype dtype, void *data, uint32_t rank, const int64_t *dims) {
    sy_tensor t = {0};
    t.dtype = dtype;
    t.data = data;
    t.rank = rank;
    for (uint32_t i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

static inline sy_attr attr_int(const char *name, int64_t v) {
    sy_attr a = {0};
    a.name = name;
    a.type = SY_ATTR_INT;
    a.n = 1;
    a.u.i = v;
    return a;
}

static inline sy_attr attr_float(const char *name, float v) {
    sy_attr a = {0};
    a.name = name;
    a.type = SY_ATTR_FLOAT;
    a.n = 1;
    a.u.f = v;
    return a;
}

/// An INTS attribute over v[0..n) (borrowed).
static inline sy_attr attr_ints(const char *name, const int64_t *v, uint32_t n) {
    sy_attr a = {0};
    a.name = name;
    a.type = SY_ATTR_INTS;
    a.n = n;
    a.u.ints = v;
    return a;
}

// --- checking and running ---

/// 1 when t has exactly `rank` dims equal to dims[0..rank).
static inline int shape_is(const sy_tensor *t, uint32_t rank, const int64_t *dims) {
    if (t->rank != rank) return 0;
    for (uint32_t i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return 0;
    return 1;
}

/// Rule, the op record's data check, then kernel into `out_data` (the order every delegate
/// follows); the output tensor is left in *out (untouched when the rule fails). Returns the
/// first failing status.
static inline sy_status run(sy_infer_fn infer, sy_portable_kernel_fn kernel,
                            const sy_node_info *node, const sy_tensor *inputs, sy_tensor *out,
                            void *out_data) {
    sy_tensor o = {0};
    sy_status st = infer(node, inputs, &o);
    if (st != SY_OK) return st;
    o.data = out_data;
    *out = o;
    st = sy_op_check_data(node, inputs);
    if (st != SY_OK) return st;
    return kernel(node, inputs, out);
}
// The rule and kernel arguments of run(): run(OP(ADD), &node, in, &out, y).
#define OP(id) sy_infer_##id, sy_portable_##id

// --- f16 / bf16 ---

/// v rounded to f16 (dt == SY_DTYPE_F16) or bf16 (otherwise) storage.
static inline uint16_t to_half(sy_dtype dt, float v) {
    return dt == SY_DTYPE_F16 ? sy_f32_to_f16(v) : sy_f32_to_bf16(v);
}

/// The value of f16 (dt == SY_DTYPE_F16) or bf16 (otherwise) storage h.
static inline float from_half(sy_dtype dt, uint16_t h) {
    return dt == SY_DTYPE_F16 ? sy_f16_to_f32(h) : sy_bf16_to_f32(h);
}

/// Storage of src[0..n) in dtype dt (f32, f16 or bf16; malloc'd, the caller frees). src is
/// rounded in place to what the storage holds, so a reference computed from src sees exactly
/// the kernel's inputs.
static inline void *store_as(float *src, int64_t n, sy_dtype dt) {
    if (dt == SY_DTYPE_F32) {
        float *p = malloc((size_t)(n > 0 ? n : 1) * 4);
        memcpy(p, src, (size_t)n * 4);
        return p;
    }
    uint16_t *p = malloc((size_t)(n > 0 ? n : 1) * 2);
    for (int64_t i = 0; i < n; i++) {
        p[i] = to_half(dt, src[i]);
        src[i] = from_half(dt, p[i]);
    }
    return p;
}

/// dst[0..n) = the f32, f16 or bf16 elements of `data` as floats.
static inline void load_as_f32(const void *data, sy_dtype dt, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i++) {
        if (dt == SY_DTYPE_F32) dst[i] = ((const float *)data)[i];
        else dst[i] = from_half(dt, ((const uint16_t *)data)[i]);
    }
}

// --- random data ---

// One linear congruential stream per test program, seeded once at the start of main() so the
// program draws the same data on every run.
static uint32_t ops_test_rng_ __attribute__((unused)) = 1u;

static inline void random_seed(uint32_t seed) { ops_test_rng_ = seed; }

/// Uniform in [-1, 1).
static inline float frand(void) {
    ops_test_rng_ = ops_test_rng_ * 1664525u + 1013904223u;
    return (float)(ops_test_rng_ >> 8) / (float)(1u << 23) - 1.0f;
}

/// n floats uniform in [-scale, scale) (malloc'd, the caller frees; n may be 0).
static inline float *random_floats(int64_t n, float scale) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = scale * frand();
    return p;
}
