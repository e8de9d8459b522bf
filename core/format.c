// The program file format (.syp), docs/FORMAT.md: the writer (sy_format_serialize) and the
// validating reader (sy_format_parse). Fields are read and written byte by byte in little-endian
// order, so neither side depends on the host's alignment; only the INTS and DATA sections are
// used in place, which is why the format requires them aligned.

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/nameset.h"
#include "core/ops.h"
#include "core/program.h"
#include "core/status.h"

// --- layout constants (docs/FORMAT.md) ---

#define FMT_MAJOR 1
#define FMT_MINOR 1 // 1.1: block-quantised dtypes q8_0, q4_0, q4_1
#define FMT_HEADER_SIZE 32
#define FMT_ENTRY_SIZE 24
#define FMT_REQUIRED_FLAGS 0x0000FFFFu // flag bits a reader must understand
#define FMT_DATA_ALIGN 64
#define FMT_MAX_DIM ((int64_t)1 << 40)

static const uint8_t fmt_magic[8] = {'S', 'Y', 'P', 'R', 'O', 'G', '\r', '\n'};

enum {
    SEC_STRINGS,
    SEC_METADATA,
    SEC_SYMBOLS,
    SEC_VALUES,
    SEC_NODES,
    SEC_IDS,
    SEC_ATTRS,
    SEC_INTS,
    SEC_DATA,
    SEC_COUNT
};

static const char *const sec_names[SEC_COUNT] = {"STRINGS", "METADATA", "SYMBOLS", "VALUES", "NODES",
                                                 "IDS",     "ATTRS",    "INTS",    "DATA"};
// Record sizes of version 1.0; a newer minor may only make them larger.
static const uint32_t sec_record[SEC_COUNT] = {1, 8, 16, 96, 32, 4, 24, 8, 1};

#define REC_METADATA 8
#define REC_SYMBOL 16
#define REC_VALUE 96
#define REC_NODE 32
#define REC_ATTR 24

// --- little-endian field access ---

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static int64_t rdi64(const uint8_t *p) {
    uint64_t u = rd64(p);
    int64_t v;
    memcpy(&v, &u, sizeof v); // two's complement reinterpretation without implementation-defined casts
    return v;
}
static int32_t rdi32(const uint8_t *p) {
    uint32_t u = rd32(p);
    int32_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void wr16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wri64(uint8_t *p, int64_t v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    wr64(p, u);
}
static void wri32(uint8_t *p, int32_t v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    wr32(p, u);
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

// ============================================================================================
// Writer
// ============================================================================================

// The string table under construction: bytes plus an open-addressing hash set of the strings
// already stored, so repeated names ("axis" on every softmax) are stored once.
typedef struct strtab {
    uint8_t *bytes;
    size_t size, cap;
    uint32_t *slots; // (n_slots) offset + 1 of a stored string, 0 when empty
    uint32_t *lens;  // (n_slots) its length
    size_t n_slots;
} strtab;

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; // FNV-1a
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/// Stores s[0..n) + NUL once; *ref_out receives its offset.
static sy_status strtab_add(strtab *t, const char *s, size_t n, uint32_t *ref_out) {
    size_t mask = t->n_slots - 1, i = hash_bytes(s, n) & mask;
    for (; t->slots[i]; i = (i + 1) & mask) {
        uint32_t off = t->slots[i] - 1;
        if (t->lens[i] == n && memcmp(t->bytes + off, s, n) == 0) {
            *ref_out = off;
            return SY_OK;
        }
    }
    // References are u32 and slots store offset + 1, so the table stays below 4 GiB - 1.
    SY_CHECK(n < UINT32_MAX - 1 && t->size <= UINT32_MAX - 2 - n, SY_ERR_UNSUPPORTED,
             "the program's strings exceed the format's 4 GiB string table");
    if (t->size + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 256;
        while (ncap < t->size + n + 1) ncap *= 2;
        uint8_t *p = sy_realloc(t->bytes, t->size, ncap);
        SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory serialising the program's strings");
        t->bytes = p;
        t->cap = ncap;
    }
    if (n) memcpy(t->bytes + t->size, s, n);
    t->bytes[t->size + n] = 0;
    *ref_out = (uint32_t)t->size;
    t->slots[i] = (uint32_t)t->size + 1;
    t->lens[i] = (uint32_t)n;
    t->size += n + 1;
    return SY_OK;
}

static sy_status strtab_str(strtab *t, const char *s, uint32_t *ref_out) {
    if (!s) s = "";
    return strtab_add(t, s, strlen(s), ref_out);
}

static int add_size(size_t *acc, size_t n) {
    if (*acc > SIZE_MAX - n) return 0;
    *acc += n;
    return 1;
}

static int align_size(size_t *acc, size_t align) {
    size_t r = *acc % align;
    return r == 0 || add_size(acc, align - r);
}

// Checks what the writer relies on (ranges it indexes with); sy_graph_check does the rest.
static sy_status check_writable(const sy_graph_view *g, const sy_metadata *meta) {
    SY_CHECK(g->n_symbols <= SY_MAX_SYMBOLS, SY_ERR_INVALID_ARGUMENT,
             "the graph has %u symbols; a program holds at most %d", g->n_symbols, SY_MAX_SYMBOLS);
    for (uint32_t i = 0; meta && i < meta->n; i++)
        SY_CHECK(meta->keys[i] && meta->keys[i][0], SY_ERR_INVALID_ARGUMENT,
                 "metadata entry #%u has an empty key", i);
    for (uint32_t id = 0; id < g->n_values; id++) {
        const sy_value_info *v = &g->values[id];
        SY_CHECK(v->rank <= SY_MAX_RANK, SY_ERR_INVALID_ARGUMENT, "value #%u has rank %u (max %d)", id,
                 v->rank, SY_MAX_RANK);
        SY_CHECK(v->dtype > SY_DTYPE_INVALID && v->dtype < SY_DTYPE_COUNT && v->role > 0 && v->role < 256,
                 SY_ERR_INVALID_ARGUMENT, "value #%u has dtype %d, role %d", id, (int)v->dtype,
                 (int)v->role);
        for (uint32_t i = 0; i < v->rank; i++)
            SY_CHECK(v->sym[i] >= -1 && v->sym[i] < (int32_t)g->n_symbols, SY_ERR_INVALID_ARGUMENT,
                     "value #%u dim %u refers to symbol #%d, but the graph has %u symbols", id, i,
                     (int)v->sym[i], g->n_symbols);
        SY_CHECK(v->role != SY_ROLE_CONSTANT || v->data || v->nbytes == 0, SY_ERR_INVALID_ARGUMENT,
                 "constant #%u has no data", id);
    }
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        for (uint32_t a = 0; a < node->n_attrs; a++) {
            const sy_attr *at = &node->attrs[a];
            SY_CHECK(at->type >= SY_ATTR_INT && at->type <= SY_ATTR_STRING, SY_ERR_INVALID_ARGUMENT,
                     "node #%u attribute #%u has unknown type %d", n, a, (int)at->type);
            SY_CHECK(at->type != SY_ATTR_INTS || at->n == 0 || at->u.ints, SY_ERR_INVALID_ARGUMENT,
                     "node #%u attribute #%u has no INTS payload", n, a);
        }
    }
    return SY_OK;
}

// Section offsets and sizes of the file being written.
typedef struct layout {
    size_t off[SEC_COUNT], size[SEC_COUNT];
    size_t total;
    uint16_t minor; // the lowest minor version that defines everything the file uses
} layout;

static sy_status intern_all(const sy_graph_view *g, const sy_metadata *meta, strtab *t) {
    uint32_t ref;
    SY_TRY(strtab_str(t, "", &ref)); // reference 0 is the empty string
    for (uint32_t i = 0; meta && i < meta->n; i++) {
        SY_TRY(strtab_str(t, meta->keys[i], &ref));
        SY_TRY(strtab_str(t, meta->values[i], &ref));
    }
    for (uint32_t i = 0; i < g->n_symbols; i++) SY_TRY(strtab_str(t, g->symbols[i].name, &ref));
    for (uint32_t i = 0; i < g->n_values; i++) SY_TRY(strtab_str(t, g->values[i].name, &ref));
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        SY_TRY(strtab_str(t, node->name, &ref));
        for (uint32_t a = 0; a < node->n_attrs; a++) {
            SY_TRY(strtab_str(t, node->attrs[a].name, &ref));
            if (node->attrs[a].type == SY_ATTR_STRING) {
                const char *s = node->attrs[a].u.s ? node->attrs[a].u.s : "";
                SY_TRY(strtab_add(t, s, node->attrs[a].u.s ? node->attrs[a].n : 0, &ref));
            }
        }
    }
    return SY_OK;
}

