// Delegate plugins: ABI negotiation, every way a plugin can be bad (each must give a message
// naming the file and the reason and leave the other backends working), discovery through
// SWITCHYARD_PLUGIN_PATH, unloading after the last runtime, typed options, and the strict and
// fallback policies. The plugins are built by tests/plugins/CMakeLists.txt from p_*.c.

#include <dlfcn.h>
#include <elf.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "importers/decoder.h"
#include "runtime/plugin.h"
#include "runtime/registry.h"
#include "runtime/runtime.h"

#ifndef SY_TEST_PLUGIN_DIR
#error "SY_TEST_PLUGIN_DIR must name the folder of the test plugins"
#endif

/// Path of test plugin `name` (sixteen rotating buffers, so one statement can use several).
static const char *plugin(const char *name) {
    static char bufs[16][512];
    static int next = 0;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "%s/libsy-test-%s.so", SY_TEST_PLUGIN_DIR, name);
    return b;
}

/// A config with `backends`, `policy` and up to two plugins (NULL: none).
static sy_config *config(const char *backends, sy_policy policy, const char *plugin_a, const char *plugin_b) {
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, backends));
    sy_config_set_policy(c, policy);
    if (plugin_a) CHECK_OK(sy_config_add_plugin(c, plugin_a));
    if (plugin_b) CHECK_OK(sy_config_add_plugin(c, plugin_b));
    return c;
}

