// Special values and empty tensors on every delegate, against the portable reference:
//  - every float elementwise op, clamp, softmax and rms_norm on NaN, +-inf, +-0, denormals and
//    large values: a delegate must give what portable gives (NaN for NaN, the same infinity, the
//    same sign of zero, denormals kept), except for the differences docs/OPS.md lists under
//    "Special values" (documented(), below, allows exactly those and nothing else);
//  - a zero-element input (a static dim of 0 is legal) runs on every configuration without
//    aborting, and gives an empty output (XNNPACK used to assert inside the library).

#include <float.h>
#include <math.h>
#include <string.h>

#include "harness.h"

enum { N = 16 };

static const float kSpecial[N] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-40f, -1e-40f, -1.0f,
                                  1.0f, 2.5f, -2.5f, 88.75f, -88.75f, 1e30f, -1e30f, 0.5f};

typedef struct special_case {
    const char *label;
    sy_op op;
    uint32_t n_in;
    sy_attr attrs[2];
    uint32_t n_attrs;
} special_case;

#define A_FLOAT(key, v) {.name = key, .type = SY_ATTR_FLOAT, .n = 1, .u.f = v}

static const special_case cases[] = {
    {"add", SY_OP_ADD, 2, {{0}}, 0},         {"sub", SY_OP_SUB, 2, {{0}}, 0},
    {"mul", SY_OP_MUL, 2, {{0}}, 0},         {"div", SY_OP_DIV, 2, {{0}}, 0},
    {"pow", SY_OP_POW, 2, {{0}}, 0},         {"maximum", SY_OP_MAXIMUM, 2, {{0}}, 0},
    {"minimum", SY_OP_MINIMUM, 2, {{0}}, 0}, {"neg", SY_OP_NEG, 1, {{0}}, 0},
    {"exp", SY_OP_EXP, 1, {{0}}, 0},         {"log", SY_OP_LOG, 1, {{0}}, 0},
    {"sqrt", SY_OP_SQRT, 1, {{0}}, 0},       {"rsqrt", SY_OP_RSQRT, 1, {{0}}, 0},
    {"sin", SY_OP_SIN, 1, {{0}}, 0},         {"cos", SY_OP_COS, 1, {{0}}, 0},
    {"tanh", SY_OP_TANH, 1, {{0}}, 0},       {"sigmoid", SY_OP_SIGMOID, 1, {{0}}, 0},
    {"silu", SY_OP_SILU, 1, {{0}}, 0},       {"gelu", SY_OP_GELU, 1, {{0}}, 0},
    {"relu", SY_OP_RELU, 1, {{0}}, 0},       {"clamp", SY_OP_CLAMP, 1, {A_FLOAT("min", -1.0f), A_FLOAT("max", 2.0f)}, 2},
    {"softmax", SY_OP_SOFTMAX, 1, {{0}}, 0}, {"rms_norm", SY_OP_RMS_NORM, 2, {{0}}, 0},
};

