"""The Hugging Face static-cache path of switchyard.export.from_hf."""

import os
from pathlib import Path

import torch

from ..errors import ExportError
from .lowering import Report


def _load(model_or_dir, dtype):
    import transformers
    if isinstance(model_or_dir, (str, os.PathLike)):
        d = Path(model_or_dir)
        if not (d / "config.json").exists():
            raise ExportError(f"'{d}' is not a Hugging Face checkpoint folder (no config.json)")
        cfg = transformers.AutoConfig.from_pretrained(d, local_files_only=True)
        _check_decoder_only(cfg, str(d))
        model = transformers.AutoModelForCausalLM.from_pretrained(d, local_files_only=True, dtype=dtype)
        tok = None
        if (d / "tokenizer.json").exists():
            tok = transformers.AutoTokenizer.from_pretrained(d, local_files_only=True)
        return model, tok
    if not isinstance(model_or_dir, torch.nn.Module):
        raise ExportError(f"from_hf takes a model or a checkpoint folder, not {type(model_or_dir).__name__}")
    _check_decoder_only(model_or_dir.config, type(model_or_dir).__name__)
    return model_or_dir.to(dtype), None


def _check_decoder_only(cfg, what):
    archs = getattr(cfg, "architectures", None) or []
    if getattr(cfg, "is_encoder_decoder", False):
        raise ExportError(f"{what}: {cfg.model_type} is an encoder-decoder model; from_hf exports "
                          f"decoder-only causal LMs")
    if what.endswith(("Model", "ForSequenceClassification", "ForMaskedLM", "ForTokenClassification",
                      "ForQuestionAnswering")) and not what.endswith("ForCausalLM"):
        raise ExportError(f"{what}: not a causal LM (a *ForCausalLM model is needed)")
    if archs and not any(a.endswith("ForCausalLM") for a in archs):
        raise ExportError(f"{what}: architectures {archs} have no *ForCausalLM; from_hf exports "
                          f"decoder-only causal LMs")


def export_hf(model_or_dir, path, max_seq_len, dtype, tokenizer, batch_size, fuse, verbose, report, quantize=None,
              logits="all"):
    from transformers.integrations.executorch import TorchExportableModuleWithStaticCache
    from . import export
    from .fusion import swap_hf

    if logits not in ("all", "last"):
        raise ExportError(f"logits={logits!r}: 'all' (every position) or 'last' (the last position only)")
    if dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise ExportError(f"dtype {dtype} is not supported (f32, f16, bf16)")
    report = report if report is not None else Report()
    model, tok = _load(model_or_dir, dtype)
    tokenizer = tokenizer if tokenizer is not None else tok
    model.eval()
    model.requires_grad_(False)
    gc = model.generation_config
    gc.use_cache = True
    gc.cache_implementation = "static"
    wrapper = TorchExportableModuleWithStaticCache(model, batch_size=batch_size, max_cache_len=max_seq_len)
    seq = torch.export.Dim("seq", min=1, max=max_seq_len)
    t = min(2, max_seq_len)
    ids = torch.zeros(batch_size, t, dtype=torch.long)
    pos = torch.arange(t, dtype=torch.long)
    dyn = {"input_ids": {1: seq}, "cache_position": {0: seq}} if max_seq_len > 1 else None
    cfg = model.config.get_text_config()
    with torch.no_grad():
        ctx = swap_hf(wrapper, model, max_seq_len, report) if fuse else _null()
        with ctx:
            if verbose:
                print(f"[switchyard.export] torch.export of {type(model).__name__} "
                      f"(max_seq_len {max_seq_len}, {dtype})", flush=True)
            with _last_logits_only(model) if logits == "last" else _null():
                ep = torch.export.export(wrapper, (), {"input_ids": ids, "cache_position": pos},
                                         dynamic_shapes=dyn, strict=True)
    meta = {
        "model.family": cfg.model_type,
        "model.type": "decoder-only",
        "model.architecture": type(model).__name__,
        "model.max_seq_len": str(max_seq_len),
        "model.max_cache_len": str(max_seq_len),
        "model.vocab_size": str(cfg.vocab_size),
        "model.signature": "forward(input_ids, cache_position) -> logits",
        "model.logits": logits,
    }
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        v = getattr(model.generation_config, key, None)
        if v is None:
            v = getattr(cfg, key, None)
        if v is not None:
            many = isinstance(v, (list, tuple))
            meta[f"model.{key}"] = ",".join(str(x) for x in v) if many else str(v)
            if not many or v:  # the tokenizer's special id (include/switchyard/llm.h): the first one
                meta[f"tokenizer.{key}"] = str(v[0] if many else v)
    return export(ep, path, max_seq_len=max_seq_len, metadata=meta, output_names=["logits"],
                  tokenizer=tokenizer, verbose=verbose, report=report, quantize=quantize)


class _last_logits_only:
    """Exports the model's forward with logits_to_keep=1 (Transformers slices the hidden states
    before the LM head), so the program's logits are [B, 1, V]: the last position only."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        orig = self.model.forward
        self.model.forward = lambda *a, **k: orig(*a, **{**k, "logits_to_keep": 1})
        return self

    def __exit__(self, *a):
        del self.model.forward  # back to the class's forward
        return False


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
