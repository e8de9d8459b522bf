// Running a compiled partition: this call's shapes, per-op parameters, one command buffer
// (uploads, dispatches with the barriers they need, downloads), one fence wait.

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "delegates/vulkan/vk_ops.h"

#define NONE UINT32_MAX
#define HAZARD_WRITTEN 1u // written by a dispatch since the last barrier
#define HAZARD_READ 2u    // read by a dispatch since the last barrier

// --- record helpers ---

sy_status sy_vk_dispatch(sy_vk_node_ctx *ctx, uint32_t slot, const void *push, size_t push_size, uint64_t gx,
                         uint64_t gy, uint64_t gz) {
    const uint32_t *lim = ctx->be->props.limits.maxComputeWorkGroupCount;
    if (slot >= ctx->n_slots || push_size > SY_VK_PUSH_WORDS * 4)
        return sy_vk_error(ctx->be, SY_ERR_INTERNAL,
                           "vulkan: node #%u '%s': bad slot %u or push "
                           "size %zu",
                           ctx->node_id, ctx->node->name, slot, push_size);
    if (gx > lim[0] || gy > lim[1] || gz > lim[2])
        return sy_vk_error(ctx->be, SY_ERR_UNSUPPORTED,
                           "vulkan: node #%u '%s' (%s): needs %llu x %llu x %llu workgroups of %s, "
                           "more than this device's maxComputeWorkGroupCount (%u x %u x %u)",
                           ctx->node_id, ctx->node->name, sy_vk_op_name(ctx->node->op), (unsigned long long)gx,
                           (unsigned long long)gy, (unsigned long long)gz,
                           sy_vk_shader_name(ctx->k->slots[ctx->first_slot + slot].shader), lim[0], lim[1], lim[2]);
    if (ctx->dry_run) return SY_OK;
    sy_vk_slot *s = &ctx->k->slots[ctx->first_slot + slot];
    s->active = gx && gy && gz;
    s->groups[0] = (uint32_t)gx;
    s->groups[1] = (uint32_t)gy;
    s->groups[2] = (uint32_t)gz;
    // The whole push range is always sent (unused words zero) so every word a shader may
    // read is defined.
    memset(s->push, 0, sizeof s->push);
    memcpy(s->push, push, push_size);
    s->push_bytes = (uint32_t)push_size;
    return SY_OK;
}

float *sy_vk_aux_write(sy_vk_node_ctx *ctx, uint32_t slot, uint32_t binding, uint64_t n_floats) {
    sy_kernel *k = ctx->k;
    sy_vk_value *v = &k->values[k->slots[ctx->first_slot + slot].bind[binding]];
    if (ctx->dry_run || !v->aux || n_floats * 4 > v->dev_bytes) return NULL;
    v->aux_floats = n_floats;
    return (float *)((uint8_t *)k->staging_block.mapped + v->up_off);
}

sy_status sy_vk_dispatch_1d(sy_vk_node_ctx *ctx, uint32_t slot, const void *push, size_t push_size, uint64_t n_groups) {
    uint64_t max_x = ctx->be->props.limits.maxComputeWorkGroupCount[0];
    uint64_t x = n_groups < max_x ? n_groups : max_x;
    uint64_t y = x ? (n_groups + x - 1) / x : 0;
    return sy_vk_dispatch(ctx, slot, push, push_size, x, y, x ? 1 : 0);
}

// --- this call's shapes ---

static sy_status shape_error(sy_kernel *k, const char *what, const sy_value_info *vi, const sy_tensor *t) {
    return sy_vk_error(k->be, SY_ERR_SHAPE,
                       "vulkan: %s: %s '%s' has dtype %d rank %u (dims %lld,%lld,...), which does "
                       "not fit the declared dtype %d rank %u",
                       k->label, what, vi->name, (int)t->dtype, t->rank, t->rank > 0 ? (long long)t->dims[0] : 0LL,
                       t->rank > 1 ? (long long)t->dims[1] : 0LL, (int)vi->dtype, vi->rank);
}

// A concrete shape fits a value when dtype and rank match and every dim is within its bound
// (and equal to it where the dim is static): buffers were sized at the bounds.
static int fits(const sy_value_info *vi, const sy_tensor *t) {
    if (t->dtype != vi->dtype || t->rank != vi->rank) return 0;
    for (uint32_t d = 0; d < vi->rank; d++) {
        if (t->dims[d] < 0 || t->dims[d] > vi->dims[d]) return 0;
        if (vi->sym[d] < 0 && t->dims[d] != vi->dims[d]) return 0;
    }
    return 1;
}