/// x, y, z: f32 [2, 3] inputs; prod = (x + y) * z (an output); act = silu(prod) (an output).
/// The tiny test delegates take add and mul; silu must go elsewhere.
static sy_program *small_program(void) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t x, y, z, sum, prod, act;
    sy_value_desc d = {.dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 2, .dims = {2, 3}, .sym = {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_create(&g));
    d.name = "x";
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    d.name = "y";
    CHECK_OK(sy_graph_add_value(g, &d, &y));
    d.name = "z";
    CHECK_OK(sy_graph_add_value(g, &d, &z));
    uint32_t in[2] = {x, y};
    CHECK_OK(sy_graph_add_op(g, "sum", SY_OP_ADD, in, 2, NULL, 0, &sum));
    in[0] = sum;
    in[1] = z;
    CHECK_OK(sy_graph_add_op(g, "prod", SY_OP_MUL, in, 2, NULL, 0, &prod));
    CHECK_OK(sy_graph_add_op(g, "act", SY_OP_SILU, &prod, 1, NULL, 0, &act));
    CHECK_OK(sy_graph_set_output(g, prod, "prod"));
    CHECK_OK(sy_graph_set_output(g, act, "act"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static const float X[6] = {1, 2, 3, 4, 5, 6}, Y[6] = {0.5f, -1, 2, -3, 0.25f, 1}, Z[6] = {2, -1, 0.5f, 1, -2, 3};

/// Runs small_program on X, Y, Z and checks prod = scale^2 * (x + y) * z (the tiny delegate
/// multiplies each of its two results by its `scale` option) and act = silu(prod).
static void check_small_run(sy_runtime *rt, float scale) {
    sy_tensor t = {.dtype = SY_DTYPE_F32, .rank = 2, .dims = {2, 3}};
    t.data = (void *)X;
    CHECK_OK(sy_runtime_set_input(rt, "x", &t));
    t.data = (void *)Y;
    CHECK_OK(sy_runtime_set_input(rt, "y", &t));
    t.data = (void *)Z;
    CHECK_OK(sy_runtime_set_input(rt, "z", &t));
    CHECK_OK(sy_runtime_execute(rt));
    sy_tensor prod, act;
    CHECK_OK(sy_runtime_get_output(rt, "prod", &prod));
    CHECK_OK(sy_runtime_get_output(rt, "act", &act));
    if (!prod.data || !act.data) return;
    for (int i = 0; i < 6; i++) {
        float want = scale * scale * (X[i] + Y[i]) * Z[i];
        CHECK_NEAR(((float *)prod.data)[i], want, 1e-5);
        CHECK_NEAR(((float *)act.data)[i], want / (1.0f + expf(-want)), 1e-5);
    }
}

/// Number of partitions of `rt` on backend `name`, and whether one of them holds an op `op`.
static uint32_t partitions_on(const sy_runtime *rt, const char *name, sy_op op, int *has_op) {
    uint32_t n = 0;
    if (has_op) *has_op = 0;
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        if (strcmp(rt->backends[P->backend].ref.vt->name, name) != 0) continue;
        n++;
        for (uint32_t k = 0; has_op && k < P->n_nodes; k++)
            if (rt->g->nodes[P->nodes[k]].op == op) *has_op = 1;
    }
    return n;
}

// --- the decoder, for end-to-end comparisons against the portable reference ---

static sy_program *decoder_program(void) {
    sy_decoder_config c = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(&c, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

/// Prefill 5 tokens then decode 2; copies the last logits (vocab floats) into `out`.
static void run_decoder(sy_runtime *rt, float *out) {
    static const int64_t tokens[7] = {1, 17, 200, 3, 99, 5, 42};
    sy_decoder_config c = sy_decoder_tiny();
    int64_t start = 0;
    const int64_t counts[3] = {5, 1, 1};
    for (int s = 0; s < 3; s++) {
        int64_t n = counts[s], pos[8];
        for (int64_t i = 0; i < n; i++) pos[i] = start + i;
        sy_tensor ids = {.data = (void *)(tokens + start), .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
        sy_tensor cp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
        CHECK_OK(sy_runtime_set_input(rt, "input_ids", &ids));
        CHECK_OK(sy_runtime_set_input(rt, "cache_position", &cp));
        CHECK_OK(sy_runtime_execute(rt));
        start += n;
    }
    sy_tensor logits;
    CHECK_OK(sy_runtime_get_output(rt, "logits", &logits));
    if (logits.data) memcpy(out, (float *)logits.data + (sy_tensor_numel(&logits) - c.vocab), sizeof(float) * c.vocab);
}

static void reference_logits(const sy_program *p, float *out) {
    sy_config *c = config("portable", SY_POLICY_STRICT, NULL, NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) run_decoder(rt, out);
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
}

// --- the good plugins ---

static void test_frozen_v1_plugin_runs(void) {
    sy_program *p = small_program();
    sy_config *c = config("frozen_v1,portable", SY_POLICY_STRICT, plugin("frozen_v1"), NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        int has_mul = 0;
        CHECK(partitions_on(rt, "frozen_v1", SY_OP_MUL, &has_mul) == 1 && has_mul);
        CHECK(partitions_on(rt, "portable", SY_OP_SILU, NULL) == 1);
        CHECK(strcmp(rt->backends[0].ref.origin, plugin("frozen_v1")) == 0);
        CHECK(!rt->notes || !rt->notes[0]); // nothing fell back
        check_small_run(rt, 1.0f);
    }
    sy_runtime_destroy(rt);
    // Options reach create: scale multiplies each of the plugin's two results.
    rt = NULL;
    CHECK_OK(sy_config_set_option(c, "frozen_v1", "scale", "2"));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) check_small_run(rt, 2.0f);
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

// A plugin built against ABI 1.2 with the delegate kit: ids made inside its partition (ids + 1)
// are checked by the plugin through the host's check_node_data; caller ids by the runtime.
static void test_kit_plugin(void) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    float table[5 * 2] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    int64_t one = 1;
    uint32_t tab, ids, k1, ids2, y;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return;
    CHECK_OK(sy_graph_add_constant(g, "table", SY_DTYPE_F32, 2, (int64_t[]){5, 2}, table, sizeof table, &tab));
    CHECK_OK(sy_graph_add_constant(g, "one", SY_DTYPE_I64, 1, (int64_t[]){1}, &one, sizeof one, &k1));
    sy_value_desc di = {"ids", SY_DTYPE_I64, SY_ROLE_INPUT, 1, {3}, {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &di, &ids));
    CHECK_OK(sy_graph_add_op(g, "next", SY_OP_ADD, (uint32_t[]){ids, k1}, 2, NULL, 0, &ids2));
    CHECK_OK(sy_graph_add_op(g, "emb", SY_OP_EMBEDDING, (uint32_t[]){tab, ids2}, 2, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    sy_config *c = config("kit", SY_POLICY_STRICT, plugin("kit"), NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        CHECK(partitions_on(rt, "kit", SY_OP_EMBEDDING, NULL) == 1);
        int64_t good[3] = {0, 3, 1}, bad[3] = {0, 4, 1};
        sy_tensor t = {.data = good, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {3}}, out;
        CHECK_OK(sy_runtime_set_input(rt, "ids", &t));
        CHECK_OK(sy_runtime_execute(rt));
        CHECK_OK(sy_runtime_get_output(rt, "y", &out));
        const float *o = out.data;
        CHECK(o && o[0] == 2.0f && o[1] == 3.0f && o[2] == 8.0f && o[4] == 4.0f && o[5] == 5.0f);
        t.data = bad; // 4 + 1 = 5 is past the table: only the plugin sees that value
        CHECK_OK(sy_runtime_set_input(rt, "ids", &t));
        CHECK_FAILS(sy_runtime_execute(rt), SY_ERR_OUT_OF_RANGE,
                    "partition #0 (kit) failed: node #1 'emb' (embedding): token id 5 at index 1 is out of range [0, 5)");
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

static void test_plugin_runs_decoder_like_portable(void) {
    sy_program *p = decoder_program();
    sy_decoder_config dc = sy_decoder_tiny();
    float *want = calloc((size_t)dc.vocab, sizeof(float)), *got = calloc((size_t)dc.vocab, sizeof(float));
    reference_logits(p, want);
    sy_config *c = config("frozen_v1,portable", SY_POLICY_STRICT, plugin("frozen_v1"), NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        int has_add = 0;
        CHECK(partitions_on(rt, "frozen_v1", SY_OP_ADD, &has_add) >= 2 && has_add); // residual adds, SwiGLU muls
        run_decoder(rt, got);
        CHECK_ALLCLOSE(got, want, dc.vocab, 1e-5f, 1e-5f);
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    free(want);
    free(got);
    sy_program_destroy(p);
}

static void test_host_calls_only_members_inside_struct_size(void) {
    // "trimmed" ends its vtable before reset_state/read_state/describe and puts poison there.
    sy_program *p = small_program();
    sy_config *c = config("trimmed,portable", SY_POLICY_STRICT, plugin("trimmed"), NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        const sy_delegate *vt = rt->backends[0].ref.vt;
        CHECK(vt->describe && !SY_DELEGATE_HAS(vt, describe) && !SY_DELEGATE_HAS(vt, reset_state));
        CHECK(SY_DELEGATE_HAS(vt, release));
        check_small_run(rt, 1.0f);
        CHECK_OK(sy_runtime_reset_state(rt)); // would return the poison's error
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

// --- bad plugins ---

typedef struct bad_case {
    const char *path;
    sy_status status;
    const char *reason; // a fragment the message must contain besides the path
    const char *reason2; // a second fragment (dlerror text, the other file), or NULL
} bad_case;

/// A bad plugin: sy_plugin_load fails with the file and the reason; a strict runtime fails the
/// same way; a fallback runtime runs on the other backends and notes why the plugin is out;
/// naming the plugin's backend then gives "unknown backend" plus the failed file.
static void check_bad(const bad_case *b, const char *backend_name, const char *first) {
    const char *msg = sy_last_error();
    fprintf(stderr, "  case %s\n", b->path);
    sy_program *p = small_program();
    sy_config *c = config("portable", SY_POLICY_STRICT, first, b->path);
    sy_runtime *rt = NULL;
    CHECK_FAILS(sy_runtime_create(p, c, &rt), b->status, b->path);
    CHECK_MSG(strstr(msg, b->reason) != NULL, "'%s' lacks '%s'", msg, b->reason);
    CHECK_MSG(!b->reason2 || strstr(msg, b->reason2), "'%s' lacks '%s'", msg, b->reason2);
    CHECK(rt == NULL);
    sy_config_set_policy(c, SY_POLICY_FALLBACK);
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        CHECK(rt->notes && strstr(rt->notes, b->path) && strstr(rt->notes, b->reason) && strstr(rt->notes, "fallback"));
        check_small_run(rt, 1.0f);
    }
    sy_runtime_destroy(rt);
    rt = NULL;
    if (backend_name) {
        char list[128];
        snprintf(list, sizeof list, "%s,portable", backend_name);
        CHECK_OK(sy_config_set_backends(c, list));
        CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, "plugins that failed to load: ");
        CHECK_MSG(strstr(msg, b->path) && strstr(msg, "unknown backend"), "%s", msg);
    }
    sy_config_destroy(c);
    sy_program_destroy(p);
}

static void test_bad_plugins(void) {
    char dir[] = "/tmp/sy-plugins-XXXXXX", junk[64], sym[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(junk, sizeof junk, "%s/libjunk.so", dir);
    FILE *f = fopen(junk, "w");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 8; i++) fputs("this is a text file, not a shared library\n", f);
        fclose(f);
    }
    snprintf(sym, sizeof sym, "undefined symbol: %s", SY_PLUGIN_ENTRY_SYMBOL);
    const bad_case cases[] = {
        {"/nonexistent/libsy-missing.so", SY_ERR_IO, "No such file or directory", NULL},
        {junk, SY_ERR_IO, "cannot load it as a shared library", "invalid ELF header"},
        {plugin("no_entry"), SY_ERR_ABI, "no entry symbol 'switchyard_delegate_entry'", sym},
        {plugin("too_new"), SY_ERR_ABI, "speaks delegate ABI 2.0, which is too new", "this host speaks 1.0"},
        {plugin("too_old"), SY_ERR_ABI, "speaks delegate ABI 0.9, which is too old", NULL},
        {plugin("entry_error"), SY_ERR_DELEGATE, "license file /opt/widget.lic is missing", "SY_ERR_UNAVAILABLE"},
        {plugin("null_member"), SY_ERR_ABI, "leaves the required member 'compile' NULL", NULL},
        {plugin("small_struct"), SY_ERR_ABI, "bytes, too small for ABI 1.x", NULL},
        {plugin("data_entry"), SY_ERR_ABI, "entry symbol 'switchyard_delegate_entry' is not a function (a data object)",
         "SY_PLUGIN_ENTRY"},
    };
    const char *names[] = {NULL, NULL, NULL, "too_new", "too_old", NULL, "null_member", "small_struct", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sy_plugin *pl = NULL;
        CHECK_FAILS(sy_plugin_load(cases[i].path, &pl), cases[i].status, cases[i].path);
        CHECK_MSG(strstr(sy_last_error(), cases[i].reason), "'%s' lacks '%s'", sy_last_error(), cases[i].reason);
        CHECK(pl == NULL);
        check_bad(&cases[i], names[i], NULL);
    }
    // Two files, one backend name: the second is refused, naming both files.
    bad_case twin = {plugin("twin-b"), SY_ERR_CONFIG, "a backend named 'twin' already exists", plugin("twin-a")};
    check_bad(&twin, NULL, plugin("twin-a"));
    // A bare file name means the file in the working directory, never a library-path search.
    sy_plugin *pl = NULL;
    CHECK_FAILS(sy_plugin_load("libsy-test-frozen_v1.so", &pl), SY_ERR_IO, "libsy-test-frozen_v1.so");
    remove(junk);
    rmdir(dir);
}

static void test_create_fails(void) {
    sy_program *p = small_program();
    const char *path = plugin("create_fails");
    sy_config *c = config("create_fails,portable", SY_POLICY_STRICT, path, NULL);
    sy_runtime *rt = NULL;
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_UNAVAILABLE, "no widget device found");
    CHECK_MSG(strstr(sy_last_error(), path) && strstr(sy_last_error(), "create_fails"), "%s", sy_last_error());
    sy_config_set_policy(c, SY_POLICY_FALLBACK);
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        CHECK(rt->notes && strstr(rt->notes, "no widget device found") && strstr(rt->notes, path));
        CHECK(partitions_on(rt, "create_fails", SY_OP_ADD, NULL) == 0);
        check_small_run(rt, 1.0f);
    }
    sy_runtime_destroy(rt);
    rt = NULL;
    // A required backend may not fall back, whatever the policy.
    setenv("SWITCHYARD_REQUIRE_CREATE_FAILS", "1", 1);
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_UNAVAILABLE, "no widget device found");
    unsetenv("SWITCHYARD_REQUIRE_CREATE_FAILS");
    CHECK(rt == NULL);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

static void test_supports_but_compile_rejects(void) {
    sy_program *p = decoder_program();
    sy_decoder_config dc = sy_decoder_tiny();
    float *want = calloc((size_t)dc.vocab, sizeof(float)), *got = calloc((size_t)dc.vocab, sizeof(float));
    reference_logits(p, want);
    const char *path = plugin("liar");
    sy_config *c = config("liar,portable", SY_POLICY_FALLBACK, path, NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        // The partitions holding a silu failed to compile and moved to portable (all of their
        // nodes: the runtime bans a failed partition whole), loudly; the liar keeps the
        // partitions it can compile (the residual adds).
        CHECK_MSG(rt->notes && strstr(rt->notes, "fallback: backend 'liar'") && strstr(rt->notes, path) &&
                      strstr(rt->notes, "silu is not implemented after all"),
                  "notes: %s", rt->notes ? rt->notes : "(none)");
        int liar_silu = 1, liar_add = 0, portable_silu = 0;
        CHECK(partitions_on(rt, "liar", SY_OP_SILU, &liar_silu) >= 1 && !liar_silu);
        partitions_on(rt, "liar", SY_OP_ADD, &liar_add);
        partitions_on(rt, "portable", SY_OP_SILU, &portable_silu);
        CHECK(liar_add && portable_silu);
        run_decoder(rt, got);
        CHECK_ALLCLOSE(got, want, dc.vocab, 1e-5f, 1e-5f);
    }
    sy_runtime_destroy(rt);
    rt = NULL;
    sy_config_set_policy(c, SY_POLICY_STRICT);
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_UNSUPPORTED, "backend 'liar'");
    CHECK_MSG(strstr(sy_last_error(), path) && strstr(sy_last_error(), "failed to compile"), "%s", sy_last_error());
    sy_config_destroy(c);
    free(want);
    free(got);
    sy_program_destroy(p);
}

static void test_unsupported_node_without_fallback_backend(void) {
    // No listed backend takes silu: an error under both policies, naming the node and reason.
    sy_program *p = small_program();
    for (int policy = 0; policy < 2; policy++) {
        sy_config *c = config("frozen_v1", (sy_policy)policy, plugin("frozen_v1"), NULL);
        sy_runtime *rt = NULL;
        CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_UNSUPPORTED, "'act' (silu)");
        CHECK_MSG(strstr(sy_last_error(), "only add and mul"), "%s", sy_last_error());
        sy_config_destroy(c);
    }
    sy_program_destroy(p);
}

// --- options ---

static void test_typed_options(void) {
    sy_program *p = small_program();
    const struct {
        const char *key, *value, *needle;
    } bad[] = {
        {"threshold", "1000", "option 'threshold' = '1000' is invalid: expected an integer in [0, 100]"},
        {"threshold", "3.5", "expected an integer in [0, 100]"},
        {"scale", "abc", "option 'scale' = 'abc' is invalid: expected a number in [0.5, 4]"},
        {"scale", "8", "expected a number in [0.5, 4]"},
        {"verbose", "maybe", "option 'verbose' = 'maybe' is invalid: expected true or false"},
        {"mode", "slow", "option 'mode' = 'slow' is invalid: expected one of: fast,exact"},
        {"nope", "1", "backend 'frozen_v1' has no option 'nope' (options: threshold, scale, verbose, mode)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        // Checked even when the backend is not in the list: a typo never passes silently.
        sy_config *c = config(i % 2 ? "portable" : "frozen_v1,portable", SY_POLICY_FALLBACK, plugin("frozen_v1"), NULL);
        CHECK_OK(sy_config_set_option(c, "frozen_v1", bad[i].key, bad[i].value));
        sy_runtime *rt = NULL;
        CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, bad[i].needle);
        CHECK_MSG(strstr(sy_last_error(), "backend 'frozen_v1'"), "%s", sy_last_error());
        sy_config_destroy(c);
    }
    // The same through a JSON config: plugins, options (typed JSON values) and the policy.
    char json[2048];
    snprintf(json, sizeof json,
             "{\"backends\": [\"frozen_v1\", \"portable\"], \"plugins\": [\"%s\"], \"policy\": \"strict\",\n"
             " \"options\": {\"frozen_v1\": {\"scale\": 2, \"verbose\": true, \"mode\": \"exact\", \"threshold\": 0}}}",
             plugin("frozen_v1"));
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_parse_json(c, json, "plugins.json"));
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) check_small_run(rt, 2.0f);
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
}

static sy_status dummy_create(const sy_host_api *h, const sy_option *o, uint32_t n, sy_backend **out) {
    (void)h, (void)o, (void)n, (void)out;
    return SY_ERR_INTERNAL;
}
static void dummy_destroy(sy_backend *b) { (void)b; }
static int dummy_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *r, size_t n) {
    (void)b, (void)g, (void)node, (void)r, (void)n;
    return 0;
}
static sy_status dummy_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **k, sy_compile_info *i) {
    (void)b, (void)sg, (void)k, (void)i;
    return SY_ERR_INTERNAL;
}
static sy_status dummy_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *a) {
    (void)b, (void)k, (void)a;
    return SY_ERR_INTERNAL;
}
static void dummy_release(sy_backend *b, sy_kernel *k) { (void)b, (void)k; }

