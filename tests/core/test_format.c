// The program file format (docs/FORMAT.md): round trips through memory and files, constants
// borrowed from the mapping, a second writer written from the spec alone, and malformed files
// (each must fail cleanly with a message naming the file and the record).

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/program.h"
#include "harness.h"

// --- little-endian helpers, written from the spec (independent of core/format.c) ---

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

enum { S_STRINGS, S_METADATA, S_SYMBOLS, S_VALUES, S_NODES, S_IDS, S_ATTRS, S_INTS, S_DATA };

static uint8_t *entry(uint8_t *b, int s) { return b + 32 + 24 * s; }
static uint64_t sec_off(const uint8_t *b, int s) { return get64(b + 32 + 24 * s); }
static uint64_t sec_size(const uint8_t *b, int s) { return get64(b + 32 + 24 * s + 8); }
static uint8_t *value_rec(uint8_t *b, uint32_t id) { return b + sec_off(b, S_VALUES) + 96 * id; }
static uint8_t *node_rec(uint8_t *b, uint32_t n) { return b + sec_off(b, S_NODES) + 32 * n; }
static uint8_t *node_input(uint8_t *b, uint32_t n, uint32_t i) {
    return b + sec_off(b, S_IDS) + 4 * (get32(node_rec(b, n) + 12) + i);
}
static uint8_t *node_attr(uint8_t *b, uint32_t n, uint32_t k) {
    return b + sec_off(b, S_ATTRS) + 24 * (get32(node_rec(b, n) + 28) + k);
}

// --- a hand-built graph view (no builder involved) ---

enum { V_X, V_W, V_B, V_H, V_G, V_N, V_SM, V_T, V_Y, V_CACHE, V_MASK, V_SCALAR, N_VALUES };
enum { N_FC, N_RMS, N_SM, N_TR, N_GELU, N_NODES };

typedef struct fixture {
    sy_symbol_info symbols[1];
    sy_value_info values[N_VALUES];
    sy_node_info nodes[N_NODES];
    uint32_t ids[16];
    sy_attr attrs[5];
    int64_t perm[2];
    float w[12], b[3], g[3];
    uint8_t mask[2];
    int64_t scalar;
    const char *meta_keys[3], *meta_values[3];
    sy_metadata meta;
    sy_graph_view view;
} fixture;

static void set_value(fixture *f, uint32_t id, const char *name, sy_dtype dt, sy_role role, uint32_t rank,
                      int64_t d0, int32_t s0, int64_t d1, int32_t s1) {
    sy_value_info *v = &f->values[id];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->dtype = dt;
    v->role = role;
    v->rank = rank;
    for (int i = 0; i < SY_MAX_RANK; i++) v->sym[i] = -1;
    v->dims[0] = d0;
    v->sym[0] = rank > 0 ? s0 : -1;
    v->dims[1] = d1;
    v->sym[1] = rank > 1 ? s1 : -1;
    if (rank < 2) v->dims[1] = 0;
    if (rank < 1) v->dims[0] = 0;
    size_t n = sy_dtype_size(dt);
    for (uint32_t i = 0; i < rank; i++) n *= (size_t)v->dims[i];
    v->nbytes = n;
}

static void set_node(fixture *f, uint32_t n, const char *name, sy_op op, uint32_t *ids_at,
                     const uint32_t *in, uint32_t n_in, uint32_t out, uint32_t attr_at, uint32_t n_attrs) {
    sy_node_info *node = &f->nodes[n];
    node->name = name;
    node->op = op;
    node->n_inputs = n_in;
    node->inputs = &f->ids[*ids_at];
    for (uint32_t i = 0; i < n_in; i++) f->ids[(*ids_at)++] = in[i];
    node->n_outputs = 1;
    node->outputs = &f->ids[*ids_at];
    f->ids[(*ids_at)++] = out;
    node->n_attrs = n_attrs;
    node->attrs = &f->attrs[attr_at];
}

// x [seq,4] -> linear(w [3,4], b [3]) -> rms_norm(g, eps) -> softmax(axis, note) -> transpose(perm)
// -> gelu(approximate) = y [3,seq]; plus an unused state, a bool and a rank-0 i64 constant.
static void fixture_init(fixture *f) {
    memset(f, 0, sizeof *f);
    f->symbols[0] = (sy_symbol_info){"seq", 8};
    for (int i = 0; i < 12; i++) f->w[i] = 0.25f * (float)i - 1.0f;
    for (int i = 0; i < 3; i++) f->b[i] = (float)i + 0.5f, f->g[i] = 1.0f + (float)i;
    f->mask[0] = 1;
    f->scalar = -1234567890123LL;
    set_value(f, V_X, "x", SY_DTYPE_F32, SY_ROLE_INPUT, 2, 8, 0, 4, -1);
    set_value(f, V_W, "fc.weight", SY_DTYPE_F32, SY_ROLE_CONSTANT, 2, 3, -1, 4, -1);
    set_value(f, V_B, "fc.bias", SY_DTYPE_F32, SY_ROLE_CONSTANT, 1, 3, -1, 0, -1);
    set_value(f, V_H, "h", SY_DTYPE_F32, SY_ROLE_INTERMEDIATE, 2, 8, 0, 3, -1);
    set_value(f, V_G, "norm.weight", SY_DTYPE_F32, SY_ROLE_CONSTANT, 1, 3, -1, 0, -1);
    set_value(f, V_N, "n", SY_DTYPE_F32, SY_ROLE_INTERMEDIATE, 2, 8, 0, 3, -1);
    set_value(f, V_SM, "sm", SY_DTYPE_F32, SY_ROLE_INTERMEDIATE, 2, 8, 0, 3, -1);
    set_value(f, V_T, "t", SY_DTYPE_F32, SY_ROLE_INTERMEDIATE, 2, 3, -1, 8, 0);
    set_value(f, V_Y, "y", SY_DTYPE_F32, SY_ROLE_OUTPUT, 2, 3, -1, 8, 0);
    set_value(f, V_CACHE, "cache", SY_DTYPE_F16, SY_ROLE_STATE, 2, 2, -1, 8, -1);
    set_value(f, V_MASK, "mask", SY_DTYPE_BOOL, SY_ROLE_CONSTANT, 1, 2, -1, 0, -1);
    set_value(f, V_SCALAR, "scalar", SY_DTYPE_I64, SY_ROLE_CONSTANT, 0, 0, -1, 0, -1);
    f->values[V_W].data = f->w;
    f->values[V_B].data = f->b;
    f->values[V_G].data = f->g;
    f->values[V_MASK].data = f->mask;
    f->values[V_SCALAR].data = &f->scalar;

    f->perm[0] = 1;
    f->perm[1] = 0;
    f->attrs[0] = (sy_attr){.name = "eps", .type = SY_ATTR_FLOAT, .n = 1, .u.f = 1e-5f};
    f->attrs[1] = (sy_attr){.name = "axis", .type = SY_ATTR_INT, .n = 1, .u.i = -1};
    f->attrs[2] = (sy_attr){.name = "note", .type = SY_ATTR_STRING, .n = 5, .u.s = "hello"};
    f->attrs[3] = (sy_attr){.name = "perm", .type = SY_ATTR_INTS, .n = 2, .u.ints = f->perm};
    f->attrs[4] = (sy_attr){.name = "approximate", .type = SY_ATTR_INT, .n = 1, .u.i = 1};

    uint32_t at = 0;
    set_node(f, N_FC, "fc", SY_OP_LINEAR, &at, (uint32_t[]){V_X, V_W, V_B}, 3, V_H, 0, 0);
    set_node(f, N_RMS, "norm", SY_OP_RMS_NORM, &at, (uint32_t[]){V_H, V_G}, 2, V_N, 0, 1);
    set_node(f, N_SM, "softmax", SY_OP_SOFTMAX, &at, (uint32_t[]){V_N}, 1, V_SM, 1, 2);
    set_node(f, N_TR, "tr", SY_OP_TRANSPOSE, &at, (uint32_t[]){V_SM}, 1, V_T, 3, 1);
    set_node(f, N_GELU, "act", SY_OP_GELU, &at, (uint32_t[]){V_T}, 1, V_Y, 4, 1);

    f->meta_keys[0] = "model", f->meta_values[0] = "tiny";
    f->meta_keys[1] = "max_seq_len", f->meta_values[1] = "8";
    f->meta_keys[2] = "empty", f->meta_values[2] = "";
    f->meta = (sy_metadata){3, f->meta_keys, f->meta_values};

    f->view = (sy_graph_view){N_VALUES, N_NODES, 1, f->values, f->nodes, f->symbols};
}

