// Block-quantised weights (q8_0, q4_0, q4_1) on the Vulkan delegate: linear (gemv_q for M == 1,
// matmul_q for M > 1) and embedding, against this file's own reference, which dequantises the
// blocks as docs/FORMAT.md lays them out (GGUF's layouts) and then computes in double:
//   linear: y[m, n] = sum_k x[m, k] * w[n, k] + b[n], within 1e-4 * (sum_k |x[m, k]| |w[n, k]| +
//           |b[n]|) + 1e-6 (the device sums in f32, in another order);
//   embedding: the dequantised row, exactly (d * q, d * (n - 8) and d * n + m are one f32
//           rounding at most, the same on both sides).
// The weights are random blocks (random normal f16 scales and mins of both signs, random quant
// bytes), so every nibble and byte value occurs. The device memory check: the partition's
// packed_bytes is exactly the raw block bytes (plus an f32 bias), i.e. no dequantised copy.
// Refusals: a block weight that is not a constant, bad ids. A tied head (one q8_0 constant as
// embedding table and LM-head weight) is uploaded once.

#include <stdio.h>

#include "vk_test.h"

#if defined(SY_HAVE_VULKAN)

static const sy_dtype block_dtypes[3] = {SY_DTYPE_Q8_0, SY_DTYPE_Q4_0, SY_DTYPE_Q4_1};

// --- blocks ---

/// A random normal f16 with magnitude in [2^-10, 2^-2) and a random sign (bit pattern).
static uint16_t random_f16(void) {
    vt_seed = vt_seed * 1664525u + 1013904223u;
    uint32_t r = vt_seed >> 8;
    uint32_t sign = r & 1u, exp = 5u + ((r >> 1) % 8u), man = (r >> 4) & 0x3ffu;
    return (uint16_t)((sign << 15) | (exp << 10) | man);
}

/// Value of an f16 bit pattern (normals and zero: all random_f16 makes).
static double f16_value(uint16_t h) {
    int exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    double v = exp == 0 && man == 0 ? 0.0 : ldexp(1.0 + man / 1024.0, exp - 15);
    return (h & 0x8000u) ? -v : v;
}

static uint8_t random_byte(void) {
    vt_seed = vt_seed * 1664525u + 1013904223u;
    return (uint8_t)(vt_seed >> 16);
}

/// rows x cols (cols a multiple of 32) of random blocks of dtype dt; *bytes_out gets the size.
static uint8_t *random_blocks(sy_dtype dt, int64_t rows, int64_t cols, size_t *bytes_out) {
    size_t bb = sy_dtype_block_bytes(dt), n_blocks = (size_t)(rows * cols / 32);
    uint8_t *b = malloc(n_blocks * bb);
    for (size_t i = 0; i < n_blocks; i++) {
        uint8_t *blk = b + i * bb;
        for (size_t j = 0; j < bb; j++) blk[j] = random_byte();
        uint16_t d = random_f16();
        blk[0] = (uint8_t)d;
        blk[1] = (uint8_t)(d >> 8);
        if (dt == SY_DTYPE_Q4_1) {
            uint16_t m = random_f16();
            blk[2] = (uint8_t)m;
            blk[3] = (uint8_t)(m >> 8);
        }
    }
    *bytes_out = n_blocks * bb;
    return b;
}

/// Dequantises `cols` elements (whole blocks) starting at blocks `src` into out.
static void dequant(sy_dtype dt, const uint8_t *src, int64_t cols, double *out) {
    size_t bb = sy_dtype_block_bytes(dt);
    for (int64_t b = 0; b < cols / 32; b++) {
        const uint8_t *blk = src + (size_t)b * bb;
        double d = f16_value((uint16_t)(blk[0] | blk[1] << 8));
        for (int j = 0; j < 32; j++) {
            double v;
            if (dt == SY_DTYPE_Q8_0) {
                v = d * (double)(int8_t)blk[2 + j];
            } else {
                const uint8_t *qs = blk + (dt == SY_DTYPE_Q4_1 ? 4 : 2);
                int n = j < 16 ? qs[j] & 15 : qs[j - 16] >> 4;
                v = dt == SY_DTYPE_Q4_0 ? d * (n - 8) : d * n + f16_value((uint16_t)(blk[2] | blk[3] << 8));
            }
            out[b * 32 + j] = v;
        }
    }
}

