#pragma once

// Internals of the XNNPACK delegate. A compiled partition is a list of segments run in order:
// a run of XNNPACK-capable nodes becomes one XNNPACK subgraph + runtime; each node with constant
// weights to pack (linear, matmul by a constant) becomes one XNNPACK *operator*, created once at
// compile time so its weights are packed once whatever the shapes; and each node that XNNPACK
// cannot express (the fused static-cache attention, cache updates, and data-movement ops where
// this XNNPACK lacks a node) runs as one of this delegate's own C kernels on the same thread
// pool. Values crossing segments live in the host-provided scratch.
//
// The XNNPACK API generation is fixed at configure time (SY_XNN_HAVE_* from CMakeLists.txt);
// no code here asks which generation it runs on at run time.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "switchyard/delegate.h"

#define SY_XNN_MAX_NODE_INPUTS 16 // the widest op in op_list.h (concat)

// --- backend instance ---

/// One instance of the delegate (what the host sees as sy_backend).
typedef struct sy_xnn_backend {
    sy_host_api host;     // copy of the host table, valid for the instance's life
    pthreadpool_t pool;   // shared by every runtime and kernel of this instance; NULL = caller only
    uint32_t threads;     // effective thread count (>= 1)
    uint32_t shape_cache; // compiled shape plans kept per partition
    uint32_t pool_flags;  // pthreadpool_parallelize_* flags of the custom kernels (yield workers)
    uint32_t xnn_flags;   // XNN_FLAG_YIELD_WORKERS or 0, for XNNPACK runtimes and operators
    struct sy_cpukern_pool *kpool; // the linear kernels' own pool (option kernel_pool), or NULL
    int f32_linear_kernels; // option f32_linear=kernels: f32 linears on the kernels, not XNNPACK
    int q8_activations;     // option activations=q8: block-dtype linears quantise activations
    char description[160];
} sy_xnn_backend;

