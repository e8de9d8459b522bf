// switchyard backends: every backend Switchyard knows (built in, or from plugins), whether it
// can run here and why not, its version and origin, the options it accepts, and the ops it
// takes in an f32 probe. Plugins that fail to load are listed with the reason.

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime/config.h"
#include "runtime/plugin.h"
#include "runtime/registry.h"
#include "tools/cli.h"

static const char backends_help[] =
    "usage: switchyard backends [--json] [backend flags]\n"
    "\n"
    "Lists every backend: the built-in ones, then those of plugins (--plugin, \"plugins\" in\n"
    "--config, and the " SY_PLUGIN_FILE_PREFIX "*" SY_PLUGIN_FILE_SUFFIX " files in the directories of\n"
    SY_PLUGIN_PATH_ENV ", ':'-separated). For each: availability (and the reason when it is\n"
    "unavailable), version, vendor, origin (built-in or the plugin's file), the options it accepts\n"
    "(type, default, accepted values) and the ops it can support.\n"
    "\n"
    "The ops come from an f32 probe: each op, alone in a one-node graph with f32 operands of small\n"
    "typical shapes (i64 ids and positions), is offered to the backend's supports() on an instance\n"
    "created with the config's options. A backend may refuse other dtypes or shapes of a listed op;\n"
    "`switchyard inspect` shows what it takes of a real program.\n"
    "\n"
    "Exit status: 0, or 1 when a plugin failed to load, a backend's configured options are invalid\n"
    "or the backend list names an unknown backend (everything that did load is still listed).\n"
    "\n"
    "  --json     one JSON object on stdout, for machines\n"
    "\n";

// --- the probe ---

static const float zeros[32 * 16]; // constant data for probe weights (the values do not matter)

/// Adds a value (role input or state) of dtype/shape to g.
static sy_status add_value(sy_graph *g, const char *name, sy_dtype dt, sy_role role, uint32_t rank,
                           const int64_t *dims, uint32_t *id) {
    sy_value_desc d = {.name = name, .dtype = dt, .role = role, .rank = rank, .sym = {-1, -1, -1, -1, -1, -1}};
    memcpy(d.dims, dims, sizeof(int64_t) * rank);
    return sy_graph_add_value(g, &d, id);
}

static sy_status add_weight(sy_graph *g, const char *name, uint32_t rank, const int64_t *dims, uint32_t *id) {
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    return sy_graph_add_constant(g, name, SY_DTYPE_F32, rank, dims, zeros, (size_t)n * sizeof(float), id);
}

