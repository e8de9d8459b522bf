// The tokenizer's tables: text blob, vocabulary and merge maps, the BPE model and the added
// tokens of a tokenizer.json document.

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"

uint32_t sy_tok_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

sy_status sy_tok_blob_add(sy_tokenizer *tok, const char *s, size_t n, uint32_t *off_out) {
    SY_CHECK(tok->blob_len + n < UINT32_MAX, SY_ERR_UNSUPPORTED, "tokenizer texts exceed 4 GiB");
    if (tok->blob_len + n + 1 > tok->blob_cap) {
        size_t cap = tok->blob_cap ? tok->blob_cap : 4096;
        while (cap < tok->blob_len + n + 1) cap *= 2;
        char *p = sy_realloc(tok->blob, tok->blob_cap, cap);
        SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory for the tokenizer's texts (%zu bytes)", cap);
        tok->blob = p;
        tok->blob_cap = cap;
    }
    memcpy(tok->blob + tok->blob_len, s, n);
    tok->blob[tok->blob_len + n] = '\0';
    *off_out = (uint32_t)tok->blob_len;
    tok->blob_len += n + 1;
    return SY_OK;
}

// --- text -> id ---

static sy_status strmap_init(sy_tok_strmap *m, uint32_t n) {
    uint32_t cap = 16;
    while (cap < 2 * n + 16) cap *= 2;
    m->slots = sy_calloc(cap, sizeof *m->slots);
    SY_CHECK(m->slots, SY_ERR_OUT_OF_MEMORY, "out of memory for a vocabulary map of %u entries", n);
    m->cap = cap;
    m->n = 0;
    return SY_OK;
}

int32_t sy_tok_strmap_get(const sy_tokenizer *tok, const sy_tok_strmap *m, const char *s, size_t n) {
    if (!m->cap) return -1;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = sy_tok_hash(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t slot = m->slots[i];
        if (!slot) return -1;
        uint32_t id = slot - 1;
        if (tok->text_len[id] == n && !memcmp(tok->blob + tok->text_off[id], s, n)) return (int32_t)id;
    }
}

sy_status sy_tok_strmap_put(sy_tokenizer *tok, sy_tok_strmap *m, int32_t id) {
    SY_CHECK(m->n + 1 < m->cap / 2, SY_ERR_INTERNAL, "vocabulary map is full");
    const char *s = tok->blob + tok->text_off[id];
    size_t n = tok->text_len[id];
    uint32_t mask = m->cap - 1;
    for (uint32_t i = sy_tok_hash(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t slot = m->slots[i];
        if (!slot) {
            m->slots[i] = (uint32_t)id + 1;
            m->n++;
            return SY_OK;
        }
        uint32_t other = slot - 1;
        if (tok->text_len[other] == n && !memcmp(tok->blob + tok->text_off[other], s, n)) {
            m->slots[i] = (uint32_t)id + 1;
            return SY_OK;
        }
    }
}

// --- (a, b) -> merge ---

static uint32_t pair_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (uint32_t)key;
}

static sy_status pairmap_init(sy_tok_pairmap *m, uint32_t n) {
    uint32_t cap = 16;
    while (cap < 2 * n + 16) cap *= 2;
    m->keys = sy_malloc((size_t)cap * sizeof *m->keys);
    m->rank = sy_malloc((size_t)cap * sizeof *m->rank);
    m->merged = sy_malloc((size_t)cap * sizeof *m->merged);
    SY_CHECK(m->keys && m->rank && m->merged, SY_ERR_OUT_OF_MEMORY, "out of memory for %u merges", n);
    memset(m->keys, 0xff, (size_t)cap * sizeof *m->keys);
    m->cap = cap;
    return SY_OK;
}

static void pairmap_put(sy_tok_pairmap *m, int32_t a, int32_t b, uint32_t rank, int32_t merged) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    uint32_t mask = m->cap - 1;
    uint32_t i = pair_hash(key) & mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != key) i = (i + 1) & mask;
    m->keys[i] = key; // a later duplicate replaces the earlier one, as in `tokenizers`
    m->rank[i] = rank;
    m->merged[i] = merged;
}

bool sy_tok_pairmap_get(const sy_tok_pairmap *m, int32_t a, int32_t b, uint32_t *rank, int32_t *merged) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = pair_hash(key) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == UINT64_MAX) return false;
        if (m->keys[i] == key) {
            *rank = m->rank[i];
            *merged = m->merged[i];
            return true;
        }
    }
}

// --- the BPE model ---

static sy_status set_text(sy_tokenizer *tok, int32_t id, const char *s, size_t n) {
    uint32_t off;
    SY_TRY(sy_tok_blob_add(tok, s, n, &off));
    tok->text_off[id] = off;
    tok->text_len[id] = (uint32_t)n;
    return SY_OK;
}

