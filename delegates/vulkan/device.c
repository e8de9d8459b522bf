// Instance, device and queue selection, the validation messenger, and compute pipelines.

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delegates/vulkan/vk_internal.h"
#include "delegates/vulkan/vulkan_debug.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

// --- shader table ---

static const struct {
    const char *name;
    const uint32_t *code;
    const size_t *size;
    uint32_t n_bindings;
} shader_table[SY_VK_SHADER_COUNT] = {
#define SY_VK_SHADER_ROW_(id, file, nb) {#file, sy_vk_spirv_##file, &sy_vk_spirv_##file##_size, nb},
    SY_VK_SHADER_LIST(SY_VK_SHADER_ROW_)
#undef SY_VK_SHADER_ROW_
};

uint32_t sy_vk_shader_bindings(sy_vk_shader shader) {
    return shader_table[shader].n_bindings;
}

const char *sy_vk_shader_name(sy_vk_shader shader) {
    return shader_table[shader].name;
}

// --- instance ---

// The loader's instance version; 1.0 loaders lack vkEnumerateInstanceVersion, so look it up.
static uint32_t loader_version(void) {
    PFN_vkEnumerateInstanceVersion fn =
        (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(VK_NULL_HANDLE, "vkEnumerateInstanceVersion");
    uint32_t v = VK_API_VERSION_1_0;
    if (fn && fn(&v) != VK_SUCCESS) v = VK_API_VERSION_1_0;
    return v;
}

// Whether the loader (layer NULL) or a layer offers an instance extension.
static int has_instance_extension(const char *layer, const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS) return 0;
    VkExtensionProperties props[256];
    if (n > 256) n = 256;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, props) < 0) return 0;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(props[i].extensionName, name) == 0) return 1;
    return 0;
}

int sy_vulkan_debug_validation_layer_present(void) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS) return 0;
    VkLayerProperties props[128];
    if (n > 128) n = 128;
    if (vkEnumerateInstanceLayerProperties(&n, props) < 0) return 0;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(props[i].layerName, VALIDATION_LAYER) == 0) return 1;
    return 0;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                            VkDebugUtilsMessageTypeFlagsEXT types,
                                                            const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                            void *user) {
    (void)types;
    sy_backend *be = user;
    int is_error = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0;
    const char *msg = data && data->pMessage ? data->pMessage : "(no message)";
    sy_vk_count_validation(is_error);
    if (is_error) {
        be->n_val_errors++;
        snprintf(be->val_message, sizeof be->val_message, "%s", msg);
        sy_vk_log(be, SY_LOG_ERROR, "validation error: %s", msg);
    } else {
        be->n_val_warnings++;
        sy_vk_log(be, SY_LOG_WARN, "validation warning: %s", msg);
    }
    return VK_FALSE; // never abort the call inside the driver; the caller turns it into a status
}

static void messenger_info(sy_backend *be, VkDebugUtilsMessengerCreateInfoEXT *info) {
    memset(info, 0, sizeof *info);
    info->sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    info->messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    info->messageType =
        VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    info->pfnUserCallback = on_validation_message;
    info->pUserData = be;
}

// Creates an instance; with `be` non-NULL and validation on, also the layer and messenger.
static VkResult make_instance(sy_backend *be, int validation, VkInstance *out) {
    uint32_t api = loader_version();
    if (api > VK_API_VERSION_1_3) api = VK_API_VERSION_1_3;
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "switchyard",
        .applicationVersion = 1,
        .pEngineName = "switchyard",
        .engineVersion = 1,
        .apiVersion = api,
    };
    const char *exts[3];
    uint32_t n_exts = 0;
    VkInstanceCreateFlags flags = 0;