static uint32_t block_constant(sy_graph *g, const char *name, sy_dtype dt, int64_t rows, int64_t cols,
                               const uint8_t *data, size_t bytes) {
    const int64_t dims[2] = {rows, cols};
    uint32_t id = UINT32_MAX;
    CHECK_OK(sy_graph_add_constant(g, name, dt, 2, dims, data, bytes, &id));
    return id;
}

static size_t partition_packed_bytes(sy_runtime *rt) {
    sy_runtime_stats stats;
    memset(&stats, 0, sizeof stats);
    CHECK_OK(sy_runtime_get_stats(rt, &stats));
    CHECK_MSG(stats.n_partitions == 1, "%u partitions", stats.n_partitions);
    return stats.packed_bytes;
}

// --- linear ---

typedef struct linear_case {
    int64_t K, N;
    int bias;
} linear_case;

/// Checks y [M, N] against the dequantised reference; returns the worst error / tolerance.
static double check_linear(const char *what, const float *x, const double *w, const float *b, const float *y,
                           int64_t M, int64_t N, int64_t K) {
    double worst = 0.0;
    int reported = 0;
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < N; n++) {
            double acc = b ? b[n] : 0.0, mag = b ? fabs(b[n]) : 0.0;
            for (int64_t k = 0; k < K; k++) {
                acc += (double)x[m * K + k] * w[n * K + k];
                mag += fabs((double)x[m * K + k] * w[n * K + k]);
            }
            double tol = 1e-4 * mag + 1e-6, err = fabs((double)y[m * N + n] - acc);
            if (err / tol > worst) worst = err / tol;
            if (!(err <= tol) && reported++ < 3)
                CHECK_MSG(0, "%s: y[%lld, %lld] = %.9g, reference %.9g (tolerance %.3g)", what, (long long)m,
                          (long long)n, y[m * N + n], acc, tol);
        }
    }
    CHECK_MSG(reported == 0, "%s: %d outputs outside the tolerance", what, reported);
    return worst;
}

