// The data checks the op records declare (core/ops/) run through the generic paths: the runtime
// refuses a bad caller-given value before any partition runs (the message starts with the input,
// never "partition #..."), and a delegate refuses a bad value made inside its partition through
// the host's check_node_data. Either way the states are unchanged. One case per declared check:
// embedding ids, gather indices, update_cache and sdpa_with_kv_cache positions (the last two also
// with start = INT64_MAX, which overflowed `start + T <= S`, and non-consecutive positions).

#include <stdint.h>
#include <string.h>

#include "core/ops.h"
#include "harness.h"

enum { S = 4, D = 2, TMAX = 4 };

static sy_value_desc desc4(const char *name, sy_role role, int64_t t, int32_t sym) {
    sy_value_desc d = {name, SY_DTYPE_F32, role, 4, {1, 1, t, D}, {-1, -1, sym, -1, -1, -1}};
    return d;
}

// cache (state) <- update_cache(cache, new, pos'); y = sdpa_with_kv_cache(q, new, new, k_cache,
// v_cache, pos'), where pos' = pos + 0 when `derived` (the positions are then made inside a
// partition: the runtime cannot check them, the delegate must) and pos' = pos otherwise.
static sy_program *build(int derived) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t_sym = 0, p_sym = 0, cache, kc, vc, x, pos, zero, pos2, q, y;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return NULL;
    CHECK_OK(sy_graph_add_symbol(g, "T", TMAX, &t_sym));
    CHECK_OK(sy_graph_add_symbol(g, "P", TMAX, &p_sym)); // pos has its own length: 1 or T are valid
    sy_value_desc dc = desc4("cache", SY_ROLE_STATE, S, -1), dk = desc4("k_cache", SY_ROLE_STATE, S, -1);
    sy_value_desc dv = desc4("v_cache", SY_ROLE_STATE, S, -1), dx = desc4("new", SY_ROLE_INPUT, TMAX, 0);
    sy_value_desc dq = desc4("q", SY_ROLE_INPUT, TMAX, 0);
    sy_value_desc dp = {"pos", SY_DTYPE_I64, SY_ROLE_INPUT, 1, {TMAX}, {1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &dc, &cache));
    CHECK_OK(sy_graph_add_value(g, &dk, &kc));
    CHECK_OK(sy_graph_add_value(g, &dv, &vc));
    CHECK_OK(sy_graph_add_value(g, &dx, &x));
    CHECK_OK(sy_graph_add_value(g, &dq, &q));
    CHECK_OK(sy_graph_add_value(g, &dp, &pos));
    pos2 = pos;
    if (derived) {
        int64_t z = 0;
        CHECK_OK(sy_graph_add_constant(g, "zero", SY_DTYPE_I64, 1, (int64_t[]){1}, &z, sizeof z, &zero));
        CHECK_OK(sy_graph_add_op(g, "shift", SY_OP_ADD, (uint32_t[]){pos, zero}, 2, NULL, 0, &pos2));
    }
    CHECK_OK(sy_graph_add_op(g, "write", SY_OP_UPDATE_CACHE, (uint32_t[]){cache, x, pos2}, 3, NULL, 0, NULL));
    CHECK_OK(sy_graph_add_op(g, "attn", SY_OP_SDPA_WITH_KV_CACHE, (uint32_t[]){q, x, x, kc, vc, pos2}, 6, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static sy_runtime *make(const sy_program *p, const char *backends) {
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, backends));
    if (p && sy_runtime_create(p, c, &rt) != SY_OK) rt = NULL;
    sy_config_destroy(c);
    return rt;
}

#define SY_TRY_TEST(expr)                                                                          \
    do {                                                                                           \
        sy_status st_ = (expr);                                                                    \
        if (st_ != SY_OK) return st_;                                                              \
    } while (0)

static sy_status step(sy_runtime *rt, const int64_t *pos, int64_t n_pos, int64_t t) {
    static float data[TMAX * D];
    for (int i = 0; i < TMAX * D; i++) data[i] = (float)(i + 1);
    sy_tensor tx = {.data = data, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 1, t, D}};
    sy_tensor tp = {.data = (void *)pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n_pos}};
    SY_TRY_TEST(sy_runtime_set_input(rt, "new", &tx));
    SY_TRY_TEST(sy_runtime_set_input(rt, "q", &tx));
    SY_TRY_TEST(sy_runtime_set_input(rt, "pos", &tp));
    return sy_runtime_execute(rt);
}

