// The portable delegate: runs every op with the reference kernels. It is the fallback that makes
// every program runnable, and the reference every other delegate is checked against.
//
// A compiled partition maps each value it touches to where its bytes live during execute:
// boundary tensors (host memory, from the exec args), constants (borrowed from the program),
// and partition-internal intermediates, planned by lifetime into the host-provided scratch.

#include <string.h>

#include "core/memplan.h"
#include "core/ops.h"
#include "core/status.h"
#include "delegates/portable/kernels.h"

enum slot_kind { SLOT_NONE = 0, SLOT_INPUT, SLOT_OUTPUT, SLOT_STATE, SLOT_CONST, SLOT_SCRATCH };

typedef struct slot {
    uint8_t kind;
    uint32_t index;  // into args->inputs/outputs/states
    size_t offset;   // SLOT_SCRATCH: offset in args->scratch
} slot;

struct sy_backend {
    const sy_host_api *host;
};

struct sy_kernel {
    const sy_subgraph *sg; // borrowed: the host keeps it alive until release
    slot *slots;           // (n_values)
    sy_tensor *tensors;    // (n_values) concrete shapes + data of the current call
};

static const sy_portable_kernel_fn kernels[SY_OP_COUNT] = {
#define SY_PORTABLE_ENTRY_(id, name, min_in, max_in, n_out, mut) sy_portable_##id,
    SY_OP_LIST(SY_PORTABLE_ENTRY_)
#undef SY_PORTABLE_ENTRY_
};

static sy_status portable_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                                 sy_backend **backend_out) {
    (void)options;
    (void)n_options;
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "portable: out of memory");
    b->host = host;
    *backend_out = b;
    return SY_OK;
}

static void portable_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

static int portable_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    (void)reason;
    (void)size;
    return (unsigned)g->nodes[node].op < SY_OP_COUNT; // every op of the set, every dtype its rule admits
}

static void portable_release(sy_backend *b, sy_kernel *k) {
    if (!k) return;
    b->host->free(b->host->host, k->slots);
    b->host->free(b->host->host, k->tensors);
    b->host->free(b->host->host, k);
}

static sy_status portable_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out,
                                  sy_compile_info *info) {
    const sy_host_api *h = b->host;
    const sy_graph_view *g = sg->graph;
    uint32_t nv = g->n_values;
    sy_kernel *k = h->alloc(h->host, sizeof *k, 16);
    if (!k) return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "portable: out of memory");
    memset(k, 0, sizeof *k);
    k->sg = sg;
    k->slots = h->alloc(h->host, sizeof(slot) * (nv + 1), 16);
    k->tensors = h->alloc(h->host, sizeof(sy_tensor) * (nv + 1), 16);
    sy_mem_request *req = h->alloc(h->host, sizeof(sy_mem_request) * (nv + 1), 16);
    size_t *offsets = h->alloc(h->host, sizeof(size_t) * (nv + 1), 16);
    uint32_t *req_value = h->alloc(h->host, sizeof(uint32_t) * (nv + 1), 16);
    sy_status st = SY_OK;
    if (!k->slots || !k->tensors || !req || !offsets || !req_value) {
        st = h->error(h->host, SY_ERR_OUT_OF_MEMORY, "portable: out of memory compiling");
        goto done;
    }
    memset(k->slots, 0, sizeof(slot) * (nv + 1));
    memset(k->tensors, 0, sizeof(sy_tensor) * (nv + 1));
    for (uint32_t i = 0; i < sg->n_inputs; i++) k->slots[sg->inputs[i]] = (slot){SLOT_INPUT, i, 0};
    for (uint32_t i = 0; i < sg->n_outputs; i++) k->slots[sg->outputs[i]] = (slot){SLOT_OUTPUT, i, 0};
    for (uint32_t i = 0; i < sg->n_states; i++) k->slots[sg->states[i]] = (slot){SLOT_STATE, i, 0};
    // Internal values: produced here, read only here. Their lifetime runs from the producing
    // node's step to the last reading step.
    uint32_t nr = 0;
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *node = &g->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            uint32_t v = node->inputs[i];
            if (v == SY_NO_VALUE) continue;
            if (g->values[v].role == SY_ROLE_CONSTANT) {
                k->slots[v].kind = SLOT_CONST;
                k->tensors[v].data = (void *)g->values[v].data;
            }
            for (uint32_t r = 0; r < nr; r++)
                if (req_value[r] == v) req[r].last = s;
        }
        for (uint32_t o = 0; o < node->n_outputs; o++) {
            uint32_t v = node->outputs[o];
            if (k->slots[v].kind != SLOT_NONE) continue;
            k->slots[v].kind = SLOT_SCRATCH;
            req[nr] = (sy_mem_request){g->values[v].nbytes, s, s};
            req_value[nr++] = v;
        }
    }
    size_t total = 0;
    st = sy_plan_memory(req, nr, 64, offsets, &total);
    if (st != SY_OK) goto done;
    for (uint32_t r = 0; r < nr; r++) k->slots[req_value[r]].offset = offsets[r];
    info->scratch_bytes = total;
    info->packed_bytes = 0; // weights are read in place from the program
    info->detail = NULL;
    *kernel_out = k;