/// linear(x [T, K], w [N, K] block dtype dt, b) on one runtime, T symbolic (bound 64), run at
/// each M in {1, 2, 7, 64}: gemv_q for M == 1, matmul_q otherwise.
static void linear_one(sy_dtype dt, const linear_case *c) {
    const int64_t Ms[4] = {1, 2, 7, 64}, K = c->K, N = c->N;
    size_t wbytes = 0;
    uint8_t *wq = random_blocks(dt, N, K, &wbytes);
    double *w = malloc(sizeof(double) * (size_t)(N * K));
    for (int64_t n = 0; n < N; n++) dequant(dt, wq + (size_t)n * sy_dtype_row_bytes(dt, K), K, w + n * K);
    float *b = c->bias ? vt_random(N, -1.0f, 1.0f) : NULL;

    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t sym = 0;
    CHECK_OK(sy_graph_add_symbol(g, "T", 64, &sym));
    const int64_t xd[2] = {64, K}, bd[1] = {N};
    uint32_t in[3] = {vt_value(g, "x", SY_DTYPE_F32, SY_ROLE_INPUT, 2, xd, 0, sym),
                      block_constant(g, "w", dt, N, K, wq, wbytes), UINT32_MAX};
    if (b) in[2] = vt_constant(g, "b", SY_DTYPE_F32, 1, bd, b);
    sy_program *p = vt_finish(g, vt_op(g, "linear", SY_OP_LINEAR, in, b ? 3 : 2, NULL, 0));
    sy_runtime *rt = NULL;
    char what[128];
    snprintf(what, sizeof what, "linear %s K=%lld N=%lld%s", sy_dtype_name(dt), (long long)K, (long long)N,
             b ? " +bias" : "");
    CHECK_OK(p ? vt_runtime(p, "vulkan", &rt) : SY_ERR_INTERNAL);
    if (rt) {
        size_t want = wbytes + (b ? (size_t)N * 4 : 0);
        size_t packed = partition_packed_bytes(rt);
        CHECK_MSG(packed == want, "%s: packed_bytes %zu, the raw blocks%s are %zu bytes", what, packed,
                  b ? " and the bias" : "", want);
        double worst = 0.0;
        float *y = malloc(sizeof(float) * (size_t)(64 * N));
        for (int i = 0; i < 4; i++) {
            const int64_t M = Ms[i], dims[2] = {M, K};
            float *x = vt_random(M * K, -1.0f, 1.0f);
            vt_feed f = vt_feed_f32("x", x, 2, dims);
            int64_t n_out = 0;
            char what_m[160];
            snprintf(what_m, sizeof what_m, "%s M=%lld", what, (long long)M);
            sy_status st = vt_execute(rt, &f, 1, y, 64 * N, &n_out);
            CHECK_MSG(st == SY_OK, "%s: %s: %s", what_m, sy_status_name(st), sy_last_error());
            if (st == SY_OK && n_out == M * N) {
                double r = check_linear(what_m, x, w, b, y, M, N, K);
                if (r > worst) worst = r;
            }
            free(x);
        }
        printf("%s: worst error %.3f of the tolerance\n", what, worst);
        free(y);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
    free(b);
    free(w);
    free(wq);
}

static void test_linear(void) {
    const linear_case cases[] = {
        {576, 1536, 0}, // SmolLM2's up/gate projection
        {1536, 576, 1}, // its down projection
        {64, 37, 1},    // N not a multiple of any workgroup's rows or tile
        {32, 1, 0},     // one block, one row
        {96, 130, 0},   // 3 blocks per row (a part-filled pass of the row's threads)
    };
    for (int q = 0; q < 3; q++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) linear_one(block_dtypes[q], &cases[c]);
}

static void test_linear_batched_x(void) {
    // x [2, 3, K]: the rows are every axis but the last (M = 6).
    const int64_t K = 64, N = 20, xd[3] = {2, 3, K};
    size_t wbytes = 0;
    uint8_t *wq = random_blocks(SY_DTYPE_Q4_0, N, K, &wbytes);
    double *w = malloc(sizeof(double) * (size_t)(N * K));
    dequant(SY_DTYPE_Q4_0, wq, N * K, w); // rows are whole blocks: one run covers them all
    float *x = vt_random(6 * K, -2.0f, 2.0f);
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t in[2] = {vt_input(g, "x", 3, xd), block_constant(g, "w", SY_DTYPE_Q4_0, N, K, wq, wbytes)};
    sy_program *p = vt_finish(g, vt_op(g, "linear", SY_OP_LINEAR, in, 2, NULL, 0));
    vt_feed f = vt_feed_f32("x", x, 3, xd);
    float y[6 * 20];
    int64_t n = 0;
    CHECK_OK(p ? vt_run(p, "vulkan", &f, 1, y, 6 * N, &n) : SY_ERR_INTERNAL);
    CHECK(n == 6 * N);
    if (n == 6 * N) check_linear("linear q4_0 x [2, 3, 64]", x, w, NULL, y, 6, N, K);
    sy_program_destroy(p);
    free(x);
    free(w);
    free(wq);
}

static void test_linear_refusals(void) {
    // A block weight fed at run time is refused (the shaders read blocks uploaded at compile):
    // strict "vulkan" cannot take the node, and the reason says so.
    const int64_t K = 32, N = 4, xd[2] = {1, K}, wd[2] = {N, K};
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t in[2] = {vt_input(g, "x", 2, xd), vt_value(g, "w", SY_DTYPE_Q8_0, SY_ROLE_INPUT, 2, wd, -1, 0)};
    sy_program *p = vt_finish(g, vt_op(g, "linear", SY_OP_LINEAR, in, 2, NULL, 0));
    sy_runtime *rt = NULL;
    if (p) CHECK_FAILS(vt_runtime(p, "vulkan", &rt), SY_ERR_UNSUPPORTED, "not a constant");
    sy_runtime_destroy(rt);
    sy_program_destroy(p);

    // Block weights take f32 activations only (the op rule).
    size_t wbytes = 0;
    uint8_t *wq = random_blocks(SY_DTYPE_Q8_0, N, K, &wbytes);
    CHECK_OK(sy_graph_create(&g));
    uint32_t in2[2] = {vt_value(g, "x", SY_DTYPE_F16, SY_ROLE_INPUT, 2, xd, -1, 0),
                       block_constant(g, "w", SY_DTYPE_Q8_0, N, K, wq, wbytes)};
    uint32_t outs[1] = {UINT32_MAX};
    sy_status st = sy_graph_add_op(g, "linear", SY_OP_LINEAR, in2, 2, NULL, 0, outs);
    if (st == SY_OK) {
        CHECK_OK(sy_graph_set_output(g, outs[0], "y"));
        sy_program *bad = NULL;
        st = sy_program_from_graph(g, &bad);
        sy_program_destroy(bad);
    }
    CHECK_MSG(st == SY_ERR_DTYPE && strstr(sy_last_error(), "x must be f32"), "f16 x with q8_0 w: %s: %s",
              sy_status_name(st), sy_last_error());
    sy_graph_destroy(g);
    free(wq);
}

// --- embedding ---

static void test_embedding_refusal(void) {
    // A block table fed at run time is refused like a block weight.
    const int64_t td[2] = {10, 32}, idd[1] = {2};
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t in[2] = {vt_value(g, "table", SY_DTYPE_Q4_0, SY_ROLE_INPUT, 2, td, -1, 0),
                      vt_value(g, "ids", SY_DTYPE_I32, SY_ROLE_INPUT, 1, idd, -1, 0)};
    sy_program *p = vt_finish(g, vt_op(g, "embedding", SY_OP_EMBEDDING, in, 2, NULL, 0));
    sy_runtime *rt = NULL;
    if (p) CHECK_FAILS(vt_runtime(p, "vulkan", &rt), SY_ERR_UNSUPPORTED, "not a constant");
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
}

static void embedding_one(sy_dtype dt, int64_t V, int64_t D, sy_dtype id_dtype) {
    size_t bytes = 0;
    uint8_t *tq = random_blocks(dt, V, D, &bytes);
    double *table = malloc(sizeof(double) * (size_t)(V * D));
    dequant(dt, tq, V * D, table);
    const int64_t idd[2] = {2, 3};
    const int64_t ids64[6] = {0, V - 1, 3 % V, V / 2, 1 % V, 0};
    const int32_t ids32[6] = {(int32_t)ids64[0], (int32_t)ids64[1], (int32_t)ids64[2],
                              (int32_t)ids64[3], (int32_t)ids64[4], (int32_t)ids64[5]};
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t in[2] = {block_constant(g, "table", dt, V, D, tq, bytes),
                      vt_value(g, "ids", id_dtype, SY_ROLE_INPUT, 2, idd, -1, 0)};
    sy_program *p = vt_finish(g, vt_op(g, "embedding", SY_OP_EMBEDDING, in, 2, NULL, 0));
    char what[96];
    snprintf(what, sizeof what, "embedding %s [%lld, %lld] ids %s", sy_dtype_name(dt), (long long)V, (long long)D,
             sy_dtype_name(id_dtype));
    sy_runtime *rt = NULL;
    CHECK_OK(p ? vt_runtime(p, "vulkan", &rt) : SY_ERR_INTERNAL);
    if (rt) {
        size_t packed = partition_packed_bytes(rt);
        CHECK_MSG(packed == bytes, "%s: packed_bytes %zu, the raw blocks are %zu bytes", what, packed, bytes);
        vt_feed f = {.name = "ids", .t = {.data = id_dtype == SY_DTYPE_I64 ? (void *)ids64 : (void *)ids32,
                                          .dtype = id_dtype, .rank = 2, .dims = {2, 3}}};
        float *y = malloc(sizeof(float) * (size_t)(6 * D));
        int64_t n = 0;
        CHECK_OK(vt_execute(rt, &f, 1, y, 6 * D, &n));
        CHECK(n == 6 * D);
        int bad = 0;
        for (int64_t r = 0; r < 6 && n == 6 * D; r++)
            for (int64_t d = 0; d < D; d++)
                if (y[r * D + d] != (float)table[ids64[r] * D + d] && bad++ < 3)
                    CHECK_MSG(0, "%s: y[%lld, %lld] = %.9g, reference %.9g", what, (long long)r, (long long)d,
                              y[r * D + d], table[ids64[r] * D + d]);
        CHECK_MSG(bad == 0, "%s: %d elements differ", what, bad);
        // An id past the table is refused before anything runs.
        const int64_t bad64[6] = {0, V, 0, 0, 0, 0};
        const int32_t bad32[6] = {0, (int32_t)V, 0, 0, 0, 0};
        f.t.data = id_dtype == SY_DTYPE_I64 ? (void *)bad64 : (void *)bad32;
        CHECK_FAILS(vt_execute(rt, &f, 1, y, 6 * D, &n), SY_ERR_OUT_OF_RANGE, "out of range");
        free(y);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
    free(table);
    free(tq);
}

static void test_embedding(void) {
    for (int q = 0; q < 3; q++) {
        embedding_one(block_dtypes[q], 50, 32, SY_DTYPE_I32);
        embedding_one(block_dtypes[q], 300, 576, SY_DTYPE_I64);
    }
}

static void test_tied_head(void) {
    // SmolLM2's tied embeddings: one q8_0 constant is both the embedding table and the LM head's
    // weight. One partition, one upload of the blocks, two kernels reading them.
    const int64_t V = 200, D = 64, n_ids = 3, idd[1] = {n_ids};
    const int32_t ids[3] = {7, 0, 199};
    size_t bytes = 0;
    uint8_t *tq = random_blocks(SY_DTYPE_Q8_0, V, D, &bytes);
    double *table = malloc(sizeof(double) * (size_t)(V * D));
    dequant(SY_DTYPE_Q8_0, tq, V * D, table);
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    uint32_t t = block_constant(g, "table", SY_DTYPE_Q8_0, V, D, tq, bytes);
    uint32_t in[2] = {t, vt_value(g, "ids", SY_DTYPE_I32, SY_ROLE_INPUT, 1, idd, -1, 0)};
    uint32_t h = vt_op(g, "embed", SY_OP_EMBEDDING, in, 2, NULL, 0);
    uint32_t lin[2] = {h, t};
    sy_program *p = vt_finish(g, vt_op(g, "head", SY_OP_LINEAR, lin, 2, NULL, 0));
    sy_runtime *rt = NULL;
    CHECK_OK(p ? vt_runtime(p, "vulkan", &rt) : SY_ERR_INTERNAL);
    if (rt) {
        size_t packed = partition_packed_bytes(rt);
        CHECK_MSG(packed == bytes, "tied head: packed_bytes %zu, the blocks are %zu bytes (uploaded once)", packed,
                  bytes);
        vt_feed f = {.name = "ids", .t = {.data = (void *)ids, .dtype = SY_DTYPE_I32, .rank = 1, .dims = {n_ids}}};
        float *y = malloc(sizeof(float) * (size_t)(n_ids * V)), x[3 * 64];
        int64_t n = 0;
        CHECK_OK(vt_execute(rt, &f, 1, y, n_ids * V, &n));
        for (int64_t r = 0; r < n_ids; r++)
            for (int64_t d = 0; d < D; d++) x[r * D + d] = (float)table[ids[r] * D + d];
        if (n == n_ids * V) check_linear("tied head q8_0", x, table, NULL, y, n_ids, V, D);
        free(y);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
    free(table);
    free(tq);
}

VT_MAIN({
    test_linear();
    test_linear_batched_x();
    test_linear_refusals();
    test_embedding();
    test_embedding_refusal();
    test_tied_head();
})
#else
VT_MAIN({})
#endif
