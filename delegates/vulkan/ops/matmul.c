// matmul (torch.matmul, batched with broadcasting) and linear (x . W^T + b): 64-row tiles
// (matmul.comp) for long products, 16-row tiles (matmul_small.comp) for short prefills, the
// matrix-vector kernel (gemv.comp) for M == 1 (decode steps). All three are planned; each
// call activates the one its shapes need.
// linear with a block-quantised constant weight (q8_0, q4_0, q4_1) uses gemv_q*.comp for M == 1
// and matmul_q*.comp for M > 1; both read the raw blocks, which are all the device holds.

#include <string.h>

#include "delegates/vulkan/vk_ops.h"

#define SLOT_TILED 0
#define SLOT_GEMV 1
#define SLOT_SMALL 2

typedef struct mm_params {
    uint32_t M, N, K, flags;
    uint32_t a_rs, b_ks, b_ns, nb;
    uint32_t bdims[SY_VK_MM_MAX_BATCH_RANK];
    uint32_t a_bs[SY_VK_MM_MAX_BATCH_RANK];
    uint32_t b_bs[SY_VK_MM_MAX_BATCH_RANK];
} mm_params;

static sy_status plan_all(sy_vk_node_ctx *ctx, uint32_t bias) {
    uint32_t bind[4] = {ctx->in[0], ctx->in[1], bias, ctx->out[0]};
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_MATMUL, bind, 1u << 3));
    SY_VK_TRY(sy_vk_plan_slot(ctx, SY_VK_SHADER_GEMV, bind, 1u << 3));
    return sy_vk_plan_slot(ctx, SY_VK_SHADER_MATMUL_SMALL, bind, 1u << 3);
}

static sy_status dispatch(sy_vk_node_ctx *ctx, const mm_params *p) {
    if ((uint64_t)p->M * p->N * p->nb == 0) return SY_OK; // empty output: nothing to run
    if (p->M == 1) {
        mm_params q = *p;
        uint64_t per = SY_VK_GEMV_ROWS;
        if (q.b_ks != 1) { // B contiguous along N: one thread per output
            q.flags |= SY_VK_GEMV_N_CONTIGUOUS;
            per = SY_VK_WG;
        }
        uint64_t groups = sy_vk_div_up(q.N, per);
        uint64_t max_x = ctx->be->props.limits.maxComputeWorkGroupCount[0];
        uint64_t x = groups < max_x ? groups : max_x;
        return sy_vk_dispatch(ctx, SLOT_GEMV, &q, sizeof q, x, sy_vk_div_up(groups, x), q.nb);
    }
    if (p->M <= SY_VK_MM_SMALL_M)
        return sy_vk_dispatch(ctx, SLOT_SMALL, p, sizeof *p, sy_vk_div_up(p->N, SY_VK_MM_BN),
                              sy_vk_div_up(p->M, SY_VK_MM_SMALL_BM), p->nb);
    return sy_vk_dispatch(ctx, SLOT_TILED, p, sizeof *p, sy_vk_div_up(p->N, SY_VK_MM_BN),
                          sy_vk_div_up(p->M, SY_VK_MM_BM), p->nb);
}

static void no_batch(mm_params *p) {
    for (int d = 0; d < SY_VK_MM_MAX_BATCH_RANK; d++) {
        p->bdims[d] = 1;
        p->a_bs[d] = p->b_bs[d] = 0;
    }
    p->nb = 1;
}

// --- linear ---

// Push constants of gemv_q.glsl and matmul_q.glsl.
typedef struct qmm_params {
    uint32_t M, N, K, flags;
} qmm_params;

static const sy_vk_shader gemv_q_shaders[3] = {SY_VK_SHADER_GEMV_Q8_0, SY_VK_SHADER_GEMV_Q4_0,
                                               SY_VK_SHADER_GEMV_Q4_1};
static const sy_vk_shader matmul_q_shaders[3] = {SY_VK_SHADER_MATMUL_Q8_0, SY_VK_SHADER_MATMUL_Q4_0,
                                                 SY_VK_SHADER_MATMUL_Q4_1};

static int linear_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    const sy_value_info *w = sy_vk_input_info(graph, node, 1);
    if (!w || w->rank != 2) return sy_vk_refuse(reason, reason_size, "weight must be 2-D");
    if (sy_dtype_is_block(w->dtype)) {
        if (!sy_vk_check_block_weight(be, graph, node, 1, "weight", reason, reason_size)) return 0;
        return sy_vk_check_tensors_except(be, graph, node, 0, 1u << 1, reason, reason_size);
    }
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static int linear_has_bias(const sy_vk_node_ctx *ctx) {
    return ctx->node->n_inputs > 2 && ctx->in[2] != UINT32_MAX;
}

