// `switchyard bench`: the table and details printed on the terminal.

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/bench.h"

static const char *fmt_diff(double x, char *buf, size_t size) {
    if (isinf(x) || isnan(x))
        snprintf(buf, size, "inf");
    else if (x == 0)
        snprintf(buf, size, "0");
    else
        snprintf(buf, size, "%.2e", x);
    return buf;
}

static void print_header(const sy_bench *b, FILE *f) {
    const sy_graph_view *g = b->g;
    char bytes[32];
    fprintf(f, "program  %s: %u nodes, %.2fM parameters (%s)", b->path, g->n_nodes, (double)b->n_params / 1e6,
            sy_bench_fmt_bytes((double)b->constant_bytes, bytes, sizeof bytes));
    for (uint32_t s = 0; s < g->n_symbols && !b->llm; s++)
        fprintf(f, "%s%s=%lld", s ? ", " : "; symbols ", g->symbols[s].name, (long long)b->symbols[s]);
    fprintf(f, "\n");
    if (b->llm)
        fprintf(f, "llm      prompt %lld tokens (%u prefill call%s), %lld decode steps; vocab %lld, cache %lld\n",
                (long long)b->prompt_len, b->n_steps - (uint32_t)b->decode,
                b->n_steps - (uint32_t)b->decode == 1 ? "" : "s", (long long)b->decode, (long long)b->vocab,
                (long long)b->max_seq);
    fprintf(f, "runs     %d warmup + %d timed repetitions + 1 profiled; reference: %s\n\n", b->warmup, b->iters,
            !b->check   ? "off (--no-check)"
            : b->ref_ok ? "portable, same inputs"
                        : b->ref_error);
}

static void print_table(const sy_bench *b, FILE *f) {
    char bytes[32], rss[32], d1[32], d2[32];
    if (b->llm)
        fprintf(f, " # %-28s %9s %9s %10s %10s %27s %15s %5s %10s %9s %9s %9s %5s\n", "configuration", "init ms",
                "TTFT ms", "prefill/s", "decode/s", "decode ms/tok min/med/p90", "speedup pre/dec", "parts", "copy/tok",
                "peak RSS", "max abs", "max rel", "match");
    else
        fprintf(f, " # %-28s %9s %9s %9s %9s %8s %5s %10s %9s %9s %9s %5s\n", "configuration", "init ms", "min ms",
                "median ms", "p90 ms", "speedup", "parts", "copy/exec", "peak RSS", "max abs", "max rel", "match");
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        const sy_bench_config *c = &b->configs[ci];
        fprintf(f, "%2u %-28s ", ci + 1, c->backends);
        if (c->status != SY_BENCH_OK) {
            fprintf(f, "%s: %s\n", c->status == SY_BENCH_UNAVAILABLE ? "unavailable" : "FAILED", c->reason);
            continue;
        }
        const char *match = !c->checked ? "-" : c->outputs_match ? "yes" : "NO";
        sy_bench_fmt_bytes((double)c->peak_rss_kb * 1024, rss, sizeof rss);
        fmt_diff(c->max_abs, d1, sizeof d1);
        fmt_diff(c->max_rel, d2, sizeof d2);
        if (!c->checked) snprintf(d1, sizeof d1, "-"), snprintf(d2, sizeof d2, "-");
        if (b->llm) {
            const sy_bench_phase *dec = c->n_phases > 1 ? &c->phases[1] : NULL;
            char lat[64] = "-", sp[32];
            if (dec)
                snprintf(lat, sizeof lat, "%.2f/%.2f/%.2f", dec->latency.min, dec->latency.median, dec->latency.p90);
            snprintf(sp, sizeof sp, "%.2fx/%.2fx", c->speedup[0], dec ? c->speedup[1] : 0.0);
            sy_bench_fmt_bytes(dec ? dec->copy_bytes : c->phases[0].copy_bytes, bytes, sizeof bytes);
            fprintf(f, "%9.1f %9.2f %10.1f %10.1f %27s %15s %5u %10s %9s %9s %9s %5s\n", c->load_ms + c->compile_ms,
                    c->ttft_ms, c->prefill_tok_s, c->decode_tok_s, lat, sp, c->n_partitions, bytes, rss, d1, d2, match);
        } else {
            const sy_bench_phase *P = &c->phases[0];
            sy_bench_fmt_bytes(P->copy_bytes, bytes, sizeof bytes);
            fprintf(f, "%9.1f %9.3f %9.3f %9.3f %7.2fx %5u %10s %9s %9s %9s %5s\n", c->load_ms + c->compile_ms,
                    P->latency.min, P->latency.median, P->latency.p90, c->speedup[0], c->n_partitions, bytes, rss, d1,
                    d2, match);
        }
    }
}

