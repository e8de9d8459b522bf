// Elementwise ops (binary with broadcasting, unary, cast): shape/dtype rules and portable
// kernels. Expected values are hand-computed or come from a per-element libm formula written
// here, with explicit index arithmetic for broadcasting.

#include <stdint.h>

#include "ops_test_util.h"

// --- binary ---

static void test_add_same_shape(void) {
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {10, 20, 30, 40, 50, 60}, y[6];
    float want[6] = {11, 22, 33, 44, 55, 66};
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, a, 2, DIMS(2, 3)), tensor(SY_DTYPE_F32, b, 2, DIMS(2, 3))}, out;
    sy_node_info n = make_node(SY_OP_ADD, 2, NULL, 0);
    CHECK_OK(run(OP(ADD), &n, in, &out, y));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 2, DIMS(2, 3)));
    CHECK_ALLCLOSE(y, want, 6, 0, 0);
}

static void test_binary_ops_values(void) {
    float a[5] = {1.5f, -2, 9, 2, NAN}, b[5] = {0.5f, 4, -3, 3, 1}, y[5];
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, a, 1, DIMS(5)), tensor(SY_DTYPE_F32, b, 1, DIMS(5))}, out;
    sy_node_info n;

    n = make_node(SY_OP_SUB, 2, NULL, 0);
    CHECK_OK(run(OP(SUB), &n, in, &out, y));
    CHECK(y[0] == 1.0f && y[1] == -6.0f && y[2] == 12.0f && y[3] == -1.0f && isnan(y[4]));
    n = make_node(SY_OP_MUL, 2, NULL, 0);
    CHECK_OK(run(OP(MUL), &n, in, &out, y));
    CHECK(y[0] == 0.75f && y[1] == -8.0f && y[2] == -27.0f && y[3] == 6.0f);
    n = make_node(SY_OP_DIV, 2, NULL, 0);
    CHECK_OK(run(OP(DIV), &n, in, &out, y));
    CHECK(y[0] == 3.0f && y[1] == -0.5f && y[2] == -3.0f);
    CHECK_NEAR(y[3], 2.0 / 3.0, 1e-7);
    n = make_node(SY_OP_POW, 2, NULL, 0);
    CHECK_OK(run(OP(POW), &n, in, &out, y));
    CHECK_NEAR(y[0], sqrt(1.5), 1e-6);
    CHECK_NEAR(y[1], 16.0, 1e-6);
    CHECK_NEAR(y[2], 1.0 / 729.0, 1e-9);
    CHECK_NEAR(y[3], 8.0, 1e-6);
    // maximum/minimum propagate NaN (torch.maximum), which fmaxf would not.
    n = make_node(SY_OP_MAXIMUM, 2, NULL, 0);
    CHECK_OK(run(OP(MAXIMUM), &n, in, &out, y));
    CHECK(y[0] == 1.5f && y[1] == 4.0f && y[2] == 9.0f && y[3] == 3.0f && isnan(y[4]));
    n = make_node(SY_OP_MINIMUM, 2, NULL, 0);
    CHECK_OK(run(OP(MINIMUM), &n, in, &out, y));
    CHECK(y[0] == 0.5f && y[1] == -2.0f && y[2] == -3.0f && y[3] == 2.0f && isnan(y[4]));
    float c = NAN, d = 1.0f; // NaN in the second operand too
    sy_tensor in2[2] = {tensor(SY_DTYPE_F32, &d, 0, NULL), tensor(SY_DTYPE_F32, &c, 0, NULL)};
    n = make_node(SY_OP_MAXIMUM, 2, NULL, 0);
    CHECK_OK(run(OP(MAXIMUM), &n, in2, &out, y));
    CHECK(out.rank == 0 && isnan(y[0]));
}

