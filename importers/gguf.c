// GGUF reader: validate everything once at open, then hand out borrowed views (importers/gguf.h).

#include "importers/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/status.h"

// --- ggml tensor types ---

typedef struct ggml_type_info {
    const char *name;
    uint32_t block_elems, block_bytes;
} ggml_type_info;

// Indexed by ggml type id; ids without a name are unknown (removed or never assigned).
static const ggml_type_info ggml_types[] = {
    [0] = {"f32", 1, 4},        [1] = {"f16", 1, 2},        [2] = {"q4_0", 32, 18},
    [3] = {"q4_1", 32, 20},     [6] = {"q5_0", 32, 22},     [7] = {"q5_1", 32, 24},
    [8] = {"q8_0", 32, 34},     [9] = {"q8_1", 32, 36},     [10] = {"q2_k", 256, 84},
    [11] = {"q3_k", 256, 110},  [12] = {"q4_k", 256, 144},  [13] = {"q5_k", 256, 176},
    [14] = {"q6_k", 256, 210},  [15] = {"q8_k", 256, 292},  [16] = {"iq2_xxs", 256, 66},
    [17] = {"iq2_xs", 256, 74}, [18] = {"iq3_xxs", 256, 98}, [19] = {"iq1_s", 256, 50},
    [20] = {"iq4_nl", 32, 18},  [21] = {"iq3_s", 256, 110}, [22] = {"iq2_s", 256, 82},
    [23] = {"iq4_xs", 256, 136}, [24] = {"i8", 1, 1},       [25] = {"i16", 1, 2},
    [26] = {"i32", 1, 4},       [27] = {"i64", 1, 8},       [28] = {"f64", 1, 8},
    [29] = {"iq1_m", 256, 56},  [30] = {"bf16", 1, 2},      [34] = {"tq1_0", 256, 54},
    [35] = {"tq2_0", 256, 66},  [39] = {"mxfp4", 32, 17},
};

static const ggml_type_info *ggml_type(uint32_t type) {
    if (type >= sizeof ggml_types / sizeof ggml_types[0] || !ggml_types[type].name) return NULL;
    return &ggml_types[type];
}

const char *sy_ggml_type_name(uint32_t type) {
    const ggml_type_info *t = ggml_type(type);
    return t ? t->name : NULL;
}

const char *sy_gguf_type_name(uint32_t type) {
    static const char *const names[] = {"uint8", "int8",   "uint16", "int16", "uint32",
                                        "int32", "float32", "bool",  "string", "array",
                                        "uint64", "int64", "float64"};
    return type < sizeof names / sizeof names[0] ? names[type] : "invalid";
}

// Bytes of one scalar of `type`; 0 for string, array and unknown types.
static size_t scalar_size(uint32_t type) {
    static const uint8_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return type < sizeof sizes ? sizes[type] : 0;
}

// --- cursor over the validated bytes ---

typedef struct cursor {
    const uint8_t *base;
    size_t size, pos;
} cursor;

// Takes n bytes for `what` (a phrase for the message); fails without moving on truncation.
static sy_status take(cursor *c, uint64_t n, const char *what, const uint8_t **p) {
    SY_CHECK(n <= c->size - c->pos, SY_ERR_FORMAT,
             "truncated: %s at offset %zu needs %llu bytes, but the file ends at %zu", what, c->pos,
             (unsigned long long)n, c->size);
    *p = c->base + c->pos;
    c->pos += (size_t)n;
    return SY_OK;
}

static uint64_t le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

static sy_status read_u32(cursor *c, const char *what, uint32_t *v) {
    const uint8_t *p;
    SY_TRY(take(c, 4, what, &p));
    *v = (uint32_t)le(p, 4);
    return SY_OK;
}

static sy_status read_u64(cursor *c, const char *what, uint64_t *v) {
    const uint8_t *p;
    SY_TRY(take(c, 8, what, &p));
    *v = le(p, 8);
    return SY_OK;
}

static sy_status read_string(cursor *c, const char *what, const char **s, uint64_t *len) {
    const uint8_t *p;
    size_t at = c->pos;
    SY_TRY(read_u64(c, what, len));
    SY_CHECK(*len <= c->size - c->pos, SY_ERR_FORMAT,
             "%s at offset %zu has length %llu, past the end of the file (%zu bytes left)", what, at,
             (unsigned long long)*len, c->size - c->pos);
    SY_TRY(take(c, *len, what, &p));
    *s = (const char *)p;
    return SY_OK;
}

