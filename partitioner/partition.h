#pragma once

// The partitioner: assigns every node to the first backend (in config order) that is allowed,
// available and supports it, then merges nodes of one backend into maximal partitions without
// creating a cycle between partitions, and orders the partitions for execution.

#include "switchyard/delegate.h"
#include "switchyard/switchyard.h"

/// One candidate backend as the partitioner sees it.
typedef struct sy_part_backend {
    const char *name;
    int available;                 // 0: every node skips it (reason in unavailable_reason)
    const char *unavailable_reason;
    /// Per-node capability; NULL means "supports everything".
    int (*supports)(void *ctx, const sy_graph_view *graph, uint32_t node, char *reason, size_t size);
    void *ctx;
} sy_part_backend;

/// A node-to-backend rule (config "rules"): pin or forbid, matched by "op:<op>" or a name glob.
typedef struct sy_part_rule {
    sy_rule_kind kind;
    const char *match;
    const char *backend;
} sy_part_rule;

typedef struct sy_partition {
    uint32_t backend;  // index into the backends array
    uint32_t n_nodes, n_inputs, n_outputs, n_states;
    uint32_t *nodes;   // in graph (execution) order
    uint32_t *inputs;  // boundary values read (graph inputs or other partitions' outputs)
    uint32_t *outputs; // values produced here and read elsewhere, or graph outputs
    uint32_t *states;  // states touched here
    uint8_t *owns_state; // per state: every node touching it is in this partition
} sy_partition;

typedef struct sy_partition_plan {
    uint32_t n_partitions;
    sy_partition *partitions; // in execution order
    uint32_t *node_backend;   // (n_nodes) chosen backend per node
    uint32_t *node_partition; // (n_nodes) partition index per node
    char **reasons;           // (n_nodes * n_backends) why backend b refused node n, or NULL
    uint32_t n_nodes, n_backends;
} sy_partition_plan;

/// Partitions `graph`. `banned` (may be NULL) is an n_nodes * n_backends matrix of extra
/// refusals (used after a failed compile under the fallback policy), with reasons in
/// `banned_reason`. Under SY_POLICY_STRICT a node no backend takes is an error naming it and
/// every backend's reason; under FALLBACK too (there is nowhere left to fall back to).
sy_status sy_partition_graph(const sy_graph_view *graph, const sy_part_backend *backends,
                             uint32_t n_backends, const sy_part_rule *rules, uint32_t n_rules,
                             const uint8_t *banned, const char *banned_reason,
                             sy_partition_plan *plan_out);

/// Frees a plan's arrays (accepts a zeroed plan).
void sy_partition_plan_free(sy_partition_plan *plan);

/// Whether rule `match` applies to node `node`.
int sy_rule_matches(const char *match, const sy_graph_view *graph, uint32_t node);
