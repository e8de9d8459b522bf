// The generation loop over a decoder program: chunked prefill, decode steps, sampling, stop
// conditions and the stats. Buffers are allocated at create; prefill, decode and generate
// allocate nothing.

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/alloc.h"
#include "core/half.h"
#include "core/status.h"
#include "switchyard/generate.h"

struct sy_generator {
    const sy_program *program; // borrowed, or owned when `owned`
    sy_runtime *rt;
    int owned;
    sy_generator_options opt;
    const char *ids_name, *pos_name, *logits_name; // borrowed from the program's graph
    sy_dtype ids_dtype, pos_dtype, logits_dtype;
    int64_t n_vocab, n_ctx, chunk;
    int64_t n_past;
    int32_t *tokens;  // (n_ctx) tokens in the cache, oldest first
    void *ids_buf;    // (chunk) input_ids of one execute, ids_dtype
    void *pos_buf;    // (chunk) cache_position of one execute, pos_dtype
    float *logits;    // (n_vocab) the last position's logits
    int have_logits;
    sy_sampler *sampler; // made at create with default params; re-parameterised per generate
    // stats since the last reset
    uint64_t first_call_ns; // start of the first prefill since the reset (0: none yet)
    int sampled_since_reset;
    sy_generate_stats st;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *sy_stop_reason_name(sy_stop_reason r) {
    switch (r) {
    case SY_STOP_NONE: return "none";
    case SY_STOP_EOS: return "eos";
    case SY_STOP_MAX_TOKENS: return "max_tokens";
    case SY_STOP_CACHE_FULL: return "cache_full";
    case SY_STOP_CALLBACK: return "interrupted";
    case SY_STOP_STRING: return "stop_string";
    }
    return "invalid";
}

sy_generate_params sy_generate_default_params(void) {
    sy_generate_params p = {.max_new_tokens = 128, .sampling = sy_sampler_default_params()};
    return p;
}

// --- the program's signature ---

static int find_role(const sy_graph_view *g, const char *name, sy_role role) {
    for (uint32_t v = 0; v < g->n_values; v++)
        if (g->values[v].role == role && (!name || !strcmp(g->values[v].name, name))) return (int)v;
    return -1;
}

/// The cache length: the state dim that sdpa_with_kv_cache / update_cache index by position,
/// or the metadata "model.max_seq_len".
static int64_t cache_length(const sy_program *p, const sy_graph_view *g) {
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        if (node->op == SY_OP_SDPA_WITH_KV_CACHE && node->n_inputs > 3) return g->values[node->inputs[3]].dims[2];
        if (node->op == SY_OP_UPDATE_CACHE && node->n_inputs > 0) return g->values[node->inputs[0]].dims[2];
    }
    const char *meta = sy_program_get_metadata(p, "model.max_seq_len");
    return meta ? atoll(meta) : 0;
}

static int int_dtype(sy_dtype d) {
    return d == SY_DTYPE_I64 || d == SY_DTYPE_I32;
}

static sy_status read_signature(sy_generator *gen) {
    const sy_graph_view *g = sy_program_get_graph(gen->program);
    int ids = find_role(g, "input_ids", SY_ROLE_INPUT), pos = find_role(g, "cache_position", SY_ROLE_INPUT);
    int logits = find_role(g, "logits", SY_ROLE_OUTPUT);
    if (logits < 0) logits = find_role(g, NULL, SY_ROLE_OUTPUT);
    SY_CHECK(ids >= 0 && pos >= 0 && logits >= 0, SY_ERR_UNSUPPORTED,
             "generator: the program is not a decoder: it needs inputs 'input_ids' and 'cache_position' and a "
             "'logits' output (forward(input_ids [1, T], cache_position [T]) -> logits [1, T, V])");
    const sy_value_info *vi = &g->values[ids], *vp = &g->values[pos], *vl = &g->values[logits];
    SY_CHECK(vi->rank == 2 && vi->dims[0] == 1 && vp->rank == 1 && int_dtype(vi->dtype) && int_dtype(vp->dtype),
             SY_ERR_UNSUPPORTED, "generator: input_ids must be [1, T] and cache_position [T], both i64 or i32");
    SY_CHECK(vl->rank == 3 && vl->dims[0] == 1, SY_ERR_UNSUPPORTED,
             "generator: output '%s' must be logits [1, T, V] or [1, 1, V] (rank %u given)", vl->name, vl->rank);
    SY_CHECK(vl->dtype == SY_DTYPE_F32 || vl->dtype == SY_DTYPE_F16 || vl->dtype == SY_DTYPE_BF16,
             SY_ERR_UNSUPPORTED, "generator: logits of dtype %s are not supported (f32, f16, bf16)",
             sy_dtype_name(vl->dtype));
    gen->ids_name = vi->name;
    gen->pos_name = vp->name;
    gen->logits_name = vl->name;
    gen->ids_dtype = vi->dtype;
    gen->pos_dtype = vp->dtype;
    gen->logits_dtype = vl->dtype;
    gen->n_vocab = vl->dims[2];
    gen->chunk = vi->dims[1]; // the bound of T (or the static T)
    gen->n_ctx = cache_length(gen->program, g);
    SY_CHECK(gen->n_ctx >= 1 && gen->n_vocab >= 1, SY_ERR_UNSUPPORTED,
             "generator: the program has no KV cache length (no sdpa_with_kv_cache or update_cache state, no "
             "model.max_seq_len metadata)");
    if (gen->opt.max_chunk > 0 && gen->opt.max_chunk < gen->chunk) gen->chunk = gen->opt.max_chunk;
    return SY_OK;
}

