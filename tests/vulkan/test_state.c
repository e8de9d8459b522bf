// KV-cache state on the Vulkan delegate: sdpa_with_kv_cache (with rope in front) through a
// prefill and several decode steps on one runtime, against the portable runtime fed the same
// inputs; the caches stay on the device (read_state equals portable's state; per-execute copy
// bytes are the step's inputs and outputs only, never the caches); reset_state zeroes them; a
// start position past the cache fails before anything is written; and update_cache on a state
// shared with a portable partition (not owned: uploaded and downloaded every call). Executes
// allocate no host memory.
//
// Tolerances: attention outputs 1e-4 abs + 1e-4 rel (summation order); cache contents 1e-6
// (copies of rope outputs; rope rotates with the same host-computed cos/sin as portable).

#include <stdio.h>

#include "vk_test.h"

#if defined(SY_HAVE_VULKAN)

typedef struct kv_cfg {
    int64_t hq, hkv, d, s, t_max;
    int rope;            // rope on q and k first (positions input)
    sy_dtype start_type; // i32 or i64
} kv_cfg;

/// q, k, v [1, H, T, D] (T symbolic) -> [rope(q), rope(k)] -> sdpa_with_kv_cache over states
/// kc, vc [1, Hkv, S, D] at start_pos -> y.
static sy_program *kv_program(const kv_cfg *c) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t T = 0;
    CHECK_OK(sy_graph_add_symbol(g, "T", c->t_max, &T));
    const int64_t qd[4] = {1, c->hq, c->t_max, c->d}, kd[4] = {1, c->hkv, c->t_max, c->d};
    const int64_t cd[4] = {1, c->hkv, c->s, c->d}, one[1] = {1}, pd[1] = {c->t_max};
    uint32_t q = vt_value(g, "q", SY_DTYPE_F32, SY_ROLE_INPUT, 4, qd, 2, T);
    uint32_t k = vt_value(g, "k", SY_DTYPE_F32, SY_ROLE_INPUT, 4, kd, 2, T);
    uint32_t v = vt_value(g, "v", SY_DTYPE_F32, SY_ROLE_INPUT, 4, kd, 2, T);
    uint32_t kc = vt_value(g, "kc", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, 0);
    uint32_t vc = vt_value(g, "vc", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, 0);
    uint32_t start = vt_value(g, "start", c->start_type, SY_ROLE_INPUT, 1, one, -1, 0);
    if (c->rope) {
        uint32_t pos = vt_value(g, "pos", SY_DTYPE_I64, SY_ROLE_INPUT, 1, pd, 0, T);
        sy_attr theta = vt_attr_float("theta", 10000.0f);
        uint32_t in[2] = {q, pos};
        q = vt_op(g, "rope_q", SY_OP_ROPE, in, 2, &theta, 1);
        in[0] = k;
        k = vt_op(g, "rope_k", SY_OP_ROPE, in, 2, &theta, 1);
    }
    uint32_t in6[6] = {q, k, v, kc, vc, start};
    return vt_finish(g, vt_op(g, "attn", SY_OP_SDPA_WITH_KV_CACHE, in6, 6, NULL, 0));
}

typedef struct kv_run {
    sy_runtime *rt;
    float *kc, *vc; // read_state buffers
} kv_run;

/// One step on a runtime: T tokens at `start`.
static sy_status kv_step(sy_runtime *rt, const kv_cfg *c, int64_t T, int64_t start, const float *q, const float *k,
                         const float *v, float *out) {
    const int64_t qd[4] = {1, c->hq, T, c->d}, kd[4] = {1, c->hkv, T, c->d};
    int64_t pos[64];
    for (int64_t t = 0; t < T; t++) pos[t] = start + t;
    int32_t start32 = (int32_t)start;
    int64_t start64 = start;
    vt_feed f[5] = {
        vt_feed_f32("q", q, 4, qd),
        vt_feed_f32("k", k, 4, kd),
        vt_feed_f32("v", v, 4, kd),
        {.name = "start",
         .t = {.data = c->start_type == SY_DTYPE_I32 ? (void *)&start32 : (void *)&start64,
               .dtype = c->start_type,
               .rank = 1,
               .dims = {1}}},
        {.name = "pos", .t = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {T}}},
    };
    int64_t n = 0;
    return vt_execute(rt, f, c->rope ? 5 : 4, out, c->hq * T * c->d, &n);
}

