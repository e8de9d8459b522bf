#include "runtime/registry.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "runtime/config.h"
#include "runtime/plugin.h"

static int value_ok(const sy_option_desc *d, const char *v);

sy_status sy_delegate_validate(const sy_delegate *vt, const char *origin) {
    SY_CHECK(vt, SY_ERR_ABI, "%s: the delegate vtable is NULL", origin);
    SY_CHECK(vt->struct_size >= offsetof(sy_delegate, release) + sizeof(vt->release), SY_ERR_ABI,
             "%s: the delegate vtable is %u bytes, too small for ABI %d.x (needs at least %zu)", origin,
             vt->struct_size, SY_DELEGATE_ABI_MAJOR, offsetof(sy_delegate, release) + sizeof(vt->release));
    SY_CHECK((vt->abi_version >> 16) == SY_DELEGATE_ABI_MAJOR, SY_ERR_ABI,
             "%s: the delegate was built for ABI %u.%u, this host speaks %d.x", origin, vt->abi_version >> 16,
             vt->abi_version & 0xffffu, SY_DELEGATE_ABI_MAJOR);
    SY_CHECK(vt->name && vt->name[0], SY_ERR_ABI, "%s: the delegate has no name", origin);
    for (const char *p = vt->name; *p; p++)
        SY_CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-', SY_ERR_ABI,
                 "%s: delegate name '%s' must use [a-z0-9_-]", origin, vt->name);
    const char *missing = !vt->create ? "create" : !vt->destroy ? "destroy" : !vt->supports ? "supports"
                          : !vt->compile ? "compile" : !vt->execute ? "execute" : !vt->release ? "release" : NULL;
    SY_CHECK(!missing, SY_ERR_ABI, "%s: delegate '%s' leaves the required member '%s' NULL", origin, vt->name,
             missing);
    SY_CHECK(vt->n_options == 0 || vt->options, SY_ERR_ABI, "%s: delegate '%s' declares %u options but no table",
             origin, vt->name, vt->n_options);
    SY_CHECK(vt->n_options <= 256, SY_ERR_ABI, "%s: delegate '%s' declares %u options (at most 256)", origin,
             vt->name, vt->n_options);
    // The option table is read when configs are checked and listed; a malformed entry is
    // refused now rather than crashing later.
    for (uint32_t i = 0; i < vt->n_options; i++) {
        const sy_option_desc *d = &vt->options[i];
        SY_CHECK(d->key && d->key[0], SY_ERR_ABI, "%s: delegate '%s' option #%u has no key", origin, vt->name, i);
        SY_CHECK(d->type >= SY_OPTION_INT && d->type <= SY_OPTION_STRING, SY_ERR_ABI,
                 "%s: delegate '%s' option '%s' has unknown type %d", origin, vt->name, d->key, (int)d->type);
        for (uint32_t j = 0; j < i; j++)
            SY_CHECK(strcmp(vt->options[j].key, d->key) != 0, SY_ERR_ABI,
                     "%s: delegate '%s' declares option '%s' twice", origin, vt->name, d->key);
        if (d->default_value && !value_ok(d, d->default_value)) {
            char accepted[256];
            sy_option_describe_accepted(d, accepted, sizeof accepted);
            return sy_error_set(SY_ERR_ABI, "%s: delegate '%s' option '%s' has default '%s', which is not %s",
                                origin, vt->name, d->key, d->default_value, accepted);
        }
    }
    return SY_OK;
}

int sy_delegate_available(const sy_delegate *vt, char *reason, size_t size) {
    if (size) reason[0] = '\0';
    if (!SY_DELEGATE_HAS(vt, available)) return 1;
    int ok = vt->available(reason, size);
    if (!ok && size && !reason[0]) snprintf(reason, size, "the delegate gave no reason");
    return ok;
}

const char *sy_option_type_name(sy_option_type type) {
    switch (type) {
    case SY_OPTION_INT: return "int";
    case SY_OPTION_FLOAT: return "float";
    case SY_OPTION_BOOL: return "bool";
    case SY_OPTION_STRING: return "string";
    }
    return "invalid";
}

void sy_option_describe_accepted(const sy_option_desc *d, char *buf, size_t size) {
    switch (d->type) {
    case SY_OPTION_INT:
        if (d->min <= d->max) snprintf(buf, size, "an integer in [%g, %g]", d->min, d->max);
        else snprintf(buf, size, "an integer");
        break;
    case SY_OPTION_FLOAT:
        if (d->min <= d->max) snprintf(buf, size, "a number in [%g, %g]", d->min, d->max);
        else snprintf(buf, size, "a number");
        break;
    case SY_OPTION_BOOL: snprintf(buf, size, "true or false"); break;
    default:
        if (d->choices) snprintf(buf, size, "one of: %s", d->choices);
        else snprintf(buf, size, "a string");
    }
}

