#pragma once

// Process-wide counters of the Vulkan delegate, for tests and benchmarks (they link the static
// library). Not part of the public API; the runtime's stats will carry copy bytes once wired.

#include <stddef.h>
#include <stdint.h>

typedef struct sy_vulkan_debug_counters {
    uint32_t live_device_allocations; // VkDeviceMemory objects alive now
    uint32_t live_backends;           // sy_backend instances alive now
    uint32_t validation_errors;       // validation-layer errors seen so far
    uint32_t validation_warnings;     // validation-layer warnings seen so far
    size_t last_upload_bytes;         // host -> device bytes of the latest execute
    size_t last_download_bytes;       // device -> host bytes of the latest execute
    uint64_t n_executes;              // executes of any Vulkan partition
} sy_vulkan_debug_counters;

/// Fills *out with the current counters.
void sy_vulkan_debug_get(sy_vulkan_debug_counters *out);
/// 1 when VK_LAYER_KHRONOS_validation can be enabled on this machine.
int sy_vulkan_debug_validation_layer_present(void);
