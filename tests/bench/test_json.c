// `switchyard bench --json`: every configuration carries every field (null where a figure does
// not exist), figures are consistent with each other and with what the program implies
// (partitions, placement, bytes crossing the boundary), and LLM mode reports its rates.

#include "bench_test.h"
#include "importers/decoder.h"

static const char *const config_keys[] = {
    "label",   "backends",     "status",  "reason",       "load_ms",      "compile_ms",    "init_ms",    "latency_ms",
    "speedup", "n_partitions", "n_nodes", "partitions",   "op_placement", "phases",        "copy_bytes", "copy_ms",
    "llm",     "memory",       "outputs", "max_abs_diff", "max_rel_diff", "outputs_match", "notes"};
static const char *const phase_keys[] = {"name",
                                         "tokens_per_execute",
                                         "latency_ms",
                                         "partition_ms",
                                         "runtime_overhead_ms",
                                         "copy_bytes",
                                         "copy_ms",
                                         "other_events_ms",
                                         "profiled_ms",
                                         "speedup",
                                         "ops",
                                         "other_events",
                                         "events_dropped"};
static const char *const stats_keys[] = {"min", "median", "p90", "mean", "max", "n"};
static const char *const llm_keys[] = {"prompt_len", "decode_tokens", "ttft_ms", "prefill_tokens_per_s",
                                       "decode_tokens_per_s"};
static const char *const memory_keys[] = {"peak_rss_kb", "arena_bytes", "packed_bytes", "state_bytes"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_keys(const cJSON *o, const char *const *keys, size_t n, const char *where) {
    CHECK_MSG(cJSON_IsObject(o), "%s is not an object", where);
    for (size_t i = 0; i < n; i++) CHECK_MSG(cJSON_HasObjectItem(o, keys[i]), "%s lacks '%s'", where, keys[i]);
}

/// Sum of the numbers of an object's members (nested one level: op -> backend -> count).
static double placement_total(const cJSON *placement) {
    double sum = 0;
    const cJSON *op, *be;
    cJSON_ArrayForEach(op, placement) cJSON_ArrayForEach(be, op) sum += be->valuedouble;
    return sum;
}

static void check_all_fields(const cJSON *c, const char *label) {
    check_keys(c, config_keys, N(config_keys), label);
    check_keys(cJSON_GetObjectItemCaseSensitive(c, "latency_ms"), stats_keys, N(stats_keys), "latency_ms");
    check_keys(cJSON_GetObjectItemCaseSensitive(c, "llm"), llm_keys, N(llm_keys), "llm");
    check_keys(cJSON_GetObjectItemCaseSensitive(c, "memory"), memory_keys, N(memory_keys), "memory");
    const cJSON *ph;
    int n = 0;
    cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(c, "phases")) {
        check_keys(ph, phase_keys, N(phase_keys), "phase");
        check_keys(cJSON_GetObjectItemCaseSensitive(ph, "latency_ms"), stats_keys, N(stats_keys), "phase latency_ms");
        n++;
    }
    CHECK_MSG(n >= 1, "%s has no phases", label);
}

static void check_latency(const cJSON *c, int iters) {
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(c, "latency_ms");
    double mn = bt_num(lat, "min"), med = bt_num(lat, "median"), p90 = bt_num(lat, "p90"), mx = bt_num(lat, "max");
    CHECK_MSG(mn > 0 && mn <= med && med <= p90 && p90 <= mx, "latency %g %g %g %g", mn, med, p90, mx);
    CHECK(bt_num(lat, "n") == iters);
}