static int value_ok(const sy_option_desc *d, const char *v) {
    char *end = NULL;
    // Numbers are taken as written: no space before (strtoll/strtod would skip it) or after.
    int spaced = isspace((unsigned char)v[0]);
    errno = 0;
    switch (d->type) {
    case SY_OPTION_INT: {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || spaced || errno == ERANGE) return 0;
        return d->min > d->max || ((double)x >= d->min && (double)x <= d->max);
    }
    case SY_OPTION_FLOAT: {
        double x = strtod(v, &end);
        if (!*v || *end || spaced || !isfinite(x)) return 0;
        return d->min > d->max || (x >= d->min && x <= d->max);
    }
    case SY_OPTION_BOOL:
        return !strcasecmp(v, "true") || !strcasecmp(v, "false") || !strcmp(v, "1") || !strcmp(v, "0");
    default:
        if (!d->choices) return 1;
        for (const char *p = d->choices; *p;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (strlen(v) == n && strncmp(p, v, n) == 0) return 1;
            if (!e) break;
            p = e + 1;
        }
        return 0;
    }
}

sy_status sy_delegate_check_options(const sy_delegate *vt, const sy_option *opts, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const sy_option_desc *d = NULL;
        for (uint32_t k = 0; k < vt->n_options && !d; k++)
            if (strcmp(vt->options[k].key, opts[i].key) == 0) d = &vt->options[k];
        if (!d) {
            char known[512];
            sy_strbuf sb;
            sy_strbuf_init(&sb, known, sizeof known);
            for (uint32_t k = 0; k < vt->n_options; k++) sy_strbuf_addf(&sb, "%s%s", k ? ", " : "", vt->options[k].key);
            return sy_error_set(SY_ERR_CONFIG, "backend '%s' has no option '%s' (options: %s)", vt->name,
                                opts[i].key, vt->n_options ? known : "none");
        }
        if (!value_ok(d, opts[i].value)) {
            char accepted[256];
            sy_option_describe_accepted(d, accepted, sizeof accepted);
            return sy_error_set(SY_ERR_CONFIG, "backend '%s' option '%s' = '%s' is invalid: expected %s", vt->name,
                                opts[i].key, opts[i].value, accepted);
        }
    }
    return SY_OK;
}

const sy_delegate_ref *sy_registry_find(const sy_delegate_ref *refs, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(refs[i].vt->name, name) == 0) return &refs[i];
    return NULL;
}

void sy_registry_release(sy_delegate_ref *refs, uint32_t n) {
    if (!refs) return;
    for (uint32_t i = 0; i < n; i++) sy_plugin_unref(refs[i].plugin);
    sy_free(refs);
}

void sy_registry_deinit(sy_registry *reg) {
    if (!reg) return;
    sy_registry_release(reg->refs, reg->n_refs);
    for (uint32_t i = 0; i < reg->n_failures; i++) {
        sy_free(reg->failures[i].path);
        sy_free(reg->failures[i].message);
    }
    sy_free(reg->failures);
    memset(reg, 0, sizeof *reg);
}

/// Records this thread's last error as the failure of plugin `path`.
static sy_status add_failure(sy_registry *reg, const char *path, sy_status status, int scanned) {
    sy_plugin_failure *f = sy_realloc(reg->failures, sizeof *f * reg->n_failures, sizeof *f * (reg->n_failures + 1));
    SY_CHECK(f, SY_ERR_OUT_OF_MEMORY, "out of memory");
    reg->failures = f;
    sy_plugin_failure x = {sy_strdup(path), sy_strdup(sy_last_error()), status, scanned};
    if (!x.path || !x.message) {
        sy_free(x.path);
        sy_free(x.message);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    }
    reg->failures[reg->n_failures++] = x;
    return SY_OK;
}

static sy_status add_ref(sy_registry *reg, uint32_t *cap, sy_delegate_ref ref) {
    if (reg->n_refs == *cap) {
        uint32_t ncap = *cap * 2 + 4;
        sy_delegate_ref *r = sy_realloc(reg->refs, sizeof *r * *cap, sizeof *r * ncap);
        SY_CHECK(r, SY_ERR_OUT_OF_MEMORY, "out of memory");
        reg->refs = r;
        *cap = ncap;
    }
    reg->refs[reg->n_refs++] = ref;
    return SY_OK;
}

