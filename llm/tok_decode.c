// Decoding: every token's bytes were precomputed through the decoder chain (tok_pipeline.c);
// here they are joined into a stream that only lets complete UTF-8 out, and the stream-level
// decoder effects (Fuse + Strip at the start, Metaspace's first space) are applied.

#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer.h"

struct sy_token_decoder {
    const sy_tokenizer *tok; // borrowed
    uint32_t flags;
    unsigned char pend[4]; // an incomplete character carried to the next token; (n_pend)
    size_t n_pend;
    bool started;        // a token was decoded in this stream (Metaspace's first space is gone)
    uint32_t strip_left; // Fuse + Strip: characters still to strip at the start
    char *out;           // what the last call returns; (n_out, cap_out)
    size_t n_out, cap_out;
};

static const char replacement[] = "\xef\xbf\xbd"; // U+FFFD

/// >0: a complete character of that length; 0: invalid at the first byte or after `*bad`
/// good bytes; -1: a valid beginning that needs more bytes.
static int utf8_status(const unsigned char *s, size_t n, size_t *bad) {
    unsigned char c = s[0];
    size_t k;
    unsigned char lo = 0x80, hi = 0xbf; // the range of the second byte
    *bad = 1;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) k = 2;
    else if (c >= 0xe0 && c <= 0xef) k = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) k = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else return 0;
    for (size_t i = 1; i < k; i++) {
        if (i >= n) return -1;
        bool ok = i == 1 ? s[i] >= lo && s[i] <= hi : (s[i] & 0xc0) == 0x80;
        if (!ok) {
            *bad = i;
            return 0;
        }
    }
    return (int)k;
}

static sy_status out_put(sy_token_decoder *d, const void *s, size_t n) {
    if (!n) return SY_OK;
    if (d->n_out + n > d->cap_out) {
        size_t cap = d->cap_out ? d->cap_out * 2 : 256;
        while (cap < d->n_out + n) cap *= 2;
        char *p = sy_realloc(d->out, d->cap_out, cap);
        SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory for decoded text");
        d->out = p, d->cap_out = cap;
    }
    memcpy(d->out + d->n_out, s, n);
    d->n_out += n;
    return SY_OK;
}

/// One complete character (or U+FFFD) out, after the Strip decoder's start.
static sy_status put_char(sy_token_decoder *d, const unsigned char *s, size_t k) {
    const sy_tokenizer *tok = d->tok;
    if (d->strip_left) {
        if (k == tok->strip_char_len && !memcmp(s, tok->strip_char, k)) {
            d->strip_left--;
            return SY_OK;
        }
        d->strip_left = 0;
    }
    return out_put(d, s, k);
}

/// Feeds bytes: complete characters go out, a valid beginning waits in pend.
static sy_status feed_bytes(sy_token_decoder *d, const unsigned char *s, size_t n) {
    size_t i = 0;
    while (d->n_pend && i < n) { // complete the pending character first
        d->pend[d->n_pend++] = s[i++];
        size_t bad;
        int st = utf8_status(d->pend, d->n_pend, &bad);
        if (st < 0) continue;
        if (st > 0) SY_TRY(put_char(d, d->pend, (size_t)st));
        else {
            SY_TRY(put_char(d, (const unsigned char *)replacement, 3));
            size_t rest = d->n_pend - bad; // the bytes after the bad prefix start over
            i -= rest;
        }
        d->n_pend = 0;
    }
    while (i < n) {
        size_t bad;
        int st = utf8_status(s + i, n - i, &bad);
        if (st > 0) {
            SY_TRY(put_char(d, s + i, (size_t)st));
            i += (size_t)st;
        } else if (st == 0) {
            SY_TRY(put_char(d, (const unsigned char *)replacement, 3));
            i += bad;
        } else {
            memcpy(d->pend, s + i, n - i);
            d->n_pend = n - i;
            i = n;
        }
    }
    return SY_OK;
}

sy_status sy_token_decoder_create(const sy_tokenizer *tok, uint32_t flags, sy_token_decoder **decoder_out) {
    SY_CHECK(tok && decoder_out, SY_ERR_INVALID_ARGUMENT, "sy_token_decoder_create: NULL argument");
    SY_CHECK(!(flags & ~SY_DECODE_SKIP_SPECIAL), SY_ERR_INVALID_ARGUMENT, "sy_token_decoder_create: unknown flags 0x%x", flags);
    sy_token_decoder *d = sy_calloc(1, sizeof *d);
    SY_CHECK(d, SY_ERR_OUT_OF_MEMORY, "out of memory for a token decoder");
    d->tok = tok;
    d->flags = flags;
    sy_token_decoder_reset(d);
    *decoder_out = d;
    return SY_OK;
}

