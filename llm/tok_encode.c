// Encoding: added tokens, then per segment the normalizer, the pre-tokenizer steps and BPE, as the
// `tokenizers` package does. All scratch memory lives in one context per call and grows
// geometrically, so the number of allocations does not depend on the number of tokens.

#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"

#ifdef SY_HAVE_ICU
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#endif

typedef struct span {
    uint32_t start, end;
    uint8_t match;
} span;

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

typedef struct spans {
    span *p;
    size_t n, cap;
} spans;

typedef struct heap_item {
    uint32_t rank, pos;
    int32_t merged;
} heap_item;

typedef struct enc_ctx {
    const sy_tokenizer *tok;
    int32_t *ids; // (n_ids) the result
    size_t n_ids, cap_ids;
    buf norm[2];                   // normalizer ping-pong
    buf pre[SY_TOK_MAX_STEPS];     // text rewritten by a pre-tokenizer step at that depth
    spans raw;                     // matches of the current split
    spans pieces[SY_TOK_MAX_STEPS]; // pieces of the split at that depth
    pcre2_match_data *md;
    buf mapped; // a word in the ByteLevel alphabet (ignore_merges)
    // BPE word: symbols as a linked list, and the heap of candidate merges
    int32_t *sym;
    int32_t *prev, *next;
    uint32_t cap_sym;
    heap_item *heap;
    uint32_t n_heap, cap_heap;
} enc_ctx;

// --- growable arrays ---

static sy_status grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return SY_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = sy_realloc(*p, *cap * elem, c * elem);
    SY_CHECK(q, SY_ERR_OUT_OF_MEMORY, "out of memory while encoding (%zu bytes)", c * elem);
    *p = q;
    *cap = c;
    return SY_OK;
}

static sy_status buf_put(buf *b, const char *s, size_t n) {
    if (!n) return SY_OK;
    SY_TRY(grow((void **)&b->p, &b->cap, b->n + n, 1));
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return SY_OK;
}

static sy_status spans_put(spans *s, uint32_t start, uint32_t end, uint8_t match) {
    SY_TRY(grow((void **)&s->p, &s->cap, s->n + 1, sizeof *s->p));
    s->p[s->n++] = (span){start, end, match};
    return SY_OK;
}

static sy_status emit(enc_ctx *c, int32_t id) {
    SY_TRY(grow((void **)&c->ids, &c->cap_ids, c->n_ids + 1, sizeof *c->ids));
    c->ids[c->n_ids++] = id;
    return SY_OK;
}

// --- BPE ---

static bool heap_less(const heap_item *a, const heap_item *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(enc_ctx *c, heap_item it) {
    uint32_t i = c->n_heap++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!heap_less(&it, &c->heap[parent])) break;
        c->heap[i] = c->heap[parent];
        i = parent;
    }
    c->heap[i] = it;
}

static heap_item heap_pop(enc_ctx *c) {
    heap_item top = c->heap[0], last = c->heap[--c->n_heap];
    uint32_t i = 0, n = c->n_heap;
    for (;;) {
        uint32_t l = 2 * i + 1, best = l;
        if (l >= n) break;
        if (l + 1 < n && heap_less(&c->heap[l + 1], &c->heap[l])) best = l + 1;
        if (!heap_less(&c->heap[best], &last)) break;
        c->heap[i] = c->heap[best];
        i = best;
    }
    if (n) c->heap[i] = last;
    return top;
}

static void push_pair(enc_ctx *c, uint32_t pos) {
    int32_t r = c->next[pos];
    uint32_t rank;
    int32_t merged;
    if (r >= 0 && sy_tok_pairmap_get(&c->tok->merges, c->sym[pos], c->sym[r], &rank, &merged))
        heap_push(c, (heap_item){rank, pos, merged});
}

