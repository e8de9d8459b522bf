#pragma once

// The Switchyard runtime API: build or load a program, configure backends, run it.
// Every fallible function returns sy_status; on failure sy_last_error() says why, and
// *_out parameters are left untouched.

#include <stdbool.h>

#include "switchyard/delegate.h"
#include "switchyard/llm.h"
#include "switchyard/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SY_VERSION_STRING "0.1.0"

// --- status, names, logging, allocation ---

/// Static name of a status ("SY_ERR_FORMAT").
SY_API const char *sy_status_name(sy_status status);
/// The message of the last failure on this thread; never NULL (empty when none).
SY_API const char *sy_last_error(void);
/// Static name of a dtype ("f32"); "invalid" for unknown values.
SY_API const char *sy_dtype_name(sy_dtype dtype);
/// Parses a dtype name; SY_DTYPE_INVALID when unknown.
SY_API sy_dtype sy_dtype_from_name(const char *name);
/// Bytes per element; 0 for unknown and block-quantised dtypes (use sy_dtype_row_bytes).
SY_API size_t sy_dtype_size(sy_dtype dtype);
/// The .syp minor version that defines the dtype (0 for the 1.0 dtypes).
SY_API uint32_t sy_dtype_format_minor(sy_dtype dtype);
/// Bytes of a contiguous tensor of this dtype and shape (blocks run along the last dim).
/// SY_ERR_DTYPE for an invalid dtype, SY_ERR_SHAPE when the last dim is not a multiple of the
/// dtype's block or the size overflows (message without a prefix: the caller names the value).
SY_API sy_status sy_shape_nbytes(sy_dtype dtype, uint32_t rank, const int64_t *dims, size_t *nbytes_out);
/// Static name of a role ("state").
SY_API const char *sy_role_name(sy_role role);
/// Static name of an op ("rms_norm"); "invalid" for unknown values.
SY_API const char *sy_op_name(sy_op op);
/// Parses an op name; SY_OP_COUNT when unknown.
SY_API sy_op sy_op_from_name(const char *name);

typedef void (*sy_log_fn)(void *user, sy_log_level level, const char *message);
/// Routes library log messages to `fn` (NULL: drop them). Messages below `min_level` are dropped.
SY_API void sy_set_log_callback(sy_log_fn fn, void *user, sy_log_level min_level);

/// A pluggable allocator for every allocation the library makes.
typedef struct sy_allocator {
    void *(*alloc)(void *user, size_t size, size_t align);
    void (*free)(void *user, void *ptr);
    void *user;
} sy_allocator;
/// Installs an allocator (NULL restores the default). Only while no library object is alive.
SY_API void sy_set_allocator(const sy_allocator *allocator);

// --- graph builder ---

typedef struct sy_graph sy_graph;

/// Describes a value for sy_graph_add_value; sym[i] = -1 for a static dim.
typedef struct sy_value_desc {
    const char *name;
    sy_dtype dtype;
    sy_role role;
    uint32_t rank;
    int64_t dims[SY_MAX_RANK];
    int32_t sym[SY_MAX_RANK];
} sy_value_desc;

/// Creates an empty graph. Destroy with sy_graph_destroy.
SY_API sy_status sy_graph_create(sy_graph **graph_out);
/// Destroys a graph; accepts NULL.
SY_API void sy_graph_destroy(sy_graph *graph);
/// Declares a symbolic dimension bounded by `max` (>= 1). Returns SY_ERR_INVALID_ARGUMENT.
SY_API sy_status sy_graph_add_symbol(sy_graph *graph, const char *name, int64_t max,
                                     uint32_t *id_out);
/// Adds a value (input, output, state or intermediate). Names must be unique and non-empty.
SY_API sy_status sy_graph_add_value(sy_graph *graph, const sy_value_desc *desc, uint32_t *id_out);
/// Adds a constant; copies `data` (nbytes must equal the shape's size).
SY_API sy_status sy_graph_add_constant(sy_graph *graph, const char *name, sy_dtype dtype,
                                       uint32_t rank, const int64_t *dims, const void *data,
                                       size_t nbytes, uint32_t *id_out);