static void read_caches(sy_runtime *rt, const kv_cfg *c, float *kc, float *vc) {
    sy_tensor t = {.dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, c->hkv, c->s, c->d}};
    t.data = kc;
    CHECK_OK(sy_runtime_read_state(rt, "kc", &t));
    t.data = vc;
    CHECK_OK(sy_runtime_read_state(rt, "vc", &t));
}

static void compare_caches(sy_runtime *a, sy_runtime *b, const kv_cfg *c, const char *when) {
    size_t n = (size_t)(c->hkv * c->s * c->d);
    float *ka = malloc(n * 4), *va = malloc(n * 4), *kb = malloc(n * 4), *vb = malloc(n * 4);
    read_caches(a, c, ka, va);
    read_caches(b, c, kb, vb);
    CHECK_MSG(sy_test_allclose(ka, kb, (long)n, 1e-6f, 0, "k cache"), "k cache differs %s", when);
    CHECK_MSG(sy_test_allclose(va, vb, (long)n, 0, 0, "v cache"), "v cache differs %s", when);
    free(ka), free(va), free(kb), free(vb);
}

static void run_kv(const kv_cfg *c) {
    sy_program *p = kv_program(c);
    sy_runtime *vk = NULL, *ref = NULL;
    CHECK_OK(vt_runtime(p, "vulkan", &vk));
    CHECK_OK(vt_runtime(p, "portable", &ref));
    if (!vk || !ref) {
        sy_runtime_destroy(vk);
        sy_runtime_destroy(ref);
        sy_program_destroy(p);
        return;
    }
    const int64_t steps[][2] = {{5, 0}, {1, 5},  {1, 6},        {1, 7},
                                {3, 8}, {1, 11}, {1, c->s / 2}, {1, c->s - 1}}; // (T, start)
    size_t nq = (size_t)(c->hq * c->t_max * c->d), nk = (size_t)(c->hkv * c->t_max * c->d);
    float *out_vk = malloc(nq * 4), *out_ref = malloc(nq * 4);
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        int64_t T = steps[s][0], start = steps[s][1];
        float *q = vt_random((int64_t)nq, -1, 1), *k = vt_random((int64_t)nk, -1, 1),
              *v = vt_random((int64_t)nk, -1, 1);
        char when[96];
        snprintf(when, sizeof when, "after step T=%lld start=%lld (Hq=%lld Hkv=%lld D=%lld)", (long long)T,
                 (long long)start, (long long)c->hq, (long long)c->hkv, (long long)c->d);
        long allocs = vt_total_host_allocs;
        CHECK_OK(kv_step(vk, c, T, start, q, k, v, out_vk));
        CHECK_MSG(vt_total_host_allocs == allocs, "execute allocated %ld times %s", vt_total_host_allocs - allocs,
                  when);
        sy_vulkan_debug_counters cnt;
        sy_vulkan_debug_get(&cnt);
        CHECK_OK(kv_step(ref, c, T, start, q, k, v, out_ref));
        CHECK_MSG(sy_test_allclose(out_vk, out_ref, (long)(c->hq * T * c->d), 1e-4f, 1e-4f, "attention"),
                  "attention output differs %s", when);
        compare_caches(vk, ref, c, when);
        // resident caches: the step moved q, k, v (+ the rope cos/sin table) up and y down only
        size_t up = (size_t)((c->hq + 2 * c->hkv) * T * c->d) * 4 + (c->rope ? 2 * (size_t)(T * c->d) * 4 : 0);
        size_t down = (size_t)(c->hq * T * c->d) * 4;
        CHECK_MSG(cnt.last_upload_bytes == up && cnt.last_download_bytes == down,
                  "copied %zu up / %zu down, expected %zu / %zu %s", cnt.last_upload_bytes, cnt.last_download_bytes, up,
                  down, when);
        sy_runtime_stats stats;
        CHECK_OK(sy_runtime_get_stats(vk, &stats)); // the same figure reaches the runtime's stats
        CHECK_MSG(stats.last_device_copy_bytes == up + down, "stats say %zu copied, expected %zu %s",
                  stats.last_device_copy_bytes, up + down, when);
        free(q), free(k), free(v);
    }

    // reset: both runtimes start over, caches are zero, and a new prefill agrees again
    CHECK_OK(sy_runtime_reset_state(vk));
    CHECK_OK(sy_runtime_reset_state(ref));
    size_t nc = (size_t)(c->hkv * c->s * c->d);
    float *kc = malloc(nc * 4), *vc = malloc(nc * 4);
    read_caches(vk, c, kc, vc);
    int zero = 1;
    for (size_t i = 0; i < nc; i++) zero &= kc[i] == 0.0f && vc[i] == 0.0f;
    CHECK_MSG(zero, "caches are not zero after reset_state");
    float *q = vt_random((int64_t)nq, -1, 1), *k = vt_random((int64_t)nk, -1, 1), *v = vt_random((int64_t)nk, -1, 1);
    CHECK_OK(kv_step(vk, c, 2, 0, q, k, v, out_vk));
    CHECK_OK(kv_step(ref, c, 2, 0, q, k, v, out_ref));
    CHECK_MSG(sy_test_allclose(out_vk, out_ref, (long)(c->hq * 2 * c->d), 1e-4f, 1e-4f, "after reset"),
              "prefill after reset differs");
    compare_caches(vk, ref, c, "after reset and prefill");

    // past the end of the cache: refused before anything is written, the state is unchanged
    float *kc2 = malloc(nc * 4), *vc2 = malloc(nc * 4);
    read_caches(vk, c, kc, vc);
    CHECK_FAILS(kv_step(vk, c, 2, c->s - 1, q, k, v, out_vk), SY_ERR_OUT_OF_RANGE, "past the cache length");
    CHECK_FAILS(kv_step(vk, c, 1, -1, q, k, v, out_vk), SY_ERR_OUT_OF_RANGE, "cache position -1");
    read_caches(vk, c, kc2, vc2);
    CHECK_MSG(memcmp(kc, kc2, nc * 4) == 0 && memcmp(vc, vc2, nc * 4) == 0, "a refused step changed the caches");
    // and the runtime goes on working
    CHECK_OK(kv_step(vk, c, 1, 2, q, k, v, out_vk));
    CHECK_OK(kv_step(ref, c, 1, 2, q, k, v, out_ref));
    CHECK_MSG(sy_test_allclose(out_vk, out_ref, (long)(c->hq * c->d), 1e-4f, 1e-4f, "after refusal"),
              "decode after a refused step differs");

    free(q), free(k), free(v), free(kc), free(vc), free(kc2), free(vc2), free(out_vk), free(out_ref);
    sy_runtime_destroy(vk);
    sy_runtime_destroy(ref);
    sy_program_destroy(p);
}

