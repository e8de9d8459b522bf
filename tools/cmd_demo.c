// switchyard demo: builds the demo decoder in memory, runs a prefill and greedy decode steps on
// every backend configuration, and checks each one's logits against the portable reference.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/strbuf.h"
#include "importers/decoder.h"
#include "runtime/registry.h"
#include "runtime/runtime.h"
#include "tools/cli.h"

static const char demo_help[] =
    "usage: switchyard demo [--save FILE] [--prompt-len P] [--decode N] [--size tiny|small]\n"
    "                       [--backends LIST]... [backend flags]\n"
    "\n"
    "Builds a small decoder-only transformer with a static KV cache in memory (RMSNorm, RoPE,\n"
    "grouped-query attention via sdpa_with_kv_cache, SwiGLU MLP; deterministic pseudo-random\n"
    "weights), runs a prefill of P tokens and N greedy decode steps on every backend\n"
    "configuration, and checks each configuration's logits against the portable reference.\n"
    "Without --backends it tries: portable, then each other built-in or plugin backend\n"
    "followed by portable, then vulkan,xnnpack,portable when both exist.\n"
    "Exits 1 when a configuration disagrees with the reference (max |diff| > 1e-3).\n"
    "'copy B/tok' is the host<->device bytes the delegates copied in the last decode step.\n"
    "\n"
    "  --save FILE       also write the program to FILE (.syp)\n"
    "  --prompt-len P    prompt tokens (default 8)\n"
    "  --decode N        decode steps (default 8)\n"
    "  --size S          tiny (default, 0.1M parameters) or small (about 15M)\n"
    "  --backends LIST   a configuration to run (repeatable; replaces the automatic list)\n"
    "\n";

#define MAX_CONFIGS 16
#define TOLERANCE 1e-3

typedef struct run_result {
    float *logits;   // ((P + N) * vocab) logits of the last position of every step
    int64_t *tokens; // (P + N + 1) prompt then generated
    double prefill_ms, decode_ms;
    uint32_t n_partitions;
    size_t copy_bytes; // host<->device bytes of the last decode step (delegate-reported)
    char layout[256];
    char devices[512];
} run_result;

static sy_status run_step(sy_runtime *rt, const int64_t *tokens, int64_t start, int64_t n, const float **last,
                          int64_t vocab) {
    int64_t pos[256];
    for (int64_t i = 0; i < n; i++) pos[i] = start + i;
    sy_tensor ids = {.data = (void *)tokens, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
    sy_tensor cp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
    sy_tensor out;
    SY_TRY(sy_runtime_set_input(rt, "input_ids", &ids));
    SY_TRY(sy_runtime_set_input(rt, "cache_position", &cp));
    SY_TRY(sy_runtime_execute(rt));
    SY_TRY(sy_runtime_get_output(rt, "logits", &out));
    *last = (const float *)out.data + (n - 1) * vocab;
    return SY_OK;
}

static int64_t argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/// Runs prompt + greedy decode. When `forced` is given (the reference's tokens), every
/// configuration is fed the same sequence so logits compare position by position.
static sy_status run_config(const sy_program *prog, sy_config *cfg, const sy_decoder_config *mc, int64_t P, int64_t N,
                            const int64_t *forced, run_result *r) {
    sy_runtime *rt = NULL;
    SY_TRY(sy_runtime_create(prog, cfg, &rt));
    r->n_partitions = rt->plan.n_partitions;
    sy_strbuf layout, devices;
    sy_strbuf_init(&layout, r->layout, sizeof r->layout);
    sy_strbuf_init(&devices, r->devices, sizeof r->devices);
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++)
        sy_strbuf_addf(&layout, "%s%s:%u", p ? " " : "", rt->backends[rt->plan.partitions[p].backend].ref.vt->name,
                       rt->plan.partitions[p].n_nodes);
    for (uint32_t b = 0; b < rt->n_backends; b++) {
        const sy_rt_backend *be = &rt->backends[b];
        if (be->instance && SY_DELEGATE_HAS(be->ref.vt, describe))
            sy_strbuf_addf(&devices, "%s%s: %s", devices.used ? "; " : "", be->ref.vt->name,
                           be->ref.vt->describe(be->instance));
    }
    const float *last = NULL;
    sy_status st = SY_OK;
    uint64_t t0 = sy_now_ns();
    st = run_step(rt, r->tokens, 0, P, &last, mc->vocab);
    r->prefill_ms = (double)(sy_now_ns() - t0) / 1e6;
    for (int64_t s = 0; st == SY_OK && s <= N; s++) {
        memcpy(r->logits + s * mc->vocab, last, sizeof(float) * (size_t)mc->vocab);
        r->tokens[P + s] = forced ? forced[P + s] : argmax(last, mc->vocab);
        if (s == N) break;
        uint64_t t1 = sy_now_ns();
        st = run_step(rt, r->tokens + P + s, P + s, 1, &last, mc->vocab);
        r->decode_ms += (double)(sy_now_ns() - t1) / 1e6;
    }
    if (N) r->decode_ms /= (double)N;
    sy_runtime_stats stats;
    sy_runtime_get_stats(rt, &stats);
    r->copy_bytes = stats.last_device_copy_bytes;
    sy_runtime_destroy(rt);
    return st;
}