static void test_every_field_for_every_configuration(void) {
    const char *dir = bt_tmpdir();
    char prog[256], json[256], log[256];
    snprintf(prog, sizeof prog, "%s/tiny.syp", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    if (!bt_write_tiny(prog)) return;
    int rc = bt_bench(log,
                      "'%s' --plugin '%s' --backends portable --backends wrong,portable --backends nosuch,portable "
                      "--warmup 1 --iters 4 --json '%s' --quiet",
                      prog, SY_BENCH_WRONG_PLUGIN, json);
    CHECK_MSG(rc == 3, "exit status %d (3: outputs differ)", rc); // the wrong delegate is wrong
    cJSON *root = bt_read_json(json);
    if (!root) return;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "configurations")) == 3);
    CHECK(bt_num(root, "program.n_nodes") == 3);
    CHECK(bt_num(root, "program.symbols.T") == 4);
    CHECK(bt_num(root, "baseline") == 0);
    const cJSON *port = bt_config(root, "portable"), *wrong = bt_config(root, "wrong,portable"),
                *none = bt_config(root, "nosuch,portable");
    CHECK(port && wrong && none);
    if (!port || !wrong || !none) return;
    check_all_fields(port, "portable");
    check_all_fields(wrong, "wrong,portable");
    check_all_fields(none, "nosuch,portable");

    // The configurations that ran.
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(port, "status")->valuestring, "ok"));
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(wrong, "status")->valuestring, "ok"));
    check_latency(port, 4);
    check_latency(wrong, 4);
    CHECK(bt_num(port, "speedup") == 1.0);
    CHECK_NEAR(bt_num(wrong, "speedup"), bt_num(port, "latency_ms.median") / bt_num(wrong, "latency_ms.median"), 1e-9);
    CHECK(bt_num(port, "init_ms") >= bt_num(port, "compile_ms"));
    CHECK(bt_num(port, "memory.peak_rss_kb") > 0);
    CHECK(bt_num(wrong, "memory.peak_rss_kb") >= bt_num(port, "memory.peak_rss_kb")); // monotone
    // Placement: everything on portable; with "wrong" first, the add (and only it) goes there.
    CHECK(bt_num(port, "n_partitions") == 1);
    CHECK(bt_num(port, "op_placement.linear.portable") == 1);
    CHECK(bt_num(port, "op_placement.add.portable") == 1);
    CHECK(bt_num(wrong, "n_partitions") >= 2);
    CHECK(bt_num(wrong, "op_placement.add.wrong") == 1);
    CHECK(isnan(bt_num(wrong, "op_placement.add.portable")));
    CHECK(bt_num(wrong, "op_placement.relu.portable") == 1);
    CHECK(placement_total(cJSON_GetObjectItemCaseSensitive(wrong, "op_placement")) == bt_num(wrong, "n_nodes"));
    // Boundary bytes: h [1, 4, 8] f32 enters the wrong partition; nothing crosses with one partition.
    CHECK(bt_num(port, "copy_bytes") == 0);
    CHECK(bt_num(wrong, "copy_bytes") == 4 * 8 * 4);
    // Per-op times come from the profiling events of both delegates.
    const cJSON *ph = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(wrong, "phases"), 0), *op;
    int saw_add = 0, saw_linear = 0;
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(ph, "ops")) {
        const char *name = cJSON_GetObjectItemCaseSensitive(op, "op")->valuestring;
        const char *backend = cJSON_GetObjectItemCaseSensitive(op, "backend")->valuestring;
        if (!strcmp(name, "add"))
            saw_add = !strcmp(backend, "wrong") && bt_num(op, "profiled_nodes") == 1 && bt_num(op, "ms") >= 0;
        if (!strcmp(name, "linear")) saw_linear = !strcmp(backend, "portable") && bt_num(op, "ms") > 0;
    }
    CHECK(saw_add && saw_linear);
    // The wrong delegate's staging event is not a node: it is listed by name and counted as copying.
    const cJSON *other = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ph, "other_events"), 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ph, "other_events")) == 1);
    CHECK(other && !strcmp(cJSON_GetObjectItemCaseSensitive(other, "name")->valuestring, "wrong: copy inputs"));
    CHECK(other && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(other, "copy")));
    CHECK(bt_num(ph, "copy_ms") >= 0 && bt_num(ph, "copy_ms") == bt_num(ph, "other_events_ms"));
    CHECK(bt_num(wrong, "copy_ms") == bt_num(ph, "copy_ms"));
    CHECK(bt_num(port, "copy_ms") == 0); // portable reports nodes only
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(ph, "partition_ms");
    CHECK(cJSON_GetArraySize(parts) == (int)bt_num(wrong, "n_partitions"));
    double sum = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) sum += p->valuedouble;
    CHECK_MSG(sum <= bt_num(ph, "latency_ms.mean") + 1e-9, "partitions %g > execute %g", sum,
              bt_num(ph, "latency_ms.mean"));
    CHECK_NEAR(sum + bt_num(ph, "runtime_overhead_ms"), bt_num(ph, "latency_ms.mean"), 1e-9);

    // The configuration that could not run is listed, with why, and null figures.
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(none, "status")->valuestring, "unavailable"));
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(none, "reason");
    CHECK(cJSON_IsString(reason) && strstr(reason->valuestring, "'nosuch'"));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(none, "load_ms")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(none, "speedup")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(none, "outputs_match")));
    CHECK(
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(none, "latency_ms"), "median")));
    cJSON_Delete(root);
    bt_rmdir(dir);
}

