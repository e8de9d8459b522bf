// Every op the Vulkan delegate claims, built with the public graph builder and run through the
// runtime with backends "vulkan" alone (strict: the node must run on the GPU) against
// "portable", on several shapes each, including NumPy broadcasting, rank 0, sizes that span
// many workgroups, and both matmul paths (tiled M > 1, matrix-vector M == 1); last-axis
// reductions (and the refusal of other axes), gather with a bad index. Then few-node
// programs (barriers between dependent dispatches), a "vulkan,portable" split with boundary
// copies, and one runtime re-run at several sequence lengths (dynamic shapes).
//
// Tolerances (absolute + relative to the portable value):
//   data movement, embedding, relu/neg/maximum/minimum/add/sub/mul: exact (0 + 0);
//   other elementwise: 1e-5 + 1e-5 (device exp/log/div may differ by a few ulp);
//   softmax, rms_norm, layer_norm, matmul, linear, attention: 1e-4 + 1e-4 (different summation
//   order);
//   sum, mean: 2e-5 + 1e-5 (f32 tree sums on the device, double sums in portable);
//   max, gather: exact;
//   rope: 1e-5 + 1e-5 (the host computes the same double-precision cos/sin as portable).

#include <stdio.h>

#include "vk_test.h"

#if defined(SY_HAVE_VULKAN)

typedef struct shape {
    uint32_t rank;
    int64_t dims[SY_MAX_RANK];
} shape;

static const char *fmt_shape(const shape *s, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (uint32_t i = 0; i < s->rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld", (long long)s->dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/// y = op(x0, x1, ...): f32 inputs in [lo, hi); bit i of const_mask makes x<i> a constant.
static void one_node(sy_op op, const sy_attr *attrs, uint32_t n_attrs, const shape *in, uint32_t n_in,
                     uint32_t const_mask, float lo, float hi, float atol, float rtol) {
    char what[256], sbuf[64];
    size_t used = (size_t)snprintf(what, sizeof what, "%s", sy_op_name(op));
    for (uint32_t i = 0; i < n_in && used < sizeof what; i++)
        used += (size_t)snprintf(what + used, sizeof what - used, " %s", fmt_shape(&in[i], sbuf, sizeof sbuf));
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t ids[8];
    float *data[8];
    char names[8][8];
    vt_feed feeds[8];
    uint32_t n_feeds = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        snprintf(names[i], sizeof names[i], "x%u", i);
        data[i] = vt_random(vt_numel(in[i].rank, in[i].dims), lo, hi);
        if ((const_mask >> i) & 1u) {
            ids[i] = vt_constant(g, names[i], SY_DTYPE_F32, in[i].rank, in[i].dims, data[i]);
        } else {
            ids[i] = vt_input(g, names[i], in[i].rank, in[i].dims);
            feeds[n_feeds++] = vt_feed_f32(names[i], data[i], in[i].rank, in[i].dims);
        }
    }
    uint32_t y = vt_op(g, "node", op, ids, n_in, attrs, n_attrs);
    sy_program *p = vt_finish(g, y);
    if (p) vt_compare(what, p, "vulkan", feeds, n_feeds, atol, rtol);
    sy_program_destroy(p);
    for (uint32_t i = 0; i < n_in; i++) free(data[i]);
}

// --- elementwise ---

static void test_binary(void) {
    const sy_op ops[] = {SY_OP_ADD, SY_OP_SUB, SY_OP_MUL, SY_OP_DIV, SY_OP_POW, SY_OP_MAXIMUM, SY_OP_MINIMUM};
    const shape pairs[][2] = {
        {{3, {2, 3, 4}}, {3, {2, 3, 4}}},             // same shape (fast path)
        {{3, {2, 3, 4}}, {1, {4}}},                   // trailing broadcast
        {{3, {2, 1, 4}}, {2, {3, 1}}},                // both sides broadcast
        {{0, {0}}, {2, {5, 3}}},                      // rank 0
        {{1, {1}}, {1, {1}}},                         // one element
        {{2, {300, 257}}, {2, {300, 1}}},             // many workgroups
        {{6, {2, 1, 3, 1, 2, 3}}, {4, {3, 2, 1, 3}}}, // rank 6
    };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        int exact = ops[o] != SY_OP_DIV && ops[o] != SY_OP_POW;
        for (size_t s = 0; s < sizeof pairs / sizeof pairs[0]; s++) {
            // pow and div on positive inputs (the opspec leaves powf's NaN cases alone)
            float lo = ops[o] == SY_OP_POW || ops[o] == SY_OP_DIV ? 0.25f : -3.0f;
            one_node(ops[o], NULL, 0, pairs[s], 2, 0, lo, 3.0f, exact ? 0.0f : 1e-5f, exact ? 0.0f : 1e-5f);
        }
    }
    // the broadcast operand as a constant (a bias), as models have it
    const shape bias[2] = {{2, {16, 33}}, {1, {33}}};
    one_node(SY_OP_ADD, NULL, 0, bias, 2, 1u << 1, -1.0f, 1.0f, 0.0f, 0.0f);
}

