// Compiling and running a partition: segments, value placement, per-shape plans.
//
// compile() splits the partition's nodes, in order, into segments (a run of XNNPACK-capable
// nodes = one XNNPACK subgraph; each custom-kernel node and each operator node = its own
// segment) and decides where every value the partition touches lives:
//   input / output / state  the host's tensors of this call,
//   constant                the program's (mmapped) bytes, given to XNNPACK as static data,
//   internal                inside one XNNPACK runtime (XNNPACK plans that memory itself),
//   scratch                 crosses segments, feeds a custom kernel or an operator: a slot in the
//                           host's scratch, placed at compile time by lifetime (slots are reused).
//
// XNNPACK 2022 bakes every shape into a runtime, so the shape-dependent part is a "plan": the
// concrete shapes of all values (from host->infer_node) plus one runtime per XNNPACK segment,
// keyed by the dims of the partition's inputs and states. Plans are built on first use of a
// shape (the one at the symbol bounds already at compile time, which also proves XNNPACK
// accepts the partition) and kept in a small LRU cache, so repeated calls with a seen shape
// never rebuild. Nodes with weights to pack (linear, matmul by a constant) are not in any plan:
// each is an XNNPACK operator created once here at compile time (its weights packed once) and
// only set up per call for the call's rows, so plans hold weightless runtimes and a new shape
// costs a few small runtime creations, not a repacking of every weight. (Builds whose XNNPACK
// has no operator API this delegate knows keep those nodes in the subgraphs, and then each
// plan packs its own weight copy; option shape_cache bounds that memory.)

#include <stdio.h>
#include <string.h>

#include "delegates/xnnpack/kernel.h"
#include "switchyard/delegate_kit.h"

#define NONE UINT32_MAX
#define SLOT_ALIGN 64

typedef enum loc_kind {
    LOC_INTERNAL = 0,
    LOC_INPUT = 1,
    LOC_OUTPUT = 2,
    LOC_STATE = 3,
    LOC_CONST = 4,
    LOC_SCRATCH = 5,
} loc_kind;

typedef struct local_value {
    uint32_t value;   // graph value id
    uint8_t loc;      // loc_kind
    uint32_t index;   // LOC_INPUT / LOC_OUTPUT / LOC_STATE: position in the exec args arrays
    size_t offset;    // LOC_SCRATCH: byte offset in the scratch
    size_t bytes;     // LOC_SCRATCH: slot size (at the bounds, padded)
    int32_t producer; // segment producing it; -1 when produced outside the partition
    int32_t first_use, last_use; // segments reading it; -1 when none
} local_value;

typedef struct segment {
    uint32_t first, count; // positions in kernel->nodes
    sy_xnn_node_mode kind;    // SUBGRAPH: XNNPACK nodes; CUSTOM / OPERATOR: a single node
    sy_xnn_node_operator op;  // OPERATOR: the node's operator (made at compile time, shape-free)
    uint32_t n_ext;        // XNNPACK external values; external id = position in ext
    uint32_t *ext;         // local ids
    uint32_t ext_base;     // offset of this segment's pointers in plan->bound
    struct xnn_external_value *setup; // (n_ext) preallocated xnn_setup_runtime argument
    char label[64];        // profiling event name
} segment;

typedef struct static_block {
    struct static_block *next;
} static_block; // followed by the block's data, 64-byte aligned

typedef struct plan {
    int used;
    uint64_t stamp;          // LRU clock of the last use
    int64_t *key;            // (key_len) ranks and dims of the inputs and states
    sy_tensor *shapes;       // (n_locals) concrete dtype/rank/dims, data unused
    xnn_runtime_t *runtimes; // (n_segments) NULL for custom and operator segments
    void **bound;            // (total_ext) pointers each runtime was last set up with
    uint8_t *ready;          // (n_segments) runtime set up at least once
    static_block *statics;   // synthesised static tensors (reduction filters, eps)
} plan;

struct sy_xnn_kernel {
    sy_xnn_backend *be;
    const sy_graph_view *graph; // borrowed: valid until release (the program outlives us)
    uint32_t n_nodes;
    uint32_t *nodes; // graph node ids, execution order
    uint32_t n_inputs, n_outputs, n_states;
    uint32_t *inputs, *states; // graph value ids (for the key and the compile-time plan)
    uint32_t n_locals;
    local_value *locals;
    uint32_t *local_of; // (graph->n_values) local id of each graph value, NONE if untouched
    uint32_t n_segments;
    segment *segs;
    uint32_t total_ext;
    size_t key_len;
    int64_t *key_buf;   // (key_len) the current call's key
    uint32_t *xid;      // (n_locals) XNNPACK ids while a subgraph is being defined
    uint32_t *marks;    // (n_locals) scratch marks for compile-time walks
    uint32_t n_plans;
    plan *plans;
    uint64_t clock;
    size_t op_scratch_offset; // where custom kernels' own scratch starts
    size_t scratch_bytes;
    void **ptrs; // (n_locals) data pointer of each value in the current call
    char detail[96];
};

// --- small allocation helpers over the host allocator ---

static void *kalloc(const sy_xnn_backend *be, size_t size) {
    void *p = be->host.alloc(be->host.host, size ? size : 1, 64);
    if (p) memset(p, 0, size ? size : 1);
    return p;
}

static void kfree(const sy_xnn_backend *be, void *p) {
    if (p) be->host.free(be->host.host, p);
}

static const char *node_label(const sy_node_info *n) {
    return n->name ? n->name : "";
}

// --- plans ---

