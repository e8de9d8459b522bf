// Shape and dtype rules of the transformer ops: rope, update_cache, sdpa, sdpa_with_kv_cache.
//
// Positions (rope's positions, the start_pos of the cache ops) are data: a rule checks their
// dtype and size only; whether a start position fits the cache is the kernel's job. The rules
// also run at the symbol bounds, where a token count T may exceed the cache length S even though
// every real call fits, so T > S is not a shape error here either.

#include <math.h>
#include <stdbool.h>

#include "core/ops/rule_util.h"

// Names of the inputs of one op, for messages ("input #2 (v) ...").
typedef struct names {
    const char *n[6];
} names;

static sy_status check_rank4(const sy_tensor *inputs, uint32_t idx, const names *nm,
                             const char *layout) {
    char s[96];
    SY_CHECK(inputs[idx].rank == 4, SY_ERR_SHAPE, "input #%u (%s) has shape %s; expected %s", idx,
             nm->n[idx], sy_format_dims(inputs[idx].dims, inputs[idx].rank, s, sizeof s), layout);
    return SY_OK;
}

// inputs[idx] must be a float dtype equal to inputs[0]'s.
static sy_status check_float_like_first(const sy_tensor *inputs, uint32_t idx, const names *nm) {
    return sy_rule_check_float_pair(inputs, idx, nm->n[0], nm->n[idx]);
}

// Dim `axis` of inputs[idx] must equal dim `axis` of inputs[ref]; `what` names the dim.
static sy_status check_same_dim(const sy_tensor *inputs, uint32_t idx, uint32_t ref, uint32_t axis,
                                const char *what, const names *nm) {
    char si[96], sr[96];
    SY_CHECK(inputs[idx].dims[axis] == inputs[ref].dims[axis], SY_ERR_SHAPE,
             "input #%u (%s) has shape %s but %s has %s: %s differs (%lld vs %lld)", idx,
             nm->n[idx], sy_format_dims(inputs[idx].dims, inputs[idx].rank, si, sizeof si),
             nm->n[ref], sy_format_dims(inputs[ref].dims, inputs[ref].rank, sr, sizeof sr), what,
             (long long)inputs[idx].dims[axis], (long long)inputs[ref].dims[axis]);
    return SY_OK;
}

static sy_status check_start_pos(const sy_tensor *inputs, uint32_t idx, const names *nm) {
    SY_CHECK(sy_rule_is_index(inputs[idx].dtype), SY_ERR_DTYPE,
             "input #%u (%s) has dtype %s; expected i32 or i64", idx, nm->n[idx],
             sy_dtype_name(inputs[idx].dtype));
    SY_CHECK(sy_tensor_numel(&inputs[idx]) >= 1, SY_ERR_SHAPE,
             "input #%u (%s) is empty; it needs at least one element (the start position)", idx,
             nm->n[idx]);
    return SY_OK;
}

static sy_status get_scale(const sy_node_info *node, float *out) {
    float scale;
    SY_TRY(sy_op_attr_get_float(node, "scale", &scale));
    SY_CHECK(isfinite(scale), SY_ERR_INVALID_ARGUMENT,
             "attribute 'scale' is %g; expected a finite number (0 = 1/sqrt(head dim))",
             (double)scale);
    *out = scale;
    return SY_OK;
}

