#pragma once

// Text generation on top of the runtime: sampling, the prefill/decode loop with its stop
// conditions and ExecuTorch-style stats, chat templates, and a text layer that plugs in any
// tokenizer through a small codec vtable. See docs/GENERATE.md.
//
// A generator drives a runtime made from a decoder program with the signature
//   forward(input_ids [1, T] i64|i32, cache_position [T] i64|i32) -> logits [1, T|1, V]
// whose KV caches are states and whose T is symbolic (its bound is the prefill chunk size).

#include <stdbool.h>

#include "switchyard/switchyard.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- enums ---

typedef enum sy_stop_reason {
    SY_STOP_NONE = 0,       // not stopped (still running, or never started)
    SY_STOP_EOS = 1,        // an end-of-sequence token was sampled (it is not emitted)
    SY_STOP_MAX_TOKENS = 2, // the requested number of tokens was generated
    SY_STOP_CACHE_FULL = 3, // every cache position is used; the last sampled token was emitted
    SY_STOP_CALLBACK = 4,   // the token callback returned non-zero (a user interrupt)
    SY_STOP_STRING = 5,     // the text reached a stop string (the stop string is not emitted)
} sy_stop_reason;

/// Static name of a stop reason ("eos", "max_tokens", "cache_full", ...).
SY_API const char *sy_stop_reason_name(sy_stop_reason reason);

// --- sampling ---

/// Sampling parameters. Order of application (Transformers' order): repetition penalty,
/// temperature, top-k, top-p, min-p, then a draw. temperature == 0 is greedy (argmax after the
/// penalty) and ignores the rest.
typedef struct sy_sampler_params {
    float temperature;      // >= 0; 0: greedy. Default 0.
    int32_t top_k;          // >= 0; 0: off. Keep the k most likely tokens.
    float top_p;            // (0, 1]; 1: off. Keep the smallest set whose probability >= top_p.
    float min_p;            // [0, 1]; 0: off. Drop tokens below min_p * p(most likely).
    float repeat_penalty;   // > 0; 1: off. Logits of recent tokens: x > 0 ? x / r : x * r.
    int32_t repeat_window;  // >= 0; how many of the latest tokens the penalty looks at (0: all)
    uint64_t seed;          // the draw's PRNG seed (xoshiro256**): same seed, same tokens
} sy_sampler_params;

typedef struct sy_sampler sy_sampler;

/// Defaults: greedy, top_k 0, top_p 1, min_p 0, repeat_penalty 1, repeat_window 64, seed 0.
SY_API sy_sampler_params sy_sampler_default_params(void);
/// Checks every parameter; SY_ERR_INVALID_ARGUMENT naming the one out of range.
SY_API sy_status sy_sampler_params_check(const sy_sampler_params *params);
/// Creates a sampler for `n_vocab` logits; all scratch memory is allocated now (sampling
/// allocates nothing). SY_ERR_INVALID_ARGUMENT for bad params or n_vocab < 1.
SY_API sy_status sy_sampler_create(const sy_sampler_params *params, int64_t n_vocab,
                                   sy_sampler **sampler_out);
/// Destroys a sampler; accepts NULL.
SY_API void sy_sampler_destroy(sy_sampler *sampler);
/// Restarts the PRNG from `seed`.
SY_API void sy_sampler_reseed(sy_sampler *sampler, uint64_t seed);
/// Draws a token from `logits` (n_vocab values, not modified). `history` (may be NULL when
/// n_history is 0) holds the tokens seen so far, oldest first, for the repetition penalty; ids
/// outside the vocabulary in it are ignored. SY_ERR_INVALID_ARGUMENT when n_vocab differs from
/// the sampler's; SY_ERR_OUT_OF_RANGE when no logit is finite.
SY_API sy_status sy_sampler_sample(sy_sampler *sampler, const float *logits, int64_t n_vocab,
                                   const int32_t *history, size_t n_history, int32_t *token_out);

// --- generator (token ids) ---

typedef struct sy_generator sy_generator;

