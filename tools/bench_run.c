// `switchyard bench`: preparing inputs, the portable reference, and measuring one backend
// configuration after another.
//
// Each configuration runs three kinds of repetitions on its own runtime:
//   warmup    (--warmup N) results ignored;
//   timed     (--iters N)  profiling off; latency, partition times and copy bytes;
//   profiled  (one)        profiling on; per-node and per-op times, the trace, and the outputs
//                          compared with the portable reference.
// A repetition is a state reset (outside the timing) followed by the steps: one execute in plain
// mode; the prefill chunks and the decode steps in LLM mode. Inputs are deterministic, so every
// configuration and the reference see the same data.

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/graph.h"
#include "core/half.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "runtime/registry.h"
#include "runtime/runtime.h"
#include "switchyard/generate.h"
#include "tools/bench.h"

typedef enum rep_kind { REP_WARMUP, REP_TIMED, REP_PROFILED, REP_REFERENCE } rep_kind;

// --- small helpers ---

static double now_ms(void) {
    return (double)sy_now_ns() / 1e6;
}

static uint64_t rng_next(uint64_t *s) { // xorshift64*
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double rng_uniform(uint64_t *s) {
    return (double)(rng_next(s) >> 11) / (double)(1ULL << 53);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

sy_bench_stats sy_bench_stats_of(const double *samples, uint32_t n) {
    sy_bench_stats s = {0};
    if (n == 0) return s;
    double *c = malloc(n * sizeof *c);
    if (!c) return s;
    memcpy(c, samples, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += c[i];
    s.n = n;
    s.min = c[0];
    s.max = c[n - 1];
    s.mean = sum / n;
    s.median = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    uint32_t rank = (uint32_t)ceil(0.9 * n); // nearest-rank percentile
    s.p90 = c[(rank ? rank : 1) - 1];
    free(c);
    return s;
}

const char *sy_bench_node_op(const sy_bench_config *c, uint32_t node) {
    return sy_op_name(c->node_op[node]);
}

static void progress(const sy_bench *b, uint32_t ci, const char *what, int k, int n) {
    if (!b->progress) return;
    char where[32] = "[ref]";
    const char *label = "portable (reference)";
    if (ci < b->n_config_list) {
        snprintf(where, sizeof where, "[%u/%u]", ci + 1, b->n_config_list);
        label = b->configs[ci].backends[0] ? b->configs[ci].backends : b->config_list[ci];
    }
    if (b->progress == 2) {
        if (n > 0)
            fprintf(stderr, "\r\033[K  %s %s: %s %d/%d", where, label, what, k + 1, n);
        else
            fprintf(stderr, "\r\033[K  %s %s: %s", where, label, what);
    } else if (k == 0 || n <= 0) {
        fprintf(stderr, "bench: %s %s: %s\n", where, label, what);
    }
    fflush(stderr);
}

static void progress_done(const sy_bench *b) {
    if (b->progress == 2) fprintf(stderr, "\r\033[K");
}

static double element(const sy_tensor *t, int64_t i) {
    const char *p = t->data;
    switch (t->dtype) {
    case SY_DTYPE_F32: {
        float x;
        memcpy(&x, p + 4 * i, 4);
        return x;
    }
    case SY_DTYPE_F16: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return sy_f16_to_f32(h);
    }
    case SY_DTYPE_BF16: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return sy_bf16_to_f32(h);
    }
    case SY_DTYPE_I32: {
        int32_t x;
        memcpy(&x, p + 4 * i, 4);
        return x;
    }
    case SY_DTYPE_I64: {
        int64_t x;
        memcpy(&x, p + 8 * i, 8);
        return (double)x;
    }
    case SY_DTYPE_U8:
    case SY_DTYPE_BOOL: return ((const uint8_t *)p)[i];
    default: return 0;
    }
}

// --- the program: symbols, inputs, steps ---

/// Index of the node names of the runtime's graph (after passes), for mapping profiling events
/// (named after nodes) back to nodes. Rebuilt for each configuration.
static const sy_graph_view *sorted_graph;
static uint32_t *sorted_nodes; // (n_nodes) node ids sorted by name

static int cmp_node_name(const void *a, const void *b) {
    return strcmp(sorted_graph->nodes[*(const uint32_t *)a].name, sorted_graph->nodes[*(const uint32_t *)b].name);
}

static int find_node(const char *name) {
    if (!name || !sorted_nodes) return -1;
    uint32_t lo = 0, hi = sorted_graph->n_nodes;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        int c = strcmp(sorted_graph->nodes[sorted_nodes[mid]].name, name);
        if (c == 0) return (int)sorted_nodes[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/// For an integer input: the exclusive upper bound of sensible values (table rows for token ids
/// and gather indices), or -1 when it holds positions (rope, cache ops), filled 0, 1, 2, ...
static int64_t int_input_range(const sy_graph_view *g, uint32_t v) {
    int64_t hi = INT64_MAX;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            if (node->inputs[i] != v) continue;
            sy_op op = node->op;
            if ((op == SY_OP_ROPE && i == 1) || (op == SY_OP_UPDATE_CACHE && i == 2) ||
                (op == SY_OP_SDPA_WITH_KV_CACHE && i == 5))
                return -1;
            const sy_value_info *table = &g->values[node->inputs[0]];
            if (op == SY_OP_EMBEDDING && i == 1 && table->dims[0] < hi) hi = table->dims[0];
            if (op == SY_OP_GATHER && i == 1) {
                int64_t axis = sy_node_attr_int(node, "axis", 0);
                if (axis < 0) axis += table->rank;
                if (axis >= 0 && axis < (int64_t)table->rank && table->dims[axis] < hi) hi = table->dims[axis];
            }
        }
    }
    return hi == INT64_MAX ? 2 : hi;
}

static void fill_input(const sy_graph_view *g, uint32_t v, sy_tensor *t, uint64_t *rng) {
    int64_t n = sy_tensor_numel(t);
    int is_int = t->dtype == SY_DTYPE_I32 || t->dtype == SY_DTYPE_I64 || t->dtype == SY_DTYPE_U8;
    int64_t range = is_int ? int_input_range(g, v) : 0;
    for (int64_t i = 0; i < n; i++) {
        float f = (float)(rng_uniform(rng) * 2.0 - 1.0);
        int64_t k = range < 0 ? i : range > 0 ? (int64_t)(rng_next(rng) % (uint64_t)range) : 0;
        char *p = (char *)t->data;
        switch (t->dtype) {
        case SY_DTYPE_F32: memcpy(p + 4 * i, &f, 4); break;
        case SY_DTYPE_F16: {
            uint16_t h = sy_f32_to_f16(f);
            memcpy(p + 2 * i, &h, 2);
            break;
        }
        case SY_DTYPE_BF16: {
            uint16_t h = sy_f32_to_bf16(f);
            memcpy(p + 2 * i, &h, 2);
            break;
        }
        case SY_DTYPE_I32: {
            int32_t x = (int32_t)k;
            memcpy(p + 4 * i, &x, 4);
            break;
        }
        case SY_DTYPE_I64: memcpy(p + 8 * i, &k, 8); break;
        case SY_DTYPE_U8: ((uint8_t *)p)[i] = (uint8_t)k; break;
        case SY_DTYPE_BOOL: ((uint8_t *)p)[i] = 1; break; // masks: attend everywhere
        default: break;
        }
    }
}

static int find_value(const sy_graph_view *g, const char *name, sy_role role) {
    for (uint32_t v = 0; v < g->n_values; v++)
        if (g->values[v].role == role && !strcmp(g->values[v].name, name)) return (int)v;
    return -1;
}

static int prepare_plain(sy_bench *b) {
    const sy_graph_view *g = b->g;
    uint64_t rng = b->seed * 0x9E3779B97F4A7C15ULL + 7;
    b->inputs = calloc(g->n_values + 1, sizeof *b->inputs);
    b->input_names = calloc(g->n_values + 1, sizeof *b->input_names);
    if (!b->inputs || !b->input_names) return fprintf(stderr, "switchyard bench: out of memory\n"), 1;
    for (uint32_t v = 0; v < g->n_values; v++) {
        if (g->values[v].role != SY_ROLE_INPUT) continue;
        sy_tensor *t = &b->inputs[b->n_inputs];
        sy_value_desc_tensor(g, v, b->symbols, t);
        t->data = malloc(sy_tensor_nbytes(t) + 1);
        if (!t->data) return fprintf(stderr, "switchyard bench: out of memory for input '%s'\n", g->values[v].name), 1;
        fill_input(g, v, t, &rng);
        b->input_names[b->n_inputs++] = g->values[v].name;
    }
    b->steps = calloc(1, sizeof *b->steps);
    if (!b->steps) return 1;
    b->n_steps = 1;
    b->n_phases = 1;
    b->phase_names[0] = "execute";
    return 0;
}

/// LLM mode: forward(input_ids [1, T], cache_position [T]) with a token embedding and a cache.
static int prepare_llm(sy_bench *b) {
    const sy_graph_view *g = b->g;
    int ids = find_value(g, "input_ids", SY_ROLE_INPUT), pos = find_value(g, "cache_position", SY_ROLE_INPUT);
    uint32_t n_inputs = 0;
    for (uint32_t v = 0; v < g->n_values; v++) n_inputs += g->values[v].role == SY_ROLE_INPUT;
    if (ids < 0 || pos < 0 || n_inputs != 2 || g->values[ids].rank != 2 || g->values[pos].rank != 1 ||
        g->values[ids].sym[1] < 0) {
        fprintf(stderr,
                "switchyard bench: --prompt-len/--decode need a program with the signature "
                "forward(input_ids [1, T], cache_position [T]) with a symbolic T; '%s' has %u inputs\n",
                b->path, n_inputs);
        return 1;
    }
    b->max_tokens = g->values[ids].dims[1];
    b->vocab = int_input_range(g, (uint32_t)ids);
    b->max_seq = 0;
    for (uint32_t n = 0; n < g->n_nodes; n++) { // the cache length S of the first cache op
        const sy_node_info *node = &g->nodes[n];
        if (node->op == SY_OP_SDPA_WITH_KV_CACHE || node->op == SY_OP_UPDATE_CACHE) {
            b->max_seq = g->values[node->inputs[node->op == SY_OP_UPDATE_CACHE ? 0 : 3]].dims[2];
            break;
        }
    }
    const char *meta = sy_program_get_metadata(b->program, "model.max_seq_len");
    if (!b->max_seq && meta) b->max_seq = atoll(meta);
    if (b->vocab <= 2 || b->max_seq <= 0) {
        fprintf(stderr, "switchyard bench: '%s' has no token embedding or KV cache; it is not an LLM program\n",
                b->path);
        return 1;
    }
    if (b->prompt_len < 1 || b->decode < 0 || b->prompt_len + b->decode > b->max_seq) {
        fprintf(stderr,
                "switchyard bench: --prompt-len %lld + --decode %lld must fit the cache of %lld positions "
                "(prompt at least 1)\n",
                (long long)b->prompt_len, (long long)b->decode, (long long)b->max_seq);
        return 1;
    }
    int64_t total = b->prompt_len + b->decode;
    uint64_t rng = b->seed * 0x9E3779B97F4A7C15ULL + 11;
    b->tokens = malloc((size_t)total * sizeof *b->tokens);
    int64_t chunks = (b->prompt_len + b->max_tokens - 1) / b->max_tokens; // prompts longer than T are chunked
    b->steps = calloc((size_t)(chunks + b->decode), sizeof *b->steps);
    if (!b->tokens || !b->steps) return fprintf(stderr, "switchyard bench: out of memory\n"), 1;
    for (int64_t i = 0; i < total; i++) b->tokens[i] = (int32_t)(rng_next(&rng) % (uint64_t)b->vocab);
    for (int64_t s = 0; s < b->prompt_len; s += b->max_tokens) {
        int64_t n = b->prompt_len - s < b->max_tokens ? b->prompt_len - s : b->max_tokens;
        b->steps[b->n_steps++] = (sy_bench_step){0, s, n};
    }
    for (int64_t i = 0; i < b->decode; i++) b->steps[b->n_steps++] = (sy_bench_step){1, b->prompt_len + i, 1};
    b->n_phases = b->decode > 0 ? 2 : 1;
    b->phase_names[0] = "prefill";
    b->phase_names[1] = "decode";
    b->phase_tokens[0] = b->steps[0].n;
    b->phase_tokens[1] = 1;
    return 0;
}

static int prepare(sy_bench *b) {
    double t0 = now_ms();
    if (sy_program_load(b->path, &b->program) != SY_OK) return sy_cli_fail("bench");
    b->program_load_ms = now_ms() - t0;
    const sy_graph_view *g = b->g = sy_program_get_graph(b->program);
    for (uint32_t v = 0; v < g->n_values; v++) {
        const sy_value_info *vi = &g->values[v];
        if (vi->role != SY_ROLE_CONSTANT) continue;
        int64_t n = 1;
        for (uint32_t i = 0; i < vi->rank; i++) n *= vi->dims[i];
        b->n_params += n;
        b->constant_bytes += vi->nbytes;
    }
    for (uint32_t s = 0; s < g->n_symbols; s++) b->symbols[s] = g->symbols[s].max;
    for (uint32_t k = 0; k < b->n_sym_overrides; k++) {
        uint32_t s = 0;
        while (s < g->n_symbols && strcmp(g->symbols[s].name, b->sym_names[k])) s++;
        if (s == g->n_symbols) {
            fprintf(stderr,
                    "switchyard bench: --sym %s: the program has no symbol of that name (it has:", b->sym_names[k]);
            for (uint32_t i = 0; i < g->n_symbols; i++)
                fprintf(stderr, " %s<=%lld", g->symbols[i].name, (long long)g->symbols[i].max);
            fprintf(stderr, "%s)\n", g->n_symbols ? "" : " none");
            return 1;
        }
        if (b->sym_values[k] < 1 || b->sym_values[k] > g->symbols[s].max) {
            fprintf(stderr, "switchyard bench: --sym %s=%lld is outside [1, %lld]\n", b->sym_names[k],
                    (long long)b->sym_values[k], (long long)g->symbols[s].max);
            return 1;
        }
        b->symbols[s] = b->sym_values[k];
    }
    b->output_values = malloc((g->n_values + 1) * sizeof *b->output_values);
    if (!b->output_values) return fprintf(stderr, "switchyard bench: out of memory\n"), 1;

    for (uint32_t v = 0; v < g->n_values; v++)
        if (g->values[v].role == SY_ROLE_OUTPUT) b->output_values[b->n_outputs++] = v;
    return b->llm ? prepare_llm(b) : prepare_plain(b);
}

static int has_state(const sy_graph_view *g) {
    for (uint32_t v = 0; v < g->n_values; v++)
        if (g->values[v].role == SY_ROLE_STATE) return 1;
    return 0;
}

static sy_status set_plain_inputs(sy_bench *b, sy_runtime *rt) {
    for (uint32_t i = 0; i < b->n_inputs; i++) SY_TRY(sy_runtime_set_input(rt, b->input_names[i], &b->inputs[i]));
    return SY_OK;
}

// --- results of one execute ---

static void harvest_events(sy_runtime *rt, sy_bench_phase *ph, uint64_t t0, uint64_t t1) {
    int capture = ph->trace == NULL;
    if (capture) {
        ph->trace = calloc(rt->n_events + 1, sizeof *ph->trace);
        ph->trace_part_us = calloc(rt->plan.n_partitions + 1, sizeof(double));
        ph->trace_part_dur_us = calloc(rt->plan.n_partitions + 1, sizeof(double));
        capture = ph->trace && ph->trace_part_us && ph->trace_part_dur_us;
    }
    if (rt->n_events >= SY_MAX_PROFILE_EVENTS) ph->dropped_events++;
    for (uint32_t i = 0; i < rt->n_events; i++) {
        const sy_profile_event *e = &rt->events[i];
        if (!e->end_ns || e->end_ns < e->begin_ns) continue; // never closed
        double ms = (double)(e->end_ns - e->begin_ns) / 1e6;
        int node = find_node(e->name);
        if (node >= 0) {
            ph->node_ms[node] += ms;
            ph->node_seen[node] = 1;
        } else {
            uint32_t k = 0;
            const char *name = e->name ? e->name : "(unnamed)";
            while (k < ph->n_other && strncmp(ph->other[k].name, name, sizeof ph->other[k].name - 1)) k++;
            if (k == ph->n_other && k < SY_BENCH_MAX_OTHER) {
                snprintf(ph->other[k].name, sizeof ph->other[k].name, "%s", name);
                ph->other[k].partition = e->partition;
                ph->n_other++;
            }
            if (k < ph->n_other) ph->other[k].ms += ms;
        }
        if (capture) {
            sy_bench_event *te = &ph->trace[ph->n_trace++];
            snprintf(te->name, sizeof te->name, "%s", e->name ? e->name : "(unnamed)");
            te->partition = e->partition;
            te->node = node;
            te->begin_us = ((double)e->begin_ns - (double)t0) / 1e3;
            te->end_us = ((double)e->end_ns - (double)t0) / 1e3;
        }
    }
    if (capture) {
        ph->trace_exec_us = ((double)t1 - (double)t0) / 1e3;
        for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
            ph->trace_part_us[p] = ((double)rt->parts[p].last_begin_ns - (double)t0) / 1e3;
            ph->trace_part_dur_us[p] = (double)rt->parts[p].last_ns / 1e3;
        }
    }
}