#define F32 SY_DTYPE_F32
#define I64 SY_DTYPE_I64
#define IN SY_ROLE_INPUT
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define RANK(...) ((uint32_t)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define VALUE(name, dt, role, ...) add_value(g, name, dt, role, RANK(__VA_ARGS__), DIMS(__VA_ARGS__), &in[n_in++])
#define WEIGHT(name, ...) add_weight(g, name, RANK(__VA_ARGS__), DIMS(__VA_ARGS__), &in[n_in++])

static sy_attr int_attr(const char *name, int64_t v) {
    return (sy_attr){.name = name, .type = SY_ATTR_INT, .n = 1, .u.i = v};
}

static sy_attr ints_attr(const char *name, const int64_t *v, uint32_t n) {
    return (sy_attr){.name = name, .type = SY_ATTR_INTS, .n = n, .u.ints = v};
}

/// Builds the one-node probe graph of `op`: f32 operands of typical small shapes (activations
/// [4, 16], weights as constants, caches as states, i64 ids and positions as inputs).
static sy_status build_probe(sy_op op, sy_graph **graph_out) {
    sy_graph *g = NULL;
    SY_TRY(sy_graph_create(&g));
    uint32_t in[6], n_in = 0, n_attrs = 0, out[4];
    sy_attr attrs[3];
    static const int64_t axes_last[1] = {-1}, shape_8x8[2] = {8, 8}, perm_021[3] = {0, 2, 1}, shape_4x16[2] = {4, 16};
    sy_status st = SY_OK;
    switch (op) {
    case SY_OP_ADD: case SY_OP_SUB: case SY_OP_MUL: case SY_OP_DIV: case SY_OP_POW: case SY_OP_MAXIMUM:
    case SY_OP_MINIMUM: case SY_OP_EQ: case SY_OP_NE: case SY_OP_LT: case SY_OP_LE: case SY_OP_GT:
    case SY_OP_GE: case SY_OP_LOGICAL_AND: case SY_OP_LOGICAL_OR:
        if ((st = VALUE("a", F32, IN, 4, 16)) == SY_OK) st = VALUE("b", F32, IN, 4, 16);
        break;
    case SY_OP_WHERE:
        if ((st = VALUE("cond", SY_DTYPE_BOOL, IN, 4, 16)) == SY_OK && (st = VALUE("a", F32, IN, 4, 16)) == SY_OK)
            st = VALUE("b", F32, IN, 4, 16);
        break;
    case SY_OP_CAST:
        st = VALUE("x", F32, IN, 4, 16);
        attrs[n_attrs++] = int_attr("dtype", SY_DTYPE_F16);
        break;
    case SY_OP_SUM: case SY_OP_MEAN: case SY_OP_MAX:
        st = VALUE("x", F32, IN, 4, 16);
        attrs[n_attrs++] = ints_attr("axes", axes_last, 1);
        attrs[n_attrs++] = int_attr("keepdim", 1);
        break;
    case SY_OP_SOFTMAX:
        st = VALUE("x", F32, IN, 4, 16);
        attrs[n_attrs++] = int_attr("axis", -1);
        break;
    case SY_OP_RMS_NORM:
        if ((st = VALUE("x", F32, IN, 4, 16)) == SY_OK) st = WEIGHT("w", 16);
        break;
    case SY_OP_LAYER_NORM:
        if ((st = VALUE("x", F32, IN, 4, 16)) == SY_OK && (st = WEIGHT("w", 16)) == SY_OK) st = WEIGHT("b", 16);
        break;
    case SY_OP_MATMUL:
        if ((st = VALUE("a", F32, IN, 2, 4, 16)) == SY_OK) st = VALUE("b", F32, IN, 2, 16, 8);
        break;
    case SY_OP_LINEAR:
        if ((st = VALUE("x", F32, IN, 4, 16)) == SY_OK && (st = WEIGHT("w", 8, 16)) == SY_OK) st = WEIGHT("b", 8);
        break;
    case SY_OP_EMBEDDING:
        if ((st = WEIGHT("table", 32, 16)) == SY_OK) st = VALUE("ids", I64, IN, 4);
        break;
    case SY_OP_RESHAPE:
        st = VALUE("x", F32, IN, 4, 16);
        attrs[n_attrs++] = ints_attr("shape", shape_8x8, 2);
        break;
    case SY_OP_TRANSPOSE:
        st = VALUE("x", F32, IN, 2, 4, 16);
        attrs[n_attrs++] = ints_attr("perm", perm_021, 3);
        break;
    case SY_OP_SLICE:
        st = VALUE("x", F32, IN, 4, 16);
        attrs[n_attrs++] = int_attr("axis", 1);
        attrs[n_attrs++] = int_attr("start", 0);
        attrs[n_attrs++] = int_attr("end", 8);
        break;
    case SY_OP_CONCAT:
        if ((st = VALUE("a", F32, IN, 4, 16)) == SY_OK) st = VALUE("b", F32, IN, 4, 16);
        attrs[n_attrs++] = int_attr("axis", 1);
        break;
    case SY_OP_EXPAND:
        st = VALUE("x", F32, IN, 1, 16);
        attrs[n_attrs++] = ints_attr("shape", shape_4x16, 2);
        break;
    case SY_OP_GATHER:
        if ((st = VALUE("x", F32, IN, 8, 16)) == SY_OK) st = VALUE("indices", I64, IN, 4);
        attrs[n_attrs++] = int_attr("axis", 0);
        break;
    case SY_OP_ROPE:
        if ((st = VALUE("x", F32, IN, 1, 4, 8, 16)) == SY_OK) st = VALUE("positions", I64, IN, 8);
        break;
    case SY_OP_UPDATE_CACHE:
        if ((st = VALUE("cache", F32, SY_ROLE_STATE, 1, 2, 32, 16)) == SY_OK && (st = VALUE("new", F32, IN, 1, 2, 8, 16)) == SY_OK)
            st = VALUE("start_pos", I64, IN, 1);
        break;
    case SY_OP_SDPA:
        if ((st = VALUE("q", F32, IN, 1, 4, 8, 16)) == SY_OK && (st = VALUE("k", F32, IN, 1, 2, 8, 16)) == SY_OK)
            st = VALUE("v", F32, IN, 1, 2, 8, 16);
        attrs[n_attrs++] = int_attr("causal", 1);
        break;
    case SY_OP_SDPA_WITH_KV_CACHE:
        if ((st = VALUE("q", F32, IN, 1, 4, 8, 16)) == SY_OK && (st = VALUE("k", F32, IN, 1, 2, 8, 16)) == SY_OK &&
            (st = VALUE("v", F32, IN, 1, 2, 8, 16)) == SY_OK &&
            (st = VALUE("k_cache", F32, SY_ROLE_STATE, 1, 2, 32, 16)) == SY_OK &&
            (st = VALUE("v_cache", F32, SY_ROLE_STATE, 1, 2, 32, 16)) == SY_OK)
            st = VALUE("start_pos", I64, IN, 1);
        break;
    default: // the unary elementwise ops (and any op added later: probed like them)
        st = VALUE("x", F32, IN, 4, 16);
    }
    if (st == SY_OK) st = sy_graph_add_op(g, "probe", op, in, n_in, attrs, n_attrs, out);
    if (st != SY_OK) {
        sy_graph_destroy(g);
        return sy_error_prefix(st, "probe graph for op '%s'", sy_op_name(op));
    }
    *graph_out = g;
    return SY_OK;
}

#undef F32
#undef I64
#undef IN
#undef DIMS
#undef RANK
#undef VALUE
#undef WEIGHT

// --- one backend ---

typedef struct backend_info {
    const sy_delegate_ref *ref;
    int available;
    char reason[SY_REASON_MAX];   // why unavailable (availability check, bad options or create)
    char description[256];        // describe() of the instance (copied: it dies with it), or ""
    int probed;                   // the probe ran (an instance was created)
    uint8_t takes[SY_OP_COUNT];   // f32 probe: supports() said yes
    char *refusals[SY_OP_COUNT];  // f32 probe: why not (malloc'd), or NULL
    int bad_options;              // the config's options for it are invalid
} backend_info;

/// The config's options for backend `name`, into opts (borrowed strings).
static uint32_t options_for(const sy_config *cfg, const char *name, sy_option *opts, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < cfg->n_options && n < max; i++)
        if (strcmp(cfg->options[i].backend, name) == 0) opts[n++] = (sy_option){cfg->options[i].key, cfg->options[i].value};
    return n;
}

