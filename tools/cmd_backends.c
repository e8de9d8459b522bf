#include "tools/cli.h"
int sy_cmd_backends(int argc, char **argv) { (void)argc; (void)argv; return 1; }
