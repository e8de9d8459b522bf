// The Vulkan delegate's vtable: options, availability, instance lifetime, capability queries,
// and the messages and counters the other files share.

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delegates/vulkan/vk_internal.h"
#include "delegates/vulkan/vk_ops.h"
#include "delegates/vulkan/vulkan_debug.h"

extern const sy_delegate sy_vulkan_delegate;

// --- process-wide counters ---

static atomic_uint live_backends;
static atomic_uint validation_errors;
static atomic_uint validation_warnings;
static atomic_size_t last_upload_bytes;
static atomic_size_t last_download_bytes;
static atomic_ullong n_executes;

void sy_vk_count_validation(int is_error) {
    if (is_error)
        atomic_fetch_add(&validation_errors, 1u);
    else
        atomic_fetch_add(&validation_warnings, 1u);
}

void sy_vk_count_copies(size_t upload_bytes, size_t download_bytes) {
    atomic_store(&last_upload_bytes, upload_bytes);
    atomic_store(&last_download_bytes, download_bytes);
    atomic_fetch_add(&n_executes, 1ull);
}

void sy_vulkan_debug_get(sy_vulkan_debug_counters *out) {
    if (!out) return;
    out->live_device_allocations = sy_vk_live_allocations();
    out->live_backends = atomic_load(&live_backends);
    out->validation_errors = atomic_load(&validation_errors);
    out->validation_warnings = atomic_load(&validation_warnings);
    out->last_upload_bytes = atomic_load(&last_upload_bytes);
    out->last_download_bytes = atomic_load(&last_download_bytes);
    out->n_executes = atomic_load(&n_executes);
}

// --- messages ---

// Whether the host table is long enough to hold `member` (plugins may meet older hosts).
#define HOST_HAS(host, member) \
    ((host) && (host)->struct_size >= offsetof(sy_host_api, member) + sizeof((host)->member) && (host)->member)

sy_status sy_vk_error(sy_backend *be, sy_status status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (be && HOST_HAS(be->host, error)) return be->host->error(be->host->host, status, "%s", msg);
    return status;
}

void sy_vk_log(sy_backend *be, sy_log_level level, const char *fmt, ...) {
    if (!be || !HOST_HAS(be->host, log)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    be->host->log(be->host->host, level, "vulkan: %s", msg);
}

void *sy_vk_calloc(sy_backend *be, size_t count, size_t size) {
    if (count == 0) count = 1;
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    size_t bytes = count * size;
    void *p = HOST_HAS(be->host, alloc) ? be->host->alloc(be->host->host, bytes, 16) : NULL;
    if (p) memset(p, 0, bytes);
    return p;
}

void sy_vk_free(sy_backend *be, void *ptr) {
    if (ptr && HOST_HAS(be->host, free)) be->host->free(be->host->host, ptr);
}

const char *sy_vk_result_name(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VK_ERROR_UNKNOWN";
    }
}

sy_status sy_vk_fail(sy_backend *be, VkResult r, const char *what, const char *where) {
    switch (r) {
    case VK_ERROR_DEVICE_LOST:
        be->lost = 1;
        return sy_vk_error(be, SY_ERR_DEVICE,
                           "Vulkan device '%s' was lost during %s of %s (VK_ERROR_DEVICE_LOST); "
                           "this backend cannot run anything more, recreate the runtime",
                           be->props.deviceName, what, where);
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return sy_vk_error(be, SY_ERR_DEVICE,
                           "Vulkan device '%s' ran out of device memory during %s of %s "
                           "(VK_ERROR_OUT_OF_DEVICE_MEMORY)",
                           be->props.deviceName, what, where);
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return sy_vk_error(be, SY_ERR_OUT_OF_MEMORY, "out of host memory during %s of %s (VK_ERROR_OUT_OF_HOST_MEMORY)",
                           what, where);
    case VK_TIMEOUT:
        be->lost = 1; // the work may still be running; nothing may touch its memory again
        return sy_vk_error(be, SY_ERR_DEVICE, "Vulkan device '%s' timed out during %s of %s", be->props.deviceName,
                           what, where);
    default: return sy_vk_error(be, SY_ERR_DELEGATE, "%s of %s failed: %s", what, where, sy_vk_result_name(r));
    }
}

sy_status sy_vk_check_validation(sy_backend *be, uint32_t before, const char *what, const char *where) {
    if (be->n_val_errors == before) return SY_OK;
    return sy_vk_error(be, SY_ERR_DELEGATE, "Vulkan validation error during %s of %s: %s", what, where,
                       be->val_message);
}

// --- options ---

static const sy_option_desc vk_options[] = {
    {"device", SY_OPTION_STRING, "", 0, -1, NULL,
     "Vulkan device: an index, or a substring of the device name (default: the first discrete "
     "GPU, then integrated, virtual, CPU)"},
    {"validation", SY_OPTION_BOOL, "0", 0, -1, NULL,
     "enable VK_LAYER_KHRONOS_validation and fail any call that triggers a validation error "
     "(also enabled by SWITCHYARD_VULKAN_VALIDATION=1)"},
};