#ifdef VK_KHR_portability_enumeration
    // Lets the loader list portability drivers (MoltenVK); harmless elsewhere.
    if (has_instance_extension(NULL, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        exts[n_exts++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
#endif
    const char *layers[1] = {VALIDATION_LAYER};
    VkDebugUtilsMessengerCreateInfoEXT dbg;
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .flags = flags,
        .pApplicationInfo = &app,
    };
    // Synchronization validation checks our barriers, not only API usage: a missing barrier
    // between dependent dispatches is an error even where the driver happens to serialise.
    VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
        .enabledValidationFeatureCount = 1,
        .pEnabledValidationFeatures = &sync,
    };
    if (validation && be) {
        exts[n_exts++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        info.enabledLayerCount = 1;
        info.ppEnabledLayerNames = layers;
        messenger_info(be, &dbg); // also reports problems of instance creation itself
        info.pNext = &dbg;
        if (has_instance_extension(VALIDATION_LAYER, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME)) {
            exts[n_exts++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
            dbg.pNext = &features;
        }
    }
    info.enabledExtensionCount = n_exts;
    info.ppEnabledExtensionNames = n_exts ? exts : NULL;
    return vkCreateInstance(&info, NULL, out);
}

// --- physical devices ---

static const char *type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

// Preference order of the default pick: discrete, integrated, virtual, CPU, anything else.
static int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

// Whether a device can run us (Vulkan 1.1, a compute queue); writes its queue family or why not.
static int device_usable(VkPhysicalDevice dev, uint32_t *family_out, char *why, size_t why_size) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(dev, &props);
    if (props.apiVersion < VK_API_VERSION_1_1) {
        snprintf(why, why_size, "'%s' supports only Vulkan %u.%u (1.1 needed)", props.deviceName,
                 VK_API_VERSION_MAJOR(props.apiVersion), VK_API_VERSION_MINOR(props.apiVersion));
        return 0;
    }
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(dev, &n, NULL);
    VkQueueFamilyProperties fams[32];
    if (n > 32) n = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(dev, &n, fams);
    for (uint32_t i = 0; i < n; i++) {
        if ((fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && fams[i].queueCount > 0) {
            *family_out = i;
            return 1;
        }
    }
    snprintf(why, why_size, "'%s' has no compute queue", props.deviceName);
    return 0;
}

#define MAX_DEVICES 16

static uint32_t list_devices(VkInstance inst, VkPhysicalDevice *devs) {
    uint32_t n = MAX_DEVICES;
    if (vkEnumeratePhysicalDevices(inst, &n, devs) < 0) return 0;
    return n;
}

// "0 'llvmpipe (LLVM 15)' (CPU), 1 '...' (discrete GPU)" for messages.
static void describe_devices(const VkPhysicalDevice *devs, uint32_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n && used < size; i++) {
        VkPhysicalDeviceProperties props;
        vkGetPhysicalDeviceProperties(devs[i], &props);
        int w = snprintf(buf + used, size - used, "%s%u '%s' (%s)", i ? ", " : "", i, props.deviceName,
                         type_name(props.deviceType));
        if (w < 0) break;
        used += (size_t)w;
    }
}

int sy_vk_probe(char *reason, size_t reason_size) {
    char scratch[2];
    if (!reason || reason_size == 0) {
        reason = scratch;
        reason_size = sizeof scratch;
    }
    uint32_t api = loader_version();
    if (api < VK_API_VERSION_1_1) {
        snprintf(reason, reason_size, "the Vulkan loader supports only Vulkan 1.0 (1.1 needed)");
        return 0;
    }
    VkInstance inst = VK_NULL_HANDLE;
    VkResult r = make_instance(NULL, 0, &inst);
    if (r != VK_SUCCESS) {
        snprintf(reason, reason_size, "no Vulkan driver could be loaded (vkCreateInstance: %s)", sy_vk_result_name(r));
        return 0;
    }
    VkPhysicalDevice devs[MAX_DEVICES];
    uint32_t n = list_devices(inst, devs);
    int ok = 0;
    char why[256] = "no Vulkan device found";
    for (uint32_t i = 0; i < n && !ok; i++) {
        uint32_t family;
        ok = device_usable(devs[i], &family, why, sizeof why);
    }
    // The first instance that finds a device stays alive for the life of the process: it pins
    // the loader's driver (ICD) library, which would otherwise be unloaded and reloaded with
    // every backend instance (slow on software drivers, and whatever the driver keeps for the
    // process then has no library to be attributed to). Later probes still ask the machine.
    static pthread_mutex_t anchor_lock = PTHREAD_MUTEX_INITIALIZER;
    static VkInstance anchor = VK_NULL_HANDLE;
    pthread_mutex_lock(&anchor_lock);
    if (ok && anchor == VK_NULL_HANDLE) {
        anchor = inst;
        inst = VK_NULL_HANDLE;
    }
    pthread_mutex_unlock(&anchor_lock);
    if (inst != VK_NULL_HANDLE) vkDestroyInstance(inst, NULL);
    if (!ok) snprintf(reason, reason_size, "no usable Vulkan device: %s", why);
    return ok;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static sy_status pick_device(sy_backend *be, const char *spec, VkPhysicalDevice *dev_out, uint32_t *family_out) {
    VkPhysicalDevice devs[MAX_DEVICES];
    uint32_t n = list_devices(be->instance, devs);
    char list[768], why[256];
    describe_devices(devs, n, list, sizeof list);
    if (n == 0) return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: no Vulkan device found");

    if (spec && all_digits(spec)) {
        unsigned long idx = strtoul(spec, NULL, 10);
        if (idx >= n)
            return sy_vk_error(be, SY_ERR_UNAVAILABLE,
                               "vulkan: option device=%s: there is no Vulkan device %s (%u "
                               "device%s: %s)",
                               spec, spec, n, n == 1 ? "" : "s", list);
        if (!device_usable(devs[idx], family_out, why, sizeof why))
            return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: option device=%s: %s", spec, why);
        *dev_out = devs[idx];
        return SY_OK;
    }

    int best = -1, best_rank = 99;
    uint32_t best_family = 0;
    snprintf(why, sizeof why, "no device matches");
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties props;
        vkGetPhysicalDeviceProperties(devs[i], &props);
        if (spec && *spec && !contains_nocase(props.deviceName, spec)) continue;
        uint32_t family;
        if (!device_usable(devs[i], &family, why, sizeof why)) continue;
        if (type_rank(props.deviceType) < best_rank) {
            best = (int)i;
            best_rank = type_rank(props.deviceType);
            best_family = family;
        }
    }
    if (best < 0) {
        if (spec && *spec)
            return sy_vk_error(be, SY_ERR_UNAVAILABLE,
                               "vulkan: option device=%s: no usable Vulkan device has '%s' in its "
                               "name (%s; devices: %s)",
                               spec, spec, why, list);
        return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: no usable Vulkan device (%s; devices: %s)", why, list);
    }
    *dev_out = devs[best];
    *family_out = best_family;
    return SY_OK;
}

// "<device> (<driver name> <driver info>, Vulkan x.y)".
static void make_description(sy_backend *be) {
    char driver[192] = "";
    uint32_t n_ext = 0;
    int has_driver_props = be->props.apiVersion >= VK_API_VERSION_1_2;
    if (!has_driver_props && vkEnumerateDeviceExtensionProperties(be->phys, NULL, &n_ext, NULL) == VK_SUCCESS) {
        VkExtensionProperties exts[512];
        if (n_ext > 512) n_ext = 512;
        if (vkEnumerateDeviceExtensionProperties(be->phys, NULL, &n_ext, exts) >= 0)
            for (uint32_t i = 0; i < n_ext; i++)
                if (strcmp(exts[i].extensionName, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME) == 0) has_driver_props = 1;
    }
    if (has_driver_props) {
        VkPhysicalDeviceDriverProperties dp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
        VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &dp};
        vkGetPhysicalDeviceProperties2(be->phys, &p2);
        snprintf(driver, sizeof driver, "%s %s", dp.driverName, dp.driverInfo);
    } else {
        snprintf(driver, sizeof driver, "driver %u.%u.%u", VK_API_VERSION_MAJOR(be->props.driverVersion),
                 VK_API_VERSION_MINOR(be->props.driverVersion), VK_API_VERSION_PATCH(be->props.driverVersion));
    }
    snprintf(be->desc, sizeof be->desc, "%s (%s, Vulkan %u.%u)", be->props.deviceName, driver,
             VK_API_VERSION_MAJOR(be->props.apiVersion), VK_API_VERSION_MINOR(be->props.apiVersion));
}

