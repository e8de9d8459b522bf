#pragma once

// A Hugging Face tokenizer.json document from the tokenizer arrays of a GGUF file, built the way
// Transformers' GGUF loader builds its tokenizer (integrations/gguf/gguf_tokenizer_mapping.py):
// the GGUF converter stores the result as the program's "tokenizer.json" metadata.

#include <stddef.h>
#include <stdint.h>

#include "switchyard/types.h"

typedef struct sy_gguf_tokenizer_desc {
    const char *model;            // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
    const char *pre;              // tokenizer.ggml.pre ("smollm", "llama-bpe", "qwen2", "default", ...) or NULL
    uint32_t n_tokens;
    const char *const *tokens;    // NUL-terminated UTF-8
    const float *scores;          // may be NULL (n_tokens entries)
    const int32_t *types;         // may be NULL; GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
    uint32_t n_merges;
    const char *const *merges;    // "a b"; may be 0 for "llama" (then merges are derived from scores, as HF's SentencePiece converter does)
    int64_t bos_id, eos_id, unk_id, pad_id; // -1 when absent
    int add_bos, add_eos;         // tokenizer.ggml.add_bos_token / add_eos_token (-1 absent: the model default)
} sy_gguf_tokenizer_desc;

/// Builds an HF tokenizer.json document equivalent to what Transformers' GGUF loader builds. *json_out: sy_malloc'd, NUL-terminated, caller frees with sy_free.
/// Returns SY_ERR_INVALID_ARGUMENT (missing arrays, ids out of range), SY_ERR_UNSUPPORTED (a
/// tokenizer model other than "gpt2" / "llama"), SY_ERR_OUT_OF_MEMORY.
sy_status sy_tokenizer_json_from_gguf(const sy_gguf_tokenizer_desc *desc, char **json_out, size_t *len_out);
