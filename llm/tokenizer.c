// Tokenizer creation from a tokenizer.json document or a program's metadata, and the accessors.

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"

#define MAX_VOCAB (1u << 24)

size_t sy_tok_utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) k = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) k = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) k = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

/// GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves, the others for U+0100...
static void init_byte_level(sy_tokenizer *tok) {
    uint32_t next = 256;
    for (int i = 0; i < SY_TOK_LEVEL_CHARS; i++) tok->level_inv[i] = -1;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
        uint32_t cp = printable ? (uint32_t)b : next++;
        if (cp < 0x80) {
            tok->level_chr[b][0] = (char)cp;
            tok->level_chr_len[b] = 1;
        } else {
            tok->level_chr[b][0] = (char)(0xc0 | cp >> 6);
            tok->level_chr[b][1] = (char)(0x80 | (cp & 0x3f));
            tok->level_chr_len[b] = 2;
        }
        tok->level_inv[cp] = (int16_t)b;
    }
}

static sy_status max_id_of(const cJSON *list, const char *key, uint32_t *max_plus_one) {
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(e, key) : e;
        if (!cJSON_IsNumber(v)) continue; // reported with its name while parsing
        SY_CHECK(v->valuedouble >= 0 && v->valuedouble < MAX_VOCAB, SY_ERR_FORMAT,
                 "tokenizer.json: token id %.0f is outside [0, %u)", v->valuedouble, MAX_VOCAB);
        if ((uint32_t)v->valuedouble + 1 > *max_plus_one) *max_plus_one = (uint32_t)v->valuedouble + 1;
    }
    return SY_OK;
}

static sy_status alloc_tables(sy_tokenizer *tok, const cJSON *root) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    SY_CHECK(cJSON_IsObject(model), SY_ERR_FORMAT, "tokenizer.json: \"model\" is missing or not an object");
    SY_CHECK(!cJSON_IsString(type) || !strcmp(type->valuestring, "BPE"), SY_ERR_UNSUPPORTED,
             "tokenizer.json: model type '%s' is not supported (supported: BPE)", type->valuestring);
    uint32_t n = 0;
    SY_TRY(max_id_of(cJSON_GetObjectItemCaseSensitive(model, "vocab"), NULL, &n));
    SY_TRY(max_id_of(cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), "id", &n));
    SY_CHECK(n > 0, SY_ERR_FORMAT, "tokenizer.json: the vocabulary is empty");
    tok->n_vocab = n;
    tok->text_off = sy_calloc(n, sizeof *tok->text_off);
    tok->text_len = sy_malloc((size_t)n * sizeof *tok->text_len);
    tok->special = sy_calloc(n, 1);
    SY_CHECK(tok->text_off && tok->text_len && tok->special, SY_ERR_OUT_OF_MEMORY,
             "out of memory for a vocabulary of %u tokens", n);
    memset(tok->text_len, 0xff, (size_t)n * sizeof *tok->text_len);
    return SY_OK;
}

/// The first added token spelled as one of `names`, or -1.
static int32_t find_named(const sy_tokenizer *tok, const char *const *names) {
    for (; *names; names++)
        for (uint32_t i = 0; i < tok->n_added; i++)
            if (tok->added[i].len == strlen(*names) && !memcmp(tok->blob + tok->added[i].off, *names, tok->added[i].len))
                return tok->added[i].id;
    return -1;
}

/// What the document says about BOS/EOS/PAD/UNK: the post-processor template first, the
/// customary spellings of the model families second.
static void guess_specials(sy_tokenizer *tok) {
    static const char *const bos[] = {"<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", NULL};
    static const char *const eos[] = {"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>", "<|im_end|>", NULL};
    static const char *const pad[] = {"<pad>", "<|pad|>", "[PAD]", NULL};
    static const char *const unk[] = {"<unk>", NULL};
    tok->special_ids[SY_SPECIAL_BOS] = tok->n_prefix ? tok->prefix_ids[0] : find_named(tok, bos);
    tok->special_ids[SY_SPECIAL_EOS] = tok->n_suffix ? tok->suffix_ids[tok->n_suffix - 1] : find_named(tok, eos);
    tok->special_ids[SY_SPECIAL_PAD] = find_named(tok, pad);
    tok->special_ids[SY_SPECIAL_UNK] = tok->unk >= 0 ? tok->unk : find_named(tok, unk);
}

