// The normalizer, pre-tokenizer, post-processor and decoder of a tokenizer.json document, turned
// into the step lists that encode and decode run. Anything not listed in llm/README.md is refused
// naming the component.

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"

// GPT-2's split pattern, used by the ByteLevel pre-tokenizer when use_regex is true.
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

sy_status sy_tok_regex_compile(const char *pattern, size_t len, const char *what, pcre2_code **re_out) {
    int err;
    PCRE2_SIZE at;
    // The pattern comes from the file: PCRE2 must check its UTF-8 (an invalid sequence crashed
    // the compiler under PCRE2_NO_UTF_CHECK; found by tests/fuzz/fuzz_tokenizer.c).
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_UCP, &err, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: %s: regex /%.*s/ does not compile at offset %zu: %s",
                            what, (int)len, pattern, (size_t)at, (const char *)msg);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); // falls back to the interpreter when JIT is absent
    *re_out = re;
    return SY_OK;
}

static const char *type_of(const cJSON *obj) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static const char *str_field(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool flag_field(const cJSON *obj, const char *key, bool dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/// A pattern object {"String": s} or {"Regex": r}; *is_regex tells which.
static sy_status pattern_of(const cJSON *obj, const char *where, const char **text, bool *is_regex) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "pattern");
    const char *s = str_field(p, "String"), *r = str_field(p, "Regex");
    SY_CHECK(s || r, SY_ERR_FORMAT, "tokenizer.json: %s: \"pattern\" needs a \"String\" or a \"Regex\"", where);
    *text = s ? s : r;
    *is_regex = r != NULL;
    return SY_OK;
}

/// A literal string as a regex: every character escaped.
static sy_status literal_regex(const char *s, const char *what, pcre2_code **re_out) {
    size_t n = strlen(s);
    char *p = sy_malloc(n * 12 + 1), *w = p;
    SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < n;) {
        size_t k = sy_tok_utf8_len((const unsigned char *)s + i, n - i);
        if (!k) {
            sy_free(p);
            return sy_error_set(SY_ERR_FORMAT, "tokenizer.json: %s: pattern is not UTF-8", what);
        }
        uint32_t c = (unsigned char)s[i];
        if (k > 1) {
            c &= 0x3fu >> (k - 1);
            for (size_t j = 1; j < k; j++) c = c << 6 | ((unsigned char)s[i + j] & 0x3f);
        }
        w += sprintf(w, "\\x{%x}", (unsigned)c);
        i += k;
    }
    sy_status st = sy_tok_regex_compile(p, (size_t)(w - p), what, re_out);
    sy_free(p);
    return st;
}

// --- normalizer ---

static sy_status add_norm(sy_tokenizer *tok, sy_tok_norm_kind kind, const char *a, const char *b) {
    SY_CHECK(tok->n_norms < SY_TOK_MAX_STEPS, SY_ERR_UNSUPPORTED, "tokenizer.json: more than %d normalizers",
             SY_TOK_MAX_STEPS);
    sy_tok_norm *n = &tok->norms[tok->n_norms++];
    n->kind = kind;
    n->a = a ? sy_strdup(a) : NULL;
    n->b = b ? sy_strdup(b) : NULL;
    SY_CHECK((!a || n->a) && (!b || n->b), SY_ERR_OUT_OF_MEMORY, "out of memory");
    n->a_len = a ? strlen(a) : 0;
    n->b_len = b ? strlen(b) : 0;
    return SY_OK;
}

