#include "runtime/registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/status.h"
#include "runtime/config.h"
#include "runtime/plugin.h"

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
    return SY_OK;
}

int sy_delegate_available(const sy_delegate *vt, char *reason, size_t size) {
    if (size) reason[0] = '\0';
    if (!SY_DELEGATE_HAS(vt, available)) return 1;
    int ok = vt->available(reason, size);
    if (!ok && size && !reason[0]) snprintf(reason, size, "the delegate gave no reason");
    return ok;
}

static void describe_accepted(const sy_option_desc *d, char *buf, size_t size) {
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
    switch (d->type) {
    case SY_OPTION_INT: {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end) return 0;
        return d->min > d->max || ((double)x >= d->min && (double)x <= d->max);
    }
    case SY_OPTION_FLOAT: {
        double x = strtod(v, &end);
        if (!*v || *end || !isfinite(x)) return 0;
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
            size_t used = 0;
            known[0] = '\0';
            for (uint32_t k = 0; k < vt->n_options && used < sizeof known; k++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", vt->options[k].key);
            return sy_error_set(SY_ERR_CONFIG, "backend '%s' has no option '%s' (options: %s)", vt->name,
                                opts[i].key, vt->n_options ? known : "none");
        }
        if (!value_ok(d, opts[i].value)) {
            char accepted[256];
            describe_accepted(d, accepted, sizeof accepted);
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

sy_status sy_registry_collect(const sy_config *config, int tolerate, sy_delegate_ref **refs_out,
                              uint32_t *n_out) {
    uint32_t n_builtin = 0;
    while (sy_builtin_delegates[n_builtin]) n_builtin++;
    uint32_t cap = n_builtin + (config ? config->n_plugins * 8 : 0) + 1, n = 0;
    sy_delegate_ref *refs = sy_calloc(cap, sizeof *refs);
    SY_CHECK(refs, SY_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < n_builtin; i++) refs[n++] = (sy_delegate_ref){sy_builtin_delegates[i], "built-in", NULL};
    for (uint32_t p = 0; config && p < config->n_plugins; p++) {
        sy_plugin *plugin = NULL;
        sy_status st = sy_plugin_load(config->plugins[p], &plugin);
        for (uint32_t d = 0; st == SY_OK && d < sy_plugin_n_delegates(plugin); d++) {
            const sy_delegate *vt = sy_plugin_delegate(plugin, d);
            const sy_delegate_ref *dup = sy_registry_find(refs, n, vt->name);
            if (dup) {
                st = sy_error_set(SY_ERR_CONFIG, "plugin '%s': a backend named '%s' already exists (from %s)",
                                  config->plugins[p], vt->name, dup->origin);
                break;
            }
            if (n == cap) {
                st = sy_error_set(SY_ERR_CONFIG, "plugin '%s' provides too many delegates", config->plugins[p]);
                break;
            }
            sy_plugin_ref(plugin);
            refs[n++] = (sy_delegate_ref){vt, sy_plugin_path(plugin), plugin};
        }
        sy_plugin_unref(plugin); // the refs hold their own references
        if (st != SY_OK) {
            if (!tolerate) {
                sy_registry_release(refs, n);
                return st;
            }
            sy_log(SY_LOG_WARN, "%s", sy_last_error());
        }
    }
    *refs_out = refs;
    *n_out = n;
    return SY_OK;
}
