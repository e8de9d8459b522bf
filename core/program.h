#pragma once

// A loaded program: a validated graph view whose names, attributes and constant data point into
// the file mapping (or an owned copy of the bytes). Owned by core/program.c and core/format.c.

#include "core/graph.h"

struct sy_program {
    sy_graph_view view;     // arrays below; constant data borrowed from `base`
    sy_value_info *values;  // (n_values)
    sy_node_info *nodes;    // (n_nodes)
    sy_symbol_info *symbols; // (n_symbols)
    uint32_t *ids;          // node input/output ids, all nodes back to back
    sy_attr *attrs;         // node attributes, all nodes back to back
    int64_t *ints;          // INTS attribute payloads copied out aligned (may be NULL)
    const char **meta_keys; // (n_meta) borrowed strings inside the mapping
    const char **meta_values;
    uint32_t n_meta;
    const void *base;       // the file bytes (mmapped or owned copy)
    size_t size;
    int mapped;             // 1: munmap(base, map_bytes) on destroy; 0: sy_free(base)
    size_t map_bytes;       // mapped: the whole reservation (file pages + one zero page)
    char *origin;           // file name or origin label for messages (owned)
};

/// Serialises a graph view and metadata to program-file bytes (docs/FORMAT.md). *bytes_out is
/// allocated with sy_aligned_alloc(..., 64) (constants stay 64-byte aligned); free it with sy_free.
sy_status sy_format_serialize(const sy_graph_view *graph, const sy_metadata *meta,
                              uint8_t **bytes_out, size_t *size_out);

/// Parses and validates program bytes into *program (which takes no ownership of `bytes`; the
/// caller sets base/size/mapped/origin). `bytes` must be at least 8-byte aligned (INTS payloads
/// are used in place). Every field is checked before use; then sy_graph_check. On failure the
/// program may hold partly filled arrays: release it with sy_program_destroy.
sy_status sy_format_parse(struct sy_program *program, const uint8_t *bytes, size_t size);
