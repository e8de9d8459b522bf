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

// softmax over an empty last axis: XNNPACK's runtime creation rejects it. Strict "xnnpack"
// fails at runtime creation with XNNPACK's status named; "xnnpack,portable" falls back.
static void test_rejected_shape(void) {
    spec x = {.rank = 2, .dims = S(3, 0)};
    float *data[1] = {random_data(&x)};
    int64_t n_out = 0;
    sy_program *p = build_one(SY_OP_SOFTMAX, NULL, 0, &x, 1, data, &n_out);
    if (p) {
        float out[1];
        CHECK_FAILS(run_program(p, "xnnpack", NULL, &x, data, 1, out, 0), SY_ERR_DELEGATE, "xnn_status_invalid_parameter");
        CHECK_OK(run_program(p, "xnnpack,portable", NULL, &x, data, 1, out, 0));
        sy_program_destroy(p);
    }
    free(data[0]);
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
    return TEST_SUMMARY();
}

#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
