// Device memory: buffers, grouped allocations, host-visible staging, one-off command buffers.

#include <stdatomic.h>
#include <string.h>

#include "delegates/vulkan/vk_internal.h"

// Keeps allocations moderate even where maxMemoryAllocationSize is huge: a few large blocks
// per partition, never one per tensor (maxMemoryAllocationCount can be as low as 4096).
#define BLOCK_CAP ((VkDeviceSize)1 << 30)

static atomic_uint live_allocations;

uint32_t sy_vk_live_allocations(void) {
    return atomic_load(&live_allocations);
}

// First memory type allowed by `bits` with all of `required`, trying in turn: with `preferred`
// and without `avoid`, with `preferred`, without `avoid`, anything. -1 when none.
static int find_memory_type(const sy_backend *be, uint32_t bits, VkMemoryPropertyFlags required,
                            VkMemoryPropertyFlags preferred, VkMemoryPropertyFlags avoid) {
    const VkPhysicalDeviceMemoryProperties *mp = &be->mem_props;
    for (int pass = 0; pass < 4; pass++) {
        VkMemoryPropertyFlags want = required | (pass < 2 ? preferred : 0);
        int check_avoid = pass == 0 || pass == 2;
        for (uint32_t i = 0; i < mp->memoryTypeCount; i++) {
            VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
            if (!(bits & (1u << i)) || (f & want) != want) continue;
            if (check_avoid && (f & avoid)) continue;
            return (int)i;
        }
    }
    return -1;
}

static VkResult allocate(sy_backend *be, VkDeviceSize size, uint32_t type, VkDeviceMemory *out) {
    VkMemoryAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = size,
        .memoryTypeIndex = type,
    };
    VkResult r = vkAllocateMemory(be->device, &info, NULL, out);
    if (r == VK_SUCCESS) atomic_fetch_add(&live_allocations, 1u);
    return r;
}

void sy_vk_block_free(sy_backend *be, sy_vk_block *block) {
    if (!block->memory) return;
    if (block->mapped) vkUnmapMemory(be->device, block->memory);
    vkFreeMemory(be->device, block->memory, NULL);
    atomic_fetch_sub(&live_allocations, 1u);
    memset(block, 0, sizeof *block);
}

void sy_vk_blocks_free(sy_backend *be, sy_vk_block *blocks, uint32_t n) {
    if (!blocks) return;
    for (uint32_t i = 0; i < n; i++) sy_vk_block_free(be, &blocks[i]);
    sy_vk_free(be, blocks);
}

sy_status sy_vk_buffer_create(sy_backend *be, VkDeviceSize size, VkBuffer *out, const char *where) {
    VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage =
            VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = vkCreateBuffer(be->device, &info, NULL, out);
    if (r != VK_SUCCESS) {
        *out = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating a buffer", where);
    }
    return SY_OK;
}

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) {
    return a ? (v + a - 1) / a * a : v;
}

