// Block dtypes: the quantiser on hand-computed blocks, the dequantiser's round trip, the rules of
// linear and embedding with quantised weights, and the portable kernels against the f32 kernels
// on the dequantised weights (dequantise-then-f32 is the reference; the sums run in the same
// order, so they agree to the last bit).

#include "core/quant.h"
#include "ops_test_util.h"

static const sy_dtype qtypes[3] = {SY_DTYPE_Q8_0, SY_DTYPE_Q4_0, SY_DTYPE_Q4_1};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static void test_quantize_by_hand(void) {
    float x[32];
    uint8_t b[34];
    for (int i = 0; i < 32; i++) x[i] = (float)i - 16.0f; // -16 .. 15
    // q8_0: d = 16/127, q = round(x * 127/16): x = -16 -> -127, x = 1 -> round(7.9375) = 8.
    CHECK_OK(sy_quantize_row(SY_DTYPE_Q8_0, x, 32, b));
    CHECK(rd16(b) == sy_f32_to_f16(16.0f / 127.0f));
    CHECK((int8_t)b[2] == -127 && (int8_t)b[2 + 17] == 8 && (int8_t)b[2 + 16] == 0 && (int8_t)b[2 + 31] == 119);
    // q4_0: max by magnitude is -16, d = -16 / -8 = 2, q = trunc(x/2 + 8.5) clamped to 15:
    // x = -16 -> 0; x = 0 -> 8; x = 15 -> trunc(16) = 16 -> 15; x = -1 -> trunc(8.0) = 8.
    CHECK_OK(sy_quantize_row(SY_DTYPE_Q4_0, x, 32, b));
    CHECK(rd16(b) == sy_f32_to_f16(2.0f));
    CHECK((b[2] & 15) == 0 && (b[2] >> 4) == 8);         // x[0] = -16, x[16] = 0
    CHECK((b[2 + 15] & 15) == 8 && (b[2 + 15] >> 4) == 15); // x[15] = -1, x[31] = 15
    // q4_1: min -16, max 15, d = 31/15, q = trunc((x + 16) * 15/31 + 0.5): x = 15 -> 15, x = 0 -> 8.
    uint8_t c[20];
    CHECK_OK(sy_quantize_row(SY_DTYPE_Q4_1, x, 32, c));
    CHECK(rd16(c) == sy_f32_to_f16(31.0f / 15.0f) && rd16(c + 2) == sy_f32_to_f16(-16.0f));
    CHECK((c[4] & 15) == 0 && (c[4] >> 4) == 8 && (c[4 + 15] >> 4) == 15);
    // All zeros: scale 0, every code the zero point.
    memset(x, 0, sizeof x);
    CHECK_OK(sy_quantize_row(SY_DTYPE_Q4_0, x, 32, b));
    CHECK(rd16(b) == 0x8000 && b[2] == 0x88 && b[17] == 0x88); // d = 0 / -8 = -0, as in GGUF
    CHECK_OK(sy_quantize_row(SY_DTYPE_Q8_0, x, 32, b));
    CHECK(rd16(b) == 0 && b[2] == 0 && b[33] == 0);
}

static void test_round_trip(void) {
    float x[96], y[96];
    uint8_t q[3 * 34];
    for (int i = 0; i < 96; i++) x[i] = frand() * (i < 32 ? 1.0f : i < 64 ? 100.0f : 0.01f);
    for (int t = 0; t < 3; t++) {
        CHECK_OK(sy_quantize_row(qtypes[t], x, 96, q));
        CHECK_OK(sy_dequantize_row(qtypes[t], q, 96, y));
        for (int blk = 0; blk < 3; blk++) {
            float amax = 0.0f, err = 0.0f;
            for (int i = blk * 32; i < blk * 32 + 32; i++) {
                amax = fmaxf(amax, fabsf(x[i]));
                err = fmaxf(err, fabsf(x[i] - y[i]));
            }
            // Half a step plus the f16 rounding of the scale (and q4_1's min); q4_0 maps the
            // largest magnitude to -8 steps, so its opposite end clamps at +7: a whole step.
            float step = t == 0 ? amax / 127.0f : t == 1 ? 2.0f * amax / 8.0f : 2.0f * amax / 15.0f;
            CHECK_MSG(err <= 0.5f * step + amax * 2e-3f, "%s block %d: error %g, step %g", sy_dtype_name(qtypes[t]),
                      blk, err, step);
        }
    }
    float z[33];
    CHECK_FAILS(sy_quantize_row(SY_DTYPE_Q8_0, z, 33, q), SY_ERR_SHAPE, "33 elements are not a whole number of q8_0 blocks of 32");
    CHECK_FAILS(sy_quantize_row(SY_DTYPE_F16, z, 32, q), SY_ERR_DTYPE, "dtype f16 is not block-quantised");
    CHECK_FAILS(sy_dequantize_row(SY_DTYPE_Q4_1, NULL, 32, z), SY_ERR_INVALID_ARGUMENT, "NULL");
}

// A [rows, k] weight quantised to dt (malloc'd), and its dequantised copy in deq.
static uint8_t *quantized_matrix(sy_dtype dt, int64_t rows, int64_t k, float *deq) {
    float *w = malloc((size_t)(rows * k) * sizeof *w);
    for (int64_t i = 0; i < rows * k; i++) w[i] = frand();
    size_t rb = sy_dtype_row_bytes(dt, k);
    uint8_t *q = malloc((size_t)rows * (size_t)(k / 32) * 34); // >= the rows of any block dtype
    for (int64_t r = 0; r < rows; r++) {
        sy_quantize_row(dt, w + r * k, k, q + (size_t)r * rb);
        sy_dequantize_row(dt, q + (size_t)r * rb, k, deq + r * k);
    }
    free(w);
    return q;
}

