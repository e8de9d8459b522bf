// Shape and dtype rules of the data-movement ops: embedding, reshape, transpose, slice, concat,
// expand, gather. They move elements without looking at them, so most accept any dtype.

#include "core/ops/rule_util.h"

// Data movement works on whole elements, so block-quantised dtypes are not accepted here.
static int is_valid(sy_dtype dt) { return (unsigned)dt < SY_DTYPE_COUNT && (SY_DTYPES_PLAIN & (1u << dt)); }

// Checks that input #index is present with a real dtype (the "any dtype" ops).
static sy_status check_present(const sy_tensor *inputs, uint32_t index) {
    SY_CHECK(is_valid(inputs[index].dtype), SY_ERR_DTYPE, "input #%u has dtype %s",
             index, sy_dtype_name(inputs[index].dtype));
    return SY_OK;
}

// The required attribute 'shape' of reshape and expand: at most SY_MAX_RANK entries (borrowed).
static sy_status get_shape_attr(const sy_node_info *node, const int64_t **shape, uint32_t *n) {
    const int64_t *v;
    uint32_t count;
    SY_TRY(sy_attr_get_ints(node, "shape", 1, &v, &count));
    SY_CHECK(count <= SY_MAX_RANK, SY_ERR_INVALID_ARGUMENT,
             "attribute 'shape' has %u entries; at most %d", count, SY_MAX_RANK);
    *shape = v;
    *n = count;
    return SY_OK;
}

sy_status sy_infer_EMBEDDING(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *table = &inputs[0], *ids = &inputs[1];
    char buf[96];
    (void)node;
    SY_CHECK(sy_rule_is_float(table->dtype) || sy_dtype_is_block(table->dtype), SY_ERR_DTYPE,
             "input #0 (table) has dtype %s; embedding tables are f32, f16, bf16, q8_0, q4_0 or q4_1",
             sy_dtype_name(table->dtype));
    SY_CHECK(table->rank == 2, SY_ERR_SHAPE, "input #0 (table) has shape %s; embedding needs [V, D]",
             sy_format_dims(table->dims, table->rank, buf, sizeof buf));
    SY_CHECK(sy_rule_is_index(ids->dtype), SY_ERR_DTYPE, "input #1 (ids) has dtype %s; embedding ids are i32 or i64",
             sy_dtype_name(ids->dtype));
    SY_CHECK(ids->rank < SY_MAX_RANK, SY_ERR_SHAPE,
             "input #1 (ids) has rank %u; the output would have rank %u > %d", ids->rank,
             ids->rank + 1, SY_MAX_RANK);
    int64_t dims[SY_MAX_RANK];
    for (uint32_t i = 0; i < ids->rank; i++) dims[i] = ids->dims[i];
    dims[ids->rank] = table->dims[1];
    // A quantised table gives f32 rows.
    sy_rule_set_output(&outputs[0], sy_dtype_is_block(table->dtype) ? SY_DTYPE_F32 : table->dtype, ids->rank + 1, dims);
    return SY_OK;
}

