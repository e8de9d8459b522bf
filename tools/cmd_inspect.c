// switchyard inspect: what a program holds and how the configured backends would run it.

#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "runtime/runtime.h"
#include "tools/cli.h"

static const char inspect_help[] =
    "usage: switchyard inspect FILE [--values] [--metadata] [backend flags]\n"
    "\n"
    "Loads FILE (.syp), partitions and compiles it for the configured backends and prints:\n"
    "metadata, symbols, inputs/outputs/states, an op histogram, the partition plan (backend,\n"
    "nodes by op, boundary tensors, states and who owns them), why nodes were refused by the\n"
    "backends before the one that took them, and the memory plan.\n"
    "\n"
    "  --values     also list every value (name, role, dtype, shape)\n"
    "  --metadata   print metadata values whole (default: one line, long ones cut at 160 bytes,\n"
    "               e.g. the tokenizer's vocabulary)\n"
    "\n";

// One metadata entry: whole, or on one line (newlines as \\n) cut after `limit` bytes at a UTF-8
// character boundary, with the full size named.
static void print_metadata(const char *key, const char *value, int whole) {
    const size_t limit = 160, len = strlen(value);
    if (whole) {
        printf("  %-24s %s\n", key, value);
        return;
    }
    size_t n = len <= limit ? len : limit;
    while (n < len && n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80) n--; // not inside a character
    printf("  %-24s ", key);
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '\n') fputs("\\n", stdout);
        else putchar(value[i]);
    }
    if (n < len) printf(" ... (%zu bytes; --metadata prints it whole)", len);
    printf("\n");
}

static void print_shape(const sy_graph_view *g, uint32_t v) {
    const sy_value_info *vi = &g->values[v];
    printf("[");
    for (uint32_t i = 0; i < vi->rank; i++) {
        if (vi->sym[i] >= 0) printf("%s%s<=%lld", i ? "," : "", g->symbols[vi->sym[i]].name, (long long)vi->dims[i]);
        else printf("%s%lld", i ? "," : "", (long long)vi->dims[i]);
    }
    printf("]");
}

static void print_value(const sy_graph_view *g, uint32_t v) {
    printf("    %-28s %-4s ", g->values[v].name, sy_dtype_name(g->values[v].dtype));
    print_shape(g, v);
    printf("\n");
}

// Constants per dtype (quantised ones included): "    q4_1  210 tensors, 80.95 MiB".
static void print_constant_dtypes(const sy_graph_view *g) {
    for (int dt = 1; dt < SY_DTYPE_COUNT; dt++) {
        size_t bytes = 0;
        uint32_t n = 0;
        for (uint32_t v = 0; v < g->n_values; v++)
            if (g->values[v].role == SY_ROLE_CONSTANT && (int)g->values[v].dtype == dt) {
                bytes += g->values[v].nbytes;
                n++;
            }
        if (n) printf("    %-5s %u tensors, %.2f MiB\n", sy_dtype_name((sy_dtype)dt), n, (double)bytes / 1048576.0);
    }
}

static void print_op_histogram(const sy_graph_view *g, const uint32_t *nodes, uint32_t n, const char *indent) {
    uint32_t count[SY_OP_COUNT] = {0};
    for (uint32_t i = 0; i < n; i++) count[g->nodes[nodes ? nodes[i] : i].op]++;
    printf("%s", indent);
    int first = 1;
    for (int op = 0; op < SY_OP_COUNT; op++) {
        if (!count[op]) continue;
        printf("%s%s x%u", first ? "" : ", ", sy_op_name((sy_op)op), count[op]);
        first = 0;
    }
    printf("\n");
}

static void print_names(const sy_graph_view *g, const char *label, const uint32_t *ids, uint32_t n,
                        const uint8_t *owned) {
    if (!n) return;
    printf("      %-8s", label);
    for (uint32_t i = 0; i < n && i < 8; i++)
        printf("%s%s%s", i ? ", " : "", g->values[ids[i]].name, owned ? (owned[i] ? " (owned)" : " (shared)") : "");
    if (n > 8) printf(", ... (%u in all)", n);
    printf("\n");
}

/// Groups identical (backend, reason) refusals so a 30-layer model prints a few lines.
static void print_rejections(const sy_runtime *rt) {
    const sy_partition_plan *plan = &rt->plan;
    const sy_graph_view *g = rt->g;
    uint32_t nb = plan->n_backends, shown = 0;
    uint8_t *done = calloc((size_t)plan->n_nodes * nb + 1, 1);
    if (!done) return;
    for (uint32_t n = 0; n < plan->n_nodes; n++) {
        for (uint32_t b = 0; b < nb; b++) {
            const char *why = plan->reasons[(size_t)n * nb + b];
            if (!why || done[(size_t)n * nb + b]) continue;
            uint32_t count = 0;
            for (uint32_t m = n; m < plan->n_nodes; m++) {
                const char *w2 = plan->reasons[(size_t)m * nb + b];
                if (w2 && !done[(size_t)m * nb + b] && g->nodes[m].op == g->nodes[n].op && !strcmp(w2, why)) {
                    done[(size_t)m * nb + b] = 1;
                    count++;
                }
            }
            if (!shown++) printf("\nrefused nodes (backend: reason):\n");
            printf("  %-10s %s x%u (e.g. '%s'): %s\n", rt->backends[b].ref.vt->name, sy_op_name(g->nodes[n].op), count,
                   g->nodes[n].name, why);
        }
    }
    if (!shown) printf("\nrefused nodes: none (every node went to the first backend)\n");
    free(done);
}

