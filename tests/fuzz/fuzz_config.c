// Fuzz target: the runtime config parser. The first byte picks the entry point, the rest is
// the text: 0 = JSON config (sy_config_parse_json), 1 = backend list (sy_config_set_backends),
// 2 = a CLI-style option "BACKEND.KEY=VALUE" (sy_config_set_option). Every option that results
// is then checked against the built-in delegates' option tables, as sy_runtime_create does.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "runtime/config.h"
#include "runtime/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_options(const sy_config *c) {
    for (uint32_t i = 0; i < c->n_options; i++)
        for (const sy_delegate *const *d = sy_builtin_delegates; *d; d++) {
            if (strcmp((*d)->name, c->options[i].backend) != 0) continue;
            sy_option o = {c->options[i].key, c->options[i].value};
            (void)sy_delegate_check_options(*d, &o, 1);
        }
}

static void set_option_text(sy_config *c, char *text) {
    char *dot = strchr(text, '.'), *eq = strchr(text, '=');
    if (!dot || !eq || eq < dot) return;
    *dot = *eq = '\0';
    (void)sy_config_set_option(c, text, dot + 1, eq + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = malloc(size); // size - 1 bytes of text and a terminator
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    sy_config *c = NULL;
    if (sy_config_create(&c) == SY_OK) {
        switch (data[0] % 3) {
        case 0: (void)sy_config_parse_json(c, text, "fuzz.json"); break;
        case 1: (void)sy_config_set_backends(c, text); break;
        default: set_option_text(c, text);
        }
        check_options(c);
        (void)sy_config_get_backends(c);
        sy_config_destroy(c);
    }
    free(text);
    return 0;
}
