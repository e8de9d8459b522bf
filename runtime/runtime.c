// The runtime: backends from the config, partitioning, compilation, memory plan, execution.

#include "runtime/runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/graph.h"
#include "core/memplan.h"
#include "core/ops.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "runtime/config.h"
#include "runtime/plugin.h"

#define SY_ARENA_ALIGN 64

// --- backends ---

static int supports_adapter(void *ctx, const sy_graph_view *g, uint32_t node, char *reason, size_t size) {
    sy_rt_backend *b = ctx;
    return b->ref.vt->supports(b->instance, g, node, reason, size);
}

/// Appends a line to the runtime's notes (shown by inspect, demo, bench) and logs it as a warning.
__attribute__((format(printf, 2, 3))) static sy_status note(sy_runtime *rt, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t old = rt->notes ? strlen(rt->notes) : 0, add = strlen(line) + 2;
    char *p = sy_realloc(rt->notes, old ? old + 1 : 0, old + add);
    SY_CHECK(p, SY_ERR_OUT_OF_MEMORY, "out of memory");
    if (!old) p[0] = '\0';
    strcat(p, line);
    strcat(p, "\n");
    rt->notes = p;
    sy_log(SY_LOG_WARN, "%s", line);
    return SY_OK;
}

static char *keep_string(sy_runtime *rt, const char *s) {
    char *copy = sy_strdup(s);
    if (!copy) return NULL;
    char **list = sy_realloc(rt->option_strings, sizeof(char *) * rt->n_option_strings,
                             sizeof(char *) * (rt->n_option_strings + 1));
    if (!list) {
        sy_free(copy);
        return NULL;
    }
    rt->option_strings = list;
    list[rt->n_option_strings++] = copy;
    return copy;
}

static sy_status known_names(const sy_runtime *rt, char *buf, size_t size) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, size);
    for (uint32_t i = 0; i < rt->n_refs; i++) sy_strbuf_addf(&sb, "%s%s", i ? ", " : "", rt->refs[i].vt->name);
    return SY_OK;
}

/// Plugins that failed to load: an error under the strict policy, a note under fallback (their
/// backends are left out). `lost` gets "; plugins that failed to load: 'a', 'b'" (or "") for
/// messages about unknown backends.
static sy_status plugin_failures(sy_runtime *rt, const sy_registry *reg, char *lost, size_t size) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, lost, size);
    for (uint32_t i = 0; i < reg->n_failures; i++) {
        const sy_plugin_failure *f = &reg->failures[i];
        if (rt->policy == SY_POLICY_STRICT) return sy_error_set(f->status, "%s (policy 'strict')", f->message);
        SY_TRY(note(rt, "fallback: %s; its backends are left out", f->message));
        sy_strbuf_addf(&sb, "%s'%s'", i ? ", " : "; plugins that failed to load: ", f->path);
    }
    return SY_OK;
}

static const char *upper(const char *name, char *buf, size_t size) {
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++) buf[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i] == '-' ? '_' : name[i];
    buf[i] = '\0';
    return buf;
}

/// SWITCHYARD_REQUIRE_<NAME>=1 turns a backend's unavailability or failed create into an error
/// (CI sets SWITCHYARD_REQUIRE_VULKAN=1 so Vulkan tests can never silently run elsewhere).
static int backend_required(const char *name) {
    char var[96], buf[64];
    snprintf(var, sizeof var, "SWITCHYARD_REQUIRE_%s", upper(name, buf, sizeof buf));
    const char *v = getenv(var);
    return v && strcmp(v, "1") == 0;
}

