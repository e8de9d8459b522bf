// dladdr1 (the symbol's ELF entry, to check it is a function) is a GNU extension.
#define _GNU_SOURCE 1

#include "runtime/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/ops.h"
#include "core/status.h"
#include "runtime/registry.h"

#define SY_PLUGIN_MAX_DELEGATES 8

struct sy_plugin {
    void *handle; // from dlopen; dlclose'd with the last reference
    char *path;   // owned copy of the path given to sy_plugin_load
    uint32_t refs;
    uint32_t n_delegates;
    const sy_delegate *delegates[SY_PLUGIN_MAX_DELEGATES]; // static data inside the library
};

// --- loading ---

/// Checks what the entry point answered. `entry_status` is what it returned.
static sy_status check_answer(const char *path, sy_status entry_status, const sy_plugin_answer *a) {
    if (entry_status != SY_OK) {
        // Copy first: the plugin's message lives in the same buffer the new message goes to.
        char why[512];
        snprintf(why, sizeof why, "%s", sy_last_error()[0] ? sy_last_error() : "it gave no message");
        return sy_error_set(SY_ERR_DELEGATE, "plugin '%s': its entry point %s() failed with %s: %s", path,
                            SY_PLUGIN_ENTRY_SYMBOL, sy_status_name(entry_status), why);
    }
    uint32_t major = a->abi_version >> 16, minor = a->abi_version & 0xffffu;
    // A newer minor is accepted: members are only appended and the host reads only what it
    // knows, so a plugin built against a newer header of the same major still fits.
    SY_CHECK(major == SY_DELEGATE_ABI_MAJOR, SY_ERR_ABI,
             "plugin '%s' speaks delegate ABI %u.%u, which is too %s: this host speaks %d.0 to %d.%d "
             "(rebuild the plugin against this version's include/switchyard/delegate.h)",
             path, major, minor, major > SY_DELEGATE_ABI_MAJOR ? "new" : "old", SY_DELEGATE_ABI_MAJOR,
             SY_DELEGATE_ABI_MAJOR, SY_DELEGATE_ABI_MINOR);
    SY_CHECK(a->n_delegates >= 1 && a->n_delegates <= SY_PLUGIN_MAX_DELEGATES && a->delegates, SY_ERR_ABI,
             "plugin '%s' answered %u delegates%s (expected 1 to %d)", path, a->n_delegates,
             a->delegates ? "" : " and a NULL table", SY_PLUGIN_MAX_DELEGATES);
    char origin[600];
    snprintf(origin, sizeof origin, "plugin '%s'", path);
    for (uint32_t i = 0; i < a->n_delegates; i++) {
        SY_TRY(sy_delegate_validate(a->delegates[i], origin));
        for (uint32_t j = 0; j < i; j++)
            SY_CHECK(strcmp(a->delegates[i]->name, a->delegates[j]->name) != 0, SY_ERR_ABI,
                     "%s answers two delegates named '%s'", origin, a->delegates[i]->name);
    }
    return SY_OK;
}

/// Refuses an entry symbol that the library's symbol table marks as something other than a
/// function (a data object of that name would be "called" as code and crash the host).
static sy_status entry_is_function(const char *path, void *sym) {
    Dl_info info;
    const ElfW(Sym) *entry = NULL;
    if (!dladdr1(sym, &info, (void **)&entry, RTLD_DL_SYMENT) || !entry) return SY_OK; // nothing to go on
    unsigned type = ELF64_ST_TYPE(entry->st_info);
    if (type == STT_FUNC || type == STT_GNU_IFUNC) return SY_OK;
    const char *what = type == STT_OBJECT ? "a data object" : type == STT_TLS ? "a thread-local variable"
                       : type == STT_NOTYPE ? "a symbol of no type" : "not code";
    return sy_error_set(SY_ERR_ABI,
                        "plugin '%s': the entry symbol '%s' is not a function (%s); declare it with "
                        "SY_PLUGIN_ENTRY from switchyard/delegate.h",
                        path, SY_PLUGIN_ENTRY_SYMBOL, what);
}