// a [2,3,4] against a rank-0 scalar and a rank-1 [4]; a [2,1,4] against b [3,1] (size-1 dims on
// both sides); the expected values index each operand explicitly.
static void test_broadcasting(void) {
    float a[24], y[24], s = 0.5f, v[4] = {1, -1, 2, -2};
    for (int i = 0; i < 24; i++) a[i] = (float)i;
    sy_tensor out;
    sy_node_info n = make_node(SY_OP_ADD, 2, NULL, 0);

    sy_tensor in_s[2] = {tensor(SY_DTYPE_F32, &s, 0, NULL), tensor(SY_DTYPE_F32, a, 3, DIMS(2, 3, 4))};
    CHECK_OK(run(OP(ADD), &n, in_s, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 3, 4)));
    int ok = 1;
    for (int i = 0; i < 24; i++) ok &= y[i] == 0.5f + (float)i;
    CHECK(ok);

    n = make_node(SY_OP_MUL, 2, NULL, 0);
    sy_tensor in_v[2] = {tensor(SY_DTYPE_F32, a, 3, DIMS(2, 3, 4)), tensor(SY_DTYPE_F32, v, 1, DIMS(4))};
    CHECK_OK(run(OP(MUL), &n, in_v, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 3, 4)));
    ok = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) ok &= y[(i * 3 + j) * 4 + k] == a[(i * 3 + j) * 4 + k] * v[k];
    CHECK(ok);

    float p[8], q[3] = {100, 200, 300};
    for (int i = 0; i < 8; i++) p[i] = (float)i;
    n = make_node(SY_OP_SUB, 2, NULL, 0);
    sy_tensor in_pq[2] = {tensor(SY_DTYPE_F32, p, 3, DIMS(2, 1, 4)), tensor(SY_DTYPE_F32, q, 2, DIMS(3, 1))};
    CHECK_OK(run(OP(SUB), &n, in_pq, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 3, 4)));
    ok = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) ok &= y[(i * 3 + j) * 4 + k] == p[i * 4 + k] - q[j];
    CHECK(ok);

    // [3,1] against [1,4] (outer product shape) and rank-2 against rank-4 with a middle broadcast.
    float r[4] = {1, 2, 3, 4}, z[3 * 2 * 1 * 4];
    float m[6] = {1, 2, 3, 4, 5, 6}; // [3,2,1,1]
    n = make_node(SY_OP_MUL, 2, NULL, 0);
    sy_tensor in_mr[2] = {tensor(SY_DTYPE_F32, m, 4, DIMS(3, 2, 1, 1)), tensor(SY_DTYPE_F32, r, 2, DIMS(1, 4))};
    CHECK_OK(run(OP(MUL), &n, in_mr, &out, z));
    CHECK(shape_is(&out, 4, DIMS(3, 2, 1, 4)));
    ok = 1;
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++) ok &= z[i * 4 + k] == m[i] * r[k];
    CHECK(ok);
}

static void test_binary_ints(void) {
    int32_t a[6] = {1, -2, 3, INT32_MAX, 5, -6}, b[3] = {10, 1, -3}, y[6];
    sy_tensor in[2] = {tensor(SY_DTYPE_I32, a, 2, DIMS(2, 3)), tensor(SY_DTYPE_I32, b, 1, DIMS(3))}, out;
    sy_node_info n = make_node(SY_OP_ADD, 2, NULL, 0);
    CHECK_OK(run(OP(ADD), &n, in, &out, y));
    CHECK(out.dtype == SY_DTYPE_I32);
    // INT32_MAX + 10 wraps (two's complement) rather than being undefined.
    CHECK(y[0] == 11 && y[1] == -1 && y[2] == 0 && y[3] == INT32_MIN + 9 && y[4] == 6 && y[5] == -9);
    n = make_node(SY_OP_MAXIMUM, 2, NULL, 0);
    CHECK_OK(run(OP(MAXIMUM), &n, in, &out, y));
    CHECK(y[0] == 10 && y[1] == 1 && y[2] == 3 && y[3] == INT32_MAX && y[4] == 5 && y[5] == -3);
    n = make_node(SY_OP_MINIMUM, 2, NULL, 0);
    CHECK_OK(run(OP(MINIMUM), &n, in, &out, y));
    CHECK(y[0] == 1 && y[1] == -2 && y[2] == -3 && y[3] == 10 && y[4] == 1 && y[5] == -6);

    int64_t c[2] = {3000000000LL, -7}, d = 3, z[2];
    sy_tensor in64[2] = {tensor(SY_DTYPE_I64, c, 1, DIMS(2)), tensor(SY_DTYPE_I64, &d, 0, NULL)};
    n = make_node(SY_OP_MUL, 2, NULL, 0);
    CHECK_OK(run(OP(MUL), &n, in64, &out, z));
    CHECK(out.dtype == SY_DTYPE_I64 && z[0] == 9000000000LL && z[1] == -21);
    n = make_node(SY_OP_SUB, 2, NULL, 0);
    CHECK_OK(run(OP(SUB), &n, in64, &out, z));
    CHECK(z[0] == 2999999997LL && z[1] == -10);
}