// Checks this call's boundary tensors before any shape rule runs: inputs and states must fit
// the bounds their buffers were sized at, and have memory where their bytes are read.
static sy_status check_boundary(sy_kernel *k, const sy_exec_args *args) {
    const sy_graph_view *g = k->graph;
    for (uint32_t i = 0; i < args->n_inputs; i++) {
        uint32_t l = sy_kit_boundary_local(&k->kp, SY_KIT_INPUT, i);
        const sy_vk_value *v = &k->values[l];
        const sy_value_info *vi = &g->values[k->kp.values[l].id];
        const sy_tensor *t = &args->inputs[i];
        if (!fits(vi, t)) return shape_error(k, "input", vi, t);
        if (!t->data && (v->on_device || v->host_read) && sy_tensor_numel(t) > 0)
            return sy_vk_error(k->be, SY_ERR_INVALID_ARGUMENT, "vulkan: %s: input '%s' has no data", k->label,
                               vi->name);
    }
    for (uint32_t i = 0; i < args->n_states; i++) {
        uint32_t l = sy_kit_boundary_local(&k->kp, SY_KIT_STATE, i);
        const sy_vk_value *v = &k->values[l];
        const sy_value_info *vi = &g->values[k->kp.values[l].id];
        const sy_tensor *t = &args->states[i];
        if (!fits(vi, t)) return shape_error(k, "state", vi, t); // a resident state's shape feeds the rules
        if (v->owned) continue;
        if (sy_tensor_nbytes(t) != v->dev_bytes) return shape_error(k, "state", vi, t);
        if (!t->data)
            return sy_vk_error(k->be, SY_ERR_INVALID_ARGUMENT, "vulkan: %s: state '%s' has no data", k->label,
                               vi->name);
    }
    return SY_OK;
}

// This call's shapes: the kit resolves them (boundary tensors from args, constants at their
// bounds, everything made here through the host's shape rules); each made value must fit the
// buffer sized at its bound.
static sy_status set_shapes(sy_kernel *k, const sy_exec_args *args) {
    SY_VK_TRY(check_boundary(k, args));
    SY_VK_TRY(sy_kit_resolve_shapes(&k->kp, args));
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        if (e->place != SY_KIT_OUTPUT && e->place != SY_KIT_INTERNAL) continue;
        const sy_value_info *vi = &k->graph->values[e->id];
        if (!fits(vi, &k->kp.shapes[l])) return shape_error(k, "output", vi, &k->kp.shapes[l]);
    }
    for (uint32_t l = k->kp.n_values; l < k->n_values; l++) k->values[l].aux_floats = 0; // unless its op writes it
    return SY_OK;
}

// Every op's per-call step: validation of host-side data, push constants, group counts.
static sy_status record_steps(sy_kernel *k) {
    for (uint32_t s = 0; s < k->n_slots; s++) k->slots[s].active = 0;
    return sy_vk_record_steps(k, 0);
}

// Bytes of local value l's device copy at this call's shape.
static size_t device_bytes(const sy_kernel *k, uint32_t l) {
    const sy_vk_value *v = &k->values[l];
    if (v->aux) return (size_t)v->aux_floats * 4;
    const sy_tensor *t = &k->kp.shapes[l];
    return v->narrow ? (size_t)sy_tensor_numel(t) * 4 : sy_tensor_nbytes(t);
}

static sy_status stage_uploads(sy_kernel *k, size_t *bytes_out) {
    uint8_t *map = k->staging_block.mapped;
    size_t total = 0;
    for (uint32_t i = 0; i < k->n_values; i++) {
        const sy_vk_value *v = &k->values[i];
        if (v->up_off == VK_WHOLE_SIZE) continue;
        size_t bytes = device_bytes(k, i);
        if (v->aux) { // already written into staging by its op
            total += bytes;
            continue;
        }
        if (bytes == 0) continue;
        const void *src = k->kp.shapes[i].data;
        if (v->narrow)
            SY_VK_TRY(sy_vk_stage_narrow(k, i, src, 0, bytes / 4, map + v->up_off));
        else
            memcpy(map + v->up_off, src, bytes);
        total += bytes;
    }
    *bytes_out = total;
    return SY_OK;
}