static void compare_outputs(sy_bench *b, sy_runtime *rt, sy_bench_config *c, uint32_t step) {
    for (uint32_t o = 0; o < b->n_outputs; o++) {
        sy_bench_diff *d = &c->diffs[o];
        const float *ref = b->ref[step * b->n_outputs + o];
        int64_t ref_n = b->ref_n[step * b->n_outputs + o];
        sy_tensor t;
        if (sy_runtime_get_output(rt, b->g->values[b->output_values[o]].name, &t) != SY_OK ||
            sy_tensor_numel(&t) != ref_n) {
            d->n_bad += (uint64_t)ref_n;
            d->max_abs = INFINITY;
            continue;
        }
        for (int64_t i = 0; i < ref_n; i++) {
            double x = element(&t, i), r = ref[i], diff = fabs(x - r);
            if (isnan(diff)) diff = INFINITY;
            if (diff > d->max_abs) d->max_abs = diff;
            if (fabs(r) > d->max_rel) d->max_rel = fabs(r); // the reference's scale, divided out at the end
            if (!(diff <= b->atol + b->rtol * fabs(r))) d->n_bad++;
        }
        d->n += (uint64_t)ref_n;
    }
}

static sy_status store_reference(sy_bench *b, sy_runtime *rt, uint32_t step) {
    for (uint32_t o = 0; o < b->n_outputs; o++) {
        sy_tensor t;
        SY_TRY(sy_runtime_get_output(rt, b->g->values[b->output_values[o]].name, &t));
        int64_t n = sy_tensor_numel(&t);
        SY_CHECK(n >= 0, SY_ERR_INTERNAL, "output '%s' has an invalid shape", b->g->values[b->output_values[o]].name);
        float *copy = malloc((size_t)(n ? n : 1) * sizeof *copy);
        if (!copy) return SY_ERR_OUT_OF_MEMORY;
        for (int64_t i = 0; i < n; i++) copy[i] = (float)element(&t, i);
        b->ref[step * b->n_outputs + o] = copy;
        b->ref_n[step * b->n_outputs + o] = n;
    }
    return SY_OK;
}

