// The XNNPACK delegate's vtable: instance creation (thread pool, options), capability checks,
// and the glue to the partition compiler in kernel.c.

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delegates/xnnpack/kernel.h"
#include "delegates/xnnpack/kernels/cpukern.h"
#include "switchyard/switchyard.h" // sy_last_error

// --- process-wide XNNPACK initialisation (once; the library itself is idempotent too) ---

static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static enum xnn_status g_init_status = xnn_status_uninitialized;

static void init_library(void) {
    g_init_status = xnn_initialize(NULL);
}

int sy_xnn_library_ready(char *reason, size_t reason_size) {
    pthread_once(&g_init_once, init_library);
    if (g_init_status == xnn_status_success) return 1;
    if (reason && reason_size) {
        snprintf(reason, reason_size, "xnnpack: xnn_initialize failed: %s%s", sy_xnn_status_name(g_init_status),
                 g_init_status == xnn_status_unsupported_hardware ? " (this CPU lacks what XNNPACK needs)" : "");
    }
    return 0;
}

sy_status sy_xnn_error(const sy_xnn_backend *be, sy_status status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (be && be->host.error) return be->host.error(be->host.host, status, "%s", msg);
    return status;
}

// --- options ---

static const sy_option_desc kOptions[] = {
    {"threads", SY_OPTION_INT, "0", 0, 256, NULL,
     "worker threads of the instance's pool, shared by all its partitions (0 = one per core)"},
    {"shape_cache", SY_OPTION_INT, "4", 1, 64, NULL,
     "shape plans kept per partition for dynamic dims (XNNPACK runtimes per shape; "
     "linear weights are packed once, outside them)"},
    {"yield_workers", SY_OPTION_INT, "1", 0, 1, NULL,
     "1: pool workers go to sleep right after each parallel call (PTHREADPOOL_FLAG_YIELD_WORKERS, "
     "XNN_FLAG_YIELD_WORKERS) instead of spinning for the next one; 0: spin (pthreadpool's default)"},
    {"kernel_pool", SY_OPTION_INT, "1", 0, 1, NULL,
     "1: the delegate's linear kernels run on their own caller-driven pool (same thread count; idle "
     "workers spin 50 us, then sleep); 0: on the pthreadpool with XNNPACK"},
    {"f32_linear", SY_OPTION_STRING, "auto", 1, 0, "auto,kernels",
     "auto: f32 linear on XNNPACK's packed operator for several rows, the delegate's GEMV for one; "
     "kernels: always the delegate's kernels (weights read in place: no packed copy, fast load)"},
    {"activations", SY_OPTION_STRING, "f32", 1, 0, "f32,q8",
     "linears with q8_0/q4_0/q4_1 weights: f32 multiplies the f32 activations with the dequantised "
     "weights (the portable reference's arithmetic); q8 quantises the activations per 32-block "
     "first for integer dot products (llama.cpp's scheme: faster, logits off by ~1e-3 relative)"},
};

// Position of `value` in the comma-separated `choices`, or -1.
static long choice_index(const char *choices, const char *value) {
    const size_t len = strlen(value);
    long index = 0;
    for (const char *c = choices; *c; index++) {
        const char *end = strchr(c, ',');
        const size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n == len && !strncmp(c, value, n)) return index;
        if (!end) break;
        c = end + 1;
    }
    return -1;
}

static int available(char *reason, size_t reason_size) {
    return sy_xnn_library_ready(reason, reason_size);
}

static int parse_int(const char *text, long min, long max, long *out) {
    char *end = NULL;
    long v = strtol(text ? text : "", &end, 10);
    if (!text || end == text || *end != '\0' || v < min || v > max) return 0;
    *out = v;
    return 1;
}

static void destroy(sy_backend *backend) {
    sy_xnn_backend *be = (sy_xnn_backend *)backend;
    if (!be) return;
    if (be->pool) pthreadpool_destroy(be->pool);
    sy_cpukern_pool_destroy(be->kpool);
    be->host.free(be->host.host, be);
}

