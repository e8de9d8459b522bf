// Partitioner cases: a graph where naive merging would create a cycle, a graph split across
// three backends (test-only capability sets), rules, determinism, state ownership, refusals.

#include <stdlib.h>

#include "harness.h"
#include "partitioner/partition.h"

/// A test backend that supports the ops whose bits are set in ctx (a uint64_t mask).
static int supports_mask(void *ctx, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    uint64_t mask = *(const uint64_t *)ctx;
    if (mask >> g->nodes[node].op & 1u) return 1;
    snprintf(reason, size, "test backend lacks %s", sy_op_name(g->nodes[node].op));
    return 0;
}

static uint64_t bit(sy_op op) { return (uint64_t)1 << op; }

static sy_graph *new_graph(uint32_t *x) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    sy_value_desc d = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 1, .dims = {4},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &d, x));
    return g;
}

static uint32_t add_op(sy_graph *g, const char *name, sy_op op, uint32_t a, uint32_t b) {
    uint32_t in[2] = {a, b}, out = 0;
    CHECK_OK(sy_graph_add_op(g, name, op, in, op == SY_OP_SILU ? 1 : 2, NULL, 0, &out));
    return out;
}

static void test_cycle_is_refused(void) {
    // a = add(x, x) on A; b = mul(a, a) on B; c = add(a, b) on A. Merging c into a's partition
    // would make {a, c} depend on {b} and {b} on {a, c}: the partitioner must split.
    uint32_t x;
    sy_graph *g = new_graph(&x);
    uint32_t a = add_op(g, "a", SY_OP_ADD, x, x);
    uint32_t b = add_op(g, "b", SY_OP_MUL, a, a);
    uint32_t c = add_op(g, "c", SY_OP_ADD, a, b);
    CHECK_OK(sy_graph_set_output(g, c, "out"));
    uint64_t ma = bit(SY_OP_ADD), mb = bit(SY_OP_MUL);
    sy_part_backend be[2] = {{"A", 1, NULL, supports_mask, &ma}, {"B", 1, NULL, supports_mask, &mb}};
    sy_partition_plan plan;
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 2, NULL, 0, NULL, NULL, &plan));
    CHECK(plan.n_partitions == 3);
    CHECK(plan.node_partition[0] == 0 && plan.node_partition[1] == 1 && plan.node_partition[2] == 2);
    CHECK(plan.partitions[0].backend == 0 && plan.partitions[1].backend == 1 && plan.partitions[2].backend == 0);
    // boundaries: a crosses from #0 to #1 and #2; b from #1 to #2; out is a graph output.
    CHECK(plan.partitions[0].n_outputs == 1 && plan.partitions[0].outputs[0] == a);
    CHECK(plan.partitions[2].n_inputs == 2);
    CHECK(plan.partitions[2].n_outputs == 1 && plan.partitions[2].outputs[0] == c);
    CHECK(plan.reasons[1 * 2 + 0] && strstr(plan.reasons[1 * 2 + 0], "lacks mul"));
    sy_partition_plan_free(&plan);
    sy_graph_destroy(g);
}

static void test_independent_work_merges(void) {
    // Two chains on A separated by nothing on B merge into one partition; a B node in between
    // that does not feed the second chain does not split it.
    uint32_t x;
    sy_graph *g = new_graph(&x);
    uint32_t a = add_op(g, "a", SY_OP_ADD, x, x);
    uint32_t b = add_op(g, "b", SY_OP_MUL, x, x);
    uint32_t c = add_op(g, "c", SY_OP_ADD, a, x);
    CHECK_OK(sy_graph_set_output(g, b, "ob"));
    CHECK_OK(sy_graph_set_output(g, c, "oc"));
    uint64_t ma = bit(SY_OP_ADD), mb = bit(SY_OP_MUL);
    sy_part_backend be[2] = {{"A", 1, NULL, supports_mask, &ma}, {"B", 1, NULL, supports_mask, &mb}};
    sy_partition_plan plan;
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 2, NULL, 0, NULL, NULL, &plan));
    CHECK(plan.n_partitions == 2);
    CHECK(plan.node_partition[0] == plan.node_partition[2]);
    sy_partition_plan_free(&plan);
    sy_graph_destroy(g);
}

