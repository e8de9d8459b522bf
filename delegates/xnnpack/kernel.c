// Compiling and running a partition: segments, value placement, per-shape plans.
//
// The partition's values (graph ids, dtypes, bounds, roles, constant bytes, where a boundary
// value's bytes are, lifetimes in steps) are the delegate kit's value table (k->kp, see
// switchyard/delegate_kit.h); k->vals and the other per-value arrays hold only what XNNPACK
// needs, at the kit's local index.
//
// compile() splits the partition's nodes, in order, into segments (a run of XNNPACK-capable
// nodes = one XNNPACK subgraph; each custom-kernel node and each operator node = its own
// segment). Each value lives where the kit places it, or, for a value made inside:
//   internal                inside one XNNPACK runtime (XNNPACK plans that memory itself),
//   scratch                 crosses segments, or a custom kernel or an operator makes it: a slot
//                           in the host's scratch, placed at compile time by lifetime (slots are
//                           reused).
//
// XNNPACK 2022 bakes every shape into a runtime, so the shape-dependent part is a "plan": the
// concrete shapes of all values (resolved by the kit through host->infer_node) plus one runtime
// per XNNPACK segment, keyed by the dims of the partition's inputs and states. Plans are built on
// first use of a shape (the one at the symbol bounds already at compile time, which also proves
// XNNPACK accepts the partition) and kept in a small LRU cache, so repeated calls with a seen
// shape never rebuild, nor resolve shapes again. Nodes with weights to pack (linear, matmul by a
// constant) are not in any plan: each is an XNNPACK operator created once here at compile time
// (its weights packed once) and only set up per call for the call's rows, so plans hold
// weightless runtimes and a new shape costs a few small runtime creations, not a repacking of
// every weight. (Builds whose XNNPACK has no operator API this delegate knows keep those nodes
// in the subgraphs, and then each plan packs its own weight copy; option shape_cache bounds that
// memory.)

#include <stdio.h>
#include <string.h>

#include "delegates/xnnpack/kernel.h"
#include "switchyard/delegate_kit.h"

#define NONE UINT32_MAX
#define SLOT_ALIGN 64

// What only this delegate keeps per value, at the kit's local index (k->kp.values[l] has the
// graph id, dtype, bounds, role, place, constant pointer and lifetime in steps).
typedef struct xnn_value {
    int32_t producer; // segment producing it; -1 when produced outside the partition
    uint8_t scratch;  // an internal value that lives in the host's scratch (it crosses segments,
                      // or a custom kernel or operator makes it); else XNNPACK places it
    size_t offset;    // scratch: byte offset in the scratch
    size_t bytes;     // scratch: slot size (at the bounds, padded)
} xnn_value;

typedef struct segment {
    uint32_t first, count; // positions in kernel->nodes
    sy_xnn_node_mode kind;    // SUBGRAPH: XNNPACK nodes; CUSTOM / OPERATOR: a single node
    sy_xnn_node_operator op;  // OPERATOR: the node's operator (made at compile time, shape-free)
    uint32_t n_ext;        // XNNPACK external values; external id = position in ext
    uint32_t *ext;         // kit local indices
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
    sy_tensor *shapes;       // (kp.n_values) the kit's resolved dtype/rank/dims, data unused
    xnn_runtime_t *runtimes; // (n_segments) NULL for custom and operator segments
    void **bound;            // (total_ext) pointers each runtime was last set up with
    uint8_t *ready;          // (n_segments) runtime set up at least once
    static_block *statics;   // synthesised static tensors (reduction filters, eps)
} plan;

