// `switchyard bench FILE --backends A --backends B,C ...`: compiles one program once per backend
// configuration and measures them side by side against the portable reference. The work is in
// bench_run.c; the outputs in bench_table.c, bench_json.c, bench_svg.c and bench_trace.c.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/registry.h"
#include "tools/bench.h"

static const char usage_text[] =
    "usage: switchyard bench FILE [options]\n"
    "\n"
    "Compiles FILE once per backend configuration and reports, per configuration: load+compile\n"
    "time, latency per execute (min/median/p90), speedup over the first configuration, partitions\n"
    "and where each op ran, time per partition and per op (profiled), bytes crossing partition\n"
    "boundaries, peak RSS, and the max abs/rel difference of every output against the portable\n"
    "backend on the same deterministic inputs. Unavailable configurations are listed with why.\n"
    "\n"
    "configurations:\n"
    "  --backends LIST       one configuration, e.g. xnnpack,portable (repeatable; default: portable,\n"
    "                        then NAME,portable for every other backend this binary knows)\n"
    "  --config/--option/--plugin/--policy apply to every configuration (see below)\n"
    "measuring:\n"
    "  --warmup N            warmup repetitions (default 3; LLM mode 1)\n"
    "  --iters N             timed repetitions (default 10; LLM mode 3)\n"
    "  --sym NAME=N          value of a symbolic dimension (default: its bound; repeatable)\n"
    "  --seed N              seed of the pseudo-random inputs (default 1)\n"
    "LLM mode (programs with forward(input_ids, cache_position)):\n"
    "  --prompt-len P        prompt tokens per repetition (default 32); the state is reset before each\n"
    "  --decode N            decode steps after the prompt (default 32); reports prefill and decode\n"
    "                        tokens/s and time to first token, like ExecuTorch's runner; runs on\n"
    "                        the generation API, so the figures are those `switchyard generate` reports\n"
    "checking:\n"
    "  --atol X, --rtol X    an output element is wrong when |x - ref| > atol + rtol*|ref| (1e-3, 1e-3)\n"
    "  --no-check            skip the portable reference run\n"
    "output:\n"
    "  --json FILE           every figure as JSON\n"
    "  --svg FILE            bar chart of latency per configuration, split by partition\n"
    "  --trace FILE          Chrome trace of one profiled execute per configuration\n"
    "  --markdown FILE       the summary table as markdown\n"
    "  --quiet               no progress indicator\n"
    "\n"
    "exit status: 0 done, 1 error, 2 usage, 3 some configuration's outputs differ from portable\n\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "switchyard bench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'switchyard bench --help')\n");
    return 2;
}

static int parse_int(const char *s, long long min, long long max, long long *out) {
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!s[0] || *end || v < min || v > max) return 0;
    *out = v;
    return 1;
}

static int parse_double(const char *s, double *out) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (!s[0] || *end || !(v >= 0)) return 0;
    *out = v;
    return 1;
}

/// portable, then NAME,portable for every other delegate known (built-ins and --plugin).
static int default_configs(sy_bench *b, char storage[][96]) {
    sy_config *cfg = sy_cli_make_config(&b->backend_args, "portable");
    if (!cfg) return 1;
    sy_delegate_ref *refs = NULL;
    uint32_t n = 0;
    if (sy_registry_collect(cfg, 1, &refs, &n) != SY_OK) {
        sy_config_destroy(cfg);
        return sy_cli_fail("bench");
    }
    b->config_list[b->n_config_list++] = "portable";
    for (uint32_t i = 0; i < n && b->n_config_list < SY_BENCH_MAX_CONFIGS; i++) {
        if (!strcmp(refs[i].vt->name, "portable")) continue;
        snprintf(storage[b->n_config_list], 96, "%s,portable", refs[i].vt->name);
        b->config_list[b->n_config_list] = storage[b->n_config_list];
        b->n_config_list++;
    }
    sy_registry_release(refs, n);
    sy_config_destroy(cfg);
    return 0;
}