static void *plan_alloc_static(void *owner, size_t bytes) {
    plan *p = ((void **)owner)[0];
    const sy_xnn_backend *be = ((void **)owner)[1];
    static_block *b = kalloc(be, SLOT_ALIGN + bytes);
    if (!b) return NULL;
    b->next = p->statics;
    p->statics = b;
    return (char *)b + SLOT_ALIGN;
}

static void plan_free(sy_xnn_kernel *k, plan *p) {
    if (p->runtimes) {
        for (uint32_t s = 0; s < k->n_segments; s++)
            if (p->runtimes[s]) xnn_delete_runtime(p->runtimes[s]);
    }
    while (p->statics) {
        static_block *next = p->statics->next;
        kfree(k->be, p->statics);
        p->statics = next;
    }
    kfree(k->be, p->key);
    kfree(k->be, p->shapes);
    kfree(k->be, p->runtimes);
    kfree(k->be, p->bound);
    kfree(k->be, p->ready);
    memset(p, 0, sizeof(*p));
}

static int host_can_infer(const sy_xnn_backend *be) {
    return be->host.infer_node != NULL;
}

static void tensor_from_info(const sy_value_info *v, sy_tensor *t) {
    memset(t, 0, sizeof(*t));
    t->dtype = v->dtype;
    t->rank = v->rank;
    for (uint32_t i = 0; i < v->rank; i++) t->dims[i] = v->dims[i];
}

static int is_fc_node(const sy_graph_view *g, const sy_node_info *node);

// The pool a subgraph runtime gets: none (the caller's thread) when every node's output under
// this plan is small and none is a fully-connected node — a decode step's norms, adds and
// activations (a few thousand floats) finish in microseconds, while handing them to pthreadpool
// makes the caller wait for every worker to wake and check in, which on a loaded machine costs a
// scheduler slice per call (measured: decode steps of 75 ms to 7 s on a busy 2-core machine).
static pthreadpool_t runtime_pool(const sy_xnn_kernel *k, const plan *p, const segment *seg) {
    const int64_t small = 16384; // elements (64 KiB of f32)
    for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
        const sy_node_info *node = &k->graph->nodes[k->nodes[pos]];
        if (is_fc_node(k->graph, node)) return k->be->pool;
        for (uint32_t o = 0; o < node->n_outputs; o++) {
            if (sy_tensor_numel(&p->shapes[k->local_of[node->outputs[o]]]) > small) return k->be->pool;
        }
    }
    return NULL;
}

// Defines the XNNPACK subgraph of segment `s` under the plan's shapes and creates its runtime.
static sy_status build_runtime(sy_xnn_kernel *k, plan *p, uint32_t s, xnn_runtime_t *rt_out) {
    const sy_xnn_backend *be = k->be;
    const segment *seg = &k->segs[s];
    const sy_graph_view *g = k->graph;
    xnn_subgraph_t sg = NULL;
    xnn_runtime_t rt = NULL;
    sy_status result = SY_OK;
    void *owner[2] = {p, (void *)be};
    enum xnn_status st = xnn_create_subgraph(seg->n_ext, 0, &sg);
    if (st != xnn_status_success) {
        return sy_xnn_error(be, SY_ERR_DELEGATE, "%s: xnn_create_subgraph failed: %s", seg->label,
                         sy_xnn_status_name(st));
    }
    for (uint32_t i = 0; i < k->n_locals; i++) k->xid[i] = XNN_INVALID_VALUE_ID;
    for (uint32_t e = 0; e < seg->n_ext; e++) {
        const uint32_t l = seg->ext[e];
        size_t dims[XNN_MAX_TENSOR_DIMS];
        const size_t nd = sy_xnn_dims(&p->shapes[l], dims);
        const uint32_t flags = k->locals[l].producer == (int32_t)s ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT
                                                                   : XNN_VALUE_FLAG_EXTERNAL_INPUT;
        st = xnn_define_tensor_value(sg, xnn_datatype_fp32, nd, dims, NULL, e, flags, &k->xid[l]);
        if (st != xnn_status_success) {
            result = sy_xnn_error(be, SY_ERR_DELEGATE, "%s: value '%s': xnn_define_tensor_value failed: %s",
                               seg->label, g->values[k->locals[l].value].name, sy_xnn_status_name(st));
            goto done;
        }
    }
    for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
        const uint32_t nid = k->nodes[pos];
        const sy_node_info *node = &g->nodes[nid];
        uint32_t in_ids[SY_XNN_MAX_NODE_INPUTS], out_ids[4];
        sy_tensor in[SY_XNN_MAX_NODE_INPUTS], out[4];
        for (uint32_t i = 0; i < node->n_inputs && i < SY_XNN_MAX_NODE_INPUTS; i++) {
            const uint32_t v = node->inputs[i];
            in_ids[i] = XNN_INVALID_VALUE_ID;
            memset(&in[i], 0, sizeof(in[i]));
            if (v == SY_NO_VALUE) continue;
            const uint32_t l = k->local_of[v];
            in[i] = p->shapes[l];
            if (k->locals[l].loc == LOC_CONST) in[i].data = (void *)g->values[v].data;
            if (k->xid[l] == XNN_INVALID_VALUE_ID) {
                if (k->locals[l].loc != LOC_CONST) {
                    result = sy_xnn_error(be, SY_ERR_INTERNAL, "node #%u '%s': input '%s' has no definition",
                                       nid, node_label(node), g->values[v].name);
                    goto done;
                }
                size_t dims[XNN_MAX_TENSOR_DIMS];
                const size_t nd = sy_xnn_dims(&p->shapes[l], dims);
                st = xnn_define_tensor_value(sg, xnn_datatype_fp32, nd, dims, g->values[v].data,
                                             XNN_INVALID_VALUE_ID, 0, &k->xid[l]);
                if (st != xnn_status_success) {
                    result = sy_xnn_error(be, SY_ERR_DELEGATE,
                                       "node #%u '%s' (%s): constant '%s': xnn_define_tensor_value failed: %s",
                                       nid, node_label(node), sy_xnn_op_name(node->op), g->values[v].name,
                                       sy_xnn_status_name(st));
                    goto done;
                }
            }
            in_ids[i] = k->xid[l];
        }
        for (uint32_t o = 0; o < node->n_outputs && o < 4; o++) {
            const uint32_t l = k->local_of[node->outputs[o]];
            out[o] = p->shapes[l];
            if (k->xid[l] == XNN_INVALID_VALUE_ID) {
                size_t dims[XNN_MAX_TENSOR_DIMS];
                const size_t nd = sy_xnn_dims(&p->shapes[l], dims);
                st = xnn_define_tensor_value(sg, xnn_datatype_fp32, nd, dims, NULL, XNN_INVALID_VALUE_ID,
                                             0, &k->xid[l]);
                if (st != xnn_status_success) {
                    result = sy_xnn_error(be, SY_ERR_DELEGATE,
                                       "node #%u '%s' (%s): output: xnn_define_tensor_value failed: %s", nid,
                                       node_label(node), sy_xnn_op_name(node->op), sy_xnn_status_name(st));
                    goto done;
                }
            }
            out_ids[o] = k->xid[l];
        }
        sy_xnn_define_ctx ctx = {
            .subgraph = sg,
            .node = node,
            .in_ids = in_ids,
            .out_ids = out_ids,
            .in = in,
            .out = out,
            .alloc_static = plan_alloc_static,
            .owner = owner,
            .call = "define",
        };
        st = sy_xnn_op_find(node->op)->define(&ctx);
        if (st != xnn_status_success) {
            result = sy_xnn_error(be, SY_ERR_DELEGATE, "node #%u '%s' (%s): %s failed: %s", nid, node_label(node),
                               sy_xnn_op_name(node->op), ctx.call, sy_xnn_status_name(st));
            goto done;
        }
    }
    st = xnn_create_runtime_v2(sg, runtime_pool(k, p, seg), be->xnn_flags, &rt);
    if (st != xnn_status_success) {
        result = sy_xnn_error(be, SY_ERR_DELEGATE, "%s: xnn_create_runtime_v2 failed: %s", seg->label,
                           sy_xnn_status_name(st));
        goto done;
    }
