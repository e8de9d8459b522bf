// bench_dispatch: the runtime's own cost per execute, per node and per partition, measured on
// graphs whose kernels cost next to nothing (chains of adds on 8 floats), so that a regression
// in the core (shape resolution, partition dispatch, profiling hooks) shows up as nanoseconds.
//
//   bench_dispatch [--plugin PATH] [--nodes K] [--seconds S] [--json FILE]
//
// The "noop" delegate plugin (benchmarks/noop_delegate.c) runs the adds with no shape inference;
// pinning every other node to it splits a chain of K nodes into K partitions.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

#ifndef SY_BENCH_NOOP_PLUGIN
#define SY_BENCH_NOOP_PLUGIN ""
#endif

#define WIDTH 8

typedef struct result {
    const char *name;
    double mean_ns, median_ns;
    uint32_t n_partitions;
    uint64_t iters;
} result;

static int fail(const char *what) {
    fprintf(stderr, "bench_dispatch: %s: %s\n", what, sy_last_error());
    return 1;
}

/// x [1, WIDTH] -> K adds of a constant -> y. Node i is "even.i" or "odd.i" (for pin rules).
static sy_status chain(int k, sy_program **out) {
    sy_graph *g = NULL;
    sy_status st = sy_graph_create(&g);
    uint32_t x = 0, c = 0;
    float ones[WIDTH];
    for (int i = 0; i < WIDTH; i++) ones[i] = 1.0f;
    int64_t dims[2] = {1, WIDTH};
    sy_value_desc d = {.name = "x",
                       .dtype = SY_DTYPE_F32,
                       .role = SY_ROLE_INPUT,
                       .rank = 2,
                       .dims = {1, WIDTH},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    if (st == SY_OK) st = sy_graph_add_value(g, &d, &x);
    if (st == SY_OK) st = sy_graph_add_constant(g, "one", SY_DTYPE_F32, 2, dims, ones, sizeof ones, &c);
    for (int i = 0; i < k && st == SY_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s.%d", i % 2 ? "odd" : "even", i);
        uint32_t in[2] = {x, c};
        st = sy_graph_add_op(g, name, SY_OP_ADD, in, 2, NULL, 0, &x);
    }
    if (st == SY_OK) st = sy_graph_set_output(g, x, "y");
    if (st == SY_OK) st = sy_program_from_graph(g, out);
    sy_graph_destroy(g);
    return st;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/// Executes for about `seconds` after a warmup; fills mean and median per execute.
static int measure(sy_runtime *rt, double seconds, int profiling, result *r) {
    float x[WIDTH] = {0};
    sy_tensor t = {.data = x, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {1, WIDTH}};
    if (sy_runtime_set_input(rt, "x", &t) != SY_OK || sy_runtime_set_profiling(rt, profiling) != SY_OK)
        return fail(r->name);
    for (int i = 0; i < 200; i++)
        if (sy_runtime_execute(rt) != SY_OK) return fail(r->name);
    enum { MAX_SAMPLES = 1 << 20 };
    double *samples = malloc(MAX_SAMPLES * sizeof *samples);
    if (!samples) return 1;
    uint64_t start = sy_now_ns(), budget = (uint64_t)(seconds * 1e9), n = 0;
    double total = 0;
    while (n < MAX_SAMPLES && sy_now_ns() - start < budget) {
        uint64_t t0 = sy_now_ns();
        sy_status st = sy_runtime_execute(rt);
        uint64_t t1 = sy_now_ns();
        if (st != SY_OK) {
            free(samples);
            return fail(r->name);
        }
        samples[n++] = (double)(t1 - t0);
        total += (double)(t1 - t0);
    }
    qsort(samples, n, sizeof *samples, cmp_double);
    r->iters = n;
    r->mean_ns = total / (double)n;
    r->median_ns = samples[n / 2];
    r->n_partitions = rt->plan.n_partitions;
    free(samples);
    return 0;
}

/// Builds a runtime over a chain of k nodes with `backends`, pinning "odd.*" to noop if asked.
static int run_case(const char *plugin, int k, const char *backends, int pin_odd, double seconds, int profiling,
                    result *r) {
    sy_program *p = NULL;
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    int rc = 1;
    if (chain(k, &p) != SY_OK || sy_config_create(&cfg) != SY_OK) goto out;
    if (sy_config_set_backends(cfg, backends) != SY_OK) goto out;
    if (plugin[0] && sy_config_add_plugin(cfg, plugin) != SY_OK) goto out;
    if (pin_odd && sy_config_add_rule(cfg, SY_RULE_PIN, "odd.*", "noop") != SY_OK) goto out;
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    if (sy_runtime_create(p, cfg, &rt) != SY_OK) goto out;
    rc = measure(rt, seconds, profiling, r);
out:
    if (rc && !rt) fail(r->name);
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(p);
    return rc;
}

int main(int argc, char **argv) {
    const char *plugin = SY_BENCH_NOOP_PLUGIN, *json = NULL;
    int k = 64;
    double seconds = 0.3;
    for (int i = 1; i < argc; i++) {
        int more = i + 1 < argc;
        if (!strcmp(argv[i], "--plugin") && more)
            plugin = argv[++i];
        else if (!strcmp(argv[i], "--nodes") && more)
            k = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && more)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json") && more)
            json = argv[++i];
        else {
            fprintf(stderr, "usage: bench_dispatch [--plugin PATH] [--nodes K] [--seconds S] [--json FILE]\n");
            return 2;
        }
    }
    if (k < 2 || k > 4096 || !(seconds > 0)) {
        fprintf(stderr, "bench_dispatch: --nodes must be in [2, 4096] and --seconds > 0\n");
        return 2;
    }
    char n_portable[64], n_noop[64], n_split[64], n_prof[64];
    snprintf(n_portable, sizeof n_portable, "%d nodes, 1 portable partition", k);
    snprintf(n_noop, sizeof n_noop, "%d nodes, 1 noop partition", k);
    snprintf(n_split, sizeof n_split, "%d nodes, %d partitions (alternating)", k, k);
    snprintf(n_prof, sizeof n_prof, "%d nodes, 1 portable partition, profiling on", k);
    result r[6] = {{.name = "1 node, 1 portable partition"},
                   {.name = n_portable},
                   {.name = "1 node, 1 noop partition"},
                   {.name = n_noop},
                   {.name = n_split},
                   {.name = n_prof}};
    if (run_case("", 1, "portable", 0, seconds, 0, &r[0]) || run_case("", k, "portable", 0, seconds, 0, &r[1]))
        return 1;
    int have_noop = plugin[0] != '\0';
    if (have_noop && (run_case(plugin, 1, "noop,portable", 0, seconds, 0, &r[2]) ||
                      run_case(plugin, k, "noop,portable", 0, seconds, 0, &r[3]) ||
                      run_case(plugin, k, "portable,noop", 1, seconds, 0, &r[4])))
        return 1;
    if (run_case("", k, "portable", 0, seconds, 1, &r[5])) return 1;

    printf("dispatch overhead: chains of f32 adds on %d floats, about %.2f s per case\n\n", WIDTH, seconds);
    printf("  %-50s %6s %12s %12s %10s\n", "case", "parts", "mean ns", "median ns", "executes");
    for (int i = 0; i < 6; i++) {
        if (!r[i].iters) continue;
        printf("  %-50s %6u %12.0f %12.0f %10llu\n", r[i].name, r[i].n_partitions, r[i].mean_ns, r[i].median_ns,
               (unsigned long long)r[i].iters);
    }
    // Derived costs, from medians (robust against the odd preempted execute).
    double per_execute = r[0].median_ns;
    double per_node_portable = (r[1].median_ns - r[0].median_ns) / (k - 1);
    double per_node_noop = have_noop ? (r[3].median_ns - r[2].median_ns) / (k - 1) : 0;
    double per_partition = have_noop ? (r[4].median_ns - 0.5 * (r[1].median_ns + r[3].median_ns)) / (k - 1) : 0;
    double per_event = (r[5].median_ns - r[1].median_ns) / k;
    printf("\n  %-58s %8.0f ns\n", "per execute (1 tiny node, everything included)", per_execute);
    printf("  %-58s %8.0f ns\n", "per node, portable (runtime shape pass + infer + kernel)", per_node_portable);
    if (have_noop) {
        printf("  %-58s %8.0f ns\n", "per node, noop delegate (runtime shape pass + kernel)", per_node_noop);
        printf("  %-58s %8.0f ns\n", "per extra partition (dispatch, boundary tensors)", per_partition);
    } else {
        printf("  (no noop plugin: per-partition cost not measured; pass --plugin)\n");
    }
    printf("  %-58s %8.0f ns\n", "per profiling event (begin + end)", per_event);
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "bench_dispatch: cannot write '%s'\n", json);
            return 1;
        }
        fprintf(f, "{\n  \"nodes\": %d,\n  \"cases\": [\n", k);
        for (int i = 0; i < 6; i++)
            fprintf(f,
                    "    {\"name\": \"%s\", \"partitions\": %u, \"mean_ns\": %.1f, \"median_ns\": %.1f, \"executes\": "
                    "%llu}%s\n",
                    r[i].name, r[i].n_partitions, r[i].mean_ns, r[i].median_ns, (unsigned long long)r[i].iters,
                    i < 5 ? "," : "");
        fprintf(f, "  ],\n  \"per_execute_ns\": %.1f,\n  \"per_node_portable_ns\": %.1f,\n", per_execute,
                per_node_portable);
        if (have_noop)
            fprintf(f, "  \"per_node_noop_ns\": %.1f,\n  \"per_partition_ns\": %.1f,\n", per_node_noop, per_partition);
        else
            fprintf(f, "  \"per_node_noop_ns\": null,\n  \"per_partition_ns\": null,\n");
        fprintf(f, "  \"per_profile_event_ns\": %.1f\n}\n", per_event);
        fclose(f);
    }
    return 0;
}
