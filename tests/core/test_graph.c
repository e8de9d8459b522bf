// The graph builder and the graph check: shape inference with symbolic dims, and clear refusals
// of bad graphs (dtype/shape mismatch, unknown op, missing attribute, cycles, roles).

#include "harness.h"
#include "core/graph.h"

static sy_value_desc desc(const char *name, sy_dtype dt, sy_role role, uint32_t rank, const int64_t *dims) {
    sy_value_desc d = {.name = name, .dtype = dt, .role = role, .rank = rank, .sym = {-1, -1, -1, -1, -1, -1}};
    for (uint32_t i = 0; i < rank; i++) d.dims[i] = dims[i];
    return d;
}

static void test_symbolic_inference(void) {
    sy_graph *g = NULL;
    uint32_t T, x, w, y[1];
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, "T", 32, &T));
    int64_t xd[3] = {1, 32, 8}, wd[2] = {4, 8};
    sy_value_desc d = desc("x", SY_DTYPE_F32, SY_ROLE_INPUT, 3, xd);
    d.sym[1] = (int32_t)T;
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    float wdata[32] = {0};
    CHECK_OK(sy_graph_add_constant(g, "w", SY_DTYPE_F32, 2, wd, wdata, sizeof wdata, &w));
    uint32_t in[2] = {x, w};
    CHECK_OK(sy_graph_add_op(g, "proj", SY_OP_LINEAR, in, 2, NULL, 0, y));
    const sy_graph_view *v = sy_graph_get_view(g);
    CHECK(v->values[y[0]].rank == 3 && v->values[y[0]].dims[1] == 32 && v->values[y[0]].sym[1] == (int32_t)T);
    CHECK(v->values[y[0]].dims[2] == 4 && v->values[y[0]].sym[2] == -1);
    // reshape with 0 (copy) keeps the symbol; a static reshape of a symbolic dim cannot be expressed.
    int64_t shape[4] = {0, 0, 2, 2};
    sy_attr a = {.name = "shape", .type = SY_ATTR_INTS, .n = 4, .u.ints = shape};
    uint32_t r;
    CHECK_OK(sy_graph_add_op(g, "split", SY_OP_RESHAPE, y, 1, &a, 1, &r));
    CHECK(v->values[r].sym[1] == (int32_t)T);
    CHECK_OK(sy_graph_set_output(g, r, "out"));
    CHECK_OK(sy_graph_validate(g));
    sy_graph_destroy(g);
}

