#pragma once

// Internals of the Vulkan delegate: the backend (instance, device, queue, pipelines), the
// compiled partition (buffers, dispatch slots, staging) and the helpers the files share.
// Nothing here crosses the delegate ABI; the host sees only sy_vulkan_delegate.

#include <vulkan/vulkan.h>

#include "delegates/vulkan/shaders/codes.h"
#include "switchyard/delegate.h"
#include "switchyard/delegate_kit.h"

// --- shaders ---

// Every kernel: X(ENUM, file name under shaders/ without .comp, storage-buffer bindings).
#define SY_VK_SHADER_LIST(X)             \
    X(BINARY, binary, 3)                 \
    X(UNARY, unary, 2)                   \
    X(COPY, copy, 2)                     \
    X(MATMUL, matmul, 4)                 \
    X(MATMUL_SMALL, matmul_small, 4)     \
    X(GEMV, gemv, 4)                     \
    X(SOFTMAX, softmax, 2)               \
    X(RMS_NORM, rms_norm, 3)             \
    X(LAYER_NORM, layer_norm, 4)         \
    X(REDUCE_LAST, reduce_last, 2)       \
    X(GATHER, gather, 3)                 \
    X(ROPE, rope, 3)                     \
    X(EMBEDDING, embedding, 3)           \
    X(SDPA, sdpa, 4)                     \
    X(SDPA_SPLIT, sdpa_split, 4)         \
    X(SDPA_COMBINE, sdpa_combine, 2)     \
    X(GEMV_Q8_0, gemv_q8_0, 4)           \
    X(GEMV_Q4_0, gemv_q4_0, 4)           \
    X(GEMV_Q4_1, gemv_q4_1, 4)           \
    X(MATMUL_Q8_0, matmul_q8_0, 4)       \
    X(MATMUL_Q4_0, matmul_q4_0, 4)       \
    X(MATMUL_Q4_1, matmul_q4_1, 4)       \
    X(EMBEDDING_Q8_0, embedding_q8_0, 3) \
    X(EMBEDDING_Q4_0, embedding_q4_0, 3) \
    X(EMBEDDING_Q4_1, embedding_q4_1, 3) \
    X(CLAMP, clamp, 2)

typedef enum sy_vk_shader {
#define SY_VK_SHADER_ENUM_(id, file, nb) SY_VK_SHADER_##id,
    SY_VK_SHADER_LIST(SY_VK_SHADER_ENUM_)
#undef SY_VK_SHADER_ENUM_
        SY_VK_SHADER_COUNT
} sy_vk_shader;

// The SPIR-V words, generated from shaders/*.comp at build time (vk_shaders.c).
#define SY_VK_SPIRV_DECL_(id, file, nb)         \
    extern const uint32_t sy_vk_spirv_##file[]; \
    extern const size_t sy_vk_spirv_##file##_size;
SY_VK_SHADER_LIST(SY_VK_SPIRV_DECL_)
#undef SY_VK_SPIRV_DECL_

#define SY_VK_MAX_BINDINGS 4
#define SY_VK_PUSH_WORDS 32  // 128 bytes: the push-constant size every device must offer
#define SY_VK_MAX_NODE_IO 16 // most inputs of one node (concat)
// How long a call waits for the device before declaring it hung (and the backend lost): far
// beyond any sane dispatch, short of hanging the caller forever.
#define SY_VK_FENCE_TIMEOUT_NS (600ull * 1000 * 1000 * 1000)

// --- backend ---

struct sy_backend {
    const sy_host_api *host; // borrowed from the host for the backend's lifetime
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger; // VK_NULL_HANDLE without validation
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem_props;
    VkDeviceSize max_alloc;                                    // maxMemoryAllocationSize
    VkCommandPool pool;                                        // command buffers of every kernel and of one-off work
    VkDescriptorSetLayout set_layouts[SY_VK_MAX_BINDINGS + 1]; // by binding count (lazy)
    VkPipelineLayout pipe_layouts[SY_VK_MAX_BINDINGS + 1];
    VkPipeline pipelines[SY_VK_SHADER_COUNT]; // created on first use
    int validation;
    uint32_t n_val_errors; // validation errors seen by this backend's messenger
    uint32_t n_val_warnings;
    char val_message[512]; // the latest validation error, for the failing call's message
    int lost;              // VK_ERROR_DEVICE_LOST was seen: every later call fails
    char desc[384];        // describe()
};

// --- compiled partition ---

