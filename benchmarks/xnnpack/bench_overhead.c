// (b) Framework overhead: the same MLP stack run through Switchyard (backends "xnnpack") and as
// a hand-written XNNPACK subgraph with the same weights, the same node sequence and a thread
// pool of the same size, in one process. Overhead = Switchyard time - direct time per execute.

#include <math.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include "bench_common.h"

#define LAYERS 4

static void xcheck(enum xnn_status st, const char *what) {
    if (st != xnn_status_success) {
        fprintf(stderr, "%s failed: %d\n", what, (int)st);
        exit(1);
    }
}

// The direct graph: x (ext 0) -> LAYERS x (fc up, sigmoid, multiply, fc down, add) -> y (ext 1).
static xnn_runtime_t direct_runtime(const float *w, int64_t t, pthreadpool_t pool) {
    xnn_subgraph_t sg;
    xcheck(xnn_create_subgraph(2, 0, &sg), "xnn_create_subgraph");
    const size_t xd[3] = {1, (size_t)t, MLP_DIM}, hd[3] = {1, (size_t)t, MLP_HIDDEN};
    const size_t upd[2] = {MLP_HIDDEN, MLP_DIM}, downd[2] = {MLP_DIM, MLP_HIDDEN};
    uint32_t h, y;
    xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, xd, NULL, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &h), "x");
    xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, xd, NULL, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &y), "y");
    const size_t per = (size_t)MLP_DIM * MLP_HIDDEN;
    for (int l = 0; l < LAYERS; l++) {
        uint32_t up, down, a, s, m, c, r;
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 2, upd, w + per * 2 * (size_t)l, XNN_INVALID_VALUE_ID, 0, &up), "up");
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 2, downd, w + per * (2 * (size_t)l + 1), XNN_INVALID_VALUE_ID, 0, &down), "down");
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, hd, NULL, XNN_INVALID_VALUE_ID, 0, &a), "a");
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, hd, NULL, XNN_INVALID_VALUE_ID, 0, &s), "s");
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, hd, NULL, XNN_INVALID_VALUE_ID, 0, &m), "m");
        xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, xd, NULL, XNN_INVALID_VALUE_ID, 0, &c), "c");
        if (l + 1 < LAYERS) xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 3, xd, NULL, XNN_INVALID_VALUE_ID, 0, &r), "r");
        else r = y;
        xcheck(xnn_define_fully_connected(sg, -INFINITY, INFINITY, h, up, XNN_INVALID_VALUE_ID, a, 0), "fc up");
        xcheck(xnn_define_sigmoid(sg, a, s, 0), "sigmoid");
        xcheck(xnn_define_multiply2(sg, -INFINITY, INFINITY, a, s, m, 0), "multiply");
        xcheck(xnn_define_fully_connected(sg, -INFINITY, INFINITY, m, down, XNN_INVALID_VALUE_ID, c, 0), "fc down");
        xcheck(xnn_define_add2(sg, -INFINITY, INFINITY, h, c, r, 0), "add");
        h = r;
    }
    xnn_runtime_t rt;
    xcheck(xnn_create_runtime_v2(sg, pool, 0, &rt), "xnn_create_runtime_v2");
    xnn_delete_subgraph(sg);
    return rt;
}