struct sy_xnn_kernel {
    sy_xnn_backend *be;
    const sy_graph_view *graph; // borrowed: valid until release (the program outlives us)
    sy_kit_partition kp;        // the partition's value table (local index l); kp.sg borrowed
    xnn_value *vals;            // (kp.n_values) this delegate's side of each local value
    uint32_t n_segments;
    segment *segs;
    uint32_t total_ext;
    size_t key_len;
    int64_t *key_buf;   // (key_len) the current call's key
    uint32_t *xid;      // (kp.n_values) XNNPACK ids while a subgraph is being defined
    uint32_t *marks;    // (kp.n_values) scratch marks for compile-time walks
    uint32_t n_plans;
    plan *plans;
    uint64_t clock;
    size_t op_scratch_offset; // where custom kernels' own scratch starts
    size_t scratch_bytes;
    void **ptrs; // (kp.n_values) data pointer of each value in the current call
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

// The graph node id and node at partition step `pos`.
static uint32_t node_id_at(const sy_xnn_kernel *k, uint32_t pos) {
    return k->kp.sg->nodes[pos];
}

static const sy_node_info *node_at(const sy_xnn_kernel *k, uint32_t pos) {
    return &k->graph->nodes[k->kp.sg->nodes[pos]];
}

static const char *value_name(const sy_xnn_kernel *k, uint32_t l) {
    const char *name = k->graph->values[k->kp.values[l].id].name;
    return name ? name : "";
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

static int is_fc_node(const sy_graph_view *g, const sy_node_info *node);

// The pool a subgraph runtime gets: none (the caller's thread) when every node's output under
// this plan is small and none is a fully-connected node — a decode step's norms, adds and
// activations (a few thousand floats) finish in microseconds, while handing them to pthreadpool
// makes the caller wait for every worker to wake and check in, which on a loaded machine costs a
// scheduler slice per call (measured: decode steps of 75 ms to 7 s on a busy 2-core machine).
// With the caller-driven kernel pool (option kernel_pool) the bound is 1M elements: a prompt's
// norms, adds and activations (128 × 1536 floats) then run on the caller too — ~30 µs each,
// while on pthreadpool under load a 2-thread prefill fell to a third of the 1-thread one.
static pthreadpool_t runtime_pool(const sy_xnn_kernel *k, const plan *p, const segment *seg) {
    const int64_t small = k->be->kpool ? INT64_C(1) << 20 : 16384; // elements
    for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
        const sy_node_info *node = node_at(k, pos);
        if (is_fc_node(k->graph, node)) return k->be->pool;
        for (uint32_t o = 0; o < node->n_outputs; o++) {
            if (sy_tensor_numel(&p->shapes[sy_kit_local(&k->kp, node->outputs[o])]) > small) return k->be->pool;
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
    for (uint32_t i = 0; i < k->kp.n_values; i++) k->xid[i] = XNN_INVALID_VALUE_ID;
    for (uint32_t e = 0; e < seg->n_ext; e++) {
        const uint32_t l = seg->ext[e];
        size_t dims[XNN_MAX_TENSOR_DIMS];
        const size_t nd = sy_xnn_dims(&p->shapes[l], dims);
        const uint32_t flags = k->vals[l].producer == (int32_t)s ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT
                                                                   : XNN_VALUE_FLAG_EXTERNAL_INPUT;
        st = xnn_define_tensor_value(sg, xnn_datatype_fp32, nd, dims, NULL, e, flags, &k->xid[l]);
        if (st != xnn_status_success) {
            result = sy_xnn_error(be, SY_ERR_DELEGATE, "%s: value '%s': xnn_define_tensor_value failed: %s",
                               seg->label, value_name(k, l), sy_xnn_status_name(st));
            goto done;
        }
    }
    for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
        const uint32_t nid = node_id_at(k, pos);
        const sy_node_info *node = &g->nodes[nid];
        uint32_t in_ids[SY_XNN_MAX_NODE_INPUTS], out_ids[4];
        sy_tensor in[SY_XNN_MAX_NODE_INPUTS], out[4];
        for (uint32_t i = 0; i < node->n_inputs && i < SY_XNN_MAX_NODE_INPUTS; i++) {
            const uint32_t v = node->inputs[i];
            in_ids[i] = XNN_INVALID_VALUE_ID;
            memset(&in[i], 0, sizeof(in[i]));
            if (v == SY_NO_VALUE) continue;
            const uint32_t l = sy_kit_local(&k->kp, v);
            const sy_kit_value *kv = &k->kp.values[l];
            in[i] = p->shapes[l];
            if (kv->place == SY_KIT_CONSTANT) in[i].data = (void *)kv->constant;
            if (k->xid[l] == XNN_INVALID_VALUE_ID) {
                if (kv->place != SY_KIT_CONSTANT) {
                    result = sy_xnn_error(be, SY_ERR_INTERNAL, "node #%u '%s': input '%s' has no definition",
                                       nid, node_label(node), g->values[v].name);
                    goto done;
                }
                size_t dims[XNN_MAX_TENSOR_DIMS];
                const size_t nd = sy_xnn_dims(&p->shapes[l], dims);
                st = xnn_define_tensor_value(sg, xnn_datatype_fp32, nd, dims, kv->constant, XNN_INVALID_VALUE_ID,
                                             0, &k->xid[l]);
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
            const uint32_t l = sy_kit_local(&k->kp, node->outputs[o]);
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

// Writes the plan key of a call (ranks and dims of its inputs, then its states) into k->key_buf.
static sy_status call_key(sy_xnn_kernel *k, const sy_exec_args *args) {
    const sy_subgraph *sub = k->kp.sg;
    size_t n = 0;
    for (uint32_t i = 0; i < sub->n_inputs + sub->n_states; i++) {
        const int is_input = i < sub->n_inputs;
        const sy_tensor *t = is_input ? &args->inputs[i] : &args->states[i - sub->n_inputs];
        const sy_value_info *vi = &k->graph->values[is_input ? sub->inputs[i] : sub->states[i - sub->n_inputs]];
        if (t->rank != vi->rank) {
            return sy_xnn_error(k->be, SY_ERR_SHAPE, "xnnpack: '%s' has rank %u, the program declares %u", vi->name,
                                t->rank, vi->rank);
        }
        k->key_buf[n++] = t->rank;
        for (uint32_t d = 0; d < t->rank; d++) k->key_buf[n++] = t->dims[d];
    }
    return SY_OK;
}

// The shapes of every value for a call's input and state shapes. The kit resolves them
// (host->infer_node node by node); a host without infer_node gets the declared shapes, which
// compile made sure are all static.
static sy_status resolve_shapes(sy_xnn_kernel *k, const sy_exec_args *args) {
    if (host_can_infer(k->be)) return sy_kit_resolve_shapes(&k->kp, args);
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        sy_tensor *t = &k->kp.shapes[l];
        memset(t, 0, sizeof(*t));
        t->dtype = e->dtype;
        t->rank = e->rank;
        memcpy(t->dims, e->bound, sizeof(t->dims));
    }
    return SY_OK;
}

// Builds a plan for the call's shapes (key already in k->key_buf). Shapes are resolved here,
// once per plan, not per call: a call with a seen key (every decode step) runs no shape rule.
static sy_status plan_build(sy_xnn_kernel *k, plan *p, const sy_exec_args *args) {
    const sy_xnn_backend *be = k->be;
    memset(p, 0, sizeof(*p));
    p->key = kalloc(be, (k->key_len + 1) * sizeof(int64_t));
    p->shapes = kalloc(be, (k->kp.n_values + 1) * sizeof(sy_tensor));
    p->runtimes = kalloc(be, k->n_segments * sizeof(xnn_runtime_t));
    p->bound = kalloc(be, (k->total_ext ? k->total_ext : 1) * sizeof(void *));
    p->ready = kalloc(be, k->n_segments);
    if (!p->key || !p->shapes || !p->runtimes || !p->bound || !p->ready) {
        plan_free(k, p);
        return sy_xnn_error(be, SY_ERR_OUT_OF_MEMORY, "xnnpack: out of memory building a shape plan");
    }
    memcpy(p->key, k->key_buf, k->key_len * sizeof(int64_t));
    sy_status st = resolve_shapes(k, args);
    if (st != SY_OK) {
        plan_free(k, p);
        return st; // the host recorded the message (it names the node)
    }
    memcpy(p->shapes, k->kp.shapes, k->kp.n_values * sizeof(sy_tensor));
    for (uint32_t l = 0; l < k->kp.n_values; l++) p->shapes[l].data = NULL; // pointers are per call
    for (uint32_t s = 0; s < k->n_segments; s++) {
        if (k->segs[s].kind != SY_XNN_MODE_SUBGRAPH) continue;
        st = build_runtime(k, p, s, &p->runtimes[s]);
        if (st != SY_OK) {
            plan_free(k, p);
            return st;
        }
    }
    p->used = 1;
    return SY_OK;
}

// --- compile ---

static size_t value_bytes(const sy_value_info *v) {
    if (v->nbytes) return v->nbytes;
    size_t n = sy_dtype_size_inline(v->dtype);
    for (uint32_t i = 0; i < v->rank; i++) n *= (size_t)v->dims[i];
    return n;
}

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) / a * a;
}

// The segment that runs partition step `pos` (segments are contiguous runs of steps).
static int32_t segment_at(const sy_xnn_kernel *k, uint32_t pos) {
    uint32_t lo = 0, hi = k->n_segments;
    while (hi - lo > 1) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (k->segs[mid].first <= pos) lo = mid;
        else hi = mid;
    }
    return (int32_t)lo;
}

// The segments a scratch value occupies its slot: from its producer to its last reader.
static void scratch_span(const sy_xnn_kernel *k, uint32_t l, int32_t *lo, int32_t *hi) {
    const int32_t last = segment_at(k, k->kp.values[l].last_step);
    *lo = k->vals[l].producer;
    *hi = last > *lo ? last : *lo;
}

// Places scratch values by lifetime (segments [producer, last reader]); first fit by offset.
static size_t place_scratch(sy_xnn_kernel *k) {
    size_t peak = 0;
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        xnn_value *v = &k->vals[l];
        if (!v->scratch) continue;
        int32_t lo, hi;
        scratch_span(k, l, &lo, &hi);
        size_t offset = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (uint32_t m = 0; m < l; m++) {
                const xnn_value *w = &k->vals[m];
                if (!w->scratch) continue;
                int32_t wlo, whi;
                scratch_span(k, m, &wlo, &whi);
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
            kfree(be, k->segs[s].op.packed);
            kfree(be, k->segs[s].ext);
            kfree(be, k->segs[s].setup);
        }
    }
    sy_kit_partition_deinit(&k->kp);
    kfree(be, k->plans);
    kfree(be, k->segs);
    kfree(be, k->vals);
    kfree(be, k->key_buf);
    kfree(be, k->xid);
    kfree(be, k->marks);
    kfree(be, k->ptrs);
    kfree(be, k);
}

static sy_status oom(const sy_xnn_backend *be) {
    return sy_xnn_error(be, SY_ERR_OUT_OF_MEMORY, "xnnpack: out of memory compiling a partition");
}

// Refuses a partition that names a node or value the graph does not have (the kit's table
// trusts the ids it is given).
static sy_status check_ids(const sy_xnn_backend *be, const sy_subgraph *sub) {
    const sy_graph_view *g = sub->graph;
    for (uint32_t i = 0; i < sub->n_nodes; i++) {
        if (sub->nodes[i] >= g->n_nodes) {
            return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: partition names node #%u of %u",
                                sub->nodes[i], g->n_nodes);
        }
        const uint32_t nid = sub->nodes[i];
        const sy_node_info *node = &g->nodes[nid];
        for (uint32_t j = 0; j < node->n_inputs + node->n_outputs; j++) {
            const int is_in = j < node->n_inputs;
            const uint32_t v = is_in ? node->inputs[j] : node->outputs[j - node->n_inputs];
            if (v == SY_NO_VALUE && is_in) continue;
            if (v >= g->n_values) {
                return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "node #%u: %s value #%u out of range", nid,
                                    is_in ? "input" : "output", v);
            }
        }
    }
    return SY_OK;
}

