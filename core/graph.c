// The in-memory graph builder. Everything it holds is owned: names, attribute payloads and
// constant data are copied in, so callers may pass temporaries.

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/status.h"


struct sy_graph {
    sy_graph_view view;      // points at the arrays below
    sy_value_info *values;   // (n_values) names and constant data owned
    sy_node_info *nodes;     // (n_nodes) names, id arrays and attributes owned
    sy_symbol_info *symbols; // (n_symbols) names owned
    uint32_t cap_values, cap_nodes;
    char **meta_keys, **meta_values; // (n_meta) owned
    uint32_t n_meta, cap_meta;
};

static sy_status grow(void **array, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return SY_OK;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *p = sy_realloc(*array, (size_t)*cap * elem, (size_t)ncap * elem);
    SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory growing the graph");
    *array = p;
    *cap = ncap;
    return SY_OK;
}

static int name_ok(const char *name) { return name && name[0] && strlen(name) < SY_NAME_MAX; }

static int value_named(const sy_graph *g, const char *name) {
    for (uint32_t i = 0; i < g->view.n_values; i++)
        if (strcmp(g->values[i].name, name) == 0) return 1;
    return 0;
}

sy_status sy_graph_create(sy_graph **graph_out) {
    SY_CHECK(graph_out, SY_ERR_INVALID_ARGUMENT, "sy_graph_create: graph_out is NULL");
    sy_graph *g = sy_calloc(1, sizeof *g);
    SY_CHECK(g, SY_ERR_OUT_OF_MEMORY, "out of memory creating a graph");
    *graph_out = g;
    return SY_OK;
}

static void free_node(sy_node_info *n) {
    sy_free((void *)n->name);
    sy_free((void *)n->inputs);
    sy_free((void *)n->outputs);
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        sy_free((void *)n->attrs[a].name);
        if (n->attrs[a].type == SY_ATTR_INTS) sy_free((void *)n->attrs[a].u.ints);
        if (n->attrs[a].type == SY_ATTR_STRING) sy_free((void *)n->attrs[a].u.s);
    }
    sy_free((void *)n->attrs);
}

void sy_graph_destroy(sy_graph *g) {
    if (!g) return;
    for (uint32_t i = 0; i < g->view.n_values; i++) {
        sy_free((void *)g->values[i].name);
        sy_free((void *)g->values[i].data);
    }
    for (uint32_t i = 0; i < g->view.n_nodes; i++) free_node(&g->nodes[i]);
    for (uint32_t i = 0; i < g->view.n_symbols; i++) sy_free((void *)g->symbols[i].name);
    for (uint32_t i = 0; i < g->n_meta; i++) {
        sy_free(g->meta_keys[i]);
        sy_free(g->meta_values[i]);
    }
    sy_free(g->values);
    sy_free(g->nodes);
    sy_free(g->symbols);
    sy_free(g->meta_keys);
    sy_free(g->meta_values);
    sy_free(g);
}

static void sync_view(sy_graph *g) {
    g->view.values = g->values;
    g->view.nodes = g->nodes;
    g->view.symbols = g->symbols;
}

sy_status sy_graph_add_symbol(sy_graph *g, const char *name, int64_t max, uint32_t *id_out) {
    SY_CHECK(g && name_ok(name), SY_ERR_INVALID_ARGUMENT, "sy_graph_add_symbol: bad graph or name");
    SY_CHECK(max >= 1, SY_ERR_INVALID_ARGUMENT, "symbol '%s' needs a bound >= 1, got %lld", name,
             (long long)max);
    SY_CHECK(g->view.n_symbols < SY_MAX_SYMBOLS, SY_ERR_INVALID_ARGUMENT,
             "symbol '%s': a graph has at most %d symbols", name, SY_MAX_SYMBOLS);
    for (uint32_t i = 0; i < g->view.n_symbols; i++)
        SY_CHECK(strcmp(g->symbols[i].name, name) != 0, SY_ERR_INVALID_ARGUMENT,
                 "symbol '%s' already exists", name);
    if (!g->symbols) {
        g->symbols = sy_calloc(SY_MAX_SYMBOLS, sizeof *g->symbols);
        SY_CHECK(g->symbols, SY_ERR_OUT_OF_MEMORY, "out of memory adding symbol '%s'", name);
    }
    char *copy = sy_strdup(name);
    SY_CHECK(copy, SY_ERR_OUT_OF_MEMORY, "out of memory adding symbol '%s'", name);
    g->symbols[g->view.n_symbols] = (sy_symbol_info){copy, max};
    if (id_out) *id_out = g->view.n_symbols;
    g->view.n_symbols++;
    sync_view(g);
    return SY_OK;
}