// The fixed cost per execute, where XNNPACK itself does almost nothing: y = x + x on 8 floats.
static void tiny_graph(const char *threads_text, pthreadpool_t pool) {
    sy_graph *g = NULL;
    sy_program *p = NULL;
    uint32_t x, y;
    bench_check(sy_graph_create(&g), "graph");
    sy_value_desc xd = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 1, .dims = {8},
                        .sym = {-1, -1, -1, -1, -1, -1}};
    bench_check(sy_graph_add_value(g, &xd, &x), "x");
    const uint32_t in[2] = {x, x};
    bench_check(sy_graph_add_op(g, "add", SY_OP_ADD, in, 2, NULL, 0, &y), "add");
    bench_check(sy_graph_set_output(g, y, "y"), "output");
    bench_check(sy_program_from_graph(g, &p), "program");
    sy_graph_destroy(g);
    sy_runtime *sy = bench_runtime(p, "xnnpack", threads_text);
    float xv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, yv[8];
    sy_tensor tx = {.data = xv, .dtype = SY_DTYPE_F32, .rank = 1, .dims = {8}};
    bench_check(sy_runtime_set_input(sy, "x", &tx), "set_input");
    xnn_subgraph_t sg;
    uint32_t a, b;
    const size_t d[1] = {8};
    xcheck(xnn_create_subgraph(2, 0, &sg), "subgraph");
    xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 1, d, NULL, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &a), "a");
    xcheck(xnn_define_tensor_value(sg, xnn_datatype_fp32, 1, d, NULL, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &b), "b");
    xcheck(xnn_define_add2(sg, -INFINITY, INFINITY, a, a, b, 0), "add");
    xnn_runtime_t rt;
    xcheck(xnn_create_runtime_v2(sg, pool, 0, &rt), "runtime");
    xnn_delete_subgraph(sg);
    const struct xnn_external_value ext[2] = {{0, xv}, {1, yv}};
    xcheck(xnn_setup_runtime(rt, 2, ext), "setup");
    const int iters = 100000;
    double direct = 1e30, through = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = bench_now_ms();
        for (int k = 0; k < iters; k++) xcheck(xnn_invoke_runtime(rt), "invoke");
        double t1 = bench_now_ms();
        for (int k = 0; k < iters; k++) bench_check(sy_runtime_execute(sy), "execute");
        double t2 = bench_now_ms();
        if ((t1 - t0) / iters < direct) direct = (t1 - t0) / iters;
        if ((t2 - t1) / iters < through) through = (t2 - t1) / iters;
    }
    printf("fixed cost (1 add on 8 floats): direct %.2f us, switchyard %.2f us, overhead %.2f us per execute\n",
           direct * 1e3, through * 1e3, (through - direct) * 1e3);
    xnn_delete_runtime(rt);
    sy_runtime_destroy(sy);
    sy_program_destroy(p);
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    char threads_text[16];
    snprintf(threads_text, sizeof(threads_text), "%d", threads);
    xcheck(xnn_initialize(NULL), "xnn_initialize");
    float *w = NULL;
    sy_program *p = bench_mlp_program(LAYERS, 64, &w);
    sy_runtime *sy = bench_runtime(p, "xnnpack", threads_text);
    pthreadpool_t pool = threads == 1 ? NULL : pthreadpool_create((size_t)threads);
    printf("framework overhead: %d-layer MLP (576->1536->576), %d thread%s, same weights and nodes\n", LAYERS,
           threads, threads == 1 ? "" : "s");
    printf("%-5s %13s %13s %14s %10s %12s\n", "T", "direct us", "switchyard us", "overhead us", "overhead", "max |diff|");
    const int64_t ts[2] = {1, 64};
    for (int i = 0; i < 2; i++) {
        const int64_t t = ts[i];
        float *x = malloc(sizeof(float) * (size_t)(t * MLP_DIM)), *y = malloc(sizeof(float) * (size_t)(t * MLP_DIM));
        unsigned seed = 9;
        for (int64_t j = 0; j < t * MLP_DIM; j++) x[j] = bench_rand(&seed);
        xnn_runtime_t rt = direct_runtime(w, t, pool);
        const struct xnn_external_value ext[2] = {{0, x}, {1, y}};
        xcheck(xnn_setup_runtime(rt, 2, ext), "xnn_setup_runtime");
        sy_tensor tx = {.data = x, .dtype = SY_DTYPE_F32, .rank = 3, .dims = {1, t, MLP_DIM}};
        bench_check(sy_runtime_set_input(sy, "x", &tx), "set_input");
        const int iters = t == 1 ? 4000 : 200;
        double direct = 1e30, through = 1e30;
        // alternate rounds so both see the same machine state; keep the best round of each
        for (int round = 0; round < 5; round++) {
            double t0 = bench_now_ms();
            for (int k = 0; k < iters; k++) xcheck(xnn_invoke_runtime(rt), "invoke");
            double t1 = bench_now_ms();
            for (int k = 0; k < iters; k++) bench_check(sy_runtime_execute(sy), "execute");
            double t2 = bench_now_ms();
            if ((t1 - t0) / iters < direct) direct = (t1 - t0) / iters;
            if ((t2 - t1) / iters < through) through = (t2 - t1) / iters;
        }
        sy_tensor out;
        bench_check(sy_runtime_get_output(sy, "y", &out), "get_output");
        double maxdiff = 0;
        for (int64_t j = 0; j < t * MLP_DIM; j++) {
            double d = fabs((double)((float *)out.data)[j] - y[j]);
            if (d > maxdiff) maxdiff = d;
        }
        printf("%-5lld %13.1f %13.1f %14.1f %9.1f%% %12.2e\n", (long long)t, direct * 1e3, through * 1e3,
               (through - direct) * 1e3, 100.0 * (through - direct) / direct, maxdiff);
        xnn_delete_runtime(rt);
        free(x);
        free(y);
    }
    tiny_graph(threads_text, pool);
    if (pool) pthreadpool_destroy(pool);
    sy_runtime_destroy(sy);
    sy_program_destroy(p);
    free(w);
    return 0;
}
