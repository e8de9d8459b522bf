// Differential testing: random well-formed programs (chains of ops over random shapes with
// NumPy broadcasting, zero-size dims and special values: NaN, +-inf, -0, denormals) run on every
// available delegate and are compared with the portable reference. A failing case is shrunk to
// a minimal program (fewer nodes, smaller shapes, plainer data) and printed; --save DIR also
// writes it as a .syp.
//
//   test_delegates_differential [--seed S] [--iters N] [--backends a,b] [--save DIR] [--all]
//
// CTest runs a short fixed-seed pass. --all ignores the known-issues table below (to check a
// fix). Adding an op is one line in `ops[]`: its kind says how its operands are made.

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/ops.h"
#include "core/status.h"
#include "harness.h"

// --- the op table ---

typedef enum kind {
    K_UNARY,  // op(x)
    K_BINARY, // op(x, y) or op(y, x), y a fresh input broadcast against x
    K_MATMUL, // x @ W, W a fresh input [last dim of x, n]
    K_NORM,   // op(x, w), w a fresh input [last dim of x]
    K_REDUCE, // op(x) over the last axis, keepdim
    K_SOFTMAX // op(x) over the last axis
} kind;

typedef struct op_entry {
    sy_op op;
    kind kind;
    float atol, rtol; // |got - want| <= atol + rtol * |want| (NaN must meet NaN, inf the same inf)
} op_entry;

static const op_entry ops[] = {
    {SY_OP_ADD, K_BINARY, 1e-5f, 1e-5f},     {SY_OP_SUB, K_BINARY, 1e-5f, 1e-5f},
    {SY_OP_MUL, K_BINARY, 1e-5f, 1e-5f},     {SY_OP_DIV, K_BINARY, 1e-5f, 1e-5f},
    {SY_OP_MAXIMUM, K_BINARY, 0, 0},         {SY_OP_MINIMUM, K_BINARY, 0, 0},
    {SY_OP_NEG, K_UNARY, 0, 0},              {SY_OP_EXP, K_UNARY, 1e-5f, 1e-5f},
    {SY_OP_LOG, K_UNARY, 1e-5f, 1e-5f},      {SY_OP_SQRT, K_UNARY, 1e-6f, 1e-6f},
    {SY_OP_RSQRT, K_UNARY, 1e-5f, 1e-5f},    {SY_OP_SIN, K_UNARY, 1e-5f, 1e-5f},
    {SY_OP_COS, K_UNARY, 1e-5f, 1e-5f},      {SY_OP_TANH, K_UNARY, 1e-5f, 1e-5f},
    {SY_OP_SIGMOID, K_UNARY, 1e-5f, 1e-5f},  {SY_OP_SILU, K_UNARY, 1e-5f, 1e-5f},
    {SY_OP_GELU, K_UNARY, 1e-4f, 1e-4f},     {SY_OP_RELU, K_UNARY, 0, 0},
    {SY_OP_SUM, K_REDUCE, 1e-4f, 1e-4f},     {SY_OP_MEAN, K_REDUCE, 1e-5f, 1e-4f},
    {SY_OP_MAX, K_REDUCE, 0, 0},             {SY_OP_SOFTMAX, K_SOFTMAX, 1e-5f, 1e-4f},
    {SY_OP_RMS_NORM, K_NORM, 1e-4f, 1e-4f},  {SY_OP_MATMUL, K_MATMUL, 1e-4f, 1e-4f},
};
#define N_OPS (sizeof ops / sizeof ops[0])

// Known differences that other work fixes (issue 15 items 2 and 8); skipped unless --all.
typedef struct known_issue {
    const char *backend;
    sy_op op;      // SY_OP_COUNT: any op
    int zero_size; // 1: the program has a zero-size value; 0: it has special values
    const char *why;
} known_issue;

static const known_issue known[] = {
    // Seen aborting inside libXNNPACK (`output_data != NULL`): rsqrt, silu, sigmoid, sqrt,
    // rms_norm, sum, depending on the shape; so any op until the delegate handles empty values.
    {"xnnpack", SY_OP_COUNT, 1, "XNNPACK asserts on zero-element tensors (issue 15 item 2)"},
    {"xnnpack", SY_OP_COUNT, 0, "special values (NaN, inf, -0, denormals) differ from portable (issue 15 item 8)"},
    {"vulkan", SY_OP_COUNT, 0, "special values (NaN, inf, -0, denormals) differ from portable (issue 15 item 8)"},
};

