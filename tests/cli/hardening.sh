#!/bin/sh
# CLI behaviour fixed by issue 15: --backends makes SWITCHYARD_BACKENDS irrelevant (a bad value
# is not even parsed), a repeated --input is refused, inspect on a FIFO returns at once.
set -eu
SY="$1"
DIR="$2"
rm -rf "$DIR"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SY" demo --backends portable --save "$DIR/demo.syp" --prompt-len 2 --decode 1 > /dev/null || fail "demo"

SWITCHYARD_BACKENDS='Not A Backend!' "$SY" inspect "$DIR/demo.syp" --backends portable > "$DIR/inspect.txt" 2>&1 ||
  fail "a bad SWITCHYARD_BACKENDS broke a command that overrides it: $(cat "$DIR/inspect.txt")"
# Without --backends the variable applies and a bad value is an error naming it.
if SWITCHYARD_BACKENDS='Not A Backend!' "$SY" inspect "$DIR/demo.syp" > "$DIR/env.txt" 2>&1; then
  fail "a bad SWITCHYARD_BACKENDS was accepted"
fi
grep -q "SWITCHYARD_BACKENDS" "$DIR/env.txt" || fail "the error does not name SWITCHYARD_BACKENDS: $(cat "$DIR/env.txt")"

if "$SY" run "$DIR/demo.syp" --backends portable --input input_ids=a.npy --input input_ids=b.npy > "$DIR/dup.txt" 2>&1; then
  fail "a repeated --input was accepted"
fi
grep -q "\-\-input 'input_ids' is given twice" "$DIR/dup.txt" || fail "repeated --input message: $(cat "$DIR/dup.txt")"

mkfifo "$DIR/fifo"
if timeout 20 "$SY" inspect "$DIR/fifo" > "$DIR/fifo.txt" 2>&1; then fail "inspect accepted a FIFO"; fi
grep -q "not a regular file" "$DIR/fifo.txt" || fail "inspect on a FIFO: $(cat "$DIR/fifo.txt")"
echo "cli hardening OK"
