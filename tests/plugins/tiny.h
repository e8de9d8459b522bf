#pragma once

// A tiny working delegate shared by the test plugins: f32 `add` and `mul` of two operands with
// identical shapes, nothing else. Each test plugin includes this file, then breaks one thing
// (its ABI version, a member, its struct size, create, compile...) to exercise one way of
// going wrong. It includes only the public delegate header, like a plugin built outside the
// tree (frozen_v1 builds it against tests/plugins/frozen_v1 instead).
//
// The option `scale` (FLOAT), when set, multiplies every result: the tests use it to prove
// options reach create().

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switchyard/delegate.h"

#if defined(__GNUC__)
#define TINY_FN static __attribute__((unused))
#else
#define TINY_FN static
#endif

enum { TINY_NONE = 0, TINY_INPUT, TINY_OUTPUT, TINY_STATE, TINY_CONST, TINY_INTERNAL };

struct sy_backend {
    const sy_host_api *host; // borrowed, valid until destroy
    float scale;
};

struct sy_kernel {
    const sy_subgraph *sg; // borrowed: the host keeps it alive until release
    uint8_t *kind;         // (n_values) TINY_*
    uint32_t *index;       // (n_values) position in args->inputs/outputs/states
    size_t *offset;        // (n_values) TINY_INTERNAL: offset into args->scratch
    sy_tensor *t;          // (n_values) shapes and data of the current execute
};

TINY_FN int tiny_same_shape(const sy_value_info *a, const sy_value_info *b) {
    if (a->rank != b->rank) return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i] || a->sym[i] != b->sym[i]) return 0;
    return 1;
}

TINY_FN int tiny_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    (void)b;
    const sy_node_info *n = &g->nodes[node];
    if (n->op != SY_OP_ADD && n->op != SY_OP_MUL) {
        snprintf(reason, size, "only add and mul");
        return 0;
    }
    const sy_value_info *x = &g->values[n->inputs[0]], *y = &g->values[n->inputs[1]];
    if (x->dtype != SY_DTYPE_F32 || y->dtype != SY_DTYPE_F32 || !tiny_same_shape(x, y)) {
        snprintf(reason, size, "only f32 operands of identical shapes");
        return 0;
    }
    return 1;
}

TINY_FN sy_status tiny_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                              sy_backend **backend_out) {
    sy_backend *b = host->alloc(host->host, sizeof *b, 16);
    if (!b) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "tiny: out of memory");
    b->host = host;
    b->scale = 1.0f;
    for (uint32_t i = 0; i < n_options; i++) // the host checked the values against our descriptors
        if (strcmp(options[i].key, "scale") == 0) b->scale = strtof(options[i].value, NULL);
    *backend_out = b;
    return SY_OK;
}

TINY_FN void tiny_destroy(sy_backend *b) {
    if (b) b->host->free(b->host->host, b);
}

TINY_FN void tiny_release(sy_backend *b, sy_kernel *k) {
    if (!k) return;
    const sy_host_api *h = b->host;
    h->free(h->host, k->kind);
    h->free(h->host, k->index);
    h->free(h->host, k->offset);
    h->free(h->host, k->t);
    h->free(h->host, k);
}

TINY_FN sy_status tiny_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info) {
    const sy_host_api *h = b->host;
    uint32_t nv = sg->graph->n_values;
    sy_kernel *k = h->alloc(h->host, sizeof *k, 16);
    if (!k) return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "tiny: out of memory");
    k->sg = sg;
    k->kind = h->alloc(h->host, nv + 1, 16);
    k->index = h->alloc(h->host, sizeof(uint32_t) * (nv + 1), 16);
    k->offset = h->alloc(h->host, sizeof(size_t) * (nv + 1), 16);
    k->t = h->alloc(h->host, sizeof(sy_tensor) * (nv + 1), 16);
    if (!k->kind || !k->index || !k->offset || !k->t) {
        tiny_release(b, k);
        return h->error(h->host, SY_ERR_OUT_OF_MEMORY, "tiny: out of memory");
    }
    memset(k->kind, 0, nv + 1);
    for (uint32_t i = 0; i < sg->n_inputs; i++) k->kind[sg->inputs[i]] = TINY_INPUT, k->index[sg->inputs[i]] = i;
    for (uint32_t i = 0; i < sg->n_outputs; i++) k->kind[sg->outputs[i]] = TINY_OUTPUT, k->index[sg->outputs[i]] = i;
    for (uint32_t i = 0; i < sg->n_states; i++) k->kind[sg->states[i]] = TINY_STATE, k->index[sg->states[i]] = i;
    size_t scratch = 0;
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *n = &sg->graph->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < n->n_inputs; i++)
            if (sg->graph->values[n->inputs[i]].role == SY_ROLE_CONSTANT) k->kind[n->inputs[i]] = TINY_CONST;
        uint32_t v = n->outputs[0];
        if (k->kind[v] != TINY_NONE) continue;
        k->kind[v] = TINY_INTERNAL; // no reuse: a test delegate keeps it simple
        k->offset[v] = scratch;
        scratch += (sg->graph->values[v].nbytes + 63) & ~(size_t)63;
    }
    info->scratch_bytes = scratch;
    info->packed_bytes = 0;
    info->detail = NULL;
    *kernel_out = k;
    return SY_OK;
}

