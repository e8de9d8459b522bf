#pragma once

// Delegates loaded from shared libraries with dlopen. A plugin exports one symbol,
// SY_PLUGIN_ENTRY_SYMBOL; the host offers the ABI range it speaks and takes back the plugin's
// chosen version and vtables. A loaded plugin is reference counted: it is dlclose'd only after
// every runtime that uses one of its delegates is destroyed.

#include "switchyard/delegate.h"

typedef struct sy_plugin sy_plugin;

/// Loads `path`, negotiates the ABI and validates every vtable. Errors name the file and the
/// reason (with dlerror text where relevant). *plugin_out holds one reference.
sy_status sy_plugin_load(const char *path, sy_plugin **plugin_out);
void sy_plugin_ref(sy_plugin *plugin);
/// Drops a reference; the last one closes the library. Accepts NULL.
void sy_plugin_unref(sy_plugin *plugin);
uint32_t sy_plugin_n_delegates(const sy_plugin *plugin);
const sy_delegate *sy_plugin_delegate(const sy_plugin *plugin, uint32_t i);
const char *sy_plugin_path(const sy_plugin *plugin);
/// Host services for calls made outside any runtime (the entry point, `available`).
const sy_host_api *sy_plugin_default_host(void);