static sy_status plan_layout(const sy_graph_view *g, const sy_metadata *meta, size_t n_strings,
                             layout *L) {
    uint64_t n_ids = 0, n_attrs = 0, n_ints = 0;
    size_t data = 0;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        n_ids += (uint64_t)node->n_inputs + node->n_outputs;
        n_attrs += node->n_attrs;
        for (uint32_t a = 0; a < node->n_attrs; a++)
            if (node->attrs[a].type == SY_ATTR_INTS) n_ints += node->attrs[a].n;
    }
    // Node records index IDS and ATTRS with u32.
    SY_CHECK(n_ids <= UINT32_MAX && n_attrs <= UINT32_MAX, SY_ERR_UNSUPPORTED,
             "the graph has too many node inputs/outputs or attributes for the format");
    for (uint32_t i = 0; i < g->n_values; i++) {
        if (g->values[i].role != SY_ROLE_CONSTANT) continue;
        SY_CHECK(align_size(&data, FMT_DATA_ALIGN) && add_size(&data, g->values[i].nbytes),
                 SY_ERR_OUT_OF_MEMORY, "the program's constant data exceeds the address space");
    }
    size_t count[SEC_COUNT] = {n_strings,   meta ? meta->n : 0, g->n_symbols,  g->n_values,
                               g->n_nodes,  (size_t)n_ids,      (size_t)n_attrs, (size_t)n_ints,
                               data};
    static const int order[SEC_COUNT] = {SEC_METADATA, SEC_SYMBOLS, SEC_VALUES, SEC_NODES, SEC_IDS,
                                         SEC_ATTRS,    SEC_INTS,    SEC_STRINGS, SEC_DATA};
    size_t pos = FMT_HEADER_SIZE + (size_t)SEC_COUNT * FMT_ENTRY_SIZE;
    for (int k = 0; k < SEC_COUNT; k++) {
        int s = order[k];
        int ok = align_size(&pos, s == SEC_DATA ? FMT_DATA_ALIGN : 8);
        size_t bytes = count[s] * sec_record[s];
        ok = ok && (sec_record[s] == 1 || count[s] <= SIZE_MAX / sec_record[s]);
        L->off[s] = pos;
        L->size[s] = bytes;
        SY_CHECK(ok && add_size(&pos, bytes), SY_ERR_OUT_OF_MEMORY,
                 "the program does not fit in the address space");
    }
    L->total = pos;
    return SY_OK;
}

