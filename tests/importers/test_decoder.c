// End to end on the demo decoder: prefill then decode must equal one full pass over the whole
// sequence (the static KV cache is updated in place and persists across executes), reset must
// restore the initial state, and bad calls must leave the state untouched.

#include <stdlib.h>

#include "harness.h"
#include "importers/decoder.h"

static sy_program *build(const sy_decoder_config *c) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(c, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static sy_runtime *make_runtime(const sy_program *p, const char *backends) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

/// Runs tokens[0, n) at positions start.. and returns the logits (borrowed).
static sy_status step_at(sy_runtime *rt, const int64_t *tokens, int64_t start, int64_t n, sy_tensor *logits) {
    int64_t pos[64];
    for (int64_t i = 0; i < n; i++) pos[i] = start + i;
    sy_tensor ids = {.data = (void *)tokens, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
    sy_tensor cp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
    sy_status st = sy_runtime_set_input(rt, "input_ids", &ids);
    if (st == SY_OK) st = sy_runtime_set_input(rt, "cache_position", &cp);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    if (st == SY_OK) st = sy_runtime_get_output(rt, "logits", logits);
    return st;
}

/// Runs tokens[start, start+n) at positions start.. (a slice of one sequence).
static sy_status step(sy_runtime *rt, const int64_t *tokens, int64_t start, int64_t n, sy_tensor *logits) {
    return step_at(rt, tokens + start, start, n, logits);
}

static void test_prefill_decode_equals_full_pass(void) {
    sy_decoder_config c = sy_decoder_tiny();
    sy_program *p = build(&c);
    sy_runtime *inc = make_runtime(p, "portable"), *full = make_runtime(p, "portable");
    int64_t tokens[12] = {1, 17, 200, 3, 99, 5, 42, 7, 128, 255, 0, 64};
    const int64_t V = c.vocab, P = 5, N = 12;
    sy_tensor lf, li;
    CHECK_OK(step(full, tokens, 0, N, &lf)); // one pass over all 12 tokens
    CHECK(lf.rank == 3 && lf.dims[1] == N && lf.dims[2] == V);
    CHECK_OK(step(inc, tokens, 0, P, &li)); // prefill 5
    CHECK(li.dims[1] == P);
    CHECK_ALLCLOSE((float *)li.data, (float *)lf.data, P * V, 1e-4f, 1e-4f);
    for (int64_t t = P; t < N; t++) { // then decode one at a time
        CHECK_OK(step(inc, tokens, t, 1, &li));
        CHECK(li.dims[1] == 1);
        CHECK_ALLCLOSE((float *)li.data, (float *)lf.data + t * V, V, 1e-4f, 1e-4f);
    }
    sy_runtime_destroy(inc);
    sy_runtime_destroy(full);
    sy_program_destroy(p);
}

static void test_reset_and_bad_calls_keep_state(void) {
    sy_decoder_config c = sy_decoder_tiny();
    sy_program *p = build(&c);
    sy_runtime *rt = make_runtime(p, "portable");
    int64_t tokens[8] = {3, 1, 4, 1, 5, 9, 2, 6};
    sy_tensor l;
    float first[256];
    CHECK_OK(step(rt, tokens, 0, 4, &l));
    memcpy(first, (float *)l.data + 3 * c.vocab, sizeof first);
    size_t cache_bytes = (size_t)(c.n_kv_heads * c.max_seq * (c.dim / c.n_heads)) * sizeof(float);
    float *before = malloc(cache_bytes), *after = malloc(cache_bytes);
    sy_tensor st = {.data = before, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, c.n_kv_heads, c.max_seq, c.dim / c.n_heads}};
    CHECK_OK(sy_runtime_read_state(rt, "blk.0.k_cache", &st));
    // A token id past the vocabulary and a position past the cache are refused, state untouched.
    int64_t bad_tok[1] = {c.vocab + 5};
    CHECK_FAILS(step_at(rt, bad_tok, 0, 1, &l), SY_ERR_OUT_OF_RANGE, "token id");
    int64_t ok_tok[64] = {0};
    CHECK_FAILS(step_at(rt, ok_tok, c.max_seq - 2, 4, &l), SY_ERR_OUT_OF_RANGE, "past the cache");
    st.data = after;
    CHECK_OK(sy_runtime_read_state(rt, "blk.0.k_cache", &st));
    CHECK(memcmp(before, after, cache_bytes) == 0);
    // Too many tokens for the symbolic bound, wrong dtype, wrong rank, unknown input.
    int64_t many[32] = {0};
    sy_tensor ids = {.data = many, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, c.max_tokens + 1}};
    CHECK_FAILS(sy_runtime_set_input(rt, "input_ids", &ids), SY_ERR_SHAPE, "tokens<=16");
    ids.dtype = SY_DTYPE_I32;
    ids.dims[1] = 2;
    CHECK_FAILS(sy_runtime_set_input(rt, "input_ids", &ids), SY_ERR_DTYPE, "dtype i32");
    CHECK_FAILS(sy_runtime_set_input(rt, "nope", &ids), SY_ERR_NOT_FOUND, "input_ids");
    // Reset, then the same prefill gives the same logits as the first time.
    CHECK_OK(sy_runtime_reset_state(rt));
    CHECK_OK(step(rt, tokens, 0, 4, &l));
    CHECK_ALLCLOSE((float *)l.data + 3 * c.vocab, first, c.vocab, 0.0f, 0.0f);
    free(before);
    free(after);
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

int main(void) {
    RUN(test_prefill_decode_equals_full_pass);
    RUN(test_reset_and_bad_calls_keep_state);
    return TEST_SUMMARY();
}
