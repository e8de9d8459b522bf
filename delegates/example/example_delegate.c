// The example delegate: a Switchyard backend in one file plus plain C kernels (kernels.c),
// built as a shared library that Switchyard loads at run time. It runs four ops on f32 data:
// add and mul (equal shapes, or a 1-D second operand broadcast over the rows of the first),
// silu, and linear. Everything else it refuses, with a reason, and the runtime gives those
// nodes to the next backend in the config (portable, say).
//
// It includes only <switchyard/delegate.h> and never links libswitchyard: whatever it needs from
// the host (allocation, errors, logging, shape inference) comes through the sy_host_api table
// handed to create(). docs/WRITING_A_DELEGATE.md builds this file up step by step;
// docs/DELEGATE_ABI.md is the reference for every struct used here.

#include <stdio.h>
#include <string.h>

#include <switchyard/delegate.h>

#include "kernels.h"

// --- the instance ---

struct sy_backend {
    const sy_host_api *host; // borrowed from the runtime; valid until destroy
    int verbose;             // option "verbose": log each compiled partition
};

/// Whether the host table is recent enough to hold `member` (the host may be older than us).
#define HOST_HAS(h, member) ((h)->struct_size >= offsetof(sy_host_api, member) + sizeof((h)->member) && (h)->member)

static sy_status example_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                                sy_backend **backend_out) {
    // infer_node gives us each node's output shape for the shapes of this call (the sequence
    // length changes between prefill and decode), so we need not re-implement shape rules.
    if (!HOST_HAS(host, infer_node))
        return host->error(host->host, SY_ERR_UNSUPPORTED, "example: the host offers no infer_node");
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "example: out of memory");
    b->host = host;
    b->verbose = 0; // the default of the "verbose" descriptor below
    // The host checked every value against our descriptors, so parsing cannot fail here.
    for (uint32_t i = 0; i < n_options; i++)
        if (strcmp(options[i].key, "verbose") == 0)
            b->verbose = strcmp(options[i].value, "true") == 0 || strcmp(options[i].value, "1") == 0;
    *backend_out = b;
    return SY_OK;
}

static void example_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

static const char *example_describe(sy_backend *b) {
    (void)b;
    return "plain C kernels (add, mul, silu, linear), f32, one thread";
}

// --- capability ---

static int same_shape(const sy_value_info *a, const sy_value_info *b) {
    if (a->rank != b->rank) return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i] || a->sym[i] != b->sym[i]) return 0; // symbolic dims: same symbol
    return 1;
}

/// b is one static row as long as a's (static) last dim, so it can be added to every row of a.
static int is_row_of(const sy_value_info *b, const sy_value_info *a) {
    return b->rank == 1 && a->rank >= 1 && b->sym[0] < 0 && a->sym[a->rank - 1] < 0 &&
           b->dims[0] == a->dims[a->rank - 1];
}

/// Decides from the op, dtypes and shapes (at their bounds) alone; on 0 says why in `reason`.
static int example_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    const sy_node_info *n = &g->nodes[node];
    if (n->op != SY_OP_ADD && n->op != SY_OP_MUL && n->op != SY_OP_SILU && n->op != SY_OP_LINEAR) {
        snprintf(reason, size, "example runs add, mul, silu and linear only");
        return 0;
    }
    for (uint32_t i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] == SY_NO_VALUE) continue; // linear without a bias
        if (g->values[n->inputs[i]].dtype != SY_DTYPE_F32) {
            snprintf(reason, size, "example runs f32 only; input #%u is not f32", i);
            return 0;
        }
    }
    if (n->op == SY_OP_ADD || n->op == SY_OP_MUL) {
        const sy_value_info *x = &g->values[n->inputs[0]], *y = &g->values[n->inputs[1]];
        if (!same_shape(x, y) && !is_row_of(y, x)) {
            snprintf(reason, size, "example broadcasts only a 1-D second operand over the rows of the first");
            return 0;
        }
    }
    if (n->op == SY_OP_LINEAR && g->values[n->inputs[0]].rank < 1) {
        snprintf(reason, size, "example's linear needs an input of rank >= 1");
        return 0;
    }
    return 1;
}

// --- compile ---

