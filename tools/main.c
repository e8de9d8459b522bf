// switchyard: the command-line program. Each command lives in its own file (cmd_<name>.c).

#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

static const sy_cli_command commands[] = {
    {"inspect", "show a program: metadata, values, ops, partition plan, memory", sy_cmd_inspect},
    {"run", "run a program on .npy inputs and write .npy outputs", sy_cmd_run},
    {"demo", "build a small decoder-only transformer and run it on every backend configuration", sy_cmd_demo},
    {"backends", "list every backend (built-in and plugins): availability, version, options, ops", sy_cmd_backends},
    {"bench", "benchmark backend configurations side by side on one program", sy_cmd_bench},
    {"tokenize", "encode text to token ids and decode ids to text with a program's tokenizer", sy_cmd_tokenize},
    {"generate", "generate text (or token ids) from a decoder program: sampling, chat, stats", sy_cmd_generate},
    {"convert", "convert a GGUF checkpoint (llama, qwen2, qwen3) into a program", sy_cmd_convert},
};

static void usage(FILE *f) {
    fprintf(f, "usage: switchyard <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'switchyard <command> --help' describes a command.\n"
               "Backends: --backends a,b,c (or SWITCHYARD_BACKENDS, or \"backends\" in --config FILE).\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("switchyard %s\n", SY_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "switchyard: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
