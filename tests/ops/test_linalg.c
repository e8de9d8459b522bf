// matmul and linear: shape/dtype rules and portable kernels, against hand-computed values and a
// naive reference written here (explicit index arithmetic, f32, one output at a time).

#include <stdint.h>
#include <stdlib.h>

#include "ops_test_util.h"

// --- helpers ---

// Runs the rule, checks the output shape, then the kernel into `out_data`.
static void run_op(const sy_node_info *node, sy_tensor *inputs, void *out_data, uint32_t rank,
                   const int64_t *dims, sy_dtype dtype) {
    sy_tensor out = {0};
    CHECK_OK(sy_op_get(node->op)->infer(node, inputs, &out));
    CHECK(out.dtype == dtype);
    CHECK(shape_is(&out, rank, dims));
    out.data = out_data;
    CHECK_OK(node->op == SY_OP_MATMUL ? sy_portable_MATMUL(node, inputs, &out)
                                      : sy_portable_LINEAR(node, inputs, &out));
}

// --- naive references ---

// y[i, j] = sum_k a[i, k] b[k, j] for every batch of a broadcast against b. a: (ra dims),
// b: (rb dims), both already promoted to rank >= 2 by the caller's dims; y batch = broadcast.
static void matmul_ref(const float *a, const int64_t *adims, uint32_t ra, const float *b,
                       const int64_t *bdims, uint32_t rb, float *y) {
    int64_t m = adims[ra - 2], k = adims[ra - 1], n = bdims[rb - 1];
    int64_t ob[4] = {1, 1, 1, 1}, ab[4] = {1, 1, 1, 1}, bb[4] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < ra - 2; i++) ab[4 - (ra - 2) + i] = adims[i];
    for (uint32_t i = 0; i < rb - 2; i++) bb[4 - (rb - 2) + i] = bdims[i];
    for (int i = 0; i < 4; i++) ob[i] = ab[i] > bb[i] ? ab[i] : bb[i];
    int64_t out = 0;
    for (int64_t i0 = 0; i0 < ob[0]; i0++)
        for (int64_t i1 = 0; i1 < ob[1]; i1++)
            for (int64_t i2 = 0; i2 < ob[2]; i2++)
                for (int64_t i3 = 0; i3 < ob[3]; i3++) {
                    int64_t c[4] = {i0, i1, i2, i3}, ai = 0, bi = 0;
                    for (int d = 0; d < 4; d++) {
                        ai = ai * ab[d] + (ab[d] == 1 ? 0 : c[d]);
                        bi = bi * bb[d] + (bb[d] == 1 ? 0 : c[d]);
                    }
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t j = 0; j < n; j++) {
                            double s = 0;
                            for (int64_t kk = 0; kk < k; kk++)
                                s += (double)a[ai * m * k + i * k + kk] *
                                     b[bi * k * n + kk * n + j];
                            y[out++] = (float)s;
                        }
                }
}

// --- matmul ---

static void test_matmul_2x2(void) {
    sy_node_info node = make_node(SY_OP_MATMUL, 2, NULL, 0);
    float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, y[4] = {0};
    const float expect[] = {19, 22, 43, 50}; // [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]]
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, a, 2, (int64_t[]){2, 2}),
                       tensor(SY_DTYPE_F32, b, 2, (int64_t[]){2, 2})};
    run_op(&node, in, y, 2, (int64_t[]){2, 2}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, expect, 4, 0.0f, 0.0f);
}

