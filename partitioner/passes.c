#include "partitioner/passes.h"

#include <string.h>

#include "core/alloc.h"
#include "core/ops.h"
#include "core/status.h"

void sy_pass_result_free(sy_pass_result *r) {
    if (!r) return;
    sy_free(r->nodes);
    sy_free(r->node_origin);
    memset(r, 0, sizeof *r);
}

/// readers[v]: how many node inputs read value v (graph outputs count as one more reader).
static void count_readers(const sy_graph_view *g, const sy_node_info *nodes, const uint8_t *dead, uint32_t *readers) {
    memset(readers, 0, sizeof(uint32_t) * g->n_values);
    for (uint32_t v = 0; v < g->n_values; v++) readers[v] = g->values[v].role == SY_ROLE_OUTPUT;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        if (dead[n]) continue;
        for (uint32_t i = 0; i < nodes[n].n_inputs; i++)
            if (nodes[n].inputs[i] != SY_NO_VALUE) readers[nodes[n].inputs[i]]++;
    }
}

/// mul(x, s) or mul(s, x) with s = sigmoid(x) read only here becomes silu(x): torch.export
/// decomposes SiLU this way, and every delegate has a fused silu.
static uint32_t fuse_silu(const sy_graph_view *g, sy_node_info *nodes, uint8_t *dead, const uint32_t *producer,
                          const uint32_t *readers) {
    uint32_t fused = 0;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        sy_node_info *m = &nodes[n];
        if (dead[n] || m->op != SY_OP_MUL) continue;
        for (uint32_t side = 0; side < 2; side++) {
            uint32_t s = m->inputs[side], x = m->inputs[1 - side];
            if (!producer[s]) continue;
            const sy_node_info *sig = &nodes[producer[s] - 1];
            if (sig->op != SY_OP_SIGMOID || sig->inputs[0] != x || readers[s] != 1) continue;
            if (g->values[s].dtype != g->values[x].dtype || g->values[s].rank != g->values[x].rank ||
                memcmp(g->values[s].dims, g->values[x].dims, sizeof(int64_t) * g->values[x].rank) != 0)
                continue; // broadcasting mul: not a plain silu
            dead[producer[s] - 1] = 1;
            m->op = SY_OP_SILU;
            m->n_inputs = 1;
            m->inputs = sig->inputs; // [x]
            m->n_attrs = 0;
            m->attrs = NULL;
            fused++;
            break;
        }
    }
    return fused;
}

/// Removes nodes whose outputs nothing reads, repeatedly (nodes that write a state stay).
static uint32_t remove_dead(const sy_graph_view *g, const sy_node_info *nodes, uint8_t *dead, uint32_t *readers) {
    uint32_t removed = 0;
    for (int changed = 1; changed;) {
        changed = 0;
        count_readers(g, nodes, dead, readers);
        for (uint32_t n = g->n_nodes; n-- > 0;) {
            const sy_node_info *node = &nodes[n];
            if (dead[n] || node->n_outputs == 0 || sy_op_get(node->op)->mutated_inputs) continue;
            int used = 0;
            for (uint32_t o = 0; o < node->n_outputs; o++) used |= readers[node->outputs[o]] > 0;
            if (used) continue;
            dead[n] = 1;
            removed++;
            changed = 1;
        }
    }
    return removed;
}

sy_status sy_run_passes(const sy_graph_view *g, sy_pass_result *out) {
    memset(out, 0, sizeof *out);
    uint32_t nn = g->n_nodes, nv = g->n_values;
    sy_node_info *nodes = sy_malloc(sizeof *nodes * (nn + 1));
    uint8_t *dead = sy_calloc(nn + 1, 1);
    uint32_t *producer = sy_calloc(nv + 1, sizeof(uint32_t));
    uint32_t *readers = sy_calloc(nv + 1, sizeof(uint32_t));
    uint32_t *origin = sy_malloc(sizeof(uint32_t) * (nn + 1));
    sy_status st = SY_OK;
    if (!nodes || !dead || !producer || !readers || !origin) {
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory running graph passes");
        goto done;
    }
    if (nn) memcpy(nodes, g->nodes, sizeof *nodes * nn);
    for (uint32_t n = 0; n < nn; n++)
        for (uint32_t o = 0; o < nodes[n].n_outputs; o++) producer[nodes[n].outputs[o]] = n + 1;
    count_readers(g, nodes, dead, readers);
    out->n_fused_silu = fuse_silu(g, nodes, dead, producer, readers);
    out->n_removed_dead = remove_dead(g, nodes, dead, readers);
    uint32_t kept = 0;
    for (uint32_t n = 0; n < nn; n++) {
        if (dead[n]) continue;
        nodes[kept] = nodes[n];
        origin[kept++] = n;
    }
    out->nodes = nodes;
    out->node_origin = origin;
    out->view = *g;
    out->view.nodes = nodes;
    out->view.n_nodes = kept;
    nodes = NULL;
    origin = NULL;
done:
    sy_free(nodes);
    sy_free(origin);
    sy_free(dead);
    sy_free(producer);
    sy_free(readers);
    return st;
}