sy_status sy_tok_parse_normalizer(sy_tokenizer *tok, const void *json) {
    const cJSON *n = json;
    if (!n || cJSON_IsNull(n)) return SY_OK;
    const char *type = type_of(n);
    SY_CHECK(type, SY_ERR_FORMAT, "tokenizer.json: a normalizer has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "normalizers");
        SY_CHECK(cJSON_IsArray(list), SY_ERR_FORMAT, "tokenizer.json: normalizer Sequence lacks \"normalizers\"");
        for (const cJSON *e = list->child; e; e = e->next) SY_TRY(sy_tok_parse_normalizer(tok, e));
        return SY_OK;
    }
    if (!strcmp(type, "Prepend")) {
        const char *p = str_field(n, "prepend");
        SY_CHECK(p, SY_ERR_FORMAT, "tokenizer.json: normalizer Prepend lacks \"prepend\"");
        return add_norm(tok, SY_TOK_NORM_PREPEND, p, NULL);
    }
    if (!strcmp(type, "Replace")) {
        const char *pat, *content = str_field(n, "content");
        bool is_regex;
        SY_TRY(pattern_of(n, "normalizer Replace", &pat, &is_regex));
        SY_CHECK(!is_regex, SY_ERR_UNSUPPORTED, "tokenizer.json: normalizer Replace with a Regex pattern is not supported");
        SY_CHECK(content && pat[0], SY_ERR_FORMAT, "tokenizer.json: normalizer Replace lacks \"content\" or a pattern");
        return add_norm(tok, SY_TOK_NORM_REPLACE, pat, content);
    }
    if (!strcmp(type, "NFC")) {
#ifdef SY_HAVE_ICU
        return add_norm(tok, SY_TOK_NORM_NFC, NULL, NULL);
#else
        return sy_error_set(SY_ERR_UNSUPPORTED,
                            "tokenizer.json: normalizer NFC needs ICU, which this build does not have (libicu-dev)");
#endif
    }
    return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: normalizer '%s' is not supported "
                                            "(supported: Sequence, Prepend, Replace, NFC)", type);
}

// --- pre-tokenizer ---

