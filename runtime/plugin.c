#include "runtime/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/status.h"
#include "runtime/registry.h"

#define SY_PLUGIN_MAX_DELEGATES 8

struct sy_plugin {
    void *handle;
    char *path;
    uint32_t refs;
    uint32_t n_delegates;
    const sy_delegate *delegates[SY_PLUGIN_MAX_DELEGATES];
};

static void default_log(void *host, sy_log_level level, const char *fmt, ...) {
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    sy_logv(level, fmt, ap);
    va_end(ap);
}

static sy_status default_error(void *host, sy_status status, const char *fmt, ...) {
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    sy_error_setv(status, fmt, ap);
    va_end(ap);
    return status;
}

static void *default_alloc(void *host, size_t size, size_t align) {
    (void)host;
    return sy_aligned_alloc(size, align < 16 ? 16 : align);
}

static void default_free(void *host, void *p) {
    (void)host;
    sy_free(p);
}

static const sy_host_api default_host = {
    .struct_size = sizeof(sy_host_api),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .log = default_log,
    .error = default_error,
    .alloc = default_alloc,
    .free = default_free,
};

const sy_host_api *sy_plugin_default_host(void) { return &default_host; }

sy_status sy_plugin_load(const char *path, sy_plugin **plugin_out) {
    SY_CHECK(path && plugin_out, SY_ERR_INVALID_ARGUMENT, "sy_plugin_load: NULL argument");
    struct stat sb;
    SY_CHECK(stat(path, &sb) == 0, SY_ERR_IO, "plugin '%s': %s", path, strerror(errno));
    SY_CHECK(S_ISREG(sb.st_mode), SY_ERR_IO, "plugin '%s': not a regular file", path);
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        return sy_error_set(SY_ERR_IO, "plugin '%s': cannot load it as a shared library: %s", path, e ? e : "?");
    }
    void *sym = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        const char *e = dlerror();
        dlclose(handle);
        return sy_error_set(SY_ERR_ABI, "plugin '%s': no entry symbol '%s' (declare it with SY_PLUGIN_ENTRY): %s",
                            path, SY_PLUGIN_ENTRY_SYMBOL, e ? e : "?");
    }
    sy_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); // object pointer to function pointer, as POSIX allows
    sy_plugin_query q = {sizeof q, (SY_DELEGATE_ABI_MAJOR << 16), SY_DELEGATE_ABI_VERSION, &default_host};
    sy_plugin_answer a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    sy_error_clear();
    sy_status st = entry(&q, &a);
    if (st != SY_OK) {
        const char *why = sy_last_error()[0] ? sy_last_error() : "no message";
        sy_error_set(SY_ERR_ABI, "plugin '%s': entry point failed with %s: %s", path, sy_status_name(st), why);
    } else if ((a.abi_version >> 16) != SY_DELEGATE_ABI_MAJOR) {
        st = sy_error_set(SY_ERR_ABI, "plugin '%s' speaks delegate ABI %u.%u; this host speaks %d.0 to %d.%d", path,
                          a.abi_version >> 16, a.abi_version & 0xffffu, SY_DELEGATE_ABI_MAJOR,
                          SY_DELEGATE_ABI_MAJOR, SY_DELEGATE_ABI_MINOR);
    } else if (a.n_delegates == 0 || a.n_delegates > SY_PLUGIN_MAX_DELEGATES || !a.delegates) {
        st = sy_error_set(SY_ERR_ABI, "plugin '%s' answered %u delegates (expected 1 to %d)", path, a.n_delegates,
                          SY_PLUGIN_MAX_DELEGATES);
    }
    for (uint32_t i = 0; st == SY_OK && i < a.n_delegates; i++) {
        char origin[600];
        snprintf(origin, sizeof origin, "plugin '%s'", path);
        st = sy_delegate_validate(a.delegates[i], origin);
    }
    sy_plugin *p = NULL;
    if (st == SY_OK) {
        p = sy_calloc(1, sizeof *p);
        if (p) p->path = sy_strdup(path);
        if (!p || !p->path) {
            if (p) sy_free(p);
            p = NULL;
            st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory loading plugin '%s'", path);
        }
    }
    if (st != SY_OK) {
        dlclose(handle);
        return st;
    }
    p->handle = handle;
    p->refs = 1;
    p->n_delegates = a.n_delegates;
    for (uint32_t i = 0; i < a.n_delegates; i++) p->delegates[i] = a.delegates[i];
    *plugin_out = p;
    return SY_OK;
}

void sy_plugin_ref(sy_plugin *p) {
    if (p) p->refs++;
}

void sy_plugin_unref(sy_plugin *p) {
    if (!p || --p->refs > 0) return;
    dlclose(p->handle);
    sy_free(p->path);
    sy_free(p);
}

uint32_t sy_plugin_n_delegates(const sy_plugin *p) { return p->n_delegates; }
const sy_delegate *sy_plugin_delegate(const sy_plugin *p, uint32_t i) { return p->delegates[i]; }
const char *sy_plugin_path(const sy_plugin *p) { return p->path; }