// Serialises the fixture; the caller frees *bytes with free_bytes.
static int fixture_bytes(uint8_t **bytes, size_t *size) {
    fixture f;
    fixture_init(&f);
    sy_status st = sy_format_serialize(&f.view, &f.meta, bytes, size);
    CHECK_OK(st);
    return st == SY_OK;
}

static void free_bytes(uint8_t *bytes) { sy_free(bytes); }

// Field-by-field comparison of a loaded graph against the fixture it came from.
static void check_same_graph(const sy_graph_view *want, const sy_graph_view *got) {
    CHECK(got->n_values == want->n_values && got->n_nodes == want->n_nodes &&
          got->n_symbols == want->n_symbols);
    if (got->n_values != want->n_values || got->n_nodes != want->n_nodes || got->n_symbols != want->n_symbols)
        return;
    for (uint32_t s = 0; s < want->n_symbols; s++) {
        CHECK(strcmp(got->symbols[s].name, want->symbols[s].name) == 0);
        CHECK(got->symbols[s].max == want->symbols[s].max);
    }
    for (uint32_t id = 0; id < want->n_values; id++) {
        const sy_value_info *a = &want->values[id], *b = &got->values[id];
        CHECK_MSG(strcmp(a->name, b->name) == 0, "value #%u: %s vs %s", id, a->name, b->name);
        CHECK(a->dtype == b->dtype && a->role == b->role && a->rank == b->rank);
        CHECK_MSG(a->nbytes == b->nbytes, "value #%u nbytes %zu vs %zu", id, a->nbytes, b->nbytes);
        for (uint32_t i = 0; i < a->rank; i++) {
            CHECK_MSG(a->dims[i] == b->dims[i], "value #%u dim %u", id, i);
            CHECK_MSG(a->sym[i] == b->sym[i], "value #%u sym %u", id, i);
        }
        if (a->role == SY_ROLE_CONSTANT) {
            CHECK(b->data != NULL && memcmp(a->data, b->data, a->nbytes) == 0);
            CHECK_MSG(((uintptr_t)b->data & 63u) == 0, "constant #%u at %p is not 64-byte aligned", id,
                      b->data);
        } else {
            CHECK(b->data == NULL);
        }
    }
    for (uint32_t n = 0; n < want->n_nodes; n++) {
        const sy_node_info *a = &want->nodes[n], *b = &got->nodes[n];
        CHECK(strcmp(a->name, b->name) == 0 && a->op == b->op);
        CHECK(a->n_inputs == b->n_inputs && a->n_outputs == b->n_outputs && a->n_attrs == b->n_attrs);
        if (a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs || a->n_attrs != b->n_attrs) continue;
        for (uint32_t i = 0; i < a->n_inputs; i++) CHECK(a->inputs[i] == b->inputs[i]);
        for (uint32_t i = 0; i < a->n_outputs; i++) CHECK(a->outputs[i] == b->outputs[i]);
        for (uint32_t k = 0; k < a->n_attrs; k++) {
            const sy_attr *x = &a->attrs[k], *y = &b->attrs[k];
            CHECK(strcmp(x->name, y->name) == 0 && x->type == y->type && x->n == y->n);
            if (x->type != y->type || x->n != y->n) continue;
            switch (x->type) {
            case SY_ATTR_INT: CHECK(x->u.i == y->u.i); break;
            case SY_ATTR_FLOAT: CHECK(memcmp(&x->u.f, &y->u.f, sizeof(float)) == 0); break;
            case SY_ATTR_INTS:
                CHECK(((uintptr_t)y->u.ints & 7u) == 0);
                CHECK(memcmp(x->u.ints, y->u.ints, sizeof(int64_t) * x->n) == 0);
                break;
            case SY_ATTR_STRING:
                CHECK(memcmp(x->u.s, y->u.s, x->n) == 0 && y->u.s[y->n] == '\0');
                break;
            }
        }
    }
}

static int inside(const sy_program *p, const void *ptr, size_t n) {
    const uint8_t *b = p->base, *q = ptr;
    return q >= b && q <= b + p->size && n <= (size_t)(b + p->size - q);
}

static void check_metadata(const sy_program *p) {
    CHECK(sy_program_n_metadata(p) == 3);
    const char *k = NULL, *v = NULL;
    sy_program_get_metadata_at(p, 1, &k, &v);
    CHECK(k && v && strcmp(k, "max_seq_len") == 0 && strcmp(v, "8") == 0);
    sy_program_get_metadata_at(p, 3, &k, &v);
    CHECK(k == NULL && v == NULL);
    CHECK(sy_program_get_metadata(p, "model") && strcmp(sy_program_get_metadata(p, "model"), "tiny") == 0);
    CHECK(sy_program_get_metadata(p, "empty") && sy_program_get_metadata(p, "empty")[0] == '\0');
    CHECK(sy_program_get_metadata(p, "missing") == NULL);
}