static void test_llm_mode(void) {
    const char *dir = bt_tmpdir();
    char prog[256], json[256], log[256];
    snprintf(prog, sizeof prog, "%s/decoder.syp", dir);
    snprintf(json, sizeof json, "%s/llm.json", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    sy_decoder_config c = sy_decoder_tiny(); // max_tokens 16, cache 64
    sy_graph *g = NULL;
    CHECK_OK(sy_decoder_build(&c, &g));
    CHECK_OK(sy_graph_save(g, prog));
    sy_graph_destroy(g);
    // A 20-token prompt is two prefill calls (16 + 4), then 3 decode steps; one timed repetition
    // so that the rates and TTFT come from the same calls.
    int rc =
        bt_bench(log, "'%s' --backends portable --prompt-len 20 --decode 3 --warmup 1 --iters 1 --json '%s' --quiet",
                 prog, json);
    CHECK(rc == 0);
    cJSON *root = bt_read_json(json);
    if (!root) return;
    CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(root, "mode")->valuestring, "llm"));
    const cJSON *cfg = bt_config(root, "portable");
    CHECK(cfg != NULL);
    if (cfg) {
        check_all_fields(cfg, "portable");
        CHECK(bt_num(cfg, "llm.prompt_len") == 20 && bt_num(cfg, "llm.decode_tokens") == 3);
        double ttft = bt_num(cfg, "llm.ttft_ms"), pre = bt_num(cfg, "llm.prefill_tokens_per_s"),
               dec = bt_num(cfg, "llm.decode_tokens_per_s");
        CHECK_MSG(ttft > 0 && pre > 0 && dec > 0, "ttft %g prefill %g/s decode %g/s", ttft, pre, dec);
        // TTFT is both prefill calls plus the greedy pick: 20 tokens at the prefill rate, a bit more.
        CHECK_MSG(pre * ttft / 1e3 >= 20 - 1e-9 && pre * ttft / 1e3 <= 21, "prefill %g/s with ttft %g ms", pre, ttft);
        const cJSON *phases = cJSON_GetObjectItemCaseSensitive(cfg, "phases");
        CHECK(cJSON_GetArraySize(phases) == 2);
        const cJSON *prefill = cJSON_GetArrayItem(phases, 0), *decode = cJSON_GetArrayItem(phases, 1);
        CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(prefill, "name")->valuestring, "prefill"));
        CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(decode, "name")->valuestring, "decode"));
        CHECK(bt_num(prefill, "latency_ms.n") == 2); // 2 calls x 1 repetition
        CHECK(bt_num(decode, "latency_ms.n") == 3);  // 3 steps x 1 repetition
        // The decode rate is 3 tokens over the sum of the 3 decode calls.
        CHECK_NEAR(dec, 3 / (3 * bt_num(decode, "latency_ms.mean") / 1e3), dec * 1e-9);
        CHECK(bt_num(prefill, "tokens_per_execute") == 16 && bt_num(decode, "tokens_per_execute") == 1);
        // Outputs of every step (both prefill chunks, every decode step) equal the reference.
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "outputs_match")));
        CHECK(bt_num(cfg, "max_abs_diff") == 0);
        CHECK(bt_num(bt_output(cfg, "logits"), "elements") == (20 + 3) * 256);
    }
    cJSON_Delete(root);
    // A prompt and decode that do not fit the 64-position cache are refused up front.
    rc = bt_bench(log, "'%s' --backends portable --prompt-len 60 --decode 10 --quiet", prog);
    CHECK(rc == 1);
    char *text = bt_read(log);
    CHECK(text && strstr(text, "must fit the cache of 64"));
    free(text);
    bt_rmdir(dir);
}

static void test_counts_follow_the_runtime_graph(void) {
    // mul(x, sigmoid(x)) is what the graph passes rewrite into silu(x): bench must describe the
    // graph the runtime partitioned, whatever the passes did, and stay consistent with itself.
    const char *dir = bt_tmpdir();
    char prog[256], json[256], log[256];
    snprintf(prog, sizeof prog, "%s/fusable.syp", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    sy_graph *g = NULL;
    uint32_t x, s, y;
    sy_value_desc d = {.name = "x",
                       .dtype = SY_DTYPE_F32,
                       .role = SY_ROLE_INPUT,
                       .rank = 2,
                       .dims = {2, 8},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    CHECK_OK(sy_graph_add_op(g, "gate", SY_OP_SIGMOID, &x, 1, NULL, 0, &s));
    uint32_t in[2] = {x, s};
    CHECK_OK(sy_graph_add_op(g, "swish", SY_OP_MUL, in, 2, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_graph_save(g, prog));
    sy_graph_destroy(g);
    CHECK(bt_bench(log, "'%s' --backends portable --warmup 0 --iters 2 --json '%s' --quiet", prog, json) == 0);
    cJSON *root = bt_read_json(json);
    const cJSON *c = root ? bt_config(root, "portable") : NULL;
    CHECK(c != NULL);
    if (c) {
        double nodes = bt_num(c, "n_nodes");
        CHECK(nodes >= 1 && nodes <= bt_num(root, "program.n_nodes"));
        CHECK(placement_total(cJSON_GetObjectItemCaseSensitive(c, "op_placement")) == nodes);
        CHECK(bt_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "partitions"), 0), "n_nodes") == nodes);
        const cJSON *op;
        cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "phases"), 0), "ops")) {
            const char *name = cJSON_GetObjectItemCaseSensitive(op, "op")->valuestring;
            CHECK_MSG(cJSON_HasObjectItem(cJSON_GetObjectItemCaseSensitive(c, "op_placement"), name), "op %s", name);
            CHECK(bt_num(op, "profiled_nodes") == bt_num(op, "nodes")); // portable reports every node
        }
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "outputs_match")));
    }
    cJSON_Delete(root);
    bt_rmdir(dir);
}

int main(void) {
    RUN(test_every_field_for_every_configuration);
    RUN(test_llm_mode);
    RUN(test_counts_follow_the_runtime_graph);
    return TEST_SUMMARY();
}