static sy_status setup_backends(sy_runtime *rt, const sy_config *cfg) {
    char upper_buf[64];
    char known[512], lost[512];
    sy_registry reg;
    SY_TRY(sy_registry_load(cfg, &reg));
    rt->refs = reg.refs; // the runtime keeps the delegates (and plugin references) until destroy
    rt->n_refs = reg.n_refs;
    reg.refs = NULL;
    reg.n_refs = 0;
    sy_status failed = plugin_failures(rt, &reg, lost, sizeof lost);
    sy_registry_deinit(&reg);
    SY_TRY(failed);
    known_names(rt, known, sizeof known);
    SY_CHECK(cfg->n_backends > 0, SY_ERR_CONFIG, "the backend list is empty (known backends: %s)", known);
    for (uint32_t i = 0; i < cfg->n_options; i++) {
        const sy_delegate_ref *ref = sy_registry_find(rt->refs, rt->n_refs, cfg->options[i].backend);
        SY_CHECK(ref, SY_ERR_CONFIG, "option '%s' is set for unknown backend '%s' (known backends: %s%s)",
                 cfg->options[i].key, cfg->options[i].backend, known, lost);
        // Checked even when the backend is not in the list, so a typo never goes unnoticed.
        sy_option one = {cfg->options[i].key, cfg->options[i].value};
        SY_TRY(sy_delegate_check_options(ref->vt, &one, 1));
    }
    for (uint32_t i = 0; i < cfg->n_rules; i++)
        SY_CHECK(sy_registry_find(rt->refs, rt->n_refs, cfg->rules[i].backend), SY_ERR_CONFIG,
                 "rule '%s' names unknown backend '%s' (known backends: %s)", cfg->rules[i].match,
                 cfg->rules[i].backend, known);
    rt->backends = sy_calloc(cfg->n_backends, sizeof *rt->backends);
    SY_CHECK(rt->backends, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < cfg->n_backends; i++) {
        const sy_delegate_ref *ref = sy_registry_find(rt->refs, rt->n_refs, cfg->backends[i]);
        SY_CHECK(ref, SY_ERR_CONFIG, "unknown backend '%s' (known backends: %s%s)", cfg->backends[i], known, lost);
        sy_rt_backend *b = &rt->backends[rt->n_backends++];
        b->ref = *ref;
        uint32_t n_opts = 0;
        for (uint32_t k = 0; k < cfg->n_options; k++) n_opts += strcmp(cfg->options[k].backend, ref->vt->name) == 0;
        b->options = sy_calloc(n_opts + 1, sizeof *b->options);
        SY_CHECK(b->options, SY_ERR_OUT_OF_MEMORY, "out of memory");
        for (uint32_t k = 0; k < cfg->n_options; k++) {
            if (strcmp(cfg->options[k].backend, ref->vt->name) != 0) continue;
            sy_option o = {keep_string(rt, cfg->options[k].key), keep_string(rt, cfg->options[k].value)};
            SY_CHECK(o.key && o.value, SY_ERR_OUT_OF_MEMORY, "out of memory");
            b->options[b->n_options++] = o;
        }
        b->available = sy_delegate_available(ref->vt, b->reason, sizeof b->reason);
        SY_CHECK(b->available || !backend_required(ref->vt->name), SY_ERR_UNAVAILABLE,
                 "backend '%s' is required (SWITCHYARD_REQUIRE_%s=1) but unavailable: %s", ref->vt->name,
                 upper(ref->vt->name, upper_buf, sizeof upper_buf), b->reason);
        if (!b->available) { // not an error under either policy: the machine decides, not the config
            SY_TRY(note(rt, "backend '%s' is unavailable: %s; its nodes go to the next backends", ref->vt->name,
                        b->reason));
            continue;
        }
        sy_error_clear();
        sy_status st = ref->vt->create(&rt->host, b->options, b->n_options, &b->instance);
        if (st != SY_OK) {
            b->instance = NULL;
            snprintf(b->reason, sizeof b->reason, "create failed: %s", sy_last_error());
            b->available = 0;
            if (rt->policy == SY_POLICY_STRICT || backend_required(ref->vt->name))
                return sy_error_set(SY_ERR_UNAVAILABLE, "backend '%s' (%s): %s", ref->vt->name, ref->origin, b->reason);
            SY_TRY(note(rt, "fallback: backend '%s' (%s) is skipped: %s", ref->vt->name, ref->origin, b->reason));
        }
    }
    return SY_OK;
}

// --- compile ---

static void release_parts(sy_runtime *rt) {
    for (uint32_t p = 0; rt->parts && p < rt->plan.n_partitions; p++) {
        sy_rt_part *part = &rt->parts[p];
        sy_rt_backend *b = &rt->backends[rt->plan.partitions[p].backend];
        if (part->kernel) b->ref.vt->release(b->instance, part->kernel);
        sy_free(part->inputs);
        sy_free(part->outputs);
        sy_free(part->states);
    }
    sy_free(rt->parts);
    rt->parts = NULL;
    sy_partition_plan_free(&rt->plan);
}