// compile, phase 1: the kit's value table and this delegate's tables, sized from the partition.
static sy_status compile_tables(sy_xnn_kernel *k, const sy_subgraph *sub) {
    const sy_xnn_backend *be = k->be;
    sy_status st = check_ids(be, sub);
    if (st == SY_OK) st = sy_kit_partition_init(&k->kp, &be->host, sub);
    if (st != SY_OK) return st;
    k->vals = kalloc(be, (k->kp.n_values + 1) * sizeof(xnn_value));
    k->segs = kalloc(be, sub->n_nodes * sizeof(segment));
    k->plans = kalloc(be, k->n_plans * sizeof(plan));
    if (!k->vals || !k->segs || !k->plans) {
        return oom(be);
    }
    for (uint32_t l = 0; l < k->kp.n_values; l++) k->vals[l].producer = -1;
    return SY_OK;
}

// compile, phase 2: the segments (runs of XNNPACK nodes, or single custom / operator nodes) and
// the segment producing each value.
static sy_status compile_segments(sy_xnn_kernel *k) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    for (uint32_t pos = 0; pos < k->kp.sg->n_nodes; pos++) {
        const uint32_t nid = node_id_at(k, pos);
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
        k->segs[k->n_segments - 1].count++;
        for (uint32_t o = 0; o < node->n_outputs; o++)
            k->vals[sy_kit_local(&k->kp, node->outputs[o])].producer = (int32_t)(k->n_segments - 1);
    }
    return SY_OK;
}

