// softmax, rms_norm, layer_norm: shape/dtype rules and portable kernels, against hand-computed
// values and per-row formulas written here in double.

#include <stdint.h>

#include "ops_test_util.h"

// --- softmax ---

static void test_softmax_hand(void) {
    float x[6] = {1, 2, 3, 1000, 1001, 1002}, y[6];
    // softmax([1,2,3]) = e^i / (e + e^2 + e^3); the second row is the same shifted by 999 and
    // must not overflow (the kernel subtracts the row max).
    float want[6] = {0.09003057f, 0.24472847f, 0.66524096f, 0.09003057f, 0.24472847f, 0.66524096f};
    sy_tensor in = tensor(SY_DTYPE_F32, x, 2, DIMS(2, 3)), out;
    sy_node_info n = make_node(SY_OP_SOFTMAX, 1, NULL, 0); // axis defaults to -1
    CHECK_OK(run(OP(SOFTMAX), &n, &in, &out, y));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 2, DIMS(2, 3)));
    CHECK_ALLCLOSE(y, want, 6, 1e-7f, 1e-6f);

    // axis 0 of the same [2,3]: pairs (1, 1000) etc., so 0 and 1 up to e^-999.
    sy_attr at = attr_int("axis", 0);
    n = make_node(SY_OP_SOFTMAX, 1, &at, 1);
    CHECK_OK(run(OP(SOFTMAX), &n, &in, &out, y));
    float want0[6] = {0, 0, 0, 1, 1, 1};
    CHECK_ALLCLOSE(y, want0, 6, 1e-7f, 0);
}

// A middle axis of [2,3,4] (strided rows), for f32, f16 and bf16; reference in double.
static void test_softmax_middle_axis(void) {
    const sy_dtype dts[3] = {SY_DTYPE_F32, SY_DTYPE_F16, SY_DTYPE_BF16};
    for (int t = 0; t < 3; t++) {
        sy_dtype dt = dts[t];
        float xf[24], got[24], want[24];
        uint16_t xh[24], yh[24];
        float yf[24];
        for (int i = 0; i < 24; i++) {
            xf[i] = 0.3f * (float)((i * 5) % 13) - 1.7f;
            if (dt != SY_DTYPE_F32) {
                xh[i] = to_half(dt, xf[i]);
                xf[i] = from_half(dt, xh[i]);
            }
        }
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++) {
                double m = -INFINITY, s = 0;
                for (int j = 0; j < 3; j++) m = fmax(m, xf[(i * 3 + j) * 4 + k]);
                for (int j = 0; j < 3; j++) s += exp(xf[(i * 3 + j) * 4 + k] - m);
                for (int j = 0; j < 3; j++) want[(i * 3 + j) * 4 + k] = (float)(exp(xf[(i * 3 + j) * 4 + k] - m) / s);
            }
        sy_attr at = attr_int("axis", -2);
        sy_node_info n = make_node(SY_OP_SOFTMAX, 1, &at, 1);
        sy_tensor in = tensor(dt, dt == SY_DTYPE_F32 ? (void *)xf : (void *)xh, 3, DIMS(2, 3, 4)), out;
        CHECK_OK(run(OP(SOFTMAX), &n, &in, &out, dt == SY_DTYPE_F32 ? (void *)yf : (void *)yh));
        CHECK(out.dtype == dt && shape_is(&out, 3, DIMS(2, 3, 4)));
        for (int i = 0; i < 24; i++) got[i] = dt == SY_DTYPE_F32 ? yf[i] : from_half(dt, yh[i]);
        // f32: 1e-6; f16: half an ulp near 1 is 2^-11; bf16: 2^-8.
        float tol = dt == SY_DTYPE_F32 ? 1e-6f : dt == SY_DTYPE_F16 ? 1e-3f : 4e-3f;
        CHECK_MSG(sy_test_allclose(got, want, 24, tol, 0, "softmax"), "%s", sy_dtype_name(dt));
    }
}

// --- rms_norm ---