/// Appends a value after validating its description; takes ownership of `data` on success.
static sy_status append_value(sy_graph *g, const sy_value_desc *d, void *data, uint32_t *id_out) {
    SY_CHECK(name_ok(d->name), SY_ERR_INVALID_ARGUMENT,
             "a value needs a non-empty name shorter than %d bytes", SY_NAME_MAX);
    SY_CHECK(!value_named(g, d->name), SY_ERR_INVALID_ARGUMENT, "a value named '%s' already exists",
             d->name);
    SY_CHECK(sy_dtype_block_bytes(d->dtype) > 0, SY_ERR_INVALID_ARGUMENT, "value '%s': invalid dtype %d",
             d->name, (int)d->dtype);
    SY_CHECK(d->role >= SY_ROLE_INPUT && d->role <= SY_ROLE_INTERMEDIATE, SY_ERR_INVALID_ARGUMENT,
             "value '%s': invalid role %d", d->name, (int)d->role);
    SY_CHECK(d->rank <= SY_MAX_RANK, SY_ERR_INVALID_ARGUMENT, "value '%s': rank %u exceeds %d",
             d->name, d->rank, SY_MAX_RANK);
    sy_value_info v;
    memset(&v, 0, sizeof v);
    v.dtype = d->dtype;
    v.role = d->role;
    v.rank = d->rank;
    for (uint32_t i = 0; i < SY_MAX_RANK; i++) v.sym[i] = -1;
    for (uint32_t i = 0; i < d->rank; i++) {
        int32_t s = d->sym[i];
        SY_CHECK(s >= -1 && s < (int32_t)g->view.n_symbols, SY_ERR_INVALID_ARGUMENT,
                 "value '%s' dim %u: symbol #%d does not exist", d->name, i, (int)s);
        v.sym[i] = s;
        v.dims[i] = s >= 0 ? g->symbols[s].max : d->dims[i];
        SY_CHECK(v.dims[i] >= 0 && v.dims[i] <= ((int64_t)1 << 40), SY_ERR_INVALID_ARGUMENT,
                 "value '%s' dim %u is %lld", d->name, i, (long long)v.dims[i]);
    }
    if (sy_shape_nbytes(v.dtype, v.rank, v.dims, &v.nbytes) != SY_OK)
        return sy_error_prefix(SY_ERR_INVALID_ARGUMENT, "value '%s' (%s)", d->name, sy_dtype_name(d->dtype));
    SY_TRY(grow((void **)&g->values, &g->cap_values, g->view.n_values + 1, sizeof *g->values));
    v.name = sy_strdup(d->name);
    SY_CHECK(v.name, SY_ERR_OUT_OF_MEMORY, "out of memory adding value '%s'", d->name);
    v.data = data;
    g->values[g->view.n_values] = v;
    if (id_out) *id_out = g->view.n_values;
    g->view.n_values++;
    sync_view(g);
    return SY_OK;
}

