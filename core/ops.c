#include "core/ops.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "core/strbuf.h"

static const sy_op_def op_defs[SY_OP_COUNT] = {
#define SY_OP_DEF_(id, nm, min_in, max_in, n_out, mut)                                             \
    {nm, min_in, max_in, n_out, mut, sy_infer_##id, &sy_op_record_##id, SY_OP_##id > SY_OP_LAST_OF_1_0},
    SY_OP_LIST(SY_OP_DEF_)
#undef SY_OP_DEF_
};

const sy_op_def *sy_op_get(sy_op op) {
    return (unsigned)op < SY_OP_COUNT ? &op_defs[op] : NULL;
}

uint32_t sy_op_format_minor(sy_op op) {
    const sy_op_def *d = sy_op_get(op);
    return d ? d->format_minor : 0;
}

sy_status sy_op_check_data(const sy_node_info *node, const sy_tensor *inputs) {
    const sy_op_def *d = sy_op_get(node->op);
    if (!d || !d->record || !d->record->check_data) return SY_OK;
    return d->record->check_data(node, inputs);
}

sy_status sy_op_check_node_data(const sy_graph_view *graph, uint32_t node_id, const sy_tensor *inputs) {
    const sy_node_info *node = &graph->nodes[node_id];
    sy_status st = sy_op_check_data(node, inputs);
    if (st != SY_OK) return sy_error_prefix(st, "node #%u '%s' (%s)", node_id, node->name, sy_op_name(node->op));
    return SY_OK;
}

static const sy_attr_spec *find_spec(const sy_node_info *node, const char *name) {
    const sy_op_def *d = sy_op_get(node->op);
    for (uint32_t i = 0; d && d->record && i < SY_OP_MAX_ATTRS && d->record->attrs[i].name; i++)
        if (strcmp(d->record->attrs[i].name, name) == 0) return &d->record->attrs[i];
    return NULL;
}

int64_t sy_op_attr_int(const sy_node_info *node, const char *name) {
    const sy_attr_spec *spec = find_spec(node, name);
    return sy_node_attr_int(node, name, spec ? spec->dflt_int : 0);
}

double sy_op_attr_float(const sy_node_info *node, const char *name) {
    const sy_attr_spec *spec = find_spec(node, name);
    const sy_attr *a = sy_node_find_attr(node, name);
    return a && a->type == SY_ATTR_FLOAT ? (double)a->u.f : spec ? spec->dflt_float : 0.0;
}

static sy_status spec_of(const sy_node_info *node, const char *name, sy_attr_type type, const sy_attr_spec **out) {
    const sy_attr_spec *spec = find_spec(node, name);
    SY_CHECK(spec && spec->type == type, SY_ERR_INTERNAL, "op %s: attribute '%s' is not declared in its record",
             sy_op_name(node->op), name);
    *out = spec;
    return SY_OK;
}

sy_status sy_op_attr_get_int(const sy_node_info *node, const char *name, int64_t *out) {
    const sy_attr_spec *spec;
    SY_TRY(spec_of(node, name, SY_ATTR_INT, &spec));
    return sy_attr_get_int(node, name, spec->required, spec->dflt_int, out);
}

sy_status sy_op_attr_get_float(const sy_node_info *node, const char *name, float *out) {
    const sy_attr_spec *spec;
    SY_TRY(spec_of(node, name, SY_ATTR_FLOAT, &spec));
    return sy_attr_get_float(node, name, spec->required, (float)spec->dflt_float, out);
}

sy_status sy_op_attr_get_ints(const sy_node_info *node, const char *name, const int64_t **out, uint32_t *n) {
    const sy_attr_spec *spec;
    SY_TRY(spec_of(node, name, SY_ATTR_INTS, &spec));
    return sy_attr_get_ints(node, name, spec->required, out, n);
}

sy_status sy_op_check_attrs(const sy_node_info *node) {
    static const char *const type_names[] = {"?", "int", "float", "ints", "string"};
    const sy_op_def *d = sy_op_get(node->op);
    for (uint32_t i = 0; d && d->record && i < SY_OP_MAX_ATTRS && d->record->attrs[i].name; i++) {
        const sy_attr_spec *spec = &d->record->attrs[i];
        const sy_attr *a = sy_node_find_attr(node, spec->name);
        SY_CHECK(a || !spec->required, SY_ERR_INVALID_ARGUMENT, "missing required attribute '%s'", spec->name);
        SY_CHECK(!a || a->type == spec->type, SY_ERR_INVALID_ARGUMENT, "attribute '%s' must be of type %s, not %s",
                 spec->name, type_names[spec->type], (unsigned)a->type <= 4 ? type_names[a->type] : "?");
    }
    return SY_OK;
}

const char *sy_op_name(sy_op op) {
    const sy_op_def *d = sy_op_get(op);
    return d ? d->name : "invalid";
}

sy_op sy_op_from_name(const char *name) {
    for (int i = 0; name && i < SY_OP_COUNT; i++)
        if (strcmp(op_defs[i].name, name) == 0) return (sy_op)i;
    return SY_OP_COUNT;
}

static const char *const dtype_names[SY_DTYPE_COUNT] = {
    [SY_DTYPE_INVALID] = "invalid",
#define SY_DTYPE_NAME_(id, value, name, block_elems, block_bytes, minor) [SY_DTYPE_##id] = name,
    SY_DTYPE_LIST(SY_DTYPE_NAME_)
#undef SY_DTYPE_NAME_
};

const char *sy_dtype_name(sy_dtype dtype) {
    return (unsigned)dtype < SY_DTYPE_COUNT && dtype_names[dtype] ? dtype_names[dtype] : "invalid";
}

sy_dtype sy_dtype_from_name(const char *name) {
    for (int i = 1; name && i < SY_DTYPE_COUNT; i++)
        if (dtype_names[i] && strcmp(dtype_names[i], name) == 0) return (sy_dtype)i;
    return SY_DTYPE_INVALID;
}

size_t sy_dtype_size(sy_dtype dtype) { return sy_dtype_size_inline(dtype); }

uint32_t sy_dtype_format_minor(sy_dtype dtype) {
    switch (dtype) {
#define SY_DTYPE_MINOR_(id, value, name, block_elems, block_bytes, minor)                           \
    case SY_DTYPE_##id: return minor;
        SY_DTYPE_LIST(SY_DTYPE_MINOR_)
#undef SY_DTYPE_MINOR_
    default: return 0;
    }
}

sy_status sy_shape_nbytes(sy_dtype dtype, uint32_t rank, const int64_t *dims, size_t *nbytes_out) {
    SY_CHECK(sy_dtype_block_elems(dtype) > 0, SY_ERR_DTYPE, "invalid dtype %d", (int)dtype);
    int64_t last = rank ? dims[rank - 1] : 1;
    size_t row = sy_dtype_row_bytes(dtype, last);
    SY_CHECK(row != SIZE_MAX, SY_ERR_SHAPE,
             "a %s row must hold a multiple of %lld elements, but the last dim is %lld", sy_dtype_name(dtype),
             (long long)sy_dtype_block_elems(dtype), (long long)last);
    uint64_t total = row;
    for (uint32_t i = 0; i + 1 < rank; i++) {
        SY_CHECK(dims[i] >= 0, SY_ERR_SHAPE, "dim %u is negative (%lld)", i, (long long)dims[i]);
        SY_CHECK(dims[i] == 0 || total <= (SIZE_MAX >> 1) / (uint64_t)dims[i], SY_ERR_SHAPE,
                 "the tensor is too large to address");
        total *= (uint64_t)dims[i];
    }
    *nbytes_out = (size_t)total;
    return SY_OK;
}

const char *sy_role_name(sy_role role) {
    switch (role) {
    case SY_ROLE_INPUT: return "input";
    case SY_ROLE_OUTPUT: return "output";
    case SY_ROLE_CONSTANT: return "constant";
    case SY_ROLE_STATE: return "state";
    case SY_ROLE_INTERMEDIATE: return "intermediate";
    default: return "invalid";
    }
}

const char *sy_format_dims(const int64_t *dims, uint32_t rank, char *buf, size_t size) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, size);
    sy_strbuf_addf(&sb, "[");
    for (uint32_t i = 0; i < rank && i < SY_MAX_RANK; i++) sy_strbuf_addf(&sb, i ? ",%lld" : "%lld", (long long)dims[i]);
    sy_strbuf_addf(&sb, rank > SY_MAX_RANK ? ",...]" : "]");
    return buf;
}

