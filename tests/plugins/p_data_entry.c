// Bad case: the entry symbol exists but names data, not a function (calling it would jump into
// the bytes below). The host must check the symbol's type before calling it.

#include "switchyard/delegate.h"

SY_PLUGIN_EXPORT extern const unsigned char switchyard_delegate_entry[64];
SY_PLUGIN_EXPORT const unsigned char switchyard_delegate_entry[64] = {0xde, 0xad, 0xbe, 0xef};