// f16/bf16 storage: expected = the op on the stored (rounded) inputs in f32, then rounded to
// storage. Tolerance: one unit in the last place of the output (2^-10 relative for f16,
// 2^-7 for bf16), to allow for the reference's own rounding.
static void test_binary_half(void) {
    const sy_dtype dts[2] = {SY_DTYPE_F16, SY_DTYPE_BF16};
    for (int t = 0; t < 2; t++) {
        sy_dtype dt = dts[t];
        float rel = dt == SY_DTYPE_F16 ? 1.0f / 1024 : 1.0f / 128;
        uint16_t a[12], b[4], y[12];
        float af[12], bf[4];
        for (int i = 0; i < 12; i++) {
            a[i] = to_half(dt, 0.37f * (float)i - 2.1f);
            af[i] = from_half(dt, a[i]);
        }
        for (int i = 0; i < 4; i++) {
            b[i] = to_half(dt, 1.3f + 0.71f * (float)i);
            bf[i] = from_half(dt, b[i]);
        }
        sy_tensor in[2] = {tensor(dt, a, 3, DIMS(3, 1, 4)), tensor(dt, b, 2, DIMS(1, 4))}, out;
        const sy_op ops[3] = {SY_OP_MUL, SY_OP_DIV, SY_OP_ADD};
        const sy_portable_kernel_fn kernels[3] = {sy_portable_MUL, sy_portable_DIV, sy_portable_ADD};
        const sy_infer_fn rules[3] = {sy_infer_MUL, sy_infer_DIV, sy_infer_ADD};
        for (int o = 0; o < 3; o++) {
            sy_node_info n = make_node(ops[o], 2, NULL, 0);
            CHECK_OK(run(rules[o], kernels[o], &n, in, &out, y));
            CHECK(out.dtype == dt && shape_is(&out, 3, DIMS(3, 1, 4)));
            float got[12], want[12];
            for (int i = 0; i < 12; i++) {
                float x = af[i], z = bf[i % 4];
                got[i] = from_half(dt, y[i]);
                want[i] = o == 0 ? x * z : o == 1 ? x / z : x + z;
            }
            CHECK_ALLCLOSE(got, want, 12, 1e-3f, rel);
        }
    }
}

// --- unary ---

static double ref_unary(sy_op op, double x, int approximate) {
    switch (op) {
    case SY_OP_NEG: return -x;
    case SY_OP_EXP: return exp(x);
    case SY_OP_LOG: return log(x);
    case SY_OP_SQRT: return sqrt(x);
    case SY_OP_RSQRT: return 1.0 / sqrt(x);
    case SY_OP_SIN: return sin(x);
    case SY_OP_COS: return cos(x);
    case SY_OP_TANH: return tanh(x);
    case SY_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case SY_OP_SILU: return x / (1.0 + exp(-x));
    case SY_OP_RELU: return x > 0 ? x : 0;
    case SY_OP_GELU:
        if (approximate) return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
        return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    default: return NAN;
    }
}

