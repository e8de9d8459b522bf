// The .npy reader (issue 15, item 4): every malformed file gets a clear error before any
// allocation the file cannot back; the tensor helpers refuse overflowing shapes.

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tools/npy.h"

/// A version 1.0 file: header dict `dict`, padded, then `data_bytes` bytes of 0x11.
static size_t make_npy(uint8_t *out, size_t cap, const char *dict, size_t data_bytes) {
    size_t dl = strlen(dict), hlen = (10 + dl + 1 + 63) / 64 * 64 - 10;
    size_t total = 10 + hlen + data_bytes;
    if (total > cap) return 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)hlen;
    out[9] = (uint8_t)(hlen >> 8);
    memset(out + 10, ' ', hlen);
    memcpy(out + 10, dict, dl);
    out[10 + hlen - 1] = '\n';
    memset(out + 10 + hlen, 0x11, data_bytes);
    return total;
}

static sy_status parse(const char *dict, size_t data_bytes, sy_tensor *t) {
    static uint8_t buf[4096];
    size_t n = make_npy(buf, sizeof buf, dict, data_bytes);
    memset(t, 0, sizeof *t);
    return sy_npy_parse(buf, n, "t.npy", t);
}

static void test_good(void) {
    sy_tensor t;
    CHECK_OK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, &t));
    CHECK(t.dtype == SY_DTYPE_F32 && t.rank == 2 && t.dims[0] == 2 && t.dims[1] == 3);
    CHECK(t.data && ((uint8_t *)t.data)[23] == 0x11);
    free(t.data);
    CHECK_OK(parse("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 8, &t)); // a scalar
    CHECK(t.rank == 0 && t.dtype == SY_DTYPE_I64);
    free(t.data);
    CHECK_OK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", 0, &t)); // empty
    free(t.data);
}

static void test_bad(void) {
    sy_tensor t;
    // Dims whose product overflows: refused, nothing allocated.
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 1099511627776), }", 0, &t),
                SY_ERR_FORMAT, "too large to address");
    // A small file asking for terabytes: refused before allocating.
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }", 16, &t),
                SY_ERR_FORMAT, "the data is shorter than its shape needs (4398046511104 bytes, the file has 16)");
    // A dim past strtoll's range.
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 4, &t),
                SY_ERR_FORMAT, "dim #0 of the .npy shape is too large");
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 0, &t), SY_ERR_FORMAT,
                "malformed shape in the .npy header (dim #0)");
    // Trailing bytes after the data.
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, &t), SY_ERR_FORMAT,
                "'t.npy': 4 bytes follow the data its shape needs (8 bytes)");
    // The dtype message quotes the dtype only, not the next field.
    CHECK_FAILS(parse("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, &t), SY_ERR_UNSUPPORTED,
                "dtype '<c8' is not supported (use");
    CHECK(strstr(sy_last_error(), "fortran") == NULL);
    CHECK_FAILS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, &t), SY_ERR_FORMAT,
                "shorter than its shape needs (8 bytes, the file has 4)");
    uint8_t tiny[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x00};
    CHECK_FAILS(sy_npy_parse(tiny, sizeof tiny, "t.npy", &t), SY_ERR_FORMAT, "truncated header (255 bytes announced, 2 left)");
    CHECK_FAILS(sy_npy_parse(tiny, 5, "t.npy", &t), SY_ERR_FORMAT, "not a .npy file");
}

static void test_numel_guard(void) {
    sy_tensor t = {.dtype = SY_DTYPE_F32, .rank = 3, .dims = {INT64_MAX / 2, 4, 1}};
    CHECK(sy_tensor_numel(&t) == -1);
    CHECK(sy_tensor_nbytes(&t) == SIZE_MAX);
    t.dims[1] = 0; // a zero dim empties the tensor whatever the others are
    CHECK(sy_tensor_numel(&t) == 0 && sy_tensor_nbytes(&t) == 0);
    t.dims[1] = -2;
    CHECK(sy_tensor_numel(&t) == -1);
    sy_tensor big = {.dtype = SY_DTYPE_I64, .rank = 2, .dims = {INT64_MAX / 2, 3}};
    CHECK(sy_tensor_numel(&big) == -1);
    sy_tensor bytes = {.dtype = SY_DTYPE_I64, .rank = 1, .dims = {INT64_MAX / 2}};
    CHECK(sy_tensor_numel(&bytes) == INT64_MAX / 2);
    CHECK(sy_tensor_nbytes(&bytes) == SIZE_MAX); // 8 * 2^62 bytes overflow size_t
    sy_tensor rank = {.dtype = SY_DTYPE_F32, .rank = SY_MAX_RANK + 1};
    CHECK(sy_tensor_numel(&rank) == -1);
}

static void test_fifo(void) {
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/sy_npy_fifo_%d", dir, (int)getpid());
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    sy_tensor t;
    CHECK_FAILS(sy_npy_read(path, &t), SY_ERR_IO, "is not a regular file"); // does not block
    unlink(path);
}

int main(void) {
    RUN(test_good);
    RUN(test_bad);
    RUN(test_numel_guard);
    RUN(test_fifo);
    return TEST_SUMMARY();
}
