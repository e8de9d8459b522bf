// Every op the XNNPACK delegate claims, run through the public runtime with backends "xnnpack"
// alone (so the node must run there) against "portable", on several shapes including NumPy
// broadcasting and rank 0. Ops whose support depends on the XNNPACK API generation are either
// compared the same way or must be refused with a reason that names xnnpack. Tolerances:
// elementwise 1e-5 abs + 1e-5 rel (XNNPACK's sigmoid/sqrt use their own approximations),
// reductions and GEMMs 1e-4 abs + 1e-4 rel (different summation order).

#include <stdlib.h>

#include "harness.h"

#if defined(SY_HAVE_XNNPACK)

#define MAX_IN 4

typedef struct spec {
    uint32_t rank;
    int64_t dims[SY_MAX_RANK];
    int constant; // 1: a constant in the program (weights)
    int positive; // 1: values in [0.1, 2.1) (log, sqrt, rsqrt, div denominators)
} spec;

static unsigned g_seed = 12345u;

static float frand(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static int64_t numel(const spec *s) {
    int64_t n = 1;
    for (uint32_t i = 0; i < s->rank; i++) n *= s->dims[i];
    return n;
}

static float *random_data(const spec *s) {
    int64_t n = numel(s);
    float *d = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) d[i] = s->positive ? 1.1f + frand() : frand() * 2.0f;
    return d;
}

// Runs `program` on `backends` with the given f32 inputs x0..x{n-1}; copies output "y" into
// out (n_out floats). Returns the status of runtime creation or execution.
static sy_status run_program(const sy_program *program, const char *backends, const char *threads,
                             const spec *in, float *const *data, uint32_t n_in, float *out, int64_t n_out) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    sy_status st = sy_config_create(&cfg);
    if (st == SY_OK) st = sy_config_set_backends(cfg, backends);
    if (st == SY_OK && threads) st = sy_config_set_option(cfg, "xnnpack", "threads", threads);
    // strict when xnnpack is alone (a failed compile must surface); fallback otherwise
    if (st == SY_OK) sy_config_set_policy(cfg, strchr(backends, ',') ? SY_POLICY_FALLBACK : SY_POLICY_STRICT);
    if (st == SY_OK) st = sy_runtime_create(program, cfg, &rt);
    sy_config_destroy(cfg);
    for (uint32_t i = 0; st == SY_OK && i < n_in; i++) {
        if (in[i].constant) continue;
        char name[8];
        snprintf(name, sizeof(name), "x%u", i);
        sy_tensor t = {.data = data[i], .dtype = SY_DTYPE_F32, .rank = in[i].rank};
        memcpy(t.dims, in[i].dims, sizeof(t.dims));
        st = sy_runtime_set_input(rt, name, &t);
    }
    if (st == SY_OK) st = sy_runtime_execute(rt);
    sy_tensor y;
    if (st == SY_OK) st = sy_runtime_get_output(rt, "y", &y);
    if (st == SY_OK) {
        CHECK(sy_tensor_numel(&y) == n_out);
        if (n_out > 0) memcpy(out, y.data, sizeof(float) * (size_t)n_out);
    }
    sy_runtime_destroy(rt);
    return st;
}