sy_status sy_op_infer_node(const sy_graph_view *graph, uint32_t node_id, const sy_tensor *inputs,
                           sy_tensor *outputs) {
    const sy_node_info *node = &graph->nodes[node_id];
    const sy_op_def *def = sy_op_get(node->op);
    SY_CHECK(def, SY_ERR_UNSUPPORTED, "node #%u '%s': unknown op id %u", node_id, node->name,
             (unsigned)node->op);
    sy_status st = sy_op_check_attrs(node);
    if (st == SY_OK) st = def->infer(node, inputs, outputs);
    if (st != SY_OK) return sy_error_prefix(st, "node #%u '%s' (%s)", node_id, node->name, def->name);
    return SY_OK;
}

static const sy_attr *find_typed(const sy_node_info *node, const char *name, sy_attr_type type,
                                 int required, sy_status *st) {
    const sy_attr *a = sy_node_find_attr(node, name);
    static const char *const type_names[] = {"?", "int", "float", "ints", "string"};
    *st = SY_OK;
    if (!a) {
        if (required) *st = sy_error_set(SY_ERR_INVALID_ARGUMENT, "missing required attribute '%s'", name);
        return NULL;
    }
    if (a->type != type) {
        *st = sy_error_set(SY_ERR_INVALID_ARGUMENT, "attribute '%s' must be of type %s, not %s", name,
                           type_names[type], (unsigned)a->type <= 4 ? type_names[a->type] : "?");
        return NULL;
    }
    return a;
}

