#pragma once

// A byte-by-byte GGUF writer for tests: the tests build valid and malformed files with it, so
// every field the reader checks can be set to a wrong value on purpose.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct gw_buf {
    uint8_t *p;
    size_t n, cap;
} gw_buf;

static inline void gw_bytes(gw_buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) abort(); // test helper only
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}

static inline void gw_le(gw_buf *b, uint64_t v, size_t n) {
    uint8_t t[8];
    for (size_t i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
    gw_bytes(b, t, n);
}

static inline void gw_u8(gw_buf *b, uint8_t v) { gw_le(b, v, 1); }
static inline void gw_u32(gw_buf *b, uint32_t v) { gw_le(b, v, 4); }
static inline void gw_u64(gw_buf *b, uint64_t v) { gw_le(b, v, 8); }
static inline void gw_f32(gw_buf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    gw_u32(b, u);
}
static inline void gw_str(gw_buf *b, const char *s) {
    gw_u64(b, strlen(s));
    gw_bytes(b, s, strlen(s));
}
static inline void gw_pad(gw_buf *b, size_t align) {
    while (b->n % align) gw_u8(b, 0);
}

// Key/value helpers: key, type, value.
static inline void gw_kv_u32(gw_buf *b, const char *key, uint32_t v) {
    gw_str(b, key);
    gw_u32(b, 4);
    gw_u32(b, v);
}
static inline void gw_kv_f32(gw_buf *b, const char *key, float v) {
    gw_str(b, key);
    gw_u32(b, 6);
    gw_f32(b, v);
}
static inline void gw_kv_str(gw_buf *b, const char *key, const char *v) {
    gw_str(b, key);
    gw_u32(b, 8);
    gw_str(b, v);
}
static inline void gw_kv_bool(gw_buf *b, const char *key, int v) {
    gw_str(b, key);
    gw_u32(b, 7);
    gw_u8(b, (uint8_t)v);
}

// Tensor info: name, n_dims, ne..., type, offset.
static inline void gw_tensor(gw_buf *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                             uint64_t offset) {
    gw_str(b, name);
    gw_u32(b, n_dims);
    for (uint32_t i = 0; i < n_dims; i++) gw_u64(b, ne[i]);
    gw_u32(b, type);
    gw_u64(b, offset);
}

static inline void gw_header(gw_buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gw_bytes(b, "GGUF", 4);
    gw_u32(b, version);
    gw_u64(b, n_tensors);
    gw_u64(b, n_kv);
}