typedef struct unary_case {
    sy_op op;
    sy_infer_fn rule;
    sy_portable_kernel_fn kernel;
    int positive_only; // log, sqrt, rsqrt
} unary_case;

static const unary_case unary_cases[] = {
    {SY_OP_NEG, OP(NEG), 0},   {SY_OP_EXP, OP(EXP), 0},         {SY_OP_LOG, OP(LOG), 1},
    {SY_OP_SQRT, OP(SQRT), 1}, {SY_OP_RSQRT, OP(RSQRT), 1},     {SY_OP_SIN, OP(SIN), 0},
    {SY_OP_COS, OP(COS), 0},   {SY_OP_TANH, OP(TANH), 0},       {SY_OP_SIGMOID, OP(SIGMOID), 0},
    {SY_OP_SILU, OP(SILU), 0}, {SY_OP_RELU, OP(RELU), 0},       {SY_OP_GELU, OP(GELU), 0},
};
#define N_UNARY_CASES (sizeof unary_cases / sizeof unary_cases[0])

static void test_unary_f32(void) {
    enum { N = 41 };
    float x[N], y[N], want[N];
    for (size_t c = 0; c < N_UNARY_CASES; c++) {
        const unary_case *uc = &unary_cases[c];
        for (int i = 0; i < N; i++) // [-8, 8], or (0.05, 16] for the positive-only ops
            x[i] = uc->positive_only ? 0.05f + 0.4f * (float)i : -8.0f + 0.4f * (float)i;
        for (int approximate = 0; approximate <= (uc->op == SY_OP_GELU); approximate++) {
            sy_attr at = attr_int("approximate", approximate);
            sy_node_info n = make_node(uc->op, 1, &at, uc->op == SY_OP_GELU);
            sy_tensor in = tensor(SY_DTYPE_F32, x, 2, DIMS(1, N)), out;
            CHECK_OK(run(uc->rule, uc->kernel, &n, &in, &out, y));
            CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 2, DIMS(1, N)));
            for (int i = 0; i < N; i++) want[i] = (float)ref_unary(uc->op, x[i], approximate);
            CHECK_MSG(sy_test_allclose(y, want, N, 1e-6f, 1e-5f, sy_op_name(uc->op)), "%s approximate=%d",
                      sy_op_name(uc->op), approximate);
        }
    }
    // Large |x|: sigmoid saturates without NaN, silu(-100) ~ 0, relu keeps NaN.
    float big[3] = {-100.0f, 100.0f, NAN}, z[3];
    sy_tensor in = tensor(SY_DTYPE_F32, big, 1, DIMS(3)), out;
    sy_node_info n = make_node(SY_OP_SIGMOID, 1, NULL, 0);
    CHECK_OK(run(OP(SIGMOID), &n, &in, &out, z));
    CHECK(z[0] >= 0.0f && z[0] < 1e-40f && z[1] == 1.0f);
    n = make_node(SY_OP_SILU, 1, NULL, 0);
    CHECK_OK(run(OP(SILU), &n, &in, &out, z));
    CHECK(fabsf(z[0]) < 1e-30f && z[1] == 100.0f);
    n = make_node(SY_OP_RELU, 1, NULL, 0);
    CHECK_OK(run(OP(RELU), &n, &in, &out, z));
    CHECK(z[0] == 0.0f && z[1] == 100.0f && isnan(z[2]));
}