static void test_pow_negative_base(void) {
    // Negative bases with integral exponents, where GLSL's pow is undefined: sign by parity.
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t dims[1] = {8};
    const float e[8] = {2, 3, -1, 0, 4, 1, -2, 5};
    float x[8] = {-1.5f, -2.0f, -0.5f, -3.0f, -1.25f, -7.0f, -0.75f, -1.1f};
    uint32_t in[2] = {vt_input(g, "x", 1, dims), vt_constant(g, "e", SY_DTYPE_F32, 1, dims, e)};
    sy_program *p = vt_finish(g, vt_op(g, "pow", SY_OP_POW, in, 2, NULL, 0));
    vt_feed f = vt_feed_f32("x", x, 1, dims);
    float got[8] = {0};
    int64_t n = 0;
    CHECK_OK(vt_run(p, "vulkan", &f, 1, got, 8, &n));
    for (int i = 0; i < 8; i++) CHECK_NEAR(got[i], powf(x[i], e[i]), 1e-5 * fabs(powf(x[i], e[i])) + 1e-6);
    sy_program_destroy(p);
}

static void test_unary(void) {
    typedef struct {
        sy_op op;
        float lo, hi, tol;
    } un;
    const un ops[] = {
        {SY_OP_NEG, -5, 5, 0},           {SY_OP_RELU, -5, 5, 0},       {SY_OP_EXP, -10, 10, 1e-5f},
        {SY_OP_LOG, 0.01f, 100, 1e-5f},  {SY_OP_SQRT, 0, 100, 1e-5f},  {SY_OP_RSQRT, 0.01f, 100, 1e-5f},
        {SY_OP_SIN, -20, 20, 1e-5f},     {SY_OP_COS, -20, 20, 1e-5f},  {SY_OP_TANH, -12, 12, 1e-5f},
        {SY_OP_SIGMOID, -40, 40, 1e-5f}, {SY_OP_SILU, -40, 40, 1e-5f}, {SY_OP_GELU, -8, 8, 1e-5f},
    };
    const shape shapes[] = {{0, {0}}, {1, {7}}, {3, {3, 5, 11}}, {1, {40000}}};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            one_node(ops[o].op, NULL, 0, &shapes[s], 1, 0, ops[o].lo, ops[o].hi, ops[o].tol, ops[o].tol);
    // gelu's tanh form, and saturation far out (no inf/inf in tanh, no overflow in sigmoid)
    const sy_attr approx = vt_attr_int("approximate", 1);
    one_node(SY_OP_GELU, &approx, 1, &shapes[2], 1, 0, -8, 8, 1e-5f, 1e-5f);
    one_node(SY_OP_TANH, NULL, 0, &shapes[2], 1, 0, -300, 300, 1e-6f, 0);
    one_node(SY_OP_SIGMOID, NULL, 0, &shapes[2], 1, 0, -300, 300, 1e-6f, 0);
}

// --- normalisation ---

static void test_softmax(void) {
    const shape big = {3, {4, 6, 130}}; // a row longer than a workgroup
    const int64_t axes[] = {-1, 0, 1, 2};
    for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
        const sy_attr attr = vt_attr_int("axis", axes[a]);
        one_node(SY_OP_SOFTMAX, &attr, 1, &big, 1, 0, -20, 20, 1e-6f, 1e-4f);
    }
    const shape small[] = {{1, {5}}, {2, {3, 1}}, {2, {1000, 7}}};
    for (size_t s = 0; s < sizeof small / sizeof small[0]; s++)
        one_node(SY_OP_SOFTMAX, NULL, 0, &small[s], 1, 0, -5, 5, 1e-6f, 1e-4f);
}

static void test_rms_norm(void) {
    const shape cases[][2] = {
        {{2, {3, 7}}, {1, {7}}},
        {{3, {2, 5, 300}}, {1, {300}}},
        {{1, {576}}, {1, {576}}},
    };
    const sy_attr eps = vt_attr_float("eps", 1e-5f);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        one_node(SY_OP_RMS_NORM, NULL, 0, cases[c], 2, 1u << 1, -2, 2, 1e-4f, 1e-4f);
        one_node(SY_OP_RMS_NORM, &eps, 1, cases[c], 2, 0, -2, 2, 1e-4f, 1e-4f);
    }
}

static void test_layer_norm(void) {
    const shape cases[][3] = {
        {{2, {3, 7}}, {1, {7}}, {1, {7}}},
        {{3, {2, 5, 300}}, {1, {300}}, {1, {300}}}, // a row longer than a workgroup
        {{1, {576}}, {1, {576}}, {1, {576}}},
        {{2, {1, 1}}, {1, {1}}, {1, {1}}}, // one element: zero variance, y = bias
    };
    const sy_attr eps = vt_attr_float("eps", 1e-3f);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        one_node(SY_OP_LAYER_NORM, NULL, 0, cases[c], 3, 0x6, -2, 2, 1e-4f, 1e-4f); // constant w, b
        one_node(SY_OP_LAYER_NORM, &eps, 1, cases[c], 3, 0, -2, 2, 1e-4f, 1e-4f);   // w, b as inputs
        one_node(SY_OP_LAYER_NORM, NULL, 0, cases[c], 2, 0x2, -2, 2, 1e-4f, 1e-4f); // no bias
    }
    // a large common offset (1000 + [0, 2)): the variance must not cancel
    one_node(SY_OP_LAYER_NORM, NULL, 0, cases[1], 3, 0x6, 1000, 1002, 1e-4f, 1e-4f);

    // independent reference: row [1, 2, 3, 4] has mean 2.5 and variance 1.25 (OPS.md)
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t xd[2] = {1, 4}, wd[1] = {4};
    const float w[4] = {1, 2, 0.5f, -1}, b[4] = {0, 1, 0, 10}, x[4] = {1, 2, 3, 4};
    uint32_t in[3] = {vt_input(g, "x", 2, xd), vt_constant(g, "w", SY_DTYPE_F32, 1, wd, w),
                      vt_constant(g, "b", SY_DTYPE_F32, 1, wd, b)};
    sy_program *p = vt_finish(g, vt_op(g, "ln", SY_OP_LAYER_NORM, in, 3, NULL, 0));
    vt_feed f = vt_feed_f32("x", x, 2, xd);
    float got[4] = {0};
    int64_t n = 0;
    CHECK_OK(vt_run(p, "vulkan", &f, 1, got, 4, &n));
    CHECK(n == 4);
    for (int i = 0; i < 4; i++) {
        double want = (x[i] - 2.5) / sqrt(1.25 + 1e-5) * w[i] + b[i];
        CHECK_NEAR(got[i], want, 1e-5);
    }
    sy_program_destroy(p);
}

