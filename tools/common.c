#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

const char sy_cli_backend_help[] =
    "backend selection (precedence: --backends > SWITCHYARD_BACKENDS > --config > default):\n"
    "  --backends LIST       ordered backends, e.g. xnnpack,portable\n"
    "  --config FILE         JSON runtime config (docs/CONFIG.md)\n"
    "  --option B.KEY=VALUE  a backend option, e.g. xnnpack.threads=2 (repeatable)\n"
    "  --plugin PATH         load a delegate plugin (repeatable)\n"
    "  --policy P            strict or fallback (default fallback)\n";

int sy_cli_fail(const char *what) {
    fprintf(stderr, "switchyard: %s: %s\n", what, sy_last_error());
    return 1;
}

int sy_cli_backend_flag(sy_cli_backend_args *a, int argc, char **argv, int *i) {
    const char *flag = argv[*i];
    const char *flags[] = {"--backends", "--config", "--option", "--plugin", "--policy"};
    int which = -1;
    for (int k = 0; k < 5; k++)
        if (!strcmp(flag, flags[k])) which = k;
    if (which < 0) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "switchyard: %s needs a value\n", flag);
        return -1;
    }
    const char *v = argv[++*i];
    switch (which) {
    case 0: a->backends = v; break;
    case 1: a->config_file = v; break;
    case 2:
        if (a->n_options >= 32) { fprintf(stderr, "switchyard: too many --option flags\n"); return -1; }
        a->options[a->n_options++] = v;
        break;
    case 3:
        if (a->n_plugins >= 16) { fprintf(stderr, "switchyard: too many --plugin flags\n"); return -1; }
        a->plugins[a->n_plugins++] = v;
        break;
    default: a->policy = v;
    }
    return 1;
}

sy_config *sy_cli_make_config(const sy_cli_backend_args *a, const char *backends) {
    sy_config *cfg = NULL;
    if (sy_config_create(&cfg) != SY_OK) {
        sy_cli_fail("config");
        return NULL;
    }
    sy_status st = SY_OK;
    if (a->config_file) st = sy_config_load_file(cfg, a->config_file);
    // --backends wins over SWITCHYARD_BACKENDS, so the variable is not even parsed then (a bad
    // value must not break a command that does not use it).
    if (st == SY_OK && !backends && !a->backends) st = sy_config_apply_env(cfg);
    if (st == SY_OK && (backends || a->backends)) st = sy_config_set_backends(cfg, backends ? backends : a->backends);
    for (int i = 0; st == SY_OK && i < a->n_options; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", a->options[i]);
        char *dot = strchr(buf, '.'), *eq = strchr(buf, '=');
        if (!dot || !eq || eq < dot) {
            fprintf(stderr, "switchyard: --option '%s' must look like BACKEND.KEY=VALUE\n", a->options[i]);
            sy_config_destroy(cfg);
            return NULL;
        }
        *dot = *eq = '\0';
        st = sy_config_set_option(cfg, buf, dot + 1, eq + 1);
    }
    for (int i = 0; st == SY_OK && i < a->n_plugins; i++) st = sy_config_add_plugin(cfg, a->plugins[i]);
    if (st == SY_OK && a->policy) {
        if (!strcmp(a->policy, "strict")) sy_config_set_policy(cfg, SY_POLICY_STRICT);
        else if (!strcmp(a->policy, "fallback")) sy_config_set_policy(cfg, SY_POLICY_FALLBACK);
        else {
            fprintf(stderr, "switchyard: --policy must be strict or fallback, not '%s'\n", a->policy);
            sy_config_destroy(cfg);
            return NULL;
        }
    }
    if (st != SY_OK) {
        sy_cli_fail("config");
        sy_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}