#if defined(SY_XNN_HAVE_RESHAPE_API)
    // The shapes are fixed per plan, so the runtime is reshaped once here and only
    // xnn_setup_runtime_v2 runs per call (the deprecated xnn_setup_runtime would reshape each time).
    st = xnn_reshape_runtime(rt);
    if (st != xnn_status_success) {
        result = sy_xnn_error(be, SY_ERR_DELEGATE, "%s: xnn_reshape_runtime failed: %s", seg->label,
                           sy_xnn_status_name(st));
        xnn_delete_runtime(rt);
        rt = NULL;
        goto done;
    }
#endif
    *rt_out = rt;
done:
    xnn_delete_subgraph(sg);
    return result;
}

// Builds a plan for concrete input and state shapes (in subgraph order).
static sy_status plan_build(sy_xnn_kernel *k, plan *p, const sy_tensor *in_shapes,
                            const sy_tensor *state_shapes) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    memset(p, 0, sizeof(*p));
    p->key = kalloc(be, k->key_len * sizeof(int64_t));
    p->shapes = kalloc(be, k->n_locals * sizeof(sy_tensor));
    p->runtimes = kalloc(be, k->n_segments * sizeof(xnn_runtime_t));
    p->bound = kalloc(be, (k->total_ext ? k->total_ext : 1) * sizeof(void *));
    p->ready = kalloc(be, k->n_segments);
    if (!p->key || !p->shapes || !p->runtimes || !p->bound || !p->ready) {
        plan_free(k, p);
        return sy_xnn_error(be, SY_ERR_OUT_OF_MEMORY, "xnnpack: out of memory building a shape plan");
    }
    size_t kp = 0;
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        p->key[kp++] = in_shapes[i].rank;
        for (uint32_t d = 0; d < in_shapes[i].rank; d++) p->key[kp++] = in_shapes[i].dims[d];
    }
    for (uint32_t i = 0; i < k->n_states; i++) {
        p->key[kp++] = state_shapes[i].rank;
        for (uint32_t d = 0; d < state_shapes[i].rank; d++) p->key[kp++] = state_shapes[i].dims[d];
    }
    for (uint32_t l = 0; l < k->n_locals; l++) {
        const local_value *lv = &k->locals[l];
        if (lv->loc == LOC_INPUT) p->shapes[l] = in_shapes[lv->index];
        else if (lv->loc == LOC_STATE) p->shapes[l] = state_shapes[lv->index];
        else tensor_from_info(&g->values[lv->value], &p->shapes[l]);
        p->shapes[l].data = NULL;
    }
    // internal shapes follow the op rules (host->infer_node) in execution order
    if (host_can_infer(be)) {
        for (uint32_t pos = 0; pos < k->n_nodes; pos++) {
            const uint32_t nid = k->nodes[pos];
            const sy_node_info *node = &g->nodes[nid];
            sy_tensor in[SY_XNN_MAX_NODE_INPUTS], out[4];
            memset(in, 0, sizeof(in));
            memset(out, 0, sizeof(out));
            for (uint32_t i = 0; i < node->n_inputs && i < SY_XNN_MAX_NODE_INPUTS; i++)
                if (node->inputs[i] != SY_NO_VALUE) in[i] = p->shapes[k->local_of[node->inputs[i]]];
            sy_status st = be->host.infer_node(be->host.host, g, nid, in, out);
            if (st != SY_OK) {
                plan_free(k, p);
                return st; // the host recorded the message (it names the node)
            }
            for (uint32_t o = 0; o < node->n_outputs && o < 4; o++) {
                sy_tensor *t = &p->shapes[k->local_of[node->outputs[o]]];
                *t = out[o];
                t->data = NULL;
            }
        }
    }
    for (uint32_t s = 0; s < k->n_segments; s++) {
        if (k->segs[s].kind != SY_XNN_MODE_SUBGRAPH) continue;
        sy_status st = build_runtime(k, p, s, &p->runtimes[s]);
        if (st != SY_OK) {
            plan_free(k, p);
            return st;
        }
    }
    p->used = 1;
    return SY_OK;
}

