// rope, update_cache, sdpa, sdpa_with_kv_cache: shape/dtype rules and portable kernels, against
// hand-computed values and a naive reference written here (explicit score matrix, softmax in
// double, mask expanded by index arithmetic).

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ops_test_util.h"

// --- helpers ---

#define T4(dt, data, a, b, c, d) tensor((dt), (data), 4, (int64_t[]){(a), (b), (c), (d)})
#define NONE tensor(SY_DTYPE_INVALID, NULL, 0, NULL)

// --- naive references ---

typedef struct sdpa_case {
    int64_t b, hq, hkv, tq, tk, d, dv;
    int causal;
    float scale; // 0 = 1/sqrt(d)
    // optional mask, broadcast against (b, hq, tq, tk)
    const float *fmask;   // additive
    const uint8_t *bmask; // 1 = may attend
    uint32_t mask_rank;
    int64_t mask_dims[4];
} sdpa_case;

// Element of the mask for (b, h, i, j), NumPy broadcasting by index arithmetic.
static int64_t mask_index(const sdpa_case *c, int64_t b, int64_t h, int64_t i, int64_t j) {
    const int64_t coord[4] = {b, h, i, j};
    int64_t idx = 0;
    for (uint32_t m = 0; m < c->mask_rank; m++) {
        int64_t dim = c->mask_dims[m];
        idx = idx * dim + (dim == 1 ? 0 : coord[4 - c->mask_rank + m]);
    }
    return idx;
}

// out (b, hq, tq, dv) = softmax(q k^T * scale + mask, causal) v with an explicit score matrix.
static void sdpa_ref(const sdpa_case *c, const float *q, const float *k, const float *v,
                     float *out) {
    double scale = c->scale != 0.0f ? c->scale : 1.0 / sqrt((double)c->d);
    double *s = malloc((size_t)(c->tq * c->tk + 1) * sizeof(double)); // (tq, tk)
    int *ok = malloc((size_t)(c->tq * c->tk + 1) * sizeof(int));      // (tq, tk)
    for (int64_t b = 0; b < c->b; b++)
        for (int64_t h = 0; h < c->hq; h++) {
            int64_t g = h / (c->hq / c->hkv);
            const float *qh = q + (b * c->hq + h) * c->tq * c->d;
            const float *kh = k + (b * c->hkv + g) * c->tk * c->d;
            const float *vh = v + (b * c->hkv + g) * c->tk * c->dv;
            float *oh = out + (b * c->hq + h) * c->tq * c->dv;
            for (int64_t i = 0; i < c->tq; i++)
                for (int64_t j = 0; j < c->tk; j++) {
                    double dot = 0;
                    for (int64_t x = 0; x < c->d; x++)
                        dot += (double)qh[i * c->d + x] * kh[j * c->d + x];
                    double score = dot * scale;
                    int allowed = !c->causal || j <= i + (c->tk - c->tq);
                    if (c->bmask) allowed = allowed && c->bmask[mask_index(c, b, h, i, j)];
                    if (c->fmask) score += c->fmask[mask_index(c, b, h, i, j)];
                    if (isinf(score) && score < 0) allowed = 0;
                    s[i * c->tk + j] = score;
                    ok[i * c->tk + j] = allowed;
                }
            for (int64_t i = 0; i < c->tq; i++) {
                double mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < c->tk; j++)
                    if (ok[i * c->tk + j] && s[i * c->tk + j] > mx) mx = s[i * c->tk + j];
                for (int64_t j = 0; j < c->tk; j++)
                    if (ok[i * c->tk + j]) sum += exp(s[i * c->tk + j] - mx);
                for (int64_t x = 0; x < c->dv; x++) {
                    double acc = 0;
                    for (int64_t j = 0; j < c->tk; j++)
                        if (ok[i * c->tk + j])
                            acc += exp(s[i * c->tk + j] - mx) / sum * vh[j * c->dv + x];
                    oh[i * c->dv + x] = (float)acc; // no allowed key: acc stays 0
                }
            }
        }
    free(s);
    free(ok);
}

// Runs the sdpa rule + kernel for case c in dtype dt; inputs are random (rounded to dt), the
// result is compared against sdpa_ref. Returns nothing; records CHECK failures.
static void check_sdpa(const sdpa_case *c, sy_dtype dt, float atol, float rtol) {
    int64_t nq = c->b * c->hq * c->tq * c->d, nk = c->b * c->hkv * c->tk * c->d;
    int64_t nv = c->b * c->hkv * c->tk * c->dv, no = c->b * c->hq * c->tq * c->dv;
    int64_t nm = 1;
    for (uint32_t i = 0; i < c->mask_rank; i++) nm *= c->mask_dims[i];
    float *q = random_floats(nq, 1.5f), *k = random_floats(nk, 1.5f), *v = random_floats(nv, 1);
    float *fm = c->fmask ? malloc((size_t)nm * 4) : NULL;
    if (fm) memcpy(fm, c->fmask, (size_t)nm * 4);
    void *qs = store_as(q, nq, dt), *ks = store_as(k, nk, dt), *vs = store_as(v, nv, dt);
    void *ms = fm ? store_as(fm, nm, dt) : NULL;
    sdpa_case rc = *c;
    rc.fmask = fm;
    float *expect = malloc((size_t)no * 4 + 4), *got = malloc((size_t)no * 4 + 4);
    void *os = malloc((size_t)no * 4 + 4);
    sdpa_ref(&rc, q, k, v, expect);

    sy_attr attrs[2] = {attr_int("causal", c->causal), attr_float("scale", c->scale)};
    sy_node_info node = make_node(SY_OP_SDPA, 4, attrs, 2);
    sy_tensor in[4] = {T4(dt, qs, c->b, c->hq, c->tq, c->d), T4(dt, ks, c->b, c->hkv, c->tk, c->d),
                       T4(dt, vs, c->b, c->hkv, c->tk, c->dv), NONE};
    if (c->fmask) in[3] = tensor(dt, ms, c->mask_rank, c->mask_dims);
    if (c->bmask) in[3] = tensor(SY_DTYPE_BOOL, (void *)c->bmask, c->mask_rank, c->mask_dims);
    sy_tensor out = {0};
    CHECK_OK(sy_infer_SDPA(&node, in, &out));
    CHECK(out.dtype == dt && shape_is(&out, 4, (int64_t[]){c->b, c->hq, c->tq, c->dv}));
    out.data = os;
    CHECK_OK(sy_portable_SDPA(&node, in, &out));
    load_as_f32(os, dt, no, got);
    CHECK_ALLCLOSE(got, expect, no, atol, rtol);
    for (int64_t i = 0; i < no; i++) CHECK(!isnan(got[i]));
    free(q), free(k), free(v), free(fm), free(qs), free(ks), free(vs), free(ms);
    free(expect), free(got), free(os);
}

