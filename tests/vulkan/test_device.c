// The Vulkan delegate's device handling: availability and its reason (also with no driver at
// all), SWITCHYARD_REQUIRE_VULKAN turning a missing device into an error, device selection by
// index and by name, clean errors for a device that does not exist and for bad options,
// describe(), host allocations balanced after destroy, 100 create/destroy cycles with no
// device memory left behind, and a validation-layer error turning into a failed call.

#include <stdarg.h>
#include <stdio.h>

#include "vk_test.h"

#if defined(SY_HAVE_VULKAN)
#include "core/ops.h"
#include "delegates/vulkan/vk_internal.h"

// --- a minimal host, to drive the vtable directly ---

static char th_message[1024];
static long th_live_allocs;

static void th_log(void *host, sy_log_level level, const char *fmt, ...) {
    (void)host, (void)level, (void)fmt;
}

static sy_status th_error(void *host, sy_status status, const char *fmt, ...) {
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(th_message, sizeof th_message, fmt, ap);
    va_end(ap);
    return status;
}

static void *th_alloc(void *host, size_t size, size_t align) {
    (void)host;
    void *p = aligned_alloc(align < 16 ? 16 : align, (size + 63) / 64 * 64);
    if (p) th_live_allocs++;
    return p;
}

static void th_free(void *host, void *p) {
    (void)host;
    if (p) th_live_allocs--;
    free(p);
}

static sy_status th_infer(void *host, const sy_graph_view *graph, uint32_t node, const sy_tensor *inputs,
                          sy_tensor *outputs) {
    (void)host;
    return sy_op_infer_node(graph, node, inputs, outputs);
}

static const sy_host_api th_host = {
    .struct_size = sizeof(sy_host_api),
    .abi_version = SY_DELEGATE_ABI_VERSION,
    .log = th_log,
    .error = th_error,
    .alloc = th_alloc,
    .free = th_free,
    .infer_node = th_infer,
};

static sy_status th_create(const char *device, const char *validation, sy_backend **out) {
    sy_option opts[2];
    uint32_t n = 0;
    if (device) opts[n++] = (sy_option){"device", device};
    if (validation) opts[n++] = (sy_option){"validation", validation};
    th_message[0] = '\0';
    return sy_vulkan_delegate.create(&th_host, opts, n, out);
}

// --- a small program: y = linear(x, W, b) + x ---

static float g_w[16 * 16], g_b[16];

static sy_program *small_program(void) {
    sy_graph *g = NULL;
    CHECK_OK(sy_graph_create(&g));
    const int64_t xd[2] = {2, 16}, wd[2] = {16, 16}, bd[1] = {16};
    for (int i = 0; i < 256; i++) g_w[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < 16; i++) g_b[i] = (float)i / 16.0f;
    uint32_t x = vt_input(g, "x", 2, xd);
    uint32_t in[3] = {x, vt_constant(g, "w", SY_DTYPE_F32, 2, wd, g_w), vt_constant(g, "b", SY_DTYPE_F32, 1, bd, g_b)};
    uint32_t h = vt_op(g, "lin", SY_OP_LINEAR, in, 3, NULL, 0);
    uint32_t add[2] = {h, x};
    return vt_finish(g, vt_op(g, "res", SY_OP_ADD, add, 2, NULL, 0));
}

/// The independent reference of small_program for row 0 column j.
static float small_expected(const float *x, int row, int j) {
    double acc = g_b[j];
    for (int k = 0; k < 16; k++) acc += (double)x[row * 16 + k] * g_w[j * 16 + k];
    return (float)(acc + x[row * 16 + j]);
}

static void test_available_and_describe(void) {
    char reason[SY_REASON_MAX] = "unchanged";
    CHECK(sy_vulkan_delegate.available(reason, sizeof reason) == 1);
    sy_backend *be = NULL;
    CHECK_OK(th_create(NULL, NULL, &be));
    if (!be) return;
    const char *d = sy_vulkan_delegate.describe(be);
    // "<device name> (<driver name> <driver info>, Vulkan x.y)"
    CHECK_MSG(strstr(d, " (") && strstr(d, ", Vulkan 1.") && d[strlen(d) - 1] == ')', "describe: '%s'", d);
    fprintf(stderr, "  device: %s\n", d);
    sy_vulkan_delegate.destroy(be);
    CHECK_MSG(th_live_allocs == 0, "%ld host allocations outlive destroy", th_live_allocs);
    sy_vulkan_delegate.destroy(NULL); // accepted
}

