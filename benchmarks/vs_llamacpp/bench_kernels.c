// bench_cpukern: the CPU kernels (delegates/xnnpack/kernels) at the SmolLM2-135M shapes.
// GEMV (decode) per weight dtype and shape at 1 and 2 threads, as GB/s of weight bytes read
// against the read bandwidth the probe measures in the same run (the weights cycle through
// copies larger than the last-level cache, as a decode step's do); GEMM with 128 rows (prefill)
// as GFLOP/s; the fused gate/up + SiLU·mul against two GEMVs; pthreadpool's yield-workers flag.
//
// usage: bench_cpukern [--isa NAME] [--threads 1,2] [--ms N per figure] [--dtype NAME] [--load N]
//                      [--yield] [--kpool] [--exact] [--packed]
//   --load N  runs N busy processes alongside (the "loaded machine" case), killed at exit
//   --yield   PTHREADPOOL_FLAG_YIELD_WORKERS on every call
//   --kpool   the kernels' own caller-driven pool (pool.c) instead of pthreadpool
//   --exact   block dtypes against f32 activations; --packed: weights packed by sy_cpukern_pack
//   --decode-step N  instead of the tables: N tokens of every linear of a 135M decode step

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchmarks/vs_llamacpp/bwprobe.h"
#include "delegates/xnnpack/kernels/cpukern.h"

typedef struct shape {
    const char *what;
    int64_t n, k;
} shape;

static const shape shapes[] = {
    {"q/o proj 576->576", 576, 576},   {"k/v proj 576->192", 192, 576}, {"gate/up 576->1536", 1536, 576},
    {"down 1536->576", 576, 1536},     {"lm head 576->49152", 49152, 576},
};

static void fill_weights(sy_cpukern_dtype dt, uint8_t *w, size_t bytes, int64_t n, int64_t k) {
    uint32_t s = 12345;
    for (size_t i = 0; i < bytes; i++) {
        s = s * 1664525u + 1013904223u;
        w[i] = (uint8_t)(s >> 24);
    }
    size_t row = sy_cpukern_row_bytes(dt, k);
    for (int64_t r = 0; r < n; r++) {
        uint8_t *p = w + (size_t)r * row;
        if (dt == SY_CPUKERN_F32) {
            for (int64_t i = 0; i < k; i++) ((float *)(void *)p)[i] = (float)((i * 7 + r) % 13) * 0.01f - 0.06f;
        } else if (dt == SY_CPUKERN_F16) {
            for (int64_t i = 0; i < k; i++) ((uint16_t *)(void *)p)[i] = (uint16_t)(0x2000u + (unsigned)(i % 512));
        } else {
            size_t bb = dt == SY_CPUKERN_Q8_0 ? 34 : dt == SY_CPUKERN_Q4_0 ? 18 : 20;
            for (int64_t b = 0; b < k / 32; b++) {
                uint16_t d = 0x2000; // ~0.0078
                memcpy(p + b * bb, &d, 2);
                if (dt == SY_CPUKERN_Q4_1) memcpy(p + b * bb + 2, &d, 2);
            }
        }
    }
}

typedef struct run_cfg {
    sy_cpu_isa isa;
    double ms;
    uint32_t flags;
    int kpool; // use the kernels' own pool instead of pthreadpool
    int exact; // block dtypes: f32 activations (args.exact), not q8
    int packed; // block dtypes: weights packed once (sy_cpukern_pack), q8 activations
} run_cfg;