/// Applies the merges to the symbols sym[0..n), lowest rank first, leftmost among equals.
static sy_status merge_symbols(enc_ctx *c, uint32_t n) {
    size_t cap = c->cap_heap;
    SY_TRY(grow((void **)&c->heap, &cap, 2 * (size_t)n + 1, sizeof *c->heap));
    c->cap_heap = (uint32_t)cap;
    c->n_heap = 0;
    for (uint32_t i = 0; i < n; i++) {
        c->prev[i] = (int32_t)i - 1;
        c->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (uint32_t i = 0; i + 1 < n; i++) push_pair(c, i);
    while (c->n_heap) {
        heap_item m = heap_pop(c);
        int32_t r = c->next[m.pos];
        uint32_t rank;
        int32_t merged;
        // stale: the left symbol was merged away or changed, or its right neighbour did
        if (c->sym[m.pos] < 0 || r < 0 || !sy_tok_pairmap_get(&c->tok->merges, c->sym[m.pos], c->sym[r], &rank, &merged) ||
            merged != m.merged || rank != m.rank)
            continue;
        c->sym[m.pos] = merged;
        c->sym[r] = -1;
        c->next[m.pos] = c->next[r];
        if (c->next[r] >= 0) c->prev[c->next[r]] = (int32_t)m.pos;
        if (c->prev[m.pos] >= 0) push_pair(c, (uint32_t)c->prev[m.pos]);
        push_pair(c, m.pos);
    }
    for (int32_t i = 0; i >= 0 && (uint32_t)i < n; i = c->next[i]) SY_TRY(emit(c, c->sym[i]));
    return SY_OK;
}

static sy_status reserve_symbols(enc_ctx *c, size_t n) {
    if (n <= c->cap_sym) return SY_OK;
    size_t a = c->cap_sym, b = c->cap_sym, d = c->cap_sym;
    SY_TRY(grow((void **)&c->sym, &a, n, sizeof *c->sym));
    SY_TRY(grow((void **)&c->prev, &b, n, sizeof *c->prev));
    SY_TRY(grow((void **)&c->next, &d, n, sizeof *c->next));
    c->cap_sym = (uint32_t)a;
    return SY_OK;
}

/// The initial symbols of a word outside ByteLevel: characters, byte tokens, unknowns.
static uint32_t char_symbols(enc_ctx *c, const char *w, size_t n) {
    const sy_tokenizer *tok = c->tok;
    uint32_t k = 0;
    bool pending_unk = false;
    for (size_t i = 0; i < n;) {
        size_t len = sy_tok_utf8_len((const unsigned char *)w + i, n - i);
        if (!len) len = 1; // not reachable with checked UTF-8; never loop without progress
        int32_t id = sy_tok_strmap_get(tok, &tok->vocab, w + i, len);
        if (id >= 0) {
            if (pending_unk) c->sym[k++] = tok->unk, pending_unk = false;
            c->sym[k++] = id;
        } else {
            bool bytes = tok->byte_fallback;
            for (size_t j = 0; j < len && bytes; j++) bytes = tok->byte_id[(unsigned char)w[i + j]] >= 0;
            if (bytes) // as in `tokenizers`, a pending unknown waits behind these
                for (size_t j = 0; j < len; j++) c->sym[k++] = tok->byte_id[(unsigned char)w[i + j]];
            else if (tok->unk >= 0) {
                if (pending_unk && !tok->fuse_unk) c->sym[k++] = tok->unk;
                pending_unk = true;
            }
        }
        i += len;
    }
    if (pending_unk) c->sym[k++] = tok->unk;
    return k;
}

static sy_status bpe_word(enc_ctx *c, const char *w, size_t n) {
    const sy_tokenizer *tok = c->tok;
    if (!n) return SY_OK;
    if (tok->ignore_merges) {
        const char *key = w;
        size_t key_len = n;
        if (tok->byte_level) {
            c->mapped.n = 0;
            for (size_t i = 0; i < n; i++)
                SY_TRY(buf_put(&c->mapped, tok->level_chr[(unsigned char)w[i]], tok->level_chr_len[(unsigned char)w[i]]));
            key = c->mapped.p, key_len = c->mapped.n;
        }
        int32_t id = sy_tok_strmap_get(tok, &tok->vocab, key, key_len);
        if (id >= 0) return emit(c, id);
    }
    SY_TRY(reserve_symbols(c, 4 * n + 1));
    uint32_t k = 0;
    if (tok->byte_level) {
        for (size_t i = 0; i < n; i++) {
            int32_t id = tok->level_id[(unsigned char)w[i]];
            if (id >= 0) c->sym[k++] = id;
            else if (tok->unk >= 0) c->sym[k++] = tok->unk;
        }
    } else
        k = char_symbols(c, w, n);
    return merge_symbols(c, k);
}

// --- pre-tokenizer ---

/// The matches of `re` in text[0..n) and the gaps between them, as `tokenizers` lists them.
static sy_status find_matches(enc_ctx *c, const pcre2_code *re, const char *text, size_t n) {
    c->raw.n = 0;
    size_t prev = 0, off = 0;
    while (off < n) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, n, off, PCRE2_NO_UTF_CHECK, c->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        SY_CHECK(rc >= 0, SY_ERR_UNSUPPORTED, "pre-tokenizer regex failed with PCRE2 error %d on a %zu-byte piece", rc, n);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
        if (ov[0] > prev) SY_TRY(spans_put(&c->raw, (uint32_t)prev, (uint32_t)ov[0], 0));
        SY_TRY(spans_put(&c->raw, (uint32_t)ov[0], (uint32_t)ov[1], 1));
        prev = ov[1];
        size_t step = sy_tok_utf8_len((const unsigned char *)text + ov[0], n - ov[0]);
        off = ov[1] > ov[0] ? ov[1] : ov[0] + (step ? step : 1);
    }
    if (prev < n) SY_TRY(spans_put(&c->raw, (uint32_t)prev, (uint32_t)n, 0));
    return SY_OK;
}

