// Messages built from names a program file supplies: long names must never overrun a message
// buffer (issue 15, item 1: the expected-shape message of sy_runtime_set_input was a stack
// overflow), and the whole name must still reach the user.

#include <stdlib.h>

#include "harness.h"

// A program with input x of shape [A<=3, B<=4] (A and B long symbol names) and y = relu(x).
static sy_program *long_symbol_program(const char *a, const char *b) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t sa, sb, x, y;
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, a, 3, &sa));
    CHECK_OK(sy_graph_add_symbol(g, b, 4, &sb));
    sy_value_desc d = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 2,
                       .dims = {3, 4}, .sym = {(int32_t)sa, (int32_t)sb}};
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    CHECK_OK(sy_graph_add_op(g, "r", SY_OP_RELU, &x, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static void test_set_input_long_symbols(void) {
    char a[251], b[251], want[600];
    memset(a, 'a', sizeof a - 1);
    memset(b, 'b', sizeof b - 1);
    a[sizeof a - 1] = b[sizeof b - 1] = '\0';
    sy_program *p = long_symbol_program(a, b);
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, "portable"));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    float data[12] = {0};
    sy_tensor t = {.data = data, .dtype = SY_DTYPE_F32, .rank = 1, .dims = {12}};
    // The message names the expected shape in full, both long symbols included.
    snprintf(want, sizeof want, "the program expects [%s<=3,%s<=4]", a, b);
    CHECK_FAILS(sy_runtime_set_input(rt, "x", &t), SY_ERR_SHAPE, want);
    // A wrong-shape call changes nothing: a right one afterwards still works.
    sy_tensor ok = {.data = data, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {3, 4}};
    CHECK_OK(sy_runtime_set_input(rt, "x", &ok));
    CHECK_OK(sy_runtime_execute(rt));
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

int main(void) {
    RUN(test_set_input_long_symbols);
    return TEST_SUMMARY();
}