/// Adds a node whose outputs are already declared. Validates op, arity and attributes now;
/// attributes are copied. Shapes are checked by sy_graph_validate and at save/load.
SY_API sy_status sy_graph_add_node(sy_graph *graph, const char *name, sy_op op,
                                   const uint32_t *inputs, uint32_t n_inputs,
                                   const uint32_t *outputs, uint32_t n_outputs,
                                   const sy_attr *attrs, uint32_t n_attrs, uint32_t *id_out);
/// Adds a node and creates its outputs as intermediates, with dtypes and shapes inferred
/// (symbolic dims follow the inputs). outputs_out receives the op's output count of ids
/// (may be NULL for ops without outputs). Output names are "<name>" or "<name>.<i>".
SY_API sy_status sy_graph_add_op(sy_graph *graph, const char *name, sy_op op,
                                 const uint32_t *inputs, uint32_t n_inputs, const sy_attr *attrs,
                                 uint32_t n_attrs, uint32_t *outputs_out);
/// Makes an intermediate value a graph output, optionally renaming it (name may be NULL).
SY_API sy_status sy_graph_set_output(sy_graph *graph, uint32_t value, const char *name);
/// Sets a metadata key to a text value (replaces an earlier value of the key).
SY_API sy_status sy_graph_set_metadata(sy_graph *graph, const char *key, const char *value);
/// Checks the whole graph: ids, order, dtypes and shapes of every node at the symbol bounds.
SY_API sy_status sy_graph_validate(const sy_graph *graph);
/// Validates and writes the graph as a program file (.syp, docs/FORMAT.md).
SY_API sy_status sy_graph_save(const sy_graph *graph, const char *path);
/// A read-only view of the graph, valid until the graph is changed or destroyed.
SY_API const sy_graph_view *sy_graph_get_view(const sy_graph *graph);

// --- program ---

typedef struct sy_program sy_program;

/// Maps and validates a program file. The program owns the mapping; destroy it after every
/// runtime made from it. Returns SY_ERR_IO, SY_ERR_FORMAT, SY_ERR_UNSUPPORTED, ...
SY_API sy_status sy_program_load(const char *path, sy_program **program_out);
/// Loads a program from bytes in memory (copied). `origin` names it in messages.
SY_API sy_status sy_program_load_memory(const void *bytes, size_t size, const char *origin,
                                        sy_program **program_out);
/// Serialises a graph into an in-memory program (validates it first).
SY_API sy_status sy_program_from_graph(const sy_graph *graph, sy_program **program_out);
/// Destroys a program; accepts NULL.
SY_API void sy_program_destroy(sy_program *program);
/// The program's graph, valid while the program lives.
SY_API const sy_graph_view *sy_program_get_graph(const sy_program *program);
/// Metadata value of `key`, or NULL.
SY_API const char *sy_program_get_metadata(const sy_program *program, const char *key);
/// Number of metadata entries and the i-th key/value (borrowed).
SY_API uint32_t sy_program_n_metadata(const sy_program *program);
SY_API void sy_program_get_metadata_at(const sy_program *program, uint32_t i, const char **key,
                                       const char **value);

// --- runtime config ---

typedef struct sy_config sy_config;

typedef enum sy_rule_kind {
    SY_RULE_PIN = 1,    // matching nodes go to this backend (or fail)
    SY_RULE_FORBID = 2, // matching nodes never go to this backend
} sy_rule_kind;

typedef enum sy_policy {
    SY_POLICY_FALLBACK = 0, // failed compiles move to the next backend, reported loudly
    SY_POLICY_STRICT = 1,   // unsupported nodes or failed compiles are errors
} sy_policy;

