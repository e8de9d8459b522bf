// sdpa (no mask) and the fused sdpa_with_kv_cache. Prefill rows (and decode rows with few
// keys) run one workgroup per query row (sdpa.comp, online softmax). A decode row (T = 1) with
// more than SY_VK_SDPA_SPLIT_KEYS visible keys is split over several workgroups
// (sdpa_split.comp) whose partial results sdpa_combine.comp merges: B * Hq rows alone would
// leave most of a GPU idle. sdpa_with_kv_cache first writes k and v into the caches
// (copy.comp).

#include <math.h>

#include "delegates/vulkan/vk_ops.h"

typedef struct sdpa_params {
    uint32_t B, Hq, Hkv, T;
    uint32_t D, Dv, S, Tk;
    int32_t off;
    uint32_t causal;
    float scale;
    uint32_t n_splits;
} sdpa_params;

typedef struct combine_params {
    uint32_t rows, Dv, n_splits;
} combine_params;

// Slots of the attention part of a node, from its first attention slot.
#define SLOT_ROWS 0
#define SLOT_SPLIT 1
#define SLOT_COMBINE 2

static int check_attrs(const sy_node_info *node, char *reason, size_t reason_size) {
    const sy_attr *scale = sy_node_find_attr(node, "scale");
    if (scale && scale->type != SY_ATTR_FLOAT)
        return sy_vk_refuse(reason, reason_size, "attribute 'scale' must be FLOAT");
    const sy_attr *causal = sy_node_find_attr(node, "causal");
    if (causal && (causal->type != SY_ATTR_INT || (causal->u.i != 0 && causal->u.i != 1)))
        return sy_vk_refuse(reason, reason_size, "attribute 'causal' must be INT 0 or 1");
    return 1;
}

static int check_head_dims(const sy_graph_view *graph, const sy_node_info *node, char *reason, size_t reason_size) {
    for (uint32_t i = 0; i < 3; i++) {
        const sy_value_info *vi = sy_vk_input_info(graph, node, i);
        if (!vi || vi->rank != 4) return sy_vk_refuse(reason, reason_size, "q, k and v must be 4-D");
        if (vi->dims[3] > SY_VK_SDPA_MAX_D)
            return sy_vk_refuse(reason, reason_size,
                                "head dim %lld is above the Vulkan kernel's "
                                "limit of %d",
                                (long long)vi->dims[3], SY_VK_SDPA_MAX_D);
    }
    return 1;
}

static float scale_of(const sy_node_info *node, int64_t D) {
    float s = sy_node_attr_float(node, "scale", 0.0f);
    return s != 0.0f ? s : (float)(1.0 / sqrt((double)(D > 0 ? D : 1)));
}

/// Plans the attention dispatches of a node: rows, and (when a decode row can see more keys
/// than one split takes) split + combine with their scratch [B * Hq, splits, Dv + 2].
static sy_status plan_attention(sy_vk_node_ctx *ctx, uint32_t q, uint32_t k, uint32_t v, int64_t key_rows) {
    uint32_t rows_bind[4] = {q, k, v, ctx->out[0]};
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_SDPA, rows_bind, 1u << 3));
    if (key_rows <= SY_VK_SDPA_SPLIT_KEYS) return SY_OK;
    const sy_value_info *qi = &ctx->graph->values[ctx->node->inputs[0]];
    const sy_value_info *vi = &ctx->graph->values[ctx->node->inputs[2]];
    uint64_t floats =
        (uint64_t)qi->dims[0] * (uint64_t)qi->dims[1] * SY_VK_SDPA_MAX_SPLITS * ((uint64_t)vi->dims[3] + 2);
    uint32_t part;
    SY_VK_TRY(sy_vk_plan_scratch(ctx, floats, &part));
    uint32_t split_bind[4] = {q, k, v, part}, combine_bind[2] = {part, ctx->out[0]};
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_SDPA_SPLIT, split_bind, 1u << 3));
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_SDPA_COMBINE, combine_bind, 1u << 1);
}

/// Dispatches the attention of this call from slot `first` (see plan_attention).
static sy_status dispatch_attention(sy_vk_node_ctx *ctx, uint32_t first, sdpa_params *p) {
    uint64_t rows = (uint64_t)p->B * p->Hq * p->T;
    if (p->Dv == 0 || p->Hkv == 0) return SY_OK; // nothing to write
    int has_split = ctx->n_slots >= first + 3;
    // keys the (single) decode row sees
    int64_t keys = p->causal ? (int64_t)p->off + 1 : (int64_t)p->Tk;
    if (keys > (int64_t)p->Tk) keys = p->Tk;
    if (has_split && ctx->dry_run) { // check the split grid's limits too
        SY_VK_TRY(
            sy_vk_dispatch(ctx, first + SLOT_SPLIT, p, sizeof *p, SY_VK_SDPA_MAX_SPLITS, (uint64_t)p->B * p->Hq, 1));
    }
    if (has_split && p->T == 1 && keys > SY_VK_SDPA_SPLIT_KEYS) {
        uint64_t n = sy_vk_div_up((uint64_t)keys, SY_VK_SDPA_SPLIT_KEYS);
        p->n_splits = (uint32_t)(n < SY_VK_SDPA_MAX_SPLITS ? n : SY_VK_SDPA_MAX_SPLITS);
        SY_VK_TRY(sy_vk_dispatch(ctx, first + SLOT_SPLIT, p, sizeof *p, p->n_splits, rows, 1));
        combine_params c = {(uint32_t)rows, p->Dv, p->n_splits};
        return sy_vk_dispatch_1d(ctx, first + SLOT_COMBINE, &c, sizeof c, rows);
    }
    p->n_splits = 1;
    return sy_vk_dispatch_1d(ctx, first + SLOT_ROWS, p, sizeof *p, rows);
}