// --- temp files ---

static char tmp_dir[256];

static void tmp_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmp_dir, name); }

static int write_file(const char *path, const uint8_t *bytes, size_t size) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    size_t w = fwrite(bytes, 1, size, fp);
    return fclose(fp) == 0 && w == size;
}

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

// --- round trips ---

static void test_roundtrip_memory(void) {
    fixture f;
    fixture_init(&f);
    uint8_t *bytes;
    size_t size;
    if (!fixture_bytes(&bytes, &size)) return;
    sy_program *p = NULL;
    CHECK_OK(sy_program_load_memory(bytes, size, "prog.syp", &p));
    if (p) {
        check_same_graph(&f.view, sy_program_get_graph(p));
        check_metadata(p);
        // The loaded program holds a copy: the constants point into it, not into `bytes`.
        const sy_value_info *w = &sy_program_get_graph(p)->values[V_W];
        CHECK(inside(p, w->data, w->nbytes) && p->mapped == 0);
    }
    sy_program_destroy(p);
    free_bytes(bytes);
}

static void test_roundtrip_file(void) {
    fixture f;
    fixture_init(&f);
    uint8_t *bytes;
    size_t size;
    if (!fixture_bytes(&bytes, &size)) return;
    char path[512];
    tmp_path(path, sizeof path, "prog.syp");
    CHECK(write_file(path, bytes, size));
    sy_program *p = NULL;
    CHECK_OK(sy_program_load(path, &p));
    if (p) {
        const sy_graph_view *g = sy_program_get_graph(p);
        check_same_graph(&f.view, g);
        check_metadata(p);
        // Borrowed: every constant and INTS payload points into the file mapping itself.
        CHECK(p->mapped == 1 && p->size == size);
        for (uint32_t id = 0; id < g->n_values; id++)
            if (g->values[id].role == SY_ROLE_CONSTANT)
                CHECK_MSG(inside(p, g->values[id].data, g->values[id].nbytes), "constant #%u not in mapping", id);
        const sy_attr *perm = sy_node_find_attr(&g->nodes[N_TR], "perm");
        CHECK(perm && inside(p, perm->u.ints, 16));
        const sy_attr *note = sy_node_find_attr(&g->nodes[N_SM], "note");
        CHECK(note && note->type == SY_ATTR_STRING && note->n == 5 && strcmp(note->u.s, "hello") == 0);
        CHECK(sy_node_attr_float(&g->nodes[N_RMS], "eps", 0.0f) == 1e-5f);
        CHECK(sy_node_attr_int(&g->nodes[N_SM], "axis", 0) == -1);
        // Symbolic dims: x is [seq, 4] and y is [3, seq], stored with the bound.
        CHECK(g->values[V_X].sym[0] == 0 && g->values[V_X].sym[1] == -1 && g->values[V_X].dims[0] == 8);
        CHECK(g->values[V_Y].sym[0] == -1 && g->values[V_Y].sym[1] == 0 && g->values[V_Y].dims[1] == 8);
        CHECK(strcmp(g->symbols[0].name, "seq") == 0 && g->symbols[0].max == 8);
        int64_t s;
        memcpy(&s, g->values[V_SCALAR].data, sizeof s);
        CHECK(s == -1234567890123LL && g->values[V_SCALAR].rank == 0);
    }
    sy_program_destroy(p);
    free_bytes(bytes);
    unlink(path);
}

// A symbolic dim that stores something other than its bound in the view is written with the
// bound (the view's contract), and every byte the writer produces is deterministic.
static void test_serialize_deterministic(void) {
    fixture f;
    fixture_init(&f);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sy_format_serialize(&f.view, &f.meta, &a, &na));
    f.values[V_X].dims[0] = 3; // symbolic: the writer stores the symbol's bound (8) instead
    CHECK_OK(sy_format_serialize(&f.view, &f.meta, &b, &nb));
    CHECK(a && b && na == nb && memcmp(a, b, na) == 0);
    if (a) {
        // Constants 64-aligned in the file; no string stored twice ("x" would be, once per use).
        for (uint32_t id = 0; id < N_VALUES; id++) {
            uint64_t off = get64(value_rec(a, id) + 80);
            CHECK(off % 64 == 0);
        }
        CHECK(get64(a + 24) == na);
        CHECK(sec_off(a, S_DATA) % 64 == 0 && sec_off(a, S_INTS) % 8 == 0);
    }
    free_bytes(a);
    free_bytes(b);
}

// --- an independent writer, following docs/FORMAT.md only ---

typedef struct tiny_opts {
    uint16_t major, minor;
    uint32_t flags;
    uint32_t header_extra;   // bytes of (future) header fields before the table
    uint32_t rec_extra;      // bytes appended to every METADATA/SYMBOLS/VALUES/NODES/ATTRS record
    uint32_t extra_sections; // (future) sections appended to the table
} tiny_opts;

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

