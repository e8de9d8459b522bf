#pragma once

// Shared helpers of the Vulkan delegate tests: whether to run at all (skip or fail without a
// device), validation on when the layer is installed, small graph builders, and a runner that
// executes one program on a backend list and returns output "y".
//
// Every test runs the same program on "vulkan" (strict: nothing may fall back) and on
// "portable", the reference, and compares. A test binary fails when the validation layer
// reported anything during its run.

#include <stdlib.h>
#include <string.h>

#include "harness.h"

#if defined(SY_HAVE_VULKAN)
#include "delegates/vulkan/vulkan_debug.h"

extern const sy_delegate sy_vulkan_delegate;

static sy_vulkan_debug_counters vt_start_counters;
static long vt_live_host_allocs;  // library allocations alive (the counting allocator below)
static long vt_total_host_allocs; // library allocations made so far

static void *vt_count_alloc(void *user, size_t size, size_t align) {
    (void)user;
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
    vt_live_host_allocs++;
    vt_total_host_allocs++;
    return p;
}

static void vt_count_free(void *user, void *p) {
    (void)user;
    if (p) vt_live_host_allocs--;
    free(p);
}
static int vt_expected_validation_errors = 0; // tests that provoke errors on purpose add here

/// Decides whether the Vulkan tests run: 1 to run; 0 after printing "skipped: <reason>" (no
/// usable device and SWITCHYARD_REQUIRE_VULKAN is not 1). With SWITCHYARD_REQUIRE_VULKAN=1
/// availability always says yes, so a missing device fails the tests at runtime creation.
static inline int vt_begin(void) {
    char reason[SY_REASON_MAX] = "";
    if (!sy_vulkan_delegate.available(reason, sizeof reason)) {
        printf("skipped: %s\n", reason);
        return 0;
    }
    const char *env = getenv("SWITCHYARD_VULKAN_VALIDATION");
    if (!env && sy_vulkan_debug_validation_layer_present()) setenv("SWITCHYARD_VULKAN_VALIDATION", "1", 1);
    env = getenv("SWITCHYARD_VULKAN_VALIDATION");
    fprintf(stderr, "validation layer: %s\n", env && strcmp(env, "1") == 0 ? "on" : "off (not installed)");
    sy_vulkan_debug_get(&vt_start_counters);
    // Every library allocation is counted, so the tests see leaks in the runtime and the
    // delegate without LeakSanitizer (which the drivers' own leaks make unusable here).
    static const sy_allocator counting = {vt_count_alloc, vt_count_free, NULL};
    sy_set_allocator(&counting);
    return 1;
}

/// Checks that the validation layer stayed silent (beyond expected errors) and that no device
/// memory or backend outlived the tests, then prints the summary.
static inline int vt_end(void) {
    sy_vulkan_debug_counters c;
    sy_vulkan_debug_get(&c);
    CHECK_MSG(c.validation_errors - vt_start_counters.validation_errors == (uint32_t)vt_expected_validation_errors,
              "%u validation errors (expected %d)", c.validation_errors - vt_start_counters.validation_errors,
              vt_expected_validation_errors);
    CHECK_MSG(c.validation_warnings == vt_start_counters.validation_warnings, "%u validation warnings",
              c.validation_warnings - vt_start_counters.validation_warnings);
    CHECK_MSG(c.live_device_allocations == 0, "%u device allocations leaked", c.live_device_allocations);
    CHECK_MSG(c.live_backends == 0, "%u backends leaked", c.live_backends);
    CHECK_MSG(vt_live_host_allocs == 0, "%ld library allocations leaked", vt_live_host_allocs);
    sy_set_allocator(NULL);
    return TEST_SUMMARY();
}

/// The runner of a test file's main().
#define VT_MAIN(body)              \
    int main(void) {               \
        if (!vt_begin()) return 0; \
        body;                      \
        return vt_end();           \
    }
