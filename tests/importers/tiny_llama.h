#pragma once

// A tiny llama GGUF written byte by byte (1 layer, dim 64, 2 query heads / 1 kv head of 32,
// vocab 32), with knobs that break one thing at a time. Used by tests/importers/test_convert.c
// and the fuzzer's seed generator (tests/fuzz/gguf_seeds.c).

#include <stdio.h>
#include <string.h>

#include "importers/gguf_writer.h"

enum { V = 32, D = 64, NH = 2, NKV = 1, HD = 32 };

typedef struct tiny {
    const char *arch;
    const char *drop_key;    // a metadata key left out
    const char *drop_tensor; // a tensor left out
    const char *odd_tensor;  // a tensor written with a wrong outer dim
    const char *q_tensor;    // a tensor written with type q_type
    uint32_t q_type;
    int untied;
    uint64_t hid; // 0: 96
} tiny;

typedef struct tspec {
    char name[48];
    uint64_t ne0, ne1;
    uint32_t n_dims, type;
} tspec;

static inline int n_tensors_of(const tiny *t, tspec *ts) {
    int n = 0;
    const uint64_t HID = t->hid ? t->hid : 96;
    const struct { const char *name; uint64_t ne0, ne1; uint32_t nd; } all[] = {
        {"token_embd.weight", D, V, 2}, {"output_norm.weight", D, 1, 1}, {"output.weight", D, V, 2},
        {"blk.0.attn_norm.weight", D, 1, 1}, {"blk.0.attn_q.weight", D, NH * HD, 2},
        {"blk.0.attn_k.weight", D, NKV * HD, 2}, {"blk.0.attn_v.weight", D, NKV * HD, 2},
        {"blk.0.attn_output.weight", NH * HD, D, 2}, {"blk.0.ffn_norm.weight", D, 1, 1},
        {"blk.0.ffn_gate.weight", D, HID, 2}, {"blk.0.ffn_up.weight", D, HID, 2}, {"blk.0.ffn_down.weight", HID, D, 2},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!t->untied && !strcmp(all[i].name, "output.weight")) continue;
        if (t->drop_tensor && !strcmp(all[i].name, t->drop_tensor)) continue;
        tspec s = {.ne0 = all[i].ne0, .ne1 = all[i].ne1, .n_dims = all[i].nd, .type = 0};
        snprintf(s.name, sizeof s.name, "%s", all[i].name);
        if (t->odd_tensor && !strcmp(s.name, t->odd_tensor)) s.ne1 += 1;
        if (t->q_tensor && !strcmp(s.name, t->q_tensor)) s.type = t->q_type;
        ts[n++] = s;
    }
    return n;
}

static inline size_t tensor_bytes(const tspec *s) {
    uint64_t n = s->ne0 * s->ne1;
    return s->type == 8 ? n / 32 * 34 : s->type == 6 ? n / 32 * 22 : n * 4;
}

static inline void kv(gw_buf *b, const tiny *t, const char *key, uint32_t v, int *n) {
    if (t->drop_key && !strcmp(key, t->drop_key)) return;
    gw_kv_u32(b, key, v);
    (*n)++;
}

// Metadata into b (returns the count); the header is written separately with it.
static inline int write_kvs(gw_buf *b, const tiny *t) {
    int n = 0;
    char key[64];
    gw_kv_str(b, "general.architecture", t->arch ? t->arch : "llama");
    n++;
    const char *a = t->arch ? t->arch : "llama";
#define K(suffix, v) (snprintf(key, sizeof key, "%s." suffix, a), kv(b, t, key, (v), &n))
    K("block_count", 1);
    K("embedding_length", D);
    K("attention.head_count", NH);
    K("attention.head_count_kv", NKV);
    K("feed_forward_length", t->hid ? (uint32_t)t->hid : 96);
    K("vocab_size", V);
    K("context_length", 64);
#undef K
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", a);
    if (!t->drop_key || strcmp(t->drop_key, key)) {
        gw_kv_f32(b, key, 1e-5f);
        n++;
    }
    snprintf(key, sizeof key, "%s.rope.freq_base", a);
    gw_kv_f32(b, key, 10000.0f);
    n++;
    gw_kv_str(b, "tokenizer.chat_template", "{{ messages }}");
    n++;
    return n;
}

static inline gw_buf write_tiny(const tiny *t) {
    gw_buf kvs = {0}, b = {0};
    tspec ts[16];
    int nk = write_kvs(&kvs, t), nt = n_tensors_of(t, ts);
    gw_header(&b, 3, (uint64_t)nt, (uint64_t)nk);
    gw_bytes(&b, kvs.p, kvs.n);
    free(kvs.p);
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        uint64_t ne[2] = {ts[i].ne0, ts[i].ne1};
        gw_tensor(&b, ts[i].name, ts[i].n_dims, ne, ts[i].type, off);
        off += (tensor_bytes(&ts[i]) + 31) / 32 * 32;
    }
    gw_pad(&b, 32);
    uint32_t rng = 5;
    for (int i = 0; i < nt; i++) {
        size_t nb = tensor_bytes(&ts[i]);
        for (size_t j = 0; j < nb / 4 && ts[i].type == 0; j++) {
            rng = rng * 1664525u + 1013904223u;
            float v = strstr(ts[i].name, "norm") ? 1.0f : ((float)(rng >> 8) / 16777216.0f - 0.5f) * 0.2f;
            gw_f32(&b, v);
        }
        for (size_t j = 0; j < nb && ts[i].type != 0; j++) gw_u8(&b, (uint8_t)(j % 34 == 1 ? 0x20 : j * 7));
        gw_pad(&b, 32);
    }
    return b;
}