static void test_rms_norm_hand(void) {
    // Row [1,2,3,4]: mean of squares 7.5, so y = x / sqrt(7.5 + eps) * w. Row [0,0,0,0]: 0.
    float x[8] = {1, 2, 3, 4, 0, 0, 0, 0}, w[4] = {1, 0.5f, 2, -1}, y[8];
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_F32, w, 1, DIMS(4))}, out;
    sy_node_info n = make_node(SY_OP_RMS_NORM, 2, NULL, 0);
    CHECK_OK(run(OP(RMS_NORM), &n, in, &out, y));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 2, DIMS(2, 4)));
    double r = 1.0 / sqrt(7.5 + 1e-6);
    float want[8] = {(float)(1 * r), (float)(2 * r * 0.5), (float)(3 * r * 2), (float)(-4 * r), 0, 0, 0, 0};
    CHECK_ALLCLOSE(y, want, 8, 1e-6f, 1e-6f);

    // eps matters for small rows: x = [1e-3, 1e-3], eps = 1e-6 -> 1e-3 / sqrt(2e-6) = 0.7071.
    float xs[2] = {1e-3f, 1e-3f}, ws[2] = {1, 1}, ys[2];
    sy_attr at = attr_float("eps", 1e-6f);
    n = make_node(SY_OP_RMS_NORM, 2, &at, 1);
    sy_tensor ins[2] = {tensor(SY_DTYPE_F32, xs, 1, DIMS(2)), tensor(SY_DTYPE_F32, ws, 1, DIMS(2))};
    CHECK_OK(run(OP(RMS_NORM), &n, ins, &out, ys));
    CHECK_NEAR(ys[0], 1e-3 / sqrt(2e-6), 1e-5);
    at = attr_float("eps", 0.0f);
    CHECK_OK(run(OP(RMS_NORM), &n, ins, &out, ys));
    CHECK_NEAR(ys[1], 1.0, 1e-5);
}

// rank-3 x with f32/f16/bf16 storage against a double reference per row.
static void test_rms_norm_dtypes(void) {
    const sy_dtype dts[3] = {SY_DTYPE_F32, SY_DTYPE_F16, SY_DTYPE_BF16};
    enum { R = 6, D = 8 };
    for (int t = 0; t < 3; t++) {
        sy_dtype dt = dts[t];
        float xf[R * D], wf[D], yf[R * D], got[R * D], want[R * D];
        uint16_t xh[R * D], wh[D], yh[R * D];
        for (int i = 0; i < R * D; i++) xf[i] = 0.17f * (float)((i * 7) % 19) - 1.3f;
        for (int j = 0; j < D; j++) wf[j] = 0.5f + 0.1f * (float)j;
        if (dt != SY_DTYPE_F32) {
            for (int i = 0; i < R * D; i++) xf[i] = from_half(dt, xh[i] = to_half(dt, xf[i]));
            for (int j = 0; j < D; j++) wf[j] = from_half(dt, wh[j] = to_half(dt, wf[j]));
        }
        for (int r = 0; r < R; r++) {
            double ss = 0;
            for (int j = 0; j < D; j++) ss += (double)xf[r * D + j] * xf[r * D + j];
            double inv = 1.0 / sqrt(ss / D + 1e-6);
            for (int j = 0; j < D; j++) want[r * D + j] = (float)(xf[r * D + j] * inv * wf[j]);
        }
        int h = dt != SY_DTYPE_F32;
        sy_tensor in[2] = {tensor(dt, h ? (void *)xh : (void *)xf, 3, DIMS(2, 3, D)),
                           tensor(dt, h ? (void *)wh : (void *)wf, 1, DIMS(D))}, out;
        sy_node_info n = make_node(SY_OP_RMS_NORM, 2, NULL, 0);
        CHECK_OK(run(OP(RMS_NORM), &n, in, &out, h ? (void *)yh : (void *)yf));
        CHECK(out.dtype == dt && shape_is(&out, 3, DIMS(2, 3, D)));
        for (int i = 0; i < R * D; i++) got[i] = h ? from_half(dt, yh[i]) : yf[i];
        float rel = dt == SY_DTYPE_F32 ? 1e-5f : dt == SY_DTYPE_F16 ? 1.0f / 1024 : 1.0f / 128;
        CHECK_MSG(sy_test_allclose(got, want, R * D, 1e-5f, rel, "rms_norm"), "%s", sy_dtype_name(dt));
    }
}

// --- layer_norm ---

