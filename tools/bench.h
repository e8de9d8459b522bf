#pragma once

// `switchyard bench`: the measurements (tools/bench_run.c) and the ways of showing them
// (bench_table.c: terminal, bench_json.c, bench_svg.c, bench_trace.c). The command line lives
// in cmd_bench.c. Results are plain data copied out of each runtime, because a configuration's
// runtime is destroyed before the next one is created (so peak memory stays one model's worth).

#include <stddef.h>
#include <stdint.h>

#include "tools/cli.h"

#define SY_BENCH_MAX_CONFIGS 16
#define SY_BENCH_MAX_PHASES 2 // "execute", or "prefill" and "decode"
#define SY_BENCH_MAX_OTHER 16 // distinct profiling event names that are not graph nodes
#define SY_BENCH_MAX_SYMBOLS 8

typedef enum sy_bench_status {
    SY_BENCH_OK = 0,
    SY_BENCH_UNAVAILABLE = 1, // a backend of the configuration cannot run here (reason says why)
    SY_BENCH_FAILED = 2,      // creating or running the runtime failed (reason has the error)
} sy_bench_status;

/// Latency statistics in milliseconds.
typedef struct sy_bench_stats {
    double min, median, p90, mean, max;
    uint32_t n;
} sy_bench_stats;

/// A profiling event that is not a graph node (a copy, an upload, a sync), by name.
typedef struct sy_bench_other {
    char name[64];
    uint32_t partition; // where it was seen first
    double ms;          // mean per execute
    int copy;           // the name says it moves data (copy, upload, download, transfer, sync, ...)
} sy_bench_other;

/// One profiling event of the traced execute, relative to the start of that execute.
typedef struct sy_bench_event {
    char name[64];
    uint32_t partition;
    int32_t node; // node index in the runtime's graph, or -1 for events that are not nodes
    double begin_us, end_us;
} sy_bench_event;

/// What was measured for one kind of execute.
typedef struct sy_bench_phase {
    const char *name; // "execute", "prefill" or "decode"
    int64_t tokens;   // tokens per execute in LLM mode (prefill: per chunk), else 0
    double *samples;  // (n_samples) ms per execute, timed repetitions only
    uint32_t n_samples;
    sy_bench_stats latency;
    double *part_ms;    // (n_partitions) mean ms per execute, timed repetitions
    double overhead_ms; // mean execute minus the mean sum of partitions: the runtime's own time
    double copy_bytes;  // mean bytes per execute read across partition boundaries
    // the profiled repetition (profiling on; never mixed into the latency figures)
    uint32_t n_profiled;
    double profiled_ms; // mean execute with profiling on
    double *node_ms;    // (config n_nodes) mean ms per execute of each node's events
    uint8_t *node_seen; // (config n_nodes) 1 when some event named the node
    sy_bench_other other[SY_BENCH_MAX_OTHER];
    uint32_t n_other;
    double other_ms;         // sum of `other` (whole-subgraph events, copies, syncs)
    double copy_ms;          // sum of the `other` events that move data: time spent copying
    uint32_t dropped_events; // events past the runtime's buffer
    // one execute on a timeline, for --trace
    sy_bench_event *trace;
    uint32_t n_trace;
    double trace_exec_us;
    double *trace_part_us; // (n_partitions) start of each partition, relative (see bench_run.c)
    double *trace_part_dur_us;
} sy_bench_phase;

/// Difference of one output against the portable reference (max over every step).
typedef struct sy_bench_diff {
    char name[128];
    uint64_t n;     // elements compared (all steps)
    double max_abs; // max |x - ref|
    double max_rel; // max |x - ref| / max |ref|
    uint64_t n_bad; // elements with |x - ref| > atol + rtol * |ref| (NaN counts as bad)
    int ok;         // n_bad == 0
} sy_bench_diff;

/// Everything about one backend configuration.
typedef struct sy_bench_config {
    char backends[256]; // as the runtime saw it ("xnnpack,portable")
    sy_bench_status status;
    char reason[1024];
    char *notes; // fallback notes of the runtime (malloc'd, may be NULL)
    double load_ms, compile_ms;
    uint32_t n_partitions;
    char (*part_backend)[32]; // (n_partitions)
    uint32_t *part_nodes;     // (n_partitions) node count
    uint32_t n_nodes;         // nodes of the runtime's graph (after graph passes such as fusion)
    sy_op *node_op;           // (n_nodes) op of each of those nodes
    uint32_t *node_part;      // (n_nodes) partition of each node
    uint32_t n_phases;
    sy_bench_phase phases[SY_BENCH_MAX_PHASES];
    double speedup[SY_BENCH_MAX_PHASES]; // baseline median / this median, per phase (0: n/a)
    // LLM figures (medians over repetitions)
    double ttft_ms, prefill_tok_s, decode_tok_s;
    size_t arena_bytes, packed_bytes, state_bytes;
    long peak_rss_kb;     // process-wide and monotone: the peak after this configuration ran
    int checked;          // 1 when outputs were compared with the reference
    sy_bench_diff *diffs; // (n_diffs) one per graph output
    uint32_t n_diffs;
    double max_abs, max_rel;
    int outputs_match;
} sy_bench_config;

