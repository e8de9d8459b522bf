#!/bin/bash
# Decode A B: llama-bench tg (A) then bench_cpukern --decode-step (B: every linear of a 135M decode
# step on our kernels), per dtype and thread count, ROUNDS rounds. Usage:
#   decode_ab.sh LLAMA_BENCH DIR_WITH_smollm2-{q4_0,q8_0,q4_1,f32}.gguf [BUILD_DIR] [ROUNDS]
# (make the GGUFs with llama-quantize, README.md). Prints the raw lines of both tools.
set -eu
B=$1; M=$2; K=${3:-build}/benchmarks/vs_llamacpp/bench_cpukern; R=${4:-2}
for r in $(seq 1 "$R"); do
  for d in q4_0 q8_0 q4_1 f32; do
    for t in 1 2; do
      echo "## round $r $d t=$t load $(cut -d' ' -f1 /proc/loadavg)"
      "$B" -m "$M/smollm2-$d.gguf" -p 0 -n 32 -t "$t" -r 1 -o md 2>/dev/null | grep tg32 || true
      "$K" --decode-step 12 --dtype "$d" --threads "$t" --kpool 2>/dev/null | grep "^| $d" || true
    done
  done
done
