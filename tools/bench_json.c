// `switchyard bench --json FILE`: every figure. Every configuration carries every key; a
// configuration that did not run has null where a figure would be, and its reason.

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench.h"

/// A number, or null when it is not finite (JSON has no inf/NaN) or the figure does not exist.
static cJSON *num(double x, int exists) {
    return exists && isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

static cJSON *stats_json(const sy_bench_stats *s, int ok) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "min", num(s->min, ok));
    cJSON_AddItemToObject(o, "median", num(s->median, ok));
    cJSON_AddItemToObject(o, "p90", num(s->p90, ok));
    cJSON_AddItemToObject(o, "mean", num(s->mean, ok));
    cJSON_AddItemToObject(o, "max", num(s->max, ok));
    cJSON_AddNumberToObject(o, "n", ok ? s->n : 0);
    return o;
}

static cJSON *shape_json(const sy_tensor *t) {
    cJSON *a = cJSON_CreateArray();
    for (uint32_t i = 0; i < t->rank; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->dims[i]));
    return a;
}

static cJSON *program_json(const sy_bench *b) {
    const sy_graph_view *g = b->g;
    cJSON *o = cJSON_CreateObject(), *in = cJSON_CreateArray(), *out = cJSON_CreateArray(), *sym = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", b->path);
    cJSON_AddNumberToObject(o, "n_nodes", g->n_nodes);
    cJSON_AddNumberToObject(o, "n_values", g->n_values);
    cJSON_AddNumberToObject(o, "n_params", (double)b->n_params);
    cJSON_AddNumberToObject(o, "constant_bytes", (double)b->constant_bytes);
    cJSON_AddNumberToObject(o, "load_ms", b->program_load_ms);
    for (uint32_t v = 0; v < g->n_values; v++) {
        const sy_value_info *vi = &g->values[v];
        if (vi->role != SY_ROLE_INPUT && vi->role != SY_ROLE_OUTPUT) continue;
        sy_tensor t = {.rank = vi->rank};
        for (uint32_t i = 0; i < vi->rank; i++) t.dims[i] = vi->sym[i] >= 0 ? b->symbols[vi->sym[i]] : vi->dims[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", vi->name);
        cJSON_AddStringToObject(e, "dtype", sy_dtype_name(vi->dtype));
        cJSON_AddItemToObject(e, "shape", shape_json(&t));
        cJSON_AddItemToArray(vi->role == SY_ROLE_INPUT ? in : out, e);
    }
    for (uint32_t s = 0; s < g->n_symbols; s++) cJSON_AddNumberToObject(sym, g->symbols[s].name, (double)b->symbols[s]);
    cJSON_AddItemToObject(o, "inputs", in);
    cJSON_AddItemToObject(o, "outputs", out);
    cJSON_AddItemToObject(o, "symbols", sym);
    return o;
}

static cJSON *phase_json(const sy_bench *b, const sy_bench_config *c, uint32_t ph) {
    const sy_bench_phase *P = &c->phases[ph];
    int ok = c->status == SY_BENCH_OK;
    cJSON *o = cJSON_CreateObject(), *parts = cJSON_CreateArray(), *ops = cJSON_CreateArray(),
          *other = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "name", b->phase_names[ph]);
    cJSON_AddNumberToObject(o, "tokens_per_execute", b->llm ? (double)b->phase_tokens[ph] : 0);
    cJSON_AddItemToObject(o, "latency_ms", stats_json(&P->latency, ok));
    for (uint32_t p = 0; ok && p < c->n_partitions; p++) cJSON_AddItemToArray(parts, cJSON_CreateNumber(P->part_ms[p]));
    cJSON_AddItemToObject(o, "partition_ms", parts);
    cJSON_AddItemToObject(o, "runtime_overhead_ms", num(P->overhead_ms, ok));
    cJSON_AddItemToObject(o, "copy_bytes", num(P->copy_bytes, ok));
    cJSON_AddItemToObject(o, "copy_ms", num(P->copy_ms, ok));
    cJSON_AddItemToObject(o, "other_events_ms", num(P->other_ms, ok));
    cJSON_AddItemToObject(o, "profiled_ms", num(P->profiled_ms, ok));
    cJSON_AddItemToObject(o, "speedup", num(c->speedup[ph], ok && c->speedup[ph] > 0));
    sy_bench_op_time times[SY_OP_COUNT * 4];
    uint32_t n = sy_bench_op_times(b, c, ph, times, SY_OP_COUNT * 4);
    for (uint32_t k = 0; k < n; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "op", sy_op_name(times[k].op));
        cJSON_AddStringToObject(e, "backend", times[k].backend);
        cJSON_AddNumberToObject(e, "nodes", times[k].count);
        cJSON_AddNumberToObject(e, "profiled_nodes", times[k].profiled);
        cJSON_AddItemToObject(e, "ms", num(times[k].ms, times[k].profiled > 0));
        cJSON_AddItemToArray(ops, e);
    }
    cJSON_AddItemToObject(o, "ops", ops);
    for (uint32_t k = 0; ok && k < P->n_other; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", P->other[k].name);
        cJSON_AddNumberToObject(e, "partition", P->other[k].partition);
        cJSON_AddNumberToObject(e, "ms", P->other[k].ms);
        cJSON_AddBoolToObject(e, "copy", P->other[k].copy);
        cJSON_AddItemToArray(other, e);
    }
    cJSON_AddItemToObject(o, "other_events", other);
    cJSON_AddBoolToObject(o, "events_dropped", P->dropped_events > 0);
    return o;
}