// Builds y = op(x0, ..., x{n-1}) and returns the program and the number of output elements.
static sy_program *build_one(sy_op op, const sy_attr *attrs, uint32_t n_attrs, const spec *in, uint32_t n_in,
                             float *const *data, int64_t *n_out) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t ids[MAX_IN], y;
    for (uint32_t i = 0; i < n_in; i++) {
        char name[8];
        snprintf(name, sizeof(name), "x%u", i);
        if (in[i].constant) {
            CHECK_OK(sy_graph_add_constant(g, name, SY_DTYPE_F32, in[i].rank, in[i].dims, data[i],
                                           sizeof(float) * (size_t)numel(&in[i]), &ids[i]));
        } else {
            sy_value_desc d = {.name = name, .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = in[i].rank};
            memcpy(d.dims, in[i].dims, sizeof(d.dims));
            for (int k = 0; k < SY_MAX_RANK; k++) d.sym[k] = -1;
            CHECK_OK(sy_graph_add_value(g, &d, &ids[i]));
        }
    }
    CHECK_OK(sy_graph_add_op(g, "node", op, ids, n_in, attrs, n_attrs, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    const sy_graph_view *v = sy_graph_get_view(g);
    const sy_value_info *yi = &v->values[y];
    int64_t n = 1;
    for (uint32_t i = 0; i < yi->rank; i++) n *= yi->dims[i];
    *n_out = n;
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

enum { MUST_RUN = 1, MUST_REFUSE = 0, EITHER = -1 };

// Compares op on "xnnpack" (threads=2, strict) with "portable". `expect` says whether strict
// xnnpack must accept the node, must refuse it (then "xnnpack,portable" must still run and
// match), or may do either depending on the XNNPACK API generation.
static void check_op(const char *label, sy_op op, const sy_attr *attrs, uint32_t n_attrs, const spec *in,
                     uint32_t n_in, float atol, float rtol, int expect) {
    float *data[MAX_IN];
    for (uint32_t i = 0; i < n_in; i++) data[i] = random_data(&in[i]);
    int64_t n_out = 0;
    sy_program *p = build_one(op, attrs, n_attrs, in, n_in, data, &n_out);
    if (!p) return;
    float *ref = malloc(sizeof(float) * (size_t)(n_out + 1)), *got = malloc(sizeof(float) * (size_t)(n_out + 1));
    CHECK_OK(run_program(p, "portable", NULL, in, data, n_in, ref, n_out));
    sy_status st = run_program(p, "xnnpack", "2", in, data, n_in, got, n_out);
    if (expect == MUST_RUN) CHECK_MSG(st == SY_OK, "%s: xnnpack refused: %s", label, sy_last_error());
    if (expect == MUST_REFUSE) CHECK_MSG(st != SY_OK, "%s: xnnpack accepted a node it should refuse", label);
    if (st == SY_OK) {
        CHECK_MSG(sy_test_allclose(got, ref, (long)n_out, atol, rtol, label), "%s differs from portable", label);
    } else {
        CHECK_MSG(strstr(sy_last_error(), "xnnpack") != NULL, "%s: refusal without a reason: %s", label,
                  sy_last_error());
        if (expect == EITHER) fprintf(stderr, "  note: %s stays on portable here: %s\n", label, sy_last_error());
        // the fallback configuration still runs the program, on portable
        CHECK_OK(run_program(p, "xnnpack,portable", "2", in, data, n_in, got, n_out));
        CHECK_MSG(sy_test_allclose(got, ref, (long)n_out, atol, rtol, label), "%s (fallback) differs", label);
    }
    free(ref);
    free(got);
    for (uint32_t i = 0; i < n_in; i++) free(data[i]);
    sy_program_destroy(p);
}

static sy_attr attr_int(const char *name, int64_t v) {
    sy_attr a = {.name = name, .type = SY_ATTR_INT, .n = 1};
    a.u.i = v;
    return a;
}

static sy_attr attr_float(const char *name, float v) {
    sy_attr a = {.name = name, .type = SY_ATTR_FLOAT, .n = 1};
    a.u.f = v;
    return a;
}

static sy_attr attr_ints(const char *name, const int64_t *v, uint32_t n) {
    sy_attr a = {.name = name, .type = SY_ATTR_INTS, .n = n};
    a.u.ints = v;
    return a;
}

#define S(...) {__VA_ARGS__}

static void test_binary_broadcasting(void) {
    const sy_op ops[] = {SY_OP_ADD, SY_OP_SUB, SY_OP_MUL, SY_OP_DIV, SY_OP_MAXIMUM, SY_OP_MINIMUM};
    const spec shapes[][2] = {
        {{.rank = 3, .dims = S(2, 3, 4)}, {.rank = 3, .dims = S(2, 3, 4)}},                      // same shape
        {{.rank = 3, .dims = S(2, 3, 4)}, {.rank = 1, .dims = S(4)}},                            // trailing vector
        {{.rank = 3, .dims = S(2, 1, 4)}, {.rank = 2, .dims = S(3, 1)}},                         // both sides broadcast
        {{.rank = 1, .dims = S(5)}, {.rank = 0, .dims = S(0)}},                                  // rank-0 right operand
        {{.rank = 0, .dims = S(0)}, {.rank = 2, .dims = S(2, 3)}},                               // rank-0 left operand
        {{.rank = 4, .dims = S(1, 3, 1, 2)}, {.rank = 4, .dims = S(2, 1, 5, 1)}},                // 4-D outer product
        {{.rank = 6, .dims = S(2, 1, 2, 1, 2, 3)}, {.rank = 5, .dims = S(1, 2, 1, 2, 1)}},       // rank 6
        {{.rank = 2, .dims = S(3, 8)}, {.rank = 1, .dims = S(8), .constant = 1}},                // constant operand (static)
    };
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            spec in[2] = {shapes[s][0], shapes[s][1]};
            if (ops[o] == SY_OP_DIV) in[1].positive = 1;
            char label[64];
            snprintf(label, sizeof(label), "%s shape case %zu", sy_op_name(ops[o]), s);
            check_op(label, ops[o], NULL, 0, in, 2, 1e-5f, 1e-5f, MUST_RUN);
        }
    }
}

static void test_unary(void) {
    const spec shapes[] = {{.rank = 2, .dims = S(3, 17)}, {.rank = 0, .dims = S(0)}, {.rank = 4, .dims = S(2, 3, 4, 5)}};
    const struct { sy_op op; int positive; int expect; } ops[] = {
        {SY_OP_NEG, 0, MUST_RUN},  {SY_OP_SIGMOID, 0, MUST_RUN}, {SY_OP_SQRT, 1, MUST_RUN},
        {SY_OP_RSQRT, 1, MUST_RUN}, {SY_OP_RELU, 0, MUST_RUN},   {SY_OP_SILU, 0, MUST_RUN},
        {SY_OP_TANH, 0, EITHER},   {SY_OP_EXP, 0, EITHER},      {SY_OP_LOG, 1, EITHER},
        {SY_OP_GELU, 0, EITHER},   {SY_OP_SIN, 0, EITHER},      {SY_OP_COS, 0, EITHER},
    };
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            spec in = shapes[s];
            in.positive = ops[o].positive;
            char label[64];
            snprintf(label, sizeof(label), "%s shape case %zu", sy_op_name(ops[o].op), s);
            check_op(label, ops[o].op, NULL, 0, &in, 1, 2e-5f, 2e-5f, ops[o].expect);
        }
    }
    // gelu's tanh form needs the newest unary API
    spec in = {.rank = 2, .dims = S(4, 9)};
    sy_attr approx = attr_int("approximate", 1);
    check_op("gelu tanh form", SY_OP_GELU, &approx, 1, &in, 1, 2e-5f, 2e-5f, EITHER);
    // pow has no XNNPACK node at all
    spec two[2] = {{.rank = 2, .dims = S(4, 9), .positive = 1}, {.rank = 2, .dims = S(4, 9)}};
    check_op("pow", SY_OP_POW, NULL, 0, two, 2, 1e-5f, 1e-5f, MUST_REFUSE);
}