static void record_commands(sy_kernel *k) {
    sy_backend *be = k->be;
    VkCommandBuffer cmd = k->cmd;
    // Earlier submissions (previous executes, compile-time uploads, state resets) wrote the
    // buffers this one reads: order them first.
    sy_vk_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                      VK_ACCESS_TRANSFER_WRITE_BIT);
    int any_up = 0;
    for (uint32_t i = 0; i < k->n_values; i++) {
        const sy_vk_value *v = &k->values[i];
        size_t bytes = v->up_off == VK_WHOLE_SIZE ? 0 : device_bytes(k, i);
        if (bytes == 0) continue;
        VkBufferCopy region = {.srcOffset = v->up_off, .dstOffset = 0, .size = bytes};
        vkCmdCopyBuffer(cmd, k->staging, k->buffers[v->buffer], 1, &region);
        any_up = 1;
    }
    if (any_up)
        sy_vk_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT);

    // Dispatches: a barrier only where a dispatch depends on one since the last barrier
    // (read-after-write, write-after-write, write-after-read on the same buffer).
    memset(k->hazard, 0, k->n_buffers);
    VkPipeline bound = VK_NULL_HANDLE;
    for (uint32_t si = 0; si < k->n_slots; si++) {
        const sy_vk_slot *s = &k->slots[si];
        if (!s->active) continue;
        uint32_t nb = sy_vk_shader_bindings(s->shader);
        int need = 0;
        for (uint32_t b = 0; b < nb; b++) {
            uint8_t h = k->hazard[k->values[s->bind[b]].buffer];
            int writes = (s->write_mask >> b) & 1u;
            if ((h & HAZARD_WRITTEN) || (writes && (h & HAZARD_READ))) need = 1;
        }
        if (need) {
            sy_vk_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
            memset(k->hazard, 0, k->n_buffers);
        }
        for (uint32_t b = 0; b < nb; b++)
            k->hazard[k->values[s->bind[b]].buffer] |= ((s->write_mask >> b) & 1u) ? HAZARD_WRITTEN : HAZARD_READ;
        VkPipeline pipe = be->pipelines[s->shader]; // created at compile
        if (pipe != bound) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
            bound = pipe;
        }
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, be->pipe_layouts[nb], 0, 1, &s->set, 0, NULL);
        vkCmdPushConstants(cmd, be->pipe_layouts[nb], VK_SHADER_STAGE_COMPUTE_BIT, 0, SY_VK_PUSH_WORDS * 4, s->push);
        vkCmdDispatch(cmd, s->groups[0], s->groups[1], s->groups[2]);
    }

    int any_down = 0;
    for (uint32_t i = 0; i < k->n_values && !any_down; i++) any_down = k->values[i].down_off != VK_WHOLE_SIZE;
    if (!any_down) return;
    sy_vk_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    for (uint32_t i = 0; i < k->n_values; i++) {
        const sy_vk_value *v = &k->values[i];
        size_t bytes = v->down_off == VK_WHOLE_SIZE ? 0 : device_bytes(k, i);
        if (bytes == 0) continue;
        VkBufferCopy region = {.srcOffset = 0, .dstOffset = v->down_off, .size = bytes};
        vkCmdCopyBuffer(cmd, k->buffers[v->buffer], k->staging, 1, &region);
    }
    sy_vk_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                  VK_ACCESS_HOST_READ_BIT);
}

static sy_status submit_and_wait(sy_kernel *k) {
    sy_backend *be = k->be;
    VkCommandBufferBeginInfo binfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    VkResult r = vkBeginCommandBuffer(k->cmd, &binfo);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "recording commands", k->label);
    record_commands(k);
    r = vkEndCommandBuffer(k->cmd);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "recording commands", k->label);
    VkSubmitInfo sinfo = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &k->cmd,
    };
    r = vkQueueSubmit(be->queue, 1, &sinfo, k->fence);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "submitting work", k->label);
    k->pending = 1;
    r = vkWaitForFences(be->device, 1, &k->fence, VK_TRUE, SY_VK_FENCE_TIMEOUT_NS);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "waiting for the device", k->label);
    k->pending = 0;
    r = vkResetFences(be->device, 1, &k->fence);
    if (r != VK_SUCCESS) return sy_vk_fail(be, r, "resetting a fence", k->label);
    return SY_OK;
}

