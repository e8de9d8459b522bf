#include "partitioner/partition.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/strbuf.h"

int sy_rule_matches(const char *match, const sy_graph_view *g, uint32_t node) {
    const sy_node_info *n = &g->nodes[node];
    if (strncmp(match, "op:", 3) == 0) return strcmp(match + 3, sy_op_name(n->op)) == 0;
    return n->name && fnmatch(match, n->name, 0) == 0;
}

void sy_partition_plan_free(sy_partition_plan *plan) {
    if (!plan) return;
    for (uint32_t p = 0; p < plan->n_partitions; p++) {
        sy_partition *P = &plan->partitions[p];
        sy_free(P->nodes);
        sy_free(P->inputs);
        sy_free(P->outputs);
        sy_free(P->states);
        sy_free(P->owns_state);
    }
    sy_free(plan->partitions);
    sy_free(plan->node_backend);
    sy_free(plan->node_partition);
    if (plan->reasons)
        for (size_t i = 0; i < (size_t)plan->n_nodes * plan->n_backends; i++) sy_free(plan->reasons[i]);
    sy_free(plan->reasons);
    memset(plan, 0, sizeof *plan);
}

/// Decides why backend `b` may not take node `n` (returns 1 and fills `why`), or 0 when it may.
static int refuses(const sy_graph_view *g, uint32_t n, const sy_part_backend *be, uint32_t b,
                   const sy_part_rule *rules, uint32_t n_rules, const uint8_t *banned,
                   const char *banned_reason, uint32_t n_backends, char *why, size_t size) {
    if (!be->available) {
        snprintf(why, size, "unavailable: %s", be->unavailable_reason ? be->unavailable_reason : "?");
        return 1;
    }
    for (uint32_t r = 0; r < n_rules; r++) {
        if (!sy_rule_matches(rules[r].match, g, n)) continue;
        int same = strcmp(rules[r].backend, be->name) == 0;
        if (rules[r].kind == SY_RULE_FORBID && same) {
            snprintf(why, size, "forbidden by rule '%s'", rules[r].match);
            return 1;
        }
        if (rules[r].kind == SY_RULE_PIN && !same) {
            snprintf(why, size, "rule '%s' pins it to '%s'", rules[r].match, rules[r].backend);
            return 1;
        }
    }
    if (banned && banned[(size_t)n * n_backends + b]) {
        snprintf(why, size, "%s", banned_reason ? banned_reason : "compile failed");
        return 1;
    }
    why[0] = '\0';
    if (be->supports && !be->supports(be->ctx, g, n, why, size)) {
        if (!why[0]) snprintf(why, size, "not supported");
        return 1;
    }
    return 0;
}

static sy_status assign_backends(const sy_graph_view *g, const sy_part_backend *backends,
                                 uint32_t nb, const sy_part_rule *rules, uint32_t n_rules,
                                 const uint8_t *banned, const char *banned_reason,
                                 sy_partition_plan *plan) {
    char why[SY_REASON_MAX];
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        uint32_t chosen = nb;
        for (uint32_t b = 0; b < nb && chosen == nb; b++) {
            if (!refuses(g, n, &backends[b], b, rules, n_rules, banned, banned_reason, nb, why, sizeof why)) {
                chosen = b;
                break;
            }
            char **slot = &plan->reasons[(size_t)n * nb + b];
            *slot = sy_strdup(why);
            SY_CHECK(*slot, SY_ERR_OUT_OF_MEMORY, "out of memory partitioning");
        }
        if (chosen == nb) {
            char msg[1024];
            sy_strbuf sb;
            sy_strbuf_init(&sb, msg, sizeof msg);
            for (uint32_t b = 0; b < nb; b++)
                sy_strbuf_addf(&sb, "%s%s: %s", b ? "; " : "", backends[b].name, plan->reasons[(size_t)n * nb + b]);
            return sy_error_set(SY_ERR_UNSUPPORTED, "node #%u '%s' (%s): no configured backend takes it (%s)",
                                n, g->nodes[n].name, sy_op_name(g->nodes[n].op), nb ? msg : "no backends");
        }
        plan->node_backend[n] = chosen;
    }
    return SY_OK;
}