// --- reductions ---

static void test_reduce(void) {
    const sy_op ops[] = {SY_OP_SUM, SY_OP_MEAN, SY_OP_MAX};
    typedef struct {
        shape x;
        int64_t axis; // INT64_MIN: no `axes` attribute (rank 1: the last axis is every axis)
        int64_t keepdim;
    } rcase;
    const rcase cases[] = {
        {{1, {5}}, INT64_MIN, 0},    // rank 1, no axes: a rank-0 output
        {{2, {3, 7}}, 1, 1},         // axis rank - 1, keepdim
        {{3, {2, 5, 300}}, -1, 1},   // rows longer than a workgroup
        {{2, {1000, 3}}, -1, 0},     // many short rows
        {{4, {2, 3, 4, 129}}, 3, 0}, // 129: one thread sees two elements
        {{3, {2, 0, 4}}, -1, 0},     // no rows: nothing to do
    };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        int exact = ops[o] == SY_OP_MAX;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const int64_t axes[1] = {cases[c].axis};
            sy_attr at[2] = {vt_attr_int("keepdim", cases[c].keepdim), vt_attr_ints("axes", axes, 1)};
            uint32_t n_at = cases[c].axis == INT64_MIN ? 1 : 2;
            one_node(ops[o], at, n_at, &cases[c].x, 1, 0, -3, 3, exact ? 0 : 2e-5f, exact ? 0 : 1e-5f);
        }
    }

    // max by hand: a row of -inf stays -inf (no identity value leaks in), NaN anywhere wins
    // (including the last element, which idle threads start from), -inf next to a finite value.
    const float inf = INFINITY;
    float x[4 * 5] = {-inf, -inf, -inf, -inf, -inf, //
                      1,    2,    3,    4,    NAN,  //
                      NAN,  -5,   9,    1,    0,    //
                      -inf, -3,   7,    -inf, -2.5f};
    const int64_t xd[2] = {4, 5};
    const int64_t last[1] = {-1};
    sy_attr at = vt_attr_ints("axes", last, 1);
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t in = vt_input(g, "x", 2, xd);
    sy_program *p = vt_finish(g, vt_op(g, "max", SY_OP_MAX, &in, 1, &at, 1));
    vt_feed f = vt_feed_f32("x", x, 2, xd);
    float got[4] = {0};
    int64_t n = 0;
    CHECK_OK(vt_run(p, "vulkan", &f, 1, got, 4, &n));
    CHECK(n == 4);
    CHECK_MSG(isinf(got[0]) && got[0] < 0, "max of a -inf row is %g", got[0]);
    CHECK_MSG(isnan(got[1]), "max of a row ending in NaN is %g", got[1]);
    CHECK_MSG(isnan(got[2]), "max of a row starting with NaN is %g", got[2]);
    CHECK_MSG(got[3] == 7.0f, "max is %g, expected 7", got[3]);
    sy_program_destroy(p);

    // sum and mean by hand: rows of 200 (two passes of a workgroup)
    float *rows = vt_random(2 * 200, 0, 1);
    double want[2] = {0, 0};
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 200; j++) want[r] += rows[r * 200 + j];
    const int64_t rd[2] = {2, 200};
    for (int mean = 0; mean < 2; mean++) {
        CHECK_OK(sy_graph_create(&g));
        in = vt_input(g, "x", 2, rd);
        p = vt_finish(g, vt_op(g, "red", mean ? SY_OP_MEAN : SY_OP_SUM, &in, 1, &at, 1));
        f = vt_feed_f32("x", rows, 2, rd);
        CHECK_OK(vt_run(p, "vulkan", &f, 1, got, 4, &n));
        CHECK(n == 2);
        for (int r = 0; r < 2; r++) CHECK_NEAR(got[r], mean ? want[r] / 200 : want[r], 1e-4);
        sy_program_destroy(p);
    }
    free(rows);

    // other axis sets are refused (strict "vulkan" alone cannot run them) with a reason
    const shape x234 = {3, {2, 3, 4}};
    const int64_t first[1] = {0}, two[2] = {1, 2};
    const sy_attr refused[][1] = {{vt_attr_ints("axes", first, 1)}, {vt_attr_ints("axes", two, 2)}, {{0}}};
    const char *why[] = {"only the last axis", "only the last axis alone", "reduces every axis"};
    for (size_t r = 0; r < 3; r++) {
        CHECK_OK(sy_graph_create(&g));
        in = vt_input(g, "x", x234.rank, x234.dims);
        p = vt_finish(g, vt_op(g, "red", SY_OP_SUM, &in, 1, refused[r], r < 2 ? 1 : 0));
        sy_runtime *rt = NULL;
        sy_status st = vt_runtime(p, "vulkan", &rt);
        CHECK_MSG(st != SY_OK, "sum refusal case %zu ran on vulkan alone", r);
        CHECK_MSG(st == SY_OK || strstr(sy_last_error(), why[r]) != NULL, "refusal %zu: %s", r, sy_last_error());
        sy_runtime_destroy(rt);
        sy_program_destroy(p);
    }
}

