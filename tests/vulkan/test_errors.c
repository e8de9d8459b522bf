// Bad input on the Vulkan delegate: token ids outside the table (i32, i64, negative, beyond
// 32 bits) are refused on the host with SY_ERR_OUT_OF_RANGE before any dispatch, and the
// runtime keeps working afterwards; a tensor larger than the device's maxStorageBufferRange
// is refused with a message naming the limit (and falls back under "vulkan,portable").

#include <stdio.h>

#include "vk_test.h"

#if defined(SY_HAVE_VULKAN)

static float g_table[50 * 8];

static sy_program *embedding_program(sy_dtype ids_type) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    for (int i = 0; i < 50 * 8; i++) g_table[i] = (float)i * 0.25f;
    const int64_t td[2] = {50, 8}, idd[1] = {4};
    uint32_t in[2] = {vt_constant(g, "table", SY_DTYPE_F32, 2, td, g_table),
                      vt_value(g, "ids", ids_type, SY_ROLE_INPUT, 1, idd, -1, 0)};
    uint32_t e = vt_op(g, "emb", SY_OP_EMBEDDING, in, 2, NULL, 0);
    uint32_t r = vt_op(g, "act", SY_OP_RELU, &e, 1, NULL, 0);
    return vt_finish(g, r);
}

static sy_status run_ids(sy_runtime *rt, sy_dtype type, const int64_t *ids, float *out) {
    int32_t i32[4];
    for (int i = 0; i < 4; i++) i32[i] = (int32_t)ids[i];
    vt_feed f = {
        .name = "ids",
        .t = {.data = type == SY_DTYPE_I32 ? (void *)i32 : (void *)ids, .dtype = type, .rank = 1, .dims = {4}}};
    int64_t n = 0;
    return vt_execute(rt, &f, 1, out, 32, &n);
}

static void check_rows(const float *out, const int64_t *ids) {
    int ok = 1;
    for (int r = 0; r < 4; r++) ok &= memcmp(&out[r * 8], &g_table[ids[r] * 8], 32) == 0;
    CHECK_MSG(ok, "embedding rows differ from the table");
}

static void test_token_ids(void) {
    for (int wide = 0; wide < 2; wide++) {
        sy_dtype type = wide ? SY_DTYPE_I64 : SY_DTYPE_I32;
        sy_program *p = embedding_program(type);
        sy_runtime *rt = NULL;
        CHECK_OK(vt_runtime(p, "vulkan", &rt));
        if (!rt) {
            sy_program_destroy(p);
            continue;
        }
        float out[32];
        const int64_t good[4] = {0, 49, 3, 3}, good2[4] = {7, 8, 9, 10};
        CHECK_OK(run_ids(rt, type, good, out));
        check_rows(out, good);
        const int64_t past[4] = {1, 2, 3, 70000}, neg[4] = {-1, 0, 0, 0}, edge[4] = {0, 50, 0, 0};
        CHECK_FAILS(run_ids(rt, type, past, out), SY_ERR_OUT_OF_RANGE,
                    "token id 70000 at index 3 is out of range [0, 50)");
        CHECK_FAILS(run_ids(rt, type, neg, out), SY_ERR_OUT_OF_RANGE, "token id -1 at index 0 is out of range [0, 50)");
        CHECK_FAILS(run_ids(rt, type, edge, out), SY_ERR_OUT_OF_RANGE, "token id 50 at index 1");
        if (wide) {
            const int64_t huge[4] = {0, 0, 5000000000LL, 0}; // would wrap into range in 32 bits
            CHECK_FAILS(run_ids(rt, type, huge, out), SY_ERR_OUT_OF_RANGE, "token id 5000000000 at index 2");
        }
        // nothing was corrupted: the next good call gives the right rows
        CHECK_OK(run_ids(rt, type, good2, out));
        check_rows(out, good2);
        sy_runtime_destroy(rt);
        sy_program_destroy(p);
    }
}

/// expand [1] -> [n] with n * 4 bytes above maxStorageBufferRange (where that limit is small
/// enough to test: lavapipe's is 128 MiB, most GPUs' is 4 GiB - 1).
static void test_storage_buffer_limit(void) {
    sy_graph *g = NULL;
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t one[1] = {1}, big[1] = {(1LL << 28) + 1}; // 1 GiB + 4 bytes of f32
    uint32_t x = vt_input(g, "x", 1, one);
    sy_attr shape = vt_attr_ints("shape", big, 1);
    sy_program *p = vt_finish(g, vt_op(g, "wide", SY_OP_EXPAND, &x, 1, &shape, 1));
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "vulkan"));
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    sy_status st = sy_runtime_create(p, cfg, &rt);
    if (st == SY_OK) {
        fprintf(stderr, "  (this device binds 1 GiB storage buffers: nothing to refuse)\n");
    } else {
        CHECK_MSG(strstr(sy_last_error(), "maxStorageBufferRange") != NULL, "message: %s", sy_last_error());
        fprintf(stderr, "  refused: %.300s\n", sy_last_error());
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(p);
}

VT_MAIN({
    RUN(test_token_ids);
    RUN(test_storage_buffer_limit);
})
#else
VT_MAIN({})
#endif
