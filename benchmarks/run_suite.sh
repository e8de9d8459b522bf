#!/bin/sh
# The Switchyard benchmark suite: generates the suite's programs with sy-genprog, runs
# `switchyard bench` on each with every backend configuration (unavailable ones are listed with
# the reason), runs bench_dispatch, and writes OUT/report.md with one SVG chart per program.
#
# usage: benchmarks/run_suite.sh [-b BUILD_DIR] [-o OUT_DIR] [--quick] [--no-135m] [-- EXTRA BENCH ARGS]
#   -b BUILD_DIR   the CMake build folder (default: build, or $SY_BUILD_DIR)
#   -o OUT_DIR     where report.md, the charts, JSON and traces go (default: bench-report)
#   --quick        fewer repetitions and no 135M model (about half a minute on 2 cores)
#   --no-135m      skip the SmolLM2-135M-shaped decoder (its program file is 538 MB)
# Environment: SY_BENCH_CONFIGS overrides the configurations (space-separated backend lists);
# SY_BENCH_TIMEOUT bounds each program's bench in seconds (default 1800; a hung delegate then
# shows up as a failed program instead of a hung suite).
# The programs are kept in OUT_DIR/programs and reused by later runs.
set -eu

build=${SY_BUILD_DIR:-build}
out=bench-report
quick=0
big=1
while [ $# -gt 0 ]; do
    case $1 in
        -b) build=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        --quick) quick=1; big=0; shift ;;
        --no-135m) big=0; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "run_suite.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
extra="$*"

cli=$build/tools/switchyard
gen=$build/benchmarks/sy-genprog
dispatch=$build/benchmarks/bench_dispatch
for tool in "$cli" "$gen" "$dispatch"; do
    if [ ! -x "$tool" ]; then
        echo "run_suite.sh: '$tool' is missing; build first: cmake --build $build" >&2
        exit 1
    fi
done

configs=${SY_BENCH_CONFIGS:-"portable xnnpack,portable vulkan,portable vulkan,xnnpack,portable"}
backend_args=""
for c in $configs; do backend_args="$backend_args --backends $c"; done

mkdir -p "$out/programs"
programs="linear_stack attention decoder_tiny decoder_15m"
[ $big = 1 ] && programs="$programs decoder_135m"
for p in $programs; do
    if [ ! -s "$out/programs/$p.syp" ] || [ "$gen" -nt "$out/programs/$p.syp" ]; then
        "$gen" "$out/programs" "$p"
    fi
done

# Per-program settings: LLM mode for the decoders; fewer repetitions as the models grow.
settings() {
    if [ $quick = 1 ]; then
        case $1 in
            linear_stack) echo "--sym tokens=16 --warmup 1 --iters 3" ;;
            attention) echo "--sym tokens=32 --warmup 1 --iters 3" ;;
            decoder_tiny) echo "--prompt-len 16 --decode 16 --warmup 1 --iters 3" ;;
            decoder_15m) echo "--prompt-len 16 --decode 8 --warmup 0 --iters 1" ;;
            decoder_135m) echo "--prompt-len 8 --decode 4 --warmup 0 --iters 1" ;;
        esac
    else
        case $1 in
            linear_stack) echo "--warmup 1 --iters 5" ;;
            attention) echo "--warmup 1 --iters 5" ;;
            decoder_tiny) echo "--prompt-len 32 --decode 32 --warmup 1 --iters 5" ;;
            decoder_15m) echo "--prompt-len 32 --decode 32 --warmup 1 --iters 3" ;;
            decoder_135m) echo "--prompt-len 16 --decode 8 --warmup 0 --iters 1" ;;
        esac
    fi
}

describe() {
    case $1 in
        linear_stack) echo "4 MLP blocks 576 -> 1536 -> 576 with residuals (7.1M parameters), symbolic T (64 unless --quick)" ;;
        attention) echo "one attention block with SmolLM2 widths: RMSNorm, q/k/v, RoPE, causal grouped-query sdpa (9q/3kv heads), output projection (0.9M parameters)" ;;
        decoder_tiny) echo "the demo decoder (0.12M parameters), LLM mode" ;;
        decoder_15m) echo "decoder in the stories15M shape (dim 288, 6 layers, vocab 32000, tied; 15.2M parameters), LLM mode" ;;
        decoder_135m) echo "decoder in the SmolLM2-135M shape (dim 576, 30 layers, 9q/3kv heads, hidden 1536, vocab 49152, tied; 134.5M parameters), LLM mode" ;;
    esac
}

report=$out/report.md
{
    echo "# Switchyard benchmark report"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') online CPUs"
    echo "- switchyard: $("$cli" --version)"
    echo "- configurations: $(echo $configs | sed 's/ /; /g')"
    echo "- mode: $([ $quick = 1 ] && echo quick || echo default)"
    echo
    echo "Every program runs on every configuration; a configuration whose backends are not built or"
    echo "not available here is listed with the reason. Outputs are compared with the portable backend on"
    echo "the same inputs. Latency figures come from runs with profiling off; per-op times from one extra"
    echo "profiled run (see each program's .json). Open the .trace.json files in https://ui.perfetto.dev."
    echo
} >"$report"

limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout ${SY_BENCH_TIMEOUT:-1800}"
status=0
for p in $programs; do
    echo "== $p" >&2
    set +e
    # shellcheck disable=SC2046,SC2086
    $limit "$cli" bench "$out/programs/$p.syp" $backend_args $(settings $p) $extra \
        --json "$out/$p.json" --svg "$out/$p.svg" --trace "$out/$p.trace.json" --markdown "$out/$p.md" \
        >"$out/$p.txt"
    rc=$?
    set -e
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
        why="exit status $rc"
        [ $rc -eq 124 ] && why="no result within ${SY_BENCH_TIMEOUT:-1800} s (a delegate hung?)"
        echo "run_suite.sh: bench failed on $p: $why; see $out/$p.txt" >&2
        printf '## %s\n\nThe benchmark failed: %s. Its output is in [%s.txt](%s.txt).\n\n' "$p" "$why" "$p" "$p" >>"$report"
        status=1
        continue
    fi
    [ $rc -eq 3 ] && status=3
    {
        echo "## $p"
        echo
        describe "$p"
        echo
        echo "\`switchyard bench programs/$p.syp $(settings $p) $extra\`"
        echo
        cat "$out/$p.md"
        echo
        echo "![$p]($p.svg)"
        echo
        echo "<details><summary>partitions, per-op times, copies ($p.txt)</summary>"
        echo
        echo '```'
        cat "$out/$p.txt"
        echo '```'
        echo
        echo "</details>"
        echo
        echo "Files: [$p.json]($p.json), [$p.trace.json]($p.trace.json)"
        echo
    } >>"$report"
done

echo "== dispatch overhead" >&2
seconds=0.3
[ $quick = 1 ] && seconds=0.1
{
    echo "## Dispatch overhead"
    echo
    echo "The runtime's own cost, on chains of adds over 8 floats (bench_dispatch; the noop plugin"
    echo "splits a chain into one partition per node)."
    echo
    echo '```'
    "$dispatch" --seconds $seconds --json "$out/dispatch.json"
    echo '```'
    echo
} >>"$report"

echo "report: $report" >&2
[ $status -eq 3 ] && echo "run_suite.sh: some configuration's outputs differ from portable (see the report)" >&2
exit $status
