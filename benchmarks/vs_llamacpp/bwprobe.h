#pragma once

// Read-bandwidth probe: T threads each sum their slice of a buffer far larger than the last-level
// cache, as a decode step streams its weights. The best of several passes is the machine's read
// bandwidth; a GEMV reaching it is memory bound.

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bw_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bw_slice {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
    pthread_barrier_t *start;
    double t0, t1;
} bw_slice;

static void *bw_reader(void *arg) {
    bw_slice *s = arg;
    pthread_barrier_wait(s->start);
    s->t0 = bw_now();
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (size_t i = 0; i + 8 <= s->n; i += 8) { // 8 independent sums: the loop vectorises at -O2+
        a0 += s->p[i], a1 += s->p[i + 1], a2 += s->p[i + 2], a3 += s->p[i + 3];
        a4 += s->p[i + 4], a5 += s->p[i + 5], a6 += s->p[i + 6], a7 += s->p[i + 7];
    }
    s->sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    s->t1 = bw_now();
    return NULL;
}

/// Best read bandwidth in GB/s over `passes` passes of `bytes` with `threads` threads (<= 16);
/// 0 on allocation failure.
static inline double bw_probe(size_t bytes, int threads, int passes) {
    size_t n = bytes / 8 / (size_t)threads * (size_t)threads;
    uint64_t *buf = NULL;
    if (posix_memalign((void **)&buf, 64, n * 8) != 0) return 0.0;
    for (size_t i = 0; i < n; i++) buf[i] = i; // touch every page before timing
    double best = 0.0;
    volatile uint64_t sink = 0;
    for (int pass = 0; pass < passes; pass++) {
        pthread_t tid[16];
        bw_slice sl[16];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (int t = 0; t < threads; t++) {
            sl[t] = (bw_slice){buf + n / (size_t)threads * (size_t)t, n / (size_t)threads, 0, &start, 0, 0};
            if (t) pthread_create(&tid[t], NULL, bw_reader, &sl[t]);
        }
        bw_reader(&sl[0]);
        double t0 = sl[0].t0, t1 = sl[0].t1;
        for (int t = 1; t < threads; t++) {
            pthread_join(tid[t], NULL);
            if (sl[t].t0 < t0) t0 = sl[t].t0;
            if (sl[t].t1 > t1) t1 = sl[t].t1;
        }
        for (int t = 0; t < threads; t++) sink += sl[t].sum;
        pthread_barrier_destroy(&start);
        double gbs = (double)(n * 8) / (t1 - t0) / 1e9;
        if (gbs > best) best = gbs;
    }
    (void)sink;
    free(buf);
    return best;
}