// --- a case: what a program is made of, so that shrinking can edit it ---

#define MAX_NODES 6

typedef struct node_spec {
    uint8_t op;         // index into ops[]
    uint8_t swap;       // K_BINARY: the fresh operand comes first
    uint8_t drop;       // K_BINARY: leading dims the fresh operand lacks
    uint8_t ones;       // K_BINARY: bit i set: the fresh operand's dim i (of the kept ones) is 1
    int64_t n;          // K_MATMUL: output columns
} node_spec;

typedef struct case_spec {
    uint32_t rank;
    int64_t dims[4];
    uint32_t n_nodes;
    node_spec nodes[MAX_NODES];
    uint64_t data_seed;
    int specials; // 1: inputs hold NaN, +-inf, -0, denormals among ordinary values
    int plain;    // 1: inputs are small integers (shrinking's last step)
} case_spec;

static uint64_t rng_next(uint64_t *s) { // splitmix64
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rng_below(uint64_t *s, uint32_t n) { return (uint32_t)(rng_next(s) % n); }

static case_spec random_case(uint64_t *s) {
    case_spec c;
    memset(&c, 0, sizeof c);
    c.rank = 1 + rng_below(s, 3);
    for (uint32_t i = 0; i < c.rank; i++) c.dims[i] = rng_below(s, 12) == 0 ? 0 : 1 + rng_below(s, 5);
    c.n_nodes = 1 + rng_below(s, 4);
    for (uint32_t k = 0; k < c.n_nodes; k++) {
        node_spec *n = &c.nodes[k];
        n->op = (uint8_t)rng_below(s, N_OPS);
        n->swap = (uint8_t)rng_below(s, 2);
        n->drop = (uint8_t)rng_below(s, 2);
        n->ones = (uint8_t)rng_below(s, 16);
        n->n = 1 + rng_below(s, 4);
    }
    c.data_seed = rng_next(s);
    c.specials = rng_below(s, 4) == 0;
    return c;
}

// --- building and running ---

typedef struct built {
    sy_program *program;
    uint32_t n_inputs;
    char input_names[MAX_NODES + 1][16];
    sy_tensor inputs[MAX_NODES + 1]; // data owned (malloc)
    uint32_t n_outputs;              // o0..o<n-1>, one per node
    int zero_size;                   // some value has no elements
} built;

static void built_free(built *b) {
    for (uint32_t i = 0; i < b->n_inputs; i++) free(b->inputs[i].data);
    sy_program_destroy(b->program);
    memset(b, 0, sizeof *b);
}

static float input_value(uint64_t *s, const case_spec *c) {
    if (c->plain) return (float)((int)rng_below(s, 5) - 2);
    static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-40f, -3e-39f, 0.0f};
    if (c->specials && rng_below(s, 6) == 0) return specials[rng_below(s, sizeof specials / sizeof specials[0])];
    return ((float)rng_below(s, 1u << 20) / (float)(1u << 20)) * 6.0f - 3.0f;
}

static uint32_t add_input(sy_graph *g, built *b, const case_spec *c, uint32_t rank, const int64_t *dims) {
    uint32_t k = b->n_inputs++;
    snprintf(b->input_names[k], sizeof b->input_names[k], "in%u", k);
    sy_value_desc d = {.name = b->input_names[k], .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = rank};
    sy_tensor *t = &b->inputs[k];
    *t = (sy_tensor){.dtype = SY_DTYPE_F32, .rank = rank};
    for (uint32_t i = 0; i < rank; i++) {
        d.dims[i] = t->dims[i] = dims[i];
        d.sym[i] = -1;
    }
    int64_t n = sy_tensor_numel(t);
    if (n < 0) n = 0; // not reached: dims come from a valid graph
    b->zero_size |= n == 0;
    t->data = calloc((size_t)(n ? n : 1), sizeof(float));
    uint64_t s = c->data_seed + 7919u * k;
    for (int64_t i = 0; i < n; i++) ((float *)t->data)[i] = input_value(&s, c);
    uint32_t id = UINT32_MAX;
    if (sy_graph_add_value(g, &d, &id) != SY_OK) return UINT32_MAX;
    return id;
}