// --- rope ---

static void test_rope_hand(void) {
    // x = [1, 2, 3, 4] at position 1, D = 4, theta = 10000: pair 0 turns by 1 rad, pair 1 by
    // 10000^(-2/4) = 0.01 rad.
    float x[4] = {1, 2, 3, 4}, y[4];
    int32_t pos[1] = {1};
    float c0 = cosf(1.0f), s0 = sinf(1.0f), c1 = cosf(0.01f), s1 = sinf(0.01f);
    sy_attr attrs[1] = {attr_int("layout", 0)};
    sy_node_info node = make_node(SY_OP_ROPE, 2, attrs, 1);
    sy_tensor in[2] = {T4(SY_DTYPE_F32, x, 1, 1, 1, 4),
                       tensor(SY_DTYPE_I32, pos, 1, (int64_t[]){1})};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_ROPE(&node, in, &out));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 4, (int64_t[]){1, 1, 1, 4}));
    out.data = y;
    // half-split: pairs (0, 2) and (1, 3)
    CHECK_OK(sy_portable_ROPE(&node, in, &out));
    const float half_split[4] = {1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 1 * s0 + 3 * c0,
                                 2 * s1 + 4 * c1};
    CHECK_ALLCLOSE(y, half_split, 4, 1e-6f, 1e-6f);
    // interleaved: pairs (0, 1) and (2, 3); i64 positions
    int64_t pos64[1] = {1};
    attrs[0] = attr_int("layout", 1);
    in[1] = tensor(SY_DTYPE_I64, pos64, 1, (int64_t[]){1});
    CHECK_OK(sy_portable_ROPE(&node, in, &out));
    const float interleaved[4] = {1 * c0 - 2 * s0, 1 * s0 + 2 * c0, 3 * c1 - 4 * s1,
                                  3 * s1 + 4 * c1};
    CHECK_ALLCLOSE(y, interleaved, 4, 1e-6f, 1e-6f);
    // position 0 is the identity; the default layout is half-split, the default theta 10000
    node.n_attrs = 0;
    pos64[0] = 0;
    CHECK_OK(sy_portable_ROPE(&node, in, &out));
    CHECK_ALLCLOSE(y, x, 4, 0.0f, 0.0f);
    // theta changes the second pair's frequency: theta = 100 -> 100^(-1/2) = 0.1 rad
    attrs[0] = attr_float("theta", 100.0f);
    node.n_attrs = 1;
    pos64[0] = 1;
    CHECK_OK(sy_portable_ROPE(&node, in, &out));
    CHECK_NEAR(y[1], 2 * cosf(0.1f) - 4 * sinf(0.1f), 1e-6);
}

static void check_rope_random(sy_dtype dt, int layout, int64_t d, float atol) {
    const int64_t nb = 2, nh = 3, nt = 4, n = nb * nh * nt * d;
    const int64_t pos[4] = {0, 7, 300, 4095};
    const double theta = 500000.0;
    float *x = random_floats(n, 2.0f);
    float *expect = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
    void *xs = store_as(x, n, dt), *ys = malloc((size_t)n * 4);
    for (int64_t r = 0; r < nb * nh; r++)
        for (int64_t t = 0; t < nt; t++)
            for (int64_t i = 0; i < d / 2; i++) {
                double ang = (double)pos[t] * pow(theta, -2.0 * (double)i / (double)d);
                int64_t base = (r * nt + t) * d;
                int64_t ia = layout ? base + 2 * i : base + i, ib = layout ? ia + 1 : ia + d / 2;
                expect[ia] = (float)(x[ia] * cos(ang) - x[ib] * sin(ang));
                expect[ib] = (float)(x[ia] * sin(ang) + x[ib] * cos(ang));
            }
    sy_attr attrs[2] = {attr_int("layout", layout), attr_float("theta", (float)theta)};
    sy_node_info node = make_node(SY_OP_ROPE, 2, attrs, 2);
    sy_tensor in[2] = {T4(dt, xs, nb, nh, nt, d), tensor(SY_DTYPE_I64, (void *)pos, 1, &nt)};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_ROPE(&node, in, &out));
    CHECK(out.dtype == dt && shape_is(&out, 4, in[0].dims));
    out.data = ys;
    CHECK_OK(sy_portable_ROPE(&node, in, &out));
    load_as_f32(ys, dt, n, got);
    CHECK_ALLCLOSE(got, expect, n, atol, 0.0f);
    free(x), free(expect), free(got), free(xs), free(ys);
}

