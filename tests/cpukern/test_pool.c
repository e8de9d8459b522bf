// The kernels' caller-driven pool: every tile of every job runs exactly once, with that job's
// context, whatever the timing (many tiny jobs back to back, workers spinning or asleep), and bad
// arguments fail. The context lives at the same stack address for every job (as in the delegate),
// so a tile that runs late, or for the wrong job, shows up as a second hit of the next job.

#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"
#include "delegates/xnnpack/kernels/cpukern_internal.h"

typedef struct count_job {
    atomic_int *hits; // (MAX_TILES) runs per tile of the current job
} count_job;

static void count_tile(void *ctx, size_t t) {
    count_job *c = ctx;
    atomic_fetch_add(&c->hits[t], 1);
}

static void run_many(uint32_t threads, uint32_t spin_us) {
    sy_cpukern_pool *p = NULL;
    CHECK_OK(sy_cpukern_pool_create(threads, spin_us, &p));
    CHECK(sy_cpukern_pool_threads(p) == threads);
    enum { JOBS = 200000, MAX_TILES = 37 };
    atomic_int *hits = calloc(MAX_TILES, sizeof *hits);
    int bad = 0;
    for (int j = 0; j < JOBS; j++) {
        size_t n = 1 + (size_t)(j * 7) % MAX_TILES;
        for (size_t t = 0; t < MAX_TILES; t++) atomic_store(&hits[t], 0);
        count_job c = {hits};
        sy_ck_pool_run(p, count_tile, &c, n);
        for (size_t t = 0; t < MAX_TILES; t++) bad += atomic_load(&hits[t]) != (t < n ? 1 : 0);
    }
    CHECK_MSG(bad == 0, "%u threads, spin %u us: %d tiles ran a wrong number of times", threads, spin_us, bad);
    free(hits);
    sy_cpukern_pool_destroy(p);
}

int main(void) {
    run_many(2, 100);
    run_many(2, 0);
    run_many(4, 20);
    run_many(1, 0);
    sy_cpukern_pool *p = NULL;
    CHECK_FAILS(sy_cpukern_pool_create(0, 0, &p), SY_ERR_INVALID_ARGUMENT, "0 threads");
    CHECK(p == NULL);
    sy_cpukern_pool_destroy(NULL);
    CHECK(sy_cpukern_pool_threads(NULL) == 1);
    return TEST_SUMMARY();
}
