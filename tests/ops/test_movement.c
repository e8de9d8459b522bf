// Data-movement ops (embedding, reshape, transpose, slice, concat, expand, gather): shape/dtype
// rules and portable kernels. Expected outputs are hand-written or indexed explicitly here.

#include <stdint.h>

#include "ops_test_util.h"

// --- helpers ---

static float seq[120]; // seq[i] = i
static void fill_seq(void) {
    for (int i = 0; i < 120; i++) seq[i] = (float)i;
}

// --- embedding ---

static void test_embedding(void) {
    float table[15]; // [5, 3]: row r = {10r, 10r+1, 10r+2}
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++) table[r * 3 + c] = (float)(10 * r + c);
    int32_t ids[4] = {4, 0, 2, 4}; // [2, 2]
    float y[12];
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, table, 2, DIMS(5, 3)), tensor(SY_DTYPE_I32, ids, 2, DIMS(2, 2))}, out;
    sy_node_info n = make_node(SY_OP_EMBEDDING, 2, NULL, 0);
    CHECK_OK(run(OP(EMBEDDING), &n, in, &out, y));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 3, DIMS(2, 2, 3)));
    float want[12] = {40, 41, 42, 0, 1, 2, 20, 21, 22, 40, 41, 42};
    CHECK_ALLCLOSE(y, want, 12, 0, 0);

    // i64 ids of rank 0 into an f16 table: one row, copied bit for bit.
    uint16_t th[6] = {0x3c00, 0x4000, 0x4200, 0xbc00, 0x7bff, 0x0001}, yh[3] = {0};
    int64_t id = 1;
    sy_tensor inh[2] = {tensor(SY_DTYPE_F16, th, 2, DIMS(2, 3)), tensor(SY_DTYPE_I64, &id, 0, NULL)};
    CHECK_OK(run(OP(EMBEDDING), &n, inh, &out, yh));
    CHECK(out.dtype == SY_DTYPE_F16 && shape_is(&out, 1, DIMS(3)));
    CHECK(yh[0] == 0xbc00 && yh[1] == 0x7bff && yh[2] == 0x0001);

    // Out of range (too large, then negative): the whole input is checked before any write,
    // so the output keeps its sentinel even though earlier ids were valid.
    int32_t bad[4] = {1, 2, 3, 5};
    sy_tensor inb[2] = {in[0], tensor(SY_DTYPE_I32, bad, 2, DIMS(2, 2))};
    for (int i = 0; i < 12; i++) y[i] = -7.0f;
    CHECK_FAILS(run(OP(EMBEDDING), &n, inb, &out, y), SY_ERR_OUT_OF_RANGE,
                "token id 5 at index 3 is out of range [0, 5)");
    int untouched = 1;
    for (int i = 0; i < 12; i++) untouched &= y[i] == -7.0f;
    CHECK(untouched);
    int64_t neg[2] = {0, -1};
    sy_tensor inn[2] = {in[0], tensor(SY_DTYPE_I64, neg, 1, DIMS(2))};
    CHECK_FAILS(run(OP(EMBEDDING), &n, inn, &out, y), SY_ERR_OUT_OF_RANGE, "token id -1 at index 1");
    untouched = 1;
    for (int i = 0; i < 12; i++) untouched &= y[i] == -7.0f;
    CHECK(untouched);

    // rules
    sy_tensor f_ids[2] = {in[0], tensor(SY_DTYPE_F32, table, 1, DIMS(2))};
    CHECK_FAILS(sy_infer_EMBEDDING(&n, f_ids, &out), SY_ERR_DTYPE, "input #1 (ids) has dtype f32");
    sy_tensor i_table[2] = {tensor(SY_DTYPE_I32, ids, 2, DIMS(2, 2)), in[1]};
    CHECK_FAILS(sy_infer_EMBEDDING(&n, i_table, &out), SY_ERR_DTYPE, "input #0 (table) has dtype i32");
    sy_tensor t3[2] = {tensor(SY_DTYPE_F32, table, 3, DIMS(5, 3, 1)), in[1]};
    CHECK_FAILS(sy_infer_EMBEDDING(&n, t3, &out), SY_ERR_SHAPE, "input #0 (table) has shape [5,3,1]");
    sy_tensor r6[2] = {in[0], tensor(SY_DTYPE_I32, ids, 6, DIMS(1, 1, 1, 1, 2, 2))};
    CHECK_FAILS(sy_infer_EMBEDDING(&n, r6, &out), SY_ERR_SHAPE, "rank 7 > 6");
}

