#!/bin/sh
# switchyard tokenize on a hand-made tokenizer.json: ids, pieces, decode, and the bad cases.
# usage: tokenize.sh SWITCHYARD WORKDIR
set -eu
SY=$1
DIR=$2
mkdir -p "$DIR"
# byte-level BPE: a0 b1 Ġ2 ab3 Ġab4, <|end|> 5 (special); merges "a b", "Ġ ab"
cat > "$DIR/tok.json" <<'JSON'
{"added_tokens":[{"id":5,"content":"<|end|>","special":true}],
 "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
 "decoder":{"type":"ByteLevel"},
 "model":{"type":"BPE","vocab":{"a":0,"b":1,"Ġ":2,"ab":3,"Ġab":4},"merges":["a b","Ġ ab"]}}
JSON
fail() { echo "tokenize.sh: $*" >&2; exit 1; }
out=$(printf 'ab ab<|end|>\nba\n' | "$SY" tokenize --tokenizer-json "$DIR/tok.json" --ids)
[ "$out" = "$(printf '3 4 5\n1 0')" ] || fail "ids: got '$out'"
out=$("$SY" tokenize --tokenizer-json "$DIR/tok.json" -p "ab ab")
[ "$out" = "3:'ab' 4:'Ġab'" ] || fail "pieces: got '$out'"
out=$("$SY" tokenize --tokenizer-json "$DIR/tok.json" --decode 3 4 5)
[ "$out" = "ab ab<|end|>" ] || fail "decode: got '$out'"
out=$("$SY" tokenize --tokenizer-json "$DIR/tok.json" --skip-special --decode 3 4 5)
[ "$out" = "ab ab" ] || fail "decode --skip-special: got '$out'"
out=$(printf 'a\\tb\\\\\n' | "$SY" tokenize --tokenizer-json "$DIR/tok.json" --ids --escape)
[ "$out" = "0 1" ] || fail "escaped input: got '$out'"
# an id out of range, invalid UTF-8, a broken document: refused with a message, exit 1
if "$SY" tokenize --tokenizer-json "$DIR/tok.json" --decode 3 99 > /dev/null 2> "$DIR/err"; then fail "id 99 accepted"; fi
grep -q "token id 99 is not in the vocabulary" "$DIR/err" || fail "id 99: $(cat "$DIR/err")"
if printf 'a\377b\n' | "$SY" tokenize --tokenizer-json "$DIR/tok.json" --ids > /dev/null 2> "$DIR/err"; then fail "bad UTF-8 accepted"; fi
grep -q "offset 1" "$DIR/err" || fail "bad UTF-8: $(cat "$DIR/err")"
printf '{"model":{"type":"Unigram","vocab":[]}}' > "$DIR/bad.json"
if "$SY" tokenize --tokenizer-json "$DIR/bad.json" -p hi 2> "$DIR/err"; then fail "Unigram accepted"; fi
grep -q "model type 'Unigram' is not supported" "$DIR/err" || fail "Unigram: $(cat "$DIR/err")"
echo "tokenize.sh: ok"