/// Loads one plugin file into reg: all of its delegates or none. Load errors and name clashes
/// become failures; only running out of memory is returned.
static sy_status load_one(sy_registry *reg, uint32_t *cap, const char *path, int scanned) {
    sy_plugin *plugin = NULL;
    sy_status st = sy_plugin_load(path, &plugin);
    for (uint32_t d = 0; st == SY_OK && d < sy_plugin_n_delegates(plugin); d++) {
        const sy_delegate *vt = sy_plugin_delegate(plugin, d);
        const sy_delegate_ref *dup = sy_registry_find(reg->refs, reg->n_refs, vt->name);
        if (dup)
            st = sy_error_set(SY_ERR_CONFIG,
                              "plugin '%s': a backend named '%s' already exists (%s%s%s); backend names must "
                              "be unique, so this plugin is left out",
                              path, vt->name, dup->plugin ? "from plugin '" : "built in", dup->plugin ? dup->origin : "",
                              dup->plugin ? "'" : "");
    }
    if (st != SY_OK) {
        sy_plugin_unref(plugin);
        return st == SY_ERR_OUT_OF_MEMORY ? st : add_failure(reg, path, st, scanned);
    }
    for (uint32_t d = 0; st == SY_OK && d < sy_plugin_n_delegates(plugin); d++) {
        sy_plugin_ref(plugin); // each ref holds its own reference
        st = add_ref(reg, cap, (sy_delegate_ref){sy_plugin_delegate(plugin, d), sy_plugin_path(plugin), plugin});
        if (st != SY_OK) sy_plugin_unref(plugin);
    }
    sy_plugin_unref(plugin);
    return st;
}

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

sy_status sy_registry_load(const sy_config *config, sy_registry *reg) {
    SY_CHECK(reg, SY_ERR_INVALID_ARGUMENT, "sy_registry_load: reg is NULL");
    memset(reg, 0, sizeof *reg);
    uint32_t cap = 0;
    sy_status st = SY_OK;
    for (const sy_delegate *const *d = sy_builtin_delegates; *d && st == SY_OK; d++)
        st = add_ref(reg, &cap, (sy_delegate_ref){*d, "built-in", NULL});
    char **scanned = NULL;
    uint32_t n_scanned = 0, n_named = config ? config->n_plugins : 0;
    if (st == SY_OK) st = sy_plugin_find_files(getenv(SY_PLUGIN_PATH_ENV), &scanned, &n_scanned);
    file_id *seen = st == SY_OK ? sy_calloc(n_named + n_scanned + 1, sizeof *seen) : NULL;
    if (st == SY_OK && !seen) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
    uint32_t n_seen = 0;
    for (uint32_t i = 0; i < n_named + n_scanned && st == SY_OK; i++) {
        int is_scanned = i >= n_named;
        const char *path = is_scanned ? scanned[i - n_named] : config->plugins[i];
        // The same file named twice (config file and command line, or a named plugin that
        // also sits in a scanned directory) is one plugin, not a name clash with itself.
        struct stat sb;
        if (stat(path, &sb) == 0) {
            int dup = 0;
            for (uint32_t k = 0; k < n_seen && !dup; k++) dup = seen[k].dev == sb.st_dev && seen[k].ino == sb.st_ino;
            if (dup) continue;
            seen[n_seen++] = (file_id){sb.st_dev, sb.st_ino};
        }
        st = load_one(reg, &cap, path, is_scanned);
    }
    sy_free(seen);
    sy_plugin_free_list(scanned, n_scanned);
    if (st != SY_OK) sy_registry_deinit(reg);
    return st;
}

sy_status sy_registry_collect(const sy_config *config, int tolerate, sy_delegate_ref **refs_out, uint32_t *n_out) {
    SY_CHECK(refs_out && n_out, SY_ERR_INVALID_ARGUMENT, "sy_registry_collect: NULL argument");
    sy_registry reg;
    SY_TRY(sy_registry_load(config, &reg));
    for (uint32_t i = 0; i < reg.n_failures; i++) {
        if (!tolerate) {
            sy_status st = sy_error_set(reg.failures[i].status, "%s", reg.failures[i].message);
            sy_registry_deinit(&reg);
            return st;
        }
        sy_log(SY_LOG_WARN, "%s", reg.failures[i].message);
    }
    *refs_out = reg.refs;
    *n_out = reg.n_refs;
    reg.refs = NULL; // handed to the caller
    reg.n_refs = 0;
    sy_registry_deinit(&reg);
    return SY_OK;
}