static void test_linear_quantized(void) {
    enum { M = 3, K = 96, N = 5 };
    for (int t = 0; t < 3; t++) {
        float x[M * K], deq[N * K], bias[N], y[M * N], ref[M * N];
        for (int i = 0; i < M * K; i++) x[i] = frand();
        for (int i = 0; i < N; i++) bias[i] = frand();
        uint8_t *q = quantized_matrix(qtypes[t], N, K, deq);
        sy_node_info node = make_node(SY_OP_LINEAR, 3, NULL, 0);
        sy_tensor in[3] = {tensor(SY_DTYPE_F32, x, 2, DIMS(M, K)), tensor(qtypes[t], q, 2, DIMS(N, K)),
                           tensor(SY_DTYPE_F32, bias, 1, DIMS(N))};
        sy_tensor out, out_ref;
        CHECK_OK(run(OP(LINEAR), &node, in, &out, y));
        CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 2, DIMS(M, N)));
        in[1] = tensor(SY_DTYPE_F32, deq, 2, DIMS(N, K));
        CHECK_OK(run(OP(LINEAR), &node, in, &out_ref, ref));
        CHECK_ALLCLOSE(y, ref, M * N, 0.0f, 0.0f);
        // Against a plain double-precision sum as well (independent of the kernel's loops).
        for (int r = 0; r < M; r++)
            for (int c = 0; c < N; c++) {
                double s = bias[c];
                for (int k = 0; k < K; k++) s += (double)x[r * K + k] * deq[c * K + k];
                CHECK_NEAR(y[r * N + c], s, 1e-4);
            }
        // Rules: x must be f32; bias f32; K a multiple of the block is the value's own check.
        uint16_t xh[M * K] = {0};
        sy_tensor bad[3] = {tensor(SY_DTYPE_F16, xh, 2, DIMS(M, K)), tensor(qtypes[t], q, 2, DIMS(N, K)),
                            tensor(SY_DTYPE_F16, xh, 1, DIMS(N))};
        CHECK_FAILS(sy_infer_LINEAR(&node, bad, &out), SY_ERR_DTYPE, "with a q");
        bad[0] = in[0];
        CHECK_FAILS(sy_infer_LINEAR(&node, bad, &out), SY_ERR_DTYPE, "input #2 (b) has dtype f16; with a q");
        free(q);
    }
}

static void test_embedding_quantized(void) {
    enum { V = 7, D = 64 };
    for (int t = 0; t < 3; t++) {
        float deq[V * D], y[4 * D];
        uint8_t *q = quantized_matrix(qtypes[t], V, D, deq);
        int64_t ids[4] = {6, 0, 3, 6};
        sy_node_info node = make_node(SY_OP_EMBEDDING, 2, NULL, 0);
        sy_tensor in[2] = {tensor(qtypes[t], q, 2, DIMS(V, D)), tensor(SY_DTYPE_I64, ids, 2, DIMS(2, 2))};
        sy_tensor out;
        CHECK_OK(run(OP(EMBEDDING), &node, in, &out, y));
        CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 3, DIMS(2, 2, D)));
        for (int i = 0; i < 4; i++) CHECK_ALLCLOSE(y + i * D, deq + ids[i] * D, D, 0.0f, 0.0f);
        ids[2] = 7;
        CHECK_FAILS(run(OP(EMBEDDING), &node, in, &out, y), SY_ERR_OUT_OF_RANGE, "token id 7 at index 2");
        free(q);
    }
}

// No other op takes a block dtype: matmul, elementwise, norms, data movement refuse it.
static void test_other_ops_refuse(void) {
    uint8_t q[4 * 34] = {0};
    float f[128] = {0};
    sy_tensor out;
    sy_node_info mm = make_node(SY_OP_MATMUL, 2, NULL, 0);
    sy_tensor in[2] = {tensor(SY_DTYPE_F32, f, 2, DIMS(2, 32)), tensor(SY_DTYPE_Q8_0, q, 2, DIMS(32, 32))};
    CHECK(sy_infer_MATMUL(&mm, in, &out) == SY_ERR_DTYPE);
    sy_node_info add = make_node(SY_OP_ADD, 2, NULL, 0);
    sy_tensor in2[2] = {tensor(SY_DTYPE_Q4_0, q, 2, DIMS(2, 32)), tensor(SY_DTYPE_Q4_0, q, 2, DIMS(2, 32))};
    CHECK(sy_infer_ADD(&add, in2, &out) == SY_ERR_DTYPE);
    sy_node_info rs = make_node(SY_OP_RESHAPE, 1, NULL, 0);
    sy_attr shape = attr_ints("shape", INTS(64));
    rs.attrs = &shape;
    rs.n_attrs = 1;
    CHECK(sy_infer_RESHAPE(&rs, in2, &out) == SY_ERR_DTYPE);
    sy_node_info rn = make_node(SY_OP_RMS_NORM, 2, NULL, 0);
    sy_tensor in3[2] = {tensor(SY_DTYPE_Q8_0, q, 2, DIMS(2, 32)), tensor(SY_DTYPE_F32, f, 1, DIMS(32))};
    CHECK(sy_infer_RMS_NORM(&rn, in3, &out) == SY_ERR_DTYPE);
}

int main(void) {
    random_seed(7);
    RUN(test_quantize_by_hand);
    RUN(test_round_trip);
    RUN(test_linear_quantized);
    RUN(test_embedding_quantized);
    RUN(test_other_ops_refuse);
    return TEST_SUMMARY();
}
