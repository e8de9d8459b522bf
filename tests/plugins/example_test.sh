#!/bin/sh
# CTest plugins.example: builds delegates/example the way a user outside the tree would, against
# `cmake --install` of this build, then checks that the installed `switchyard` lists it, that
# `switchyard inspect` shows it taking partitions of the demo decoder with --backends
# example,portable, and that the decoder's logits on example,portable match portable alone.
#
# usage: example_test.sh BUILD_DIR SOURCE_DIR C_COMPILER CHECK_TOOL WORK_DIR
set -u
BUILD=$1 SRC=$2 CC_=$3 CHECK=$4 WORK=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
show() { echo "--- $1"; cat "$1"; }

rm -rf "$WORK" && mkdir -p "$WORK" || fail "cannot create $WORK"
PREFIX="$WORK/prefix"
cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" 2>&1 || { show "$WORK/install.log"; fail "cmake --install"; }
[ -f "$PREFIX/include/switchyard/delegate.h" ] || fail "the install has no include/switchyard/delegate.h"
SY="$PREFIX/bin/switchyard"
[ -x "$SY" ] || fail "the install has no bin/switchyard"

# Out of tree: its own CMake project, only CMAKE_PREFIX_PATH points at Switchyard.
FLAGS="-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror"
cmake -S "$SRC/delegates/example" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_COMPILER="$CC_" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$FLAGS" > "$WORK/configure.log" 2>&1 ||
    { show "$WORK/configure.log"; fail "configuring delegates/example against the install"; }
cmake --build "$WORK/build" > "$WORK/build.log" 2>&1 || { show "$WORK/build.log"; fail "building delegates/example"; }
PLUGIN="$WORK/build/libswitchyard-delegate-example.so"
[ -f "$PLUGIN" ] || fail "no $PLUGIN"
if command -v readelf > /dev/null 2>&1; then
    readelf -d "$PLUGIN" > "$WORK/needed.txt" || fail "readelf"
    grep -q NEEDED "$WORK/needed.txt" || fail "readelf shows no NEEDED entries at all"
    if grep NEEDED "$WORK/needed.txt" | grep -q switchyard; then show "$WORK/needed.txt"; fail "the plugin links libswitchyard"; fi
fi

# The installed CLI lists it, with its option and the four ops of its f32 probe.
"$SY" backends --plugin "$PLUGIN" > "$WORK/backends.txt" 2>&1 || { show "$WORK/backends.txt"; fail "switchyard backends"; }
grep -q "^example 1.0.0 (Switchyard examples), plugin $PLUGIN" "$WORK/backends.txt" &&
    grep -q "verbose .*bool .*default false" "$WORK/backends.txt" &&
    grep -q "ops (f32 probe, 4 of" "$WORK/backends.txt" &&
    grep -q "^ *add mul silu linear$" "$WORK/backends.txt" || { show "$WORK/backends.txt"; fail "backends output"; }

# inspect shows partitions on example.
"$CHECK" save "$WORK/demo.syp" || fail "saving the demo decoder"
"$SY" inspect "$WORK/demo.syp" --plugin "$PLUGIN" --backends example,portable > "$WORK/inspect.txt" 2>&1 ||
    { show "$WORK/inspect.txt"; fail "switchyard inspect"; }
grep -q "^ *#[0-9][0-9]* example: " "$WORK/inspect.txt" || { show "$WORK/inspect.txt"; fail "inspect shows no partition on example"; }

# Same logits as portable alone (and its typed option is checked).
"$CHECK" compare "$PLUGIN" || fail "example,portable does not match portable"

# Installed into a directory that SWITCHYARD_PLUGIN_PATH names, it is found without --plugin.
cmake --install "$WORK/build" --prefix "$WORK/plugins" > "$WORK/install-example.log" 2>&1 ||
    { show "$WORK/install-example.log"; fail "installing the example"; }
DIR=$(dirname "$(find "$WORK/plugins" -name libswitchyard-delegate-example.so | head -n 1)")
SWITCHYARD_PLUGIN_PATH="$DIR" "$SY" backends --json > "$WORK/backends.json" 2>&1 || { show "$WORK/backends.json"; fail "backends --json"; }
grep -q '"name":[[:space:]]*"example"' "$WORK/backends.json" || { show "$WORK/backends.json"; fail "not found through SWITCHYARD_PLUGIN_PATH"; }
echo "ok: example delegate built against the install, listed, partitioned and matching portable"
