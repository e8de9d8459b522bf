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

/// Resolves every delegate known under `config` (built-ins, then the config's plugins) into
/// *refs_out (sy_malloc'd; release with sy_registry_release). A plugin that fails to load is
/// an error naming its file unless `tolerate_plugin_errors`, when it is logged and skipped.
sy_status sy_registry_collect(const sy_config *config, int tolerate_plugin_errors,
                              sy_delegate_ref **refs_out, uint32_t *n_out);
void sy_registry_release(sy_delegate_ref *refs, uint32_t n);

/// Finds a delegate by name in refs; NULL when absent.
const sy_delegate_ref *sy_registry_find(const sy_delegate_ref *refs, uint32_t n, const char *name);

/// Checks a vtable a plugin (or the build) provides: sizes, versions, names, required members.
sy_status sy_delegate_validate(const sy_delegate *vt, const char *origin);

/// Whether the host may call the member at byte offset `offset` of size `size` of `vt`.
#define SY_DELEGATE_HAS(vt, member)                                                               \
    ((vt)->struct_size >= offsetof(sy_delegate, member) + sizeof((vt)->member) && (vt)->member)

/// Checks option values against the delegate's descriptors; an unknown key or a bad value is an
/// SY_ERR_CONFIG naming the backend, the key and what is accepted.
sy_status sy_delegate_check_options(const sy_delegate *vt, const sy_option *options, uint32_t n);

/// Availability with reason (defaults to available when the member is absent).
int sy_delegate_available(const sy_delegate *vt, char *reason, size_t size);