sy_status sy_attr_get_int(const sy_node_info *node, const char *name, int required, int64_t dflt,
                          int64_t *out) {
    sy_status st;
    const sy_attr *a = find_typed(node, name, SY_ATTR_INT, required, &st);
    SY_TRY(st);
    *out = a ? a->u.i : dflt;
    return SY_OK;
}

sy_status sy_attr_get_float(const sy_node_info *node, const char *name, int required, float dflt,
                            float *out) {
    sy_status st;
    const sy_attr *a = find_typed(node, name, SY_ATTR_FLOAT, required, &st);
    SY_TRY(st);
    *out = a ? a->u.f : dflt;
    return SY_OK;
}

sy_status sy_attr_get_ints(const sy_node_info *node, const char *name, int required,
                           const int64_t **out, uint32_t *n) {
    sy_status st;
    const sy_attr *a = find_typed(node, name, SY_ATTR_INTS, required, &st);
    SY_TRY(st);
    *out = a ? a->u.ints : NULL;
    *n = a ? a->n : 0;
    return SY_OK;
}

sy_status sy_normalize_axis(int64_t axis, uint32_t rank, const char *what, uint32_t *out) {
    int64_t a = axis < 0 ? axis + (int64_t)rank : axis;
    SY_CHECK(a >= 0 && a < (int64_t)rank, SY_ERR_INVALID_ARGUMENT,
             "%s %lld is out of range for rank %u", what, (long long)axis, rank);
    *out = (uint32_t)a;
    return SY_OK;
}

sy_status sy_broadcast_shapes(const sy_tensor *a, const sy_tensor *b, sy_tensor *out) {
    uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
    for (uint32_t i = 0; i < rank; i++) {
        int64_t da = i < rank - a->rank ? 1 : a->dims[i - (rank - a->rank)];
        int64_t db = i < rank - b->rank ? 1 : b->dims[i - (rank - b->rank)];
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            return sy_error_set(SY_ERR_SHAPE, "shapes %s and %s do not broadcast (axis %u: %lld vs %lld)",
                                sy_format_dims(a->dims, a->rank, sa, sizeof sa),
                                sy_format_dims(b->dims, b->rank, sb, sizeof sb), i,
                                (long long)da, (long long)db);
        }
        out->dims[i] = da == 1 ? db : da;
    }
    out->rank = rank;
    return SY_OK;
}