/// Compiles every partition. On a failure under the fallback policy, sets *failed to the
/// partition index and returns SY_OK; the caller bans it and partitions again.
static sy_status compile_parts(sy_runtime *rt, uint32_t *failed) {
    *failed = UINT32_MAX;
    rt->parts = sy_calloc(rt->plan.n_partitions + 1, sizeof *rt->parts);
    SY_CHECK(rt->parts, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        sy_partition *P = &rt->plan.partitions[p];
        sy_rt_part *part = &rt->parts[p];
        sy_rt_backend *b = &rt->backends[P->backend];
        part->subgraph = (sy_subgraph){
            .struct_size = sizeof(sy_subgraph), .graph = rt->g,
            .n_nodes = P->n_nodes, .n_inputs = P->n_inputs, .n_outputs = P->n_outputs, .n_states = P->n_states,
            .nodes = P->nodes, .inputs = P->inputs, .outputs = P->outputs, .states = P->states,
            .owns_state = P->owns_state,
        };
        part->inputs = sy_calloc(P->n_inputs + 1, sizeof(sy_tensor));
        part->outputs = sy_calloc(P->n_outputs + 1, sizeof(sy_tensor));
        part->states = sy_calloc(P->n_states + 1, sizeof(sy_tensor));
        SY_CHECK(part->inputs && part->outputs && part->states, SY_ERR_OUT_OF_MEMORY, "out of memory");
        part->info.struct_size = sizeof part->info;
        sy_error_clear();
        rt->host_ctx.current_partition = p;
        sy_status st = b->ref.vt->compile(b->instance, &part->subgraph, &part->kernel, &part->info);
        if (st == SY_OK) continue;
        part->kernel = NULL;
        const sy_node_info *first = &rt->g->nodes[P->nodes[0]];
        sy_error_prefix(st, "backend '%s' (%s) failed to compile partition #%u (%u nodes from node '%s')",
                        b->ref.vt->name, b->ref.origin, p, P->n_nodes, first->name);
        if (rt->policy == SY_POLICY_STRICT || backend_required(b->ref.vt->name)) return st;
        SY_TRY(note(rt, "fallback: %s; its nodes move to the next backend (policy 'fallback')", sy_last_error()));
        *failed = p;
        return SY_OK;
    }
    return SY_OK;
}

static sy_status partition_and_compile(sy_runtime *rt, const sy_config *cfg) {
    uint32_t nb = rt->n_backends, nn = rt->g->n_nodes;
    sy_part_backend *pb = sy_calloc(nb + 1, sizeof *pb);
    uint8_t *banned = sy_calloc((size_t)(nn ? nn : 1) * nb + 1, 1);
    sy_status st = pb && banned ? SY_OK : sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t b = 0; b < nb && st == SY_OK; b++) {
        sy_rt_backend *be = &rt->backends[b];
        pb[b] = (sy_part_backend){be->ref.vt->name, be->available && be->instance, be->reason, supports_adapter, be};
    }
    for (uint32_t attempt = 0; st == SY_OK; attempt++) {
        st = sy_partition_graph(rt->g, pb, nb, cfg->rules, cfg->n_rules, banned,
                                "its partition failed to compile here (see notes)", &rt->plan);
        uint32_t failed = UINT32_MAX;
        if (st == SY_OK) st = compile_parts(rt, &failed);
        if (st != SY_OK || failed == UINT32_MAX) break;
        sy_partition *P = &rt->plan.partitions[failed];
        for (uint32_t k = 0; k < P->n_nodes; k++) banned[(size_t)P->nodes[k] * nb + P->backend] = 1;
        release_parts(rt);
        if (attempt > nn + nb) st = sy_error_set(SY_ERR_INTERNAL, "fallback did not converge");
    }
    sy_free(pb);
    sy_free(banned);
    return st;
}

// --- memory ---

