// Every op x dtype x delegate against the portable reference (as ggml's test-backend-ops):
// each case is a one-node program; each built-in delegate runs it as "<delegate>,portable" and
// its outputs (and states) must match a portable-only run. A node a delegate refuses falls back
// to portable, and the coverage table printed at the end says which cases really ran where.

#include <stdlib.h>

#include "core/half.h"
#include "core/ops.h"
#include "harness.h"
#include "runtime/registry.h"
#include "runtime/runtime.h"

#define MAX_IN 6

typedef struct op_case {
    const char *label;
    sy_op op;
    uint32_t n_in;
    uint32_t rank[MAX_IN];
    int64_t dims[MAX_IN][4];
    char kind[MAX_IN]; // 'f' float (case dtype), 'p' positive float, 'i' ids < range, 's' state, 'q' start position
    int64_t range;     // ids are in [0, range)
    sy_attr attrs[3];
    uint32_t n_attrs;
    int float_only;    // 1: f32 only (the op has no f16/bf16 path worth testing)
} op_case;

#define A_INT(key, v) {.name = key, .type = SY_ATTR_INT, .n = 1, .u.i = v}
#define A_FLOAT(key, v) {.name = key, .type = SY_ATTR_FLOAT, .n = 1, .u.f = v}
#define A_INTS(key, arr, count) {.name = key, .type = SY_ATTR_INTS, .n = count, .u.ints = arr}

static const int64_t perm0213[4] = {0, 2, 1, 3}, shape_r[3] = {0, 6, 4}, axes_last[1] = {-1}, exp_shape[3] = {2, 3, 8};

