#pragma once

// How one op is implemented: a capability check, a compile-time plan (which dispatches with
// which buffers) and a per-call record step (push constants and group counts from this call's
// concrete shapes). One file per op family under ops/, one line per op in ops/table.c.

#include "delegates/vulkan/vk_internal.h"

/// What plan and record see of one node.
typedef struct sy_vk_node_ctx {
    sy_backend *be;
    sy_kernel *k;
    const sy_graph_view *graph;
    uint32_t node_id;
    const sy_node_info *node;
    const uint32_t *in;  // local value per node input (UINT32_MAX: absent)
    const uint32_t *out; // local value per node output
    uint32_t first_slot; // the step's first slot (record)
    uint32_t n_slots;    // slots the plan made (record)
    // record only
    int dry_run;            // compile-time pass at the bound shapes: check limits, no host data
    const sy_tensor *in_t;  // concrete inputs; data = host bytes for host_read values, else NULL
    const sy_tensor *out_t; // concrete outputs (data NULL)
} sy_vk_node_ctx;

typedef struct sy_vk_op_impl {
    /// Whether the node runs here (dtypes, ranks, attributes, device limits); on 0 says why.
    int (*supports)(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                    size_t reason_size);
    /// Declares the node's dispatches (sy_vk_plan_slot), host reads and aliases.
    sy_status (*plan)(sy_vk_node_ctx *ctx);
    /// Validates data-dependent inputs and fills this call's slots (sy_vk_dispatch*).
    sy_status (*record)(sy_vk_node_ctx *ctx);
} sy_vk_op_impl;

/// The implementation of `op`, or NULL.
const sy_vk_op_impl *sy_vk_op_get(sy_op op);

// --- plan helpers (delegates/vulkan/kernel.c) ---

/// Adds a dispatch slot of `shader` binding local values `bind` (the shader's binding count);
/// bit i of write_mask marks binding i as written. Slots are numbered from 0 per step.
sy_status sy_vk_plan_slot(sy_vk_node_ctx *ctx, sy_vk_shader shader, const uint32_t *bind, uint32_t write_mask);
/// Plans one copy-shader dispatch from input #0 to output #0 (transpose, slice, expand).
sy_status sy_vk_plan_copy(sy_vk_node_ctx *ctx);
/// Marks node input `input` as read on the host at record time (it must come from outside the
/// partition or be a constant).
void sy_vk_plan_host_read(sy_vk_node_ctx *ctx, uint32_t input);
/// Lets node output `output` share the buffer of node input `input` (same bytes).
void sy_vk_plan_alias(sy_vk_node_ctx *ctx, uint32_t output, uint32_t input);
/// Adds an aux buffer of at most max_floats f32 that the op fills on the host each call
/// (sy_vk_aux_write) and that is uploaded with the boundary inputs. Writes its local value id.
sy_status sy_vk_plan_aux(sy_vk_node_ctx *ctx, uint64_t max_floats, uint32_t *local_out);
/// Adds a device-only scratch buffer of max_floats f32 (written and read by the node's own
/// dispatches, never uploaded). Writes its local value id.
sy_status sy_vk_plan_scratch(sy_vk_node_ctx *ctx, uint64_t max_floats, uint32_t *local_out);

// --- record helpers (delegates/vulkan/execute.c) ---

/// Activates slot `slot` (of this step) with push constants and a group count; checks the
/// device's workgroup-count limits and names the node when they are exceeded.
sy_status sy_vk_dispatch(sy_vk_node_ctx *ctx, uint32_t slot, const void *push, size_t push_size, uint64_t gx,
                         uint64_t gy, uint64_t gz);
/// The staging memory of the aux value bound at (slot, binding) for n_floats this call, or NULL
/// in the dry run; fails (NULL + error) never: n_floats is checked against the plan's bound.
float *sy_vk_aux_write(sy_vk_node_ctx *ctx, uint32_t slot, uint32_t binding, uint64_t n_floats);
/// Same for a 1-D launch of n_groups workgroups, folded over x and y (see common.glsl).
sy_status sy_vk_dispatch_1d(sy_vk_node_ctx *ctx, uint32_t slot, const void *push, size_t push_size, uint64_t n_groups);