/// The Vulkan side of one local value. Rows below kp.n_values are the delegate kit's value
/// table rows (graph id, dtype, bound dims, role, place, constant bytes: sy_kit_value; this
/// call's shape: kp.shapes); rows from kp.n_values on are aux values, which are not graph values.
typedef struct sy_vk_value {
    uint8_t owned;          // a state kept resident on the device (subgraph->owns_state)
    uint8_t on_device;      // bound by some dispatch
    uint8_t host_read;      // some op reads its bytes on the host (start_pos, token ids)
    uint8_t mutated;        // written in place by some node (a state)
    uint8_t narrow;         // i64 on the host, i32 on the device (converted while uploading)
    uint8_t aux;            // not a graph value: per-call data an op writes into staging itself
    uint8_t scratch;        // an aux value that only dispatches write and read (never uploaded)
    int32_t alias_of;       // local value whose buffer this one shares (reshape), or -1
    uint32_t buffer;        // index into kernel buffers (when on_device)
    VkDeviceSize dev_bytes; // device bytes at the bound shape
    VkDeviceSize up_off;    // staging offset of the upload, or VK_WHOLE_SIZE when none
    VkDeviceSize down_off;  // staging offset of the download, or VK_WHOLE_SIZE when none
    uint64_t aux_floats;    // aux: f32 elements its op wrote into staging this call
} sy_vk_value;

/// One planned dispatch: a shader, its buffers, and this call's parameters.
typedef struct sy_vk_slot {
    sy_vk_shader shader;
    uint32_t step;                     // owning step
    uint32_t bind[SY_VK_MAX_BINDINGS]; // local value per binding
    uint32_t write_mask;               // bit i: binding i is written
    VkDescriptorSet set;
    // per call
    uint32_t active;
    uint32_t groups[3];
    uint32_t push_bytes;
    uint32_t push[SY_VK_PUSH_WORDS];
} sy_vk_slot;

struct sy_vk_op_impl;

/// One node of the partition.
typedef struct sy_vk_step {
    uint32_t node;
    const struct sy_vk_op_impl *impl;
    const uint32_t *in;  // local value per node input (UINT32_MAX: absent)
    const uint32_t *out; // local value per node output
    uint32_t first_slot, n_slots;
} sy_vk_step;

/// A device memory allocation that one or more buffers are bound into.
typedef struct sy_vk_block {
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *mapped; // host-visible blocks stay mapped
} sy_vk_block;

struct sy_kernel {
    sy_backend *be;
    const sy_graph_view *graph;
    char label[160]; // "partition 'first'..'last' (n nodes)" for messages
    sy_kit_partition kp; // the graph values: table, boundary places, this call's shapes
    uint32_t n_values, cap_values; // kp.n_values graph values, then aux values
    sy_vk_value *values; // (cap_values) indexed by the kit's local index, then aux values
    uint32_t n_steps;
    sy_vk_step *steps; // (n_steps)
    uint32_t *step_io; // inputs and outputs of every step, back to back
    uint32_t n_slots, cap_slots;
    sy_vk_slot *slots; // (cap_slots)

    uint32_t n_buffers;
    VkBuffer *buffers; // (n_buffers) device-local, one per value (aliases share)
    uint8_t *hazard;   // (n_buffers) per-execute barrier tracking
    uint32_t n_blocks;
    sy_vk_block *blocks; // (n_blocks) device memory behind `buffers`
    VkBuffer staging;    // host-visible: boundary uploads then downloads
    sy_vk_block staging_block;
    VkDeviceSize staging_size;
    VkDescriptorPool desc_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    int pending; // submitted and not yet waited for (a failed wait leaves it set)

    size_t packed_bytes;      // constants uploaded at compile
    size_t last_upload_bytes; // last execute
    size_t last_download_bytes;
};

// --- messages (delegates/vulkan/delegate.c) ---

/// Propagates a failing status.
#define SY_VK_TRY(expr)                             \
    do {                                            \
        sy_status sy_vk_try_ = (expr);              \
        if (sy_vk_try_ != SY_OK) return sy_vk_try_; \
    } while (0)