// f16/bf16: the reference runs on the rounded inputs; tolerance 2 ulp of the storage type.
static void test_unary_half(void) {
    const sy_dtype dts[2] = {SY_DTYPE_F16, SY_DTYPE_BF16};
    enum { N = 17 };
    for (int t = 0; t < 2; t++) {
        sy_dtype dt = dts[t];
        float rel = dt == SY_DTYPE_F16 ? 2.0f / 1024 : 2.0f / 128;
        for (size_t c = 0; c < N_UNARY_CASES; c++) {
            const unary_case *uc = &unary_cases[c];
            uint16_t x[N], y[N];
            float xf[N], got[N], want[N];
            for (int i = 0; i < N; i++) {
                x[i] = to_half(dt, uc->positive_only ? 0.1f + 0.3f * (float)i : -3.0f + 0.37f * (float)i);
                xf[i] = from_half(dt, x[i]);
            }
            sy_node_info n = make_node(uc->op, 1, NULL, 0);
            sy_tensor in = tensor(dt, x, 1, DIMS(N)), out;
            CHECK_OK(run(uc->rule, uc->kernel, &n, &in, &out, y));
            CHECK(out.dtype == dt);
            for (int i = 0; i < N; i++) {
                got[i] = from_half(dt, y[i]);
                want[i] = (float)ref_unary(uc->op, xf[i], 0);
            }
            CHECK_MSG(sy_test_allclose(got, want, N, 2e-3f, rel, sy_op_name(uc->op)), "%s %s",
                      sy_op_name(uc->op), sy_dtype_name(dt));
        }
    }
}

static void test_unary_ints(void) {
    int32_t a[4] = {5, -3, 0, INT32_MIN}, y[4];
    sy_tensor in = tensor(SY_DTYPE_I32, a, 1, DIMS(4)), out;
    sy_node_info n = make_node(SY_OP_NEG, 1, NULL, 0);
    CHECK_OK(run(OP(NEG), &n, &in, &out, y));
    CHECK(out.dtype == SY_DTYPE_I32 && y[0] == -5 && y[1] == 3 && y[2] == 0 && y[3] == INT32_MIN); // wraps
    n = make_node(SY_OP_RELU, 1, NULL, 0);
    CHECK_OK(run(OP(RELU), &n, &in, &out, y));
    CHECK(y[0] == 5 && y[1] == 0 && y[2] == 0 && y[3] == 0);
    int64_t b[3] = {-4000000000LL, 7, 0}, z[3];
    in = tensor(SY_DTYPE_I64, b, 2, DIMS(3, 1));
    n = make_node(SY_OP_NEG, 1, NULL, 0);
    CHECK_OK(run(OP(NEG), &n, &in, &out, z));
    CHECK(out.dtype == SY_DTYPE_I64 && shape_is(&out, 2, DIMS(3, 1)) && z[0] == 4000000000LL && z[1] == -7);
    n = make_node(SY_OP_RELU, 1, NULL, 0);
    CHECK_OK(run(OP(RELU), &n, &in, &out, z));
    CHECK(z[0] == 0 && z[1] == 7 && z[2] == 0);
}

// --- cast ---