// Seconds per call (best and median of 5 timed batches of ~ms/5 each) for calls cycling over
// `copies` weight buffers: the counter runs on across batches and every batch covers all copies,
// so no batch reads weights a previous one left in the cache.
// Process CPU seconds: on a shared machine, the time the kernels actually ran (plus spinning).
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double time_linear(const run_cfg *c, sy_cpukern_linear_args a, uint8_t *const *w, int copies,
                          pthreadpool_t pool, double *median_out, double *cpu_out) {
    double per[5];
    long reps = copies, next = 0;
    for (;;) { // calibrate
        double t0 = bw_now();
        for (long r = 0; r < reps; r++) {
            a.w = w[next++ % copies];
            sy_cpukern_linear(&a, pool);
        }
        double dt = bw_now() - t0;
        if (dt > c->ms / 5e3 || reps > (1L << 22)) break;
        reps *= 2;
    }
    double cpu_best = 1e30;
    for (int b = 0; b < 5; b++) {
        double t0 = bw_now(), c0 = cpu_now();
        for (long r = 0; r < reps; r++) {
            a.w = w[next++ % copies];
            sy_cpukern_linear(&a, pool);
        }
        per[b] = (bw_now() - t0) / (double)reps;
        double cpu = (cpu_now() - c0) / (double)reps;
        if (cpu < cpu_best) cpu_best = cpu;
    }
    if (cpu_out) *cpu_out = cpu_best;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (per[j] < per[i]) {
                double t = per[i];
                per[i] = per[j], per[j] = t;
            }
    *median_out = per[2];
    return per[0];
}

static void bench_dtype(const run_cfg *c, sy_cpukern_dtype dt, const int *threads, int n_threads,
                        const double *bw) {
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const shape *sh = &shapes[s];
        size_t bytes = (size_t)sh->n * sy_cpukern_row_bytes(dt, sh->k);
        int copies = (int)((256u << 20) / bytes) + 1;
        if (copies > 1024) copies = 1024;
        static uint8_t *w[1024];
        for (int i = 0; i < copies; i++) {
            w[i] = aligned_alloc(64, (bytes + 63) / 64 * 64);
            fill_weights(dt, w[i], bytes, sh->n, sh->k);
            if (c->packed) { // same size rounded to 16 rows; the GGUF copy is dropped
                uint8_t *pw = aligned_alloc(64, (sy_cpukern_packed_bytes(dt, sh->n, sh->k) + 63) / 64 * 64);
                sy_cpukern_pack(dt, sh->n, sh->k, w[i], pw, "bench", NULL);
                free(w[i]);
                w[i] = pw;
            }
        }
        float *x = calloc((size_t)(128 * sh->k), 4), *y = calloc((size_t)(128 * sh->n), 4);
        for (int64_t i = 0; i < 128 * sh->k; i++) x[i] = (float)(i % 17) * 0.1f - 0.8f;
        void *scratch = aligned_alloc(64, sy_cpukern_linear_scratch_bytes(dt, 128, sh->k) + 64);
        for (int t = 0; t < n_threads; t++) {
            pthreadpool_t pool = threads[t] > 1 && !c->kpool ? pthreadpool_create((size_t)threads[t]) : NULL;
            sy_cpukern_pool *kp = NULL;
            if (threads[t] > 1 && c->kpool) sy_cpukern_pool_create((uint32_t)threads[t], 50, &kp);
            sy_cpukern_linear_args a = {.dtype = dt, .m = 1, .n = sh->n, .k = sh->k, .x = x, .w = w[0], .y = y,
                                        .scratch = scratch, .isa = c->isa, .pool_flags = c->flags, .kpool = kp,
                                        .exact = c->exact, .packed = c->packed};
            double med, best = time_linear(c, a, w, copies, pool, &med, NULL);
            double gbs = (double)bytes / best / 1e9, gbs_med = (double)bytes / med / 1e9;
            double cmed, ccpu, cbest = time_linear(c, a, w, 1, pool, &cmed, &ccpu); // one copy: cache resident
            (void)cmed, (void)cbest;
            // prefill: 128 rows against one copy (compute bound; cache-resident weights are fine)
            a.m = 128;
            double gmed, gcpu, gbest = time_linear(c, a, w, 1, pool, &gmed, &gcpu);
            double gflops = 2.0 * 128 * (double)sh->n * (double)sh->k / gbest / 1e9;
            double gflops_cpu = 2.0 * 128 * (double)sh->n * (double)sh->k / gcpu / 1e9 * threads[t];
            printf("| %-5s | %-20s | %d | %8.1f | %6.2f | %6.2f | %4.0f %% | %7.1f | %7.1f | %7.1f |\n",
                   sy_cpukern_dtype_name(dt), sh->what, threads[t], best * 1e6, gbs, gbs_med, 100.0 * gbs / bw[t],
                   (double)bytes / ccpu / 1e9 * threads[t], gflops, gflops_cpu);
            
            fflush(stdout);
            pthreadpool_destroy(pool);
            sy_cpukern_pool_destroy(kp);
        }
        for (int i = 0; i < copies; i++) free(w[i]);
        free(x), free(y), free(scratch);
    }
}