static void print_phase(const sy_bench *b, const sy_bench_config *c, uint32_t ph, FILE *f) {
    const sy_bench_phase *P = &c->phases[ph];
    char bytes[32], ops[512];
    double total = P->latency.mean > 0 ? P->latency.mean : 1;
    fprintf(f, "    %s: mean %.3f ms/execute", P->name, P->latency.mean);
    if (P->tokens) fprintf(f, " (%lld token%s)", (long long)P->tokens, P->tokens == 1 ? "" : "s");
    fprintf(f, "; runtime overhead %.3f ms; boundary reads %s/execute; with profiling %.3f ms\n", P->overhead_ms,
            sy_bench_fmt_bytes(P->copy_bytes, bytes, sizeof bytes), P->profiled_ms);
    for (uint32_t p = 0; p < c->n_partitions; p++) {
        sy_bench_part_ops(b, c, p, ops, sizeof ops);
        fprintf(f, "      partition #%u %-9s %4u nodes %9.3f ms %5.1f%%  %s\n", p, c->part_backend[p], c->part_nodes[p],
                P->part_ms[p], 100.0 * P->part_ms[p] / total, ops);
    }
    sy_bench_op_time times[64];
    uint32_t n = sy_bench_op_times(b, c, ph, times, 64), shown = 0;
    fprintf(f, "      ops (profiled):");
    for (uint32_t k = 0; k < n && shown < 8; k++) {
        if (!times[k].profiled) continue;
        fprintf(f, "%s %s@%s x%u %.3f ms (%.0f%%)", shown ? "," : "", sy_op_name(times[k].op), times[k].backend,
                times[k].count, times[k].ms, 100.0 * times[k].ms / (P->profiled_ms > 0 ? P->profiled_ms : 1));
        shown++;
    }
    uint32_t silent = 0;
    for (uint32_t k = 0; k < n; k++) silent += times[k].count - times[k].profiled;
    fprintf(f, "%s\n", shown ? "" : " none recorded");
    if (silent)
        fprintf(f, "      %u node%s emitted no profiling event (their delegate does not report per op)\n", silent,
                silent == 1 ? "" : "s");
    if (P->n_other) {
        fprintf(f, "      events that are not graph nodes: %.3f ms, of which copies %.3f ms:", P->other_ms, P->copy_ms);
        for (uint32_t k = 0; k < P->n_other; k++)
            fprintf(f, "%s %s%s %.3f ms (#%u)", k ? "," : "", P->other[k].copy ? "[copy] " : "", P->other[k].name,
                    P->other[k].ms, P->other[k].partition);
        fprintf(f, "\n");
    }
    if (P->dropped_events) fprintf(f, "      (the profiling buffer filled up; later events were dropped)\n");
}