static void probe_backend(const sy_config *cfg, sy_graph *const *probes, backend_info *bi) {
    const sy_delegate *vt = bi->ref->vt;
    bi->available = sy_delegate_available(vt, bi->reason, sizeof bi->reason);
    sy_option opts[64];
    uint32_t n_opts = options_for(cfg, vt->name, opts, 64);
    if (sy_delegate_check_options(vt, opts, n_opts) != SY_OK) {
        bi->bad_options = 1;
        snprintf(bi->reason, sizeof bi->reason, "%s", sy_last_error());
        bi->available = 0;
        return;
    }
    if (!bi->available) return;
    sy_backend *b = NULL;
    sy_error_clear();
    if (vt->create(sy_host_default(), opts, n_opts, &b) != SY_OK || !b) {
        snprintf(bi->reason, sizeof bi->reason, "create failed: %s", sy_last_error()[0] ? sy_last_error() : "no message");
        bi->available = 0;
        return;
    }
    const char *desc = SY_DELEGATE_HAS(vt, describe) ? vt->describe(b) : NULL;
    if (desc) snprintf(bi->description, sizeof bi->description, "%s", desc);
    bi->probed = 1;
    for (int op = 0; op < SY_OP_COUNT; op++) {
        if (!probes[op]) continue;
        char why[SY_REASON_MAX] = "";
        bi->takes[op] = vt->supports(b, sy_graph_get_view(probes[op]), 0, why, sizeof why) != 0;
        if (!bi->takes[op]) bi->refusals[op] = strdup(why[0] ? why : "no reason given");
    }
    vt->destroy(b);
}