/// Bitset helpers: one row of `words` uint64 per partition.
#define BIT_GET(row, i) (((row)[(i) >> 6] >> ((i) & 63)) & 1u)
#define BIT_SET(row, i) ((row)[(i) >> 6] |= (uint64_t)1 << ((i) & 63))

typedef struct builder {
    const sy_graph_view *g;
    uint32_t *producer;   // (n_values) producing node + 1, 0 if none
    uint32_t *last_touch; // (n_values) last node + 1 touching a state so far
    uint64_t *anc;        // (n_nodes * words) partitions that must run before each partition
    uint32_t words;
    uint32_t n_parts;
    uint32_t *part_backend; // (n_nodes)
} builder;

/// Collects the partitions node n depends on (data and state order) into deps; returns count.
static uint32_t node_deps(builder *B, const sy_partition_plan *plan, uint32_t n, uint32_t *deps) {
    const sy_node_info *node = &B->g->nodes[n];
    uint32_t nd = 0;
    for (uint32_t i = 0; i < node->n_inputs; i++) {
        uint32_t v = node->inputs[i], from = 0;
        if (v == SY_NO_VALUE) continue;
        if (B->producer[v]) from = B->producer[v];
        else if (B->g->values[v].role == SY_ROLE_STATE && B->last_touch[v]) from = B->last_touch[v];
        if (!from) continue;
        uint32_t p = plan->node_partition[from - 1];
        int seen = 0;
        for (uint32_t k = 0; k < nd; k++) seen |= deps[k] == p;
        if (!seen) deps[nd++] = p;
    }
    return nd;
}

static int can_join(const builder *B, uint32_t P, const uint32_t *deps, uint32_t nd) {
    for (uint32_t k = 0; k < nd; k++)
        if (deps[k] != P && BIT_GET(B->anc + (size_t)deps[k] * B->words, P)) return 0;
    return 1;
}

static void join(builder *B, uint32_t P, const uint32_t *deps, uint32_t nd) {
    uint64_t *row = B->anc + (size_t)P * B->words;
    for (uint32_t k = 0; k < nd; k++) {
        if (deps[k] == P) continue;
        const uint64_t *q = B->anc + (size_t)deps[k] * B->words;
        for (uint32_t w = 0; w < B->words; w++) row[w] |= q[w];
        BIT_SET(row, deps[k]);
    }
    // Partitions that already depend on P now also depend on what P gained.
    for (uint32_t R = 0; R < B->n_parts; R++) {
        uint64_t *r = B->anc + (size_t)R * B->words;
        if (R != P && BIT_GET(r, P))
            for (uint32_t w = 0; w < B->words; w++) r[w] |= row[w];
    }
}

static sy_status push_unique(uint32_t *arr, uint32_t *n, uint32_t v) {
    for (uint32_t i = 0; i < *n; i++)
        if (arr[i] == v) return SY_OK;
    arr[(*n)++] = v;
    return SY_OK;
}

#define SY_NONE UINT32_MAX
#define SY_MANY (UINT32_MAX - 1)

/// users[v]: the one partition that reads (or touches, for states) value v, SY_MANY when
/// several do, SY_NONE when none.
static void note_user(uint32_t *users, uint32_t v, uint32_t P) {
    if (users[v] == SY_NONE) users[v] = P;
    else if (users[v] != P) users[v] = SY_MANY;
}