// --- compile ---

static uint32_t add_local(sy_xnn_kernel *k, uint32_t value) {
    if (k->local_of[value] != NONE) return k->local_of[value];
    const uint32_t l = k->n_locals++;
    k->locals[l] = (local_value){.value = value, .loc = LOC_INTERNAL, .index = NONE, .producer = -1,
                                 .first_use = -1, .last_use = -1};
    k->local_of[value] = l;
    return l;
}

static size_t value_bytes(const sy_value_info *v) {
    if (v->nbytes) return v->nbytes;
    size_t n = sy_dtype_size_inline(v->dtype);
    for (uint32_t i = 0; i < v->rank; i++) n *= (size_t)v->dims[i];
    return n;
}

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) / a * a;
}

// Places scratch values by lifetime (segments [producer, last_use]); first fit by offset.
static size_t place_scratch(sy_xnn_kernel *k) {
    size_t peak = 0;
    for (uint32_t l = 0; l < k->n_locals; l++) {
        local_value *v = &k->locals[l];
        if (v->loc != LOC_SCRATCH) continue;
        const int32_t lo = v->producer, hi = v->last_use > v->producer ? v->last_use : v->producer;
        size_t offset = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (uint32_t m = 0; m < l; m++) {
                const local_value *w = &k->locals[m];
                if (w->loc != LOC_SCRATCH) continue;
                const int32_t wlo = w->producer, whi = w->last_use > w->producer ? w->last_use : w->producer;
                const int overlap_time = !(whi < lo || wlo > hi);
                const int overlap_space = offset < w->offset + w->bytes && w->offset < offset + v->bytes;
                if (overlap_time && overlap_space) {
                    offset = w->offset + w->bytes;
                    moved = 1;
                }
            }
        }
        v->offset = offset;
        if (offset + v->bytes > peak) peak = offset + v->bytes;
    }
    return peak;
}

// A node XNNPACK packs weights for when it sits in a subgraph (builds without the operator API).
static int is_fc_node(const sy_graph_view *g, const sy_node_info *node) {
    if (node->op == SY_OP_LINEAR) return 1;
    if (node->op != SY_OP_MATMUL || node->n_inputs < 2) return 0;
    const sy_value_info *b = sy_xnn_input_info(g, node, 1);
    return b && b->role == SY_ROLE_CONSTANT && b->rank == 2;
}

void sy_xnn_kernel_release(sy_xnn_kernel *k) {
    if (!k) return;
    const sy_xnn_backend *be = k->be;
    if (k->plans)
        for (uint32_t i = 0; i < k->n_plans; i++)
            if (k->plans[i].used) plan_free(k, &k->plans[i]);
    if (k->segs) {
        for (uint32_t s = 0; s < k->n_segments; s++) {
            if (k->segs[s].op.op) xnn_delete_operator(k->segs[s].op.op);
            kfree(be, k->segs[s].ext);
            kfree(be, k->segs[s].setup);
        }
    }
    kfree(be, k->plans);
    kfree(be, k->segs);
    kfree(be, k->nodes);
    kfree(be, k->inputs);
    kfree(be, k->states);
    kfree(be, k->locals);
    kfree(be, k->local_of);
    kfree(be, k->key_buf);
    kfree(be, k->xid);
    kfree(be, k->marks);
    kfree(be, k->ptrs);
    kfree(be, k);
}

static sy_status oom(const sy_xnn_backend *be) {
    return sy_xnn_error(be, SY_ERR_OUT_OF_MEMORY, "xnnpack: out of memory compiling a partition");
}