int sy_cmd_bench(int argc, char **argv) {
    static sy_bench b; // large; one per process
    static char default_storage[SY_BENCH_MAX_CONFIGS][96];
    memset(&b, 0, sizeof b);
    b.warmup = b.iters = -1;
    b.seed = 1;
    b.check = 1;
    b.atol = b.rtol = 1e-3;
    b.progress = 2;
    const char *json = NULL, *svg = NULL, *trace = NULL, *markdown = NULL;
    long long prompt = -1, decode = -1, v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            fputs(sy_cli_backend_help, stdout);
            return 0;
        }
        if (!strcmp(a, "--backends")) {
            if (!has_value) return usage_error("%s needs a value", a);
            if (b.n_config_list >= SY_BENCH_MAX_CONFIGS)
                return usage_error("at most 16 --backends, got more at '%s'", argv[i + 1]);
            b.config_list[b.n_config_list++] = argv[++i];
            continue;
        }
        int r = sy_cli_backend_flag(&b.backend_args, argc, argv, &i);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "--quiet")) {
            b.progress = 0;
            continue;
        }
        if (!strcmp(a, "--no-check")) {
            b.check = 0;
            continue;
        }
        if (a[0] == '-' && a[1] == '-' && !has_value) return usage_error("%s needs a value (or is unknown)", a);
        const char *val = has_value ? argv[i + 1] : NULL;
        if (!strcmp(a, "--warmup") || !strcmp(a, "--iters")) {
            if (!parse_int(val, !strcmp(a, "--iters") ? 1 : 0, 1000000, &v)) return usage_error("bad count '%s'", val);
            *(!strcmp(a, "--iters") ? &b.iters : &b.warmup) = (int)v;
        } else if (!strcmp(a, "--prompt-len") || !strcmp(a, "--decode")) {
            if (!parse_int(val, !strcmp(a, "--decode") ? 0 : 1, 1 << 20, &v))
                return usage_error("bad token count '%s'", val);
            *(!strcmp(a, "--decode") ? &decode : &prompt) = v;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_int(val, 0, INT64_MAX, &v)) return usage_error("bad seed '%s'", val);
            b.seed = (uint64_t)v;
        } else if (!strcmp(a, "--atol") || !strcmp(a, "--rtol")) {
            if (!parse_double(val, !strcmp(a, "--atol") ? &b.atol : &b.rtol))
                return usage_error("bad tolerance '%s'", val);
        } else if (!strcmp(a, "--sym")) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val || !parse_int(eq + 1, 1, INT64_MAX, &v))
                return usage_error("--sym '%s' must be NAME=N", val);
            if (b.n_sym_overrides >= SY_BENCH_MAX_SYMBOLS) return usage_error("too many --sym at '%s'", val);
            static char names[SY_BENCH_MAX_SYMBOLS][64];
            snprintf(names[b.n_sym_overrides], sizeof names[0], "%.*s", (int)(eq - val), val);
            b.sym_names[b.n_sym_overrides] = names[b.n_sym_overrides];
            b.sym_values[b.n_sym_overrides++] = v;
        } else if (!strcmp(a, "--json"))
            json = val;
        else if (!strcmp(a, "--svg"))
            svg = val;
        else if (!strcmp(a, "--trace"))
            trace = val;
        else if (!strcmp(a, "--markdown"))
            markdown = val;
        else if (a[0] == '-')
            return usage_error("unknown option '%s'", a);
        else {
            if (b.path) return usage_error("one program at a time ('%s' is a second one)", a);
            b.path = a;
            continue;
        }
        i++;
    }
    if (!b.path) {
        fputs(usage_text, stderr);
        return 2;
    }
    b.llm = prompt >= 0 || decode >= 0;
    b.prompt_len = prompt >= 0 ? prompt : 32;
    b.decode = decode >= 0 ? decode : 32;
    if (b.warmup < 0) b.warmup = b.llm ? 1 : 3;
    if (b.iters < 0) b.iters = b.llm ? 3 : 10;
    if (b.n_config_list == 0 && default_configs(&b, default_storage)) return 1;

    int rc = sy_bench_run(&b);
    if (rc == 0) {
        sy_bench_print(&b, stdout);
        if (json) rc |= sy_bench_write_json(&b, json);
        if (svg) rc |= sy_bench_write_svg(&b, svg);
        if (trace) rc |= sy_bench_write_trace(&b, trace);
        if (markdown) rc |= sy_bench_write_markdown(&b, markdown);
        int mismatch = 0;
        for (uint32_t ci = 0; ci < b.n_configs; ci++)
            mismatch |= b.configs[ci].status == SY_BENCH_OK && b.configs[ci].checked && !b.configs[ci].outputs_match;
        if (rc == 0 && mismatch) rc = 3;
    }
    sy_bench_free(&b);
    return rc;
}