sy_status sy_infer_ROPE(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    static const names nm = {{"x", "positions"}};
    const sy_tensor *x = &inputs[0], *pos = &inputs[1];
    char sx[96], sp[96];
    float theta;
    int64_t layout;
    SY_TRY(sy_op_attr_get_float(node, "theta", &theta));
    SY_CHECK(isfinite(theta) && theta > 0.0f, SY_ERR_INVALID_ARGUMENT,
             "attribute 'theta' is %g; expected a finite number > 0", (double)theta);
    SY_TRY(sy_op_attr_get_int(node, "layout", &layout));
    SY_CHECK(layout == 0 || layout == 1, SY_ERR_INVALID_ARGUMENT,
             "attribute 'layout' is %lld; expected 0 (half-split) or 1 (interleaved)",
             (long long)layout);

    SY_CHECK(sy_rule_is_float(x->dtype), SY_ERR_DTYPE,
             "input #0 (x) has dtype %s; expected f32, f16 or bf16", sy_dtype_name(x->dtype));
    SY_CHECK(sy_rule_is_index(pos->dtype), SY_ERR_DTYPE,
             "input #1 (positions) has dtype %s; expected i32 or i64", sy_dtype_name(pos->dtype));
    SY_TRY(check_rank4(inputs, 0, &nm, "[B, H, T, D]"));
    SY_CHECK(x->dims[3] % 2 == 0, SY_ERR_SHAPE,
             "input #0 (x) has shape %s: the head dim %lld must be even",
             sy_format_dims(x->dims, x->rank, sx, sizeof sx), (long long)x->dims[3]);
    SY_CHECK(pos->rank == 1 && pos->dims[0] == x->dims[2], SY_ERR_SHAPE,
             "input #1 (positions) has shape %s but x has %s: expected [%lld] (one per token)",
             sy_format_dims(pos->dims, pos->rank, sp, sizeof sp),
             sy_format_dims(x->dims, x->rank, sx, sizeof sx), (long long)x->dims[2]);

    sy_rule_copy_shape(&outputs[0], x);
    return SY_OK;
}

sy_status sy_infer_UPDATE_CACHE(const sy_node_info *node, const sy_tensor *inputs,
                                sy_tensor *outputs) {
    static const names nm = {{"cache", "new", "start_pos"}};
    (void)node;
    (void)outputs;
    SY_TRY(check_float_like_first(inputs, 1, &nm));
    SY_TRY(check_start_pos(inputs, 2, &nm));
    SY_TRY(check_rank4(inputs, 0, &nm, "[B, H, S, D]"));
    SY_TRY(check_rank4(inputs, 1, &nm, "[B, H, T, D]"));
    SY_TRY(check_same_dim(inputs, 1, 0, 0, "the batch", &nm));
    SY_TRY(check_same_dim(inputs, 1, 0, 1, "the head count", &nm));
    SY_TRY(check_same_dim(inputs, 1, 0, 3, "the head dim", &nm));
    return SY_OK;
}

// The attention mask must broadcast to [B, Hq, Tq, Tk]: right-aligned, each dim 1 or equal.
static sy_status check_mask(const sy_tensor *q, const sy_tensor *mask, int64_t tk) {
    const int64_t target[4] = {q->dims[0], q->dims[1], q->dims[2], tk};
    char sm[96], st[96];
    SY_CHECK(mask->dtype == SY_DTYPE_BOOL || mask->dtype == q->dtype, SY_ERR_DTYPE,
             "input #3 (mask) has dtype %s; expected bool or q's dtype %s",
             sy_dtype_name(mask->dtype), sy_dtype_name(q->dtype));
    bool ok = mask->rank <= 4;
    for (uint32_t i = 0; ok && i < mask->rank; i++) {
        int64_t d = mask->dims[mask->rank - 1 - i];
        ok = d == 1 || d == target[3 - i];
    }
    SY_CHECK(ok, SY_ERR_SHAPE, "input #3 (mask) has shape %s, which does not broadcast to %s",
             sy_format_dims(mask->dims, mask->rank, sm, sizeof sm),
             sy_format_dims(target, 4, st, sizeof st));
    return SY_OK;
}