TINY_FN sy_tensor *tiny_tensor(sy_kernel *k, const sy_exec_args *args, uint32_t v) {
    sy_tensor *t = &k->t[v];
    const sy_value_info *vi = &k->sg->graph->values[v];
    switch (k->kind[v]) {
    case TINY_INPUT: *t = args->inputs[k->index[v]]; break;
    case TINY_STATE: *t = args->states[k->index[v]]; break;
    case TINY_CONST:
        t->data = (void *)vi->data;
        t->dtype = vi->dtype;
        t->rank = vi->rank;
        memcpy(t->dims, vi->dims, sizeof t->dims);
        break;
    default: break; // outputs and internals were filled by their producer
    }
    return t;
}

TINY_FN sy_status tiny_execute(sy_backend *b, sy_kernel *k, const sy_exec_args *args) {
    const sy_host_api *h = b->host;
    const sy_subgraph *sg = k->sg;
    if (h->struct_size < offsetof(sy_host_api, infer_node) + sizeof h->infer_node || !h->infer_node)
        return h->error(h->host, SY_ERR_UNSUPPORTED, "tiny: the host offers no infer_node");
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        uint32_t id = sg->nodes[s];
        const sy_node_info *n = &sg->graph->nodes[id];
        sy_tensor in[2] = {*tiny_tensor(k, args, n->inputs[0]), *tiny_tensor(k, args, n->inputs[1])}, out;
        sy_status st = h->infer_node(h->host, sg->graph, id, in, &out);
        if (st != SY_OK) return st;
        uint32_t v = n->outputs[0];
        out.data = k->kind[v] == TINY_OUTPUT ? args->outputs[k->index[v]].data
                                             : (char *)args->scratch + k->offset[v];
        k->t[v] = out;
        const float *x = in[0].data, *y = in[1].data;
        float *z = out.data;
        int64_t count = sy_tensor_numel(&out);
        for (int64_t i = 0; i < count; i++) z[i] = (n->op == SY_OP_ADD ? x[i] + y[i] : x[i] * y[i]) * b->scale;
    }
    return SY_OK;
}

static const sy_option_desc tiny_options[] = {
    {"threshold", SY_OPTION_INT, "10", 0, 100, NULL, "an integer option (unused)"},
    {"scale", SY_OPTION_FLOAT, "1", 0.5, 4, NULL, "multiplies every result (tests that options reach create)"},
    {"verbose", SY_OPTION_BOOL, "false", 0, -1, NULL, "a boolean option (unused)"},
    {"mode", SY_OPTION_STRING, "fast", 0, -1, "fast,exact", "a string option with choices (unused)"},
};

/// A valid vtable named NAME with the given size and members; a bad-case plugin passes one
/// broken member. (One macro rather than "copy, then patch" keeps every vtable static const.)
#define TINY_VTABLE_X(NAME, SIZE, CREATE, SUPPORTS, COMPILE, RESET, READ, DESCRIBE)                  \
    {                                                                                              \
        .struct_size = (uint32_t)(SIZE), .abi_version = SY_DELEGATE_ABI_VERSION, .name = NAME,     \
        .version = "0.1.0", .vendor = "Switchyard tests", .options = tiny_options,                 \
        .n_options = sizeof tiny_options / sizeof tiny_options[0], .available = NULL,              \
        .create = CREATE, .destroy = tiny_destroy, .supports = SUPPORTS, .compile = COMPILE,       \
        .execute = tiny_execute, .release = tiny_release, .reset_state = RESET,                    \
        .read_state = READ, .describe = DESCRIBE,                                                  \
    }

/// The complete, valid tiny vtable named NAME.
#define TINY_VTABLE(NAME)                                                                          \
    TINY_VTABLE_X(NAME, sizeof(sy_delegate), tiny_create, tiny_supports, tiny_compile, NULL, NULL, NULL)

/// Answers with the one delegate `vt`, at the header's ABI version.
#define TINY_ANSWER(answer, vt)                                                                    \
    do {                                                                                           \
        static const sy_delegate *const tiny_list_[1] = {&(vt)};                                   \
        (answer)->abi_version = SY_DELEGATE_ABI_VERSION;                                           \
        (answer)->n_delegates = 1;                                                                 \
        (answer)->delegates = tiny_list_;                                                          \
    } while (0)

/// The negotiation every well-behaved plugin does: our version must be in the host's range.
TINY_FN sy_status tiny_negotiate(const sy_plugin_query *q) {
    uint32_t ours = SY_DELEGATE_ABI_VERSION;
    if (ours < q->abi_min || (ours >> 16) > (q->abi_max >> 16))
        return q->host->error(q->host->host, SY_ERR_ABI, "built for delegate ABI %u.%u; the host speaks %u.%u to %u.%u",
                              ours >> 16, ours & 0xffffu, q->abi_min >> 16, q->abi_min & 0xffffu, q->abi_max >> 16,
                              q->abi_max & 0xffffu);
    return SY_OK;
}
