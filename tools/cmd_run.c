// switchyard run: one execute of a program on .npy inputs, outputs written as .npy.

#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "tools/cli.h"
#include "tools/npy.h"

static const char run_help[] =
    "usage: switchyard run FILE --input NAME=FILE.npy ... [--output-dir DIR] [backend flags]\n"
    "\n"
    "Loads FILE (.syp), sets each named input (once) from a NumPy .npy file (dtype and shape must fit\n"
    "the program's declaration; symbolic dims take the file's size), executes once and writes\n"
    "every output to DIR/<name>.npy (default: the current directory; '/' in names becomes '_').\n"
    "\n";

/// 1 (after saying so) when `in` ("NAME=FILE") names an input that an earlier --input set.
static int input_repeated(const char *const *inputs, int n, const char *in) {
    size_t len = strcspn(in, "=");
    for (int k = 0; k < n; k++)
        if (strcspn(inputs[k], "=") == len && strncmp(inputs[k], in, len) == 0) {
            fprintf(stderr, "switchyard run: --input '%.*s' is given twice ('%s' and '%s')\n", (int)len, in, inputs[k],
                    in);
            return 1;
        }
    return 0;
}

int sy_cmd_run(int argc, char **argv) {
    sy_cli_backend_args ba;
    memset(&ba, 0, sizeof ba);
    const char *file = NULL, *outdir = ".";
    const char *inputs[64];
    int n_inputs = 0, rc = 1;
    for (int i = 1; i < argc; i++) {
        int r = sy_cli_backend_flag(&ba, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s", run_help, sy_cli_backend_help);
            return 0;
        }
        if ((!strcmp(argv[i], "--input") || !strcmp(argv[i], "--output-dir")) && i + 1 >= argc) {
            fprintf(stderr, "switchyard run: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--input")) {
            if (n_inputs == 64) { fprintf(stderr, "switchyard run: too many inputs\n"); return 2; }
            if (input_repeated(inputs, n_inputs, argv[i + 1])) return 2;
            inputs[n_inputs++] = argv[++i];
        } else if (!strcmp(argv[i], "--output-dir")) {
            outdir = argv[++i];
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "switchyard run: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        fprintf(stderr, "%s", run_help);
        return 2;
    }
    sy_program *prog = NULL;
    sy_runtime *rt = NULL;
    sy_config *cfg = NULL;
    if (sy_program_load(file, &prog) != SY_OK) return sy_cli_fail("run");
    if (!(cfg = sy_cli_make_config(&ba, NULL))) goto done;
    if (sy_runtime_create(prog, cfg, &rt) != SY_OK) { sy_cli_fail("run"); goto done; }
    for (int i = 0; i < n_inputs; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s", inputs[i]);
        char *eq = strchr(name, '=');
        if (!eq) {
            fprintf(stderr, "switchyard run: --input '%s' must look like NAME=FILE.npy\n", inputs[i]);
            goto done;
        }
        *eq = '\0';
        sy_tensor t;
        if (sy_npy_read(eq + 1, &t) != SY_OK) { sy_cli_fail("run"); goto done; }
        sy_status st = sy_runtime_set_input(rt, name, &t);
        free(t.data);
        if (st != SY_OK) { sy_cli_fail("run"); goto done; }
    }
    if (sy_runtime_execute(rt) != SY_OK) { sy_cli_fail("run"); goto done; }
    const sy_graph_view *g = sy_program_get_graph(prog);
    for (uint32_t v = 0; v < g->n_values; v++) {
        if (g->values[v].role != SY_ROLE_OUTPUT) continue;
        sy_tensor out;
        char path[1024], safe[256], dims[96];
        if (sy_runtime_get_output(rt, g->values[v].name, &out) != SY_OK) { sy_cli_fail("run"); goto done; }
        snprintf(safe, sizeof safe, "%s", g->values[v].name);
        for (char *p = safe; *p; p++)
            if (*p == '/') *p = '_';
        snprintf(path, sizeof path, "%s/%s.npy", outdir, safe);
        if (sy_npy_write(path, &out) != SY_OK) { sy_cli_fail("run"); goto done; }
        printf("%s: %s %s -> %s\n", g->values[v].name, sy_dtype_name(out.dtype),
               sy_format_dims(out.dims, out.rank, dims, sizeof dims), path);
    }
    rc = 0;
done:
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(prog);
    return rc;
}