static void test_layer_norm(void) {
    // Row [1,2,3,4]: mean 2.5, variance 1.25 -> (x - 2.5) / sqrt(1.25 + 1e-5).
    float x[8] = {1, 2, 3, 4, 10, 10, 10, 10}, w[4] = {1, 2, 1, 0.5f}, b[4] = {0, 1, -1, 0.25f}, y[8];
    double r = 1.0 / sqrt(1.25 + 1e-5);
    float want_nb[8], want_b[8];
    for (int j = 0; j < 4; j++) {
        want_nb[j] = (float)((x[j] - 2.5) * r * w[j]);
        want_b[j] = want_nb[j] + b[j];
        want_nb[4 + j] = 0; // a constant row normalises to 0
        want_b[4 + j] = b[j];
    }
    sy_tensor out;
    // without bias (2 inputs)
    sy_tensor in2[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_F32, w, 1, DIMS(4))};
    sy_node_info n = make_node(SY_OP_LAYER_NORM, 2, NULL, 0);
    CHECK_OK(run(OP(LAYER_NORM), &n, in2, &out, y));
    CHECK(shape_is(&out, 2, DIMS(2, 4)));
    CHECK_ALLCLOSE(y, want_nb, 8, 1e-6f, 1e-6f);
    // with bias
    sy_tensor in3[3] = {in2[0], in2[1], tensor(SY_DTYPE_F32, b, 1, DIMS(4))};
    n = make_node(SY_OP_LAYER_NORM, 3, NULL, 0);
    CHECK_OK(run(OP(LAYER_NORM), &n, in3, &out, y));
    CHECK_ALLCLOSE(y, want_b, 8, 1e-6f, 1e-6f);
    // bias slot present but absent (dtype invalid, data NULL)
    sy_tensor in3a[3] = {in2[0], in2[1], {0}};
    CHECK_OK(run(OP(LAYER_NORM), &n, in3a, &out, y));
    CHECK_ALLCLOSE(y, want_nb, 8, 1e-6f, 1e-6f);

    // A large mean must not cancel the variance: [1e4 + 1, 1e4 - 1] -> [1, -1] (eps 0).
    float xl[2] = {10001.0f, 9999.0f}, wl[2] = {1, 1}, yl[2];
    sy_attr at = attr_float("eps", 0.0f);
    n = make_node(SY_OP_LAYER_NORM, 2, &at, 1);
    sy_tensor inl[2] = {tensor(SY_DTYPE_F32, xl, 1, DIMS(2)), tensor(SY_DTYPE_F32, wl, 1, DIMS(2))};
    CHECK_OK(run(OP(LAYER_NORM), &n, inl, &out, yl));
    CHECK_NEAR(yl[0], 1.0, 1e-5);
    CHECK_NEAR(yl[1], -1.0, 1e-5);

    // f16 and bf16, with bias; tolerance: an ulp of the output's storage.
    const sy_dtype dts[2] = {SY_DTYPE_F16, SY_DTYPE_BF16};
    for (int t = 0; t < 2; t++) {
        sy_dtype dt = dts[t];
        uint16_t xh[8], wh[4], bh[4], yh[8];
        float xf[8], wf[4], bf[4], got[8], want[8];
        for (int i = 0; i < 8; i++) xf[i] = from_half(dt, xh[i] = to_half(dt, 0.37f * (float)(i * i % 7) - 1.0f));
        for (int j = 0; j < 4; j++) {
            wf[j] = from_half(dt, wh[j] = to_half(dt, w[j]));
            bf[j] = from_half(dt, bh[j] = to_half(dt, b[j]));
        }
        for (int row = 0; row < 2; row++) {
            double m = 0, v = 0;
            for (int j = 0; j < 4; j++) m += xf[row * 4 + j] / 4.0;
            for (int j = 0; j < 4; j++) v += (xf[row * 4 + j] - m) * (xf[row * 4 + j] - m) / 4.0;
            for (int j = 0; j < 4; j++)
                want[row * 4 + j] = (float)((xf[row * 4 + j] - m) / sqrt(v + 1e-5) * wf[j] + bf[j]);
        }
        sy_tensor inh[3] = {tensor(dt, xh, 2, DIMS(2, 4)), tensor(dt, wh, 1, DIMS(4)), tensor(dt, bh, 1, DIMS(4))};
        n = make_node(SY_OP_LAYER_NORM, 3, NULL, 0);
        CHECK_OK(run(OP(LAYER_NORM), &n, inh, &out, yh));
        CHECK(out.dtype == dt);
        for (int i = 0; i < 8; i++) got[i] = from_half(dt, yh[i]);
        float rel = dt == SY_DTYPE_F16 ? 1.0f / 1024 : 1.0f / 128;
        CHECK_MSG(sy_test_allclose(got, want, 8, 2e-3f, rel, "layer_norm"), "%s", sy_dtype_name(dt));
    }
}

