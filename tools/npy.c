#include "tools/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/status.h"
#include "core/strbuf.h"

static const struct {
    const char *descr;
    sy_dtype dtype;
} npy_types[] = {
    {"<f4", SY_DTYPE_F32}, {"<f2", SY_DTYPE_F16}, {"<i4", SY_DTYPE_I32}, {"<i8", SY_DTYPE_I64},
    {"|u1", SY_DTYPE_U8},  {"|b1", SY_DTYPE_BOOL}, {"<u2", SY_DTYPE_BF16}, // bf16 travels as raw uint16
};

/// Finds `'key':` in the header dict and returns the text after the colon, or NULL.
static const char *dict_value(const char *hdr, const char *key) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p = strchr(p + strlen(pat), ':');
    if (!p) return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

/// The descr string (between quotes, at most 15 bytes) into buf, or "" when it is not quoted.
static const char *descr_text(const char *d, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    if (d[0] != '\'') return buf;
    const char *q = strchr(d + 1, '\'');
    if (!q) return buf;
    n = (size_t)(q - d - 1);
    if (n >= size) n = size - 1;
    memcpy(buf, d + 1, n);
    buf[n] = '\0';
    return buf;
}

static sy_status parse_shape(const char *path, const char *s, sy_tensor *t) {
    SY_CHECK(*s == '(', SY_ERR_FORMAT, "'%s': malformed shape in the .npy header (no '(')", path);
    s++;
    t->rank = 0;
    for (;;) {
        while (*s == ' ') s++;
        if (*s == ')') break;
        SY_CHECK(*s >= '0' && *s <= '9', SY_ERR_FORMAT, "'%s': malformed shape in the .npy header (dim #%u)", path,
                 t->rank);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        SY_CHECK(errno != ERANGE && v <= ((long long)1 << 40), SY_ERR_FORMAT,
                 "'%s': dim #%u of the .npy shape is too large (at most 2^40)", path, t->rank);
        SY_CHECK(t->rank < SY_MAX_RANK, SY_ERR_UNSUPPORTED, "'%s': rank above %d", path, SY_MAX_RANK);
        t->dims[t->rank++] = v;
        s = end;
        while (*s == ' ') s++;
        if (*s == ',') s++;
        else SY_CHECK(*s == ')', SY_ERR_FORMAT, "'%s': malformed shape in the .npy header (after dim #%u)", path,
                      t->rank - 1);
    }
    return SY_OK;
}

static sy_status parse_header(const char *path, const char *hdr, sy_tensor *t) {
    const char *d = dict_value(hdr, "descr"), *f = dict_value(hdr, "fortran_order"), *s = dict_value(hdr, "shape");
    SY_CHECK(d && f && s, SY_ERR_FORMAT, "'%s': the .npy header lacks descr, fortran_order or shape", path);
    SY_CHECK(strncmp(f, "False", 5) == 0, SY_ERR_UNSUPPORTED, "'%s': Fortran-order arrays are not supported", path);
    char descr[16];
    descr_text(d, descr, sizeof descr);
    t->dtype = SY_DTYPE_INVALID;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (strcmp(descr, npy_types[i].descr) == 0) t->dtype = npy_types[i].dtype;
    SY_CHECK(t->dtype != SY_DTYPE_INVALID, SY_ERR_UNSUPPORTED,
             "'%s': dtype '%s' is not supported (use <f4, <f2, <u2 (bf16), <i4, <i8, |u1 or |b1)", path, descr);
    return parse_shape(path, s, t);
}

/// The header length after the magic and version (bytes 8.. of the file); 0 when malformed.
static sy_status header_length(const char *path, const uint8_t *b, size_t size, size_t *start_out, size_t *hlen_out) {
    SY_CHECK(size >= 10 && memcmp(b, "\x93NUMPY", 6) == 0, SY_ERR_FORMAT, "'%s' is not a .npy file (bad magic)", path);
    if (b[6] == 1) {
        *hlen_out = (size_t)b[8] | (size_t)b[9] << 8;
        *start_out = 10;
    } else {
        SY_CHECK(b[6] == 2 || b[6] == 3, SY_ERR_UNSUPPORTED, "'%s': .npy version %d is not supported", path, b[6]);
        SY_CHECK(size >= 12, SY_ERR_FORMAT, "'%s': truncated .npy preamble", path);
        *hlen_out = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        *start_out = 12;
    }
    SY_CHECK(*hlen_out > 0 && *hlen_out <= 65536, SY_ERR_FORMAT, "'%s': bad header length %zu", path, *hlen_out);
    SY_CHECK(*hlen_out <= size - *start_out, SY_ERR_FORMAT, "'%s': truncated header (%zu bytes announced, %zu left)",
             path, *hlen_out, size - *start_out);
    return SY_OK;
}