static bool json_flag(const cJSON *obj, const char *key) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static sy_status check_empty_affix(const cJSON *model, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, key);
    SY_CHECK(!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]), SY_ERR_UNSUPPORTED,
             "tokenizer.json: model.%s '%s' is not supported (decoder-only BPE models leave it empty)", key,
             cJSON_IsString(v) ? v->valuestring : "?");
    return SY_OK;
}

static sy_status parse_vocab(sy_tokenizer *tok, const cJSON *vocab) {
    SY_CHECK(cJSON_IsObject(vocab), SY_ERR_FORMAT, "tokenizer.json: model.vocab is not an object");
    SY_TRY(strmap_init(&tok->vocab, (uint32_t)cJSON_GetArraySize(vocab)));
    for (const cJSON *e = vocab->child; e; e = e->next) {
        SY_CHECK(cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble < tok->n_vocab, SY_ERR_FORMAT,
                 "tokenizer.json: model.vocab entry '%s' has no valid id", e->string);
        int32_t id = (int32_t)e->valuedouble;
        SY_CHECK(tok->text_len[id] == UINT32_MAX, SY_ERR_FORMAT,
                 "tokenizer.json: model.vocab gives id %d to both '%s' and '%s'", id,
                 tok->blob + tok->text_off[id], e->string);
        SY_TRY(set_text(tok, id, e->string, strlen(e->string)));
        SY_TRY(sy_tok_strmap_put(tok, &tok->vocab, id));
    }
    return SY_OK;
}

/// One merge, "a b" or ["a", "b"]: the ids of both sides and of their concatenation.
static sy_status parse_merge(sy_tokenizer *tok, const cJSON *m, uint32_t rank, char **scratch, size_t *scratch_cap) {
    const char *a, *b;
    size_t na, nb;
    if (cJSON_IsString(m)) {
        const char *sp = strchr(m->valuestring, ' ');
        SY_CHECK(sp && sp != m->valuestring && sp[1], SY_ERR_FORMAT,
                 "tokenizer.json: merge #%u '%s' is not two tokens separated by a space", rank, m->valuestring);
        a = m->valuestring, na = (size_t)(sp - a), b = sp + 1, nb = strlen(b);
    } else {
        SY_CHECK(cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                     cJSON_IsString(m->child->next),
                 SY_ERR_FORMAT, "tokenizer.json: merge #%u is neither \"a b\" nor [\"a\", \"b\"]", rank);
        a = m->child->valuestring, na = strlen(a), b = m->child->next->valuestring, nb = strlen(b);
    }
    int32_t ia = sy_tok_strmap_get(tok, &tok->vocab, a, na), ib = sy_tok_strmap_get(tok, &tok->vocab, b, nb);
    SY_CHECK(ia >= 0, SY_ERR_FORMAT, "tokenizer.json: merge #%u: token '%.*s' is not in the vocabulary", rank, (int)na, a);
    SY_CHECK(ib >= 0, SY_ERR_FORMAT, "tokenizer.json: merge #%u: token '%.*s' is not in the vocabulary", rank, (int)nb, b);
    if (na + nb > *scratch_cap) {
        char *p = sy_realloc(*scratch, *scratch_cap, na + nb + 64);
        SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory");
        *scratch = p, *scratch_cap = na + nb + 64;
    }
    memcpy(*scratch, a, na);
    memcpy(*scratch + na, b, nb);
    int32_t im = sy_tok_strmap_get(tok, &tok->vocab, *scratch, na + nb);
    SY_CHECK(im >= 0, SY_ERR_FORMAT, "tokenizer.json: merge #%u '%.*s %.*s': the merged token '%.*s' is not in the vocabulary",
             rank, (int)na, a, (int)nb, b, (int)(na + nb), *scratch);
    pairmap_put(&tok->merges, ia, ib, rank, im);
    return SY_OK;
}

static sy_status parse_merges(sy_tokenizer *tok, const cJSON *merges) {
    SY_CHECK(!merges || cJSON_IsArray(merges), SY_ERR_FORMAT, "tokenizer.json: model.merges is not an array");
    uint32_t n = merges ? (uint32_t)cJSON_GetArraySize(merges) : 0;
    SY_TRY(pairmap_init(&tok->merges, n));
    char *scratch = NULL;
    size_t cap = 0;
    sy_status st = SY_OK;
    uint32_t rank = 0;
    for (const cJSON *m = merges ? merges->child : NULL; m && st == SY_OK; m = m->next, rank++)
        st = parse_merge(tok, m, rank, &scratch, &cap);
    sy_free(scratch);
    return st;
}

