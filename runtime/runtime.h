#pragma once

// Runtime internals, shared with the CLI (inspect, demo, bench) which prints plans and timings.

#include "partitioner/partition.h"
#include "partitioner/passes.h"
#include "runtime/registry.h"
#include "switchyard/switchyard.h"

#define SY_MAX_PROFILE_EVENTS 4096

/// A profiling event recorded through the host API while profiling is on.
typedef struct sy_profile_event {
    const char *name;  // borrowed static/graph string
    uint32_t partition;
    uint64_t begin_ns, end_ns;
} sy_profile_event;

/// One backend instance of a runtime.
typedef struct sy_rt_backend {
    sy_delegate_ref ref;
    sy_backend *instance; // NULL when unavailable or not created
    int available;
    char reason[SY_REASON_MAX];
    sy_option *options; // (n_options) borrowed from the config copy below
    uint32_t n_options;
} sy_rt_backend;

/// One compiled partition.
typedef struct sy_rt_part {
    sy_subgraph subgraph;
    sy_kernel *kernel;
    sy_compile_info info;
    size_t scratch_offset; // in the arena
    sy_tensor *inputs, *outputs, *states; // exec argument tensors (pointers into host memory)
    uint64_t last_begin_ns; // sy_now_ns() when the last execute of this partition started
    uint64_t last_ns;      // duration of the last execute
    uint64_t total_ns;
} sy_rt_part;

typedef struct sy_host_ctx {
    struct sy_runtime *rt;
    uint32_t current_partition;
} sy_host_ctx;

struct sy_runtime {
    const sy_program *program;
    const sy_graph_view *g;  // the graph after passes (&passes.view)
    sy_pass_result passes;   // graph passes' rewritten node table and what they did
    sy_host_api host;
    sy_host_ctx host_ctx;
    sy_policy policy;
    sy_rt_backend *backends; // (n_backends) in config order
    uint32_t n_backends;
    sy_delegate_ref *refs;   // every delegate known (built-ins + plugins)
    uint32_t n_refs;
    char **option_strings;   // owned copies of option keys/values
    uint32_t n_option_strings;
    sy_partition_plan plan;
    sy_rt_part *parts;       // (plan.n_partitions)
    char *notes;             // fallback notes shown by inspect/demo ("" when none)
    // memory
    uint8_t *arena;          // intermediates at partition boundaries + partition scratch
    size_t arena_bytes, naive_bytes, state_bytes;
    void **value_data;       // (n_values) host memory of each value, or NULL (partition-internal)
    void **owned;            // (n_values) buffers this runtime allocated for inputs/outputs/states
    sy_tensor *shapes;       // (n_values) concrete dtype/dims of the current call
    uint8_t *input_set;      // (n_values) 1 once set_input gave the input
    int64_t symbols[SY_MAX_SYMBOLS];
    // stats and profiling
    size_t last_copy_bytes;        // intermediates handed between partitions (host memory)
    size_t last_device_copy_bytes; // host<->device copies the delegates reported
    uint64_t n_executes;
    int profiling;
    sy_profile_event *events; // (SY_MAX_PROFILE_EVENTS) while profiling
    uint32_t n_events;
};

/// Turns profiling on or off (allocates the event buffer when turned on; not in execute).
sy_status sy_runtime_set_profiling(sy_runtime *rt, int on);
/// Fills the host API table of a runtime (runtime/host.c).
void sy_host_init(sy_runtime *rt);
uint64_t sy_now_ns(void);
