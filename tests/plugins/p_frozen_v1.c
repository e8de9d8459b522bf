// A well-behaved plugin built against tests/plugins/frozen_v1: a verbatim copy of the v1.0
// delegate headers, kept as they were when ABI 1.0 shipped. While the live headers grow
// (new minor versions append members), this plugin must keep loading and running unchanged.

#include "tiny.h"

static const sy_delegate frozen = TINY_VTABLE("frozen_v1");

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, frozen);
    return SY_OK;
}