static sy_status build(sy_tokenizer *tok, const cJSON *root) {
    SY_CHECK(cJSON_IsObject(root), SY_ERR_FORMAT, "tokenizer.json: the document is not a JSON object");
    init_byte_level(tok);
    SY_TRY(alloc_tables(tok, root));
    SY_TRY(sy_tok_parse_model(tok, cJSON_GetObjectItemCaseSensitive(root, "model")));
    SY_TRY(sy_tok_parse_added(tok, cJSON_GetObjectItemCaseSensitive(root, "added_tokens")));
    SY_TRY(sy_tok_parse_normalizer(tok, cJSON_GetObjectItemCaseSensitive(root, "normalizer")));
    SY_TRY(sy_tok_parse_pre_tokenizer(tok, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer")));
    SY_TRY(sy_tok_parse_post_processor(tok, cJSON_GetObjectItemCaseSensitive(root, "post_processor")));
    SY_TRY(sy_tok_parse_decoder(tok, cJSON_GetObjectItemCaseSensitive(root, "decoder")));
    for (int b = 0; b < 256; b++)
        tok->level_id[b] = sy_tok_strmap_get(tok, &tok->vocab, tok->level_chr[b], tok->level_chr_len[b]);
    guess_specials(tok);
    return SY_OK;
}

// JSON text is UTF-8 (RFC 8259). Checked up front because the document's strings (vocabulary,
// added tokens, normalizer and pre-tokenizer contents) end up inside the text being encoded,
// which the encoder and PCRE2 walk as valid UTF-8 (tests/fuzz/fuzz_tokenizer.c found the overrun).
static sy_status check_document_utf8(const char *json, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t k = sy_tok_utf8_len((const unsigned char *)json + i, len - i);
        SY_CHECK(k, SY_ERR_FORMAT, "tokenizer.json is not valid UTF-8: byte 0x%02x at offset %zu",
                 (unsigned char)json[i], i);
        i += k;
    }
    return SY_OK;
}

sy_status sy_tokenizer_create_from_json(const char *json, size_t len, sy_tokenizer **tokenizer_out) {
    SY_CHECK(json && tokenizer_out, SY_ERR_INVALID_ARGUMENT, "sy_tokenizer_create_from_json: json and tokenizer_out must not be NULL");
    SY_TRY(check_document_utf8(json, len));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        const char *err = cJSON_GetErrorPtr();
        if (err && err >= json && err <= json + len) at = (size_t)(err - json);
        return sy_error_set(SY_ERR_FORMAT, "tokenizer.json: malformed JSON near byte %zu of %zu", at, len);
    }
    sy_tokenizer *tok = sy_calloc(1, sizeof *tok);
    if (!tok) {
        cJSON_Delete(root);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for a tokenizer");
    }
    sy_status st = build(tok, root);
    cJSON_Delete(root);
    if (st != SY_OK) {
        sy_tokenizer_destroy(tok);
        return st;
    }
    *tokenizer_out = tok;
    return SY_OK;
}

static sy_status metadata_id(const sy_program *program, sy_tokenizer *tok, const char *key, sy_special_token which) {
    const char *v = sy_program_get_metadata(program, key);
    if (!v) return SY_OK;
    char *end;
    errno = 0;
    long id = strtol(v, &end, 10);
    SY_CHECK(end != v && !*end && !errno && id >= -1 && id < (long)tok->n_vocab, SY_ERR_FORMAT,
             "program metadata '%s' = '%s' is not a token id in [0, %u) (or -1)", key, v, tok->n_vocab);
    tok->special_ids[which] = (int32_t)id;
    return SY_OK;
}

sy_status sy_tokenizer_create_from_program(const sy_program *program, sy_tokenizer **tokenizer_out) {
    SY_CHECK(program && tokenizer_out, SY_ERR_INVALID_ARGUMENT, "sy_tokenizer_create_from_program: NULL argument");
    const char *json = sy_program_get_metadata(program, SY_METADATA_TOKENIZER_JSON);
    SY_CHECK(json, SY_ERR_NOT_FOUND,
             "the program has no tokenizer: metadata key '" SY_METADATA_TOKENIZER_JSON "' is missing "
             "(the exporter and the GGUF converter write it)");
    sy_tokenizer *tok;
    sy_status st = sy_tokenizer_create_from_json(json, strlen(json), &tok);
    if (st != SY_OK) return sy_error_prefix(st, "program metadata '" SY_METADATA_TOKENIZER_JSON "'");
    static const char *const keys[] = {NULL, "tokenizer.bos_token_id", "tokenizer.eos_token_id",
                                       "tokenizer.pad_token_id", "tokenizer.unk_token_id"};
    for (int w = SY_SPECIAL_BOS; w <= SY_SPECIAL_UNK && st == SY_OK; w++)
        st = metadata_id(program, tok, keys[w], (sy_special_token)w);
    if (st != SY_OK) {
        sy_tokenizer_destroy(tok);
        return st;
    }
    *tokenizer_out = tok;
    return SY_OK;
}