/// Fills nodes, boundary inputs/outputs and states of partition P.
static sy_status describe_partition(const sy_graph_view *g, const sy_partition_plan *plan,
                                    const uint32_t *producer, const uint32_t *users, uint32_t P,
                                    sy_partition *out) {
    uint32_t cap_vals = 0, count = 0;
    for (uint32_t n = 0; n < g->n_nodes; n++)
        if (plan->node_partition[n] == P) {
            count++;
            cap_vals += g->nodes[n].n_inputs + g->nodes[n].n_outputs;
        }
    out->nodes = sy_malloc(sizeof(uint32_t) * (count ? count : 1));
    out->inputs = sy_malloc(sizeof(uint32_t) * (cap_vals + 1));
    out->outputs = sy_malloc(sizeof(uint32_t) * (cap_vals + 1));
    out->states = sy_malloc(sizeof(uint32_t) * (cap_vals + 1));
    out->owns_state = sy_calloc(cap_vals + 1, 1);
    SY_CHECK(out->nodes && out->inputs && out->outputs && out->states && out->owns_state,
             SY_ERR_OUT_OF_MEMORY, "out of memory partitioning");
    for (uint32_t n = 0; n < g->n_nodes; n++) {
        if (plan->node_partition[n] != P) continue;
        const sy_node_info *node = &g->nodes[n];
        out->nodes[out->n_nodes++] = n;
        for (uint32_t i = 0; i < node->n_inputs; i++) {
            uint32_t v = node->inputs[i];
            if (v == SY_NO_VALUE) continue;
            sy_role role = g->values[v].role;
            if (role == SY_ROLE_STATE) push_unique(out->states, &out->n_states, v);
            else if (role == SY_ROLE_INPUT || (producer[v] && plan->node_partition[producer[v] - 1] != P))
                push_unique(out->inputs, &out->n_inputs, v);
        }
        for (uint32_t i = 0; i < node->n_outputs; i++) {
            uint32_t v = node->outputs[i];
            if (g->values[v].role == SY_ROLE_OUTPUT || (users[v] != SY_NONE && users[v] != P))
                push_unique(out->outputs, &out->n_outputs, v);
        }
    }
    for (uint32_t s = 0; s < out->n_states; s++) out->owns_state[s] = users[out->states[s]] == P;
    return SY_OK;
}

/// Puts node n into a partition of its backend: one it reads from (newest first), else the
/// newest partition of that backend at all (independent work merges too), else a new one.
static void place_node(builder *B, sy_partition_plan *plan, uint32_t n, uint32_t *deps) {
    const sy_graph_view *g = B->g;
    uint32_t b = plan->node_backend[n];
    uint32_t nd = node_deps(B, plan, n, deps);
    uint32_t chosen = UINT32_MAX;
    for (uint32_t k = nd; k-- > 0 && chosen == UINT32_MAX;)
        if (B->part_backend[deps[k]] == b && can_join(B, deps[k], deps, nd)) chosen = deps[k];
    for (uint32_t P = B->n_parts; P-- > 0 && chosen == UINT32_MAX;) {
        if (B->part_backend[P] != b) continue;
        if (can_join(B, P, deps, nd)) chosen = P;
        break;
    }
    if (chosen == UINT32_MAX) {
        chosen = B->n_parts++;
        B->part_backend[chosen] = b;
    }
    join(B, chosen, deps, nd);
    plan->node_partition[n] = chosen;
    const sy_node_info *node = &g->nodes[n];
    for (uint32_t i = 0; i < node->n_outputs; i++) B->producer[node->outputs[i]] = n + 1;
    for (uint32_t i = 0; i < node->n_inputs; i++)
        if (node->inputs[i] != SY_NO_VALUE && g->values[node->inputs[i]].role == SY_ROLE_STATE)
            B->last_touch[node->inputs[i]] = n + 1;
}