/// One repetition's bookkeeping, shared by the plain loop and the generator's step hook.
typedef struct rep_ctx {
    sy_bench *b;
    sy_bench_config *c;
    rep_kind kind;
    uint32_t s;   // steps done in this repetition
    sy_status st; // a failure inside the hook
} rep_ctx;

/// What one execute (step x->s, of `phase`) adds to the results.
static void record_step(rep_ctx *x, sy_runtime *rt, uint32_t phase, uint64_t t0, uint64_t t1) {
    sy_bench *b = x->b;
    uint32_t s = x->s++;
    if (x->kind == REP_WARMUP || s >= b->n_steps) return;
    if (x->kind == REP_REFERENCE) {
        if (x->st == SY_OK) x->st = store_reference(b, rt, s);
        return;
    }
    sy_bench_config *c = x->c;
    sy_bench_phase *ph = &c->phases[phase];
    if (x->kind == REP_TIMED) {
        ph->samples[ph->n_samples++] = (double)(t1 - t0) / 1e6;
        for (uint32_t p = 0; p < rt->plan.n_partitions; p++) ph->part_ms[p] += (double)rt->parts[p].last_ns / 1e6;
        ph->copy_bytes += (double)rt->last_copy_bytes;
    } else if (x->kind == REP_PROFILED) {
        ph->n_profiled++;
        ph->profiled_ms += (double)(t1 - t0) / 1e6;
        harvest_events(rt, ph, t0, t1);
        if (c->checked) compare_outputs(b, rt, c, s);
    }
}