void sy_bench_print(const sy_bench *b, FILE *f) {
    print_header(b, f);
    print_table(b, f);
    char a[32], p[32], s[32], d1[32], d2[32];
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        const sy_bench_config *c = &b->configs[ci];
        if (c->status != SY_BENCH_OK) continue;
        fprintf(f, "\n[%u] %s: load %.2f ms + compile %.2f ms; %u partition%s; arena %s, packed weights %s, state %s\n",
                ci + 1, c->backends, c->load_ms, c->compile_ms, c->n_partitions, c->n_partitions == 1 ? "" : "s",
                sy_bench_fmt_bytes((double)c->arena_bytes, a, sizeof a),
                sy_bench_fmt_bytes((double)c->packed_bytes, p, sizeof p),
                sy_bench_fmt_bytes((double)c->state_bytes, s, sizeof s));
        for (uint32_t ph = 0; ph < c->n_phases; ph++) print_phase(b, c, ph, f);
        if (c->checked) {
            fprintf(f, "    outputs vs portable:");
            for (uint32_t o = 0; o < c->n_diffs; o++)
                fprintf(f, "%s %s max abs %s, max rel %s%s", o ? ";" : "", c->diffs[o].name,
                        fmt_diff(c->diffs[o].max_abs, d1, sizeof d1), fmt_diff(c->diffs[o].max_rel, d2, sizeof d2),
                        c->diffs[o].ok ? "" : " MISMATCH");
            fprintf(f, "\n");
            for (uint32_t o = 0; o < c->n_diffs; o++)
                if (!c->diffs[o].ok)
                    fprintf(f, "    MISMATCH: %llu of %llu elements of '%s' exceed atol %g + rtol %g * |ref|\n",
                            (unsigned long long)c->diffs[o].n_bad, (unsigned long long)c->diffs[o].n, c->diffs[o].name,
                            b->atol, b->rtol);
        }
        if (c->notes) fprintf(f, "    notes: %s", c->notes);
    }
}

/// Writes s with '|' and newlines made safe for a markdown table cell.
static void md_cell(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

int sy_bench_write_markdown(const sy_bench *b, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    char bytes[32], rss[32], d1[32];
    if (b->llm)
        fprintf(f,
                "| configuration | status | init ms | TTFT ms | prefill tok/s | decode tok/s | decode ms/tok (median) "
                "| speedup prefill / decode | partitions | peak RSS | max abs diff | outputs match |\n"
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    else
        fprintf(f,
                "| configuration | status | init ms | median ms | p90 ms | speedup | partitions | copy/exec "
                "| peak RSS | max abs diff | outputs match |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        const sy_bench_config *c = &b->configs[ci];
        fprintf(f, "| `%s` | ", c->backends);
        if (c->status != SY_BENCH_OK) {
            fprintf(f, "%s: ", c->status == SY_BENCH_UNAVAILABLE ? "unavailable" : "failed");
            md_cell(f, c->reason);
            fprintf(f, b->llm ? " | | | | | | | | | | |\n" : " | | | | | | | | | |\n");
            continue;
        }
        const char *match = !c->checked ? "-" : c->outputs_match ? "yes" : "**NO**";
        sy_bench_fmt_bytes((double)c->peak_rss_kb * 1024, rss, sizeof rss);
        if (c->checked)
            fmt_diff(c->max_abs, d1, sizeof d1);
        else
            snprintf(d1, sizeof d1, "-");
        if (b->llm) {
            const sy_bench_phase *dec = c->n_phases > 1 ? &c->phases[1] : NULL;
            fprintf(f, "ok | %.1f | %.2f | %.1f | %.1f | %.2f | %.2fx / %.2fx | %u | %s | %s | %s |\n",
                    c->load_ms + c->compile_ms, c->ttft_ms, c->prefill_tok_s, c->decode_tok_s,
                    dec ? dec->latency.median : 0.0, c->speedup[0], dec ? c->speedup[1] : 0.0, c->n_partitions, rss, d1,
                    match);
        } else {
            const sy_bench_phase *P = &c->phases[0];
            fprintf(f, "ok | %.1f | %.3f | %.3f | %.2fx | %u | %s | %s | %s | %s |\n", c->load_ms + c->compile_ms,
                    P->latency.median, P->latency.p90, c->speedup[0], c->n_partitions,
                    sy_bench_fmt_bytes(P->copy_bytes, bytes, sizeof bytes), rss, d1, match);
        }
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}