static const char *or_unknown(const char *s) { return s ? s : "?"; }

// --- output ---

static void print_text(const sy_config *cfg, const sy_registry *reg, const backend_info *infos) {
    printf("delegate ABI %d.%d; backend list: %s\n", SY_DELEGATE_ABI_MAJOR, SY_DELEGATE_ABI_MINOR,
           sy_config_get_backends(cfg));
    for (uint32_t i = 0; i < cfg->n_backends; i++)
        if (!sy_registry_find(reg->refs, reg->n_refs, cfg->backends[i]))
            printf("  '%s' in the backend list is not a known backend: a runtime with this list would fail\n",
                   cfg->backends[i]);
    for (uint32_t i = 0; i < reg->n_refs; i++) {
        const backend_info *bi = &infos[i];
        const sy_delegate *vt = bi->ref->vt;
        printf("\n%s %s (%s), %s%s\n", vt->name, or_unknown(vt->version), or_unknown(vt->vendor),
               bi->ref->plugin ? "plugin " : "", bi->ref->origin);
        if (bi->available) printf("  available%s%s\n", bi->description[0] ? ": " : "", bi->description);
        else printf("  %s: %s\n", bi->bad_options ? "bad options" : "unavailable", bi->reason);
        if (!vt->n_options) printf("  options: none\n");
        else printf("  options:\n");
        for (uint32_t k = 0; k < vt->n_options; k++) {
            const sy_option_desc *d = &vt->options[k];
            char accepted[256];
            sy_option_describe_accepted(d, accepted, sizeof accepted);
            const char *dflt = !d->default_value ? "(none)" : d->default_value[0] ? d->default_value : "\"\"";
            printf("    %-14s %-6s default %-8s %s\n", d->key, sy_option_type_name(d->type), dflt, accepted);
            if (d->doc) printf("    %-14s %s\n", "", d->doc);
        }
        if (!bi->probed) {
            printf("  ops: not probed (%s)\n", bi->bad_options ? "bad options" : "unavailable");
            continue;
        }
        uint32_t n = 0;
        for (int op = 0; op < SY_OP_COUNT; op++) n += bi->takes[op];
        printf("  ops (f32 probe, %u of %d):", n, SY_OP_COUNT);
        int col = 100;
        for (int op = 0; op < SY_OP_COUNT; op++) {
            if (!bi->takes[op]) continue;
            const char *name = sy_op_name((sy_op)op);
            if (col + (int)strlen(name) + 1 > 96) {
                printf("\n   ");
                col = 3;
            }
            col += printf(" %s", name);
        }
        printf("%s\n", n ? "" : " none");
    }
    if (reg->n_failures) printf("\nplugins that failed to load:\n");
    for (uint32_t i = 0; i < reg->n_failures; i++)
        printf("  %s%s\n    %s\n", reg->failures[i].path, reg->failures[i].scanned ? " (from " SY_PLUGIN_PATH_ENV ")" : "",
               reg->failures[i].message);
}

