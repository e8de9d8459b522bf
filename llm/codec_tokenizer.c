// The tokenizer (include/switchyard/llm.h) as a sy_text_codec: the only file of the generation
// layer that calls the tokenizer API.

#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "switchyard/llm.h"
#include "switchyard/generate.h"

void sy_text_codec_deinit(sy_text_codec *codec) {
    if (!codec) return;
    if (codec->release) codec->release(codec->user);
    memset(codec, 0, sizeof *codec);
}

static sy_status missing_tokenizer(void) {
    return sy_error_set(SY_ERR_NOT_FOUND,
                        "the program has no tokenizer: metadata key '%s' is missing (export or convert the model "
                        "with its tokenizer, or give and read token ids with --ids)",
                        SY_METADATA_TOKENIZER_JSON);
}

typedef struct tok_codec {
    sy_tokenizer *tok;
    sy_token_decoder *dec;
} tok_codec;

static sy_status copy_out(const char *text, size_t len, char *buf, size_t cap, size_t *n_out) {
    SY_CHECK(len <= cap, SY_ERR_OUT_OF_RANGE, "a token decodes to %zu bytes, more than the %zu the caller holds", len,
             cap);
    if (len) memcpy(buf, text, len);
    *n_out = len;
    return SY_OK;
}

static sy_status tc_encode(void *user, const char *text, size_t len, bool add_bos, int32_t *ids, size_t cap,
                           size_t *n_out) {
    tok_codec *c = user;
    SY_TRY(sy_tokenizer_encode(c->tok, text, len, add_bos ? SY_ENCODE_ADD_SPECIAL : 0, ids, cap, n_out));
    return *n_out > cap ? SY_ERR_OUT_OF_RANGE : SY_OK;
}

static sy_status tc_decode(void *user, int32_t id, char *buf, size_t cap, size_t *n_out) {
    tok_codec *c = user;
    const char *text = NULL;
    size_t len = 0;
    SY_TRY(sy_token_decoder_feed(c->dec, id, &text, &len));
    return copy_out(text, len, buf, cap, n_out);
}

static sy_status tc_flush(void *user, char *buf, size_t cap, size_t *n_out) {
    tok_codec *c = user;
    const char *text = NULL;
    size_t len = 0;
    SY_TRY(sy_token_decoder_flush(c->dec, &text, &len));
    return copy_out(text, len, buf, cap, n_out);
}

static sy_status tc_find_token(void *user, const char *text, size_t len, int32_t *id_out) {
    tok_codec *c = user;
    return sy_tokenizer_token_id(c->tok, text, len, id_out);
}

static void tc_release(void *user) {
    tok_codec *c = user;
    if (!c) return;
    sy_token_decoder_destroy(c->dec);
    sy_tokenizer_destroy(c->tok);
    sy_free(c);
}

sy_status sy_text_codec_from_program(const sy_program *program, sy_text_codec *out) {
    SY_CHECK(program && out, SY_ERR_INVALID_ARGUMENT, "sy_text_codec_from_program: NULL argument");
    if (!sy_program_get_metadata(program, SY_METADATA_TOKENIZER_JSON)) return missing_tokenizer();
    tok_codec *c = sy_calloc(1, sizeof *c);
    SY_CHECK(c, SY_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
    sy_status st = sy_tokenizer_create_from_program(program, &c->tok);
    if (st == SY_OK) st = sy_token_decoder_create(c->tok, SY_DECODE_SKIP_SPECIAL, &c->dec);
    if (st != SY_OK) {
        tc_release(c);
        return st;
    }
    int32_t bos = -1, eos = -1;
    if (sy_tokenizer_get_special(c->tok, SY_SPECIAL_BOS, &bos) != SY_OK) bos = -1;
    if (sy_tokenizer_get_special(c->tok, SY_SPECIAL_EOS, &eos) != SY_OK) eos = -1;
    sy_error_clear();
    *out = (sy_text_codec){.user = c, .n_vocab = sy_tokenizer_n_vocab(c->tok), .bos = bos, .eos = eos,
                           .encode = tc_encode, .decode = tc_decode, .flush = tc_flush, .release = tc_release,
                           .find_token = tc_find_token};
    return SY_OK;
}