/// Execution order: a partition's ancestors are a strict superset of each ancestor's own, so
/// sorting by (ancestor count, creation index) is a topological order, and deterministic. Then
/// renumbers the nodes' partitions and describes each partition. scratch: (n_parts + 1).
static sy_status order_partitions(builder *B, sy_partition_plan *plan, uint32_t *scratch, uint32_t *order) {
    const sy_graph_view *g = B->g;
    uint32_t nn = g->n_nodes, *count = scratch; // ancestor counts
    for (uint32_t P = 0; P < B->n_parts; P++) {
        count[P] = 0;
        for (uint32_t w = 0; w < B->words; w++)
            count[P] += (uint32_t)__builtin_popcountll(B->anc[(size_t)P * B->words + w]);
        order[P] = P;
    }
    for (uint32_t i = 1; i < B->n_parts; i++) { // insertion sort: stable, small n
        uint32_t x = order[i], j = i;
        while (j > 0 && count[order[j - 1]] > count[x]) { order[j] = order[j - 1]; j--; }
        order[j] = x;
    }
    uint32_t *rank = count; // counts are used up: reuse as old index -> new index
    for (uint32_t i = 0; i < B->n_parts; i++) rank[order[i]] = i;
    for (uint32_t n = 0; n < nn; n++) plan->node_partition[n] = rank[plan->node_partition[n]];
    plan->n_partitions = B->n_parts;
    uint32_t *users = B->last_touch; // reuse: no longer needed for dependencies
    for (uint32_t v = 0; v < g->n_values; v++) users[v] = SY_NONE;
    for (uint32_t n = 0; n < nn; n++)
        for (uint32_t k = 0; k < g->nodes[n].n_inputs; k++)
            if (g->nodes[n].inputs[k] != SY_NO_VALUE) note_user(users, g->nodes[n].inputs[k], plan->node_partition[n]);
    for (uint32_t i = 0; i < B->n_parts; i++) {
        plan->partitions[i].backend = B->part_backend[order[i]];
        SY_TRY(describe_partition(g, plan, B->producer, users, i, &plan->partitions[i]));
    }
    return SY_OK;
}

sy_status sy_partition_graph(const sy_graph_view *g, const sy_part_backend *backends, uint32_t nb,
                             const sy_part_rule *rules, uint32_t n_rules, const uint8_t *banned,
                             const char *banned_reason, sy_partition_plan *plan_out) {
    sy_partition_plan plan;
    memset(&plan, 0, sizeof plan);
    builder B;
    memset(&B, 0, sizeof B);
    uint32_t nn = g->n_nodes, nv = g->n_values ? g->n_values : 1;
    plan.n_nodes = nn;
    plan.n_backends = nb;
    B.g = g;
    B.words = (nn + 63) / 64 + 1;
    plan.node_backend = sy_calloc(nn + 1, sizeof(uint32_t));
    plan.node_partition = sy_calloc(nn + 1, sizeof(uint32_t));
    plan.reasons = sy_calloc((size_t)(nn ? nn : 1) * (nb ? nb : 1), sizeof(char *));
    B.producer = sy_calloc(nv, sizeof(uint32_t));
    B.last_touch = sy_calloc(nv, sizeof(uint32_t));
    B.anc = sy_calloc((size_t)(nn + 1) * B.words, sizeof(uint64_t));
    B.part_backend = sy_calloc(nn + 1, sizeof(uint32_t));
    uint32_t *deps = sy_calloc(nn + 1 + 16, sizeof(uint32_t));
    uint32_t *order = NULL;
    sy_status st = SY_OK;
    if (!plan.node_backend || !plan.node_partition || !plan.reasons || !B.producer || !B.last_touch ||
        !B.anc || !B.part_backend || !deps)
        st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory partitioning");
    if (st == SY_OK) st = assign_backends(g, backends, nb, rules, n_rules, banned, banned_reason, &plan);

    for (uint32_t n = 0; n < nn && st == SY_OK; n++) place_node(&B, &plan, n, deps);

    // Execution order: a partition's ancestors are a strict superset of each ancestor's own, so
    // sorting by (ancestor count, creation index) is a topological order, and deterministic.
    if (st == SY_OK) {
        order = sy_calloc(B.n_parts + 1, sizeof(uint32_t));
        plan.partitions = sy_calloc(B.n_parts + 1, sizeof(sy_partition));
        if (!order || !plan.partitions) st = sy_error_set(SY_ERR_OUT_OF_MEMORY, "out of memory partitioning");
    }
    if (st == SY_OK) st = order_partitions(&B, &plan, deps, order);
    sy_free(B.producer);
    sy_free(B.last_touch);
    sy_free(B.anc);
    sy_free(B.part_backend);
    sy_free(deps);
    sy_free(order);
    if (st != SY_OK) {
        sy_partition_plan_free(&plan);
        return st;
    }
    *plan_out = plan;
    return SY_OK;
}
