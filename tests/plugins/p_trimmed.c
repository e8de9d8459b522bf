// A plugin whose vtable ends right after `release`, as one built against an older minor header
// that had no reset_state/read_state/describe would. The members past its struct_size hold
// poison that fails loudly if the host ever calls them.

#include "tiny.h"

static sy_status poison_reset(sy_backend *b, sy_kernel *k) {
    (void)k;
    return b->host->error(b->host->host, SY_ERR_INTERNAL, "POISON: reset_state lies past struct_size");
}

static sy_status poison_read(sy_backend *b, sy_kernel *k, uint32_t i, sy_tensor *out) {
    (void)k, (void)i, (void)out;
    return b->host->error(b->host->host, SY_ERR_INTERNAL, "POISON: read_state lies past struct_size");
}

static const char *poison_describe(sy_backend *b) {
    (void)b;
    return "POISON: describe lies past struct_size";
}

// struct_size ends where reset_state begins.
static const sy_delegate vt = TINY_VTABLE_X("trimmed", offsetof(sy_delegate, reset_state), tiny_create, tiny_supports,
                                              tiny_compile, poison_reset, poison_read, poison_describe);

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
