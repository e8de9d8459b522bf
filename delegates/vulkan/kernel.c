// Compiling a partition: which values live on the device, the dispatch plan, buffers and
// memory, descriptor sets, constant upload; plus release, reset_state and read_state.
//
// The partition's graph values (ids, dtypes, bounds, roles, boundary places, constant bytes,
// this call's shapes) are the delegate kit's value table (k->kp); k->values holds what only
// Vulkan needs per value, at the same local index, followed by the ops' aux values.

#include <stdio.h>
#include <string.h>

#include "delegates/vulkan/vk_ops.h"

#define NONE UINT32_MAX
#define STAGING_ALIGN 256
#define UPLOAD_CHUNK ((VkDeviceSize)64 << 20) // staging used to upload constants at compile

// --- local values ---

// The kit row of local value l, or NULL for an aux value.
static const sy_kit_value *kit_value(const sy_kernel *k, uint32_t l) {
    return l < k->kp.n_values ? &k->kp.values[l] : NULL;
}

const char *sy_vk_value_name(const sy_kernel *k, uint32_t local) {
    const sy_kit_value *e = kit_value(k, local);
    return e ? k->graph->values[e->id].name : "(aux)";
}

// --- plan helpers ---

sy_status sy_vk_plan_slot(sy_vk_node_ctx *ctx, sy_vk_shader shader, const uint32_t *bind, uint32_t write_mask) {
    sy_kernel *k = ctx->k;
    uint32_t nb = sy_vk_shader_bindings(shader);
    for (uint32_t i = 0; i < nb; i++)
        if (bind[i] >= k->n_values)
            return sy_vk_error(ctx->be, SY_ERR_INTERNAL, "vulkan: node #%u '%s': binding %u of %s has no value",
                               ctx->node_id, ctx->node->name, i, sy_vk_shader_name(shader));
    if (k->n_slots == k->cap_slots) {
        uint32_t cap = k->cap_slots ? k->cap_slots * 2 : 16;
        sy_vk_slot *slots = sy_vk_calloc(ctx->be, cap, sizeof *slots);
        if (!slots) return sy_vk_error(ctx->be, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory");
        if (k->slots) memcpy(slots, k->slots, k->n_slots * sizeof *slots);
        sy_vk_free(ctx->be, k->slots);
        k->slots = slots;
        k->cap_slots = cap;
    }
    sy_vk_slot *s = &k->slots[k->n_slots++];
    memset(s, 0, sizeof *s);
    s->shader = shader;
    s->write_mask = write_mask;
    for (uint32_t i = 0; i < nb; i++) {
        sy_vk_value *v = &k->values[bind[i]];
        const sy_kit_value *e = kit_value(k, bind[i]);
        s->bind[i] = bind[i];
        v->on_device = 1;
        if ((write_mask & (1u << i)) && e && e->role == SY_ROLE_STATE) v->mutated = 1;
    }
    return SY_OK;
}

void sy_vk_plan_host_read(sy_vk_node_ctx *ctx, uint32_t input) {
    if (input < ctx->node->n_inputs && ctx->in[input] != NONE) ctx->k->values[ctx->in[input]].host_read = 1;
}

void sy_vk_plan_alias(sy_vk_node_ctx *ctx, uint32_t output, uint32_t input) {
    ctx->k->values[ctx->out[output]].alias_of = (int32_t)ctx->in[input];
}

sy_status sy_vk_plan_aux(sy_vk_node_ctx *ctx, uint64_t max_floats, uint32_t *local_out) {
    sy_kernel *k = ctx->k;
    if (k->n_values >= k->cap_values)
        return sy_vk_error(ctx->be, SY_ERR_INTERNAL, "vulkan: node #%u '%s': too many aux buffers", ctx->node_id,
                           ctx->node->name);
    uint32_t l = k->n_values++;
    sy_vk_value *v = &k->values[l];
    memset(v, 0, sizeof *v);
    v->alias_of = -1;
    v->up_off = v->down_off = VK_WHOLE_SIZE;
    v->aux = 1;
    v->dev_bytes = max_floats * 4;
    *local_out = l;
    return SY_OK;
}

sy_status sy_vk_plan_scratch(sy_vk_node_ctx *ctx, uint64_t max_floats, uint32_t *local_out) {
    SY_VK_TRY(sy_vk_plan_aux(ctx, max_floats, local_out));
    ctx->k->values[*local_out].scratch = 1;
    return SY_OK;
}

// --- small helpers ---

static size_t value_numel_bound(const sy_kit_value *e) {
    size_t n = 1;
    for (uint32_t d = 0; d < e->rank; d++) n *= (size_t)e->bound[d];
    return n;
}

static uint32_t local_root(const sy_kernel *k, uint32_t v) {
    for (uint32_t guard = 0; k->values[v].alias_of >= 0 && guard < k->n_values; guard++)
        v = (uint32_t)k->values[v].alias_of;
    return v;
}

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) {
    return (v + a - 1) / a * a;
}

