// `switchyard bench --svg` and `--trace`: the SVG is well-formed XML (checked by a small
// independent well-formedness checker, itself tested on broken documents) with one bar segment
// per partition; the trace is JSON in the Trace Event Format with the partitions and the ops.

#include <ctype.h>

#include "bench_test.h"

// --- a minimal XML well-formedness checker: prolog, comments, elements, quoted attributes,
//     entity references, balanced tags, one root element ---

static int name_char(int c) {
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static int check_entity(const char **p) { // at '&'
    static const char *const names[] = {"lt;", "gt;", "amp;", "quot;", "apos;"};
    const char *s = *p + 1;
    if (*s == '#') {
        s++;
        int hex = *s == 'x' ? (s++, 1) : 0, digits = 0;
        while (hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)) s++, digits++;
        if (!digits || *s != ';') return 0;
        *p = s + 1;
        return 1;
    }
    for (int i = 0; i < 5; i++)
        if (!strncmp(s, names[i], strlen(names[i]))) {
            *p = s + strlen(names[i]);
            return 1;
        }
    return 0;
}

/// 1 when `doc` is well-formed; otherwise 0 with the reason in `why`.
static int xml_well_formed(const char *doc, char *why, size_t size) {
    const char *p = doc, *stack[256];
    size_t lens[256];
    int depth = 0, roots = 0;
#define BAD(msg) return snprintf(why, size, "%s at offset %ld", msg, (long)(p - doc)), 0
    if (!strncmp(p, "<?xml", 5)) {
        p = strstr(p, "?>");
        if (!p) BAD("unterminated prolog");
        p += 2;
    }
    while (*p) {
        if (*p != '<') {
            if (*p == '&') {
                if (!check_entity(&p)) BAD("bad entity");
                continue;
            }
            if (depth == 0 && !isspace((unsigned char)*p)) BAD("text outside the root element");
            p++;
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            const char *end = strstr(p + 4, "-->");
            if (!end) BAD("unterminated comment");
            p = end + 3;
            continue;
        }
        if (p[1] == '/') { // closing tag
            const char *n = p + 2, *e = n;
            while (name_char((unsigned char)*e)) e++;
            if (depth == 0 || (size_t)(e - n) != lens[depth - 1] || strncmp(n, stack[depth - 1], lens[depth - 1]))
                BAD("mismatched closing tag");
            while (isspace((unsigned char)*e)) e++;
            if (*e != '>') BAD("bad closing tag");
            depth--;
            p = e + 1;
            continue;
        }
        const char *n = p + 1, *e = n; // opening tag
        if (!isalpha((unsigned char)*n) && *n != '_') BAD("bad tag name");
        while (name_char((unsigned char)*e)) e++;
        if (depth == 0 && roots++) BAD("second root element");
        const char *q = e;
        for (;;) {
            while (isspace((unsigned char)*q)) q++;
            if (*q == '>' || (q[0] == '/' && q[1] == '>')) break;
            if (q == e || !isspace((unsigned char)q[-1])) {
                p = q;
                BAD("attribute without a space before it");
            }
            if (!isalpha((unsigned char)*q) && *q != '_') {
                p = q;
                BAD("bad attribute name");
            }
            while (name_char((unsigned char)*q)) q++;
            if (*q != '=') {
                p = q;
                BAD("attribute without '='");
            }
            q++;
            char quote = *q;
            if (quote != '"' && quote != '\'') {
                p = q;
                BAD("unquoted attribute value");
            }
            for (q++; *q != quote; q++) {
                if (!*q || *q == '<') {
                    p = q;
                    BAD("bad attribute value");
                }
                if (*q == '&') {
                    const char *r = q;
                    if (!check_entity(&r)) {
                        p = q;
                        BAD("bad entity in attribute");
                    }
                    q = r - 1;
                }
            }
            q++;
        }
        if (*q == '/') {
            p = q + 2;
        } else {
            if (depth == 256) BAD("too deep");
            stack[depth] = n;
            lens[depth++] = (size_t)(e - n);
            p = q + 1;
        }
    }
    if (depth) BAD("unclosed element");
    if (roots != 1) BAD("no root element");
#undef BAD
    return 1;
}

