// Reductions (sum, mean, max): shape/dtype rules and portable kernels, against hand-computed
// values and a naive reference here that loops over every input index of a [2,3,4] tensor.

#include <stdint.h>

#include "ops_test_util.h"

// --- helpers ---

// Reference over x [2,3,4]: reduces the axes in `mask` (bit i = axis i) with op 0 sum, 1 mean,
// 2 max; the result is laid out over the kept axes in order.
static void ref_reduce_234(const float *x, unsigned mask, int op, float *out) {
    double acc[24];
    int count[24] = {0};
    for (int i = 0; i < 24; i++) acc[i] = op == 2 ? -INFINITY : 0.0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) {
                int idx[3] = {i, j, k}, dims[3] = {2, 3, 4}, o = 0;
                for (int d = 0; d < 3; d++)
                    if (!(mask & (1u << d))) o = o * dims[d] + idx[d];
                double v = x[(i * 3 + j) * 4 + k];
                if (op == 2) acc[o] = v > acc[o] ? v : acc[o];
                else acc[o] += v;
                count[o]++;
            }
    for (int o = 0; o < 24; o++) out[o] = (float)(op == 1 && count[o] ? acc[o] / count[o] : acc[o]);
}

static float x234[24];
static void fill_x(void) {
    for (int i = 0; i < 24; i++) x234[i] = (float)((i * 7) % 11) - 4.5f + 0.25f * (float)i; // no ties
}

// --- tests ---

// Every subset of axes of a [2,3,4] tensor, with both signs of axis, for all three ops.
static void test_all_axis_subsets_f32(void) {
    fill_x();
    const sy_infer_fn rules[3] = {sy_infer_SUM, sy_infer_MEAN, sy_infer_MAX};
    const sy_portable_kernel_fn kernels[3] = {sy_portable_SUM, sy_portable_MEAN, sy_portable_MAX};
    const sy_op ops[3] = {SY_OP_SUM, SY_OP_MEAN, SY_OP_MAX};
    const int64_t dims[3] = {2, 3, 4};
    for (int op = 0; op < 3; op++) {
        for (unsigned mask = 1; mask < 8; mask++) {
            for (int neg = 0; neg < 2; neg++) {
                int64_t axes[3];
                uint32_t n_axes = 0;
                for (int d = 2; d >= 0; d--) // descending order, and negative on the second pass
                    if (mask & (1u << d)) axes[n_axes++] = neg ? d - 3 : d;
                sy_attr at = attr_ints("axes", axes, n_axes);
                sy_node_info n = make_node(ops[op], 1, &at, 1);
                sy_tensor in = tensor(SY_DTYPE_F32, x234, 3, dims), out;
                float y[24], want[24];
                CHECK_OK(run(rules[op], kernels[op], &n, &in, &out, y));
                int64_t want_dims[3];
                uint32_t r = 0;
                for (int d = 0; d < 3; d++)
                    if (!(mask & (1u << d))) want_dims[r++] = dims[d];
                CHECK_MSG(shape_is(&out, r, want_dims), "op %d mask %u", op, mask);
                ref_reduce_234(x234, mask, op, want);
                long numel = 1;
                for (uint32_t d = 0; d < r; d++) numel *= (long)want_dims[d];
                CHECK_MSG(sy_test_allclose(y, want, numel, 1e-5f, 1e-6f, "reduce"), "op %d mask %u neg %d", op,
                          mask, neg);
            }
        }
    }
}