// Grouped-query attention: query head h reads kv head h / (Hq / Hkv).
static sy_status check_heads(const sy_tensor *q, const sy_tensor *k) {
    char sq[96], sk[96];
    SY_CHECK(k->dims[1] >= 1 && q->dims[1] % k->dims[1] == 0, SY_ERR_SHAPE,
             "input #0 (q) has shape %s but k has %s: the query heads (%lld) must be a multiple "
             "of the kv heads (%lld)",
             sy_format_dims(q->dims, q->rank, sq, sizeof sq),
             sy_format_dims(k->dims, k->rank, sk, sizeof sk), (long long)q->dims[1],
             (long long)k->dims[1]);
    SY_CHECK(q->dims[3] >= 1, SY_ERR_SHAPE, "input #0 (q) has shape %s: the head dim must be >= 1",
             sy_format_dims(q->dims, q->rank, sq, sizeof sq));
    return SY_OK;
}

sy_status sy_infer_SDPA(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    static const names nm = {{"q", "k", "v", "mask"}};
    const sy_tensor *q = &inputs[0], *k = &inputs[1], *v = &inputs[2];
    const sy_tensor *mask = node->n_inputs > 3 && inputs[3].dtype != SY_DTYPE_INVALID ? &inputs[3]
                                                                                      : NULL;
    int64_t causal;
    float scale;
    SY_TRY(sy_op_attr_get_int(node, "causal", &causal));
    SY_CHECK(causal == 0 || causal == 1, SY_ERR_INVALID_ARGUMENT,
             "attribute 'causal' is %lld; expected 0 or 1", (long long)causal);
    SY_TRY(get_scale(node, &scale));

    SY_TRY(check_float_like_first(inputs, 1, &nm));
    SY_TRY(check_float_like_first(inputs, 2, &nm));
    SY_TRY(check_rank4(inputs, 0, &nm, "[B, Hq, Tq, D]"));
    SY_TRY(check_rank4(inputs, 1, &nm, "[B, Hkv, Tk, D]"));
    SY_TRY(check_rank4(inputs, 2, &nm, "[B, Hkv, Tk, Dv]"));
    SY_TRY(check_same_dim(inputs, 1, 0, 0, "the batch", &nm));
    SY_TRY(check_same_dim(inputs, 1, 0, 3, "the head dim", &nm));
    SY_TRY(check_same_dim(inputs, 2, 1, 0, "the batch", &nm));
    SY_TRY(check_same_dim(inputs, 2, 1, 1, "the kv head count", &nm));
    SY_TRY(check_same_dim(inputs, 2, 1, 2, "the key count", &nm));
    SY_TRY(check_heads(q, k));
    if (mask) SY_TRY(check_mask(q, mask, k->dims[2]));

    sy_tensor *y = &outputs[0];
    y->dtype = q->dtype;
    y->rank = 4;
    y->dims[0] = q->dims[0];
    y->dims[1] = q->dims[1];
    y->dims[2] = q->dims[2];
    y->dims[3] = v->dims[3];
    return SY_OK;
}

sy_status sy_infer_SDPA_WITH_KV_CACHE(const sy_node_info *node, const sy_tensor *inputs,
                                      sy_tensor *outputs) {
    static const names nm = {{"q", "k", "v", "k_cache", "v_cache", "start_pos"}};
    float scale;
    SY_TRY(get_scale(node, &scale));

    for (uint32_t i = 1; i < 5; i++) SY_TRY(check_float_like_first(inputs, i, &nm));
    SY_TRY(check_start_pos(inputs, 5, &nm));
    SY_TRY(check_rank4(inputs, 0, &nm, "[B, Hq, T, D]"));
    SY_TRY(check_rank4(inputs, 1, &nm, "[B, Hkv, T, D]"));
    SY_TRY(check_rank4(inputs, 2, &nm, "[B, Hkv, T, D]"));
    SY_TRY(check_rank4(inputs, 3, &nm, "[B, Hkv, S, D]"));
    SY_TRY(check_rank4(inputs, 4, &nm, "[B, Hkv, S, D]"));
    // k: same batch, tokens and head dim as q; v exactly like k; the caches like k except for
    // their length, and exactly like each other.
    SY_TRY(check_same_dim(inputs, 1, 0, 0, "the batch", &nm));
    SY_TRY(check_same_dim(inputs, 1, 0, 2, "the token count", &nm));
    SY_TRY(check_same_dim(inputs, 1, 0, 3, "the head dim", &nm));
    static const char *const kv_dims[4] = {"the batch", "the kv head count", "the token count",
                                           "the head dim"};
    static const char *const cache_dims[4] = {"the batch", "the kv head count", "the cache length",
                                              "the head dim"};
    for (uint32_t axis = 0; axis < 4; axis++)
        SY_TRY(check_same_dim(inputs, 2, 1, axis, kv_dims[axis], &nm));
    for (uint32_t axis = 0; axis < 4; axis++)
        if (axis != 2) SY_TRY(check_same_dim(inputs, 3, 1, axis, cache_dims[axis], &nm));
    for (uint32_t axis = 0; axis < 4; axis++)
        SY_TRY(check_same_dim(inputs, 4, 3, axis, cache_dims[axis], &nm));
    SY_TRY(check_heads(&inputs[0], &inputs[1]));

    sy_rule_copy_shape(&outputs[0], &inputs[0]);
    return SY_OK;
}

