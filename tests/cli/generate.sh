#!/bin/sh
# `switchyard generate` on the demo decoder (no tokenizer: --ids), checked against `switchyard run`
# (an independent path through the runtime) and for clear failures on bad input.
set -eu
SY="$1"
DIR="$2"
rm -rf "$DIR"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
B="--backends portable"

"$SY" demo $B --save "$DIR/demo.syp" --prompt-len 2 --decode 1 > /dev/null || fail "demo --save"

# The first greedy token equals the argmax of the last logits row that `run` writes.
"$SY" generate "$DIR/demo.syp" $B --ids -p "5,6,7" -n 1 > "$DIR/one.txt" 2> "$DIR/one.err" || fail "generate -n 1"
python3 - "$DIR" <<'PY'
import struct, sys
d = sys.argv[1]
def npy(path, descr, shape, values, fmt):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%d%s" % (len(values), fmt), *values))
npy(d + "/ids.npy", "<i8", (1, 3), [5, 6, 7], "q")
npy(d + "/pos.npy", "<i8", (3,), [0, 1, 2], "q")
PY
"$SY" run "$DIR/demo.syp" $B --input input_ids="$DIR/ids.npy" --input cache_position="$DIR/pos.npy" \
  --output-dir "$DIR" > /dev/null || fail "run"
python3 - "$DIR" <<'PY'
import struct, sys
d = sys.argv[1]
b = open(d + "/logits.npy", "rb").read()
n = struct.unpack("<H", b[8:10])[0]
vals = struct.unpack("<%df" % (3 * 256), b[10 + n:])
last = vals[2 * 256:]
want = max(range(256), key=lambda i: last[i])
got = int(open(d + "/one.txt").read().split()[0])
assert got == want, (got, want)
PY
grep -q "stop: max_tokens" "$DIR/one.err" || fail "stats lack the stop reason"
for want in "time to first token" "prefill:" "decode:" "model load time" "peak RSS" "generated tokens:    1"; do
  grep -qF "$want" "$DIR/one.err" || fail "stats lack '$want'"
done

# -n, determinism with a seed, JSON stats
"$SY" generate "$DIR/demo.syp" $B --ids -p "1 2 3" -n 12 --temperature 0.9 --top-k 40 --top-p 0.95 --min-p 0.01 \
  --repeat-penalty 1.1 --seed 7 --json "$DIR/s.json" > "$DIR/a.txt" 2> /dev/null || fail "sampled generate"
"$SY" generate "$DIR/demo.syp" $B --ids -p "1 2 3" -n 12 --temperature 0.9 --top-k 40 --top-p 0.95 --min-p 0.01 \
  --repeat-penalty 1.1 --seed 7 > "$DIR/b.txt" 2> /dev/null || fail "sampled generate again"
cmp -s "$DIR/a.txt" "$DIR/b.txt" || fail "same seed, different tokens: $(cat "$DIR/a.txt") vs $(cat "$DIR/b.txt")"
[ "$(wc -w < "$DIR/a.txt")" -eq 12 ] || fail "-n 12 gave $(wc -w < "$DIR/a.txt") tokens"
python3 - "$DIR/s.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in ["model_load_ms", "ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "generated_tokens",
          "prompt_tokens", "peak_rss_kb", "stop_reason"]:
    assert k in s, k
assert s["generated_tokens"] == 12 and s["prompt_tokens"] == 3 and s["decode_steps"] == 11, s
assert s["stop_reason"] == "max_tokens" and s["ttft_ms"] > 0 and s["peak_rss_kb"] > 0, s
PY

# the cache fills: 3 + 61 = 64 positions, 62 tokens emitted
"$SY" generate "$DIR/demo.syp" $B --ids -p "1,2,3" -n 500 > "$DIR/full.txt" 2> "$DIR/full.err" || fail "cache full"
grep -q "stop: cache_full" "$DIR/full.err" || fail "no cache_full stop: $(cat "$DIR/full.err")"
grep -q "cache of 64 positions is full" "$DIR/full.err" || fail "no cache-full message"
[ "$(wc -w < "$DIR/full.txt")" -eq 62 ] || fail "cache full after $(wc -w < "$DIR/full.txt") tokens"

