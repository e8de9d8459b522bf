// A minimal delegate plugin for bench_dispatch: "noop" runs f32 `add` of equal shapes and
// nothing else, with as little work per call as a delegate can do. Pinning every other node of
// a chain to it makes one partition per node, which is how bench_dispatch measures the
// runtime's cost per partition. Sees only the public headers (a plugin never links the library).

#include <string.h>

#include "switchyard/delegate.h"

struct sy_backend {
    const sy_host_api *host;
};

/// Where each value of a partition lives during execute.
enum { SLOT_NONE, SLOT_INPUT, SLOT_OUTPUT, SLOT_CONST, SLOT_SCRATCH };

typedef struct slot {
    uint8_t kind;
    uint32_t index; // SLOT_INPUT / SLOT_OUTPUT: position in the exec args
    size_t offset;  // SLOT_SCRATCH: byte offset in the scratch
} slot;

struct sy_kernel {
    const sy_subgraph *sg;
    slot *slots;       // (n_values)
    sy_tensor *tensor; // (n_values) concrete tensors of the current call
};

static sy_status noop_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                             sy_backend **backend_out) {
    (void)options;
    (void)n_options;
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "noop: out of memory");
    b->host = host;
    *backend_out = b;
    return SY_OK;
}

static void noop_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

static int same_shape(const sy_value_info *a, const sy_value_info *b) {
    if (a->rank != b->rank) return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i] || a->sym[i] != b->sym[i]) return 0;
    return 1;
}

static int noop_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    const sy_node_info *n = &g->nodes[node];
    const sy_value_info *x = &g->values[n->inputs[0]];
    if (n->op != SY_OP_ADD || x->dtype != SY_DTYPE_F32 || !same_shape(x, &g->values[n->inputs[1]])) {
        if (size) strncpy(reason, "noop runs only f32 add of equal shapes", size - 1), reason[size - 1] = '\0';
        return 0;
    }
    return 1;
}

static void noop_release(sy_backend *b, sy_kernel *k) {
    if (!k) return;
    b->host->free(b->host->host, k->slots);
    b->host->free(b->host->host, k->tensor);
    b->host->free(b->host->host, k);
}

static sy_status noop_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info) {
    const sy_graph_view *g = sg->graph;
    sy_kernel *k = b->host->alloc(b->host->host, sizeof *k, 16);
    if (!k) return b->host->error(b->host->host, SY_ERR_OUT_OF_MEMORY, "noop: out of memory");
    k->sg = sg;
    k->slots = b->host->alloc(b->host->host, sizeof(slot) * (g->n_values + 1), 16);
    k->tensor = b->host->alloc(b->host->host, sizeof(sy_tensor) * (g->n_values + 1), 16);
    if (!k->slots || !k->tensor) {
        noop_release(b, k);
        return b->host->error(b->host->host, SY_ERR_OUT_OF_MEMORY, "noop: out of memory");
    }
    memset(k->slots, 0, sizeof(slot) * (g->n_values + 1));
    for (uint32_t i = 0; i < sg->n_inputs; i++) k->slots[sg->inputs[i]] = (slot){SLOT_INPUT, i, 0};
    for (uint32_t i = 0; i < sg->n_outputs; i++) k->slots[sg->outputs[i]] = (slot){SLOT_OUTPUT, i, 0};
    size_t scratch = 0;
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *n = &g->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < 2; i++) {
            const sy_value_info *v = &g->values[n->inputs[i]];
            if (v->role != SY_ROLE_CONSTANT) continue;
            k->slots[n->inputs[i]].kind = SLOT_CONST;
            sy_tensor *t = &k->tensor[n->inputs[i]];
            t->data = (void *)v->data;
            t->dtype = v->dtype;
            t->rank = v->rank;
            memcpy(t->dims, v->dims, sizeof v->dims);
        }
        uint32_t out = n->outputs[0];
        if (k->slots[out].kind == SLOT_NONE) { // internal: no reuse, the chains here are short
            k->slots[out] = (slot){SLOT_SCRATCH, 0, scratch};
            scratch += (g->values[out].nbytes + 63) & ~(size_t)63;
        }
    }
    info->scratch_bytes = scratch;
    *kernel_out = k;
    return SY_OK;
}

static sy_status noop_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    (void)b;
    const sy_subgraph *sg = k->sg;
    const sy_graph_view *g = sg->graph;
    for (uint32_t i = 0; i < sg->n_inputs; i++) k->tensor[sg->inputs[i]] = args->inputs[i];
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *n = &g->nodes[sg->nodes[s]];
        const sy_tensor *x = &k->tensor[n->inputs[0]], *y = &k->tensor[n->inputs[1]];
        const slot *sl = &k->slots[n->outputs[0]];
        sy_tensor *o = &k->tensor[n->outputs[0]];
        *o = *x;
        o->data = sl->kind == SLOT_OUTPUT ? args->outputs[sl->index].data : (char *)args->scratch + sl->offset;
        const float *a = x->data, *c = y->data;
        float *z = o->data;
        for (int64_t i = 0, e = sy_tensor_numel(x); i < e; i++) z[i] = a[i] + c[i];
    }
    return SY_OK;
}

static const sy_delegate noop_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "noop",
    .version = "1.0.0",
    .vendor = "Switchyard benchmarks",
    .create = noop_create,
    .destroy = noop_destroy,
    .supports = noop_supports,
    .compile = noop_compile,
    .execute = noop_execute,
    .release = noop_release,
};

static const sy_delegate *const noop_delegates[] = {&noop_delegate};

SY_PLUGIN_ENTRY(query, answer) {
    (void)query;
    answer->abi_version = SY_DELEGATE_ABI_VERSION;
    answer->n_delegates = 1;
    answer->delegates = noop_delegates;
    return SY_OK;
}