// Decodes a scalar of `type` from p into v.
static void decode_scalar(uint32_t type, const uint8_t *p, sy_gguf_value *v) {
    size_t n = scalar_size(type);
    uint64_t raw = le(p, n);
    v->type = (sy_gguf_type)type;
    switch (type) {
    case SY_GGUF_INT8: v->num.i = (int8_t)raw; break;
    case SY_GGUF_INT16: v->num.i = (int16_t)raw; break;
    case SY_GGUF_INT32: v->num.i = (int32_t)raw; break;
    case SY_GGUF_INT64: memcpy(&v->num.i, &raw, 8); break;
    case SY_GGUF_FLOAT32: {
        uint32_t u = (uint32_t)raw;
        float f;
        memcpy(&f, &u, 4);
        v->num.f = f;
        break;
    }
    case SY_GGUF_FLOAT64: memcpy(&v->num.f, &raw, 8); break;
    default: v->num.u = raw; break;
    }
}

static sy_status parse_value(cursor *c, uint32_t type, int depth, const char *what, sy_gguf_value *v);

// An array: element type, count, elements. Counts are checked against the bytes left before
// any element is read, so an absurd count fails at once instead of looping.
static sy_status parse_array(cursor *c, int depth, const char *what, sy_gguf_value *v) {
    uint32_t et;
    uint64_t n;
    size_t at = c->pos;
    SY_CHECK(depth < SY_GGUF_MAX_ARRAY_DEPTH, SY_ERR_FORMAT,
             "%s at offset %zu: arrays nested deeper than %d", what, at, SY_GGUF_MAX_ARRAY_DEPTH);
    SY_TRY(read_u32(c, what, &et));
    SY_CHECK(et <= SY_GGUF_FLOAT64, SY_ERR_FORMAT, "%s at offset %zu: unknown array element type %u",
             what, at, et);
    SY_TRY(read_u64(c, what, &n));
    size_t min = scalar_size(et) ? scalar_size(et) : et == SY_GGUF_STRING ? 8 : 12;
    SY_CHECK(n <= (c->size - c->pos) / min, SY_ERR_FORMAT,
             "%s at offset %zu: array of %llu %s elements runs past the end of the file (%zu bytes left)",
             what, at, (unsigned long long)n, sy_gguf_type_name(et), c->size - c->pos);
    v->type = SY_GGUF_ARRAY;
    v->elem_type = (sy_gguf_type)et;
    v->n_elems = n;
    v->elems = c->base + c->pos;
    if (scalar_size(et)) {
        const uint8_t *p;
        SY_TRY(take(c, n * min, what, &p));
        for (uint64_t i = 0; et == SY_GGUF_BOOL && i < n; i++)
            SY_CHECK(p[i] <= 1, SY_ERR_FORMAT, "%s: bool element %llu is %u; expected 0 or 1", what,
                     (unsigned long long)i, p[i]);
    } else {
        sy_gguf_value item;
        for (uint64_t i = 0; i < n; i++) SY_TRY(parse_value(c, et, depth + 1, what, &item));
    }
    v->elems_bytes = (uint64_t)(c->base + c->pos - v->elems);
    return SY_OK;
}

static sy_status parse_value(cursor *c, uint32_t type, int depth, const char *what, sy_gguf_value *v) {
    memset(v, 0, sizeof *v);
    if (type == SY_GGUF_STRING) {
        v->type = SY_GGUF_STRING;
        return read_string(c, what, &v->str, &v->str_len);
    }
    if (type == SY_GGUF_ARRAY) return parse_array(c, depth, what, v);
    const uint8_t *p;
    SY_CHECK(scalar_size(type) > 0, SY_ERR_FORMAT, "%s at offset %zu: unknown value type %u", what,
             c->pos, type);
    SY_TRY(take(c, scalar_size(type), what, &p));
    decode_scalar(type, p, v);
    SY_CHECK(type != SY_GGUF_BOOL || v->num.u <= 1, SY_ERR_FORMAT,
             "%s: bool value is %llu; expected 0 or 1", what, (unsigned long long)v->num.u);
    return SY_OK;
}

// --- header, metadata, tensor infos ---

static char *dup_bytes(const char *s, uint64_t n) {
    char *d = sy_malloc((size_t)n + 1);
    if (d) {
        memcpy(d, s, (size_t)n);
        d[n] = '\0';
    }
    return d;
}

