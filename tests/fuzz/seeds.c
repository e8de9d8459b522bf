// Writes the fuzzers' starting corpora: sy_fuzz_seeds DIR makes DIR/program (small valid
// programs: elementwise with broadcasting, matmul, symbolic dims, a one-layer decoder with KV
// caches), DIR/npy (valid .npy files of every dtype) and DIR/config (JSON configs, backend lists
// and option strings, each behind fuzz_config's selector byte). Seeds are generated, not stored.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "importers/decoder.h"
#include "switchyard/switchyard.h"
#include "tools/npy.h"

static const char *root;

static int make_dir(const char *sub, char *path, size_t size) {
    snprintf(path, size, "%s/%s", root, sub);
    if (mkdir(root, 0755) != 0 && errno != EEXIST) return -1;
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int save(sy_graph *g, const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.syp", dir, name);
    sy_status st = sy_graph_save(g, path);
    if (st != SY_OK) fprintf(stderr, "sy_fuzz_seeds: %s: %s\n", name, sy_last_error());
    sy_graph_destroy(g);
    return st == SY_OK ? 0 : 1;
}

static uint32_t input(sy_graph *g, const char *name, sy_dtype dt, uint32_t rank, const int64_t *dims, const int32_t *sym) {
    sy_value_desc d = {.name = name, .dtype = dt, .role = SY_ROLE_INPUT, .rank = rank};
    for (uint32_t i = 0; i < rank; i++) {
        d.dims[i] = dims[i];
        d.sym[i] = sym ? sym[i] : -1;
    }
    uint32_t id = 0;
    sy_graph_add_value(g, &d, &id);
    return id;
}

/// y = op(a, b) with a [2,3] and b broadcast [3] (or unary op(a)).
static int elementwise(const char *dir, sy_op op, int binary) {
    sy_graph *g = NULL;
    sy_graph_create(&g);
    int64_t da[2] = {2, 3}, db[1] = {3};
    uint32_t in[2] = {input(g, "a", SY_DTYPE_F32, 2, da, NULL), 0}, y = 0;
    if (binary) in[1] = input(g, "b", SY_DTYPE_F32, 1, db, NULL);
    sy_graph_add_op(g, "n", op, in, binary ? 2 : 1, NULL, 0, &y);
    sy_graph_set_output(g, y, "y");
    sy_graph_set_metadata(g, "model.family", "seed");
    return save(g, dir, sy_op_name(op));
}

/// y = silu(x @ W) with x [T<=4, 8] (T symbolic) and W a constant [8, 4].
static int symbolic_matmul(const char *dir) {
    sy_graph *g = NULL;
    sy_graph_create(&g);
    uint32_t t = 0, w = 0, h = 0, y = 0;
    sy_graph_add_symbol(g, "T", 4, &t);
    int64_t dx[2] = {4, 8}, dw[2] = {8, 4};
    int32_t sx[2] = {(int32_t)t, -1};
    uint32_t x = input(g, "x", SY_DTYPE_F32, 2, dx, sx);
    float wdata[32];
    for (int i = 0; i < 32; i++) wdata[i] = (float)(i % 7) - 3.0f;
    sy_graph_add_constant(g, "W", SY_DTYPE_F32, 2, dw, wdata, sizeof wdata, &w);
    uint32_t mm[2] = {x, w};
    sy_graph_add_op(g, "mm", SY_OP_MATMUL, mm, 2, NULL, 0, &h);
    sy_graph_add_op(g, "act", SY_OP_SILU, &h, 1, NULL, 0, &y);
    sy_graph_set_output(g, y, "y");
    return save(g, dir, "symbolic_matmul");
}

static int programs(void) {
    char dir[1024];
    if (make_dir("program", dir, sizeof dir)) return 1;
    int bad = 0;
    const sy_op binary[] = {SY_OP_ADD, SY_OP_SUB, SY_OP_MUL, SY_OP_DIV, SY_OP_MAXIMUM};
    const sy_op unary[] = {SY_OP_RELU, SY_OP_EXP, SY_OP_SQRT, SY_OP_RSQRT, SY_OP_SIGMOID, SY_OP_SILU, SY_OP_TANH};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) bad |= elementwise(dir, binary[i], 1);
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) bad |= elementwise(dir, unary[i], 0);
    bad |= symbolic_matmul(dir);
    sy_decoder_config mc = sy_decoder_tiny(); // shrunk: the corpus stays small and fast
    mc.vocab = 16, mc.dim = 8, mc.n_layers = 1, mc.n_heads = 2, mc.n_kv_heads = 1, mc.hidden = 16;
    mc.max_seq = 8, mc.max_tokens = 4;
    sy_graph *g = NULL;
    if (sy_decoder_build(&mc, &g) != SY_OK) return 1;
    bad |= save(g, dir, "decoder");
    return bad;
}

static int npy_files(void) {
    char dir[1024], path[1100];
    if (make_dir("npy", dir, sizeof dir)) return 1;
    static uint8_t data[256];
    for (int i = 0; i < 256; i++) data[i] = (uint8_t)i;
    const struct { sy_dtype dt; uint32_t rank; int64_t dims[3]; } cases[] = {
        {SY_DTYPE_F32, 2, {2, 3}}, {SY_DTYPE_F16, 1, {5}},  {SY_DTYPE_BF16, 3, {1, 2, 2}}, {SY_DTYPE_I32, 1, {4}},
        {SY_DTYPE_I64, 0, {0}},    {SY_DTYPE_U8, 2, {3, 0}}, {SY_DTYPE_BOOL, 1, {7}},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sy_tensor t = {.data = data, .dtype = cases[i].dt, .rank = cases[i].rank};
        memcpy(t.dims, cases[i].dims, sizeof cases[i].dims);
        snprintf(path, sizeof path, "%s/%zu_%s.npy", dir, i, sy_dtype_name(cases[i].dt));
        if (sy_npy_write(path, &t) != SY_OK) bad = 1;
    }
    return bad;
}

static int configs(void) {
    char dir[1024], path[1100];
    if (make_dir("config", dir, sizeof dir)) return 1;
    const char *cases[] = {
        "\x00{\"backends\": [\"xnnpack\", \"portable\"], \"policy\": \"strict\"}",
        "\x00{\"backends\": \"vulkan,portable\", \"options\": {\"xnnpack\": {\"threads\": 2, \"shape_cache\": 4}}}",
        ("\x00{\"rules\": [{\"match\": \"op:softmax\", \"backend\": \"portable\"}, {\"match\": \"blk.*.ffn_*\", "
         "\"backend\": \"xnnpack\", \"kind\": \"forbid\"}], \"plugins\": [\"libx.so\"], \"policy\": \"fallback\"}"),
        "\x00{\"options\": {\"vulkan\": {\"device\": 0, \"f16\": true, \"scale\": 0.5}}}",
        "\x01xnnpack,portable",
        "\x01 vulkan , xnnpack ,portable",
        "\x02xnnpack.threads=4",
        "\x02vulkan.device=1",
        "\x02portable.k=v",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/seed_%zu", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f) return 1;
        fwrite(cases[i], 1, 1 + strlen(cases[i] + 1), f);
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sy_fuzz_seeds DIR\n");
        return 2;
    }
    root = argv[1];
    int bad = programs() | npy_files() | configs();
    if (bad) fprintf(stderr, "sy_fuzz_seeds: some seeds could not be written\n");
    return bad;
}
