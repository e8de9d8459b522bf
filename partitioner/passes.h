#pragma once

// Graph passes that run between loading and partitioning. They never change a program: they
// produce a rewritten view whose values, names and constant data are borrowed from the input
// view and whose node table is owned by the result.

#include "switchyard/switchyard.h"

typedef struct sy_pass_result {
    sy_graph_view view;      // the rewritten graph (view.values/symbols borrowed from the input)
    sy_node_info *nodes;     // (view.n_nodes) owned node table
    uint32_t *node_origin;   // (view.n_nodes) index of each node in the input graph
    uint32_t n_fused_silu;   // mul(x, sigmoid(x)) -> silu(x)
    uint32_t n_removed_dead; // nodes whose results nothing reads
} sy_pass_result;

/// Runs every pass over `graph`. Releases nothing of the input.
sy_status sy_run_passes(const sy_graph_view *graph, sy_pass_result *out);
void sy_pass_result_free(sy_pass_result *result);
