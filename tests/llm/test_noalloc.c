// The generation loop allocates nothing per token: with a counting allocator installed before
// anything is created, a generate call of 40 tokens allocates exactly as often as one of 2
// (the per-call sampler), with every sampling stage on.

#include <stdlib.h>

#include "harness.h"
#include "importers/decoder.h"
#include "switchyard/generate.h"

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

static long allocs_of_generate(sy_generator *gen, const int32_t *prompt, size_t n, int64_t n_new) {
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = n_new;
    p.sampling.temperature = 0.8f;
    p.sampling.top_k = 50;
    p.sampling.top_p = 0.9f;
    p.sampling.min_p = 0.01f;
    p.sampling.repeat_penalty = 1.2f;
    p.sampling.seed = 3;
    long before = n_allocs;
    CHECK_OK(sy_generator_generate(gen, prompt, n, &p, NULL, NULL));
    sy_generate_stats st;
    CHECK_OK(sy_generator_get_stats(gen, &st));
    CHECK_MSG(st.n_generated == n_new, "generated %lld of %lld", (long long)st.n_generated, (long long)n_new);
    return n_allocs - before;
}

static void test_no_allocation_per_token(void) {
    sy_allocator a = {counting_alloc, counting_free, NULL};
    sy_set_allocator(&a);
    sy_decoder_config dc = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *prog = NULL;
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    sy_generator *gen = NULL;
    CHECK_OK(sy_decoder_build(&dc, &g));
    CHECK_OK(sy_program_from_graph(g, &prog));
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "portable"));
    CHECK_OK(sy_runtime_create(prog, cfg, &rt));
    CHECK_OK(sy_generator_create(prog, rt, NULL, &gen));
    CHECK(n_allocs > 0); // the allocator is really in use
    int32_t prompt[20];
    for (int i = 0; i < 20; i++) prompt[i] = (i * 37 + 5) % 256;
    long few = allocs_of_generate(gen, prompt, 20, 2), many = allocs_of_generate(gen, prompt, 20, 40);
    CHECK_MSG(few == many, "%ld allocations for 2 tokens, %ld for 40", few, many);
    sy_generator_destroy(gen);
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(prog);
    sy_graph_destroy(g);
    sy_set_allocator(NULL);
}

int main(void) {
    RUN(test_no_allocation_per_token);
    return TEST_SUMMARY();
}
