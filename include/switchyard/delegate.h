#pragma once

// The delegate ABI: everything a backend (built in or loaded from a shared library) implements
// and everything the host offers it. A plugin includes this header (and types.h, op_list.h)
// and never links against libswitchyard. docs/DELEGATE_ABI.md explains the contract in prose.
//
// Compatibility rules:
//  - every struct crossing the boundary starts with struct_size (and abi_version where it is a
//    vtable); members are only ever appended;
//  - the host calls a member only when the plugin's struct_size covers it; members marked
//    "(optional)" may be NULL and then default as documented;
//  - a change that breaks old plugins bumps SY_DELEGATE_ABI_MAJOR; an append bumps MINOR.

#include <stddef.h>

#include "switchyard/types.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- constants ---

#define SY_DELEGATE_ABI_MAJOR 1
#define SY_DELEGATE_ABI_MINOR 2
#define SY_DELEGATE_ABI_VERSION ((SY_DELEGATE_ABI_MAJOR << 16) | SY_DELEGATE_ABI_MINOR)

#define SY_REASON_MAX 256 // size of the reason buffers the host hands to delegates

/// The host keeps at least this many bytes readable past the end of every tensor, scratch
/// buffer and constant it hands a delegate, so SIMD kernels (XNNPACK's among them) may read a
/// vector past the end. Writing there is not allowed.
#define SY_READ_PADDING 64

typedef enum sy_log_level {
    SY_LOG_DEBUG = 0,
    SY_LOG_INFO = 1,
    SY_LOG_WARN = 2,
    SY_LOG_ERROR = 3,
} sy_log_level;

typedef enum sy_option_type {
    SY_OPTION_INT = 1,
    SY_OPTION_FLOAT = 2,
    SY_OPTION_BOOL = 3,
    SY_OPTION_STRING = 4,
} sy_option_type;

// --- host services (handed to delegates) ---

