#include <string.h>

#include "core/alloc.h"
#include "core/nameset.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/status.h"

void sy_value_desc_tensor(const sy_graph_view *graph, uint32_t id, const int64_t *symbols,
                          sy_tensor *out) {
    const sy_value_info *v = &graph->values[id];
    out->data = NULL;
    out->dtype = v->dtype;
    out->rank = v->rank;
    for (uint32_t i = 0; i < v->rank; i++)
        out->dims[i] = v->sym[i] >= 0 && symbols ? symbols[v->sym[i]] : v->dims[i];
}

/// Refuses two values with one name, in linear expected time (a hash set, not pairwise).
static sy_status unique_value_names(const sy_graph_view *g, const char *origin) {
    sy_nameset seen;
    SY_TRY(sy_nameset_init(&seen, g->n_values));
    sy_status st = SY_OK;
    for (uint32_t id = 0; id < g->n_values && st == SY_OK; id++) {
        uint32_t j = 0;
        if (!sy_nameset_add(&seen, g->values[id].name, id, &j))
            st = sy_error_set(SY_ERR_FORMAT, "%s: values #%u and #%u are both named '%s'", origin, j, id,
                              g->values[id].name);
    }
    sy_nameset_deinit(&seen);
    return st;
}

static sy_status check_values(const sy_graph_view *g, const char *origin) {
    for (uint32_t s = 0; s < g->n_symbols; s++)
        SY_CHECK(g->symbols[s].name && g->symbols[s].max >= 1, SY_ERR_FORMAT,
                 "%s: symbol #%u needs a name and a bound >= 1", origin, s);
    for (uint32_t id = 0; id < g->n_values; id++) {
        const sy_value_info *v = &g->values[id];
        const char *name = v->name ? v->name : "?";
        SY_CHECK(v->name && v->name[0], SY_ERR_FORMAT, "%s: value #%u has no name", origin, id);
        SY_CHECK(sy_dtype_block_bytes(v->dtype) > 0, SY_ERR_FORMAT, "%s: value #%u '%s' has invalid dtype %d",
                 origin, id, name, (int)v->dtype);
        SY_CHECK(v->role >= SY_ROLE_INPUT && v->role <= SY_ROLE_INTERMEDIATE, SY_ERR_FORMAT,
                 "%s: value #%u '%s' has invalid role %d", origin, id, name, (int)v->role);
        SY_CHECK(v->rank <= SY_MAX_RANK, SY_ERR_FORMAT, "%s: value #%u '%s' has rank %u (max %d)",
                 origin, id, name, v->rank, SY_MAX_RANK);
        for (uint32_t i = 0; i < v->rank; i++) {
            int32_t s = v->sym[i];
            SY_CHECK(s >= -1 && s < (int32_t)g->n_symbols, SY_ERR_FORMAT,
                     "%s: value #%u '%s' dim %u refers to symbol #%d, but there are %u symbols",
                     origin, id, name, i, (int)s, g->n_symbols);
            SY_CHECK(v->dims[i] >= 0 && v->dims[i] <= ((int64_t)1 << 40), SY_ERR_FORMAT,
                     "%s: value #%u '%s' dim %u is %lld", origin, id, name, i, (long long)v->dims[i]);
            SY_CHECK(s < 0 || v->dims[i] == g->symbols[s].max, SY_ERR_FORMAT,
                     "%s: value #%u '%s' dim %u is symbolic '%s' but stores %lld, not its bound %lld",
                     origin, id, name, i, g->symbols[s].name, (long long)v->dims[i],
                     (long long)g->symbols[s].max);
        }
        size_t n = 0;
        if (sy_shape_nbytes(v->dtype, v->rank, v->dims, &n) != SY_OK)
            return sy_error_prefix(SY_ERR_FORMAT, "%s: value #%u '%s' (%s)", origin, id, name, sy_dtype_name(v->dtype));
        SY_CHECK(v->nbytes == n, SY_ERR_FORMAT, "%s: value #%u '%s' records %zu bytes, its shape needs %zu",
                 origin, id, name, v->nbytes, n);
        if (v->role == SY_ROLE_CONSTANT) {
            SY_CHECK(v->data != NULL, SY_ERR_FORMAT, "%s: constant #%u '%s' has no data", origin, id, name);
            for (uint32_t i = 0; i < v->rank; i++)
                SY_CHECK(v->sym[i] < 0, SY_ERR_FORMAT, "%s: constant #%u '%s' has a symbolic dim", origin,
                         id, name);
        } else {
            SY_CHECK(v->data == NULL, SY_ERR_FORMAT, "%s: value #%u '%s' is a %s but carries data", origin,
                     id, name, sy_role_name(v->role));
        }
    }
    return unique_value_names(g, origin);
}

