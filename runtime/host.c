// The host services a runtime offers its delegates (sy_host_api).

#include <stdarg.h>
#include <time.h>

#include "core/alloc.h"
#include "core/ops.h"
#include "core/status.h"
#include "runtime/plugin.h"
#include "runtime/runtime.h"

uint64_t sy_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void host_log(void *host, sy_log_level level, const char *fmt, ...) {
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    sy_logv(level, fmt, ap);
    va_end(ap);
}

static sy_status host_error(void *host, sy_status status, const char *fmt, ...) {
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    sy_error_setv(status, fmt, ap);
    va_end(ap);
    return status;
}

static void *host_alloc(void *host, size_t size, size_t align) {
    (void)host;
    return sy_aligned_alloc(size, align < 16 ? 16 : align);
}

static void host_free(void *host, void *p) {
    (void)host;
    sy_free(p);
}

static sy_status host_infer(void *host, const sy_graph_view *graph, uint32_t node, const sy_tensor *inputs,
                            sy_tensor *outputs) {
    (void)host;
    SY_CHECK(graph && node < graph->n_nodes, SY_ERR_INVALID_ARGUMENT, "infer_node: node #%u does not exist", node);
    return sy_op_infer_node(graph, node, inputs, outputs);
}

static sy_status host_check_data(void *host, const sy_graph_view *graph, uint32_t node, const sy_tensor *inputs) {
    (void)host;
    SY_CHECK(graph && node < graph->n_nodes && inputs, SY_ERR_INVALID_ARGUMENT,
             "check_node_data: node #%u does not exist or inputs is NULL", node);
    return sy_op_check_node_data(graph, node, inputs);
}

static void host_profile_begin(void *host, const char *name) {
    sy_host_ctx *ctx = host;
    if (!ctx) return; // outside a runtime nothing is profiled
    sy_runtime *rt = ctx->rt;
    if (!rt->profiling || rt->n_events >= SY_MAX_PROFILE_EVENTS) return;
    sy_profile_event *e = &rt->events[rt->n_events++];
    e->name = name;
    e->partition = ctx->current_partition;
    e->begin_ns = sy_now_ns();
    e->end_ns = 0;
}

static void host_profile_end(void *host, const char *name) {
    sy_host_ctx *ctx = host;
    if (!ctx) return;
    sy_runtime *rt = ctx->rt;
    if (!rt->profiling) return;
    for (uint32_t i = rt->n_events; i-- > 0;) { // innermost open event of that name
        sy_profile_event *e = &rt->events[i];
        if (e->end_ns == 0 && e->name == name) {
            e->end_ns = sy_now_ns();
            return;
        }
    }
}

// Every member is filled, so a delegate created outside a runtime (`switchyard backends`, a
// plugin's entry point) sees the same complete table it sees inside one; host is NULL there.
static const sy_host_api default_host = {
    .struct_size = sizeof(sy_host_api),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .host = NULL,
    .log = host_log,
    .error = host_error,
    .alloc = host_alloc,
    .free = host_free,
    .infer_node = host_infer,
    .profile_begin = host_profile_begin,
    .profile_end = host_profile_end,
    .check_node_data = host_check_data,
};

const sy_host_api *sy_host_default(void) { return &default_host; }

void sy_host_init(sy_runtime *rt) {
    rt->host_ctx.rt = rt;
    rt->host = default_host; // the same services, with this runtime's context for profiling
    rt->host.host = &rt->host_ctx;
}