sy_status sy_vk_device_open(sy_backend *be, const char *device_spec, int validation) {
    if (loader_version() < VK_API_VERSION_1_1)
        return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: the Vulkan loader supports only Vulkan 1.0 (1.1 needed)");
    if (validation) {
        if (!sy_vulkan_debug_validation_layer_present())
            return sy_vk_error(be, SY_ERR_UNAVAILABLE,
                               "vulkan: validation was requested (option validation or "
                               "SWITCHYARD_VULKAN_VALIDATION=1) but %s is not installed",
                               VALIDATION_LAYER);
        be->validation = 1;
    }
    VkResult r = make_instance(be, validation, &be->instance);
    if (r != VK_SUCCESS) {
        be->instance = VK_NULL_HANDLE;
        return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: no Vulkan driver could be loaded (vkCreateInstance: %s)",
                           sy_vk_result_name(r));
    }
    if (validation) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(be->instance, "vkCreateDebugUtilsMessengerEXT");
        be->destroy_messenger =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(be->instance, "vkDestroyDebugUtilsMessengerEXT");
        VkDebugUtilsMessengerCreateInfoEXT info;
        messenger_info(be, &info);
        if (!create || !be->destroy_messenger || create(be->instance, &info, NULL, &be->messenger) != VK_SUCCESS)
            return sy_vk_error(be, SY_ERR_UNAVAILABLE, "vulkan: could not create the validation messenger");
    }

    sy_status st = pick_device(be, device_spec, &be->phys, &be->queue_family);
    if (st != SY_OK) return st;

    vkGetPhysicalDeviceProperties(be->phys, &be->props);
    vkGetPhysicalDeviceMemoryProperties(be->phys, &be->mem_props);
    VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3};
    vkGetPhysicalDeviceProperties2(be->phys, &p2);
    be->max_alloc = m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : ((VkDeviceSize)1 << 30);

    float priority = 1.0f;
    VkDeviceQueueCreateInfo qinfo = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = be->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo dinfo = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qinfo,
    };
    r = vkCreateDevice(be->phys, &dinfo, NULL, &be->device);
    if (r != VK_SUCCESS) {
        be->device = VK_NULL_HANDLE;
        return sy_vk_error(be, r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? SY_ERR_DEVICE : SY_ERR_UNAVAILABLE,
                           "vulkan: could not open device '%s' (vkCreateDevice: %s)", be->props.deviceName,
                           sy_vk_result_name(r));
    }
    vkGetDeviceQueue(be->device, be->queue_family, 0, &be->queue);

    VkCommandPoolCreateInfo pinfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = be->queue_family,
    };
    r = vkCreateCommandPool(be->device, &pinfo, NULL, &be->pool);
    if (r != VK_SUCCESS) {
        be->pool = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating the command pool", "the Vulkan backend");
    }
    make_description(be);
    if (be->n_val_errors)
        return sy_vk_error(be, SY_ERR_DELEGATE, "vulkan: validation error while opening '%s': %s", be->props.deviceName,
                           be->val_message);
    return SY_OK;
}