static void test_rope_random(void) {
    // |x| < 2 so the f32 error is a few ulps of 2; the storage dtypes add one rounding of the
    // output: f16 2^-11 * 2 ~ 1e-3, bf16 2^-8 * 2 ~ 8e-3. D = 160 (80 pairs) crosses the
    // kernel's block of 64 pairs.
    for (int layout = 0; layout < 2; layout++) {
        check_rope_random(SY_DTYPE_F32, layout, 8, 2e-6f);
        check_rope_random(SY_DTYPE_F32, layout, 160, 2e-6f);
        check_rope_random(SY_DTYPE_F16, layout, 12, 2e-3f);
        check_rope_random(SY_DTYPE_BF16, layout, 12, 1.6e-2f);
    }
}

static void test_rope_errors(void) {
    sy_attr attrs[1] = {attr_int("layout", 2)};
    sy_node_info node = make_node(SY_OP_ROPE, 2, attrs, 1);
    sy_tensor out = {0};
    sy_tensor in[2] = {T4(SY_DTYPE_F32, NULL, 1, 2, 3, 8),
                       tensor(SY_DTYPE_I32, NULL, 1, (int64_t[]){3})};
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_INVALID_ARGUMENT, "'layout' is 2");
    attrs[0] = attr_float("layout", 1.0f);
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_INVALID_ARGUMENT,
                "attribute 'layout' must be of type int");
    attrs[0] = attr_float("theta", -1.0f);
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_INVALID_ARGUMENT, "'theta' is -1");
    node.n_attrs = 0;
    CHECK_OK(sy_infer_ROPE(&node, in, &out));
    in[0].dims[3] = 7;
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_SHAPE, "head dim 7 must be even");
    in[0].dims[3] = 8;
    in[1].dims[0] = 4;
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_SHAPE,
                "input #1 (positions) has shape [4] but x has [1,2,3,8]");
    in[1].dims[0] = 3;
    in[1].dtype = SY_DTYPE_F32;
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_DTYPE, "input #1 (positions) has dtype f32");
    in[1].dtype = SY_DTYPE_I64;
    in[0].dtype = SY_DTYPE_I32;
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_DTYPE, "input #0 (x) has dtype i32");
    in[0] = tensor(SY_DTYPE_F32, NULL, 3, (int64_t[]){2, 3, 8});
    CHECK_FAILS(sy_infer_ROPE(&node, in, &out), SY_ERR_SHAPE, "expected [B, H, T, D]");
}

// --- update_cache ---

static void test_update_cache(void) {
    // cache (1, 2, 5, 3) zero; new (1, 2, 2, 3) = 1 .. 12 written at rows 2, 3 of each head
    float cache[30] = {0}, upd[12];
    for (int i = 0; i < 12; i++) upd[i] = (float)(i + 1);
    int64_t start[2] = {2, 99}; // only element 0 counts
    sy_node_info node = make_node(SY_OP_UPDATE_CACHE, 3, NULL, 0);
    sy_tensor in[3] = {T4(SY_DTYPE_F32, cache, 1, 2, 5, 3), T4(SY_DTYPE_F32, upd, 1, 2, 2, 3),
                       tensor(SY_DTYPE_I64, start, 1, (int64_t[]){2})};
    CHECK(node.n_outputs == 0);
    CHECK_OK(sy_infer_UPDATE_CACHE(&node, in, NULL));
    CHECK_OK(sy_portable_UPDATE_CACHE(&node, in, NULL));
    float expect[30] = {0};
    for (int h = 0; h < 2; h++)
        for (int r = 0; r < 2; r++)
            for (int x = 0; x < 3; x++) expect[(h * 5 + 2 + r) * 3 + x] = upd[(h * 2 + r) * 3 + x];
    CHECK_ALLCLOSE(cache, expect, 30, 0.0f, 0.0f);

    // the last rows (3 + 2 = 5 fits exactly), i32 start, bf16 storage copied bit for bit
    uint16_t hc[30] = {0}, hu[12];
    for (int i = 0; i < 12; i++) hu[i] = (uint16_t)(0x3f80 + i);
    int32_t start32 = 3;
    sy_tensor hin[3] = {T4(SY_DTYPE_BF16, hc, 1, 2, 5, 3), T4(SY_DTYPE_BF16, hu, 1, 2, 2, 3),
                        tensor(SY_DTYPE_I32, &start32, 0, NULL)};
    CHECK_OK(sy_infer_UPDATE_CACHE(&node, hin, NULL));
    CHECK_OK(sy_portable_UPDATE_CACHE(&node, hin, NULL));
    for (int h = 0; h < 2; h++) {
        CHECK(hc[(h * 5 + 2) * 3] == 0); // row 2 untouched
        CHECK(memcmp(&hc[(h * 5 + 3) * 3], &hu[h * 6], 6 * sizeof(uint16_t)) == 0);
    }

    // past the end: 4 + 2 > 5; nothing written
    float before[30];
    memcpy(before, cache, sizeof before);
    start[0] = 4;
    // the op record's data check refuses it (every delegate runs it before the kernel)
    CHECK_FAILS(sy_op_check_data(&node, in), SY_ERR_OUT_OF_RANGE,
                "cache position 4 + 2 tokens is past the cache length 5");
    CHECK(memcmp(before, cache, sizeof before) == 0);
    start[0] = -1;
    CHECK_FAILS(sy_op_check_data(&node, in), SY_ERR_OUT_OF_RANGE, "cache position -1 is negative");
    CHECK(memcmp(before, cache, sizeof before) == 0);
}