/// Adds node k of the case after value `cur` (shape rank/dims); returns its output or UINT32_MAX.
static uint32_t add_node(sy_graph *g, built *b, const case_spec *c, uint32_t k, uint32_t cur, uint32_t rank,
                         const int64_t *dims) {
    const node_spec *n = &c->nodes[k];
    const op_entry *e = &ops[n->op % N_OPS];
    char name[16];
    snprintf(name, sizeof name, "n%u", k);
    uint32_t in[2] = {cur, 0}, n_in = 1, out = UINT32_MAX;
    int64_t fdims[4];
    static const int64_t minus_one = -1;
    sy_attr attrs[2];
    uint32_t n_attrs = 0;
    switch (e->kind) {
    case K_BINARY: {
        uint32_t drop = n->drop < rank ? n->drop : 0, frank = rank - drop;
        for (uint32_t i = 0; i < frank; i++) fdims[i] = (n->ones >> i) & 1u ? 1 : dims[drop + i];
        uint32_t y = add_input(g, b, c, frank, fdims);
        in[0] = n->swap ? y : cur;
        in[1] = n->swap ? cur : y;
        n_in = 2;
        break;
    }
    case K_MATMUL:
        if (rank < 2) return UINT32_MAX;
        fdims[0] = dims[rank - 1];
        fdims[1] = n->n;
        in[1] = add_input(g, b, c, 2, fdims);
        n_in = 2;
        break;
    case K_NORM:
        fdims[0] = dims[rank - 1];
        in[1] = add_input(g, b, c, 1, fdims);
        n_in = 2;
        break;
    case K_REDUCE:
        attrs[n_attrs++] = (sy_attr){.name = "axes", .type = SY_ATTR_INTS, .n = 1, .u.ints = &minus_one};
        attrs[n_attrs++] = (sy_attr){.name = "keepdim", .type = SY_ATTR_INT, .n = 1, .u.i = 1};
        break;
    case K_SOFTMAX:
        attrs[n_attrs++] = (sy_attr){.name = "axis", .type = SY_ATTR_INT, .n = 1, .u.i = -1};
        break;
    case K_UNARY: break;
    }
    if (in[n_in - 1] == UINT32_MAX) return UINT32_MAX;
    if (sy_graph_add_op(g, name, e->op, in, n_in, attrs, n_attrs, &out) != SY_OK) return UINT32_MAX;
    return out;
}

/// Builds the case's program; 0 when the case is not well formed (an op refuses its shapes).
/// With save_path, also writes the graph there as a program file.
static int build_save(const case_spec *c, built *b, const char *save_path) {
    memset(b, 0, sizeof *b);
    sy_graph *g = NULL;
    if (sy_graph_create(&g) != SY_OK) return 0;
    uint32_t cur = add_input(g, b, c, c->rank, c->dims);
    int ok = cur != UINT32_MAX;
    for (uint32_t k = 0; ok && k < c->n_nodes; k++) {
        const sy_value_info *vi = &sy_graph_get_view(g)->values[cur];
        int64_t dims[SY_MAX_RANK];
        uint32_t rank = vi->rank;
        memcpy(dims, vi->dims, sizeof dims);
        b->zero_size |= vi->nbytes == 0;
        cur = rank ? add_node(g, b, c, k, cur, rank, dims) : UINT32_MAX;
        char out[16];
        snprintf(out, sizeof out, "o%u", k);
        ok = cur != UINT32_MAX && sy_graph_set_output(g, cur, out) == SY_OK;
        if (ok) b->zero_size |= sy_graph_get_view(g)->values[cur].nbytes == 0;
    }
    b->n_outputs = c->n_nodes;
    ok = ok && sy_program_from_graph(g, &b->program) == SY_OK;
    if (ok && save_path && sy_graph_save(g, save_path) != SY_OK)
        fprintf(stderr, "  cannot save %s: %s\n", save_path, sy_last_error());
    sy_graph_destroy(g);
    if (!ok) built_free(b);
    return ok;
}

