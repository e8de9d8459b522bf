// Bad case: the plugin answers delegate ABI 0.9, from before the first stable major version.

#include "tiny.h"

static const sy_delegate vt = TINY_VTABLE("too_old");

SY_PLUGIN_ENTRY(query, answer) {
    (void)query;
    TINY_ANSWER(answer, vt);
    answer->abi_version = (0u << 16) | 9u;
    return SY_OK;
}