static void write_header(uint8_t *out, const layout *L) {
    memcpy(out, fmt_magic, sizeof fmt_magic);
    wr16(out + 8, FMT_MAJOR);
    wr16(out + 10, L->minor);
    wr32(out + 12, 0);
    wr32(out + 16, FMT_HEADER_SIZE);
    wr32(out + 20, SEC_COUNT);
    wr64(out + 24, L->total);
    for (int s = 0; s < SEC_COUNT; s++) {
        uint8_t *e = out + FMT_HEADER_SIZE + (size_t)s * FMT_ENTRY_SIZE;
        wr64(e, L->off[s]);
        wr64(e + 8, L->size[s]);
        wr32(e + 16, sec_record[s]);
        wr32(e + 20, 0);
    }
}

static sy_status write_body(const sy_graph_view *g, const sy_metadata *meta, strtab *t,
                            const layout *L, uint8_t *out) {
    uint32_t ref;
    memcpy(out + L->off[SEC_STRINGS], t->bytes, t->size);
    for (uint32_t i = 0; meta && i < meta->n; i++) {
        uint8_t *r = out + L->off[SEC_METADATA] + (size_t)i * REC_METADATA;
        SY_TRY(strtab_str(t, meta->keys[i], &ref));
        wr32(r, ref);
        SY_TRY(strtab_str(t, meta->values[i], &ref));
        wr32(r + 4, ref);
    }
    for (uint32_t i = 0; i < g->n_symbols; i++) {
        uint8_t *r = out + L->off[SEC_SYMBOLS] + (size_t)i * REC_SYMBOL;
        SY_TRY(strtab_str(t, g->symbols[i].name, &ref));
        wr32(r, ref);
        wri64(r + 8, g->symbols[i].max);
    }
    size_t data_pos = L->off[SEC_DATA];
    for (uint32_t id = 0; id < g->n_values; id++) {
        const sy_value_info *v = &g->values[id];
        uint8_t *r = out + L->off[SEC_VALUES] + (size_t)id * REC_VALUE;
        SY_TRY(strtab_str(t, v->name, &ref));
        wr32(r, ref);
        r[4] = (uint8_t)v->dtype;
        r[5] = (uint8_t)v->role;
        r[6] = (uint8_t)v->rank;
        for (uint32_t i = 0; i < SY_MAX_RANK; i++) {
            int32_t s = i < v->rank ? v->sym[i] : -1;
            // A symbolic dim stores its bound, whatever the view holds there.
            int64_t d = i >= v->rank ? 0 : s >= 0 ? g->symbols[s].max : v->dims[i];
            wri64(r + 8 + 8 * i, d);
            wri32(r + 56 + 4 * i, s);
        }
        if (v->role == SY_ROLE_CONSTANT) {
            data_pos = (data_pos + FMT_DATA_ALIGN - 1) / FMT_DATA_ALIGN * FMT_DATA_ALIGN;
            if (v->nbytes) memcpy(out + data_pos, v->data, v->nbytes);
            wr64(r + 80, data_pos);
            wr64(r + 88, v->nbytes);
            data_pos += v->nbytes;
        }
    }
    uint32_t id_pos = 0, attr_pos = 0;
    uint64_t int_pos = 0;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        uint8_t *r = out + L->off[SEC_NODES] + (size_t)n * REC_NODE;
        SY_TRY(strtab_str(t, node->name, &ref));
        wr32(r, ref);
        wr32(r + 4, (uint32_t)node->op);
        wr32(r + 8, node->n_inputs);
        wr32(r + 12, id_pos);
        for (uint32_t i = 0; i < node->n_inputs; i++, id_pos++)
            wr32(out + L->off[SEC_IDS] + (size_t)id_pos * 4, node->inputs[i]);
        wr32(r + 16, node->n_outputs);
        wr32(r + 20, id_pos);
        for (uint32_t i = 0; i < node->n_outputs; i++, id_pos++)
            wr32(out + L->off[SEC_IDS] + (size_t)id_pos * 4, node->outputs[i]);
        wr32(r + 24, node->n_attrs);
        wr32(r + 28, attr_pos);
        for (uint32_t a = 0; a < node->n_attrs; a++, attr_pos++) {
            const sy_attr *at = &node->attrs[a];
            uint8_t *ar = out + L->off[SEC_ATTRS] + (size_t)attr_pos * REC_ATTR;
            SY_TRY(strtab_str(t, at->name, &ref));
            wr32(ar, ref);
            wr32(ar + 4, (uint32_t)at->type);
            switch (at->type) {
            case SY_ATTR_INT:
                wr32(ar + 8, 1);
                wri64(ar + 16, at->u.i);
                break;
            case SY_ATTR_FLOAT: {
                uint32_t bits;
                memcpy(&bits, &at->u.f, sizeof bits);
                wr32(ar + 8, 1);
                wr32(ar + 16, bits);
                break;
            }
            case SY_ATTR_INTS:
                wr32(ar + 8, at->n);
                wr64(ar + 16, int_pos);
                for (uint32_t k = 0; k < at->n; k++, int_pos++)
                    wri64(out + L->off[SEC_INTS] + (size_t)int_pos * 8, at->u.ints[k]);
                break;
            case SY_ATTR_STRING: {
                uint32_t len = at->u.s ? at->n : 0;
                SY_TRY(strtab_add(t, at->u.s ? at->u.s : "", len, &ref));
                wr32(ar + 8, len);
                wr64(ar + 16, ref);
                break;
            }
            }
        }
    }
    return SY_OK;
}

