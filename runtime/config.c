#include "runtime/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/nameset.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "runtime/registry.h"

static char default_csv[256];
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void build_default_backends(void) {
    // Every built-in delegate except those that are opt-in (vulkan: on a machine without a
    // GPU it would run on a software driver; ask for it by name).
    sy_strbuf sb;
    sy_strbuf_init(&sb, default_csv, sizeof default_csv);
    for (const sy_delegate *const *d = sy_builtin_delegates; *d; d++) {
        if (strcmp((*d)->name, "vulkan") == 0 || strcmp((*d)->name, "portable") == 0) continue;
        sy_strbuf_addf(&sb, "%s,", (*d)->name);
    }
    sy_strbuf_addf(&sb, "portable");
}

const char *sy_config_default_backends(void) {
    // Built once: configs may be created from several threads at once (issue 15, item 5: a
    // lazily filled static list let one thread read another's half-written string).
    pthread_once(&default_once, build_default_backends);
    return default_csv;
}

static void free_list(char **list, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) sy_free(list[i]);
    sy_free(list);
}

sy_status sy_config_create(sy_config **config_out) {
    SY_CHECK(config_out, SY_ERR_INVALID_ARGUMENT, "sy_config_create: config_out is NULL");
    sy_config *c = sy_calloc(1, sizeof *c);
    SY_CHECK(c, SY_ERR_OUT_OF_MEMORY, "out of memory creating a config");
    c->policy = SY_POLICY_FALLBACK;
    sy_status st = sy_config_set_backends(c, sy_config_default_backends());
    if (st != SY_OK) {
        sy_config_destroy(c);
        return st;
    }
    *config_out = c;
    return SY_OK;
}

void sy_config_destroy(sy_config *c) {
    if (!c) return;
    free_list(c->backends, c->n_backends);
    sy_free(c->backends_csv);
    for (uint32_t i = 0; i < c->n_options; i++) {
        sy_free(c->options[i].backend);
        sy_free(c->options[i].key);
        sy_free(c->options[i].value);
    }
    sy_free(c->options);
    for (uint32_t i = 0; i < c->n_rules; i++) {
        sy_free((void *)c->rules[i].match);
        sy_free((void *)c->rules[i].backend);
    }
    sy_free(c->rules);
    free_list(c->plugins, c->n_plugins);
    sy_free(c);
}

#define SY_BACKEND_NAME_MAX 63

