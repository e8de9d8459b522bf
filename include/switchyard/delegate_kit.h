#pragma once

// The delegate kit: header-only helpers for the plumbing every delegate needs, so a delegate
// (built in or a plugin, which links nothing of ours) does not re-derive it:
//   - the partition's local value table: each value the partition touches with its dtype, bound
//     dims, role, constant pointer, where its bytes live (input/output/state index, constant, or
//     internal) and its lifetime in partition steps;
//   - each call's resolved shapes (through the host's infer_node; allocation-free);
//   - the op records' data checks (the host's check_node_data, ABI 1.2) for values made inside
//     the partition;
//   - refuse-with-reason for `supports`, and the op dispatch table pattern.
// Everything here goes through the sy_host_api table; docs/WRITING_A_DELEGATE.md shows its use.

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "switchyard/delegate.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- refusals and dispatch ---

/// Writes a reason for `supports` (the host prefixes the delegate's name) and returns 0.
static inline int sy_kit_refuse(char *reason, size_t reason_size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline int sy_kit_refuse(char *reason, size_t reason_size, const char *fmt, ...) {
    if (reason && reason_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_size, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/// An op dispatch table: one entry per op id, designated initializers, missing ops zeroed:
///   static const my_op_entry table[SY_OP_COUNT] = {[SY_OP_ADD] = {my_add_supports, my_add_run}};
/// SY_KIT_OP_ENTRY(table, op) is the entry, or NULL for an op id past the table (a newer op).
#define SY_KIT_OP_ENTRY(table, op)                                                                 \
    ((unsigned)(op) < sizeof(table) / sizeof((table)[0]) ? &(table)[(unsigned)(op)] : NULL)

// --- the partition's value table ---

/// Where a value's bytes live during execute.
typedef enum sy_kit_place {
    SY_KIT_INTERNAL = 0, // produced and consumed inside the partition: the delegate places it
    SY_KIT_INPUT = 1,    // args->inputs[index]
    SY_KIT_OUTPUT = 2,   // args->outputs[index]
    SY_KIT_STATE = 3,    // args->states[index]
    SY_KIT_CONSTANT = 4, // the program's bytes (sy_kit_value.constant)
} sy_kit_place;

typedef struct sy_kit_value {
    uint32_t id;                  // graph value id
    sy_dtype dtype;
    uint32_t rank;
    int64_t bound[SY_MAX_RANK];   // dims at the symbol bounds
    sy_role role;
    sy_kit_place place;
    uint32_t index;               // INPUT/OUTPUT/STATE: index into the exec args' array
    const void *constant;         // CONSTANT: borrowed from the program
    size_t nbytes;                // bytes at the bounds
    uint32_t first_step;          // the partition step that first touches it
    uint32_t last_step;           // the last step that touches it
} sy_kit_value;

typedef struct sy_kit_partition {
    const sy_host_api *host;      // borrowed
    const sy_subgraph *sg;        // borrowed: the host keeps it alive until release
    uint32_t n_values;
    sy_kit_value *values;         // (n_values) in first-touch order; owned
    uint32_t *local_of;           // (graph->n_values) local index, or UINT32_MAX; owned
    sy_tensor *shapes;            // (n_values) this call's dtype/rank/dims, and data where the
                                  // host provides it (inputs, outputs, states, constants); owned
} sy_kit_partition;

static inline void sy_kit_partition_deinit(sy_kit_partition *kp) {
    if (!kp || !kp->host) return;
    kp->host->free(kp->host->host, kp->values);
    kp->host->free(kp->host->host, kp->local_of);
    kp->host->free(kp->host->host, kp->shapes);
    memset(kp, 0, sizeof *kp);
}

/// Adds graph value v touched at step s to the table (first touch records it).
static inline void sy_kit_touch_(sy_kit_partition *kp, uint32_t v, uint32_t s) {
    const sy_graph_view *g = kp->sg->graph;
    if (v == SY_NO_VALUE || v >= g->n_values) return;
    if (kp->local_of[v] != UINT32_MAX) {
        sy_kit_value *seen = &kp->values[kp->local_of[v]];
        if (s > seen->last_step) seen->last_step = s; // boundary lists are touched at step 0 last
        return;
    }
    const sy_value_info *vi = &g->values[v];
    sy_kit_value *e = &kp->values[kp->n_values];
    memset(e, 0, sizeof *e);
    e->id = v;
    e->dtype = vi->dtype;
    e->rank = vi->rank;
    memcpy(e->bound, vi->dims, sizeof e->bound);
    e->role = vi->role;
    e->nbytes = vi->nbytes;
    e->first_step = e->last_step = s;
    if (vi->role == SY_ROLE_CONSTANT) {
        e->place = SY_KIT_CONSTANT;
        e->constant = vi->data;
    }
    kp->local_of[v] = kp->n_values++;
}

/// Builds the value table of `sg` (call it in compile). Allocates through host->alloc;
/// SY_ERR_OUT_OF_MEMORY through host->error. Release with sy_kit_partition_deinit.
static inline sy_status sy_kit_partition_init(sy_kit_partition *kp, const sy_host_api *host,
                                              const sy_subgraph *sg) {
    const sy_graph_view *g = sg->graph;
    uint32_t cap = sg->n_inputs + sg->n_outputs + sg->n_states;
    for (uint32_t s = 0; s < sg->n_nodes; s++)
        cap += g->nodes[sg->nodes[s]].n_inputs + g->nodes[sg->nodes[s]].n_outputs;
    memset(kp, 0, sizeof *kp);
    kp->host = host;
    kp->sg = sg;
    kp->values = (sy_kit_value *)host->alloc(host->host, sizeof(sy_kit_value) * (cap + 1), 16);
    kp->local_of = (uint32_t *)host->alloc(host->host, sizeof(uint32_t) * (g->n_values + 1), 16);
    kp->shapes = (sy_tensor *)host->alloc(host->host, sizeof(sy_tensor) * (cap + 1), 16);
    if (!kp->values || !kp->local_of || !kp->shapes) {
        sy_kit_partition_deinit(kp);
        return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "out of memory building a partition's value table");
    }
    memset(kp->local_of, 0xff, sizeof(uint32_t) * (g->n_values + 1));
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *node = &g->nodes[sg->nodes[s]];
        for (uint32_t i = 0; i < node->n_inputs; i++) sy_kit_touch_(kp, node->inputs[i], s);
        for (uint32_t o = 0; o < node->n_outputs; o++) sy_kit_touch_(kp, node->outputs[o], s);
    }
    const uint32_t *lists[3] = {sg->inputs, sg->outputs, sg->states};
    const uint32_t counts[3] = {sg->n_inputs, sg->n_outputs, sg->n_states};
    const sy_kit_place places[3] = {SY_KIT_INPUT, SY_KIT_OUTPUT, SY_KIT_STATE};
    for (int l = 0; l < 3; l++) {
        for (uint32_t i = 0; i < counts[l]; i++) {
            sy_kit_touch_(kp, lists[l][i], 0);
            uint32_t local = kp->local_of[lists[l][i]];
            if (local == UINT32_MAX) continue;
            kp->values[local].place = places[l];
            kp->values[local].index = i;
        }
    }
    memset(kp->shapes, 0, sizeof(sy_tensor) * (cap + 1));
    return SY_OK;
}

/// The local index of graph value v, or UINT32_MAX when the partition does not touch it.
static inline uint32_t sy_kit_local(const sy_kit_partition *kp, uint32_t v) {
    return v < kp->sg->graph->n_values ? kp->local_of[v] : UINT32_MAX;
}

/// The local index of the partition's i-th input (place SY_KIT_INPUT), output (SY_KIT_OUTPUT)
/// or state (SY_KIT_STATE), i.e. the row of args->inputs[i] / outputs[i] / states[i];
/// UINT32_MAX for another place or an i past the list.
static inline uint32_t sy_kit_boundary_local(const sy_kit_partition *kp, sy_kit_place place, uint32_t i) {
    const sy_subgraph *sg = kp->sg;
    switch (place) {
    case SY_KIT_INPUT: return i < sg->n_inputs ? sy_kit_local(kp, sg->inputs[i]) : UINT32_MAX;
    case SY_KIT_OUTPUT: return i < sg->n_outputs ? sy_kit_local(kp, sg->outputs[i]) : UINT32_MAX;
    case SY_KIT_STATE: return i < sg->n_states ? sy_kit_local(kp, sg->states[i]) : UINT32_MAX;
    default: return UINT32_MAX;
    }
}

/// Resolves this call's shapes (call it first in execute): inputs, outputs and states from
/// `args` (with their data), constants at their declared dims (data = the program's bytes),
/// everything produced inside by running the host's shape rules node by node. Internal values
/// get data = NULL: the delegate places them. Allocates nothing.
static inline sy_status sy_kit_resolve_shapes(sy_kit_partition *kp, const sy_exec_args *args) {
    const sy_graph_view *g = kp->sg->graph;
    for (uint32_t l = 0; l < kp->n_values; l++) {
        const sy_kit_value *e = &kp->values[l];
        sy_tensor *t = &kp->shapes[l];
        switch (e->place) {
        case SY_KIT_INPUT: *t = args->inputs[e->index]; break;
        case SY_KIT_OUTPUT: t->data = args->outputs[e->index].data; break;
        case SY_KIT_STATE: *t = args->states[e->index]; break;
        case SY_KIT_CONSTANT:
            t->data = (void *)e->constant;
            t->dtype = e->dtype;
            t->rank = e->rank;
            memcpy(t->dims, e->bound, sizeof t->dims);
            break;
        default: t->data = NULL; break;
        }
    }
    for (uint32_t s = 0; s < kp->sg->n_nodes; s++) {
        uint32_t n = kp->sg->nodes[s];
        const sy_node_info *node = &g->nodes[n];
        sy_tensor in[16], out[4];
        for (uint32_t i = 0; i < node->n_inputs && i < 16; i++) {
            uint32_t l = node->inputs[i] == SY_NO_VALUE ? UINT32_MAX : kp->local_of[node->inputs[i]];
            if (l == UINT32_MAX) memset(&in[i], 0, sizeof in[i]);
            else in[i] = kp->shapes[l];
        }
        sy_status st = kp->host->infer_node(kp->host->host, g, n, in, out);
        if (st != SY_OK) return st;
        for (uint32_t o = 0; o < node->n_outputs && o < 4; o++) {
            sy_tensor *t = &kp->shapes[kp->local_of[node->outputs[o]]];
            void *data = t->data;
            *t = out[o];
            t->data = data;
        }
    }
    return SY_OK;
}

/// Runs the data checks of graph node `node`'s op record on `inputs` through the host
/// (ABI 1.2). A host older than 1.2 has none: SY_OK (it checked the values it handed in).
static inline sy_status sy_kit_check_node_data(const sy_host_api *host, const sy_graph_view *graph,
                                               uint32_t node, const sy_tensor *inputs) {
    if (!SY_HOST_HAS(host, check_node_data)) return SY_OK;
    return host->check_node_data(host->host, graph, node, inputs);
}

#ifdef __cplusplus
}
#endif