static cJSON *json_backend(const backend_info *bi) {
    const sy_delegate *vt = bi->ref->vt;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "name", vt->name);
    cJSON_AddStringToObject(o, "version", or_unknown(vt->version));
    cJSON_AddStringToObject(o, "vendor", or_unknown(vt->vendor));
    char abi[32];
    snprintf(abi, sizeof abi, "%u.%u", vt->abi_version >> 16, vt->abi_version & 0xffffu);
    cJSON_AddStringToObject(o, "abi_version", abi);
    cJSON_AddStringToObject(o, "origin", bi->ref->plugin ? "plugin" : "built-in");
    if (bi->ref->plugin) cJSON_AddStringToObject(o, "path", bi->ref->origin);
    else cJSON_AddNullToObject(o, "path");
    cJSON_AddBoolToObject(o, "available", bi->available);
    if (bi->available) cJSON_AddNullToObject(o, "reason");
    else cJSON_AddStringToObject(o, "reason", bi->reason);
    if (bi->description[0]) cJSON_AddStringToObject(o, "description", bi->description);
    else cJSON_AddNullToObject(o, "description");
    cJSON *opts = cJSON_AddArrayToObject(o, "options");
    for (uint32_t k = 0; opts && k < vt->n_options; k++) {
        const sy_option_desc *d = &vt->options[k];
        cJSON *j = cJSON_CreateObject();
        if (!j) break;
        char accepted[256];
        sy_option_describe_accepted(d, accepted, sizeof accepted);
        cJSON_AddStringToObject(j, "key", d->key);
        cJSON_AddStringToObject(j, "type", sy_option_type_name(d->type));
        if (d->default_value) cJSON_AddStringToObject(j, "default", d->default_value);
        else cJSON_AddNullToObject(j, "default");
        int ranged = (d->type == SY_OPTION_INT || d->type == SY_OPTION_FLOAT) && d->min <= d->max;
        if (ranged) {
            cJSON_AddNumberToObject(j, "min", d->min);
            cJSON_AddNumberToObject(j, "max", d->max);
        } else {
            cJSON_AddNullToObject(j, "min");
            cJSON_AddNullToObject(j, "max");
        }
        if (d->type == SY_OPTION_STRING && d->choices) cJSON_AddStringToObject(j, "choices", d->choices);
        else cJSON_AddNullToObject(j, "choices");
        cJSON_AddStringToObject(j, "accepted", accepted);
        if (d->doc) cJSON_AddStringToObject(j, "doc", d->doc);
        else cJSON_AddNullToObject(j, "doc");
        cJSON_AddItemToArray(opts, j);
    }
    cJSON_AddStringToObject(o, "ops_probe", "f32");
    if (!bi->probed) {
        cJSON_AddNullToObject(o, "ops");
        cJSON_AddNullToObject(o, "refused");
        return o;
    }
    cJSON *ops = cJSON_AddArrayToObject(o, "ops");
    cJSON *refused = cJSON_AddObjectToObject(o, "refused");
    for (int op = 0; ops && refused && op < SY_OP_COUNT; op++) {
        if (bi->takes[op]) cJSON_AddItemToArray(ops, cJSON_CreateString(sy_op_name((sy_op)op)));
        else if (bi->refusals[op]) cJSON_AddStringToObject(refused, sy_op_name((sy_op)op), bi->refusals[op]);
    }
    return o;
}

