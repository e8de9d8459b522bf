// Bad case: the plugin answers delegate ABI 2.0, a major version the host does not speak.

#include "tiny.h"

static const sy_delegate vt = TINY_VTABLE("too_new");

SY_PLUGIN_ENTRY(query, answer) {
    (void)query; // a careless plugin: it does not check the host's range
    TINY_ANSWER(answer, vt);
    answer->abi_version = 2u << 16;
    return SY_OK;
}
