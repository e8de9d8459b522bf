#include "core/memplan.h"

#include "core/alloc.h"
#include "core/status.h"

static size_t align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

sy_status sy_plan_memory(const sy_mem_request *req, uint32_t n, size_t align, size_t *offsets,
                         size_t *total_out) {
    uint32_t *order = sy_malloc(sizeof(uint32_t) * (n ? n : 1));
    uint32_t *placed = sy_malloc(sizeof(uint32_t) * (n ? n : 1));
    if (!order || !placed) {
        sy_free(order);
        sy_free(placed);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory planning memory");
    }
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    for (uint32_t i = 1; i < n; i++) { // stable insertion sort, largest first
        uint32_t x = order[i], j = i;
        while (j > 0 && req[order[j - 1]].size < req[x].size) { order[j] = order[j - 1]; j--; }
        order[j] = x;
    }
    size_t total = 0;
    uint32_t n_placed = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = order[k];
        size_t off = 0;
        if (req[i].size) {
            // Walk candidate offsets: 0 and the end of every overlapping placed buffer.
            int moved = 1;
            while (moved) {
                moved = 0;
                for (uint32_t p = 0; p < n_placed; p++) {
                    uint32_t j = placed[p];
                    int live = req[j].first <= req[i].last && req[i].first <= req[j].last;
                    int overlap = off < offsets[j] + req[j].size && offsets[j] < off + req[i].size;
                    if (live && overlap) {
                        off = align_up(offsets[j] + req[j].size, align);
                        moved = 1;
                    }
                }
            }
            placed[n_placed++] = i;
        }
        offsets[i] = off;
        if (off + req[i].size > total) total = off + req[i].size;
    }
    sy_free(order);
    sy_free(placed);
    *total_out = align_up(total, align);
    return SY_OK;
}
