#pragma once

// GGUF -> Switchyard program for decoder-only models of the llama family (archs `llama`,
// `qwen2`, `qwen3`): the static-cache decoder
//   forward(input_ids [1, T] i64, cache_position [T] i64) -> logits [1, T, vocab]
// with per-layer k/v caches [1, Hkv, S, hd] as states, rms_norm, rope (the file's base),
// sdpa_with_kv_cache (grouped-query), SwiGLU MLP, tied or untied LM head.
//
// GGUF's Q/K rows: llama.cpp's converter permutes the q and k projections of `llama` models so
// that its adjacent-pair ("normal") rope reproduces Hugging Face's half-split rope. We keep the
// weights as stored and use the matching rope layout (1, interleaved pairs): q.k dot products
// are unchanged by a permutation applied to both q and k, and v is not permuted, so the
// attention output equals Transformers'. qwen2/qwen3 files are not permuted (NeoX rope): layout 0.

#include "importers/gguf.h"

typedef struct sy_gguf_convert_options {
    int64_t max_seq_len;  // cache length S; 0: the file's context length
    int64_t max_tokens;   // bound of T (tokens per call; the arena is sized for it); 0: min(S, 512)
    sy_dtype float_dtype; // dtype of float tensors and activations: F32 (default when INVALID) or F16
    sy_dtype requantize;  // INVALID: keep the file's types; Q8_0/Q4_0/Q4_1: every weight matrix
    int logits_last_only; // 1: the LM head sees only the last position (logits [1, 1, vocab]);
                          // 0 (default): every position (logits [1, T, vocab])
    void (*progress)(void *user, const char *message); // may be NULL
    void *user;
} sy_gguf_convert_options;

/// Comma-separated list of the supported architectures ("llama, qwen2, qwen3").
const char *sy_gguf_supported_archs(void);

/// Builds the program graph from an opened GGUF file (the file must outlive nothing: constants
/// are copied into the graph). Sets metadata: model.*, tokenizer.* (chat template, special ids,
/// and tokenizer.json when sy_tokenizer_json_from_gguf can build it; otherwise a warning).
/// Returns SY_ERR_UNSUPPORTED (architecture, tensor type, rope variant), SY_ERR_NOT_FOUND
/// (missing metadata key or tensor, named), SY_ERR_FORMAT / SY_ERR_SHAPE (inconsistent shapes).
sy_status sy_gguf_build_graph(const sy_gguf_file *file, const sy_gguf_convert_options *options,
                              sy_graph **graph_out);
