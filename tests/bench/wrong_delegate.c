// A deliberately wrong delegate plugin for the bench tests: "wrong" takes f32 `add` nodes of
// equal shapes and returns a + b + 0.25, so `switchyard bench` must flag the outputs that
// depend on it. It reports each node through the host's profiling hooks like a real delegate.
// Only single-node partitions are compiled (the test program has one add).

#include <string.h>

#include "switchyard/delegate.h"

#define WRONG_OFFSET 0.25f

struct sy_backend {
    const sy_host_api *host;
};

struct sy_kernel {
    const sy_subgraph *sg;
};

static sy_status wrong_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                              sy_backend **backend_out) {
    (void)options;
    (void)n_options;
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "wrong: out of memory");
    b->host = host;
    *backend_out = b;
    return SY_OK;
}

static void wrong_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

static int wrong_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    const sy_node_info *n = &g->nodes[node];
    const sy_value_info *x = &g->values[n->inputs[0]], *y = n->n_inputs > 1 ? &g->values[n->inputs[1]] : NULL;
    int ok = n->op == SY_OP_ADD && y && x->dtype == SY_DTYPE_F32 && y->dtype == SY_DTYPE_F32 && x->rank == y->rank;
    for (uint32_t i = 0; ok && i < x->rank; i++) ok = x->dims[i] == y->dims[i];
    if (!ok && size) {
        strncpy(reason, "wrong takes only f32 add of equal shapes", size - 1);
        reason[size - 1] = '\0';
    }
    return ok;
}

static sy_status wrong_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info) {
    (void)info;
    if (sg->n_nodes != 1 || sg->n_inputs != 2 || sg->n_outputs != 1)
        return b->host->error(b->host->host, SY_ERR_UNSUPPORTED, "wrong compiles single-add partitions only");
    sy_kernel *k = b->host->alloc(b->host->host, sizeof *k, 16);
    if (!k) return b->host->error(b->host->host, SY_ERR_OUT_OF_MEMORY, "wrong: out of memory");
    k->sg = sg;
    *kernel_out = k;
    return SY_OK;
}

static sy_status wrong_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    const sy_node_info *n = &k->sg->graph->nodes[k->sg->nodes[0]];
    // The node's inputs in the order of the partition's inputs.
    const sy_tensor *x = &args->inputs[0], *y = &args->inputs[1];
    if (k->sg->inputs[0] != n->inputs[0]) x = &args->inputs[1], y = &args->inputs[0];
    if (n->inputs[0] == n->inputs[1]) y = x;
    const float *a = x->data, *c = y->data;
    float *z = args->outputs[0].data;
    // A delegate that stages data reports it as an event that is not a node; bench counts it
    // as copy time. The same pointer closes it (the host matches events by name pointer).
    static const char *const staging = "wrong: copy inputs";
    b->host->profile_begin(b->host->host, staging);
    volatile float touch = 0;
    for (int64_t i = 0, e = sy_tensor_numel(x); i < e; i++) touch += a[i] + c[i];
    b->host->profile_end(b->host->host, staging);
    b->host->profile_begin(b->host->host, n->name);
    for (int64_t i = 0, e = sy_tensor_numel(x); i < e; i++) z[i] = a[i] + c[i] + WRONG_OFFSET;
    b->host->profile_end(b->host->host, n->name);
    return SY_OK;
}

static void wrong_release(sy_backend *b, sy_kernel *k) {
    if (k) b->host->free(b->host->host, k);
}

static const sy_delegate wrong_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "wrong",
    .version = "0.0.1",
    .vendor = "Switchyard tests",
    .create = wrong_create,
    .destroy = wrong_destroy,
    .supports = wrong_supports,
    .compile = wrong_compile,
    .execute = wrong_execute,
    .release = wrong_release,
};

static const sy_delegate *const wrong_delegates[] = {&wrong_delegate};

SY_PLUGIN_ENTRY(query, answer) {
    (void)query;
    answer->abi_version = SY_DELEGATE_ABI_VERSION;
    answer->n_delegates = 1;
    answer->delegates = wrong_delegates;
    return SY_OK;
}
