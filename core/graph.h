#pragma once

// Internal graph structures shared by the builder (core/graph.c), the program file
// (core/format.c, core/program.c) and the runtime.

#include "switchyard/switchyard.h"

/// Names (symbols, values, nodes, attributes, metadata keys) are shorter than this many bytes,
/// in the builder and in files alike, so messages that quote them stay bounded.
#define SY_NAME_MAX 256

/// Checks a graph view: ids in range, every value produced at most once and before use (node
/// order is execution order, so a cycle shows up as a use before production), roles consistent
/// (constants carry data of the right size, inputs/states/constants are never produced, outputs
/// are produced, only an op's mutated inputs may be states written in place), and every node's
/// dtypes/shapes at the symbol bounds agree with the declared values. `origin` prefixes
/// messages (a file name, or "graph"). Returns SY_ERR_FORMAT / SY_ERR_SHAPE / SY_ERR_DTYPE /
/// SY_ERR_INVALID_ARGUMENT / SY_ERR_UNSUPPORTED with a message naming the node or value.
sy_status sy_graph_check(const sy_graph_view *graph, const char *origin);

/// Fills a tensor descriptor (no data) with value `id`'s dtype and shape, each symbolic dim set
/// to symbols[sym] (or its bound when symbols is NULL).
void sy_value_desc_tensor(const sy_graph_view *graph, uint32_t id, const int64_t *symbols,
                          sy_tensor *out);

/// Metadata of a graph, in insertion order.
typedef struct sy_metadata {
    uint32_t n;
    const char *const *keys;
    const char *const *values;
} sy_metadata;

/// The builder's metadata (borrowed).
sy_metadata sy_graph_get_metadata(const sy_graph *graph);
