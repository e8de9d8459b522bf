#pragma once

// The op registry: for each op its name, arity and shape/dtype rule. The rules live one op
// family per file under core/ops/ (the ops of a family share one rule: every unary op has the
// same shape rule, so eighteen copies of it would only hide the differences that matter).

#include "switchyard/switchyard.h"

/// Shape and dtype rule of an op. Reads dtype/rank/dims of inputs[0..node->n_inputs) (an absent
/// optional input has dtype SY_DTYPE_INVALID), validates them and the node's attributes, and
/// writes dtype/rank/dims of outputs[0..node->n_outputs). Leaves data pointers alone.
/// On failure records a message (without the node prefix; the caller adds it) and returns
/// SY_ERR_SHAPE, SY_ERR_DTYPE or SY_ERR_INVALID_ARGUMENT (bad or missing attribute).
typedef sy_status (*sy_infer_fn)(const sy_node_info *node, const sy_tensor *inputs,
                                 sy_tensor *outputs);

typedef struct sy_op_def {
    const char *name;
    uint32_t min_inputs, max_inputs, n_outputs;
    uint32_t mutated_inputs; // bit i: input i is written in place (a state)
    sy_infer_fn infer;
} sy_op_def;

/// The definition of `op`, or NULL for an unknown op id.
const sy_op_def *sy_op_get(sy_op op);

/// Runs the op's rule for graph node `node_id` of `graph`, prefixing any error with the node.
sy_status sy_op_infer_node(const sy_graph_view *graph, uint32_t node_id, const sy_tensor *inputs,
                           sy_tensor *outputs);

// --- attribute helpers for rules and kernels (messages name the attribute) ---

/// Reads an INT attribute; when absent, uses `dflt` if `required` is 0, else fails.
sy_status sy_attr_get_int(const sy_node_info *node, const char *name, int required, int64_t dflt,
                          int64_t *out);
sy_status sy_attr_get_float(const sy_node_info *node, const char *name, int required, float dflt,
                            float *out);
/// Reads an INTS attribute (borrowed). Absent and not required: *out = NULL, *n = 0.
sy_status sy_attr_get_ints(const sy_node_info *node, const char *name, int required,
                           const int64_t **out, uint32_t *n);

/// Normalises a possibly negative axis against `rank`; fails with a message naming `what`.
sy_status sy_normalize_axis(int64_t axis, uint32_t rank, const char *what, uint32_t *out);

/// NumPy broadcasting of two shapes into out (rank and dims).
sy_status sy_broadcast_shapes(const sy_tensor *a, const sy_tensor *b, sy_tensor *out);

/// Formats dims as "[2,3,4]" into buf (always NUL-terminated); returns buf.
const char *sy_format_dims(const int64_t *dims, uint32_t rank, char *buf, size_t size);

/// Infer functions, one per op (declared with the X-macro; defined in core/ops/<family>.c).
#define SY_INFER_DECL_(id, name, min_in, max_in, n_out, mut)                                      \
    sy_status sy_infer_##id(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs);
SY_OP_LIST(SY_INFER_DECL_)
#undef SY_INFER_DECL_
