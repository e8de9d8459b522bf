// The GGUF reader on files written byte by byte here: every value type, nested arrays, tensor
// infos and data placement; then each kind of malformed file, with the message it must give.

#include <stdio.h>
#include <unistd.h>

#include "core/alloc.h"
#include "harness.h"
#include "importers/gguf.h"
#include "importers/gguf_writer.h"

typedef struct spec {
    uint32_t version, alignment;
    uint64_t n_tensors_claim; // 0: the real count
    uint32_t type_b;          // ggml type of tensor "b"
    uint64_t offset_b;
    uint64_t ne_b0;
    uint32_t n_dims_b;
    int bad_alignment_type;
} spec;

static spec defaults(void) {
    spec s = {.version = 3, .alignment = 64, .type_b = 0, .offset_b = 64, .ne_b0 = 4, .n_dims_b = 2};
    return s;
}

// A file with one key of each type (arrays nested two deep), tensors "a" f32 [3] at 0 and
// "b" (type_b) [ne_b0, 2] at offset_b, data 0, 1, 2, ... as f32.
static gw_buf build(const spec *s) {
    gw_buf b = {0};
    gw_header(&b, s->version, s->n_tensors_claim ? s->n_tensors_claim : 2, 15);
    gw_kv_str(&b, "general.architecture", "llama");
    if (s->bad_alignment_type) gw_kv_f32(&b, "general.alignment", 32.0f);
    else gw_kv_u32(&b, "general.alignment", s->alignment);
    const uint32_t scalar_types[] = {0, 1, 2, 3, 5, 10, 11, 12};
    const uint64_t raw[] = {200, 0xfe, 60000, 0xfffe, 0xfffffffe, 1ull << 40, (uint64_t)-5, 0};
    const size_t sizes[] = {1, 1, 2, 2, 4, 8, 8, 8};
    for (int i = 0; i < 8; i++) {
        char key[32];
        snprintf(key, sizeof key, "t.%s", sy_gguf_type_name(scalar_types[i]));
        gw_str(&b, key);
        gw_u32(&b, scalar_types[i]);
        if (scalar_types[i] == 12) {
            double d = 2.5;
            uint64_t u;
            memcpy(&u, &d, 8);
            gw_u64(&b, u);
        } else {
            gw_le(&b, raw[i], sizes[i]);
        }
    }
    gw_kv_f32(&b, "t.float32", 0.25f);
    gw_kv_bool(&b, "t.bool", 1);
    gw_str(&b, "t.strings"); // array of 3 strings
    gw_u32(&b, 9);
    gw_u32(&b, 8);
    gw_u64(&b, 3);
    gw_str(&b, "hello");
    gw_str(&b, "");
    gw_str(&b, "w\xc3\xb6rld");
    gw_str(&b, "t.nested"); // [[1, 2], [3]] as int32
    gw_u32(&b, 9);
    gw_u32(&b, 9);
    gw_u64(&b, 2);
    gw_u32(&b, 5);
    gw_u64(&b, 2);
    gw_u32(&b, 1);
    gw_u32(&b, 2);
    gw_u32(&b, 5);
    gw_u64(&b, 1);
    gw_u32(&b, 3);
    gw_kv_u32(&b, "t.uint32", 7);
    uint64_t ne_a[1] = {3}, ne_b[5] = {s->ne_b0, 2, 1, 1, 1}; // n_dims_b may claim up to 5
    gw_tensor(&b, "a", 1, ne_a, 0, 0);
    gw_tensor(&b, "b", s->n_dims_b, ne_b, s->type_b, s->offset_b);
    gw_pad(&b, s->alignment ? s->alignment : 1);
    for (int i = 0; i < 64; i++) gw_f32(&b, (float)i); // 256 data bytes
    return b;
}