// Host memory of the values the caller and the program see: constants point into the program,
// inputs, outputs and states get their own zeroed buffers (with read padding).
static sy_status bind_host_values(sy_runtime *rt) {
    const sy_graph_view *g = rt->g;
    for (uint32_t v = 0; v < g->n_values; v++) {
        const sy_value_info *vi = &g->values[v];
        sy_value_desc_tensor(g, v, NULL, &rt->shapes[v]);
        if (vi->role == SY_ROLE_INTERMEDIATE) rt->naive_bytes += vi->nbytes;
        if (vi->role == SY_ROLE_CONSTANT) {
            rt->value_data[v] = (void *)vi->data;
        } else if (vi->role == SY_ROLE_INPUT || vi->role == SY_ROLE_OUTPUT || vi->role == SY_ROLE_STATE) {
            rt->owned[v] = sy_aligned_alloc(vi->nbytes + SY_READ_PADDING, SY_ARENA_ALIGN);
            SY_CHECK(rt->owned[v], SY_ERR_OUT_OF_MEMORY, "out of memory for value '%s' (%zu bytes)", vi->name,
                     vi->nbytes);
            memset(rt->owned[v], 0, vi->nbytes + SY_READ_PADDING);
            rt->value_data[v] = rt->owned[v];
            if (vi->role == SY_ROLE_STATE) rt->state_bytes += vi->nbytes;
        }
    }
    return SY_OK;
}

// Intermediates crossing partitions live in the arena from their producer's step to their last
// reader's step; each partition's scratch lives during its own step. req_value: the value id,
// or UINT32_MAX - p for partition p's scratch. Returns the number of requests.
static uint32_t arena_requests(const sy_runtime *rt, sy_mem_request *req, uint32_t *req_value) {
    const sy_graph_view *g = rt->g;
    uint32_t np = rt->plan.n_partitions, nr = 0;
    for (uint32_t p = 0; p < np; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        for (uint32_t k = 0; k < P->n_outputs; k++) {
            uint32_t v = P->outputs[k];
            if (g->values[v].role != SY_ROLE_INTERMEDIATE) continue;
            uint32_t last = p;
            for (uint32_t q = p + 1; q < np; q++)
                for (uint32_t i = 0; i < rt->plan.partitions[q].n_inputs; i++)
                    if (rt->plan.partitions[q].inputs[i] == v) last = q;
            req[nr] = (sy_mem_request){g->values[v].nbytes, p, last};
            req_value[nr++] = v;
        }
        req[nr] = (sy_mem_request){rt->parts[p].info.scratch_bytes, p, p};
        req_value[nr++] = UINT32_MAX - p;
    }
    return nr;
}

// Allocates the arena, places the planned requests in it, and points every partition's exec
// tensors at their host memory once.
static sy_status place_arena(sy_runtime *rt, const size_t *offsets, const uint32_t *req_value, uint32_t nr) {
    uint32_t nv = rt->g->n_values;
    rt->arena = sy_aligned_alloc(rt->arena_bytes + SY_READ_PADDING, SY_ARENA_ALIGN);
    SY_CHECK(rt->arena, SY_ERR_OUT_OF_MEMORY, "out of memory for the %zu-byte arena", rt->arena_bytes);
    for (uint32_t r = 0; r < nr; r++) {
        if (req_value[r] >= nv) rt->parts[UINT32_MAX - req_value[r]].scratch_offset = offsets[r];
        else rt->value_data[req_value[r]] = rt->arena + offsets[r];
    }
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        for (uint32_t k = 0; k < P->n_inputs; k++) rt->parts[p].inputs[k].data = rt->value_data[P->inputs[k]];
        for (uint32_t k = 0; k < P->n_outputs; k++) rt->parts[p].outputs[k].data = rt->value_data[P->outputs[k]];
        for (uint32_t k = 0; k < P->n_states; k++) rt->parts[p].states[k].data = rt->value_data[P->states[k]];
    }
    return SY_OK;
}

static sy_status plan_memory(sy_runtime *rt) {
    uint32_t nv = rt->g->n_values, np = rt->plan.n_partitions;
    rt->value_data = sy_calloc(nv + 1, sizeof(void *));
    rt->owned = sy_calloc(nv + 1, sizeof(void *));
    rt->shapes = sy_calloc(nv + 1, sizeof(sy_tensor));
    rt->input_set = sy_calloc(nv + 1, 1);
    sy_mem_request *req = sy_calloc(nv + np + 1, sizeof *req);
    size_t *offsets = sy_calloc(nv + np + 1, sizeof *offsets);
    uint32_t *req_value = sy_calloc(nv + np + 1, sizeof *req_value);
    sy_status st = SY_OK;
    if (!rt->value_data || !rt->owned || !rt->shapes || !rt->input_set || !req || !offsets || !req_value)
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory planning memory");
    if (st == SY_OK) st = bind_host_values(rt);
    uint32_t nr = st == SY_OK ? arena_requests(rt, req, req_value) : 0;
    if (st == SY_OK) st = sy_plan_memory(req, nr, SY_ARENA_ALIGN, offsets, &rt->arena_bytes);
    if (st == SY_OK) st = place_arena(rt, offsets, req_value, nr);
    sy_free(req);
    sy_free(offsets);
    sy_free(req_value);
    return st;
}

