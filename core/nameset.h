#pragma once

// A set of borrowed strings for duplicate-name checks in O(1) expected time per name (the
// loader checks every table of names; pairwise strcmp made a crafted file take minutes).

#include <stddef.h>
#include <stdint.h>

#include "switchyard/switchyard.h"

typedef struct sy_nameset {
    const char **names; // (cap) borrowed; NULL = empty slot
    uint32_t *ids;      // (cap) the id each name was inserted with
    size_t cap;         // power of two, at least twice the expected count
} sy_nameset;

/// Prepares an empty set for up to `n` names. Returns SY_ERR_OUT_OF_MEMORY.
sy_status sy_nameset_init(sy_nameset *set, size_t n);
/// Frees the set's tables (not the names); accepts a zeroed set.
void sy_nameset_deinit(sy_nameset *set);
/// Adds `name` (borrowed; must outlive the set) with `id`. Returns 1 when added, 0 when the name
/// is already there (then *prev_out gets the earlier id). At most the `n` of init names fit.
int sy_nameset_add(sy_nameset *set, const char *name, uint32_t id, uint32_t *prev_out);