// --- create / destroy ---

sy_status sy_generator_create(const sy_program *program, sy_runtime *runtime, const sy_generator_options *options,
                              sy_generator **out) {
    SY_CHECK(program && runtime && out, SY_ERR_INVALID_ARGUMENT, "sy_generator_create: NULL argument");
    SY_CHECK(!options || options->max_chunk >= 0, SY_ERR_INVALID_ARGUMENT,
             "sy_generator_create: max_chunk %lld is negative", (long long)options->max_chunk);
    sy_generator *gen = sy_calloc(1, sizeof *gen);
    SY_CHECK(gen, SY_ERR_OUT_OF_MEMORY, "generator: out of memory");
    gen->program = program;
    gen->rt = runtime;
    if (options) gen->opt = *options;
    sy_status st = read_signature(gen);
    if (st == SY_OK) {
        gen->tokens = sy_calloc((size_t)gen->n_ctx, sizeof *gen->tokens);
        gen->ids_buf = sy_calloc((size_t)gen->chunk, sizeof(int64_t));
        gen->pos_buf = sy_calloc((size_t)gen->chunk, sizeof(int64_t));
        gen->logits = sy_calloc((size_t)gen->n_vocab, sizeof *gen->logits);
        st = gen->tokens && gen->ids_buf && gen->pos_buf && gen->logits
                 ? SY_OK
                 : sy_error_set(SY_ERR_OUT_OF_MEMORY, "generator: out of memory for a cache of %lld tokens",
                                (long long)gen->n_ctx);
    }
    sy_sampler_params sp = sy_sampler_default_params();
    if (st == SY_OK) st = sy_sampler_create(&sp, gen->n_vocab, &gen->sampler);
    if (st == SY_OK) st = sy_generator_reset(gen);
    if (st != SY_OK) {
        sy_generator_destroy(gen);
        return st;
    }
    *out = gen;
    return SY_OK;
}

sy_status sy_generator_open(const char *path, const sy_config *config, const sy_generator_options *options,
                            sy_generator **out) {
    SY_CHECK(path && out, SY_ERR_INVALID_ARGUMENT, "sy_generator_open: NULL argument");
    uint64_t t0 = now_ns();
    sy_program *prog = NULL;
    sy_runtime *rt = NULL;
    sy_config *own_cfg = NULL;
    sy_status st = sy_program_load(path, &prog);
    if (st == SY_OK && !config) st = sy_config_create(&own_cfg);
    if (st == SY_OK) st = sy_runtime_create(prog, config ? config : own_cfg, &rt);
    sy_config_destroy(own_cfg);
    sy_generator_options o = options ? *options : (sy_generator_options){0};
    o.load_ms = (double)(now_ns() - t0) / 1e6;
    sy_generator *gen = NULL;
    if (st == SY_OK) st = sy_generator_create(prog, rt, &o, &gen);
    if (st != SY_OK) {
        sy_runtime_destroy(rt);
        sy_program_destroy(prog);
        return st;
    }
    gen->owned = 1;
    *out = gen;
    return SY_OK;
}

void sy_generator_destroy(sy_generator *gen) {
    if (!gen) return;
    if (gen->owned) {
        sy_runtime_destroy(gen->rt);
        sy_program_destroy((sy_program *)gen->program);
    }
    sy_sampler_destroy(gen->sampler);
    sy_free(gen->tokens);
    sy_free(gen->ids_buf);
    sy_free(gen->pos_buf);
    sy_free(gen->logits);
    sy_free(gen);
}