static void test_hand_values_keepdim(void) {
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
    sy_tensor in = tensor(SY_DTYPE_F32, x, 2, DIMS(2, 3)), out;
    int64_t ax1 = 1, ax0 = -2;
    sy_attr at[2] = {attr_ints("axes", &ax1, 1), attr_int("keepdim", 1)};
    sy_node_info n = make_node(SY_OP_SUM, 1, at, 2);
    CHECK_OK(run(OP(SUM), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(2, 1)) && y[0] == 6.0f && y[1] == 15.0f);
    at[0] = attr_ints("axes", &ax0, 1);
    n = make_node(SY_OP_MEAN, 1, at, 2);
    CHECK_OK(run(OP(MEAN), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(1, 3)) && y[0] == 2.5f && y[1] == 3.5f && y[2] == 4.5f);
    n = make_node(SY_OP_MAX, 1, at, 2);
    CHECK_OK(run(OP(MAX), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(1, 3)) && y[0] == 4.0f && y[1] == 5.0f && y[2] == 6.0f);

    // No axes: all of them; keepdim 0 gives rank 0, keepdim 1 gives [1,1].
    n = make_node(SY_OP_SUM, 1, NULL, 0);
    CHECK_OK(run(OP(SUM), &n, &in, &out, y));
    CHECK(out.rank == 0 && y[0] == 21.0f);
    at[0] = attr_int("keepdim", 1);
    n = make_node(SY_OP_MEAN, 1, at, 1);
    CHECK_OK(run(OP(MEAN), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(1, 1)) && y[0] == 3.5f);

    // A rank-0 input reduces to itself.
    float s = -2.5f;
    sy_tensor scalar = tensor(SY_DTYPE_F32, &s, 0, NULL);
    n = make_node(SY_OP_MAX, 1, NULL, 0);
    CHECK_OK(run(OP(MAX), &n, &scalar, &out, y));
    CHECK(out.rank == 0 && y[0] == -2.5f);

    // Size-1 dims around a reduced axis: [1,4,1] over axis 1.
    float v[4] = {3, -1, 7, 2};
    in = tensor(SY_DTYPE_F32, v, 3, DIMS(1, 4, 1));
    at[0] = attr_ints("axes", &ax1, 1);
    n = make_node(SY_OP_MAX, 1, at, 1);
    CHECK_OK(run(OP(MAX), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(1, 1)) && y[0] == 7.0f);
}

static void test_max_nan(void) {
    float x[4] = {1.0f, NAN, 3.0f, 2.0f}, y[1];
    sy_tensor in = tensor(SY_DTYPE_F32, x, 1, DIMS(4)), out;
    sy_node_info n = make_node(SY_OP_MAX, 1, NULL, 0);
    CHECK_OK(run(OP(MAX), &n, &in, &out, y));
    CHECK(isnan(y[0])); // NaN propagates (torch.max), even with larger values after it
    float ninf[2] = {-INFINITY, -INFINITY};
    in = tensor(SY_DTYPE_F32, ninf, 1, DIMS(2));
    CHECK_OK(run(OP(MAX), &n, &in, &out, y));
    CHECK(isinf(y[0]) && y[0] < 0);
}

static void test_ints(void) {
    int32_t x[6] = {1, -7, 3, INT32_MAX, 1, 5}, y[3];
    sy_tensor in = tensor(SY_DTYPE_I32, x, 2, DIMS(2, 3)), out;
    int64_t ax = 0;
    sy_attr at = attr_ints("axes", &ax, 1);
    sy_node_info n = make_node(SY_OP_SUM, 1, &at, 1);
    CHECK_OK(run(OP(SUM), &n, &in, &out, y));
    CHECK(out.dtype == SY_DTYPE_I32 && shape_is(&out, 1, DIMS(3)));
    CHECK(y[0] == INT32_MIN && y[1] == -6 && y[2] == 8); // INT32_MAX + 1 wraps
    n = make_node(SY_OP_MAX, 1, &at, 1);
    CHECK_OK(run(OP(MAX), &n, &in, &out, y));
    CHECK(y[0] == INT32_MAX && y[1] == 1 && y[2] == 5);

    int64_t z[4] = {-5000000000LL, 1, 2, -3}, w[2];
    in = tensor(SY_DTYPE_I64, z, 2, DIMS(2, 2));
    ax = -1;
    n = make_node(SY_OP_SUM, 1, &at, 1);
    CHECK_OK(run(OP(SUM), &n, &in, &out, w));
    CHECK(out.dtype == SY_DTYPE_I64 && w[0] == -4999999999LL && w[1] == -1);
    n = make_node(SY_OP_MAX, 1, &at, 1);
    CHECK_OK(run(OP(MAX), &n, &in, &out, w));
    CHECK(w[0] == 1 && w[1] == 2);
}