// compile, phase 3: which internal values live in the scratch (the kit placed the others:
// input, output, state, constant). An internal value stays inside one XNNPACK runtime unless it
// crosses segments or a custom kernel or operator makes it.
static sy_status compile_places(sy_xnn_kernel *k) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        xnn_value *xv = &k->vals[l];
        if (e->place == SY_KIT_CONSTANT && !e->constant) {
            return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: constant '%s' has no data", value_name(k, l));
        }
        if (e->place != SY_KIT_INTERNAL) continue;
        if (xv->producer < 0) {
            return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT,
                             "xnnpack: value '%s' is read in the partition but neither produced there "
                             "nor one of its inputs", value_name(k, l));
        }
        const int crosses = segment_at(k, e->last_step) != xv->producer;
        if (k->segs[xv->producer].kind != SY_XNN_MODE_SUBGRAPH || crosses) {
            xv->scratch = 1;
            xv->bytes = align_up(value_bytes(&g->values[e->id]) + XNN_EXTRA_BYTES, SLOT_ALIGN);
        }
    }
    if (!host_can_infer(be)) {
        // without the host's shape rules, only the declared (static) shapes are known
        for (uint32_t l = 0; l < k->kp.n_values; l++) {
            const sy_value_info *vi = &g->values[k->kp.values[l].id];
            for (uint32_t i = 0; i < vi->rank; i++) {
                if (vi->sym[i] >= 0) {
                    return sy_xnn_error(be, SY_ERR_UNSUPPORTED,
                                     "xnnpack: value '%s' has a symbolic dim but the host offers no infer_node",
                                     value_name(k, l));
                }
            }
        }
    }
    return SY_OK;
}