sy_status sy_graph_add_value(sy_graph *g, const sy_value_desc *desc, uint32_t *id_out) {
    SY_CHECK(g && desc, SY_ERR_INVALID_ARGUMENT, "sy_graph_add_value: graph or desc is NULL");
    SY_CHECK(desc->role != SY_ROLE_CONSTANT, SY_ERR_INVALID_ARGUMENT,
             "value '%s': add constants with sy_graph_add_constant", desc->name ? desc->name : "?");
    return append_value(g, desc, NULL, id_out);
}

sy_status sy_graph_add_constant(sy_graph *g, const char *name, sy_dtype dtype, uint32_t rank,
                                const int64_t *dims, const void *data, size_t nbytes,
                                uint32_t *id_out) {
    SY_CHECK(g && (dims || rank == 0) && (data || nbytes == 0), SY_ERR_INVALID_ARGUMENT,
             "sy_graph_add_constant: NULL argument");
    SY_CHECK(rank <= SY_MAX_RANK, SY_ERR_INVALID_ARGUMENT, "constant '%s': rank %u exceeds %d",
             name ? name : "?", rank, SY_MAX_RANK);
    sy_value_desc d;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.dtype = dtype;
    d.role = SY_ROLE_CONSTANT;
    d.rank = rank;
    for (uint32_t i = 0; i < SY_MAX_RANK; i++) d.sym[i] = -1;
    for (uint32_t i = 0; i < rank; i++) {
        SY_CHECK(dims[i] >= 0, SY_ERR_INVALID_ARGUMENT, "constant '%s': negative dim", name ? name : "?");
        d.dims[i] = dims[i];
    }
    size_t want = 0;
    if (sy_shape_nbytes(dtype, rank, d.dims, &want) != SY_OK)
        return sy_error_prefix(SY_ERR_INVALID_ARGUMENT, "constant '%s' (%s)", name ? name : "?", sy_dtype_name(dtype));
    SY_CHECK(nbytes == want, SY_ERR_INVALID_ARGUMENT,
             "constant '%s': %zu bytes given, its dtype and shape need %zu", name ? name : "?", nbytes,
             want);
    void *copy = sy_aligned_alloc(nbytes ? nbytes : 1, 64);
    SY_CHECK(copy, SY_ERR_OUT_OF_MEMORY, "out of memory copying constant '%s'", name ? name : "?");
    if (nbytes) memcpy(copy, data, nbytes);
    sy_status st = append_value(g, &d, copy, id_out);
    if (st != SY_OK) sy_free(copy);
    return st;
}