static void read_all(sy_runtime *rt, float *dst) { // (3, S, D): cache, k_cache, v_cache
    const char *names[3] = {"cache", "k_cache", "v_cache"};
    for (int i = 0; i < 3; i++) {
        sy_tensor t = {.data = dst + i * S * D, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 1, S, D}};
        CHECK_OK(sy_runtime_read_state(rt, names[i], &t));
    }
}

// A refused call: the status, the message (needle), and no state changed.
static void expect_refused(sy_runtime *rt, const int64_t *pos, int64_t n_pos, int64_t t, sy_status status,
                           const char *needle) {
    float before[3 * S * D], after[3 * S * D];
    read_all(rt, before);
    CHECK_FAILS(step(rt, pos, n_pos, t), status, needle);
    read_all(rt, after);
    CHECK_MSG(memcmp(before, after, sizeof before) == 0, "a refused call changed a state (%s)", needle);
}

static void check_backends(const char *backends, int derived) {
    sy_program *p = build(derived);
    sy_runtime *rt = make(p, backends);
    if (!rt) {
        fprintf(stderr, "  %s: not available here\n", backends);
        sy_program_destroy(p);
        return;
    }
    int64_t ok[2] = {1, 2}, gap[2] = {1, 3}, three[3] = {0, 1, 2}, big[1] = {INT64_MAX}, neg[1] = {-1};
    CHECK_OK(step(rt, ok, 2, 2)); // rows 1 and 2
    float c[3 * S * D];
    read_all(rt, c);
    CHECK(c[0] == 0.0f && c[2] == 1.0f && c[5] == 4.0f && c[6] == 0.0f); // row 0 untouched, rows 1-2 written
    // The caller's positions are checked by the runtime before any partition runs: the message
    // names the input first. Before, `start + T <= S` overflowed for INT64_MAX and a
    // non-consecutive start_pos was silently read as its first element.
    // Derived positions are refused by the delegate running the node ("partition #...").
    const char *where = derived ? "partition #" : "input 'pos': node #";
    expect_refused(rt, big, 1, 1, SY_ERR_OUT_OF_RANGE, "past the cache length 4");
    CHECK_MSG(strncmp(sy_last_error(), where, strlen(where)) == 0, "%s: %s", backends, sy_last_error());
    expect_refused(rt, gap, 2, 2, SY_ERR_OUT_OF_RANGE, "start_pos[1] is 3; cache positions must be consecutive");
    CHECK_MSG(strncmp(sy_last_error(), where, strlen(where)) == 0, "%s: %s", backends, sy_last_error());
    expect_refused(rt, three, 3, 2, SY_ERR_SHAPE, "start_pos has 3 elements");
    expect_refused(rt, neg, 1, 1, SY_ERR_OUT_OF_RANGE, "cache position -1 is negative");
    int64_t edge[2] = {3, 4};
    expect_refused(rt, edge, 2, 2, SY_ERR_OUT_OF_RANGE, "cache position 3 + 2 tokens is past the cache length 4");
    CHECK_OK(step(rt, (int64_t[]){3}, 1, 1)); // the last row still fits
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

// The core entry point the host member check_node_data calls, on its own: the node prefix and
// no overflow at start = INT64_MAX.
static void test_node_prefix(void) {
    sy_program *p = build(0);
    if (!p) return;
    const sy_graph_view *g = sy_program_get_graph(p);
    uint32_t write = UINT32_MAX;
    for (uint32_t n = 0; n < g->n_nodes; n++)
        if (g->nodes[n].op == SY_OP_UPDATE_CACHE) write = n;
    CHECK(write != UINT32_MAX);
    if (write != UINT32_MAX) {
        int64_t start = INT64_MAX;
        float buf[1];
        sy_tensor in[3] = {{.data = buf, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 1, S, D}},
                           {.data = buf, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 1, 1, D}},
                           {.data = &start, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {1}}};
        CHECK_FAILS(sy_op_check_node_data(g, write, in), SY_ERR_OUT_OF_RANGE,
                    "'write' (update_cache): cache position 9223372036854775807 + 1 tokens is past the cache length 4");
    }
    sy_program_destroy(p);
}