// --- accessors ---

const sy_program *sy_generator_get_program(const sy_generator *gen) { return gen ? gen->program : NULL; }
sy_runtime *sy_generator_get_runtime(sy_generator *gen) { return gen ? gen->rt : NULL; }
int64_t sy_generator_n_vocab(const sy_generator *gen) { return gen ? gen->n_vocab : 0; }
int64_t sy_generator_n_ctx(const sy_generator *gen) { return gen ? gen->n_ctx : 0; }
int64_t sy_generator_chunk(const sy_generator *gen) { return gen ? gen->chunk : 0; }
int64_t sy_generator_n_past(const sy_generator *gen) { return gen ? gen->n_past : 0; }
const int32_t *sy_generator_tokens(const sy_generator *gen) { return gen ? gen->tokens : NULL; }

static void clear_stats(sy_generator *gen) {
    gen->first_call_ns = 0;
    gen->sampled_since_reset = 0;
    memset(&gen->st, 0, sizeof gen->st);
    gen->st.load_ms = gen->opt.load_ms;
}

sy_status sy_generator_reset(sy_generator *gen) {
    SY_CHECK(gen, SY_ERR_INVALID_ARGUMENT, "sy_generator_reset: generator is NULL");
    SY_TRY(sy_runtime_reset_state(gen->rt));
    gen->n_past = 0;
    gen->have_logits = 0;
    clear_stats(gen);
    return SY_OK;
}

sy_status sy_generator_rewind(sy_generator *gen, int64_t n_past) {
    SY_CHECK(gen, SY_ERR_INVALID_ARGUMENT, "sy_generator_rewind: generator is NULL");
    SY_CHECK(n_past >= 0 && n_past <= gen->n_past, SY_ERR_OUT_OF_RANGE,
             "generator: cannot rewind to %lld tokens: the cache holds %lld", (long long)n_past,
             (long long)gen->n_past);
    // Positions past n_past keep stale keys and values, but attention reads only [0, start + T)
    // and the next execute overwrites them first.
    if (n_past < gen->n_past) gen->have_logits = 0;
    gen->n_past = n_past;
    return SY_OK;
}

sy_status sy_generator_logits(const sy_generator *gen, const float **logits_out) {
    SY_CHECK(gen && logits_out, SY_ERR_INVALID_ARGUMENT, "sy_generator_logits: NULL argument");
    SY_CHECK(gen->have_logits, SY_ERR_INVALID_ARGUMENT, "generator: no logits yet: nothing has run since the reset");
    *logits_out = gen->logits;
    return SY_OK;
}

// --- running the model ---

static sy_status check_ids(const sy_generator *gen, const int32_t *ids, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        SY_CHECK(ids[i] >= 0 && ids[i] < gen->n_vocab, SY_ERR_OUT_OF_RANGE,
                 "%s: token id %d at position %zu is outside the vocabulary [0, %lld)", what, (int)ids[i], i,
                 (long long)gen->n_vocab);
    return SY_OK;
}

static void put_int(void *buf, sy_dtype dt, int64_t i, int64_t x) {
    if (dt == SY_DTYPE_I64)
        ((int64_t *)buf)[i] = x;
    else
        ((int32_t *)buf)[i] = (int32_t)x;
}

/// Copies the last row of the logits output into gen->logits.
static sy_status take_logits(sy_generator *gen) {
    sy_tensor t;
    SY_TRY(sy_runtime_get_output(gen->rt, gen->logits_name, &t));
    int64_t rows = t.rank == 3 ? t.dims[1] : 0;
    SY_CHECK(t.rank == 3 && rows >= 1 && t.dims[2] == gen->n_vocab, SY_ERR_INTERNAL,
             "generator: logits output has an unexpected shape");
    size_t off = (size_t)(rows - 1) * (size_t)gen->n_vocab;
    if (t.dtype == SY_DTYPE_F32) {
        memcpy(gen->logits, (const float *)t.data + off, (size_t)gen->n_vocab * sizeof(float));
    } else {
        const uint16_t *h = (const uint16_t *)t.data + off;
        for (int64_t i = 0; i < gen->n_vocab; i++)
            gen->logits[i] = t.dtype == SY_DTYPE_F16 ? sy_f16_to_f32(h[i]) : sy_bf16_to_f32(h[i]);
    }
    gen->have_logits = 1;
    return SY_OK;
}