static void test_kv_cache_gqa(void) {
    const kv_cfg c = {.hq = 4, .hkv = 2, .d = 16, .s = 32, .t_max = 8, .rope = 1, .start_type = SY_DTYPE_I64};
    run_kv(&c);
}

static void test_kv_cache_split_decode(void) {
    // decode rows seeing more than 256 keys are split over several workgroups and merged
    const kv_cfg c = {.hq = 4, .hkv = 1, .d = 32, .s = 1100, .t_max = 8, .rope = 1, .start_type = SY_DTYPE_I64};
    run_kv(&c);
}

static void test_kv_cache_long(void) {
    // keys beyond one 128-key chunk, multi-query, i32 start position, no rope
    const kv_cfg c = {.hq = 3, .hkv = 1, .d = 64, .s = 200, .t_max = 8, .rope = 0, .start_type = SY_DTYPE_I32};
    run_kv(&c);
}

/// update_cache writes kc on vulkan; sum (portable only) reads kc: the state is shared between
/// partitions, so the vulkan partition gets it from the host and hands it back each call.
static void test_shared_state(void) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t cd[4] = {1, 2, 10, 4}, nd[4] = {1, 2, 3, 4}, one[1] = {1};
    uint32_t kc = vt_value(g, "kc", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, 0);
    uint32_t x = vt_input(g, "x", 4, nd);
    uint32_t start = vt_value(g, "start", SY_DTYPE_I32, SY_ROLE_INPUT, 1, one, -1, 0);
    uint32_t x2 = vt_op(g, "double", SY_OP_ADD, (uint32_t[]){x, x}, 2, NULL, 0);
    uint32_t in[3] = {kc, x2, start};
    vt_op(g, "write", SY_OP_UPDATE_CACHE, in, 3, NULL, 0);
    const int64_t axes[2] = {2, 3};
    sy_attr at = vt_attr_ints("axes", axes, 2);
    uint32_t s = vt_op(g, "sum", SY_OP_SUM, &kc, 1, &at, 1);
    sy_program *p = vt_finish(g, s);
    sy_runtime *mix = NULL, *ref = NULL;
    CHECK_OK(vt_runtime(p, "vulkan,portable", &mix));
    CHECK_OK(vt_runtime(p, "portable", &ref));
    for (int step = 0; mix && ref && step < 4; step++) {
        int32_t st = step * 2 + (step == 3); // 0, 2, 4, 7: rows 7..9 are the last three
        float *xv = vt_random(24, -1, 1);
        vt_feed f[2] = {vt_feed_f32("x", xv, 4, nd),
                        {.name = "start", .t = {.data = &st, .dtype = SY_DTYPE_I32, .rank = 1, .dims = {1}}}};
        float got[2], want[2];
        int64_t n = 0;
        CHECK_OK(vt_execute(mix, f, 2, got, 2, &n));
        sy_vulkan_debug_counters cnt;
        sy_vulkan_debug_get(&cnt);
        CHECK_OK(vt_execute(ref, f, 2, want, 2, &n));
        CHECK_MSG(sy_test_allclose(got, want, 2, 1e-5f, 1e-5f, "sum of cache"), "step %d differs", step);
        // the shared cache crosses the boundary both ways (80 floats), plus x up
        CHECK_MSG(cnt.last_upload_bytes == (80 + 24) * 4 && cnt.last_download_bytes == 80 * 4,
                  "copied %zu up / %zu down", cnt.last_upload_bytes, cnt.last_download_bytes);
        float a[80], b[80];
        sy_tensor t = {.data = a, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 2, 10, 4}};
        CHECK_OK(sy_runtime_read_state(mix, "kc", &t));
        t.data = b;
        CHECK_OK(sy_runtime_read_state(ref, "kc", &t));
        CHECK_MSG(memcmp(a, b, sizeof a) == 0, "shared cache differs at step %d", step);
        free(xv);
    }
    // out of range through the shared path too
    if (mix) {
        int32_t bad = 8;
        float xv[24] = {0};
        vt_feed f[2] = {vt_feed_f32("x", xv, 4, nd),
                        {.name = "start", .t = {.data = &bad, .dtype = SY_DTYPE_I32, .rank = 1, .dims = {1}}}};
        CHECK_FAILS(vt_execute(mix, f, 2, NULL, 0, NULL), SY_ERR_OUT_OF_RANGE,
                    "cache position 8 + 3 tokens is past the cache length 10");
    }
    sy_runtime_destroy(mix);
    sy_runtime_destroy(ref);
    sy_program_destroy(p);
}