static void test_update_cache_errors(void) {
    sy_node_info node = make_node(SY_OP_UPDATE_CACHE, 3, NULL, 0);
    sy_tensor in[3] = {T4(SY_DTYPE_F32, NULL, 1, 2, 5, 3), T4(SY_DTYPE_F32, NULL, 1, 2, 2, 3),
                       tensor(SY_DTYPE_I64, NULL, 1, (int64_t[]){0})};
    CHECK_FAILS(sy_infer_UPDATE_CACHE(&node, in, NULL), SY_ERR_SHAPE,
                "input #2 (start_pos) is empty");
    in[2].dims[0] = 1;
    in[2].dtype = SY_DTYPE_F32;
    CHECK_FAILS(sy_infer_UPDATE_CACHE(&node, in, NULL), SY_ERR_DTYPE,
                "input #2 (start_pos) has dtype f32");
    in[2].dtype = SY_DTYPE_I32;
    in[1].dims[3] = 4;
    CHECK_FAILS(sy_infer_UPDATE_CACHE(&node, in, NULL), SY_ERR_SHAPE,
                "input #1 (new) has shape [1,2,2,4] but cache has [1,2,5,3]: the head dim");
    in[1].dims[3] = 3;
    in[1].dims[1] = 1;
    CHECK_FAILS(sy_infer_UPDATE_CACHE(&node, in, NULL), SY_ERR_SHAPE, "the head count differs");
    in[1].dims[1] = 2;
    in[1].dtype = SY_DTYPE_F16;
    CHECK_FAILS(sy_infer_UPDATE_CACHE(&node, in, NULL), SY_ERR_DTYPE,
                "input #1 (new) has dtype f16 but cache has f32");
    // More tokens than the cache holds is data-dependent territory (rules run at symbol
    // bounds); the kernel rejects it.
    in[1] = T4(SY_DTYPE_F32, NULL, 1, 2, 6, 3);
    CHECK_OK(sy_infer_UPDATE_CACHE(&node, in, NULL));
}

// --- sdpa ---

static void test_sdpa_two_keys(void) {
    // q = [1, 0]; keys [1, 0], [0, 1]; values [1, 2], [3, 4]; scale 1/sqrt(2).
    // scores: 1/sqrt(2), 0 -> p0 = e^(1/sqrt2) / (e^(1/sqrt2) + 1)
    float q[2] = {1, 0}, k[4] = {1, 0, 0, 1}, v[4] = {1, 2, 3, 4}, y[2];
    double e = exp(1.0 / sqrt(2.0)), p0 = e / (e + 1.0), p1 = 1.0 - p0;
    sy_node_info node = make_node(SY_OP_SDPA, 3, NULL, 0);
    sy_tensor in[3] = {T4(SY_DTYPE_F32, q, 1, 1, 1, 2), T4(SY_DTYPE_F32, k, 1, 1, 2, 2),
                       T4(SY_DTYPE_F32, v, 1, 1, 2, 2)};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_SDPA(&node, in, &out));
    CHECK(shape_is(&out, 4, (int64_t[]){1, 1, 1, 2}));
    out.data = y;
    CHECK_OK(sy_portable_SDPA(&node, in, &out));
    CHECK_NEAR(y[0], p0 * 1 + p1 * 3, 1e-6);
    CHECK_NEAR(y[1], p0 * 2 + p1 * 4, 1e-6);

    // scale 2: scores 2, 0 -> p0 = e^2 / (e^2 + 1)
    sy_attr attrs[1] = {attr_float("scale", 2.0f)};
    node.attrs = attrs;
    node.n_attrs = 1;
    CHECK_OK(sy_portable_SDPA(&node, in, &out));
    p0 = exp(2.0) / (exp(2.0) + 1.0);
    CHECK_NEAR(y[0], p0 * 1 + (1 - p0) * 3, 1e-6);

    // causal with Tq = Tk = 2: query 0 sees key 0 only -> v[0] exactly
    float q2[4] = {1, 0, 1, 0}, y2[4];
    attrs[0] = attr_int("causal", 1);
    in[0] = T4(SY_DTYPE_F32, q2, 1, 1, 2, 2);
    out.dims[2] = 2;
    out.data = y2;
    CHECK_OK(sy_portable_SDPA(&node, in, &out));
    CHECK_ALLCLOSE(y2, ((const float[]){1, 2}), 2, 0.0f, 0.0f);
    e = exp(1.0 / sqrt(2.0)), p0 = e / (e + 1.0);
    CHECK_NEAR(y2[2], p0 * 1 + (1 - p0) * 3, 1e-6);
}

static void test_sdpa_gqa(void) {
    sdpa_case c = {.b = 2, .hq = 4, .hkv = 2, .tq = 5, .tk = 5, .d = 8, .dv = 6};
    check_sdpa(&c, SY_DTYPE_F32, 1e-5f, 1e-5f);
    sdpa_case c9 = {.b = 1, .hq = 9, .hkv = 3, .tq = 3, .tk = 7, .d = 4, .dv = 4, .causal = 1};
    check_sdpa(&c9, SY_DTYPE_F32, 1e-5f, 1e-5f);
    sdpa_case mha = {.b = 1, .hq = 3, .hkv = 3, .tq = 4, .tk = 4, .d = 5, .dv = 5, .scale = 0.3f};
    check_sdpa(&mha, SY_DTYPE_F32, 1e-5f, 1e-5f);
}