static int parse_count(const char *flag, const char *v, int64_t lo, int64_t hi, int64_t *out) {
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "switchyard demo: %s must be an integer in [%lld, %lld], not '%s'\n", flag, (long long)lo,
                (long long)hi, v);
        return 0;
    }
    *out = x;
    return 1;
}

/// The automatic list: portable, each other known backend before portable, vulkan+xnnpack.
static int auto_configs(const sy_cli_backend_args *ba, char configs[][128]) {
    int n = 0;
    snprintf(configs[n++], 128, "portable");
    sy_config *cfg = sy_cli_make_config(ba, "portable");
    sy_delegate_ref *refs = NULL;
    uint32_t n_refs = 0;
    if (!cfg || sy_registry_collect(cfg, 1, &refs, &n_refs) != SY_OK) {
        sy_config_destroy(cfg);
        return n;
    }
    int have_x = 0, have_v = 0;
    for (uint32_t i = 0; i < n_refs && n < MAX_CONFIGS - 1; i++) {
        const char *name = refs[i].vt->name;
        if (!strcmp(name, "portable")) continue;
        have_x |= !strcmp(name, "xnnpack");
        have_v |= !strcmp(name, "vulkan");
        snprintf(configs[n++], 128, "%s,portable", name);
    }
    if (have_x && have_v) snprintf(configs[n++], 128, "vulkan,xnnpack,portable");
    sy_registry_release(refs, n_refs);
    sy_config_destroy(cfg);
    return n;
}