static void test_option_tables_are_validated(void) {
    // Every built-in delegate passes the checks plugins get.
    for (const sy_delegate *const *d = sy_builtin_delegates; *d; d++) CHECK_OK(sy_delegate_validate(*d, "built-in"));
    // A malformed option table is refused at load time, not crashed on later.
    const struct {
        sy_option_desc opts[2];
        const char *needle;
    } bad[] = {
        {{{"a", SY_OPTION_INT, "7", 0, 5, NULL, NULL}, {"b", SY_OPTION_BOOL, NULL, 0, -1, NULL, NULL}},
         "option 'a' has default '7', which is not an integer in [0, 5]"},
        {{{"a", SY_OPTION_STRING, "slow", 0, -1, "fast,exact", NULL}, {"b", SY_OPTION_BOOL, NULL, 0, -1, NULL, NULL}},
         "option 'a' has default 'slow', which is not one of: fast,exact"},
        {{{"a", SY_OPTION_BOOL, NULL, 0, -1, NULL, NULL}, {"a", SY_OPTION_INT, NULL, 0, -1, NULL, NULL}},
         "declares option 'a' twice"},
        {{{"a", SY_OPTION_BOOL, NULL, 0, -1, NULL, NULL}, {NULL, SY_OPTION_INT, NULL, 0, -1, NULL, NULL}},
         "option #1 has no key"},
        {{{"a", (sy_option_type)9, NULL, 0, -1, NULL, NULL}, {"b", SY_OPTION_INT, NULL, 0, -1, NULL, NULL}},
         "option 'a' has unknown type 9"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sy_delegate vt = {.struct_size = sizeof vt, .abi_version = SY_DELEGATE_ABI_VERSION, .name = "opts",
                          .options = bad[i].opts, .n_options = 2, .create = dummy_create, .destroy = dummy_destroy,
                          .supports = dummy_supports, .compile = dummy_compile, .execute = dummy_execute,
                          .release = dummy_release};
        CHECK_FAILS(sy_delegate_validate(&vt, "plugin 'x.so'"), SY_ERR_ABI, bad[i].needle);
        CHECK_MSG(strncmp(sy_last_error(), "plugin 'x.so': delegate 'opts'", 30) == 0, "%s", sy_last_error());
    }
}

// --- discovery and lifetime ---

static void test_plugin_path_scan(void) {
    char dir[] = "/tmp/sy-plugin-path-XXXXXX", a[128], b[128], sub[128], other[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(a, sizeof a, "%s/libswitchyard-delegate-frozen.so", dir);
    snprintf(b, sizeof b, "%s/libswitchyard-delegate-old.so", dir);
    snprintf(sub, sizeof sub, "%s/libswitchyard-delegate-dir.so", dir);
    snprintf(other, sizeof other, "%s/libsomething-else.so", dir);
    CHECK(symlink(plugin("frozen_v1"), a) == 0);
    CHECK(symlink(plugin("too_old"), b) == 0);
    CHECK(symlink(plugin("twin-a"), other) == 0); // wrong name pattern: never loaded
    CHECK(mkdir(sub, 0700) == 0);                 // right pattern, but not a file
    char **files = NULL;
    uint32_t n = 0;
    char dirs[256];
    snprintf(dirs, sizeof dirs, "/nonexistent/sy-dir::%s/", dir);
    CHECK_OK(sy_plugin_find_files(dirs, &files, &n));
    CHECK(n == 2 && files && strcmp(files[0], a) == 0 && strcmp(files[1], b) == 0); // sorted
    sy_plugin_free_list(files, n);

    setenv(SY_PLUGIN_PATH_ENV, dirs, 1);
    sy_program *p = small_program();
    sy_config *c = config("frozen_v1,portable", SY_POLICY_FALLBACK, NULL, NULL);
    sy_runtime *rt = NULL;
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        CHECK(partitions_on(rt, "frozen_v1", SY_OP_ADD, NULL) == 1);
        CHECK(strcmp(rt->backends[0].ref.origin, a) == 0);
        CHECK_MSG(rt->notes && strstr(rt->notes, b) && strstr(rt->notes, "too old"), "notes: %s",
                  rt->notes ? rt->notes : "(none)");
        check_small_run(rt, 1.0f);
    }
    sy_runtime_destroy(rt);
    rt = NULL;
    sy_config_set_policy(c, SY_POLICY_STRICT);
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_ABI, b);
    sy_config_destroy(c);
    // A file named in the config that the scan also finds loads once (no clash with itself).
    c = config("frozen_v1,portable", SY_POLICY_FALLBACK, plugin("frozen_v1"), plugin("frozen_v1"));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    if (rt) {
        CHECK(strcmp(rt->backends[0].ref.origin, plugin("frozen_v1")) == 0);
        CHECK(rt->notes && !strstr(rt->notes, "already exists"));
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    sy_program_destroy(p);
    unsetenv(SY_PLUGIN_PATH_ENV);
    remove(a);
    remove(b);
    remove(other);
    rmdir(sub);
    rmdir(dir);
}

/// Whether the plugin's library is mapped in this process now.
static int is_mapped(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h); // NOLOAD still took a reference
    return h != NULL;
}