void sy_vk_device_close(sy_backend *be) {
    if (be->device) {
        // A lost device returns an error here; the objects must be destroyed regardless.
        (void)vkDeviceWaitIdle(be->device);
        for (int i = 0; i < SY_VK_SHADER_COUNT; i++)
            if (be->pipelines[i]) vkDestroyPipeline(be->device, be->pipelines[i], NULL);
        for (int i = 0; i <= SY_VK_MAX_BINDINGS; i++) {
            if (be->pipe_layouts[i]) vkDestroyPipelineLayout(be->device, be->pipe_layouts[i], NULL);
            if (be->set_layouts[i]) vkDestroyDescriptorSetLayout(be->device, be->set_layouts[i], NULL);
        }
        if (be->pool) vkDestroyCommandPool(be->device, be->pool, NULL);
        vkDestroyDevice(be->device, NULL);
    }
    if (be->messenger && be->destroy_messenger) be->destroy_messenger(be->instance, be->messenger, NULL);
    if (be->instance) vkDestroyInstance(be->instance, NULL);
    be->device = VK_NULL_HANDLE;
    be->instance = VK_NULL_HANDLE;
}

// --- pipelines ---

static sy_status layouts_for(sy_backend *be, uint32_t nb) {
    if (be->pipe_layouts[nb]) return SY_OK;
    VkDescriptorSetLayoutBinding binds[SY_VK_MAX_BINDINGS];
    for (uint32_t i = 0; i < nb; i++) {
        binds[i] = (VkDescriptorSetLayoutBinding){
            .binding = i,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    }
    VkDescriptorSetLayoutCreateInfo sinfo = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = nb,
        .pBindings = binds,
    };
    VkResult r = vkCreateDescriptorSetLayout(be->device, &sinfo, NULL, &be->set_layouts[nb]);
    if (r != VK_SUCCESS) {
        be->set_layouts[nb] = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating a descriptor set layout", "the Vulkan backend");
    }
    VkPushConstantRange range = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = SY_VK_PUSH_WORDS * 4};
    VkPipelineLayoutCreateInfo linfo = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &be->set_layouts[nb],
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &range,
    };
    r = vkCreatePipelineLayout(be->device, &linfo, NULL, &be->pipe_layouts[nb]);
    if (r != VK_SUCCESS) {
        be->pipe_layouts[nb] = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating a pipeline layout", "the Vulkan backend");
    }
    return SY_OK;
}

sy_status sy_vk_pipeline_get(sy_backend *be, sy_vk_shader shader, VkPipeline *out) {
    if (be->pipelines[shader]) {
        *out = be->pipelines[shader];
        return SY_OK;
    }
    uint32_t nb = shader_table[shader].n_bindings;
    sy_status st = layouts_for(be, nb);
    if (st != SY_OK) return st;
    VkShaderModuleCreateInfo minfo = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = *shader_table[shader].size,
        .pCode = shader_table[shader].code,
    };
    VkShaderModule module;
    VkResult r = vkCreateShaderModule(be->device, &minfo, NULL, &module);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "creating shader module", shader_table[shader].name);
    VkComputePipelineCreateInfo cinfo = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage =
            {
                .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module,
                .pName = "main",
            },
        .layout = be->pipe_layouts[nb],
    };
    VkPipeline pipe;
    r = vkCreateComputePipelines(be->device, VK_NULL_HANDLE, 1, &cinfo, NULL, &pipe);
    vkDestroyShaderModule(be->device, module, NULL);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "creating the pipeline", shader_table[shader].name);
    be->pipelines[shader] = pipe;
    *out = pipe;
    return SY_OK;
}