static void test_cast(void) {
    sy_attr at;
    sy_node_info n;
    sy_tensor in, out;

    float f[8] = {2.7f, -2.7f, 0.0f, 3e9f, -3e9f, NAN, 0.5f, -0.0f};
    int32_t i32[8];
    at = attr_int("dtype", SY_DTYPE_I32);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_F32, f, 2, DIMS(2, 4));
    CHECK_OK(run(OP(CAST), &n, &in, &out, i32));
    CHECK(out.dtype == SY_DTYPE_I32 && shape_is(&out, 2, DIMS(2, 4)));
    // truncation toward zero; out of range saturates; NaN -> 0
    CHECK(i32[0] == 2 && i32[1] == -2 && i32[2] == 0 && i32[3] == INT32_MAX && i32[4] == INT32_MIN &&
          i32[5] == 0 && i32[6] == 0 && i32[7] == 0);

    int64_t i64[8];
    at = attr_int("dtype", SY_DTYPE_I64);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_OK(run(OP(CAST), &n, &in, &out, i64));
    CHECK(i64[0] == 2 && i64[1] == -2 && i64[3] == 3000000000LL && i64[4] == -3000000000LL && i64[5] == 0);

    uint8_t u8[8], bl[8];
    at = attr_int("dtype", SY_DTYPE_U8);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_OK(run(OP(CAST), &n, &in, &out, u8));
    CHECK(u8[0] == 2 && u8[1] == 0 && u8[3] == 255 && u8[4] == 0 && u8[5] == 0);
    at = attr_int("dtype", SY_DTYPE_BOOL);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_OK(run(OP(CAST), &n, &in, &out, bl));
    CHECK(out.dtype == SY_DTYPE_BOOL);
    CHECK(bl[0] == 1 && bl[1] == 1 && bl[2] == 0 && bl[3] == 1 && bl[5] == 1 && bl[6] == 1 && bl[7] == 0);

    // bool/int -> float exact; int -> bool is != 0; i64 -> i32 wraps
    int64_t big[4] = {16777216LL, -5, 0, 0x100000005LL};
    float g[4];
    at = attr_int("dtype", SY_DTYPE_F32);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_I64, big, 1, DIMS(4));
    CHECK_OK(run(OP(CAST), &n, &in, &out, g));
    CHECK(g[0] == 16777216.0f && g[1] == -5.0f && g[2] == 0.0f);
    at = attr_int("dtype", SY_DTYPE_I32);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_OK(run(OP(CAST), &n, &in, &out, i32));
    CHECK(i32[0] == 16777216 && i32[1] == -5 && i32[3] == 5);
    at = attr_int("dtype", SY_DTYPE_BOOL);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_OK(run(OP(CAST), &n, &in, &out, bl));
    CHECK(bl[0] == 1 && bl[1] == 1 && bl[2] == 0 && bl[3] == 1);
    uint8_t mask[3] = {1, 0, 1};
    at = attr_int("dtype", SY_DTYPE_F16);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_BOOL, mask, 1, DIMS(3));
    uint16_t h[3];
    CHECK_OK(run(OP(CAST), &n, &in, &out, h));
    CHECK(out.dtype == SY_DTYPE_F16 && h[0] == 0x3c00 && h[1] == 0 && h[2] == 0x3c00); // 1.0, 0.0, 1.0

    // f32 -> bf16 rounds to nearest even; bf16 -> f16 -> f32 keeps representable values.
    float r[3] = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256, -1.5f}; // halfway cases and an exact one
    uint16_t b16[3], f16[3];
    at = attr_int("dtype", SY_DTYPE_BF16);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_F32, r, 1, DIMS(3));
    CHECK_OK(run(OP(CAST), &n, &in, &out, b16));
    CHECK(b16[0] == 0x3f80 && b16[1] == 0x3f82 && b16[2] == 0xbfc0);
    at = attr_int("dtype", SY_DTYPE_F16);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_BF16, b16, 1, DIMS(3));
    CHECK_OK(run(OP(CAST), &n, &in, &out, f16));
    CHECK(sy_f16_to_f32(f16[0]) == 1.0f && sy_f16_to_f32(f16[1]) == 1.015625f && sy_f16_to_f32(f16[2]) == -1.5f);

    // same dtype: a plain copy
    float s[2] = {1.25f, -3.5f}, sc[2];
    at = attr_int("dtype", SY_DTYPE_F32);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    in = tensor(SY_DTYPE_F32, s, 1, DIMS(2));
    CHECK_OK(run(OP(CAST), &n, &in, &out, sc));
    CHECK(sc[0] == 1.25f && sc[1] == -3.5f);
}

// --- rule failures ---