static int valid_backend_name(const char *s, size_t n) {
    if (n == 0 || n > SY_BACKEND_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

sy_status sy_config_set_backends(sy_config *c, const char *csv) {
    SY_CHECK(c && csv, SY_ERR_INVALID_ARGUMENT, "sy_config_set_backends: NULL argument");
    uint32_t n = 0;
    char **list = sy_calloc(strlen(csv) / 2 + 2, sizeof(char *));
    char *joined = sy_malloc(strlen(csv) + 1);
    if (!list || !joined) {
        sy_free(list);
        sy_free(joined);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    joined[0] = '\0';
    const char *p = csv;
    sy_status st = SY_OK;
    while (st == SY_OK) {
        while (*p == ' ') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        size_t len = (size_t)(end - p);
        while (len && p[len - 1] == ' ') len--;
        if (len > SY_BACKEND_NAME_MAX) {
            st = sy_error_set(SY_ERR_CONFIG, "backend list: '%.40s...' is %zu bytes long; backend names have at most %d",
                              p, len, SY_BACKEND_NAME_MAX);
            break;
        }
        if (!valid_backend_name(p, len)) {
            st = sy_error_set(SY_ERR_CONFIG,
                              "backend list '%s': '%.*s' is not a backend name (lower-case letters, "
                              "digits, '_' or '-')", csv, (int)len, p);
            break;
        }
        for (uint32_t i = 0; i < n && st == SY_OK; i++)
            if (strlen(list[i]) == len && strncmp(list[i], p, len) == 0)
                st = sy_error_set(SY_ERR_CONFIG, "backend list '%s' names '%.*s' twice", csv, (int)len, p);
        if (st != SY_OK) break;
        list[n] = sy_malloc(len + 1);
        if (!list[n]) { st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory"); break; }
        memcpy(list[n], p, len);
        list[n][len] = '\0';
        if (n) strcat(joined, ",");
        strcat(joined, list[n]);
        n++;
        if (!*end) break;
        p = end + 1;
    }
    if (st != SY_OK) {
        free_list(list, n);
        sy_free(joined);
        return st;
    }
    free_list(c->backends, c->n_backends);
    sy_free(c->backends_csv);
    c->backends = list;
    c->n_backends = n;
    c->backends_csv = joined;
    return SY_OK;
}

const char *sy_config_get_backends(const sy_config *c) { return c ? c->backends_csv : ""; }

sy_status sy_config_set_option(sy_config *c, const char *backend, const char *key, const char *value) {
    SY_CHECK(c && backend && key && value, SY_ERR_INVALID_ARGUMENT, "sy_config_set_option: NULL argument");
    SY_CHECK(valid_backend_name(backend, strlen(backend)) && key[0], SY_ERR_CONFIG,
             "option '%s' for backend '%s': bad backend name or empty key", key, backend);
    for (uint32_t i = 0; i < c->n_options; i++) {
        if (strcmp(c->options[i].backend, backend) == 0 && strcmp(c->options[i].key, key) == 0) {
            char *v = sy_strdup(value);
            SY_CHECK(v, SY_ERR_OUT_OF_MEMORY, "out of memory");
            sy_free(c->options[i].value);
            c->options[i].value = v;
            return SY_OK;
        }
    }
    sy_config_option *opts = sy_realloc(c->options, sizeof *opts * c->n_options, sizeof *opts * (c->n_options + 1));
    SY_CHECK(opts, SY_ERR_OUT_OF_MEMORY, "out of memory");
    c->options = opts;
    sy_config_option o = {sy_strdup(backend), sy_strdup(key), sy_strdup(value)};
    if (!o.backend || !o.key || !o.value) {
        sy_free(o.backend);
        sy_free(o.key);
        sy_free(o.value);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    c->options[c->n_options++] = o;
    return SY_OK;
}

sy_status sy_config_add_rule(sy_config *c, sy_rule_kind kind, const char *match, const char *backend) {
    SY_CHECK(c && match && backend, SY_ERR_INVALID_ARGUMENT, "sy_config_add_rule: NULL argument");
    SY_CHECK(kind == SY_RULE_PIN || kind == SY_RULE_FORBID, SY_ERR_CONFIG, "rule '%s': unknown kind %d",
             match, (int)kind);
    SY_CHECK(match[0], SY_ERR_CONFIG, "a rule needs a non-empty match");
    if (strncmp(match, "op:", 3) == 0)
        SY_CHECK(sy_op_from_name(match + 3) != SY_OP_COUNT, SY_ERR_CONFIG,
                 "rule '%s': unknown op '%s' (docs/OPS.md lists the ops)", match, match + 3);
    SY_CHECK(valid_backend_name(backend, strlen(backend)), SY_ERR_CONFIG, "rule '%s': bad backend name '%s'",
             match, backend);
    sy_part_rule *rules = sy_realloc(c->rules, sizeof *rules * c->n_rules, sizeof *rules * (c->n_rules + 1));
    SY_CHECK(rules, SY_ERR_OUT_OF_MEMORY, "out of memory");
    c->rules = rules;
    sy_part_rule r = {kind, sy_strdup(match), sy_strdup(backend)};
    if (!r.match || !r.backend) {
        sy_free((void *)r.match);
        sy_free((void *)r.backend);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    c->rules[c->n_rules++] = r;
    return SY_OK;
}

sy_status sy_config_add_plugin(sy_config *c, const char *path) {
    SY_CHECK(c && path && path[0], SY_ERR_INVALID_ARGUMENT, "sy_config_add_plugin: empty path");
    char **list = sy_realloc(c->plugins, sizeof(char *) * c->n_plugins, sizeof(char *) * (c->n_plugins + 1));
    SY_CHECK(list, SY_ERR_OUT_OF_MEMORY, "out of memory");
    c->plugins = list;
    SY_CHECK((list[c->n_plugins] = sy_strdup(path)), SY_ERR_OUT_OF_MEMORY, "out of memory");
    c->n_plugins++;
    return SY_OK;
}

void sy_config_set_policy(sy_config *c, sy_policy policy) {
    if (c) c->policy = policy;
}

sy_status sy_config_apply_env(sy_config *c) {
    SY_CHECK(c, SY_ERR_INVALID_ARGUMENT, "sy_config_apply_env: config is NULL");
    const char *env = getenv("SWITCHYARD_BACKENDS");
    if (env && env[0]) {
        sy_status st = sy_config_set_backends(c, env);
        if (st != SY_OK) return sy_error_prefix(st, "SWITCHYARD_BACKENDS");
    }
    return SY_OK;
}

// --- JSON ---

/// While sy_config_load_file parses a file: its folder, so relative plugin paths resolve
/// against the config file rather than the working directory.
static _Thread_local const char *parse_base_dir;

static sy_status add_plugin_from_json(sy_config *c, const char *path) {
    SY_CHECK(path[0], SY_ERR_CONFIG, "a plugin path is empty");
    if (!parse_base_dir || path[0] == '/') return sy_config_add_plugin(c, path);
    char full[4096];
    SY_CHECK((size_t)snprintf(full, sizeof full, "%s/%s", parse_base_dir, path) < sizeof full, SY_ERR_CONFIG,
             "plugin path '%s' is too long", path);
    return sy_config_add_plugin(c, full);
}

static const char *json_type_name(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    if (cJSON_IsNull(j)) return "null";
    return "invalid";
}

/// Renders a scalar option value as text ("4", "0.5", "true", "name").
static sy_status option_text(const cJSON *v, char *buf, size_t size, const char *where) {
    if (cJSON_IsString(v)) {
        SY_CHECK(strlen(v->valuestring) < size, SY_ERR_CONFIG, "%s is longer than %zu bytes", where, size - 1);
        snprintf(buf, size, "%s", v->valuestring);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        // Integral values print as integers; the range test comes first, since casting a double
        // outside long long's range (1e300) is undefined.
        double d = v->valuedouble;
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d) snprintf(buf, size, "%lld", (long long)d);
        else snprintf(buf, size, "%.17g", d);
    } else {
        return sy_error_set(SY_ERR_CONFIG, "%s must be a string, number or boolean, not %s", where, json_type_name(v));
    }
    return SY_OK;
}

/// Refuses an object that names one key twice (cJSON keeps both; only the first would count).
static sy_status unique_keys(const cJSON *obj, const char *origin, const char *where) {
    uint32_t n = 0;
    for (const cJSON *f = obj->child; f; f = f->next) n++;
    if (n < 2) return SY_OK;
    sy_nameset seen;
    SY_TRY(sy_nameset_init(&seen, n));
    sy_status st = SY_OK;
    for (const cJSON *f = obj->child; f && st == SY_OK; f = f->next)
        if (!sy_nameset_add(&seen, f->string, 0, NULL))
            st = sy_error_set(SY_ERR_CONFIG, "%s: %s names \"%s\" twice", origin, where, f->string);
    sy_nameset_deinit(&seen);
    return st;
}

static sy_status parse_string_array(const cJSON *arr, const char *origin, const char *field,
                                    sy_status (*add)(sy_config *, const char *), sy_config *c) {
    SY_CHECK(cJSON_IsArray(arr), SY_ERR_CONFIG, "%s: \"%s\" must be an array of strings, not %s", origin,
             field, json_type_name(arr));
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        SY_CHECK(cJSON_IsString(e), SY_ERR_CONFIG, "%s: \"%s\"[%d] must be a string, not %s", origin, field,
                 i, json_type_name(e));
        sy_status st = add(c, e->valuestring);
        if (st != SY_OK) return sy_error_prefix(st, "%s: \"%s\"[%d]", origin, field, i);
    }
    return SY_OK;
}

static sy_status append_backend_csv(char *csv, size_t size, const cJSON *arr, const char *origin) {
    sy_strbuf sb;
    sy_strbuf_init(&sb, csv, size);
    int i = 0;
    SY_CHECK(cJSON_IsArray(arr) || cJSON_IsString(arr), SY_ERR_CONFIG,
             "%s: \"backends\" must be an array of names or a \"a,b\" string, not %s", origin, json_type_name(arr));
    if (cJSON_IsString(arr)) {
        SY_CHECK(strlen(arr->valuestring) < size, SY_ERR_CONFIG, "%s: \"backends\" is too long (%zu bytes at most)",
                 origin, size - 1);
        snprintf(csv, size, "%s", arr->valuestring);
        return SY_OK;
    }
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        SY_CHECK(cJSON_IsString(e), SY_ERR_CONFIG, "%s: \"backends\"[%d] must be a string, not %s", origin, i,
                 json_type_name(e));
        sy_strbuf_addf(&sb, "%s%s", i ? "," : "", e->valuestring);
        SY_CHECK(!sb.cut, SY_ERR_CONFIG, "%s: \"backends\" is too long (%zu bytes at most)", origin, size - 1);
    }
    return SY_OK;
}

static sy_status parse_rules(sy_config *c, const cJSON *arr, const char *origin) {
    SY_CHECK(cJSON_IsArray(arr), SY_ERR_CONFIG, "%s: \"rules\" must be an array of objects, not %s", origin,
             json_type_name(arr));
    int i = 0;
    for (const cJSON *r = arr->child; r; r = r->next, i++) {
        SY_CHECK(cJSON_IsObject(r), SY_ERR_CONFIG, "%s: \"rules\"[%d] must be an object", origin, i);
        char where[32];
        snprintf(where, sizeof where, "\"rules\"[%d]", i);
        SY_TRY(unique_keys(r, origin, where));
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(r, "match");
        const cJSON *backend = cJSON_GetObjectItemCaseSensitive(r, "backend");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
        for (const cJSON *f = r->child; f; f = f->next)
            SY_CHECK(strcmp(f->string, "match") == 0 || strcmp(f->string, "backend") == 0 ||
                         strcmp(f->string, "kind") == 0,
                     SY_ERR_CONFIG, "%s: \"rules\"[%d]: unknown field \"%s\" (fields: match, backend, kind)",
                     origin, i, f->string);
        SY_CHECK(cJSON_IsString(match) && cJSON_IsString(backend), SY_ERR_CONFIG,
                 "%s: \"rules\"[%d] needs string fields \"match\" and \"backend\"", origin, i);
        sy_rule_kind k = SY_RULE_PIN;
        if (kind) {
            SY_CHECK(cJSON_IsString(kind) && (strcmp(kind->valuestring, "pin") == 0 ||
                                              strcmp(kind->valuestring, "forbid") == 0),
                     SY_ERR_CONFIG, "%s: \"rules\"[%d].kind must be \"pin\" or \"forbid\"", origin, i);
            k = strcmp(kind->valuestring, "pin") == 0 ? SY_RULE_PIN : SY_RULE_FORBID;
        }
        sy_status st = sy_config_add_rule(c, k, match->valuestring, backend->valuestring);
        if (st != SY_OK) return sy_error_prefix(st, "%s: \"rules\"[%d]", origin, i);
    }
    return SY_OK;
}

static sy_status parse_options(sy_config *c, const cJSON *obj, const char *origin) {
    SY_CHECK(cJSON_IsObject(obj), SY_ERR_CONFIG,
             "%s: \"options\" must be an object {\"backend\": {\"key\": value}}, not %s", origin,
             json_type_name(obj));
    SY_TRY(unique_keys(obj, origin, "\"options\""));
    for (const cJSON *b = obj->child; b; b = b->next) {
        SY_CHECK(cJSON_IsObject(b), SY_ERR_CONFIG, "%s: \"options\".\"%s\" must be an object, not %s", origin,
                 b->string, json_type_name(b));
        char obj_where[128];
        snprintf(obj_where, sizeof obj_where, "\"options\".\"%.64s\"", b->string);
        SY_TRY(unique_keys(b, origin, obj_where));
        for (const cJSON *o = b->child; o; o = o->next) {
            char where[256], text[256];
            snprintf(where, sizeof where, "%s: \"options\".\"%s\".\"%s\"", origin, b->string, o->string);
            SY_TRY(option_text(o, text, sizeof text, where));
            sy_status st = sy_config_set_option(c, b->string, o->string, text);
            if (st != SY_OK) return sy_error_prefix(st, "%s", where);
        }
    }
    return SY_OK;
}

/// Why cJSON refused `json`: too deeply nested (its limit), or malformed near a line.
static sy_status json_error(const char *json, const char *origin) {
    const char *at = cJSON_GetErrorPtr();
    int line = 1, depth = 0, max_depth = 0, in_string = 0;
    for (const char *p = json; at && p < at && *p; p++) {
        line += *p == '\n';
        if (in_string) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_string = 0;
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '[' || *p == '{') {
            if (++depth > max_depth) max_depth = depth;
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }
    if (max_depth >= CJSON_NESTING_LIMIT)
        return sy_error_set(SY_ERR_CONFIG, "%s: the JSON is nested deeper than %d levels (near line %d)", origin,
                            CJSON_NESTING_LIMIT, line);
    return sy_error_set(SY_ERR_CONFIG, "%s: malformed JSON near line %d: '%.20s'", origin, line, at ? at : "");
}

sy_status sy_config_parse_json(sy_config *c, const char *json, const char *origin) {
    SY_CHECK(c && json, SY_ERR_INVALID_ARGUMENT, "sy_config_parse_json: NULL argument");
    if (!origin) origin = "config";
    cJSON *root = cJSON_Parse(json);
    if (!root) return json_error(json, origin);
    sy_status st = SY_OK;
    if (!cJSON_IsObject(root))
        st = sy_error_set(SY_ERR_CONFIG, "%s: the config must be a JSON object, not %s", origin, json_type_name(root));
    else
        st = unique_keys(root, origin, "the config");
    for (const cJSON *f = st == SY_OK ? root->child : NULL; f && st == SY_OK; f = f->next) {
        if (strcmp(f->string, "backends") == 0) {
            char csv[1024];
            st = append_backend_csv(csv, sizeof csv, f, origin);
            if (st == SY_OK) {
                st = sy_config_set_backends(c, csv);
                if (st != SY_OK) st = sy_error_prefix(st, "%s: \"backends\"", origin);
            }
        } else if (strcmp(f->string, "options") == 0) {
            st = parse_options(c, f, origin);
        } else if (strcmp(f->string, "rules") == 0) {
            st = parse_rules(c, f, origin);
        } else if (strcmp(f->string, "plugins") == 0) {
            st = parse_string_array(f, origin, "plugins", add_plugin_from_json, c);
        } else if (strcmp(f->string, "policy") == 0) {
            if (cJSON_IsString(f) && strcmp(f->valuestring, "strict") == 0) c->policy = SY_POLICY_STRICT;
            else if (cJSON_IsString(f) && strcmp(f->valuestring, "fallback") == 0) c->policy = SY_POLICY_FALLBACK;
            else st = sy_error_set(SY_ERR_CONFIG, "%s: \"policy\" must be \"strict\" or \"fallback\"", origin);
        } else {
            st = sy_error_set(SY_ERR_CONFIG,
                              "%s: unknown field \"%s\" (known: backends, options, rules, plugins, policy)",
                              origin, f->string);
        }
    }
    cJSON_Delete(root);
    return st;
}

sy_status sy_config_load_file(sy_config *c, const char *path) {
    SY_CHECK(c && path, SY_ERR_INVALID_ARGUMENT, "sy_config_load_file: NULL argument");
    struct stat sb; // the type first: opening a FIFO for reading would block
    SY_CHECK(stat(path, &sb) == 0, SY_ERR_IO, "cannot open config '%s': %s", path, strerror(errno));
    SY_CHECK(S_ISREG(sb.st_mode), SY_ERR_IO, "cannot read config '%s': not a regular file", path);
    FILE *f = fopen(path, "rb");
    SY_CHECK(f, SY_ERR_IO, "cannot open config '%s': %s", path, strerror(errno));
    char *text = NULL;
    size_t size = 0, cap = 0;
    sy_status st = SY_OK;
    for (;;) {
        if (size + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > ((size_t)16 << 20)) { st = sy_error_set(SY_ERR_CONFIG, "config '%s' is larger than 16 MiB", path); break; }
            char *p = sy_realloc(text, cap, ncap);
            if (!p) { st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", path); break; }
            text = p;
            cap = ncap;
        }
        size_t got = fread(text + size, 1, 4096, f);
        size += got;
        if (got < 4096) break;
    }
    if (st == SY_OK && ferror(f)) st = sy_error_set(SY_ERR_IO, "cannot read config '%s'", path);
    fclose(f);
    if (st == SY_OK) {
        text[size] = '\0';
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        parse_base_dir = slash ? (dir[0] ? dir : "/") : ".";
        st = sy_config_parse_json(c, text, path);
        parse_base_dir = NULL;
    }
    sy_free(text);
    return st;
}
