#include "core/nameset.h"

#include <string.h>

#include "core/alloc.h"
#include "core/status.h"

sy_status sy_nameset_init(sy_nameset *set, size_t n) {
    memset(set, 0, sizeof *set);
    size_t cap = 16;
    while (cap < 2 * n) {
        SY_CHECK(cap <= SIZE_MAX / 4, SY_ERR_OUT_OF_MEMORY, "too many names (%zu)", n);
        cap *= 2;
    }
    set->names = sy_calloc(cap, sizeof *set->names);
    set->ids = sy_calloc(cap, sizeof *set->ids);
    if (!set->names || !set->ids) {
        sy_nameset_deinit(set);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for a table of %zu names", n);
    }
    set->cap = cap;
    return SY_OK;
}

void sy_nameset_deinit(sy_nameset *set) {
    sy_free(set->names);
    sy_free(set->ids);
    memset(set, 0, sizeof *set);
}

static uint64_t hash(const char *s) { // FNV-1a
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int sy_nameset_add(sy_nameset *set, const char *name, uint32_t id, uint32_t *prev_out) {
    size_t mask = set->cap - 1;
    for (size_t i = (size_t)hash(name) & mask;; i = (i + 1) & mask) {
        if (!set->names[i]) {
            set->names[i] = name;
            set->ids[i] = id;
            return 1;
        }
        if (strcmp(set->names[i], name) == 0) {
            if (prev_out) *prev_out = set->ids[i];
            return 0;
        }
    }
}
