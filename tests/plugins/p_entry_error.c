// Bad case: the entry point refuses to load, with its own message.

#include "tiny.h"

SY_PLUGIN_ENTRY(query, answer) {
    (void)answer;
    return query->host->error(query->host->host, SY_ERR_UNAVAILABLE, "license file /opt/widget.lic is missing");
}