// --- reshape ---

static void test_reshape(void) {
    fill_seq();
    float y[24];
    sy_tensor in = tensor(SY_DTYPE_F32, seq, 3, DIMS(2, 3, 4)), out;
    sy_attr at = attr_ints("shape", INTS(0, -1));
    sy_node_info n = make_node(SY_OP_RESHAPE, 1, &at, 1);
    CHECK_OK(run(OP(RESHAPE), &n, &in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(2, 12)));
    CHECK_ALLCLOSE(y, seq, 24, 0, 0);
    at = attr_ints("shape", INTS(4, -1, 0)); // 0 copies input dim 2 (4); -1 -> 24 / 16 ... must divide
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_SHAPE, "cannot reshape input #0 [2,3,4] (24 elements) into [4,-1,0]");
    at = attr_ints("shape", INTS(-1, 0, 2)); // [?, 3, 2] -> 4
    CHECK_OK(run(OP(RESHAPE), &n, &in, &out, y));
    CHECK(shape_is(&out, 3, DIMS(4, 3, 2)));
    at = attr_ints("shape", INTS(1, 24, 1, 1));
    CHECK_OK(sy_infer_RESHAPE(&n, &in, &out));
    CHECK(shape_is(&out, 4, DIMS(1, 24, 1, 1)));
    float s = 3.0f, ys = 0.0f; // [1] -> rank 0
    sy_tensor one = tensor(SY_DTYPE_F32, &s, 1, DIMS(1));
    at = attr_ints("shape", NULL, 0);
    CHECK_OK(run(OP(RESHAPE), &n, &one, &out, &ys));
    CHECK(out.rank == 0 && ys == 3.0f);

    at = attr_ints("shape", INTS(-1, -1));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "has more than one -1");
    at = attr_ints("shape", INTS(5, 5));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_SHAPE, "(24 elements) into [5,5] (25)");
    at = attr_ints("shape", INTS(5, -1));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_SHAPE, "the -1 has no whole size");
    at = attr_ints("shape", INTS(1, 1, 1, 0));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "entry 3 is 0 (copy the input dim) but input #0 has rank 3");
    at = attr_ints("shape", INTS(-2, 12));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "entry 0 is -2");
    at = attr_ints("shape", INTS(1, 1, 1, 1, 1, 1, 24));
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "has 7 entries; at most 6");
    n = make_node(SY_OP_RESHAPE, 1, NULL, 0);
    CHECK_FAILS(sy_infer_RESHAPE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'shape'");
}

// --- transpose ---

