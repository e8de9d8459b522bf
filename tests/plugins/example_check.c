// Helper of tests/plugins/example_test.sh (not a CTest by itself):
//   sy_example_check save FILE      writes the demo decoder program to FILE
//   sy_example_check compare PLUGIN runs the demo decoder on "example,portable" with PLUGIN
//                                   loaded and on "portable" alone, and compares the logits
// Exit status 0 when everything matches.

#include <stdlib.h>

#include "harness.h"
#include "importers/decoder.h"
#include "runtime/runtime.h"

static sy_runtime *make(const sy_program *p, const char *backends, const char *plugin, const char *opt) {
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, backends));
    sy_config_set_policy(c, SY_POLICY_STRICT); // a compile failure must not hide behind fallback
    if (plugin) CHECK_OK(sy_config_add_plugin(c, plugin));
    if (opt) CHECK_OK(sy_config_set_option(c, "example", "verbose", opt));
    CHECK_OK(sy_runtime_create(p, c, &rt));
    sy_config_destroy(c);
    return rt;
}

/// Prefill 6 tokens, then decode 3 one at a time; appends every step's last-row logits to out.
static void run(sy_runtime *rt, int64_t vocab, float *out) {
    static const int64_t tokens[9] = {5, 77, 3, 250, 18, 9, 101, 64, 2};
    const int64_t counts[4] = {6, 1, 1, 1};
    int64_t start = 0;
    for (int s = 0; s < 4; s++) {
        int64_t n = counts[s], pos[8];
        for (int64_t i = 0; i < n; i++) pos[i] = start + i;
        sy_tensor ids = {.data = (void *)(tokens + start), .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, n}};
        sy_tensor cp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {n}};
        sy_tensor logits = {0};
        CHECK_OK(sy_runtime_set_input(rt, "input_ids", &ids));
        CHECK_OK(sy_runtime_set_input(rt, "cache_position", &cp));
        CHECK_OK(sy_runtime_execute(rt));
        CHECK_OK(sy_runtime_get_output(rt, "logits", &logits));
        if (logits.data) memcpy(out + s * vocab, (float *)logits.data + (n - 1) * vocab, sizeof(float) * (size_t)vocab);
        start += n;
    }
}

static int compare(const char *plugin) {
    sy_decoder_config dc = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(&dc, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    if (!p) return TEST_SUMMARY();
    float *want = calloc((size_t)(4 * dc.vocab), sizeof(float)), *got = calloc((size_t)(4 * dc.vocab), sizeof(float));
    sy_runtime *ref = make(p, "portable", NULL, NULL), *ex = make(p, "example,portable", plugin, "false");
    if (ref && ex) {
        // Every op the example implements must have landed on it at least once.
        int seen[SY_OP_COUNT] = {0};
        uint32_t n_example = 0;
        for (uint32_t i = 0; i < ex->plan.n_partitions; i++) {
            const sy_partition *P = &ex->plan.partitions[i];
            if (strcmp(ex->backends[P->backend].ref.vt->name, "example") != 0) continue;
            n_example++;
            for (uint32_t k = 0; k < P->n_nodes; k++) seen[ex->g->nodes[P->nodes[k]].op] = 1;
        }
        printf("example took %u of %u partitions\n", n_example, ex->plan.n_partitions);
        CHECK(n_example > 0);
        CHECK(seen[SY_OP_LINEAR] && seen[SY_OP_ADD] && seen[SY_OP_MUL] && seen[SY_OP_SILU]);
        run(ref, dc.vocab, want);
        run(ex, dc.vocab, got);
        CHECK_ALLCLOSE(got, want, 4 * dc.vocab, 1e-4f, 1e-4f);
    }
    sy_runtime_destroy(ref);
    sy_runtime_destroy(ex);
    // Its typed option is checked against its descriptor.
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&c));
    CHECK_OK(sy_config_set_backends(c, "example,portable"));
    CHECK_OK(sy_config_add_plugin(c, plugin));
    CHECK_OK(sy_config_set_option(c, "example", "verbose", "maybe"));
    CHECK_FAILS(sy_runtime_create(p, c, &rt), SY_ERR_CONFIG, "backend 'example' option 'verbose' = 'maybe'");
    sy_config_destroy(c);
    free(want);
    free(got);
    sy_program_destroy(p);
    return TEST_SUMMARY();
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "save") == 0) {
        sy_decoder_config dc = sy_decoder_tiny();
        sy_graph *g = NULL;
        CHECK_OK(sy_decoder_build(&dc, &g));
        if (g) CHECK_OK(sy_graph_save(g, argv[2]));
        sy_graph_destroy(g);
        return TEST_SUMMARY();
    }
    if (argc == 3 && strcmp(argv[1], "compare") == 0) return compare(argv[2]);
    fprintf(stderr, "usage: sy_example_check save FILE | compare PLUGIN\n");
    return 2;
}