/// Formats a message and reports it through host->error; returns `status`.
sy_status sy_xnn_error(const sy_xnn_backend *be, sy_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/// Static name of an XNNPACK status ("xnn_status_invalid_parameter").
const char *sy_xnn_status_name(enum xnn_status status);
/// Static name of an op ("linear"), from op_list.h, so the delegate needs no library symbol.
const char *sy_xnn_op_name(sy_op op);
/// Whether xnn_initialize succeeded (called once per process); on failure writes why.
int sy_xnn_library_ready(char *reason, size_t reason_size);

// --- op table ---

/// What an op's define function gets: one graph node to express in an XNNPACK subgraph.
typedef struct sy_xnn_define_ctx {
    xnn_subgraph_t subgraph;
    const sy_node_info *node;
    const uint32_t *in_ids;  // XNNPACK value id per node input (XNN_INVALID_VALUE_ID when absent)
    const uint32_t *out_ids; // XNNPACK value id per node output
    const sy_tensor *in;     // concrete shapes; data is set for constants only
    const sy_tensor *out;
    /// Memory that must outlive the runtime (static tensors the op synthesises), owned by the
    /// compiled partition; NULL when out of memory.
    void *(*alloc_static)(void *owner, size_t bytes);
    void *owner;
    const char *call; // set by the define function: the XNNPACK entry point that failed
} sy_xnn_define_ctx;

/// An XNNPACK operator owned by one node of a compiled partition. It is created at compile time,
/// which is when XNNPACK packs the node's constant weights (once, whatever shapes come later),
/// and set up per call for that call's row count; setup is skipped while the rows and the
/// pointers stay the same.
typedef struct sy_xnn_node_operator {
    xnn_operator_t op;
    size_t packed_bytes; // estimate of the operator's packed weights (for sy_compile_info)
    size_t rows;         // row count of the last setup; SIZE_MAX: not set up
    const void *input;   // pointers of the last setup
    void *output;
    void *packed;        // (optional) weights the node packed itself at compile time (host
                         // allocator, owned; freed at release), e.g. ops/linear_cpu.c's
} sy_xnn_node_operator;

/// What a custom kernel or a node operator gets: one node with concrete tensors (data set).
typedef struct sy_xnn_kernel_ctx {
    const sy_xnn_backend *be;
    uint32_t node_id;
    const sy_node_info *node;
    const sy_tensor *in; // absent optional inputs have data == NULL
    sy_tensor *out;
    void *scratch; // the op's scratch (sy_xnn_op_entry.scratch at the maximum shape), 64-aligned
    sy_xnn_node_operator *op; // operator nodes only: the node's operator
} sy_xnn_kernel_ctx;

typedef int (*sy_xnn_supports_fn)(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                               size_t reason_size);
typedef enum xnn_status (*sy_xnn_define_fn)(sy_xnn_define_ctx *ctx);
typedef sy_status (*sy_xnn_run_fn)(const sy_xnn_kernel_ctx *ctx);
typedef size_t (*sy_xnn_scratch_fn)(const sy_graph_view *graph, const sy_node_info *node);
/// Creates node `node`'s operator (packing its weights); on failure sets *call to the XNNPACK
/// entry point that failed and leaves *op_out untouched.
typedef enum xnn_status (*sy_xnn_create_op_fn)(const sy_xnn_backend *be, const sy_graph_view *graph,
                                            const sy_node_info *node, sy_xnn_node_operator *op_out,
                                            const char **call);

/// How the delegate runs one op. An op with `define` becomes XNNPACK nodes; one with only `run`
/// is a custom kernel. With both, `native` says per node which one this build uses. With
/// `create_op`, `as_operator` says per node whether it runs as an XNNPACK operator instead
/// (`run_op` sets it up for the call and runs it); only builds that have the operator's API set
/// these.
typedef struct sy_xnn_op_entry {
    sy_xnn_supports_fn supports; // op-specific checks (dtype, rank, attributes, API generation)
    sy_xnn_define_fn define;     // (optional) XNNPACK subgraph node(s)
    sy_xnn_run_fn run;           // (optional) custom kernel
    int (*native)(const sy_graph_view *graph, const sy_node_info *node); // (optional)
    sy_xnn_scratch_fn scratch;   // (optional) custom kernel scratch bytes at the maximum shape
    int (*as_operator)(const sy_graph_view *graph, const sy_node_info *node); // (optional)
    sy_xnn_create_op_fn create_op; // with as_operator
    sy_xnn_run_fn run_op;          // with as_operator
} sy_xnn_op_entry;

/// How one node runs: inside an XNNPACK subgraph, as a custom kernel, or as its own operator.
typedef enum sy_xnn_node_mode {
    SY_XNN_MODE_SUBGRAPH = 0,
    SY_XNN_MODE_CUSTOM = 1,
    SY_XNN_MODE_OPERATOR = 2,
} sy_xnn_node_mode;

/// The entry of `op`, or NULL when the delegate never runs it.
const sy_xnn_op_entry *sy_xnn_op_find(sy_op op);
/// How node `node` runs in this build.
sy_xnn_node_mode sy_xnn_op_mode(const sy_xnn_backend *be, const sy_xnn_op_entry *entry, const sy_graph_view *graph,
                          const sy_node_info *node);

// --- helpers for ops ---

/// Writes the reason (the host adds "xnnpack: ") and returns 0 (for supports functions).
int sy_xnn_refuse(char *reason, size_t reason_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/// Refuses unless every present input and output of the node is f32.
int sy_xnn_require_f32(const sy_graph_view *graph, const sy_node_info *node, char *reason,
                    size_t reason_size);
/// The value info of input i of a node, or NULL when absent.
const sy_value_info *sy_xnn_input_info(const sy_graph_view *graph, const sy_node_info *node,
                                    uint32_t i);
/// XNNPACK dims of a tensor (rank 0 becomes [1]); returns the number of dims.
size_t sy_xnn_dims(const sy_tensor *t, size_t *dims);
/// Defines an internal f32 value of the given shape.
enum xnn_status sy_xnn_define_temp(sy_xnn_define_ctx *ctx, const sy_tensor *shape, uint32_t *id_out);
/// Defines a static f32 tensor of the given dims over `data` (which must outlive the runtime).
enum xnn_status sy_xnn_define_static(sy_xnn_define_ctx *ctx, size_t n_dims, const size_t *dims,
                                  const float *data, uint32_t *id_out);
/// A binary node (op: ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM) with the best API this build has.
enum xnn_status sy_xnn_emit_binary(sy_xnn_define_ctx *ctx, sy_op op, uint32_t a, uint32_t b,
                                uint32_t out);
/// A unary node (op: NEG, SIGMOID, SQRT, RSQRT, RELU, TANH, EXP, LOG, GELU, SIN, COS, and
/// SQUARE given as SY_OP_COUNT) natively; sy_xnn_unary_native says whether the build has it.
enum xnn_status sy_xnn_emit_unary(sy_xnn_define_ctx *ctx, sy_op op, int approximate, uint32_t in,
                               uint32_t out);
int sy_xnn_unary_native(sy_op op, int approximate);
#define SY_XNN_SQUARE SY_OP_COUNT // pseudo op for sy_xnn_emit_unary: x * x

/// Runs fn(ctx, i) for i in [0, n) for one of the delegate's own kernels: on the caller when
/// `small` (pthreadpool's wait for every worker to check in costs more than small work on a
/// loaded machine), else on the caller-driven kernel pool when the backend has one (option
/// kernel_pool), else on pthreadpool.
void sy_xnn_parallelize(const sy_xnn_backend *be, void (*fn)(void *ctx, size_t i), void *ctx, size_t n, int small);

/// The API generation, for messages: "2022" or "2024".
const char *sy_xnn_api_generation(void);

// --- per-op functions (ops/*.c) ---

int sy_xnn_supports_binary(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_binary_op(sy_xnn_define_ctx *);
int sy_xnn_supports_unary(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_unary_op(sy_xnn_define_ctx *);
int sy_xnn_supports_clamp(const sy_graph_view *graph, const sy_node_info *node, char *reason, size_t reason_size);
sy_status sy_xnn_run_clamp(const sy_xnn_kernel_ctx *ctx);
/// sqrt, rsqrt and relu as custom kernels that keep IEEE special values (NaN, -0, denormals).
sy_status sy_xnn_run_unary_exact(const sy_xnn_kernel_ctx *ctx);
int sy_xnn_supports_linear(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_linear(sy_xnn_define_ctx *);
/// f32 linear is an XNNPACK node/operator; other weight dtypes run on ops/linear_cpu.c.
int sy_xnn_linear_native(const sy_graph_view *, const sy_node_info *);
/// Whether the node's weight is f16 or a block dtype (the delegate's kernels run it).
int sy_xnn_linear_on_cpukern(const sy_graph_view *, const sy_node_info *);
int sy_xnn_supports_linear_cpu(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_linear_cpu(const sy_xnn_kernel_ctx *);
/// Whether the node's block-dtype weight is packed at compile time for the kernels' q8-activation
/// layout (option activations=q8 on a CPU with those kernels); it then runs in operator mode.
int sy_xnn_linear_packs(const sy_xnn_backend *, const sy_graph_view *, const sy_node_info *);
/// linear's operator: the packed kernels' weights (sy_xnn_linear_packs) or XNNPACK's f32
/// fully-connected operator (builds with the operator API).
enum xnn_status sy_xnn_create_linear_op(const sy_xnn_backend *, const sy_graph_view *, const sy_node_info *,
                                        sy_xnn_node_operator *, const char **);
sy_status sy_xnn_run_linear_op(const sy_xnn_kernel_ctx *);
/// Quantised-activation scratch for the row count at the shape bounds.
size_t sy_xnn_scratch_linear_cpu(const sy_graph_view *, const sy_node_info *);
/// Dequantises `n` elements of a row in `dtype` (f16 or a block dtype; n a multiple of its
/// block) to f32 (ops/index.c, for embedding of a quantised table).
void sy_xnn_dequantize_row(sy_dtype dtype, const void *src, int64_t n, float *dst);
int sy_xnn_supports_matmul(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_matmul(sy_xnn_define_ctx *);
#if defined(SY_XNN_HAVE_FC_OPERATOR)
/// linear always runs as a fully-connected operator when the build has the operator API.
int sy_xnn_linear_as_operator(const sy_graph_view *, const sy_node_info *);
/// matmul does when its right operand is a constant 2-D matrix.
int sy_xnn_matmul_as_operator(const sy_graph_view *, const sy_node_info *);
/// Creates the node's fully-connected operator (XNNPACK packs the weights and bias here).
enum xnn_status sy_xnn_create_fc_operator(const sy_xnn_backend *, const sy_graph_view *, const sy_node_info *,
                                       sy_xnn_node_operator *, const char **);
/// Sets the operator up for the call's row count and pointers (when they changed) and runs it.
sy_status sy_xnn_run_fc_operator(const sy_xnn_kernel_ctx *);
#endif
int sy_xnn_supports_softmax(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_softmax_op(sy_xnn_define_ctx *);
int sy_xnn_supports_reduce(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_reduce(sy_xnn_define_ctx *);
int sy_xnn_supports_rms_norm(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_rms_norm(sy_xnn_define_ctx *);
int sy_xnn_supports_reshape(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_reshape(sy_xnn_define_ctx *);
int sy_xnn_supports_transpose(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_transpose(sy_xnn_define_ctx *);
sy_status sy_xnn_run_transpose(const sy_xnn_kernel_ctx *);
int sy_xnn_native_transpose(const sy_graph_view *, const sy_node_info *);
int sy_xnn_supports_slice(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_slice(sy_xnn_define_ctx *);
sy_status sy_xnn_run_slice(const sy_xnn_kernel_ctx *);
int sy_xnn_native_slice(const sy_graph_view *, const sy_node_info *);
int sy_xnn_supports_concat(const sy_graph_view *, const sy_node_info *, char *, size_t);
enum xnn_status sy_xnn_define_concat(sy_xnn_define_ctx *);
sy_status sy_xnn_run_concat(const sy_xnn_kernel_ctx *);
int sy_xnn_native_concat(const sy_graph_view *, const sy_node_info *);
int sy_xnn_supports_rope(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_rope(const sy_xnn_kernel_ctx *);
size_t sy_xnn_scratch_rope(const sy_graph_view *, const sy_node_info *);
int sy_xnn_supports_update_cache(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_update_cache(const sy_xnn_kernel_ctx *);
int sy_xnn_supports_embedding(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_embedding(const sy_xnn_kernel_ctx *);
int sy_xnn_supports_gather(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_gather(const sy_xnn_kernel_ctx *);
int sy_xnn_supports_expand(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_expand(const sy_xnn_kernel_ctx *);
int sy_xnn_supports_sdpa_kv(const sy_graph_view *, const sy_node_info *, char *, size_t);
sy_status sy_xnn_run_sdpa_kv(const sy_xnn_kernel_ctx *);
size_t sy_xnn_scratch_sdpa_kv(const sy_graph_view *, const sy_node_info *);

/// Reads element 0 of a start_pos tensor (i32 or i64, at least one element).
int64_t sy_xnn_read_start(const sy_tensor *t);

// --- the fused attention kernel (ops/attention.c) ---

/// One sdpa_with_kv_cache call. All tensors are dense row-major f32.
typedef struct sy_xnn_attention {
    int64_t batch, q_heads, kv_heads, tokens, cache_len, head_dim;
    int64_t start; // absolute position of query 0; validated by the caller
    float scale;
    const float *q;     // (batch, q_heads, tokens, head_dim)
    const float *k_new; // (batch, kv_heads, tokens, head_dim)
    const float *v_new; // (batch, kv_heads, tokens, head_dim)
    float *k_cache;     // (batch, kv_heads, cache_len, head_dim), rows [start, start+tokens) written
    float *v_cache;     // (batch, kv_heads, cache_len, head_dim)
    float *out;         // (batch, q_heads, tokens, head_dim)
    float *stats;       // scratch (batch, q_heads, tokens, 2): running max and running sum
    uint32_t pool_flags; // pthreadpool flags (PTHREADPOOL_FLAG_YIELD_WORKERS or 0)
    struct sy_cpukern_pool *kpool; // optional: run on the kernels' caller-driven pool, not `pool`
} sy_xnn_attention;

/// Scratch bytes sy_xnn_attention_run needs for these sizes.
size_t sy_xnn_attention_scratch_bytes(int64_t batch, int64_t q_heads, int64_t tokens);
/// Writes the new rows into the caches, then attends causally over [0, start + t] for each
/// query t with online softmax (memory independent of the cache length). pool may be NULL.
void sy_xnn_attention_run(const sy_xnn_attention *a, pthreadpool_t pool, size_t threads);
extern const sy_delegate sy_xnnpack_delegate; // the vtable (registered by CMakeLists.txt)
