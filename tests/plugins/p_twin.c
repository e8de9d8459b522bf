// Built twice (libsy-test-twin-a.so, libsy-test-twin-b.so): two files that both call their
// backend "twin". The second one loaded must be refused, naming both files.

#include "tiny.h"

static const sy_delegate vt = TINY_VTABLE("twin");

SY_PLUGIN_ENTRY(query, answer) {
    sy_status st = tiny_negotiate(query);
    if (st != SY_OK) return st;
    TINY_ANSWER(answer, vt);
    return SY_OK;
}
