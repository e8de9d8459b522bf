// libFuzzer target for the tokenizer: tokenizer.json parsing, encode and streaming decode.
//
// An input is "<tokenizer.json document>\0<text>". The document goes to
// sy_tokenizer_create_from_json; when it is accepted, the text is encoded (with and without the
// special-token flags), the ids are decoded back in one call and through the streaming decoder
// one id at a time, and a few out-of-range ids are fed to both. Nothing may crash, leak or read
// out of bounds; refusals are fine.
//
// Seeds: tests/fuzz/tokenizer_seeds.c writes byte-level and SentencePiece-style documents.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "switchyard/switchyard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_all(const sy_tokenizer *tok, const int32_t *ids, size_t n) {
    char text[4096];
    size_t len = 0;
    (void)sy_tokenizer_decode(tok, ids, n, 0, text, sizeof text, &len);
    sy_token_decoder *dec = NULL;
    if (sy_token_decoder_create(tok, 0, &dec) != SY_OK) return;
    const char *piece = NULL;
    size_t plen = 0;
    for (size_t i = 0; i < n; i++) (void)sy_token_decoder_feed(dec, ids[i], &piece, &plen);
    (void)sy_token_decoder_feed(dec, -1, &piece, &plen);
    (void)sy_token_decoder_feed(dec, (int32_t)sy_tokenizer_n_vocab(tok), &piece, &plen);
    (void)sy_token_decoder_flush(dec, &piece, &plen);
    sy_token_decoder_destroy(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int quiet = 0;
    if (!quiet) {
        sy_set_log_callback(NULL, NULL, SY_LOG_ERROR);
        quiet = 1;
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t doc_len = nul ? (size_t)(nul - data) : size;
    const char *text = nul ? (const char *)nul + 1 : "";
    size_t text_len = nul ? size - doc_len - 1 : 0;
    sy_tokenizer *tok = NULL;
    if (sy_tokenizer_create_from_json((const char *)data, doc_len, &tok) != SY_OK) return 0;
    int32_t ids[1024];
    const uint32_t flags[2] = {0, SY_ENCODE_ADD_SPECIAL | SY_ENCODE_SPLIT_SPECIAL};
    for (int f = 0; f < 2; f++) {
        size_t n = 0;
        if (sy_tokenizer_encode(tok, text, text_len, flags[f], ids, 1024, &n) == SY_OK)
            decode_all(tok, ids, n < 1024 ? n : 1024);
    }
    sy_tokenizer_destroy(tok);
    return 0;
}
