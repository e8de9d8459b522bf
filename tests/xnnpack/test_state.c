// KV-cache ops through the runtime: sdpa_with_kv_cache (the delegate's fused kernel) and
// update_cache, prefill then decode, against portable (outputs and final cache states); the
// same sequence on threads=1 and threads=2 is bitwise identical; a position past the cache
// fails with SY_ERR_OUT_OF_RANGE and leaves the caches untouched; and the tiny decoder-only
// model gives the same logits on "xnnpack,portable" as on "portable".

#include <stdlib.h>

#include "harness.h"

#if defined(SY_HAVE_XNNPACK)
#include "importers/decoder.h"

#define HQ 4
#define HKV 2
#define D 8
#define S 16
#define TMAX 8

static unsigned g_seed = 777u;

static float frand(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static sy_value_desc desc(const char *name, sy_dtype dt, sy_role role, uint32_t rank, const int64_t *dims,
                          int32_t tsym_at, int32_t tsym) {
    sy_value_desc d = {.name = name, .dtype = dt, .role = role, .rank = rank};
    for (uint32_t i = 0; i < SY_MAX_RANK; i++) {
        d.dims[i] = i < rank ? dims[i] : 0;
        d.sym[i] = (int32_t)i == tsym_at ? tsym : -1;
    }
    return d;
}

// y = sdpa_with_kv_cache(q, k, v, kc, vc, pos); z = neg(v) after update_cache(c2, v, pos), so
// custom kernels and an XNNPACK node share one partition.
static sy_program *build_attention(int constant_pos, int64_t pos_value) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, q, k, v, kc, vc, c2, pos, y, z;
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, "T", TMAX, &t));
    const int64_t qd[4] = {1, HQ, TMAX, D}, kd[4] = {1, HKV, TMAX, D}, cd[4] = {1, HKV, S, D}, pd[1] = {1};
    sy_value_desc dq = desc("q", SY_DTYPE_F32, SY_ROLE_INPUT, 4, qd, 2, (int32_t)t);
    sy_value_desc dk = desc("k", SY_DTYPE_F32, SY_ROLE_INPUT, 4, kd, 2, (int32_t)t);
    sy_value_desc dv = desc("v", SY_DTYPE_F32, SY_ROLE_INPUT, 4, kd, 2, (int32_t)t);
    sy_value_desc dkc = desc("k_cache", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, -1);
    sy_value_desc dvc = desc("v_cache", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, -1);
    sy_value_desc dc2 = desc("v_copy", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, -1);
    CHECK_OK(sy_graph_add_value(g, &dq, &q));
    CHECK_OK(sy_graph_add_value(g, &dk, &k));
    CHECK_OK(sy_graph_add_value(g, &dv, &v));
    CHECK_OK(sy_graph_add_value(g, &dkc, &kc));
    CHECK_OK(sy_graph_add_value(g, &dvc, &vc));
    CHECK_OK(sy_graph_add_value(g, &dc2, &c2));
    if (constant_pos) {
        CHECK_OK(sy_graph_add_constant(g, "pos", SY_DTYPE_I64, 1, pd, &pos_value, sizeof(pos_value), &pos));
    } else {
        sy_value_desc dp = desc("pos", SY_DTYPE_I64, SY_ROLE_INPUT, 1, pd, -1, -1);
        CHECK_OK(sy_graph_add_value(g, &dp, &pos));
    }
    const uint32_t in[6] = {q, k, v, kc, vc, pos};
    CHECK_OK(sy_graph_add_op(g, "attn", SY_OP_SDPA_WITH_KV_CACHE, in, 6, NULL, 0, &y));
    const uint32_t up[3] = {c2, v, pos};
    CHECK_OK(sy_graph_add_op(g, "copy_v", SY_OP_UPDATE_CACHE, up, 3, NULL, 0, NULL));
    CHECK_OK(sy_graph_add_op(g, "neg_v", SY_OP_NEG, &v, 1, NULL, 0, &z));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_graph_set_output(g, z, "z"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static sy_runtime *make_runtime(const sy_program *p, const char *backends, const char *threads) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    if (threads) CHECK_OK(sy_config_set_option(cfg, "xnnpack", "threads", threads));
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

typedef struct step_data {
    int64_t tokens, pos;
    float q[HQ * TMAX * D], k[HKV * TMAX * D], v[HKV * TMAX * D];
} step_data;

static sy_status run_step(sy_runtime *rt, const step_data *s, float *y, float *z) {
    sy_tensor tq = {.data = (void *)s->q, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HQ, s->tokens, D}};
    sy_tensor tk = {.data = (void *)s->k, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, s->tokens, D}};
    sy_tensor tv = {.data = (void *)s->v, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, s->tokens, D}};
    sy_tensor tp = {.data = (void *)&s->pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {1}};
    CHECK_OK(sy_runtime_set_input(rt, "q", &tq));
    CHECK_OK(sy_runtime_set_input(rt, "k", &tk));
    CHECK_OK(sy_runtime_set_input(rt, "v", &tv));
    CHECK_OK(sy_runtime_set_input(rt, "pos", &tp));
    sy_status st = sy_runtime_execute(rt);
    if (st != SY_OK) return st;
    sy_tensor ty, tz;
    CHECK_OK(sy_runtime_get_output(rt, "y", &ty));
    CHECK_OK(sy_runtime_get_output(rt, "z", &tz));
    memcpy(y, ty.data, sizeof(float) * (size_t)(HQ * s->tokens * D));
    memcpy(z, tz.data, sizeof(float) * (size_t)(HKV * s->tokens * D));
    return SY_OK;
}