static void test_sdpa_causal_offset(void) {
    // Tq < Tk: bottom-right aligned, query i sees keys 0 .. i + 4
    sdpa_case c = {.b = 1, .hq = 2, .hkv = 1, .tq = 3, .tk = 7, .d = 6, .dv = 3, .causal = 1};
    check_sdpa(&c, SY_DTYPE_F32, 1e-5f, 1e-5f);
    // Tq > Tk: queries 0 and 1 see no key (rows of zeros), query 2 sees key 0, query 3 both.
    // q: (1, 1, 4, 2), k: (1, 1, 2, 2), v = [[1, 2], [3, 4]]
    float q[8] = {1, 0, 1, 0, 1, 0, 0, 0}, k[4] = {1, 0, 0, 1}, v[4] = {1, 2, 3, 4}, y[8];
    sy_attr attrs[1] = {attr_int("causal", 1)};
    sy_node_info node = make_node(SY_OP_SDPA, 3, attrs, 1);
    sy_tensor in[3] = {T4(SY_DTYPE_F32, q, 1, 1, 4, 2), T4(SY_DTYPE_F32, k, 1, 1, 2, 2),
                       T4(SY_DTYPE_F32, v, 1, 1, 2, 2)};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_SDPA(&node, in, &out));
    memset(y, 0xff, sizeof y); // NaN pattern: every element must be written
    out.data = y;
    CHECK_OK(sy_portable_SDPA(&node, in, &out));
    CHECK_ALLCLOSE(y, ((const float[]){0, 0, 0, 0, 1, 2, 2, 3}), 8, 1e-6f, 0.0f);
}

static void test_sdpa_masks(void) {
    enum { TQ = 3, TK = 5 };
    // bool mask (1, 1, TQ, TK): query 1 may attend nothing (a zero row), query 2 only key 4
    static const uint8_t bm[TQ * TK] = {1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    sdpa_case c = {.b = 2, .hq = 2, .hkv = 1, .tq = TQ, .tk = TK, .d = 4, .dv = 4};
    c.bmask = bm;
    c.mask_rank = 4;
    c.mask_dims[0] = c.mask_dims[1] = 1;
    c.mask_dims[2] = TQ;
    c.mask_dims[3] = TK;
    check_sdpa(&c, SY_DTYPE_F32, 1e-5f, 1e-5f);
    c.causal = 1; // both: query 0 keeps keys 0, 2, 3
    check_sdpa(&c, SY_DTYPE_F32, 1e-5f, 1e-5f);

    // float mask (TQ, TK), rank 2, with -inf entries and a fully masked row
    const float inf = INFINITY;
    const float fm[TQ * TK] = {0, -inf, 0.5f, -2, 1, -inf, -inf, -inf, -inf, -inf, 3, 0, 0, 0, -1};
    sdpa_case f = {.b = 1, .hq = 4, .hkv = 2, .tq = TQ, .tk = TK, .d = 8, .dv = 2};
    f.fmask = fm;
    f.mask_rank = 2;
    f.mask_dims[0] = TQ;
    f.mask_dims[1] = TK;
    check_sdpa(&f, SY_DTYPE_F32, 1e-5f, 1e-5f);

    // float mask (B, 1, 1, TK): a per-sequence padding mask
    const float pad[2 * TK] = {0, 0, 0, -inf, -inf, 0, 0, 0, 0, 0};
    sdpa_case p = {.b = 2, .hq = 2, .hkv = 2, .tq = TQ, .tk = TK, .d = 4, .dv = 4};
    p.fmask = pad;
    p.mask_rank = 4;
    p.mask_dims[0] = 2;
    p.mask_dims[1] = p.mask_dims[2] = 1;
    p.mask_dims[3] = TK;
    check_sdpa(&p, SY_DTYPE_F32, 1e-5f, 1e-5f);
}

static void test_sdpa_half(void) {
    // Inputs are rounded to the storage dtype first, so the difference is the output rounding
    // (|y| <= 1: f16 2^-11, bf16 2^-8) plus f32 accumulation. Dv = 300 crosses the kernel's
    // 256-column accumulator block.
    sdpa_case c = {.b = 1, .hq = 4, .hkv = 2, .tq = 3, .tk = 6, .d = 16, .dv = 300, .causal = 1};
    check_sdpa(&c, SY_DTYPE_F16, 1e-3f, 1e-3f);
    check_sdpa(&c, SY_DTYPE_BF16, 5e-3f, 5e-3f);
    const float inf = INFINITY;
    const float fm[6] = {0, -1, -inf, 0.25f, 0, 2};
    sdpa_case m = {.b = 1, .hq = 2, .hkv = 1, .tq = 2, .tk = 6, .d = 8, .dv = 8};
    m.fmask = fm;
    m.mask_rank = 1;
    m.mask_dims[0] = 6;
    check_sdpa(&m, SY_DTYPE_F16, 1e-3f, 1e-3f);
}

static void test_sdpa_errors(void) {
    sy_attr attrs[2] = {attr_int("causal", 2), attr_float("scale", NAN)};
    sy_node_info node = make_node(SY_OP_SDPA, 4, attrs, 1);
    sy_tensor out = {0};
    sy_tensor in[4] = {T4(SY_DTYPE_F32, NULL, 1, 9, 4, 8), T4(SY_DTYPE_F32, NULL, 1, 3, 6, 8),
                       T4(SY_DTYPE_F32, NULL, 1, 3, 6, 5), NONE};
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_INVALID_ARGUMENT, "'causal' is 2");
    attrs[0] = attr_int("causal", 1);
    node.n_attrs = 2;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_INVALID_ARGUMENT, "'scale' is nan");
    node.n_attrs = 1;
    CHECK_OK(sy_infer_SDPA(&node, in, &out));
    CHECK(shape_is(&out, 4, (int64_t[]){1, 9, 4, 5}));

    in[1].dims[1] = in[2].dims[1] = 2;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE,
                "the query heads (9) must be a multiple of the kv heads (2)");
    in[1].dims[1] = in[2].dims[1] = 3;
    in[1].dims[3] = 16;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE,
                "input #1 (k) has shape [1,3,6,16] but q has [1,9,4,8]: the head dim differs");
    in[1].dims[3] = 8;
    in[2].dims[2] = 7;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE,
                "input #2 (v) has shape [1,3,7,5] but k has [1,3,6,8]: the key count differs");
    in[2].dims[2] = 6;
    in[2].dims[1] = 1;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE, "the kv head count differs");
    in[2].dims[1] = 3;
    in[0].dims[0] = 2;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE, "the batch differs");
    in[0].dims[0] = 1;
    in[2].dtype = SY_DTYPE_BF16;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_DTYPE,
                "input #2 (v) has dtype bf16 but q has f32");
    in[2].dtype = SY_DTYPE_F32;
    in[3] = tensor(SY_DTYPE_BOOL, NULL, 2, (int64_t[]){4, 5});
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE,
                "input #3 (mask) has shape [4,5], which does not broadcast to [1,9,4,6]");
    in[3] = tensor(SY_DTYPE_BOOL, NULL, 3, (int64_t[]){9, 1, 6});
    CHECK_OK(sy_infer_SDPA(&node, in, &out));
    in[3].dtype = SY_DTYPE_I32;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_DTYPE, "input #3 (mask) has dtype i32");
    in[3].dtype = SY_DTYPE_F16;
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_DTYPE, "expected bool or q's dtype f32");
    in[3] = NONE;
    in[0] = tensor(SY_DTYPE_F32, NULL, 3, (int64_t[]){9, 4, 8});
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_SHAPE,
                "input #0 (q) has shape [9,4,8]; expected [B, Hq, Tq, D]");
    in[0] = T4(SY_DTYPE_I32, NULL, 1, 9, 4, 8);
    CHECK_FAILS(sy_infer_SDPA(&node, in, &out), SY_ERR_DTYPE, "input #0 (q) has dtype i32");
}

