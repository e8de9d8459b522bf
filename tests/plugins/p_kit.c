// A plugin built against the ABI 1.2 headers that uses the delegate kit
// (switchyard/delegate_kit.h) and the new host member check_node_data: it takes i64 `add` and
// f32-table `embedding`. Ids computed inside its partition (ids + 1) reach the embedding there,
// where only the plugin can check them: it calls the op record's data check through the host.

#include <stdlib.h>

#include "switchyard/delegate_kit.h"

struct sy_backend {
    const sy_host_api *host; // borrowed, valid until destroy
};

struct sy_kernel {
    sy_kit_partition kp;
    size_t *offset; // (kp.n_values) internal values' offsets in args->scratch
};

typedef struct kit_op {
    int (*supports)(const sy_graph_view *g, const sy_node_info *n, char *reason, size_t size);
    void (*run)(const sy_tensor *in, sy_tensor *out);
} kit_op;

static int add_supports(const sy_graph_view *g, const sy_node_info *n, char *reason, size_t size) {
    const sy_value_info *a = &g->values[n->inputs[0]], *b = &g->values[n->inputs[1]];
    if (a->dtype != SY_DTYPE_I64 || b->dtype != SY_DTYPE_I64 || b->rank != 1 || b->dims[0] != 1)
        return sy_kit_refuse(reason, size, "add needs i64 + i64 [1]");
    return 1;
}

static void add_run(const sy_tensor *in, sy_tensor *out) {
    int64_t n = sy_tensor_numel(&in[0]), k = ((const int64_t *)in[1].data)[0];
    for (int64_t i = 0; i < n; i++) ((int64_t *)out->data)[i] = ((const int64_t *)in[0].data)[i] + k;
}

static int emb_supports(const sy_graph_view *g, const sy_node_info *n, char *reason, size_t size) {
    if (g->values[n->inputs[0]].dtype != SY_DTYPE_F32 || g->values[n->inputs[1]].dtype != SY_DTYPE_I64)
        return sy_kit_refuse(reason, size, "embedding needs an f32 table and i64 ids");
    return 1;
}

static void emb_run(const sy_tensor *in, sy_tensor *out) { // ids were checked by the host's data check
    int64_t n = sy_tensor_numel(&in[1]), d = in[0].dims[1];
    for (int64_t i = 0; i < n; i++)
        memcpy((float *)out->data + i * d, (const float *)in[0].data + ((const int64_t *)in[1].data)[i] * d,
               sizeof(float) * (size_t)d);
}

static const kit_op ops[SY_OP_COUNT] = {
    [SY_OP_ADD] = {add_supports, add_run},
    [SY_OP_EMBEDDING] = {emb_supports, emb_run},
};

static sy_status kit_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                            sy_backend **backend_out) {
    (void)options, (void)n_options;
    if (!SY_HOST_HAS(host, check_node_data)) // this plugin relies on the 1.2 member
        return host->error(host->host, SY_ERR_ABI, "kit: the host lacks check_node_data (ABI 1.2)");
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "kit: out of memory");
    b->host = host;
    *backend_out = b;
    return SY_OK;
}

static void kit_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

static int kit_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    const kit_op *e = SY_KIT_OP_ENTRY(ops, g->nodes[node].op);
    if (!e || !e->supports) return sy_kit_refuse(reason, size, "only add and embedding");
    return e->supports(g, &g->nodes[node], reason, size);
}

static void kit_release(sy_backend *b, sy_kernel *k) {
    if (!k) return;
    b->host->free(b->host->host, k->offset);
    sy_kit_partition_deinit(&k->kp);
    b->host->free(b->host->host, k);
}