static void test_three_backends_rules_and_determinism(void) {
    uint32_t x;
    sy_graph *g = new_graph(&x);
    uint32_t a = add_op(g, "blk.0.add", SY_OP_ADD, x, x);
    uint32_t m = add_op(g, "blk.0.mul", SY_OP_MUL, a, x);
    uint32_t s = add_op(g, "blk.0.silu", SY_OP_SILU, m, 0);
    CHECK_OK(sy_graph_set_output(g, s, "y"));
    uint64_t m_alpha = bit(SY_OP_ADD), m_beta = bit(SY_OP_MUL), m_all = ~(uint64_t)0;
    sy_part_backend be[3] = {{"alpha", 1, NULL, supports_mask, &m_alpha},
                             {"beta", 1, NULL, supports_mask, &m_beta},
                             {"gamma", 1, NULL, supports_mask, &m_all}};
    sy_partition_plan p1, p2;
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 3, NULL, 0, NULL, NULL, &p1));
    CHECK(p1.n_partitions == 3);
    CHECK(p1.node_backend[0] == 0 && p1.node_backend[1] == 1 && p1.node_backend[2] == 2);
    CHECK(p1.reasons[2 * 3 + 0] && p1.reasons[2 * 3 + 1] && !p1.reasons[2 * 3 + 2]);
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 3, NULL, 0, NULL, NULL, &p2));
    CHECK(p2.n_partitions == p1.n_partitions);
    for (uint32_t n = 0; n < 3; n++) CHECK(p1.node_partition[n] == p2.node_partition[n]);
    sy_partition_plan_free(&p1);
    sy_partition_plan_free(&p2);
    // Rules: pin mul to gamma by op, forbid alpha for blk.0.* names.
    sy_part_rule rules[2] = {{SY_RULE_PIN, "op:mul", "gamma"}, {SY_RULE_FORBID, "blk.0.*", "alpha"}};
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 3, rules, 2, NULL, NULL, &p1));
    CHECK(p1.node_backend[0] == 2 && p1.node_backend[1] == 2 && p1.node_backend[2] == 2);
    CHECK(p1.n_partitions == 1);
    CHECK(strstr(p1.reasons[0 * 3 + 0], "forbidden by rule 'blk.0.*'") != NULL);
    CHECK(strstr(p1.reasons[1 * 3 + 1], "pins it to 'gamma'") != NULL);
    sy_partition_plan_free(&p1);
    // Unavailable backend: skipped with its reason. Nobody takes silu without gamma: an error.
    be[2].available = 0;
    be[2].unavailable_reason = "no device";
    CHECK_FAILS(sy_partition_graph(sy_graph_get_view(g), be, 3, NULL, 0, NULL, NULL, &p1), SY_ERR_UNSUPPORTED,
                "gamma: unavailable: no device");
    CHECK(strstr(sy_last_error(), "'blk.0.silu'") != NULL);
    sy_graph_destroy(g);
}

static void test_state_ownership(void) {
    // cache is written by update_cache (on A) and read by an add (on B): neither owns it.
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    sy_value_desc d = {.name = "cache", .dtype = SY_DTYPE_F32, .role = SY_ROLE_STATE, .rank = 4, .dims = {1, 1, 8, 2},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    uint32_t cache, nw, pos, y;
    CHECK_OK(sy_graph_add_value(g, &d, &cache));
    d.name = "new";
    d.role = SY_ROLE_INPUT;
    d.dims[2] = 1;
    CHECK_OK(sy_graph_add_value(g, &d, &nw));
    sy_value_desc pd = {.name = "pos", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 1, .dims = {1},
                        .sym = {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &pd, &pos));
    uint32_t in[3] = {cache, nw, pos};
    CHECK_OK(sy_graph_add_op(g, "write", SY_OP_UPDATE_CACHE, in, 3, NULL, 0, NULL));
    y = add_op(g, "read", SY_OP_ADD, cache, cache);
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    uint64_t ma = bit(SY_OP_UPDATE_CACHE), mb = bit(SY_OP_ADD);
    sy_part_backend be[2] = {{"A", 1, NULL, supports_mask, &ma}, {"B", 1, NULL, supports_mask, &mb}};
    sy_partition_plan plan;
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 2, NULL, 0, NULL, NULL, &plan));
    CHECK(plan.n_partitions == 2);
    CHECK(plan.partitions[0].n_states == 1 && plan.partitions[0].owns_state[0] == 0);
    CHECK(plan.partitions[1].n_states == 1 && plan.partitions[1].owns_state[0] == 0);
    CHECK(plan.partitions[0].backend == 0); // the write runs before the read (state order)
    sy_partition_plan_free(&plan);
    // One backend for both: it owns the state.
    uint64_t mall = ma | mb;
    be[0].ctx = &mall;
    CHECK_OK(sy_partition_graph(sy_graph_get_view(g), be, 2, NULL, 0, NULL, NULL, &plan));
    CHECK(plan.n_partitions == 1 && plan.partitions[0].owns_state[0] == 1);
    sy_partition_plan_free(&plan);
    sy_graph_destroy(g);
}

int main(void) {
    RUN(test_cycle_is_refused);
    RUN(test_independent_work_merges);
    RUN(test_three_backends_rules_and_determinism);
    RUN(test_state_ownership);
    return TEST_SUMMARY();
}
