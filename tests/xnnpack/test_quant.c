// Quantised weights on the XNNPACK delegate (its own kernels, ops/linear_cpu.c and the embedding
// in ops/index.c), with every node forced onto xnnpack (strict policy):
//
// - linear with a constant q8_0 / q4_0 / q4_1 weight [N, K] and an f32 bias, over a
//   symbolic row count T (bound 64), run at M = 1, 2, 7, 64 rows for K = 576 and 1536 and an odd
//   N, against this file's own dequantiser and a double product, in both activation modes.
//   Bound: γ_K · Σ |w_j x_j| + 1e-6 (γ_K = K·2⁻²⁴ / (1 - K·2⁻²⁴), f32 accumulation) with
//   activations=f32 (the default); with activations=q8 each 32-block of x is quantised to q8
//   (d = amax/127, |x - x̂| <= d/2), which adds Σ_blocks (amax_b / 254) · Σ_j∈b |w_j|. Both bounds
//   are far below the error of any wrong nibble, sign or scale, and the f32 one is below the q8
//   rounding (so a q8 path taken by mistake fails it).
// - the same for an f32 weight with xnnpack.f32_linear=kernels (no activation term in the bound);
// - portable (the dequantise-on-the-fly reference) within the same bound of the double product;
// - threads = 1 and threads = 2 give bitwise the same outputs, on the kernels' own pool
//   (kernel_pool = 1, the default) and on the pthreadpool;
// - embedding of a q8_0 / q4_0 / q4_1 table: rows equal the dequantised rows.

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "delegates/xnnpack/kernels/cpukern.h"

#if defined(SY_HAVE_XNNPACK)

#define TMAX 64
#define N_OUT 67 // odd, not a multiple of the kernels' 32-row tiles

static uint32_t g_state = 0x2545f491u;
static uint32_t rnd(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 17;
    g_state ^= g_state << 5;
    return g_state;
}
static float frand(void) { return (float)(rnd() % 2000001u) / 1e6f - 1.0f; }

static float half_value(uint16_t h) { // finite normal halves only (what make_weight writes)
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    return (h & 0x8000 ? -1.0f : 1.0f) * ldexpf(1.0f + (float)m / 1024.0f, e - 15);
}
static uint16_t rand_half(int e_lo, int e_hi, int negative_ok) {
    const uint16_t e = (uint16_t)(e_lo + (int)(rnd() % (uint32_t)(e_hi - e_lo + 1)));
    return (uint16_t)((negative_ok && (rnd() & 1u) ? 0x8000u : 0u) | (uint16_t)(e << 10) | (uint16_t)(rnd() % 1024u));
}
static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)(v >> 8);
}

// Random bytes of a weight [n, k] in dtype, and wf = their values (GGUF's block layouts).
static void make_weight(sy_dtype dt, int64_t n, int64_t k, uint8_t *w, float *wf) {
    if (dt == SY_DTYPE_F32) {
        for (int64_t i = 0; i < n * k; i++) wf[i] = frand();
        memcpy(w, wf, sizeof(float) * (size_t)(n * k));
        return;
    }
    if (dt == SY_DTYPE_F16) {
        for (int64_t i = 0; i < n * k; i++) {
            const uint16_t h = rand_half(10, 15, 1);
            put16(w + 2 * i, h);
            wf[i] = half_value(h);
        }
        return;
    }
    const size_t bb = dt == SY_DTYPE_Q8_0 ? 34 : dt == SY_DTYPE_Q4_0 ? 18 : 20;
    for (int64_t b = 0; b < n * k / 32; b++) {
        uint8_t *blk = w + (size_t)b * bb;
        float *v = wf + b * 32;
        const uint16_t dh = rand_half(6, 11, dt == SY_DTYPE_Q8_0), mh = rand_half(6, 11, 1);
        const float d = half_value(dh), mn = dt == SY_DTYPE_Q4_1 ? half_value(mh) : 0.0f;
        put16(blk, dh);
        if (dt == SY_DTYPE_Q4_1) put16(blk + 2, mh);
        uint8_t *qs = blk + (dt == SY_DTYPE_Q4_1 ? 4 : 2);
        for (int j = 0; j < 32; j++) {
            if (dt == SY_DTYPE_Q8_0) {
                const int q = (int)(rnd() % 256u) - 128; // -128 included
                qs[j] = (uint8_t)(int8_t)q;
                v[j] = d * (float)q;
                continue;
            }
            const int q = (int)(rnd() % 16u);
            if (j < 16) qs[j] = (uint8_t)q;
            else qs[j - 16] = (uint8_t)(qs[j - 16] | (q << 4));
            v[j] = dt == SY_DTYPE_Q4_0 ? d * (float)(q - 8) : d * (float)q + mn;
        }
    }
}

