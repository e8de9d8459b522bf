// `switchyard bench --svg FILE`: one horizontal bar chart per phase. A bar is a configuration's
// mean latency per execute, split into its partitions (coloured by backend) and the runtime's
// own time; hovering a segment shows its figures. Written by hand: plain SVG 1.1, no scripts.

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/bench.h"

#define LABEL_W 250.0 // configuration names
#define BAR_W 520.0   // the bar area
#define TEXT_W 190.0  // figures right of the bars
#define ROW_H 26.0
#define BAR_H 16.0
#define WIDTH (LABEL_W + BAR_W + TEXT_W + 20.0)

/// A round axis step giving about five ticks up to `max`.
static double tick_step(double max) {
    if (!(max > 0)) return 1;
    double raw = max / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return mag * (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10);
}

static void text(FILE *f, double x, double y, const char *anchor, const char *style, const char *s) {
    fprintf(f, "  <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor, style[0] ? " " : "", style);
    sy_bench_escape(f, s, 1);
    fprintf(f, "</text>\n");
}

static void segment(FILE *f, double x, double y, double w, const char *color, const char *tip) {
    fprintf(f,
            "  <rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" stroke=\"#ffffff\" "
            "stroke-width=\"0.5\">"
            "<title>",
            x, y, w > 0 ? w : 0, BAR_H, color);
    sy_bench_escape(f, tip, 1);
    fprintf(f, "</title></rect>\n");
}

/// One chart; returns its height.
static double chart(const sy_bench *b, uint32_t ph, double top, FILE *f) {
    double max = 0;
    for (uint32_t ci = 0; ci < b->n_configs; ci++) {
        const sy_bench_config *c = &b->configs[ci];
        if (c->status == SY_BENCH_OK && c->phases[ph].latency.mean > max) max = c->phases[ph].latency.mean;
    }
    double step = tick_step(max), axis_max = step * ceil(max / step);
    if (!(axis_max > 0)) axis_max = 1;
    double scale = BAR_W / axis_max, y = top;
    char title[256], buf[512];
    if (b->llm)
        snprintf(title, sizeof title, "%s: ms per execute (%lld token%s), mean, split by partition", b->phase_names[ph],
                 (long long)b->phase_tokens[ph], b->phase_tokens[ph] == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "ms per execute, mean, split by partition");
    text(f, 10, y + 14, "start", "font-weight=\"bold\"", title);
    y += 26;
    double chart_top = y, rows = b->n_configs ? b->n_configs : 1;
    for (double t = 0; t <= axis_max + step / 2; t += step) { // grid and tick labels
        double x = LABEL_W + t * scale;
        fprintf(f, "  <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", x, chart_top, x,
                chart_top + rows * ROW_H);
        snprintf(buf, sizeof buf, "%g", t);
        text(f, x, chart_top + rows * ROW_H + 14, "middle", "fill=\"#555555\"", buf);
    }
    for (uint32_t ci = 0; ci < b->n_configs; ci++, y += ROW_H) {
        const sy_bench_config *c = &b->configs[ci];
        snprintf(buf, sizeof buf, "%u. %s", ci + 1, c->backends);
        text(f, LABEL_W - 8, y + 13, "end", "", buf);
        if (c->status != SY_BENCH_OK) {
            snprintf(buf, sizeof buf, "%s: %.90s%s", c->status == SY_BENCH_UNAVAILABLE ? "unavailable" : "failed",
                     c->reason, strlen(c->reason) > 90 ? "..." : "");
            text(f, LABEL_W + 4, y + 13, "start", "fill=\"#888888\" font-style=\"italic\"", buf);
            continue;
        }
        const sy_bench_phase *P = &c->phases[ph];
        double x = LABEL_W, bar_y = y + (ROW_H - BAR_H) / 2 - 2;
        char ops[256];
        for (uint32_t p = 0; p < c->n_partitions; p++) {
            double w = P->part_ms[p] * scale;
            sy_bench_part_ops(b, c, p, ops, sizeof ops);
            snprintf(buf, sizeof buf, "%s partition #%u (%s): %.3f ms, %u nodes: %s", c->backends, p,
                     c->part_backend[p], P->part_ms[p], c->part_nodes[p], ops);
            segment(f, x, bar_y, w, sy_bench_backend_color(c->part_backend[p]), buf);
            x += w;
        }
        if (P->overhead_ms > 0) {
            snprintf(buf, sizeof buf, "%s runtime (shape checks, dispatch): %.3f ms", c->backends, P->overhead_ms);
            segment(f, x, bar_y, P->overhead_ms * scale, sy_bench_backend_color("runtime"), buf);
        }
        snprintf(buf, sizeof buf, "median %.3f ms  %.2fx%s", P->latency.median, c->speedup[ph],
                 c->checked && !c->outputs_match ? "  MISMATCH" : "");
        text(f, LABEL_W + BAR_W + 10, y + 13, "start", c->checked && !c->outputs_match ? "fill=\"#c00000\"" : "", buf);
    }
    return y - top + 22;
}

int sy_bench_write_svg(const sy_bench *b, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    // Backends that appear, for the legend.
    const char *legend[32];
    uint32_t n_legend = 0;
    for (uint32_t ci = 0; ci < b->n_configs; ci++)
        for (uint32_t p = 0; b->configs[ci].status == SY_BENCH_OK && p < b->configs[ci].n_partitions; p++) {
            const char *name = b->configs[ci].part_backend[p];
            uint32_t k = 0;
            while (k < n_legend && strcmp(legend[k], name)) k++;
            if (k == n_legend && n_legend < 31) legend[n_legend++] = name;
        }
    legend[n_legend++] = "runtime";
    double rows = b->n_configs ? b->n_configs : 1;
    double height = 40 + b->n_phases * (26 + rows * ROW_H + 22 + 20) + 25; // as laid out below
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
            WIDTH, height, WIDTH, height);
    fprintf(f, "  <rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", WIDTH, height);
    const char *name = strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path;
    char buf[512];
    snprintf(buf, sizeof buf, "switchyard bench: %s (%.2fM parameters)", name, (double)b->n_params / 1e6);
    text(f, 10, 22, "start", "font-size=\"15\" font-weight=\"bold\"", buf);
    double y = 40;
    for (uint32_t ph = 0; ph < b->n_phases; ph++) y += chart(b, ph, y, f) + 20;
    double x = 10;
    for (uint32_t k = 0; k < n_legend; k++) {
        fprintf(f, "  <rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y,
                sy_bench_backend_color(legend[k]));
        text(f, x + 16, y + 10, "start", "", legend[k]);
        x += 30 + 7.0 * (double)strlen(legend[k]);
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "switchyard bench: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}
