#pragma once

// Delegates loaded from shared libraries with dlopen. A plugin exports one symbol,
// SY_PLUGIN_ENTRY_SYMBOL; the host offers the ABI range it speaks and takes back the plugin's
// chosen version and vtables (docs/DELEGATE_ABI.md). Every sy_plugin_load is its own dlopen
// handle with its own reference count; the dynamic loader counts handles across loads, so a
// library stays mapped until every runtime that loaded it has been destroyed.

#include "switchyard/delegate.h"

/// Environment variable: ':'-separated directories scanned for plugins.
#define SY_PLUGIN_PATH_ENV "SWITCHYARD_PLUGIN_PATH"
/// File names picked up in those directories: SY_PLUGIN_FILE_PREFIX "<name>" SY_PLUGIN_FILE_SUFFIX.
#define SY_PLUGIN_FILE_PREFIX "libswitchyard-delegate-"
#define SY_PLUGIN_FILE_SUFFIX ".so"

typedef struct sy_plugin sy_plugin;

/// Loads `path`, negotiates the ABI and validates every vtable. Errors name the file and the
/// reason (with dlerror text where relevant): SY_ERR_IO (missing, unreadable, not a shared
/// library), SY_ERR_ABI (no entry symbol, ABI mismatch, malformed vtable), SY_ERR_DELEGATE (the
/// entry point failed). *plugin_out holds one reference.
sy_status sy_plugin_load(const char *path, sy_plugin **plugin_out);
/// Adds a reference (not thread-safe: a plugin's references belong to one runtime).
void sy_plugin_ref(sy_plugin *plugin);
/// Drops a reference; the last one closes the library. Accepts NULL.
void sy_plugin_unref(sy_plugin *plugin);
uint32_t sy_plugin_n_delegates(const sy_plugin *plugin);
const sy_delegate *sy_plugin_delegate(const sy_plugin *plugin, uint32_t i);
/// The path the plugin was loaded from (borrowed, lives as long as the plugin).
const char *sy_plugin_path(const sy_plugin *plugin);
/// Host services for calls made outside any runtime (the entry point, `backends` listings):
/// the table a runtime offers, with profiling off. Static (runtime/host.c).
const sy_host_api *sy_host_default(void);

/// Lists the plugin files in the ':'-separated directory list `dirs` (SWITCHYARD_PLUGIN_PATH
/// syntax): directories in the given order, files sorted by name within each, only regular
/// files named SY_PLUGIN_FILE_PREFIX*SY_PLUGIN_FILE_SUFFIX. A directory that cannot be read is
/// logged (warning) and skipped. *files_out is sy_malloc'd (free with sy_plugin_free_list),
/// NULL when none. Returns SY_ERR_OUT_OF_MEMORY only.
sy_status sy_plugin_find_files(const char *dirs, char ***files_out, uint32_t *n_out);
/// Frees a list from sy_plugin_find_files; accepts NULL.
void sy_plugin_free_list(char **files, uint32_t n);