static sy_status add_pretok(sy_tokenizer *tok, sy_tok_pretok_kind kind, sy_tok_pretok **out) {
    SY_CHECK(tok->n_pretoks < SY_TOK_MAX_STEPS, SY_ERR_UNSUPPORTED, "tokenizer.json: more than %d pre-tokenizer steps",
             SY_TOK_MAX_STEPS);
    SY_CHECK(!tok->byte_level, SY_ERR_UNSUPPORTED,
             "tokenizer.json: a pre-tokenizer after ByteLevel is not supported (ByteLevel must come last)");
    sy_tok_pretok *p = &tok->pretoks[tok->n_pretoks++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    *out = p;
    return SY_OK;
}

static sy_status parse_behavior(const cJSON *n, sy_tok_split_behavior *out) {
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    const char *b = str_field(n, "behavior");
    SY_CHECK(b, SY_ERR_FORMAT, "tokenizer.json: pre-tokenizer Split lacks \"behavior\"");
    for (int i = 0; i < 5; i++)
        if (!strcmp(b, names[i])) {
            *out = (sy_tok_split_behavior)i;
            return SY_OK;
        }
    return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: pre-tokenizer Split behavior '%s' is not supported", b);
}

static sy_status parse_split(sy_tokenizer *tok, const cJSON *n) {
    const char *pat;
    bool is_regex;
    sy_tok_pretok *p;
    SY_TRY(pattern_of(n, "pre-tokenizer Split", &pat, &is_regex));
    SY_TRY(add_pretok(tok, SY_TOK_PRE_SPLIT, &p));
    SY_TRY(parse_behavior(n, &p->behavior));
    p->invert = flag_field(n, "invert", false);
    return is_regex ? sy_tok_regex_compile(pat, strlen(pat), "pre-tokenizer Split", &p->re)
                    : literal_regex(pat, "pre-tokenizer Split", &p->re);
}

static sy_status parse_byte_level(sy_tokenizer *tok, const cJSON *n) {
    sy_tok_pretok *p;
    if (flag_field(n, "add_prefix_space", true)) SY_TRY(add_pretok(tok, SY_TOK_PRE_PREFIX_SPACE, &p));
    if (flag_field(n, "use_regex", true)) {
        SY_TRY(add_pretok(tok, SY_TOK_PRE_SPLIT, &p));
        p->behavior = SY_TOK_SPLIT_ISOLATED;
        SY_TRY(sy_tok_regex_compile(gpt2_pattern, sizeof gpt2_pattern - 1, "ByteLevel", &p->re));
    }
    tok->byte_level = true;
    return SY_OK;
}

static sy_status parse_metaspace(sy_tokenizer *tok, const cJSON *n) {
    sy_tok_pretok *p;
    SY_TRY(add_pretok(tok, SY_TOK_PRE_METASPACE, &p));
    const char *rep = str_field(n, "replacement");
    SY_CHECK(rep && strlen(rep) < sizeof p->rep && rep[0], SY_ERR_FORMAT,
             "tokenizer.json: pre-tokenizer Metaspace lacks a one-character \"replacement\"");
    p->rep_len = strlen(rep);
    memcpy(p->rep, rep, p->rep_len);
    const char *scheme = str_field(n, "prepend_scheme");
    if (!scheme) p->prepend = flag_field(n, "add_prefix_space", true) ? 2 : 0; // before prepend_scheme existed
    else if (!strcmp(scheme, "always")) p->prepend = 2;
    else if (!strcmp(scheme, "first")) p->prepend = 1;
    else if (!strcmp(scheme, "never")) p->prepend = 0;
    else return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: Metaspace prepend_scheme '%s' is not supported", scheme);
    p->split = flag_field(n, "split", true);
    p->behavior = SY_TOK_SPLIT_MERGED_NEXT;
    return p->split ? literal_regex(rep, "pre-tokenizer Metaspace", &p->re) : SY_OK;
}

sy_status sy_tok_parse_pre_tokenizer(sy_tokenizer *tok, const void *json) {
    const cJSON *n = json;
    if (!n || cJSON_IsNull(n)) return SY_OK;
    const char *type = type_of(n);
    SY_CHECK(type, SY_ERR_FORMAT, "tokenizer.json: a pre-tokenizer has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "pretokenizers");
        SY_CHECK(cJSON_IsArray(list), SY_ERR_FORMAT, "tokenizer.json: pre-tokenizer Sequence lacks \"pretokenizers\"");
        for (const cJSON *e = list->child; e; e = e->next) SY_TRY(sy_tok_parse_pre_tokenizer(tok, e));
        return SY_OK;
    }
    if (!strcmp(type, "Split")) return parse_split(tok, n);
    if (!strcmp(type, "ByteLevel")) return parse_byte_level(tok, n);
    if (!strcmp(type, "Metaspace")) return parse_metaspace(tok, n);
    if (!strcmp(type, "Digits")) {
        sy_tok_pretok *p;
        SY_TRY(add_pretok(tok, SY_TOK_PRE_SPLIT, &p));
        bool each = flag_field(n, "individual_digits", false);
        p->behavior = SY_TOK_SPLIT_ISOLATED; // Contiguous over \p{N} is Isolated over \p{N}+
        return sy_tok_regex_compile(each ? "\\p{N}" : "\\p{N}+", each ? 5 : 6, "pre-tokenizer Digits", &p->re);
    }
    return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: pre-tokenizer '%s' is not supported "
                                            "(supported: Sequence, Split, ByteLevel, Metaspace, Digits)", type);
}

// --- post-processor ---

static sy_status template_item(sy_tokenizer *tok, const cJSON *item, const cJSON *specials, bool *after_a) {
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(item, "Sequence");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(item, "SpecialToken");
    if (seq) {
        *after_a = true;
        return SY_OK;
    }
    const char *name = str_field(sp, "id");
    SY_CHECK(name, SY_ERR_FORMAT, "tokenizer.json: TemplateProcessing item is neither Sequence nor SpecialToken");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(specials, name), "ids");
    SY_CHECK(cJSON_IsArray(ids), SY_ERR_FORMAT, "tokenizer.json: TemplateProcessing: special token '%s' has no \"ids\"", name);
    for (const cJSON *e = ids->child; e; e = e->next) {
        SY_CHECK(cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble < tok->n_vocab, SY_ERR_FORMAT,
                 "tokenizer.json: TemplateProcessing: special token '%s' has an id outside the vocabulary", name);
        uint32_t *n = *after_a ? &tok->n_suffix : &tok->n_prefix;
        SY_CHECK(*n < 4, SY_ERR_UNSUPPORTED, "tokenizer.json: TemplateProcessing adds more than 4 tokens on one side");
        (*after_a ? tok->suffix_ids : tok->prefix_ids)[(*n)++] = (int32_t)e->valuedouble;
    }
    return SY_OK;
}