static cJSON *config_json(const sy_bench *b, uint32_t ci) {
    const sy_bench_config *c = &b->configs[ci];
    int ok = c->status == SY_BENCH_OK;
    static const char *status_names[] = {"ok", "unavailable", "failed"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", c->backends);
    cJSON *names = cJSON_CreateArray();
    char list[256];
    snprintf(list, sizeof list, "%s", c->backends);
    for (char *save = NULL, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(names, cJSON_CreateString(s));
    cJSON_AddItemToObject(o, "backends", names);
    cJSON_AddStringToObject(o, "status", status_names[c->status]);
    cJSON_AddItemToObject(o, "reason", ok ? cJSON_CreateNull() : cJSON_CreateString(c->reason));
    cJSON_AddItemToObject(o, "load_ms", num(c->load_ms, ok));
    cJSON_AddItemToObject(o, "compile_ms", num(c->compile_ms, ok));
    cJSON_AddItemToObject(o, "init_ms", num(c->load_ms + c->compile_ms, ok));
    const sy_bench_phase *main_phase = &c->phases[b->llm && c->n_phases > 1 ? 1 : 0];
    cJSON_AddItemToObject(o, "latency_ms", stats_json(&main_phase->latency, ok));
    cJSON_AddItemToObject(o, "speedup", num(c->speedup[b->llm && c->n_phases > 1 ? 1 : 0], ok));
    cJSON_AddItemToObject(o, "n_partitions", num(c->n_partitions, ok));
    cJSON_AddItemToObject(o, "n_nodes", num(c->n_nodes, ok)); // after graph passes
    cJSON *parts = cJSON_CreateArray(), *placement = cJSON_CreateObject();
    for (uint32_t p = 0; ok && p < c->n_partitions; p++) {
        cJSON *e = cJSON_CreateObject(), *ops = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "index", p);
        cJSON_AddStringToObject(e, "backend", c->part_backend[p]);
        cJSON_AddNumberToObject(e, "n_nodes", c->part_nodes[p]);
        for (uint32_t n = 0; n < c->n_nodes; n++) {
            if (c->node_part[n] != p) continue;
            const char *op = sy_bench_node_op(c, n);
            cJSON *cnt = cJSON_GetObjectItemCaseSensitive(ops, op);
            if (cnt)
                cJSON_SetNumberValue(cnt, cnt->valuedouble + 1);
            else
                cJSON_AddNumberToObject(ops, op, 1);
            cJSON *per_op = cJSON_GetObjectItemCaseSensitive(placement, op);
            if (!per_op) per_op = cJSON_AddObjectToObject(placement, op);
            cJSON *pb = cJSON_GetObjectItemCaseSensitive(per_op, c->part_backend[p]);
            if (pb)
                cJSON_SetNumberValue(pb, pb->valuedouble + 1);
            else
                cJSON_AddNumberToObject(per_op, c->part_backend[p], 1);
        }
        cJSON_AddItemToObject(e, "ops", ops);
        cJSON *ms = cJSON_CreateObject();
        for (uint32_t ph = 0; ph < c->n_phases; ph++)
            cJSON_AddNumberToObject(ms, b->phase_names[ph], c->phases[ph].part_ms[p]);
        cJSON_AddItemToObject(e, "mean_ms", ms);
        cJSON_AddItemToArray(parts, e);
    }
    cJSON_AddItemToObject(o, "partitions", parts);
    cJSON_AddItemToObject(o, "op_placement", placement);
    cJSON *phases = cJSON_CreateArray();
    for (uint32_t ph = 0; ph < b->n_phases; ph++) cJSON_AddItemToArray(phases, phase_json(b, c, ph));
    cJSON_AddItemToObject(o, "phases", phases);
    cJSON_AddItemToObject(o, "copy_bytes", num(main_phase->copy_bytes, ok));
    cJSON_AddItemToObject(o, "copy_ms", num(main_phase->copy_ms, ok));
    cJSON *llm = cJSON_CreateObject();
    int llm_ok = ok && b->llm;
    cJSON_AddItemToObject(llm, "prompt_len", num((double)b->prompt_len, b->llm));
    cJSON_AddItemToObject(llm, "decode_tokens", num((double)b->decode, b->llm));
    cJSON_AddItemToObject(llm, "ttft_ms", num(c->ttft_ms, llm_ok));
    cJSON_AddItemToObject(llm, "prefill_tokens_per_s", num(c->prefill_tok_s, llm_ok));
    cJSON_AddItemToObject(llm, "decode_tokens_per_s", num(c->decode_tok_s, llm_ok && b->decode > 0));
    cJSON_AddItemToObject(o, "llm", llm);
    cJSON *mem = cJSON_CreateObject();
    cJSON_AddItemToObject(mem, "peak_rss_kb", num((double)c->peak_rss_kb, c->peak_rss_kb > 0));
    cJSON_AddItemToObject(mem, "arena_bytes", num((double)c->arena_bytes, ok));
    cJSON_AddItemToObject(mem, "packed_bytes", num((double)c->packed_bytes, ok));
    cJSON_AddItemToObject(mem, "state_bytes", num((double)c->state_bytes, ok));
    cJSON_AddItemToObject(o, "memory", mem);
    cJSON *outs = cJSON_CreateArray();
    for (uint32_t k = 0; ok && k < c->n_diffs; k++) {
        const sy_bench_diff *d = &c->diffs[k];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", d->name);
        cJSON_AddNumberToObject(e, "elements", (double)d->n);
        cJSON_AddItemToObject(e, "max_abs_diff", num(d->max_abs, c->checked));
        cJSON_AddItemToObject(e, "max_rel_diff", num(d->max_rel, c->checked));
        cJSON_AddItemToObject(e, "n_mismatch", num((double)d->n_bad, c->checked));
        cJSON_AddItemToObject(e, "ok", c->checked ? cJSON_CreateBool(d->ok) : cJSON_CreateNull());
        cJSON_AddItemToArray(outs, e);
    }
    cJSON_AddItemToObject(o, "outputs", outs);
    cJSON_AddItemToObject(o, "max_abs_diff", num(c->max_abs, ok && c->checked));
    cJSON_AddItemToObject(o, "max_rel_diff", num(c->max_rel, ok && c->checked));
    cJSON_AddItemToObject(o, "outputs_match",
                          ok && c->checked ? cJSON_CreateBool(c->outputs_match) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "notes", c->notes ? cJSON_CreateString(c->notes) : cJSON_CreateNull());
    return o;
}

int sy_bench_write_json(const sy_bench *b, const char *path) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "tool", "switchyard bench");
    cJSON_AddStringToObject(root, "version", SY_VERSION_STRING);
    cJSON_AddItemToObject(root, "program", program_json(b));
    cJSON_AddStringToObject(root, "mode", b->llm ? "llm" : "execute");
    cJSON *set = cJSON_CreateObject();
    cJSON_AddNumberToObject(set, "warmup", b->warmup);
    cJSON_AddNumberToObject(set, "iters", b->iters);
    cJSON_AddNumberToObject(set, "seed", (double)b->seed);
    cJSON_AddNumberToObject(set, "atol", b->atol);
    cJSON_AddNumberToObject(set, "rtol", b->rtol);
    cJSON_AddItemToObject(set, "prompt_len", num((double)b->prompt_len, b->llm));
    cJSON_AddItemToObject(set, "decode", num((double)b->decode, b->llm));
    cJSON_AddItemToObject(root, "settings", set);
    cJSON *mach = cJSON_CreateObject();
    cJSON_AddNumberToObject(mach, "online_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddItemToObject(root, "machine", mach);
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "backends", "portable");
    cJSON_AddStringToObject(ref, "status", !b->check ? "skipped" : b->ref_ok ? "ok" : "failed");
    cJSON_AddItemToObject(ref, "error", b->check && !b->ref_ok ? cJSON_CreateString(b->ref_error) : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "reference", ref);
    cJSON_AddItemToObject(root, "baseline", b->baseline >= 0 ? cJSON_CreateNumber(b->baseline) : cJSON_CreateNull());
    cJSON *configs = cJSON_CreateArray();
    for (uint32_t ci = 0; ci < b->n_configs; ci++) cJSON_AddItemToArray(configs, config_json(b, ci));
    cJSON_AddItemToObject(root, "configurations", configs);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = text ? fopen(path, "w") : NULL;
    int bad = !f || fputs(text, f) < 0 || fputc('\n', f) < 0;
    if (f && fclose(f) != 0) bad = 1;
    free(text);
    if (bad) fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
    return bad;
}