static sy_status copy_downloads(sy_kernel *k, const sy_exec_args *args, size_t *bytes_out) {
    const uint8_t *map = k->staging_block.mapped;
    size_t total = 0;
    for (uint32_t i = 0; i < args->n_outputs; i++) {
        uint32_t l = sy_kit_boundary_local(&k->kp, SY_KIT_OUTPUT, i);
        const sy_vk_value *v = &k->values[l];
        const sy_tensor *shape = &k->kp.shapes[l];
        sy_tensor *t = &args->outputs[i];
        size_t bytes = device_bytes(k, l);
        if (bytes && !t->data)
            return sy_vk_error(k->be, SY_ERR_INVALID_ARGUMENT, "vulkan: %s: output '%s' has no memory", k->label,
                               sy_vk_value_name(k, l));
        if (bytes) memcpy(t->data, map + v->down_off, bytes);
        t->dtype = shape->dtype;
        t->rank = shape->rank;
        memcpy(t->dims, shape->dims, sizeof t->dims);
        total += bytes;
    }
    for (uint32_t i = 0; i < args->n_states; i++) {
        uint32_t l = sy_kit_boundary_local(&k->kp, SY_KIT_STATE, i);
        const sy_vk_value *v = &k->values[l];
        if (v->owned || v->down_off == VK_WHOLE_SIZE) continue;
        size_t bytes = device_bytes(k, l);
        memcpy(args->states[i].data, map + v->down_off, bytes);
        total += bytes;
    }
    *bytes_out = total;
    return SY_OK;
}

// Profiling events (names must be stable pointers: the host pairs begin and end by pointer).
static const char EV_STAGE[] = "vulkan.stage";       // shapes, checks, staging writes
static const char EV_DEVICE[] = "vulkan.device";     // record, submit, wait
static const char EV_READBACK[] = "vulkan.readback"; // staging -> host outputs and states

static void profile(const sy_backend *be, const char *name, int begin) {
    const sy_host_api *h = be->host;
    if (begin && h->struct_size >= offsetof(sy_host_api, profile_begin) + sizeof h->profile_begin && h->profile_begin)
        h->profile_begin(h->host, name);
    if (!begin && h->struct_size >= offsetof(sy_host_api, profile_end) + sizeof h->profile_end && h->profile_end)
        h->profile_end(h->host, name);
}

sy_status sy_vk_execute(sy_backend *be, sy_kernel *k, const sy_exec_args *args) {
    if (!be || !k || !args) return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT, "vulkan: execute: missing argument");
    if (be->lost)
        return sy_vk_error(be, SY_ERR_DEVICE,
                           "vulkan: %s: the Vulkan device was lost earlier; "
                           "recreate the runtime",
                           k->label);
    const sy_subgraph *sg = k->kp.sg;
    if (args->n_inputs != sg->n_inputs || args->n_outputs != sg->n_outputs || args->n_states != sg->n_states ||
        (sg->n_inputs && !args->inputs) || (sg->n_outputs && !args->outputs) || (sg->n_states && !args->states))
        return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: %s expects %u inputs, %u outputs and %u states, got %u, %u, %u", k->label,
                           sg->n_inputs, sg->n_outputs, sg->n_states, args->n_inputs, args->n_outputs, args->n_states);
    uint32_t before = be->n_val_errors;
    size_t up = 0, down = 0;
    // Nothing reaches the device before every shape and every host-checked input is valid.
    profile(be, EV_STAGE, 1);
    sy_status st = set_shapes(k, args);
    if (st == SY_OK) st = record_steps(k);
    if (st == SY_OK) st = stage_uploads(k, &up);
    profile(be, EV_STAGE, 0);
    if (st != SY_OK) return st;
    profile(be, EV_DEVICE, 1);
    st = submit_and_wait(k);
    profile(be, EV_DEVICE, 0);
    if (st == SY_OK) st = sy_vk_check_validation(be, before, "execute", k->label);
    if (st != SY_OK) return st;
    profile(be, EV_READBACK, 1);
    st = copy_downloads(k, args, &down);
    profile(be, EV_READBACK, 0);
    if (st != SY_OK) return st;
    k->last_upload_bytes = up;
    k->last_download_bytes = down;
    sy_vk_count_copies(up, down);
    if (args->struct_size >= offsetof(sy_exec_args, copy_bytes_out) + sizeof args->copy_bytes_out &&
        args->copy_bytes_out)
        *args->copy_bytes_out += up + down;
    sy_vk_log(be, SY_LOG_DEBUG, "executed %s: copied %zu bytes (%zu up, %zu down)", k->label, up + down, up, down);
    return SY_OK;
}