static sy_status copy_attrs(const sy_attr *attrs, uint32_t n, sy_attr **out) {
    *out = NULL;
    if (n == 0) return SY_OK;
    sy_attr *a = sy_calloc(n, sizeof *a);
    SY_CHECK(a, SY_ERR_OUT_OF_MEMORY, "out of memory copying attributes");
    sy_status st = SY_OK;
    uint32_t i = 0;
    for (; i < n && st == SY_OK; i++) {
        a[i] = attrs[i];
        a[i].name = NULL;
        if (a[i].type == SY_ATTR_INTS) a[i].u.ints = NULL;
        if (a[i].type == SY_ATTR_STRING) a[i].u.s = NULL;
        if (!name_ok(attrs[i].name)) {
            st = sy_error_set(SY_ERR_INVALID_ARGUMENT, "attribute #%u has no name", i);
            break;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(attrs[j].name, attrs[i].name) == 0)
                st = sy_error_set(SY_ERR_INVALID_ARGUMENT, "attribute '%s' given twice", attrs[i].name);
        if (st != SY_OK) break;
        a[i].name = sy_strdup(attrs[i].name);
        if (!a[i].name) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory copying attributes");
        switch (attrs[i].type) {
        case SY_ATTR_INT: case SY_ATTR_FLOAT: a[i].n = 1; break;
        case SY_ATTR_INTS: {
            SY_CHECK(attrs[i].n <= 64 && (attrs[i].n == 0 || attrs[i].u.ints), SY_ERR_INVALID_ARGUMENT,
                     "attribute '%s': bad INTS payload", attrs[i].name);
            int64_t *p = sy_malloc(sizeof(int64_t) * (attrs[i].n ? attrs[i].n : 1));
            if (!p) { st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory copying attributes"); break; }
            if (attrs[i].n) memcpy(p, attrs[i].u.ints, sizeof(int64_t) * attrs[i].n);
            a[i].u.ints = p;
            break;
        }
        case SY_ATTR_STRING: {
            const char *s = attrs[i].u.s ? attrs[i].u.s : "";
            a[i].u.s = sy_strdup(s);
            a[i].n = (uint32_t)strlen(s);
            if (!a[i].u.s) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory copying attributes");
            break;
        }
        default:
            st = sy_error_set(SY_ERR_INVALID_ARGUMENT, "attribute '%s' has unknown type %d", attrs[i].name,
                              (int)attrs[i].type);
        }
    }
    if (st != SY_OK) {
        sy_node_info tmp = {.attrs = a, .n_attrs = n};
        free_node(&tmp);
        return st;
    }
    *out = a;
    return SY_OK;
}

static sy_status copy_ids(const uint32_t *ids, uint32_t n, uint32_t **out) {
    *out = sy_malloc(sizeof(uint32_t) * (n ? n : 1));
    SY_CHECK(*out, SY_ERR_OUT_OF_MEMORY, "out of memory adding a node");
    if (n) memcpy(*out, ids, sizeof(uint32_t) * n);
    return SY_OK;
}

sy_status sy_graph_add_node(sy_graph *g, const char *name, sy_op op, const uint32_t *inputs,
                            uint32_t n_inputs, const uint32_t *outputs, uint32_t n_outputs,
                            const sy_attr *attrs, uint32_t n_attrs, uint32_t *id_out) {
    SY_CHECK(g && name_ok(name), SY_ERR_INVALID_ARGUMENT, "sy_graph_add_node: bad graph or node name");
    const sy_op_def *def = sy_op_get(op);
    SY_CHECK(def, SY_ERR_UNSUPPORTED, "node '%s': unknown op id %d", name, (int)op);
    SY_CHECK(n_inputs >= def->min_inputs && n_inputs <= def->max_inputs, SY_ERR_INVALID_ARGUMENT,
             "node '%s' (%s): %u inputs given, the op takes %u to %u", name, def->name, n_inputs,
             def->min_inputs, def->max_inputs);
    SY_CHECK(n_outputs == def->n_outputs, SY_ERR_INVALID_ARGUMENT,
             "node '%s' (%s): %u outputs given, the op has %u", name, def->name, n_outputs,
             def->n_outputs);
    SY_CHECK((inputs || !n_inputs) && (outputs || !n_outputs) && (attrs || !n_attrs),
             SY_ERR_INVALID_ARGUMENT, "node '%s': NULL array", name);
    for (uint32_t i = 0; i < n_inputs; i++)
        SY_CHECK(inputs[i] < g->view.n_values || (inputs[i] == SY_NO_VALUE && i >= def->min_inputs),
                 SY_ERR_INVALID_ARGUMENT, "node '%s' (%s) input #%u: value #%u does not exist", name,
                 def->name, i, inputs[i]);
    for (uint32_t i = 0; i < n_outputs; i++)
        SY_CHECK(outputs[i] < g->view.n_values, SY_ERR_INVALID_ARGUMENT,
                 "node '%s' (%s) output #%u: value #%u does not exist", name, def->name, i, outputs[i]);
    SY_TRY(grow((void **)&g->nodes, &g->cap_nodes, g->view.n_nodes + 1, sizeof *g->nodes));
    sy_node_info n;
    memset(&n, 0, sizeof n);
    n.op = op;
    n.n_inputs = n_inputs;
    n.n_outputs = n_outputs;
    n.n_attrs = n_attrs;
    sy_status st = copy_attrs(attrs, n_attrs, (sy_attr **)&n.attrs);
    if (st == SY_OK) st = copy_ids(inputs, n_inputs, (uint32_t **)&n.inputs);
    if (st == SY_OK) st = copy_ids(outputs, n_outputs, (uint32_t **)&n.outputs);
    if (st == SY_OK && !(n.name = sy_strdup(name)))
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory adding node '%s'", name);
    if (st != SY_OK) {
        free_node(&n);
        return sy_error_prefix(st, "node '%s' (%s)", name, def->name);
    }
    g->nodes[g->view.n_nodes] = n;
    if (id_out) *id_out = g->view.n_nodes;
    g->view.n_nodes++;
    sync_view(g);
    return SY_OK;
}

/// Runs node `node`'s shape rule on inputs whose symbolic dims take values `symbols`.
static sy_status infer_at(const sy_graph *g, uint32_t node, const int64_t *symbols, sy_tensor *out) {
    const sy_node_info *n = &g->nodes[node];
    sy_tensor in[16];
    memset(in, 0, sizeof in);
    for (uint32_t i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] != SY_NO_VALUE) sy_value_desc_tensor(&g->view, n->inputs[i], symbols, &in[i]);
    return sy_op_infer_node(&g->view, node, in, out);
}

