#!/bin/sh
# Runs every libFuzzer target for SECONDS each (default 60) and fails on any finding.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
# Configures and builds BUILD_DIR (default build-fuzz) with clang and -DSY_FUZZ=ON when needed,
# writes the generated seeds (sy_fuzz_seeds) to BUILD_DIR/fuzz-seeds, keeps each target's
# growing corpus in BUILD_DIR/fuzz-corpus/<name> (so longer local runs build on earlier ones)
# and crash/timeout/leak inputs in BUILD_DIR/fuzz-findings. Prints, per target, the executions,
# the coverage (libFuzzer's cov: count of covered edges) and the result.
set -eu
SECS="${1:-60}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${2:-$ROOT/build-fuzz}"
JOBS="${SY_FUZZ_BUILD_JOBS:-2}"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC="${CC:-clang}" cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSY_WERROR=ON -DSY_FUZZ=ON \
    -DSY_WITH_XNNPACK=OFF -DSY_WITH_VULKAN=OFF -DBUILD_TESTING=OFF > "$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }
fi
cmake --build "$BUILD" -j"$JOBS" --target sy_fuzz_all > /dev/null
FUZZ="$BUILD/tests/fuzz"
rm -rf "$BUILD/fuzz-seeds"
"$FUZZ/sy_fuzz_seeds" "$BUILD/fuzz-seeds"
for writer in "$FUZZ"/sy_fuzz_seeds_*; do
  [ -x "$writer" ] || continue
  mkdir -p "$BUILD/fuzz-seeds/${writer##*/sy_fuzz_seeds_}"
  "$writer" "$BUILD/fuzz-seeds/${writer##*/sy_fuzz_seeds_}"
done
mkdir -p "$BUILD/fuzz-findings"

failed=0
printf '%-10s %12s %8s  %s\n' target execs cov result
for exe in "$FUZZ"/fuzz_*; do
  [ -x "$exe" ] || continue
  name="${exe##*/fuzz_}"
  corpus="$BUILD/fuzz-corpus/$name"
  seeds="$BUILD/fuzz-seeds/$name"
  mkdir -p "$corpus" "$seeds"
  log="$BUILD/fuzz-findings/$name.log"
  rc=0
  # -timeout: an input that runs 10 s is a finding (a hang); -rss_limit_mb: so is a 2 GiB one.
  "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$BUILD/fuzz-findings/$name-" "$corpus" "$seeds" > "$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
  if [ "$rc" -eq 0 ]; then result=ok; else result="FINDING (exit $rc; see $log)"; failed=1; fi
  printf '%-10s %12s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "$result"
  if [ "$rc" -ne 0 ]; then grep -m 5 -E 'ERROR|SUMMARY|Test unit written' "$log" || true; fi
done
exit "$failed"
