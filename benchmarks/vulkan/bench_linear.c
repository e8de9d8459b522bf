// Vulkan vs portable on a linear stack: `layers` blocks of
//   x [1, T, 576] -> linear(576 -> 1536, bias) -> linear(1536 -> 576, bias)
// at T = 1 (decode: the matrix-vector kernel) and T = 64 (prefill: the tiled kernel), with the
// weights as program constants (uploaded once to the device at compile). Prints the median and
// mean time per execute, the bytes each Vulkan execute copies between host and device, the
// speed ratio, and the largest difference between the two outputs as a sanity check.
//
// usage: sy_bench_vulkan_linear [layers (default 4)] [iterations (default 40)]

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delegates/vulkan/vulkan_debug.h"
#include "switchyard/switchyard.h"

#define D_MODEL 576
#define D_FF 1536

static char g_device[512] = "(unknown device)";

static void on_log(void *user, sy_log_level level, const char *msg) {
    (void)user, (void)level;
    const char *p = strstr(msg, "vulkan: using ");
    if (p) snprintf(g_device, sizeof g_device, "%s", p + strlen("vulkan: using "));
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static unsigned g_seed = 7u;

static float frand(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return ((float)((g_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f) * 0.05f;
}

static float *random_floats(size_t n) {
    float *d = malloc(n * sizeof *d);
    for (size_t i = 0; d && i < n; i++) d[i] = frand();
    return d;
}

#define TRY(expr)                                                                               \
    do {                                                                                        \
        sy_status s_ = (expr);                                                                  \
        if (s_ != SY_OK) {                                                                      \
            fprintf(stderr, "%s failed: %s: %s\n", #expr, sy_status_name(s_), sy_last_error()); \
            return s_;                                                                          \
        }                                                                                       \
    } while (0)

static sy_status add_linear(sy_graph *g, const char *name, uint32_t x, int64_t n_out, int64_t n_in, uint32_t *out) {
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.w", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    const int64_t wd[2] = {n_out, n_in}, bd[1] = {n_out};
    float *w = random_floats((size_t)(n_out * n_in)), *b = random_floats((size_t)n_out);
    if (!w || !b) return SY_ERR_OUT_OF_MEMORY;
    uint32_t in[3] = {x, 0, 0};
    sy_status st = sy_graph_add_constant(g, wn, SY_DTYPE_F32, 2, wd, w, (size_t)(n_out * n_in) * 4, &in[1]);
    if (st == SY_OK) st = sy_graph_add_constant(g, bn, SY_DTYPE_F32, 1, bd, b, (size_t)n_out * 4, &in[2]);
    if (st == SY_OK) st = sy_graph_add_op(g, name, SY_OP_LINEAR, in, 3, NULL, 0, out);
    free(w);
    free(b);
    return st;
}

static sy_status build(int layers, int64_t T, sy_program **out) {
    sy_graph *g = NULL;
    TRY(sy_graph_create(&g));
    sy_value_desc d = {.name = "x",
                       .dtype = SY_DTYPE_F32,
                       .role = SY_ROLE_INPUT,
                       .rank = 3,
                       .dims = {1, T, D_MODEL},
                       .sym = {-1, -1, -1}};
    uint32_t h;
    sy_status st = sy_graph_add_value(g, &d, &h);
    for (int l = 0; l < layers && st == SY_OK; l++) {
        char up[32], down[32];
        snprintf(up, sizeof up, "l%d.up", l);
        snprintf(down, sizeof down, "l%d.down", l);
        st = add_linear(g, up, h, D_FF, D_MODEL, &h);
        if (st == SY_OK) st = add_linear(g, down, h, D_MODEL, D_FF, &h);
    }
    if (st == SY_OK) st = sy_graph_set_output(g, h, "y");
    if (st == SY_OK) st = sy_program_from_graph(g, out);
    sy_graph_destroy(g);
    if (st != SY_OK) fprintf(stderr, "building the program failed: %s\n", sy_last_error());
    return st;
}

typedef struct result {
    double median_ms, mean_ms, compile_ms;
    size_t up_bytes, down_bytes, packed_bytes;
    float *y; // (T * D_MODEL)
} result;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static sy_status run(const sy_program *p, const char *backend, int64_t T, int iters, const float *x, result *r) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    TRY(sy_config_create(&cfg));
    TRY(sy_config_set_backends(cfg, backend));
    sy_config_set_policy(cfg, SY_POLICY_STRICT); // a node that does not run on `backend` is an error
    double t0 = now_ms();
    sy_status st = sy_runtime_create(p, cfg, &rt);
    r->compile_ms = now_ms() - t0;
    sy_config_destroy(cfg);
    if (st != SY_OK) {
        fprintf(stderr, "runtime on %s: %s\n", backend, sy_last_error());
        return st;
    }
    sy_tensor in = {.data = (void *)x, .dtype = SY_DTYPE_F32, .rank = 3, .dims = {1, T, D_MODEL}};
    double *times = malloc(sizeof(double) * (size_t)iters);
    st = times ? sy_runtime_set_input(rt, "x", &in) : SY_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < 3 && st == SY_OK; i++) st = sy_runtime_execute(rt); // warm up
    double sum = 0;
    for (int i = 0; i < iters && st == SY_OK; i++) {
        double a = now_ms();
        st = sy_runtime_execute(rt);
        times[i] = now_ms() - a;
        sum += times[i];
    }
    if (st == SY_OK) {
        qsort(times, (size_t)iters, sizeof *times, cmp_double);
        r->median_ms = times[iters / 2];
        r->mean_ms = sum / iters;
        sy_vulkan_debug_counters c;
        sy_vulkan_debug_get(&c);
        r->up_bytes = strcmp(backend, "vulkan") == 0 ? c.last_upload_bytes : 0;
        r->down_bytes = strcmp(backend, "vulkan") == 0 ? c.last_download_bytes : 0;
        sy_runtime_stats stats;
        if (sy_runtime_get_stats(rt, &stats) == SY_OK) r->packed_bytes = stats.packed_bytes;
        sy_tensor y;
        st = sy_runtime_get_output(rt, "y", &y);
        if (st == SY_OK) memcpy(r->y, y.data, (size_t)(T * D_MODEL) * sizeof(float));
    } else {
        fprintf(stderr, "execute on %s: %s\n", backend, sy_last_error());
    }
    free(times);
    sy_runtime_destroy(rt);
    return st;
}

int main(int argc, char **argv) {
    int layers = argc > 1 ? atoi(argv[1]) : 4;
    int iters = argc > 2 ? atoi(argv[2]) : 40;
    if (layers < 1 || iters < 1) {
        fprintf(stderr, "usage: %s [layers >= 1] [iterations >= 1]\n", argv[0]);
        return 2;
    }
    sy_set_log_callback(on_log, NULL, SY_LOG_INFO);
    const double flops_per_token = 2.0 * 2.0 * D_MODEL * D_FF * layers;
    printf("linear stack: %d x (576 -> 1536 -> 576), f32 weights %.1f MiB, %d timed executes after 3 warm-up\n", layers,
           (double)layers * 2 * (D_MODEL * D_FF + D_FF) * 4 / (1 << 20), iters);
    int printed_device = 0;
    const int64_t Ts[2] = {1, 64};
    printf("\n%4s  %-9s %10s %10s %10s %9s %14s %14s %8s\n", "T", "backend", "median ms", "mean ms", "GFLOP/s",
           "create ms", "up B/exec", "down B/exec", "speedup");
    for (int ti = 0; ti < 2; ti++) {
        int64_t T = Ts[ti];
        sy_program *p = NULL;
        if (build(layers, T, &p) != SY_OK) return 1;
        float *x = random_floats((size_t)(T * D_MODEL));
        result rv = {.y = malloc((size_t)(T * D_MODEL) * 4)}, rp = {.y = malloc((size_t)(T * D_MODEL) * 4)};
        if (!x || !rv.y || !rp.y) return 1;
        sy_status sv = run(p, "vulkan", T, iters, x, &rv);
        sy_status sp = run(p, "portable", T, iters, x, &rp);
        if (!printed_device) {
            fprintf(stderr, "vulkan device: %s\n", g_device);
            printed_device = 1;
        }
        if (sp == SY_OK)
            printf("%4lld  %-9s %10.3f %10.3f %10.2f %9.1f %14s %14s %8s\n", (long long)T, "portable", rp.median_ms,
                   rp.mean_ms, flops_per_token * (double)T / rp.median_ms * 1e-6, rp.compile_ms, "-", "-", "1.00");
        if (sv == SY_OK) {
            char up[32], down[32], ratio[16];
            snprintf(up, sizeof up, "%zu", rv.up_bytes);
            snprintf(down, sizeof down, "%zu", rv.down_bytes);
            snprintf(ratio, sizeof ratio, "%.2f", sp == SY_OK ? rp.median_ms / rv.median_ms : 0.0);
            printf("%4lld  %-9s %10.3f %10.3f %10.2f %9.1f %14s %14s %8s\n", (long long)T, "vulkan", rv.median_ms,
                   rv.mean_ms, flops_per_token * (double)T / rv.median_ms * 1e-6, rv.compile_ms, up, down, ratio);
        }
        if (sv == SY_OK && sp == SY_OK) {
            double maxdiff = 0;
            for (int64_t i = 0; i < T * D_MODEL; i++) {
                double dlt = fabs((double)rv.y[i] - rp.y[i]);
                if (dlt > maxdiff) maxdiff = dlt;
            }
            printf("      max |vulkan - portable| = %.3g; constants uploaded once: %.1f MiB\n", maxdiff,
                   (double)rv.packed_bytes / (1 << 20));
        }
        free(x), free(rv.y), free(rp.y);
        sy_program_destroy(p);
        if (sv != SY_OK || sp != SY_OK) return 1;
    }
    printf("\n(speedup = portable median / vulkan median; copy bytes are the input x up and output y down:\n"
           " weights stay on the device)\n");
    return 0;
}
