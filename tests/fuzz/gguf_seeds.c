// Writes a seed corpus for fuzz_gguf into DIR: a tiny valid llama file (f32 and q8_0 weights,
// tied and untied), a file with every metadata value type and nested arrays, a header-only
// file, and a few near-misses (a missing tensor, a wrong shape).
//
//   gguf_seeds DIR

#include <stdio.h>
#include <stdlib.h>

#include "importers/tiny_llama.h"

static int save(const char *dir, const char *name, const gw_buf *b) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n) {
        fprintf(stderr, "gguf_seeds: cannot write %s\n", path);
        if (f) fclose(f);
        return 0;
    }
    return fclose(f) == 0;
}

static gw_buf all_types(void) {
    gw_buf b = {0};
    gw_header(&b, 3, 0, 5);
    gw_kv_u32(&b, "general.alignment", 16);
    gw_kv_bool(&b, "b", 1);
    gw_kv_f32(&b, "f", 0.5f);
    gw_str(&b, "nested"); // [[1, 2], ["x"]]
    gw_u32(&b, 9);
    gw_u32(&b, 9);
    gw_u64(&b, 2);
    gw_u32(&b, 0);
    gw_u64(&b, 2);
    gw_u8(&b, 1);
    gw_u8(&b, 2);
    gw_u32(&b, 8);
    gw_u64(&b, 1);
    gw_str(&b, "x");
    gw_str(&b, "i64");
    gw_u32(&b, 11);
    gw_u64(&b, (uint64_t)-3);
    return b;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gguf_seeds DIR\n");
        return 2;
    }
    const tiny cases[] = {{0}, {.untied = 1, .q_tensor = "blk.0.ffn_up.weight", .q_type = 8},
                          {.drop_tensor = "blk.0.attn_q.weight"}, {.odd_tensor = "blk.0.attn_v.weight"},
                          {.arch = "qwen2"}};
    const char *names[] = {"tiny_llama.gguf", "tiny_llama_q8.gguf", "missing_tensor.gguf", "odd_shape.gguf",
                           "qwen2_arch.gguf"};
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        gw_buf b = write_tiny(&cases[i]);
        ok &= save(argv[1], names[i], &b);
        free(b.p);
    }
    gw_buf b = all_types();
    ok &= save(argv[1], "all_types.gguf", &b);
    b.n = 0;
    gw_header(&b, 2, 0, 0);
    ok &= save(argv[1], "header_v2.gguf", &b);
    free(b.p);
    return ok ? 0 : 1;
}