// The worked example of docs/FORMAT.md: y = relu(x), x f32 [2], metadata model = tiny.
static size_t write_tiny(uint8_t *out, size_t cap, const tiny_opts *o) {
    static const char strings[] = "\0model\0tiny\0x\0y\0relu"; // + the literal's final NUL: 21 bytes
    const uint32_t rx = o->rec_extra;
    uint32_t rec[9] = {1, 8 + rx, 16 + rx, 96 + rx, 32 + rx, 4, 24 + rx, 8, 1};
    uint64_t count[9] = {sizeof strings, 1, 0, 2, 1, 2, 0, 0, 0};
    static const int order[9] = {S_METADATA, S_SYMBOLS, S_VALUES, S_NODES, S_IDS,
                                 S_ATTRS,    S_INTS,    S_STRINGS, S_DATA};
    uint32_t n_sections = 9 + o->extra_sections, header_size = 32 + o->header_extra;
    uint64_t off[16] = {0};
    size_t pos = header_size + 24 * (size_t)n_sections;
    memset(out, 0, cap);
    for (int k = 0; k < 9; k++) {
        int s = order[k];
        pos = align_up(pos, s == S_DATA ? 64 : 8);
        off[s] = pos;
        pos += count[s] * rec[s];
    }
    for (uint32_t s = 9; s < n_sections; s++) { // future sections: 8 opaque bytes each
        off[s] = pos;
        memset(out + pos, 0xAB, 8);
        pos += 8;
    }
    size_t total = pos;
    if (total > cap) return 0;
    memcpy(out, "SYPROG\r\n", 8);
    put16(out + 8, o->major);
    put16(out + 10, o->minor);
    put32(out + 12, o->flags);
    put32(out + 16, header_size);
    put32(out + 20, n_sections);
    put64(out + 24, total);
    memset(out + 32, 0xCD, o->header_extra); // future header fields: ignored by a 1.0 reader
    for (uint32_t s = 0; s < n_sections; s++) {
        uint8_t *e = out + header_size + 24 * s;
        put64(e, off[s]);
        put64(e + 8, s < 9 ? count[s] * rec[s] : 8);
        put32(e + 16, s < 9 ? rec[s] : 1);
    }
    // Future record fields are filled with 0xEE: a 1.0 reader must skip them.
    for (int s = S_METADATA; s <= S_ATTRS; s++)
        for (uint64_t i = 0; s != S_IDS && i < count[s]; i++)
            memset(out + off[s] + i * rec[s] + (rec[s] - rx), 0xEE, rx);
    memcpy(out + off[S_STRINGS], strings, sizeof strings);
    put32(out + off[S_METADATA], 1);     // "model"
    put32(out + off[S_METADATA] + 4, 7); // "tiny"
    for (uint32_t id = 0; id < 2; id++) {
        uint8_t *v = out + off[S_VALUES] + id * rec[S_VALUES];
        put32(v, id == 0 ? 12 : 14); // "x", "y"
        v[4] = SY_DTYPE_F32;
        v[5] = id == 0 ? SY_ROLE_INPUT : SY_ROLE_OUTPUT;
        v[6] = 1;
        v[7] = 0;
        put64(v + 8, 2);
        memset(v + 16, 0, 40);
        memset(v + 56, 0xFF, 24); // sym[0..5] = -1
        memset(v + 80, 0, 16);
    }
    uint8_t *n = out + off[S_NODES];
    uint32_t node[8] = {16, SY_OP_RELU, 1, 0, 1, 1, 0, 0};
    for (int i = 0; i < 8; i++) put32(n + 4 * i, node[i]);
    put32(out + off[S_IDS], 0);
    put32(out + off[S_IDS] + 4, 1);
    return total;
}

static void check_tiny(const sy_program *p) {
    const sy_graph_view *g = sy_program_get_graph(p);
    CHECK(g->n_values == 2 && g->n_nodes == 1 && g->n_symbols == 0);
    if (g->n_values != 2 || g->n_nodes != 1) return;
    CHECK(strcmp(g->values[0].name, "x") == 0 && g->values[0].role == SY_ROLE_INPUT);
    CHECK(strcmp(g->values[1].name, "y") == 0 && g->values[1].role == SY_ROLE_OUTPUT);
    CHECK(g->values[1].rank == 1 && g->values[1].dims[0] == 2 && g->values[1].nbytes == 8);
    CHECK(g->nodes[0].op == SY_OP_RELU && strcmp(g->nodes[0].name, "relu") == 0);
    CHECK(g->nodes[0].inputs[0] == 0 && g->nodes[0].outputs[0] == 1);
    CHECK(sy_program_n_metadata(p) == 1 && strcmp(sy_program_get_metadata(p, "model"), "tiny") == 0);
}

static sy_status load_bytes(const uint8_t *bytes, size_t size) {
    sy_program *p = NULL;
    sy_status st = sy_program_load_memory(bytes, size, "prog.syp", &p);
    sy_program_destroy(p);
    return st;
}

// The library writer and the spec-only writer produce the same bytes, and the header matches the
// hex dump printed in docs/FORMAT.md.
static void test_spec_writer_matches(void) {
    static const uint8_t doc_hex[80] = {
        0x53, 0x59, 0x50, 0x52, 0x4f, 0x47, 0x0d, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x20, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xe8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t spec[1024];
    tiny_opts o = {1, 0, 0, 0, 0, 0};
    size_t n = write_tiny(spec, sizeof spec, &o);
    CHECK(n == 512);

    // The same program through the library writer.
    sy_value_info values[2];
    memset(values, 0, sizeof values);
    for (int i = 0; i < 2; i++) {
        values[i].name = i ? "y" : "x";
        values[i].dtype = SY_DTYPE_F32;
        values[i].role = i ? SY_ROLE_OUTPUT : SY_ROLE_INPUT;
        values[i].rank = 1;
        values[i].dims[0] = 2;
        for (int d = 0; d < SY_MAX_RANK; d++) values[i].sym[d] = -1;
        values[i].nbytes = 8;
    }
    uint32_t in = 0, out = 1;
    sy_node_info node = {"relu", SY_OP_RELU, 1, 1, 0, &in, &out, NULL};
    sy_graph_view view = {2, 1, 0, values, &node, NULL};
    const char *key = "model", *val = "tiny";
    sy_metadata meta = {1, &key, &val};
    uint8_t *lib = NULL;
    size_t lib_n = 0;
    CHECK_OK(sy_format_serialize(&view, &meta, &lib, &lib_n));
    CHECK(lib && lib_n == n && memcmp(lib, spec, n) == 0);
    if (lib && lib_n == n)
        for (size_t i = 0; i < n; i++)
            if (lib[i] != spec[i]) {
                fprintf(stderr, "  first difference at byte %zu: library %02x, spec writer %02x\n", i,
                        lib[i], spec[i]);
                break;
            }
    CHECK(memcmp(spec, doc_hex, sizeof doc_hex) == 0);
    free_bytes(lib);

    sy_program *p = NULL;
    CHECK_OK(sy_program_load_memory(spec, n, "tiny.syp", &p));
    if (p) check_tiny(p);
    sy_program_destroy(p);
}

static void test_versions(void) {
    uint8_t buf[2048];
    sy_program *p = NULL;
    size_t n;

    // A newer minor (1.9) with longer records, a longer header and an extra section: a 1.0 reader skips the rest.
    tiny_opts newer = {1, 9, 0x00010000u, 16, 8, 2};
    n = write_tiny(buf, sizeof buf, &newer);
    CHECK_OK(sy_program_load_memory(buf, n, "tiny.syp", &p));
    if (p) check_tiny(p);
    sy_program_destroy(p);
    p = NULL;

    // The same extensions in a 1.0 file are malformed: 1.0 fixes every size.
    tiny_opts same = {1, 0, 0, 0, 8, 0};
    n = write_tiny(buf, sizeof buf, &same);
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_FORMAT, "prog.syp: section METADATA has record size 16");
    tiny_opts same_sections = {1, 0, 0, 0, 0, 1};
    n = write_tiny(buf, sizeof buf, &same_sections);
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_FORMAT, "section table has 10 entries");

    tiny_opts major = {2, 0, 0, 0, 0, 0};
    n = write_tiny(buf, sizeof buf, &major);
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_UNSUPPORTED, "prog.syp: format version 2.0 is newer");
    tiny_opts zero = {0, 3, 0, 0, 0, 0};
    n = write_tiny(buf, sizeof buf, &zero);
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_FORMAT, "invalid format version 0.3");
    tiny_opts required = {1, 1, 0x4u, 0, 0, 0};
    n = write_tiny(buf, sizeof buf, &required);
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_UNSUPPORTED, "requires features");
    tiny_opts small = {1, 1, 0, 0, 0, 0};
    n = write_tiny(buf, sizeof buf, &small);
    put32(buf + 32 + 24 * S_VALUES + 16, 88); // a newer minor may grow records, never shrink them
    CHECK_FAILS(load_bytes(buf, n), SY_ERR_FORMAT, "section VALUES has record size 88");
}