// Embedding ids and gather indices from the caller, refused by the runtime.
static void test_ids_and_indices(void) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    float table[5 * 2] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint32_t tab, ids, idx, e, gt;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return;
    CHECK_OK(sy_graph_add_constant(g, "table", SY_DTYPE_F32, 2, (int64_t[]){5, 2}, table, sizeof table, &tab));
    sy_value_desc di = {"ids", SY_DTYPE_I32, SY_ROLE_INPUT, 1, {3}, {-1, -1, -1, -1, -1, -1}};
    sy_value_desc dj = {"idx", SY_DTYPE_I64, SY_ROLE_INPUT, 1, {2}, {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &di, &ids));
    CHECK_OK(sy_graph_add_value(g, &dj, &idx));
    CHECK_OK(sy_graph_add_op(g, "emb", SY_OP_EMBEDDING, (uint32_t[]){tab, ids}, 2, NULL, 0, &e));
    sy_attr axis = {.name = "axis", .type = SY_ATTR_INT, .u.i = 1};
    CHECK_OK(sy_graph_add_op(g, "pick", SY_OP_GATHER, (uint32_t[]){tab, idx}, 2, &axis, 1, &gt));
    CHECK_OK(sy_graph_set_output(g, e, "e"));
    CHECK_OK(sy_graph_set_output(g, gt, "g"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    const char *configs[3] = {"portable", "xnnpack,portable", "vulkan,portable"};
    for (int k = 0; k < 3; k++) {
        sy_runtime *rt = make(p, configs[k]);
        if (!rt) continue;
        int32_t good_ids[3] = {4, 0, 2}, bad_ids[3] = {4, 5, 0};
        int64_t good_idx[2] = {1, 0}, bad_idx[2] = {0, -1};
        sy_tensor ti = {.data = good_ids, .dtype = SY_DTYPE_I32, .rank = 1, .dims = {3}};
        sy_tensor tj = {.data = good_idx, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {2}};
        CHECK_OK(sy_runtime_set_input(rt, "ids", &ti));
        CHECK_OK(sy_runtime_set_input(rt, "idx", &tj));
        CHECK_OK(sy_runtime_execute(rt));
        sy_tensor out;
        CHECK_OK(sy_runtime_get_output(rt, "e", &out));
        CHECK(((float *)out.data)[0] == 8.0f && ((float *)out.data)[5] == 5.0f);
        CHECK_OK(sy_runtime_get_output(rt, "g", &out));
        CHECK(((float *)out.data)[0] == 1.0f && ((float *)out.data)[1] == 0.0f);
        ti.data = bad_ids;
        CHECK_OK(sy_runtime_set_input(rt, "ids", &ti));
        CHECK_FAILS(sy_runtime_execute(rt), SY_ERR_OUT_OF_RANGE,
                    "input 'ids': node #0 'emb' (embedding): token id 5 at index 1 is out of range [0, 5)");
        ti.data = good_ids;
        tj.data = bad_idx;
        CHECK_OK(sy_runtime_set_input(rt, "ids", &ti));
        CHECK_OK(sy_runtime_set_input(rt, "idx", &tj));
        CHECK_FAILS(sy_runtime_execute(rt), SY_ERR_OUT_OF_RANGE,
                    "input 'idx': node #1 'pick' (gather): index -1 at position 1 is out of range [0, 2) of axis 1");
        sy_runtime_destroy(rt);
    }
    sy_program_destroy(p);
}

static void test_caches(void) {
    const char *configs[3] = {"portable", "xnnpack,portable", "vulkan,portable"};
    for (int k = 0; k < 3; k++) {
        check_backends(configs[k], 0);
        check_backends(configs[k], 1);
    }
}

int main(void) {
    RUN(test_caches);
    RUN(test_node_prefix);
    RUN(test_ids_and_indices);
    return TEST_SUMMARY();
}