// --- rule failures ---

static void test_rule_failures(void) {
    float x[8] = {0}, w[5] = {0};
    uint16_t wh[4] = {0};
    int32_t xi[8] = {0};
    sy_tensor out = {0};
    sy_node_info n = make_node(SY_OP_RMS_NORM, 2, NULL, 0);

    sy_tensor wrong_len[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_F32, w, 1, DIMS(5))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, wrong_len, &out), SY_ERR_SHAPE,
                "input #1 has shape [5] but must be [4] (the last dim of input #0 [2,4])");
    sy_tensor wrong_rank[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_F32, w, 2, DIMS(1, 4))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, wrong_rank, &out), SY_ERR_SHAPE, "input #1 has shape [1,4]");
    sy_tensor wrong_dt[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_BF16, wh, 1, DIMS(4))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, wrong_dt, &out), SY_ERR_DTYPE, "input #1 has dtype bf16 but input #0 has f32");
    sy_tensor ints[2] = {tensor(SY_DTYPE_I32, xi, 2, DIMS(2, 4)), tensor(SY_DTYPE_I32, xi, 1, DIMS(4))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, ints, &out), SY_ERR_DTYPE, "input #0 has dtype i32; rms_norm accepts");
    sy_tensor scalar[2] = {tensor(SY_DTYPE_F32, x, 0, NULL), tensor(SY_DTYPE_F32, w, 1, DIMS(1))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, scalar, &out), SY_ERR_SHAPE, "input #0 is a scalar");
    sy_attr at = attr_float("eps", -1.0f);
    n = make_node(SY_OP_RMS_NORM, 2, &at, 1);
    sy_tensor ok[2] = {tensor(SY_DTYPE_F32, x, 2, DIMS(2, 4)), tensor(SY_DTYPE_F32, w, 1, DIMS(4))};
    CHECK_FAILS(sy_infer_RMS_NORM(&n, ok, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'eps' must be finite and >= 0");
    at = attr_int("eps", 1);
    CHECK_FAILS(sy_infer_RMS_NORM(&n, ok, &out), SY_ERR_INVALID_ARGUMENT, "'eps' must be of type float");

    sy_tensor bad_bias[3] = {ok[0], ok[1], tensor(SY_DTYPE_F32, w, 1, DIMS(5))};
    n = make_node(SY_OP_LAYER_NORM, 3, NULL, 0);
    CHECK_FAILS(sy_infer_LAYER_NORM(&n, bad_bias, &out), SY_ERR_SHAPE, "input #2 has shape [5] but must be [4]");
    sy_tensor f16_bias[3] = {ok[0], ok[1], tensor(SY_DTYPE_F16, wh, 1, DIMS(4))};
    CHECK_FAILS(sy_infer_LAYER_NORM(&n, f16_bias, &out), SY_ERR_DTYPE, "input #2 has dtype f16 but input #0 has f32");

    n = make_node(SY_OP_SOFTMAX, 1, NULL, 0);
    CHECK_FAILS(sy_infer_SOFTMAX(&n, ints, &out), SY_ERR_DTYPE, "softmax accepts f32, f16 or bf16");
    at = attr_int("axis", 2);
    n = make_node(SY_OP_SOFTMAX, 1, &at, 1);
    CHECK_FAILS(sy_infer_SOFTMAX(&n, ok, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'axis' 2 is out of range for rank 2");
    CHECK(out.rank == 0); // never written by the failures above
}

int main(void) {
    RUN(test_softmax_hand);
    RUN(test_softmax_middle_axis);
    RUN(test_rms_norm_hand);
    RUN(test_rms_norm_dtypes);
    RUN(test_layer_norm);
    RUN(test_rule_failures);
    return TEST_SUMMARY();
}
