// Fuzz target: the program loader end to end on arbitrary bytes: sy_program_load_memory (the
// reader and every load-time check), then, for a program that loads and is small enough,
// sy_runtime_create on the portable delegate and two executes with zero-filled inputs at the
// symbols' bounds. The fuzz build does not pad loaded bytes (SY_LOAD_PADDING=0), so a read past
// the end of the file is an ASan report.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "switchyard/switchyard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

// Bytes of inputs, outputs, states and intermediates a program may ask for here: large
// programs are valid but only slow the fuzzer down (and their allocations are not the point).
#define MAX_VALUE_BYTES ((size_t)256 << 10)

static sy_config *config;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (sy_config_create(&config) != SY_OK || sy_config_set_backends(config, "portable") != SY_OK) abort();
    sy_config_set_policy(config, SY_POLICY_STRICT);
    return 0;
}

static int small_enough(const sy_graph_view *g) {
    size_t total = 0;
    for (uint32_t v = 0; v < g->n_values; v++) {
        if (g->values[v].role == SY_ROLE_CONSTANT) continue;
        if (g->values[v].nbytes > MAX_VALUE_BYTES - total) return 0;
        total += g->values[v].nbytes;
    }
    return 1;
}

static void run(const sy_program *p) {
    const sy_graph_view *g = sy_program_get_graph(p);
    if (!small_enough(g)) return;
    sy_runtime *rt = NULL;
    if (sy_runtime_create(p, config, &rt) != SY_OK) return;
    static uint8_t zeros[MAX_VALUE_BYTES];
    int ok = 1;
    for (uint32_t v = 0; v < g->n_values && ok; v++) {
        const sy_value_info *vi = &g->values[v];
        if (vi->role != SY_ROLE_INPUT) continue;
        sy_tensor t = {.data = zeros, .dtype = vi->dtype, .rank = vi->rank};
        for (uint32_t i = 0; i < vi->rank; i++) t.dims[i] = vi->dims[i]; // at the bound
        ok = sy_runtime_set_input(rt, vi->name, &t) == SY_OK;
    }
    for (int k = 0; k < 2 && ok; k++) ok = sy_runtime_execute(rt) == SY_OK;
    for (uint32_t v = 0; v < g->n_values && ok; v++) {
        sy_tensor out;
        if (g->values[v].role == SY_ROLE_OUTPUT && sy_runtime_get_output(rt, g->values[v].name, &out) == SY_OK) {
            volatile uint8_t sink = 0; // every byte of the output is readable
            size_t n = sy_tensor_nbytes(&out);
            for (size_t i = 0; i < n; i++) sink ^= ((const uint8_t *)out.data)[i];
            (void)sink;
        }
    }
    sy_runtime_destroy(rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sy_program *p = NULL;
    if (sy_program_load_memory(data, size, "fuzz.syp", &p) == SY_OK) {
        run(p);
        sy_program_destroy(p);
    }
    return 0;
}