# -i keeps the conversation: turn 2 prefills only the new ids; /reset starts over
printf '4 5\n9\n/reset\n9\n' | "$SY" generate "$DIR/demo.syp" $B --ids -i -n 3 > "$DIR/i.txt" 2> "$DIR/i.err" || fail "-i"
[ "$(grep -c . "$DIR/i.txt")" -eq 3 ] || fail "-i printed $(cat "$DIR/i.txt")"
grep -q "prompt tokens:       6 (2 prefilled, 4 reused from the cache)" "$DIR/i.err" || fail "turn 2 reuse: $(cat "$DIR/i.err")"
"$SY" generate "$DIR/demo.syp" $B --ids -p "9" -n 3 > "$DIR/fresh.txt" 2> /dev/null || fail "fresh"
[ "$(sed -n 3p "$DIR/i.txt")" = "$(cat "$DIR/fresh.txt")" ] || fail "/reset did not start over"
"$SY" generate "$DIR/demo.syp" $B --ids -p "4 5 $(sed -n 1p "$DIR/i.txt") 9" -n 3 > "$DIR/whole.txt" 2> /dev/null || fail "whole"
[ "$(sed -n 2p "$DIR/i.txt")" = "$(cat "$DIR/whole.txt")" ] || fail "turn 2 differs from the whole conversation at once"

# Ctrl-C during generation (raised by the test hook after 3 tokens): stats so far, exit 0
SWITCHYARD_TEST_SIGINT_AFTER=3 "$SY" generate "$DIR/demo.syp" $B --ids -p "1,2,3" -n 30 > "$DIR/int.txt" 2> "$DIR/int.err" \
  || fail "interrupted run exited $?"
grep -q "stop: interrupted" "$DIR/int.err" || fail "no interrupted stop: $(cat "$DIR/int.err")"
[ "$(wc -w < "$DIR/int.txt")" -eq 3 ] || fail "interrupt after $(wc -w < "$DIR/int.txt") tokens"

# --print-prompt renders a chat template from a file without a model
printf "{%% for message in messages %%}{{'<|im_start|>' + message['role'] + '\\\\n' + message['content'] + '<|im_end|>' + '\\\\n'}}{%% endfor %%}" > "$DIR/t.jinja"
"$SY" generate --chat --chat-template-file "$DIR/t.jinja" --print-prompt --system "Be brief." -p "Hi" > "$DIR/p.txt" || fail "print-prompt"
printf '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n' | cmp -s - "$DIR/p.txt" \
  || fail "rendered prompt: $(cat "$DIR/p.txt")"

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
G="$SY generate $DIR/demo.syp $B"
expect_fail "metadata key 'tokenizer.json' is missing" $G -p "hello"
expect_fail "metadata key 'tokenizer.json' is missing" $G --chat -p "hello"
expect_fail "temperature -1 is out of range" $G --ids -p 1 --temperature -1
expect_fail "top-p 1.5 is out of range" $G --ids -p 1 --top-p 1.5
expect_fail "top-p 0 is out of range" $G --ids -p 1 --top-p 0
expect_fail "top-k -2 is out of range" $G --ids -p 1 --top-k -2
expect_fail "min-p 2 is out of range" $G --ids -p 1 --min-p 2
expect_fail "repetition penalty 0 is out of range" $G --ids -p 1 --repeat-penalty 0
expect_fail "--temperature 'hot' is not a number" $G --ids -p 1 --temperature hot
expect_fail "-n 0 is out of range" $G --ids -p 1 -n 0
expect_fail "--seed needs a value" $G --ids -p 1 --seed
expect_fail "--seed '-3' is not a non-negative integer" $G --ids -p 1 --seed -3
expect_fail "no prompt" $G --ids
expect_fail "prompt is empty" $G --ids -p ""
expect_fail "not a list of token ids" $G --ids -p "1,x"
expect_fail "token id 999 at position 2 is outside the vocabulary [0, 256)" $G --ids -p "1,2,999"
expect_fail "the prompt has 70 tokens but the cache holds only 64 positions" $G --ids -p "$(seq -s, 1 70)"
expect_fail "--chat and --stop need text" $G --ids --chat -p 1
expect_fail "unexpected argument '--frob'" $G --ids -p 1 --frob
expect_fail "unknown chat template 'vicuna'" "$SY" generate --chat --chat-template vicuna --chat-template-file "$DIR/t.jinja" --print-prompt -p x
printf '{{ messages }}' > "$DIR/odd.jinja"
expect_fail "of no family Switchyard renders" "$SY" generate --chat --chat-template-file "$DIR/odd.jinja" --print-prompt -p x
"$SY" generate --chat --chat-template llama3 --chat-template-file "$DIR/odd.jinja" --print-prompt -p x > "$DIR/l3.txt" \
  || fail "--chat-template llama3 over an unknown template"
printf '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n' \
  | cmp -s - "$DIR/l3.txt" || fail "llama3 prompt: $(cat "$DIR/l3.txt")"
expect_fail "cannot open" "$SY" generate "$DIR/missing.syp" --ids -p 1
expect_fail "no MODEL.syp" "$SY" generate -p 1
echo "cli generate: all checks passed"
