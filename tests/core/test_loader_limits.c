// The loader's limits (issue 15): names are capped as the builder caps them, and duplicate-name
// checks scale (a file with hundreds of thousands of names loads in well under a second; the
// pairwise checks this replaces took hours on it, so the alarm below turns that into a failure).

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "harness.h"

// --- a writer from docs/FORMAT.md: metadata entries and f32 [1] inputs, no nodes ---

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static size_t align_to(size_t v, size_t a) { return (v + a - 1) / a * a; }

enum { S_STRINGS, S_METADATA, S_SYMBOLS, S_VALUES, S_NODES, S_IDS, S_ATTRS, S_INTS, S_DATA, S_COUNT };

/// Writes a program whose metadata keys are keys[0..n_keys) (values all "") and whose values are
/// f32 [1] inputs named values[0..n_values). Returns a sy_malloc'd buffer; *size_out its size.
static uint8_t *write_program(char **keys, uint32_t n_keys, char **values, uint32_t n_values, size_t *size_out) {
    static const uint32_t rec[S_COUNT] = {1, 8, 16, 96, 32, 4, 24, 8, 1};
    size_t strings = 1; // offset 0: the empty string
    for (uint32_t i = 0; i < n_keys; i++) strings += strlen(keys[i]) + 1;
    for (uint32_t i = 0; i < n_values; i++) strings += strlen(values[i]) + 1;
    uint64_t count[S_COUNT] = {strings, n_keys, 0, n_values, 0, 0, 0, 0, 0};
    uint64_t off[S_COUNT];
    size_t pos = 32 + 24 * S_COUNT;
    for (int s = 0; s < S_COUNT; s++) {
        pos = align_to(pos, s == S_DATA ? 64 : 8);
        off[s] = pos;
        pos += count[s] * rec[s];
    }
    uint8_t *b = sy_calloc(pos, 1);
    if (!b) return NULL;
    memcpy(b, "SYPROG\r\n", 8);
    b[8] = 1; // version 1.0
    put32(b + 16, 32);
    put32(b + 20, S_COUNT);
    put64(b + 24, pos);
    for (int s = 0; s < S_COUNT; s++) {
        put64(b + 32 + 24 * s, off[s]);
        put64(b + 32 + 24 * s + 8, count[s] * rec[s]);
        put32(b + 32 + 24 * s + 16, rec[s]);
    }
    size_t at = 1;
    for (uint32_t i = 0; i < n_keys; i++) {
        put32(b + off[S_METADATA] + 8 * i, (uint32_t)at); // value: offset 0, ""
        memcpy(b + off[S_STRINGS] + at, keys[i], strlen(keys[i]) + 1);
        at += strlen(keys[i]) + 1;
    }
    for (uint32_t i = 0; i < n_values; i++) {
        uint8_t *v = b + off[S_VALUES] + 96 * i;
        put32(v, (uint32_t)at);
        v[4] = SY_DTYPE_F32;
        v[5] = SY_ROLE_INPUT;
        v[6] = 1;
        put64(v + 8, 1);
        memset(v + 56, 0xFF, 24); // no symbols
        memcpy(b + off[S_STRINGS] + at, values[i], strlen(values[i]) + 1);
        at += strlen(values[i]) + 1;
    }
    *size_out = pos;
    return b;
}

static char **make_names(const char *prefix, uint32_t n) {
    char **list = sy_calloc(n + 1, sizeof *list);
    for (uint32_t i = 0; list && i < n; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s%u", prefix, i);
        list[i] = sy_strdup(buf);
    }
    return list;
}

static void free_names(char **list, uint32_t n) {
    for (uint32_t i = 0; list && i < n; i++) sy_free(list[i]);
    sy_free(list);
}

static sy_status load(char **keys, uint32_t n_keys, char **values, uint32_t n_values) {
    size_t size = 0;
    uint8_t *bytes = write_program(keys, n_keys, values, n_values, &size);
    if (!bytes) return SY_ERR_OUT_OF_MEMORY;
    sy_program *p = NULL;
    sy_status st = sy_program_load_memory(bytes, size, "big.syp", &p);
    sy_program_destroy(p);
    sy_free(bytes);
    return st;
}

// --- cases ---

static void test_many_names(void) {
    enum { N = 400000 }; // pairwise: 8e10 comparisons per table
    char **keys = make_names("key.", N), **values = make_names("value.", N);
    CHECK(keys && values);
    alarm(60); // linear time takes well under a second here even under ASan
    CHECK_OK(load(keys, N, values, N));
    // Duplicates are still found, far apart, with both indices named.
    char *k = keys[N - 1], *v = values[N - 1];
    keys[N - 1] = keys[3];
    CHECK_FAILS(load(keys, N, values, N), SY_ERR_FORMAT, "metadata #399999 repeats key 'key.3' of metadata #3");
    keys[N - 1] = k;
    values[N - 1] = values[0];
    CHECK_FAILS(load(keys, N, values, N), SY_ERR_FORMAT, "values #0 and #399999 are both named 'value.0'");
    values[N - 1] = v;
    alarm(0);
    free_names(keys, N);
    free_names(values, N);
}

static void test_name_length_cap(void) {
    char name[300], *values[1] = {name}, *keys[1] = {name};
    memset(name, 'n', sizeof name);
    name[255] = '\0'; // 255 bytes: the longest name the builder accepts
    CHECK_OK(load(NULL, 0, values, 1));
    CHECK_OK(load(keys, 1, NULL, 0));
    name[255] = 'n';
    name[256] = '\0';
    CHECK_FAILS(load(NULL, 0, values, 1), SY_ERR_FORMAT, "big.syp: value #0 name (string offset 1) is longer than 255 bytes");
    CHECK_FAILS(load(keys, 1, NULL, 0), SY_ERR_FORMAT, "metadata #0 key (string offset 1) is longer than 255 bytes");
    // The builder refuses the same name.
    sy_graph *g = NULL;
    uint32_t s;
    CHECK_OK(sy_graph_create(&g));
    CHECK_FAILS(sy_graph_add_symbol(g, name, 4, &s), SY_ERR_INVALID_ARGUMENT, "bad graph or name");
    sy_graph_destroy(g);
}

int main(void) {
    RUN(test_name_length_cap);
    RUN(test_many_names);
    return TEST_SUMMARY();
}