/// Host services a delegate may use. `host` is passed back as the first argument.
typedef struct sy_host_api {
    uint32_t struct_size;
    uint32_t abi_version;
    void *host;
    /// Logs a message through the host's log callback.
    void (*log)(void *host, sy_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /// Records why the current call fails; the host shows it to the user. Returns `status`.
    sy_status (*error)(void *host, sy_status status, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /// Aligned allocation through the host's allocator (align is a power of two); NULL on failure.
    void *(*alloc)(void *host, size_t size, size_t align);
    /// Frees memory from `alloc`; accepts NULL.
    void (*free)(void *host, void *ptr);
    /// Infers the output dtypes and shapes of graph node `node` from concrete input tensors
    /// (only dtype/rank/dims are read). Lets a delegate follow dynamic shapes without
    /// re-implementing the op set's shape rules. Allocates nothing.
    sy_status (*infer_node)(void *host, const sy_graph_view *graph, uint32_t node,
                            const sy_tensor *inputs, sy_tensor *outputs);
    /// Profiling: marks the start and end of a named event (an op, a copy) inside execute.
    /// Both are cheap no-ops while the host is not profiling. `name` must stay valid until the
    /// runtime is destroyed, and profile_end must get the same pointer as its profile_begin
    /// (events are matched by pointer). Name transfers "copy", "upload" or "download" so
    /// `switchyard bench` counts them as boundary copies.
    void (*profile_begin)(void *host, const char *name);
    void (*profile_end)(void *host, const char *name);
    /// (ABI 1.2; call it only when struct_size covers it, see SY_HOST_HAS) Runs the data
    /// checks the op record of graph node `node` declares (token id < vocab, indices inside
    /// their axis, cache positions start >= 0, start + T <= S, consecutive) on `inputs`: every
    /// input's dtype/rank/dims, and the data of the inputs the op reads values from. Call it
    /// before the node's kernel writes anything, for values made inside the partition (the host
    /// has already checked the values it handed in). SY_ERR_OUT_OF_RANGE or SY_ERR_SHAPE with a
    /// message naming the node; SY_OK for ops without data checks. Allocates nothing.
    sy_status (*check_node_data)(void *host, const sy_graph_view *graph, uint32_t node,
                                 const sy_tensor *inputs);
} sy_host_api;

/// Whether host table `h` (a `const sy_host_api *`) covers member `member`.
#define SY_HOST_HAS(h, member)                                                                    \
    ((h)->struct_size >= offsetof(sy_host_api, member) + sizeof((h)->member) && (h)->member != NULL)

// --- what the delegate publishes ---

/// One option a delegate accepts in the runtime config.
typedef struct sy_option_desc {
    const char *key;
    sy_option_type type;
    const char *default_value; // as text
    double min, max;           // INT/FLOAT range (ignored when min > max)
    const char *choices;       // STRING: comma-separated accepted values, or NULL for any
    const char *doc;           // one line
} sy_option_desc;

/// One option value from the config, already checked against the descriptors.
typedef struct sy_option {
    const char *key;
    const char *value;
} sy_option;

/// A partition handed to `compile`. Value ids index graph->values.
typedef struct sy_subgraph {
    uint32_t struct_size;
    const sy_graph_view *graph;
    uint32_t n_nodes;
    uint32_t n_inputs;  // values read here, produced outside (graph inputs or other partitions)
    uint32_t n_outputs; // values produced here, read outside or graph outputs
    uint32_t n_states;  // state values this partition reads or writes
    const uint32_t *nodes; // in execution order
    const uint32_t *inputs;
    const uint32_t *outputs;
    const uint32_t *states;
    /// owns_state[i] != 0: every node touching states[i] is in this partition, so the delegate
    /// may keep that state resident in its own memory between executes. The host then never
    /// copies it; it calls `read_state` when the user asks for it and `reset_state` on reset.
    const uint8_t *owns_state;
} sy_subgraph;

/// What `compile` reports back.
typedef struct sy_compile_info {
    uint32_t struct_size;
    size_t scratch_bytes; // host memory the kernel needs during execute (from the host's arena)
    size_t packed_bytes;  // bytes of weight copies the delegate made (packing, uploads)
    const char *detail;   // optional static text for `inspect` (e.g. "2 xnn runtimes"), or NULL
} sy_compile_info;

/// Arguments of one execute. Tensors carry the concrete shapes of this call.
typedef struct sy_exec_args {
    uint32_t struct_size;
    uint32_t n_inputs, n_outputs, n_states;
    const sy_tensor *inputs; // in subgraph->inputs order
    sy_tensor *outputs;      // in subgraph->outputs order; memory provided by the host
    sy_tensor *states;       // in subgraph->states order; host memory (stale if resident)
    void *scratch;           // scratch_bytes from compile, 64-byte aligned
    const int64_t *symbols;  // current value of each graph symbol
    /// (ABI 1.1; write it only when struct_size covers it) bytes the delegate copied between
    /// host and device memory in this call; the host sums them into the runtime's stats.
    size_t *copy_bytes_out;
} sy_exec_args;

typedef struct sy_backend sy_backend; // a delegate's instance, opaque to the host
typedef struct sy_kernel sy_kernel;   // a compiled partition, opaque to the host

/// The delegate vtable.
typedef struct sy_delegate {
    uint32_t struct_size;
    uint32_t abi_version; // SY_DELEGATE_ABI_VERSION the delegate was built with
    const char *name;     // backend name used in configs: [a-z0-9_-]+
    const char *version;  // semantic version of the delegate, e.g. "1.0.0"
    const char *vendor;
    const sy_option_desc *options;
    uint32_t n_options;

    /// (optional) Says whether this machine can run the delegate; on 0 writes why into reason.
    /// Defaults to available.
    int (*available)(char *reason, size_t reason_size);
    /// Creates an instance with checked options. Writes *backend_out only on SY_OK.
    sy_status (*create)(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                        sy_backend **backend_out);
    /// Destroys an instance; accepts NULL.
    void (*destroy)(sy_backend *backend);
    /// Whether node `node` can run here (op, dtypes, shapes, attributes). On 0 writes why.
    int (*supports)(sy_backend *backend, const sy_graph_view *graph, uint32_t node, char *reason,
                    size_t reason_size);
    /// Compiles a partition once, at load time.
    sy_status (*compile)(sy_backend *backend, const sy_subgraph *subgraph, sy_kernel **kernel_out,
                         sy_compile_info *info_out);
    /// Runs a compiled partition. Must not allocate host memory per call once warmed up.
    sy_status (*execute)(sy_backend *backend, sy_kernel *kernel, const sy_exec_args *args);
    /// Releases a compiled partition; accepts NULL.
    void (*release)(sy_backend *backend, sy_kernel *kernel);
    /// (optional) Zeroes the resident copies of owned states. Defaults to nothing resident.
    sy_status (*reset_state)(sy_backend *backend, sy_kernel *kernel);
    /// (optional) Copies owned state `state_index` (into subgraph->states) to host memory `out`.
    sy_status (*read_state)(sy_backend *backend, sy_kernel *kernel, uint32_t state_index,
                            sy_tensor *out);
    /// (optional) One line describing the device or library, for `inspect` and `backends`.
    const char *(*describe)(sy_backend *backend);
} sy_delegate;

// --- plugins ---

/// What the host tells a plugin when it loads it.
typedef struct sy_plugin_query {
    uint32_t struct_size;
    uint32_t abi_min; // oldest ABI version the host speaks
    uint32_t abi_max; // newest ABI version the host speaks
    const sy_host_api *host;
} sy_plugin_query;

/// What a plugin answers: its ABI version (within [abi_min, abi_max]) and its vtables.
typedef struct sy_plugin_answer {
    uint32_t struct_size;
    uint32_t abi_version;
    uint32_t n_delegates;
    const sy_delegate *const *delegates;
} sy_plugin_answer;

#define SY_PLUGIN_ENTRY_SYMBOL "switchyard_delegate_entry"

typedef sy_status (*sy_plugin_entry_fn)(const sy_plugin_query *query, sy_plugin_answer *answer);

#if defined(__GNUC__)
#define SY_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SY_PLUGIN_EXPORT
#endif

/// Declares a plugin's one exported entry point, e.g. SY_PLUGIN_ENTRY(query, answer) { ... }
#define SY_PLUGIN_ENTRY(query, answer)                                                        \
    SY_PLUGIN_EXPORT sy_status switchyard_delegate_entry(const sy_plugin_query *query,        \
                                                         sy_plugin_answer *answer);           \
    SY_PLUGIN_EXPORT sy_status switchyard_delegate_entry(const sy_plugin_query *query,        \
                                                         sy_plugin_answer *answer)

#ifdef __cplusplus
}
#endif