static size_t weight_bytes(sy_dtype dt, int64_t n, int64_t k) {
    if (dt == SY_DTYPE_F32) return (size_t)(n * k) * 4;
    return (size_t)n * (dt == SY_DTYPE_F16 ? (size_t)k * 2 : (size_t)(k / 32) * (dt == SY_DTYPE_Q8_0 ? 34u : dt == SY_DTYPE_Q4_0 ? 18u : 20u));
}

// y [T, N] = linear(x [T, K], w, b), T symbolic up to TMAX.
static sy_program *build_linear(sy_dtype dt, int64_t k, const uint8_t *w, const float *bias) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, x, wv, bv, y;
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, "T", TMAX, &t));
    sy_value_desc xd = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 2, .dims = {TMAX, k},
                        .sym = {(int32_t)t, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    const int64_t dw[2] = {N_OUT, k}, db[1] = {N_OUT};
    CHECK_OK(sy_graph_add_constant(g, "w", dt, 2, dw, w, weight_bytes(dt, N_OUT, k), &wv));
    CHECK_OK(sy_graph_add_constant(g, "b", SY_DTYPE_F32, 1, db, bias, sizeof(float) * N_OUT, &bv));
    const uint32_t in[3] = {x, wv, bv};
    CHECK_OK(sy_graph_add_op(g, "lin", SY_OP_LINEAR, in, 3, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static sy_runtime *make_runtime(const sy_program *p, const char *threads, const char *kernel_pool,
                                const char *activations) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "xnnpack"));
    sy_config_set_policy(cfg, SY_POLICY_STRICT); // every node on xnnpack, or creation fails
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "threads", threads));
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "kernel_pool", kernel_pool));
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "f32_linear", "kernels")); // f32 too: every row count
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "activations", activations));
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

static sy_runtime *portable_runtime(const sy_program *p) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "portable"));
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    sy_config_destroy(cfg);
    return rt;
}

static int run_linear(sy_runtime *rt, const float *x, int64_t m, int64_t k, float *y) {
    sy_tensor tx = {.data = (void *)x, .dtype = SY_DTYPE_F32, .rank = 2, .dims = {m, k}};
    sy_tensor ty;
    sy_status st = sy_runtime_set_input(rt, "x", &tx);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    if (st == SY_OK) st = sy_runtime_get_output(rt, "y", &ty);
    CHECK_OK(st);
    if (st != SY_OK || ty.rank != 2 || ty.dims[0] != m || ty.dims[1] != N_OUT) return 0;
    memcpy(y, ty.data, sizeof(float) * (size_t)(m * N_OUT));
    return 1;
}

// Checks y against the double product of x with wf, under the bound in the file comment.
static void check_linear(sy_dtype dt, int q8, const float *x, const float *wf, const float *bias,
                         const float *y, int64_t m, int64_t k) {
    const double u = ldexp(1.0, -24), gamma = (double)k * u / (1.0 - (double)k * u);
    double worst = 0.0; // largest error / bound seen
    int bad = 0;
    for (int64_t r = 0; r < m; r++) {
        const float *xr = x + r * k;
        for (int64_t c = 0; c < N_OUT; c++) {
            const float *wr = wf + c * k;
            double ref = bias[c], mag = fabs((double)bias[c]), qerr = 0.0;
            for (int64_t b = 0; b < k / 32; b++) {
                double amax = 0.0, wsum = 0.0;
                for (int j = 0; j < 32; j++) {
                    const double xv = xr[b * 32 + j], wv = wr[b * 32 + j];
                    ref += xv * wv;
                    mag += fabs(xv * wv);
                    amax = fmax(amax, fabs(xv));
                    wsum += fabs(wv);
                }
                qerr += amax / 254.0 * wsum;
            }
            const double tol = (q8 && dt != SY_DTYPE_F16 && dt != SY_DTYPE_F32 ? qerr : 0.0) + gamma * mag + 1e-6;
            const double err = fabs((double)y[r * N_OUT + c] - ref);
            if (err / tol > worst) worst = err / tol;
            if (err > tol && bad++ < 3)
                fprintf(stderr, "  %s m=%lld k=%lld y[%lld,%lld] = %.7g, reference %.7g (bound %.3g)\n",
                        sy_dtype_name(dt), (long long)m, (long long)k, (long long)r, (long long)c,
                        (double)y[r * N_OUT + c], ref, tol);
        }
    }
    const char *mode = q8 ? "q8" : "f32";
    CHECK_MSG(bad == 0, "%s linear (activations %s) m=%lld k=%lld: %d outputs past the bound", sy_dtype_name(dt),
              mode, (long long)m, (long long)k, bad);
    fprintf(stderr, "  %s %-3s m=%2lld k=%4lld: worst error %.3f of the bound\n", sy_dtype_name(dt), mode,
            (long long)m, (long long)k, worst);
}

