#!/bin/sh
# CLI smoke test: demo (save), inspect, run on .npy files, and clear failures on bad input.
set -eu
SY="$1"
DIR="$2"
rm -rf "$DIR"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SY" demo --backends portable --save "$DIR/demo.syp" --prompt-len 4 --decode 3 > "$DIR/demo.txt" || fail "demo"
grep -q "portable .* OK" "$DIR/demo.txt" || fail "demo table lacks an OK portable row"

"$SY" inspect "$DIR/demo.syp" --backends portable > "$DIR/inspect.txt" || fail "inspect"
for want in "partitions (1, in execution order)" "sdpa_with_kv_cache x2" "blk.0.k_cache (owned)" "memory: arena" \
            "input_ids" "model.family"; do
  grep -qF "$want" "$DIR/inspect.txt" || fail "inspect output lacks '$want'"
done

# .npy inputs written by hand (format 1.0): input_ids int64 [1,3], cache_position int64 [3].
python3 - "$DIR" <<'PY'
import struct, sys
def npy(path, descr, shape, values, fmt):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%d%s" % (len(values), fmt), *values))
d = sys.argv[1]
npy(d + "/ids.npy", "<i8", (1, 3), [5, 6, 7], "q")
npy(d + "/pos.npy", "<i8", (3,), [0, 1, 2], "q")
npy(d + "/bad_ids.npy", "<i8", (1, 1), [999999], "q")
npy(d + "/pos1.npy", "<i8", (1,), [0], "q")
npy(d + "/f32.npy", "<f4", (1, 3), [1.0, 2.0, 3.0], "f")
PY
"$SY" run "$DIR/demo.syp" --backends portable --input input_ids="$DIR/ids.npy" --input cache_position="$DIR/pos.npy" \
  --output-dir "$DIR" > "$DIR/run.txt" || fail "run"
grep -q "logits: f32 \[1,3,256\]" "$DIR/run.txt" || fail "run output line"
python3 - "$DIR/logits.npy" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:6] == b"\x93NUMPY", "magic"
n = struct.unpack("<H", b[8:10])[0]
assert "'shape': (1, 3, 256)" in b[10:10 + n].decode(), b[10:10 + n]
assert len(b) == 10 + n + 3 * 256 * 4, "size"
PY

# Bad input: each fails with a message, never a crash (exit code 1 or 2, not a signal).
expect_fail() {
  want="$1"; shift
  set +e
  "$@" > "$DIR/err.txt" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || fail "'$*' exited $rc"
  grep -qF -e "$want" "$DIR/err.txt" || fail "'$*' said: $(cat "$DIR/err.txt") (wanted '$want')"
}
expect_fail "cannot open" "$SY" inspect "$DIR/missing.syp"
printf 'not a program' > "$DIR/junk.syp"
expect_fail "junk.syp" "$SY" inspect "$DIR/junk.syp"
expect_fail "unknown backend 'nosuch'" "$SY" inspect "$DIR/demo.syp" --backends nosuch,portable
expect_fail "token id 999999" "$SY" run "$DIR/demo.syp" --backends portable --input input_ids="$DIR/bad_ids.npy" \
  --input cache_position="$DIR/pos1.npy" --output-dir "$DIR"
expect_fail "dtype f32 given" "$SY" run "$DIR/demo.syp" --backends portable --input input_ids="$DIR/f32.npy"
expect_fail "symbol 'tokens' is 1" "$SY" run "$DIR/demo.syp" --backends portable --input input_ids="$DIR/bad_ids.npy" --input cache_position="$DIR/pos.npy"
expect_fail "was not set" "$SY" run "$DIR/demo.syp" --backends portable --input input_ids="$DIR/ids.npy"
printf '{"backends": [' > "$DIR/bad.json"
expect_fail "malformed JSON" "$SY" inspect "$DIR/demo.syp" --config "$DIR/bad.json"
expect_fail "--prompt-len must be" "$SY" demo --prompt-len 0
echo "cli smoke: all checks passed"