static sy_status parse_header(cursor *c, sy_gguf_file *f) {
    const uint8_t *magic;
    SY_TRY(take(c, 4, "the magic", &magic));
    SY_CHECK(!memcmp(magic, "GGUF", 4), SY_ERR_FORMAT,
             "not a GGUF file: the magic is %02x %02x %02x %02x, expected 'GGUF'", magic[0], magic[1],
             magic[2], magic[3]);
    SY_TRY(read_u32(c, "the version", &f->version));
    SY_CHECK(f->version == 2 || f->version == 3, SY_ERR_UNSUPPORTED,
             "GGUF version %u is not supported (versions 2 and 3 are)", f->version);
    SY_TRY(read_u64(c, "the tensor count", &f->n_tensors));
    SY_TRY(read_u64(c, "the metadata count", &f->n_kv));
    // Every key/value takes >= 13 bytes and every tensor info >= 28 (name, 1 dim, type, offset).
    size_t left = c->size - c->pos;
    SY_CHECK(f->n_kv <= left / 13, SY_ERR_FORMAT,
             "metadata count %llu is absurd (or the file is truncated): the file has %zu bytes after the header",
             (unsigned long long)f->n_kv, left);
    SY_CHECK(f->n_tensors <= left / 28, SY_ERR_FORMAT,
             "tensor count %llu is absurd (or the file is truncated): the file has %zu bytes after the header",
             (unsigned long long)f->n_tensors, left);
    return SY_OK;
}

static sy_status parse_kvs(cursor *c, sy_gguf_file *f) {
    f->kv = sy_calloc(f->n_kv ? (size_t)f->n_kv : 1, sizeof *f->kv);
    SY_CHECK(f->kv, SY_ERR_OUT_OF_MEMORY, "out of memory for %llu metadata entries", (unsigned long long)f->n_kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        char what[160];
        const char *key;
        uint64_t len;
        uint32_t type;
        snprintf(what, sizeof what, "metadata key #%llu", (unsigned long long)i);
        SY_TRY(read_string(c, what, &key, &len));
        SY_CHECK(len > 0 && !memchr(key, 0, (size_t)len), SY_ERR_FORMAT,
                 "metadata key #%llu at offset %zu is empty or holds a NUL byte", (unsigned long long)i,
                 c->pos - (size_t)len);
        f->kv[i].key = dup_bytes(key, len);
        SY_CHECK(f->kv[i].key, SY_ERR_OUT_OF_MEMORY, "out of memory for metadata key #%llu", (unsigned long long)i);
        for (uint64_t j = 0; j < i; j++)
            SY_CHECK(strcmp(f->kv[j].key, f->kv[i].key), SY_ERR_FORMAT, "metadata key '%s' appears twice",
                     f->kv[i].key);
        snprintf(what, sizeof what, "metadata '%s'", f->kv[i].key);
        SY_TRY(read_u32(c, what, &type));
        SY_TRY(parse_value(c, type, 0, what, &f->kv[i].value));
    }
    return SY_OK;
}

static sy_status parse_alignment(sy_gguf_file *f) {
    const sy_gguf_value *a = sy_gguf_find(f, "general.alignment");
    f->alignment = 32;
    if (!a) return SY_OK;
    SY_CHECK(a->type == SY_GGUF_UINT32, SY_ERR_FORMAT, "metadata 'general.alignment' has type %s; expected uint32",
             sy_gguf_type_name(a->type));
    SY_CHECK(a->num.u > 0 && (a->num.u & (a->num.u - 1)) == 0, SY_ERR_FORMAT,
             "metadata 'general.alignment' is %llu; expected a power of two", (unsigned long long)a->num.u);
    f->alignment = (uint32_t)a->num.u;
    return SY_OK;
}