static void test_unload_after_last_runtime(void) {
    sy_program *p = small_program();
    const char *path = plugin("frozen_v1");
    CHECK(!is_mapped(path));
    sy_config *c = config("frozen_v1,portable", SY_POLICY_STRICT, path, NULL);
    sy_runtime *r1 = NULL, *r2 = NULL;
    CHECK_OK(sy_runtime_create(p, c, &r1));
    CHECK_OK(sy_runtime_create(p, c, &r2));
    CHECK(is_mapped(path));
    sy_runtime_destroy(r1);
    CHECK(is_mapped(path)); // r2 still uses it
    if (r2) check_small_run(r2, 1.0f);
    sy_runtime_destroy(r2);
    CHECK(!is_mapped(path));
    sy_config_destroy(c);
    sy_program_destroy(p);
}

// --- what a plugin links against ---

/// Collects the DT_NEEDED entries of an ELF64 shared object into `out` ("a;b;c;"). Returns 0
/// when the file is not an ELF64 object with a dynamic section.
static int elf_needed(const char *path, char *out, size_t size) {
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    int ok = buf && fread(buf, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    const Elf64_Ehdr *eh = (const void *)buf;
    ok = ok && (size_t)n >= sizeof *eh && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
         eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= (uint64_t)n;
    int found = 0;
    for (uint32_t i = 0; ok && i < eh->e_shnum; i++) {
        const Elf64_Shdr *sh = (const void *)(buf + eh->e_shoff + i * sizeof(Elf64_Shdr));
        if (sh->sh_type != SHT_DYNAMIC || sh->sh_link >= eh->e_shnum) continue;
        const Elf64_Shdr *str = (const void *)(buf + eh->e_shoff + sh->sh_link * sizeof(Elf64_Shdr));
        if (sh->sh_offset + sh->sh_size > (uint64_t)n || str->sh_offset + str->sh_size > (uint64_t)n) break;
        found = 1;
        size_t used = 0;
        for (uint64_t k = 0; k < sh->sh_size / sizeof(Elf64_Dyn); k++) {
            const Elf64_Dyn *d = (const void *)(buf + sh->sh_offset + k * sizeof(Elf64_Dyn));
            if (d->d_tag == DT_NULL) break;
            if (d->d_tag == DT_NEEDED && d->d_un.d_val < str->sh_size && used < size)
                used += (size_t)snprintf(out + used, size - used, "%.*s;", (int)(str->sh_size - d->d_un.d_val),
                                         (const char *)buf + str->sh_offset + d->d_un.d_val);
        }
    }
    free(buf);
    return found;
}

static void test_plugins_do_not_link_the_runtime(void) {
    char needed[1024];
    // The parser itself: libswitchyard.so needs libc.
    CHECK(elf_needed(SY_TEST_LIBSWITCHYARD, needed, sizeof needed));
    CHECK_MSG(strstr(needed, "libc.so"), "libswitchyard NEEDED: %s", needed);
    const char *names[] = {"frozen_v1", "trimmed", "liar", "twin-a"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(elf_needed(plugin(names[i]), needed, sizeof needed));
        CHECK_MSG(!strstr(needed, "switchyard"), "%s NEEDED: %s", names[i], needed);
    }
}

int main(void) {
    unsetenv(SY_PLUGIN_PATH_ENV); // the caller's plugin directories would change the results
    RUN(test_frozen_v1_plugin_runs);
    RUN(test_plugin_runs_decoder_like_portable);
    RUN(test_kit_plugin);
    RUN(test_host_calls_only_members_inside_struct_size);
    RUN(test_bad_plugins);
    RUN(test_create_fails);
    RUN(test_supports_but_compile_rejects);
    RUN(test_unsupported_node_without_fallback_backend);
    RUN(test_typed_options);
    RUN(test_option_tables_are_validated);
    RUN(test_plugin_path_scan);
    RUN(test_unload_after_last_runtime);
    RUN(test_plugins_do_not_link_the_runtime);
    return TEST_SUMMARY();
}