// --- create / destroy ---

sy_status sy_runtime_create(const sy_program *program, const sy_config *config, sy_runtime **runtime_out) {
    SY_CHECK(program && runtime_out, SY_ERR_INVALID_ARGUMENT, "sy_runtime_create: NULL argument");
    sy_config *own_cfg = NULL;
    if (!config) {
        SY_TRY(sy_config_create(&own_cfg));
        config = own_cfg;
    }
    sy_runtime *rt = sy_calloc(1, sizeof *rt);
    if (!rt) {
        sy_config_destroy(own_cfg);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory creating a runtime");
    }
    rt->program = program;
    rt->policy = config->policy;
    sy_host_init(rt);
    sy_status st = sy_run_passes(sy_program_get_graph(program), &rt->passes);
    rt->g = &rt->passes.view;
    if (st == SY_OK) st = setup_backends(rt, config);
    if (st == SY_OK) st = partition_and_compile(rt, config);
    if (st == SY_OK) st = plan_memory(rt);
    sy_config_destroy(own_cfg);
    if (st != SY_OK) {
        sy_runtime_destroy(rt);
        return st;
    }
    *runtime_out = rt;
    return SY_OK;
}

void sy_runtime_destroy(sy_runtime *rt) {
    if (!rt) return;
    release_parts(rt);
    for (uint32_t b = 0; b < rt->n_backends; b++) {
        if (rt->backends[b].instance) rt->backends[b].ref.vt->destroy(rt->backends[b].instance);
        sy_free(rt->backends[b].options);
    }
    sy_free(rt->backends);
    sy_registry_release(rt->refs, rt->n_refs); // plugins close only after their instances are gone
    for (uint32_t i = 0; i < rt->n_option_strings; i++) sy_free(rt->option_strings[i]);
    sy_free(rt->option_strings);
    for (uint32_t v = 0; rt->owned && v < rt->g->n_values; v++) sy_free(rt->owned[v]);
    sy_free(rt->owned);
    sy_free(rt->value_data);
    sy_free(rt->shapes);
    sy_free(rt->input_set);
    sy_free(rt->arena);
    sy_free(rt->events);
    sy_free(rt->notes);
    sy_pass_result_free(&rt->passes);
    sy_free(rt);
}

// --- inputs and outputs ---

static const char *article(const char *noun) { return noun[0] && strchr("aeiou", noun[0]) ? "an" : "a"; }

static sy_status find_value(const sy_runtime *rt, const char *name, sy_role role, const char *what, uint32_t *out) {
    SY_CHECK(name, SY_ERR_INVALID_ARGUMENT, "%s name is NULL", what);
    for (uint32_t v = 0; v < rt->g->n_values; v++) {
        if (strcmp(rt->g->values[v].name, name) != 0) continue;
        const char *has = sy_role_name(rt->g->values[v].role);
        SY_CHECK(rt->g->values[v].role == role, SY_ERR_NOT_FOUND, "'%s' is %s %s, not %s %s", name, article(has), has,
                 article(what), what);
        *out = v;
        return SY_OK;
    }
    char names[512];
    sy_strbuf sb;
    sy_strbuf_init(&sb, names, sizeof names);
    for (uint32_t v = 0; v < rt->g->n_values; v++)
        if (rt->g->values[v].role == role)
            sy_strbuf_addf(&sb, "%s'%s'", sb.used ? ", " : "", rt->g->values[v].name);
    return sy_error_set(SY_ERR_NOT_FOUND, "the program has no %s named '%s' (it has: %s)", what, name,
                        sb.used ? names : "none");
}