/// One execute of n (<= chunk) tokens at positions n_past.. .
static sy_status forward(sy_generator *gen, const int32_t *ids, int64_t n, int decode) {
    for (int64_t i = 0; i < n; i++) {
        put_int(gen->ids_buf, gen->ids_dtype, i, ids[i]);
        put_int(gen->pos_buf, gen->pos_dtype, i, gen->n_past + i);
    }
    sy_tensor ti = {.data = gen->ids_buf, .dtype = gen->ids_dtype, .rank = 2, .dims = {1, n}};
    sy_tensor tp = {.data = gen->pos_buf, .dtype = gen->pos_dtype, .rank = 1, .dims = {n}};
    SY_TRY(sy_runtime_set_input(gen->rt, gen->ids_name, &ti));
    SY_TRY(sy_runtime_set_input(gen->rt, gen->pos_name, &tp));
    sy_generator_step step = {.decode = decode, .start = gen->n_past, .n_tokens = n, .begin_ns = now_ns()};
    SY_TRY(sy_runtime_execute(gen->rt));
    step.end_ns = now_ns();
    double ms = (double)(step.end_ns - step.begin_ns) / 1e6;
    if (decode)
        gen->st.decode_ms += ms;
    else
        gen->st.prefill_ms += ms;
    if (gen->opt.on_step) gen->opt.on_step(gen->opt.step_user, gen->rt, &step);
    SY_TRY(take_logits(gen));
    memcpy(gen->tokens + gen->n_past, ids, (size_t)n * sizeof *ids);
    gen->n_past += n;
    return SY_OK;
}

sy_status sy_generator_prefill(sy_generator *gen, const int32_t *ids, size_t n) {
    SY_CHECK(gen && (ids || !n), SY_ERR_INVALID_ARGUMENT, "sy_generator_prefill: NULL argument");
    SY_CHECK(n > 0, SY_ERR_INVALID_ARGUMENT, "generator: nothing to prefill (0 tokens)");
    SY_TRY(check_ids(gen, ids, n, "prefill"));
    SY_CHECK((int64_t)n <= gen->n_ctx - gen->n_past, SY_ERR_OUT_OF_RANGE,
             "generator: %zu tokens do not fit in the cache: it holds %lld positions and %lld are in use", n,
             (long long)gen->n_ctx, (long long)gen->n_past);
    if (!gen->first_call_ns) gen->first_call_ns = now_ns();
    for (size_t done = 0; done < n;) {
        int64_t k = (int64_t)(n - done) < gen->chunk ? (int64_t)(n - done) : gen->chunk;
        SY_TRY(forward(gen, ids + done, k, 0));
        done += (size_t)k;
    }
    gen->st.n_prefilled += (int64_t)n;
    return SY_OK;
}

sy_status sy_generator_decode(sy_generator *gen, int32_t token) {
    SY_CHECK(gen, SY_ERR_INVALID_ARGUMENT, "sy_generator_decode: generator is NULL");
    SY_TRY(check_ids(gen, &token, 1, "decode"));
    SY_CHECK(gen->n_past < gen->n_ctx, SY_ERR_OUT_OF_RANGE,
             "generator: the cache is full: all %lld positions are in use", (long long)gen->n_ctx);
    if (!gen->first_call_ns) gen->first_call_ns = now_ns();
    SY_TRY(forward(gen, &token, 1, 1));
    gen->st.n_decoded++;
    return SY_OK;
}

/// Samples from the current logits with the current cache as the penalty's history.
static sy_status sample(sy_generator *gen, int32_t *token) {
    uint64_t t0 = now_ns();
    SY_TRY(sy_sampler_sample(gen->sampler, gen->logits, gen->n_vocab, gen->tokens, (size_t)gen->n_past, token));
    uint64_t t1 = now_ns();
    gen->st.sampling_ms += (double)(t1 - t0) / 1e6;
    if (!gen->sampled_since_reset) {
        gen->sampled_since_reset = 1;
        gen->st.ttft_ms = (double)(t1 - gen->first_call_ns) / 1e6;
    }
    return SY_OK;
}

sy_status sy_generator_sample(sy_generator *gen, int32_t *token_out) {
    SY_CHECK(gen && token_out, SY_ERR_INVALID_ARGUMENT, "sy_generator_sample: NULL argument");
    SY_CHECK(gen->have_logits, SY_ERR_INVALID_ARGUMENT, "generator: nothing to sample: nothing has run since the reset");
    return sample(gen, token_out);
}

