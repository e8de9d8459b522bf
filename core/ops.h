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

/// Data check of an op: reads the elements of the inputs named in its record's `data_inputs`
/// mask (token ids, indices, cache positions; every input's dtype/rank/dims are set, the data
/// pointers of the checked inputs too) and fails with SY_ERR_OUT_OF_RANGE (a value past its
/// bound) or SY_ERR_SHAPE, with a message without the node prefix. Reads nothing else, writes
/// nothing: it runs before the kernel, so a failing call changes no state.
typedef sy_status (*sy_data_check_fn)(const sy_node_info *node, const sy_tensor *inputs);

/// One attribute an op reads: its name, type, and the default used when it is absent.
typedef struct sy_attr_spec {
    const char *name;
    sy_attr_type type;
    int required;       // 1: a node without it is refused
    int64_t dflt_int;   // INT default when absent
    double dflt_float;  // FLOAT default when absent (INTS/STRING: absent means "none")
} sy_attr_spec;

#define SY_OP_MAX_ATTRS 8

/// The part of an op's record that lives next to its shape rule in core/ops/<family>.c
/// (declared there with SY_OP_RECORD). Ops without one take no attributes the host checks and
/// have no data check.
typedef struct sy_op_record {
    sy_attr_spec attrs[SY_OP_MAX_ATTRS]; // terminated by a NULL name
    uint32_t data_inputs;       // bit i: check_data reads the elements of input i
    sy_data_check_fn check_data; // NULL: no data-dependent checks
} sy_op_record;

/// Defines the record of op `id` (the X-macro suffix), e.g.
///   SY_OP_RECORD(GATHER, .attrs = {{"axis", SY_ATTR_INT, 0, 0, 0}}, .data_inputs = 1u << 1,
///                .check_data = check_gather);
#define SY_OP_RECORD(id, ...) const sy_op_record sy_op_record_##id = {__VA_ARGS__}

typedef struct sy_op_def {
    const char *name;
    uint32_t min_inputs, max_inputs, n_outputs;
    uint32_t mutated_inputs; // bit i: input i is written in place (a state)
    sy_infer_fn infer;
    const sy_op_record *record; // NULL when the op's family file declares none
    uint32_t format_minor;      // .syp minor version that defines the op (1.1 for ops after 1.0's)
} sy_op_def;

/// The last op of format 1.0: every op after it needs minor >= 1 (1.1 added them).
#define SY_OP_LAST_OF_1_0 SY_OP_SDPA_WITH_KV_CACHE

/// The definition of `op`, or NULL for an unknown op id.
const sy_op_def *sy_op_get(sy_op op);

/// The .syp minor version that defines `op` (0 for the ops of 1.0).
uint32_t sy_op_format_minor(sy_op op);

/// Runs the data check of `node`'s op on `inputs` (a no-op for ops without one). On failure
/// records a message without the node prefix.
sy_status sy_op_check_data(const sy_node_info *node, const sy_tensor *inputs);

/// As sy_op_check_data for graph node `node_id`, prefixing any error with the node.
sy_status sy_op_check_node_data(const sy_graph_view *graph, uint32_t node_id, const sy_tensor *inputs);

/// Checks `node`'s attributes against its op record: required ones present, declared ones of
/// the declared type. Message without the node prefix; SY_ERR_INVALID_ARGUMENT.
sy_status sy_op_check_attrs(const sy_node_info *node);

/// Reads attribute `name` of `node` as its op record declares it (required flag, default): the
/// rules read every attribute this way, so a default lives only in the record. SY_ERR_INTERNAL
/// when the record does not declare it with that type; else as sy_attr_get_*.
sy_status sy_op_attr_get_int(const sy_node_info *node, const char *name, int64_t *out);
sy_status sy_op_attr_get_float(const sy_node_info *node, const char *name, float *out);
sy_status sy_op_attr_get_ints(const sy_node_info *node, const char *name, const int64_t **out, uint32_t *n);

/// Reads the INT/FLOAT attribute `name` of `node`, falling back to the default its op record
/// declares (the attribute must be declared there).
int64_t sy_op_attr_int(const sy_node_info *node, const char *name);
double sy_op_attr_float(const sy_node_info *node, const char *name);

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

/// Op records (weak: an op whose family file declares none gets the empty record).
#if defined(__GNUC__)
#define SY_RECORD_DECL_(id, name, min_in, max_in, n_out, mut) extern const sy_op_record sy_op_record_##id __attribute__((weak));
#else
#define SY_RECORD_DECL_(id, name, min_in, max_in, n_out, mut) extern const sy_op_record sy_op_record_##id;
#endif
SY_OP_LIST(SY_RECORD_DECL_)
#undef SY_RECORD_DECL_