sy_status sy_graph_add_op(sy_graph *g, const char *name, sy_op op, const uint32_t *inputs,
                          uint32_t n_inputs, const sy_attr *attrs, uint32_t n_attrs,
                          uint32_t *outputs_out) {
    SY_CHECK(g && name_ok(name), SY_ERR_INVALID_ARGUMENT, "sy_graph_add_op: bad graph or node name");
    const sy_op_def *def = sy_op_get(op);
    SY_CHECK(def, SY_ERR_UNSUPPORTED, "node '%s': unknown op id %d", name, (int)op);
    // Add the node with placeholder outputs pointing at input 0, infer, then create the outputs.
    uint32_t outs[4] = {0, 0, 0, 0};
    uint32_t node;
    SY_CHECK(g->view.n_values > 0, SY_ERR_INVALID_ARGUMENT, "node '%s': the graph has no values", name);
    SY_TRY(sy_graph_add_node(g, name, op, inputs, n_inputs, outs, def->n_outputs, attrs, n_attrs, &node));
    // Symbolic dims: infer once at the bounds and once with every symbol lowered to a distinct
    // probe value; an output dim that follows a symbol's probe value is that symbol.
    int64_t maxv[SY_MAX_SYMBOLS], probe[SY_MAX_SYMBOLS];
    for (uint32_t s = 0; s < g->view.n_symbols; s++) {
        maxv[s] = g->symbols[s].max;
        probe[s] = maxv[s] > 1 + (int64_t)s ? maxv[s] - 1 - (int64_t)s : maxv[s];
    }
    sy_tensor at_max[4], at_probe[4];
    memset(at_max, 0, sizeof at_max);
    memset(at_probe, 0, sizeof at_probe);
    sy_status st = infer_at(g, node, maxv, at_max);
    if (st == SY_OK && g->view.n_symbols) st = infer_at(g, node, probe, at_probe);
    for (uint32_t i = 0; i < def->n_outputs && st == SY_OK; i++) {
        sy_value_desc d;
        memset(&d, 0, sizeof d);
        char vname[SY_NAME_MAX + 8];
        if (def->n_outputs == 1) snprintf(vname, sizeof vname, "%s", name);
        else snprintf(vname, sizeof vname, "%s.%u", name, i);
        d.name = vname;
        d.dtype = at_max[i].dtype;
        d.role = SY_ROLE_INTERMEDIATE;
        d.rank = at_max[i].rank;
        for (uint32_t k = 0; k < d.rank; k++) {
            d.dims[k] = at_max[i].dims[k];
            d.sym[k] = -1;
            if (!g->view.n_symbols || at_probe[i].dims[k] == at_max[i].dims[k]) continue;
            for (uint32_t s = 0; s < g->view.n_symbols; s++)
                if (at_max[i].dims[k] == maxv[s] && at_probe[i].dims[k] == probe[s]) d.sym[k] = (int32_t)s;
            if (d.sym[k] < 0)
                st = sy_error_set(SY_ERR_UNSUPPORTED,
                                  "node '%s' (%s) output #%u dim %u depends on the symbols in a way "
                                  "a value cannot express (only a dim equal to one symbol)",
                                  name, def->name, i, k);
        }
        if (st == SY_OK) st = append_value(g, &d, NULL, &outs[i]);
    }
    if (st != SY_OK) {
        free_node(&g->nodes[node]);
        g->view.n_nodes--;
        return st;
    }
    memcpy((void *)g->nodes[node].outputs, outs, sizeof(uint32_t) * def->n_outputs);
    if (outputs_out) memcpy(outputs_out, outs, sizeof(uint32_t) * def->n_outputs);
    return SY_OK;
}

