#pragma once

// Offset planning for buffers with known lifetimes: buffers whose lifetimes overlap never share
// bytes; the rest reuse them. Used for the runtime's arena and inside the portable delegate.

#include <stddef.h>
#include <stdint.h>

#include "switchyard/types.h"

typedef struct sy_mem_request {
    size_t size;    // bytes (0: gets offset 0 and takes no space)
    uint32_t first; // first step the buffer is live
    uint32_t last;  // last step the buffer is live (>= first)
} sy_mem_request;

/// Assigns each request an offset (aligned to `align`, a power of two) so that requests live at
/// the same step do not overlap; *total_out is the arena size needed. Largest first, lowest
/// fitting offset (greedy by size, as TFLite's arena planner). O(n^2).
sy_status sy_plan_memory(const sy_mem_request *requests, uint32_t n, size_t align,
                         size_t *offsets_out, size_t *total_out);