void sy_token_decoder_destroy(sy_token_decoder *d) {
    if (!d) return;
    sy_free(d->out);
    sy_free(d);
}

void sy_token_decoder_reset(sy_token_decoder *d) {
    if (!d) return;
    d->n_pend = 0;
    d->started = false;
    d->strip_left = d->tok->strip_start;
    d->n_out = 0;
}

static sy_status feed_one(sy_token_decoder *d, int32_t id) {
    const sy_tokenizer *tok = d->tok;
    SY_CHECK(id >= 0 && (uint32_t)id < tok->n_vocab && tok->text_len[id] != UINT32_MAX, SY_ERR_OUT_OF_RANGE,
             "token id %d is not in the vocabulary (%u ids)", id, tok->n_vocab);
    if ((d->flags & SY_DECODE_SKIP_SPECIAL) && tok->special[id]) return SY_OK;
    const unsigned char *s = (const unsigned char *)tok->dec_blob + tok->dec_off[id];
    size_t n = tok->dec_len[id];
    if (tok->strip_first_space && !d->started && n && s[0] == ' ') s++, n--;
    d->started = true;
    return feed_bytes(d, s, n);
}

sy_status sy_token_decoder_feed(sy_token_decoder *d, int32_t id, const char **text_out, size_t *len_out) {
    SY_CHECK(d && text_out && len_out, SY_ERR_INVALID_ARGUMENT, "sy_token_decoder_feed: NULL argument");
    d->n_out = 0;
    SY_TRY(feed_one(d, id));
    *text_out = d->out ? d->out : "";
    *len_out = d->n_out;
    return SY_OK;
}

sy_status sy_token_decoder_flush(sy_token_decoder *d, const char **text_out, size_t *len_out) {
    SY_CHECK(d && text_out && len_out, SY_ERR_INVALID_ARGUMENT, "sy_token_decoder_flush: NULL argument");
    d->n_out = 0;
    if (d->n_pend) SY_TRY(put_char(d, (const unsigned char *)replacement, 3));
    size_t n = d->n_out;
    sy_token_decoder_reset(d);
    d->n_out = n;
    *text_out = d->out ? d->out : "";
    *len_out = n;
    return SY_OK;
}

static void copy_out(char *buf, size_t cap, size_t *at, const char *s, size_t n) {
    if (cap && *at < cap - 1) {
        size_t k = n < cap - 1 - *at ? n : cap - 1 - *at;
        memcpy(buf + *at, s, k);
    }
    *at += n;
}

sy_status sy_tokenizer_decode(const sy_tokenizer *tok, const int32_t *ids, size_t n, uint32_t flags, char *buf,
                              size_t cap, size_t *len_out) {
    SY_CHECK(tok && (ids || !n) && (buf || !cap) && len_out, SY_ERR_INVALID_ARGUMENT,
             "sy_tokenizer_decode: NULL tokenizer, ids, buf or len_out");
    for (size_t i = 0; i < n; i++)
        SY_CHECK(ids[i] >= 0 && (uint32_t)ids[i] < tok->n_vocab && tok->text_len[ids[i]] != UINT32_MAX, SY_ERR_OUT_OF_RANGE,
                 "ids[%zu] = %d is not in the vocabulary (%u ids)", i, ids[i], tok->n_vocab);
    sy_token_decoder *d;
    SY_TRY(sy_token_decoder_create(tok, flags, &d));
    size_t at = 0;
    const char *s;
    size_t k;
    sy_status st = SY_OK;
    for (size_t i = 0; i < n && st == SY_OK; i++) {
        st = sy_token_decoder_feed(d, ids[i], &s, &k);
        if (st == SY_OK) copy_out(buf, cap, &at, s, k);
    }
    if (st == SY_OK) st = sy_token_decoder_flush(d, &s, &k);
    if (st == SY_OK) copy_out(buf, cap, &at, s, k);
    sy_token_decoder_destroy(d);
    if (st != SY_OK) return st;
    if (cap) buf[at < cap ? at : cap - 1] = '\0';
    *len_out = at;
    return SY_OK;
}