static void make_label(sy_kernel *k, const sy_subgraph *sg) {
    const sy_graph_view *g = sg->graph;
    if (sg->n_nodes == 0) {
        snprintf(k->label, sizeof k->label, "an empty partition");
    } else if (sg->n_nodes == 1) {
        snprintf(k->label, sizeof k->label, "partition '%s' (1 node)", g->nodes[sg->nodes[0]].name);
    } else {
        snprintf(k->label, sizeof k->label, "partition '%s'..'%s' (%u nodes)", g->nodes[sg->nodes[0]].name,
                 g->nodes[sg->nodes[sg->n_nodes - 1]].name, sg->n_nodes);
    }
}

// Sets every graph value's shape to its bound (declared) shape; data NULL.
static void bound_shapes(sy_kernel *k) {
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        sy_tensor *t = &k->kp.shapes[l];
        memset(t, 0, sizeof *t);
        t->dtype = e->dtype;
        t->rank = e->rank;
        for (uint32_t d = 0; d < e->rank; d++) t->dims[d] = e->bound[d];
    }
}

// --- staging of host bytes ---

sy_status sy_vk_stage_narrow(sy_kernel *k, uint32_t local, const void *src, size_t first, size_t count, void *dst) {
    const int64_t *s = (const int64_t *)src + first;
    int32_t *d = dst;
    for (size_t i = 0; i < count; i++) {
        if (s[i] < INT32_MIN || s[i] > INT32_MAX)
            return sy_vk_error(k->be, SY_ERR_OUT_OF_RANGE,
                               "vulkan: %s: element %zu of '%s' (%lld) does not fit in 32 bits", k->label, first + i,
                               sy_vk_value_name(k, local), (long long)s[i]);
        d[i] = (int32_t)s[i];
    }
    return SY_OK;
}

// A constant with its own device buffer: uploaded once at compile.
static int uploads_constant(const sy_kernel *k, uint32_t l) {
    const sy_kit_value *e = kit_value(k, l);
    const sy_vk_value *v = &k->values[l];
    return e && e->place == SY_KIT_CONSTANT && v->on_device && v->alias_of < 0;
}

// Uploads every device-resident constant through a bounded staging buffer.
static sy_status upload_constants(sy_kernel *k) {
    sy_backend *be = k->be;
    VkDeviceSize total = 0;
    for (uint32_t i = 0; i < k->n_values; i++)
        if (uploads_constant(k, i)) total += k->values[i].dev_bytes;
    k->packed_bytes = (size_t)total;
    if (total == 0) return SY_OK;
    VkDeviceSize chunk = total < UPLOAD_CHUNK ? align_up(total, 8) : UPLOAD_CHUNK;
    VkBuffer staging = VK_NULL_HANDLE;
    sy_vk_block block = {0};
    sy_status st = sy_vk_buffer_create(be, chunk, &staging, k->label);
    if (st == SY_OK) st = sy_vk_bind_host_visible(be, staging, &block, k->label);

    uint32_t vi = 0;
    VkDeviceSize voff = 0; // bytes of values[vi] already sent
    while (st == SY_OK) {
        VkCommandBuffer cmd;
        VkDeviceSize used = 0;
        int any = 0;
        st = sy_vk_oneoff_begin(be, &cmd, k->label);
        if (st != SY_OK) break;
        while (vi < k->n_values && used < chunk && st == SY_OK) {
            const sy_vk_value *v = &k->values[vi];
            if (!uploads_constant(k, vi) || voff == v->dev_bytes) {
                vi++;
                voff = 0;
                continue;
            }
            const void *src = k->kp.values[vi].constant;
            VkDeviceSize piece = v->dev_bytes - voff;
            if (piece > chunk - used) piece = (chunk - used) / 4 * 4; // whole i32 elements
            if (piece == 0) break;
            uint8_t *dst = (uint8_t *)block.mapped + used;
            if (v->narrow)
                st = sy_vk_stage_narrow(k, vi, src, (size_t)(voff / 4), (size_t)(piece / 4), dst);
            else
                memcpy(dst, (const uint8_t *)src + voff, (size_t)piece);
            VkBufferCopy region = {.srcOffset = used, .dstOffset = voff, .size = piece};
            vkCmdCopyBuffer(cmd, staging, k->buffers[v->buffer], 1, &region);
            used += piece;
            voff += piece;
            any = 1;
        }
        if (st != SY_OK) {
            (void)vkEndCommandBuffer(cmd);
            vkFreeCommandBuffers(be->device, be->pool, 1, &cmd);
            break;
        }
        sy_vk_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT);
        st = sy_vk_oneoff_submit(be, cmd, k->label);
        if (!any || vi >= k->n_values) break;
    }
    sy_vk_block_free(be, &block);
    if (staging) vkDestroyBuffer(be->device, staging, NULL);
    return st;
}

