#pragma once

// Shared pieces of the `switchyard bench` tests: the tiny program, running the built binary,
// reading its files. tests/bench/CMakeLists.txt passes the paths of the CLI and of the wrong
// delegate plugin as SY_BENCH_CLI and SY_BENCH_WRONG_PLUGIN.

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#ifndef SY_BENCH_CLI
#define SY_BENCH_CLI ""
#endif
#ifndef SY_BENCH_WRONG_PLUGIN
#define SY_BENCH_WRONG_PLUGIN ""
#endif

/// The switchyard binary: the build's target file, else $SY_BUILD_DIR/tools/switchyard.
static inline const char *bt_cli(void) {
    static char path[1024];
    if (SY_BENCH_CLI[0]) return SY_BENCH_CLI;
    const char *dir = getenv("SY_BUILD_DIR");
    snprintf(path, sizeof path, "%s/tools/switchyard", dir ? dir : ".");
    return path;
}

/// A fresh temporary folder (the tests remove their files at the end).
static inline const char *bt_tmpdir(void) {
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/sy-bench-test-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    return dir;
}

static inline void bt_rmdir(const char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/// The tiny program, T <= 4:
///   x [1, T, 8] -> h = linear(x, W [8, 8]) -> y = add(h, x)  (output "y")
///                                          -> r = relu(h)    (output "r")
/// The add is the only node the wrong delegate takes; r never depends on it, and h crosses the
/// partition boundary into it: T * 8 floats = 128 bytes at T = 4.
static inline int bt_write_tiny(const char *path) {
    sy_graph *g = NULL;
    uint32_t t, x, w, h, y, r;
    float wdata[64];
    for (int i = 0; i < 64; i++) wdata[i] = (float)((i * 7) % 11 - 5) / 8.0f;
    int64_t wdims[2] = {8, 8};
    sy_status st = sy_graph_create(&g);
    if (st == SY_OK) st = sy_graph_add_symbol(g, "T", 4, &t);
    sy_value_desc d = {.name = "x",
                       .dtype = SY_DTYPE_F32,
                       .role = SY_ROLE_INPUT,
                       .rank = 3,
                       .dims = {1, 4, 8},
                       .sym = {-1, (int32_t)t, -1, -1, -1, -1}};
    if (st == SY_OK) st = sy_graph_add_value(g, &d, &x);
    if (st == SY_OK) st = sy_graph_add_constant(g, "w", SY_DTYPE_F32, 2, wdims, wdata, sizeof wdata, &w);
    uint32_t lin[2] = {x, w};
    if (st == SY_OK) st = sy_graph_add_op(g, "proj", SY_OP_LINEAR, lin, 2, NULL, 0, &h);
    uint32_t add[2] = {h, x};
    if (st == SY_OK) st = sy_graph_add_op(g, "residual", SY_OP_ADD, add, 2, NULL, 0, &y);
    if (st == SY_OK) st = sy_graph_add_op(g, "act", SY_OP_RELU, &h, 1, NULL, 0, &r);
    if (st == SY_OK) st = sy_graph_set_output(g, y, "y");
    if (st == SY_OK) st = sy_graph_set_output(g, r, "r");
    if (st == SY_OK) st = sy_graph_save(g, path);
    sy_graph_destroy(g);
    CHECK_OK(st);
    return st == SY_OK;
}

/// Runs `switchyard bench ARGS` with stdout and stderr into `log`; returns its exit status
/// (-1 when it did not exit normally).
static inline int bt_bench(const char *log, const char *fmt, ...) {
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' bench %s >'%s' 2>&1", bt_cli(), args, log);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    int code = WEXITSTATUS(rc);
    if (code != 0 && code != 3) { // show what happened
        char show[4200];
        snprintf(show, sizeof show, "echo '--- %s'; cat '%s'", cmd, log);
        if (system(show) != 0) fprintf(stderr, "(could not show the log)\n");
    }
    return code;
}

/// The whole file as a NUL-terminated string (malloc'd), or NULL.
static inline char *bt_read(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static inline cJSON *bt_read_json(const char *path) {
    char *text = bt_read(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    CHECK_MSG(j != NULL, "'%s' is not JSON", path);
    return j;
}

/// The configuration of a bench JSON whose label is `label`, or NULL.
static inline const cJSON *bt_config(const cJSON *root, const char *label) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "configurations")) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(c, "label");
        if (cJSON_IsString(l) && !strcmp(l->valuestring, label)) return c;
    }
    return NULL;
}

/// The number at a dotted path ("latency_ms.median"), or NAN when absent or not a number.
static inline double bt_num(const cJSON *o, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    return o && cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

/// The output entry `name` of a configuration, or NULL.
static inline const cJSON *bt_output(const cJSON *config, const char *name) {
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(config, "outputs")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return o;
    }
    return NULL;
}