// compile, phase 4: scratch offsets of the values and of the custom kernels and operators.
static void compile_scratch(sy_xnn_kernel *k) {
    const sy_graph_view *g = k->graph;
    const size_t values_peak = place_scratch(k);
    size_t op_scratch = 0;
    for (uint32_t pos = 0; pos < k->kp.sg->n_nodes; pos++) {
        const sy_node_info *node = node_at(k, pos);
        const sy_xnn_op_entry *e = sy_xnn_op_find(node->op);
        if (e->scratch && sy_xnn_op_mode(k->be, e, g, node) != SY_XNN_MODE_SUBGRAPH) {
            const size_t b = e->scratch(g, node);
            if (b > op_scratch) op_scratch = b;
        }
    }
    k->op_scratch_offset = align_up(values_peak, SLOT_ALIGN);
    k->scratch_bytes = k->op_scratch_offset + (op_scratch ? align_up(op_scratch, SLOT_ALIGN) : 0);
}

// Whether local value l is an external value of the XNNPACK runtimes that touch it (it lives
// in host memory); constants are static data, other internal values XNNPACK places itself.
static int is_external(const sy_xnn_kernel *k, uint32_t l) {
    const sy_kit_place place = k->kp.values[l].place;
    return place != SY_KIT_CONSTANT && (place != SY_KIT_INTERNAL || k->vals[l].scratch);
}