sy_status sy_format_serialize(const sy_graph_view *graph, const sy_metadata *meta,
                              uint8_t **bytes_out, size_t *size_out) {
    SY_CHECK(graph && bytes_out && size_out, SY_ERR_INVALID_ARGUMENT,
             "sy_format_serialize: graph, bytes_out or size_out is NULL");
    SY_TRY(check_writable(graph, meta));

    // Every string is one slot at most; twice that many slots keeps probe chains short.
    size_t n_strings = 1 + (meta ? 2 * (size_t)meta->n : 0) + graph->n_symbols + graph->n_values;
    for (uint32_t n = 0; n < graph->n_nodes; n++) n_strings += 1 + 2 * (size_t)graph->nodes[n].n_attrs;
    size_t n_slots = 16;
    while (n_slots < 2 * n_strings) n_slots *= 2;

    strtab t = {0};
    t.n_slots = n_slots;
    t.slots = sy_calloc(n_slots, sizeof *t.slots);
    t.lens = sy_calloc(n_slots, sizeof *t.lens);
    uint8_t *out = NULL;
    layout L = {{0}, {0}, 0, 0};
    sy_status st = SY_OK;
    if (!t.slots || !t.lens) {
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory serialising a program");
        goto done;
    }
    st = intern_all(graph, meta, &t);
    if (st == SY_OK) st = plan_layout(graph, meta, t.size, &L);
    for (uint32_t i = 0; st == SY_OK && i < graph->n_values; i++) {
        uint32_t need = sy_dtype_format_minor(graph->values[i].dtype);
        if (need > L.minor) L.minor = (uint16_t)need;
    }
    for (uint32_t i = 0; st == SY_OK && i < graph->n_nodes; i++) { // and over ops (1.1 added some)
        uint32_t need = sy_op_format_minor(graph->nodes[i].op);
        if (need > L.minor) L.minor = (uint16_t)need;
    }
    if (st != SY_OK) goto done;
    // 64-byte aligned so that an in-memory program (sy_program_from_graph) parsed straight from
    // these bytes has its constants aligned like a mapped file's; SY_READ_PADDING zero bytes
    // follow, since delegates may read a little past the last constant.
    out = sy_aligned_alloc(L.total + SY_READ_PADDING, FMT_DATA_ALIGN);
    if (!out) {
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory serialising a program of %zu bytes",
                          L.total);
        goto done;
    }
    memset(out, 0, L.total + SY_READ_PADDING);
    write_header(out, &L);
    st = write_body(graph, meta, &t, &L, out);
done:
    sy_free(t.bytes);
    sy_free(t.slots);
    sy_free(t.lens);
    if (st != SY_OK) {
        sy_free(out);
        return st;
    }
    *bytes_out = out;
    *size_out = L.total;
    return SY_OK;
}

// ============================================================================================
// Reader
// ============================================================================================

typedef struct section {
    uint64_t off, size;
    uint32_t record; // record size in the file (>= the 1.0 size)
    uint32_t count;  // number of records
} section;

typedef struct reader {
    const uint8_t *bytes;
    size_t size;
    const char *origin;
    uint16_t minor;
    section sec[SEC_COUNT];
} reader;

static const uint8_t *record(const reader *r, int s, uint32_t i) {
    return r->bytes + r->sec[s].off + (uint64_t)i * r->sec[s].record;
}

enum { STR_TEXT, STR_NAME }; // a text may be empty and long; a name is non-empty and < SY_NAME_MAX