// --- sdpa_with_kv_cache ---

typedef struct kv_case {
    int64_t b, hq, hkv, t, s, d;
} kv_case;

// Runs sdpa_with_kv_cache (rule + kernel) in f32 on caller-owned buffers.
static sy_status run_kv(const kv_case *c, float *q, float *k, float *v, float *kc, float *vc,
                        int64_t start, float *y) {
    sy_node_info node = make_node(SY_OP_SDPA_WITH_KV_CACHE, 6, NULL, 0);
    sy_tensor in[6] = {T4(SY_DTYPE_F32, q, c->b, c->hq, c->t, c->d),
                       T4(SY_DTYPE_F32, k, c->b, c->hkv, c->t, c->d),
                       T4(SY_DTYPE_F32, v, c->b, c->hkv, c->t, c->d),
                       T4(SY_DTYPE_F32, kc, c->b, c->hkv, c->s, c->d),
                       T4(SY_DTYPE_F32, vc, c->b, c->hkv, c->s, c->d),
                       tensor(SY_DTYPE_I64, &start, 1, (int64_t[]){1})};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out));
    CHECK(out.dtype == SY_DTYPE_F32 && shape_is(&out, 4, in[0].dims));
    out.data = y;
    sy_status st = sy_op_check_data(&node, in); // as every delegate does before the kernel
    if (st != SY_OK) return st;
    return sy_portable_SDPA_WITH_KV_CACHE(&node, in, &out);
}

// The first `rows` rows of every head of a cache (b, h, s, d) as a (b, h, rows, d) tensor.
static float *cache_prefix(const float *cache, const kv_case *c, int64_t rows) {
    float *p = malloc((size_t)(c->b * c->hkv * rows * c->d) * 4 + 4);
    for (int64_t bh = 0; bh < c->b * c->hkv; bh++)
        memcpy(p + bh * rows * c->d, cache + bh * c->s * c->d, (size_t)(rows * c->d) * 4);
    return p;
}

static void check_kv_at(const kv_case *c, int64_t start) {
    int64_t nq = c->b * c->hq * c->t * c->d, nk = c->b * c->hkv * c->t * c->d;
    int64_t nc = c->b * c->hkv * c->s * c->d;
    float *q = random_floats(nq, 1.5f), *k = random_floats(nk, 1.5f), *v = random_floats(nk, 1);
    // history rows [0, start) random; rows past start + T hold large junk that must not be read
    float *kc = random_floats(nc, 1.5f), *vc = random_floats(nc, 1);
    for (int64_t bh = 0; bh < c->b * c->hkv; bh++)
        for (int64_t r = start + c->t; r < c->s; r++)
            for (int64_t x = 0; x < c->d; x++) {
                kc[(bh * c->s + r) * c->d + x] = 50.0f;
                vc[(bh * c->s + r) * c->d + x] = 1000.0f;
            }
    float *kc0 = malloc((size_t)nc * 4), *vc0 = malloc((size_t)nc * 4);
    memcpy(kc0, kc, (size_t)nc * 4);
    memcpy(vc0, vc, (size_t)nc * 4);
    float *y = malloc((size_t)nq * 4), *expect = malloc((size_t)nq * 4);
    CHECK_OK(run_kv(c, q, k, v, kc, vc, start, y));

    // the caches: rows [start, start + T) are k and v, every other row unchanged
    int cache_ok = 1;
    for (int64_t bh = 0; bh < c->b * c->hkv; bh++)
        for (int64_t r = 0; r < c->s; r++)
            for (int64_t x = 0; x < c->d; x++) {
                int64_t i = (bh * c->s + r) * c->d + x;
                int fresh = r >= start && r < start + c->t;
                int64_t j = (bh * c->t + (r - start)) * c->d + x;
                cache_ok &= kc[i] == (fresh ? k[j] : kc0[i]);
                cache_ok &= vc[i] == (fresh ? v[j] : vc0[i]);
            }
    CHECK_MSG(cache_ok, "cache rows at start %lld", (long long)start);

    // the output: causal sdpa of q over the history plus the new rows (Tk = start + T, so the
    // bottom-right alignment puts query t at absolute position start + t)
    float *kh = cache_prefix(kc, c, start + c->t), *vh = cache_prefix(vc, c, start + c->t);
    sdpa_case sc = {.b = c->b, .hq = c->hq, .hkv = c->hkv, .tq = c->t, .tk = start + c->t,
                    .d = c->d, .dv = c->d, .causal = 1};
    sdpa_ref(&sc, q, kh, vh, expect);
    CHECK_ALLCLOSE(y, expect, nq, 1e-5f, 1e-5f);
    free(q), free(k), free(v), free(kc), free(vc), free(kc0), free(vc0), free(y), free(expect);
    free(kh), free(vh);
}