static void on_generator_step(void *user, sy_runtime *rt, const sy_generator_step *step) {
    record_step(user, rt, step->decode ? 1 : 0, step->begin_ns, step->end_ns);
}

/// LLM mode through the generator (the same calls and stats as `switchyard generate`): prefill
/// of the prompt in chunks, the first token sampled (greedy), then the decode steps fed the
/// benchmark's tokens, so every configuration and the reference see the same inputs.
static sy_status run_rep_llm(sy_bench *b, sy_generator *gen, double *ttft, double *prefill_tok_s,
                             double *decode_tok_s) {
    SY_TRY(sy_generator_reset(gen));
    SY_TRY(sy_generator_prefill(gen, b->tokens, (size_t)b->prompt_len));
    int32_t first = -1;
    SY_TRY(sy_generator_sample(gen, &first));
    b->first_token = first;
    for (int64_t i = 0; i < b->decode; i++) SY_TRY(sy_generator_decode(gen, b->tokens[b->prompt_len + i]));
    sy_generate_stats st;
    SY_TRY(sy_generator_get_stats(gen, &st));
    if (ttft) *ttft = st.ttft_ms;
    if (prefill_tok_s) *prefill_tok_s = st.prefill_tok_s;
    if (decode_tok_s) *decode_tok_s = st.decode_tok_s;
    return SY_OK;
}

