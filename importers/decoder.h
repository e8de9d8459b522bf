#pragma once

// A decoder-only transformer with a static KV cache, built with the graph builder:
//   forward(input_ids [1, T], cache_position [T]) -> logits [1, T, vocab]
// with per-layer k/v caches as states. RMSNorm, RoPE, grouped-query attention through
// sdpa_with_kv_cache, SwiGLU MLP, tied or untied LM head. Weights are deterministic
// pseudo-random numbers from `seed`, so every run and machine builds the same program.
// Used by `switchyard demo`, the tests and the benchmarks.

#include "switchyard/switchyard.h"

typedef struct sy_decoder_config {
    int64_t vocab, dim, n_layers, n_heads, n_kv_heads, hidden;
    int64_t max_seq;     // cache length S
    int64_t max_tokens;  // bound of the symbolic T per call
    float rope_theta, norm_eps;
    int rope_layout;     // 0 half-split, 1 interleaved
    int tied_embeddings; // 1: the LM head reuses the token embeddings
    uint64_t seed;
    int logits_last_only; // 1: slice the last position before the LM head (logits [1, 1, vocab])
} sy_decoder_config;

/// The demo's tiny default model.
sy_decoder_config sy_decoder_tiny(void);

/// Builds the program graph. Names follow GGUF style ("blk.3.attn_q", "blk.3.ffn_down") so
/// config rules can match them with globs.
sy_status sy_decoder_build(const sy_decoder_config *config, sy_graph **graph_out);

/// Parameter count of a config (weights only).
int64_t sy_decoder_n_params(const sy_decoder_config *config);