static sy_status open_spec(const spec *s, sy_gguf_file **f) {
    gw_buf b = build(s);
    sy_status st = sy_gguf_open_memory(b.p, b.n, "test.gguf", f);
    if (st == SY_OK) {
        // The file object borrows the bytes: copy them out of the builder for the test's lifetime.
        sy_gguf_close(*f);
        static uint8_t keep[4096];
        memcpy(keep, b.p, b.n);
        st = sy_gguf_open_memory(keep, b.n, "test.gguf", f);
    }
    free(b.p);
    return st;
}

static void test_valid_file(void) {
    spec s = defaults();
    sy_gguf_file *f = NULL;
    CHECK_OK(open_spec(&s, &f));
    if (!f) return;
    CHECK(f->version == 3 && f->alignment == 64 && f->n_kv == 15 && f->n_tensors == 2);
    int64_t i;
    double d;
    char *str = NULL;
    CHECK_OK(sy_gguf_get_int(f, "t.uint8", &i));
    CHECK(i == 200);
    CHECK_OK(sy_gguf_get_int(f, "t.int8", &i));
    CHECK(i == -2);
    CHECK_OK(sy_gguf_get_int(f, "t.uint16", &i));
    CHECK(i == 60000);
    CHECK_OK(sy_gguf_get_int(f, "t.int16", &i));
    CHECK(i == -2);
    CHECK_OK(sy_gguf_get_int(f, "t.int32", &i));
    CHECK(i == -2);
    CHECK_OK(sy_gguf_get_int(f, "t.uint64", &i));
    CHECK(i == (1ll << 40));
    CHECK_OK(sy_gguf_get_int(f, "t.int64", &i));
    CHECK(i == -5);
    CHECK_OK(sy_gguf_get_float(f, "t.float64", &d));
    CHECK(d == 2.5);
    CHECK_OK(sy_gguf_get_float(f, "t.float32", &d));
    CHECK(d == 0.25);
    CHECK_OK(sy_gguf_get_int(f, "t.bool", &i));
    CHECK(i == 1);
    CHECK_OK(sy_gguf_get_string(f, "general.architecture", &str));
    CHECK(str && !strcmp(str, "llama"));
    sy_free(str);
    CHECK_FAILS(sy_gguf_get_int(f, "general.architecture", &i), SY_ERR_FORMAT, "'general.architecture' has type string");
    CHECK_FAILS(sy_gguf_get_int(f, "llama.block_count", &i), SY_ERR_NOT_FOUND, "'llama.block_count' is missing");

    char **strs = NULL;
    CHECK_OK(sy_gguf_array_strings(sy_gguf_find(f, "t.strings"), "t.strings", &strs));
    if (strs) CHECK(!strcmp(strs[0], "hello") && !strcmp(strs[1], "") && !strcmp(strs[2], "w\xc3\xb6rld"));
    sy_free(strs);
    const sy_gguf_value *nested = sy_gguf_find(f, "t.nested");
    sy_gguf_value inner, x;
    CHECK(nested && nested->n_elems == 2 && nested->elem_type == SY_GGUF_ARRAY);
    CHECK_OK(sy_gguf_array_get(nested, 1, &inner));
    CHECK(inner.n_elems == 1 && inner.elem_type == SY_GGUF_INT32);
    CHECK_OK(sy_gguf_array_get(&inner, 0, &x));
    CHECK(x.num.i == 3);
    CHECK_FAILS(sy_gguf_array_get(&inner, 1, &x), SY_ERR_OUT_OF_RANGE, "index 1 is out of range");
    CHECK_FAILS(sy_gguf_array_strings(nested, "t.nested", &strs), SY_ERR_FORMAT, "expected an array of strings");

    const sy_gguf_tensor *a = sy_gguf_find_tensor(f, "a"), *bt = sy_gguf_find_tensor(f, "b");
    CHECK(a && bt && !sy_gguf_find_tensor(f, "c"));
    if (a && bt) {
        CHECK(a->nbytes == 12 && bt->nbytes == 32 && bt->ne[0] == 4 && bt->ne[1] == 2);
        CHECK(((const float *)a->data)[2] == 2.0f);
        CHECK(((const float *)bt->data)[0] == 16.0f); // offset 64 bytes = element 16
        CHECK((size_t)((const uint8_t *)a->data - f->base) == f->data_offset && f->data_offset % 64 == 0);
    }
    sy_gguf_close(f);
}