/// Reported after every runtime execute the generator makes (for benchmarks and tracing). The
/// runtime's outputs are still those of this execute while the hook runs.
typedef struct sy_generator_step {
    int decode;          // 0: a prefill chunk, 1: a decode step
    int64_t start;       // position of the first token of this execute
    int64_t n_tokens;    // tokens in this execute
    uint64_t begin_ns;   // sy_runtime_execute's start and end (monotonic clock)
    uint64_t end_ns;
} sy_generator_step;
typedef void (*sy_generator_step_fn)(void *user, sy_runtime *runtime, const sy_generator_step *step);

typedef struct sy_generator_options {
    double load_ms;               // model load time to report in the stats (the caller measured it)
    int64_t max_chunk;            // prefill chunk size; 0: the program's bound of T
    sy_generator_step_fn on_step; // (optional) called after every execute
    void *step_user;
} sy_generator_options;

/// Statistics of the last generate call, or of the prefill/decode calls since the last reset
/// (the fields of ExecuTorch's llama runner).
typedef struct sy_generate_stats {
    double load_ms;         // model load time (from the options or sy_generator_open)
    double ttft_ms;         // wall time from the first prefill call to the first sampled token
    double prefill_ms;      // time in the model's executes of the prefill chunks
    double decode_ms;       // time in the model's executes of the decode steps
    double sampling_ms;     // time in the sampler
    double prefill_tok_s;   // n_prefilled / prefill time (0 when nothing was prefilled)
    double decode_tok_s;    // n_decoded / decode time (0 when nothing was decoded)
    int64_t n_prompt;       // prompt tokens given to the generate calls
    int64_t n_prefilled;    // tokens prefilled (a reused cache prefix is not prefilled again)
    int64_t n_decoded;      // decode steps run
    int64_t n_generated;    // tokens sampled and emitted (EOS not counted)
    long peak_rss_kb;       // the process's peak resident set (getrusage) when read
    sy_stop_reason stop;    // why the last generate call stopped
} sy_generate_stats;

/// Called for every generated token; return non-zero to stop (SY_STOP_CALLBACK).
typedef int (*sy_token_fn)(void *user, int32_t token);

/// What to generate: how many tokens, how to sample, when to stop.
typedef struct sy_generate_params {
    int64_t max_new_tokens;    // >= 1
    sy_sampler_params sampling;
    const int32_t *eos_ids;    // (n_eos) tokens that end generation; may be NULL
    uint32_t n_eos;
    bool reuse_cache;          // keep the cached prefix the prompt shares; false: reset first
} sy_generate_params;

/// Defaults: 128 tokens, default sampling, no EOS ids, no cache reuse.
SY_API sy_generate_params sy_generate_default_params(void);

/// Creates a generator over a runtime made from `program` (both borrowed; they must outlive
/// it). Checks the signature; allocates every buffer now. `options` may be NULL.
/// SY_ERR_UNSUPPORTED when the program is not a decoder of the documented signature.
SY_API sy_status sy_generator_create(const sy_program *program, sy_runtime *runtime,
                                     const sy_generator_options *options,
                                     sy_generator **generator_out);
/// Loads a program file and creates its runtime and generator; the generator owns both and
/// reports their creation as the load time. `config` may be NULL (defaults).
SY_API sy_status sy_generator_open(const char *path, const sy_config *config,
                                   const sy_generator_options *options,
                                   sy_generator **generator_out);
