// Runtime config: JSON parsing, precedence, and clear errors for malformed or unknown things.

#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/config.h"
#include "importers/decoder.h"

static void test_json_fields(void) {
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK(strstr(sy_config_get_backends(c), "portable") != NULL); // the default ends with portable
    CHECK_OK(sy_config_parse_json(c,
                                  "{\"backends\": [\"portable\"], \"policy\": \"strict\",\n"
                                  " \"options\": {\"xnnpack\": {\"threads\": 2, \"flag\": true}},\n"
                                  " \"rules\": [{\"match\": \"op:softmax\", \"backend\": \"portable\"},\n"
                                  "           {\"match\": \"blk.*.ffn_*\", \"backend\": \"xnnpack\", \"kind\": \"forbid\"}],\n"
                                  " \"plugins\": [\"/nowhere/libx.so\"]}",
                                  "test.json"));
    CHECK(strcmp(sy_config_get_backends(c), "portable") == 0);
    CHECK(c->policy == SY_POLICY_STRICT);
    CHECK(c->n_options == 2 && !strcmp(c->options[0].value, "2") && !strcmp(c->options[1].value, "true"));
    CHECK(c->n_rules == 2 && c->rules[0].kind == SY_RULE_PIN && c->rules[1].kind == SY_RULE_FORBID);
    CHECK(c->n_plugins == 1);
    sy_config_destroy(c);
}

static void test_json_errors(void) {
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_FAILS(sy_config_parse_json(c, "{\n\"backends\": [\"portable\",\n}", "bad.json"), SY_ERR_CONFIG,
                "bad.json: malformed JSON near line 3");
    CHECK_FAILS(sy_config_parse_json(c, "[]", "x.json"), SY_ERR_CONFIG, "must be a JSON object");
    CHECK_FAILS(sy_config_parse_json(c, "{\"backend\": \"portable\"}", "x.json"), SY_ERR_CONFIG,
                "unknown field \"backend\" (known: backends");
    CHECK_FAILS(sy_config_parse_json(c, "{\"backends\": [1]}", "x.json"), SY_ERR_CONFIG, "\"backends\"[0] must be a string");
    CHECK_FAILS(sy_config_parse_json(c, "{\"backends\": \"Portable!\"}", "x.json"), SY_ERR_CONFIG, "not a backend name");
    CHECK_FAILS(sy_config_parse_json(c, "{\"policy\": \"lenient\"}", "x.json"), SY_ERR_CONFIG, "\"strict\" or \"fallback\"");
    CHECK_FAILS(sy_config_parse_json(c, "{\"options\": {\"xnnpack\": 3}}", "x.json"), SY_ERR_CONFIG, "must be an object");
    CHECK_FAILS(sy_config_parse_json(c, "{\"rules\": [{\"match\": \"op:nope\", \"backend\": \"portable\"}]}", "x.json"),
                SY_ERR_CONFIG, "unknown op 'nope'");
    CHECK_FAILS(sy_config_parse_json(c, "{\"rules\": [{\"match\": \"x\", \"backend\": \"portable\", \"kind\": \"maybe\"}]}",
                                     "x.json"), SY_ERR_CONFIG, "\"pin\" or \"forbid\"");
    CHECK_FAILS(sy_config_set_backends(c, "portable,portable"), SY_ERR_CONFIG, "twice");
    CHECK_FAILS(sy_config_load_file(c, "/nonexistent/config.json"), SY_ERR_IO, "/nonexistent/config.json");
    // A failed parse leaves the backends as they were.
    CHECK(strstr(sy_config_get_backends(c), "portable") != NULL);
    sy_config_destroy(c);
}

static void test_env_and_runtime_errors(void) {
    sy_decoder_config mc = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *p = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_decoder_build(&mc, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    setenv("SWITCHYARD_BACKENDS", "nosuch,portable", 1);
    CHECK_OK(sy_config_apply_env(c));
    CHECK(!strcmp(sy_config_get_backends(c), "nosuch,portable"));
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, "unknown backend 'nosuch' (known backends: ");
    CHECK(strstr(sy_last_error(), "portable") != NULL);
    setenv("SWITCHYARD_BACKENDS", "bad name", 1);
    CHECK_FAILS(sy_config_apply_env(c), SY_ERR_CONFIG, "SWITCHYARD_BACKENDS");
    unsetenv("SWITCHYARD_BACKENDS");
    CHECK_OK(sy_config_set_backends(c, "portable"));
    CHECK_OK(sy_config_set_option(c, "portable", "threads", "2"));
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, "backend 'portable' has no option 'threads'");
    sy_config_destroy(c);
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, "portable"));
    CHECK_OK(sy_config_set_option(c, "ghost", "k", "v"));
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, "unknown backend 'ghost'");
    sy_config_destroy(c);
    CHECK(rt == NULL);
    sy_program_destroy(p);
}

static void test_plugin_paths_relative_to_file(void) {
    char dir[] = "/tmp/sy_config_XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/c.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("{\"plugins\": [\"libx.so\", \"/abs/liby.so\"]}", f);
    fclose(f);
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_load_file(c, path));
    char want[256];
    snprintf(want, sizeof want, "%s/libx.so", dir);
    CHECK(c->n_plugins == 2 && !strcmp(c->plugins[0], want) && !strcmp(c->plugins[1], "/abs/liby.so"));
    CHECK_OK(sy_config_parse_json(c, "{\"plugins\": [\"rel.so\"]}", "inline")); // no file: as given
    CHECK(c->n_plugins == 3 && !strcmp(c->plugins[2], "rel.so"));
    sy_config_destroy(c);
    remove(path);
    rmdir(dir);
}

int main(void) {
    RUN(test_plugin_paths_relative_to_file);
    RUN(test_json_fields);
    RUN(test_json_errors);
    RUN(test_env_and_runtime_errors);
    return TEST_SUMMARY();
}