/// One repetition. LLM figures (ms, tokens/s) are written when the pointers are not NULL.
/// `x` is the context the generator's step hook was given (LLM mode; gen not NULL).
static sy_status run_rep(sy_bench *b, sy_runtime *rt, sy_generator *gen, rep_ctx *x, double *ttft,
                         double *prefill_tok_s, double *decode_tok_s) {
    x->s = 0;
    x->st = SY_OK;
    if (x->kind == REP_PROFILED) SY_TRY(sy_runtime_set_profiling(rt, 1));
    sy_status st;
    if (gen) {
        st = run_rep_llm(b, gen, ttft, prefill_tok_s, decode_tok_s);
    } else {
        st = has_state(b->g) ? sy_runtime_reset_state(rt) : SY_OK;
        if (st == SY_OK) st = set_plain_inputs(b, rt);
        uint64_t t0 = sy_now_ns();
        if (st == SY_OK) st = sy_runtime_execute(rt);
        if (st == SY_OK) record_step(x, rt, 0, t0, sy_now_ns());
    }
    if (x->kind == REP_PROFILED) sy_runtime_set_profiling(rt, 0);
    SY_TRY(st);
    return x->st;
}

/// The generator of a runtime in LLM mode (NULL in plain mode or on failure, then *st says why).
static sy_generator *make_generator(sy_bench *b, sy_runtime *rt, rep_ctx *x, sy_status *st) {
    if (!b->llm) return NULL;
    sy_generator_options o = {.on_step = on_generator_step, .step_user = x, .max_chunk = b->max_tokens};
    sy_generator *gen = NULL;
    *st = sy_generator_create(b->program, rt, &o, &gen);
    return gen;
}

// --- the reference ---

static void run_reference(sy_bench *b) {
    b->ref = calloc((size_t)b->n_steps * b->n_outputs + 1, sizeof *b->ref);
    b->ref_n = calloc((size_t)b->n_steps * b->n_outputs + 1, sizeof *b->ref_n);
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    sy_program *prog = NULL; // its own mapping, unmapped after, so its pages do not add to later peaks
    sy_status st = b->ref && b->ref_n ? SY_OK : SY_ERR_OUT_OF_MEMORY;
    if (st == SY_OK) st = sy_program_load(b->path, &prog);
    if (st == SY_OK) st = sy_config_create(&cfg);
    if (st == SY_OK) st = sy_config_set_backends(cfg, "portable");
    if (st == SY_OK) st = sy_runtime_create(prog, cfg, &rt);
    rep_ctx x = {.b = b, .kind = REP_REFERENCE};
    sy_generator *gen = st == SY_OK ? make_generator(b, rt, &x, &st) : NULL;
    if (st == SY_OK) st = run_rep(b, rt, gen, &x, NULL, NULL, NULL);
    sy_generator_destroy(gen);
    b->ref_ok = st == SY_OK;
    if (!b->ref_ok)
        snprintf(b->ref_error, sizeof b->ref_error, "the portable reference failed: %s",
                 sy_last_error()[0] ? sy_last_error() : sy_status_name(st));
    sy_runtime_destroy(rt);
    sy_program_destroy(prog);
    sy_config_destroy(cfg);
    sorted_graph = NULL; // it was the runtime's
    free(sorted_nodes);
    sorted_nodes = NULL;
}