sy_status sy_infer_RESHAPE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    const int64_t *shape;
    uint32_t n;
    char sx[96], ss[96];
    SY_TRY(check_present(inputs, 0));
    SY_TRY(get_shape_attr(node, &shape, &n));

    int64_t dims[SY_MAX_RANK], known = 1; // known: product of every dim but the inferred one
    int inferred = -1;
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (v == -1) {
            SY_CHECK(inferred < 0, SY_ERR_INVALID_ARGUMENT, "attribute 'shape' %s has more than one -1",
                     sy_format_dims(shape, n, ss, sizeof ss));
            inferred = (int)i;
            continue;
        }
        if (v == 0) {
            SY_CHECK(i < x->rank, SY_ERR_INVALID_ARGUMENT,
                     "attribute 'shape' entry %u is 0 (copy the input dim) but input #0 has rank %u", i,
                     x->rank);
            v = x->dims[i];
        }
        SY_CHECK(v >= 0, SY_ERR_INVALID_ARGUMENT,
                 "attribute 'shape' entry %u is %lld; entries are sizes, 0 (copy) or -1 (infer)", i,
                 (long long)v);
        SY_CHECK(v == 0 || known <= INT64_MAX / v, SY_ERR_SHAPE, "attribute 'shape' %s is too large",
                 sy_format_dims(shape, n, ss, sizeof ss));
        dims[i] = v;
        known *= v;
    }
    int64_t numel = sy_tensor_numel(x);
    if (inferred >= 0) {
        SY_CHECK(known != 0 && numel % known == 0, SY_ERR_SHAPE,
                 "cannot reshape input #0 %s (%lld elements) into %s: the -1 has no whole size",
                 sy_format_dims(x->dims, x->rank, sx, sizeof sx), (long long)numel,
                 sy_format_dims(shape, n, ss, sizeof ss));
        dims[inferred] = numel / known;
    } else {
        SY_CHECK(known == numel, SY_ERR_SHAPE, "cannot reshape input #0 %s (%lld elements) into %s (%lld)",
                 sy_format_dims(x->dims, x->rank, sx, sizeof sx), (long long)numel,
                 sy_format_dims(shape, n, ss, sizeof ss), (long long)known);
    }
    sy_rule_set_output(&outputs[0], x->dtype, n, dims);
    return SY_OK;
}

sy_status sy_infer_TRANSPOSE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    const int64_t *perm;
    uint32_t n, seen = 0;
    char sp[96];
    SY_TRY(check_present(inputs, 0));
    SY_TRY(sy_attr_get_ints(node, "perm", 1, &perm, &n));
    SY_CHECK(n == x->rank, SY_ERR_INVALID_ARGUMENT, "attribute 'perm' has %u entries but input #0 has rank %u",
             n, x->rank);
    int64_t dims[SY_MAX_RANK];
    for (uint32_t i = 0; i < n; i++) {
        int64_t p = perm[i];
        SY_CHECK(p >= 0 && p < (int64_t)n && !(seen & (1u << p)), SY_ERR_INVALID_ARGUMENT,
                 "attribute 'perm' %s is not a permutation of 0..%u", sy_format_dims(perm, n, sp, sizeof sp),
                 n - 1);
        seen |= 1u << p;
        dims[i] = x->dims[p];
    }
    sy_rule_set_output(&outputs[0], x->dtype, n, dims);
    return SY_OK;
}

sy_status sy_infer_SLICE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    int64_t axis, start, end, step;
    uint32_t a;
    SY_TRY(check_present(inputs, 0));
    SY_TRY(sy_attr_get_int(node, "axis", 1, 0, &axis));
    SY_TRY(sy_attr_get_int(node, "start", 0, 0, &start));
    SY_TRY(sy_attr_get_int(node, "end", 0, INT64_MAX, &end));
    SY_TRY(sy_attr_get_int(node, "step", 0, 1, &step));
    SY_TRY(sy_normalize_axis(axis, x->rank, "attribute 'axis'", &a));
    SY_CHECK(step >= 1, SY_ERR_INVALID_ARGUMENT, "attribute 'step' must be >= 1, not %lld", (long long)step);

    // Python semantics: negative bounds count from the end, then both clamp to [0, dim].
    int64_t dim = x->dims[a];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    int64_t dims[SY_MAX_RANK];
    for (uint32_t i = 0; i < x->rank; i++) dims[i] = x->dims[i];
    dims[a] = end > start ? (end - start - 1) / step + 1 : 0;
    sy_rule_set_output(&outputs[0], x->dtype, x->rank, dims);
    return SY_OK;
}