static sy_status zero_owned_states(sy_kernel *k) {
    int any = 0;
    for (uint32_t i = 0; i < k->kp.sg->n_states; i++)
        if (k->values[sy_kit_boundary_local(&k->kp, SY_KIT_STATE, i)].owned) any = 1;
    if (!any) return SY_OK;
    VkCommandBuffer cmd;
    SY_VK_TRY(sy_vk_oneoff_begin(k->be, &cmd, k->label));
    for (uint32_t i = 0; i < k->kp.sg->n_states; i++) {
        const sy_vk_value *v = &k->values[sy_kit_boundary_local(&k->kp, SY_KIT_STATE, i)];
        if (v->owned) vkCmdFillBuffer(cmd, k->buffers[v->buffer], 0, VK_WHOLE_SIZE, 0);
    }
    sy_vk_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                      VK_ACCESS_TRANSFER_WRITE_BIT);
    return sy_vk_oneoff_submit(k->be, cmd, k->label);
}

// --- compile ---

// The host hands in a well-formed subgraph; a malformed one fails here, naming what is wrong,
// before the kit builds its table (which trusts the indices).
static sy_status check_subgraph(sy_kernel *k, const sy_subgraph *sg) {
    const sy_graph_view *g = sg->graph;
    sy_backend *be = k->be;
    for (uint32_t i = 0; i < sg->n_nodes; i++) {
        if (sg->nodes[i] >= g->n_nodes)
            return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT,
                               "vulkan: partition node %u is node #%u, but the graph has %u nodes", i, sg->nodes[i],
                               g->n_nodes);
        const sy_node_info *n = &g->nodes[sg->nodes[i]];
        for (uint32_t j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] != SY_NO_VALUE && n->inputs[j] >= g->n_values)
                return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT,
                                   "vulkan: node #%u '%s' input %u refers to value #%u of %u", sg->nodes[i], n->name,
                                   j, n->inputs[j], g->n_values);
        for (uint32_t j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= g->n_values)
                return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT,
                                   "vulkan: node #%u '%s' output %u refers to value #%u of %u", sg->nodes[i], n->name,
                                   j, n->outputs[j], g->n_values);
    }
    const uint32_t *lists[3] = {sg->inputs, sg->outputs, sg->states};
    uint32_t counts[3] = {sg->n_inputs, sg->n_outputs, sg->n_states};
    for (int l = 0; l < 3; l++)
        for (uint32_t i = 0; i < counts[l]; i++)
            if (lists[l][i] >= g->n_values)
                return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT, "vulkan: %s: boundary value #%u of %u", k->label,
                                   lists[l][i], g->n_values);
    return SY_OK;
}

