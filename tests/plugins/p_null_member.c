// Bad case: a required vtable member (compile) is NULL.

#include "tiny.h"

static const sy_delegate vt = TINY_VTABLE_X("null_member", sizeof(sy_delegate), tiny_create, tiny_supports, NULL, NULL, NULL,
                                              NULL);

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