static void test_bad_graphs(void) {
    sy_graph *g = NULL;
    uint32_t a, b, i32v, out;
    CHECK_OK(sy_graph_create(&g));
    int64_t d4[1] = {4}, d3[1] = {3};
    sy_value_desc d = desc("a", SY_DTYPE_F32, SY_ROLE_INPUT, 1, d4);
    CHECK_OK(sy_graph_add_value(g, &d, &a));
    d = desc("b", SY_DTYPE_F32, SY_ROLE_INPUT, 1, d3);
    CHECK_OK(sy_graph_add_value(g, &d, &b));
    d = desc("c", SY_DTYPE_I32, SY_ROLE_INPUT, 1, d4);
    CHECK_OK(sy_graph_add_value(g, &d, &i32v));
    CHECK_FAILS(sy_graph_add_value(g, &d, NULL), SY_ERR_INVALID_ARGUMENT, "already exists");
    uint32_t ab[2] = {a, b}, ai[2] = {a, i32v};
    CHECK_FAILS(sy_graph_add_op(g, "bad_shape", SY_OP_ADD, ab, 2, NULL, 0, &out), SY_ERR_SHAPE, "'bad_shape' (add)");
    CHECK(strstr(sy_last_error(), "do not broadcast") != NULL);
    CHECK_FAILS(sy_graph_add_op(g, "bad_dtype", SY_OP_ADD, ai, 2, NULL, 0, &out), SY_ERR_DTYPE, "'bad_dtype' (add)");
    CHECK_FAILS(sy_graph_add_op(g, "bad_op", (sy_op)999, ab, 2, NULL, 0, &out), SY_ERR_UNSUPPORTED, "unknown op");
    CHECK_FAILS(sy_graph_add_op(g, "no_perm", SY_OP_TRANSPOSE, &a, 1, NULL, 0, &out), SY_ERR_INVALID_ARGUMENT,
                "missing required attribute 'perm'");
    CHECK_FAILS(sy_graph_add_op(g, "arity", SY_OP_ADD, &a, 1, NULL, 0, &out), SY_ERR_INVALID_ARGUMENT, "1 inputs given");
    uint32_t ghost[2] = {a, 4096};
    CHECK_FAILS(sy_graph_add_op(g, "ghost", SY_OP_ADD, ghost, 2, NULL, 0, &out), SY_ERR_INVALID_ARGUMENT,
                "value #4096 does not exist");
    // Failed adds leave the graph as it was.
    CHECK(sy_graph_get_view(g)->n_nodes == 0 && sy_graph_get_view(g)->n_values == 3);
    // A cycle: two nodes each reading the other's output, declared with sy_graph_add_node.
    uint32_t p, q;
    d = desc("p", SY_DTYPE_F32, SY_ROLE_INTERMEDIATE, 1, d4);
    CHECK_OK(sy_graph_add_value(g, &d, &p));
    d = desc("q", SY_DTYPE_F32, SY_ROLE_OUTPUT, 1, d4);
    CHECK_OK(sy_graph_add_value(g, &d, &q));
    uint32_t n0_in[2] = {a, q}, n1_in[2] = {p, a};
    CHECK_OK(sy_graph_add_node(g, "n0", SY_OP_ADD, n0_in, 2, &p, 1, NULL, 0, NULL));
    CHECK_OK(sy_graph_add_node(g, "n1", SY_OP_ADD, n1_in, 2, &q, 1, NULL, 0, NULL));
    CHECK_FAILS(sy_graph_validate(g), SY_ERR_FORMAT, "before any node produces it (nodes out of order, or a cycle)");
    sy_graph_destroy(g);
    // A state written in place must be a state; an input may not be produced.
    CHECK_OK(sy_graph_create(&g));
    int64_t cd[4] = {1, 1, 4, 2}, nd[4] = {1, 1, 1, 2}, pd[1] = {1};
    uint32_t cache, nw, pos;
    d = desc("cache", SY_DTYPE_F32, SY_ROLE_INPUT, 4, cd);
    CHECK_OK(sy_graph_add_value(g, &d, &cache));
    d = desc("new", SY_DTYPE_F32, SY_ROLE_INPUT, 4, nd);
    CHECK_OK(sy_graph_add_value(g, &d, &nw));
    d = desc("pos", SY_DTYPE_I64, SY_ROLE_INPUT, 1, pd);
    CHECK_OK(sy_graph_add_value(g, &d, &pos));
    uint32_t uc[3] = {cache, nw, pos};
    CHECK_OK(sy_graph_add_node(g, "write", SY_OP_UPDATE_CACHE, uc, 3, NULL, 0, NULL, 0, NULL));
    CHECK_FAILS(sy_graph_validate(g), SY_ERR_FORMAT, "must be a state (its role is input)");
    sy_graph_destroy(g);
}

static void test_declared_shape_mismatch(void) {
    sy_graph *g = NULL;
    uint32_t a, o;
    int64_t d4[1] = {4}, d5[1] = {5};
    CHECK_OK(sy_graph_create(&g));
    sy_value_desc d = desc("a", SY_DTYPE_F32, SY_ROLE_INPUT, 1, d4);
    CHECK_OK(sy_graph_add_value(g, &d, &a));
    d = desc("o", SY_DTYPE_F32, SY_ROLE_OUTPUT, 1, d5);
    CHECK_OK(sy_graph_add_value(g, &d, &o));
    CHECK_OK(sy_graph_add_node(g, "neg", SY_OP_NEG, &a, 1, &o, 1, NULL, 0, NULL));
    CHECK_FAILS(sy_graph_validate(g), SY_ERR_SHAPE, "value #1 'o' is declared f32 [5] but the op produces f32 [4]");
    CHECK_FAILS(sy_graph_save(g, "/tmp/should_not_exist.syp"), SY_ERR_SHAPE, "declared");
    sy_graph_destroy(g);
}

int main(void) {
    RUN(test_symbolic_inference);
    RUN(test_bad_graphs);
    RUN(test_declared_shape_mismatch);
    return TEST_SUMMARY();
}