static sy_status kit_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info) {
    const sy_host_api *h = b->host;
    sy_kernel *k = h->alloc(h->host, sizeof *k, 16);
    if (!k) return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "kit: out of memory");
    memset(k, 0, sizeof *k);
    sy_status st = sy_kit_partition_init(&k->kp, h, sg);
    if (st == SY_OK && !(k->offset = h->alloc(h->host, sizeof(size_t) * (k->kp.n_values + 1), 16)))
        st = h->error(h->host, SY_ERR_OUT_OF_MEMORY, "kit: out of memory");
    // sy_kit_boundary_local: the i-th input/output/state's row has that place and index i, and
    // an index past the list has none (a wrong answer fails this compile, and the test with it).
    const uint32_t counts[3] = {sg->n_inputs, sg->n_outputs, sg->n_states};
    const sy_kit_place places[3] = {SY_KIT_INPUT, SY_KIT_OUTPUT, SY_KIT_STATE};
    for (int p = 0; p < 3 && st == SY_OK; p++) {
        for (uint32_t i = 0; i <= counts[p] && st == SY_OK; i++) {
            uint32_t l = sy_kit_boundary_local(&k->kp, places[p], i);
            int ok = i == counts[p] ? l == UINT32_MAX
                                    : l < k->kp.n_values && k->kp.values[l].place == places[p] &&
                                          k->kp.values[l].index == i;
            if (!ok)
                st = h->error(h->host, SY_ERR_INTERNAL, "kit: sy_kit_boundary_local(place %d, %u) is wrong",
                              (int)places[p], i);
        }
    }
    // lifetimes: every value a step touches lives over that step (first_step <= s <= last_step)
    for (uint32_t s = 0; s < sg->n_nodes && st == SY_OK; s++) {
        const sy_node_info *node = &sg->graph->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < node->n_inputs + node->n_outputs && st == SY_OK; i++) {
            uint32_t v = i < node->n_inputs ? node->inputs[i] : node->outputs[i - node->n_inputs];
            uint32_t l = v == SY_NO_VALUE ? UINT32_MAX : sy_kit_local(&k->kp, v);
            if (l != UINT32_MAX && (k->kp.values[l].first_step > s || k->kp.values[l].last_step < s))
                st = h->error(h->host, SY_ERR_INTERNAL, "kit: value %u touched at step %u lives over steps %u..%u", v, s,
                              k->kp.values[l].first_step, k->kp.values[l].last_step);
        }
    }
    if (st != SY_OK) {
        kit_release(b, k);
        return st;
    }
    size_t total = 0; // no reuse: every internal value gets its own 64-byte aligned range
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        k->offset[l] = total;
        if (k->kp.values[l].place == SY_KIT_INTERNAL) total += (k->kp.values[l].nbytes + 63) & ~(size_t)63;
    }
    info->scratch_bytes = total;
    *kernel_out = k;
    return SY_OK;
}

static sy_status kit_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    sy_kit_partition *kp = &k->kp;
    const sy_graph_view *g = kp->sg->graph;
    sy_status st = sy_kit_resolve_shapes(kp, args);
    if (st != SY_OK) return st;
    for (uint32_t l = 0; l < kp->n_values; l++)
        if (kp->values[l].place == SY_KIT_INTERNAL) kp->shapes[l].data = (char *)args->scratch + k->offset[l];
    for (uint32_t s = 0; s < kp->sg->n_nodes; s++) {
        const uint32_t n = kp->sg->nodes[s];
        const sy_node_info *node = &g->nodes[n];
        sy_tensor in[2], out[1];
        for (uint32_t i = 0; i < 2; i++) in[i] = kp->shapes[sy_kit_local(kp, node->inputs[i])];
        out[0] = kp->shapes[sy_kit_local(kp, node->outputs[0])];
        st = sy_kit_check_node_data(b->host, g, n, in);
        if (st != SY_OK) return st;
        SY_KIT_OP_ENTRY(ops, node->op)->run(in, out);
    }
    return SY_OK;
}

static const sy_delegate vt = {
    .struct_size = sizeof(sy_delegate), .abi_version = SY_DELEGATE_ABI_VERSION, .name = "kit",
    .version = "0.1.0", .vendor = "Switchyard tests", .create = kit_create, .destroy = kit_destroy,
    .supports = kit_supports, .compile = kit_compile, .execute = kit_execute, .release = kit_release,
};

SY_PLUGIN_ENTRY(query, answer) {
    if (SY_DELEGATE_ABI_VERSION > query->abi_max || (SY_DELEGATE_ABI_VERSION >> 16) != (query->abi_max >> 16))
        return query->host->error(query->host->host, SY_ERR_ABI, "kit: built for ABI 1.%u", SY_DELEGATE_ABI_MINOR);
    static const sy_delegate *const list[1] = {&vt};
    answer->abi_version = SY_DELEGATE_ABI_VERSION;
    answer->n_delegates = 1;
    answer->delegates = list;
    return SY_OK;
}