static int build(const case_spec *c, built *b) { return build_save(c, b, NULL); }

typedef struct outputs {
    float *data[MAX_NODES];
    int64_t n[MAX_NODES];
} outputs;

static void outputs_free(outputs *o) {
    for (int k = 0; k < MAX_NODES; k++) free(o->data[k]);
    memset(o, 0, sizeof *o);
}

/// Runs the program on `backends` (fallback: what a delegate refuses goes to portable).
static sy_status run(const built *b, const char *backends, outputs *o) {
    memset(o, 0, sizeof *o);
    sy_config *c = NULL;
    sy_runtime *rt = NULL;
    SY_TRY(sy_config_create(&c));
    sy_status st = sy_config_set_backends(c, backends);
    if (st == SY_OK) st = sy_runtime_create(b->program, c, &rt);
    for (uint32_t i = 0; st == SY_OK && i < b->n_inputs; i++) st = sy_runtime_set_input(rt, b->input_names[i], &b->inputs[i]);
    if (st == SY_OK) st = sy_runtime_execute(rt);
    for (uint32_t k = 0; st == SY_OK && k < b->n_outputs; k++) {
        char name[16];
        sy_tensor t;
        snprintf(name, sizeof name, "o%u", k);
        st = sy_runtime_get_output(rt, name, &t);
        if (st != SY_OK) break;
        o->n[k] = sy_tensor_numel(&t);
        o->data[k] = malloc(sizeof(float) * (size_t)(o->n[k] ? o->n[k] : 1));
        if (o->n[k]) memcpy(o->data[k], t.data, sizeof(float) * (size_t)o->n[k]);
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(c);
    return st;
}

static const char *known_reason(const case_spec *c, const built *b, const char *backend, int specials);

static int same(float got, float want, const op_entry *e) {
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got)) return got == want;
    return fabsf(got - want) <= e->atol + e->rtol * fabsf(want);
}

typedef struct mismatch {
    int found;
    uint32_t output;
    int64_t index;
    float got, want;
    char error[256];    // the backend failed where portable did not
    const char *known;  // not compared: a known issue (why)
} mismatch;

static int any_special(const outputs *o, uint32_t n) {
    for (uint32_t k = 0; k < n; k++)
        for (int64_t i = 0; i < o->n[k]; i++)
            if (!isfinite(o->data[k][i]) || (o->data[k][i] != 0 && fabsf(o->data[k][i]) < 1.17549435e-38f) ||
                (o->data[k][i] == 0 && signbit(o->data[k][i])))
                return 1;
    return 0;
}

/// Compares `backend` (with portable behind it) against portable alone.
static mismatch compare(const case_spec *c, const built *b, const char *backend) {
    mismatch m;
    memset(&m, 0, sizeof m);
    char list[96];
    snprintf(list, sizeof list, "%s,portable", backend);
    outputs want, got;
    if ((m.known = known_reason(c, b, backend, c->specials))) return m; // e.g. would abort: not run
    if (run(b, "portable", &want) != SY_OK) { // the reference refuses it: not a case (e.g. a bound)
        outputs_free(&want);
        return m;
    }
    // Special values the program computes from ordinary inputs (rsqrt(-1), x / 0) count too.
    if ((m.known = known_reason(c, b, backend, any_special(&want, b->n_outputs)))) {
        outputs_free(&want);
        return m;
    }
    if (run(b, list, &got) != SY_OK) {
        m.found = 1;
        snprintf(m.error, sizeof m.error, "%s", sy_last_error());
    }
    op_entry tol = {SY_OP_COUNT, K_UNARY, 0, 0};
    for (uint32_t k = 0; !m.found && k < b->n_outputs; k++) {
        // Output k is downstream of every earlier node (a chain): their rounding adds up.
        tol.atol += ops[c->nodes[k].op % N_OPS].atol;
        tol.rtol += ops[c->nodes[k].op % N_OPS].rtol;
        for (int64_t i = 0; i < want.n[k] && !m.found; i++)
            if (got.n[k] != want.n[k] || !same(got.data[k][i], want.data[k][i], &tol))
                m = (mismatch){.found = 1, .output = k, .index = i, .got = got.data[k][i], .want = want.data[k][i]};
    }
    outputs_free(&want);
    outputs_free(&got);
    return m;
}

