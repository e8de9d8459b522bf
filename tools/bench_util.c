// Helpers shared by the bench writers: op aggregation, colours, escaping, byte formatting.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench.h"

static int cmp_op_time(const void *a, const void *b) {
    const sy_bench_op_time *x = a, *y = b;
    if (x->ms != y->ms) return x->ms < y->ms ? 1 : -1;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return (int)x->op - (int)y->op;
}

uint32_t sy_bench_op_times(const sy_bench *b, const sy_bench_config *c, uint32_t phase, sy_bench_op_time *out,
                           uint32_t max) {
    uint32_t n = 0;
    if (c->status != SY_BENCH_OK || phase >= c->n_phases || !c->node_part) return 0;
    const sy_bench_phase *P = &c->phases[phase];
    (void)b;
    for (uint32_t node = 0; node < c->n_nodes; node++) {
        sy_op op = c->node_op[node];
        const char *backend = c->part_backend[c->node_part[node]];
        uint32_t k = 0;
        while (k < n && !(out[k].op == op && !strcmp(out[k].backend, backend))) k++;
        if (k == n) {
            if (n == max) continue;
            memset(&out[n], 0, sizeof out[n]);
            out[n].op = op;
            snprintf(out[n].backend, sizeof out[n].backend, "%s", backend);
            n++;
        }
        out[k].count++;
        out[k].profiled += P->node_seen[node];
        out[k].ms += P->node_ms[node];
    }
    qsort(out, n, sizeof *out, cmp_op_time);
    return n;
}

typedef struct op_count {
    sy_op op;
    uint32_t n;
} op_count;

static int cmp_op_count(const void *a, const void *b) {
    const op_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return (int)x->op - (int)y->op;
}

void sy_bench_part_ops(const sy_bench *b, const sy_bench_config *c, uint32_t p, char *buf, size_t size) {
    op_count counts[SY_OP_COUNT];
    uint32_t n = 0;
    (void)b;
    for (uint32_t node = 0; node < c->n_nodes; node++) {
        if (c->node_part[node] != p) continue;
        uint32_t k = 0;
        while (k < n && counts[k].op != c->node_op[node]) k++;
        if (k == n) counts[n++] = (op_count){c->node_op[node], 0};
        counts[k].n++;
    }
    qsort(counts, n, sizeof *counts, cmp_op_count);
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < n && used < size; k++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s x%u", k ? ", " : "", sy_op_name(counts[k].op), counts[k].n);
}

const char *sy_bench_backend_color(const char *backend) {
    // Fixed colours for the backends this project ships, a hash into a palette for the rest.
    static const char *palette[] = {"#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#76b7b2", "#f28e2b"};
    if (!strcmp(backend, "portable")) return "#9aa0a6";
    if (!strcmp(backend, "xnnpack")) return "#4e79a7";
    if (!strcmp(backend, "vulkan")) return "#e15759";
    if (!strcmp(backend, "runtime")) return "#d3d3d3";
    uint32_t h = 2166136261u;
    for (const char *p = backend; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return palette[h % (sizeof palette / sizeof palette[0])];
}

void sy_bench_escape(FILE *f, const char *s, int xml) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (xml) {
            switch (*p) {
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '&': fputs("&amp;", f); break;
            case '"': fputs("&quot;", f); break;
            case '\'': fputs("&apos;", f); break;
            default:
                if (*p < 0x20 && *p != '\n' && *p != '\t')
                    fputc('?', f); // not allowed in XML 1.0
                else
                    fputc(*p, f);
            }
        } else {
            switch (*p) {
            case '"': fputs("\\\"", f); break;
            case '\\': fputs("\\\\", f); break;
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            default:
                if (*p < 0x20)
                    fprintf(f, "\\u%04x", *p);
                else
                    fputc(*p, f);
            }
        }
    }
}

const char *sy_bench_fmt_bytes(double bytes, char *buf, size_t size) {
    if (bytes < 1024)
        snprintf(buf, size, "%.0f B", bytes);
    else if (bytes < 1024 * 1024)
        snprintf(buf, size, "%.1f KB", bytes / 1024);
    else if (bytes < 1024.0 * 1024 * 1024)
        snprintf(buf, size, "%.1f MB", bytes / (1024 * 1024));
    else
        snprintf(buf, size, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    return buf;
}