// The MLP front for one token: gate GEMV + up GEMV (2 dispatches) vs the fused call (1).
static void bench_gate_up(const run_cfg *c, sy_cpukern_dtype dt, int threads) {
    const int64_t n = 1536, k = 576;
    size_t bytes = (size_t)n * sy_cpukern_row_bytes(dt, k);
    int copies = (int)((256u << 20) / (2 * bytes)) + 1;
    if (copies > 32) copies = 32;
    uint8_t *w[64];
    for (int i = 0; i < 2 * copies; i++) {
        w[i] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        fill_weights(dt, w[i], bytes, n, k);
    }
    float x[576], g[1536], u[1536], h[1536], rw[576];
    for (int i = 0; i < 576; i++) x[i] = (float)(i % 11) * 0.1f - 0.5f, rw[i] = 1.0f;
    sy_cpukern_q8x xq[18];
    pthreadpool_t pool = threads > 1 && !c->kpool ? pthreadpool_create((size_t)threads) : NULL;
    sy_cpukern_pool *kp = NULL;
    if (threads > 1 && c->kpool) sy_cpukern_pool_create((uint32_t)threads, 50, &kp);
    double best[2] = {1e9, 1e9};
    for (int round = 0; round < 5; round++) {
        for (int mode = 0; mode < 2; mode++) {
            int reps = (int)(c->ms / 10.0 * 20) + 20;
            double t0 = bw_now();
            for (int r = 0; r < reps; r++) {
                const uint8_t *wg = w[2 * (r % copies)], *wu = w[2 * (r % copies) + 1];
                sy_cpukern_rmsnorm_quantize(x, rw, k, 1e-5f, NULL, xq);
                if (mode == 0) {
                    sy_cpukern_linear_args a = {.dtype = dt, .m = 1, .n = n, .k = k, .x = x, .w = wg, .y = g,
                                                .xq = xq, .isa = c->isa, .pool_flags = c->flags, .kpool = kp};
                    sy_cpukern_linear(&a, pool);
                    a.w = wu, a.y = u;
                    sy_cpukern_linear(&a, pool);
                    for (int i = 0; i < n; i++) h[i] = g[i] / (1.0f + __builtin_expf(-g[i])) * u[i];
                } else {
                    sy_cpukern_gate_up_args a = {.dtype = dt, .n = n, .k = k, .x = x, .xq = xq, .w_gate = wg,
                                                 .w_up = wu, .h = h, .isa = c->isa, .pool_flags = c->flags,
                                                 .kpool = kp};
                    sy_cpukern_gate_up_silu(&a, pool);
                }
            }
            double per = (bw_now() - t0) / reps;
            if (per < best[mode]) best[mode] = per;
        }
    }
    printf("| %-5s | %d | %8.1f | %8.1f | %5.2fx | %6.2f |\n", sy_cpukern_dtype_name(dt), threads, best[0] * 1e6,
           best[1] * 1e6, best[0] / best[1], 2.0 * (double)bytes / best[1] / 1e9);
    pthreadpool_destroy(pool);
    sy_cpukern_pool_destroy(kp);
    for (int i = 0; i < 2 * copies; i++) free(w[i]);
}