static void read_cache(sy_runtime *rt, const char *name, float *dst) {
    sy_tensor t = {.data = dst, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, S, D}};
    CHECK_OK(sy_runtime_read_state(rt, name, &t));
}

static void test_prefill_decode(void) {
    sy_program *p = build_attention(0, 0);
    if (!p) return;
    sy_runtime *rt[3] = {make_runtime(p, "portable", NULL), make_runtime(p, "xnnpack", "2"),
                         make_runtime(p, "xnnpack", "1")};
    if (!rt[0] || !rt[1] || !rt[2]) goto out;
    step_data steps[5];
    const int64_t plan[5][2] = {{5, 0}, {1, 5}, {1, 6}, {3, 7}, {1, 10}}; // (tokens, pos)
    for (int i = 0; i < 5; i++) {
        steps[i].tokens = plan[i][0];
        steps[i].pos = plan[i][1];
        for (int j = 0; j < HQ * TMAX * D; j++) steps[i].q[j] = frand();
        for (int j = 0; j < HKV * TMAX * D; j++) steps[i].k[j] = frand(), steps[i].v[j] = frand();
    }
    for (int i = 0; i < 5; i++) {
        float y[3][HQ * TMAX * D], z[3][HKV * TMAX * D];
        for (int r = 0; r < 3; r++) CHECK_OK(run_step(rt[r], &steps[i], y[r], z[r]));
        const long ny = HQ * (long)steps[i].tokens * D, nz = HKV * (long)steps[i].tokens * D;
        CHECK_MSG(sy_test_allclose(y[1], y[0], ny, 1e-5f, 1e-4f, "sdpa"), "step %d: xnnpack vs portable", i);
        CHECK_MSG(sy_test_allclose(z[1], z[0], nz, 0, 0, "neg"), "step %d: neg", i);
        CHECK_MSG(memcmp(y[1], y[2], sizeof(float) * (size_t)ny) == 0, "step %d: threads 2 vs 1 differ", i);
    }
    float c[3][HKV * S * D];
    const char *names[3] = {"k_cache", "v_cache", "v_copy"};
    for (int n = 0; n < 3; n++) {
        for (int r = 0; r < 2; r++) read_cache(rt[r], names[n], c[r]);
        CHECK_MSG(memcmp(c[0], c[1], sizeof(c[0])) == 0, "state %s differs from portable", names[n]);
    }
    // past the cache: refused before anything is written
    float before[HKV * S * D], after[HKV * S * D], y[HQ * TMAX * D], z[HKV * TMAX * D];
    read_cache(rt[1], "k_cache", before);
    step_data bad = steps[0];
    bad.pos = S - 2; // 5 tokens at 14 > 16
    CHECK_FAILS(run_step(rt[1], &bad, y, z), SY_ERR_OUT_OF_RANGE, "past the cache length");
    read_cache(rt[1], "k_cache", after);
    CHECK(memcmp(before, after, sizeof(before)) == 0);
    // reset zeroes the (host-resident) caches
    CHECK_OK(sy_runtime_reset_state(rt[1]));
    read_cache(rt[1], "v_cache", after);
    int zero = 1;
    for (int i = 0; i < HKV * S * D; i++) zero &= after[i] == 0.0f;
    CHECK(zero);
out:
    for (int r = 0; r < 3; r++) sy_runtime_destroy(rt[r]);
    sy_program_destroy(p);
}

