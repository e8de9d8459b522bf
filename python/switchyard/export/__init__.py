"""switchyard.export: PyTorch programs to Switchyard programs (.syp).

    export(exported_program_or_module, path, example_inputs=..., max_seq_len=..., dynamic=True)
    from_hf(model_or_dir, path, max_seq_len=..., dtype=torch.float32, tokenizer=...)
    python -m switchyard.export --model DIR -o model.syp --max-seq-len N

See docs/EXPORT.md. Programs are written through the C graph builder (one writer, one validator),
to a temporary file in the target's folder that is renamed into place only when complete.
"""

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import torch

from .. import _lib
from ..errors import ExportError
from ..graph import Graph
from . import ops  # noqa: F401  (registers switchyard:: custom ops)
from .lowering import Lowering, Report

__all__ = ["export", "from_hf", "ExportError", "Report"]


def _progress_printer(verbose: bool):
    start = time.time()

    def p(msg):
        if verbose:
            print(f"[switchyard.export {time.time() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)
    return p


def _cast_f64(ep, report):
    """f64 parameters and buffers are cast to f32 (with a warning); complex ones are refused."""
    for kind, items in (("parameter", ep.named_parameters()), ("buffer", ep.named_buffers())):
        for name, t in items:
            if t.dtype.is_complex:
                raise ExportError(f"{kind} '{name}' is {t.dtype}: complex dtypes are not supported")
            if t.dtype == torch.float64:
                warnings.warn(f"switchyard.export: {kind} '{name}' is f64; cast to f32")
                report.notes.append(f"{kind} '{name}': f64 cast to f32")
                t.data = t.data.float()


def export(program, path: Union[str, os.PathLike], example_inputs: Optional[Sequence] = None,
           example_kwargs: Optional[Dict] = None, max_seq_len: Optional[int] = None,
           dynamic: bool = True, seq_dims: Optional[Dict[str, int]] = None,
           metadata: Optional[Dict[str, str]] = None, output_names: Optional[Sequence[str]] = None,
           tokenizer=None, verbose: bool = False, report: Optional[Report] = None,
           quantize: Optional[str] = None) -> Path:
    """Writes `program` as a Switchyard program at `path` and returns the path.

    program: a torch.export.ExportedProgram, or an nn.Module exported here with
    `example_inputs`/`example_kwargs`. With dynamic=True and a module, `seq_dims` ({input name:
    dim}) marks the sequence-length dim of each input (bounded by max_seq_len). Parameters and
    constants become program constants, mutable buffers state tensors (updated only through
    update_cache / sdpa_with_kv_cache), user inputs/outputs keep their names (`output_names`
    renames outputs). quantize="q8_0"|"q4_0"|"q4_1" writes the f32 weights of linear layers and
    embedding tables whose rows are a multiple of 32 as GGUF block-quantised constants (the C
    quantiser `switchyard convert --requantize` uses, round-to-nearest like GGUF's). Raises
    ExportError naming the node and its Python source line."""
    if quantize is not None and quantize not in _lib.BLOCK_DTYPES:
        raise ExportError(f"quantize={quantize!r}: one of {', '.join(_lib.BLOCK_DTYPES)} or None")
    progress = _progress_printer(verbose)
    report = report if report is not None else Report()
    if isinstance(program, torch.nn.Module):
        program = _export_module(program, example_inputs, example_kwargs, max_seq_len, dynamic, seq_dims)
    if not isinstance(program, torch.export.ExportedProgram):
        raise ExportError(f"export() takes an ExportedProgram or an nn.Module, not {type(program).__name__}")
    progress("running decompositions to core ATen")
    with torch.no_grad():
        ep = program.run_decompositions()
    _cast_f64(ep, report)
    g = Graph()
    progress(f"lowering {sum(1 for n in ep.graph.nodes if n.op == 'call_function')} nodes")
    with torch.no_grad():
        Lowering(ep, g, report, max_seq_len, list(output_names) if output_names else None, progress,
                 quantize).run()
    meta = dict(metadata or {})
    if tokenizer is not None:
        meta.update(tokenizer_metadata(tokenizer))
    meta.setdefault("export.fused", ", ".join(f"{k} x{v}" for k, v in sorted(report.fused.items())) or "none")
    for k, v in meta.items():
        g.set_metadata(k, str(v))
    progress("validating and writing")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=str(out.parent))
    os.close(fd)
    try:
        g.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    progress(f"wrote {out} ({out.stat().st_size} bytes)")
    if verbose:
        print(report, file=sys.stderr)
    return out


def _export_module(module, args, kwargs, max_seq_len, dynamic, seq_dims):
    args = tuple(args or ())
    kwargs = dict(kwargs or {})
    dyn = None
    if dynamic and seq_dims:
        if max_seq_len is None:
            raise ExportError("dynamic export needs max_seq_len (the bound of the sequence length)")
        seq = torch.export.Dim("seq", min=1, max=max_seq_len)
        import inspect
        names = list(inspect.signature(module.forward).parameters)
        dyn = {}
        for i, n in enumerate(names[:len(args)] + list(kwargs)):
            dyn[n] = {seq_dims[n]: seq} if n in seq_dims else None
        unknown = set(seq_dims) - set(dyn)
        if unknown:
            raise ExportError(f"seq_dims names inputs {sorted(unknown)} that forward() does not take")
    with torch.no_grad():
        return torch.export.export(module, args, kwargs, dynamic_shapes=dyn, strict=False)


def tokenizer_metadata(tokenizer) -> Dict[str, str]:
    """tokenizer.json (the HF fast tokenizer's serialisation) and the chat template."""
    meta = {}
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError("the tokenizer has no backend_tokenizer (a fast tokenizer is needed)")
    meta["tokenizer.json"] = backend.to_str()
    tmpl = getattr(tokenizer, "chat_template", None)
    if tmpl:
        meta["tokenizer.chat_template"] = tmpl if isinstance(tmpl, str) else str(tmpl)
    return meta


def from_hf(model_or_dir, path: Union[str, os.PathLike] = "model.syp", max_seq_len: int = 128,
            dtype: torch.dtype = torch.float32, tokenizer=None, batch_size: int = 1,
            fuse: bool = True, verbose: bool = True, report: Optional[Report] = None,
            quantize: Optional[str] = None, logits: str = "all") -> Path:
    """Exports a Hugging Face decoder-only LM (a model object or a local checkpoint folder, read
    offline) with a static KV cache of `max_seq_len` positions through
    transformers.integrations.executorch.TorchExportableModuleWithStaticCache, as
    forward(input_ids [1, T], cache_position [T]) -> logits [1, T, V], T <= max_seq_len dynamic.
    fuse=True swaps in sdpa_with_kv_cache / rope / rms_norm (fusion.py); quantize as in export();
    logits="last" computes the LM head for the last position only (logits [1, 1, V], what
    generation needs; "all" keeps every position). Returns the path."""
    from .hf import export_hf
    return export_hf(model_or_dir, path, max_seq_len, dtype, tokenizer, batch_size, fuse, verbose, report,
                     quantize, logits)