static sy_status create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                        sy_backend **backend_out) {
    if (!host || host->struct_size < offsetof(sy_host_api, infer_node) || !host->alloc || !host->free)
        return SY_ERR_ABI; // no way to report a message without the host's error callback
    char reason[SY_REASON_MAX];
    if (!sy_xnn_library_ready(reason, sizeof(reason))) {
        return host->error ? host->error(host->host, SY_ERR_UNAVAILABLE, "%s", reason) : SY_ERR_UNAVAILABLE;
    }
    // threads, shape_cache, yield_workers, kernel_pool, f32_linear, activations (strings: the
    // index of the value among the choices)
    long values[6] = {0, 4, 1, 1, 0, 0};
    for (uint32_t i = 0; i < n_options; i++) {
        const char *key = options[i].key ? options[i].key : "";
        long *dst = NULL;
        const sy_option_desc *d = NULL;
        for (size_t o = 0; o < sizeof(kOptions) / sizeof(kOptions[0]); o++) {
            if (strcmp(key, kOptions[o].key) == 0) dst = &values[o], d = &kOptions[o];
        }
        if (!dst) return host->error(host->host, SY_ERR_CONFIG, "xnnpack: unknown option '%s'", key);
        if (d->type == SY_OPTION_STRING) {
            *dst = choice_index(d->choices, options[i].value ? options[i].value : "");
            if (*dst < 0)
                return host->error(host->host, SY_ERR_CONFIG, "xnnpack: option %s='%s' is not one of %s", key,
                                   options[i].value ? options[i].value : "", d->choices);
            continue;
        }
        if (!parse_int(options[i].value, (long)d->min, (long)d->max, dst)) {
            return host->error(host->host, SY_ERR_CONFIG, "xnnpack: option %s='%s' is not an integer in [%g, %g]",
                               key, options[i].value ? options[i].value : "", d->min, d->max);
        }
    }
    sy_xnn_backend *be = host->alloc(host->host, sizeof(*be), 64);
    if (!be) return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "xnnpack: out of memory");
    memset(be, 0, sizeof(*be));
    // copy the parts of the host table this host has; newer members stay NULL
    memcpy(&be->host, host, host->struct_size < sizeof(be->host) ? host->struct_size : sizeof(be->host));
    const long threads = values[0];
    be->shape_cache = (uint32_t)values[1];
    be->pool_flags = values[2] ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0;
    be->f32_linear_kernels = (int)values[4];
    be->q8_activations = (int)values[5];
    be->xnn_flags = values[2] ? XNN_FLAG_YIELD_WORKERS : 0;
    // threads == 1: no pool at all, XNNPACK and the kernels run on the caller's thread
    if (threads != 1) {
        be->pool = pthreadpool_create((size_t)threads);
        if (!be->pool) {
            host->free(host->host, be);
            return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "xnnpack: pthreadpool_create(%ld) failed", threads);
        }
        be->threads = (uint32_t)pthreadpool_get_threads_count(be->pool);
    } else {
        be->threads = 1;
    }
    if (be->threads > 1 && values[3]) {
        const uint32_t n = be->threads < 64 ? be->threads : 64;
        if (sy_cpukern_pool_create(n, 50, &be->kpool) != SY_OK) {
            pthreadpool_destroy(be->pool);
            host->free(host->host, be);
            return host->error(host->host, SY_ERR_OUT_OF_MEMORY, "xnnpack: kernel pool of %u threads failed: %s", n,
                               sy_last_error());
        }
    }
    snprintf(be->description, sizeof(be->description), "XNNPACK (%s API) on %u thread%s", sy_xnn_api_generation(),
             be->threads, be->threads == 1 ? "" : "s");
    *backend_out = (sy_backend *)be;
    return SY_OK;
}

// Whether the node becomes an XNNPACK node or operator (not one of this delegate's kernels).
static int goes_to_xnnpack(const sy_xnn_backend *be, const sy_xnn_op_entry *e, const sy_graph_view *graph,
                           const sy_node_info *node) {
    if (!e->define && !e->create_op) return 0;
    if (node->op == SY_OP_LINEAR) // f32: fully-connected, unless f32_linear=kernels
        return !be->f32_linear_kernels && !sy_xnn_linear_on_cpukern(graph, node);
    return !e->run;
}

