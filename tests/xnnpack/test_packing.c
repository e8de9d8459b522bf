// Weight packing of the XNNPACK delegate does not depend on shapes: a partition with linear (with
// and without bias) and matmul by a constant, over a symbolic token count T, runs at T = max,
// then at new shapes T = 1, 3, 5, 2 (and a seen one again), matching portable and a double
// reference every time, with packed_bytes (sy_runtime_get_stats) unchanged by the shapes seen
// and bounded by one copy of the weights.
//
// Where this XNNPACK honours a custom allocator (xnn_initialize's, installed here before the
// delegate initialises the library), the test also counts XNNPACK's live bytes: creating the
// runtime must allocate at least the weight bytes (the packing happens at compile time), running
// the new shapes must add far less than one more copy of them (per-shape runtimes with subgraph
// fully-connected nodes repack every weight for each new T), and destroying the runtime must give
// everything back. A build whose XNNPACK has no operator API the delegate knows keeps those
// subgraph nodes (its partition detail says "0 xnn operators"); there the test says so and only
// checks that the growth stays within one copy per shape.

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "runtime/runtime.h" // the partition's compile detail (how many XNNPACK operators)

#if defined(SY_HAVE_XNNPACK)

#if defined(__has_include)
#if __has_include(<xnnpack.h>)
#include <xnnpack.h>
#define HAVE_XNN_HEADER 1
#endif
#endif

#define TMAX 8
#define K 256
#define N1 384 // linear 1 outputs (a multiple of XNNPACK's tiles)
#define N2 160 // matmul / linear 2 outputs (not a multiple of 16: padded tiles)

static unsigned g_seed = 4242u;