// --- data checks and op records ---

/// Cache positions: start_pos holds the start (one element) or the T positions start, start+1,
/// ..., start+T-1; rows [start, start + T) must lie in the cache of S rows. Written as
/// start <= S - T so that no start (INT64_MAX included) overflows.
static sy_status check_positions(const sy_tensor *pos, int64_t t, int64_t s) {
    int64_t n = sy_tensor_numel(pos);
    SY_CHECK(n >= 1, SY_ERR_SHAPE, "start_pos is empty; it needs at least one element (the start position)");
    SY_CHECK(n == 1 || n == t, SY_ERR_SHAPE,
             "start_pos has %lld elements; it holds the start (1 element) or one position per new token (%lld)",
             (long long)n, (long long)t);
    int64_t start = sy_rule_load_index(pos, 0);
    SY_CHECK(start >= 0, SY_ERR_OUT_OF_RANGE, "cache position %lld is negative", (long long)start);
    SY_CHECK(t >= 0 && t <= s && start <= s - t, SY_ERR_OUT_OF_RANGE,
             "cache position %lld + %lld tokens is past the cache length %lld", (long long)start, (long long)t,
             (long long)s);
    for (int64_t i = 1; i < n; i++) { // start + i <= s - t + i < s: no overflow
        int64_t p = sy_rule_load_index(pos, i);
        SY_CHECK(p == start + i, SY_ERR_OUT_OF_RANGE,
                 "start_pos[%lld] is %lld; cache positions must be consecutive (start %lld, so %lld)",
                 (long long)i, (long long)p, (long long)start, (long long)(start + i));
    }
    return SY_OK;
}

static sy_status check_update_cache(const sy_node_info *node, const sy_tensor *inputs) {
    (void)node; // cache (B, H, S, D), new (B, H, T, D)
    return check_positions(&inputs[2], inputs[1].dims[2], inputs[0].dims[2]);
}

static sy_status check_kv_cache(const sy_node_info *node, const sy_tensor *inputs) {
    (void)node; // q (B, Hq, T, D), k_cache (B, Hkv, S, D)
    return check_positions(&inputs[5], inputs[0].dims[2], inputs[3].dims[2]);
}

SY_OP_RECORD(ROPE, .attrs = {{"theta", SY_ATTR_FLOAT, 0, 0, 10000.0}, {"layout", SY_ATTR_INT, 0, 0, 0}});
SY_OP_RECORD(UPDATE_CACHE, .data_inputs = 1u << 2, .check_data = check_update_cache);
SY_OP_RECORD(SDPA, .attrs = {{"causal", SY_ATTR_INT, 0, 0, 0}, {"scale", SY_ATTR_FLOAT, 0, 0, 0.0}});
SY_OP_RECORD(SDPA_WITH_KV_CACHE, .attrs = {{"scale", SY_ATTR_FLOAT, 0, 0, 0.0}}, .data_inputs = 1u << 5,
             .check_data = check_kv_cache);