static void test_rule_failures(void) {
    float a[6] = {0};
    uint16_t h[6] = {0};
    int32_t i[6] = {0};
    sy_tensor out = {0};
    out.rank = 5;
    out.dims[0] = 99;
    sy_node_info n = make_node(SY_OP_ADD, 2, NULL, 0);

    sy_tensor mixed[2] = {tensor(SY_DTYPE_F32, a, 1, DIMS(6)), tensor(SY_DTYPE_F16, h, 1, DIMS(6))};
    CHECK_FAILS(sy_infer_ADD(&n, mixed, &out), SY_ERR_DTYPE, "input #1 has dtype f16 but input #0 has f32");
    CHECK(out.rank == 5 && out.dims[0] == 99); // untouched on failure

    sy_tensor bad[2] = {tensor(SY_DTYPE_F32, a, 2, DIMS(2, 3)), tensor(SY_DTYPE_F32, a, 2, DIMS(3, 2))};
    CHECK_FAILS(sy_infer_ADD(&n, bad, &out), SY_ERR_SHAPE, "[2,3] and [3,2] do not broadcast");
    CHECK_FAILS(sy_infer_ADD(&n, bad, &out), SY_ERR_SHAPE, "inputs #0 and #1");
    sy_tensor bad3[2] = {tensor(SY_DTYPE_F32, a, 3, DIMS(2, 3, 4)), tensor(SY_DTYPE_F32, a, 1, DIMS(3))};
    CHECK_FAILS(sy_infer_MUL(&n, bad3, &out), SY_ERR_SHAPE, "do not broadcast");

    sy_tensor ints[2] = {tensor(SY_DTYPE_I32, i, 1, DIMS(6)), tensor(SY_DTYPE_I32, i, 1, DIMS(6))};
    n = make_node(SY_OP_DIV, 2, NULL, 0);
    CHECK_FAILS(sy_infer_DIV(&n, ints, &out), SY_ERR_DTYPE, "input #0 has dtype i32; div accepts f32, f16 or bf16");
    n = make_node(SY_OP_POW, 2, NULL, 0);
    CHECK_FAILS(sy_infer_POW(&n, ints, &out), SY_ERR_DTYPE, "pow accepts");
    sy_tensor bools[2] = {tensor(SY_DTYPE_BOOL, i, 1, DIMS(6)), tensor(SY_DTYPE_BOOL, i, 1, DIMS(6))};
    n = make_node(SY_OP_ADD, 2, NULL, 0);
    CHECK_FAILS(sy_infer_ADD(&n, bools, &out), SY_ERR_DTYPE, "add accepts f32, f16, bf16, i32 or i64");

    n = make_node(SY_OP_EXP, 1, NULL, 0);
    CHECK_FAILS(sy_infer_EXP(&n, ints, &out), SY_ERR_DTYPE, "input #0 has dtype i32; exp accepts");
    n = make_node(SY_OP_NEG, 1, NULL, 0);
    CHECK_FAILS(sy_infer_NEG(&n, bools, &out), SY_ERR_DTYPE, "neg accepts");

    sy_attr at = attr_int("approximate", 2);
    n = make_node(SY_OP_GELU, 1, &at, 1);
    CHECK_FAILS(sy_infer_GELU(&n, mixed, &out), SY_ERR_INVALID_ARGUMENT, "'approximate'");
    at = attr_float("approximate", 1.0f);
    CHECK_FAILS(sy_infer_GELU(&n, mixed, &out), SY_ERR_INVALID_ARGUMENT, "'approximate' must be of type int");

    n = make_node(SY_OP_CAST, 1, NULL, 0);
    CHECK_FAILS(sy_infer_CAST(&n, mixed, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'dtype'");
    at = attr_int("dtype", 99);
    n = make_node(SY_OP_CAST, 1, &at, 1);
    CHECK_FAILS(sy_infer_CAST(&n, mixed, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'dtype' 99 is not a plain dtype");
    at = attr_int("dtype", SY_DTYPE_INVALID);
    CHECK_FAILS(sy_infer_CAST(&n, mixed, &out), SY_ERR_INVALID_ARGUMENT, "'dtype'");
    CHECK(out.rank == 5 && out.dims[0] == 99);
}

// clamp: hand-computed bounds, defaults from the op record (-inf / +inf), NaN kept, -0 kept,
// f16 storage, and the rule's refusals.
static void test_clamp(void) {
    float x[6] = {-3.0f, -0.0f, 0.25f, 7.0f, NAN, INFINITY}, y[6];
    sy_tensor in = tensor(SY_DTYPE_F32, x, 1, DIMS(6)), out;
    sy_attr both[2] = {attr_float("min", -1.0f), attr_float("max", 2.0f)};
    sy_node_info n = make_node(SY_OP_CLAMP, 1, both, 2);
    CHECK_OK(run(OP(CLAMP), &n, &in, &out, y));
    CHECK(y[0] == -1.0f && y[1] == 0.0f && signbit(y[1]) && y[2] == 0.25f && y[3] == 2.0f && isnan(y[4]) &&
          y[5] == 2.0f);
    sy_attr lo = attr_float("min", 0.0f);
    n = make_node(SY_OP_CLAMP, 1, &lo, 1); // max defaults to +inf
    CHECK_OK(run(OP(CLAMP), &n, &in, &out, y));
    CHECK(y[0] == 0.0f && signbit(y[1]) && y[3] == 7.0f && isnan(y[4]) && isinf(y[5]));
    n = make_node(SY_OP_CLAMP, 1, NULL, 0); // both defaults: the identity
    CHECK_OK(run(OP(CLAMP), &n, &in, &out, y));
    CHECK(y[0] == -3.0f && y[3] == 7.0f && isinf(y[5]));
    uint16_t h[2] = {sy_f32_to_f16(-5.0f), sy_f32_to_f16(1.5f)}, hy[2];
    sy_tensor hin = tensor(SY_DTYPE_F16, h, 1, DIMS(2));
    n = make_node(SY_OP_CLAMP, 1, both, 2);
    CHECK_OK(run(OP(CLAMP), &n, &hin, &out, hy));
    CHECK(out.dtype == SY_DTYPE_F16 && sy_f16_to_f32(hy[0]) == -1.0f && sy_f16_to_f32(hy[1]) == 1.5f);

    sy_attr bad[2] = {attr_float("min", 2.0f), attr_float("max", 1.0f)};
    n = make_node(SY_OP_CLAMP, 1, bad, 2);
    CHECK_FAILS(sy_infer_CLAMP(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'min' (2) is greater than 'max' (1)");
    bad[0] = attr_float("min", NAN);
    CHECK_FAILS(sy_infer_CLAMP(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "must not be NaN");
    bad[0] = attr_int("min", 0);
    CHECK_FAILS(sy_op_check_attrs(&n), SY_ERR_INVALID_ARGUMENT, "attribute 'min' must be of type float, not int");
    int32_t ints[2] = {1, 2};
    sy_tensor iin = tensor(SY_DTYPE_I32, ints, 1, DIMS(2));
    n = make_node(SY_OP_CLAMP, 1, NULL, 0);
    CHECK_FAILS(sy_infer_CLAMP(&n, &iin, &out), SY_ERR_DTYPE, "clamp accepts f32, f16 or bf16");
    CHECK(sy_op_format_minor(SY_OP_CLAMP) == 1 && sy_op_format_minor(SY_OP_SDPA_WITH_KV_CACHE) == 0);
    // Rules read attributes through the record: an undeclared one is an internal error, and the
    // defaults are the record's.
    int64_t iv = 0;
    CHECK_FAILS(sy_op_attr_get_int(&n, "axis", &iv), SY_ERR_INTERNAL, "op clamp: attribute 'axis' is not declared");
    CHECK(isinf(sy_op_attr_float(&n, "min")) && sy_op_attr_float(&n, "min") < 0 && isinf(sy_op_attr_float(&n, "max")));
    sy_node_info rms = make_node(SY_OP_RMS_NORM, 2, NULL, 0);
    CHECK(fabs(sy_op_attr_float(&rms, "eps") - 1e-6) < 1e-12);
}

int main(void) {
    RUN(test_add_same_shape);
    RUN(test_binary_ops_values);
    RUN(test_broadcasting);
    RUN(test_binary_ints);
    RUN(test_binary_half);
    RUN(test_unary_f32);
    RUN(test_unary_half);
    RUN(test_unary_ints);
    RUN(test_cast);
    RUN(test_clamp);
    RUN(test_rule_failures);
    return TEST_SUMMARY();
}