// compile, phase 1: the kernel's tables, sized from the partition.
static sy_status compile_tables(sy_xnn_kernel *k, const sy_subgraph *sub) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    size_t max_locals = 0;
    for (uint32_t i = 0; i < sub->n_nodes; i++) {
        if (sub->nodes[i] >= g->n_nodes) {
            return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: partition names node #%u of %u",
                             sub->nodes[i], g->n_nodes);
        }
        const sy_node_info *n = &g->nodes[sub->nodes[i]];
        max_locals += n->n_inputs + n->n_outputs;
    }
    k->nodes = kalloc(be, sub->n_nodes * sizeof(uint32_t));
    k->inputs = kalloc(be, (sub->n_inputs + 1) * sizeof(uint32_t));
    k->states = kalloc(be, (sub->n_states + 1) * sizeof(uint32_t));
    k->locals = kalloc(be, (max_locals + 1) * sizeof(local_value));
    k->local_of = kalloc(be, (g->n_values + 1) * sizeof(uint32_t));
    k->segs = kalloc(be, sub->n_nodes * sizeof(segment));
    k->plans = kalloc(be, k->n_plans * sizeof(plan));
    if (!k->nodes || !k->inputs || !k->states || !k->locals || !k->local_of || !k->segs || !k->plans) {
        return oom(be);
    }
    memcpy(k->nodes, sub->nodes, sub->n_nodes * sizeof(uint32_t));
    if (sub->n_inputs) memcpy(k->inputs, sub->inputs, sub->n_inputs * sizeof(uint32_t));
    if (sub->n_states) memcpy(k->states, sub->states, sub->n_states * sizeof(uint32_t));
    for (uint32_t v = 0; v < g->n_values; v++) k->local_of[v] = NONE;

    return SY_OK;
}

// compile, phase 2: the local values and the segments (runs of XNNPACK nodes, or single custom /
// operator nodes), with each value's producer and first/last use.
static sy_status compile_segments(sy_xnn_kernel *k) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    // values and segments
    for (uint32_t pos = 0; pos < k->n_nodes; pos++) {
        const uint32_t nid = k->nodes[pos];
        const sy_node_info *node = &g->nodes[nid];
        const sy_xnn_op_entry *e = sy_xnn_op_find(node->op);
        if (!e || node->n_inputs > SY_XNN_MAX_NODE_INPUTS || node->n_outputs > 4) {
            return sy_xnn_error(be, SY_ERR_UNSUPPORTED, "node #%u '%s' (%s): not supported by xnnpack", nid,
                             node_label(node), sy_xnn_op_name(node->op));
        }
        const sy_xnn_node_mode mode = sy_xnn_op_mode(k->be, e, g, node);
        if (mode != SY_XNN_MODE_SUBGRAPH || k->n_segments == 0 || k->segs[k->n_segments - 1].kind != SY_XNN_MODE_SUBGRAPH) {
            segment *s = &k->segs[k->n_segments++];
            s->first = pos;
            s->kind = mode;
            // single-node segments carry the node's name, so profiles attribute them to the node
            if (mode != SY_XNN_MODE_SUBGRAPH) snprintf(s->label, sizeof(s->label), "%s", node_label(node));
            else snprintf(s->label, sizeof(s->label), "xnnpack subgraph from node #%u '%.24s'", nid, node_label(node));
        }
        segment *s = &k->segs[k->n_segments - 1];
        s->count++;
        const int32_t si = (int32_t)(k->n_segments - 1);
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            const uint32_t v = node->inputs[i];
            if (v == SY_NO_VALUE) continue;
            if (v >= g->n_values) {
                return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "node #%u: input value #%u out of range", nid, v);
            }
            local_value *lv = &k->locals[add_local(k, v)];
            if (lv->first_use < 0) lv->first_use = si;
            lv->last_use = si;
        }
        for (uint32_t o = 0; o < node->n_outputs; o++) {
            const uint32_t v = node->outputs[o];
            if (v >= g->n_values) {
                return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "node #%u: output value #%u out of range", nid, v);
            }
            k->locals[add_local(k, v)].producer = si;
        }
    }

    return SY_OK;
}

// compile, phase 3: where each value lives (input, output, state, constant, scratch, internal).
static sy_status compile_places(sy_xnn_kernel *k, const sy_subgraph *sub) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    // where each value lives
    for (uint32_t i = 0; i < sub->n_inputs; i++) {
        const uint32_t v = sub->inputs[i];
        if (v < g->n_values && k->local_of[v] != NONE) {
            k->locals[k->local_of[v]].loc = LOC_INPUT;
            k->locals[k->local_of[v]].index = i;
        }
    }
    for (uint32_t i = 0; i < sub->n_outputs; i++) {
        const uint32_t v = sub->outputs[i];
        if (v < g->n_values && k->local_of[v] != NONE) {
            k->locals[k->local_of[v]].loc = LOC_OUTPUT;
            k->locals[k->local_of[v]].index = i;
        }
    }
    for (uint32_t i = 0; i < sub->n_states; i++) {
        const uint32_t v = sub->states[i];
        if (v < g->n_values && k->local_of[v] != NONE) {
            k->locals[k->local_of[v]].loc = LOC_STATE;
            k->locals[k->local_of[v]].index = i;
        }
    }
    for (uint32_t l = 0; l < k->n_locals; l++) {
        local_value *lv = &k->locals[l];
        const sy_value_info *vi = &g->values[lv->value];
        if (vi->role == SY_ROLE_CONSTANT && vi->data && lv->loc != LOC_OUTPUT && lv->loc != LOC_STATE) {
            lv->loc = LOC_CONST;
            continue;
        }
        if (lv->loc != LOC_INTERNAL) continue;
        if (lv->producer < 0) {
            return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT,
                             "xnnpack: value '%s' is read in the partition but neither produced there "
                             "nor one of its inputs", vi->name ? vi->name : "");
        }
        const int crosses = (lv->first_use >= 0 && lv->first_use != lv->producer) ||
                            (lv->last_use >= 0 && lv->last_use != lv->producer);
        if (k->segs[lv->producer].kind != SY_XNN_MODE_SUBGRAPH || crosses) {
            lv->loc = LOC_SCRATCH;
            lv->bytes = align_up(value_bytes(vi) + XNN_EXTRA_BYTES, SLOT_ALIGN);
        } else if (lv->first_use >= 0 && k->segs[lv->first_use].kind != SY_XNN_MODE_SUBGRAPH) {
            lv->loc = LOC_SCRATCH;
            lv->bytes = align_up(value_bytes(vi) + XNN_EXTRA_BYTES, SLOT_ALIGN);
        }
    }
    if (!host_can_infer(be)) {
        // without the host's shape rules, only the declared (static) shapes are known
        for (uint32_t l = 0; l < k->n_locals; l++) {
            const sy_value_info *vi = &g->values[k->locals[l].value];
            for (uint32_t i = 0; i < vi->rank; i++) {
                if (vi->sym[i] >= 0) {
                    return sy_xnn_error(be, SY_ERR_UNSUPPORTED,
                                     "xnnpack: value '%s' has a symbolic dim but the host offers no infer_node",
                                     vi->name ? vi->name : "");
                }
            }
        }
    }
    return SY_OK;
}