sy_status sy_plugin_load(const char *path, sy_plugin **plugin_out) {
    SY_CHECK(path && path[0] && plugin_out, SY_ERR_INVALID_ARGUMENT, "sy_plugin_load: NULL or empty argument");
    struct stat sb;
    SY_CHECK(stat(path, &sb) == 0, SY_ERR_IO, "plugin '%s': cannot open it: %s", path, strerror(errno));
    SY_CHECK(S_ISREG(sb.st_mode), SY_ERR_IO, "plugin '%s': not a regular file", path);
    // dlopen searches the library path for a name without '/', but the user means the file
    // they named (the one stat just found), relative to the working directory.
    char local[4096];
    const char *open_path = path;
    if (!strchr(path, '/')) {
        snprintf(local, sizeof local, "./%s", path);
        open_path = local;
    }
    dlerror();
    void *handle = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        return sy_error_set(SY_ERR_IO, "plugin '%s': cannot load it as a shared library: %s", path,
                            e ? e : "dlopen gave no reason");
    }
    dlerror();
    void *sym = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        char why[512];
        const char *e = dlerror();
        snprintf(why, sizeof why, "%s", e ? e : "the symbol is NULL");
        dlclose(handle);
        return sy_error_set(SY_ERR_ABI,
                            "plugin '%s': no entry symbol '%s' (declare it with SY_PLUGIN_ENTRY from "
                            "switchyard/delegate.h): %s",
                            path, SY_PLUGIN_ENTRY_SYMBOL, why);
    }
    sy_status kind = entry_is_function(path, sym);
    if (kind != SY_OK) {
        dlclose(handle);
        return kind;
    }
    sy_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); // object pointer to function pointer, as POSIX allows
    sy_plugin_query q = {sizeof q, (uint32_t)SY_DELEGATE_ABI_MAJOR << 16, SY_DELEGATE_ABI_VERSION, sy_host_default()};
    sy_plugin_answer a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    sy_error_clear();
    sy_status st = check_answer(path, entry(&q, &a), &a);
    sy_plugin *p = NULL;
    if (st == SY_OK) {
        p = sy_calloc(1, sizeof *p);
        if (p) p->path = sy_strdup(path);
        if (!p || !p->path) {
            sy_free(p);
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

// --- discovery ---

void sy_plugin_free_list(char **files, uint32_t n) {
    for (uint32_t i = 0; files && i < n; i++) sy_free(files[i]);
    sy_free(files);
}

static int is_plugin_name(const char *name) {
    size_t n = strlen(name), np = strlen(SY_PLUGIN_FILE_PREFIX), ns = strlen(SY_PLUGIN_FILE_SUFFIX);
    return n > np + ns && strncmp(name, SY_PLUGIN_FILE_PREFIX, np) == 0 &&
           strcmp(name + n - ns, SY_PLUGIN_FILE_SUFFIX) == 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/// Appends the plugin files of directory `dir` (sorted) to *list.
static sy_status scan_dir(const char *dir, char ***list, uint32_t *n, uint32_t *cap) {
    DIR *d = opendir(dir);
    if (!d) {
        sy_log(SY_LOG_WARN, "%s: cannot read directory '%s': %s; skipped", SY_PLUGIN_PATH_ENV, dir, strerror(errno));
        return SY_OK;
    }
    uint32_t first = *n;
    sy_status st = SY_OK;
    for (struct dirent *e = readdir(d); e && st == SY_OK; e = readdir(d)) {
        if (!is_plugin_name(e->d_name)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = sy_malloc(len);
        if (!full) {
            st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory scanning '%s'", dir);
            break;
        }
        snprintf(full, len, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) { // follows links; skips dangling ones
            sy_free(full);
            continue;
        }
        if (*n == *cap) {
            uint32_t ncap = *cap ? *cap * 2 : 8;
            char **grown = sy_realloc(*list, sizeof(char *) * *cap, sizeof(char *) * ncap);
            if (!grown) {
                sy_free(full);
                st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory scanning '%s'", dir);
                break;
            }
            *list = grown;
            *cap = ncap;
        }
        (*list)[(*n)++] = full;
    }
    closedir(d);
    // Sorted, so the order (and which of two same-named plugins wins) never depends on the
    // file system's directory order.
    if (st == SY_OK && *n > first) qsort(*list + first, *n - first, sizeof(char *), compare_names);
    return st;
}

sy_status sy_plugin_find_files(const char *dirs, char ***files_out, uint32_t *n_out) {
    SY_CHECK(files_out && n_out, SY_ERR_INVALID_ARGUMENT, "sy_plugin_find_files: NULL argument");
    char **list = NULL;
    uint32_t n = 0, cap = 0;
    sy_status st = SY_OK;
    for (const char *p = dirs ? dirs : ""; *p && st == SY_OK;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) { // an empty entry ("a::b", a trailing ':') means nothing here
            char *dir = sy_malloc(len + 1);
            if (!dir) {
                st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory");
                break;
            }
            memcpy(dir, p, len);
            dir[len] = '\0';
            while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
            st = scan_dir(dir, &list, &n, &cap);
            sy_free(dir);
        }
        p += len;
        if (*p == ':') p++;
    }
    if (st != SY_OK) {
        sy_plugin_free_list(list, n);
        return st;
    }
    *files_out = list;
    *n_out = n;
    return SY_OK;
}
