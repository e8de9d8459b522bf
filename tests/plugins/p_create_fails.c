// Bad case: the plugin loads, but creating an instance fails (no device, say).

#include "tiny.h"

static sy_status create_fails(const sy_host_api *host, const sy_option *options, uint32_t n_options,
                              sy_backend **backend_out) {
    (void)options, (void)n_options, (void)backend_out;
    return host->error(host->host, SY_ERR_DEVICE, "no widget device found");
}

static const sy_delegate vt = TINY_VTABLE_X("create_fails", sizeof(sy_delegate), create_fails, tiny_supports, tiny_compile,
                                              NULL, NULL, NULL);

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
