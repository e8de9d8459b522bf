// Messages built from names a program file supplies: long names must never overrun a message
// buffer (issue 15, item 1: the expected-shape message of sy_runtime_set_input was a stack
// overflow), and the whole name must still reach the user.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/config.h"
#include "runtime/registry.h"

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

// "'y' is an output, not an input" (it said "is a output").
static void test_role_article(void) {
    sy_program *p = long_symbol_program("s", "t");
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, "portable"));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    float data[12] = {0};
    sy_tensor t = {.data = data, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {3, 4}};
    CHECK_FAILS(sy_runtime_set_input(rt, "y", &t), SY_ERR_NOT_FOUND, "'y' is an output, not an input");
    sy_tensor out;
    CHECK_FAILS(sy_runtime_get_output(rt, "x", &out), SY_ERR_NOT_FOUND, "'x' is an input, not an output");
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

// Issue 15 item 7: a huge number was cast to long long before any range check (undefined; UBSan
// stops the process). It stays a number in text, and the option check refuses it as an int.
static void test_option_huge_number(void) {
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_parse_json(c, "{\"options\": {\"fake\": {\"threads\": 1e300, \"neg\": -1e19, \"n\": 3}}}", "o.json"));
    CHECK(c->n_options == 3);
    if (c->n_options == 3) {
        CHECK(strcmp(c->options[0].value, "1.0000000000000001e+300") == 0);
        CHECK(strcmp(c->options[1].value, "-1e+19") == 0);
        CHECK(strcmp(c->options[2].value, "3") == 0);
    }
    sy_option_desc descs[] = {{"threads", SY_OPTION_INT, "0", 0, 256, NULL, "threads"},
                              {"free", SY_OPTION_INT, "0", 1, 0, NULL, "any integer"},
                              {"scale", SY_OPTION_FLOAT, "1", 1, 0, NULL, "any number"}};
    sy_delegate vt = {.name = "fake", .options = descs, .n_options = 3};
    sy_option o = {"threads", c->options[0].value};
    CHECK_FAILS(sy_delegate_check_options(&vt, &o, 1), SY_ERR_CONFIG, "threads");
    // Spaces are refused on both sides (" 2" used to pass, "2 " did not), and an integer past
    // long long's range is refused, not clamped.
    const char *bad[] = {" 2", "2 ", "\t2", "99999999999999999999"};
    for (int i = 0; i < 4; i++) {
        sy_option b = {"free", bad[i]};
        CHECK_MSG(sy_delegate_check_options(&vt, &b, 1) == SY_ERR_CONFIG, "'%s' accepted", bad[i]);
    }
    sy_option f = {"scale", " 0.5"};
    CHECK(sy_delegate_check_options(&vt, &f, 1) == SY_ERR_CONFIG);
    sy_option good = {"free", "-7"};
    CHECK_OK(sy_delegate_check_options(&vt, &good, 1));
    sy_config_destroy(c);
}

static void test_json_limits(void) {
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    // Nesting past cJSON's limit is said as such, not "malformed".
    char deep[2200];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"options\": ");
    for (int i = 0; i < 1000; i++) deep[n++] = '[';
    for (int i = 0; i < 1000; i++) deep[n++] = ']';
    snprintf(deep + n, sizeof deep - n, "}");
    CHECK_FAILS(sy_config_parse_json(c, deep, "deep.json"), SY_ERR_CONFIG, "deep.json: the JSON is nested deeper than 1000 levels");
    // Duplicate keys are refused, naming the key and where.
    CHECK_FAILS(sy_config_parse_json(c, "{\"policy\": \"strict\", \"policy\": \"fallback\"}", "d.json"), SY_ERR_CONFIG,
                "d.json: the config names \"policy\" twice");
    CHECK_FAILS(sy_config_parse_json(c, "{\"options\": {\"x\": {\"a\": 1, \"a\": 2}}}", "d.json"), SY_ERR_CONFIG,
                "d.json: \"options\".\"x\" names \"a\" twice");
    CHECK_FAILS(sy_config_parse_json(c, "{\"options\": {\"x\": {}, \"x\": {}}}", "d.json"), SY_ERR_CONFIG,
                "\"options\" names \"x\" twice");
    CHECK_FAILS(sy_config_parse_json(c, "{\"rules\": [{\"match\": \"a\", \"match\": \"b\", \"backend\": \"portable\"}]}",
                                     "d.json"), SY_ERR_CONFIG, "\"rules\"[0] names \"match\" twice");
    // A backend name over the limit is reported as too long, not as "not a backend name".
    char name[80];
    memset(name, 'a', 70);
    name[70] = '\0';
    CHECK_FAILS(sy_config_set_backends(c, name), SY_ERR_CONFIG, "is 70 bytes long; backend names have at most 63");
    // An empty plugin path is named as empty (it was shown as "./").
    CHECK_FAILS(sy_config_parse_json(c, "{\"plugins\": [\"\"]}", "p.json"), SY_ERR_CONFIG, "a plugin path is empty");
    // A string option too long for the option buffer is refused, not cut.
    char longopt[400];
    int k = snprintf(longopt, sizeof longopt, "{\"options\": {\"x\": {\"s\": \"");
    memset(longopt + k, 'v', 300);
    snprintf(longopt + k + 300, sizeof longopt - (size_t)k - 300, "\"}}}");
    CHECK_FAILS(sy_config_parse_json(c, longopt, "l.json"), SY_ERR_CONFIG, "is longer than 255 bytes");
    sy_config_destroy(c);
}

static void test_config_fifo(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/sy_cfg_fifo_%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_FAILS(sy_config_load_file(c, path), SY_ERR_IO, "not a regular file"); // returns, does not block
    sy_program *p = NULL;
    CHECK_FAILS(sy_program_load(path, &p), SY_ERR_IO, "not a regular file");
    unlink(path);
    sy_config_destroy(c);
}

int main(void) {
    RUN(test_set_input_long_symbols);
    RUN(test_role_article);
    RUN(test_option_huge_number);
    RUN(test_json_limits);
    alarm(30); // a blocking open would hang here
    RUN(test_config_fifo);
    return TEST_SUMMARY();
}