// compile, phase 4: scratch offsets of the values and of the custom kernels.
static void compile_scratch(sy_xnn_kernel *k) {
    const sy_graph_view *g = k->graph;
    const size_t values_peak = place_scratch(k);
    size_t op_scratch = 0;
    for (uint32_t pos = 0; pos < k->n_nodes; pos++) {
        const sy_node_info *node = &g->nodes[k->nodes[pos]];
        const sy_xnn_op_entry *e = sy_xnn_op_find(node->op);
        if (e->scratch && sy_xnn_op_mode(k->be, e, g, node) == SY_XNN_MODE_CUSTOM) {
            const size_t b = e->scratch(g, node);
            if (b > op_scratch) op_scratch = b;
        }
    }
    k->op_scratch_offset = align_up(values_peak, SLOT_ALIGN);
    k->scratch_bytes = k->op_scratch_offset + (op_scratch ? align_up(op_scratch, SLOT_ALIGN) : 0);
}

// compile, phase 5: the external values of each XNNPACK segment and the plan key buffer.
// counts: subgraphs, custom kernels, operators.
static sy_status compile_externals(sy_xnn_kernel *k, uint32_t counts[3]) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    // external values of each XNNPACK segment
    k->marks = kalloc(be, (k->n_locals + 1) * sizeof(uint32_t));
    k->xid = kalloc(be, (k->n_locals + 1) * sizeof(uint32_t));
    k->ptrs = kalloc(be, (k->n_locals + 1) * sizeof(void *));
    if (!k->marks || !k->xid || !k->ptrs) {
        return oom(be);
    }
    for (uint32_t l = 0; l < k->n_locals; l++) k->marks[l] = NONE;
    uint32_t n_xnn = 0, n_custom = 0, n_ops = 0;
    for (uint32_t s = 0; s < k->n_segments; s++) {
        segment *seg = &k->segs[s];
        if (seg->kind == SY_XNN_MODE_CUSTOM) n_custom++;
        if (seg->kind == SY_XNN_MODE_OPERATOR) n_ops++;
        if (seg->kind != SY_XNN_MODE_SUBGRAPH) continue;
        n_xnn++;
        uint32_t cap = 0;
        for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
            const sy_node_info *node = &g->nodes[k->nodes[pos]];
            cap += node->n_inputs + node->n_outputs;
        }
        seg->ext = kalloc(be, (cap + 1) * sizeof(uint32_t));
        seg->setup = kalloc(be, (cap + 1) * sizeof(struct xnn_external_value));
        if (!seg->ext || !seg->setup) {
            return oom(be);
        }
        for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
            const sy_node_info *node = &g->nodes[k->nodes[pos]];
            for (uint32_t i = 0; i < node->n_inputs + node->n_outputs; i++) {
                const uint32_t v = i < node->n_inputs ? node->inputs[i] : node->outputs[i - node->n_inputs];
                if (v == SY_NO_VALUE) continue;
                const uint32_t l = k->local_of[v];
                const uint8_t loc = k->locals[l].loc;
                if (loc == LOC_INTERNAL || loc == LOC_CONST || k->marks[l] == s) continue;
                k->marks[l] = s;
                seg->ext[seg->n_ext++] = l;
            }
        }
        seg->ext_base = k->total_ext;
        k->total_ext += seg->n_ext;
    }
    for (uint32_t i = 0; i < k->n_inputs; i++) k->key_len += 1 + g->values[k->inputs[i]].rank;
    for (uint32_t i = 0; i < k->n_states; i++) k->key_len += 1 + g->values[k->states[i]].rank;
    k->key_buf = kalloc(be, (k->key_len + 1) * sizeof(int64_t));
    if (!k->key_buf) {
        return oom(be);
    }

    counts[0] = n_xnn;
    counts[1] = n_custom;
    counts[2] = n_ops;
    return SY_OK;
}

// compile, phase 6: the operators (their weights are packed here, once).
static sy_status compile_operators(sy_xnn_kernel *k, size_t *packed_out) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    // the operators: their weights are packed here, once, whatever shapes the calls bring
    size_t packed = 0;
    for (uint32_t s = 0; s < k->n_segments; s++) {
        segment *seg = &k->segs[s];
        if (seg->kind != SY_XNN_MODE_OPERATOR) continue;
        const uint32_t nid = k->nodes[seg->first];
        const sy_node_info *node = &g->nodes[nid];
        const char *call = "create";
        const enum xnn_status xst = sy_xnn_op_find(node->op)->create_op(k->be, g, node, &seg->op, &call);
        if (xst != xnn_status_success) {
            sy_status err = sy_xnn_error(be, SY_ERR_DELEGATE, "node #%u '%s' (%s): %s failed: %s", nid,
                                      node_label(node), sy_xnn_op_name(node->op), call, sy_xnn_status_name(xst));
            return err;
        }
        packed += seg->op.packed_bytes;
    }

    *packed_out = packed;
    return SY_OK;
}

