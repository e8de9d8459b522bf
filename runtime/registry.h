#pragma once

// The delegate registry: the built-in table (generated from the delegates CMake registered) and
// delegates loaded from plugins. Everything is looked up by backend name.

#include "switchyard/delegate.h"
#include "switchyard/switchyard.h"

/// Built-in delegates, NULL-terminated (runtime/builtins.c, generated).
extern const sy_delegate *const sy_builtin_delegates[];

typedef struct sy_plugin sy_plugin; // a loaded shared library (runtime/plugin.c)

/// A delegate the runtime can use, with where it came from.
typedef struct sy_delegate_ref {
    const sy_delegate *vt;
    const char *origin; // "built-in" or the plugin's path (borrowed from the plugin)
    sy_plugin *plugin;  // NULL for built-ins; a reference held until sy_registry_release
} sy_delegate_ref;

/// A plugin that failed to load while collecting.
typedef struct sy_plugin_failure {
    char *path;       // owned
    char *message;    // owned; names the file and the reason
    sy_status status; // what sy_plugin_load (or the duplicate check) returned
    int scanned;      // 1: found in SWITCHYARD_PLUGIN_PATH; 0: named by the config
} sy_plugin_failure;

/// Every delegate known under a config, and the plugins that failed to load.
typedef struct sy_registry {
    sy_delegate_ref *refs; // (n_refs) built-ins first, then plugins in load order
    uint32_t n_refs;
    sy_plugin_failure *failures; // (n_failures)
    uint32_t n_failures;
} sy_registry;

/// Fills *reg with the built-ins, then the config's plugins (config may be NULL), then the
/// plugins found in the SWITCHYARD_PLUGIN_PATH directories. The same file named twice (or named
/// and also found by the scan) loads once. A plugin that fails to load, or that brings a
/// backend name already taken, is recorded in reg->failures and left out whole; that is not an
/// error here (the caller applies its policy). Returns SY_ERR_OUT_OF_MEMORY only.
sy_status sy_registry_load(const sy_config *config, sy_registry *reg);
/// Releases everything in *reg (refs and failures) and zeroes it; accepts a zeroed registry.
void sy_registry_deinit(sy_registry *reg);

/// Resolves every delegate known under `config` (as sy_registry_load) into *refs_out
/// (sy_malloc'd; release with sy_registry_release). A plugin that fails to load is an error
/// naming its file unless `tolerate_plugin_errors`, when it is logged (warning) and skipped.
sy_status sy_registry_collect(const sy_config *config, int tolerate_plugin_errors,
                              sy_delegate_ref **refs_out, uint32_t *n_out);
/// Releases refs from sy_registry_collect (drops their plugin references); accepts NULL.
void sy_registry_release(sy_delegate_ref *refs, uint32_t n);

/// Finds a delegate by name in refs; NULL when absent.
const sy_delegate_ref *sy_registry_find(const sy_delegate_ref *refs, uint32_t n, const char *name);

/// Checks a vtable a plugin (or the build) provides: sizes, versions, names, required members,
/// and its option table (keys, types, defaults). Errors are SY_ERR_ABI and start with `origin`.
sy_status sy_delegate_validate(const sy_delegate *vt, const char *origin);

/// Whether the host may call vtable member `member`: the delegate's struct_size covers it and it
/// is not NULL.
#define SY_DELEGATE_HAS(vt, member)                                                               \
    ((vt)->struct_size >= offsetof(sy_delegate, member) + sizeof((vt)->member) && (vt)->member)

/// Checks option values against the delegate's descriptors; an unknown key or a bad value is an
/// SY_ERR_CONFIG naming the backend, the key and what is accepted.
sy_status sy_delegate_check_options(const sy_delegate *vt, const sy_option *options, uint32_t n);

/// Availability with reason (defaults to available when the member is absent).
int sy_delegate_available(const sy_delegate *vt, char *reason, size_t size);

/// What option `desc` accepts, in words ("an integer in [1, 64]", "one of: fast,exact").
void sy_option_describe_accepted(const sy_option_desc *desc, char *buf, size_t size);
/// Static name of an option type ("int", "float", "bool", "string"); "invalid" otherwise.
const char *sy_option_type_name(sy_option_type type);
