"""python -m switchyard.export --model DIR -o model.syp --max-seq-len N (offline)."""

import argparse
import sys

import torch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m switchyard.export",
        description="Export a local Hugging Face decoder-only checkpoint folder to a Switchyard "
                    "program (.syp) with a static KV cache; nothing is downloaded.")
    p.add_argument("--model", required=True, help="checkpoint folder (config.json, weights, tokenizer)")
    p.add_argument("-o", "--output", required=True, help="program file to write")
    p.add_argument("--max-seq-len", type=int, default=128, help="cache length and token bound (default 128)")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--no-fuse", action="store_true", help="keep attention/rope/rms_norm as generic ops")
    p.add_argument("--quantize", choices=["q8_0", "q4_0", "q4_1"],
                   help="write f32 linear weights and embedding tables as GGUF block-quantised constants")
    p.add_argument("--logits", choices=["all", "last"], default="all",
                   help="logits of every position, or of the last one only (the LM head on one row)")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    from . import from_hf
    from .lowering import Report
    from ..errors import SwitchyardError
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    report = Report()
    try:
        out = from_hf(a.model, a.output, max_seq_len=a.max_seq_len, dtype=dt, fuse=not a.no_fuse,
                      verbose=not a.quiet, report=report, quantize=a.quantize,
                      logits=a.logits)
    except SwitchyardError as e:
        print(f"switchyard.export: {e}", file=sys.stderr)
        return 1
    if a.quiet:
        print(report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