static void test_linear_matmul(void) {
    spec lin3[3] = {{.rank = 3, .dims = S(2, 5, 16)}, {.rank = 2, .dims = S(8, 16), .constant = 1}, {.rank = 1, .dims = S(8), .constant = 1}};
    check_op("linear 3-D + bias", SY_OP_LINEAR, NULL, 0, lin3, 3, 1e-4f, 1e-4f, MUST_RUN);
    check_op("linear 3-D no bias", SY_OP_LINEAR, NULL, 0, lin3, 2, 1e-4f, 1e-4f, MUST_RUN);
    spec lin1[2] = {{.rank = 1, .dims = S(16)}, {.rank = 2, .dims = S(3, 16), .constant = 1}};
    check_op("linear 1-D input", SY_OP_LINEAR, NULL, 0, lin1, 2, 1e-4f, 1e-4f, MUST_RUN);
    spec big[2] = {{.rank = 2, .dims = S(7, 576)}, {.rank = 2, .dims = S(96, 576), .constant = 1}};
    check_op("linear 576->96", SY_OP_LINEAR, NULL, 0, big, 2, 1e-4f, 1e-4f, MUST_RUN);
    spec dyn_w[2] = {{.rank = 2, .dims = S(3, 16)}, {.rank = 2, .dims = S(8, 16)}};
    check_op("linear with a non-constant weight", SY_OP_LINEAR, NULL, 0, dyn_w, 2, 1e-4f, 1e-4f, MUST_REFUSE);
    spec mm_const[2] = {{.rank = 3, .dims = S(2, 3, 16)}, {.rank = 2, .dims = S(16, 5), .constant = 1}};
    check_op("matmul by a constant matrix", SY_OP_MATMUL, NULL, 0, mm_const, 2, 1e-4f, 1e-4f, MUST_RUN);
    spec mm_bmm[2] = {{.rank = 3, .dims = S(2, 3, 4)}, {.rank = 3, .dims = S(2, 4, 5)}};
    check_op("batched matmul of activations", SY_OP_MATMUL, NULL, 0, mm_bmm, 2, 1e-4f, 1e-4f, EITHER);
}

static void test_softmax_reshape(void) {
    spec x = {.rank = 2, .dims = S(4, 33)};
    check_op("softmax last axis", SY_OP_SOFTMAX, NULL, 0, &x, 1, 1e-5f, 1e-4f, MUST_RUN);
    spec x4 = {.rank = 4, .dims = S(2, 3, 5, 7)};
    sy_attr last = attr_int("axis", 3);
    check_op("softmax axis 3 of 4", SY_OP_SOFTMAX, &last, 1, &x4, 1, 1e-5f, 1e-4f, MUST_RUN);
    sy_attr first = attr_int("axis", 0);
    check_op("softmax axis 0", SY_OP_SOFTMAX, &first, 1, &x, 1, 1e-5f, 1e-4f, MUST_REFUSE);
    const int64_t shape[] = {-1, 4};
    sy_attr sa = attr_ints("shape", shape, 2);
    spec r = {.rank = 3, .dims = S(2, 3, 4)};
    check_op("reshape [2,3,4] -> [-1,4]", SY_OP_RESHAPE, &sa, 1, &r, 1, 0, 0, MUST_RUN);
}

static void test_reductions_norm(void) {
    spec x = {.rank = 3, .dims = S(3, 5, 32)};
    const int64_t last[] = {-1}, first[] = {0};
    sy_attr a_last[2] = {attr_ints("axes", last, 1), attr_int("keepdim", 1)};
    check_op("mean last keepdim", SY_OP_MEAN, a_last, 2, &x, 1, 1e-5f, 1e-4f, MUST_RUN);
    check_op("mean last", SY_OP_MEAN, a_last, 1, &x, 1, 1e-5f, 1e-4f, MUST_RUN);
    check_op("sum last", SY_OP_SUM, a_last, 1, &x, 1, 1e-4f, 1e-4f, MUST_RUN);
    sy_attr a_first = attr_ints("axes", first, 1);
    check_op("mean axis 0", SY_OP_MEAN, &a_first, 1, &x, 1, 1e-5f, 1e-4f, EITHER);
    spec rms[2] = {{.rank = 3, .dims = S(3, 5, 32)}, {.rank = 1, .dims = S(32), .constant = 1}};
    sy_attr eps = attr_float("eps", 1e-5f);
    check_op("rms_norm", SY_OP_RMS_NORM, &eps, 1, rms, 2, 1e-5f, 1e-4f, MUST_RUN);
    spec rms_dyn[2] = {{.rank = 2, .dims = S(4, 64)}, {.rank = 1, .dims = S(64)}};
    check_op("rms_norm input weight", SY_OP_RMS_NORM, NULL, 0, rms_dyn, 2, 1e-5f, 1e-4f, MUST_RUN);
}