/// Records a failure through the host (message formatted here); returns `status`.
sy_status sy_vk_error(sy_backend *be, sy_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/// Logs through the host.
void sy_vk_log(sy_backend *be, sy_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/// Host allocation helpers (zeroed); NULL on failure.
void *sy_vk_calloc(sy_backend *be, size_t count, size_t size);
void sy_vk_free(sy_backend *be, void *ptr);
/// Static name of a VkResult ("VK_ERROR_DEVICE_LOST").
const char *sy_vk_result_name(VkResult r);
/// Maps a failed VkResult to a status: device loss and device memory exhaustion are
/// SY_ERR_DEVICE (device loss also marks the backend lost), host memory SY_ERR_OUT_OF_MEMORY.
sy_status sy_vk_fail(sy_backend *be, VkResult r, const char *what, const char *where);
/// Fails with the latest validation message when the backend's error count moved past `before`.
sy_status sy_vk_check_validation(sy_backend *be, uint32_t before, const char *what, const char *where);

// --- device (delegates/vulkan/device.c) ---

/// Finds a usable device without creating a backend: 1, or 0 with the reason.
int sy_vk_probe(char *reason, size_t reason_size);
/// Opens instance, device and queue for `device_spec` (NULL/"" = best device).
sy_status sy_vk_device_open(sy_backend *be, const char *device_spec, int validation);
/// Waits for the device and destroys what sy_vk_device_open and the pipelines created.
void sy_vk_device_close(sy_backend *be);
/// The compute pipeline of a shader, created on first use.
sy_status sy_vk_pipeline_get(sy_backend *be, sy_vk_shader shader, VkPipeline *out);
/// Binding count of a shader.
uint32_t sy_vk_shader_bindings(sy_vk_shader shader);
/// Static name of a shader ("matmul").
const char *sy_vk_shader_name(sy_vk_shader shader);

// --- memory (delegates/vulkan/memory.c) ---

/// Creates a storage + transfer buffer of `size` bytes (not yet bound).
sy_status sy_vk_buffer_create(sy_backend *be, VkDeviceSize size, VkBuffer *out, const char *where);
/// Allocates device-local memory for n buffers (several buffers per allocation, never more
/// than maxMemoryAllocationSize each) and binds them. *blocks_out is host memory the caller
/// frees with sy_vk_blocks_free.
sy_status sy_vk_bind_device_local(sy_backend *be, const VkBuffer *buffers, uint32_t n, sy_vk_block **blocks_out,
                                  uint32_t *n_blocks_out, const char *where);
/// Allocates mapped, host-coherent memory for one buffer and binds it.
sy_status sy_vk_bind_host_visible(sy_backend *be, VkBuffer buffer, sy_vk_block *block_out, const char *where);
/// Frees device memory blocks (unmapping mapped ones) and the array; accepts NULL.
void sy_vk_blocks_free(sy_backend *be, sy_vk_block *blocks, uint32_t n);
/// Frees one block; accepts an empty block.
void sy_vk_block_free(sy_backend *be, sy_vk_block *block);
/// Live VkDeviceMemory allocations of the whole process (for leak tests).
uint32_t sy_vk_live_allocations(void);

// --- one-off commands (delegates/vulkan/memory.c) ---

/// Begins a one-off command buffer on the backend's pool.
sy_status sy_vk_oneoff_begin(sy_backend *be, VkCommandBuffer *cmd_out, const char *where);
/// Ends, submits and waits for a one-off command buffer, then frees it.
sy_status sy_vk_oneoff_submit(sy_backend *be, VkCommandBuffer cmd, const char *where);
/// A global memory barrier between two stage/access sets.
void sy_vk_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                   VkPipelineStageFlags dst_stage, VkAccessFlags dst_access);

// --- process-wide counters (delegates/vulkan/delegate.c), for tests and benchmarks ---

/// Counts a validation message (1 = error, 0 = warning) process-wide.
void sy_vk_count_validation(int is_error);
/// Records the bytes the last execute of any Vulkan partition moved.
void sy_vk_count_copies(size_t upload_bytes, size_t download_bytes);
/// Runs every step's record function with the current value shapes: at compile time as a dry run
/// at the bounds (limits checked, nothing recorded), and per execute for real.
sy_status sy_vk_record_steps(sy_kernel *k, int dry_run);

/// Converts `count` i64 elements from index `first` of src into i32 at dst; fails with
/// SY_ERR_OUT_OF_RANGE (naming local value `local`) when one does not fit (delegates/vulkan/kernel.c).
sy_status sy_vk_stage_narrow(sy_kernel *k, uint32_t local, const void *src, size_t first, size_t count, void *dst);
/// The graph name of local value `local`, "(aux)" for an aux value (delegates/vulkan/kernel.c).
const char *sy_vk_value_name(const sy_kernel *k, uint32_t local);
/// Static name of an op ("rms_norm") (delegates/vulkan/ops/table.c).
const char *sy_vk_op_name(sy_op op);

// --- vtable members (delegates/vulkan/kernel.c, delegates/vulkan/execute.c) ---

sy_status sy_vk_compile(sy_backend *be, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info_out);
void sy_vk_release(sy_backend *be, sy_kernel *k);
sy_status sy_vk_execute(sy_backend *be, sy_kernel *k, const sy_exec_args *args);
sy_status sy_vk_reset_state(sy_backend *be, sy_kernel *k);
sy_status sy_vk_read_state(sy_backend *be, sy_kernel *k, uint32_t state_index, sy_tensor *out);