static void test_device_selection(void) {
    sy_backend *be = NULL;
    CHECK_OK(th_create("0", NULL, &be));
    char name[256] = "";
    if (be) {
        // the device name is the text before " (" in describe()
        const char *d = sy_vulkan_delegate.describe(be);
        const char *cut = strstr(d, " (");
        size_t n = cut ? (size_t)(cut - d) : strlen(d);
        snprintf(name, sizeof name, "%.*s", (int)(n < 200 ? n : 200), d);
        sy_vulkan_delegate.destroy(be);
    }
    // by a name substring, in another case
    char sub[8] = "";
    for (int i = 0; i < 4 && name[i]; i++) sub[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    be = NULL;
    CHECK_OK(th_create(sub, NULL, &be));
    sy_vulkan_delegate.destroy(be);

    be = NULL;
    CHECK(th_create("99", NULL, &be) == SY_ERR_UNAVAILABLE && be == NULL);
    CHECK_MSG(strstr(th_message, "there is no Vulkan device 99") != NULL, "message: %s", th_message);
    CHECK(th_create("no-such-gpu-xyz", NULL, &be) == SY_ERR_UNAVAILABLE && be == NULL);
    CHECK_MSG(strstr(th_message, "no usable Vulkan device has 'no-such-gpu-xyz'") != NULL, "message: %s", th_message);
    CHECK(th_create(NULL, "maybe", &be) == SY_ERR_CONFIG && be == NULL);
    sy_option bogus = {"shaders", "fast"};
    CHECK(sy_vulkan_delegate.create(&th_host, &bogus, 1, &be) == SY_ERR_CONFIG && be == NULL);
    CHECK_MSG(th_live_allocs == 0, "%ld host allocations outlive failed creates", th_live_allocs);
    sy_vulkan_debug_counters c;
    sy_vulkan_debug_get(&c);
    CHECK(c.live_device_allocations == 0 && c.live_backends == 0);
}

/// The same through the runtime: an invalid device index is a clean error when vulkan is the
/// only backend, and a fallback to portable otherwise.
static void test_invalid_device_in_runtime(void) {
    sy_program *p = small_program();
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, "vulkan"));
    CHECK_OK(sy_config_set_option(cfg, "vulkan", "device", "42"));
    sy_config_set_policy(cfg, SY_POLICY_STRICT);
    CHECK_FAILS(sy_runtime_create(p, cfg, &rt), SY_ERR_UNAVAILABLE, "there is no Vulkan device 42");
    CHECK(rt == NULL);
    CHECK_OK(sy_config_set_backends(cfg, "vulkan,portable"));
    sy_config_set_policy(cfg, SY_POLICY_FALLBACK);
    // A required backend may not fall back, whatever the policy.
    const char *req = getenv("SWITCHYARD_REQUIRE_VULKAN");
    char *keep_req = req ? strdup(req) : NULL;
    setenv("SWITCHYARD_REQUIRE_VULKAN", "1", 1);
    CHECK_FAILS(sy_runtime_create(p, cfg, &rt), SY_ERR_UNAVAILABLE, "there is no Vulkan device 42");
    unsetenv("SWITCHYARD_REQUIRE_VULKAN");
    CHECK_OK(sy_runtime_create(p, cfg, &rt));
    if (keep_req) setenv("SWITCHYARD_REQUIRE_VULKAN", keep_req, 1);
    free(keep_req);
    float x[32], y[32];
    for (int i = 0; i < 32; i++) x[i] = (float)i / 32.0f;
    const int64_t xd[2] = {2, 16};
    vt_feed f = vt_feed_f32("x", x, 2, xd);
    int64_t n = 0;
    if (rt) {
        CHECK_OK(vt_execute(rt, &f, 1, y, 32, &n));
        CHECK_NEAR(y[5], small_expected(x, 0, 5), 1e-5);
    }
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(p);
}

/// 100 runtimes with the vulkan backend made, run and destroyed: device memory and backends
/// alive while a runtime lives, none left after each destroy.
static void test_create_destroy_100(void) {
    sy_program *p = small_program();
    float x[32], y[32];
    for (int i = 0; i < 32; i++) x[i] = (float)(i % 5) - 2.0f;
    const int64_t xd[2] = {2, 16};
    vt_feed f = vt_feed_f32("x", x, 2, xd);
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        sy_runtime *rt = NULL;
        sy_status st = vt_runtime(p, "vulkan", &rt);
        if (st != SY_OK) {
            CHECK_MSG(0, "create #%d: %s", i, sy_last_error());
            break;
        }
        sy_vulkan_debug_counters c;
        sy_vulkan_debug_get(&c);
        bad += c.live_backends != 1 || c.live_device_allocations == 0;
        int64_t n = 0;
        if (i % 10 == 0) { // executing every time adds nothing but minutes under validation
            CHECK_OK(vt_execute(rt, &f, 1, y, 32, &n));
            CHECK_NEAR(y[17], small_expected(x, 1, 1), 1e-5);
        }
        sy_runtime_destroy(rt);
        sy_vulkan_debug_get(&c);
        bad += c.live_backends != 0 || c.live_device_allocations != 0;
    }
    CHECK_MSG(bad == 0, "%d cycles left backends or device memory behind", bad);
    sy_program_destroy(p);
}