static void test_transpose(void) {
    fill_seq();
    float y[24];
    sy_tensor in = tensor(SY_DTYPE_F32, seq, 3, DIMS(2, 3, 4)), out;
    sy_attr at = attr_ints("perm", INTS(2, 0, 1));
    sy_node_info n = make_node(SY_OP_TRANSPOSE, 1, &at, 1);
    CHECK_OK(run(OP(TRANSPOSE), &n, &in, &out, y));
    CHECK(shape_is(&out, 3, DIMS(4, 2, 3)));
    int ok = 1; // y[k][i][j] = x[i][j][k]
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) ok &= y[(k * 2 + i) * 3 + j] == seq[(i * 3 + j) * 4 + k];
    CHECK(ok);

    // Swapping the last two dims of a rank-4 i64 tensor [2,1,3,2], and an identity perm on u8.
    int64_t a[12], b[12];
    for (int i = 0; i < 12; i++) a[i] = 1000000000000LL * i + i;
    in = tensor(SY_DTYPE_I64, a, 4, DIMS(2, 1, 3, 2));
    at = attr_ints("perm", INTS(0, 1, 3, 2));
    CHECK_OK(run(OP(TRANSPOSE), &n, &in, &out, b));
    CHECK(out.dtype == SY_DTYPE_I64 && shape_is(&out, 4, DIMS(2, 1, 2, 3)));
    ok = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++) ok &= b[(i * 2 + k) * 3 + j] == a[(i * 3 + j) * 2 + k];
    CHECK(ok);
    uint8_t u[6] = {1, 2, 3, 4, 5, 6}, v[6] = {0};
    in = tensor(SY_DTYPE_U8, u, 2, DIMS(2, 3));
    at = attr_ints("perm", INTS(0, 1));
    CHECK_OK(run(OP(TRANSPOSE), &n, &in, &out, v));
    CHECK(memcmp(u, v, 6) == 0);
    at = attr_ints("perm", INTS(1, 0)); // f16 bits move unchanged
    uint16_t h[6] = {0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600}, hy[6];
    in = tensor(SY_DTYPE_F16, h, 2, DIMS(2, 3));
    CHECK_OK(run(OP(TRANSPOSE), &n, &in, &out, hy));
    CHECK(shape_is(&out, 2, DIMS(3, 2)) && hy[0] == 0x3c00 && hy[1] == 0x4400 && hy[2] == 0x4000 &&
          hy[3] == 0x4500 && hy[4] == 0x4200 && hy[5] == 0x4600);

    in = tensor(SY_DTYPE_F32, seq, 3, DIMS(2, 3, 4));
    at = attr_ints("perm", INTS(0, 0, 1));
    CHECK_FAILS(sy_infer_TRANSPOSE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'perm' [0,0,1] is not a permutation of 0..2");
    at = attr_ints("perm", INTS(0, 3, 1));
    CHECK_FAILS(sy_infer_TRANSPOSE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "is not a permutation");
    at = attr_ints("perm", INTS(-1, 0, 1));
    CHECK_FAILS(sy_infer_TRANSPOSE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "is not a permutation");
    at = attr_ints("perm", INTS(1, 0));
    CHECK_FAILS(sy_infer_TRANSPOSE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'perm' has 2 entries but input #0 has rank 3");
    n = make_node(SY_OP_TRANSPOSE, 1, NULL, 0);
    CHECK_FAILS(sy_infer_TRANSPOSE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'perm'");
}

// --- slice ---

// Slices x = seq[0..10) with the given attributes; returns the count, copies into y.
static int64_t slice_1d(sy_attr *attrs, uint32_t n_attrs, float *y) {
    sy_tensor in = tensor(SY_DTYPE_F32, seq, 1, DIMS(10)), out;
    sy_node_info n = make_node(SY_OP_SLICE, 1, attrs, n_attrs);
    sy_status st = run(OP(SLICE), &n, &in, &out, y);
    CHECK_OK(st);
    return st == SY_OK && out.rank == 1 ? out.dims[0] : -1;
}

static void test_slice(void) {
    fill_seq();
    float y[24];
    sy_attr at[4] = {attr_int("axis", 0), attr_int("start", -3)};
    CHECK(slice_1d(at, 2, y) == 3 && y[0] == 7 && y[1] == 8 && y[2] == 9); // x[-3:]
    at[1] = attr_int("start", -100);
    at[2] = attr_int("end", 100);
    CHECK(slice_1d(at, 3, y) == 10 && y[0] == 0 && y[9] == 9); // clamped both ends
    at[1] = attr_int("start", 1);
    at[2] = attr_int("end", -1);
    at[3] = attr_int("step", 3);
    CHECK(slice_1d(at, 4, y) == 3 && y[0] == 1 && y[1] == 4 && y[2] == 7); // x[1:-1:3]
    at[1] = attr_int("start", 2);
    at[2] = attr_int("end", 10);
    at[3] = attr_int("step", 4);
    CHECK(slice_1d(at, 4, y) == 2 && y[0] == 2 && y[1] == 6); // x[2:10:4]
    at[1] = attr_int("start", 6);
    at[2] = attr_int("end", 2);
    CHECK(slice_1d(at, 3, y) == 0); // start past end: empty
    at[1] = attr_int("step", INT64_MAX); // huge step: one element, no overflow
    CHECK(slice_1d(at, 2, y) == 1 && y[0] == 0);

    // Middle and negative axes of [2,3,4].
    sy_tensor in = tensor(SY_DTYPE_F32, seq, 3, DIMS(2, 3, 4)), out;
    sy_attr a2[3] = {attr_int("axis", -2), attr_int("start", 1), attr_int("end", 3)};
    sy_node_info n = make_node(SY_OP_SLICE, 1, a2, 3);
    CHECK_OK(run(OP(SLICE), &n, &in, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 2, 4)));
    int ok = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 4; k++) ok &= y[(i * 2 + j) * 4 + k] == seq[(i * 3 + j + 1) * 4 + k];
    CHECK(ok);
    sy_attr a3[3] = {attr_int("axis", 2), attr_int("start", 0), attr_int("step", 2)};
    n = make_node(SY_OP_SLICE, 1, a3, 3);
    CHECK_OK(run(OP(SLICE), &n, &in, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 3, 2)));
    ok = 1;
    for (int r = 0; r < 6; r++) ok &= y[r * 2] == seq[r * 4] && y[r * 2 + 1] == seq[r * 4 + 2];
    CHECK(ok);
    // i32 and bool data
    int32_t iv[4] = {9, 8, 7, 6}, iy[4];
    sy_tensor ii = tensor(SY_DTYPE_I32, iv, 1, DIMS(4));
    sy_attr a4[2] = {attr_int("axis", 0), attr_int("start", 2)};
    n = make_node(SY_OP_SLICE, 1, a4, 2);
    CHECK_OK(run(OP(SLICE), &n, &ii, &out, iy));
    CHECK(shape_is(&out, 1, DIMS(2)) && iy[0] == 7 && iy[1] == 6);

    // rules
    sy_attr bad[2] = {attr_int("axis", 0), attr_int("step", 0)};
    n = make_node(SY_OP_SLICE, 1, bad, 2);
    CHECK_FAILS(sy_infer_SLICE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'step' must be >= 1, not 0");
    bad[1] = attr_int("step", -1);
    CHECK_FAILS(sy_infer_SLICE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "'step' must be >= 1");
    n = make_node(SY_OP_SLICE, 1, NULL, 0);
    CHECK_FAILS(sy_infer_SLICE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'axis'");
    bad[0] = attr_int("axis", 3);
    n = make_node(SY_OP_SLICE, 1, bad, 1);
    CHECK_FAILS(sy_infer_SLICE(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'axis' 3 is out of range for rank 3");
}

// --- concat ---

static void test_concat(void) {
    // [2,1] ++ [2,2] ++ [2,3] along axis 1 (written as -1) -> [2,6]
    float a[2] = {1, 2}, b[4] = {10, 11, 12, 13}, c[6] = {20, 21, 22, 23, 24, 25}, y[12];
    sy_tensor in[3] = {tensor(SY_DTYPE_F32, a, 2, DIMS(2, 1)), tensor(SY_DTYPE_F32, b, 2, DIMS(2, 2)),
                       tensor(SY_DTYPE_F32, c, 2, DIMS(2, 3))}, out;
    sy_attr at = attr_int("axis", -1);
    sy_node_info n = make_node(SY_OP_CONCAT, 3, &at, 1);
    CHECK_OK(run(OP(CONCAT), &n, in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(2, 6)));
    float want[12] = {1, 10, 11, 20, 21, 22, 2, 12, 13, 23, 24, 25};
    CHECK_ALLCLOSE(y, want, 12, 0, 0);

    // axis 0 of [1,2], [2,2], [1,2] in i64
    int64_t p[2] = {1, 2}, q[4] = {3, 4, 5, 6}, r[2] = {7, 8}, z[8];
    sy_tensor in0[3] = {tensor(SY_DTYPE_I64, p, 2, DIMS(1, 2)), tensor(SY_DTYPE_I64, q, 2, DIMS(2, 2)),
                        tensor(SY_DTYPE_I64, r, 2, DIMS(1, 2))};
    at = attr_int("axis", 0);
    CHECK_OK(run(OP(CONCAT), &n, in0, &out, z));
    CHECK(out.dtype == SY_DTYPE_I64 && shape_is(&out, 2, DIMS(4, 2)));
    int ok = 1;
    for (int i = 0; i < 8; i++) ok &= z[i] == i + 1;
    CHECK(ok);
    // a zero-length piece in the middle
    sy_tensor in_e[3] = {tensor(SY_DTYPE_I64, p, 2, DIMS(1, 2)), tensor(SY_DTYPE_I64, NULL, 2, DIMS(0, 2)),
                         tensor(SY_DTYPE_I64, r, 2, DIMS(1, 2))};
    CHECK_OK(run(OP(CONCAT), &n, in_e, &out, z));
    CHECK(shape_is(&out, 2, DIMS(2, 2)) && z[0] == 1 && z[1] == 2 && z[2] == 7 && z[3] == 8);

    // rules
    uint16_t h[6] = {0};
    sy_tensor mixed[3] = {in[0], in[1], tensor(SY_DTYPE_F16, h, 2, DIMS(2, 3))};
    at = attr_int("axis", 1);
    CHECK_FAILS(sy_infer_CONCAT(&n, mixed, &out), SY_ERR_DTYPE, "input #2 has dtype f16 but input #0 has f32");
    sy_tensor bad[3] = {in[0], in[1], tensor(SY_DTYPE_F32, c, 2, DIMS(3, 2))};
    CHECK_FAILS(sy_infer_CONCAT(&n, bad, &out), SY_ERR_SHAPE, "input #2 has shape [3,2] but input #0 has [2,1]; only axis 1 may differ");
    sy_tensor rank[3] = {in[0], in[1], tensor(SY_DTYPE_F32, c, 3, DIMS(2, 3, 1))};
    CHECK_FAILS(sy_infer_CONCAT(&n, rank, &out), SY_ERR_SHAPE, "input #2 has shape [2,3,1]");
    at = attr_int("axis", 2);
    CHECK_FAILS(sy_infer_CONCAT(&n, in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'axis' 2 is out of range for rank 2");
    n = make_node(SY_OP_CONCAT, 3, NULL, 0);
    CHECK_FAILS(sy_infer_CONCAT(&n, in, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'axis'");
}

// --- expand ---

static void test_expand(void) {
    float x[3] = {1, 2, 3}, y[24];
    sy_tensor in = tensor(SY_DTYPE_F32, x, 2, DIMS(3, 1)), out;
    sy_attr at = attr_ints("shape", INTS(2, -1, 4)); // new leading dim, keep 3, 1 -> 4
    sy_node_info n = make_node(SY_OP_EXPAND, 1, &at, 1);
    CHECK_OK(run(OP(EXPAND), &n, &in, &out, y));
    CHECK(shape_is(&out, 3, DIMS(2, 3, 4)));
    int ok = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) ok &= y[(i * 3 + j) * 4 + k] == x[j];
    CHECK(ok);

    // rank 0 -> [2,2]; [1,3] -> [2,3] in bf16 (bits unchanged)
    float s = 5.0f;
    sy_tensor sc = tensor(SY_DTYPE_F32, &s, 0, NULL);
    at = attr_ints("shape", INTS(2, 2));
    CHECK_OK(run(OP(EXPAND), &n, &sc, &out, y));
    CHECK(shape_is(&out, 2, DIMS(2, 2)) && y[0] == 5 && y[1] == 5 && y[2] == 5 && y[3] == 5);
    uint16_t h[3] = {0x3f80, 0x4000, 0xc040}, hy[6];
    sy_tensor hin = tensor(SY_DTYPE_BF16, h, 2, DIMS(1, 3));
    at = attr_ints("shape", INTS(2, 3));
    CHECK_OK(run(OP(EXPAND), &n, &hin, &out, hy));
    CHECK(out.dtype == SY_DTYPE_BF16 && shape_is(&out, 2, DIMS(2, 3)));
    CHECK(hy[0] == 0x3f80 && hy[2] == 0xc040 && hy[3] == 0x3f80 && hy[4] == 0x4000 && hy[5] == 0xc040);

    // rules
    at = attr_ints("shape", INTS(3, 3));
    in = tensor(SY_DTYPE_F32, x, 2, DIMS(3, 1));
    CHECK_OK(sy_infer_EXPAND(&n, &in, &out));
    at = attr_ints("shape", INTS(4, 1));
    CHECK_FAILS(sy_infer_EXPAND(&n, &in, &out), SY_ERR_SHAPE,
                "cannot expand input #0 [3,1] to [4,1]: dim 0 is 3, and only size-1 dims may change");
    at = attr_ints("shape", INTS(3));
    CHECK_FAILS(sy_infer_EXPAND(&n, &in, &out), SY_ERR_SHAPE, "has fewer dims than input #0");
    at = attr_ints("shape", INTS(-1, 3, 1));
    CHECK_FAILS(sy_infer_EXPAND(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "a new leading dim needs a size >= 0");
    at = attr_ints("shape", INTS(3, -5));
    CHECK_FAILS(sy_infer_EXPAND(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "entry 1 is -5");
    n = make_node(SY_OP_EXPAND, 1, NULL, 0);
    CHECK_FAILS(sy_infer_EXPAND(&n, &in, &out), SY_ERR_INVALID_ARGUMENT, "missing required attribute 'shape'");
}

// --- gather ---

static void test_gather(void) {
    fill_seq();
    float y[24];
    sy_tensor out;
    // x [3,4] along axis 1 (written as -1) with indices [3,0,3]
    int32_t idx[3] = {3, 0, 3};
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, seq, 2, DIMS(3, 4)), tensor(SY_DTYPE_I32, idx, 1, DIMS(3))};
    sy_attr at = attr_int("axis", -1);
    sy_node_info n = make_node(SY_OP_GATHER, 2, &at, 1);
    CHECK_OK(run(OP(GATHER), &n, in, &out, y));
    CHECK(shape_is(&out, 2, DIMS(3, 3)));
    float want[9] = {3, 0, 3, 7, 4, 7, 11, 8, 11};
    CHECK_ALLCLOSE(y, want, 9, 0, 0);

    // axis 0 (default) of [3,2,2] i32 data with i64 indices [2,2,0,1]
    int32_t x[12], z[16];
    for (int i = 0; i < 12; i++) x[i] = 100 + i;
    int64_t idx64[4] = {2, 2, 0, 1};
    sy_tensor in0[2] = {tensor(SY_DTYPE_I32, x, 3, DIMS(3, 2, 2)), tensor(SY_DTYPE_I64, idx64, 1, DIMS(4))};
    n = make_node(SY_OP_GATHER, 2, NULL, 0);
    CHECK_OK(run(OP(GATHER), &n, in0, &out, z));
    CHECK(out.dtype == SY_DTYPE_I32 && shape_is(&out, 3, DIMS(4, 2, 2)));
    int ok = 1;
    for (int j = 0; j < 4; j++)
        for (int k = 0; k < 4; k++) ok &= z[j * 4 + k] == x[idx64[j] * 4 + k];
    CHECK(ok);

    // out of range: checked before any write
    int32_t bad[3] = {0, 4, 1};
    sy_tensor inb[2] = {in[0], tensor(SY_DTYPE_I32, bad, 1, DIMS(3))};
    n = make_node(SY_OP_GATHER, 2, &at, 1);
    for (int i = 0; i < 24; i++) y[i] = -1.0f;
    CHECK_FAILS(run(OP(GATHER), &n, inb, &out, y), SY_ERR_OUT_OF_RANGE,
                "index 4 at position 1 is out of range [0, 4) of axis 1");
    int untouched = 1;
    for (int i = 0; i < 24; i++) untouched &= y[i] == -1.0f;
    CHECK(untouched);
    int64_t negi[1] = {-1};
    sy_tensor inn[2] = {in[0], tensor(SY_DTYPE_I64, negi, 1, DIMS(1))};
    CHECK_FAILS(run(OP(GATHER), &n, inn, &out, y), SY_ERR_OUT_OF_RANGE, "index -1 at position 0");
    CHECK(y[0] == -1.0f);

    // rules
    sy_tensor f_idx[2] = {in[0], tensor(SY_DTYPE_F32, seq, 1, DIMS(3))};
    CHECK_FAILS(sy_infer_GATHER(&n, f_idx, &out), SY_ERR_DTYPE, "input #1 (indices) has dtype f32");
    sy_tensor idx2[2] = {in[0], tensor(SY_DTYPE_I32, idx, 2, DIMS(3, 1))};
    CHECK_FAILS(sy_infer_GATHER(&n, idx2, &out), SY_ERR_SHAPE, "gather needs 1-D indices");
    at = attr_int("axis", 2);
    CHECK_FAILS(sy_infer_GATHER(&n, in, &out), SY_ERR_INVALID_ARGUMENT, "attribute 'axis' 2 is out of range for rank 2");
}

int main(void) {
    RUN(test_embedding);
    RUN(test_reshape);
    RUN(test_transpose);
    RUN(test_slice);
    RUN(test_concat);
    RUN(test_expand);
    RUN(test_gather);
    return TEST_SUMMARY();
}