// --- linear algebra ---

static void test_linear(void) {
    const shape with_bias[][3] = {
        {{2, {5, 33}}, {2, {17, 33}}, {1, {17}}},       // tiled, edge tiles
        {{2, {1, 576}}, {2, {1536, 576}}, {1, {1536}}}, // matrix-vector (decode), 4-wide loads
        {{2, {1, 33}}, {2, {70, 33}}, {1, {70}}},       // matrix-vector, K not a multiple of 4
        {{3, {2, 3, 40}}, {2, {70, 40}}, {1, {70}}},    // leading dims flatten
        {{2, {64, 96}}, {2, {48, 96}}, {1, {48}}},      // whole tiles
        {{1, {40}}, {2, {9, 40}}, {1, {9}}},            // 1-D x
    };
    for (size_t c = 0; c < sizeof with_bias / sizeof with_bias[0]; c++) {
        one_node(SY_OP_LINEAR, NULL, 0, with_bias[c], 3, 0x6, -1, 1, 1e-4f, 1e-4f); // constant W, b
        one_node(SY_OP_LINEAR, NULL, 0, with_bias[c], 2, 0x2, -1, 1, 1e-4f, 1e-4f); // no bias
    }
    one_node(SY_OP_LINEAR, NULL, 0, with_bias[0], 3, 0, -1, 1, 1e-4f, 1e-4f); // weights as inputs
}

