#pragma once

// The Switchyard LLM API, part 1: tokenizers. A tokenizer is built from a Hugging Face
// `tokenizer.json` document (the format of the `tokenizers` library), given directly or taken
// from a program's metadata key "tokenizer.json". It encodes UTF-8 text to token ids exactly as
// the `tokenizers` package does for the supported components (llm/README.md lists them) and
// decodes ids back to text, streaming: bytes come out only once they form complete UTF-8.
//
// Included by switchyard/switchyard.h; may also be included on its own.
// A tokenizer is immutable after creation: encode and decode may run on many threads at once
// (each streaming decoder belongs to one thread at a time).

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "switchyard/types.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- constants ---

/// Metadata key holding the tokenizer.json document in a program.
#define SY_METADATA_TOKENIZER_JSON "tokenizer.json"

/// sy_tokenizer_encode flags.
#define SY_ENCODE_ADD_SPECIAL 1u   // add the post-processor's tokens (BOS/EOS of the template)
#define SY_ENCODE_SPLIT_SPECIAL 2u // treat special-token text as plain text (user input)

/// Decode flags (sy_tokenizer_decode, sy_token_decoder_create).
#define SY_DECODE_SKIP_SPECIAL 1u // drop special tokens from the text

// --- enums ---

typedef enum sy_special_token {
    SY_SPECIAL_BOS = 1,
    SY_SPECIAL_EOS = 2,
    SY_SPECIAL_PAD = 3,
    SY_SPECIAL_UNK = 4,
} sy_special_token;

// --- tokenizer ---

typedef struct sy_tokenizer sy_tokenizer;
typedef struct sy_program sy_program;

/// Builds a tokenizer from a tokenizer.json document (`len` bytes, need not be NUL-terminated).
/// Unsupported components are refused naming them. Returns SY_ERR_FORMAT (malformed document),
/// SY_ERR_UNSUPPORTED (a component or option this tokenizer does not implement),
/// SY_ERR_INVALID_ARGUMENT, SY_ERR_OUT_OF_MEMORY.
SY_API sy_status sy_tokenizer_create_from_json(const char *json, size_t len,
                                               sy_tokenizer **tokenizer_out);
/// Builds the tokenizer of a program from its metadata key "tokenizer.json"; optional keys
/// "tokenizer.bos_token_id", "tokenizer.eos_token_id", "tokenizer.pad_token_id" and
/// "tokenizer.unk_token_id" (decimal) override the special ids found in the document.
/// Returns SY_ERR_NOT_FOUND (no such metadata, the message names the key) or as above.
SY_API sy_status sy_tokenizer_create_from_program(const sy_program *program,
                                                  sy_tokenizer **tokenizer_out);
/// Destroys a tokenizer; accepts NULL.
SY_API void sy_tokenizer_destroy(sy_tokenizer *tokenizer);

/// Number of token ids (the largest id + 1 over the model vocabulary and the added tokens).
SY_API uint32_t sy_tokenizer_n_vocab(const sy_tokenizer *tokenizer);
/// The vocabulary spelling of token `id` (as in tokenizer.json, e.g. "Ġthe"), borrowed for the
/// tokenizer's life, not NUL-terminated in general. Returns SY_ERR_OUT_OF_RANGE.
SY_API sy_status sy_tokenizer_token_text(const sy_tokenizer *tokenizer, int32_t id,
                                         const char **text_out, size_t *len_out);
/// The id of the token spelled `text` (model vocabulary or added token). Returns SY_ERR_NOT_FOUND.
SY_API sy_status sy_tokenizer_token_id(const sy_tokenizer *tokenizer, const char *text, size_t len,
                                       int32_t *id_out);
/// Whether `id` is a special added token (false for out-of-range ids).
SY_API bool sy_tokenizer_is_special(const sy_tokenizer *tokenizer, int32_t id);
/// The id of a special token when known. Returns SY_ERR_NOT_FOUND (the tokenizer does not say).
SY_API sy_status sy_tokenizer_get_special(const sy_tokenizer *tokenizer, sy_special_token which,
                                          int32_t *id_out);
/// Sets (id >= 0) or clears (id < 0) a special token id. Returns SY_ERR_OUT_OF_RANGE.
SY_API sy_status sy_tokenizer_set_special(sy_tokenizer *tokenizer, sy_special_token which,
                                          int32_t id);
/// Static name of a special token kind ("bos"); "invalid" for unknown values.
SY_API const char *sy_special_token_name(sy_special_token which);

/// Encodes `len` bytes of UTF-8 `text` (SY_ENCODE_* flags). Writes at most `cap` ids and sets
/// *n_out to the full count: when *n_out > cap the ids were cut, call again with more room.
/// `ids` may be NULL when cap is 0. Invalid UTF-8 is refused naming the byte offset.
/// Returns SY_ERR_INVALID_ARGUMENT, SY_ERR_OUT_OF_MEMORY.
SY_API sy_status sy_tokenizer_encode(const sy_tokenizer *tokenizer, const char *text, size_t len,
                                     uint32_t flags, int32_t *ids, size_t cap, size_t *n_out);
/// Decodes ids to text (SY_DECODE_* flags), like snprintf: writes at most cap - 1 bytes and a
/// NUL (when cap > 0) and sets *len_out to the full length. Incomplete or invalid UTF-8 comes
/// out as U+FFFD. Returns SY_ERR_OUT_OF_RANGE (an id outside the vocabulary, named).
SY_API sy_status sy_tokenizer_decode(const sy_tokenizer *tokenizer, const int32_t *ids, size_t n,
                                     uint32_t flags, char *buf, size_t cap, size_t *len_out);

// --- streaming decoder ---

typedef struct sy_token_decoder sy_token_decoder;

/// Creates a streaming decoder over `tokenizer` (borrowed; must outlive the decoder).
SY_API sy_status sy_token_decoder_create(const sy_tokenizer *tokenizer, uint32_t flags,
                                         sy_token_decoder **decoder_out);
/// Destroys a streaming decoder; accepts NULL.
SY_API void sy_token_decoder_destroy(sy_token_decoder *decoder);
/// Feeds one id; *text_out / *len_out receive the bytes that are now complete UTF-8 (possibly
/// none), borrowed until the next call on this decoder. Returns SY_ERR_OUT_OF_RANGE (bad id).
SY_API sy_status sy_token_decoder_feed(sy_token_decoder *decoder, int32_t id,
                                       const char **text_out, size_t *len_out);
/// Ends the stream: what is left (an incomplete character becomes U+FFFD). The decoder is then
/// reset for a new stream.
SY_API sy_status sy_token_decoder_flush(sy_token_decoder *decoder, const char **text_out,
                                        size_t *len_out);
/// Drops pending bytes and starts a new stream.
SY_API void sy_token_decoder_reset(sy_token_decoder *decoder);

#ifdef __cplusplus
}
#endif
