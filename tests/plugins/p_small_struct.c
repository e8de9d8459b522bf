// Bad case: struct_size stops before `supports`, so the vtable cannot hold the required
// members; the host must refuse it without reading past that size.

#include "tiny.h"

static const sy_delegate vt = TINY_VTABLE_X("small_struct", offsetof(sy_delegate, supports), tiny_create, tiny_supports,
                                              tiny_compile, NULL, NULL, NULL);

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
