// execute allocates nothing: a counting allocator installed before anything is created sees
// no allocation between the first and the last of many executes (prefill and decode shapes).

#include <stdlib.h>

#include "harness.h"
#include "importers/decoder.h"

static long n_allocs;

static void *counting_alloc(void *user, size_t size, size_t align) {
    (void)user;
    n_allocs++;
    void *p = NULL;
    return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) ? NULL : p;
}

static void counting_free(void *user, void *p) {
    (void)user;
    free(p);
}

static void run_steps(sy_runtime *rt, int64_t start, int64_t n) {
    int64_t ids[16] = {0}, pos[16];
    for (int64_t i = 0; i < n; i++) {
        ids[i] = (start + i) * 7 % 256;
        pos[i] = start + i;
    }
    sy_tensor ti = {.data = ids, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
    sy_tensor tp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
    CHECK_OK(sy_runtime_set_input(rt, "input_ids", &ti));
    CHECK_OK(sy_runtime_set_input(rt, "cache_position", &tp));
    CHECK_OK(sy_runtime_execute(rt));
}

static void check_backends(const sy_program *p, const char *backends) {
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, backends));
    if (sy_runtime_create(p, c, &rt) != SY_OK) {
        fprintf(stderr, "  %s: not available here (%s)\n", backends, sy_last_error());
        sy_config_destroy(c);
        return;
    }
    sy_config_destroy(c);
    run_steps(rt, 0, 6); // warm-up: delegates may create per-shape plans on first use
    run_steps(rt, 6, 1);
    CHECK_OK(sy_runtime_reset_state(rt));
    long before = n_allocs;
    run_steps(rt, 0, 6);
    for (int64_t t = 6; t < 12; t++) run_steps(rt, t, 1);
    CHECK_MSG(n_allocs == before, "%s: %ld allocations during execute", backends, n_allocs - before);
    sy_runtime_destroy(rt);
}

int main(void) {
    sy_allocator a = {counting_alloc, counting_free, NULL};
    sy_set_allocator(&a);
    sy_decoder_config mc = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(&mc, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    CHECK(n_allocs > 0); // the allocator is really in use
    check_backends(p, "portable");
    check_backends(p, "xnnpack,portable");
    sy_program_destroy(p);
    return TEST_SUMMARY();
}