// --- one configuration ---

static void set_reason(sy_bench_config *c, sy_bench_status status, const char *fmt, const char *a, const char *b2) {
    c->status = status;
    snprintf(c->reason, sizeof c->reason, fmt, a, b2);
}

/// Checks every backend the configuration names before creating anything: unknown names (not
/// built, no plugin) and delegates that say they cannot run here make it UNAVAILABLE.
static int check_available(sy_bench_config *c, const sy_config *cfg) {
    sy_delegate_ref *refs = NULL;
    uint32_t n = 0;
    if (sy_registry_collect(cfg, 0, &refs, &n) != SY_OK) { // a --plugin that fails to load says why
        set_reason(c, SY_BENCH_FAILED, "%s%s", sy_last_error(), "");
        return 0;
    }
    char list[256], known[256] = "";
    sy_strbuf sb;
    sy_strbuf_init(&sb, known, sizeof known);
    for (uint32_t i = 0; i < n; i++) sy_strbuf_addf(&sb, "%s%s", i ? ", " : "", refs[i].vt->name);
    snprintf(list, sizeof list, "%s", c->backends);
    int ok = 1;
    // strtok_r: a delegate's available() may call strtok itself (the Vulkan loader does).
    char *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name && ok; name = strtok_r(NULL, ",", &save)) {
        const sy_delegate_ref *ref = sy_registry_find(refs, n, name);
        char why[SY_REASON_MAX];
        if (!ref) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "backend '%s' is not built into this binary and no plugin provides it (known: %s)", name, known);
            set_reason(c, SY_BENCH_UNAVAILABLE, "%s%s", msg, "");
            ok = 0;
        } else if (!sy_delegate_available(ref->vt, why, sizeof why)) {
            set_reason(c, SY_BENCH_UNAVAILABLE, "backend '%s' is unavailable: %s", name, why);
            ok = 0;
        }
    }
    sy_registry_release(refs, n);
    return ok;
}

static int alloc_phases(sy_bench *b, sy_bench_config *c) {
    c->n_phases = b->n_phases;
    for (uint32_t ph = 0; ph < b->n_phases; ph++) {
        uint32_t per_rep = 0;
        for (uint32_t s = 0; s < b->n_steps; s++) per_rep += b->steps[s].phase == ph;
        sy_bench_phase *P = &c->phases[ph];
        P->name = b->phase_names[ph];
        P->tokens = b->llm ? b->phase_tokens[ph] : 0;
        P->samples = calloc((size_t)per_rep * (b->iters > 0 ? b->iters : 1) + 1, sizeof *P->samples);
        P->part_ms = calloc(c->n_partitions + 1, sizeof *P->part_ms);
        P->node_ms = calloc(c->n_nodes + 1, sizeof *P->node_ms);
        P->node_seen = calloc(c->n_nodes + 1, 1);
        if (!P->samples || !P->part_ms || !P->node_ms || !P->node_seen) return 0;
    }
    c->diffs = calloc(b->n_outputs + 1, sizeof *c->diffs);
    if (!c->diffs) return 0;
    c->n_diffs = b->n_outputs;
    for (uint32_t o = 0; o < b->n_outputs; o++)
        snprintf(c->diffs[o].name, sizeof c->diffs[o].name, "%s", b->g->values[b->output_values[o]].name);
    return 1;
}

/// Copies what the results need of the plan; the runtime's graph is the program's after graph
/// passes (fusion, dead code), so nodes are counted and named from it. Returns 0 when out of memory.
static int copy_plan(sy_bench_config *c, const sy_runtime *rt) {
    const sy_graph_view *g = rt->g;
    c->n_partitions = rt->plan.n_partitions;
    c->n_nodes = g->n_nodes;
    c->part_backend = calloc(c->n_partitions + 1, sizeof *c->part_backend);
    c->part_nodes = calloc(c->n_partitions + 1, sizeof *c->part_nodes);
    c->node_part = calloc(g->n_nodes + 1, sizeof *c->node_part);
    c->node_op = calloc(g->n_nodes + 1, sizeof *c->node_op);
    free(sorted_nodes);
    sorted_graph = g;
    sorted_nodes = malloc((g->n_nodes + 1) * sizeof *sorted_nodes);
    if (!c->part_backend || !c->part_nodes || !c->node_part || !c->node_op || !sorted_nodes) return 0;
    for (uint32_t n = 0; n < g->n_nodes; n++) sorted_nodes[n] = n;
    qsort(sorted_nodes, g->n_nodes, sizeof *sorted_nodes, cmp_node_name);
    for (uint32_t p = 0; p < c->n_partitions; p++) {
        snprintf(c->part_backend[p], sizeof c->part_backend[p], "%s",
                 rt->backends[rt->plan.partitions[p].backend].ref.vt->name);
        c->part_nodes[p] = rt->plan.partitions[p].n_nodes;
    }
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        c->node_part[n] = rt->plan.node_partition[n];
        c->node_op[n] = g->nodes[n].op;
    }
    if (rt->notes && rt->notes[0]) c->notes = strdup(rt->notes);
    sy_runtime_stats stats;
    if (sy_runtime_get_stats(rt, &stats) == SY_OK) {
        c->arena_bytes = stats.arena_bytes;
        c->packed_bytes = stats.packed_bytes;
        c->state_bytes = stats.state_bytes;
    }
    return 1;
}