sy_status sy_npy_parse(const void *bytes, size_t size, const char *path, sy_tensor *out) {
    const uint8_t *b = bytes;
    size_t start = 0, hlen = 0;
    SY_TRY(header_length(path, b, size, &start, &hlen));
    char *hdr = calloc(hlen + 1, 1); // NUL-terminated copy for the string functions
    SY_CHECK(hdr, SY_ERR_OUT_OF_MEMORY, "out of memory");
    memcpy(hdr, b + start, hlen);
    sy_tensor t;
    memset(&t, 0, sizeof t);
    sy_status st = parse_header(path, hdr, &t);
    free(hdr);
    SY_TRY(st);
    // The shape decides the data size; check it against what the file holds before allocating.
    size_t n = sy_tensor_nbytes(&t), have = size - start - hlen;
    SY_CHECK(n != SIZE_MAX, SY_ERR_FORMAT, "'%s': the .npy shape is too large to address", path);
    SY_CHECK(n <= have, SY_ERR_FORMAT, "'%s': the data is shorter than its shape needs (%zu bytes, the file has %zu)",
             path, n, have);
    SY_CHECK(n == have, SY_ERR_FORMAT, "'%s': %zu bytes follow the data its shape needs (%zu bytes)", path, have - n, n);
    void *data = malloc(n ? n : 1);
    SY_CHECK(data, SY_ERR_OUT_OF_MEMORY, "out of memory for '%s' (%zu bytes)", path, n);
    if (n) memcpy(data, b + start + hlen, n);
    t.data = data;
    *out = t;
    return SY_OK;
}

sy_status sy_npy_read(const char *path, sy_tensor *out) {
    // The type is checked before opening: opening a FIFO for reading would block.
    struct stat sb;
    SY_CHECK(stat(path, &sb) == 0, SY_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    SY_CHECK(S_ISREG(sb.st_mode), SY_ERR_IO, "'%s' is not a regular file", path);
    FILE *f = fopen(path, "rb");
    SY_CHECK(f, SY_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    sy_status st = SY_OK;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        st = sy_error_set(SY_ERR_IO, "'%s' is not a regular file", path);
    size_t size = st == SY_OK ? (size_t)sb.st_size : 0;
    uint8_t *bytes = st == SY_OK ? malloc(size ? size : 1) : NULL;
    if (st == SY_OK && !bytes) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", path);
    if (st == SY_OK && fread(bytes, 1, size, f) != size) st = sy_error_set(SY_ERR_IO, "cannot read '%s'", path);
    fclose(f);
    if (st == SY_OK) st = sy_npy_parse(bytes, size, path, out);
    free(bytes);
    return st;
}

sy_status sy_npy_write(const char *path, const sy_tensor *t) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype) descr = npy_types[i].descr;
    SY_CHECK(descr, SY_ERR_UNSUPPORTED, "cannot write dtype %s to .npy", sy_dtype_name(t->dtype));
    char shape[256], hdr[512];
    SY_CHECK(t->rank <= SY_MAX_RANK, SY_ERR_SHAPE, "cannot write a tensor of rank %u to .npy", t->rank);
    sy_strbuf sb;
    sy_strbuf_init(&sb, shape, sizeof shape);
    for (uint32_t i = 0; i < t->rank; i++) sy_strbuf_addf(&sb, "%lld,%s", (long long)t->dims[i], i + 1 < t->rank ? " " : "");
    if (t->rank != 1 && sb.used) shape[sb.used - 1] = '\0'; // "(2, 3)" but "(4,)"
    int len = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64; // data starts 64-byte aligned
    memset(hdr + len, ' ', (size_t)pad);
    hdr[len + pad] = '\n';
    uint16_t hlen = (uint16_t)(len + pad + 1);
    FILE *f = fopen(path, "wb");
    SY_CHECK(f, SY_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    size_t n = sy_tensor_nbytes(t);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, hlen, f) == hlen && fwrite(t->data, 1, n, f) == n;
    ok &= fclose(f) == 0;
    SY_CHECK(ok, SY_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return SY_OK;
}