static void test_checker_rejects_broken_documents(void) {
    char why[128];
    CHECK(xml_well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; &#65;<c y='2'></c></a>\n", why, sizeof why));
    const char *bad[] = {"<a><b></a></b>", "<a x=1/>", "<a>&foo;</a>",        "<a x=\"<\"/>",
                         "<a></a><b/>",    "<a>",      "<a x=\"1\"y=\"2\"/>", "text<a/>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!xml_well_formed(bad[i], why, sizeof why), "accepted '%s'", bad[i]);
}

static const char *dir;
static char prog[256], svg[256], trace[256], log_path[256];

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_svg_is_well_formed(void) {
    // A name with XML specials must come out escaped: a plugin path cannot hold them, but the
    // program path can.
    char odd[300];
    snprintf(odd, sizeof odd, "%s/a&b<c>.syp", dir);
    CHECK(rename(prog, odd) == 0);
    int rc = bt_bench(log_path,
                      "'%s' --plugin '%s' --backends portable --backends wrong,portable --backends nosuch "
                      "--warmup 0 --iters 2 --svg '%s' --trace '%s' --quiet",
                      odd, SY_BENCH_WRONG_PLUGIN, svg, trace);
    CHECK(rename(odd, prog) == 0);
    CHECK(rc == 3);
    char *doc = bt_read(svg), why[128] = "";
    CHECK(doc != NULL);
    if (!doc) return;
    CHECK_MSG(xml_well_formed(doc, why, sizeof why), "%s", why);
    CHECK(strstr(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    CHECK(strstr(doc, "a&amp;b&lt;c&gt;.syp") != NULL);
    // One segment per partition: 1 (portable) + the wrong configuration's partitions, plus a
    // runtime segment per configuration that ran.
    int parts = count(doc, "partition #");
    CHECK_MSG(parts >= 3, "%d partition segments", parts);
    CHECK(count(doc, "(wrong):") == 1);
    CHECK(strstr(doc, "unavailable: backend &apos;nosuch&apos;") != NULL);
    CHECK(strstr(doc, "MISMATCH") != NULL);
    free(doc);
}

static void test_trace_is_chrome_json(void) {
    cJSON *root = bt_read_json(trace);
    if (!root) return;
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(root, "traceEvents"), *e;
    CHECK(cJSON_IsArray(events));
    int executes = 0, partitions = 0, wrong_add = 0, proj = 0, bad = 0;
    cJSON_ArrayForEach(e, events) {
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(e, "ph"),
                    *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(ph) || !cJSON_IsString(name) ||
            !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "pid"))) {
            bad++;
            continue;
        }
        if (strcmp(ph->valuestring, "X")) continue;
        double ts = bt_num(e, "ts"), dur = bt_num(e, "dur");
        if (!(ts >= 0 && dur >= 0)) bad++;
        const char *cat = cJSON_GetObjectItemCaseSensitive(e, "cat")->valuestring;
        executes += !strcmp(cat, "execute");
        partitions += !strcmp(cat, "partition");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(args, "op"),
                    *be = cJSON_GetObjectItemCaseSensitive(args, "backend");
        if (!strcmp(name->valuestring, "residual") && cJSON_IsString(be) && !strcmp(be->valuestring, "wrong"))
            wrong_add += cJSON_IsString(op) && !strcmp(op->valuestring, "add");
        if (!strcmp(name->valuestring, "proj")) proj += cJSON_IsString(op) && !strcmp(op->valuestring, "linear");
    }
    CHECK(bad == 0);
    CHECK(executes == 2); // one per configuration that ran
    CHECK(partitions >= 3);
    CHECK(wrong_add == 1);
    CHECK(proj == 2); // the linear in both configurations
    cJSON_Delete(root);
}

int main(void) {
    dir = bt_tmpdir();
    snprintf(prog, sizeof prog, "%s/tiny.syp", dir);
    snprintf(svg, sizeof svg, "%s/chart.svg", dir);
    snprintf(trace, sizeof trace, "%s/trace.json", dir);
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    RUN(test_checker_rejects_broken_documents);
    if (bt_write_tiny(prog)) {
        RUN(test_svg_is_well_formed);
        RUN(test_trace_is_chrome_json);
    }
    bt_rmdir(dir);
    return TEST_SUMMARY();
}
