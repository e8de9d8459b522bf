// Graph passes: mul(x, sigmoid(x)) becomes silu(x), dead nodes go, and the rewritten program
// computes what the original computes.

#include "harness.h"
#include "runtime/runtime.h"

static void test_silu_fusion_and_dead_code(void) {
    sy_graph *g = NULL;
    uint32_t x, s, y, dead, z;
    CHECK_OK(sy_graph_create(&g));
    sy_value_desc d = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 2, .dims = {2, 3},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    CHECK_OK(sy_graph_add_op(g, "sig", SY_OP_SIGMOID, &x, 1, NULL, 0, &s));
    uint32_t in[2] = {s, x};
    CHECK_OK(sy_graph_add_op(g, "mul", SY_OP_MUL, in, 2, NULL, 0, &y));
    CHECK_OK(sy_graph_add_op(g, "unused", SY_OP_EXP, &y, 1, NULL, 0, &dead));
    CHECK_OK(sy_graph_add_op(g, "neg", SY_OP_NEG, &y, 1, NULL, 0, &z));
    CHECK_OK(sy_graph_set_output(g, z, "z"));
    sy_program *p = NULL;
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, "portable"));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    sy_config_destroy(c);
    CHECK(rt->passes.n_fused_silu == 1 && rt->passes.n_removed_dead == 1);
    CHECK(rt->g->n_nodes == 2 && rt->g->nodes[0].op == SY_OP_SILU && rt->g->nodes[1].op == SY_OP_NEG);
    CHECK(sy_program_get_graph(p)->n_nodes == 4); // the program itself is untouched
    float xs[6] = {-3, -1, 0, 0.5f, 2, 7}, want[6];
    for (int i = 0; i < 6; i++) want[i] = -xs[i] / (1.0f + expf(-xs[i]));
    sy_tensor tx = {.data = xs, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {2, 3}}, tz;
    CHECK_OK(sy_runtime_set_input(rt, "x", &tx));
    CHECK_OK(sy_runtime_execute(rt));
    CHECK_OK(sy_runtime_get_output(rt, "z", &tz));
    CHECK_ALLCLOSE((float *)tz.data, want, 6, 1e-6f, 1e-6f);
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

int main(void) {
    RUN(test_silu_fusion_and_dead_code);
    return TEST_SUMMARY();
}