static int supports(sy_backend *backend, const sy_graph_view *graph, uint32_t node_id, char *reason,
                    size_t reason_size) {
    const sy_xnn_backend *be = (const sy_xnn_backend *)backend;
    if (!graph || node_id >= graph->n_nodes) return sy_xnn_refuse(reason, reason_size, "no such node");
    const sy_node_info *node = &graph->nodes[node_id];
    const sy_xnn_op_entry *e = sy_xnn_op_find(node->op);
    if (!e) return sy_xnn_refuse(reason, reason_size, "op %s not supported", sy_xnn_op_name(node->op));
    if (node->n_inputs > SY_XNN_MAX_NODE_INPUTS || node->n_outputs > 4)
        return sy_xnn_refuse(reason, reason_size, "too many inputs or outputs");
    for (uint32_t i = 0; i < node->n_inputs + node->n_outputs; i++) {
        const uint32_t v = i < node->n_inputs ? node->inputs[i] : node->outputs[i - node->n_inputs];
        if (v == SY_NO_VALUE) continue;
        if (v >= graph->n_values) return sy_xnn_refuse(reason, reason_size, "value #%u out of range", v);
        const sy_value_info *vi = &graph->values[v];
        if (vi->rank > XNN_MAX_TENSOR_DIMS)
            return sy_xnn_refuse(reason, reason_size, "rank %u is above XNNPACK's %d", vi->rank, XNN_MAX_TENSOR_DIMS);
        // A static dim of 0 is legal, but libXNNPACK asserts (aborting the process) on empty
        // tensors in several operators; portable runs them. Our own kernels (run) handle them.
        // Symbolic dims are >= 1, so the declared dims tell.
        for (uint32_t d = 0; d < vi->rank && goes_to_xnnpack(be, e, graph, node); d++)
            if (vi->dims[d] == 0)
                return sy_xnn_refuse(reason, reason_size, "'%s' has no elements (dim %u is 0)", vi->name, d);
    }
    return e->supports(graph, node, reason, reason_size);
}

static sy_status compile(sy_backend *backend, const sy_subgraph *subgraph, sy_kernel **kernel_out,
                         sy_compile_info *info_out) {
    sy_xnn_backend *be = (sy_xnn_backend *)backend;
    sy_xnn_kernel *k = NULL;
    sy_compile_info info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    sy_status st = sy_xnn_kernel_compile(be, subgraph, &k, &info);
    if (st != SY_OK) return st;
    *kernel_out = (sy_kernel *)k;
    if (info_out) {
        // fill only the members the host's struct has
        const uint32_t size = info_out->struct_size ? info_out->struct_size : sizeof(info);
        if (size >= offsetof(sy_compile_info, scratch_bytes) + sizeof(size_t)) info_out->scratch_bytes = info.scratch_bytes;
        if (size >= offsetof(sy_compile_info, packed_bytes) + sizeof(size_t)) info_out->packed_bytes = info.packed_bytes;
        if (size >= offsetof(sy_compile_info, detail) + sizeof(const char *)) info_out->detail = info.detail;
    }
    return SY_OK;
}

static sy_status execute(sy_backend *backend, sy_kernel *kernel, const sy_exec_args *args) {
    (void)backend;
    return sy_xnn_kernel_execute((sy_xnn_kernel *)kernel, args);
}

static void release(sy_backend *backend, sy_kernel *kernel) {
    (void)backend;
    sy_xnn_kernel_release((sy_xnn_kernel *)kernel);
}

static const char *describe(sy_backend *backend) {
    return backend ? ((sy_xnn_backend *)backend)->description : "XNNPACK";
}

const sy_delegate sy_xnnpack_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "xnnpack",
    .version = "1.0.0",
    .vendor = "Switchyard",
    .options = kOptions,
    .n_options = sizeof(kOptions) / sizeof(kOptions[0]),
    .available = available,
    .create = create,
    .destroy = destroy,
    .supports = supports,
    .compile = compile,
    .execute = execute,
    .release = release,
    .reset_state = NULL, // states stay in host memory: nothing resident to reset or read
    .read_state = NULL,
    .describe = describe,
};