// The kit's value table, the Vulkan rows beside it, and each step's local inputs and outputs.
static sy_status collect_values(sy_kernel *k, const sy_subgraph *sg) {
    const sy_graph_view *g = sg->graph;
    sy_backend *be = k->be;
    SY_VK_TRY(check_subgraph(k, sg));
    SY_VK_TRY(sy_kit_partition_init(&k->kp, be->host, sg));
    size_t io = 0;
    for (uint32_t i = 0; i < sg->n_nodes; i++) io += g->nodes[sg->nodes[i]].n_inputs + g->nodes[sg->nodes[i]].n_outputs;
    size_t cap = (size_t)k->kp.n_values + 2 * (size_t)sg->n_nodes; // + aux buffers of each node
    k->values = sy_vk_calloc(be, cap, sizeof *k->values);
    k->cap_values = (uint32_t)cap;
    k->steps = sy_vk_calloc(be, sg->n_nodes, sizeof *k->steps);
    k->step_io = sy_vk_calloc(be, io, sizeof *k->step_io);
    if (!k->values || !k->steps || !k->step_io)
        return sy_vk_error(be, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory compiling %s", k->label);
    for (uint32_t l = 0; l < k->kp.n_values; l++) {
        const sy_kit_value *e = &k->kp.values[l];
        sy_vk_value *v = &k->values[l];
        v->alias_of = -1;
        v->up_off = v->down_off = VK_WHOLE_SIZE;
        v->owned = e->place == SY_KIT_STATE && sg->owns_state && sg->owns_state[e->index];
    }
    k->n_values = k->kp.n_values;

    uint32_t *io_p = k->step_io;
    for (uint32_t i = 0; i < sg->n_nodes; i++) {
        const sy_node_info *n = &g->nodes[sg->nodes[i]];
        sy_vk_step *s = &k->steps[i];
        s->node = sg->nodes[i];
        s->impl = sy_vk_op_get(n->op);
        if (!s->impl)
            return sy_vk_error(be, SY_ERR_UNSUPPORTED, "vulkan: node #%u '%s': op %d has no Vulkan kernel", s->node,
                               n->name, (int)n->op);
        if (n->n_inputs > SY_VK_MAX_NODE_IO || n->n_outputs > SY_VK_MAX_NODE_IO)
            return sy_vk_error(be, SY_ERR_UNSUPPORTED, "vulkan: node #%u '%s' has too many inputs", s->node, n->name);
        s->in = io_p;
        for (uint32_t j = 0; j < n->n_inputs; j++) *io_p++ = sy_kit_local(&k->kp, n->inputs[j]); // NONE when absent
        s->out = io_p;
        for (uint32_t j = 0; j < n->n_outputs; j++) *io_p++ = sy_kit_local(&k->kp, n->outputs[j]);
    }
    k->n_steps = sg->n_nodes;
    return SY_OK;
}

static sy_status plan_steps(sy_kernel *k) {
    for (uint32_t i = 0; i < k->n_steps; i++) {
        sy_vk_step *s = &k->steps[i];
        sy_vk_node_ctx ctx = {
            .be = k->be,
            .k = k,
            .graph = k->graph,
            .node_id = s->node,
            .node = &k->graph->nodes[s->node],
            .in = s->in,
            .out = s->out,
        };
        s->first_slot = k->n_slots;
        SY_VK_TRY(s->impl->plan(&ctx));
        s->n_slots = k->n_slots - s->first_slot;
        for (uint32_t j = s->first_slot; j < k->n_slots; j++) k->slots[j].step = i;
    }
    return SY_OK;
}

// Decides where each value lives; checks what only the host can provide.
static sy_status place_values(sy_kernel *k) {
    for (uint32_t i = 0; i < k->n_values; i++) {
        const sy_kit_value *e = kit_value(k, i);
        sy_vk_value *v = &k->values[i];
        if (v->alias_of >= 0 && (v->on_device || (e && e->place == SY_KIT_OUTPUT)))
            k->values[local_root(k, i)].on_device = 1;
    }
    for (uint32_t i = 0; i < k->kp.n_values; i++) { // aux values are sized by their plan
        const sy_kit_value *e = &k->kp.values[i];
        sy_vk_value *v = &k->values[i];
        int is_int = e->dtype == SY_DTYPE_I32 || e->dtype == SY_DTYPE_I64;
        int from_host = e->place == SY_KIT_INPUT || e->role == SY_ROLE_CONSTANT;
        if ((v->host_read || (v->on_device && is_int)) && !from_host)
            return sy_vk_error(k->be, SY_ERR_UNSUPPORTED,
                               "vulkan: %s: '%s' (%s) must come from outside the partition: the "
                               "delegate validates and narrows integer tensors on the host",
                               k->label, sy_vk_value_name(k, i), is_int ? "integer" : "host-read");
        v->narrow = v->on_device && e->dtype == SY_DTYPE_I64;
        size_t numel = value_numel_bound(e);
        v->dev_bytes = v->narrow ? numel * 4 : e->nbytes; // nbytes: sy_shape_nbytes at the bounds
        if (e->role == SY_ROLE_CONSTANT && v->on_device && !e->constant)
            return sy_vk_error(k->be, SY_ERR_INVALID_ARGUMENT, "vulkan: %s: constant '%s' has no data", k->label,
                               sy_vk_value_name(k, i));
    }
    uint32_t nb = 0;
    for (uint32_t i = 0; i < k->n_values; i++)
        if (k->values[i].on_device && k->values[i].alias_of < 0) k->values[i].buffer = nb++;
    for (uint32_t i = 0; i < k->n_values; i++) {
        sy_vk_value *v = &k->values[i];
        if (v->alias_of < 0) continue;
        const sy_vk_value *root = &k->values[local_root(k, i)];
        if (root->dev_bytes < v->dev_bytes)
            return sy_vk_error(k->be, SY_ERR_INTERNAL, "vulkan: %s: '%s' aliases a smaller buffer", k->label,
                               sy_vk_value_name(k, i));
        v->buffer = root->buffer;
        v->on_device = 1;
    }
    k->n_buffers = nb;
    return SY_OK;
}

static sy_status check_ranges(sy_kernel *k) {
    VkDeviceSize range = k->be->props.limits.maxStorageBufferRange;
    for (uint32_t s = 0; s < k->n_slots; s++) {
        const sy_vk_slot *slot = &k->slots[s];
        for (uint32_t b = 0; b < sy_vk_shader_bindings(slot->shader); b++) {
            VkDeviceSize bytes = k->values[local_root(k, slot->bind[b])].dev_bytes;
            if (bytes > range) {
                const sy_node_info *n = &k->graph->nodes[k->steps[slot->step].node];
                return sy_vk_error(k->be, SY_ERR_UNSUPPORTED,
                                   "vulkan: node #%u '%s' (%s): tensor '%s' needs %llu bytes, more "
                                   "than this device's maxStorageBufferRange (%llu bytes)",
                                   k->steps[slot->step].node, n->name, sy_vk_op_name(n->op),
                                   sy_vk_value_name(k, slot->bind[b]), (unsigned long long)bytes,
                                   (unsigned long long)range);
            }
        }
    }
    return SY_OK;
}

sy_status sy_vk_record_steps(sy_kernel *k, int dry_run) {
    sy_tensor in_t[SY_VK_MAX_NODE_IO], out_t[SY_VK_MAX_NODE_IO];
    for (uint32_t i = 0; i < k->n_steps; i++) {
        const sy_vk_step *s = &k->steps[i];
        const sy_node_info *n = &k->graph->nodes[s->node];
        for (uint32_t j = 0; j < n->n_inputs; j++) {
            if (s->in[j] == NONE) {
                memset(&in_t[j], 0, sizeof in_t[j]);
                continue;
            }
            in_t[j] = k->kp.shapes[s->in[j]];
            if (!dry_run && !k->values[s->in[j]].host_read) in_t[j].data = NULL; // only host-checked inputs show data
        }
        for (uint32_t j = 0; j < n->n_outputs; j++) {
            out_t[j] = k->kp.shapes[s->out[j]];
            out_t[j].data = NULL;
        }
        sy_vk_node_ctx ctx = {
            .be = k->be,
            .k = k,
            .graph = k->graph,
            .node_id = s->node,
            .node = n,
            .in = s->in,
            .out = s->out,
            .first_slot = s->first_slot,
            .n_slots = s->n_slots,
            .dry_run = dry_run,
            .in_t = in_t,
            .out_t = out_t,
        };
        // The op record's data checks (ids, indices, cache positions) on the host-read inputs,
        // before anything is recorded: a refused call submits nothing.
        if (!dry_run) SY_VK_TRY(sy_kit_check_node_data(k->be->host, k->graph, s->node, in_t));
        SY_VK_TRY(s->impl->record(&ctx));
    }
    return SY_OK;
}

// Runs every op's record step at the bound shapes: checks group counts and parameters against
// the device's limits now, with messages naming the node, instead of failing mid-execute.
static sy_status dry_run(sy_kernel *k) {
    bound_shapes(k);
    return sy_vk_record_steps(k, 1);
}

static sy_status create_buffers(sy_kernel *k) {
    sy_backend *be = k->be;
    k->buffers = sy_vk_calloc(be, k->n_buffers, sizeof *k->buffers);
    k->hazard = sy_vk_calloc(be, k->n_buffers, 1);
    if (!k->buffers || !k->hazard)
        return sy_vk_error(be, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory compiling %s", k->label);
    for (uint32_t i = 0; i < k->n_values; i++) {
        const sy_vk_value *v = &k->values[i];
        if (!v->on_device || v->alias_of >= 0) continue;
        // Zero-sized tensors still get a (tiny) buffer so that every binding is valid.
        VkDeviceSize size = align_up(v->dev_bytes ? v->dev_bytes : 4, 4);
        SY_VK_TRY(sy_vk_buffer_create(be, size, &k->buffers[v->buffer], k->label));
    }
    return sy_vk_bind_device_local(be, k->buffers, k->n_buffers, &k->blocks, &k->n_blocks, k->label);
}

// Boundary inputs and non-owned states are uploaded, outputs and mutated non-owned states
// downloaded, all through one mapped staging buffer laid out here (a state's upload and
// download share its bytes: the download happens after the upload within one submission).
static sy_status create_staging(sy_kernel *k) {
    const sy_subgraph *sg = k->kp.sg;
    VkDeviceSize off = 0;
    for (uint32_t i = 0; i < sg->n_inputs; i++) {
        sy_vk_value *v = &k->values[sy_kit_boundary_local(&k->kp, SY_KIT_INPUT, i)];
        if (!v->on_device || v->up_off != VK_WHOLE_SIZE) continue;
        v->up_off = off;
        off += align_up(v->dev_bytes, STAGING_ALIGN);
    }
    for (uint32_t i = 0; i < k->n_values; i++) {
        sy_vk_value *v = &k->values[i];
        if (!v->aux || v->scratch || !v->on_device) continue;
        v->up_off = off;
        off += align_up(v->dev_bytes, STAGING_ALIGN);
    }
    for (uint32_t i = 0; i < sg->n_states; i++) {
        sy_vk_value *v = &k->values[sy_kit_boundary_local(&k->kp, SY_KIT_STATE, i)];
        if (v->owned || !v->on_device || v->up_off != VK_WHOLE_SIZE) continue;
        v->up_off = off;
        if (v->mutated) v->down_off = off;
        off += align_up(v->dev_bytes, STAGING_ALIGN);
    }
    for (uint32_t i = 0; i < sg->n_outputs; i++) {
        sy_vk_value *v = &k->values[sy_kit_boundary_local(&k->kp, SY_KIT_OUTPUT, i)];
        if (v->down_off != VK_WHOLE_SIZE) continue;
        v->down_off = off;
        off += align_up(v->dev_bytes, STAGING_ALIGN);
    }
    k->staging_size = off;
    if (off == 0) return SY_OK;
    SY_VK_TRY(sy_vk_buffer_create(k->be, off, &k->staging, k->label));
    return sy_vk_bind_host_visible(k->be, k->staging, &k->staging_block, k->label);
}

static sy_status create_descriptors(sy_kernel *k) {
    sy_backend *be = k->be;
    uint32_t n_desc = 0;
    for (uint32_t s = 0; s < k->n_slots; s++) n_desc += sy_vk_shader_bindings(k->slots[s].shader);
    if (k->n_slots == 0) return SY_OK;
    VkDescriptorPoolSize size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = n_desc};
    VkDescriptorPoolCreateInfo pinfo = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = k->n_slots,
        .poolSizeCount = 1,
        .pPoolSizes = &size,
    };
    VkResult r = vkCreateDescriptorPool(be->device, &pinfo, NULL, &k->desc_pool);
    if (r != VK_SUCCESS) {
        k->desc_pool = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating a descriptor pool", k->label);
    }
    for (uint32_t s = 0; s < k->n_slots; s++) {
        sy_vk_slot *slot = &k->slots[s];
        VkPipeline pipe;
        SY_VK_TRY(sy_vk_pipeline_get(be, slot->shader, &pipe)); // also makes the layouts
        uint32_t nb = sy_vk_shader_bindings(slot->shader);
        VkDescriptorSetAllocateInfo ainfo = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
            .descriptorPool = k->desc_pool,
            .descriptorSetCount = 1,
            .pSetLayouts = &be->set_layouts[nb],
        };
        r = vkAllocateDescriptorSets(be->device, &ainfo, &slot->set);
        if (r != VK_SUCCESS) return sy_vk_fail(be, r, "allocating a descriptor set", k->label);
        VkDescriptorBufferInfo infos[SY_VK_MAX_BINDINGS];
        VkWriteDescriptorSet writes[SY_VK_MAX_BINDINGS];
        for (uint32_t b = 0; b < nb; b++) {
            infos[b] = (VkDescriptorBufferInfo){
                .buffer = k->buffers[k->values[slot->bind[b]].buffer], .offset = 0, .range = VK_WHOLE_SIZE};
            writes[b] = (VkWriteDescriptorSet){
                .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                .dstSet = slot->set,
                .dstBinding = b,
                .descriptorCount = 1,
                .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                .pBufferInfo = &infos[b],
            };
        }
        vkUpdateDescriptorSets(be->device, nb, writes, 0, NULL);
    }
    return SY_OK;
}