// --- options, known issues, shrinking, reporting ---

static int opt_all;

/// Why `backend` is not compared on this case (a known issue), or NULL; `specials`: the case's
/// inputs or results hold special values.
static const char *known_reason(const case_spec *c, const built *b, const char *backend, int specials) {
    if (opt_all) return NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(known[i].backend, backend) != 0) continue;
        if (known[i].zero_size ? !b->zero_size : !specials) continue;
        for (uint32_t k = 0; k < c->n_nodes; k++)
            if (known[i].op == SY_OP_COUNT || ops[c->nodes[k].op % N_OPS].op == known[i].op) return known[i].why;
    }
    return NULL;
}

/// 1 when the case builds, is not a known issue, and still fails on `backend`.
static int still_fails(const case_spec *c, const char *backend) {
    built b;
    if (!build(c, &b)) return 0;
    int fails = compare(c, &b, backend).found;
    built_free(&b);
    return fails;
}

/// Shrinks a failing case: fewer nodes, lower rank, smaller dims, plainer operands and data,
/// keeping each edit that still fails, until none does.
static case_spec shrink(case_spec c, const char *backend) {
    for (int changed = 1, rounds = 0; changed && rounds < 50; rounds++) {
        changed = 0;
        for (uint32_t k = 0; k < c.n_nodes && c.n_nodes > 1; k++) { // drop node k
            case_spec t = c;
            memmove(&t.nodes[k], &t.nodes[k + 1], sizeof t.nodes[0] * (t.n_nodes - k - 1));
            t.n_nodes--;
            if (still_fails(&t, backend)) { c = t; changed = 1; k--; }
        }
        if (c.rank > 1) { // drop the leading dim
            case_spec t = c;
            memmove(t.dims, t.dims + 1, sizeof t.dims[0] * (t.rank - 1));
            t.rank--;
            if (still_fails(&t, backend)) { c = t; changed = 1; }
        }
        for (uint32_t i = 0; i < c.rank; i++)
            for (int64_t d = 0; d < c.dims[i]; d++) { // the smallest dim that still fails
                case_spec t = c;
                t.dims[i] = d;
                if (still_fails(&t, backend)) { c = t; changed = 1; break; }
            }
        for (uint32_t k = 0; k < c.n_nodes; k++) {
            node_spec plain = {.op = c.nodes[k].op, .n = 1};
            case_spec t = c;
            t.nodes[k] = plain;
            if (memcmp(&plain, &c.nodes[k], sizeof plain) != 0 && still_fails(&t, backend)) { c = t; changed = 1; }
        }
        if (!c.plain) { // small integers, no specials
            case_spec t = c;
            t.plain = 1;
            t.specials = 0;
            if (still_fails(&t, backend)) { c = t; changed = 1; }
        }
    }
    return c;
}

static void print_tensor(const sy_tensor *t) {
    int64_t n = sy_tensor_numel(t);
    fprintf(stderr, "[");
    for (int64_t i = 0; i < n && i < 24; i++) fprintf(stderr, "%s%g", i ? ", " : "", (double)((const float *)t->data)[i]);
    fprintf(stderr, "%s]", n > 24 ? ", ..." : "");
}