/// Resolves string reference `ref` of `kind`; `what` names the field for messages.
static sy_status get_string(const reader *r, uint32_t ref, int kind, const char **out,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static sy_status get_string(const reader *r, uint32_t ref, int kind, const char **out,
                            const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const section *s = &r->sec[SEC_STRINGS];
    SY_CHECK(ref < s->size, SY_ERR_FORMAT,
             "%s: %s refers to string offset %u, past the end of STRINGS (%llu bytes)", r->origin, what,
             ref, (unsigned long long)s->size);
    const char *str = (const char *)r->bytes + s->off + ref;
    // Terminated: STRINGS ends with a NUL byte (checked before any lookup), so strnlen stays inside.
    if (kind == STR_NAME) {
        size_t len = strnlen(str, SY_NAME_MAX);
        SY_CHECK(len > 0, SY_ERR_FORMAT, "%s: %s is empty", r->origin, what);
        SY_CHECK(len < SY_NAME_MAX, SY_ERR_FORMAT,
                 "%s: %s (string offset %u) is longer than %d bytes, the limit for names", r->origin, what,
                 ref, SY_NAME_MAX - 1);
    }
    *out = str;
    return SY_OK;
}

static sy_status read_header(reader *r) {
    const uint8_t *b = r->bytes;
    const char *o = r->origin;
    SY_CHECK(r->size >= sizeof fmt_magic, SY_ERR_FORMAT,
             "%s: file is %zu bytes, too short to be a program (a header has %d)", o, r->size,
             FMT_HEADER_SIZE);
    SY_CHECK(memcmp(b, fmt_magic, sizeof fmt_magic) == 0, SY_ERR_FORMAT,
             "%s: not a Switchyard program (bad magic: the file does not start with \"SYPROG\\r\\n\")",
             o);
    SY_CHECK(r->size >= FMT_HEADER_SIZE, SY_ERR_FORMAT,
             "%s: file is %zu bytes, too short for the %d-byte header (truncated?)", o, r->size,
             FMT_HEADER_SIZE);
    uint16_t major = rd16(b + 8), minor = rd16(b + 10);
    uint32_t flags = rd32(b + 12), header_size = rd32(b + 16), n_sections = rd32(b + 20);
    uint64_t file_size = rd64(b + 24);
    SY_CHECK(major != 0, SY_ERR_FORMAT, "%s: invalid format version %u.%u", o, major, minor);
    SY_CHECK(major <= FMT_MAJOR, SY_ERR_UNSUPPORTED,
             "%s: format version %u.%u is newer than this reader's %d.%d; a newer Switchyard is needed",
             o, major, minor, FMT_MAJOR, FMT_MINOR);
    SY_CHECK((flags & FMT_REQUIRED_FLAGS) == 0, SY_ERR_UNSUPPORTED,
             "%s: the file requires features this reader does not know (flags 0x%08x, version %u.%u)",
             o, flags, major, minor);
    SY_CHECK(file_size == r->size, SY_ERR_FORMAT,
             "%s: file is %zu bytes, but its header says %llu (truncated or padded?)", o, r->size,
             (unsigned long long)file_size);
    r->minor = minor;
    int newer = minor > FMT_MINOR;
    SY_CHECK(newer ? header_size >= FMT_HEADER_SIZE && header_size % 8 == 0
                   : header_size == FMT_HEADER_SIZE,
             SY_ERR_FORMAT, "%s: header size is %u; version %u.%u needs %s%d", o, header_size, major,
             minor, newer ? "a multiple of 8 >= " : "", FMT_HEADER_SIZE);
    SY_CHECK(newer ? n_sections >= SEC_COUNT : n_sections == SEC_COUNT, SY_ERR_FORMAT,
             "%s: the section table has %u entries; version %u.%u needs %s%d", o, n_sections, major,
             minor, newer ? "at least " : "", SEC_COUNT);
    uint64_t table_end = (uint64_t)header_size + (uint64_t)n_sections * FMT_ENTRY_SIZE;
    SY_CHECK(table_end <= r->size, SY_ERR_FORMAT,
             "%s: the section table (%u entries at offset %u) runs past the end of the file (%zu bytes)",
             o, n_sections, header_size, r->size);

    for (uint32_t s = 0; s < n_sections; s++) {
        const uint8_t *e = b + header_size + (uint64_t)s * FMT_ENTRY_SIZE;
        uint64_t off = rd64(e), size = rd64(e + 8);
        uint32_t rec = rd32(e + 16);
        char label[32];
        snprintf(label, sizeof label, "%s", s < SEC_COUNT ? sec_names[s] : "unknown");
        SY_CHECK(off >= table_end && off <= r->size && size <= r->size - off, SY_ERR_FORMAT,
                 "%s: section #%u (%s) spans bytes [%llu, %llu + %llu), outside the file's data area "
                 "[%llu, %zu)",
                 o, s, label, (unsigned long long)off, (unsigned long long)off,
                 (unsigned long long)size, (unsigned long long)table_end, r->size);
        if (s >= SEC_COUNT) continue; // a section of a newer minor: bounds-checked, then ignored
        int byte_area = sec_record[s] == 1;
        SY_CHECK(byte_area   ? rec == 1
                 : newer     ? rec >= sec_record[s]
                             : rec == sec_record[s],
                 SY_ERR_FORMAT, "%s: section %s has record size %u; version %u.%u needs %s%u", o, label,
                 rec, major, minor, newer && !byte_area ? "at least " : "", sec_record[s]);
        SY_CHECK(size % rec == 0, SY_ERR_FORMAT,
                 "%s: section %s is %llu bytes, not a whole number of %u-byte records", o, label,
                 (unsigned long long)size, rec);
        SY_CHECK(byte_area || size / rec <= UINT32_MAX, SY_ERR_FORMAT,
                 "%s: section %s has %llu records, more than the format allows", o, label,
                 (unsigned long long)(size / rec));
        r->sec[s].off = off;
        r->sec[s].size = size;
        r->sec[s].record = rec;
        r->sec[s].count = byte_area ? 0 : (uint32_t)(size / rec);
    }
    SY_CHECK(r->sec[SEC_INTS].off % 8 == 0, SY_ERR_FORMAT,
             "%s: section INTS starts at offset %llu, not a multiple of 8", o,
             (unsigned long long)r->sec[SEC_INTS].off);
    SY_CHECK(r->sec[SEC_DATA].off % FMT_DATA_ALIGN == 0, SY_ERR_FORMAT,
             "%s: section DATA starts at offset %llu, not a multiple of %d", o,
             (unsigned long long)r->sec[SEC_DATA].off, FMT_DATA_ALIGN);
    const section *str = &r->sec[SEC_STRINGS];
    SY_CHECK(str->size == 0 || b[str->off + str->size - 1] == 0, SY_ERR_FORMAT,
             "%s: section STRINGS does not end with a NUL byte (its last string is unterminated)", o);
    return SY_OK;
}

static sy_status read_metadata(const reader *r, sy_program *p) {
    uint32_t n = r->sec[SEC_METADATA].count;
    p->meta_keys = sy_calloc(n ? n : 1, sizeof *p->meta_keys);
    p->meta_values = sy_calloc(n ? n : 1, sizeof *p->meta_values);
    SY_CHECK(p->meta_keys && p->meta_values, SY_ERR_OUT_OF_MEMORY, "%s: out of memory reading metadata",
             r->origin);
    sy_nameset seen;
    SY_TRY(sy_nameset_init(&seen, n));
    sy_status st = SY_OK;
    for (uint32_t i = 0; i < n && st == SY_OK; i++) {
        const uint8_t *rec = record(r, SEC_METADATA, i);
        st = get_string(r, rd32(rec), STR_NAME, &p->meta_keys[i], "metadata #%u key", i);
        if (st == SY_OK)
            st = get_string(r, rd32(rec + 4), STR_TEXT, &p->meta_values[i], "metadata #%u ('%s') value", i,
                            p->meta_keys[i]);
        uint32_t j = 0;
        if (st == SY_OK && !sy_nameset_add(&seen, p->meta_keys[i], i, &j))
            st = sy_error_set(SY_ERR_FORMAT, "%s: metadata #%u repeats key '%s' of metadata #%u", r->origin, i,
                              p->meta_keys[i], j);
    }
    sy_nameset_deinit(&seen);
    if (st == SY_OK) p->n_meta = n;
    return st;
}

static sy_status read_symbols(const reader *r, sy_program *p) {
    uint32_t n = r->sec[SEC_SYMBOLS].count;
    SY_CHECK(n <= SY_MAX_SYMBOLS, SY_ERR_FORMAT, "%s: the program has %u symbols; at most %d are allowed",
             r->origin, n, SY_MAX_SYMBOLS);
    p->symbols = sy_calloc(n ? n : 1, sizeof *p->symbols);
    SY_CHECK(p->symbols, SY_ERR_OUT_OF_MEMORY, "%s: out of memory reading symbols", r->origin);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *rec = record(r, SEC_SYMBOLS, i);
        sy_symbol_info *s = &p->symbols[i];
        SY_TRY(get_string(r, rd32(rec), STR_NAME, &s->name, "symbol #%u name", i));
        s->max = rdi64(rec + 8);
        SY_CHECK(s->max >= 1 && s->max <= FMT_MAX_DIM, SY_ERR_FORMAT,
                 "%s: symbol #%u '%s' has bound %lld; it must be in [1, 2^40]", r->origin, i, s->name,
                 (long long)s->max);
        for (uint32_t j = 0; j < i; j++)
            SY_CHECK(strcmp(p->symbols[j].name, s->name) != 0, SY_ERR_FORMAT,
                     "%s: symbols #%u and #%u are both named '%s'", r->origin, j, i, s->name);
    }
    p->view.n_symbols = n;
    return SY_OK;
}

