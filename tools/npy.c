#include "tools/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

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

static sy_status parse_header(const char *path, const char *hdr, sy_tensor *t) {
    const char *d = dict_value(hdr, "descr"), *f = dict_value(hdr, "fortran_order"), *s = dict_value(hdr, "shape");
    SY_CHECK(d && f && s, SY_ERR_FORMAT, "'%s': the .npy header lacks descr, fortran_order or shape", path);
    SY_CHECK(strncmp(f, "False", 5) == 0, SY_ERR_UNSUPPORTED, "'%s': Fortran-order arrays are not supported", path);
    t->dtype = SY_DTYPE_INVALID;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (d[0] == '\'' && strncmp(d + 1, npy_types[i].descr, 3) == 0 && d[4] == '\'') t->dtype = npy_types[i].dtype;
    SY_CHECK(t->dtype != SY_DTYPE_INVALID, SY_ERR_UNSUPPORTED,
             "'%s': dtype %.8s is not supported (use <f4, <f2, <i4, <i8, |u1 or |b1)", path, d);
    SY_CHECK(*s == '(', SY_ERR_FORMAT, "'%s': malformed shape in the .npy header", path);
    s++;
    t->rank = 0;
    for (;;) {
        while (*s == ' ') s++;
        if (*s == ')') break;
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        SY_CHECK(end != s && v >= 0, SY_ERR_FORMAT, "'%s': malformed shape in the .npy header", path);
        SY_CHECK(t->rank < SY_MAX_RANK, SY_ERR_UNSUPPORTED, "'%s': rank above %d", path, SY_MAX_RANK);
        t->dims[t->rank++] = v;
        s = end;
        while (*s == ' ') s++;
        if (*s == ',') s++;
        else SY_CHECK(*s == ')', SY_ERR_FORMAT, "'%s': malformed shape in the .npy header", path);
    }
    return SY_OK;
}

sy_status sy_npy_read(const char *path, sy_tensor *out) {
    FILE *f = fopen(path, "rb");
    SY_CHECK(f, SY_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char pre[12];
    sy_status st = SY_OK;
    char *hdr = NULL;
    void *data = NULL;
    sy_tensor t;
    memset(&t, 0, sizeof t);
    size_t hlen = 0;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        st = sy_error_set(SY_ERR_FORMAT, "'%s' is not a .npy file (bad magic)", path);
    } else if (pre[6] == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if ((pre[6] == 2 || pre[6] == 3) && fread(pre + 10, 1, 2, f) == 2) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        st = sy_error_set(SY_ERR_UNSUPPORTED, "'%s': .npy version %d is not supported", path, pre[6]);
    }
    if (st == SY_OK && (hlen == 0 || hlen > 65536)) st = sy_error_set(SY_ERR_FORMAT, "'%s': bad header length %zu", path, hlen);
    if (st == SY_OK && !(hdr = calloc(hlen + 1, 1))) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == SY_OK && fread(hdr, 1, hlen, f) != hlen) st = sy_error_set(SY_ERR_FORMAT, "'%s': truncated header", path);
    if (st == SY_OK) st = parse_header(path, hdr, &t);
    size_t n = st == SY_OK ? sy_tensor_nbytes(&t) : 0;
    if (st == SY_OK && !(data = malloc(n ? n : 1))) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == SY_OK && fread(data, 1, n, f) != n)
        st = sy_error_set(SY_ERR_FORMAT, "'%s': the data is shorter than its shape needs (%zu bytes)", path, n);
    fclose(f);
    free(hdr);
    if (st != SY_OK) {
        free(data);
        return st;
    }
    t.data = data;
    *out = t;
    return SY_OK;
}

sy_status sy_npy_write(const char *path, const sy_tensor *t) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype) descr = npy_types[i].descr;
    SY_CHECK(descr, SY_ERR_UNSUPPORTED, "cannot write dtype %s to .npy", sy_dtype_name(t->dtype));
    char shape[256], hdr[512];
    size_t used = 0;
    for (uint32_t i = 0; i < t->rank; i++) used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s", (long long)t->dims[i], i + 1 < t->rank ? " " : "");
    if (t->rank != 1 && used) shape[used - 1] = '\0'; // "(2, 3)" but "(4,)"
    if (!used) shape[0] = '\0';
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