// Reads one tensor info and checks what it says on its own (dims, type, size, alignment).
static sy_status parse_tensor_info(cursor *c, uint64_t i, sy_gguf_tensor *t) {
    char what[160];
    const char *name;
    uint64_t len, dim;
    snprintf(what, sizeof what, "tensor info #%llu", (unsigned long long)i);
    SY_TRY(read_string(c, what, &name, &len));
    SY_CHECK(len > 0 && !memchr(name, 0, (size_t)len), SY_ERR_FORMAT, "%s: the name is empty or holds a NUL byte", what);
    SY_CHECK(t->name = dup_bytes(name, len), SY_ERR_OUT_OF_MEMORY, "out of memory for %s", what);
    snprintf(what, sizeof what, "tensor '%s'", t->name);
    SY_TRY(read_u32(c, what, &t->n_dims));
    SY_CHECK(t->n_dims >= 1 && t->n_dims <= SY_GGUF_MAX_DIMS, SY_ERR_FORMAT, "%s has %u dims; expected 1 to %d",
             what, t->n_dims, SY_GGUF_MAX_DIMS);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < SY_GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        SY_TRY(read_u64(c, what, &dim));
        SY_CHECK(dim >= 1 && dim <= (uint64_t)INT64_MAX / numel, SY_ERR_FORMAT,
                 "%s: dim %u is %llu, absurd (the element count would be 0 or overflow)", what, d,
                 (unsigned long long)dim);
        t->ne[d] = (int64_t)dim;
        numel *= dim;
    }
    SY_TRY(read_u32(c, what, &t->type));
    SY_TRY(read_u64(c, what, &t->offset));
    const ggml_type_info *ti = ggml_type(t->type);
    SY_CHECK(ti, SY_ERR_FORMAT, "%s has unknown ggml type %u", what, t->type);
    SY_CHECK(t->ne[0] % ti->block_elems == 0, SY_ERR_FORMAT,
             "%s (%s): row length %lld is not a multiple of the block size %u", what, ti->name,
             (long long)t->ne[0], ti->block_elems);
    uint64_t blocks = numel / ti->block_elems;
    SY_CHECK(blocks <= (uint64_t)SIZE_MAX / ti->block_bytes, SY_ERR_FORMAT, "%s: the byte size overflows", what);
    t->nbytes = (size_t)(blocks * ti->block_bytes);
    return SY_OK;
}

static int cmp_offset(const void *a, const void *b) {
    const sy_gguf_tensor *x = *(const sy_gguf_tensor *const *)a, *y = *(const sy_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

// Checks each tensor's data range against the data section and the others; sets data pointers.
static sy_status place_tensors(sy_gguf_file *f) {
    size_t data_size = f->data_offset <= f->size ? f->size - f->data_offset : 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        sy_gguf_tensor *t = &f->tensors[i];
        SY_CHECK(t->offset % f->alignment == 0, SY_ERR_FORMAT,
                 "tensor '%s': data offset %llu is not a multiple of the alignment %u", t->name,
                 (unsigned long long)t->offset, f->alignment);
        SY_CHECK(f->data_offset <= f->size && t->offset <= data_size && t->nbytes <= data_size - t->offset,
                 SY_ERR_FORMAT, "tensor '%s': data [%llu, +%zu) of the data section at %zu runs past the end of the file (%zu bytes)",
                 t->name, (unsigned long long)t->offset, t->nbytes, f->data_offset, f->size);
        t->data = f->base + f->data_offset + t->offset;
    }
    if (f->n_tensors < 2) return SY_OK;
    sy_gguf_tensor **order = sy_malloc((size_t)f->n_tensors * sizeof *order);
    SY_CHECK(order, SY_ERR_OUT_OF_MEMORY, "out of memory sorting %llu tensors", (unsigned long long)f->n_tensors);
    for (uint64_t i = 0; i < f->n_tensors; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)f->n_tensors, sizeof *order, cmp_offset);
    sy_status st = SY_OK;
    for (uint64_t i = 1; i < f->n_tensors && st == SY_OK; i++) {
        const sy_gguf_tensor *a = order[i - 1], *b = order[i];
        if (a->offset + a->nbytes > b->offset)
            st = sy_error_set(SY_ERR_FORMAT, "tensors '%s' [%llu, +%zu) and '%s' [%llu, +%zu) overlap", a->name,
                              (unsigned long long)a->offset, a->nbytes, b->name, (unsigned long long)b->offset,
                              b->nbytes);
    }
    sy_free(order);
    return st;
}

static sy_status parse_tensors(cursor *c, sy_gguf_file *f) {
    f->tensors = sy_calloc(f->n_tensors ? (size_t)f->n_tensors : 1, sizeof *f->tensors);
    SY_CHECK(f->tensors, SY_ERR_OUT_OF_MEMORY, "out of memory for %llu tensors", (unsigned long long)f->n_tensors);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        SY_TRY(parse_tensor_info(c, i, &f->tensors[i]));
        for (uint64_t j = 0; j < i; j++)
            SY_CHECK(strcmp(f->tensors[j].name, f->tensors[i].name), SY_ERR_FORMAT, "tensor '%s' appears twice",
                     f->tensors[i].name);
    }
    size_t a = f->alignment, pad = (a - c->pos % a) % a;
    f->data_offset = c->pos + pad; // c->pos <= size, pad < 2^32: cannot wrap
    return place_tensors(f);
}