// An enum field outside what this reader knows: 0 is never valid (malformed); a value past the
// known range most likely comes from a newer writer. `where` names the record.
static sy_status unknown_enum(const reader *r, uint32_t v, const char *what, const char *valid,
                              const char *where) {
    if (v == 0)
        return sy_error_set(SY_ERR_FORMAT, "%s: %s has invalid %s 0 (valid: %s)", r->origin, where, what,
                            valid);
    return sy_error_set(SY_ERR_UNSUPPORTED,
                        "%s: %s has %s %u, which this reader does not know (valid: %s; file version 1.%u, "
                        "reader %d.%d)",
                        r->origin, where, what, v, valid, r->minor, FMT_MAJOR, FMT_MINOR);
}

static sy_status read_values(const reader *r, sy_program *p) {
    const char *o = r->origin;
    uint32_t n = r->sec[SEC_VALUES].count;
    const section *data = &r->sec[SEC_DATA];
    p->values = sy_calloc(n ? n : 1, sizeof *p->values);
    SY_CHECK(p->values, SY_ERR_OUT_OF_MEMORY, "%s: out of memory reading %u values", o, n);
    for (uint32_t id = 0; id < n; id++) {
        const uint8_t *rec = record(r, SEC_VALUES, id);
        sy_value_info *v = &p->values[id];
        SY_TRY(get_string(r, rd32(rec), STR_NAME, &v->name, "value #%u name", id));
        uint8_t dtype = rec[4], role = rec[5], rank = rec[6];
        if (dtype == 0 || dtype >= SY_DTYPE_COUNT || role == 0 || role > SY_ROLE_INTERMEDIATE) {
            char where[320];
            snprintf(where, sizeof where, "value #%u '%s'", id, v->name);
            if (dtype == 0 || dtype >= SY_DTYPE_COUNT)
                return unknown_enum(r, dtype, "dtype", "1..10", where);
            return unknown_enum(r, role, "role", "1..5", where);
        }
        SY_CHECK(rank <= SY_MAX_RANK, SY_ERR_FORMAT, "%s: value #%u '%s' has rank %u; the maximum is %d", o,
                 id, v->name, rank, SY_MAX_RANK);
        v->dtype = (sy_dtype)dtype;
        v->role = (sy_role)role;
        v->rank = rank;
        uint64_t elems = 1;
        for (uint32_t i = 0; i < SY_MAX_RANK; i++) {
            v->sym[i] = -1;
            if (i >= rank) continue;
            int64_t d = rdi64(rec + 8 + 8 * i);
            int32_t s = rdi32(rec + 56 + 4 * i);
            SY_CHECK(d >= 0 && d <= FMT_MAX_DIM, SY_ERR_FORMAT,
                     "%s: value #%u '%s' dim %u is %lld; dims must be in [0, 2^40]", o, id, v->name, i,
                     (long long)d);
            SY_CHECK(s >= -1 && s < (int32_t)p->view.n_symbols, SY_ERR_FORMAT,
                     "%s: value #%u '%s' dim %u refers to symbol #%d, but the program has %u symbols", o,
                     id, v->name, i, (int)s, p->view.n_symbols);
            v->dims[i] = d;
            v->sym[i] = s;
            // Overflow-safe product; a zero dim makes the whole tensor empty.
            SY_CHECK(d == 0 || elems <= ((uint64_t)INT64_MAX / 8) / (uint64_t)d, SY_ERR_FORMAT,
                     "%s: value #%u '%s' is too large to address", o, id, v->name);
            elems *= (uint64_t)d;
        }
        (void)elems;
        size_t vbytes = 0;
        if (sy_shape_nbytes(v->dtype, v->rank, v->dims, &vbytes) != SY_OK)
            return sy_error_prefix(SY_ERR_FORMAT, "%s: value #%u '%s' (%s)", o, id, v->name, sy_dtype_name(v->dtype));
        SY_CHECK(v->dtype == SY_DTYPE_INVALID || sy_dtype_format_minor(v->dtype) <= r->minor, SY_ERR_FORMAT,
                 "%s: value #%u '%s' has dtype %s, which needs format version 1.%u, but the file says 1.%u", o, id,
                 v->name, sy_dtype_name(v->dtype), sy_dtype_format_minor(v->dtype), r->minor);
        uint64_t nbytes = vbytes;
        v->nbytes = vbytes;
        uint64_t off = rd64(rec + 80), size = rd64(rec + 88);
        if (v->role != SY_ROLE_CONSTANT) {
            SY_CHECK(off == 0 && size == 0, SY_ERR_FORMAT,
                     "%s: value #%u '%s' has role %s but carries data (offset %llu, size %llu)", o, id,
                     v->name, sy_role_name(v->role), (unsigned long long)off, (unsigned long long)size);
            continue;
        }
        SY_CHECK(size == nbytes, SY_ERR_FORMAT,
                 "%s: constant #%u '%s' (%s, %u dims) needs %llu bytes, but its data size is %llu", o, id,
                 v->name, sy_dtype_name(v->dtype), v->rank, (unsigned long long)nbytes,
                 (unsigned long long)size);
        SY_CHECK(off % FMT_DATA_ALIGN == 0, SY_ERR_FORMAT,
                 "%s: constant #%u '%s' data offset %llu is not a multiple of %d", o, id, v->name,
                 (unsigned long long)off, FMT_DATA_ALIGN);
        SY_CHECK(off >= data->off && off - data->off <= data->size && size <= data->size - (off - data->off),
                 SY_ERR_FORMAT,
                 "%s: constant #%u '%s' data [%llu, %llu + %llu) lies outside section DATA [%llu, %llu + %llu)",
                 o, id, v->name, (unsigned long long)off, (unsigned long long)off,
                 (unsigned long long)size, (unsigned long long)data->off, (unsigned long long)data->off,
                 (unsigned long long)data->size);
        v->data = r->bytes + off;
    }
    p->view.n_values = n;
    return SY_OK;
}