// --- the builder path: sy_graph_save, sy_program_from_graph ---

static sy_graph *build_graph(void) {
    sy_graph *g = NULL;
    uint32_t seq, x, w, h, y;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return NULL;
    CHECK_OK(sy_graph_add_symbol(g, "seq", 16, &seq));
    sy_value_desc xd = {"x", SY_DTYPE_F32, SY_ROLE_INPUT, 2, {16, 4}, {(int32_t)seq, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    float wdata[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_OK(sy_graph_add_constant(g, "w", SY_DTYPE_F32, 2, (int64_t[]){2, 4}, wdata, sizeof wdata, &w));
    CHECK_OK(sy_graph_add_op(g, "fc", SY_OP_LINEAR, (uint32_t[]){x, w}, 2, NULL, 0, &h));
    CHECK_OK(sy_graph_add_op(g, "act", SY_OP_RELU, &h, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "logits"));
    CHECK_OK(sy_graph_set_metadata(g, "family", "test"));
    CHECK_OK(sy_graph_set_metadata(g, "bos", "1"));
    return g;
}

static void test_graph_save_load(void) {
    sy_graph *g = build_graph();
    if (!g) return;
    char path[512];
    tmp_path(path, sizeof path, "saved.syp");
    CHECK_OK(sy_graph_save(g, path));
    sy_program *p = NULL;
    CHECK_OK(sy_program_load(path, &p));
    if (p) {
        check_same_graph(sy_graph_get_view(g), sy_program_get_graph(p));
        CHECK(strcmp(sy_program_get_metadata(p, "family"), "test") == 0);
        CHECK(strcmp(sy_program_get_metadata(p, "bos"), "1") == 0);
        const sy_graph_view *v = sy_program_get_graph(p);
        CHECK(v->n_values == 4 && strcmp(v->values[3].name, "logits") == 0 && v->values[3].sym[0] == 0);
    }
    sy_program_destroy(p);
    p = NULL;
    int entries = count_dir_entries(tmp_dir);
    CHECK_OK(sy_graph_save(g, path)); // replaces the file in place, no temp file left over
    CHECK(count_dir_entries(tmp_dir) == entries);

    CHECK_OK(sy_program_from_graph(g, &p));
    if (p) {
        check_same_graph(sy_graph_get_view(g), sy_program_get_graph(p));
        CHECK(sy_program_n_metadata(p) == 2);
    }
    sy_program_destroy(p);

    // Saving over a directory fails at the rename, names the path, and leaves no temp file.
    char dir[512];
    tmp_path(dir, sizeof dir, "a_directory");
    CHECK(mkdir(dir, 0755) == 0);
    int before = count_dir_entries(tmp_dir);
    CHECK_FAILS(sy_graph_save(g, dir), SY_ERR_IO, "a_directory");
    CHECK(count_dir_entries(tmp_dir) == before);
    rmdir(dir);
    // A missing directory: the error names the path and the reason.
    char missing[512];
    tmp_path(missing, sizeof missing, "no/such/dir/x.syp");
    CHECK_FAILS(sy_graph_save(g, missing), SY_ERR_IO, "No such file or directory");
    CHECK_FAILS(sy_graph_save(g, missing), SY_ERR_IO, "no/such/dir/x.syp");

    // An invalid graph is refused before anything is written: the output is never produced.
    sy_graph *bad = NULL;
    CHECK_OK(sy_graph_create(&bad));
    sy_value_desc od = {"orphan", SY_DTYPE_F32, SY_ROLE_OUTPUT, 1, {2}, {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(bad, &od, NULL));
    char bad_path[512];
    tmp_path(bad_path, sizeof bad_path, "bad.syp");
    CHECK_FAILS(sy_graph_save(bad, bad_path), SY_ERR_FORMAT, "produced by no node");
    CHECK(access(bad_path, F_OK) != 0);
    sy_program *q = NULL;
    CHECK_FAILS(sy_program_from_graph(bad, &q), SY_ERR_FORMAT, "produced by no node");
    CHECK(q == NULL);
    sy_graph_destroy(bad);
    sy_graph_destroy(g);
    unlink(path);
}

static void test_load_io_errors(void) {
    sy_program *p = NULL;
    char path[512];
    tmp_path(path, sizeof path, "absent.syp");
    CHECK_FAILS(sy_program_load(path, &p), SY_ERR_IO, "absent.syp");
    CHECK_FAILS(sy_program_load(path, &p), SY_ERR_IO, "No such file");
    CHECK_FAILS(sy_program_load(tmp_dir, &p), SY_ERR_IO, "not a regular file");
    tmp_path(path, sizeof path, "empty.syp");
    CHECK(write_file(path, (const uint8_t *)"", 0));
    CHECK_FAILS(sy_program_load(path, &p), SY_ERR_FORMAT, "empty.syp: file is 0 bytes");
    unlink(path);
    // A malformed file on disk: the message names the file.
    uint8_t *bytes;
    size_t size;
    if (fixture_bytes(&bytes, &size)) {
        bytes[0] = 'X';
        tmp_path(path, sizeof path, "magic.syp");
        CHECK(write_file(path, bytes, size));
        CHECK_FAILS(sy_program_load(path, &p), SY_ERR_FORMAT, "magic.syp: not a Switchyard program");
        unlink(path);
        free_bytes(bytes);
    }
    CHECK(p == NULL);
    CHECK_FAILS(sy_program_load(NULL, &p), SY_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_FAILS(sy_program_load_memory(NULL, 10, "m", &p), SY_ERR_INVALID_ARGUMENT, "NULL");
    sy_program_destroy(NULL);
}

// --- malformed files ---

// Runs `mutate` on a fresh copy of the fixture's bytes and expects the given failure.
#define BAD_CASE(status, needle, ...)                                                              \
    do {                                                                                           \
        uint8_t *b_;                                                                               \
        size_t n_;                                                                                 \
        if (fixture_bytes(&b_, &n_)) {                                                             \
            uint8_t *b = b_;                                                                       \
            (void)b;                                                                               \
            __VA_ARGS__;                                                                           \
            CHECK_FAILS(load_bytes(b_, n_), status, needle);                                       \
            free_bytes(b_);                                                                        \
        }                                                                                          \
    } while (0)

static void test_truncated(void) {
    uint8_t *bytes;
    size_t size;
    if (!fixture_bytes(&bytes, &size)) return;
    uint8_t *copy = malloc(size);
    int bad = 0;
    for (size_t len = 0; len < size && copy; len++) {
        // As cut off, and with the header's file_size patched to match (deeper checks run).
        for (int patch = 0; patch < 2; patch++) {
            if (patch && len < 32) continue;
            memcpy(copy, bytes, len);
            if (patch) put64(copy + 24, len);
            sy_status st = load_bytes(copy, len);
            if (st != SY_ERR_FORMAT || strncmp(sy_last_error(), "prog.syp: ", 10) != 0) {
                if (bad++ < 5)
                    fprintf(stderr, "  prefix %zu (patched %d): %s: %s\n", len, patch, sy_status_name(st),
                            sy_last_error());
            }
        }
    }
    CHECK_MSG(bad == 0, "%d truncated files were not refused cleanly", bad);
    CHECK_FAILS(load_bytes(bytes, 5), SY_ERR_FORMAT, "prog.syp: file is 5 bytes, too short");
    CHECK_FAILS(load_bytes(bytes, 20), SY_ERR_FORMAT, "too short for the 32-byte header");
    CHECK_FAILS(load_bytes(bytes, size - 1), SY_ERR_FORMAT, "but its header says");
    free(copy);
    free_bytes(bytes);
}

static void test_bad_header(void) {
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: not a Switchyard program (bad magic", memcpy(b, "SYPROX", 6));
    BAD_CASE(SY_ERR_FORMAT, "bad magic", b[6] = '\n'); // CR LF converted to LF
    BAD_CASE(SY_ERR_UNSUPPORTED, "prog.syp: format version 7.0 is newer than this reader's 1.1", put16(b + 8, 7));
    BAD_CASE(SY_ERR_FORMAT, "header size is 40", put32(b + 16, 40));
    BAD_CASE(SY_ERR_FORMAT, "but its header says", put64(b + 24, get64(b + 24) + 64));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: section #3 (VALUES) spans bytes",
             put64(entry(b, S_VALUES), n_ + 8));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: section #4 (NODES) spans bytes",
             put64(entry(b, S_NODES) + 8, UINT64_MAX - 31));
    BAD_CASE(SY_ERR_FORMAT, "section #1 (METADATA) spans bytes", put64(entry(b, S_METADATA), 40));
    BAD_CASE(SY_ERR_FORMAT, "section NODES is 40 bytes, not a whole number of 32-byte records",
             put64(entry(b, S_NODES) + 8, 40));
    BAD_CASE(SY_ERR_FORMAT, "section STRINGS has record size 2", put32(entry(b, S_STRINGS) + 16, 2));
    BAD_CASE(SY_ERR_FORMAT, "section DATA starts at offset", put64(entry(b, S_DATA), sec_off(b, S_DATA) - 8));
    BAD_CASE(SY_ERR_FORMAT, "section INTS starts at offset", put64(entry(b, S_INTS), sec_off(b, S_INTS) + 4);
             put64(entry(b, S_INTS) + 8, 8));
}

static void test_bad_strings(void) {
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: section STRINGS does not end with a NUL byte",
             b[sec_off(b, S_STRINGS) + sec_size(b, S_STRINGS) - 1] = 'x');
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #2 name refers to string offset",
             put32(value_rec(b, 2), (uint32_t)sec_size(b, S_STRINGS) + 100));
    BAD_CASE(SY_ERR_FORMAT, "value #2 name refers to string offset 4294967295",
             put32(value_rec(b, 2), UINT32_MAX));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: node #1 name is empty", put32(node_rec(b, 1), 0));
    BAD_CASE(SY_ERR_FORMAT, "metadata #0 key is empty", put32(b + sec_off(b, S_METADATA), 0));
    BAD_CASE(SY_ERR_FORMAT, "metadata #1 repeats key 'model' of metadata #0",
             memcpy(b + sec_off(b, S_METADATA) + 8, b + sec_off(b, S_METADATA), 4));
    BAD_CASE(SY_ERR_FORMAT, "metadata #2 ('empty') value refers to string offset",
             put32(b + sec_off(b, S_METADATA) + 2 * 8 + 4, 1u << 30));
}

static void test_bad_values(void) {
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #1 'fc.weight' has invalid dtype 0", value_rec(b, 1)[4] = 0);
    BAD_CASE(SY_ERR_UNSUPPORTED, "value #1 'fc.weight' has dtype 99, which this reader does not know",
             value_rec(b, 1)[4] = 99);
    BAD_CASE(SY_ERR_FORMAT, "value #3 'h' has invalid role 0", value_rec(b, 3)[5] = 0);
    BAD_CASE(SY_ERR_UNSUPPORTED, "value #3 'h' has role 6", value_rec(b, 3)[5] = 6);
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #0 'x' has rank 7; the maximum is 6", value_rec(b, 0)[6] = 7);
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #1 'fc.weight' dim 0 is -3", put64(value_rec(b, 1) + 8, (uint64_t)-3));
    BAD_CASE(SY_ERR_FORMAT, "value #1 'fc.weight' dim 1 is 1099511627777",
             put64(value_rec(b, 1) + 16, (1ull << 40) + 1));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #0 'x' dim 0 refers to symbol #5, but the program has 1 symbols",
             put32(value_rec(b, 0) + 56, 5));
    BAD_CASE(SY_ERR_FORMAT, "value #0 'x' dim 1 refers to symbol #-2", put32(value_rec(b, 0) + 60, (uint32_t)-2));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: constant #1 'fc.weight' (f32, 2 dims) needs 48 bytes, but its data size is 40",
             put64(value_rec(b, 1) + 88, 40));
    BAD_CASE(SY_ERR_FORMAT, "constant #2 'fc.bias' data offset", put64(value_rec(b, 2) + 80, get64(value_rec(b, 2) + 80) + 4));
    BAD_CASE(SY_ERR_FORMAT, "constant #2 'fc.bias' data [", put64(value_rec(b, 2) + 80, (n_ + 64) & ~(size_t)63));
    BAD_CASE(SY_ERR_FORMAT, "constant #2 'fc.bias' data [", put64(value_rec(b, 2) + 80, 0));
    BAD_CASE(SY_ERR_FORMAT, "value #3 'h' has role intermediate but carries data", put64(value_rec(b, 3) + 88, 4));
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: symbol #0 'seq' has bound 0", put64(b + sec_off(b, S_SYMBOLS) + 8, 0));
    BAD_CASE(SY_ERR_FORMAT, "the program has 9 symbols", put64(entry(b, S_SYMBOLS) + 8, 9 * 16));
    // Caught by sy_graph_check after parsing: the symbolic dim must store its bound.
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: value #0 'x' dim 0 is symbolic 'seq' but stores 5",
             put64(value_rec(b, 0) + 8, 5));
    BAD_CASE(SY_ERR_FORMAT, "values #3 and #5 are both named", memcpy(value_rec(b, 5), value_rec(b, 3), 4));
}