static const op_case cases[] = {
    {"add bcast", SY_OP_ADD, 2, {3, 1}, {{2, 3, 8}, {8}}, "ff", 0, {{0}}, 0, 0},
    {"sub", SY_OP_SUB, 2, {2, 2}, {{4, 8}, {4, 8}}, "ff", 0, {{0}}, 0, 0},
    {"mul bcast", SY_OP_MUL, 2, {3, 3}, {{2, 1, 8}, {1, 3, 8}}, "ff", 0, {{0}}, 0, 0},
    {"div", SY_OP_DIV, 2, {2, 2}, {{4, 8}, {4, 8}}, "fp", 0, {{0}}, 0, 0},
    {"pow", SY_OP_POW, 2, {2, 2}, {{4, 8}, {4, 8}}, "pf", 0, {{0}}, 0, 0},
    {"maximum", SY_OP_MAXIMUM, 2, {2, 1}, {{4, 8}, {8}}, "ff", 0, {{0}}, 0, 0},
    {"minimum", SY_OP_MINIMUM, 2, {2, 2}, {{4, 8}, {4, 8}}, "ff", 0, {{0}}, 0, 0},
    {"neg", SY_OP_NEG, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"exp", SY_OP_EXP, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"log", SY_OP_LOG, 1, {2}, {{4, 8}}, "p", 0, {{0}}, 0, 0},
    {"sqrt", SY_OP_SQRT, 1, {2}, {{4, 8}}, "p", 0, {{0}}, 0, 0},
    {"rsqrt", SY_OP_RSQRT, 1, {2}, {{4, 8}}, "p", 0, {{0}}, 0, 0},
    {"sin", SY_OP_SIN, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"cos", SY_OP_COS, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"tanh", SY_OP_TANH, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"sigmoid", SY_OP_SIGMOID, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"silu", SY_OP_SILU, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"gelu", SY_OP_GELU, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"gelu tanh", SY_OP_GELU, 1, {2}, {{4, 8}}, "f", 0, {A_INT("approximate", 1)}, 1, 0},
    {"relu", SY_OP_RELU, 1, {2}, {{4, 8}}, "f", 0, {{0}}, 0, 0},
    {"cast f32", SY_OP_CAST, 1, {2}, {{4, 8}}, "f", 0, {A_INT("dtype", SY_DTYPE_F32)}, 1, 0},
    {"sum last", SY_OP_SUM, 1, {3}, {{2, 3, 8}}, "f", 0, {A_INTS("axes", axes_last, 1)}, 1, 0},
    {"mean last keep", SY_OP_MEAN, 1, {3}, {{2, 3, 8}}, "f", 0, {A_INTS("axes", axes_last, 1), A_INT("keepdim", 1)}, 2, 0},
    {"max all", SY_OP_MAX, 1, {3}, {{2, 3, 8}}, "f", 0, {{0}}, 0, 0},
    {"softmax", SY_OP_SOFTMAX, 1, {3}, {{2, 3, 16}}, "f", 0, {{0}}, 0, 0},
    {"rms_norm", SY_OP_RMS_NORM, 2, {3, 1}, {{2, 3, 16}, {16}}, "ff", 0, {A_FLOAT("eps", 1e-5f)}, 1, 0},
    {"layer_norm", SY_OP_LAYER_NORM, 3, {2, 1, 1}, {{4, 16}, {16}, {16}}, "fff", 0, {{0}}, 0, 0},
    {"matmul batched", SY_OP_MATMUL, 2, {3, 3}, {{2, 4, 8}, {2, 8, 5}}, "ff", 0, {{0}}, 0, 0},
    {"linear bias", SY_OP_LINEAR, 3, {3, 2, 1}, {{1, 5, 16}, {12, 16}, {12}}, "fff", 0, {{0}}, 0, 0},
    {"embedding", SY_OP_EMBEDDING, 2, {2, 2}, {{20, 8}, {1, 5}}, "fi", 20, {{0}}, 0, 0},
    {"reshape", SY_OP_RESHAPE, 1, {3}, {{2, 3, 8}}, "f", 0, {A_INTS("shape", shape_r, 3)}, 1, 0},
    {"transpose", SY_OP_TRANSPOSE, 1, {4}, {{1, 3, 2, 4}}, "f", 0, {A_INTS("perm", perm0213, 4)}, 1, 0},
    {"slice", SY_OP_SLICE, 1, {3}, {{2, 6, 4}}, "f", 0, {A_INT("axis", 1), A_INT("start", 1), A_INT("end", 5)}, 3, 0},
    {"concat", SY_OP_CONCAT, 3, {2, 2, 2}, {{2, 3}, {2, 1}, {2, 4}}, "fff", 0, {A_INT("axis", 1)}, 1, 0},
    {"expand", SY_OP_EXPAND, 1, {3}, {{2, 1, 8}}, "f", 0, {A_INTS("shape", exp_shape, 3)}, 1, 0},
    {"gather", SY_OP_GATHER, 2, {2, 1}, {{6, 4}, {3}}, "fi", 6, {A_INT("axis", 0)}, 1, 0},
    {"rope half", SY_OP_ROPE, 2, {4, 1}, {{1, 2, 3, 8}, {3}}, "fi", 40, {A_INT("layout", 0)}, 1, 0},
    {"rope interleaved", SY_OP_ROPE, 2, {4, 1}, {{1, 2, 3, 8}, {3}}, "fi", 40, {A_INT("layout", 1)}, 1, 0},
    {"update_cache", SY_OP_UPDATE_CACHE, 3, {4, 4, 1}, {{1, 2, 8, 4}, {1, 2, 3, 4}, {1}}, "sfq", 5, {{0}}, 0, 0},
    {"sdpa causal gqa", SY_OP_SDPA, 3, {4, 4, 4}, {{1, 4, 3, 8}, {1, 2, 5, 8}, {1, 2, 5, 8}}, "fff", 0,
     {A_INT("causal", 1)}, 1, 0},
    {"sdpa_with_kv_cache", SY_OP_SDPA_WITH_KV_CACHE, 6, {4, 4, 4, 4, 4, 1},
     {{1, 4, 3, 8}, {1, 2, 3, 8}, {1, 2, 3, 8}, {1, 2, 12, 8}, {1, 2, 12, 8}, {1}}, "fffssq", 6, {{0}}, 0, 0},
    {"clamp", SY_OP_CLAMP, 1, {2}, {{4, 8}}, "f", 0, {A_FLOAT("min", -0.5f), A_FLOAT("max", 0.75f)}, 2, 0},
    {"clamp min only", SY_OP_CLAMP, 1, {3}, {{2, 3, 8}}, "f", 0, {A_FLOAT("min", 0.1f)}, 1, 0},
};