int sy_cmd_demo(int argc, char **argv) {
    sy_cli_backend_args ba;
    memset(&ba, 0, sizeof ba);
    const char *save = NULL, *size = "tiny";
    int64_t P = 8, N = 8;
    char configs[MAX_CONFIGS][128];
    int n_configs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s%s", demo_help, sy_cli_backend_help);
            return 0;
        }
        if (!strcmp(a, "--backends") && v) {
            if (n_configs == MAX_CONFIGS) { fprintf(stderr, "switchyard demo: too many --backends\n"); return 2; }
            snprintf(configs[n_configs++], sizeof configs[0], "%s", v);
            i++;
            continue;
        }
        int r = sy_cli_backend_flag(&ba, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!v) { fprintf(stderr, "switchyard demo: unexpected argument '%s' (see --help)\n", a); return 2; }
        if (!strcmp(a, "--save")) save = v;
        else if (!strcmp(a, "--size")) size = v;
        else if (!strcmp(a, "--prompt-len")) { if (!parse_count(a, v, 1, 16, &P)) return 2; }
        else if (!strcmp(a, "--decode")) { if (!parse_count(a, v, 0, 40, &N)) return 2; }
        else { fprintf(stderr, "switchyard demo: unexpected argument '%s' (see --help)\n", a); return 2; }
        i++;
    }
    sy_decoder_config mc = sy_decoder_tiny();
    if (!strcmp(size, "small")) {
        mc.vocab = 8192; mc.dim = 384; mc.n_layers = 6; mc.n_heads = 6; mc.n_kv_heads = 2; mc.hidden = 1024;
    } else if (strcmp(size, "tiny") != 0) {
        fprintf(stderr, "switchyard demo: --size must be tiny or small, not '%s'\n", size);
        return 2;
    }
    if (!n_configs) n_configs = auto_configs(&ba, configs);

    sy_graph *g = NULL;
    sy_program *prog = NULL;
    if (sy_decoder_build(&mc, &g) != SY_OK) return sy_cli_fail("demo: building the model");
    if (save && sy_graph_save(g, save) != SY_OK) {
        sy_graph_destroy(g);
        return sy_cli_fail("demo: saving");
    }
    sy_status st = sy_program_from_graph(g, &prog);
    sy_graph_destroy(g);
    if (st != SY_OK) return sy_cli_fail("demo");
    printf("demo decoder: vocab %lld, dim %lld, %lld layers, %lld/%lld heads, hidden %lld, cache %lld, %.2fM params%s%s\n",
           (long long)mc.vocab, (long long)mc.dim, (long long)mc.n_layers, (long long)mc.n_heads, (long long)mc.n_kv_heads,
           (long long)mc.hidden, (long long)mc.max_seq, (double)sy_decoder_n_params(&mc) / 1e6, save ? ", saved to " : "",
           save ? save : "");
    printf("prefill %lld tokens, then %lld greedy decode steps\n\n", (long long)P, (long long)N);

    size_t n_logits = (size_t)((N + 1) * mc.vocab);
    run_result ref = {0}, cur = {0};
    ref.logits = calloc(n_logits, sizeof(float));
    ref.tokens = calloc((size_t)(P + N + 2), sizeof(int64_t));
    cur.logits = calloc(n_logits, sizeof(float));
    cur.tokens = calloc((size_t)(P + N + 2), sizeof(int64_t));
    int failures = 0;
    if (!ref.logits || !ref.tokens || !cur.logits || !cur.tokens) {
        fprintf(stderr, "switchyard demo: out of memory\n");
        return 1;
    }
    for (int64_t i = 0; i < P; i++) ref.tokens[i] = (i * 37 + 11) % mc.vocab;
    sy_config *cfg = sy_cli_make_config(&ba, "portable");
    if (!cfg) return 1;
    st = run_config(prog, cfg, &mc, P, N, NULL, &ref);
    sy_config_destroy(cfg);
    if (st != SY_OK) return sy_cli_fail("demo: portable reference");

    printf("%-28s %-10s %-28s %12s %14s %12s %12s  %s\n", "backends", "partitions", "layout (backend:nodes)",
           "prefill ms", "decode ms/tok", "copy B/tok", "max |diff|", "result");
    for (int c = 0; c < n_configs; c++) {
        memcpy(cur.tokens, ref.tokens, sizeof(int64_t) * (size_t)(P + N + 1));
        cur.prefill_ms = cur.decode_ms = 0;
        cfg = sy_cli_make_config(&ba, configs[c]);
        if (!cfg) return 1;
        st = run_config(prog, cfg, &mc, P, N, ref.tokens, &cur);
        sy_config_destroy(cfg);
        if (st != SY_OK) {
            printf("%-28s unavailable or failed: %s\n", configs[c], sy_last_error());
            if (strstr(configs[c], "vulkan") && getenv("SWITCHYARD_REQUIRE_VULKAN") &&
                !strcmp(getenv("SWITCHYARD_REQUIRE_VULKAN"), "1"))
                failures++;
            continue;
        }
        double diff = 0;
        for (size_t i = 0; i < n_logits; i++) {
            double d = fabs((double)cur.logits[i] - (double)ref.logits[i]);
            if (!(d <= diff)) diff = d; // NaN counts as a mismatch
        }
        int ok = diff <= TOLERANCE;
        failures += !ok;
        printf("%-28s %-10u %-28s %12.3f %14.3f %12zu %12.2e  %s\n", configs[c], cur.n_partitions, cur.layout,
               cur.prefill_ms, cur.decode_ms, cur.copy_bytes, diff, ok ? "OK" : "MISMATCH");
        if (cur.devices[0]) printf("    %s\n", cur.devices);
    }
    printf("\ngenerated tokens (portable reference):");
    for (int64_t i = P; i <= P + N; i++) printf(" %lld", (long long)ref.tokens[i]);
    printf("\n");
    free(ref.logits);
    free(ref.tokens);
    free(cur.logits);
    free(cur.tokens);
    sy_program_destroy(prog);
    if (failures) fprintf(stderr, "switchyard demo: %d configuration(s) disagree with the portable reference\n", failures);
    return failures ? 1 : 0;
}
