// Shape and dtype rules of the linear-algebra ops: matmul (torch.matmul) and linear (x . w^T + b).

#include "core/ops/rule_util.h"

sy_status sy_infer_MATMUL(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    (void)node;
    const sy_tensor *a = &inputs[0], *b = &inputs[1];
    char sa[96], sb[96];
    SY_TRY(sy_rule_check_float_pair(inputs, 1, "a", "b"));
    SY_CHECK(a->rank >= 1, SY_ERR_SHAPE, "input #0 (a) is a scalar; matmul needs rank >= 1");
    SY_CHECK(b->rank >= 1, SY_ERR_SHAPE, "input #1 (b) is a scalar; matmul needs rank >= 1");

    // torch.matmul: a 1-D a is [1, K] and a 1-D b is [K, 1]; the added dim is dropped again.
    int64_t k_a = a->dims[a->rank - 1];
    int64_t k_b = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    SY_CHECK(k_a == k_b, SY_ERR_SHAPE,
             "input #1 (b) has shape %s but a has %s: the inner dims differ (%lld vs %lld)",
             sy_format_dims(b->dims, b->rank, sb, sizeof sb),
             sy_format_dims(a->dims, a->rank, sa, sizeof sa), (long long)k_b, (long long)k_a);

    // Batch dims are everything left of the two matrix dims; they broadcast NumPy-style.
    sy_tensor batch_a = {0}, batch_b = {0}, batch = {0};
    batch_a.rank = a->rank > 2 ? a->rank - 2 : 0;
    batch_b.rank = b->rank > 2 ? b->rank - 2 : 0;
    for (uint32_t i = 0; i < batch_a.rank; i++) batch_a.dims[i] = a->dims[i];
    for (uint32_t i = 0; i < batch_b.rank; i++) batch_b.dims[i] = b->dims[i];
    sy_status st = sy_broadcast_shapes(&batch_a, &batch_b, &batch);
    if (st != SY_OK) return sy_error_prefix(st, "batch dims of a and b");

    sy_tensor *y = &outputs[0];
    sy_rule_set_output(y, a->dtype, batch.rank, batch.dims);
    if (a->rank >= 2) y->dims[y->rank++] = a->dims[a->rank - 2]; // M
    if (b->rank >= 2) y->dims[y->rank++] = b->dims[b->rank - 1]; // N
    return SY_OK;
}

sy_status sy_infer_LINEAR(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0], *w = &inputs[1];
    const sy_tensor *bias = node->n_inputs > 2 && inputs[2].dtype != SY_DTYPE_INVALID ? &inputs[2]
                                                                                      : NULL;
    char sx[96], sw[96], sbias[96];
    if (sy_dtype_is_block(w->dtype)) { // a quantised weight: f32 activations, bias and output
        SY_CHECK(x->dtype == SY_DTYPE_F32, SY_ERR_DTYPE, "input #0 (x) has dtype %s; with a %s weight x must be f32",
                 sy_dtype_name(x->dtype), sy_dtype_name(w->dtype));
        if (bias)
            SY_CHECK(bias->dtype == SY_DTYPE_F32, SY_ERR_DTYPE,
                     "input #2 (b) has dtype %s; with a %s weight b must be f32", sy_dtype_name(bias->dtype),
                     sy_dtype_name(w->dtype));
    } else {
        SY_TRY(sy_rule_check_float_pair(inputs, 1, "x", "w"));
        if (bias) SY_TRY(sy_rule_check_float_pair(inputs, 2, "x", "b"));
    }

    SY_CHECK(x->rank >= 1, SY_ERR_SHAPE, "input #0 (x) is a scalar; linear needs rank >= 1");
    SY_CHECK(w->rank == 2, SY_ERR_SHAPE, "input #1 (w) has shape %s; expected [N, K]",
             sy_format_dims(w->dims, w->rank, sw, sizeof sw));
    SY_CHECK(w->dims[1] == x->dims[x->rank - 1], SY_ERR_SHAPE,
             "input #1 (w) has shape %s but x has %s: w must be [N, %lld]",
             sy_format_dims(w->dims, w->rank, sw, sizeof sw),
             sy_format_dims(x->dims, x->rank, sx, sizeof sx), (long long)x->dims[x->rank - 1]);
    if (bias)
        SY_CHECK(bias->rank == 1 && bias->dims[0] == w->dims[0], SY_ERR_SHAPE,
                 "input #2 (b) has shape %s but w has %s: b must be [%lld]",
                 sy_format_dims(bias->dims, bias->rank, sbias, sizeof sbias),
                 sy_format_dims(w->dims, w->rank, sw, sizeof sw), (long long)w->dims[0]);

    sy_tensor *y = &outputs[0];
    sy_rule_copy_shape(y, x);
    y->dims[y->rank - 1] = w->dims[0];
    return SY_OK;
}