sy_status sy_vk_bind_device_local(sy_backend *be, const VkBuffer *buffers, uint32_t n, sy_vk_block **blocks_out,
                                  uint32_t *n_blocks_out, const char *where) {
    *blocks_out = NULL;
    *n_blocks_out = 0;
    if (n == 0) return SY_OK;
    sy_status st = SY_OK;
    VkDeviceSize cap = be->max_alloc < BLOCK_CAP ? be->max_alloc : BLOCK_CAP;
    VkDeviceSize *offsets = sy_vk_calloc(be, n, sizeof *offsets);
    uint32_t *block_of = sy_vk_calloc(be, n, sizeof *block_of);
    uint32_t *type_of_block = sy_vk_calloc(be, n, sizeof *type_of_block);
    sy_vk_block *blocks = sy_vk_calloc(be, n, sizeof *blocks);
    uint32_t nb = 0;
    if (!offsets || !block_of || !type_of_block || !blocks) {
        st = sy_vk_error(be, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory planning %s", where);
        goto done;
    }
    // Greedy packing in order: a buffer joins the open block when the memory type matches and
    // the block stays within the cap; a buffer larger than the cap gets a block of its own.
    for (uint32_t i = 0; i < n; i++) {
        VkMemoryRequirements req;
        vkGetBufferMemoryRequirements(be->device, buffers[i], &req);
        int type = find_memory_type(be, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0,
                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
        if (type < 0) type = find_memory_type(be, req.memoryTypeBits, 0, 0, 0);
        if (type < 0) {
            st = sy_vk_error(be, SY_ERR_DEVICE, "vulkan: no memory type fits the buffers of %s", where);
            goto done;
        }
        VkDeviceSize off = nb ? align_up(blocks[nb - 1].size, req.alignment) : 0;
        if (nb == 0 || type_of_block[nb - 1] != (uint32_t)type || off + req.size > cap) {
            nb++;
            type_of_block[nb - 1] = (uint32_t)type;
            off = 0;
        }
        offsets[i] = off;
        block_of[i] = nb - 1;
        blocks[nb - 1].size = off + req.size;
    }
    for (uint32_t b = 0; b < nb; b++) {
        VkDeviceSize size = blocks[b].size;
        blocks[b].size = 0;
        VkResult r = allocate(be, size, type_of_block[b], &blocks[b].memory);
        if (r != VK_SUCCESS) {
            blocks[b].memory = VK_NULL_HANDLE;
            st = sy_vk_fail(be, r, "allocating device memory", where);
            goto done;
        }
        blocks[b].size = size;
    }
    for (uint32_t i = 0; i < n; i++) {
        VkResult r = vkBindBufferMemory(be->device, buffers[i], blocks[block_of[i]].memory, offsets[i]);
        if (r != VK_SUCCESS) {
            st = sy_vk_fail(be, r, "binding device memory", where);
            goto done;
        }
    }
done:
    if (st != SY_OK) {
        if (blocks) sy_vk_blocks_free(be, blocks, nb);
    } else {
        *blocks_out = blocks;
        *n_blocks_out = nb;
    }
    sy_vk_free(be, offsets);
    sy_vk_free(be, block_of);
    sy_vk_free(be, type_of_block);
    return st;
}

sy_status sy_vk_bind_host_visible(sy_backend *be, VkBuffer buffer, sy_vk_block *block_out, const char *where) {
    memset(block_out, 0, sizeof *block_out);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(be->device, buffer, &req);
    // Cached memory makes the read-back memcpy fast; device-local host-visible (BAR) memory
    // is slow to read from the host, so keep it for last.
    int type = find_memory_type(be, req.memoryTypeBits,
                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                VK_MEMORY_PROPERTY_HOST_CACHED_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0) return sy_vk_error(be, SY_ERR_DEVICE, "vulkan: no host-visible coherent memory for %s", where);
    sy_vk_block block = {0};
    VkResult r = allocate(be, req.size, (uint32_t)type, &block.memory);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "allocating staging memory", where);
    block.size = req.size;
    r = vkBindBufferMemory(be->device, buffer, block.memory, 0);
    if (r == VK_SUCCESS) r = vkMapMemory(be->device, block.memory, 0, VK_WHOLE_SIZE, 0, &block.mapped);
    if (r != VK_SUCCESS) {
        block.mapped = NULL;
        sy_vk_block_free(be, &block);
        return sy_vk_fail(be, r, "mapping staging memory", where);
    }
    *block_out = block;
    return SY_OK;
}

// --- one-off command buffers ---

sy_status sy_vk_oneoff_begin(sy_backend *be, VkCommandBuffer *cmd_out, const char *where) {
    VkCommandBufferAllocateInfo ainfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = be->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cmd;
    VkResult r = vkAllocateCommandBuffers(be->device, &ainfo, &cmd);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "allocating a command buffer", where);
    VkCommandBufferBeginInfo binfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    r = vkBeginCommandBuffer(cmd, &binfo);
    if (r != VK_SUCCESS) {
        vkFreeCommandBuffers(be->device, be->pool, 1, &cmd);
        return sy_vk_fail(be, r, "beginning a command buffer", where);
    }
    // Orders this work after everything submitted before (earlier executes, uploads).
    sy_vk_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                      VK_ACCESS_TRANSFER_WRITE_BIT);
    *cmd_out = cmd;
    return SY_OK;
}

sy_status sy_vk_oneoff_submit(sy_backend *be, VkCommandBuffer cmd, const char *where) {
    VkFence fence = VK_NULL_HANDLE;
    VkResult r = vkEndCommandBuffer(cmd);
    const char *what = "ending a command buffer";
    if (r == VK_SUCCESS) {
        VkFenceCreateInfo finfo = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        what = "creating a fence";
        r = vkCreateFence(be->device, &finfo, NULL, &fence);
    }
    if (r == VK_SUCCESS) {
        VkSubmitInfo sinfo = {
            .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
            .commandBufferCount = 1,
            .pCommandBuffers = &cmd,
        };
        what = "submitting work";
        r = vkQueueSubmit(be->queue, 1, &sinfo, fence);
    }
    if (r == VK_SUCCESS) {
        what = "waiting for the device";
        r = vkWaitForFences(be->device, 1, &fence, VK_TRUE, SY_VK_FENCE_TIMEOUT_NS);
    }
    if (fence) vkDestroyFence(be->device, fence, NULL);
    vkFreeCommandBuffers(be->device, be->pool, 1, &cmd);
    return r == VK_SUCCESS ? SY_OK : sy_vk_fail(be, r, what, where);
}

void sy_vk_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                   VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
    VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = src_access,
        .dstAccessMask = dst_access,
    };
    vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 1, &mb, 0, NULL, 0, NULL);
}