static sy_status linear_plan(sy_vk_node_ctx *ctx) {
    // Without a bias the weight stands in for binding 2 (never read: the flag is off).
    uint32_t bias = linear_has_bias(ctx) ? ctx->in[2] : ctx->in[1];
    int q = sy_vk_block_index(ctx->graph->values[ctx->node->inputs[1]].dtype);
    if (q < 0) return plan_all(ctx, bias);
    uint32_t bind[4] = {ctx->in[0], ctx->in[1], bias, ctx->out[0]};
    SY_VK_TRY(sy_vk_plan_slot(ctx, matmul_q_shaders[q], bind, 1u << 3)); // SLOT_TILED
    return sy_vk_plan_slot(ctx, gemv_q_shaders[q], bind, 1u << 3);       // SLOT_GEMV
}

static sy_status linear_record_block(sy_vk_node_ctx *ctx) {
    const sy_tensor *w = &ctx->in_t[1], *o = &ctx->out_t[0];
    qmm_params p = {0};
    p.N = (uint32_t)w->dims[0];
    p.K = (uint32_t)w->dims[1];
    p.M = p.N ? (uint32_t)(sy_tensor_numel(o) / p.N) : 0;
    p.flags = linear_has_bias(ctx) ? SY_VK_MM_BIAS : 0;
    if ((uint64_t)p.M * p.N == 0) return SY_OK; // empty output: nothing to run
    if (p.M == 1) return sy_vk_dispatch_1d(ctx, SLOT_GEMV, &p, sizeof p, sy_vk_div_up(p.N, SY_VK_QGEMV_ROWS));
    return sy_vk_dispatch(ctx, SLOT_TILED, &p, sizeof p, sy_vk_div_up(p.N, SY_VK_MM_BN),
                          sy_vk_div_up(p.M, SY_VK_QMM_BM), 1);
}

static sy_status linear_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *w = &ctx->in_t[1], *o = &ctx->out_t[0];
    if (sy_dtype_is_block(w->dtype)) return linear_record_block(ctx);
    mm_params p = {0};
    p.N = (uint32_t)w->dims[0];
    p.K = (uint32_t)w->dims[1];
    p.M = p.N ? (uint32_t)(sy_tensor_numel(o) / p.N) : 0;
    p.flags = linear_has_bias(ctx) ? SY_VK_MM_BIAS : 0;
    p.a_rs = p.K;
    p.b_ks = 1;
    p.b_ns = p.K;
    no_batch(&p);
    return dispatch(ctx, &p);
}

const sy_vk_op_impl sy_vk_op_linear = {linear_supports, linear_plan, linear_record};

// --- matmul ---

static int matmul_supports(sy_backend *be, const sy_graph_view *graph, const sy_node_info *node, char *reason,
                           size_t reason_size) {
    return sy_vk_check_tensors(be, graph, node, 0, reason, reason_size);
}

static sy_status matmul_plan(sy_vk_node_ctx *ctx) {
    return plan_all(ctx, ctx->in[1]);
}

static sy_status matmul_record(sy_vk_node_ctx *ctx) {
    const sy_tensor *a = &ctx->in_t[0], *b = &ctx->in_t[1];
    uint32_t ar = a->rank, br = b->rank;
    mm_params p = {0};
    // 1-D operands: a [K] is a row [1, K], b [K] a column [K, 1]; the squeezed output keeps
    // the same element order.
    p.K = (uint32_t)a->dims[ar - 1];
    p.M = ar >= 2 ? (uint32_t)a->dims[ar - 2] : 1;
    p.N = br >= 2 ? (uint32_t)b->dims[br - 1] : 1;
    p.a_rs = p.K;
    p.b_ks = br >= 2 ? p.N : 1;
    p.b_ns = 1;
    no_batch(&p);
    // Batch axes, right-aligned into SY_VK_MM_MAX_BATCH_RANK slots.
    uint32_t ra = ar > 2 ? ar - 2 : 0, rb = br > 2 ? br - 2 : 0;
    uint64_t a_stride = (uint64_t)p.M * p.K, b_stride = (uint64_t)p.K * p.N;
    uint64_t nb = 1;
    for (int s = SY_VK_MM_MAX_BATCH_RANK - 1, i = 0; s >= 0; s--, i++) {
        int ad = (int)ra - 1 - i, bd = (int)rb - 1 - i;
        uint64_t adim = ad >= 0 ? (uint64_t)a->dims[ad] : 1, bdim = bd >= 0 ? (uint64_t)b->dims[bd] : 1;
        uint64_t dim = adim > bdim ? adim : bdim;
        p.bdims[s] = (uint32_t)dim;
        p.a_bs[s] = adim == 1 ? 0 : (uint32_t)a_stride;
        p.b_bs[s] = bdim == 1 ? 0 : (uint32_t)b_stride;
        a_stride *= adim;
        b_stride *= bdim;
        nb *= dim;
    }
    p.nb = (uint32_t)nb;
    return dispatch(ctx, &p);
}

const sy_vk_op_impl sy_vk_op_matmul = {matmul_supports, matmul_plan, matmul_record};