/// The shape an input accepts, e.g. "[seq<=128,64]", in `buf`.
static const char *expected_shape(const sy_graph_view *g, const sy_value_info *vi, char *buf, size_t size) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, size);
    sy_strbuf_addf(&sb, "[");
    for (uint32_t i = 0; i < vi->rank; i++) {
        if (vi->sym[i] >= 0)
            sy_strbuf_addf(&sb, "%s%s<=%lld", i ? "," : "", g->symbols[vi->sym[i]].name, (long long)vi->dims[i]);
        else
            sy_strbuf_addf(&sb, "%s%lld", i ? "," : "", (long long)vi->dims[i]);
    }
    sy_strbuf_addf(&sb, "]");
    return buf;
}

sy_status sy_runtime_set_input(sy_runtime *rt, const char *name, const sy_tensor *t) {
    SY_CHECK(rt && t, SY_ERR_INVALID_ARGUMENT, "sy_runtime_set_input: NULL argument");
    uint32_t v;
    SY_TRY(find_value(rt, name, SY_ROLE_INPUT, "input", &v));
    const sy_value_info *vi = &rt->g->values[v];
    char got[96], want[1024]; // want: up to SY_MAX_RANK names of up to 255 bytes, cut if longer
    SY_CHECK(t->dtype == vi->dtype, SY_ERR_DTYPE, "input '%s': dtype %s given, the program expects %s", name,
             sy_dtype_name(t->dtype), sy_dtype_name(vi->dtype));
    SY_CHECK(t->rank <= SY_MAX_RANK, SY_ERR_SHAPE, "input '%s': rank %u given, the maximum is %d", name, t->rank,
             SY_MAX_RANK);
    int ok = t->rank == vi->rank;
    for (uint32_t i = 0; ok && i < vi->rank; i++)
        ok = vi->sym[i] >= 0 ? t->dims[i] >= 1 && t->dims[i] <= vi->dims[i] : t->dims[i] == vi->dims[i];
    SY_CHECK(ok, SY_ERR_SHAPE, "input '%s': shape %s given, the program expects %s", name,
             sy_format_dims(t->dims, t->rank, got, sizeof got), expected_shape(rt->g, vi, want, sizeof want));
    SY_CHECK(t->data || vi->nbytes == 0, SY_ERR_INVALID_ARGUMENT, "input '%s': data is NULL", name);
    size_t n = sy_tensor_nbytes(t);
    if (n) memcpy(rt->value_data[v], t->data, n);
    rt->shapes[v] = *t;
    rt->shapes[v].data = NULL;
    rt->input_set[v] = 1;
    return SY_OK;
}

/// Runs the data checks of the op records (token ids, cache positions, ...) for every node whose
/// checked inputs are all values the caller gave, before any partition runs, so a bad call
/// changes no state whatever the delegates do. Values made inside a partition are checked by
/// the delegate (through the host's check_node_data).
static sy_status check_input_data(const sy_runtime *rt) {
    const sy_graph_view *g = rt->g;
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        const sy_op_def *def = sy_op_get(node->op);
        if (!def || !def->record || !def->record->check_data) continue;
        uint32_t mask = def->record->data_inputs, first = UINT32_MAX;
        int from_caller = mask != 0;
        sy_tensor in[16];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            uint32_t v = node->inputs[i];
            if (v == SY_NO_VALUE) {
                memset(&in[i], 0, sizeof in[i]);
                from_caller &= !(mask >> i & 1u);
                continue;
            }
            in[i] = rt->shapes[v];
            in[i].data = rt->value_data[v];
            if (!(mask >> i & 1u)) continue;
            from_caller &= g->values[v].role == SY_ROLE_INPUT;
            if (first == UINT32_MAX) first = v;
        }
        if (!from_caller) continue;
        sy_status st = sy_op_check_node_data(g, n, in);
        if (st != SY_OK) return sy_error_prefix(st, "input '%s'", g->values[first].name);
    }
    return SY_OK;
}