static sy_status parse_all(sy_gguf_file *f) {
    cursor c = {.base = f->base, .size = f->size, .pos = 0};
    SY_TRY(parse_header(&c, f));
    SY_TRY(parse_kvs(&c, f));
    SY_TRY(parse_alignment(f));
    return parse_tensors(&c, f);
}

// --- open / close ---

static sy_status make_file(const char *origin, sy_gguf_file **f) {
    *f = sy_calloc(1, sizeof **f);
    SY_CHECK(*f, SY_ERR_OUT_OF_MEMORY, "out of memory opening '%s'", origin);
    (*f)->origin = sy_strdup(origin);
    if (!(*f)->origin) {
        sy_free(*f);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory opening '%s'", origin);
    }
    return SY_OK;
}

static sy_status finish_open(sy_gguf_file *f, sy_gguf_file **file_out) {
    sy_status st = parse_all(f);
    if (st != SY_OK) {
        sy_error_prefix(st, "GGUF file '%s'", f->origin);
        sy_gguf_close(f);
        return st;
    }
    *file_out = f;
    return SY_OK;
}

sy_status sy_gguf_open_memory(const void *bytes, size_t size, const char *origin, sy_gguf_file **file_out) {
    SY_CHECK((bytes || !size) && file_out, SY_ERR_INVALID_ARGUMENT, "sy_gguf_open_memory: NULL argument");
    sy_gguf_file *f;
    SY_TRY(make_file(origin ? origin : "<memory>", &f));
    f->base = bytes;
    f->size = size;
    return finish_open(f, file_out);
}

sy_status sy_gguf_open(const char *path, sy_gguf_file **file_out) {
    SY_CHECK(path && file_out, SY_ERR_INVALID_ARGUMENT, "sy_gguf_open: NULL argument");
    int fd = open(path, O_RDONLY);
    SY_CHECK(fd >= 0, SY_ERR_IO, "cannot open GGUF file '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return sy_error_set(SY_ERR_IO, "cannot read GGUF file '%s': not a regular file", path);
    }
    void *map = NULL;
    size_t size = (size_t)sb.st_size;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return sy_error_set(SY_ERR_IO, "cannot map GGUF file '%s': %s", path, strerror(e));
        }
    }
    close(fd);
    sy_gguf_file *f;
    sy_status st = make_file(path, &f);
    if (st != SY_OK) {
        if (map) munmap(map, size);
        return st;
    }
    f->map = map;
    f->map_size = size;
    f->base = map;
    f->size = size;
    return finish_open(f, file_out);
}

void sy_gguf_close(sy_gguf_file *f) {
    if (!f) return;
    for (uint64_t i = 0; f->kv && i < f->n_kv; i++) sy_free(f->kv[i].key);
    for (uint64_t i = 0; f->tensors && i < f->n_tensors; i++) sy_free(f->tensors[i].name);
    sy_free(f->kv);
    sy_free(f->tensors);
    if (f->map) munmap(f->map, f->map_size);
    sy_free(f->origin);
    sy_free(f);
}

// --- accessors ---

const sy_gguf_value *sy_gguf_find(const sy_gguf_file *f, const char *key) {
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (!strcmp(f->kv[i].key, key)) return &f->kv[i].value;
    return NULL;
}

const sy_gguf_tensor *sy_gguf_find_tensor(const sy_gguf_file *f, const char *name) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

static sy_status find_required(const sy_gguf_file *f, const char *key, const sy_gguf_value **v) {
    *v = sy_gguf_find(f, key);
    SY_CHECK(*v, SY_ERR_NOT_FOUND, "required metadata key '%s' is missing", key);
    return SY_OK;
}

static int is_unsigned(sy_gguf_type t) {
    return t == SY_GGUF_UINT8 || t == SY_GGUF_UINT16 || t == SY_GGUF_UINT32 || t == SY_GGUF_UINT64 || t == SY_GGUF_BOOL;
}

static int is_signed(sy_gguf_type t) {
    return t == SY_GGUF_INT8 || t == SY_GGUF_INT16 || t == SY_GGUF_INT32 || t == SY_GGUF_INT64;
}