static void test_open_from_disk(void) {
    spec s = defaults();
    gw_buf b = build(&s);
    char path[] = "/tmp/sy_test_gguf_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, b.p, b.n) == (ssize_t)b.n);
    close(fd);
    sy_gguf_file *f = NULL;
    CHECK_OK(sy_gguf_open(path, &f));
    if (f) CHECK(f->map && ((const float *)sy_gguf_find_tensor(f, "a")->data)[1] == 1.0f);
    sy_gguf_close(f);
    unlink(path);
    free(b.p);
    CHECK_FAILS(sy_gguf_open("/nonexistent/x.gguf", &f), SY_ERR_IO, "'/nonexistent/x.gguf'");
}

// Every prefix of a valid file (up to the end of the last tensor) is refused as truncated (or, for tensor data, past the end).
static void test_truncated_anywhere(void) {
    spec s = defaults();
    gw_buf b = build(&s);
    int bad = 0;
    size_t used = b.n - 256 + 64 + 32; // the data section holds 256 bytes; "b" ends at 96
    for (size_t n = 0; n < used; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.p, n);
        sy_gguf_file *f = NULL;
        sy_status st = sy_gguf_open_memory(copy, n, "cut.gguf", &f);
        int ok = st == SY_ERR_FORMAT && (strstr(sy_last_error(), "truncated") || strstr(sy_last_error(), "past the end")) &&
                 strstr(sy_last_error(), "cut.gguf") && !f;
        if (!ok && bad++ < 3) fprintf(stderr, "  cut at %zu: %s %s\n", n, sy_status_name(st), sy_last_error());
        sy_gguf_close(f);
        free(copy);
    }
    CHECK(bad == 0);
    free(b.p);
}

static void expect_fail(const gw_buf *b, sy_status status, const char *needle) {
    sy_gguf_file *f = NULL;
    CHECK_FAILS(sy_gguf_open_memory(b->p, b->n, "bad.gguf", &f), status, needle);
    CHECK(f == NULL);
    sy_gguf_close(f);
}

static void expect_spec_fails(const spec *s, sy_status status, const char *needle) {
    gw_buf b = build(s);
    expect_fail(&b, status, needle);
    free(b.p);
}

static void test_bad_header(void) {
    spec s = defaults();
    gw_buf b = build(&s);
    b.p[0] = 'X';
    expect_fail(&b, SY_ERR_FORMAT, "not a GGUF file: the magic is 58 47 55 46");
    b.p[0] = 'G';
    b.p[4] = 1;
    expect_fail(&b, SY_ERR_UNSUPPORTED, "GGUF version 1 is not supported");
    b.p[4] = 4;
    expect_fail(&b, SY_ERR_UNSUPPORTED, "GGUF version 4");
    b.p[4] = 2; // version 2 has the same layout
    sy_gguf_file *f = NULL;
    CHECK_OK(sy_gguf_open_memory(b.p, b.n, "v2.gguf", &f));
    sy_gguf_close(f);
    b.p[4] = 3;
    memset(b.p + 16, 0xff, 8); // metadata count
    expect_fail(&b, SY_ERR_FORMAT, "metadata count 18446744073709551615 is absurd");
    free(b.p);
    s.n_tensors_claim = 1ull << 40;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor count 1099511627776 is absurd");
}