static void test_bad_nodes(void) {
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: node #3 'tr' input #0 refers to value #4096, but the program has 12 values",
             put32(node_input(b, 3, 0), 4096));
    BAD_CASE(SY_ERR_FORMAT, "node #4 'act' output #0 refers to value #4294967295",
             put32(node_input(b, 4, 1), UINT32_MAX));
    BAD_CASE(SY_ERR_UNSUPPORTED, "prog.syp: node #1 'norm' has op id 999, which this reader does not know",
             put32(node_rec(b, 1) + 4, 999));
    BAD_CASE(SY_ERR_FORMAT, "node #0 'fc' inputs take IDS[", put32(node_rec(b, 0) + 12, 1000));
    BAD_CASE(SY_ERR_FORMAT, "node #0 'fc' inputs take IDS[", put32(node_rec(b, 0) + 8, UINT32_MAX));
    BAD_CASE(SY_ERR_FORMAT, "node #2 'softmax' outputs take IDS[", put32(node_rec(b, 2) + 20, UINT32_MAX));
    BAD_CASE(SY_ERR_FORMAT, "node #2 'softmax' attributes take ATTRS[", put32(node_rec(b, 2) + 24, 5));
    // Arity is the graph check's: linear takes 2 to 3 inputs.
    BAD_CASE(SY_ERR_FORMAT, "node #0 'fc' (linear) has 1 inputs", put32(node_rec(b, 0) + 8, 1));
    // A cycle: rms_norm (node #1) reads softmax's output, produced later by node #2.
    BAD_CASE(SY_ERR_FORMAT, "prog.syp: node #1 'norm' (rms_norm) input #0 uses value #6 'sm' before any node produces it",
             put32(node_input(b, 1, 0), V_SM));
    // Shapes still follow the op rules: the norm weight must match the last dim.
    BAD_CASE(SY_ERR_SHAPE, "prog.syp: node #1 'norm' (rms_norm)", put32(node_input(b, 1, 1), V_W));
}