static sy_status create_command_buffer(sy_kernel *k) {
    sy_backend *be = k->be;
    VkCommandBufferAllocateInfo ainfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = be->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkResult r = vkAllocateCommandBuffers(be->device, &ainfo, &k->cmd);
    if (r != VK_SUCCESS) {
        k->cmd = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "allocating a command buffer", k->label);
    }
    VkFenceCreateInfo finfo = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    r = vkCreateFence(be->device, &finfo, NULL, &k->fence);
    if (r != VK_SUCCESS) {
        k->fence = VK_NULL_HANDLE;
        return sy_vk_fail(be, r, "creating a fence", k->label);
    }
    return SY_OK;
}

sy_status sy_vk_compile(sy_backend *be, const sy_subgraph *sg, sy_kernel **kernel_out, sy_compile_info *info_out) {
    if (!be || !sg || !sg->graph || !kernel_out)
        return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT, "vulkan: compile: missing argument");
    if (be->lost) return sy_vk_error(be, SY_ERR_DEVICE, "vulkan: the device was lost; recreate the runtime");
    sy_kernel *k = sy_vk_calloc(be, 1, sizeof *k);
    if (!k) return sy_vk_error(be, SY_ERR_OUT_OF_MEMORY, "vulkan: out of memory compiling");
    k->be = be;
    k->graph = sg->graph;
    make_label(k, sg);
    uint32_t val_before = be->n_val_errors;

    sy_status st = collect_values(k, sg);
    if (st == SY_OK) st = plan_steps(k);
    if (st == SY_OK) st = place_values(k);
    if (st == SY_OK) st = check_ranges(k);
    if (st == SY_OK) st = dry_run(k);
    if (st == SY_OK) st = create_buffers(k);
    if (st == SY_OK) st = create_staging(k);
    if (st == SY_OK) st = create_descriptors(k);
    if (st == SY_OK) st = create_command_buffer(k);
    if (st == SY_OK) st = upload_constants(k);
    if (st == SY_OK) st = zero_owned_states(k);
    if (st == SY_OK) st = sy_vk_check_validation(be, val_before, "compile", k->label);
    if (st != SY_OK) {
        sy_vk_release(be, k);
        return st;
    }
    sy_vk_log(be, SY_LOG_DEBUG,
              "compiled %s: %u dispatch slots, %u buffers in %u allocations, %zu constant bytes "
              "uploaded, %llu staging bytes",
              k->label, k->n_slots, k->n_buffers, k->n_blocks, k->packed_bytes, (unsigned long long)k->staging_size);
    if (info_out) {
        info_out->scratch_bytes = 0;
        info_out->packed_bytes = k->packed_bytes;
        info_out->detail = NULL;
    }
    *kernel_out = k;
    return SY_OK;
}

