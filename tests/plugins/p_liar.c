// Bad case: supports() claims silu (besides the add and mul it really runs), but compile()
// rejects every partition that contains a silu. Under the fallback policy those nodes must
// move to the next backend, with a note; under strict the runtime must fail naming the plugin.

#include "tiny.h"

static int liar_supports(sy_backend *b, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    const sy_node_info *n = &g->nodes[node];
    if (n->op == SY_OP_SILU && g->values[n->inputs[0]].dtype == SY_DTYPE_F32) return 1; // the lie
    return tiny_supports(b, g, node, reason, size);
}

static sy_status liar_compile(sy_backend *b, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info) {
    for (uint32_t s = 0; s < sg->n_nodes; s++) {
        const sy_node_info *n = &sg->graph->nodes[sg->nodes[s]];
        if (n->op == SY_OP_SILU)
            return b->host->error(b->host->host, SY_ERR_UNSUPPORTED, "liar: node '%s': silu is not implemented after all",
                                  n->name);
    }
    return tiny_compile(b, sg, kernel_out, info);
}

static const sy_delegate vt = TINY_VTABLE_X("liar", sizeof(sy_delegate), tiny_create, liar_supports, liar_compile, NULL, NULL,
                                              NULL);

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