/// Folds the matches into pieces by a split behaviour (tokenizers' SplitDelimiterBehavior).
static sy_status fold_pieces(enc_ctx *c, sy_tok_split_behavior behavior, bool invert, spans *out) {
    out->n = 0;
    bool prev_match = false;
    for (size_t i = 0; i < c->raw.n; i++) {
        span s = c->raw.p[i];
        bool m = s.match ^ invert;
        switch (behavior) {
        case SY_TOK_SPLIT_REMOVED:
            if (!m) SY_TRY(spans_put(out, s.start, s.end, 0));
            break;
        case SY_TOK_SPLIT_ISOLATED: SY_TRY(spans_put(out, s.start, s.end, 0)); break;
        case SY_TOK_SPLIT_MERGED_PREVIOUS:
            if (m && !prev_match && out->n) out->p[out->n - 1].end = s.end;
            else SY_TRY(spans_put(out, s.start, s.end, 0));
            break;
        case SY_TOK_SPLIT_MERGED_NEXT: {
            bool next_match = i + 1 < c->raw.n && (c->raw.p[i + 1].match ^ invert);
            if (out->n && out->p[out->n - 1].match) out->p[out->n - 1].end = s.end, out->p[out->n - 1].match = 0;
            else SY_TRY(spans_put(out, s.start, s.end, 0));
            // a delimiter followed by a non-delimiter joins it: leave it open
            if (m && i + 1 < c->raw.n && !next_match) out->p[out->n - 1].match = 1;
            break;
        }
        case SY_TOK_SPLIT_CONTIGUOUS:
            if (m == prev_match && out->n) out->p[out->n - 1].end = s.end;
            else SY_TRY(spans_put(out, s.start, s.end, 0));
            break;
        }
        prev_match = m;
    }
    return SY_OK;
}

static sy_status pretokenize(enc_ctx *c, uint32_t depth, const char *text, size_t n, bool at_start);

static sy_status split_and_recurse(enc_ctx *c, uint32_t depth, const sy_tok_pretok *p, const char *text, size_t n,
                                   bool at_start) {
    SY_TRY(find_matches(c, p->re, text, n));
    spans *pieces = &c->pieces[depth];
    SY_TRY(fold_pieces(c, p->behavior, p->invert, pieces));
    for (size_t i = 0; i < pieces->n; i++) {
        span s = pieces->p[i];
        if (s.end > s.start)
            SY_TRY(pretokenize(c, depth + 1, text + s.start, s.end - s.start, at_start && s.start == 0));
    }
    return SY_OK;
}

static sy_status metaspace(enc_ctx *c, uint32_t depth, const sy_tok_pretok *p, const char *text, size_t n, bool at_start) {
    buf *b = &c->pre[depth];
    b->n = 0;
    // the check comes after the replacement in `tokenizers`: a leading space counts as one
    bool starts = (n && text[0] == ' ') || (n >= p->rep_len && !memcmp(text, p->rep, p->rep_len));
    if ((p->prepend == 2 || (p->prepend == 1 && at_start)) && !starts) SY_TRY(buf_put(b, p->rep, p->rep_len));
    for (size_t i = 0; i < n; i++) {
        if (text[i] == ' ') SY_TRY(buf_put(b, p->rep, p->rep_len));
        else SY_TRY(buf_put(b, text + i, 1));
    }
    if (!p->split) return pretokenize(c, depth + 1, b->p, b->n, at_start);
    return split_and_recurse(c, depth, p, b->p, b->n, at_start);
}