static void test_matmul_1d(void) {
    sy_node_info node = make_node(SY_OP_MATMUL, 2, NULL, 0);
    float v3[] = {1, 2, 3}, w[] = {1, 2, 3, 4, 5, 6}; // w as [3, 2] or [2, 3]
    float y[2] = {0};
    // [3] . [3] -> scalar 1 + 4 + 9
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, v3, 1, (int64_t[]){3}),
                       tensor(SY_DTYPE_F32, v3, 1, (int64_t[]){3})};
    run_op(&node, in, y, 0, NULL, SY_DTYPE_F32);
    CHECK_NEAR(y[0], 14.0, 0.0);
    // [3] @ [3, 2] -> [2]: [1*1+2*3+3*5, 1*2+2*4+3*6]
    in[1] = tensor(SY_DTYPE_F32, w, 2, (int64_t[]){3, 2});
    run_op(&node, in, y, 1, (int64_t[]){2}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, ((const float[]){22, 28}), 2, 0.0f, 0.0f);
    // [2, 3] @ [3] -> [2]: [1+4+9, 4+10+18]
    in[0] = tensor(SY_DTYPE_F32, w, 2, (int64_t[]){2, 3});
    in[1] = tensor(SY_DTYPE_F32, v3, 1, (int64_t[]){3});
    run_op(&node, in, y, 1, (int64_t[]){2}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, ((const float[]){14, 32}), 2, 0.0f, 0.0f);
    // [3] @ [2, 3, 2] -> [2, 2] (1-D a broadcast over b's batch)
    float wb[12], yb[4];
    for (int i = 0; i < 12; i++) wb[i] = (float)(i + 1);
    in[0] = tensor(SY_DTYPE_F32, v3, 1, (int64_t[]){3});
    in[1] = tensor(SY_DTYPE_F32, wb, 3, (int64_t[]){2, 3, 2});
    run_op(&node, in, yb, 2, (int64_t[]){2, 2}, SY_DTYPE_F32);
    // batch 1: [[7,8],[9,10],[11,12]] -> [7+18+33, 8+20+36]
    CHECK_ALLCLOSE(yb, ((const float[]){22, 28, 58, 64}), 4, 0.0f, 0.0f);
}

static void check_matmul_random(sy_dtype dt, const int64_t *adims, uint32_t ra,
                                const int64_t *bdims, uint32_t rb, const int64_t *ydims,
                                uint32_t ry, float atol, float rtol) {
    sy_node_info node = make_node(SY_OP_MATMUL, 2, NULL, 0);
    int64_t na = 1, nb = 1, ny = 1;
    for (uint32_t i = 0; i < ra; i++) na *= adims[i];
    for (uint32_t i = 0; i < rb; i++) nb *= bdims[i];
    for (uint32_t i = 0; i < ry; i++) ny *= ydims[i];
    float *a = random_floats(na, 1.0f), *b = random_floats(nb, 1.0f);
    void *as = store_as(a, na, dt), *bs = store_as(b, nb, dt);
    float *expect = malloc((size_t)ny * 4), *got = malloc((size_t)ny * 4);
    void *ys = malloc((size_t)ny * 4);
    matmul_ref(a, adims, ra, b, bdims, rb, expect);
    sy_tensor in[2] = {tensor(dt, as, ra, adims), tensor(dt, bs, rb, bdims)};
    run_op(&node, in, ys, ry, ydims, dt);
    load_as_f32(ys, dt, ny, got);
    CHECK_ALLCLOSE(got, expect, ny, atol, rtol);
    free(a), free(b), free(as), free(bs), free(expect), free(got), free(ys);
}

static void test_matmul_broadcast(void) {
    // [2, 1, 3, 4] @ [3, 4, 5] -> [2, 3, 3, 5]
    check_matmul_random(SY_DTYPE_F32, (int64_t[]){2, 1, 3, 4}, 4, (int64_t[]){3, 4, 5}, 3,
                        (int64_t[]){2, 3, 3, 5}, 4, 1e-5f, 1e-5f);
    // [4, 6] @ [2, 6, 3] -> [2, 4, 3] (2-D a shared by every batch of b)
    check_matmul_random(SY_DTYPE_F32, (int64_t[]){4, 6}, 2, (int64_t[]){2, 6, 3}, 3,
                        (int64_t[]){2, 4, 3}, 3, 1e-5f, 1e-5f);
    // [3, 1, 2, 5] @ [1, 4, 5, 2] -> [3, 4, 2, 2] (both sides broadcast)
    check_matmul_random(SY_DTYPE_F32, (int64_t[]){3, 1, 2, 5}, 4, (int64_t[]){1, 4, 5, 2}, 4,
                        (int64_t[]){3, 4, 2, 2}, 4, 1e-5f, 1e-5f);
}