/// Destroys a generator (and what sy_generator_open made); accepts NULL.
SY_API void sy_generator_destroy(sy_generator *generator);
/// The program and runtime the generator drives (borrowed).
SY_API const sy_program *sy_generator_get_program(const sy_generator *generator);
SY_API sy_runtime *sy_generator_get_runtime(sy_generator *generator);
/// Logits per position (V), cache positions (S), prefill chunk size, positions in use.
SY_API int64_t sy_generator_n_vocab(const sy_generator *generator);
SY_API int64_t sy_generator_n_ctx(const sy_generator *generator);
SY_API int64_t sy_generator_chunk(const sy_generator *generator);
SY_API int64_t sy_generator_n_past(const sy_generator *generator);
/// The tokens in the cache, oldest first (n_past of them; borrowed until the next call).
SY_API const int32_t *sy_generator_tokens(const sy_generator *generator);
/// Zeroes the KV caches, forgets the cached tokens and clears the stats.
SY_API sy_status sy_generator_reset(sy_generator *generator);
/// Forgets cached tokens past `n_past` (<= the current count): the next tokens overwrite them.
SY_API sy_status sy_generator_rewind(sy_generator *generator, int64_t n_past);
/// Runs `ids` through the model at the next positions, in chunks of at most the chunk size.
/// SY_ERR_INVALID_ARGUMENT for n == 0; SY_ERR_OUT_OF_RANGE for an id outside [0, V) or when
/// the tokens do not fit in the cache (nothing is run then).
SY_API sy_status sy_generator_prefill(sy_generator *generator, const int32_t *ids, size_t n);
/// Runs one token (a decode step; counted as decode in the stats). SY_ERR_OUT_OF_RANGE when
/// the id is outside the vocabulary or the cache is full.
SY_API sy_status sy_generator_decode(sy_generator *generator, int32_t token);
/// The last position's logits after the latest prefill or decode (V floats, borrowed).
/// SY_ERR_INVALID_ARGUMENT when nothing has run since the last reset.
SY_API sy_status sy_generator_logits(const sy_generator *generator, const float **logits_out);
/// Samples a token from the current logits with the sampler of the last generate call (greedy
/// before any), the cached tokens as the penalty's history; the first sample after a reset sets
/// the time to first token. SY_ERR_INVALID_ARGUMENT when nothing has run since the reset.
SY_API sy_status sy_generator_sample(sy_generator *generator, int32_t *token_out);
/// Prefills `prompt` (or only what follows the cached prefix it shares, with reuse_cache), then
/// samples and decodes until a stop condition; `on_token` (may be NULL) sees every emitted
/// token. The stop reason is in the stats. SY_ERR_INVALID_ARGUMENT for an empty prompt or bad
/// params, SY_ERR_OUT_OF_RANGE for ids outside the vocabulary or a prompt longer than the cache.
SY_API sy_status sy_generator_generate(sy_generator *generator, const int32_t *prompt, size_t n_prompt,
                                       const sy_generate_params *params, sy_token_fn on_token,
                                       void *user);
/// Fills *stats_out (the rates and peak RSS are computed now).
SY_API sy_status sy_generator_get_stats(const sy_generator *generator, sy_generate_stats *stats_out);

// --- text codec: how a tokenizer plugs in ---

/// A tokenizer seen through callbacks. `decode` streams: it is given one id at a time and
/// writes only bytes that complete UTF-8 characters so far; `flush` writes what is left.
typedef struct sy_text_codec {
    void *user;
    int64_t n_vocab;
    int32_t bos, eos; // -1 when the tokenizer has none
    /// Encodes `len` bytes; *n_out receives the id count (even when it exceeds cap: then
    /// SY_ERR_OUT_OF_RANGE). add_bos: prepend the BOS id when the model wants one.
    sy_status (*encode)(void *user, const char *text, size_t len, bool add_bos, int32_t *ids,
                        size_t cap, size_t *n_out);
    /// Feeds one id; writes at most cap bytes of complete characters to buf, *n_out their count.
    sy_status (*decode)(void *user, int32_t id, char *buf, size_t cap, size_t *n_out);
    /// Writes the bytes still held (an incomplete character) and restarts the stream.
    sy_status (*flush)(void *user, char *buf, size_t cap, size_t *n_out);
    /// (optional) Releases `user`; called by sy_text_codec_deinit.
    void (*release)(void *user);
    /// (optional) The id of the token spelled `text` (a chat template's end-of-turn marker);
    /// SY_ERR_NOT_FOUND when there is none.
    sy_status (*find_token)(void *user, const char *text, size_t len, int32_t *id_out);
} sy_text_codec;

/// Makes a codec from the program's tokenizer (metadata key "tokenizer.json"). SY_ERR_NOT_FOUND
/// naming the key when the program has none; SY_ERR_UNSUPPORTED when this build has no tokenizer.
SY_API sy_status sy_text_codec_from_program(const sy_program *program, sy_text_codec *codec_out);
/// Releases a codec made by sy_text_codec_from_program (or any codec with a release callback).
SY_API void sy_text_codec_deinit(sy_text_codec *codec);

// --- text generation ---