/// Where a value's bytes are during execute.
typedef enum loc_kind {
    LOC_NONE = 0,
    LOC_INPUT,    // args->inputs[index]
    LOC_OUTPUT,   // args->outputs[index]
    LOC_STATE,    // args->states[index]
    LOC_CONSTANT, // the program's weights (graph->values[v].data), read in place
    LOC_SCRATCH,  // inside this partition only: args->scratch + offset
} loc_kind;

typedef struct loc {
    loc_kind kind;
    uint32_t index;
    size_t offset;
} loc;

struct sy_kernel {
    const sy_subgraph *sg; // borrowed: the host keeps the subgraph alive until release
    loc *locs;             // (n_values) where each value the partition touches lives
    sy_tensor *tensors;    // (n_values) concrete shape and data of the current execute
};

static void example_release(sy_backend *b, sy_kernel *k) {
    if (!k) return;
    b->host->free(b->host->host, k->locs);
    b->host->free(b->host->host, k->tensors);
    b->host->free(b->host->host, k);
}

/// Runs once per partition at load time: decide where every value lives and how much scratch
/// the host must set aside. Allocates here so that execute allocates nothing.
static sy_status example_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out,
                                 sy_compile_info *info) {
    const sy_host_api *h = b->host;
    const sy_graph_view *g = sg->graph;
    sy_kernel *k = h->alloc(h->host, sizeof *k, 16);
    if (!k) return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "example: out of memory");
    k->sg = sg;
    k->locs = h->alloc(h->host, sizeof(loc) * (g->n_values + 1), 16);
    k->tensors = h->alloc(h->host, sizeof(sy_tensor) * (g->n_values + 1), 16);
    if (!k->locs || !k->tensors) {
        example_release(b, k);
        return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "example: out of memory");
    }
    memset(k->locs, 0, sizeof(loc) * (g->n_values + 1));
    memset(k->tensors, 0, sizeof(sy_tensor) * (g->n_values + 1));
    for (uint32_t i = 0; i < sg->n_inputs; i++) k->locs[sg->inputs[i]] = (loc){LOC_INPUT, i, 0};
    for (uint32_t i = 0; i < sg->n_outputs; i++) k->locs[sg->outputs[i]] = (loc){LOC_OUTPUT, i, 0};
    for (uint32_t i = 0; i < sg->n_states; i++) k->locs[sg->states[i]] = (loc){LOC_STATE, i, 0};
    // Values made and used only inside the partition go to scratch, one after the other, each
    // at its largest size (nbytes is at the symbols' bounds). A real delegate would reuse
    // memory between values whose lifetimes do not overlap.
    size_t scratch = 0;
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *n = &g->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] != SY_NO_VALUE && g->values[n->inputs[i]].role == SY_ROLE_CONSTANT)
                k->locs[n->inputs[i]] = (loc){LOC_CONSTANT, 0, 0};
        uint32_t v = n->outputs[0];
        if (k->locs[v].kind != LOC_NONE) continue;
        k->locs[v] = (loc){LOC_SCRATCH, 0, scratch};
        scratch += (g->values[v].nbytes + 63) & ~(size_t)63; // keep every buffer 64-byte aligned
    }
    info->scratch_bytes = scratch;
    info->packed_bytes = 0; // weights are read in place, never copied
    info->detail = NULL;
    if (b->verbose)
        h->log(h->host, SY_LOG_INFO, "example: compiled a partition of %u nodes (first '%s'), %zu bytes of scratch",
               sg->n_nodes, g->nodes[sg->nodes[0]].name, scratch);
    *kernel_out = k;
    return SY_OK;
}

// --- execute ---

/// The tensor of value v for this call: from the exec args, the program, or a producer above.
static const sy_tensor *tensor_of(sy_kernel *k, const sy_exec_args *args, uint32_t v) {
    sy_tensor *t = &k->tensors[v];
    const sy_value_info *vi = &k->sg->graph->values[v];
    switch (k->locs[v].kind) {
    case LOC_INPUT: *t = args->inputs[k->locs[v].index]; break;
    case LOC_STATE: *t = args->states[k->locs[v].index]; break;
    case LOC_CONSTANT:
        t->data = (void *)vi->data;
        t->dtype = vi->dtype;
        t->rank = vi->rank;
        memcpy(t->dims, vi->dims, sizeof t->dims);
        break;
    default: break; // LOC_OUTPUT and LOC_SCRATCH: filled in when their node ran
    }
    return t;
}