static void test_matmul(void) {
    const shape cases[][2] = {
        {{2, {5, 7}}, {2, {7, 9}}},
        {{2, {1, 16}}, {2, {16, 40}}},          // M == 1, N contiguous
        {{4, {2, 3, 5, 7}}, {2, {7, 4}}},       // batch broadcast of b
        {{4, {3, 1, 4, 6}}, {3, {2, 6, 5}}},    // batch broadcast on both sides
        {{1, {7}}, {2, {7, 3}}},                // 1-D a
        {{2, {4, 7}}, {1, {7}}},                // 1-D b
        {{1, {7}}, {1, {7}}},                   // dot product
        {{3, {2, 33, 70}}, {3, {2, 70, 65}}},   // several tiles per batch
        {{3, {3, 1, 50}}, {3, {3, 50, 20}}},    // batched M == 1
        {{5, {2, 1, 2, 3, 4}}, {3, {2, 4, 2}}}, // batch rank 3
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        one_node(SY_OP_MATMUL, NULL, 0, cases[c], 2, 0, -1, 1, 1e-4f, 1e-4f);
}

// --- data movement ---

static void test_movement(void) {
    const shape x234 = {3, {2, 3, 4}}, x57 = {2, {5, 7}}, x2345 = {4, {2, 3, 4, 5}};
    const int64_t shp[] = {6, -1}, shp2[] = {0, 12};
    sy_attr a = vt_attr_ints("shape", shp, 2);
    one_node(SY_OP_RESHAPE, &a, 1, &x234, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("shape", shp2, 2);
    one_node(SY_OP_RESHAPE, &a, 1, &x234, 1, 0, -1, 1, 0, 0);

    const int64_t p10[] = {1, 0}, p0213[] = {0, 2, 1, 3}, p201[] = {2, 0, 1}, p3120[] = {3, 1, 2, 0};
    a = vt_attr_ints("perm", p10, 2);
    one_node(SY_OP_TRANSPOSE, &a, 1, &x57, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("perm", p0213, 4);
    one_node(SY_OP_TRANSPOSE, &a, 1, &x2345, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("perm", p3120, 4);
    one_node(SY_OP_TRANSPOSE, &a, 1, &x2345, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("perm", p201, 3);
    one_node(SY_OP_TRANSPOSE, &a, 1, &x234, 1, 0, -1, 1, 0, 0);

    const shape x38 = {2, {3, 8}};
    const int64_t sl[][4] = {{1, 1, 5, 2}, {1, -3, INT64_MAX, 1}, {0, 0, 100, 2}, {1, -100, -2, 3}, {-1, 2, 3, 1}};
    for (size_t i = 0; i < sizeof sl / sizeof sl[0]; i++) {
        sy_attr at[4] = {vt_attr_int("axis", sl[i][0]), vt_attr_int("start", sl[i][1]), vt_attr_int("end", sl[i][2]),
                         vt_attr_int("step", sl[i][3])};
        one_node(SY_OP_SLICE, at, 4, &x38, 1, 0, -1, 1, 0, 0);
    }

    const shape c1[3] = {{2, {2, 3}}, {2, {2, 1}}, {2, {2, 4}}};
    a = vt_attr_int("axis", 1);
    one_node(SY_OP_CONCAT, &a, 1, c1, 3, 0x2, -1, 1, 0, 0);
    const shape c0[2] = {{3, {1, 3, 4}}, {3, {2, 3, 4}}};
    a = vt_attr_int("axis", 0);
    one_node(SY_OP_CONCAT, &a, 1, c0, 2, 0, -1, 1, 0, 0);
    const shape c2[2] = {{3, {2, 3, 4}}, {3, {2, 3, 1}}};
    a = vt_attr_int("axis", -1);
    one_node(SY_OP_CONCAT, &a, 1, c2, 2, 0, -1, 1, 0, 0);

    const shape e31 = {2, {3, 1}}, e1 = {1, {1}};
    const int64_t to234[] = {2, 3, 4}, to5[] = {5}, keep[] = {4, -1, 6};
    a = vt_attr_ints("shape", to234, 3);
    one_node(SY_OP_EXPAND, &a, 1, &e31, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("shape", to5, 1);
    one_node(SY_OP_EXPAND, &a, 1, &e1, 1, 0, -1, 1, 0, 0);
    a = vt_attr_ints("shape", keep, 3);
    one_node(SY_OP_EXPAND, &a, 1, &e31, 1, 0, -1, 1, 0, 0);
}

static void test_embedding(void) {
    const int64_t tdims[2] = {50, 24};
    float *table = vt_random(50 * 24, -1, 1);
    const int32_t ids32[3] = {0, 49, 7};
    const int64_t ids64[6] = {3, 3, 0, 12, 49, 1};
    for (int wide = 0; wide < 2; wide++) {
        sy_graph *g = NULL;
        CHECK_OK(sy_graph_create(&g));
        const int64_t idims[2] = {2, 3}, n32[1] = {3};
        uint32_t in[2] = {vt_constant(g, "table", SY_DTYPE_F32, 2, tdims, table),
                          wide ? vt_value(g, "ids", SY_DTYPE_I64, SY_ROLE_INPUT, 2, idims, -1, 0)
                               : vt_value(g, "ids", SY_DTYPE_I32, SY_ROLE_INPUT, 1, n32, -1, 0)};
        sy_program *p = vt_finish(g, vt_op(g, "emb", SY_OP_EMBEDDING, in, 2, NULL, 0));
        vt_feed f = {.name = "ids",
                     .t = {.data = wide ? (void *)ids64 : (void *)ids32,
                           .dtype = wide ? SY_DTYPE_I64 : SY_DTYPE_I32,
                           .rank = wide ? 2 : 1}};
        memcpy(f.t.dims, wide ? idims : n32, sizeof(int64_t) * f.t.rank);
        float got[6 * 24];
        int64_t n = 0;
        CHECK_OK(vt_run(p, "vulkan", &f, 1, got, 6 * 24, &n));
        CHECK(n == (wide ? 6 : 3) * 24);
        // independent reference: rows of the table
        int ok = 1;
        for (int64_t r = 0; r < n / 24; r++) {
            int64_t id = wide ? ids64[r] : ids32[r];
            ok &= memcmp(&got[r * 24], &table[id * 24], 24 * sizeof(float)) == 0;
        }
        CHECK_MSG(ok, "embedding rows differ from the table (%s ids)", wide ? "i64" : "i32");
        sy_program_destroy(p);
    }
    free(table);
}

/// y = gather(x, idx, axis): x an f32 input, idx [n_idx] i32/i64, an input or (idx_const) a constant.
static sy_program *gather_program(uint32_t rank, const int64_t *xd, int64_t n_idx, sy_dtype idx_type, int64_t axis,
                                  int idx_const, const void *idx_data) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t id[1] = {n_idx};
    uint32_t x = vt_input(g, "x", rank, xd);
    uint32_t idx = idx_const ? vt_constant(g, "idx", idx_type, 1, id, idx_data)
                             : vt_value(g, "idx", idx_type, SY_ROLE_INPUT, 1, id, -1, 0);
    uint32_t in[2] = {x, idx};
    const sy_attr at = vt_attr_int("axis", axis);
    return vt_finish(g, vt_op(g, "pick", SY_OP_GATHER, in, 2, &at, 1));
}

static void test_gather(void) {
    typedef struct {
        shape x;
        int64_t axis;
        int64_t n_idx;
    } gcase;
    const gcase cases[] = {
        {{2, {6, 4}}, 0, 3},      //
        {{2, {3, 4}}, 1, 3},      // OPS.md's example
        {{3, {2, 3, 5}}, -2, 5},  // negative axis, repeated indices
        {{3, {2, 3, 5}}, 2, 2},   // innermost axis
        {{2, {700, 64}}, 0, 300}, // many workgroups
        {{1, {9}}, 0, 1},         // 1-D
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const gcase *gc = &cases[c];
        int64_t nx = vt_numel(gc->x.rank, gc->x.dims);
        float *x = vt_random(nx, -1, 1);
        uint32_t a = (uint32_t)(gc->axis < 0 ? gc->axis + gc->x.rank : gc->axis);
        int64_t dim = gc->x.dims[a];
        int64_t *idx64 = malloc(sizeof(int64_t) * (size_t)gc->n_idx);
        int32_t *idx32 = malloc(sizeof(int32_t) * (size_t)gc->n_idx);
        for (int64_t j = 0; j < gc->n_idx; j++) {
            idx64[j] = (j * 7 + 3) % dim; // repeats once n_idx > dim
            idx32[j] = (int32_t)idx64[j];
        }
        // independent reference: x as [outer, dim, inner], y as [outer, n_idx, inner]
        int64_t outer = 1, inner = 1;
        for (uint32_t d = 0; d < a; d++) outer *= gc->x.dims[d];
        for (uint32_t d = a + 1; d < gc->x.rank; d++) inner *= gc->x.dims[d];
        int64_t ny = outer * gc->n_idx * inner;
        float *want = malloc(sizeof(float) * (size_t)ny), *got = malloc(sizeof(float) * (size_t)ny);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < gc->n_idx; j++)
                for (int64_t i = 0; i < inner; i++)
                    want[(o * gc->n_idx + j) * inner + i] = x[(o * dim + idx64[j]) * inner + i];
        // each case runs one of: i32 input, i64 input, i64 constant (every runtime compiles its
        // pipelines, so all three for every case would only cost time)
        int variant = (int)(c % 3);
        sy_dtype type = variant == 0 ? SY_DTYPE_I32 : SY_DTYPE_I64;
        const void *data = variant == 0 ? (const void *)idx32 : (const void *)idx64;
        sy_program *p = gather_program(gc->x.rank, gc->x.dims, gc->n_idx, type, gc->axis, variant == 2, data);
        vt_feed f[2] = {vt_feed_f32("x", x, gc->x.rank, gc->x.dims),
                        {.name = "idx", .t = {.data = (void *)data, .dtype = type, .rank = 1, .dims = {gc->n_idx}}}};
        int64_t n = 0;
        CHECK_OK(vt_run(p, "vulkan", f, variant == 2 ? 1 : 2, got, ny, &n));
        CHECK_MSG(n == ny && memcmp(got, want, sizeof(float) * (size_t)ny) == 0,
                  "gather case %zu variant %d differs from the reference", c, variant);
        sy_program_destroy(p);
        free(x), free(idx64), free(idx32), free(want), free(got);
    }
}

/// A bad index fails with SY_ERR_OUT_OF_RANGE naming the node, before anything runs: the output
/// of the previous good call stays, and the next good call is right.
static void test_gather_bad_index(void) {
    const int64_t xd[2] = {3, 4};
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    for (int wide = 0; wide < 2; wide++) {
        sy_dtype type = wide ? SY_DTYPE_I64 : SY_DTYPE_I32;
        sy_program *p = gather_program(2, xd, 3, type, 1, 0, NULL);
        sy_runtime *rt = NULL;
        CHECK_OK(vt_runtime(p, "vulkan", &rt));
        if (!rt) {
            sy_program_destroy(p);
            continue;
        }
        const int64_t good[3] = {3, 0, 3}, bad[3] = {0, 4, 1}, neg[3] = {1, 2, -1}, huge[3] = {0, 0, 4294967297LL};
        const float want[9] = {3, 0, 3, 7, 4, 7, 11, 8, 11};
        int64_t calls[4][3];
        memcpy(calls[0], good, sizeof good), memcpy(calls[1], bad, sizeof bad);
        memcpy(calls[2], neg, sizeof neg), memcpy(calls[3], huge, sizeof huge);
        const char *msg[4] = {NULL, "'pick' (gather): index 4 at position 1 is out of range [0, 4) of axis 1",
                              "index -1 at position 2 is out of range [0, 4) of axis 1",
                              "index 4294967297 at position 2"};
        for (int c = 0; c < (wide ? 4 : 3); c++) {
            int32_t i32[3];
            for (int j = 0; j < 3; j++) i32[j] = (int32_t)calls[c][j];
            vt_feed f[2] = {
                vt_feed_f32("x", x, 2, xd),
                {.name = "idx",
                 .t = {.data = wide ? (void *)calls[c] : (void *)i32, .dtype = type, .rank = 1, .dims = {3}}}};
            float got[9] = {0};
            int64_t n = 0;
            sy_vulkan_debug_counters before, after;
            sy_vulkan_debug_get(&before);
            sy_status st = vt_execute(rt, f, 2, got, 9, &n);
            sy_vulkan_debug_get(&after);
            if (c == 0) {
                CHECK_OK(st);
                CHECK_MSG(n == 9 && memcmp(got, want, sizeof want) == 0, "gather [3, 0, 3] is wrong");
            } else {
                CHECK_FAILS(st, SY_ERR_OUT_OF_RANGE, msg[c]);
                CHECK_MSG(after.n_executes == before.n_executes, "a failing gather still executed on the device");
                sy_tensor y; // the output of the last good call is untouched
                CHECK_OK(sy_runtime_get_output(rt, "y", &y));
                CHECK_MSG(memcmp(y.data, want, sizeof want) == 0, "a failing gather changed the output");
            }
        }
        // the runtime still works
        const int64_t again[3] = {2, 2, 1};
        int32_t a32[3] = {2, 2, 1};
        vt_feed f[2] = {
            vt_feed_f32("x", x, 2, xd),
            {.name = "idx", .t = {.data = wide ? (void *)again : (void *)a32, .dtype = type, .rank = 1, .dims = {3}}}};
        float got[9] = {0};
        int64_t n = 0;
        CHECK_OK(vt_execute(rt, f, 2, got, 9, &n));
        const float want2[9] = {2, 2, 1, 6, 6, 5, 10, 10, 9};
        CHECK_MSG(n == 9 && memcmp(got, want2, sizeof want2) == 0, "gather after a failure is wrong");
        sy_runtime_destroy(rt);
        sy_program_destroy(p);
    }
}

// --- transformer ops ---

static void test_rope(void) {
    const int64_t xd[4] = {1, 3, 5, 16}, pd[1] = {5};
    const int64_t pos64[5] = {0, 1, 7, 100, 3000};
    const int32_t pos32[5] = {4, 5, 6, 7, 8};
    float *x = vt_random(3 * 5 * 16, -1, 1);
    for (int layout = 0; layout < 2; layout++) {
        for (int wide = 0; wide < 2; wide++) {
            sy_graph *g = NULL;
            CHECK_OK(sy_graph_create(&g));
            uint32_t in[2] = {vt_input(g, "x", 4, xd),
                              vt_value(g, "pos", wide ? SY_DTYPE_I64 : SY_DTYPE_I32, SY_ROLE_INPUT, 1, pd, -1, 0)};
            sy_attr at[2] = {vt_attr_int("layout", layout), vt_attr_float("theta", wide ? 10000.0f : 500.0f)};
            sy_program *p = vt_finish(g, vt_op(g, "rope", SY_OP_ROPE, in, 2, at, 2));
            vt_feed f[2] = {vt_feed_f32("x", x, 4, xd),
                            {.name = "pos",
                             .t = {.data = wide ? (void *)pos64 : (void *)pos32,
                                   .dtype = wide ? SY_DTYPE_I64 : SY_DTYPE_I32,
                                   .rank = 1,
                                   .dims = {5}}}};
            char what[64];
            snprintf(what, sizeof what, "rope layout %d %s positions", layout, wide ? "i64" : "i32");
            vt_compare(what, p, "vulkan", f, 2, 1e-5f, 1e-5f);
            sy_program_destroy(p);
        }
    }
    free(x);
}

static void test_sdpa(void) {
    const shape qkv[3] = {{4, {1, 4, 5, 8}}, {4, {1, 2, 7, 8}}, {4, {1, 2, 7, 6}}};           // GQA 2:1, Dv != D
    const shape more[3] = {{4, {2, 3, 130, 16}}, {4, {2, 3, 130, 16}}, {4, {2, 3, 130, 16}}}; // > 1 key chunk
    for (int causal = 0; causal < 2; causal++) {
        sy_attr at[2] = {vt_attr_int("causal", causal), vt_attr_float("scale", 0.3f)};
        one_node(SY_OP_SDPA, at, 2, qkv, 3, 0, -1, 1, 1e-4f, 1e-4f);
        one_node(SY_OP_SDPA, at, 1, more, 3, 0, -1, 1, 1e-4f, 1e-4f);
    }
    // one query row over many keys: the split decode kernels (sdpa_split + sdpa_combine)
    const shape decode[3] = {{4, {2, 4, 1, 16}}, {4, {2, 2, 700, 16}}, {4, {2, 2, 700, 12}}};
    for (int causal = 0; causal < 2; causal++) {
        const sy_attr at = vt_attr_int("causal", causal);
        one_node(SY_OP_SDPA, &at, 1, decode, 3, 0, -1, 1, 1e-4f, 1e-4f);
    }
    // more queries than keys: the first rows see no key and must be zeros, never NaN
    const shape fewer_keys[3] = {{4, {1, 1, 6, 4}}, {4, {1, 1, 3, 4}}, {4, {1, 1, 3, 4}}};
    const sy_attr causal = vt_attr_int("causal", 1);
    one_node(SY_OP_SDPA, &causal, 1, fewer_keys, 3, 0, -1, 1, 1e-4f, 1e-4f);
}

// --- programs of several nodes ---

/// x -> linear(W1, b1) -> silu -> * linear(W3) -> linear(W2) -> + x -> rms_norm -> softmax:
/// every dispatch depends on the one before, some on two (barriers), weights are constants.
static sy_program *mlp_block(int64_t t_max, int symbolic, const float *w1, const float *b1, const float *w3,
                             const float *w2, const float *nw) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t sym = 0;
    if (symbolic) CHECK_OK(sy_graph_add_symbol(g, "T", t_max, &sym));
    const int64_t xd[3] = {1, t_max, 48}, w1d[2] = {96, 48}, b1d[1] = {96}, w2d[2] = {48, 96}, nd[1] = {48};
    uint32_t x = vt_value(g, "x", SY_DTYPE_F32, SY_ROLE_INPUT, 3, xd, symbolic ? 1 : -1, sym);
    uint32_t W1 = vt_constant(g, "w1", SY_DTYPE_F32, 2, w1d, w1), B1 = vt_constant(g, "b1", SY_DTYPE_F32, 1, b1d, b1);
    uint32_t W3 = vt_constant(g, "w3", SY_DTYPE_F32, 2, w1d, w3), W2 = vt_constant(g, "w2", SY_DTYPE_F32, 2, w2d, w2);
    uint32_t NW = vt_constant(g, "nw", SY_DTYPE_F32, 1, nd, nw);
    uint32_t in3[3] = {x, W1, B1};
    uint32_t h1 = vt_op(g, "up", SY_OP_LINEAR, in3, 3, NULL, 0);
    uint32_t a1 = vt_op(g, "act", SY_OP_SILU, &h1, 1, NULL, 0);
    uint32_t in2[2] = {x, W3};
    uint32_t h3 = vt_op(g, "gate", SY_OP_LINEAR, in2, 2, NULL, 0);
    in2[0] = a1, in2[1] = h3;
    uint32_t m = vt_op(g, "mul", SY_OP_MUL, in2, 2, NULL, 0);
    in2[0] = m, in2[1] = W2;
    uint32_t d = vt_op(g, "down", SY_OP_LINEAR, in2, 2, NULL, 0);
    in2[0] = d, in2[1] = x;
    uint32_t r = vt_op(g, "res", SY_OP_ADD, in2, 2, NULL, 0);
    in2[0] = r, in2[1] = NW;
    uint32_t n = vt_op(g, "norm", SY_OP_RMS_NORM, in2, 2, NULL, 0);
    uint32_t s = vt_op(g, "soft", SY_OP_SOFTMAX, &n, 1, NULL, 0);
    return vt_finish(g, s);
}

static void test_chain(void) {
    float *w1 = vt_random(96 * 48, -0.2f, 0.2f), *b1 = vt_random(96, -0.1f, 0.1f);
    float *w3 = vt_random(96 * 48, -0.2f, 0.2f), *w2 = vt_random(48 * 96, -0.2f, 0.2f);
    float *nw = vt_random(48, 0.5f, 1.5f), *x = vt_random(8 * 48 + 8, -1, 1); // + room for shifted windows
    const int64_t xd[3] = {1, 8, 48};
    sy_program *p = mlp_block(8, 0, w1, b1, w3, w2, nw);
    vt_feed f = vt_feed_f32("x", x, 3, xd);
    vt_compare("mlp block T=8", p, "vulkan", &f, 1, 1e-5f, 1e-4f);
    sy_program_destroy(p);

    // one runtime, several sequence lengths: buffers sized at the bound, shapes per call
    p = mlp_block(8, 1, w1, b1, w3, w2, nw);
    sy_runtime *vk = NULL, *ref = NULL;
    CHECK_OK(vt_runtime(p, "vulkan", &vk));
    CHECK_OK(vt_runtime(p, "portable", &ref));
    const int64_t lens[] = {8, 3, 1, 5, 1, 8};
    for (size_t i = 0; vk && ref && i < sizeof lens / sizeof lens[0]; i++) {
        const int64_t d[3] = {1, lens[i], 48};
        vt_feed fi = vt_feed_f32("x", x + i, 3, d); // a different window each time
        float got[8 * 48], want[8 * 48];
        int64_t ng = 0, nw_ = 0;
        CHECK_OK(vt_execute(vk, &fi, 1, got, 8 * 48, &ng));
        CHECK_OK(vt_execute(ref, &fi, 1, want, 8 * 48, &nw_));
        CHECK_MSG(ng == lens[i] * 48 && ng == nw_, "T=%lld: %lld vs %lld elements", (long long)lens[i], (long long)ng,
                  (long long)nw_);
        CHECK_MSG(sy_test_allclose(got, want, (long)nw_, 1e-5f, 1e-4f, "dynamic T"), "T=%lld differs",
                  (long long)lens[i]);
    }
    sy_runtime_destroy(vk);
    sy_runtime_destroy(ref);
    sy_program_destroy(p);
    free(w1), free(b1), free(w3), free(w2), free(nw), free(x);
}

/// y = exp(sum(x * 2, axis 0, keepdim) + c) / 3: sum over a leading axis has no Vulkan kernel,
/// so "vulkan,portable" splits into vulkan | portable | vulkan with boundary copies both ways.
static void test_split(void) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t xd[2] = {4, 37}, cd[2] = {4, 1}, one[1] = {1}; // [1, 37] + [4, 1] -> [4, 37]
    const float two = 2.0f, three = 3.0f;
    float *c = vt_random(4, -1, 1), *x = vt_random(4 * 37, -1, 1);
    uint32_t X = vt_input(g, "x", 2, xd);
    uint32_t in[2] = {X, vt_constant(g, "two", SY_DTYPE_F32, 1, one, &two)};
    uint32_t m = vt_op(g, "scale", SY_OP_MUL, in, 2, NULL, 0);
    const int64_t axes[1] = {0};
    sy_attr at[2] = {vt_attr_ints("axes", axes, 1), vt_attr_int("keepdim", 1)};
    uint32_t s = vt_op(g, "sum", SY_OP_SUM, &m, 1, at, 2);
    in[0] = s, in[1] = vt_constant(g, "c", SY_DTYPE_F32, 2, cd, c);
    uint32_t a = vt_op(g, "shift", SY_OP_ADD, in, 2, NULL, 0);
    uint32_t e = vt_op(g, "exp", SY_OP_EXP, &a, 1, NULL, 0);
    in[0] = e, in[1] = vt_constant(g, "three", SY_DTYPE_F32, 1, one, &three);
    sy_program *p = vt_finish(g, vt_op(g, "div", SY_OP_DIV, in, 2, NULL, 0));
    vt_feed f = vt_feed_f32("x", x, 2, xd);
    vt_compare("vulkan|portable|vulkan split", p, "vulkan,portable", &f, 1, 1e-5f, 1e-5f);
    sy_runtime *rt = NULL;
    CHECK_OK(vt_runtime(p, "vulkan,portable", &rt));
    sy_runtime_stats stats;
    if (rt) {
        CHECK_OK(sy_runtime_get_stats(rt, &stats));
        CHECK_MSG(stats.n_partitions == 3, "%u partitions, expected vulkan|portable|vulkan", stats.n_partitions);
    }
    sy_runtime_destroy(rt);
    // alone, "vulkan" must refuse the program (strict): sum over axis 0 has no kernel
    rt = NULL;
    sy_status st = vt_runtime(p, "vulkan", &rt);
    CHECK_MSG(st != SY_OK, "a program with sum ran on vulkan alone");
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
    free(c), free(x);
}

VT_MAIN({
    RUN(test_binary);
    RUN(test_pow_negative_base);
    RUN(test_unary);
    RUN(test_softmax);
    RUN(test_rms_norm);
    RUN(test_layer_norm);
    RUN(test_reduce);
    RUN(test_linear);
    RUN(test_matmul);
    RUN(test_movement);
    RUN(test_embedding);
    RUN(test_gather);
    RUN(test_gather_bad_index);
    RUN(test_rope);
    RUN(test_sdpa);
    RUN(test_chain);
    RUN(test_split);
})
#else
VT_MAIN({})
#endif