void sy_tokenizer_destroy(sy_tokenizer *tok) {
    if (!tok) return;
    for (uint32_t i = 0; i < tok->n_norms; i++) {
        sy_free(tok->norms[i].a);
        sy_free(tok->norms[i].b);
    }
    for (uint32_t i = 0; i < tok->n_pretoks; i++) pcre2_code_free(tok->pretoks[i].re);
    sy_free(tok->vocab.slots);
    sy_free(tok->merges.keys);
    sy_free(tok->merges.rank);
    sy_free(tok->merges.merged);
    sy_free(tok->added);
    sy_free(tok->blob);
    sy_free(tok->text_off);
    sy_free(tok->text_len);
    sy_free(tok->special);
    sy_free(tok->dec_blob);
    sy_free(tok->dec_off);
    sy_free(tok->dec_len);
    sy_free(tok);
}

// --- accessors ---

uint32_t sy_tokenizer_n_vocab(const sy_tokenizer *tok) { return tok ? tok->n_vocab : 0; }

sy_status sy_tokenizer_token_text(const sy_tokenizer *tok, int32_t id, const char **text_out, size_t *len_out) {
    SY_CHECK(tok && text_out, SY_ERR_INVALID_ARGUMENT, "sy_tokenizer_token_text: NULL argument");
    SY_CHECK(id >= 0 && (uint32_t)id < tok->n_vocab && tok->text_len[id] != UINT32_MAX, SY_ERR_OUT_OF_RANGE,
             "token id %d is not in the vocabulary (%u ids)", id, tok->n_vocab);
    *text_out = tok->blob + tok->text_off[id];
    if (len_out) *len_out = tok->text_len[id];
    return SY_OK;
}

sy_status sy_tokenizer_token_id(const sy_tokenizer *tok, const char *text, size_t len, int32_t *id_out) {
    SY_CHECK(tok && text && id_out, SY_ERR_INVALID_ARGUMENT, "sy_tokenizer_token_id: NULL argument");
    for (uint32_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].len == len && !memcmp(tok->blob + tok->added[i].off, text, len)) {
            *id_out = tok->added[i].id;
            return SY_OK;
        }
    int32_t id = sy_tok_strmap_get(tok, &tok->vocab, text, len);
    SY_CHECK(id >= 0, SY_ERR_NOT_FOUND, "no token is spelled '%.*s'", (int)(len > 200 ? 200 : len), text);
    *id_out = id;
    return SY_OK;
}

bool sy_tokenizer_is_special(const sy_tokenizer *tok, int32_t id) {
    return tok && id >= 0 && (uint32_t)id < tok->n_vocab && tok->special[id];
}

const char *sy_special_token_name(sy_special_token which) {
    switch (which) {
    case SY_SPECIAL_BOS: return "bos";
    case SY_SPECIAL_EOS: return "eos";
    case SY_SPECIAL_PAD: return "pad";
    case SY_SPECIAL_UNK: return "unk";
    }
    return "invalid";
}

sy_status sy_tokenizer_get_special(const sy_tokenizer *tok, sy_special_token which, int32_t *id_out) {
    SY_CHECK(tok && id_out && which >= SY_SPECIAL_BOS && which <= SY_SPECIAL_UNK, SY_ERR_INVALID_ARGUMENT,
             "sy_tokenizer_get_special: NULL argument or unknown kind %d", (int)which);
    SY_CHECK(tok->special_ids[which] >= 0, SY_ERR_NOT_FOUND, "the tokenizer does not say which token is %s",
             sy_special_token_name(which));
    *id_out = tok->special_ids[which];
    return SY_OK;
}

sy_status sy_tokenizer_set_special(sy_tokenizer *tok, sy_special_token which, int32_t id) {
    SY_CHECK(tok && which >= SY_SPECIAL_BOS && which <= SY_SPECIAL_UNK, SY_ERR_INVALID_ARGUMENT,
             "sy_tokenizer_set_special: NULL tokenizer or unknown kind %d", (int)which);
    SY_CHECK(id < (int32_t)tok->n_vocab, SY_ERR_OUT_OF_RANGE, "%s id %d is outside the vocabulary (%u ids)",
             sy_special_token_name(which), id, tok->n_vocab);
    tok->special_ids[which] = id < 0 ? -1 : id;
    return SY_OK;
}