static void test_kv_cache_positions(void) {
    kv_case c = {.b = 2, .hq = 4, .hkv = 2, .t = 3, .s = 10, .d = 8};
    check_kv_at(&c, 0);
    check_kv_at(&c, 4);
    check_kv_at(&c, 7); // the last rows: 7 + 3 = 10
    kv_case c9 = {.b = 1, .hq = 9, .hkv = 3, .t = 1, .s = 6, .d = 4};
    check_kv_at(&c9, 5);
}

static void test_kv_cache_prefill_decode(void) {
    // One pass over 6 tokens equals a prefill of 4 followed by two one-token decodes.
    enum { B = 1, HQ = 4, HKV = 2, N = 6, S = 8, D = 4 };
    float *q = random_floats(B * HQ * N * D, 1.5f), *k = random_floats(B * HKV * N * D, 1.5f);
    float *v = random_floats(B * HKV * N * D, 1.0f);
    float kc[B * HKV * S * D] = {0}, vc[B * HKV * S * D] = {0}, full[B * HQ * N * D];
    kv_case all = {.b = B, .hq = HQ, .hkv = HKV, .t = N, .s = S, .d = D};
    CHECK_OK(run_kv(&all, q, k, v, kc, vc, 0, full));

    float kc2[B * HKV * S * D] = {0}, vc2[B * HKV * S * D] = {0}, step[B * HQ * N * D];
    const int64_t splits[4] = {0, 4, 5, 6};
    for (int s = 0; s < 3; s++) {
        int64_t t0 = splits[s], nt = splits[s + 1] - t0;
        float qs[HQ * N * D], ks[HKV * N * D], vs[HKV * N * D], ys[HQ * N * D];
        // tokens [t0, t0 + nt) of every head
        for (int h = 0; h < HQ; h++)
            memcpy(qs + h * nt * D, q + (h * N + t0) * D, (size_t)(nt * D) * 4);
        for (int h = 0; h < HKV; h++) {
            memcpy(ks + h * nt * D, k + (h * N + t0) * D, (size_t)(nt * D) * 4);
            memcpy(vs + h * nt * D, v + (h * N + t0) * D, (size_t)(nt * D) * 4);
        }
        kv_case part = {.b = B, .hq = HQ, .hkv = HKV, .t = nt, .s = S, .d = D};
        CHECK_OK(run_kv(&part, qs, ks, vs, kc2, vc2, t0, ys));
        for (int h = 0; h < HQ; h++)
            memcpy(step + (h * N + t0) * D, ys + h * nt * D, (size_t)(nt * D) * 4);
    }
    CHECK_ALLCLOSE(step, full, B * HQ * N * D, 1e-6f, 1e-6f);
    CHECK(memcmp(kc, kc2, sizeof kc) == 0);
    CHECK(memcmp(vc, vc2, sizeof vc) == 0);
    free(q), free(k), free(v);
}

static void test_kv_cache_half(void) {
    // f16 caches: the kernel writes the new rows bit for bit and attends in f32.
    enum { HQ = 2, HKV = 1, T = 2, S = 4, D = 8 };
    float *q = random_floats(HQ * T * D, 1.5f), *k = random_floats(HKV * T * D, 1.5f);
    float *v = random_floats(HKV * T * D, 1.0f), *kh = random_floats(HKV * S * D, 1.5f);
    float *vh = random_floats(HKV * S * D, 1.0f);
    void *qs = store_as(q, HQ * T * D, SY_DTYPE_F16), *ks = store_as(k, HKV * T * D, SY_DTYPE_F16);
    void *vs = store_as(v, HKV * T * D, SY_DTYPE_F16);
    void *kcs = store_as(kh, HKV * S * D, SY_DTYPE_F16);
    void *vcs = store_as(vh, HKV * S * D, SY_DTYPE_F16);
    uint16_t ys[HQ * T * D];
    int64_t start = 1;
    sy_node_info node = make_node(SY_OP_SDPA_WITH_KV_CACHE, 6, NULL, 0);
    sy_tensor in[6] = {T4(SY_DTYPE_F16, qs, 1, HQ, T, D), T4(SY_DTYPE_F16, ks, 1, HKV, T, D),
                       T4(SY_DTYPE_F16, vs, 1, HKV, T, D), T4(SY_DTYPE_F16, kcs, 1, HKV, S, D),
                       T4(SY_DTYPE_F16, vcs, 1, HKV, S, D),
                       tensor(SY_DTYPE_I64, &start, 1, (int64_t[]){1})};
    sy_tensor out = {0};
    CHECK_OK(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out));
    CHECK(out.dtype == SY_DTYPE_F16);
    out.data = ys;
    CHECK_OK(sy_portable_SDPA_WITH_KV_CACHE(&node, in, &out));
    CHECK(memcmp((uint16_t *)kcs + D, ks, T * D * 2) == 0);
    CHECK(memcmp((uint16_t *)vcs + D, vs, T * D * 2) == 0);
    // reference over rows [0, 3) of the (rounded) history with the new rows in place
    memcpy(kh + D, k, T * D * 4);
    memcpy(vh + D, v, T * D * 4);
    float expect[HQ * T * D], got[HQ * T * D];
    sdpa_case sc = {.b = 1, .hq = HQ, .hkv = HKV, .tq = T, .tk = 3, .d = D, .dv = D, .causal = 1};
    sdpa_ref(&sc, q, kh, vh, expect); // kh/vh rows are contiguous per head (HKV = 1)
    load_as_f32(ys, SY_DTYPE_F16, HQ * T * D, got);
    CHECK_ALLCLOSE(got, expect, HQ * T * D, 1e-3f, 1e-3f);
    free(q), free(k), free(v), free(kh), free(vh);
    free(qs), free(ks), free(vs), free(kcs), free(vcs);
}