// compile, phase 5: the external values of each XNNPACK segment and the plan key buffer.
// counts: subgraphs, custom kernels, operators.
static sy_status compile_externals(sy_xnn_kernel *k, uint32_t counts[3]) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    const sy_subgraph *sub = k->kp.sg;
    k->marks = kalloc(be, (k->kp.n_values + 1) * sizeof(uint32_t));
    k->xid = kalloc(be, (k->kp.n_values + 1) * sizeof(uint32_t));
    k->ptrs = kalloc(be, (k->kp.n_values + 1) * sizeof(void *));
    if (!k->marks || !k->xid || !k->ptrs) {
        return oom(be);
    }
    for (uint32_t l = 0; l < k->kp.n_values; l++) k->marks[l] = NONE;
    uint32_t n_xnn = 0, n_custom = 0, n_ops = 0;
    for (uint32_t s = 0; s < k->n_segments; s++) {
        segment *seg = &k->segs[s];
        if (seg->kind == SY_XNN_MODE_CUSTOM) n_custom++;
        if (seg->kind == SY_XNN_MODE_OPERATOR) n_ops++;
        if (seg->kind != SY_XNN_MODE_SUBGRAPH) continue;
        n_xnn++;
        uint32_t cap = 0;
        for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
            const sy_node_info *node = node_at(k, pos);
            cap += node->n_inputs + node->n_outputs;
        }
        seg->ext = kalloc(be, (cap + 1) * sizeof(uint32_t));
        seg->setup = kalloc(be, (cap + 1) * sizeof(struct xnn_external_value));
        if (!seg->ext || !seg->setup) {
            return oom(be);
        }
        for (uint32_t pos = seg->first; pos < seg->first + seg->count; pos++) {
            const sy_node_info *node = node_at(k, pos);
            for (uint32_t i = 0; i < node->n_inputs + node->n_outputs; i++) {
                const uint32_t v = i < node->n_inputs ? node->inputs[i] : node->outputs[i - node->n_inputs];
                if (v == SY_NO_VALUE) continue;
                const uint32_t l = sy_kit_local(&k->kp, v);
                if (!is_external(k, l) || k->marks[l] == s) continue;
                k->marks[l] = s;
                seg->ext[seg->n_ext++] = l;
            }
        }
        seg->ext_base = k->total_ext;
        k->total_ext += seg->n_ext;
    }
    for (uint32_t i = 0; i < sub->n_inputs; i++) k->key_len += 1 + g->values[sub->inputs[i]].rank;
    for (uint32_t i = 0; i < sub->n_states; i++) k->key_len += 1 + g->values[sub->states[i]].rank;
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
        const uint32_t nid = node_id_at(k, seg->first);
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