void sy_vk_release(sy_backend *be, sy_kernel *k) {
    if (!be || !k) return;
    VkDevice dev = be->device;
    if (dev) {
        // Never free memory a submission may still use (a failed wait leaves it pending).
        if (k->pending) (void)vkWaitForFences(dev, 1, &k->fence, VK_TRUE, SY_VK_FENCE_TIMEOUT_NS);
        if (k->fence) vkDestroyFence(dev, k->fence, NULL);
        if (k->cmd) vkFreeCommandBuffers(dev, be->pool, 1, &k->cmd);
        if (k->desc_pool) vkDestroyDescriptorPool(dev, k->desc_pool, NULL);
        for (uint32_t i = 0; k->buffers && i < k->n_buffers; i++)
            if (k->buffers[i]) vkDestroyBuffer(dev, k->buffers[i], NULL);
        if (k->staging) vkDestroyBuffer(dev, k->staging, NULL);
        sy_vk_block_free(be, &k->staging_block);
        sy_vk_blocks_free(be, k->blocks, k->n_blocks);
    }
    sy_vk_free(be, k->buffers);
    sy_vk_free(be, k->hazard);
    sy_vk_free(be, k->slots);
    sy_vk_free(be, k->values);
    sy_vk_free(be, k->steps);
    sy_vk_free(be, k->step_io);
    sy_kit_partition_deinit(&k->kp);
    sy_vk_free(be, k);
}