static sy_status read_attr(const reader *r, sy_program *p, uint32_t n, const char *node_name,
                           uint32_t k, uint32_t index) {
    const char *o = r->origin;
    const uint8_t *rec = record(r, SEC_ATTRS, index);
    sy_attr *a = &p->attrs[index];
    SY_TRY(get_string(r, rd32(rec), STR_NAME, &a->name, "node #%u '%s' attribute #%u name", n, node_name, k));
    uint32_t type = rd32(rec + 4), count = rd32(rec + 8);
    const uint8_t *payload = rec + 16;
    switch (type) {
    case SY_ATTR_INT:
    case SY_ATTR_FLOAT:
        SY_CHECK(count == 1, SY_ERR_FORMAT,
                 "%s: node #%u '%s' attribute #%u '%s' is a single %s but has count %u", o, n, node_name, k,
                 a->name, type == SY_ATTR_INT ? "int" : "float", count);
        if (type == SY_ATTR_INT) {
            a->u.i = rdi64(payload);
        } else {
            uint32_t bits = rd32(payload);
            memcpy(&a->u.f, &bits, sizeof bits);
        }
        break;
    case SY_ATTR_INTS: {
        uint64_t first = rd64(payload), n_ints = r->sec[SEC_INTS].count;
        SY_CHECK(first <= n_ints && count <= n_ints - first, SY_ERR_FORMAT,
                 "%s: node #%u '%s' attribute #%u '%s' takes INTS[%llu, %llu + %u), but INTS has %llu "
                 "elements",
                 o, n, node_name, k, a->name, (unsigned long long)first, (unsigned long long)first, count,
                 (unsigned long long)n_ints);
        // INTS is 8-aligned in the file and the file bytes are at least 8-aligned in memory.
        a->u.ints = (const int64_t *)(const void *)(r->bytes + r->sec[SEC_INTS].off + first * 8);
        break;
    }
    case SY_ATTR_STRING: {
        uint64_t ref = rd64(payload), strings = r->sec[SEC_STRINGS].size;
        SY_CHECK(ref < strings && count < strings - ref, SY_ERR_FORMAT,
                 "%s: node #%u '%s' attribute #%u '%s' takes STRINGS[%llu, %llu + %u], past the end of "
                 "STRINGS (%llu bytes)",
                 o, n, node_name, k, a->name, (unsigned long long)ref, (unsigned long long)ref, count,
                 (unsigned long long)strings);
        const char *s = (const char *)r->bytes + r->sec[SEC_STRINGS].off + ref;
        SY_CHECK(s[count] == 0, SY_ERR_FORMAT,
                 "%s: node #%u '%s' attribute #%u '%s': the string of %u bytes is not NUL-terminated", o, n,
                 node_name, k, a->name, count);
        a->u.s = s;
        break;
    }
    default: {
        char where[320];
        snprintf(where, sizeof where, "node #%u '%s' attribute #%u '%s'", n, node_name, k, a->name);
        return unknown_enum(r, type, "type", "1 int, 2 float, 3 ints, 4 string", where);
    }
    }
    a->type = (sy_attr_type)type;
    a->n = count;
    return SY_OK;
}

/// Refuses two attributes of one node with the same name (a set, so a node with many
/// attributes costs linear time, not quadratic).
static sy_status unique_attr_names(const char *o, uint32_t n, const sy_node_info *node) {
    if (node->n_attrs < 2) return SY_OK;
    sy_nameset seen;
    SY_TRY(sy_nameset_init(&seen, node->n_attrs));
    sy_status st = SY_OK;
    for (uint32_t k = 0; k < node->n_attrs && st == SY_OK; k++) {
        uint32_t j = 0;
        if (!sy_nameset_add(&seen, node->attrs[k].name, k, &j))
            st = sy_error_set(SY_ERR_FORMAT, "%s: node #%u '%s' has two attributes named '%s' (#%u and #%u)", o, n,
                              node->name, node->attrs[k].name, j, k);
    }
    sy_nameset_deinit(&seen);
    return st;
}