static sy_status pretokenize(enc_ctx *c, uint32_t depth, const char *text, size_t n, bool at_start) {
    const sy_tokenizer *tok = c->tok;
    if (depth == tok->n_pretoks) return bpe_word(c, text, n);
    const sy_tok_pretok *p = &tok->pretoks[depth];
    switch (p->kind) {
    case SY_TOK_PRE_SPLIT: return split_and_recurse(c, depth, p, text, n, at_start);
    case SY_TOK_PRE_METASPACE: return metaspace(c, depth, p, text, n, at_start);
    case SY_TOK_PRE_PREFIX_SPACE:
        if (n && text[0] == ' ') return pretokenize(c, depth + 1, text, n, at_start);
        c->pre[depth].n = 0;
        SY_TRY(buf_put(&c->pre[depth], " ", 1));
        SY_TRY(buf_put(&c->pre[depth], text, n));
        return pretokenize(c, depth + 1, c->pre[depth].p, c->pre[depth].n, at_start);
    }
    return sy_error_set(SY_ERR_INTERNAL, "unknown pre-tokenizer step %d", (int)p->kind);
}

// --- normalizer ---

#ifdef SY_HAVE_ICU
static sy_status nfc(const char *s, size_t n, buf *out) {
    out->n = 0;
    bool simple = true; // characters below U+0300 are NFC and never compose with what follows
    for (size_t i = 0; i < n && simple; i++) simple = (unsigned char)s[i] < 0xcc;
    if (simple) return buf_put(out, s, n);
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *norm = unorm2_getNFCInstance(&err);
    int32_t n16 = 0;
    u_strFromUTF8(NULL, 0, &n16, s, (int32_t)n, &err);
    err = U_ZERO_ERROR;
    UChar *a = sy_malloc(((size_t)n16 * 3 + 2) * sizeof(UChar)), *b = a + n16 + 1;
    SY_CHECK(a, SY_ERR_OUT_OF_MEMORY, "out of memory for NFC");
    u_strFromUTF8(a, n16 + 1, NULL, s, (int32_t)n, &err);
    int32_t m = unorm2_normalize(norm, a, n16, b, 2 * n16 + 1, &err);
    int32_t n8 = 0;
    if (U_SUCCESS(err)) u_strToUTF8(NULL, 0, &n8, b, m, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) err = U_ZERO_ERROR;
    sy_status st = U_SUCCESS(err) ? grow((void **)&out->p, &out->cap, (size_t)n8 + 1, 1) : SY_ERR_UNSUPPORTED;
    if (st == SY_OK) u_strToUTF8(out->p, n8 + 1, NULL, b, m, &err), out->n = (size_t)n8;
    sy_free(a);
    if (st != SY_OK || U_FAILURE(err)) return sy_error_set(SY_ERR_UNSUPPORTED, "NFC normalisation failed: %s", u_errorName(err));
    return SY_OK;
}
#endif

static sy_status replace_all(const sy_tok_norm *r, const char *s, size_t n, buf *out) {
    out->n = 0;
    for (size_t i = 0; i < n;) {
        if (i + r->a_len <= n && !memcmp(s + i, r->a, r->a_len)) {
            SY_TRY(buf_put(out, r->b, r->b_len));
            i += r->a_len;
        } else
            SY_TRY(buf_put(out, s + i++, 1));
    }
    return SY_OK;
}

static sy_status normalize(enc_ctx *c, const char **text, size_t *n) {
    const sy_tokenizer *tok = c->tok;
    for (uint32_t i = 0; i < tok->n_norms; i++) {
        const sy_tok_norm *r = &tok->norms[i];
        buf *out = &c->norm[i & 1];
        switch (r->kind) {
        case SY_TOK_NORM_PREPEND:
            if (!*n) continue;
            out->n = 0;
            SY_TRY(buf_put(out, r->a, r->a_len));
            SY_TRY(buf_put(out, *text, *n));
            break;
        case SY_TOK_NORM_REPLACE: SY_TRY(replace_all(r, *text, *n, out)); break;
        case SY_TOK_NORM_NFC:
#ifdef SY_HAVE_ICU
            SY_TRY(nfc(*text, *n, out));
            break;
#else
            return sy_error_set(SY_ERR_UNSUPPORTED, "NFC is not built in");
#endif
        }
        *text = out->p ? out->p : "";
        *n = out->n;
    }
    return SY_OK;
}

static sy_status encode_segment(enc_ctx *c, const char *text, size_t n, bool at_start) {
    if (!n) return SY_OK;
    SY_TRY(normalize(c, &text, &n));
    return pretokenize(c, 0, text, n, at_start);
}