// --- states ---

sy_status sy_vk_reset_state(sy_backend *be, sy_kernel *k) {
    if (!be || !k) return SY_ERR_INVALID_ARGUMENT;
    if (be->lost) return sy_vk_error(be, SY_ERR_DEVICE, "vulkan: %s: the device was lost", k->label);
    uint32_t before = be->n_val_errors;
    SY_VK_TRY(zero_owned_states(k));
    return sy_vk_check_validation(be, before, "reset_state", k->label);
}

sy_status sy_vk_read_state(sy_backend *be, sy_kernel *k, uint32_t state_index, sy_tensor *out) {
    if (!be || !k || !out) return SY_ERR_INVALID_ARGUMENT;
    uint32_t l = sy_kit_boundary_local(&k->kp, SY_KIT_STATE, state_index);
    if (l == NONE)
        return sy_vk_error(be, SY_ERR_NOT_FOUND, "vulkan: %s has %u states, not state %u", k->label,
                           k->kp.sg->n_states, state_index);
    const sy_vk_value *v = &k->values[l];
    const sy_value_info *vi = &k->graph->values[k->kp.values[l].id];
    if (!v->owned)
        return sy_vk_error(be, SY_ERR_INVALID_ARGUMENT,
                           "vulkan: %s: state '%s' is not resident here (the host holds it)", k->label, vi->name);
    if (be->lost) return sy_vk_error(be, SY_ERR_DEVICE, "vulkan: %s: the device was lost", k->label);
    size_t bytes = (size_t)v->dev_bytes;
    int same = out->dtype == vi->dtype && out->rank == vi->rank && out->data;
    for (uint32_t d = 0; same && d < vi->rank; d++) same = out->dims[d] == vi->dims[d];
    if (!same)
        return sy_vk_error(be, SY_ERR_SHAPE,
                           "vulkan: read_state '%s': the destination must be a %s tensor of the "
                           "state's shape with memory",
                           vi->name, vi->dtype == SY_DTYPE_F32 ? "f32" : "matching");
    uint32_t before = be->n_val_errors;
    VkBuffer staging = VK_NULL_HANDLE;
    sy_vk_block block = {0};
    VkCommandBuffer cmd;
    sy_status st = sy_vk_buffer_create(be, bytes ? bytes : 4, &staging, k->label);
    if (st == SY_OK) st = sy_vk_bind_host_visible(be, staging, &block, k->label);
    if (st == SY_OK) st = sy_vk_oneoff_begin(be, &cmd, k->label);
    if (st == SY_OK) {
        if (bytes) {
            VkBufferCopy region = {.srcOffset = 0, .dstOffset = 0, .size = bytes};
            vkCmdCopyBuffer(cmd, k->buffers[v->buffer], staging, 1, &region);
        }
        sy_vk_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                      VK_ACCESS_HOST_READ_BIT);
        st = sy_vk_oneoff_submit(be, cmd, k->label);
    }
    if (st == SY_OK) st = sy_vk_check_validation(be, before, "read_state", k->label);
    if (st == SY_OK) memcpy(out->data, block.mapped, bytes);
    sy_vk_block_free(be, &block);
    if (staging) vkDestroyBuffer(be->device, staging, NULL);
    return st;
}