sy_status sy_tok_parse_post_processor(sy_tokenizer *tok, const void *json) {
    const cJSON *n = json;
    if (!n || cJSON_IsNull(n)) return SY_OK;
    const char *type = type_of(n);
    SY_CHECK(type, SY_ERR_FORMAT, "tokenizer.json: a post-processor has no \"type\"");
    if (!strcmp(type, "ByteLevel")) return SY_OK; // offsets only
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "processors");
        SY_CHECK(cJSON_IsArray(list), SY_ERR_FORMAT, "tokenizer.json: post-processor Sequence lacks \"processors\"");
        for (const cJSON *e = list->child; e; e = e->next) SY_TRY(sy_tok_parse_post_processor(tok, e));
        return SY_OK;
    }
    SY_CHECK(!strcmp(type, "TemplateProcessing"), SY_ERR_UNSUPPORTED,
             "tokenizer.json: post-processor '%s' is not supported (supported: TemplateProcessing, ByteLevel, Sequence)", type);
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(n, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(n, "special_tokens");
    SY_CHECK(cJSON_IsArray(single), SY_ERR_FORMAT, "tokenizer.json: TemplateProcessing lacks \"single\"");
    bool after_a = false;
    tok->n_prefix = tok->n_suffix = 0;
    for (const cJSON *e = single->child; e; e = e->next) SY_TRY(template_item(tok, e, specials, &after_a));
    return SY_OK;
}

// --- decoder ---

typedef enum dec_kind { DEC_BYTE_LEVEL, DEC_REPLACE, DEC_BYTE_FALLBACK, DEC_FUSE, DEC_STRIP, DEC_METASPACE } dec_kind;

typedef struct dec_step {
    dec_kind kind;
    const char *a, *b; // REPLACE: pattern, content; STRIP / METASPACE: the character
    uint32_t start, stop;
} dec_step;

typedef struct dec_list {
    dec_step steps[SY_TOK_MAX_STEPS];
    uint32_t n;
} dec_list;