static void test_bad_lengths(void) {
    gw_buf b = {0};
    gw_header(&b, 3, 0, 1);
    gw_u64(&b, 1ull << 62); // key length
    gw_bytes(&b, "abcdefghijklmnopqrs", 19);
    expect_fail(&b, SY_ERR_FORMAT, "metadata key #0 at offset 24 has length 4611686018427387904, past the end");
    b.n = 0;
    gw_header(&b, 3, 0, 1);
    gw_str(&b, "k");
    gw_u32(&b, 8);
    gw_u64(&b, 100); // string value longer than the file
    gw_bytes(&b, "short", 5);
    expect_fail(&b, SY_ERR_FORMAT, "metadata 'k' at offset 37 has length 100, past the end");
    b.n = 0;
    gw_header(&b, 3, 0, 1);
    gw_str(&b, "arr");
    gw_u32(&b, 9);
    gw_u32(&b, 4);
    gw_u64(&b, 1ull << 60); // uint32 elements
    gw_u32(&b, 1);
    expect_fail(&b, SY_ERR_FORMAT, "metadata 'arr' at offset 39: array of 1152921504606846976 uint32 elements runs past the end");
    b.n = 0;
    gw_header(&b, 3, 0, 1);
    gw_str(&b, "k");
    gw_u32(&b, 13); // unknown value type
    gw_u32(&b, 0);
    expect_fail(&b, SY_ERR_FORMAT, "metadata 'k' at offset 37: unknown value type 13");
    b.n = 0;
    gw_header(&b, 3, 0, 1);
    gw_str(&b, "deep");
    gw_u32(&b, 9);
    for (int i = 0; i < 20; i++) { // arrays nested 20 deep
        gw_u32(&b, 9);
        gw_u64(&b, 1);
    }
    expect_fail(&b, SY_ERR_FORMAT, "nested deeper than 8");
    b.n = 0;
    gw_header(&b, 3, 0, 2);
    gw_kv_u32(&b, "k", 1);
    gw_kv_u32(&b, "k", 2);
    expect_fail(&b, SY_ERR_FORMAT, "metadata key 'k' appears twice");
    b.n = 0;
    gw_header(&b, 3, 0, 1);
    gw_kv_bool(&b, "flag", 7);
    expect_fail(&b, SY_ERR_FORMAT, "metadata 'flag': bool value is 7");
    free(b.p);
}

static void test_bad_tensors(void) {
    spec s = defaults();
    s.type_b = 99;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b' has unknown ggml type 99");
    s = defaults();
    s.offset_b = 65;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b': data offset 65 is not a multiple of the alignment 64");
    s = defaults();
    s.offset_b = 1024;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b': data [1024, +32) of the data section");
    s = defaults();
    s.offset_b = 0;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensors 'a' [0, +12) and 'b' [0, +32) overlap");
    s = defaults();
    s.ne_b0 = 0;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b': dim 0 is 0, absurd");
    s = defaults();
    s.ne_b0 = 1ull << 58; // times 2 rows: still fits int64, but the bytes go past the file
    expect_spec_fails(&s, SY_ERR_FORMAT, "runs past the end of the file");
    s = defaults();
    s.ne_b0 = 1ull << 63;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b': dim 0 is 9223372036854775808, absurd");
    s = defaults();
    s.n_dims_b = 5;
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b' has 5 dims; expected 1 to 4");
    s = defaults();
    s.type_b = 8; // q8_0 with rows of 4
    expect_spec_fails(&s, SY_ERR_FORMAT, "tensor 'b' (q8_0): row length 4 is not a multiple of the block size 32");
    s = defaults();
    s.alignment = 48;
    expect_spec_fails(&s, SY_ERR_FORMAT, "'general.alignment' is 48; expected a power of two");
    s = defaults();
    s.bad_alignment_type = 1;
    expect_spec_fails(&s, SY_ERR_FORMAT, "'general.alignment' has type float32; expected uint32");
}

int main(void) {
    RUN(test_valid_file);
    RUN(test_open_from_disk);
    RUN(test_truncated_anywhere);
    RUN(test_bad_header);
    RUN(test_bad_lengths);
    RUN(test_bad_tensors);
    return TEST_SUMMARY();
}