static void test_linear_dtype(sy_dtype dt, int64_t k, int q8) {
    const char *act = q8 ? "q8" : "f32";
    uint8_t *w = malloc(weight_bytes(dt, N_OUT, k));
    float *wf = malloc(sizeof(float) * (size_t)(N_OUT * k)), bias[N_OUT];
    float *x = malloc(sizeof(float) * (size_t)(TMAX * k));
    float *y1 = malloc(sizeof(float) * TMAX * N_OUT), *y2 = malloc(sizeof(float) * TMAX * N_OUT);
    if (!w || !wf || !x || !y1 || !y2) abort();
    make_weight(dt, N_OUT, k, w, wf);
    for (int i = 0; i < N_OUT; i++) bias[i] = frand();
    for (int64_t i = 0; i < TMAX * k; i++) x[i] = frand() * (i % 7 == 0 ? 4.0f : 1.0f);
    sy_program *p = build_linear(dt, k, w, bias);
    sy_runtime *one = p ? make_runtime(p, "1", "1", act) : NULL, *two = p ? make_runtime(p, "2", "1", act) : NULL;
    sy_runtime *two_pt = p ? make_runtime(p, "2", "0", act) : NULL; // pthreadpool instead of the kernel pool
    sy_runtime *ref = p ? portable_runtime(p) : NULL; // the portable reference (dequantise on the fly)
    if (one) { // q8 activations on a CPU with the packed kernels: the weight is packed once, else read in place
        sy_cpukern_dtype cd = dt == SY_DTYPE_Q8_0 ? SY_CPUKERN_Q8_0 : dt == SY_DTYPE_Q4_0 ? SY_CPUKERN_Q4_0 : SY_CPUKERN_Q4_1;
        const int packs = q8 && dt != SY_DTYPE_F32 && sy_cpukern_packed_supported(cd, SY_CPU_ISA_AUTO);
        sy_runtime_stats st;
        CHECK_OK(sy_runtime_get_stats(one, &st));
        if (dt != SY_DTYPE_F32)
            CHECK_MSG(st.packed_bytes == (packs ? sy_cpukern_packed_bytes(cd, N_OUT, k) : 0),
                      "%s linear (activations %s) k=%lld: packed_bytes %zu", sy_dtype_name(dt), act, (long long)k,
                      st.packed_bytes);
    }
    const int64_t rows[] = {1, 2, 7, 64};
    for (size_t i = 0; one && two && i < sizeof(rows) / sizeof(rows[0]); i++) {
        const int64_t m = rows[i], off = m + (int64_t)i * 3 <= TMAX ? (int64_t)i * 3 : 0;
        const float *xi = x + off * k; // different rows each time
        if (!run_linear(one, xi, m, k, y1) || !run_linear(two, xi, m, k, y2)) break;
        check_linear(dt, q8, xi, wf, bias, y1, m, k);
        CHECK_MSG(memcmp(y1, y2, sizeof(float) * (size_t)(m * N_OUT)) == 0,
                  "%s m=%lld: threads=1 and threads=2 differ", sy_dtype_name(dt), (long long)m);
        // portable dequantises exactly and multiplies f32 activations: within the f32 bound
        if (!ref || !run_linear(ref, xi, m, k, y2)) break;
        check_linear(dt, 0, xi, wf, bias, y2, m, k);
        if (!two_pt || !run_linear(two_pt, xi, m, k, y2)) break;
        CHECK_MSG(memcmp(y1, y2, sizeof(float) * (size_t)(m * N_OUT)) == 0,
                  "%s m=%lld: threads=1 and threads=2 on pthreadpool differ", sy_dtype_name(dt), (long long)m);
    }
    sy_runtime_destroy(one);
    sy_runtime_destroy(two);
    sy_runtime_destroy(two_pt);
    sy_runtime_destroy(ref);
    sy_program_destroy(p);
    free(w), free(wf), free(x), free(y1), free(y2);
}