/// Whether a profiling event that is not a graph node moves data. Delegates name such events
/// freely; these are the words they use for it (case-insensitive).
static int is_copy_event(const char *name) {
    static const char *const words[] = {"copy",     "upload",  "download", "transfer", "sync",
                                        "readback", "staging", "h2d",      "d2h",      "memcpy"};
    char lower[64];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof lower; n++) lower[n] = (char)tolower((unsigned char)name[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(lower, words[i])) return 1;
    return 0;
}

static void finish_phases(sy_bench_config *c, uint32_t n_nodes) {
    for (uint32_t ph = 0; ph < c->n_phases; ph++) {
        sy_bench_phase *P = &c->phases[ph];
        P->latency = sy_bench_stats_of(P->samples, P->n_samples);
        double parts = 0;
        for (uint32_t p = 0; P->n_samples && p < c->n_partitions; p++) {
            P->part_ms[p] /= P->n_samples;
            parts += P->part_ms[p];
        }
        if (P->n_samples) {
            P->copy_bytes /= P->n_samples;
            P->overhead_ms = P->latency.mean - parts;
        }
        if (P->n_profiled) {
            P->profiled_ms /= P->n_profiled;
            for (uint32_t n = 0; n < n_nodes; n++) P->node_ms[n] /= P->n_profiled;
            for (uint32_t k = 0; k < P->n_other; k++) {
                P->other[k].ms /= P->n_profiled;
                P->other[k].copy = is_copy_event(P->other[k].name);
                P->other_ms += P->other[k].ms;
                if (P->other[k].copy) P->copy_ms += P->other[k].ms;
            }
        }
    }
}

/// Warmup, timed and profiled repetitions of configuration ci on its runtime (LLM figures of
/// the timed ones into ttft/pre/dec, one per iteration).
static sy_status run_reps(sy_bench *b, uint32_t ci, sy_runtime *rt, double *ttft, double *pre, double *dec) {
    sy_status st = SY_OK;
    rep_ctx x = {.b = b, .c = &b->configs[ci]};
    sy_generator *gen = make_generator(b, rt, &x, &st);
    x.kind = REP_WARMUP;
    for (int i = 0; st == SY_OK && i < b->warmup; i++) {
        progress(b, ci, "warmup", i, b->warmup);
        st = run_rep(b, rt, gen, &x, NULL, NULL, NULL);
    }
    x.kind = REP_TIMED;
    for (int i = 0; st == SY_OK && i < b->iters; i++) {
        progress(b, ci, "timed", i, b->iters);
        st = run_rep(b, rt, gen, &x, &ttft[i], &pre[i], &dec[i]);
    }
    if (st == SY_OK) {
        progress(b, ci, "profiled run", 0, 0);
        x.kind = REP_PROFILED;
        st = run_rep(b, rt, gen, &x, NULL, NULL, NULL);
    }
    sy_generator_destroy(gen);
    return st;
}