/// A reshape of a state must copy (the state changes later), not alias.
static void test_state_reshape(void) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t cd[4] = {1, 1, 4, 2}, nd[4] = {1, 1, 1, 2}, one[1] = {1}, flat[1] = {8};
    uint32_t kc = vt_value(g, "kc", SY_DTYPE_F32, SY_ROLE_STATE, 4, cd, -1, 0);
    uint32_t x = vt_input(g, "x", 4, nd);
    uint32_t start = vt_value(g, "start", SY_DTYPE_I64, SY_ROLE_INPUT, 1, one, -1, 0);
    sy_attr shp = vt_attr_ints("shape", flat, 1);
    uint32_t before = vt_op(g, "snapshot", SY_OP_RESHAPE, &kc, 1, &shp, 1);
    uint32_t in[3] = {kc, x, start};
    vt_op(g, "write", SY_OP_UPDATE_CACHE, in, 3, NULL, 0);
    uint32_t dbl = vt_op(g, "dbl", SY_OP_ADD, (uint32_t[]){before, before}, 2, NULL, 0);
    sy_program *p = vt_finish(g, dbl);
    float xv[2] = {1.5f, -2.0f};
    int64_t st = 1;
    vt_feed f[2] = {vt_feed_f32("x", xv, 4, nd),
                    {.name = "start", .t = {.data = &st, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {1}}}};
    sy_runtime *rt = NULL;
    CHECK_OK(vt_runtime(p, "vulkan", &rt));
    float y[8];
    int64_t n = 0;
    if (rt) {
        CHECK_OK(vt_execute(rt, f, 2, y, 8, &n)); // the snapshot is taken before the write: zeros
        CHECK(n == 8 && y[2] == 0.0f && y[3] == 0.0f);
        CHECK_OK(vt_execute(rt, f, 2, y, 8, &n)); // now it sees the first call's write
        CHECK(y[2] == 3.0f && y[3] == -4.0f && y[0] == 0.0f);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

VT_MAIN({
    RUN(test_kv_cache_gqa);
    RUN(test_kv_cache_long);
    RUN(test_kv_cache_split_decode);
    RUN(test_shared_state);
    RUN(test_state_reshape);
})
#else
VT_MAIN({})
#endif