// compile, phase 7: the plan at the symbol bounds: proves XNNPACK accepts every node before the
// host commits. Its call has the inputs and states at their declared dims and no data.
static sy_status compile_bound_plan(sy_xnn_kernel *k) {
    const sy_xnn_backend *be = k->be;
    const sy_graph_view *g = k->graph;
    const sy_subgraph *sub = k->kp.sg;
    const uint32_t n = sub->n_inputs + sub->n_outputs + sub->n_states;
    sy_tensor *t = kalloc(be, (n + 1) * sizeof(sy_tensor)); // inputs, outputs, states
    if (!t) return oom(be);
    sy_exec_args args = {.struct_size = sizeof(args), .n_inputs = sub->n_inputs, .n_outputs = sub->n_outputs,
                         .n_states = sub->n_states, .inputs = t, .outputs = t + sub->n_inputs,
                         .states = t + sub->n_inputs + sub->n_outputs};
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t v = i < sub->n_inputs ? sub->inputs[i]
                         : i < sub->n_inputs + sub->n_outputs ? sub->outputs[i - sub->n_inputs]
                                                              : sub->states[i - sub->n_inputs - sub->n_outputs];
        const sy_value_info *vi = &g->values[v];
        t[i].dtype = vi->dtype;
        t[i].rank = vi->rank;
        for (uint32_t d = 0; d < vi->rank; d++) t[i].dims[d] = vi->dims[d];
    }
    sy_status st = call_key(k, &args);
    if (st == SY_OK) st = plan_build(k, &k->plans[0], &args);
    kfree(be, t);
    if (st != SY_OK) return st;
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
    k->n_plans = be->shape_cache;
    uint32_t counts[3] = {0, 0, 0};
    size_t packed = 0;
    sy_status st = compile_tables(k, sub);
    if (st == SY_OK) st = compile_segments(k);
    if (st == SY_OK) st = compile_places(k);
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
    for (uint32_t pos = 0; pos < sub->n_nodes; pos++) {
        const sy_node_info *node = node_at(k, pos);
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
    *status = call_key(k, args);
    if (*status != SY_OK) return NULL;
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
    *status = plan_build(k, victim, args);
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
    const uint32_t nid = node_id_at(k, seg->first);
    const sy_node_info *node = &k->graph->nodes[nid];
    sy_tensor in[SY_XNN_MAX_NODE_INPUTS], out[4];
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        const uint32_t v = node->inputs[i];
        if (v == SY_NO_VALUE) {
            memset(&in[i], 0, sizeof(in[i]));
            continue;
        }
        const uint32_t l = sy_kit_local(&k->kp, v);
        in[i] = p->shapes[l];
        in[i].data = k->ptrs[l];
    }
    for (uint32_t o = 0; o < node->n_outputs; o++) {
        const uint32_t l = sy_kit_local(&k->kp, node->outputs[o]);
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

// Where each value's bytes are in this call: the kit's place, or this delegate's scratch slot.
static void bind_pointers(sy_xnn_kernel *k, const sy_exec_args *args) {
    char *scratch = args->scratch;
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        switch (e->place) {
        case SY_KIT_INPUT: k->ptrs[l] = args->inputs[e->index].data; break;
        case SY_KIT_OUTPUT: k->ptrs[l] = args->outputs[e->index].data; break;
        case SY_KIT_STATE: k->ptrs[l] = args->states[e->index].data; break;
        case SY_KIT_CONSTANT: k->ptrs[l] = (void *)e->constant; break;
        default: k->ptrs[l] = k->vals[l].scratch ? scratch + k->vals[l].offset : NULL; break;
        }
    }
}

// The call's shapes come from its plan (resolved through the kit when the plan was built), not
// from resolving them again: a decode step with a seen key runs no shape rule and allocates
// nothing.
sy_status sy_xnn_kernel_execute(sy_xnn_kernel *k, const sy_exec_args *args) {
    const sy_xnn_backend *be = k->be;
    const sy_subgraph *sub = k->kp.sg;
    if (args->n_inputs != sub->n_inputs || args->n_outputs != sub->n_outputs || args->n_states != sub->n_states) {
        return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT,
                         "xnnpack: execute got %u/%u/%u inputs/outputs/states, compiled for %u/%u/%u",
                         args->n_inputs, args->n_outputs, args->n_states, sub->n_inputs, sub->n_outputs,
                         sub->n_states);
    }
    if (k->scratch_bytes && !args->scratch)
        return sy_xnn_error(be, SY_ERR_INVALID_ARGUMENT, "xnnpack: execute got no scratch (needs %zu bytes)",
                         k->scratch_bytes);
    sy_status status = SY_OK;
    plan *p = find_plan(k, args, &status);
    if (!p) return status;
    bind_pointers(k, args);
    for (uint32_t s = 0; s < k->n_segments && status == SY_OK; s++) {
        segment *seg = &k->segs[s];
        if (be->host.profile_begin) be->host.profile_begin(be->host.host, seg->label);
        status = seg->kind != SY_XNN_MODE_SUBGRAPH ? run_node(k, p, seg, args->scratch) : run_xnn(k, p, s);
        if (be->host.profile_end) be->host.profile_end(be->host.host, seg->label);
    }
    return status;
}