/// Called with each piece of generated text (valid UTF-8, not NUL-terminated); return non-zero
/// to stop.
typedef int (*sy_text_fn)(void *user, const char *text, size_t len);

typedef struct sy_text_params {
    sy_generate_params gen;    // eos_ids NULL: the codec's eos
    const char *const *stop;   // (n_stop) stop strings; the text ends before the first match
    uint32_t n_stop;
    bool add_bos;              // prepend the codec's BOS to the prompt
    size_t max_prompt_tokens;  // capacity of the prompt id buffer; 0: the cache length
} sy_text_params;

/// Defaults of sy_generate_default_params, no stop strings, add_bos true.
SY_API sy_text_params sy_text_default_params(void);

typedef struct sy_text_generator sy_text_generator;

/// Wraps a generator and a codec (both borrowed). Allocates the prompt and text buffers now.
SY_API sy_status sy_text_generator_create(sy_generator *generator, const sy_text_codec *codec,
                                          sy_text_generator **out);
/// Destroys a text generator; accepts NULL.
SY_API void sy_text_generator_destroy(sy_text_generator *tg);
/// Encodes `prompt` (UTF-8; invalid UTF-8 is SY_ERR_INVALID_ARGUMENT naming the byte offset),
/// generates, and streams the text to `on_text`. Stop strings end it with SY_STOP_STRING.
SY_API sy_status sy_text_generate(sy_text_generator *tg, const char *prompt, size_t len,
                                  const sy_text_params *params, sy_text_fn on_text, void *user);
/// The generator's stats for the last call, with SY_STOP_STRING when a stop string ended it.
SY_API sy_status sy_text_generator_get_stats(const sy_text_generator *tg, sy_generate_stats *stats_out);
/// Checks that `len` bytes are valid UTF-8; SY_ERR_INVALID_ARGUMENT with the offset otherwise.
SY_API sy_status sy_utf8_check(const char *text, size_t len, const char *what);

// --- chat templates ---

typedef enum sy_chat_format {
    SY_CHAT_UNKNOWN = 0,
    SY_CHAT_CHATML = 1, // <|im_start|>role\n...<|im_end|>\n  (SmolLM2, Qwen)
    SY_CHAT_LLAMA3 = 2, // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
    SY_CHAT_LLAMA2 = 3, // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\nuser [/INST] answer </s>
} sy_chat_format;

typedef struct sy_chat_message {
    const char *role;    // "system", "user" or "assistant"
    const char *content; // UTF-8
} sy_chat_message;

/// A recognised template: its family and the literal text it adds on its own.
typedef struct sy_chat_template {
    sy_chat_format format;
    char default_system[1024]; // system turn the template inserts when none is given ("": none)
    char bos[32];              // BOS text the template writes itself ("": none; Llama 2 and 3)
    char eos[32];              // text closing an assistant turn where the template writes it
} sy_chat_template;

/// Static name of a format ("chatml", "llama3", "llama2", "unknown").
SY_API const char *sy_chat_format_name(sy_chat_format format);
/// Sets up a template. `name` (may be NULL) forces a family ("chatml", "llama3", "llama2");
/// otherwise the family is recognised from `template_text` (the Jinja text of metadata
/// "tokenizer.chat_template"; may be NULL when a name is given). A default system prompt is
/// taken from the text when the family matches. SY_ERR_INVALID_ARGUMENT for an unknown name
/// (the message lists the known ones); SY_ERR_UNSUPPORTED when the text matches no family.
SY_API sy_status sy_chat_template_init(sy_chat_template *tmpl, const char *template_text, const char *name);
/// Renders messages the way the template does, with the assistant header at the end when
/// add_generation_prompt. Writes at most cap - 1 bytes and a NUL; *len_out gets the full length
/// (SY_ERR_OUT_OF_RANGE when it does not fit). SY_ERR_INVALID_ARGUMENT for an unknown role, a
/// system message after the first, or (Llama 2) roles that do not alternate user/assistant.
SY_API sy_status sy_chat_render(const sy_chat_template *tmpl, const sy_chat_message *messages, size_t n,
                                bool add_generation_prompt, char *buf, size_t cap, size_t *len_out);

#ifdef __cplusplus
}
#endif