/// Binds symbols from the inputs' shapes and infers every node's output shapes for this call.
static sy_status resolve_shapes(sy_runtime *rt) {
    const sy_graph_view *g = rt->g;
    int bound[SY_MAX_SYMBOLS] = {0};
    uint32_t binder[SY_MAX_SYMBOLS] = {0};
    for (uint32_t s = 0; s < g->n_symbols; s++) rt->symbols[s] = g->symbols[s].max;
    for (uint32_t v = 0; v < g->n_values; v++) {
        const sy_value_info *vi = &g->values[v];
        if (vi->role != SY_ROLE_INPUT) continue;
        SY_CHECK(rt->input_set[v], SY_ERR_INVALID_ARGUMENT, "input '%s' was not set before execute", vi->name);
        for (uint32_t i = 0; i < vi->rank; i++) {
            int32_t s = vi->sym[i];
            if (s < 0) continue;
            int64_t d = rt->shapes[v].dims[i];
            SY_CHECK(!bound[s] || rt->symbols[s] == d, SY_ERR_SHAPE,
                     "symbol '%s' is %lld in input '%s' but %lld in input '%s'", g->symbols[s].name,
                     (long long)rt->symbols[s], g->values[binder[s]].name, (long long)d, vi->name);
            bound[s] = 1;
            binder[s] = v;
            rt->symbols[s] = d;
        }
    }
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        const sy_node_info *node = &g->nodes[n];
        sy_tensor in[16], out[4];
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            if (node->inputs[i] == SY_NO_VALUE) memset(&in[i], 0, sizeof in[i]);
            else in[i] = rt->shapes[node->inputs[i]];
        }
        SY_TRY(sy_op_infer_node(g, n, in, out));
        for (uint32_t k = 0; k < node->n_outputs; k++) {
            uint32_t v = node->outputs[k];
            const sy_value_info *vi = &g->values[v];
            int ok = out[k].rank == vi->rank && out[k].dtype == vi->dtype;
            for (uint32_t i = 0; ok && i < vi->rank; i++) ok = out[k].dims[i] <= vi->dims[i];
            SY_CHECK(ok, SY_ERR_SHAPE, "node '%s' would produce '%s' larger than its planned bound", node->name, vi->name);
            out[k].data = NULL;
            rt->shapes[v] = out[k];
        }
    }
    return SY_OK;
}

static void fill_tensors(const sy_runtime *rt, sy_tensor *tensors, const uint32_t *ids, uint32_t n) {
    for (uint32_t k = 0; k < n; k++) {
        void *data = tensors[k].data;
        tensors[k] = rt->shapes[ids[k]];
        tensors[k].data = data;
    }
}

sy_status sy_runtime_execute(sy_runtime *rt) {
    SY_CHECK(rt, SY_ERR_INVALID_ARGUMENT, "sy_runtime_execute: runtime is NULL");
    SY_TRY(resolve_shapes(rt));
    SY_TRY(check_input_data(rt));
    rt->last_copy_bytes = 0;
    rt->last_device_copy_bytes = 0;
    rt->n_events = 0;
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        sy_rt_part *part = &rt->parts[p];
        sy_rt_backend *b = &rt->backends[P->backend];
        fill_tensors(rt, part->inputs, P->inputs, P->n_inputs);
        fill_tensors(rt, part->outputs, P->outputs, P->n_outputs);
        fill_tensors(rt, part->states, P->states, P->n_states);
        for (uint32_t k = 0; k < P->n_inputs; k++)
            if (rt->g->values[P->inputs[k]].role == SY_ROLE_INTERMEDIATE) rt->last_copy_bytes += sy_tensor_nbytes(&part->inputs[k]);
        sy_exec_args args = {
            .struct_size = sizeof args, .n_inputs = P->n_inputs, .n_outputs = P->n_outputs, .n_states = P->n_states,
            .inputs = part->inputs, .outputs = part->outputs, .states = part->states,
            .scratch = rt->arena + part->scratch_offset, .symbols = rt->symbols,
            .copy_bytes_out = &rt->last_device_copy_bytes,
        };
        rt->host_ctx.current_partition = p;
        uint64_t t0 = sy_now_ns();
        part->last_begin_ns = t0;
        sy_error_clear();
        sy_status st = b->ref.vt->execute(b->instance, part->kernel, &args);
        part->last_ns = sy_now_ns() - t0;
        part->total_ns += part->last_ns;
        if (st != SY_OK)
            return sy_error_prefix(st, "partition #%u (%s) failed", p, b->ref.vt->name);
    }
    rt->n_executes++;
    return SY_OK;
}

