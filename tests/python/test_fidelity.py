"""Exported tiny Llama, Qwen2, Qwen3, SmolLM2-style, Phi-3 and Gemma-3 programs against PyTorch
eager: prefill (T=7) then 64 greedy decode steps, f32, within 1e-4 of the logits' scale, on
portable, xnnpack,portable and vulkan,portable; prefill+decode equals one full recompute."""

import numpy as np
import pytest

from conftest import DECODE, FAMILIES, MAX_SEQ, PROMPT, backend_available, eager_reference, rel_err

import switchyard

TOL = 1e-4
BACKENDS = ["portable", "xnnpack,portable", "vulkan,portable"]


def run_steps(rt, tokens):
    """Switchyard logits for the same token sequence: prefill then one token per call."""
    rt.reset()
    pre = rt.run(input_ids=tokens[None, :PROMPT].astype(np.int64),
                 cache_position=np.arange(PROMPT, dtype=np.int64))["logits"][0]
    steps = []
    for i in range(PROMPT, PROMPT + DECODE):
        o = rt.run(input_ids=tokens[None, i:i + 1].astype(np.int64),
                   cache_position=np.array([i], dtype=np.int64))["logits"]
        steps.append(o[0, -1])
    return pre, np.stack(steps)


def need(backends):
    for b in backends.split(","):
        if not backend_available(b):
            pytest.skip(f"backend {b} is not available here")


@pytest.mark.parametrize("backends", BACKENDS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_fused_matches_eager(exported, family, backends):
    need(backends)
    model, path, report = exported(family, fuse=True)
    tokens, want_pre, want_steps = eager_reference(family, model)
    rt = switchyard.Runtime(switchyard.Program.load(path), backends=backends)
    pre, steps = run_steps(rt, tokens)
    assert rel_err(pre, want_pre) < TOL
    for i in range(DECODE):
        assert rel_err(steps[i], want_steps[i]) < TOL, f"decode step {i}"
    # The greedy choice of every step is the eager one.
    assert (steps.argmax(-1) == tokens[PROMPT + 1:].tolist() + [want_steps[-1].argmax()]).all()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fused_ops_present(exported, family):
    _, path, report = exported(family, fuse=True)
    hist = switchyard.Program.load(path).op_histogram()
    assert hist.get("sdpa_with_kv_cache") == 2, (hist, str(report))
    assert hist.get("rope") == 4, (hist, str(report))
    assert hist.get("rms_norm", 0) >= 5
    # The mask subgraph is gone with the generic attention.
    assert "softmax" not in hist and "where" not in hist


@pytest.mark.parametrize("family,backends", [(f, "portable") for f in FAMILIES] + [("llama", "xnnpack,portable"),
                                                                                   ("gemma3", "vulkan,portable")])
def test_generic_matches_eager(exported, family, backends):
    """fuse=False: the same models on generic ops only (where/compare/arange/... and update_cache)."""
    need(backends)
    model, path, report = exported(family, fuse=False)
    hist = switchyard.Program.load(path).op_histogram()
    assert "sdpa_with_kv_cache" not in hist and "update_cache" in hist
    tokens, want_pre, want_steps = eager_reference(family, model)
    rt = switchyard.Runtime(switchyard.Program.load(path), backends=backends)
    pre, steps = run_steps(rt, tokens)
    assert rel_err(pre, want_pre) < TOL
    for i in range(DECODE):
        assert rel_err(steps[i], want_steps[i]) < TOL, f"decode step {i}"


@pytest.mark.parametrize("family", ["llama", "gemma3"])
def test_prefill_decode_equals_full_recompute(exported, family):
    model, path, _ = exported(family, fuse=True)
    tokens, _, _ = eager_reference(family, model)
    rt = switchyard.Runtime(switchyard.Program.load(path), backends="portable")
    pre, steps = run_steps(rt, tokens)
    rt.reset()
    n = PROMPT + DECODE
    assert n <= MAX_SEQ
    full = rt.run(input_ids=tokens[None, :n].astype(np.int64),
                  cache_position=np.arange(n, dtype=np.int64))["logits"][0]
    assert rel_err(full[:PROMPT], pre) < TOL
    assert rel_err(full[PROMPT - 1 + 1:n], steps[:n - PROMPT]) < TOL


def test_plugin_delegate_runs_exported_program(exported, example_plugin):
    model, path, _ = exported("llama", fuse=True)
    tokens, want_pre, want_steps = eager_reference("llama", model)
    prog = switchyard.Program.load(path)
    rt = switchyard.Runtime(prog, backends="example,portable", plugins=[str(example_plugin)])
    pre, steps = run_steps(rt, tokens)
    assert rel_err(pre, want_pre) < TOL
    assert rel_err(steps, want_steps) < TOL
    # The plugin really took part of the program: its partitions alternate with portable's.
    assert rt.stats()["n_partitions"] > 1
    b = {x["name"]: x for x in switchyard.backends(plugins=[str(example_plugin)])}
    assert b["example"]["available"] and "linear" in b["example"]["ops"]


def test_unrecognised_rope_runs_on_generic_ops_and_is_reported(tmp_path):
    """Llama-3 rope scaling: inv_freq is not theta^(-2i/D), so rope stays generic (the report
    says why) while attention and RMSNorm are still fused; logits equal eager."""
    import torch
    from conftest import tiny_model
    from switchyard.export import Report, from_hf
    model = tiny_model("llama")
    scaled = type(model.config)(**{**model.config.to_dict(), "rope_scaling": {
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16}})
    torch.manual_seed(0)
    m2 = type(model)(scaled).eval()
    rep = Report()
    path = from_hf(m2, tmp_path / "s.syp", max_seq_len=32, verbose=False, report=rep)
    assert "rope" not in rep.fused and rep.fused.get("sdpa_with_kv_cache") == 2
    assert any("rope scaling" in w for w in rep.not_fused), rep.not_fused
    hist = switchyard.Program.load(path).op_histogram()
    assert "rope" not in hist and "cos" in hist
    ids = np.array([[5, 6, 7, 8, 9]], np.int64)
    got = switchyard.Runtime(switchyard.Program.load(path), backends="portable").run(
        input_ids=ids, cache_position=np.arange(5))["logits"]
    with torch.no_grad():
        want = m2(torch.from_numpy(ids)).logits.numpy()
    assert rel_err(got, want) < TOL


def test_bf16_export(tmp_path):
    import torch
    from conftest import tiny_model
    from switchyard.export import Report, from_hf
    model = tiny_model("qwen2")
    rep = Report()
    path = from_hf(model, tmp_path / "b.syp", max_seq_len=16, dtype=torch.bfloat16, verbose=False, report=rep)
    assert rep.fused == {"rms_norm": 5, "rope": 4, "sdpa_with_kv_cache": 2}
    prog = switchyard.Program.load(path)
    assert prog.outputs[0].dtype == "bf16" and prog.states[0].dtype == "bf16"
    ids = np.array([[3, 4, 5, 6]], np.int64)
    raw = switchyard.Runtime(prog, backends="portable").run(input_ids=ids, cache_position=np.arange(4))["logits"]
    got = (raw.astype(np.uint32) << 16).view(np.float32)  # bf16 bits -> f32
    with torch.no_grad():
        want = model(torch.from_numpy(ids)).logits.float().numpy()
    assert rel_err(got, want) < 2e-2  # bf16 storage: about 3 significant digits
