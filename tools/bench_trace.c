// `switchyard bench --trace FILE`: a Chrome trace (JSON Trace Event Format, "X" complete
// events) of one profiled execute per configuration and phase. Open it in chrome://tracing or
// https://ui.perfetto.dev. Each configuration is a process; its threads are the execute, the
// partitions, the ops, and other delegate events (copies, syncs). Times are microseconds from
// the start of the configuration's first traced execute; phases follow one another.

#include <stdio.h>

#include "tools/bench.h"

static void event(FILE *f, int *first, const char *name, const char *cat, uint32_t pid, uint32_t tid, double ts,
                  double dur, const char *args) {
    fprintf(f, "%s\n  {\"name\": \"", *first ? "" : ",");
    sy_bench_escape(f, name, 0);
    fprintf(
        f, "\", \"cat\": \"%s\", \"ph\": \"X\", \"pid\": %u, \"tid\": %u, \"ts\": %.3f, \"dur\": %.3f, \"args\": {%s}}",
        cat, pid, tid, ts, dur > 0 ? dur : 0, args);
    *first = 0;
}

static void meta(FILE *f, int *first, const char *what, uint32_t pid, uint32_t tid, const char *name) {
    fprintf(f, "%s\n  {\"name\": \"%s\", \"ph\": \"M\", \"pid\": %u, \"tid\": %u, \"args\": {\"name\": \"",
            *first ? "" : ",", what, pid, tid);
    sy_bench_escape(f, name, 0);
    fprintf(f, "\"}}");
    *first = 0;
}

int sy_bench_write_trace(const sy_bench *b, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    int first = 1;
    char name[320], args[512];
    fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [");
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        const sy_bench_config *c = &b->configs[ci];
        uint32_t pid = ci + 1;
        snprintf(name, sizeof name, "%u. %s%s", ci + 1, c->backends, c->status == SY_BENCH_OK ? "" : " (did not run)");
        meta(f, &first, "process_name", pid, 0, name);
        if (c->status != SY_BENCH_OK) continue;
        meta(f, &first, "thread_name", pid, 1, "execute");
        meta(f, &first, "thread_name", pid, 2, "partitions");
        meta(f, &first, "thread_name", pid, 3, "ops");
        meta(f, &first, "thread_name", pid, 4, "other delegate events");
        double offset = 0;
        for (uint32_t ph = 0; ph < c->n_phases; ph++) {
            const sy_bench_phase *P = &c->phases[ph];
            if (!P->trace_part_us) continue;
            snprintf(args, sizeof args, "\"phase\": \"%s\", \"profiling\": true", P->name);
            snprintf(name, sizeof name, "%s execute", P->name);
            event(f, &first, name, "execute", pid, 1, offset, P->trace_exec_us, args);
            for (uint32_t p = 0; p < c->n_partitions; p++) {
                snprintf(name, sizeof name, "partition #%u (%s)", p, c->part_backend[p]);
                snprintf(args, sizeof args, "\"backend\": \"%s\", \"nodes\": %u", c->part_backend[p], c->part_nodes[p]);
                event(f, &first, name, "partition", pid, 2, offset + P->trace_part_us[p], P->trace_part_dur_us[p],
                      args);
            }
            for (uint32_t i = 0; i < P->n_trace; i++) {
                const sy_bench_event *e = &P->trace[i];
                const char *backend = e->partition < c->n_partitions ? c->part_backend[e->partition] : "?";
                if (e->node >= 0)
                    snprintf(args, sizeof args, "\"op\": \"%s\", \"partition\": %u, \"backend\": \"%s\"",
                             sy_bench_node_op(c, (uint32_t)e->node), e->partition, backend);
                else
                    snprintf(args, sizeof args, "\"partition\": %u, \"backend\": \"%s\"", e->partition, backend);
                event(f, &first, e->name, e->node >= 0 ? "op" : "other", pid, e->node >= 0 ? 3 : 4,
                      offset + e->begin_us, e->end_us - e->begin_us, args);
            }
            offset += P->trace_exec_us * 1.1 + 10; // a visible gap before the next phase
        }
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}
