// A caller-driven thread pool for the kernels, built for shared machines.
//
// pthreadpool's caller waits until every worker has woken up and checked in, even a worker
// that finds no work left; on a loaded machine each wake-up waits for a scheduler slot, so a
// decode step of ~200 GEMVs stalls ~200 times (2 threads then run slower than 1). Here the
// caller claims tiles from the same atomic counter as the workers and only waits for tiles a
// worker has actually claimed: a worker that is not running simply does not take part. Idle
// workers spin for `spin_us` (back-to-back calls find them awake), then sleep on a condition
// variable, so they never burn a core while another delegate runs.

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/status.h"
#include "delegates/xnnpack/kernels/cpukern_internal.h"

#define MAX_WORKERS 63

typedef void (*pool_fn)(void *ctx, size_t tile);

struct sy_cpukern_pool {
    pthread_t threads[MAX_WORKERS];
    uint32_t n_workers;
    uint32_t spin_us;
    // The job: written by the caller before it publishes `state`; a worker reads them after
    // loading `state` and only uses them when its claim (a CAS on the same `state`) succeeds,
    // which proves no newer job was published in between.
    _Atomic(pool_fn) fn;
    _Atomic(void *) ctx;
    atomic_size_t n_tiles;
    _Atomic uint64_t state; // generation << 32 | next tile to claim
    atomic_size_t done;     // tiles of the current job finished
    atomic_uint sleepers;   // workers waiting on `wake`
    atomic_bool stop;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Claims and runs tiles of the job of generation `gen` until none is left or a newer job appears.
static void work_on(sy_cpukern_pool *p, uint32_t gen) {
    for (;;) {
        uint64_t s = atomic_load_explicit(&p->state, memory_order_acquire);
        if ((uint32_t)(s >> 32) != gen) return;
        pool_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
        size_t n = atomic_load_explicit(&p->n_tiles, memory_order_relaxed), t = (size_t)(uint32_t)s;
        if (t >= n) return;
        if (!atomic_compare_exchange_weak_explicit(&p->state, &s, s + 1, memory_order_acq_rel, memory_order_relaxed))
            continue;
        fn(ctx, t);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

static void *worker_main(void *arg) {
    sy_cpukern_pool *p = arg;
    uint32_t seen = (uint32_t)(atomic_load(&p->state) >> 32);
    while (!atomic_load(&p->stop)) {
        double spin_end = now_us() + p->spin_us;
        uint32_t gen;
        // the clock is read once per 64 pauses (a few hundred ns): reading it every pause was 5 %
        // of a 2-thread decode's samples
        for (unsigned i = 1; (gen = (uint32_t)(atomic_load(&p->state) >> 32)) == seen && !atomic_load(&p->stop) &&
                             ((i & 63) || now_us() < spin_end);
             i++)
            cpu_relax();
        if (gen == seen) {
            pthread_mutex_lock(&p->mutex);
            atomic_fetch_add(&p->sleepers, 1);
            while ((gen = (uint32_t)(atomic_load(&p->state) >> 32)) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mutex);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mutex);
        }
        seen = gen;
        work_on(p, gen);
    }
    return NULL;
}

sy_status sy_cpukern_pool_create(uint32_t n_threads, uint32_t spin_us, sy_cpukern_pool **pool_out) {
    SY_CHECK(pool_out && n_threads >= 1 && n_threads <= MAX_WORKERS + 1, SY_ERR_INVALID_ARGUMENT,
             "kernel pool: %u threads (expected 1..%d)", n_threads, MAX_WORKERS + 1);
    sy_cpukern_pool *p = calloc(1, sizeof *p);
    SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "kernel pool: out of memory");
    p->spin_us = spin_us;
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->wake, NULL);
    for (uint32_t i = 0; i + 1 < n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            sy_cpukern_pool_destroy(p);
            return sy_error_set(SY_ERR_OUT_OF_MEMORY, "kernel pool: cannot start worker thread %u of %u", i + 1,
                                n_threads - 1);
        }
        p->n_workers++;
    }
    *pool_out = p;
    return SY_OK;
}

void sy_cpukern_pool_destroy(sy_cpukern_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mutex);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    for (uint32_t i = 0; i < p->n_workers; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mutex);
    free(p);
}

uint32_t sy_cpukern_pool_threads(const sy_cpukern_pool *p) { return p ? p->n_workers + 1 : 1; }

void sy_cpukern_pool_parallelize(sy_cpukern_pool *pool, void (*fn)(void *ctx, size_t i), void *ctx, size_t n) {
    sy_ck_pool_run(pool, fn, ctx, n);
}

void sy_ck_pool_run(sy_cpukern_pool *p, void (*fn)(void *ctx, size_t tile), void *ctx, size_t n_tiles) {
    if (!p || !p->n_workers || n_tiles <= 1 || n_tiles >= UINT32_MAX) { // tile numbers are 32-bit
        for (size_t t = 0; t < n_tiles; t++) fn(ctx, t);
        return;
    }
    // Close the previous job before writing the new one's parameters. Its tiles are all claimed
    // and done, but a worker may have read its state and be about to claim with parameters it
    // reads after this point: without the close, that claim (a CAS against the old, unchanged
    // state) succeeded and ran a tile of the new job's context under the old job's count, so the
    // caller returned while the tile still ran (a crash seen once in ~50 runs of generate). After
    // the close every claim against the old state fails; the exchange orders the claims that
    // came before it ahead of the parameter stores below.
    // (No claim succeeds between the load and the exchange: the old job has no tile left.)
    const uint64_t old = atomic_load(&p->state);
    atomic_exchange(&p->state, old | UINT64_C(0xffffffff)); // tile 2^32-1: past any job's end
    const uint32_t gen = (uint32_t)(old >> 32) + 1;
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&p->n_tiles, n_tiles, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store(&p->state, (uint64_t)gen << 32); // seq_cst: pairs with a sleeper's check
    if (atomic_load(&p->sleepers)) { // only pay for a wake-up when someone sleeps
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
    work_on(p, gen);
    // Only tiles a worker has claimed are outstanding; wait for those (spin, then yield).
    for (unsigned spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < n_tiles; spins++) {
        if (spins < 4096)
            cpu_relax();
        else
            sched_yield();
    }
}