/// One set_input + execute of a repetition.
typedef struct sy_bench_step {
    uint32_t phase;
    int64_t start, n; // LLM: tokens [start, start+n) at positions start..; plain: unused
} sy_bench_step;

/// The whole benchmark: settings, the program, the reference outputs and the results.
typedef struct sy_bench {
    // settings
    const char *path;
    sy_cli_backend_args backend_args; // --config/--option/--plugin/--policy, for every config
    const char *config_list[SY_BENCH_MAX_CONFIGS];
    uint32_t n_config_list;
    int warmup, iters;
    uint64_t seed;
    int llm;
    int64_t prompt_len, decode;
    int check;
    double atol, rtol;
    int progress; // 0 quiet, 1 lines, 2 a live line on a terminal
    const char *sym_names[SY_BENCH_MAX_SYMBOLS];
    int64_t sym_values[SY_BENCH_MAX_SYMBOLS];
    uint32_t n_sym_overrides;
    // the program (kept loaded for names and shapes while results are shown)
    sy_program *program;
    const sy_graph_view *g;
    double program_load_ms;
    int64_t symbols[SY_MAX_SYMBOLS]; // values used in plain mode
    int64_t n_params;                // constant elements
    size_t constant_bytes;
    // inputs: plain mode tensors, or the LLM token sequence
    sy_tensor *inputs; // (n_inputs) plain mode, data malloc'd
    const char **input_names;
    uint32_t n_inputs;
    int32_t *tokens;    // (prompt_len + decode) LLM mode, fed through the generator
    int64_t vocab, max_seq, max_tokens;
    int64_t first_token; // greedy token after the last prefill (kept so the argmax is not optimised away)
    sy_bench_step *steps;
    uint32_t n_steps;
    const char *phase_names[SY_BENCH_MAX_PHASES];
    int64_t phase_tokens[SY_BENCH_MAX_PHASES];
    uint32_t n_phases;
    // reference outputs: ref[step * n_outputs + o], converted to float
    uint32_t *output_values; // (n_outputs) graph value ids of the outputs
    uint32_t n_outputs;
    float **ref;
    int64_t *ref_n;
    int ref_ok;
    char ref_error[512];
    // results
    sy_bench_config configs[SY_BENCH_MAX_CONFIGS];
    uint32_t n_configs;
    int baseline; // first configuration that ran, or -1
} sy_bench;

/// Loads the program, prepares inputs and the reference, then measures every configuration.
/// Returns 0, or 1 after printing why the benchmark as a whole could not run.
int sy_bench_run(sy_bench *b);
/// Frees everything sy_bench_run allocated.
void sy_bench_free(sy_bench *b);
/// Statistics of n samples (sorted copy; n may be 0).
sy_bench_stats sy_bench_stats_of(const double *samples, uint32_t n);

/// Prints the summary table and the per-configuration details.
void sy_bench_print(const sy_bench *b, FILE *f);
/// Writes the summary table as markdown (for reports). Returns 0, or 1 after printing the error.
int sy_bench_write_markdown(const sy_bench *b, const char *path);
/// Writes every figure as JSON. Returns 0, or 1 after printing the error.
int sy_bench_write_json(const sy_bench *b, const char *path);
/// Writes an SVG bar chart: latency per configuration, stacked by partition, coloured by backend.
int sy_bench_write_svg(const sy_bench *b, const char *path);
/// Writes a Chrome trace (chrome://tracing, Perfetto) of one execute per configuration and phase.
int sy_bench_write_trace(const sy_bench *b, const char *path);

/// Time of one op kind on one backend in a phase (from the profiled repetition).
typedef struct sy_bench_op_time {
    sy_op op;
    char backend[32];
    uint32_t count;    // nodes of that op on that backend
    uint32_t profiled; // of which some event named the node
    double ms;         // mean per execute
} sy_bench_op_time;

/// Aggregates a phase's per-node times by (op, backend), largest first. Returns the count
/// written (at most max).
uint32_t sy_bench_op_times(const sy_bench *b, const sy_bench_config *c, uint32_t phase, sy_bench_op_time *out,
                           uint32_t max);
/// "linear x8, silu x4": the ops of partition p, most frequent first.
void sy_bench_part_ops(const sy_bench *b, const sy_bench_config *c, uint32_t p, char *buf, size_t size);
/// "1.5 MB": bytes for humans.
const char *sy_bench_fmt_bytes(double bytes, char *buf, size_t size);

/// The op name of node n of a configuration's runtime graph ("linear").
const char *sy_bench_node_op(const sy_bench_config *c, uint32_t node);
/// A stable colour for a backend name ("#4e79a7").
const char *sy_bench_backend_color(const char *backend);
/// Writes s with XML (xml != 0) or JSON escaping.
void sy_bench_escape(FILE *f, const char *s, int xml);