int sy_cmd_inspect(int argc, char **argv) {
    sy_cli_backend_args ba;
    memset(&ba, 0, sizeof ba);
    const char *file = NULL;
    int values = 0, whole_metadata = 0;
    for (int i = 1; i < argc; i++) {
        int r = sy_cli_backend_flag(&ba, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s", inspect_help, sy_cli_backend_help);
            return 0;
        }
        if (!strcmp(argv[i], "--values")) values = 1;
        else if (!strcmp(argv[i], "--metadata")) whole_metadata = 1;
        else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "switchyard inspect: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "%s", inspect_help);
        return 2;
    }
    sy_program *prog = NULL;
    if (sy_program_load(file, &prog) != SY_OK) return sy_cli_fail("inspect");
    const sy_graph_view *g = sy_program_get_graph(prog);
    printf("program %s: %u values, %u nodes, %u symbols\n", file, g->n_values, g->n_nodes, g->n_symbols);
    for (uint32_t i = 0; i < sy_program_n_metadata(prog); i++) {
        const char *k, *v;
        sy_program_get_metadata_at(prog, i, &k, &v);
        print_metadata(k, v, whole_metadata);
    }
    for (uint32_t s = 0; s < g->n_symbols; s++) printf("  symbol %-17s 1..%lld\n", g->symbols[s].name, (long long)g->symbols[s].max);
    size_t const_bytes = 0;
    uint32_t n_const = 0;
    const sy_role shown_roles[3] = {SY_ROLE_INPUT, SY_ROLE_OUTPUT, SY_ROLE_STATE};
    for (int r = 0; r < 3; r++) {
        printf("%ss:\n", sy_role_name(shown_roles[r]));
        for (uint32_t v = 0; v < g->n_values; v++)
            if (g->values[v].role == shown_roles[r]) print_value(g, v);
    }
    for (uint32_t v = 0; v < g->n_values; v++)
        if (g->values[v].role == SY_ROLE_CONSTANT) {
            const_bytes += g->values[v].nbytes;
            n_const++;
        }
    printf("constants: %u, %.2f MiB (borrowed from the file mapping)\n", n_const, (double)const_bytes / 1048576.0);
    print_constant_dtypes(g);
    printf("ops:\n");
    print_op_histogram(g, NULL, g->n_nodes, "    ");
    if (values) {
        printf("values:\n");
        for (uint32_t v = 0; v < g->n_values; v++) {
            printf("  #%-4u %-12s", v, sy_role_name(g->values[v].role));
            print_value(g, v);
        }
    }

    sy_config *cfg = sy_cli_make_config(&ba, NULL);
    if (!cfg) {
        sy_program_destroy(prog);
        return 1;
    }
    sy_runtime *rt = NULL;
    printf("\nbackends (%s):\n", sy_config_get_backends(cfg));
    sy_status st = sy_runtime_create(prog, cfg, &rt);
    sy_config_destroy(cfg);
    if (st != SY_OK) {
        sy_program_destroy(prog);
        return sy_cli_fail("inspect");
    }
    for (uint32_t b = 0; b < rt->n_backends; b++) {
        const sy_rt_backend *be = &rt->backends[b];
        const char *desc = be->instance && SY_DELEGATE_HAS(be->ref.vt, describe) ? be->ref.vt->describe(be->instance) : NULL;
        printf("  %-10s %s %s, %s%s%s\n", be->ref.vt->name, be->ref.vt->version ? be->ref.vt->version : "?",
               be->ref.origin, be->available ? "available" : "unavailable: ", be->available ? "" : be->reason,
               desc ? "" : "");
        if (desc) printf("             %s\n", desc);
    }
    printf("\npasses: %u mul(x, sigmoid(x)) fused into silu, %u dead nodes removed; %u nodes to partition\n",
           rt->passes.n_fused_silu, rt->passes.n_removed_dead, rt->g->n_nodes);
    printf("\npartitions (%u, in execution order):\n", rt->plan.n_partitions);
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        const sy_rt_part *part = &rt->parts[p];
        printf("  #%u %s: %u nodes, scratch %zu B, packed weights %zu B%s%s\n", p, rt->backends[P->backend].ref.vt->name,
               P->n_nodes, part->info.scratch_bytes, part->info.packed_bytes, part->info.detail ? ", " : "",
               part->info.detail ? part->info.detail : "");
        print_op_histogram(g, P->nodes, P->n_nodes, "      ops     ");
        print_names(g, "in", P->inputs, P->n_inputs, NULL);
        print_names(g, "out", P->outputs, P->n_outputs, NULL);
        print_names(g, "state", P->states, P->n_states, P->owns_state);
    }
    print_rejections(rt);
    if (rt->notes && rt->notes[0]) printf("\nNOTES:\n%s", rt->notes);
    sy_runtime_stats stats;
    sy_runtime_get_stats(rt, &stats);
    printf("\nmemory: arena %zu B planned (naive sum of intermediates %zu B), states %zu B, delegate weight copies %zu B\n",
           stats.arena_bytes, stats.naive_bytes, stats.state_bytes, stats.packed_bytes);
    sy_runtime_destroy(rt);
    sy_program_destroy(prog);
    return 0;
}