static void test_matmul_half(void) {
    // Inputs are rounded to the storage dtype before the reference sees them, so the only
    // difference is the final rounding of y (f16: 2^-11 relative, bf16: 2^-8) plus f32 sums.
    // N = 300 crosses the kernel's 256-column accumulator block.
    check_matmul_random(SY_DTYPE_F16, (int64_t[]){2, 3, 7}, 3, (int64_t[]){7, 300}, 2,
                        (int64_t[]){2, 3, 300}, 3, 1e-3f, 1e-3f);
    check_matmul_random(SY_DTYPE_BF16, (int64_t[]){2, 3, 7}, 3, (int64_t[]){7, 300}, 2,
                        (int64_t[]){2, 3, 300}, 3, 1e-2f, 8e-3f);
}

static void test_matmul_errors(void) {
    sy_node_info node = make_node(SY_OP_MATMUL, 2, NULL, 0);
    sy_tensor out = {0};
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){2, 3}),
                       tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){4, 5})};
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_SHAPE, "inner dims differ (4 vs 3)");
    in[1] = tensor(SY_DTYPE_F32, NULL, 1, (int64_t[]){2});
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_SHAPE, "input #1 (b) has shape [2]");
    in[0] = tensor(SY_DTYPE_F32, NULL, 3, (int64_t[]){2, 3, 4});
    in[1] = tensor(SY_DTYPE_F32, NULL, 3, (int64_t[]){3, 4, 5});
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_SHAPE, "batch dims of a and b");
    in[0] = tensor(SY_DTYPE_F32, NULL, 0, NULL);
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_SHAPE, "input #0 (a) is a scalar");
    in[0] = tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){5, 4});
    in[1] = tensor(SY_DTYPE_F16, NULL, 2, (int64_t[]){4, 5});
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_DTYPE, "input #1 (b) has dtype f16");
    in[0].dtype = in[1].dtype = SY_DTYPE_I32;
    CHECK_FAILS(sy_infer_MATMUL(&node, in, &out), SY_ERR_DTYPE, "input #0 (a) has dtype i32");
}

// --- linear ---

static void test_linear_bias(void) {
    sy_node_info node = make_node(SY_OP_LINEAR, 3, NULL, 0);
    float x[] = {1, 2, -1, 3}, w[] = {1, 0, 0, 1, 1, 1}, b[] = {10, 20, 30}, y[6] = {0};
    // rows [1, 2] and [-1, 3] against w rows [1,0], [0,1], [1,1], plus b
    const float expect[] = {11, 22, 33, 9, 23, 32};
    sy_tensor in[3] = {tensor(SY_DTYPE_F32, x, 2, (int64_t[]){2, 2}),
                       tensor(SY_DTYPE_F32, w, 2, (int64_t[]){3, 2}),
                       tensor(SY_DTYPE_F32, b, 1, (int64_t[]){3})};
    run_op(&node, in, y, 2, (int64_t[]){2, 3}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, expect, 6, 0.0f, 0.0f);
    // The same node without its bias (absent optional input).
    in[2] = tensor(SY_DTYPE_INVALID, NULL, 0, NULL);
    run_op(&node, in, y, 2, (int64_t[]){2, 3}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, ((const float[]){1, 2, 3, -1, 3, 2}), 6, 0.0f, 0.0f);
    // 1-D x: [2] -> [3]
    in[0] = tensor(SY_DTYPE_F32, x, 1, (int64_t[]){2});
    run_op(&node, in, y, 1, (int64_t[]){3}, SY_DTYPE_F32);
    CHECK_ALLCLOSE(y, ((const float[]){1, 2, 3}), 3, 0.0f, 0.0f);
}

