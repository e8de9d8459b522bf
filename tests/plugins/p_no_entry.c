// Bad case: a shared library that exports something, but not the entry symbol (here a
// misspelt one, as a plugin that forgot SY_PLUGIN_ENTRY might).

#include "switchyard/delegate.h"

SY_PLUGIN_EXPORT sy_status switchyard_delegate_entry_v2(const sy_plugin_query *query, sy_plugin_answer *answer);
SY_PLUGIN_EXPORT sy_status switchyard_delegate_entry_v2(const sy_plugin_query *query, sy_plugin_answer *answer) {
    (void)query, (void)answer;
    return SY_ERR_INTERNAL;
}
