// The numeric check of `switchyard bench`: a delegate that computes add as a + b + 0.25 must be
// flagged on the output that depends on it (and only there), with the difference it makes, an
// exit status of 3 and MISMATCH on the terminal; the tolerances decide, and --no-check skips it.

#include "bench_test.h"

static const char *dir;
static char prog[256], json[256], log_path[256];

static cJSON *bench(int expect_rc, const char *extra) {
    int rc = bt_bench(log_path,
                      "'%s' --plugin '%s' --backends portable --backends wrong,portable --warmup 0 --iters 2 "
                      "--json '%s' --quiet %s",
                      prog, SY_BENCH_WRONG_PLUGIN, json, extra);
    CHECK_MSG(rc == expect_rc, "exit status %d, expected %d (%s)", rc, expect_rc, extra);
    return bt_read_json(json);
}

static void test_wrong_delegate_is_flagged(void) {
    cJSON *root = bench(3, "");
    if (!root) return;
    const cJSON *port = bt_config(root, "portable"), *wrong = bt_config(root, "wrong,portable");
    CHECK(port && wrong);
    if (!port || !wrong) return;
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(root, "reference");
    CHECK(ref && !strcmp(cJSON_GetObjectItemCaseSensitive(ref, "status")->valuestring, "ok"));
    // The portable configuration is the reference computation itself: exactly equal.
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(port, "outputs_match")));
    CHECK(bt_num(port, "max_abs_diff") == 0 && bt_num(port, "max_rel_diff") == 0);
    // With the wrong add: y = h + x + 0.25 is off by 0.25 everywhere (T = 4, 8 features).
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(wrong, "outputs_match")));
    const cJSON *y = bt_output(wrong, "y"), *r = bt_output(wrong, "r");
    CHECK(y && r);
    if (!y || !r) return;
    CHECK_NEAR(bt_num(y, "max_abs_diff"), 0.25, 1e-5);
    CHECK(bt_num(y, "elements") == 32);
    CHECK(bt_num(y, "n_mismatch") == 32);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(y, "ok")));
    CHECK(bt_num(y, "max_rel_diff") > 0);
    // r = relu(h) never touches the wrong delegate.
    CHECK(bt_num(r, "max_abs_diff") == 0 && bt_num(r, "n_mismatch") == 0);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")));
    CHECK(bt_num(wrong, "max_abs_diff") == bt_num(y, "max_abs_diff"));
    cJSON_Delete(root);
    char *text = bt_read(log_path);
    CHECK(text && strstr(text, "MISMATCH: 32 of 32 elements of 'y'"));
    free(text);
}

static void test_tolerances_decide(void) {
    cJSON *root = bench(0, "--atol 0.3"); // 0.25 <= 0.3 + 0.001 * |ref|: within tolerance
    const cJSON *wrong = root ? bt_config(root, "wrong,portable") : NULL;
    CHECK(wrong && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wrong, "outputs_match")));
    CHECK(wrong && fabs(bt_num(wrong, "max_abs_diff") - 0.25) < 1e-5); // still reported
    cJSON_Delete(root);
    root = bench(3, "--atol 0.2 --rtol 0");
    wrong = root ? bt_config(root, "wrong,portable") : NULL;
    CHECK(wrong && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(wrong, "outputs_match")));
    cJSON_Delete(root);
}

static void test_no_check(void) {
    cJSON *root = bench(0, "--no-check");
    const cJSON *wrong = root ? bt_config(root, "wrong,portable") : NULL;
    CHECK(wrong && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(wrong, "outputs_match")));
    CHECK(wrong && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(wrong, "max_abs_diff")));
    const cJSON *ref = root ? cJSON_GetObjectItemCaseSensitive(root, "reference") : NULL;
    CHECK(ref && !strcmp(cJSON_GetObjectItemCaseSensitive(ref, "status")->valuestring, "skipped"));
    cJSON_Delete(root);
}

int main(void) {
    dir = bt_tmpdir();
    snprintf(prog, sizeof prog, "%s/tiny.syp", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    if (bt_write_tiny(prog)) {
        RUN(test_wrong_delegate_is_flagged);
        RUN(test_tolerances_decide);
        RUN(test_no_check);
    }
    bt_rmdir(dir);
    return TEST_SUMMARY();
}