static void test_data_movement(void) {
    const int64_t perm[] = {0, 2, 1, 3};
    sy_attr p = attr_ints("perm", perm, 4);
    spec x = {.rank = 4, .dims = S(2, 3, 4, 5)};
    check_op("transpose 0213", SY_OP_TRANSPOSE, &p, 1, &x, 1, 0, 0, MUST_RUN);
    const int64_t perm2[] = {1, 0};
    sy_attr p2 = attr_ints("perm", perm2, 2);
    spec m = {.rank = 2, .dims = S(37, 11)};
    check_op("transpose 2-D", SY_OP_TRANSPOSE, &p2, 1, &m, 1, 0, 0, MUST_RUN);
    sy_attr sl[4] = {attr_int("axis", 1), attr_int("start", 1), attr_int("end", -1), attr_int("step", 2)};
    spec s = {.rank = 3, .dims = S(2, 9, 3)};
    check_op("slice step 2", SY_OP_SLICE, sl, 4, &s, 1, 0, 0, MUST_RUN);
    sy_attr sl_last[3] = {attr_int("axis", -1), attr_int("start", -3)};
    spec s2 = {.rank = 2, .dims = S(4, 10)};
    check_op("slice last axis", SY_OP_SLICE, sl_last, 2, &s2, 1, 0, 0, MUST_RUN);
    sy_attr ax = attr_int("axis", 1);
    spec c[3] = {{.rank = 3, .dims = S(2, 3, 4)}, {.rank = 3, .dims = S(2, 1, 4)}, {.rank = 3, .dims = S(2, 5, 4)}};
    check_op("concat 3 inputs axis 1", SY_OP_CONCAT, &ax, 1, c, 3, 0, 0, MUST_RUN);
    sy_attr ax0 = attr_int("axis", -1);
    spec c2[2] = {{.rank = 2, .dims = S(3, 2)}, {.rank = 2, .dims = S(3, 6), .constant = 1}};
    check_op("concat last axis with a constant", SY_OP_CONCAT, &ax0, 1, c2, 2, 0, 0, MUST_RUN);
}

// rope with i64 positions, both layouts.
static void test_rope(void) {
    for (int layout = 0; layout <= 1; layout++) {
        sy_graph *g = NULL;
        sy_program *p = NULL;
        CHECK_OK(sy_graph_create(&g));
        sy_value_desc xd = {.name = "x0", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 4, .dims = {1, 3, 5, 8},
                            .sym = {-1, -1, -1, -1, -1, -1}};
        sy_value_desc pd = {.name = "pos", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 1, .dims = {5},
                            .sym = {-1, -1, -1, -1, -1, -1}};
        uint32_t ids[2], y;
        CHECK_OK(sy_graph_add_value(g, &xd, &ids[0]));
        CHECK_OK(sy_graph_add_value(g, &pd, &ids[1]));
        sy_attr attrs[2] = {attr_float("theta", 500.0f), attr_int("layout", layout)};
        CHECK_OK(sy_graph_add_op(g, "rope", SY_OP_ROPE, ids, 2, attrs, 2, &y));
        CHECK_OK(sy_graph_set_output(g, y, "y"));
        CHECK_OK(sy_program_from_graph(g, &p));
        sy_graph_destroy(g);
        float x[120], out[2][120];
        int64_t pos[5] = {0, 1, 7, 30, 1000};
        for (int i = 0; i < 120; i++) x[i] = frand();
        const char *cfgs[2] = {"portable", "xnnpack"};
        for (int c = 0; c < 2; c++) {
            sy_config *cfg = NULL;
            sy_runtime *rt = NULL;
            CHECK_OK(sy_config_create(&cfg));
            CHECK_OK(sy_config_set_backends(cfg, cfgs[c]));
            CHECK_OK(sy_runtime_create(p, cfg, &rt));
            sy_config_destroy(cfg);
            if (!rt) continue;
            sy_tensor tx = {.data = x, .dtype = SY_DTYPE_F32, .rank = 4, .dims = {1, 3, 5, 8}};
            sy_tensor tp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {5}};
            CHECK_OK(sy_runtime_set_input(rt, "x0", &tx));
            CHECK_OK(sy_runtime_set_input(rt, "pos", &tp));
            CHECK_OK(sy_runtime_execute(rt));
            sy_tensor ty;
            CHECK_OK(sy_runtime_get_output(rt, "y", &ty));
            memcpy(out[c], ty.data, sizeof(out[c]));
            sy_runtime_destroy(rt);
        }
        CHECK_MSG(sy_test_allclose(out[1], out[0], 120, 2e-5f, 1e-4f, "rope"), "rope layout %d", layout);
        sy_program_destroy(p);
    }
}