static int print_json(const sy_config *cfg, const sy_registry *reg, const backend_info *infos) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return 0;
    cJSON *abi = cJSON_AddObjectToObject(root, "abi");
    if (abi) {
        cJSON_AddNumberToObject(abi, "major", SY_DELEGATE_ABI_MAJOR);
        cJSON_AddNumberToObject(abi, "minor", SY_DELEGATE_ABI_MINOR);
    }
    cJSON *list = cJSON_AddArrayToObject(root, "backend_list");
    cJSON *unknown = cJSON_AddArrayToObject(root, "unknown_in_list");
    for (uint32_t i = 0; list && unknown && i < cfg->n_backends; i++) {
        cJSON_AddItemToArray(list, cJSON_CreateString(cfg->backends[i]));
        if (!sy_registry_find(reg->refs, reg->n_refs, cfg->backends[i]))
            cJSON_AddItemToArray(unknown, cJSON_CreateString(cfg->backends[i]));
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "backends");
    for (uint32_t i = 0; arr && i < reg->n_refs; i++) cJSON_AddItemToArray(arr, json_backend(&infos[i]));
    cJSON *fails = cJSON_AddArrayToObject(root, "plugin_failures");
    for (uint32_t i = 0; fails && i < reg->n_failures; i++) {
        cJSON *f = cJSON_CreateObject();
        if (!f) break;
        cJSON_AddStringToObject(f, "path", reg->failures[i].path);
        cJSON_AddStringToObject(f, "message", reg->failures[i].message);
        cJSON_AddStringToObject(f, "status", sy_status_name(reg->failures[i].status));
        cJSON_AddBoolToObject(f, "scanned", reg->failures[i].scanned);
        cJSON_AddItemToArray(fails, f);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return 0;
    printf("%s\n", text);
    cJSON_free(text);
    return 1;
}

int sy_cmd_backends(int argc, char **argv) {
    sy_cli_backend_args ba;
    memset(&ba, 0, sizeof ba);
    int json = 0;
    for (int i = 1; i < argc; i++) {
        int r = sy_cli_backend_flag(&ba, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s", backends_help, sy_cli_backend_help);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        fprintf(stderr, "switchyard backends: unexpected argument '%s' (see --help)\n", argv[i]);
        return 2;
    }
    sy_config *cfg = sy_cli_make_config(&ba, NULL);
    if (!cfg) return 1;
    sy_registry reg;
    if (sy_registry_load(cfg, &reg) != SY_OK) {
        sy_config_destroy(cfg);
        return sy_cli_fail("backends");
    }
    sy_graph *probes[SY_OP_COUNT] = {0};
    backend_info *infos = calloc(reg.n_refs + 1, sizeof *infos);
    int status = reg.n_failures ? 1 : 0;
    for (int op = 0; op < SY_OP_COUNT; op++)
        if (build_probe((sy_op)op, &probes[op]) != SY_OK) { // a bug in the probe table, not the user's
            fprintf(stderr, "switchyard backends: %s\n", sy_last_error());
            status = 1;
        }
    if (!infos) {
        fprintf(stderr, "switchyard backends: out of memory\n");
        status = 1;
    }
    for (uint32_t i = 0; i < cfg->n_backends; i++) status |= !sy_registry_find(reg.refs, reg.n_refs, cfg->backends[i]);
    for (uint32_t i = 0; infos && i < reg.n_refs; i++) {
        infos[i].ref = &reg.refs[i];
        probe_backend(cfg, probes, &infos[i]);
        status |= infos[i].bad_options;
    }
    if (infos && json && !print_json(cfg, &reg, infos)) {
        fprintf(stderr, "switchyard backends: out of memory writing JSON\n");
        status = 1;
    } else if (infos && !json) {
        print_text(cfg, &reg, infos);
    }
    for (uint32_t i = 0; infos && i < reg.n_refs; i++)
        for (int op = 0; op < SY_OP_COUNT; op++) free(infos[i].refusals[op]);
    free(infos);
    for (int op = 0; op < SY_OP_COUNT; op++) sy_graph_destroy(probes[op]);
    sy_registry_deinit(&reg); // after every instance is destroyed: this may unload plugins
    sy_config_destroy(cfg);
    return status;
}