// start_pos as a constant: the runtime's input check does not see it, the kernel's must.
static void test_kernel_range_check(void) {
    sy_program *p = build_attention(1, 14);
    if (!p) return;
    sy_runtime *rt = make_runtime(p, "xnnpack", "2");
    if (rt) {
        step_data s = {.tokens = 5, .pos = 0};
        for (int j = 0; j < HQ * TMAX * D; j++) s.q[j] = frand();
        for (int j = 0; j < HKV * TMAX * D; j++) s.k[j] = frand(), s.v[j] = frand();
        sy_tensor tq = {.data = s.q, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HQ, 5, D}};
        sy_tensor tk = {.data = s.k, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, 5, D}};
        sy_tensor tv = {.data = s.v, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, HKV, 5, D}};
        CHECK_OK(sy_runtime_set_input(rt, "q", &tq));
        CHECK_OK(sy_runtime_set_input(rt, "k", &tk));
        CHECK_OK(sy_runtime_set_input(rt, "v", &tv));
        CHECK_FAILS(sy_runtime_execute(rt), SY_ERR_OUT_OF_RANGE, "cache position 14 + 5 tokens is past the cache length 16");
        float c[HKV * S * D];
        read_cache(rt, "k_cache", c);
        int zero = 1;
        for (int i = 0; i < HKV * S * D; i++) zero &= c[i] == 0.0f;
        CHECK_MSG(zero, "the cache was written before the range check");
        // in range (2 tokens at 14) it runs
        tq.dims[2] = tk.dims[2] = tv.dims[2] = 2;
        CHECK_OK(sy_runtime_set_input(rt, "q", &tq));
        CHECK_OK(sy_runtime_set_input(rt, "k", &tk));
        CHECK_OK(sy_runtime_set_input(rt, "v", &tv));
        CHECK_OK(sy_runtime_execute(rt));
        sy_runtime_destroy(rt);
    }
    sy_program_destroy(p);
}

static void run_decoder(sy_runtime *rt, int64_t start, int64_t n, float *logits, int64_t vocab) {
    int64_t ids[16], pos[16];
    for (int64_t i = 0; i < n; i++) {
        ids[i] = (start + i) * 37 % vocab;
        pos[i] = start + i;
    }
    sy_tensor ti = {.data = ids, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
    sy_tensor tp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
    CHECK_OK(sy_runtime_set_input(rt, "input_ids", &ti));
    CHECK_OK(sy_runtime_set_input(rt, "cache_position", &tp));
    CHECK_OK(sy_runtime_execute(rt));
    sy_tensor out;
    CHECK_OK(sy_runtime_get_output(rt, "logits", &out));
    if (out.data) memcpy(logits, out.data, sizeof(float) * (size_t)(n * vocab));
}

static void test_decoder_model(void) {
    sy_decoder_config mc = sy_decoder_tiny();
    mc.n_heads = 8;
    mc.n_kv_heads = 2;
    mc.rope_layout = 1;
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(&mc, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    if (!p) return;
    sy_runtime *ref = make_runtime(p, "portable", NULL), *xnn = make_runtime(p, "xnnpack,portable", "2");
    sy_runtime_stats stats;
    CHECK_OK(sy_runtime_get_stats(xnn, &stats));
    CHECK_MSG(stats.n_partitions <= 2, "the decoder split into %u partitions", stats.n_partitions);
    float *a = malloc(sizeof(float) * (size_t)(16 * mc.vocab)), *b = malloc(sizeof(float) * (size_t)(16 * mc.vocab));
    const int64_t steps[][2] = {{0, 7}, {7, 1}, {8, 1}, {9, 4}, {13, 1}};
    for (size_t i = 0; ref && xnn && i < sizeof(steps) / sizeof(steps[0]); i++) {
        run_decoder(ref, steps[i][0], steps[i][1], a, mc.vocab);
        run_decoder(xnn, steps[i][0], steps[i][1], b, mc.vocab);
        CHECK_MSG(sy_test_allclose(b, a, (long)(steps[i][1] * mc.vocab), 1e-4f, 1e-3f, "logits"), "decoder step %zu", i);
    }
    free(a);
    free(b);
    sy_runtime_destroy(ref);
    sy_runtime_destroy(xnn);
    sy_program_destroy(p);
}

int main(void) {
    RUN(test_prefill_decode);
    RUN(test_kernel_range_check);
    RUN(test_decoder_model);
    return TEST_SUMMARY();
}

#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