static void test_bad_attrs(void) {
    // softmax (node #2) has attributes axis (INT) and note (STRING "hello"); tr (#3) has perm (INTS).
    BAD_CASE(SY_ERR_UNSUPPORTED, "prog.syp: node #2 'softmax' attribute #0 'axis' has type 9",
             put32(node_attr(b, 2, 0) + 4, 9));
    BAD_CASE(SY_ERR_FORMAT, "node #2 'softmax' attribute #0 'axis' has invalid type 0",
             put32(node_attr(b, 2, 0) + 4, 0));
    BAD_CASE(SY_ERR_FORMAT, "attribute #0 'axis' is a single int but has count 2", put32(node_attr(b, 2, 0) + 8, 2));
    BAD_CASE(SY_ERR_FORMAT, "node #3 'tr' attribute #0 'perm' takes INTS[", put32(node_attr(b, 3, 0) + 8, 3));
    BAD_CASE(SY_ERR_FORMAT, "node #3 'tr' attribute #0 'perm' takes INTS[", put64(node_attr(b, 3, 0) + 16, UINT64_MAX));
    BAD_CASE(SY_ERR_FORMAT, "attribute #1 'note': the string of 3 bytes is not NUL-terminated",
             put32(node_attr(b, 2, 1) + 8, 3));
    BAD_CASE(SY_ERR_FORMAT, "attribute #1 'note' takes STRINGS[", put32(node_attr(b, 2, 1) + 8, UINT32_MAX));
    BAD_CASE(SY_ERR_FORMAT, "attribute #1 'note' takes STRINGS[", put64(node_attr(b, 2, 1) + 16, 1ull << 40));
    BAD_CASE(SY_ERR_FORMAT, "node #2 'softmax' has two attributes named 'axis'",
             memcpy(node_attr(b, 2, 1), node_attr(b, 2, 0), 4));
    BAD_CASE(SY_ERR_FORMAT, "node #4 'act' attribute #0 name is empty", put32(node_attr(b, 4, 0), 0));
}

// Seeded random corruption: every mutant either loads or is refused with a message naming the
// file. Under the sanitizers this also proves no read goes out of bounds.
static void test_random_mutations(void) {
    uint8_t *bytes;
    size_t size;
    if (!fixture_bytes(&bytes, &size)) return;
    uint8_t *m = sy_aligned_alloc(size, 64);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int loaded = 0, refused = 0, bad = 0;
    size_t structure = (size_t)sec_off(bytes, S_DATA); // everything but constant bytes
    for (int iter = 0; iter < 600 && m; iter++) {
        memcpy(m, bytes, size);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17; // xorshift64
            size_t at = (size_t)(seed >> 16) % (k == 0 && iter % 3 == 0 ? 248 : structure);
            uint8_t x = (uint8_t)(seed >> 8);
            m[at] ^= x ? x : 0x80;
        }
        sy_program *p = NULL;
        sy_status st = sy_program_load_memory(m, size, "prog.syp", &p);
        if (st == SY_OK) {
            loaded++;
            CHECK(p != NULL);
            sy_program_destroy(p);
        } else {
            refused++;
            if (p != NULL || strncmp(sy_last_error(), "prog.syp: ", 10) != 0 || st == SY_ERR_INTERNAL ||
                st == SY_ERR_OUT_OF_MEMORY) {
                if (bad++ < 5) fprintf(stderr, "  mutant %d: %s: %s\n", iter, sy_status_name(st), sy_last_error());
            }
        }
    }
    CHECK_MSG(bad == 0, "%d mutants failed without a clean message", bad);
    CHECK(refused > 300); // most flips of the structure must be caught
    fprintf(stderr, "  mutations: %d loaded, %d refused\n", loaded, refused);
    sy_free(m);
    free_bytes(bytes);
}