static sy_status parse_decoder_step(const cJSON *n, dec_list *list) {
    const char *type = type_of(n);
    SY_CHECK(type, SY_ERR_FORMAT, "tokenizer.json: a decoder has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(n, "decoders");
        SY_CHECK(cJSON_IsArray(l), SY_ERR_FORMAT, "tokenizer.json: decoder Sequence lacks \"decoders\"");
        for (const cJSON *e = l->child; e; e = e->next) SY_TRY(parse_decoder_step(e, list));
        return SY_OK;
    }
    SY_CHECK(list->n < SY_TOK_MAX_STEPS, SY_ERR_UNSUPPORTED, "tokenizer.json: more than %d decoders", SY_TOK_MAX_STEPS);
    dec_step *s = &list->steps[list->n++];
    memset(s, 0, sizeof *s);
    if (!strcmp(type, "ByteLevel")) s->kind = DEC_BYTE_LEVEL;
    else if (!strcmp(type, "ByteFallback")) s->kind = DEC_BYTE_FALLBACK;
    else if (!strcmp(type, "Fuse")) s->kind = DEC_FUSE;
    else if (!strcmp(type, "Replace")) {
        bool is_regex;
        s->kind = DEC_REPLACE;
        SY_TRY(pattern_of(n, "decoder Replace", &s->a, &is_regex));
        SY_CHECK(!is_regex, SY_ERR_UNSUPPORTED, "tokenizer.json: decoder Replace with a Regex pattern is not supported");
        s->b = str_field(n, "content");
        SY_CHECK(s->b && s->a[0], SY_ERR_FORMAT, "tokenizer.json: decoder Replace lacks \"content\" or a pattern");
    } else if (!strcmp(type, "Strip")) {
        const cJSON *start = cJSON_GetObjectItemCaseSensitive(n, "start"), *stop = cJSON_GetObjectItemCaseSensitive(n, "stop");
        s->kind = DEC_STRIP;
        s->a = str_field(n, "content");
        SY_CHECK(s->a && s->a[0] && cJSON_IsNumber(start) && cJSON_IsNumber(stop) && start->valuedouble >= 0 &&
                     start->valuedouble < 64 && stop->valuedouble >= 0 && stop->valuedouble < 64,
                 SY_ERR_FORMAT, "tokenizer.json: decoder Strip needs \"content\", \"start\" and \"stop\"");
        s->start = (uint32_t)start->valuedouble;
        s->stop = (uint32_t)stop->valuedouble;
    } else if (!strcmp(type, "Metaspace")) {
        const char *scheme = str_field(n, "prepend_scheme");
        s->kind = DEC_METASPACE;
        s->a = str_field(n, "replacement");
        SY_CHECK(s->a && s->a[0], SY_ERR_FORMAT, "tokenizer.json: decoder Metaspace lacks \"replacement\"");
        s->start = scheme ? strcmp(scheme, "never") != 0 : flag_field(n, "add_prefix_space", true);
    } else
        return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json: decoder '%s' is not supported (supported: ByteLevel, "
                                                "Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)", type);
    return SY_OK;
}

/// The byte of GPT-2's alphabet character at s[0..k), or -1.
static int level_byte(const sy_tokenizer *tok, const unsigned char *s, size_t k) {
    uint32_t c = k == 1 ? s[0] : k == 2 ? (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f) : UINT32_MAX;
    return c < SY_TOK_LEVEL_CHARS ? tok->level_inv[c] : -1;
}

typedef struct bytes_buf {
    char *p;
    size_t n, cap;
} bytes_buf;

static sy_status buf_put(bytes_buf *b, const void *s, size_t n) {
    if (!n) return SY_OK;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n) cap *= 2;
        char *p = sy_realloc(b->p, b->cap, cap);
        SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory for decoded token texts");
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return SY_OK;
}

/// ByteLevel: every character back to its byte; a token with any other character stays as it is.
static sy_status decode_byte_level(const sy_tokenizer *tok, const char *s, size_t n, bytes_buf *out) {
    size_t start = out->n;
    for (size_t i = 0; i < n;) {
        size_t k = sy_tok_utf8_len((const unsigned char *)s + i, n - i);
        int b = k ? level_byte(tok, (const unsigned char *)s + i, k) : -1;
        if (b < 0) {
            out->n = start;
            return buf_put(out, s, n);
        }
        unsigned char c = (unsigned char)b;
        SY_TRY(buf_put(out, &c, 1));
        i += k;
    }
    return SY_OK;
}