static int parse_bool(const char *s, int *out) {
    static const char *const yes[] = {"1", "true", "on", "yes"};
    static const char *const no[] = {"0", "false", "off", "no"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int env_is_one(const char *name) {
    const char *v = getenv(name);
    return v && strcmp(v, "1") == 0;
}

// --- vtable ---

// Availability is the machine's answer. SWITCHYARD_REQUIRE_VULKAN=1 (a missing device is an
// error, not a fallback) is enforced by the runtime for every backend (SWITCHYARD_REQUIRE_<NAME>).
static int vk_available(char *reason, size_t reason_size) { return sy_vk_probe(reason, reason_size); }

static sy_status vk_create(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                           sy_backend **backend_out) {
    if (!host || !HOST_HAS(host, alloc) || !HOST_HAS(host, free) || !HOST_HAS(host, infer_node) || !backend_out)
        return host && HOST_HAS(host, error)
                   ? host->error(host->host, SY_ERR_INVALID_ARGUMENT,
                                 "vulkan: create needs a host table with alloc, free and infer_node")
                   : SY_ERR_INVALID_ARGUMENT;
    sy_backend probe = {.host = host};
    sy_backend *be = sy_vk_calloc(&probe, 1, sizeof *be);
    if (!be) return sy_vk_error(&probe, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory");
    be->host = host;

    const char *device_spec = NULL;
    int validation = env_is_one("SWITCHYARD_VULKAN_VALIDATION");
    for (uint32_t i = 0; i < n_options; i++) {
        const char *key = options[i].key ? options[i].key : "", *val = options[i].value;
        if (strcmp(key, "device") == 0) {
            device_spec = val;
        } else if (strcmp(key, "validation") == 0) {
            int on;
            if (!val || !parse_bool(val, &on)) {
                sy_vk_free(be, be);
                return sy_vk_error(&probe, SY_ERR_CONFIG, "vulkan: option 'validation' must be 0 or 1, not '%s'",
                                   val ? val : "(null)");
            }
            validation |= on;
        } else {
            sy_vk_free(be, be);
            return sy_vk_error(&probe, SY_ERR_CONFIG, "vulkan: unknown option '%s' (accepted: device, validation)",
                               key);
        }
    }
    sy_status st = sy_vk_device_open(be, device_spec, validation);
    if (st != SY_OK) {
        sy_vk_device_close(be);
        sy_vk_free(&probe, be);
        return st;
    }
    atomic_fetch_add(&live_backends, 1u);
    sy_vk_log(be, SY_LOG_INFO, "using %s%s", be->desc, be->validation ? " with validation" : "");
    *backend_out = be;
    return SY_OK;
}

static void vk_destroy(sy_backend *be) {
    if (!be) return;
    sy_backend copy = {.host = be->host};
    sy_vk_device_close(be);
    sy_vk_free(&copy, be);
    atomic_fetch_sub(&live_backends, 1u);
}

static int vk_supports(sy_backend *be, const sy_graph_view *graph, uint32_t node_id, char *reason, size_t reason_size) {
    if (!be || !graph || node_id >= graph->n_nodes) return sy_vk_refuse(reason, reason_size, "invalid node");
    const sy_node_info *node = &graph->nodes[node_id];
    const sy_vk_op_impl *impl = sy_vk_op_get(node->op);
    if (!impl) return sy_vk_refuse(reason, reason_size, "no Vulkan kernel for this op");
    return impl->supports(be, graph, node, reason, reason_size);
}

static sy_status vk_compile(sy_backend *be, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info_out) {
    return sy_vk_compile(be, sg, kernel_out, info_out);
}

static sy_status vk_execute(sy_backend *be, sy_kernel *k, const sy_exec_args *args) {
    return sy_vk_execute(be, k, args);
}

static void vk_release(sy_backend *be, sy_kernel *k) {
    sy_vk_release(be, k);
}

static sy_status vk_reset_state(sy_backend *be, sy_kernel *k) {
    return sy_vk_reset_state(be, k);
}

static sy_status vk_read_state(sy_backend *be, sy_kernel *k, uint32_t state_index, sy_tensor *out) {
    return sy_vk_read_state(be, k, state_index, out);
}

static const char *vk_describe(sy_backend *be) {
    return be ? be->desc : "vulkan";
}

const sy_delegate sy_vulkan_delegate = {
    .struct_size = sizeof(sy_delegate),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .name = "vulkan",
    .version = "1.0.0",
    .vendor = "Switchyard",
    .options = vk_options,
    .n_options = sizeof vk_options / sizeof vk_options[0],
    .available = vk_available,
    .create = vk_create,
    .destroy = vk_destroy,
    .supports = vk_supports,
    .compile = vk_compile,
    .execute = vk_execute,
    .release = vk_release,
    .reset_state = vk_reset_state,
    .read_state = vk_read_state,
    .describe = vk_describe,
};