sy_status sy_infer_CONCAT(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x0 = &inputs[0];
    int64_t axis;
    uint32_t a;
    char si[96], s0[96];
    SY_TRY(check_present(inputs, 0));
    SY_TRY(sy_attr_get_int(node, "axis", 1, 0, &axis));
    SY_TRY(sy_normalize_axis(axis, x0->rank, "attribute 'axis'", &a));
    int64_t dims[SY_MAX_RANK];
    for (uint32_t d = 0; d < x0->rank; d++) dims[d] = x0->dims[d];
    dims[a] = 0;
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        const sy_tensor *x = &inputs[i];
        SY_TRY(sy_rule_check_same_dtype(inputs, i));
        int same = x->rank == x0->rank;
        for (uint32_t d = 0; same && d < x0->rank; d++) same = d == a || x->dims[d] == x0->dims[d];
        SY_CHECK(same, SY_ERR_SHAPE, "input #%u has shape %s but input #0 has %s; only axis %u may differ",
                 i, sy_format_dims(x->dims, x->rank, si, sizeof si),
                 sy_format_dims(x0->dims, x0->rank, s0, sizeof s0), a);
        dims[a] += x->dims[a];
    }
    sy_rule_set_output(&outputs[0], x0->dtype, x0->rank, dims);
    return SY_OK;
}

sy_status sy_infer_EXPAND(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    const int64_t *shape;
    uint32_t n;
    char sx[96], ss[96];
    SY_TRY(check_present(inputs, 0));
    SY_TRY(get_shape_attr(node, &shape, &n));
    SY_CHECK(n >= x->rank, SY_ERR_SHAPE, "attribute 'shape' %s has fewer dims than input #0 %s",
             sy_format_dims(shape, n, ss, sizeof ss), sy_format_dims(x->dims, x->rank, sx, sizeof sx));
    uint32_t lead = n - x->rank; // new leading dims
    int64_t dims[SY_MAX_RANK];
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (i < lead) {
            SY_CHECK(v >= 0, SY_ERR_INVALID_ARGUMENT,
                     "attribute 'shape' entry %u is %lld; a new leading dim needs a size >= 0", i, (long long)v);
        } else {
            int64_t d = x->dims[i - lead];
            if (v == -1) v = d;
            SY_CHECK(v >= 0, SY_ERR_INVALID_ARGUMENT,
                     "attribute 'shape' entry %u is %lld; entries are sizes or -1 (keep)", i, (long long)v);
            SY_CHECK(v == d || d == 1, SY_ERR_SHAPE,
                     "cannot expand input #0 %s to %s: dim %u is %lld, and only size-1 dims may change",
                     sy_format_dims(x->dims, x->rank, sx, sizeof sx), sy_format_dims(shape, n, ss, sizeof ss),
                     i - lead, (long long)d);
        }
        dims[i] = v;
    }
    sy_rule_set_output(&outputs[0], x->dtype, n, dims);
    return SY_OK;
}

sy_status sy_infer_GATHER(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *idx = &inputs[1];
    int64_t axis;
    uint32_t a;
    char buf[96];
    SY_TRY(check_present(inputs, 0));
    SY_CHECK(sy_rule_is_index(idx->dtype), SY_ERR_DTYPE, "input #1 (indices) has dtype %s; gather indices are i32 or i64",
             sy_dtype_name(idx->dtype));
    SY_CHECK(idx->rank == 1, SY_ERR_SHAPE, "input #1 (indices) has shape %s; gather needs 1-D indices",
             sy_format_dims(idx->dims, idx->rank, buf, sizeof buf));
    SY_TRY(sy_attr_get_int(node, "axis", 0, 0, &axis));
    SY_TRY(sy_normalize_axis(axis, x->rank, "attribute 'axis'", &a));
    int64_t dims[SY_MAX_RANK];
    for (uint32_t i = 0; i < x->rank; i++) dims[i] = x->dims[i];
    dims[a] = idx->dims[0];
    sy_rule_set_output(&outputs[0], x->dtype, x->rank, dims);
    return SY_OK;
}