// Every linear of one SmolLM2-135M decode step (30 layers of q, k, v, o, gate, up, down, then the
// tied LM head), each with its own weights, as a decode step streams them: tokens/s of the
// linears alone, an upper bound for a whole decode step with these kernels.
static void bench_decode_step(const run_cfg *c, sy_cpukern_dtype dt, int threads, int tokens) {
    enum { LAYERS = 30, PER = 7 };
    static const int64_t nk[PER][2] = {{576, 576}, {192, 576}, {192, 576}, {576, 576},
                                       {1536, 576}, {1536, 576}, {576, 1536}};
    uint8_t *w[LAYERS * PER + 1];
    size_t total = 0;
    for (int l = 0; l <= LAYERS * PER; l++) {
        int64_t n = l < LAYERS * PER ? nk[l % PER][0] : 49152, k = l < LAYERS * PER ? nk[l % PER][1] : 576;
        size_t bytes = (size_t)n * sy_cpukern_row_bytes(dt, k);
        w[l] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        fill_weights(dt, w[l], bytes, n, k);
        total += bytes;
    }
    float x[1536], y[49152];
    for (int i = 0; i < 1536; i++) x[i] = (float)(i % 13) * 0.1f - 0.6f;
    sy_cpukern_q8x xq[48];
    pthreadpool_t pool = threads > 1 && !c->kpool ? pthreadpool_create((size_t)threads) : NULL;
    sy_cpukern_pool *kp = NULL;
    if (threads > 1 && c->kpool) sy_cpukern_pool_create((uint32_t)threads, 50, &kp);
    double best = 1e30, times[64];
    int nt = tokens < 64 ? tokens : 64;
    for (int t = 0; t < nt + 1; t++) { // the first token warms up
        double t0 = bw_now();
        for (int l = 0; l <= LAYERS * PER; l++) {
            int64_t n = l < LAYERS * PER ? nk[l % PER][0] : 49152, k = l < LAYERS * PER ? nk[l % PER][1] : 576;
            sy_cpukern_linear_args a = {.dtype = dt, .m = 1, .n = n, .k = k, .x = x, .w = w[l], .y = y,
                                        .scratch = xq, .isa = c->isa, .pool_flags = c->flags, .kpool = kp,
                                        .exact = c->exact};
            sy_cpukern_linear(&a, pool);
        }
        double dtm = bw_now() - t0;
        if (t) times[t - 1] = dtm;
        if (t && dtm < best) best = dtm;
    }
    for (int i = 0; i < nt; i++)
        for (int j = i + 1; j < nt; j++)
            if (times[j] < times[i]) {
                double tmp = times[i];
                times[i] = times[j], times[j] = tmp;
            }
    double med = times[nt / 2];
    printf("| %-5s | %d | %s | %7.1f | %7.1f | %6.1f | %6.2f | %6.2f |\n", sy_cpukern_dtype_name(dt), threads,
           c->kpool ? "sy_cpukern_pool" : c->flags ? "pthreadpool+yield" : "pthreadpool", 1.0 / med, 1.0 / best,
           (double)total / 1e6, (double)total / med / 1e9, (double)total / best / 1e9);
    fflush(stdout);
    pthreadpool_destroy(pool);
    sy_cpukern_pool_destroy(kp);
    for (int l = 0; l <= LAYERS * PER; l++) free(w[l]);
}

static pid_t load_pids[8];
static int n_load;
static void start_load(int n) {
    for (int i = 0; i < n && i < 8; i++) {
        pid_t p = fork();
        if (p == 0) {
            volatile unsigned long v = 0;
            alarm(600); // never outlive a forgotten parent
            for (;;) v++;
        }
        if (p > 0) load_pids[n_load++] = p;
    }
}
static void stop_load(void) {
    for (int i = 0; i < n_load; i++) {
        kill(load_pids[i], SIGKILL);
        waitpid(load_pids[i], NULL, 0);
    }
    n_load = 0;
}