/// Without any Vulkan driver (the loader pointed at a file that does not exist) availability
/// says no, with the reason; with SWITCHYARD_REQUIRE_VULKAN=1 creating a runtime that lists
/// vulkan fails loudly with that reason instead of falling back in silence.
static void test_no_driver(void) {
    const char *old_icd = getenv("VK_ICD_FILENAMES"), *old_drv = getenv("VK_DRIVER_FILES");
    const char *old_req = getenv("SWITCHYARD_REQUIRE_VULKAN");
    char *keep_icd = old_icd ? strdup(old_icd) : NULL, *keep_drv = old_drv ? strdup(old_drv) : NULL;
    char *keep_req = old_req ? strdup(old_req) : NULL;
    setenv("VK_ICD_FILENAMES", "/nonexistent/switchyard_no_icd.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/switchyard_no_icd.json", 1);
    unsetenv("SWITCHYARD_REQUIRE_VULKAN");
    char reason[SY_REASON_MAX] = "";
    CHECK(sy_vulkan_delegate.available(reason, sizeof reason) == 0);
    CHECK_MSG(strstr(reason, "Vulkan") != NULL, "reason: '%s'", reason);
    fprintf(stderr, "  without a driver: %s\n", reason);

    setenv("SWITCHYARD_REQUIRE_VULKAN", "1", 1);
    CHECK(sy_vulkan_delegate.available(reason, sizeof reason) == 0); // the machine's answer
    sy_program *p = small_program();
    sy_runtime *rt = NULL;
    CHECK_FAILS(vt_runtime(p, "vulkan,portable", &rt), SY_ERR_UNAVAILABLE, "no Vulkan driver");
    CHECK(strstr(sy_last_error(), "SWITCHYARD_REQUIRE_VULKAN=1") != NULL);
    unsetenv("SWITCHYARD_REQUIRE_VULKAN");
    // without the requirement a list falls back to portable
    CHECK_OK(vt_runtime(p, "vulkan,portable", &rt));
    sy_runtime_destroy(rt);
    sy_program_destroy(p);

    if (keep_icd)
        setenv("VK_ICD_FILENAMES", keep_icd, 1);
    else
        unsetenv("VK_ICD_FILENAMES");
    if (keep_drv)
        setenv("VK_DRIVER_FILES", keep_drv, 1);
    else
        unsetenv("VK_DRIVER_FILES");
    if (keep_req) setenv("SWITCHYARD_REQUIRE_VULKAN", keep_req, 1);
    free(keep_icd), free(keep_drv), free(keep_req);
    CHECK(sy_vulkan_delegate.available(reason, sizeof reason) == 1);
}

/// A validation error (injected through the messenger the layer reports to) is counted and
/// turns the call that saw it into a failure carrying the layer's message.
static void test_validation_error_fails_call(void) {
    if (!sy_vulkan_debug_validation_layer_present()) {
        fprintf(stderr, "  (no validation layer: skipped)\n");
        return;
    }
    sy_backend *be = NULL;
    CHECK_OK(th_create(NULL, "1", &be));
    if (!be) return;
    CHECK(be->validation == 1 && be->messenger != VK_NULL_HANDLE);
    PFN_vkSubmitDebugUtilsMessageEXT submit =
        (PFN_vkSubmitDebugUtilsMessageEXT)vkGetInstanceProcAddr(be->instance, "vkSubmitDebugUtilsMessageEXT");
    CHECK(submit != NULL);
    if (submit) {
        uint32_t before = be->n_val_errors;
        VkDebugUtilsMessengerCallbackDataEXT data = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT,
            .pMessageIdName = "VUID-test",
            .pMessage = "VUID-test: injected by test_device",
        };
        submit(be->instance, VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT, &data);
        vt_expected_validation_errors++;
        CHECK(be->n_val_errors == before + 1);
        th_message[0] = '\0';
        CHECK(sy_vk_check_validation(be, before, "execute", "partition 'x'") == SY_ERR_DELEGATE);
        CHECK_MSG(strstr(th_message, "Vulkan validation error during execute of partition 'x': VUID-test") != NULL,
                  "message: %s", th_message);
        CHECK(sy_vk_check_validation(be, be->n_val_errors, "execute", "partition 'x'") == SY_OK);
    }
    sy_vulkan_delegate.destroy(be);
}

VT_MAIN({
    RUN(test_available_and_describe);
    RUN(test_device_selection);
    RUN(test_invalid_device_in_runtime);
    RUN(test_create_destroy_100);
    RUN(test_no_driver);
    RUN(test_validation_error_fails_call);
})
#else
VT_MAIN({})
#endif