sy_status sy_runtime_get_output(sy_runtime *rt, const char *name, sy_tensor *out) {
    SY_CHECK(rt && out, SY_ERR_INVALID_ARGUMENT, "sy_runtime_get_output: NULL argument");
    uint32_t v;
    SY_TRY(find_value(rt, name, SY_ROLE_OUTPUT, "output", &v));
    SY_CHECK(rt->n_executes > 0, SY_ERR_INVALID_ARGUMENT, "output '%s' is not available before the first execute", name);
    *out = rt->shapes[v];
    out->data = rt->value_data[v];
    return SY_OK;
}

/// The partition that owns state v (keeps it resident), or UINT32_MAX.
static uint32_t state_owner(const sy_runtime *rt, uint32_t v, uint32_t *index) {
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        const sy_partition *P = &rt->plan.partitions[p];
        for (uint32_t k = 0; k < P->n_states; k++)
            if (P->states[k] == v && P->owns_state[k]) {
                *index = k;
                return p;
            }
    }
    return UINT32_MAX;
}

sy_status sy_runtime_read_state(sy_runtime *rt, const char *name, sy_tensor *out) {
    SY_CHECK(rt && out && out->data, SY_ERR_INVALID_ARGUMENT, "sy_runtime_read_state: NULL argument");
    uint32_t v, k = 0;
    SY_TRY(find_value(rt, name, SY_ROLE_STATE, "state", &v));
    const sy_tensor *s = &rt->shapes[v];
    int same = out->dtype == s->dtype && out->rank == s->rank;
    for (uint32_t i = 0; same && i < s->rank; i++) same = out->dims[i] == s->dims[i];
    char a[96], b[96];
    SY_CHECK(same, SY_ERR_SHAPE, "state '%s' is %s %s; the destination is %s %s", name, sy_dtype_name(s->dtype),
             sy_format_dims(s->dims, s->rank, a, sizeof a), sy_dtype_name(out->dtype),
             sy_format_dims(out->dims, out->rank, b, sizeof b));
    uint32_t p = state_owner(rt, v, &k);
    if (p != UINT32_MAX) {
        sy_rt_backend *be = &rt->backends[rt->plan.partitions[p].backend];
        if (SY_DELEGATE_HAS(be->ref.vt, read_state)) return be->ref.vt->read_state(be->instance, rt->parts[p].kernel, k, out);
    }
    memcpy(out->data, rt->value_data[v], rt->g->values[v].nbytes);
    return SY_OK;
}

sy_status sy_runtime_reset_state(sy_runtime *rt) {
    SY_CHECK(rt, SY_ERR_INVALID_ARGUMENT, "sy_runtime_reset_state: runtime is NULL");
    for (uint32_t v = 0; v < rt->g->n_values; v++)
        if (rt->g->values[v].role == SY_ROLE_STATE) memset(rt->value_data[v], 0, rt->g->values[v].nbytes);
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) {
        sy_rt_backend *be = &rt->backends[rt->plan.partitions[p].backend];
        if (SY_DELEGATE_HAS(be->ref.vt, reset_state)) SY_TRY(be->ref.vt->reset_state(be->instance, rt->parts[p].kernel));
    }
    return SY_OK;
}

sy_status sy_runtime_get_stats(const sy_runtime *rt, sy_runtime_stats *out) {
    SY_CHECK(rt && out, SY_ERR_INVALID_ARGUMENT, "sy_runtime_get_stats: NULL argument");
    memset(out, 0, sizeof *out);
    out->n_partitions = rt->plan.n_partitions;
    out->arena_bytes = rt->arena_bytes;
    out->naive_bytes = rt->naive_bytes;
    out->state_bytes = rt->state_bytes;
    out->last_copy_bytes = rt->last_copy_bytes;
    out->n_executes = rt->n_executes;
    out->last_device_copy_bytes = rt->last_device_copy_bytes;
    for (uint32_t p = 0; p < rt->plan.n_partitions; p++) out->packed_bytes += rt->parts[p].info.packed_bytes;
    return SY_OK;
}

sy_status sy_runtime_set_profiling(sy_runtime *rt, int on) {
    SY_CHECK(rt, SY_ERR_INVALID_ARGUMENT, "sy_runtime_set_profiling: runtime is NULL");
    if (on && !rt->events) {
        rt->events = sy_calloc(SY_MAX_PROFILE_EVENTS, sizeof *rt->events);
        SY_CHECK(rt->events, SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rt->profiling = on;
    return SY_OK;
}
