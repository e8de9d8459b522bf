// tokenizer.json from GGUF tokenizer arrays. What Transformers' GGUF loader builds, reproduced:
//  - "gpt2": byte-level BPE; tokens outside GPT-2's byte alphabet are respelled in it; the split
//    pattern comes from tokenizer.ggml.pre (GPT-2's own inside ByteLevel when it is not listed);
//  - "llama": SentencePiece BPE with byte fallback, Metaspace (prepend on the first piece), the
//    Replace/ByteFallback/Fuse/Strip decoder; missing merges are derived from the scores.
// Control tokens become special added tokens, user-defined ones plain added tokens.

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"
#include "llm/tokenizer_gguf.h"

#define TYPE_CONTROL 3
#define TYPE_USER_DEFINED 4

static const char llama3_split[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char qwen2_split[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char tekken_split[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char gpt4o_split[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// tokenizer.ggml.pre -> split pattern (Transformers' table); NULL: ByteLevel's own GPT-2 pattern.
static const char *split_for_pre(const char *pre) {
    static const struct {
        const char *pre, *pattern;
    } table[] = {
        {"llama3", llama3_split}, {"llama-v3", llama3_split}, {"llama-bpe", llama3_split}, {"falcon3", llama3_split},
        {"falcon-h1", llama3_split}, {"pixtral", llama3_split}, {"midm-2.0", llama3_split}, {"lfm2", llama3_split},
        {"jina-v5-nano", llama3_split}, {"dbrx", llama3_split}, {"smaug-bpe", llama3_split},
        {"tekken", tekken_split}, {"qwen2", qwen2_split}, {"deepseek-r1-qwen", qwen2_split}, {"kormo", qwen2_split},
        {"f2llmv2", qwen2_split}, {"megrez", qwen2_split}, {"gpt-4o", gpt4o_split}, {"llama4", gpt4o_split},
        {"kanana2", gpt4o_split}, {"talkie", gpt4o_split}, {"minimax-m2", gpt4o_split},
    };
    for (size_t i = 0; pre && i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(pre, table[i].pre)) return table[i].pattern;
    return NULL;
}

// --- a set of strings with the index each was last given (Python dict semantics) ---

typedef struct name_map {
    const char **keys;
    int32_t *ids;
    uint32_t cap;
} name_map;

static sy_status map_init(name_map *m, uint32_t n) {
    m->cap = 16;
    while (m->cap < 2 * n + 16) m->cap *= 2;
    m->keys = sy_calloc(m->cap, sizeof *m->keys);
    m->ids = sy_calloc(m->cap, sizeof *m->ids);
    SY_CHECK(m->keys && m->ids, SY_ERR_OUT_OF_MEMORY, "out of memory for a vocabulary of %u tokens", n);
    return SY_OK;
}

static uint32_t map_slot(const name_map *m, const char *key) {
    uint32_t i = sy_tok_hash(key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
    return i;
}

static int32_t map_get(const name_map *m, const char *key) {
    uint32_t i = map_slot(m, key);
    return m->keys[i] ? m->ids[i] : -1;
}

static void map_free(name_map *m) {
    sy_free(m->keys);
    sy_free(m->ids);
}

// --- building ---

typedef struct builder {
    const sy_gguf_tokenizer_desc *d;
    bool byte_level;
    char **spelled; // (n_tokens) vocabulary spelling of each token (gpt2: in the byte alphabet)
    name_map vocab;
    char level_chr[256][3];
} builder;

static void init_alphabet(builder *b) {
    uint32_t next = 256;
    for (int x = 0; x < 256; x++) {
        bool printable = (x >= '!' && x <= '~') || (x >= 0xa1 && x <= 0xac) || x >= 0xae;
        uint32_t cp = printable ? (uint32_t)x : next++;
        memset(b->level_chr[x], 0, 3);
        if (cp < 0x80) b->level_chr[x][0] = (char)cp;
        else b->level_chr[x][0] = (char)(0xc0 | cp >> 6), b->level_chr[x][1] = (char)(0x80 | (cp & 0x3f));
    }
}

/// Whether every character of s is one of the byte alphabet's.
static bool in_alphabet(const builder *b, const char *s) {
    for (size_t i = 0, n = strlen(s); i < n;) {
        size_t k = sy_tok_utf8_len((const unsigned char *)s + i, n - i);
        bool found = false;
        for (int x = 0; k && x < 256 && !found; x++) found = !strncmp(b->level_chr[x], s + i, k) && !b->level_chr[x][k];
        if (!found) return false;
        i += k;
    }
    return true;
}

static sy_status spell_tokens(builder *b) {
    const sy_gguf_tokenizer_desc *d = b->d;
    b->spelled = sy_calloc(d->n_tokens, sizeof *b->spelled);
    SY_CHECK(b->spelled, SY_ERR_OUT_OF_MEMORY, "out of memory for %u tokens", d->n_tokens);
    SY_TRY(map_init(&b->vocab, d->n_tokens));
    for (uint32_t i = 0; i < d->n_tokens; i++) {
        const char *t = d->tokens[i];
        SY_CHECK(t, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: token #%u is NULL", i);
        size_t n = strlen(t);
        if (b->byte_level && !in_alphabet(b, t)) {
            char *s = sy_malloc(2 * n + 1), *w = s;
            SY_CHECK(s, SY_ERR_OUT_OF_MEMORY, "out of memory");
            for (size_t j = 0; j < n; j++) w = stpcpy(w, b->level_chr[(unsigned char)t[j]]);
            b->spelled[i] = s;
        } else {
            b->spelled[i] = sy_strdup(t);
            SY_CHECK(b->spelled[i], SY_ERR_OUT_OF_MEMORY, "out of memory");
        }
        uint32_t slot = map_slot(&b->vocab, b->spelled[i]);
        b->vocab.keys[slot] = b->spelled[i];
        b->vocab.ids[slot] = (int32_t)i; // a later duplicate wins, as in a Python dict
    }
    return SY_OK;
}

static sy_status add_vocab(builder *b, cJSON *model) {
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    SY_CHECK(vocab, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < b->d->n_tokens; i++) {
        if (map_get(&b->vocab, b->spelled[i]) != (int32_t)i) continue; // shadowed by a later duplicate
        SY_CHECK(cJSON_AddNumberToObject(vocab, b->spelled[i], i), SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return SY_OK;
}

static sy_status add_pair(cJSON *merges, const char *l, size_t nl, const char *r) {
    cJSON *pair = cJSON_CreateArray();
    SY_CHECK(pair, SY_ERR_OUT_OF_MEMORY, "out of memory");
    cJSON_AddItemToArray(merges, pair);
    char *left = sy_malloc(nl + 1);
    SY_CHECK(left, SY_ERR_OUT_OF_MEMORY, "out of memory");
    memcpy(left, l, nl);
    left[nl] = '\0';
    cJSON *a = cJSON_CreateString(left), *c = cJSON_CreateString(r);
    sy_free(left);
    SY_CHECK(a && c, SY_ERR_OUT_OF_MEMORY, "out of memory");
    cJSON_AddItemToArray(pair, a);
    cJSON_AddItemToArray(pair, c);
    return SY_OK;
}

// --- merges recovered from scores (Transformers' generate_merges) ---

typedef struct derived {
    uint32_t left, right; // token indices
    float score;
    uint32_t len_l, len_r; // in characters
    uint32_t order;        // position before the sort (the sort is stable)
} derived;

static uint32_t n_chars(const char *s, size_t n) {
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static int derived_cmp(const void *pa, const void *pb) {
    const derived *a = pa, *b = pb; // score, then lengths, descending; stable by order
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->len_l != b->len_l) return a->len_l > b->len_l ? -1 : 1;
    if (a->len_r != b->len_r) return a->len_r > b->len_r ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int local_cmp(const void *pa, const void *pb) {
    const derived *a = pa, *b = pb; // by the ids of the two sides
    if (a->left != b->left) return a->left < b->left ? -1 : 1;
    return a->right < b->right ? -1 : a->right > b->right;
}

static sy_status grow_derived(derived **p, size_t *cap, size_t need) {
    if (need <= *cap) return SY_OK;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need) c *= 2;
    derived *q = sy_realloc(*p, *cap * sizeof *q, c * sizeof *q);
    SY_CHECK(q, SY_ERR_OUT_OF_MEMORY, "out of memory for derived merges");
    *p = q, *cap = c;
    return SY_OK;
}

/// Every split of token i into two vocabulary tokens, sorted by their ids.
static sy_status splits_of(builder *b, uint32_t i, derived **list, size_t *n, size_t *cap, char *tmp) {
    const char *t = b->spelled[i];
    size_t len = strlen(t), first = *n;
    for (size_t k = 1; k < len; k++) {
        if (((unsigned char)t[k] & 0xc0) == 0x80) continue; // split between characters only
        memcpy(tmp, t, k);
        tmp[k] = '\0';
        int32_t l = map_get(&b->vocab, tmp), r = map_get(&b->vocab, t + k);
        if (l < 0 || r < 0) continue;
        SY_TRY(grow_derived(list, cap, *n + 1));
        (*list)[(*n)++] = (derived){(uint32_t)l, (uint32_t)r, b->d->scores[i], n_chars(t, k), n_chars(t + k, len - k), 0};
    }
    if (*n > first) qsort(*list + first, *n - first, sizeof **list, local_cmp);
    return SY_OK;
}

static sy_status derive_merges(builder *b, cJSON *merges) {
    SY_CHECK(b->d->scores, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: no merges and no scores to derive them from");
    derived *list = NULL;
    size_t n = 0, cap = 0, longest = 0;
    for (uint32_t i = 0; i < b->d->n_tokens; i++) longest = strlen(b->spelled[i]) > longest ? strlen(b->spelled[i]) : longest;
    char *tmp = sy_malloc(longest + 1);
    sy_status st = tmp ? SY_OK : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    // the vocabulary in dict order: each spelling once, at its first position, with its last id
    uint8_t *seen = sy_calloc(b->d->n_tokens, 1);
    if (!seen && st == SY_OK) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < b->d->n_tokens && st == SY_OK; i++) {
        int32_t id = map_get(&b->vocab, b->spelled[i]);
        if (seen[id]) continue;
        seen[id] = 1;
        st = splits_of(b, (uint32_t)id, &list, &n, &cap, tmp);
    }
    sy_free(seen);
    for (size_t k = 0; k < n; k++) list[k].order = (uint32_t)k;
    if (st == SY_OK && n) qsort(list, n, sizeof *list, derived_cmp);
    for (size_t k = 0; k < n && st == SY_OK; k++)
        st = add_pair(merges, b->spelled[list[k].left], strlen(b->spelled[list[k].left]), b->spelled[list[k].right]);
    sy_free(list);
    sy_free(tmp);
    return st;
}

static sy_status add_merges(builder *b, cJSON *model) {
    cJSON *merges = cJSON_AddArrayToObject(model, "merges");
    SY_CHECK(merges, SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (!b->d->n_merges) return derive_merges(b, merges);
    SY_CHECK(b->d->merges, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: n_merges is %u but merges is NULL", b->d->n_merges);
    for (uint32_t i = 0; i < b->d->n_merges; i++) {
        const char *m = b->d->merges[i], *sp = m ? strchr(m, ' ') : NULL;
        SY_CHECK(sp, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: merge #%u '%s' is not \"a b\"", i, m ? m : "(null)");
        SY_TRY(add_pair(merges, m, (size_t)(sp - m), sp + 1));
    }
    return SY_OK;
}

static sy_status add_model(builder *b, cJSON *root) {
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    SY_CHECK(model, SY_ERR_OUT_OF_MEMORY, "out of memory");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    if (b->byte_level) {
        cJSON_AddStringToObject(model, "continuing_subword_prefix", "");
        cJSON_AddStringToObject(model, "end_of_word_suffix", "");
    } else {
        cJSON_AddNullToObject(model, "continuing_subword_prefix");
        cJSON_AddNullToObject(model, "end_of_word_suffix");
    }
    cJSON_AddBoolToObject(model, "fuse_unk", !b->byte_level);
    cJSON_AddBoolToObject(model, "byte_fallback", !b->byte_level);
    cJSON_AddBoolToObject(model, "ignore_merges", false);
    SY_TRY(add_vocab(b, model));
    return add_merges(b, model);
}

/// Whether token i becomes an added token, and whether a special one.
static bool added_kind(const builder *b, uint32_t i, bool *special) {
    const sy_gguf_tokenizer_desc *d = b->d;
    int32_t type = d->types ? d->types[i] : 1;
    *special = false;
    if (map_get(&b->vocab, b->spelled[i]) != (int32_t)i) return false;
    if (type == TYPE_CONTROL) {
        // in a byte-level vocabulary a control token outside the byte alphabet is a mislabel
        *special = !b->byte_level || in_alphabet(b, d->tokens[i]);
        return *special;
    }
    if (!b->byte_level) { // LlamaTokenizer's own special tokens, and those the file names
        const char *t = d->tokens[i];
        if (!strcmp(t, "<unk>") || !strcmp(t, "<s>") || !strcmp(t, "</s>") || (int64_t)i == d->unk_id) return *special = true;
    }
    return type == TYPE_USER_DEFINED;
}

static sy_status add_added_tokens(builder *b, cJSON *root) {
    cJSON *list = cJSON_AddArrayToObject(root, "added_tokens");
    SY_CHECK(list, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < b->d->n_tokens; i++) {
        bool special;
        if (!added_kind(b, i, &special)) continue;
        cJSON *t = cJSON_CreateObject();
        SY_CHECK(t, SY_ERR_OUT_OF_MEMORY, "out of memory");
        cJSON_AddItemToArray(list, t);
        cJSON_AddNumberToObject(t, "id", i);
        cJSON_AddStringToObject(t, "content", b->spelled[i]);
        cJSON_AddBoolToObject(t, "single_word", false);
        cJSON_AddBoolToObject(t, "lstrip", false);
        cJSON_AddBoolToObject(t, "rstrip", false);
        cJSON_AddBoolToObject(t, "normalized", false);
        cJSON_AddBoolToObject(t, "special", special);
    }
    return SY_OK;
}

static cJSON *byte_level_json(bool use_regex) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "ByteLevel");
    cJSON_AddBoolToObject(o, "add_prefix_space", false);
    cJSON_AddBoolToObject(o, "trim_offsets", true);
    cJSON_AddBoolToObject(o, "use_regex", use_regex);
    return o;
}

static void add_pre_tokenizer(builder *b, cJSON *root) {
    if (!b->byte_level) {
        cJSON *m = cJSON_AddObjectToObject(root, "pre_tokenizer");
        cJSON_AddStringToObject(m, "type", "Metaspace");
        cJSON_AddStringToObject(m, "replacement", "\xe2\x96\x81");
        cJSON_AddStringToObject(m, "prepend_scheme", "first");
        cJSON_AddBoolToObject(m, "split", false);
        return;
    }
    const char *split = split_for_pre(b->d->pre);
    if (!split) {
        cJSON_AddItemToObject(root, "pre_tokenizer", byte_level_json(true));
        return;
    }
    cJSON *seq = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(seq, "type", "Sequence");
    cJSON *list = cJSON_AddArrayToObject(seq, "pretokenizers");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddItemToArray(list, s);
    cJSON_AddStringToObject(s, "type", "Split");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "pattern"), "Regex", split);
    cJSON_AddStringToObject(s, "behavior", "Isolated");
    cJSON_AddBoolToObject(s, "invert", false);
    cJSON_AddItemToArray(list, byte_level_json(false));
}

static void template_token(const builder *b, cJSON *seq, cJSON *specials, int64_t id) {
    const char *name = b->spelled[id];
    cJSON *item = cJSON_CreateObject(), *sp = cJSON_AddObjectToObject(item, "SpecialToken");
    cJSON_AddStringToObject(sp, "id", name);
    cJSON_AddNumberToObject(sp, "type_id", 0);
    cJSON_AddItemToArray(seq, item);
    if (cJSON_GetObjectItemCaseSensitive(specials, name)) return;
    cJSON *e = cJSON_AddObjectToObject(specials, name);
    cJSON_AddStringToObject(e, "id", name);
    cJSON_AddItemToObject(e, "ids", cJSON_CreateIntArray((const int[]){(int)id}, 1));
    cJSON_AddItemToObject(e, "tokens", cJSON_CreateStringArray(&name, 1));
}

static void add_post_processor(builder *b, cJSON *root) {
    const sy_gguf_tokenizer_desc *d = b->d;
    bool bos = (d->add_bos < 0 ? !b->byte_level : d->add_bos > 0) && d->bos_id >= 0;
    bool eos = d->add_eos > 0 && d->eos_id >= 0;
    cJSON *p = cJSON_AddObjectToObject(root, "post_processor");
    cJSON_AddStringToObject(p, "type", "TemplateProcessing");
    cJSON *single = cJSON_AddArrayToObject(p, "single"), *pair = cJSON_AddArrayToObject(p, "pair");
    cJSON *specials = cJSON_CreateObject();
    for (int k = 0; k < 2; k++) {
        cJSON *seq = k ? pair : single;
        const char *ids[2] = {"A", "B"};
        for (int part = 0; part <= k; part++) {
            if (bos) template_token(b, seq, specials, d->bos_id);
            cJSON *item = cJSON_CreateObject(), *s = cJSON_AddObjectToObject(item, "Sequence");
            cJSON_AddStringToObject(s, "id", ids[part]);
            cJSON_AddNumberToObject(s, "type_id", part);
            cJSON_AddItemToArray(seq, item);
            if (eos) template_token(b, seq, specials, d->eos_id);
        }
    }
    cJSON_AddItemToObject(p, "special_tokens", specials);
}

static void add_decoder(builder *b, cJSON *root) {
    if (b->byte_level) {
        cJSON *o = byte_level_json(true);
        cJSON_ReplaceItemInObject(o, "add_prefix_space", cJSON_CreateTrue());
        cJSON_AddItemToObject(root, "decoder", o);
        return;
    }
    cJSON *seq = cJSON_AddObjectToObject(root, "decoder");
    cJSON_AddStringToObject(seq, "type", "Sequence");
    cJSON *list = cJSON_AddArrayToObject(seq, "decoders");
    cJSON *r = cJSON_CreateObject(), *bf = cJSON_CreateObject(), *fuse = cJSON_CreateObject(), *strip = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", "Replace");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "pattern"), "String", "\xe2\x96\x81");
    cJSON_AddStringToObject(r, "content", " ");
    cJSON_AddStringToObject(bf, "type", "ByteFallback");
    cJSON_AddStringToObject(fuse, "type", "Fuse");
    cJSON_AddStringToObject(strip, "type", "Strip");
    cJSON_AddStringToObject(strip, "content", " ");
    cJSON_AddNumberToObject(strip, "start", 1);
    cJSON_AddNumberToObject(strip, "stop", 0);
    cJSON_AddItemToArray(list, r);
    cJSON_AddItemToArray(list, bf);
    cJSON_AddItemToArray(list, fuse);
    cJSON_AddItemToArray(list, strip);
}

static sy_status check_desc(const sy_gguf_tokenizer_desc *d) {
    SY_CHECK(d && d->model, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: no tokenizer.ggml.model");
    SY_CHECK(!strcmp(d->model, "gpt2") || !strcmp(d->model, "llama"), SY_ERR_UNSUPPORTED,
             "GGUF tokenizer: tokenizer.ggml.model '%s' is not supported (supported: gpt2, llama)", d->model);
    SY_CHECK(d->n_tokens > 0 && d->tokens, SY_ERR_INVALID_ARGUMENT, "GGUF tokenizer: no tokenizer.ggml.tokens");
    const int64_t ids[4] = {d->bos_id, d->eos_id, d->unk_id, d->pad_id};
    static const char *const names[4] = {"bos", "eos", "unknown", "padding"};
    for (int i = 0; i < 4; i++)
        SY_CHECK(ids[i] >= -1 && ids[i] < (int64_t)d->n_tokens, SY_ERR_INVALID_ARGUMENT,
                 "GGUF tokenizer: tokenizer.ggml.%s_token_id %lld is outside the %u tokens", names[i], (long long)ids[i],
                 d->n_tokens);
    return SY_OK;
}

static sy_status build_document(builder *b, cJSON *root) {
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    SY_TRY(add_added_tokens(b, root));
    cJSON_AddNullToObject(root, "normalizer");
    add_pre_tokenizer(b, root);
    add_post_processor(b, root);
    add_decoder(b, root);
    return add_model(b, root);
}

sy_status sy_tokenizer_json_from_gguf(const sy_gguf_tokenizer_desc *desc, char **json_out, size_t *len_out) {
    SY_CHECK(json_out && len_out, SY_ERR_INVALID_ARGUMENT, "sy_tokenizer_json_from_gguf: NULL output");
    SY_TRY(check_desc(desc));
    builder b = {.d = desc, .byte_level = !strcmp(desc->model, "gpt2")};
    init_alphabet(&b);
    cJSON *root = cJSON_CreateObject();
    sy_status st = root ? spell_tokens(&b) : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == SY_OK) st = build_document(&b, root);
    char *text = st == SY_OK ? cJSON_PrintUnformatted(root) : NULL;
    if (st == SY_OK && !text) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for the tokenizer.json text");
    if (st == SY_OK) {
        size_t n = strlen(text);
        char *out = sy_malloc(n + 1);
        if (out) memcpy(out, text, n + 1), *json_out = out, *len_out = n;
        else st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for the tokenizer.json text");
    }
    cJSON_free(text);
    cJSON_Delete(root);
    for (uint32_t i = 0; b.spelled && i < desc->n_tokens; i++) sy_free(b.spelled[i]);
    sy_free(b.spelled);
    map_free(&b.vocab);
    return st;
}