static uint64_t rng = 0x12345678;
static float rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / 16777216.0f;
}

static void store(void *data, sy_dtype dt, int64_t i, float v) {
    if (dt == SY_DTYPE_F32) ((float *)data)[i] = v;
    else if (dt == SY_DTYPE_F16) ((uint16_t *)data)[i] = sy_f32_to_f16(v);
    else ((uint16_t *)data)[i] = sy_f32_to_bf16(v);
}

static float load(const void *data, sy_dtype dt, int64_t i) {
    if (dt == SY_DTYPE_F32) return ((const float *)data)[i];
    if (dt == SY_DTYPE_F16) return sy_f16_to_f32(((const uint16_t *)data)[i]);
    return sy_bf16_to_f32(((const uint16_t *)data)[i]);
}

typedef struct built {
    sy_program *prog;
    sy_dtype dtype; // the case's float dtype
    void *inputs[MAX_IN];
    sy_tensor in_t[MAX_IN];
} built;

static int64_t numel(uint32_t rank, const int64_t *dims) {
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/// Builds the one-node program and its input data; returns 0 when the op's rule refuses the dtype.
static int build(const op_case *c, sy_dtype dt, built *b) {
    sy_graph *g = NULL;
    memset(b, 0, sizeof *b);
    b->dtype = dt;
    if (sy_graph_create(&g) != SY_OK) return 0;
    uint32_t ids[MAX_IN], out[1];
    for (uint32_t i = 0; i < c->n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%u", i);
        sy_value_desc d = {.name = name, .rank = c->rank[i], .sym = {-1, -1, -1, -1, -1, -1}};
        memcpy(d.dims, c->dims[i], sizeof c->dims[i]);
        char k = c->kind[i];
        d.dtype = k == 'i' || k == 'q' ? SY_DTYPE_I64 : dt;
        d.role = k == 's' ? SY_ROLE_STATE : SY_ROLE_INPUT;
        CHECK_OK(sy_graph_add_value(g, &d, &ids[i]));
        int64_t n = numel(c->rank[i], c->dims[i]);
        if (k == 's') continue;
        b->inputs[i] = calloc((size_t)n, 8);
        for (int64_t e = 0; e < n; e++) {
            if (k == 'i') ((int64_t *)b->inputs[i])[e] = (int64_t)(rnd() * (float)c->range) % c->range;
            else if (k == 'q') ((int64_t *)b->inputs[i])[e] = c->range;
            else store(b->inputs[i], dt, e, k == 'p' ? 0.1f + 2.0f * rnd() : 2.0f * rnd() - 1.0f);
        }
        b->in_t[i] = (sy_tensor){.data = b->inputs[i], .dtype = d.dtype, .rank = d.rank};
        memcpy(b->in_t[i].dims, d.dims, sizeof d.dims);
    }
    sy_status st = sy_graph_add_op(g, "node", c->op, ids, c->n_in, c->attrs, c->n_attrs, out);
    if (st == SY_OK && sy_op_get(c->op)->n_outputs) st = sy_graph_set_output(g, out[0], "out");
    if (st == SY_OK) st = sy_program_from_graph(g, &b->prog);
    sy_graph_destroy(g);
    return st == SY_OK;
}

static void release(built *b) {
    for (int i = 0; i < MAX_IN; i++) free(b->inputs[i]);
    sy_program_destroy(b->prog);
}

/// Runs the program on `backends`; copies the output and the states (as f32) into out.
/// Returns the backend that ran the node, or NULL on failure.
static const char *run(const op_case *c, const built *b, const char *backends, float *out, int64_t *n_out) {
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    const char *ran = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    sy_status st = sy_runtime_create(b->prog, cfg, &rt);
    sy_config_destroy(cfg);
    if (st != SY_OK) return NULL;
    for (uint32_t i = 0; i < c->n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%u", i);
        if (c->kind[i] != 's') CHECK_OK(sy_runtime_set_input(rt, name, &b->in_t[i]));
    }
    *n_out = 0;
    if (sy_runtime_execute(rt) == SY_OK) {
        ran = rt->backends[rt->plan.partitions[0].backend].ref.vt->name;
        sy_tensor t;
        if (sy_op_get(c->op)->n_outputs && sy_runtime_get_output(rt, "out", &t) == SY_OK)
            for (int64_t e = 0; e < sy_tensor_numel(&t); e++) out[(*n_out)++] = load(t.data, t.dtype, e);
        for (uint32_t i = 0; i < c->n_in; i++) { // states after the call
            if (c->kind[i] != 's') continue;
            char name[16];
            snprintf(name, sizeof name, "in%u", i);
            int64_t n = numel(c->rank[i], c->dims[i]);
            void *buf = calloc((size_t)n, 4);
            sy_tensor s = {.data = buf, .dtype = b->dtype, .rank = c->rank[i]};
            memcpy(s.dims, c->dims[i], sizeof s.dims);
            CHECK_OK(sy_runtime_read_state(rt, name, &s));
            for (int64_t e = 0; e < n; e++) out[(*n_out)++] = load(buf, s.dtype, e);
            free(buf);
        }
    } else {
        fprintf(stderr, "  %s on %s: %s\n", "execute", backends, sy_last_error());
    }
    sy_runtime_destroy(rt);
    return ran;
}

int main(void) {
    sy_delegate_ref *refs = NULL;
    uint32_t n_refs = 0;
    CHECK_OK(sy_registry_collect(NULL, 1, &refs, &n_refs));
    const sy_dtype dtypes[3] = {SY_DTYPE_F32, SY_DTYPE_F16, SY_DTYPE_BF16};
    const float tol[3] = {2e-5f, 2e-3f, 1.6e-2f}; // relative to 1 + |reference|, per storage dtype
    static float ref[8192], got[8192];
    int ran_total = 0, fell_back = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const op_case *c = &cases[ci];
        for (int di = 0; di < 3; di++) {
            built b;
            if (!build(c, dtypes[di], &b)) { // the op's rule refuses this dtype: nothing to compare
                release(&b);
                continue;
            }
            int64_t n_ref = 0, n_got = 0;
            const char *ref_ran = run(c, &b, "portable", ref, &n_ref);
            CHECK_MSG(ref_ran != NULL, "%s %s: portable failed", c->label, sy_dtype_name(dtypes[di]));
            for (uint32_t r = 0; ref_ran && r < n_refs; r++) {
                const char *name = refs[r].vt->name;
                if (!strcmp(name, "portable")) continue;
                char reason[SY_REASON_MAX];
                if (!sy_delegate_available(refs[r].vt, reason, sizeof reason)) continue;
                char backends[64];
                snprintf(backends, sizeof backends, "%s,portable", name);
                const char *ran = run(c, &b, backends, got, &n_got);
                CHECK_MSG(ran != NULL, "%s %s on %s failed", c->label, sy_dtype_name(dtypes[di]), backends);
                if (!ran) continue;
                int here = !strcmp(ran, name);
                ran_total += here;
                fell_back += !here;
                fprintf(stderr, "  %-20s %-4s %-8s %s\n", c->label, sy_dtype_name(dtypes[di]), name,
                        here ? "ran" : "fell back to portable");
                CHECK_MSG(n_got == n_ref, "%s %s on %s: %lld values vs %lld", c->label, sy_dtype_name(dtypes[di]), name,
                          (long long)n_got, (long long)n_ref);
                for (int64_t e = 0; e < n_ref && e < n_got; e++) {
                    if (!(fabsf(got[e] - ref[e]) <= tol[di] * (1.0f + fabsf(ref[e])))) {
                        CHECK_MSG(0, "%s %s on %s: element %lld is %.7g, portable %.7g", c->label,
                                  sy_dtype_name(dtypes[di]), name, (long long)e, got[e], ref[e]);
                        break;
                    }
                }
            }
            release(&b);
        }
    }
    fprintf(stderr, "%d op x dtype x delegate cases ran on their delegate, %d fell back to portable\n", ran_total,
            fell_back);
    sy_registry_release(refs, n_refs);
    return TEST_SUMMARY();
}
