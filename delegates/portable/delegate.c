// The portable delegate: runs every op with the reference kernels. It is the fallback that makes
// every program runnable, and the reference every other delegate is checked against.
//
// A compiled partition is the delegate kit's value table (include/switchyard/delegate_kit.h):
// boundary tensors come from the exec args, constants are borrowed from the program, and
// partition-internal intermediates are planned by lifetime into the host-provided scratch.

#include <string.h>

#include "core/memplan.h"
#include "core/ops.h"
#include "core/status.h"
#include "delegates/portable/kernels.h"
#include "switchyard/delegate_kit.h"

struct sy_backend {
    const sy_host_api *host;
};

struct sy_kernel {
    sy_kit_partition kp; // values, places and this call's shapes
    size_t *offset;      // (kp.n_values) SY_KIT_INTERNAL: offset in args->scratch
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
    b->host->free(b->host->host, k->offset);
    sy_kit_partition_deinit(&k->kp);
    b->host->free(b->host->host, k);
}

static sy_status portable_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out,
                                  sy_compile_info *info) {
    const sy_host_api *h = b->host;
    sy_kernel *k = h->alloc(h->host, sizeof *k, 16);
    if (!k) return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "portable: out of memory");
    memset(k, 0, sizeof *k);
    sy_status st = sy_kit_partition_init(&k->kp, h, sg);
    if (st != SY_OK) {
        h->free(h->host, k);
        return st;
    }
    uint32_t nl = k->kp.n_values;
    k->offset = h->alloc(h->host, sizeof(size_t) * (nl + 1), 16);
    sy_mem_request *req = h->alloc(h->host, sizeof(sy_mem_request) * (nl + 1), 16);
    size_t *offsets = h->alloc(h->host, sizeof(size_t) * (nl + 1), 16);
    uint32_t *req_value = h->alloc(h->host, sizeof(uint32_t) * (nl + 1), 16);
    if (!k->offset || !req || !offsets || !req_value) {
        st = h->error(h->host, SY_ERR_OUT_OF_MEMORY, "portable: out of memory compiling");
        goto done;
    }
    memset(k->offset, 0, sizeof(size_t) * (nl + 1));
    // Internal values live from the producing step to the last reading step.
    uint32_t nr = 0;
    for (uint32_t l = 0; l < nl; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        if (e->place != SY_KIT_INTERNAL) continue;
        req[nr] = (sy_mem_request){e->nbytes, e->first_step, e->last_step};
        req_value[nr++] = l;
    }
    size_t total = 0;
    st = sy_plan_memory(req, nr, 64, offsets, &total);
    if (st != SY_OK) goto done;
    for (uint32_t r = 0; r < nr; r++) k->offset[req_value[r]] = offsets[r];
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
    sy_kit_partition *kp = &k->kp;
    const sy_graph_view *g = kp->sg->graph;
    SY_TRY(sy_kit_resolve_shapes(kp, args));
    for (uint32_t l = 0; l < kp->n_values; l++)
        if (kp->values[l].place == SY_KIT_INTERNAL) kp->shapes[l].data = (char *)args->scratch + k->offset[l];
    for (uint32_t s = 0; s < kp->sg->n_nodes; s++) {
        uint32_t n = kp->sg->nodes[s];
        const sy_node_info *node = &g->nodes[n];
        sy_tensor in[16], out[4];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            uint32_t l = sy_kit_local(kp, node->inputs[i]);
            if (l == UINT32_MAX) memset(&in[i], 0, sizeof in[i]);
            else in[i] = kp->shapes[l];
        }
        for (uint32_t o = 0; o < node->n_outputs; o++) out[o] = kp->shapes[sy_kit_local(kp, node->outputs[o])];
        sy_status st = sy_kit_check_node_data(b->host, g, n, in); // before any write
        if (st != SY_OK) return st;
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