// f16/bf16 storage: the reference sums the stored values in double; the output is compared
// after rounding, tolerance half an ulp of the storage type plus a little.
static void test_half(void) {
    fill_x();
    const sy_dtype dts[2] = {SY_DTYPE_F16, SY_DTYPE_BF16};
    for (int t = 0; t < 2; t++) {
        sy_dtype dt = dts[t];
        float rel = dt == SY_DTYPE_F16 ? 1.0f / 1024 : 1.0f / 128;
        uint16_t x[24], y[8];
        float xf[24], got[8], want[24];
        for (int i = 0; i < 24; i++) {
            x[i] = to_half(dt, x234[i]);
            xf[i] = from_half(dt, x[i]);
        }
        int64_t ax = 1;
        sy_attr at = attr_ints("axes", &ax, 1);
        const sy_infer_fn rules[3] = {sy_infer_SUM, sy_infer_MEAN, sy_infer_MAX};
        const sy_portable_kernel_fn kernels[3] = {sy_portable_SUM, sy_portable_MEAN, sy_portable_MAX};
        const sy_op ops[3] = {SY_OP_SUM, SY_OP_MEAN, SY_OP_MAX};
        for (int op = 0; op < 3; op++) {
            sy_node_info n = make_node(ops[op], 1, &at, 1);
            sy_tensor in = tensor(dt, x, 3, DIMS(2, 3, 4)), out;
            CHECK_OK(run(rules[op], kernels[op], &n, &in, &out, y));
            CHECK(out.dtype == dt && shape_is(&out, 2, DIMS(2, 4)));
            ref_reduce_234(xf, 2u, op, want);
            for (int i = 0; i < 8; i++)
                got[i] = from_half(dt, y[i]);
            CHECK_MSG(sy_test_allclose(got, want, 8, 1e-3f, rel, "half reduce"), "op %d %s", op, sy_dtype_name(dt));
        }
    }
}

static void test_rule_failures(void) {
    float x[24] = {0};
    int32_t xi[6] = {0};
    sy_tensor in = tensor(SY_DTYPE_F32, x, 3, DIMS(2, 3, 4)), out = {0};
    out.rank = 4;

    int64_t dup[2] = {1, -2};
    sy_attr at = attr_ints("axes", dup, 2);
    sy_node_info n = make_node(SY_OP_SUM, 1, &at, 1);
    CHECK_FAILS(sy_infer_SUM(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'axes' names axis 1 twice");
    int64_t far[1] = {3};
    at = attr_ints("axes", far, 1);
    CHECK_FAILS(sy_infer_SUM(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'axes' entry 3 is out of range for rank 3");
    far[0] = -4;
    CHECK_FAILS(sy_infer_MAX(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'axes' entry -4");
    at = attr_int("axes", 1);
    CHECK_FAILS(sy_infer_SUM(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'axes' must be of type ints");
    at = attr_int("keepdim", 2);
    CHECK_FAILS(sy_infer_SUM(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'keepdim' must be 0 or 1");

    sy_tensor ints = tensor(SY_DTYPE_I32, xi, 1, DIMS(6));
    n = make_node(SY_OP_MEAN, 1, NULL, 0);
    CHECK_FAILS(sy_infer_MEAN(&n, &ints, &out), SY_ERR_DTYPE, "input #0 has dtype i32; mean accepts f32, f16 or bf16");
    sy_tensor bools = tensor(SY_DTYPE_BOOL, xi, 1, DIMS(6));
    n = make_node(SY_OP_SUM, 1, NULL, 0);
    CHECK_FAILS(sy_infer_SUM(&n, &bools, &out), SY_ERR_DTYPE, "sum accepts");

    sy_tensor empty = tensor(SY_DTYPE_F32, x, 2, DIMS(3, 0));
    n = make_node(SY_OP_MAX, 1, NULL, 0);
    CHECK_FAILS(sy_infer_MAX(&n, &empty, &out), SY_ERR_SHAPE, "cannot max over axis 1 of size 0");
    int64_t ax0 = 0; // reducing a non-empty axis of an empty tensor is fine: the output is empty
    at = attr_ints("axes", &ax0, 1);
    n = make_node(SY_OP_SUM, 1, &at, 1);
    CHECK_OK(sy_infer_SUM(&n, &empty, &out));
    CHECK(shape_is(&out, 1, DIMS(0)));
    CHECK_OK(sy_portable_SUM(&n, &empty, &out));
}

int main(void) {
    RUN(test_all_axis_subsets_f32);
    RUN(test_hand_values_keepdim);
    RUN(test_max_nan);
    RUN(test_ints);
    RUN(test_half);
    RUN(test_rule_failures);
    return TEST_SUMMARY();
}