static sy_status read_nodes(const reader *r, sy_program *p) {
    const char *o = r->origin;
    uint32_t n_nodes = r->sec[SEC_NODES].count, n_ids = r->sec[SEC_IDS].count;
    uint32_t n_attrs = r->sec[SEC_ATTRS].count, n_values = p->view.n_values;
    p->nodes = sy_calloc(n_nodes ? n_nodes : 1, sizeof *p->nodes);
    p->ids = sy_calloc(n_ids ? n_ids : 1, sizeof *p->ids);
    p->attrs = sy_calloc(n_attrs ? n_attrs : 1, sizeof *p->attrs);
    SY_CHECK(p->nodes && p->ids && p->attrs, SY_ERR_OUT_OF_MEMORY, "%s: out of memory reading %u nodes", o,
             n_nodes);
    for (uint32_t i = 0; i < n_ids; i++) p->ids[i] = rd32(record(r, SEC_IDS, i));

    for (uint32_t n = 0; n < n_nodes; n++) {
        const uint8_t *rec = record(r, SEC_NODES, n);
        sy_node_info *node = &p->nodes[n];
        SY_TRY(get_string(r, rd32(rec), STR_NAME, &node->name, "node #%u name", n));
        const char *nm = node->name;
        uint32_t op = rd32(rec + 4);
        SY_CHECK(op < SY_OP_COUNT, SY_ERR_UNSUPPORTED,
                 "%s: node #%u '%s' has op id %u, which this reader does not know (it knows 0..%d); the "
                 "file may need a newer Switchyard",
                 o, n, nm, op, SY_OP_COUNT - 1);
        node->op = (sy_op)op;
        SY_CHECK(sy_op_format_minor(node->op) <= r->minor, SY_ERR_FORMAT,
                 "%s: node #%u '%s' uses op %s, which needs format version 1.%u, but the file says 1.%u", o, n, nm,
                 sy_op_name(node->op), sy_op_format_minor(node->op), r->minor);
        uint32_t n_in = rd32(rec + 8), in_at = rd32(rec + 12), n_out = rd32(rec + 16);
        uint32_t out_at = rd32(rec + 20), n_at = rd32(rec + 24), at_at = rd32(rec + 28);
        SY_CHECK(in_at <= n_ids && n_in <= n_ids - in_at, SY_ERR_FORMAT,
                 "%s: node #%u '%s' inputs take IDS[%u, %u + %u), but IDS has %u entries", o, n, nm, in_at,
                 in_at, n_in, n_ids);
        SY_CHECK(out_at <= n_ids && n_out <= n_ids - out_at, SY_ERR_FORMAT,
                 "%s: node #%u '%s' outputs take IDS[%u, %u + %u), but IDS has %u entries", o, n, nm, out_at,
                 out_at, n_out, n_ids);
        SY_CHECK(at_at <= n_attrs && n_at <= n_attrs - at_at, SY_ERR_FORMAT,
                 "%s: node #%u '%s' attributes take ATTRS[%u, %u + %u), but ATTRS has %u records", o, n, nm,
                 at_at, at_at, n_at, n_attrs);
        node->n_inputs = n_in;
        node->n_outputs = n_out;
        node->n_attrs = n_at;
        node->inputs = p->ids + in_at;
        node->outputs = p->ids + out_at;
        node->attrs = p->attrs + at_at;
        for (uint32_t i = 0; i < n_in; i++)
            SY_CHECK(node->inputs[i] < n_values || node->inputs[i] == SY_NO_VALUE, SY_ERR_FORMAT,
                     "%s: node #%u '%s' input #%u refers to value #%u, but the program has %u values", o, n,
                     nm, i, node->inputs[i], n_values);
        for (uint32_t i = 0; i < n_out; i++)
            SY_CHECK(node->outputs[i] < n_values, SY_ERR_FORMAT,
                     "%s: node #%u '%s' output #%u refers to value #%u, but the program has %u values", o,
                     n, nm, i, node->outputs[i], n_values);
        for (uint32_t k = 0; k < n_at; k++) SY_TRY(read_attr(r, p, n, nm, k, at_at + k));
        SY_TRY(unique_attr_names(o, n, node));
    }
    p->view.n_nodes = n_nodes;
    return SY_OK;
}

sy_status sy_format_parse(struct sy_program *program, const uint8_t *bytes, size_t size) {
    SY_CHECK(program && (bytes || size == 0), SY_ERR_INVALID_ARGUMENT,
             "sy_format_parse: program or bytes is NULL");
    reader r;
    memset(&r, 0, sizeof r);
    r.bytes = bytes;
    r.size = size;
    r.origin = program->origin ? program->origin : "<program>";
    // Constant data and INTS payloads are used in place as little-endian numbers.
    SY_CHECK(host_is_little_endian(), SY_ERR_UNSUPPORTED,
             "%s: program files are little-endian and this host is big-endian", r.origin);
    SY_CHECK(((uintptr_t)bytes & 7u) == 0, SY_ERR_INVALID_ARGUMENT,
             "%s: program bytes must be at least 8-byte aligned in memory", r.origin);

    sy_graph_view *view = &program->view;
    memset(view, 0, sizeof *view);
    SY_TRY(read_header(&r));
    SY_TRY(read_metadata(&r, program));
    SY_TRY(read_symbols(&r, program));
    view->symbols = program->symbols;
    SY_TRY(read_values(&r, program));
    view->values = program->values;
    SY_TRY(read_nodes(&r, program));
    view->nodes = program->nodes;
    return sy_graph_check(view, r.origin);
}