static sy_status check_params(const sy_generator *gen, const sy_generate_params *p) {
    SY_CHECK(p, SY_ERR_INVALID_ARGUMENT, "generate: params is NULL");
    SY_CHECK(p->max_new_tokens >= 1, SY_ERR_INVALID_ARGUMENT,
             "generate: the number of tokens to generate must be >= 1 (%lld given)", (long long)p->max_new_tokens);
    SY_TRY(sy_sampler_params_check(&p->sampling));
    SY_CHECK(p->eos_ids || !p->n_eos, SY_ERR_INVALID_ARGUMENT, "generate: eos_ids is NULL but n_eos is %u", p->n_eos);
    return check_ids(gen, p->eos_ids, p->n_eos, "generate: EOS ids");
}

/// Prefills the prompt; with reuse, only what follows the prefix it shares with the cache.
static sy_status prefill_prompt(sy_generator *gen, const int32_t *prompt, size_t n, bool reuse) {
    SY_CHECK((int64_t)n <= gen->n_ctx, SY_ERR_OUT_OF_RANGE,
             "generate: the prompt has %zu tokens but the cache holds only %lld positions", n, (long long)gen->n_ctx);
    int64_t keep = 0;
    if (reuse) {
        while (keep < gen->n_past && (size_t)keep < n && gen->tokens[keep] == prompt[keep]) keep++;
        if ((size_t)keep == n) keep--; // at least one token runs, so there are logits for its end
        SY_TRY(sy_generator_rewind(gen, keep));
        clear_stats(gen);
    } else {
        SY_TRY(sy_generator_reset(gen));
    }
    return sy_generator_prefill(gen, prompt + keep, n - (size_t)keep);
}

static int is_eos(const sy_generate_params *p, int32_t t) {
    for (uint32_t i = 0; i < p->n_eos; i++)
        if (p->eos_ids[i] == t) return 1;
    return 0;
}

sy_status sy_generator_generate(sy_generator *gen, const int32_t *prompt, size_t n_prompt,
                                const sy_generate_params *p, sy_token_fn on_token, void *user) {
    SY_CHECK(gen, SY_ERR_INVALID_ARGUMENT, "sy_generator_generate: generator is NULL");
    SY_CHECK(prompt && n_prompt > 0, SY_ERR_INVALID_ARGUMENT, "generate: the prompt is empty");
    SY_TRY(check_params(gen, p));
    SY_TRY(check_ids(gen, prompt, n_prompt, "generate: prompt"));
    sy_sampler *sm = NULL; // a fresh sampler for these params: the seed restarts every call
    SY_TRY(sy_sampler_create(&p->sampling, gen->n_vocab, &sm));
    sy_sampler_destroy(gen->sampler);
    gen->sampler = sm;
    SY_TRY(prefill_prompt(gen, prompt, n_prompt, p->reuse_cache));
    gen->st.n_prompt += (int64_t)n_prompt;
    gen->st.stop = SY_STOP_NONE;
    for (int64_t produced = 0;;) {
        int32_t tok;
        SY_TRY(sample(gen, &tok));
        if (is_eos(p, tok)) {
            gen->st.stop = SY_STOP_EOS;
            break;
        }
        gen->st.n_generated++;
        produced++;
        if (on_token && on_token(user, tok)) {
            gen->st.stop = SY_STOP_CALLBACK;
            break;
        }
        if (produced >= p->max_new_tokens) {
            gen->st.stop = SY_STOP_MAX_TOKENS;
            break;
        }
        if (gen->n_past >= gen->n_ctx) {
            gen->st.stop = SY_STOP_CACHE_FULL;
            sy_log(SY_LOG_INFO, "generate: stopped after %lld tokens: the cache of %lld positions is full",
                   (long long)produced, (long long)gen->n_ctx);
            break;
        }
        SY_TRY(sy_generator_decode(gen, tok));
    }
    return SY_OK;
}

sy_status sy_generator_get_stats(const sy_generator *gen, sy_generate_stats *out) {
    SY_CHECK(gen && out, SY_ERR_INVALID_ARGUMENT, "sy_generator_get_stats: NULL argument");
    *out = gen->st;
    out->prefill_tok_s = out->prefill_ms > 0 ? (double)out->n_prefilled / (out->prefill_ms / 1e3) : 0;
    out->decode_tok_s = out->decode_ms > 0 ? (double)out->n_decoded / (out->decode_ms / 1e3) : 0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) out->peak_rss_kb = ru.ru_maxrss;
    return SY_OK;
}
