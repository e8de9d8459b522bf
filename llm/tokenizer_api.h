#pragma once

// What the generation layer needs from the tokenizer (include/switchyard/llm.h, written in
// parallel). Only llm/codec_tokenizer.c includes this; when the real header is there it is used
// instead of these declarations, so a mismatch shows up as a compile error in one file.

#if defined(__has_include)
#if __has_include("switchyard/llm.h")
#include "switchyard/llm.h"
#define SY_TOKENIZER_API_FROM_LLM_H 1
#endif
#endif

#ifndef SY_TOKENIZER_API_FROM_LLM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "switchyard/types.h"

#define SY_METADATA_TOKENIZER_JSON "tokenizer.json"
#define SY_ENCODE_ADD_SPECIAL 1u
#define SY_DECODE_SKIP_SPECIAL 1u

typedef enum sy_special_token { SY_SPECIAL_BOS = 1, SY_SPECIAL_EOS = 2, SY_SPECIAL_PAD = 3 } sy_special_token;
typedef struct sy_tokenizer sy_tokenizer;
typedef struct sy_token_decoder sy_token_decoder;
typedef struct sy_program sy_program;

sy_status sy_tokenizer_create_from_program(const sy_program *program, sy_tokenizer **tokenizer_out);
void sy_tokenizer_destroy(sy_tokenizer *tokenizer);
uint32_t sy_tokenizer_n_vocab(const sy_tokenizer *tokenizer);
sy_status sy_tokenizer_get_special(const sy_tokenizer *tokenizer, sy_special_token which, int32_t *id_out);
sy_status sy_tokenizer_encode(const sy_tokenizer *tokenizer, const char *text, size_t len, uint32_t flags,
                              int32_t *ids, size_t cap, size_t *n_out);
sy_status sy_tokenizer_token_id(const sy_tokenizer *tokenizer, const char *text, size_t len, int32_t *id_out);
sy_status sy_token_decoder_create(const sy_tokenizer *tokenizer, uint32_t flags, sy_token_decoder **decoder_out);
void sy_token_decoder_destroy(sy_token_decoder *decoder);
sy_status sy_token_decoder_feed(sy_token_decoder *decoder, int32_t id, const char **text_out, size_t *len_out);
sy_status sy_token_decoder_flush(sy_token_decoder *decoder, const char **text_out, size_t *len_out);
#endif
