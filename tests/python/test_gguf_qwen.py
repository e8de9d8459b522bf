"""qwen2 and qwen3 conversion against Transformers: a tiny random Qwen2 / Qwen3 model written
as an f32 GGUF with the gguf package (llama.cpp's tensor names, no q/k permutation for these
architectures), converted with our CLI, and compared with the original Transformers model's
logits on a prefill and greedy steps.

Needs SY_CLI and SY_STEPS (or SWITCHYARD_BUILD_DIR); torch, transformers, gguf."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")

BUILD = pathlib.Path(os.environ.get("SWITCHYARD_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
CLI = os.environ.get("SY_CLI", str(BUILD / "tools" / "switchyard"))
STEPS = os.environ.get("SY_STEPS", str(BUILD / "tests" / "importers" / "sy_steps"))
N_STEPS = 6


def _model(arch):
    torch.manual_seed(0)
    common = dict(vocab_size=96, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=10000.0,
                  max_position_embeddings=64, tie_word_embeddings=False)
    if arch == "qwen2":
        cfg = transformers.Qwen2Config(**common)
        model = transformers.Qwen2ForCausalLM(cfg)
    else:
        cfg = transformers.Qwen3Config(head_dim=32, **common)  # head_dim != hidden / heads
        model = transformers.Qwen3ForCausalLM(cfg)
    with torch.no_grad():  # random norms and biases, so a wrong mapping cannot hide
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.3)
    return model.eval(), cfg


def _write_gguf(path, arch, model, cfg):
    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(cfg.rope_theta if hasattr(cfg, "rope_theta") else 10000.0)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    if arch == "qwen3":
        w.add_key_length(cfg.head_dim)
        w.add_value_length(cfg.head_dim)
    names = {"embed_tokens": "token_embd", "norm": "output_norm", "lm_head": "output",
             "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
             "self_attn.k_norm": "attn_k_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
             "post_attention_layernorm": "ffn_norm"}
    for name, p in model.state_dict().items():
        parts = name.split(".")
        if parts[0] == "model":
            parts = parts[1:]
        if parts[0] == "layers":
            key, kind = ".".join(parts[2:-1]), parts[-1]
            out = f"blk.{parts[1]}.{names[key]}.{kind}"
        else:
            out = f"{names[parts[0]]}.{parts[-1]}"
        w.add_tensor(out, p.detach().float().numpy().copy())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.mark.parametrize("arch", ["qwen2", "qwen3"])
def test_qwen_matches_transformers(tmp_path, arch):
    model, cfg = _model(arch)
    path = tmp_path / f"{arch}.gguf"
    _write_gguf(path, arch, model, cfg)
    syp = tmp_path / f"{arch}.syp"
    subprocess.run([CLI, "convert", str(path), "-o", str(syp), "--max-seq-len", "32"], check=True)
    prompt = [3, 17, 42, 5, 88, 1, 60]
    out_npy, out_txt = tmp_path / "l.npy", tmp_path / "t.txt"
    subprocess.run([STEPS, str(syp), "--ids", ",".join(map(str, prompt)), "--steps", str(N_STEPS),
                    "--logits", str(out_npy), "--tokens", str(out_txt)], check=True)
    ours, tokens = np.load(out_npy), [int(t) for t in out_txt.read_text().split()]
    with torch.no_grad():
        ref = model(torch.tensor([prompt + tokens[:N_STEPS]])).logits[0].numpy()
    rng = ref.max(axis=1) - ref.min(axis=1)
    err = (np.abs(ours - ref).max(axis=1) / rng).max()
    print(f"{arch}: worst error {err:.2e} of the logit range over {len(ref)} positions")
    assert err <= 1e-4
    assert tokens[:N_STEPS] == [int(i) for i in ref[len(prompt) - 1:-1].argmax(axis=1)]