// x [rows, N]; a binary op's second input is [N] (the special values reversed), rms_norm's
// weight [N] of ones. rows = 0 makes the empty case.
static sy_program *build(const special_case *c, int64_t rows) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t in[2], y;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return NULL;
    sy_value_desc dx = {"x", SY_DTYPE_F32, SY_ROLE_INPUT, 2, {rows, N}, {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &dx, &in[0]));
    if (c->n_in == 2) {
        float b[N];
        for (int i = 0; i < N; i++) b[i] = c->op == SY_OP_RMS_NORM ? 1.0f : kSpecial[N - 1 - i];
        CHECK_OK(sy_graph_add_constant(g, "b", SY_DTYPE_F32, 1, (int64_t[]){N}, b, sizeof b, &in[1]));
    }
    CHECK_OK(sy_graph_add_op(g, c->label, c->op, in, c->n_in, c->attrs, c->n_attrs, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

// Runs the program on `backends`; 0 when that configuration is not available. out: [rows, N].
static int run(const sy_program *p, const char *backends, int64_t rows, const float *x, float *out) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    sy_status st = sy_runtime_create(p, cfg, &rt);
    sy_config_destroy(cfg);
    if (st != SY_OK) return 0;
    sy_tensor tx = {.data = (void *)x, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {rows, N}};
    sy_tensor ty;
    CHECK_OK(sy_runtime_set_input(rt, "x", &tx));
    CHECK_OK(sy_runtime_execute(rt));
    CHECK_OK(sy_runtime_get_output(rt, "y", &ty));
    CHECK(ty.rank == 2 && ty.dims[0] == rows);
    if (ty.data && rows > 0) memcpy(out, ty.data, sizeof(float) * (size_t)(rows * N));
    sy_runtime_destroy(rt);
    return 1;
}

// Same value class as portable: NaN for NaN, the same infinity, the same sign of zero, a
// denormal kept; finite values within a relative 1e-5 (or 1e-30 absolute, for denormals).
static int same_special(float ref, float got) {
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got);
    if (isinf(ref) || isinf(got)) return ref == got;
    if (ref == 0.0f || got == 0.0f) return ref == got && signbit(ref) == signbit(got);
    if (fpclassify(ref) == FP_SUBNORMAL) return fpclassify(got) == FP_SUBNORMAL && fabsf(ref - got) <= 1e-44f;
    return fabsf(ref - got) <= 1e-5f * fabsf(ref) + 1e-30f;
}

static int is_nan_lossy_xnn(sy_op op) {
    return op <= SY_OP_MINIMUM || op == SY_OP_SILU || op == SY_OP_SOFTMAX || op == SY_OP_RMS_NORM;
}

// The differences docs/OPS.md ("Special values") documents; d: 0 XNNPACK, 1 Vulkan.
static int documented(int d, sy_op op, float x, float ref, float got) {
    int flushed = got == 0.0f && fabsf(ref) < 1e-36f; // a tiny result flushed (FTZ)
    if (flushed) return 1;
    if (d == 0) {
        if (isnan(ref) && is_nan_lossy_xnn(op)) return 1; // NaN lost in the output clamp
        if ((op == SY_OP_SIGMOID || op == SY_OP_SILU) && fabsf(x) >= 1e30f) return 1;
        return 0;
    }
    if (fpclassify(x) == FP_SUBNORMAL) return 1; // denormal inputs may be read as 0
    if ((op == SY_OP_SIN || op == SY_OP_COS) && fabsf(x) > 8192.0f) return got >= -1.0f && got <= 1.0f;
    return 0;
}

static const char *const kDelegates[2] = {"xnnpack,portable", "vulkan,portable"};

static void test_special(void) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const special_case *c = &cases[k];
        sy_program *p = build(c, 1);
        float ref[N], got[N];
        if (!p || !run(p, "portable", 1, kSpecial, ref)) {
            CHECK_MSG(0, "%s: portable run failed", c->label);
            sy_program_destroy(p);
            continue;
        }
        for (int d = 0; d < 2; d++) {
            if (!run(p, kDelegates[d], 1, kSpecial, got)) continue;
            for (int i = 0; i < N; i++)
                CHECK_MSG(same_special(ref[i], got[i]) || documented(d, c->op, kSpecial[i], ref[i], got[i]),
                          "%s on %s: x = %g gives %g, portable %g", c->label,
                          kDelegates[d], (double)kSpecial[i], (double)got[i], (double)ref[i]);
        }
        sy_program_destroy(p);
    }
}

static void test_empty(void) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sy_program *p = build(&cases[k], 0);
        if (!p) continue;
        float none[1];
        CHECK_MSG(run(p, "portable", 0, none, none), "%s: portable refused an empty input", cases[k].label);
        for (int d = 0; d < 2; d++) run(p, kDelegates[d], 0, none, none); // must not abort
        sy_program_destroy(p);
    }
}

int main(void) {
    RUN(test_special);
    RUN(test_empty);
    return TEST_SUMMARY();
}