/// producer[v] = node index + 1 that produces v, 0 when none (yet).
static sy_status check_node_links(const sy_graph_view *g, uint32_t n, uint32_t *producer,
                                  const char *origin) {
    const sy_node_info *node = &g->nodes[n];
    const sy_op_def *def = sy_op_get(node->op);
    const char *name = node->name ? node->name : "?";
    SY_CHECK(def, SY_ERR_UNSUPPORTED, "%s: node #%u '%s' has unknown op id %u", origin, n, name,
             (unsigned)node->op);
    SY_CHECK(node->n_inputs >= def->min_inputs && node->n_inputs <= def->max_inputs, SY_ERR_FORMAT,
             "%s: node #%u '%s' (%s) has %u inputs, the op takes %u to %u", origin, n, name,
             def->name, node->n_inputs, def->min_inputs, def->max_inputs);
    SY_CHECK(node->n_outputs == def->n_outputs, SY_ERR_FORMAT,
             "%s: node #%u '%s' (%s) has %u outputs, the op has %u", origin, n, name, def->name,
             node->n_outputs, def->n_outputs);
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        uint32_t id = node->inputs[i];
        if (id == SY_NO_VALUE) {
            SY_CHECK(i >= def->min_inputs, SY_ERR_FORMAT,
                     "%s: node #%u '%s' (%s) input #%u is required but absent", origin, n, name,
                     def->name, i);
            continue;
        }
        SY_CHECK(id < g->n_values, SY_ERR_FORMAT,
                 "%s: node #%u '%s' (%s) input #%u refers to value #%u, but the program has %u values",
                 origin, n, name, def->name, i, id, g->n_values);
        const sy_value_info *v = &g->values[id];
        int available = v->role == SY_ROLE_INPUT || v->role == SY_ROLE_CONSTANT ||
                        v->role == SY_ROLE_STATE || producer[id] != 0;
        SY_CHECK(available, SY_ERR_FORMAT,
                 "%s: node #%u '%s' (%s) input #%u uses value #%u '%s' before any node produces it "
                 "(nodes out of order, or a cycle)",
                 origin, n, name, def->name, i, id, v->name);
        int mutated = (def->mutated_inputs >> i) & 1u;
        SY_CHECK(!mutated || v->role == SY_ROLE_STATE, SY_ERR_FORMAT,
                 "%s: node #%u '%s' (%s) writes input #%u in place, so value #%u '%s' must be a state "
                 "(its role is %s)",
                 origin, n, name, def->name, i, id, v->name, sy_role_name(v->role));
    }
    for (uint32_t i = 0; i < node->n_outputs; i++) {
        uint32_t id = node->outputs[i];
        SY_CHECK(id < g->n_values, SY_ERR_FORMAT,
                 "%s: node #%u '%s' (%s) output #%u refers to value #%u, but the program has %u values",
                 origin, n, name, def->name, i, id, g->n_values);
        const sy_value_info *v = &g->values[id];
        SY_CHECK(v->role == SY_ROLE_INTERMEDIATE || v->role == SY_ROLE_OUTPUT, SY_ERR_FORMAT,
                 "%s: node #%u '%s' (%s) output #%u is value #%u '%s', a %s that no node may produce",
                 origin, n, name, def->name, i, id, v->name, sy_role_name(v->role));
        SY_CHECK(producer[id] == 0, SY_ERR_FORMAT,
                 "%s: value #%u '%s' is produced by node #%u and again by node #%u '%s'", origin, id,
                 v->name, producer[id] - 1, n, name);
        producer[id] = n + 1;
    }
    return SY_OK;
}

static sy_status check_node_shapes(const sy_graph_view *g, uint32_t n, const char *origin) {
    const sy_node_info *node = &g->nodes[n];
    sy_tensor in[16], out[4];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    for (uint32_t i = 0; i < node->n_inputs && i < 16; i++)
        if (node->inputs[i] != SY_NO_VALUE) sy_value_desc_tensor(g, node->inputs[i], NULL, &in[i]);
    sy_status st = sy_op_infer_node(g, n, in, out);
    if (st != SY_OK) return sy_error_prefix(st, "%s", origin);
    for (uint32_t i = 0; i < node->n_outputs; i++) {
        sy_tensor want;
        sy_value_desc_tensor(g, node->outputs[i], NULL, &want);
        int same = want.dtype == out[i].dtype && want.rank == out[i].rank;
        for (uint32_t d = 0; same && d < want.rank; d++) same = want.dims[d] == out[i].dims[d];
        if (!same) {
            char a[96], b[96];
            return sy_error_set(SY_ERR_SHAPE,
                                "%s: node #%u '%s' (%s) output #%u: value #%u '%s' is declared %s %s but "
                                "the op produces %s %s",
                                origin, n, node->name, sy_op_name(node->op), i, node->outputs[i],
                                g->values[node->outputs[i]].name, sy_dtype_name(want.dtype),
                                sy_format_dims(want.dims, want.rank, a, sizeof a),
                                sy_dtype_name(out[i].dtype),
                                sy_format_dims(out[i].dims, out[i].rank, b, sizeof b));
        }
    }
    return SY_OK;
}

sy_status sy_graph_check(const sy_graph_view *g, const char *origin) {
    SY_TRY(check_values(g, origin));
    uint32_t *producer = sy_calloc(g->n_values ? g->n_values : 1, sizeof *producer);
    SY_CHECK(producer, SY_ERR_OUT_OF_MEMORY, "%s: out of memory checking the graph", origin);
    sy_status st = SY_OK;
    for (uint32_t n = 0; n < g->n_nodes && st == SY_OK; n++) st = check_node_links(g, n, producer, origin);
    for (uint32_t id = 0; id < g->n_values && st == SY_OK; id++)
        if (g->values[id].role == SY_ROLE_OUTPUT && producer[id] == 0)
            st = sy_error_set(SY_ERR_FORMAT, "%s: output value #%u '%s' is produced by no node", origin, id,
                              g->values[id].name);
    sy_free(producer);
    for (uint32_t n = 0; n < g->n_nodes && st == SY_OK; n++) st = check_node_shapes(g, n, origin);
    return st;
}