static float frand(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

// --- XNNPACK's live bytes, through a counting allocator ---

static atomic_llong g_live;       // bytes XNNPACK holds now
static atomic_llong g_allocs;     // allocation calls seen (0: the allocator is not in use)

#if defined(HAVE_XNN_HEADER)
// Each block carries its size and offset in front of the pointer XNNPACK gets.
static void *count_aligned_allocate(void *context, size_t alignment, size_t size) {
    (void)context;
    const size_t pad = alignment > 16 ? alignment : 16;
    void *raw = NULL;
    if (posix_memalign(&raw, pad, pad + size) != 0) return NULL;
    char *p = (char *)raw + pad;
    ((size_t *)p)[-1] = size;
    ((size_t *)p)[-2] = pad;
    atomic_fetch_add(&g_live, (long long)size);
    atomic_fetch_add(&g_allocs, 1);
    return p;
}

static void count_deallocate(void *context, void *pointer) {
    (void)context;
    if (!pointer) return;
    char *p = pointer;
    atomic_fetch_sub(&g_live, (long long)((size_t *)p)[-1]);
    free(p - ((size_t *)p)[-2]);
}

static void *count_allocate(void *context, size_t size) {
    return count_aligned_allocate(context, 16, size);
}

static void *count_reallocate(void *context, void *pointer, size_t size) {
    if (!pointer) return count_allocate(context, size);
    void *q = count_allocate(context, size);
    if (!q) return NULL; // the old block stays valid, as XNNPACK expects
    const size_t old = ((size_t *)pointer)[-1];
    memcpy(q, pointer, old < size ? old : size);
    count_deallocate(context, pointer);
    return q;
}

static void install_counting_allocator(void) {
    static const struct xnn_allocator counting = {
        .context = NULL,
        .allocate = count_allocate,
        .reallocate = count_reallocate,
        .deallocate = count_deallocate,
        .aligned_allocate = count_aligned_allocate,
        .aligned_deallocate = count_deallocate,
    };
    // the first xnn_initialize of the process sets the allocator; the delegate's later call
    // (with NULL) keeps it
    if (xnn_initialize(&counting) != xnn_status_success) fprintf(stderr, "  note: xnn_initialize failed\n");
}
#else
static void install_counting_allocator(void) {}
#endif

// --- the program and its reference ---

typedef struct weights {
    float w1[N1 * K], b1[N1]; // linear 1: [N1, K] + bias
    float m2[N1 * N2];        // matmul right operand: [N1, N2]
    float w3[N2 * K];         // linear 2: [N2, K], no bias
} weights;

// y = matmul(silu(linear(x, w1, b1)), m2) + linear(x, w3) over x [1, T, K], T <= TMAX.
static sy_program *build(const weights *w) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, x, w1, b1, m2, w3, h, a, m, l3, y;
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, "T", TMAX, &t));
    sy_value_desc xd = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 3, .dims = {1, TMAX, K},
                        .sym = {-1, (int32_t)t, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    const int64_t dw1[2] = {N1, K}, db1[1] = {N1}, dm2[2] = {N1, N2}, dw3[2] = {N2, K};
    CHECK_OK(sy_graph_add_constant(g, "w1", SY_DTYPE_F32, 2, dw1, w->w1, sizeof(w->w1), &w1));
    CHECK_OK(sy_graph_add_constant(g, "b1", SY_DTYPE_F32, 1, db1, w->b1, sizeof(w->b1), &b1));
    CHECK_OK(sy_graph_add_constant(g, "m2", SY_DTYPE_F32, 2, dm2, w->m2, sizeof(w->m2), &m2));
    CHECK_OK(sy_graph_add_constant(g, "w3", SY_DTYPE_F32, 2, dw3, w->w3, sizeof(w->w3), &w3));
    const uint32_t in1[3] = {x, w1, b1};
    CHECK_OK(sy_graph_add_op(g, "lin1", SY_OP_LINEAR, in1, 3, NULL, 0, &h));
    CHECK_OK(sy_graph_add_op(g, "act", SY_OP_SILU, &h, 1, NULL, 0, &a));
    const uint32_t in2[2] = {a, m2};
    CHECK_OK(sy_graph_add_op(g, "mm2", SY_OP_MATMUL, in2, 2, NULL, 0, &m));
    const uint32_t in3[2] = {x, w3};
    CHECK_OK(sy_graph_add_op(g, "lin3", SY_OP_LINEAR, in3, 2, NULL, 0, &l3));
    const uint32_t in4[2] = {m, l3};
    CHECK_OK(sy_graph_add_op(g, "sum", SY_OP_ADD, in4, 2, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

// The same arithmetic written out in double, row by row.
static void reference(const weights *w, const float *x, int64_t t, float *y) {
    static double a[N1];
    for (int64_t r = 0; r < t; r++) {
        const float *xr = x + r * K;
        for (int n = 0; n < N1; n++) {
            double s = w->b1[n];
            for (int k = 0; k < K; k++) s += (double)xr[k] * w->w1[n * K + k];
            a[n] = s / (1.0 + exp(-s));
        }
        for (int n = 0; n < N2; n++) {
            double s = 0.0;
            for (int j = 0; j < N1; j++) s += a[j] * w->m2[j * N2 + n];
            for (int k = 0; k < K; k++) s += (double)xr[k] * w->w3[n * K + k];
            y[r * N2 + n] = (float)s;
        }
    }
}

static sy_runtime *make_runtime(const sy_program *p, const char *backends) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    // strict: every node must run on xnnpack; a plan per shape seen must fit the cache, so the
    // old per-shape weight copies (if any) would all stay alive and show in the byte count
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "shape_cache", "8"));
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

static int run(sy_runtime *rt, const float *x, int64_t t, float *y) {
    sy_tensor tx = {.data = (void *)x, .dtype = SY_DTYPE_F32, .rank = 3, .dims = {1, t, K}};
    sy_tensor ty;
    sy_status st = sy_runtime_set_input(rt, "x", &tx);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    if (st == SY_OK) st = sy_runtime_get_output(rt, "y", &ty);
    CHECK_OK(st);
    if (st != SY_OK) return 0;
    CHECK(ty.rank == 3 && ty.dims[1] == t && ty.dims[2] == N2);
    memcpy(y, ty.data, sizeof(float) * (size_t)(t * N2));
    return 1;
}

static void test_shapes_and_packing(void) {
    static weights w;
    for (int i = 0; i < N1 * K; i++) w.w1[i] = frand() * 0.1f;
    for (int i = 0; i < N1; i++) w.b1[i] = frand();
    for (int i = 0; i < N1 * N2; i++) w.m2[i] = frand() * 0.1f;
    for (int i = 0; i < N2 * K; i++) w.w3[i] = frand() * 0.1f;
    const long long weight_bytes = (long long)(sizeof(w.w1) + sizeof(w.b1) + sizeof(w.m2) + sizeof(w.w3));
    sy_program *p = build(&w);
    if (!p) return;

    const long long live_before = atomic_load(&g_live);
    sy_runtime *portable = make_runtime(p, "portable");
    sy_runtime *xnn = make_runtime(p, "xnnpack");
    const long long live_compiled = atomic_load(&g_live);
    if (!portable || !xnn) {
        sy_runtime_destroy(portable);
        sy_runtime_destroy(xnn);
        sy_program_destroy(p);
        return;
    }
    sy_runtime_stats s0, s1;
    CHECK_OK(sy_runtime_get_stats(xnn, &s0));
    CHECK(s0.n_partitions == 1);
    // one packed copy: at least the weights, at most twice them (XNNPACK pads tiles)
    CHECK_MSG(s0.packed_bytes >= (size_t)weight_bytes && s0.packed_bytes <= 2 * (size_t)weight_bytes,
              "packed_bytes %zu for %lld weight bytes", s0.packed_bytes, weight_bytes);
    const char *detail = xnn->parts[0].info.detail ? xnn->parts[0].info.detail : "";
    const int operators = strstr(detail, "3 xnn operators") != NULL;
    CHECK_MSG(operators || strstr(detail, "0 xnn operators") != NULL, "partition detail '%s'", detail);
    if (!operators)
        fprintf(stderr, "  note: linear stays in XNNPACK subgraphs in this build (%s): one weight copy per shape\n",
                detail);

    // T = max first (the plan made at compile time), then new shapes, then a seen one
    const int64_t steps[] = {TMAX, 1, 3, 5, 2, 1};
    static float x[TMAX * K], got[TMAX * N2], ref[TMAX * N2], exact[TMAX * N2];
    long long live_first = 0;
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        const int64_t t = steps[s];
        for (int64_t i = 0; i < t * K; i++) x[i] = frand();
        if (!run(portable, x, t, ref) || !run(xnn, x, t, got)) break;
        reference(&w, x, t, exact);
        CHECK_MSG(sy_test_allclose(got, ref, (long)(t * N2), 1e-4f, 1e-4f, "xnnpack vs portable"), "T=%lld",
                  (long long)t);
        CHECK_MSG(sy_test_allclose(got, exact, (long)(t * N2), 1e-4f, 1e-4f, "xnnpack vs double reference"),
                  "T=%lld", (long long)t);
        CHECK_OK(sy_runtime_get_stats(xnn, &s1));
        CHECK_MSG(s1.packed_bytes == s0.packed_bytes, "after T=%lld: packed_bytes %zu, at compile %zu",
                  (long long)t, s1.packed_bytes, s0.packed_bytes);
        if (s == 0) live_first = atomic_load(&g_live);
    }
    const long long live_shapes = atomic_load(&g_live);
    sy_runtime_destroy(xnn);
    const long long live_after = atomic_load(&g_live);
    sy_runtime_destroy(portable);
    sy_program_destroy(p);

    if (atomic_load(&g_allocs) == 0) {
        fprintf(stderr, "  note: this XNNPACK does not use xnn_initialize's allocator; byte counts skipped\n");
        return;
    }
    fprintf(stderr, "  xnnpack live bytes: compile +%lld, T=%d +%lld, four more shapes +%lld (weights %lld)\n",
            live_compiled - live_before, TMAX, live_first - live_compiled, live_shapes - live_first, weight_bytes);
    CHECK_MSG(live_compiled - live_before >= weight_bytes, "compile allocated %lld bytes for %lld weight bytes",
              live_compiled - live_before, weight_bytes);
    // four new shapes: far less than one more weight copy, or (subgraph builds) a copy per shape
    const long long growth_limit = operators ? weight_bytes / 4 : 4 * 2 * weight_bytes;
    CHECK_MSG(live_shapes - live_first < growth_limit,
              "four new shapes grew XNNPACK's memory by %lld bytes (weights: %lld)", live_shapes - live_first,
              weight_bytes);
    CHECK_MSG(live_after == live_before, "XNNPACK holds %lld bytes after the runtime's destruction (before: %lld)",
              live_after, live_before);
}

int main(void) {
    install_counting_allocator();
    RUN(test_shapes_and_packing);
    return TEST_SUMMARY();
}

#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