static void test_linear(void) {
    // (the op rules give linear a block or f32 weight with f32 x; an f16 weight needs f16 x)
    const sy_dtype dts[] = {SY_DTYPE_Q8_0, SY_DTYPE_Q4_0, SY_DTYPE_Q4_1, SY_DTYPE_F32};
    for (size_t d = 0; d < 4; d++) {
        for (int q8 = 0; q8 <= (dts[d] != SY_DTYPE_F32); q8++) {
            test_linear_dtype(dts[d], 576, q8);
            test_linear_dtype(dts[d], 1536, q8);
        }
    }
}

// --- embedding of a quantised table ---

#define V 50
#define D 576

static void test_embedding_dtype(sy_dtype dt) {
    uint8_t *table = malloc(weight_bytes(dt, V, D));
    float *tf = malloc(sizeof(float) * V * D);
    if (!table || !tf) abort();
    make_weight(dt, V, D, table, tf);
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t t, ids, tv, y;
    CHECK_OK(sy_graph_create(&g));
    CHECK_OK(sy_graph_add_symbol(g, "T", 16, &t));
    sy_value_desc idd = {.name = "ids", .dtype = SY_DTYPE_I64, .role = SY_ROLE_INPUT, .rank = 1, .dims = {16},
                         .sym = {(int32_t)t, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &idd, &ids));
    const int64_t dt_dims[2] = {V, D};
    CHECK_OK(sy_graph_add_constant(g, "table", dt, 2, dt_dims, table, weight_bytes(dt, V, D), &tv));
    const uint32_t in[2] = {tv, ids};
    CHECK_OK(sy_graph_add_op(g, "emb", SY_OP_EMBEDDING, in, 2, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    sy_runtime *rt = p ? make_runtime(p, "2", "1", "f32") : NULL;
    const int64_t id_values[7] = {0, V - 1, 3, 3, 17, 42, 1};
    sy_tensor tid = {.data = (void *)id_values, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {7}};
    sy_tensor ty;
    if (rt) {
        CHECK_OK(sy_runtime_set_input(rt, "ids", &tid));
        CHECK_OK(sy_runtime_execute(rt));
        CHECK_OK(sy_runtime_get_output(rt, "y", &ty));
        CHECK(ty.rank == 2 && ty.dims[0] == 7 && ty.dims[1] == D);
        int bad = 0;
        for (int r = 0; r < 7 && ty.rank == 2; r++) {
            for (int c = 0; c < D; c++) {
                const float got = ((const float *)ty.data)[r * D + c], want = tf[id_values[r] * D + c];
                bad += fabsf(got - want) > 1e-6f * fabsf(want);
            }
        }
        CHECK_MSG(bad == 0, "%s embedding: %d elements differ from the dequantised rows", sy_dtype_name(dt), bad);
    }
    sy_runtime_destroy(rt);
    sy_program_destroy(p);
    free(table), free(tf);
}

static void test_embedding(void) {
    test_embedding_dtype(SY_DTYPE_Q8_0);
    test_embedding_dtype(SY_DTYPE_Q4_0);
    test_embedding_dtype(SY_DTYPE_Q4_1);
}

// A bad f32_linear or activations value is refused with the option named.
static void test_bad_option_value(const char *key, const char *value) {
    static uint8_t w[N_OUT * 64 * 4];
    static float wf[N_OUT * 64], bias[N_OUT];
    make_weight(SY_DTYPE_F32, N_OUT, 64, w, wf);
    sy_program *p = build_linear(SY_DTYPE_F32, 64, w, bias);
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "xnnpack"));
    sy_status st = sy_config_set_option(cfg, "xnnpack", key, value);
    if (st == SY_OK) st = sy_runtime_create(p, cfg, &rt);
    CHECK(st != SY_OK && rt == NULL);
    CHECK_MSG(strstr(sy_last_error(), key) != NULL, "message '%s' does not name the option", sy_last_error());
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(p);
}

static void test_bad_option(void) {
    test_bad_option_value("f32_linear", "fast");
    test_bad_option_value("activations", "q4");
    test_bad_option_value("activations", "f3"); // a prefix of a choice is not a choice
}

int main(void) {
    RUN(test_bad_option);
    RUN(test_linear);
    RUN(test_embedding);
    return TEST_SUMMARY();
}

#else
int main(void) {
    printf("skipped: no xnnpack\n");
    return 0;
}
#endif