// Block-quantised dtypes: sizes from the dtype list, a 1.1 file written only when one is used,
// and a 1.0 file that claims one refused.
static void test_block_dtypes(void) {
    CHECK(sy_dtype_row_bytes(SY_DTYPE_Q8_0, 64) == 68 && sy_dtype_row_bytes(SY_DTYPE_Q4_0, 96) == 54);
    CHECK(sy_dtype_row_bytes(SY_DTYPE_Q4_1, 32) == 20 && sy_dtype_row_bytes(SY_DTYPE_F16, 3) == 6);
    CHECK(sy_dtype_row_bytes(SY_DTYPE_Q8_0, 48) == SIZE_MAX && sy_dtype_row_bytes(SY_DTYPE_INVALID, 1) == SIZE_MAX);
    CHECK(sy_dtype_size(SY_DTYPE_Q4_0) == 0 && sy_dtype_is_block(SY_DTYPE_Q4_1) && !sy_dtype_is_block(SY_DTYPE_F32));
    CHECK(sy_dtype_from_name("q4_1") == SY_DTYPE_Q4_1 && strcmp(sy_dtype_name(SY_DTYPE_Q8_0), "q8_0") == 0);
    size_t nb = 0;
    int64_t dims3[3] = {2, 3, 64};
    CHECK_OK(sy_shape_nbytes(SY_DTYPE_Q8_0, 3, dims3, &nb));
    CHECK(nb == 6 * 68);

    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return;
    sy_value_desc xd = {"x", SY_DTYPE_F32, SY_ROLE_INPUT, 1, {4}, {-1, -1, -1, -1, -1, -1}};
    uint32_t x = 0, y = 0, w = 0;
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    CHECK_OK(sy_graph_add_op(g, "relu", SY_OP_RELU, &x, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    uint8_t plain_minor[2] = {0, 0};
    uint8_t *bytes = NULL;
    size_t n = 0;
    CHECK_OK(sy_format_serialize(sy_graph_get_view(g), NULL, &bytes, &n));
    if (bytes) memcpy(plain_minor, bytes + 10, 2);
    free_bytes(bytes);
    CHECK(plain_minor[0] == 0 && plain_minor[1] == 0); // nothing new used: still a 1.0 file

    static uint8_t wq[2 * 68];
    for (size_t i = 0; i < sizeof wq; i++) wq[i] = (uint8_t)(i * 7);
    int64_t wdims[2] = {2, 64}, bad_dims[2] = {2, 48};
    CHECK_FAILS(sy_graph_add_constant(g, "bad", SY_DTYPE_Q8_0, 2, bad_dims, wq, 2 * 51, NULL),
                SY_ERR_INVALID_ARGUMENT, "a q8_0 row must hold a multiple of 32 elements, but the last dim is 48");
    CHECK_FAILS(sy_graph_add_constant(g, "short", SY_DTYPE_Q8_0, 2, wdims, wq, 2 * 64, NULL),
                SY_ERR_INVALID_ARGUMENT, "128 bytes given, its dtype and shape need 136");
    CHECK_OK(sy_graph_add_constant(g, "w", SY_DTYPE_Q8_0, 2, wdims, wq, sizeof wq, &w));
    bytes = NULL;
    CHECK_OK(sy_format_serialize(sy_graph_get_view(g), NULL, &bytes, &n));
    if (bytes) {
        CHECK(bytes[10] == 1 && bytes[11] == 0); // a q8_0 constant makes it a 1.1 file
        sy_program *p = NULL;
        CHECK_OK(sy_program_load_memory(bytes, n, "q.syp", &p));
        if (p) {
            const sy_value_info *v = &sy_program_get_graph(p)->values[w];
            CHECK(v->dtype == SY_DTYPE_Q8_0 && v->nbytes == sizeof wq && memcmp(v->data, wq, sizeof wq) == 0);
        }
        sy_program_destroy(p);
        bytes[10] = 0;
        CHECK_FAILS(load_bytes(bytes, n), SY_ERR_FORMAT, "has dtype q8_0, which needs format version 1.1, but the file says 1.0");
    }
    free_bytes(bytes);
    sy_graph_destroy(g);
}

// An op of format 1.1 (clamp) makes a 1.1 file; a 1.0 file that claims one is refused.
static void test_op_minor(void) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return;
    sy_value_desc xd = {"x", SY_DTYPE_F32, SY_ROLE_INPUT, 1, {4}, {-1, -1, -1, -1, -1, -1}};
    uint32_t x = 0, y = 0;
    sy_attr lo = {.name = "min", .type = SY_ATTR_FLOAT, .n = 1, .u.f = 0.0f};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    CHECK_OK(sy_graph_add_op(g, "c", SY_OP_CLAMP, &x, 1, &lo, 1, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    uint8_t *bytes = NULL;
    size_t n = 0;
    CHECK_OK(sy_format_serialize(sy_graph_get_view(g), NULL, &bytes, &n));
    if (bytes) {
        CHECK(bytes[10] == 1 && bytes[11] == 0);
        CHECK_OK(load_bytes(bytes, n));
        bytes[10] = 0;
        CHECK_FAILS(load_bytes(bytes, n), SY_ERR_FORMAT,
                    "node #0 'c' uses op clamp, which needs format version 1.1, but the file says 1.0");
    }
    free_bytes(bytes);
    sy_graph_destroy(g);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/sy_format_XXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "cannot create a temp dir: %s\n", strerror(errno));
        return 1;
    }
    RUN(test_roundtrip_memory);
    RUN(test_roundtrip_file);
    RUN(test_serialize_deterministic);
    RUN(test_spec_writer_matches);
    RUN(test_versions);
    RUN(test_graph_save_load);
    RUN(test_load_io_errors);
    RUN(test_truncated);
    RUN(test_bad_header);
    RUN(test_bad_strings);
    RUN(test_bad_values);
    RUN(test_bad_nodes);
    RUN(test_bad_attrs);
    RUN(test_random_mutations);
    RUN(test_block_dtypes);
    RUN(test_op_minor);
    CHECK(count_dir_entries(tmp_dir) == 0); // every test cleaned up, no temp file left behind
    rmdir(tmp_dir);
    return TEST_SUMMARY();
}