int main(int argc, char **argv) {
    run_cfg c = {.isa = SY_CPU_ISA_AUTO, .ms = 300, .flags = 0};
    int threads[2] = {1, 2}, n_threads = 2, only = -1, load = 0, step_tokens = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--yield")) {
            c.flags = PTHREADPOOL_FLAG_YIELD_WORKERS;
            continue;
        }
        if (!strcmp(a, "--kpool")) {
            c.kpool = 1;
            continue;
        }
        if (!strcmp(a, "--packed")) {
            c.packed = 1;
            continue;
        }
        if (!strcmp(a, "--exact")) {
            c.exact = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: bench_cpukern [--isa NAME] [--threads 1|2|1,2] [--ms N] [--dtype NAME] "
                            "[--load N] [--yield] [--kpool] [--exact] [--packed] [--decode-step N]\n");
            return 2;
        }
        i++;
        if (!strcmp(a, "--isa")) {
            if (sy_cpu_isa_parse(v, &c.isa) != SY_OK || sy_cpu_isa_check(c.isa) != SY_OK) {
                fprintf(stderr, "bench_cpukern: %s\n", sy_last_error());
                return 2;
            }
        } else if (!strcmp(a, "--threads")) {
            n_threads = sscanf(v, "%d,%d", &threads[0], &threads[1]);
        } else if (!strcmp(a, "--ms")) {
            c.ms = atof(v);
        } else if (!strcmp(a, "--decode-step")) {
            step_tokens = atoi(v);
        } else if (!strcmp(a, "--load")) {
            load = atoi(v);
        } else if (!strcmp(a, "--dtype")) {
            for (int d = 0; d < SY_CPUKERN_DTYPE_COUNT; d++)
                if (!strcmp(v, sy_cpukern_dtype_name((sy_cpukern_dtype)d))) only = d;
        }
    }
    sy_cpu_isa isa = c.isa == SY_CPU_ISA_AUTO ? sy_cpu_isa_active() : c.isa;
    start_load(load);
    double bw[2];
    for (int t = 0; t < n_threads; t++) bw[t] = bw_probe(512u << 20, threads[t], 5);
    printf("# CPU kernels, ISA %s, pool %s, %d busy background processes\n", sy_cpu_isa_name(isa),
           c.kpool ? "sy_cpukern_pool (caller-driven)" : c.flags ? "pthreadpool + YIELD_WORKERS" : "pthreadpool", load);
    for (int t = 0; t < n_threads; t++) printf("read bandwidth (probe), %d thread(s): %.2f GB/s\n", threads[t], bw[t]);
    if (step_tokens > 0) { // only the whole-decode-step figure
        printf("\n| dtype | thr | pool | linears tok/s median | best | weight MB | GB/s median | GB/s best |\n"
               "|---|---|---|---|---|---|---|---|\n");
        for (int d = 0; d < SY_CPUKERN_DTYPE_COUNT; d++)
            for (int t = 0; t < n_threads; t++)
                if (only < 0 || only == d) bench_decode_step(&c, (sy_cpukern_dtype)d, threads[t], step_tokens);
        stop_load();
        return 0;
    }
    printf("\n(in cache, CPU: one weight copy, bytes per CPU-second × threads, i.e. what the kernel does when it\n"
           " runs, whatever else the machine does; GEMM: 128 rows, wall clock best and per CPU-second)\n\n"
           "| dtype | shape | thr | GEMV µs (best) | GB/s best | GB/s median | of probe | GB/s in cache, CPU | "
           "GEMM GFLOP/s | GEMM GFLOP/s CPU |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (int d = 0; d < SY_CPUKERN_DTYPE_COUNT; d++)
        if (only < 0 || only == d) bench_dtype(&c, (sy_cpukern_dtype)d, threads, n_threads, bw);
    printf("\n| dtype | thr | gate+up+silu µs (2 GEMVs) | fused µs | speedup | fused GB/s |\n|---|---|---|---|---|---|\n");
    for (int d = SY_CPUKERN_Q8_0; d < SY_CPUKERN_DTYPE_COUNT; d++)
        for (int t = 0; t < n_threads; t++)
            if (only < 0 || only == d) bench_gate_up(&c, (sy_cpukern_dtype)d, threads[t]);
    stop_load();
    return 0;
}
