#pragma once

// Shared pieces of the command-line program.

#include <stdio.h>

#include "switchyard/switchyard.h"

typedef int (*sy_cli_fn)(int argc, char **argv);

typedef struct sy_cli_command {
    const char *name;
    const char *summary;
    sy_cli_fn fn;
} sy_cli_command;

int sy_cmd_inspect(int argc, char **argv);
int sy_cmd_run(int argc, char **argv);
int sy_cmd_demo(int argc, char **argv);
int sy_cmd_backends(int argc, char **argv);
int sy_cmd_bench(int argc, char **argv);
int sy_cmd_tokenize(int argc, char **argv);
int sy_cmd_generate(int argc, char **argv);
int sy_cmd_convert(int argc, char **argv);

/// Backend selection shared by every command: --config FILE, --backends LIST (repeatable in
/// some commands), --option BACKEND.KEY=VALUE, --plugin PATH, --policy strict|fallback.
typedef struct sy_cli_backend_args {
    const char *config_file;
    const char *backends; // last --backends given, or NULL
    const char *options[32];
    int n_options;
    const char *plugins[16];
    int n_plugins;
    const char *policy;
} sy_cli_backend_args;

/// Consumes one backend-selection flag at argv[*i] (advancing *i past its value); returns 1 when
/// consumed, 0 when the flag is not one of them, -1 on a usage error (printed).
int sy_cli_backend_flag(sy_cli_backend_args *a, int argc, char **argv, int *i);
/// Builds a config: defaults < config file < SWITCHYARD_BACKENDS < --backends (`backends` overrides
/// a->backends when not NULL). Prints the error and returns NULL on failure.
sy_config *sy_cli_make_config(const sy_cli_backend_args *a, const char *backends);
/// Prints "switchyard: <what>: <last error>" to stderr; returns 1.
int sy_cli_fail(const char *what);
/// The help text of the backend flags.
extern const char sy_cli_backend_help[];