sy_status sy_gguf_get_int(const sy_gguf_file *f, const char *key, int64_t *value_out) {
    const sy_gguf_value *v;
    SY_TRY(find_required(f, key, &v));
    if (is_signed(v->type)) {
        *value_out = v->num.i;
        return SY_OK;
    }
    SY_CHECK(is_unsigned(v->type), SY_ERR_FORMAT, "metadata '%s' has type %s; expected an integer", key,
             sy_gguf_type_name(v->type));
    SY_CHECK(v->num.u <= (uint64_t)INT64_MAX, SY_ERR_FORMAT, "metadata '%s' is %llu, out of range", key,
             (unsigned long long)v->num.u);
    *value_out = (int64_t)v->num.u;
    return SY_OK;
}

sy_status sy_gguf_get_float(const sy_gguf_file *f, const char *key, double *value_out) {
    const sy_gguf_value *v;
    SY_TRY(find_required(f, key, &v));
    if (v->type == SY_GGUF_FLOAT32 || v->type == SY_GGUF_FLOAT64) {
        *value_out = v->num.f;
        return SY_OK;
    }
    int64_t i;
    SY_CHECK(is_signed(v->type) || is_unsigned(v->type), SY_ERR_FORMAT, "metadata '%s' has type %s; expected a number",
             key, sy_gguf_type_name(v->type));
    SY_TRY(sy_gguf_get_int(f, key, &i));
    *value_out = (double)i;
    return SY_OK;
}

sy_status sy_gguf_get_string(const sy_gguf_file *f, const char *key, char **value_out) {
    const sy_gguf_value *v;
    SY_TRY(find_required(f, key, &v));
    SY_CHECK(v->type == SY_GGUF_STRING, SY_ERR_FORMAT, "metadata '%s' has type %s; expected string", key,
             sy_gguf_type_name(v->type));
    SY_CHECK(!memchr(v->str, 0, (size_t)v->str_len), SY_ERR_FORMAT, "metadata '%s' holds a NUL byte", key);
    char *s = dup_bytes(v->str, v->str_len);
    SY_CHECK(s, SY_ERR_OUT_OF_MEMORY, "out of memory copying metadata '%s'", key);
    *value_out = s;
    return SY_OK;
}

sy_status sy_gguf_array_get(const sy_gguf_value *a, uint64_t i, sy_gguf_value *value_out) {
    SY_CHECK(a->type == SY_GGUF_ARRAY, SY_ERR_INVALID_ARGUMENT, "value is a %s, not an array", sy_gguf_type_name(a->type));
    SY_CHECK(i < a->n_elems, SY_ERR_OUT_OF_RANGE, "array index %llu is out of range [0, %llu)", (unsigned long long)i,
             (unsigned long long)a->n_elems);
    size_t es = scalar_size(a->elem_type);
    if (es) {
        decode_scalar(a->elem_type, a->elems + i * es, value_out);
        return SY_OK;
    }
    // Variable-size elements were validated at open; walk to element i.
    cursor c = {.base = a->elems, .size = (size_t)a->elems_bytes, .pos = 0};
    sy_gguf_value v;
    for (uint64_t k = 0; k <= i; k++) SY_TRY(parse_value(&c, a->elem_type, 1, "array element", &v));
    *value_out = v;
    return SY_OK;
}

sy_status sy_gguf_array_strings(const sy_gguf_value *a, const char *what, char ***strings_out) {
    SY_CHECK(a->type == SY_GGUF_ARRAY && a->elem_type == SY_GGUF_STRING, SY_ERR_FORMAT,
             "%s is a %s; expected an array of strings", what,
             a->type == SY_GGUF_ARRAY ? "array of other values" : sy_gguf_type_name(a->type));
    // One block: n pointers, then the strings with their NUL terminators (<= elems_bytes + n).
    size_t n = (size_t)a->n_elems, ptrs = n * sizeof(char *);
    char **out = sy_malloc(ptrs + (size_t)a->elems_bytes + n + 1);
    SY_CHECK(out, SY_ERR_OUT_OF_MEMORY, "out of memory copying %s (%zu strings)", what, n);
    char *dst = (char *)out + ptrs;
    cursor c = {.base = a->elems, .size = (size_t)a->elems_bytes, .pos = 0};
    for (size_t i = 0; i < n; i++) {
        const char *s;
        uint64_t len;
        sy_status st = read_string(&c, what, &s, &len);
        if (st == SY_OK && memchr(s, 0, (size_t)len))
            st = sy_error_set(SY_ERR_FORMAT, "%s: string #%zu holds a NUL byte", what, i);
        if (st != SY_OK) {
            sy_free(out);
            return st;
        }
        memcpy(dst, s, (size_t)len);
        dst[len] = '\0';
        out[i] = dst;
        dst += len + 1;
    }
    *strings_out = out;
    return SY_OK;
}