done:
    h->free(h->host, req);
    h->free(h->host, offsets);
    h->free(h->host, req_value);
    if (st != SY_OK) portable_release(b, k);
    return st;
}

static sy_status portable_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    const sy_subgraph *sg = k->sg;
    const sy_graph_view *g = sg->graph;
    sy_tensor *t = k->tensors;
    for (uint32_t i = 0; i < sg->n_inputs; i++) t[sg->inputs[i]] = args->inputs[i];
    for (uint32_t i = 0; i < sg->n_states; i++) t[sg->states[i]] = args->states[i];
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        uint32_t n = sg->nodes[s];
        const sy_node_info *node = &g->nodes[n];
        sy_tensor in[16], out[4];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            uint32_t v = node->inputs[i];
            if (v == SY_NO_VALUE) {
                memset(&in[i], 0, sizeof in[i]);
            } else {
                if (k->slots[v].kind == SLOT_CONST) {
                    const sy_value_info *vi = &g->values[v];
                    t[v].dtype = vi->dtype;
                    t[v].rank = vi->rank;
                    memcpy(t[v].dims, vi->dims, sizeof vi->dims);
                }
                in[i] = t[v];
            }
        }
        sy_status st = b->host->infer_node(b->host->host, g, n, in, out);
        if (st == SY_OK) st = b->host->check_node_data(b->host->host, g, n, in); // before any write
        if (st != SY_OK) return st;
        for (uint32_t o = 0; o < node->n_outputs; o++) {
            uint32_t v = node->outputs[o];
            const slot *sl = &k->slots[v];
            out[o].data = sl->kind == SLOT_OUTPUT ? args->outputs[sl->index].data
                                                  : (char *)args->scratch + sl->offset;
            t[v] = out[o];
        }
        if (b->host->profile_begin) b->host->profile_begin(b->host->host, node->name);
        st = kernels[node->op](node, in, out);
        if (b->host->profile_end) b->host->profile_end(b->host->host, node->name);
        if (st != SY_OK) return sy_error_prefix(st, "node #%u '%s' (%s)", n, node->name, sy_op_name(node->op));
    }
    return SY_OK;
}

const sy_delegate sy_portable_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "portable",
    .version = SY_VERSION_STRING,
    .vendor = "Switchyard",
    .options = NULL,
    .n_options = 0,
    .available = NULL,
    .create = portable_create,
    .destroy = portable_destroy,
    .supports = portable_supports,
    .compile = portable_compile,
    .execute = portable_execute,
    .release = portable_release,
};
