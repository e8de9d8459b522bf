#pragma once
#include "switchyard/switchyard.h"
typedef struct sy_gguf_tokenizer_desc {
    const char *model;            // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
    const char *pre;              // tokenizer.ggml.pre or NULL
    uint32_t n_tokens;
    const char *const *tokens;    // NUL-terminated UTF-8
    const float *scores;          // may be NULL (n_tokens entries)
    const int32_t *types;         // may be NULL; GGUF token types
    uint32_t n_merges;
    const char *const *merges;    // "a b"
    int64_t bos_id, eos_id, unk_id, pad_id; // -1 when absent
    int add_bos, add_eos;         // -1 absent
} sy_gguf_tokenizer_desc;
/// Builds an HF tokenizer.json document; *json_out is sy_malloc'd, NUL-terminated, freed with sy_free.
sy_status sy_tokenizer_json_from_gguf(const sy_gguf_tokenizer_desc *desc, char **json_out, size_t *len_out);