static sy_status example_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    const sy_host_api *h = b->host;
    const sy_subgraph *sg = k->sg;
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        uint32_t id = sg->nodes[s];
        const sy_node_info *n = &sg->graph->nodes[id];
        sy_tensor in[3], out;
        memset(in, 0, sizeof in); // an absent optional input (linear's bias) stays dtype INVALID
        for (uint32_t i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] != SY_NO_VALUE) in[i] = *tensor_of(k, args, n->inputs[i]);
        sy_status st = h->infer_node(h->host, sg->graph, id, in, &out); // this call's output shape
        if (st != SY_OK) return st;
        const loc *l = &k->locs[n->outputs[0]];
        out.data = l->kind == LOC_OUTPUT ? args->outputs[l->index].data : (char *)args->scratch + l->offset;
        k->tensors[n->outputs[0]] = out;

        if (HOST_HAS(h, profile_begin)) h->profile_begin(h->host, n->name);
        int64_t count = sy_tensor_numel(&out);
        const float *x = in[0].data;
        switch (n->op) {
        case SY_OP_ADD:
        case SY_OP_MUL: {
            // Same shapes, or in[1] is one row: its element i % period pairs with a's element i.
            int64_t period = sy_tensor_numel(&in[1]) == count ? count : in[1].dims[0];
            if (n->op == SY_OP_ADD) example_add_f32(out.data, x, in[1].data, count, period);
            else example_mul_f32(out.data, x, in[1].data, count, period);
            break;
        }
        case SY_OP_SILU: example_silu_f32(out.data, x, count); break;
        case SY_OP_LINEAR: {
            int64_t in_f = in[0].dims[in[0].rank - 1], out_f = in[1].dims[0];
            const float *bias = n->n_inputs > 2 && n->inputs[2] != SY_NO_VALUE ? in[2].data : NULL;
            example_linear_f32(out.data, x, in[1].data, bias, in_f ? sy_tensor_numel(&in[0]) / in_f : 0, in_f, out_f);
            break;
        }
        default: // supports() never accepts another op
            return h->error(h->host, SY_ERR_INTERNAL, "example: node '%s' has op %d it never accepted", n->name,
                            (int)n->op);
        }
        if (HOST_HAS(h, profile_end)) h->profile_end(h->host, n->name);
    }
    return SY_OK;
}

// --- what the delegate publishes ---

static const sy_option_desc example_options[] = {
    {.key = "verbose", .type = SY_OPTION_BOOL, .default_value = "false", .min = 0, .max = -1, .choices = NULL,
     .doc = "log (at info level) every partition the delegate compiles"},
};

static const sy_delegate example_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "example",
    .version = "1.0.0",
    .vendor = "Switchyard examples",
    .options = example_options,
    .n_options = sizeof example_options / sizeof example_options[0],
    .available = NULL, // optional: plain C runs everywhere
    .create = example_create,
    .destroy = example_destroy,
    .supports = example_supports,
    .compile = example_compile,
    .execute = example_execute,
    .release = example_release,
    .reset_state = NULL, // optional: it never keeps state resident
    .read_state = NULL,
    .describe = example_describe,
};

static const sy_delegate *const example_delegates[] = {&example_delegate};

// The one exported symbol. The host says which ABI versions it speaks; we answer with ours if
// it is among them, and our vtable.
SY_PLUGIN_ENTRY(query, answer) {
    uint32_t ours = SY_DELEGATE_ABI_VERSION;
    if (ours < query->abi_min || (ours >> 16) != (query->abi_max >> 16))
        return query->host->error(query->host->host, SY_ERR_ABI,
                                  "example: built for delegate ABI %u.%u; this host speaks %u.%u to %u.%u",
                                  ours >> 16, ours & 0xffffu, query->abi_min >> 16, query->abi_min & 0xffffu,
                                  query->abi_max >> 16, query->abi_max & 0xffffu);
    answer->abi_version = ours;
    answer->n_delegates = 1;
    answer->delegates = example_delegates;
    return SY_OK;
}