// --- added tokens ---

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'; }
static bool is_word(unsigned char ch) { return ch >= 0x80 || ch == '_' || (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z'); }

/// The longest added token at text[i] (special ones only when allowed), or NULL.
static const sy_tok_added *added_at(const sy_tokenizer *tok, const char *text, size_t n, size_t i, uint32_t flags) {
    uint8_t f = (uint8_t)text[i];
    for (uint32_t k = tok->added_begin[f]; k < tok->added_end[f]; k++) {
        const sy_tok_added *a = &tok->added[k];
        if (a->len > n - i || memcmp(text + i, tok->blob + a->off, a->len)) continue;
        if (a->special && (flags & SY_ENCODE_SPLIT_SPECIAL)) continue;
        if (a->single_word && ((i > 0 && is_word((unsigned char)text[i - 1])) ||
                               (i + a->len < n && is_word((unsigned char)text[i + a->len]))))
            continue;
        return a;
    }
    return NULL;
}

static sy_status encode_text(enc_ctx *c, const char *text, size_t n, uint32_t flags) {
    const sy_tokenizer *tok = c->tok;
    size_t seg = 0; // start of the text not yet encoded
    for (size_t i = 0; i < n; i++) {
        if (tok->added_end[(uint8_t)text[i]] == 0) continue;
        const sy_tok_added *a = added_at(tok, text, n, i, flags);
        if (!a) continue;
        size_t start = i, end = i + a->len;
        if (a->lstrip)
            while (start > seg && is_space(text[start - 1])) start--;
        if (a->rstrip)
            while (end < n && is_space(text[end])) end++;
        SY_TRY(encode_segment(c, text + seg, start - seg, seg == 0));
        SY_TRY(emit(c, a->id));
        seg = end;
        i = end - 1;
    }
    return encode_segment(c, text + seg, n - seg, seg == 0);
}

static sy_status check_utf8(const char *text, size_t n) {
    for (size_t i = 0; i < n;) {
        if ((unsigned char)text[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = sy_tok_utf8_len((const unsigned char *)text + i, n - i);
        SY_CHECK(k, SY_ERR_INVALID_ARGUMENT, "the text is not valid UTF-8: byte 0x%02x at offset %zu",
                 (unsigned char)text[i], i);
        i += k;
    }
    return SY_OK;
}

static void ctx_free(enc_ctx *c) {
    sy_free(c->ids);
    for (int i = 0; i < 2; i++) sy_free(c->norm[i].p);
    for (int i = 0; i < SY_TOK_MAX_STEPS; i++) {
        sy_free(c->pre[i].p);
        sy_free(c->pieces[i].p);
    }
    sy_free(c->raw.p);
    sy_free(c->mapped.p);
    sy_free(c->sym);
    sy_free(c->prev);
    sy_free(c->next);
    sy_free(c->heap);
    if (c->md) pcre2_match_data_free(c->md);
}

sy_status sy_tokenizer_encode(const sy_tokenizer *tok, const char *text, size_t len, uint32_t flags, int32_t *ids,
                              size_t cap, size_t *n_out) {
    SY_CHECK(tok && (text || !len) && (ids || !cap) && n_out, SY_ERR_INVALID_ARGUMENT,
             "sy_tokenizer_encode: NULL tokenizer, text, ids or n_out");
    SY_CHECK(!(flags & ~(SY_ENCODE_ADD_SPECIAL | SY_ENCODE_SPLIT_SPECIAL)), SY_ERR_INVALID_ARGUMENT,
             "sy_tokenizer_encode: unknown flags 0x%x", flags);
    SY_TRY(check_utf8(text, len));
    enc_ctx c = {.tok = tok};
    c.md = pcre2_match_data_create(1, NULL);
    sy_status st = c.md ? SY_OK : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory for regex match data");
    bool add = flags & SY_ENCODE_ADD_SPECIAL;
    for (uint32_t i = 0; add && i < tok->n_prefix && st == SY_OK; i++) st = emit(&c, tok->prefix_ids[i]);
    if (st == SY_OK) st = encode_text(&c, len ? text : "", len, flags);
    for (uint32_t i = 0; add && i < tok->n_suffix && st == SY_OK; i++) st = emit(&c, tok->suffix_ids[i]);
    if (st == SY_OK) {
        if (c.n_ids && cap) memcpy(ids, c.ids, (c.n_ids < cap ? c.n_ids : cap) * sizeof *ids);
        *n_out = c.n_ids;
    }
    ctx_free(&c);
    return st;
}