// --- helpers for op files (delegates/vulkan/ops/common.c) ---

/// Value info of node input i (NULL when absent).
const sy_value_info *sy_vk_input_info(const sy_graph_view *graph, const sy_node_info *node, uint32_t i);
/// Checks that every present input and output of the node is f32 except the inputs whose bit
/// is set in int_mask, which must be i32/i64; ranks within limits; sizes within the device's
/// storage-buffer range. On 0 writes why.
int sy_vk_check_tensors(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, uint32_t int_mask,
                        char *reason, size_t reason_size);
/// sy_vk_check_tensors that leaves the inputs whose bit is set in skip_mask to the caller (block
/// weights, checked by sy_vk_check_block_weight).
int sy_vk_check_tensors_except(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node,
                               uint32_t int_mask, uint32_t skip_mask, char *reason, size_t reason_size);
/// SY_VK_Q8_0 / SY_VK_Q4_0 / SY_VK_Q4_1 for the block-quantised dtypes, -1 for any other.
int sy_vk_block_index(sy_dtype dtype);
/// Checks that node input `input` (called `what` in the reason) is a q8_0/q4_0/q4_1 constant
/// [rows, cols] whose raw blocks fit one storage buffer. On 0 writes why.
int sy_vk_check_block_weight(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, uint32_t input,
                             const char *what, char *reason, size_t reason_size);
/// Writes a reason and returns 0.
int sy_vk_refuse(char *reason, size_t reason_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/// Element i of an i32/i64 tensor.
int64_t sy_vk_load_int(const sy_tensor *t, int64_t i);
/// Row-major strides of a tensor's dims (in elements).
void sy_vk_contiguous_strides(const sy_tensor *t, int64_t *strides);
/// Number of groups of `per_group` covering n.
uint64_t sy_vk_div_up(uint64_t n, uint64_t per_group);
/// Reads the start position of update_cache / sdpa_with_kv_cache (element 0) and checks
/// start >= 0 and start + T <= S (the opspec message) before anything is written.
sy_status sy_vk_cache_start(sy_vk_node_ctx *ctx, const sy_tensor *start_pos, int64_t T, int64_t S, int64_t *start_out);

/// Push constants of copy.comp.
typedef struct sy_vk_copy_params {
    uint32_t n, rank, in_base, out_base;
    uint32_t dims[6], si[6], so[6];
} sy_vk_copy_params;

/// Fills copy params for copying `src` (contiguous) into `dst_strides` at out_base.
void sy_vk_copy_params_contig(sy_vk_copy_params *p, const sy_tensor *src, const int64_t *dst_strides, int64_t out_base);

// --- the op implementations (one per file under ops/) ---

extern const sy_vk_op_impl sy_vk_op_binary; // add sub mul div pow maximum minimum
extern const sy_vk_op_impl sy_vk_op_clamp;  // clamp (min/max as push constants)
extern const sy_vk_op_impl sy_vk_op_unary;  // neg exp log sqrt rsqrt sin cos tanh ...
extern const sy_vk_op_impl sy_vk_op_matmul;
extern const sy_vk_op_impl sy_vk_op_linear;
extern const sy_vk_op_impl sy_vk_op_softmax;
extern const sy_vk_op_impl sy_vk_op_rms_norm;
extern const sy_vk_op_impl sy_vk_op_layer_norm;
extern const sy_vk_op_impl sy_vk_op_reduce; // sum mean max (last axis)
extern const sy_vk_op_impl sy_vk_op_rope;
extern const sy_vk_op_impl sy_vk_op_embedding;
extern const sy_vk_op_impl sy_vk_op_gather;
extern const sy_vk_op_impl sy_vk_op_reshape;
extern const sy_vk_op_impl sy_vk_op_transpose;
extern const sy_vk_op_impl sy_vk_op_slice;
extern const sy_vk_op_impl sy_vk_op_concat;
extern const sy_vk_op_impl sy_vk_op_expand;
extern const sy_vk_op_impl sy_vk_op_update_cache;
extern const sy_vk_op_impl sy_vk_op_sdpa;
extern const sy_vk_op_impl sy_vk_op_sdpa_with_kv_cache;