// A symbolic T: linear -> add -> silu over [1, T, 16], run with T = 3, 5, 3, 1 (the seen shape
// must reuse its plan; all must match portable).
static void test_dynamic_tokens(void) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t tsym, x, w, b, h, y, z;
    CHECK_OK(sy_graph_add_symbol(g, "T", 8, &tsym));
    sy_value_desc xd = {.name = "x0", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 3, .dims = {1, 8, 16},
                        .sym = {-1, (int32_t)tsym, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    float wd[24 * 16], bd[24];
    for (int i = 0; i < 24 * 16; i++) wd[i] = frand() * 0.3f;
    for (int i = 0; i < 24; i++) bd[i] = frand();
    const int64_t wdims[2] = {24, 16}, bdims[1] = {24};
    CHECK_OK(sy_graph_add_constant(g, "w", SY_DTYPE_F32, 2, wdims, wd, sizeof(wd), &w));
    CHECK_OK(sy_graph_add_constant(g, "b", SY_DTYPE_F32, 1, bdims, bd, sizeof(bd), &b));
    const uint32_t lin_in[3] = {x, w, b};
    CHECK_OK(sy_graph_add_op(g, "lin", SY_OP_LINEAR, lin_in, 3, NULL, 0, &h));
    const uint32_t add_in[2] = {h, b};
    CHECK_OK(sy_graph_add_op(g, "add", SY_OP_ADD, add_in, 2, NULL, 0, &z));
    CHECK_OK(sy_graph_add_op(g, "act", SY_OP_SILU, &z, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    sy_runtime *rt[2] = {NULL, NULL};
    const char *cfgs[2] = {"portable", "xnnpack"};
    for (int c = 0; c < 2; c++) {
        sy_config *cfg = NULL;
        CHECK_OK(sy_config_create(&cfg));
        CHECK_OK(sy_config_set_backends(cfg, cfgs[c]));
        CHECK_OK(sy_config_set_option(cfg, "xnnpack", "shape_cache", "2"));
        CHECK_OK(sy_runtime_create(p, cfg, &rt[c]));
        sy_config_destroy(cfg);
    }
    const int64_t steps[] = {3, 5, 3, 1, 8, 5};
    for (size_t s = 0; rt[0] && rt[1] && s < sizeof(steps) / sizeof(steps[0]); s++) {
        float xin[8 * 16], out[2][8 * 24];
        for (int i = 0; i < 8 * 16; i++) xin[i] = frand();
        sy_tensor tx = {.data = xin, .dtype = SY_DTYPE_F32, .rank = 3, .dims = {1, steps[s], 16}};
        for (int c = 0; c < 2; c++) {
            CHECK_OK(sy_runtime_set_input(rt[c], "x0", &tx));
            CHECK_OK(sy_runtime_execute(rt[c]));
            sy_tensor ty;
            CHECK_OK(sy_runtime_get_output(rt[c], "y", &ty));
            CHECK(ty.rank == 3 && ty.dims[1] == steps[s] && ty.dims[2] == 24);
            memcpy(out[c], ty.data, sizeof(float) * (size_t)(steps[s] * 24));
        }
        CHECK_MSG(sy_test_allclose(out[1], out[0], (long)(steps[s] * 24), 1e-4f, 1e-4f, "dynamic T"), "T=%lld",
                  (long long)steps[s]);
    }
    sy_runtime_destroy(rt[0]);
    sy_runtime_destroy(rt[1]);
    sy_program_destroy(p);
}

// softmax over an empty last axis: libXNNPACK cannot run empty tensors (several operators
// assert), so supports refuses them. Strict "xnnpack" fails naming the value; "xnnpack,portable"
// falls back.
static void test_rejected_shape(void) {
    spec x = {.rank = 2, .dims = S(3, 0)};
    float *data[1] = {random_data(&x)};
    int64_t n_out = 0;
    sy_program *p = build_one(SY_OP_SOFTMAX, NULL, 0, &x, 1, data, &n_out);
    if (p) {
        float out[1];
        CHECK_FAILS(run_program(p, "xnnpack", NULL, &x, data, 1, out, 0), SY_ERR_UNSUPPORTED, "has no elements (dim 1 is 0)");
        CHECK_OK(run_program(p, "xnnpack,portable", NULL, &x, data, 1, out, 0));
        sy_program_destroy(p);
    }
    free(data[0]);
}

// --- embedding, gather, expand (custom copy kernels) ---

// y = op(x0, ids) with x0 f32 (a constant when table_data is set, else an input) and "ids" an
// i32/i64 input. With `indirect` the op reads ids through a same-shape reshape (node #0, which
// xnnpack refuses for integers, so it runs on portable): the runtime checks token ids only where
// an embedding reads a program input, and this way only the delegate's kernel sees them.
static sy_program *build_indexed(sy_op op, const char *node_name, const sy_attr *attrs, uint32_t n_attrs,
                                 uint32_t x_rank, const int64_t *x_dims, const float *table_data, sy_dtype id_dtype,
                                 uint32_t id_rank, const int64_t *id_dims, int indirect) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t ids[2], y;
    if (table_data) {
        int64_t n = 1;
        for (uint32_t i = 0; i < x_rank; i++) n *= x_dims[i];
        CHECK_OK(sy_graph_add_constant(g, "x0", SY_DTYPE_F32, x_rank, x_dims, table_data, sizeof(float) * (size_t)n,
                                       &ids[0]));
    } else {
        sy_value_desc d = {.name = "x0", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = x_rank,
                           .sym = {-1, -1, -1, -1, -1, -1}};
        memcpy(d.dims, x_dims, sizeof(int64_t) * x_rank);
        CHECK_OK(sy_graph_add_value(g, &d, &ids[0]));
    }
    sy_value_desc d = {.name = "ids", .dtype = id_dtype, .role = SY_ROLE_INPUT, .rank = id_rank,
                       .sym = {-1, -1, -1, -1, -1, -1}};
    memcpy(d.dims, id_dims, sizeof(int64_t) * id_rank);
    CHECK_OK(sy_graph_add_value(g, &d, &ids[1]));
    if (indirect) {
        sy_attr shape = attr_ints("shape", id_dims, id_rank);
        CHECK_OK(sy_graph_add_op(g, "ids_view", SY_OP_RESHAPE, &ids[1], 1, &shape, 1, &ids[1]));
    }
    CHECK_OK(sy_graph_add_op(g, node_name, op, ids, 2, attrs, n_attrs, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

// A runtime on `backends` alone (strict), threads=2 for xnnpack; NULL (and a failed check) on error.
static sy_runtime *strict_runtime(const sy_program *p, const char *backends) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    if (strcmp(backends, "xnnpack") == 0) CHECK_OK(sy_config_set_option(cfg, "xnnpack", "threads", "2"));
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

// Sets x0 (unless NULL: a constant) and ids, executes; on success copies y (n_out floats) to out.
static sy_status run_indexed(sy_runtime *rt, uint32_t x_rank, const int64_t *x_dims, float *x, sy_dtype id_dtype,
                             uint32_t id_rank, const int64_t *id_dims, void *id_data, float *out, int64_t n_out) {
    sy_status st = SY_OK;
    if (x) {
        sy_tensor tx = {.data = x, .dtype = SY_DTYPE_F32, .rank = x_rank};
        memcpy(tx.dims, x_dims, sizeof(int64_t) * x_rank);
        st = sy_runtime_set_input(rt, "x0", &tx);
    }
    sy_tensor ti = {.data = id_data, .dtype = id_dtype, .rank = id_rank};
    memcpy(ti.dims, id_dims, sizeof(int64_t) * id_rank);
    if (st == SY_OK) st = sy_runtime_set_input(rt, "ids", &ti);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    sy_tensor y;
    if (st == SY_OK) st = sy_runtime_get_output(rt, "y", &y);
    if (st == SY_OK) {
        CHECK(sy_tensor_numel(&y) == n_out);
        if (n_out > 0) memcpy(out, y.data, sizeof(float) * (size_t)n_out);
    }
    return st;
}

// Stores index value v at position i of an i32 or i64 buffer.
static void put_index(void *buf, sy_dtype dt, int64_t i, int64_t v) {
    if (dt == SY_DTYPE_I32) ((int32_t *)buf)[i] = (int32_t)v;
    else ((int64_t *)buf)[i] = v;
}

// y[i, :] = table[ids[i], :] on strict xnnpack (threads 2) vs a direct reference and portable,
// bit for bit (a copy). The large case spans several ~64 KiB tasks of the pool.
static void check_embedding(const char *label, int64_t v, int64_t d, int constant, sy_dtype id_dtype, uint32_t id_rank,
                            const int64_t *id_dims) {
    const int64_t tdims[2] = {v, d};
    int64_t n = 1;
    for (uint32_t i = 0; i < id_rank; i++) n *= id_dims[i];
    float *table = malloc(sizeof(float) * (size_t)(v * d));
    for (int64_t i = 0; i < v * d; i++) table[i] = frand();
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)n); // large enough for i32 too
    for (int64_t i = 0; i < n; i++) put_index(ids, id_dtype, i, (i * 7 + 3) % v);
    float *ref = malloc(sizeof(float) * (size_t)(n * d + 1)), *got = malloc(sizeof(float) * (size_t)(n * d + 1));
    float *port = malloc(sizeof(float) * (size_t)(n * d + 1));
    for (int64_t i = 0; i < n; i++) memcpy(ref + i * d, table + ((i * 7 + 3) % v) * d, sizeof(float) * (size_t)d);
    sy_program *p = build_indexed(SY_OP_EMBEDDING, "emb", NULL, 0, 2, tdims, constant ? table : NULL, id_dtype, id_rank,
                                  id_dims, 0);
    sy_runtime *rx = p ? strict_runtime(p, "xnnpack") : NULL, *rp = p ? strict_runtime(p, "portable") : NULL;
    if (rx && rp) {
        float *x = constant ? NULL : table;
        CHECK_OK(run_indexed(rx, 2, tdims, x, id_dtype, id_rank, id_dims, ids, got, n * d));
        CHECK_OK(run_indexed(rp, 2, tdims, x, id_dtype, id_rank, id_dims, ids, port, n * d));
        CHECK_MSG(memcmp(got, ref, sizeof(float) * (size_t)(n * d)) == 0, "%s differs from table rows", label);
        CHECK_MSG(memcmp(got, port, sizeof(float) * (size_t)(n * d)) == 0, "%s differs from portable", label);
    }
    sy_runtime_destroy(rx);
    sy_runtime_destroy(rp);
    sy_program_destroy(p);
    free(table);
    free(ids);
    free(ref);
    free(got);
    free(port);
}

// index_select along `axis` of x [rank 3] with n indices idx (repeats allowed), vs a direct
// reference (x viewed as [outer, dim, inner]) and portable.
static void check_gather(const char *label, const int64_t *x_dims, int64_t axis, sy_dtype id_dtype, int64_t n,
                         int constant) {
    const uint32_t a = (uint32_t)(axis < 0 ? axis + 3 : axis);
    const int64_t dim = x_dims[a], xn = x_dims[0] * x_dims[1] * x_dims[2];
    int64_t outer = 1, inner = 1;
    for (uint32_t i = 0; i < a; i++) outer *= x_dims[i];
    for (uint32_t i = a + 1; i < 3; i++) inner *= x_dims[i];
    const int64_t n_out = outer * n * inner;
    float *x = malloc(sizeof(float) * (size_t)xn);
    for (int64_t i = 0; i < xn; i++) x[i] = frand();
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)n), *plain = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t j = 0; j < n; j++) {
        plain[j] = (j * 5 + 2) % dim;
        put_index(idx, id_dtype, j, plain[j]);
    }
    float *ref = malloc(sizeof(float) * (size_t)(n_out + 1)), *got = malloc(sizeof(float) * (size_t)(n_out + 1));
    float *port = malloc(sizeof(float) * (size_t)(n_out + 1));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t e = 0; e < inner; e++) ref[(o * n + j) * inner + e] = x[(o * dim + plain[j]) * inner + e];
    sy_attr ax = attr_int("axis", axis);
    const int64_t id_dims[1] = {n};
    sy_program *p = build_indexed(SY_OP_GATHER, "gat", &ax, 1, 3, x_dims, constant ? x : NULL, id_dtype, 1, id_dims, 0);
    sy_runtime *rx = p ? strict_runtime(p, "xnnpack") : NULL, *rp = p ? strict_runtime(p, "portable") : NULL;
    if (rx && rp) {
        float *xin = constant ? NULL : x;
        CHECK_OK(run_indexed(rx, 3, x_dims, xin, id_dtype, 1, id_dims, idx, got, n_out));
        CHECK_OK(run_indexed(rp, 3, x_dims, xin, id_dtype, 1, id_dims, idx, port, n_out));
        CHECK_MSG(memcmp(got, ref, sizeof(float) * (size_t)n_out) == 0, "%s differs from the reference", label);
        CHECK_MSG(memcmp(got, port, sizeof(float) * (size_t)n_out) == 0, "%s differs from portable", label);
    }
    sy_runtime_destroy(rx);
    sy_runtime_destroy(rp);
    sy_program_destroy(p);
    free(x);
    free(idx);
    free(plain);
    free(ref);
    free(got);
    free(port);
}