// compile, phase 7: the plan at the symbol bounds.
static sy_status compile_bound_plan(sy_xnn_kernel *k) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    // the plan at the symbol bounds: proves XNNPACK accepts every node before the host commits
    sy_tensor *in_shapes = kalloc(be, (k->n_inputs + 1) * sizeof(sy_tensor));
    sy_tensor *state_shapes = kalloc(be, (k->n_states + 1) * sizeof(sy_tensor));
    if (!in_shapes || !state_shapes) {
        kfree(be, in_shapes);
        kfree(be, state_shapes);
        return oom(be);
    }
    for (uint32_t i = 0; i < k->n_inputs; i++) tensor_from_info(&g->values[k->inputs[i]], &in_shapes[i]);
    for (uint32_t i = 0; i < k->n_states; i++) tensor_from_info(&g->values[k->states[i]], &state_shapes[i]);
    sy_status st = plan_build(k, &k->plans[0], in_shapes, state_shapes);
    kfree(be, in_shapes);
    kfree(be, state_shapes);
    if (st != SY_OK) {
        return st;
    }
    k->plans[0].stamp = ++k->clock;

    k->plans[0].stamp = ++k->clock;
    return SY_OK;
}

sy_status sy_xnn_kernel_compile(sy_xnn_backend *be, const sy_subgraph *sub, sy_xnn_kernel **kernel_out,
                             sy_compile_info *info_out) {
    const sy_graph_view *g = sub->graph;
    if (!g || sub->n_nodes == 0)
        return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: empty partition");
    sy_xnn_kernel *k = kalloc(be, sizeof(*k));
    if (!k) return oom(be);
    k->be = be;
    k->graph = g;
    k->n_nodes = sub->n_nodes;
    k->n_inputs = sub->n_inputs;
    k->n_outputs = sub->n_outputs;
    k->n_states = sub->n_states;
    k->n_plans = be->shape_cache;
    uint32_t counts[3] = {0, 0, 0};
    size_t packed = 0;
    sy_status st = compile_tables(k, sub);
    if (st == SY_OK) st = compile_segments(k);
    if (st == SY_OK) st = compile_places(k, sub);
    if (st == SY_OK) compile_scratch(k);
    if (st == SY_OK) st = compile_externals(k, counts);
    if (st == SY_OK) st = compile_operators(k, &packed);
    if (st == SY_OK) st = compile_bound_plan(k);
    if (st != SY_OK) {
        sy_xnn_kernel_release(k);
        return st;
    }
    const uint32_t n_xnn = counts[0], n_custom = counts[1], n_ops = counts[2];
    // subgraph fully-connected nodes (builds without the operator API): one plan's copy
    for (uint32_t pos = 0; pos < k->n_nodes; pos++) {
        const sy_node_info *node = &g->nodes[k->nodes[pos]];
        if (!is_fc_node(g, node) || sy_xnn_op_mode(k->be, sy_xnn_op_find(node->op), g, node) != SY_XNN_MODE_SUBGRAPH) continue;
        for (uint32_t i = 1; i < node->n_inputs; i++) {
            const sy_value_info *c = sy_xnn_input_info(g, node, i);
            if (c && c->role == SY_ROLE_CONSTANT) packed += value_bytes(c);
        }
    }
    snprintf(k->detail, sizeof(k->detail), "%u xnn subgraph%s, %u xnn operator%s, %u custom kernel%s", n_xnn,
             n_xnn == 1 ? "" : "s", n_ops, n_ops == 1 ? "" : "s", n_custom, n_custom == 1 ? "" : "s");
    info_out->scratch_bytes = k->scratch_bytes ? k->scratch_bytes + XNN_EXTRA_BYTES : 0;
    info_out->packed_bytes = packed;
    info_out->detail = k->detail;
    *kernel_out = k;
    return SY_OK;
}

// --- execute ---

static plan *find_plan(sy_xnn_kernel *k, const sy_exec_args *args, sy_status *status) {
    const sy_xnn_backend *be = k->be;
    size_t kp = 0;
    for (uint32_t i = 0; i < k->n_inputs + k->n_states; i++) {
        const sy_tensor *t = i < k->n_inputs ? &args->inputs[i] : &args->states[i - k->n_inputs];
        const uint32_t v = i < k->n_inputs ? k->inputs[i] : k->states[i - k->n_inputs];
        if (t->rank != k->graph->values[v].rank) {
            *status = sy_xnn_error(be, SY_ERR_SHAPE, "xnnpack: '%s' has rank %u, the program declares %u",
                                k->graph->values[v].name, t->rank, k->graph->values[v].rank);
            return NULL;
        }
        k->key_buf[kp++] = t->rank;
        for (uint32_t d = 0; d < t->rank; d++) k->key_buf[kp++] = t->dims[d];
    }
    plan *victim = NULL;
    for (uint32_t i = 0; i < k->n_plans; i++) {
        plan *p = &k->plans[i];
        if (p->used && memcmp(p->key, k->key_buf, k->key_len * sizeof(int64_t)) == 0) {
            p->stamp = ++k->clock;
            return p;
        }
        if (!victim || !p->used || (victim->used && p->stamp < victim->stamp)) victim = p;
    }
    // a shape not seen yet (or evicted): build it now; this is the only allocating path
    if (victim->used) plan_free(k, victim);
    *status = plan_build(k, victim, args->inputs, args->states);
    if (*status != SY_OK) return NULL;
    victim->stamp = ++k->clock;
    be->host.log(be->host.host, SY_LOG_DEBUG, "xnnpack: built a shape plan (%s)", k->detail);
    return victim;
}