#else
#define VT_MAIN(body)                                                                              \
    int main(void) {                                                                               \
        const char *req = getenv("SWITCHYARD_REQUIRE_VULKAN");                                     \
        if (req && strcmp(req, "1") == 0) {                                                        \
            fprintf(stderr, "SWITCHYARD_REQUIRE_VULKAN=1 but the Vulkan delegate is not built\n"); \
            return 1;                                                                              \
        }                                                                                          \
        printf("skipped: the Vulkan delegate is not built (SY_HAVE_VULKAN undefined)\n");          \
        return 0;                                                                                  \
    }
#endif

#if defined(__SANITIZE_ADDRESS__)
// Mesa's Vulkan drivers (lavapipe/LLVM) leak small allocations that LeakSanitizer can only
// report after the loader unloaded them, as frames of "<unknown module>", so no suppression
// can name them. The library's own memory is checked without LeakSanitizer: host allocations
// by the counting allocator, device memory by the live-allocation counter (both in vt_end).
const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__asan_default_options(void) {
    return "detect_leaks=0";
}
#endif

// --- random data ---

static unsigned vt_seed = 20240601u;

/// Uniform in [-1, 1).
static inline float vt_rand(void) {
    vt_seed = vt_seed * 1664525u + 1013904223u;
    return (float)((vt_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static inline float *vt_random(int64_t n, float lo, float hi) {
    float *d = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) d[i] = lo + (hi - lo) * (vt_rand() + 1.0f) * 0.5f;
    return d;
}

static inline int64_t vt_numel(uint32_t rank, const int64_t *dims) {
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    return n;
}

// --- attributes ---

static inline sy_attr vt_attr_int(const char *name, int64_t v) {
    sy_attr a = {.name = name, .type = SY_ATTR_INT, .n = 1};
    a.u.i = v;
    return a;
}

static inline sy_attr vt_attr_float(const char *name, float v) {
    sy_attr a = {.name = name, .type = SY_ATTR_FLOAT, .n = 1};
    a.u.f = v;
    return a;
}

static inline sy_attr vt_attr_ints(const char *name, const int64_t *v, uint32_t n) {
    sy_attr a = {.name = name, .type = SY_ATTR_INTS, .n = n};
    a.u.ints = v;
    return a;
}

// --- graph building ---

/// Adds a value; sym_axis >= 0 makes that axis symbolic with symbol `sym`.
static inline uint32_t vt_value(sy_graph *g, const char *name, sy_dtype dtype, sy_role role, uint32_t rank,
                                const int64_t *dims, int sym_axis, uint32_t sym) {
    sy_value_desc d = {.name = name, .dtype = dtype, .role = role, .rank = rank};
    for (uint32_t i = 0; i < SY_MAX_RANK; i++) d.sym[i] = -1;
    for (uint32_t i = 0; i < rank; i++) d.dims[i] = dims[i];
    if (sym_axis >= 0) d.sym[sym_axis] = (int32_t)sym;
    uint32_t id = UINT32_MAX;
    CHECK_OK(sy_graph_add_value(g, &d, &id));
    return id;
}

static inline uint32_t vt_input(sy_graph *g, const char *name, uint32_t rank, const int64_t *dims) {
    return vt_value(g, name, SY_DTYPE_F32, SY_ROLE_INPUT, rank, dims, -1, 0);
}

static inline uint32_t vt_constant(sy_graph *g, const char *name, sy_dtype dtype, uint32_t rank, const int64_t *dims,
                                   const void *data) {
    uint32_t id = UINT32_MAX;
    size_t bytes = (size_t)vt_numel(rank, dims) * sy_dtype_size(dtype);
    CHECK_OK(sy_graph_add_constant(g, name, dtype, rank, dims, data, bytes, &id));
    return id;
}

/// Adds a node and returns its first output (UINT32_MAX for ops without outputs).
static inline uint32_t vt_op(sy_graph *g, const char *name, sy_op op, const uint32_t *ins, uint32_t n_in,
                             const sy_attr *attrs, uint32_t n_attrs) {
    uint32_t outs[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
    CHECK_OK(sy_graph_add_op(g, name, op, ins, n_in, attrs, n_attrs, outs));
    return outs[0];
}

/// Makes `value` the graph output "y" and turns the graph into a program (destroys the graph).
static inline sy_program *vt_finish(sy_graph *g, uint32_t value) {
    sy_program *p = NULL;
    if (value != UINT32_MAX) CHECK_OK(sy_graph_set_output(g, value, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

// --- running ---

/// Creates a runtime; a lone backend is strict (a refused or failed node is an error, never a
/// silent fallback); lists fall back.
static inline sy_status vt_runtime(const sy_program *p, const char *backends, sy_runtime **rt_out) {
    sy_config *cfg = NULL;
    sy_status st = sy_config_create(&cfg);
    if (st == SY_OK) st = sy_config_set_backends(cfg, backends);
    if (st == SY_OK) sy_config_set_policy(cfg, strchr(backends, ',') ? SY_POLICY_FALLBACK : SY_POLICY_STRICT);
    if (st == SY_OK) st = sy_runtime_create(p, cfg, rt_out);
    sy_config_destroy(cfg);
    return st;
}

/// One input of a run: name and tensor (data borrowed).
typedef struct vt_feed {
    const char *name;
    sy_tensor t;
} vt_feed;

static inline vt_feed vt_feed_f32(const char *name, const float *data, uint32_t rank, const int64_t *dims) {
    vt_feed f = {.name = name, .t = {.data = (void *)data, .dtype = SY_DTYPE_F32, .rank = rank}};
    for (uint32_t i = 0; i < rank; i++) f.t.dims[i] = dims[i];
    return f;
}

/// Sets inputs, executes, and copies output "y" into out (at most cap floats); writes its
/// element count to *n_out.
static inline sy_status vt_execute(sy_runtime *rt, const vt_feed *feeds, uint32_t n_feeds, float *out, int64_t cap,
                                   int64_t *n_out) {
    sy_status st = SY_OK;
    for (uint32_t i = 0; st == SY_OK && i < n_feeds; i++) st = sy_runtime_set_input(rt, feeds[i].name, &feeds[i].t);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    sy_tensor y;
    if (st == SY_OK && out) st = sy_runtime_get_output(rt, "y", &y);
    if (st == SY_OK && out) {
        int64_t n = sy_tensor_numel(&y);
        if (n_out) *n_out = n;
        CHECK_MSG(n <= cap, "output has %lld elements, room for %lld", (long long)n, (long long)cap);
        memcpy(out, y.data, sizeof(float) * (size_t)(n < cap ? n : cap));
    }
    return st;
}

/// Runs program p once on `backends`.
static inline sy_status vt_run(const sy_program *p, const char *backends, const vt_feed *feeds, uint32_t n_feeds,
                               float *out, int64_t cap, int64_t *n_out) {
    sy_runtime *rt = NULL;
    sy_status st = vt_runtime(p, backends, &rt);
    if (st == SY_OK) st = vt_execute(rt, feeds, n_feeds, out, cap, n_out);
    sy_runtime_destroy(rt);
    return st;
}

/// Runs p on `backends` and on "portable" and compares output "y" (atol + rtol * |ref|).
static inline void vt_compare(const char *what, const sy_program *p, const char *backends, const vt_feed *feeds,
                              uint32_t n_feeds, float atol, float rtol) {
    enum { CAP = 1 << 20 };
    float *got = malloc(sizeof(float) * CAP), *want = malloc(sizeof(float) * CAP);
    int64_t n_got = -1, n_want = -2;
    sy_status s1 = vt_run(p, backends, feeds, n_feeds, got, CAP, &n_got);
    CHECK_MSG(s1 == SY_OK, "%s on %s: %s: %s", what, backends, sy_status_name(s1), sy_last_error());
    sy_status s2 = vt_run(p, "portable", feeds, n_feeds, want, CAP, &n_want);
    CHECK_MSG(s2 == SY_OK, "%s on portable: %s: %s", what, sy_status_name(s2), sy_last_error());
    if (s1 == SY_OK && s2 == SY_OK) {
        CHECK_MSG(n_got == n_want, "%s: %lld vs %lld elements", what, (long long)n_got, (long long)n_want);
        CHECK_MSG(sy_test_allclose(got, want, (long)n_want, atol, rtol, what), "%s differs from portable", what);
    }
    free(got);
    free(want);
}