static void test_embedding_gather(void) {
    const int64_t ids23[2] = {2, 3}, ids5[1] = {5}, ids_long[2] = {1, 600};
    check_embedding("embedding const table i64 [2,3]", 20, 8, 1, SY_DTYPE_I64, 2, ids23);
    check_embedding("embedding input table i32 [5]", 20, 8, 0, SY_DTYPE_I32, 1, ids5);
    check_embedding("embedding rank-0 id", 20, 8, 1, SY_DTYPE_I64, 0, ids5);
    check_embedding("embedding 600 ids (several tasks)", 300, 64, 1, SY_DTYPE_I32, 2, ids_long);
    const int64_t x345[3] = {3, 4, 5}, big[3] = {64, 40, 8};
    check_gather("gather axis 0 i64", x345, 0, SY_DTYPE_I64, 5, 0);
    check_gather("gather axis 1 i32 const", x345, 1, SY_DTYPE_I32, 6, 1);
    check_gather("gather axis -1 i64", x345, -1, SY_DTYPE_I64, 7, 0);
    check_gather("gather no indices", x345, 1, SY_DTYPE_I32, 0, 0);
    check_gather("gather axis 1 large (several tasks)", big, 1, SY_DTYPE_I64, 100, 0);
}

// A bad id fails with SY_ERR_OUT_OF_RANGE naming the node, and the output keeps the previous
// call's values: the bad id comes after ids that would change the first rows if the kernel
// wrote while validating. The op's node must run on xnnpack: strict "xnnpack" alone, or with
// `indirect` ids (embedding: see build_indexed) "xnnpack,portable" split into two partitions.
static void check_out_of_range(sy_op op, const char *node_name, const sy_attr *attrs, uint32_t n_attrs, sy_dtype dt,
                               const int64_t *bad_ids, int64_t n_out, int indirect, const char *message) {
    const int64_t tdims[2] = {20, 4}, id_dims[1] = {5};
    float table[80], before[100], after[100], first[100];
    for (int i = 0; i < 80; i++) table[i] = (float)i;
    int64_t good[5], ids[5], zeros[5] = {0};
    const int64_t good_vals[5] = {3, 2, 1, 0, 3}; // valid for every case below, rows differ from zeros
    for (int64_t i = 0; i < 5; i++) put_index(good, dt, i, good_vals[i]);
    for (int64_t i = 0; i < 5; i++) put_index(ids, dt, i, bad_ids[i]);
    sy_program *p = build_indexed(op, node_name, attrs, n_attrs, 2, tdims, table, dt, 1, id_dims, indirect);
    sy_runtime *rt = NULL;
    if (p && indirect) {
        sy_config *cfg = NULL;
        CHECK_OK(sy_config_create(&cfg));
        CHECK_OK(sy_config_set_backends(cfg, "xnnpack,portable"));
        CHECK_OK(sy_runtime_create(p, cfg, &rt));
        sy_config_destroy(cfg);
        sy_runtime_stats stats;
        if (rt) CHECK_OK(sy_runtime_get_stats(rt, &stats));
        if (rt) CHECK_MSG(stats.n_partitions == 2, "%u partitions, expected portable + xnnpack", stats.n_partitions);
    } else if (p) {
        rt = strict_runtime(p, "xnnpack");
    }
    const size_t bytes = sizeof(float) * (size_t)n_out;
    if (rt) {
        CHECK_OK(run_indexed(rt, 2, tdims, NULL, dt, 1, id_dims, zeros, first, n_out));
        CHECK_OK(run_indexed(rt, 2, tdims, NULL, dt, 1, id_dims, good, before, n_out));
        CHECK(memcmp(first, before, bytes) != 0); // the good ids really change the output
        CHECK_FAILS(run_indexed(rt, 2, tdims, NULL, dt, 1, id_dims, ids, after, n_out), SY_ERR_OUT_OF_RANGE, message);
        sy_tensor y;
        CHECK_OK(sy_runtime_get_output(rt, "y", &y));
        CHECK_MSG(memcmp(y.data, before, bytes) == 0, "%s: a failing call wrote the output", node_name);
        // and the runtime still works afterwards
        CHECK_OK(run_indexed(rt, 2, tdims, NULL, dt, 1, id_dims, good, after, n_out));
        CHECK(memcmp(after, before, bytes) == 0);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

static void test_out_of_range(void) {
    const int64_t bad_high[5] = {0, 1, 2, 70000, 4}, bad_neg[5] = {0, 1, 2, 3, -1}, bad_axis[5] = {0, 1, 4, 2, 3};
    check_out_of_range(SY_OP_EMBEDDING, "emb", NULL, 0, SY_DTYPE_I64, bad_high, 20, 1,
                       "node #1 'emb' (embedding): token id 70000 at index 3 is out of range [0, 20)");
    check_out_of_range(SY_OP_EMBEDDING, "emb", NULL, 0, SY_DTYPE_I32, bad_neg, 20, 1,
                       "node #1 'emb' (embedding): token id -1 at index 4 is out of range [0, 20)");
    sy_attr ax0 = attr_int("axis", 0), ax1 = attr_int("axis", -1);
    check_out_of_range(SY_OP_GATHER, "gat", &ax0, 1, SY_DTYPE_I32, bad_high, 20, 0,
                       "node #0 'gat' (gather): index 70000 at position 3 is out of range [0, 20) of axis 0");
    check_out_of_range(SY_OP_GATHER, "gat", &ax1, 1, SY_DTYPE_I64, bad_axis, 100, 0,
                       "node #0 'gat' (gather): index 4 at position 2 is out of range [0, 4) of axis 1");
}

static void test_expand(void) {
    const int64_t s1[3] = {2, 3, 8}, s2[3] = {2, -1, 4}, s3[2] = {2, 2}, s4[2] = {4, 5}, s5[2] = {-1, 6},
                  s6[5] = {5, 2, 4, 3, 2}, s7[4] = {2, 0, -1, 3};
    struct {
        const char *label;
        spec x;
        const int64_t *shape;
        uint32_t n;
    } cases[] = {
        {"expand [2,1,8] -> [2,3,8]", {.rank = 3, .dims = S(2, 1, 8)}, s1, 3},
        {"expand [3,1] -> [2,3,4]", {.rank = 2, .dims = S(3, 1)}, s2, 3},
        {"expand rank 0 -> [2,2]", {.rank = 0}, s3, 2},
        {"expand [1,5] -> [4,5]", {.rank = 2, .dims = S(1, 5)}, s4, 2},
        {"expand [4,1] -> [4,6] (last axis)", {.rank = 2, .dims = S(4, 1)}, s5, 2},
        {"expand [2,1,3,1] -> [5,2,4,3,2]", {.rank = 4, .dims = S(2, 1, 3, 1)}, s6, 5},
        {"expand [1,3] -> [2,0,1,3] (empty)", {.rank = 2, .dims = S(1, 3)}, s7, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sy_attr a = attr_ints("shape", cases[i].shape, cases[i].n);
        check_op(cases[i].label, SY_OP_EXPAND, &a, 1, &cases[i].x, 1, 0, 0, MUST_RUN);
    }
    // an independent check of one case: [3,1] -> [2,3,4] repeats x[i] along the last axis
    float x[3] = {1.5f, -2.0f, 7.25f}, y[24];
    spec xs = {.rank = 2, .dims = S(3, 1)};
    float *data[1] = {x};
    int64_t n_out = 0;
    sy_attr a = attr_ints("shape", s2, 3);
    sy_program *p = build_one(SY_OP_EXPAND, &a, 1, &xs, 1, data, &n_out);
    if (p) {
        CHECK(n_out == 24);
        CHECK_OK(run_program(p, "xnnpack", "2", &xs, data, 1, y, 24));
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++) CHECK(y[(b * 3 + r) * 4 + c] == x[r]);
        sy_program_destroy(p);
    }
}

// f16 embedding / gather / expand are refused with a reason naming the dtype (strict xnnpack
// fails to create; the op name in the message shows which node was refused).
static void test_index_refusals(void) {
    const int64_t shape[3] = {2, 10, 4};
    const sy_op ops[3] = {SY_OP_EMBEDDING, SY_OP_GATHER, SY_OP_EXPAND};
    const char *needles[3] = {"(xnnpack: dtype f16 not supported (embedding needs an f32 table, or a q8_0, q4_0 or q4_1 one, and f32 output))",
                              "(xnnpack: dtype f16 not supported (gather needs f32))",
                              "(xnnpack: dtype f16 not supported)"};
    for (int k = 0; k < 3; k++) {
        sy_graph *g = NULL;
        sy_program *p = NULL;
        CHECK_OK(sy_graph_create(&g));
        uint32_t in[2], y;
        sy_value_desc td = {.name = "t", .dtype = SY_DTYPE_F16, .role = SY_ROLE_INPUT, .rank = 2, .dims = {10, 4},
                            .sym = {-1, -1, -1, -1, -1, -1}};
        sy_value_desc id = {.name = "ids", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 1, .dims = {3},
                            .sym = {-1, -1, -1, -1, -1, -1}};
        CHECK_OK(sy_graph_add_value(g, &td, &in[0]));
        CHECK_OK(sy_graph_add_value(g, &id, &in[1]));
        sy_attr a = attr_ints("shape", shape, 3);
        CHECK_OK(sy_graph_add_op(g, "n", ops[k], in, ops[k] == SY_OP_EXPAND ? 1 : 2, &a,
                                 ops[k] == SY_OP_EXPAND ? 1 : 0, &y));
        CHECK_OK(sy_graph_set_output(g, y, "y"));
        CHECK_OK(sy_program_from_graph(g, &p));
        sy_graph_destroy(g);
        sy_config *cfg = NULL;
        sy_runtime *rt = NULL;
        CHECK_OK(sy_config_create(&cfg));
        CHECK_OK(sy_config_set_backends(cfg, "xnnpack"));
        sy_config_set_policy(cfg, SY_POLICY_STRICT);
        CHECK_FAILS(sy_runtime_create(p, cfg, &rt), SY_ERR_UNSUPPORTED, needles[k]);
        CHECK(rt == NULL);
        sy_config_destroy(cfg);
        sy_program_destroy(p);
    }
}

int main(void) {
    RUN(test_binary_broadcasting);
    RUN(test_unary);
    RUN(test_linear_matmul);
    RUN(test_softmax_reshape);
    RUN(test_reductions_norm);
    RUN(test_data_movement);
    RUN(test_rope);
    RUN(test_dynamic_tokens);
    RUN(test_rejected_shape);
    RUN(test_embedding_gather);
    RUN(test_out_of_range);
    RUN(test_expand);
    RUN(test_index_refusals);
    return TEST_SUMMARY();
}

#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