sy_status sy_graph_set_output(sy_graph *g, uint32_t value, const char *name) {
    SY_CHECK(g && value < g->view.n_values, SY_ERR_INVALID_ARGUMENT,
             "sy_graph_set_output: value #%u does not exist", value);
    sy_value_info *v = &g->values[value];
    SY_CHECK(v->role == SY_ROLE_INTERMEDIATE || v->role == SY_ROLE_OUTPUT, SY_ERR_INVALID_ARGUMENT,
             "value '%s' is a %s and cannot be an output", v->name, sy_role_name(v->role));
    if (name && strcmp(name, v->name) != 0) {
        SY_CHECK(name_ok(name) && !value_named(g, name), SY_ERR_INVALID_ARGUMENT,
                 "cannot name output '%s': empty, too long or taken", name);
        char *copy = sy_strdup(name);
        SY_CHECK(copy, SY_ERR_OUT_OF_MEMORY, "out of memory");
        sy_free((void *)v->name);
        v->name = copy;
    }
    v->role = SY_ROLE_OUTPUT;
    return SY_OK;
}

sy_status sy_graph_set_metadata(sy_graph *g, const char *key, const char *value) {
    SY_CHECK(g && name_ok(key) && value, SY_ERR_INVALID_ARGUMENT, "sy_graph_set_metadata: bad key or value");
    for (uint32_t i = 0; i < g->n_meta; i++) {
        if (strcmp(g->meta_keys[i], key) == 0) {
            char *copy = sy_strdup(value);
            SY_CHECK(copy, SY_ERR_OUT_OF_MEMORY, "out of memory");
            sy_free(g->meta_values[i]);
            g->meta_values[i] = copy;
            return SY_OK;
        }
    }
    uint32_t cap = g->cap_meta;
    SY_TRY(grow((void **)&g->meta_keys, &cap, g->n_meta + 1, sizeof(char *)));
    cap = g->cap_meta;
    SY_TRY(grow((void **)&g->meta_values, &cap, g->n_meta + 1, sizeof(char *)));
    g->cap_meta = cap;
    g->meta_keys[g->n_meta] = sy_strdup(key);
    g->meta_values[g->n_meta] = sy_strdup(value);
    if (!g->meta_keys[g->n_meta] || !g->meta_values[g->n_meta]) {
        sy_free(g->meta_keys[g->n_meta]);
        sy_free(g->meta_values[g->n_meta]);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    g->n_meta++;
    return SY_OK;
}

sy_status sy_graph_validate(const sy_graph *g) {
    SY_CHECK(g, SY_ERR_INVALID_ARGUMENT, "sy_graph_validate: graph is NULL");
    return sy_graph_check(&g->view, "graph");
}

const sy_graph_view *sy_graph_get_view(const sy_graph *g) { return g ? &g->view : NULL; }

sy_metadata sy_graph_get_metadata(const sy_graph *g) {
    sy_metadata m = {g->n_meta, (const char *const *)g->meta_keys, (const char *const *)g->meta_values};
    return m;
}
