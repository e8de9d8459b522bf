#pragma once

// Inside the tokenizer (llm/README.md describes what is supported). The tokenizer is built once
// from a tokenizer.json document and is read-only afterwards; every encode call keeps its
// scratch memory in its own context (tok_encode.c), so calls on many threads are safe.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "switchyard/llm.h"
#include "switchyard/switchyard.h"

// --- maps ---

/// Text -> id, open addressing; the texts are the tokenizer's own token texts (no copies).
typedef struct sy_tok_strmap {
    uint32_t *slots; // id + 1, 0 = empty; (cap)
    uint32_t cap;    // power of two
    uint32_t n;
} sy_tok_strmap;

/// (left id, right id) -> merge, open addressing.
typedef struct sy_tok_pairmap {
    uint64_t *keys;  // (uint64)left << 32 | right, UINT64_MAX = empty; (cap)
    uint32_t *rank;  // (cap)
    int32_t *merged; // (cap)
    uint32_t cap;
} sy_tok_pairmap;

// --- pipeline steps ---

typedef enum sy_tok_norm_kind {
    SY_TOK_NORM_PREPEND = 1, // prepend `a` to a non-empty string
    SY_TOK_NORM_REPLACE = 2, // replace every `a` by `b`
    SY_TOK_NORM_NFC = 3,     // Unicode NFC (ICU when built with it)
} sy_tok_norm_kind;

typedef struct sy_tok_norm {
    sy_tok_norm_kind kind;
    char *a, *b; // owned, NUL-terminated
    size_t a_len, b_len;
} sy_tok_norm;

typedef enum sy_tok_split_behavior {
    SY_TOK_SPLIT_REMOVED = 0,
    SY_TOK_SPLIT_ISOLATED = 1,
    SY_TOK_SPLIT_MERGED_PREVIOUS = 2,
    SY_TOK_SPLIT_MERGED_NEXT = 3,
    SY_TOK_SPLIT_CONTIGUOUS = 4,
} sy_tok_split_behavior;

typedef enum sy_tok_pretok_kind {
    SY_TOK_PRE_SPLIT = 1,        // regex split with a behaviour (Split, Digits, ByteLevel's regex)
    SY_TOK_PRE_PREFIX_SPACE = 2, // ByteLevel add_prefix_space: " " before a piece not starting with one
    SY_TOK_PRE_METASPACE = 3,    // " " -> replacement, prepended to the first piece, optional split
} sy_tok_pretok_kind;

typedef struct sy_tok_pretok {
    sy_tok_pretok_kind kind;
    pcre2_code *re; // SPLIT: owned, JIT-compiled when available
    sy_tok_split_behavior behavior;
    bool invert;
    char rep[8]; // METASPACE: the replacement character, UTF-8
    size_t rep_len;
    int prepend; // METASPACE: 0 never, 1 first, 2 always
    bool split;  // METASPACE: split before each replacement
} sy_tok_pretok;

#define SY_TOK_MAX_STEPS 8
#define SY_TOK_LEVEL_CHARS 324 // GPT-2's byte alphabet lies in U+0021..U+0143

/// An added token, matched in the text before the pre-tokenizer.
typedef struct sy_tok_added {
    int32_t id;
    uint32_t off, len; // content in the text blob
    uint8_t first;     // its first byte
    bool special, lstrip, rstrip, single_word;
} sy_tok_added;

// --- the tokenizer ---

struct sy_tokenizer {
    uint32_t n_vocab;
    char *blob; // every token text, back to back; (blob_len)
    size_t blob_len, blob_cap;
    uint32_t *text_off, *text_len; // (n_vocab) token text in blob; text_len UINT32_MAX = no token
    uint8_t *special;              // (n_vocab) 1 for special added tokens
    sy_tok_strmap vocab;           // the model vocabulary
    sy_tok_pairmap merges;

    // model: BPE
    bool byte_fallback, fuse_unk, ignore_merges;
    int32_t unk;           // model unk_token id or -1
    int32_t byte_id[256];  // <0xHH> tokens or -1
    bool byte_level;       // the pre-tokenizer ends in ByteLevel: bytes -> GPT-2 alphabet
    int32_t level_id[256]; // ByteLevel: the id of each byte's character, -1 when absent
    char level_chr[256][3]; // ByteLevel alphabet: UTF-8 of each byte's character
    uint8_t level_chr_len[256];
    int16_t level_inv[SY_TOK_LEVEL_CHARS]; // code point -> byte, -1 outside the alphabet

    sy_tok_added *added; // (n_added), longest content first
    uint32_t n_added;
    uint32_t added_begin[256], added_end[256]; // added[begin, end): the tokens starting with a byte

    sy_tok_norm norms[SY_TOK_MAX_STEPS];
    uint32_t n_norms;
    sy_tok_pretok pretoks[SY_TOK_MAX_STEPS];
    uint32_t n_pretoks;

    int32_t prefix_ids[4], suffix_ids[4]; // post-processor template around the sequence
    uint32_t n_prefix, n_suffix;

    // decoder
    char *dec_blob; // decoded bytes of every token
    uint32_t *dec_off, *dec_len; // (n_vocab)
    uint32_t strip_start;        // Fuse + Strip: characters to strip at the start of a stream
    char strip_char[8];
    size_t strip_char_len;
    bool strip_first_space; // Metaspace decoder: the first token loses one leading space

    int32_t special_ids[5]; // indexed by sy_special_token; -1 unknown
};

// --- internal functions (llm/tok_*.c) ---

/// Hash of bytes (FNV-1a, 32-bit).
uint32_t sy_tok_hash(const char *s, size_t n);
/// Looks a text up in a map of this tokenizer's texts; -1 when absent.
int32_t sy_tok_strmap_get(const sy_tokenizer *tok, const sy_tok_strmap *m, const char *s, size_t n);
/// Inserts id (its text must be set); replaces an earlier id of the same text.
sy_status sy_tok_strmap_put(sy_tokenizer *tok, sy_tok_strmap *m, int32_t id);
/// The merge of (a, b): its rank and resulting id; false when there is none.
bool sy_tok_pairmap_get(const sy_tok_pairmap *m, int32_t a, int32_t b, uint32_t *rank, int32_t *merged);

/// Appends text to the blob; *off_out receives its offset.
sy_status sy_tok_blob_add(sy_tokenizer *tok, const char *s, size_t n, uint32_t *off_out);
/// Parses "model" (BPE) into tok. `root` is the whole document.
sy_status sy_tok_parse_model(sy_tokenizer *tok, const void *model_json);
/// Parses "added_tokens".
sy_status sy_tok_parse_added(sy_tokenizer *tok, const void *added_json);
/// Parses "normalizer", "pre_tokenizer", "post_processor", "decoder".
sy_status sy_tok_parse_normalizer(sy_tokenizer *tok, const void *json);
sy_status sy_tok_parse_pre_tokenizer(sy_tokenizer *tok, const void *json);
sy_status sy_tok_parse_post_processor(sy_tokenizer *tok, const void *json);
sy_status sy_tok_parse_decoder(sy_tokenizer *tok, const void *json);
/// Compiles a regex (UTF, UCP, JIT when available); `what` names it in messages.
sy_status sy_tok_regex_compile(const char *pattern, size_t len, const char *what, pcre2_code **re_out);
/// Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when invalid.
size_t sy_tok_utf8_len(const unsigned char *s, size_t n);
