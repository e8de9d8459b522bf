// libFuzzer target for the GGUF reader and the converter's graph build.
//
// Each input is opened as a GGUF file from memory. When the reader accepts it, every metadata
// value is read back through the accessors (string arrays copied, nested array items walked)
// and the llama-family graph builder runs on it with a small cache, so the converter's checks
// on metadata and tensor shapes are fuzzed too. Nothing may crash, leak or read out of bounds.
//
// Build (clang): -fsanitize=fuzzer,address,undefined, linked with switchyard_static.
// Seeds: tests/fuzz/gguf_seeds.c writes a corpus (valid files and near-misses).

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "importers/gguf.h"
#include "importers/llama.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const sy_gguf_file *f) {
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const sy_gguf_value *v = &f->kv[i].value;
        if (v->type != SY_GGUF_ARRAY) continue;
        char **strs = NULL;
        if (v->elem_type == SY_GGUF_STRING && sy_gguf_array_strings(v, f->kv[i].key, &strs) == SY_OK) sy_free(strs);
        sy_gguf_value item;
        if (v->n_elems > 0 && sy_gguf_array_get(v, v->n_elems - 1, &item) == SY_OK && item.type == SY_GGUF_ARRAY &&
            item.n_elems > 0)
            (void)sy_gguf_array_get(&item, 0, &item);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int quiet = 0;
    if (!quiet) {
        sy_set_log_callback(NULL, NULL, SY_LOG_ERROR);
        quiet = 1;
    }
    sy_gguf_file *f = NULL;
    if (sy_gguf_open_memory(data, size, "fuzz.gguf", &f) != SY_OK) return 0;
    walk(f);
    sy_gguf_convert_options o = {.max_seq_len = 8};
    sy_graph *g = NULL;
    if (sy_gguf_build_graph(f, &o, &g) == SY_OK) sy_graph_destroy(g);
    sy_gguf_close(f);
    return 0;
}