static sy_status run_xnn(sy_xnn_kernel *k, plan *p, uint32_t s) {
    const sy_xnn_backend *be = k->be;
    segment *seg = &k->segs[s];
    void **bound = p->bound + seg->ext_base;
    int same = p->ready[s];
    for (uint32_t e = 0; e < seg->n_ext; e++) {
        void *ptr = k->ptrs[seg->ext[e]];
        seg->setup[e].id = e;
        seg->setup[e].data = ptr;
        same = same && bound[e] == ptr;
    }
    if (!same) {
        // pointers moved (or first use): tell the runtime where its externals are
#if defined(SY_XNN_HAVE_RESHAPE_API)
        enum xnn_status st = xnn_setup_runtime_v2(p->runtimes[s], seg->n_ext, seg->setup);
        const char *call = "xnn_setup_runtime_v2";
#else
        enum xnn_status st = xnn_setup_runtime(p->runtimes[s], seg->n_ext, seg->setup);
        const char *call = "xnn_setup_runtime";
#endif
        if (st != xnn_status_success) {
            p->ready[s] = 0;
            return sy_xnn_error(be, SY_ERR_DELEGATE, "%s: %s failed: %s", seg->label, call, sy_xnn_status_name(st));
        }
        for (uint32_t e = 0; e < seg->n_ext; e++) bound[e] = seg->setup[e].data;
        p->ready[s] = 1;
    }
    enum xnn_status st = xnn_invoke_runtime(p->runtimes[s]);
    if (st != xnn_status_success)
        return sy_xnn_error(be, SY_ERR_DELEGATE, "%s: xnn_invoke_runtime failed: %s", seg->label, sy_xnn_status_name(st));
    return SY_OK;
}

// A single-node segment: a custom kernel, or the node's operator set up for this call's shapes.
static sy_status run_node(sy_xnn_kernel *k, const plan *p, segment *seg, char *scratch) {
    const uint32_t nid = k->nodes[seg->first];
    const sy_node_info *node = &k->graph->nodes[nid];
    sy_tensor in[SY_XNN_MAX_NODE_INPUTS], out[4];
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        const uint32_t v = node->inputs[i];
        if (v == SY_NO_VALUE) {
            memset(&in[i], 0, sizeof(in[i]));
            continue;
        }
        const uint32_t l = k->local_of[v];
        in[i] = p->shapes[l];
        in[i].data = k->ptrs[l];
    }
    for (uint32_t o = 0; o < node->n_outputs; o++) {
        const uint32_t l = k->local_of[node->outputs[o]];
        out[o] = p->shapes[l];
        out[o].data = k->ptrs[l];
    }
    sy_xnn_kernel_ctx ctx = {
        .be = k->be,
        .node_id = nid,
        .node = node,
        .in = in,
        .out = out,
        .scratch = scratch ? scratch + k->op_scratch_offset : NULL,
        .op = seg->kind == SY_XNN_MODE_OPERATOR ? &seg->op : NULL,
    };
    // The op record's data checks (ids, indices, cache positions), before the kernel writes.
    sy_status st = sy_kit_check_node_data(&k->be->host, k->graph, nid, in);
    if (st != SY_OK) return st;
    const sy_xnn_op_entry *e = sy_xnn_op_find(node->op);
    return seg->kind == SY_XNN_MODE_OPERATOR ? e->run_op(&ctx) : e->run(&ctx);
}

sy_status sy_xnn_kernel_execute(sy_xnn_kernel *k, const sy_exec_args *args) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    if (args->n_inputs != k->n_inputs || args->n_outputs != k->n_outputs || args->n_states != k->n_states) {
        return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT,
                         "xnnpack: execute got %u/%u/%u inputs/outputs/states, compiled for %u/%u/%u",
                         args->n_inputs, args->n_outputs, args->n_states, k->n_inputs, k->n_outputs,
                         k->n_states);
    }
    if (k->scratch_bytes && !args->scratch)
        return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: execute got no scratch (needs %zu bytes)",
                         k->scratch_bytes);
    sy_status status = SY_OK;
    plan *p = find_plan(k, args, &status);
    if (!p) return status;

    char *scratch = args->scratch;
    for (uint32_t l = 0; l < k->n_locals; l++) {
        const local_value *lv = &k->locals[l];
        switch (lv->loc) {
        case LOC_INPUT: k->ptrs[l] = args->inputs[lv->index].data; break;
        case LOC_OUTPUT: k->ptrs[l] = args->outputs[lv->index].data; break;
        case LOC_STATE: k->ptrs[l] = args->states[lv->index].data; break;
        case LOC_CONST: k->ptrs[l] = (void *)g->values[lv->value].data; break;
        case LOC_SCRATCH: k->ptrs[l] = scratch + lv->offset; break;
        default: k->ptrs[l] = NULL; break;
        }
    }
    for (uint32_t s = 0; s < k->n_segments && status == SY_OK; s++) {
        segment *seg = &k->segs[s];
        if (be->host.profile_begin) be->host.profile_begin(be->host.host, seg->label);
        status = seg->kind != SY_XNN_MODE_SUBGRAPH ? run_node(k, p, seg, scratch) : run_xnn(k, p, s);
        if (be->host.profile_end) be->host.profile_end(be->host.host, seg->label);
    }
    return status;
}