static sy_status decode_replace(const char *s, size_t n, const char *a, const char *b, bytes_buf *out) {
    size_t na = strlen(a), nb = strlen(b);
    for (size_t i = 0; i < n;) {
        if (i + na <= n && !memcmp(s + i, a, na)) {
            SY_TRY(buf_put(out, b, nb));
            i += na;
        } else
            SY_TRY(buf_put(out, s + i++, 1));
    }
    return SY_OK;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// One per-token step from `in` into `out` (stream-level effects are recorded in tok).
static sy_status decode_step(const sy_tokenizer *tok, const dec_step *s, const bytes_buf *in, bytes_buf *out, bool fused) {
    out->n = 0;
    switch (s->kind) {
    case DEC_BYTE_LEVEL: return decode_byte_level(tok, in->p, in->n, out);
    case DEC_REPLACE: return decode_replace(in->p, in->n, s->a, s->b, out);
    case DEC_METASPACE: return decode_replace(in->p, in->n, s->a, " ", out);
    case DEC_BYTE_FALLBACK:
        if (in->n == 6 && !memcmp(in->p, "<0x", 3) && in->p[5] == '>' && hexval(in->p[3]) >= 0 && hexval(in->p[4]) >= 0) {
            unsigned char c = (unsigned char)(hexval(in->p[3]) * 16 + hexval(in->p[4]));
            return buf_put(out, &c, 1);
        }
        return buf_put(out, in->p, in->n);
    case DEC_STRIP: {
        size_t lo = 0, hi = in->n, k = strlen(s->a);
        if (!fused) {
            for (uint32_t i = 0; i < s->start && lo + k <= hi && !memcmp(in->p + lo, s->a, k); i++) lo += k;
            for (uint32_t i = 0; i < s->stop && hi >= lo + k && !memcmp(in->p + hi - k, s->a, k); i++) hi -= k;
        }
        return buf_put(out, in->p + lo, hi - lo);
    }
    case DEC_FUSE: return buf_put(out, in->p, in->n);
    }
    return SY_OK;
}

static sy_status stream_effects(sy_tokenizer *tok, const dec_list *list) {
    bool fused = false;
    for (uint32_t i = 0; i < list->n; i++) {
        const dec_step *s = &list->steps[i];
        if (s->kind == DEC_FUSE) fused = true;
        if (s->kind == DEC_METASPACE && s->start) tok->strip_first_space = true;
        if (s->kind == DEC_STRIP && fused) {
            SY_CHECK(s->stop == 0, SY_ERR_UNSUPPORTED,
                     "tokenizer.json: decoder Strip with stop > 0 after Fuse is not supported (a stream cannot strip its end)");
            SY_CHECK(strlen(s->a) < sizeof tok->strip_char, SY_ERR_FORMAT, "tokenizer.json: decoder Strip content is too long");
            tok->strip_start = s->start;
            tok->strip_char_len = strlen(s->a);
            memcpy(tok->strip_char, s->a, tok->strip_char_len);
        }
    }
    return SY_OK;
}

/// Precomputes the decoded bytes of every token through the per-token decoder steps.
static sy_status build_decoded(sy_tokenizer *tok, const dec_list *list) {
    bytes_buf a = {0}, b = {0}, blob = {0};
    sy_status st = SY_OK;
    tok->dec_off = sy_calloc(tok->n_vocab, sizeof *tok->dec_off);
    tok->dec_len = sy_calloc(tok->n_vocab, sizeof *tok->dec_len);
    if (!tok->dec_off || !tok->dec_len) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for decoded texts");
    for (uint32_t id = 0; id < tok->n_vocab && st == SY_OK; id++) {
        if (tok->text_len[id] == UINT32_MAX) continue;
        a.n = 0;
        st = buf_put(&a, tok->blob + tok->text_off[id], tok->text_len[id]);
        bool fused = false;
        for (uint32_t i = 0; i < list->n && st == SY_OK; i++) {
            fused |= list->steps[i].kind == DEC_FUSE;
            st = decode_step(tok, &list->steps[i], &a, &b, fused);
            bytes_buf t = a;
            a = b, b = t;
        }
        if (st != SY_OK) break;
        tok->dec_off[id] = (uint32_t)blob.n;
        tok->dec_len[id] = (uint32_t)a.n;
        st = buf_put(&blob, a.p, a.n);
    }
    if (st == SY_OK && !blob.p) { // every token decodes to nothing: keep a valid base pointer
        blob.p = sy_malloc(1);
        if (!blob.p) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    sy_free(a.p);
    sy_free(b.p);
    tok->dec_blob = blob.p;
    return st;
}

sy_status sy_tok_parse_decoder(sy_tokenizer *tok, const void *json) {
    dec_list list = {.n = 0};
    if (json && !cJSON_IsNull((const cJSON *)json)) SY_TRY(parse_decoder_step(json, &list));
    SY_TRY(stream_effects(tok, &list));
    return build_decoded(tok, &list);
}