static void run_config(sy_bench *b, uint32_t ci) {
    sy_bench_config *c = &b->configs[ci];
    progress(b, ci, "preparing", 0, 0);
    sy_config *cfg = sy_cli_make_config(&b->backend_args, b->config_list[ci]);
    if (!cfg) {
        snprintf(c->backends, sizeof c->backends, "%s", b->config_list[ci]);
        set_reason(c, SY_BENCH_FAILED, "bad configuration: %s%s", sy_last_error(), "");
        return;
    }
    snprintf(c->backends, sizeof c->backends, "%s", sy_config_get_backends(cfg));
    sy_program *prog = NULL;
    sy_runtime *rt = NULL;
    if (!check_available(c, cfg)) goto done;
    double t0 = now_ms();
    if (sy_program_load(b->path, &prog) != SY_OK) {
        set_reason(c, SY_BENCH_FAILED, "loading the program failed: %s%s", sy_last_error(), "");
        goto done;
    }
    c->load_ms = now_ms() - t0;
    progress(b, ci, "compiling", 0, 0);
    t0 = now_ms();
    sy_status st = sy_runtime_create(prog, cfg, &rt);
    c->compile_ms = now_ms() - t0;
    if (st != SY_OK) {
        set_reason(c, st == SY_ERR_UNAVAILABLE ? SY_BENCH_UNAVAILABLE : SY_BENCH_FAILED, "%s%s", sy_last_error(), "");
        goto done;
    }
    for (uint32_t i = 0; i < rt->n_backends; i++) // a create failure under the fallback policy
        if (!rt->backends[i].available) {
            set_reason(c, SY_BENCH_UNAVAILABLE, "backend '%s' is unavailable: %s", rt->backends[i].ref.vt->name,
                       rt->backends[i].reason);
            goto done;
        }
    if (!copy_plan(c, rt) || !alloc_phases(b, c)) {
        set_reason(c, SY_BENCH_FAILED, "out of memory%s%s", "", "");
        goto done;
    }
    c->checked = b->check && b->ref_ok;
    double *ttft = calloc((size_t)b->iters + 1, sizeof(double)), *pre = calloc((size_t)b->iters + 1, sizeof(double)),
           *dec = calloc((size_t)b->iters + 1, sizeof(double));
    st = ttft && pre && dec ? SY_OK : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == SY_OK) st = run_reps(b, ci, rt, ttft, pre, dec);
    if (st != SY_OK) {
        set_reason(c, SY_BENCH_FAILED, "execute failed: %s%s", sy_last_error(), "");
    } else {
        finish_phases(c, c->n_nodes);
        if (b->llm && b->iters > 0) { // the generator's figures, as `switchyard generate` reports them
            c->ttft_ms = sy_bench_stats_of(ttft, (uint32_t)b->iters).median;
            c->prefill_tok_s = sy_bench_stats_of(pre, (uint32_t)b->iters).median;
            c->decode_tok_s = b->decode ? sy_bench_stats_of(dec, (uint32_t)b->iters).median : 0;
        }
        c->outputs_match = 1;
        for (uint32_t o = 0; c->checked && o < c->n_diffs; o++) {
            sy_bench_diff *d = &c->diffs[o];
            double scale = d->max_rel; // max |ref| so far
            d->max_rel = scale > 0 ? d->max_abs / scale : d->max_abs > 0 ? INFINITY : 0;
            d->ok = d->n_bad == 0;
            c->outputs_match &= d->ok;
            if (d->max_abs > c->max_abs || isnan(d->max_abs)) c->max_abs = d->max_abs;
            if (d->max_rel > c->max_rel) c->max_rel = d->max_rel;
        }
    }
    free(ttft);
    free(pre);
    free(dec);
done : {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) c->peak_rss_kb = ru.ru_maxrss;
}
    sy_runtime_destroy(rt);
    sy_program_destroy(prog);
    sy_config_destroy(cfg);
}

int sy_bench_run(sy_bench *b) {
    if (b->progress == 2 && !isatty(2)) b->progress = 1;
    if (prepare(b)) return 1;
    if (b->check) {
        progress(b, b->n_config_list, "computing the reference", 0, 0);
        run_reference(b);
        if (!b->ref_ok) fprintf(stderr, "switchyard bench: %s; outputs are not compared\n", b->ref_error);
    }
    b->baseline = -1;
    for (uint32_t ci = 0; ci < b->n_config_list; ci++) {
        b->n_configs = ci + 1;
        run_config(b, ci);
        if (b->baseline < 0 && b->configs[ci].status == SY_BENCH_OK) b->baseline = (int)ci;
    }
    progress_done(b);
    for (uint32_t ci = 0; b->baseline >= 0 && ci < b->n_configs; ci++) {
        sy_bench_config *c = &b->configs[ci], *base = &b->configs[b->baseline];
        if (c->status != SY_BENCH_OK) continue;
        for (uint32_t ph = 0; ph < c->n_phases; ph++)
            c->speedup[ph] =
                c->phases[ph].latency.median > 0 ? base->phases[ph].latency.median / c->phases[ph].latency.median : 0;
    }
    return 0;
}

void sy_bench_free(sy_bench *b) {
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        sy_bench_config *c = &b->configs[ci];
        for (uint32_t ph = 0; ph < SY_BENCH_MAX_PHASES; ph++) {
            sy_bench_phase *P = &c->phases[ph];
            free(P->samples);
            free(P->part_ms);
            free(P->node_ms);
            free(P->node_seen);
            free(P->trace);
            free(P->trace_part_us);
            free(P->trace_part_dur_us);
        }
        free(c->notes);
        free(c->part_backend);
        free(c->part_nodes);
        free(c->node_part);
        free(c->node_op);
        free(c->diffs);
    }
    for (uint32_t i = 0; i < b->n_inputs; i++) free(b->inputs[i].data);
    free(b->inputs);
    free(b->input_names);
    free(b->tokens);
    free(b->steps);
    for (uint32_t i = 0; b->ref && i < b->n_steps * b->n_outputs; i++) free(b->ref[i]);
    free(b->ref);
    free(b->ref_n);
    free(b->output_values);
    free(sorted_nodes);
    sorted_nodes = NULL;
    sy_program_destroy(b->program);
}