static void report(const case_spec *c, const char *backend, const char *save_dir, uint64_t seed, int iter) {
    char path[1024];
    snprintf(path, sizeof path, "%s/diff_%s_%llu_%d.syp", save_dir ? save_dir : ".", backend,
             (unsigned long long)seed, iter);
    built b;
    if (!build_save(c, &b, save_dir ? path : NULL)) return;
    mismatch m = compare(c, &b, backend);
    fprintf(stderr, "differential: '%s' disagrees with portable (seed %llu, case %d), minimal program:\n", backend,
            (unsigned long long)seed, iter);
    const sy_graph_view *g = sy_program_get_graph(b.program);
    for (uint32_t v = 0; v < g->n_values; v++) {
        const sy_value_info *vi = &g->values[v];
        char dims[96];
        sy_tensor t = {.rank = vi->rank};
        memcpy(t.dims, vi->dims, sizeof t.dims);
        fprintf(stderr, "  %s %s %s", sy_role_name(vi->role), vi->name, sy_format_dims(t.dims, t.rank, dims, sizeof dims));
        for (uint32_t i = 0; i < b.n_inputs; i++)
            if (strcmp(b.input_names[i], vi->name) == 0) {
                fprintf(stderr, " = ");
                print_tensor(&b.inputs[i]);
            }
        fprintf(stderr, "\n");
    }
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        fprintf(stderr, "  %s = %s(", g->values[g->nodes[n].outputs[0]].name, sy_op_name(g->nodes[n].op));
        for (uint32_t i = 0; i < g->nodes[n].n_inputs; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", g->values[g->nodes[n].inputs[i]].name);
        fprintf(stderr, ")\n");
    }
    if (m.error[0]) fprintf(stderr, "  %s fails: %s\n", backend, m.error);
    else
        fprintf(stderr, "  o%u[%lld]: %s gives %.9g, portable %.9g\n", m.output, (long long)m.index, backend,
                (double)m.got, (double)m.want);
    if (save_dir) fprintf(stderr, "  saved as %s (inputs as above)\n", path);
    built_free(&b);
}

/// The delegates besides portable that this build has and this machine can run.
static uint32_t available_backends(char names[][32], uint32_t max) {
    uint32_t n = 0;
    const char *candidates[] = {"xnnpack", "vulkan"};
    for (uint32_t i = 0; i < 2 && n < max; i++) {
        case_spec c = {.rank = 1, .dims = {2}, .n_nodes = 1};
        built b;
        if (!build(&c, &b)) continue;
        char list[64];
        snprintf(list, sizeof list, "%s,portable", candidates[i]);
        sy_config *cfg = NULL;
        sy_runtime *rt = NULL;
        int ok = sy_config_create(&cfg) == SY_OK && sy_config_set_backends(cfg, list) == SY_OK;
        sy_config_set_policy(cfg, SY_POLICY_STRICT);
        ok = ok && sy_runtime_create(b.program, cfg, &rt) == SY_OK;
        sy_runtime_destroy(rt);
        sy_config_destroy(cfg);
        built_free(&b);
        if (ok) snprintf(names[n++], 32, "%s", candidates[i]);
    }
    return n;
}

int main(int argc, char **argv) {
    uint64_t seed = 15;
    int iters = 120;
    const char *save_dir = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--save") && i + 1 < argc) save_dir = argv[++i];
        else if (!strcmp(argv[i], "--backends") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--all")) opt_all = 1;
        else {
            fprintf(stderr, "usage: %s [--seed S] [--iters N] [--backends a,b] [--save DIR] [--all]\n", argv[0]);
            return 2;
        }
    }
    char names[4][32];
    uint32_t nb = only ? 0 : available_backends(names, 4);
    for (const char *p = only; p && *p && nb < 4;) {
        size_t len = strcspn(p, ",");
        snprintf(names[nb++], 32, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    fprintf(stderr, "differential: %d cases from seed %llu on:", iters, (unsigned long long)seed);
    for (uint32_t k = 0; k < nb; k++) fprintf(stderr, " %s", names[k]);
    fprintf(stderr, "%s\n", nb ? "" : " (no delegate besides portable: nothing to compare)");
    uint64_t s = seed;
    int n_cases = 0, n_skipped = 0, n_failed = 0, n_redraws = 0;
    for (int it = 0; it < iters; it++) {
        case_spec c = random_case(&s);
        built b;
        if (!build(&c, &b)) { // not well formed: draw again (does not count)
            if (++n_redraws < 100 * iters) it--;
            continue;
        }
        n_cases++;
        for (uint32_t k = 0; k < nb; k++) {
            mismatch m = compare(&c, &b, names[k]);
            n_skipped += m.known != NULL;
            if (!m.found) continue;
            n_failed++;
            case_spec small = shrink(c, names[k]);
            report(&small, names[k], save_dir, seed, it);
        }
        built_free(&b);
    }
    fprintf(stderr, "differential: %d cases, %d runs skipped as known issues, %d disagreements\n", n_cases, n_skipped,
            n_failed);
    CHECK(n_failed == 0);
    return TEST_SUMMARY();
}
