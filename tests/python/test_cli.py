"""`switchyard inspect` on an exported program, and `python -m switchyard.export` on a local
checkpoint folder with a tokenizer (offline)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, VOCAB, tiny_model

import switchyard


def test_inspect_shows_the_fused_ops(exported):
    _, path, _ = exported("qwen3", fuse=True)
    exe = switchyard.cli_path()
    assert exe, "the switchyard CLI is not found"
    out = subprocess.run([exe, "inspect", str(path)], capture_output=True, text=True, check=True).stdout
    for op in ("sdpa_with_kv_cache", "rope", "rms_norm"):
        assert op in out
    assert "key_cache_0" in out and "export.fused" in out


def make_checkpoint(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    model = tiny_model("llama", seed=3)
    model.save_pretrained(folder)
    vocab = {f"w{i}": i for i in range(VOCAB)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="w0"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="w1", eos_token="w2", pad_token="w0")
    fast.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    fast.save_pretrained(folder)
    return model, fast


def test_module_cli_exports_a_checkpoint_folder(tmp_path):
    import torch
    model, fast = make_checkpoint(tmp_path / "ckpt")
    out = tmp_path / "m.syp"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-m", "switchyard.export", "--model", str(tmp_path / "ckpt"),
                        "-o", str(out), "--max-seq-len", "16"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "[switchyard.export" in r.stdout + r.stderr  # progress output
    prog = switchyard.Program.load(out)
    meta = prog.metadata
    assert meta["model.family"] == "llama" and meta["model.max_cache_len"] == "16"
    assert meta["model.vocab_size"] == str(VOCAB) and meta["model.eos_token_id"] == "2"
    assert json.loads(meta["tokenizer.json"]) == json.loads(fast.backend_tokenizer.to_str())
    assert meta["tokenizer.chat_template"] == fast.chat_template
    ids = np.array([[5, 9, 17]], np.int64)
    got = switchyard.Runtime(prog, backends="portable").run(input_ids=ids, cache_position=np.arange(3))["logits"]
    with torch.no_grad():
        want = model(torch.from_numpy(ids)).logits.numpy()
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_module_cli_reports_errors(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-m", "switchyard.export", "--model", str(tmp_path),
                        "-o", str(tmp_path / "x.syp")], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "no config.json" in r.stderr
    assert not (tmp_path / "x.syp").exists()