/// Creates a config with the default backend order (see docs/CONFIG.md).
SY_API sy_status sy_config_create(sy_config **config_out);
/// Destroys a config; accepts NULL.
SY_API void sy_config_destroy(sy_config *config);
/// Reads a JSON config file into the config (fields it sets replace earlier ones).
SY_API sy_status sy_config_load_file(sy_config *config, const char *path);
/// Parses JSON text; `origin` names it in messages.
SY_API sy_status sy_config_parse_json(sy_config *config, const char *json, const char *origin);
/// Sets the ordered backend list from "a,b,c".
SY_API sy_status sy_config_set_backends(sy_config *config, const char *csv);
/// Sets one backend option; checked against the delegate's descriptors at runtime creation.
SY_API sy_status sy_config_set_option(sy_config *config, const char *backend, const char *key,
                                      const char *value);
/// Adds a rule. `match` is "op:<opname>" or a node-name glob pattern ("*.attn.*").
SY_API sy_status sy_config_add_rule(sy_config *config, sy_rule_kind kind, const char *match,
                                    const char *backend);
/// Adds a plugin shared library to load.
SY_API sy_status sy_config_add_plugin(sy_config *config, const char *path);
/// Sets the fallback policy.
SY_API void sy_config_set_policy(sy_config *config, sy_policy policy);
/// Applies SWITCHYARD_BACKENDS from the environment when set.
SY_API sy_status sy_config_apply_env(sy_config *config);
/// The backend list as "a,b,c" (borrowed, valid until the config changes).
SY_API const char *sy_config_get_backends(const sy_config *config);

// --- runtime ---

typedef struct sy_runtime sy_runtime;

typedef struct sy_runtime_stats {
    uint32_t n_partitions;
    size_t arena_bytes;           // planned intermediate arena
    size_t naive_bytes;           // sum of all intermediates without reuse
    size_t state_bytes;           // host memory of state tensors
    size_t last_copy_bytes;       // bytes copied at partition boundaries in the last execute
    size_t packed_bytes;          // weight copies made by delegates
    uint64_t n_executes;
    size_t last_device_copy_bytes; // host<->device bytes delegates reported for the last execute
} sy_runtime_stats;

/// Partitions and compiles a program for the configured backends. The program must outlive
/// the runtime; the config is read now and not kept.
SY_API sy_status sy_runtime_create(const sy_program *program, const sy_config *config,
                                   sy_runtime **runtime_out);
/// Destroys a runtime; accepts NULL.
SY_API void sy_runtime_destroy(sy_runtime *runtime);
/// Copies an input by name; its dtype must match and its shape fit the declared (symbolic) one.
SY_API sy_status sy_runtime_set_input(sy_runtime *runtime, const char *name,
                                      const sy_tensor *tensor);
/// Runs every partition in order. Allocates nothing.
SY_API sy_status sy_runtime_execute(sy_runtime *runtime);
/// A borrowed view of an output (valid until the next execute or destroy).
SY_API sy_status sy_runtime_get_output(sy_runtime *runtime, const char *name,
                                       sy_tensor *tensor_out);
/// Copies state `name` into the caller's tensor (dtype and dims must match exactly).
SY_API sy_status sy_runtime_read_state(sy_runtime *runtime, const char *name, sy_tensor *out);
/// Zeroes every state tensor (host and delegate-resident copies).
SY_API sy_status sy_runtime_reset_state(sy_runtime *runtime);
/// Fills *stats_out.
SY_API sy_status sy_runtime_get_stats(const sy_runtime *runtime, sy_runtime_stats *stats_out);

// --- block quantisation (q8_0, q4_0, q4_1: GGUF's 32-element layouts, docs/FORMAT.md) ---

/// Quantises n floats (a multiple of 32) into sy_dtype_row_bytes(dtype, n) bytes of q8_0, q4_0
/// or q4_1 blocks at dst, rounding exactly like GGUF's reference quantisers. Returns
/// SY_ERR_INVALID_ARGUMENT (NULL), SY_ERR_DTYPE (not a block dtype), SY_ERR_SHAPE (n).
SY_API sy_status sy_quantize_row(sy_dtype dtype, const float *src, int64_t n, void *dst);
/// Dequantises n elements (a multiple of 32) of q8_0, q4_0 or q4_1 blocks into floats at dst.
/// Errors as sy_quantize_row.
SY_API sy_status sy_dequantize_row(sy_dtype dtype, const void *src, int64_t n, float *dst);

#ifdef __cplusplus
}
#endif