static void test_kv_cache_errors(void) {
    enum { T = 3, S = 5, D = 4 };
    float q[2 * T * D] = {0}, k[T * D] = {0}, v[T * D] = {0}, y[2 * T * D];
    float kc[S * D], vc[S * D], kc0[S * D], vc0[S * D];
    for (int i = 0; i < S * D; i++) kc[i] = kc0[i] = (float)i, vc[i] = vc0[i] = (float)-i;
    kv_case c = {.b = 1, .hq = 2, .hkv = 1, .t = T, .s = S, .d = D};
    CHECK_FAILS(run_kv(&c, q, k, v, kc, vc, 3, y), SY_ERR_OUT_OF_RANGE,
                "cache position 3 + 3 tokens is past the cache length 5");
    CHECK(memcmp(kc, kc0, sizeof kc) == 0 && memcmp(vc, vc0, sizeof vc) == 0);
    CHECK_FAILS(run_kv(&c, q, k, v, kc, vc, -2, y), SY_ERR_OUT_OF_RANGE,
                "cache position -2 is negative");
    CHECK(memcmp(kc, kc0, sizeof kc) == 0 && memcmp(vc, vc0, sizeof vc) == 0);
    CHECK_FAILS(run_kv(&c, q, k, v, kc, vc, INT64_MAX, y), SY_ERR_OUT_OF_RANGE, "past the cache");
    CHECK(memcmp(kc, kc0, sizeof kc) == 0 && memcmp(vc, vc0, sizeof vc) == 0);

    // rule failures
    sy_node_info node = make_node(SY_OP_SDPA_WITH_KV_CACHE, 6, NULL, 0);
    sy_tensor out = {0};
    sy_tensor in[6] = {T4(SY_DTYPE_F32, NULL, 1, 6, 3, 4), T4(SY_DTYPE_F32, NULL, 1, 2, 3, 4),
                       T4(SY_DTYPE_F32, NULL, 1, 2, 3, 4), T4(SY_DTYPE_F32, NULL, 1, 2, 8, 4),
                       T4(SY_DTYPE_F32, NULL, 1, 2, 8, 4),
                       tensor(SY_DTYPE_I32, NULL, 1, (int64_t[]){1})};
    CHECK_OK(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out));
    CHECK(shape_is(&out, 4, (int64_t[]){1, 6, 3, 4}));
    in[4].dims[2] = 9;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE,
                "input #4 (v_cache) has shape [1,2,9,4] but k_cache has [1,2,8,4]: the cache "
                "length");
    in[4].dims[2] = 8;
    in[3].dims[3] = 5;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE,
                "input #3 (k_cache) has shape [1,2,8,5] but k has [1,2,3,4]: the head dim");
    in[3].dims[3] = 4;
    in[2].dims[3] = 6;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE,
                "input #2 (v) has shape [1,2,3,6] but k has [1,2,3,4]: the head dim");
    in[2].dims[3] = 4;
    in[1].dims[1] = in[2].dims[1] = in[3].dims[1] = in[4].dims[1] = 4;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE,
                "must be a multiple of the kv heads (4)");
    in[1].dims[1] = in[2].dims[1] = in[3].dims[1] = in[4].dims[1] = 2;
    in[1].dims[2] = in[2].dims[2] = 2;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE, "the token count");
    in[1].dims[2] = in[2].dims[2] = 3;
    in[4].dtype = SY_DTYPE_F16;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_DTYPE,
                "input #4 (v_cache) has dtype f16 but q has f32");
    in[4].dtype = SY_DTYPE_F32;
    in[5].dtype = SY_DTYPE_BOOL;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_DTYPE,
                "input #5 (start_pos) has dtype bool");
    in[5] = tensor(SY_DTYPE_I64, NULL, 2, (int64_t[]){1, 0});
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_SHAPE, "is empty");
    in[5] = tensor(SY_DTYPE_I64, NULL, 0, NULL); // a scalar start position is fine
    CHECK_OK(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out));
    sy_attr attrs[1] = {attr_int("scale", 1)};
    node.attrs = attrs;
    node.n_attrs = 1;
    CHECK_FAILS(sy_infer_SDPA_WITH_KV_CACHE(&node, in, &out), SY_ERR_INVALID_ARGUMENT,
                "attribute 'scale' must be of type float");
}

int main(void) {
    random_seed(777u);
    RUN(test_rope_hand);
    RUN(test_rope_random);
    RUN(test_rope_errors);
    RUN(test_update_cache);
    RUN(test_update_cache_errors);
    RUN(test_sdpa_two_keys);
    RUN(test_sdpa_gqa);
    RUN(test_sdpa_causal_offset);
    RUN(test_sdpa_masks);
    RUN(test_sdpa_half);
    RUN(test_sdpa_errors);
    RUN(test_kv_cache_positions);
    RUN(test_kv_cache_prefill_decode);
    RUN(test_kv_cache_half);
    RUN(test_kv_cache_errors);
    return TEST_SUMMARY();
}