/// The ids of the <0xHH> byte tokens (byte_fallback).
static void find_byte_tokens(sy_tokenizer *tok) {
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        tok->byte_id[b] = sy_tok_strmap_get(tok, &tok->vocab, name, 6);
    }
}

sy_status sy_tok_parse_model(sy_tokenizer *tok, const void *model_json) {
    const cJSON *model = model_json;
    SY_CHECK(cJSON_IsObject(model), SY_ERR_FORMAT, "tokenizer.json: \"model\" is missing or not an object");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    SY_CHECK(!type || cJSON_IsString(type), SY_ERR_FORMAT, "tokenizer.json: model.type is not a string");
    SY_CHECK(!type || !strcmp(type->valuestring, "BPE"), SY_ERR_UNSUPPORTED,
             "tokenizer.json: model type '%s' is not supported (supported: BPE)", type->valuestring);
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    SY_CHECK(!dropout || cJSON_IsNull(dropout) || (cJSON_IsNumber(dropout) && dropout->valuedouble == 0.0),
             SY_ERR_UNSUPPORTED, "tokenizer.json: model.dropout is not supported (it makes encoding random)");
    SY_TRY(check_empty_affix(model, "continuing_subword_prefix"));
    SY_TRY(check_empty_affix(model, "end_of_word_suffix"));
    tok->byte_fallback = json_flag(model, "byte_fallback");
    tok->fuse_unk = json_flag(model, "fuse_unk");
    tok->ignore_merges = json_flag(model, "ignore_merges");
    SY_TRY(parse_vocab(tok, cJSON_GetObjectItemCaseSensitive(model, "vocab")));
    SY_TRY(parse_merges(tok, cJSON_GetObjectItemCaseSensitive(model, "merges")));
    find_byte_tokens(tok);
    tok->unk = -1;
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    if (cJSON_IsString(unk)) {
        tok->unk = sy_tok_strmap_get(tok, &tok->vocab, unk->valuestring, strlen(unk->valuestring));
        SY_CHECK(tok->unk >= 0, SY_ERR_FORMAT, "tokenizer.json: model.unk_token '%s' is not in the vocabulary",
                 unk->valuestring);
    }
    return SY_OK;
}

// --- added tokens ---

static int added_cmp(const void *pa, const void *pb) {
    const sy_tok_added *a = pa, *b = pb;
    // grouped by first byte, longest first: the first match in a group is the longest
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    if (a->len != b->len) return a->len > b->len ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static sy_status parse_added_one(sy_tokenizer *tok, const cJSON *t, uint32_t i) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(t, "content");
    SY_CHECK(cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < tok->n_vocab && cJSON_IsString(content),
             SY_ERR_FORMAT, "tokenizer.json: added_tokens[%u] lacks a valid \"id\" or \"content\"", i);
    size_t n = strlen(content->valuestring);
    SY_CHECK(n > 0, SY_ERR_FORMAT, "tokenizer.json: added_tokens[%u] (id %d) has empty content", i, (int)id->valuedouble);
    sy_tok_added *a = &tok->added[tok->n_added++];
    a->id = (int32_t)id->valuedouble;
    SY_TRY(sy_tok_blob_add(tok, content->valuestring, n, &a->off));
    a->len = (uint32_t)n;
    a->first = (uint8_t)content->valuestring[0];
    a->special = json_flag(t, "special");
    a->lstrip = json_flag(t, "lstrip");
    a->rstrip = json_flag(t, "rstrip");
    a->single_word = json_flag(t, "single_word");
    tok->text_off[a->id] = a->off;
    tok->text_len[a->id] = a->len;
    tok->special[a->id] = a->special;
    return SY_OK;
}

sy_status sy_tok_parse_added(sy_tokenizer *tok, const void *added_json) {
    const cJSON *added = added_json;
    if (!added || cJSON_IsNull(added)) return SY_OK;
    SY_CHECK(cJSON_IsArray(added), SY_ERR_FORMAT, "tokenizer.json: \"added_tokens\" is not an array");
    uint32_t n = (uint32_t)cJSON_GetArraySize(added);
    tok->added = sy_calloc(n ? n : 1, sizeof *tok->added);
    SY_CHECK(tok->added, SY_ERR_OUT_OF_MEMORY, "out of memory for %u added tokens", n);
    uint32_t i = 0;
    for (const cJSON *t = added->child; t; t = t->next, i++) SY_TRY(parse_added_one(tok, t, i));
    qsort(tok->added, tok->n_added, sizeof *tok->added, added_cmp);
    for (uint32_t k = tok->n_added; k-- > 0;) {
        uint8_t f = tok->added[k].first;
        if (tok->added_end[f] == 0) tok->added_end[f] = k + 1;
        tok->added_begin[f] = k;
    }
    return SY_OK;
}