static void check_linear_random(sy_dtype dt, int with_bias, float atol, float rtol) {
    // x: (2, 3, 7), w: (5, 7), b: (5) -> y: (2, 3, 5)
    const int64_t xd[] = {2, 3, 7}, wd[] = {5, 7}, bd[] = {5}, yd[] = {2, 3, 5};
    sy_node_info node = make_node(SY_OP_LINEAR, with_bias ? 3 : 2, NULL, 0);
    float *x = random_floats(42, 1.0f), *w = random_floats(35, 1.0f), *b = random_floats(5, 1.0f);
    void *xs = store_as(x, 42, dt), *ws = store_as(w, 35, dt), *bs = store_as(b, 5, dt);
    float expect[30], got[30], ys[30]; // ys: storage of y in dtype dt
    for (int r = 0; r < 6; r++)
        for (int n = 0; n < 5; n++) {
            double s = with_bias ? b[n] : 0.0;
            for (int k = 0; k < 7; k++) s += (double)x[r * 7 + k] * w[n * 7 + k];
            expect[r * 5 + n] = (float)s;
        }
    sy_tensor in[3] = {tensor(dt, xs, 3, xd), tensor(dt, ws, 2, wd), tensor(dt, bs, 1, bd)};
    run_op(&node, in, ys, 3, yd, dt);
    load_as_f32(ys, dt, 30, got);
    CHECK_ALLCLOSE(got, expect, 30, atol, rtol);
    free(x), free(w), free(b), free(xs), free(ws), free(bs);
}

static void test_linear_rank3(void) {
    check_linear_random(SY_DTYPE_F32, 1, 1e-5f, 1e-5f);
    check_linear_random(SY_DTYPE_F32, 0, 1e-5f, 1e-5f);
    check_linear_random(SY_DTYPE_F16, 1, 2e-3f, 1e-3f);
    check_linear_random(SY_DTYPE_BF16, 1, 1e-2f, 8e-3f);
}

static void test_linear_errors(void) {
    sy_node_info node = make_node(SY_OP_LINEAR, 3, NULL, 0);
    sy_tensor out = {0};
    sy_tensor in[3] = {tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){4, 8}),
                       tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){16, 7}),
                       tensor(SY_DTYPE_INVALID, NULL, 0, NULL)};
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_SHAPE,
                "input #1 (w) has shape [16,7] but x has [4,8]: w must be [N, 8]");
    in[1] = tensor(SY_DTYPE_F32, NULL, 1, (int64_t[]){8});
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_SHAPE, "expected [N, K]");
    in[1] = tensor(SY_DTYPE_F32, NULL, 2, (int64_t[]){16, 8});
    in[2] = tensor(SY_DTYPE_F32, NULL, 1, (int64_t[]){8});
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_SHAPE, "b must be [16]");
    in[2] = tensor(SY_DTYPE_BF16, NULL, 1, (int64_t[]){16});
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_DTYPE,
                "input #2 (b) has dtype bf16 but x has f32");
    in[2].dtype = SY_DTYPE_F32;
    in[1].dtype = SY_DTYPE_F16;
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_DTYPE, "input #1 (w) has dtype f16");
    in[0].dtype = in[1].dtype = in[2].dtype = SY_DTYPE_I64;
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_DTYPE, "input #0 (x) has dtype i64");
    in[0] = tensor(SY_DTYPE_F32, NULL, 0, NULL);
    in[1].dtype = in[2].dtype = SY_DTYPE_F32;
    CHECK_FAILS(sy_infer_LINEAR(&node, in, &out), SY_ERR_SHAPE, "input #0 (x) is a scalar");
    // A valid rank-4 x keeps its leading dims.
    in[0] = tensor(SY_DTYPE_F32, NULL, 4, (int64_t[]){2, 1, 3, 8});
    CHECK_OK(sy_infer_LINEAR(&node, in, &out));
    CHECK(shape_is(&out, 4, (int64_t[]){2, 1, 3, 16}));
}

int main(void) {
    random_seed(12345u);
    RUN(test_matmul_2x2);
    RUN(test_matmul_1d);
    RUN(test_matmul_broadcast);
    RUN(test_matmul_half);
    RUN(test_matmul_errors);
    RUN(test_linear_bias);
    RUN(test_linear_rank3);
    RUN(test_linear_errors);
    return TEST_SUMMARY();
}
