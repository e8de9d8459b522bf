#pragma once

// The runtime config: which backends in which order, their options, node rules, plugins and
// the fallback policy. Precedence (docs/CONFIG.md): command line > SWITCHYARD_BACKENDS >
// config file > built-in default.

#include "partitioner/partition.h"
#include "switchyard/switchyard.h"

typedef struct sy_config_option {
    char *backend, *key, *value;
} sy_config_option;

struct sy_config {
    char **backends; // (n_backends) owned names, in priority order
    uint32_t n_backends;
    char *backends_csv; // cached "a,b,c"
    sy_config_option *options; // (n_options)
    uint32_t n_options;
    sy_part_rule *rules; // (n_rules) match/backend strings owned
    uint32_t n_rules;
    char **plugins; // (n_plugins) owned paths
    uint32_t n_plugins;
    sy_policy policy;
};

/// The built-in default backend list ("xnnpack,portable" when XNNPACK is built in).
const char *sy_config_default_backends(void);
