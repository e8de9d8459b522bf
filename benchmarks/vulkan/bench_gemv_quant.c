// Decode-step GEMV with block-quantised weights on the Vulkan delegate: y = linear(x [1, K], w
// [N, K]) for 576 -> 1536 (SmolLM2's up projection) and 576 -> 49152 (its LM head), with w in
// f32, q8_0, q4_0 and q4_1 (random blocks; the quantised kernels read the blocks directly).
// Prints the median time per execute, the weight bytes on the device (packed_bytes), the weight
// bandwidth that time implies, and the speed ratio against f32 weights of the same shape.
//
// usage: sy_bench_vulkan_gemv_quant [iterations (default 30)] [M (default 1)]
// M > 1 times the prefill kernels (x [M, K]) instead.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "switchyard/switchyard.h"

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

static unsigned g_seed = 11u;

static uint32_t next_rand(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/// Weights of dtype dt [N, K]: f32 in [-0.05, 0.05), or random blocks with scales near 2^-7.
static void *make_weights(sy_dtype dt, int64_t N, int64_t K, size_t *bytes_out) {
    size_t bytes = sy_dtype_row_bytes(dt, N * K);
    if (bytes == (size_t)-1) return NULL; // K not a multiple of the block
    uint8_t *w = malloc(bytes);
    if (!w) return NULL;
    if (dt == SY_DTYPE_F32) {
        float *f = (float *)w;
        for (int64_t i = 0; i < N * K; i++) f[i] = ((float)(next_rand() & 0xFFFF) / 32768.0f - 1.0f) * 0.05f;
    } else {
        size_t bb = sy_dtype_block_bytes(dt);
        for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)next_rand();
        for (size_t b = 0; b < bytes / bb; b++) { // f16 scale (and min): exponent 8, random mantissa
            for (int h = 0; h < (dt == SY_DTYPE_Q4_1 ? 2 : 1); h++) {
                uint16_t s = (uint16_t)((8u << 10) | (next_rand() & 0x3ffu));
                w[b * bb + 2 * h] = (uint8_t)s;
                w[b * bb + 2 * h + 1] = (uint8_t)(s >> 8);
            }
        }
    }
    *bytes_out = bytes;
    return w;
}

static sy_status build(sy_dtype dt, int64_t M, int64_t N, int64_t K, sy_program **out) {
    sy_graph *g = NULL;
    sy_status st = sy_graph_create(&g);
    if (st != SY_OK) return st;
    sy_value_desc d = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 2, .dims = {M, K},
                       .sym = {-1, -1}};
    const int64_t wd[2] = {N, K};
    uint32_t in[2], y = 0;
    size_t bytes = 0;
    void *w = make_weights(dt, N, K, &bytes);
    st = w ? sy_graph_add_value(g, &d, &in[0]) : SY_ERR_OUT_OF_MEMORY;
    if (st == SY_OK) st = sy_graph_add_constant(g, "w", dt, 2, wd, w, bytes, &in[1]);
    if (st == SY_OK) st = sy_graph_add_op(g, "linear", SY_OP_LINEAR, in, 2, NULL, 0, &y);
    if (st == SY_OK) st = sy_graph_set_output(g, y, "y");
    if (st == SY_OK) st = sy_program_from_graph(g, out);
    free(w);
    sy_graph_destroy(g);
    return st;
}

/// Median ms per execute of program p on "vulkan" (strict); packed bytes through *packed_out.
static sy_status time_vulkan(const sy_program *p, int64_t M, int64_t K, int iters, double *median_out,
                             size_t *packed_out) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    sy_status st = sy_config_create(&cfg);
    if (st == SY_OK) st = sy_config_set_backends(cfg, "vulkan");
    if (st == SY_OK) sy_config_set_policy(cfg, SY_POLICY_STRICT);
    if (st == SY_OK) st = sy_runtime_create(p, cfg, &rt);
    sy_config_destroy(cfg);
    float *x = malloc(sizeof(float) * (size_t)(M * K));
    double *times = malloc(sizeof(double) * (size_t)iters);
    if (st == SY_OK && (!x || !times)) st = SY_ERR_OUT_OF_MEMORY;
    for (int64_t k = 0; st == SY_OK && k < M * K; k++) x[k] = (float)(next_rand() & 0xFFFF) / 32768.0f - 1.0f;
    sy_tensor in = {.data = x, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {M, K}};
    if (st == SY_OK) st = sy_runtime_set_input(rt, "x", &in);
    for (int i = 0; i < 3 && st == SY_OK; i++) st = sy_runtime_execute(rt); // warm up
    for (int i = 0; i < iters && st == SY_OK; i++) {
        double a = now_ms();
        st = sy_runtime_execute(rt);
        times[i] = now_ms() - a;
    }
    if (st == SY_OK) {
        qsort(times, (size_t)iters, sizeof *times, cmp_double);
        *median_out = times[iters / 2];
        sy_runtime_stats stats;
        if (sy_runtime_get_stats(rt, &stats) == SY_OK) *packed_out = stats.packed_bytes;
    }
    free(times);
    free(x);
    sy_runtime_destroy(rt);
    return st;
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 30;
    int64_t M = argc > 2 ? atoll(argv[2]) : 1;
    if (iters < 1 || M < 1 || M > 4096) {
        fprintf(stderr, "usage: %s [iterations >= 1] [M in 1..4096]\n", argv[0]);
        return 2;
    }
    sy_set_log_callback(on_log, NULL, SY_LOG_INFO);
    const int64_t shapes[2][2] = {{576, 1536}, {576, 49152}}; // K, N
    const sy_dtype dts[4] = {SY_DTYPE_F32, SY_DTYPE_Q8_0, SY_DTYPE_Q4_0, SY_DTYPE_Q4_1};
    printf("linear on vulkan, M = %lld (%s), %d timed executes after 3 warm-up\n", (long long)M,
           M == 1 ? "the GEMV kernels" : "the tiled kernels", iters);
    printf("\n%-14s %-6s %10s %12s %10s %10s\n", "K -> N", "w", "median ms", "w MiB", "w GB/s", "vs f32");
    int printed_device = 0;
    for (int s = 0; s < 2; s++) {
        double f32_ms = 0;
        for (int d = 0; d < 4; d++) {
            sy_program *p = NULL;
            double ms = 0;
            size_t packed = 0;
            sy_status st = build(dts[d], M, shapes[s][1], shapes[s][0], &p);
            if (st == SY_OK) st = time_vulkan(p, M, shapes[s][0], iters, &ms, &packed);
            sy_program_destroy(p);
            if (st != SY_OK) {
                fprintf(stderr, "%s weights: %s: %s\n", sy_dtype_name(dts[d]), sy_status_name(st), sy_last_error());
                return 1;
            }
            if (!printed_device) {
                fprintf(stderr, "vulkan device: %s\n", g_device);
                printed_device = 1;
            }
            if (d == 0) f32_ms = ms;
            char shape[32];
            snprintf(shape, sizeof shape, "%lld -> %lld", (long long)shapes[s][0], (long long)shapes[s][1]);
            printf("%-14s %-6s %10.3f %12.2f %10.2f %9.2fx\n", shape, sy_dtype_name(dts[d]), ms,
                   (double)packed / (1 << 20), (double)packed / (ms * 1e6), f32_ms / ms);
        }
    }
    printf("\n(w MiB = bytes on the device = packed_bytes; vs f32 = f32 median / this median)\n");
    return 0;
}