// --- sdpa ---

static int sdpa_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                         size_t reason_size) {
    if (sy_vk_input_info(graph, node, 3))
        return sy_vk_refuse(reason, reason_size, "attention masks are not supported on Vulkan");
    if (!check_attrs(node, reason, reason_size) || !check_head_dims(graph, node, reason, reason_size)) return 0;
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status sdpa_plan(sy_vk_node_ctx *ctx) {
    const sy_value_info *k = &ctx->graph->values[ctx->node->inputs[1]];
    return plan_attention(ctx, ctx->in[0], ctx->in[1], ctx->in[2], k->dims[2]);
}

static sy_status sdpa_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *q = &ctx->in_t[0], *k = &ctx->in_t[1], *v = &ctx->in_t[2];
    sdpa_params p = {
        .B = (uint32_t)q->dims[0],
        .Hq = (uint32_t)q->dims[1],
        .Hkv = (uint32_t)k->dims[1],
        .T = (uint32_t)q->dims[2],
        .D = (uint32_t)q->dims[3],
        .Dv = (uint32_t)v->dims[3],
        .S = (uint32_t)k->dims[2],
        .Tk = (uint32_t)k->dims[2],
        .off = (int32_t)(k->dims[2] - q->dims[2]),
        .causal = (uint32_t)sy_node_attr_int(ctx->node, "causal", 0),
        .scale = scale_of(ctx->node, q->dims[3]),
    };
    return dispatch_attention(ctx, 0, &p);
}

const sy_vk_op_impl sy_vk_op_sdpa = {sdpa_supports, sdpa_plan, sdpa_record};

// --- sdpa_with_kv_cache ---

static int sdpa_kv_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                            size_t reason_size) {
    for (uint32_t i = 3; i < 5; i++) {
        const sy_value_info *c = sy_vk_input_info(graph, node, i);
        if (!c || c->role != SY_ROLE_STATE || c->rank != 4)
            return sy_vk_refuse(reason, reason_size, "k_cache and v_cache must be 4-D states");
    }
    if (!check_attrs(node, reason, reason_size) || !check_head_dims(graph, node, reason, reason_size)) return 0;
    return sy_vk_check_tensors(be, graph, node, 1u << 5, reason, reason_size);
}

static sy_status sdpa_kv_plan(sy_vk_node_ctx *ctx) {
    const uint32_t *in = ctx->in;
    uint32_t write_k[2] = {in[1], in[3]}, write_v[2] = {in[2], in[4]};
    const sy_value_info *kc = &ctx->graph->values[ctx->node->inputs[3]];
    sy_vk_plan_host_read(ctx, 5);
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, write_k, 1u << 1));
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_COPY, write_v, 1u << 1));
    return plan_attention(ctx, in[0], in[3], in[4], kc->dims[2]);
}

static sy_status sdpa_kv_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *q = &ctx->in_t[0], *k = &ctx->in_t[1], *v = &ctx->in_t[2];
    const sy_tensor *kc = &ctx->in_t[3], *vc = &ctx->in_t[4];
    int64_t T = q->dims[2], S = kc->dims[2], start;
    SY_VK_TRY(sy_vk_cache_start(ctx, &ctx->in_t[5], T, S, &start));
    int64_t ks[SY_MAX_RANK], vs[SY_MAX_RANK];
    sy_vk_contiguous_strides(kc, ks);
    sy_vk_contiguous_strides(vc, vs);
    sy_vk_copy_params ck, cv;
    sy_vk_copy_params_contig(&ck, k, ks, start * ks[2]);
    sy_vk_copy_params_contig(&cv, v, vs, start * vs[2]);
    SY_VK_TRY(sy_vk_dispatch_1d(ctx, 0, &ck, sizeof ck, sy_vk_div_up(ck.n, SY_VK_WG)));
    SY_VK_TRY(sy_vk_dispatch_1d(ctx, 1, &cv, sizeof cv, sy_vk_div_up(cv.n, SY_VK_WG)));
    sdpa_params p = {
        .B = (uint32_t)q->dims[0],
        .Hq = (uint32_t)q->dims[1],
        .Hkv = (uint32_t)kc->dims[1],
        .T = (uint32_t)T,
        .D = (uint32_t)q->dims[3],
        .Dv = (uint32_t)vc->dims[3],
        .S = (uint32_t)S,
        .Tk = (uint32_t)(start + T),
        .off = (int32_t)start,
        .causal = 1,
        .scale = scale_of(ctx->node, q->dims[3]),
    };
    return dispatch_attention(ctx, 2, &p);
}

const sy_vk_op_impl sy_vk_op_sdpa_with_kv_cache = {sdpa_kv_supports, sdpa_kv_plan, sdpa_kv_record};
