"""switchyard.export(..., quantize=): linear weights and embedding tables as GGUF block dtypes.

Independent checks: the blocks are byte for byte what the `gguf` package's quantiser writes for
the same weights, and the program's logits equal PyTorch eager on a copy of the model whose
weights were replaced by the `gguf` package's dequantisation of those blocks."""

import copy
import ctypes
import warnings

import numpy as np
import pytest

from conftest import MAX_SEQ, VOCAB, rel_err, tiny_model

import switchyard
from switchyard.errors import ExportError
from switchyard.export import Report, from_hf

gguf = pytest.importorskip("gguf")
torch = pytest.importorskip("torch")

GGML = {"q8_0": "Q8_0", "q4_0": "Q4_0", "q4_1": "Q4_1"}


def constants(prog):
    """name -> (dtype name, shape, raw bytes) of every constant of a program."""
    g = prog._view()
    out = {}
    for i in range(g.n_values):
        v = g.values[i]
        if v.role == switchyard._lib.ROLE_CONSTANT:
            out[v.name.decode()] = (switchyard.runtime.dtype_name(v.dtype), tuple(v.dims[k] for k in range(v.rank)),
                                    ctypes.string_at(v.data, v.nbytes) if v.nbytes else b"")
    return out


def export_q(tmp_path, dtype, family="smollm2"):
    model = tiny_model(family)
    rep = Report()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = from_hf(model, tmp_path / f"{family}-{dtype}.syp", max_seq_len=MAX_SEQ, verbose=False,
                       report=rep, quantize=dtype)
    return model, switchyard.Program.load(path), rep


@pytest.mark.parametrize("dtype", ["q8_0", "q4_0", "q4_1"])
def test_blocks_match_gguf_and_logits_match_dequantised_eager(tmp_path, dtype):
    model, prog, rep = export_q(tmp_path, dtype)
    qtype = getattr(gguf.GGMLQuantizationType, GGML[dtype])
    weights = {n: p.detach().numpy() for n, p in model.named_parameters() if p.dim() == 2}
    consts = [c for c in constants(prog).values() if c[0] == dtype]
    # every 2-D weight once: the tied embedding / LM head share one quantised constant
    assert rep.quantized == len(weights) == len(consts)
    by_bytes = {c[2] for c in consts}
    ref = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in ref.named_parameters():
            if p.dim() == 2:
                blocks = gguf.quants.quantize(weights[n], qtype)
                assert blocks.tobytes() in by_bytes, f"{n}: our {dtype} blocks differ from gguf's"
                p.copy_(torch.from_numpy(gguf.quants.dequantize(blocks, qtype).reshape(p.shape)))
    ids = np.array([[5, 17, 3, 44, 9, 90, 12]], dtype=np.int64)
    with torch.no_grad():
        want = ref(torch.from_numpy(ids)).logits[0].numpy()
    rt = switchyard.Runtime(prog, backends="portable")
    got = rt.run(input_ids=ids, cache_position=np.arange(ids.shape[1], dtype=np.int64))["logits"][0]
    assert rel_err(got, want) < 1e-4
    assert got.shape == (ids.shape[1], VOCAB)


def test_quantize_refuses_unknown_dtype(tmp_path):
    with pytest.raises(ExportError, match="quantize='q5_k'"):
        export_q(tmp_path, "q5_k")


def test_last_position_logits(tmp_path):
    """from_hf(logits="last"): the LM head runs on the last position only, and its row equals the
    last row of eager logits (and of the every-position program)."""
    model = tiny_model("llama")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        last = from_hf(model, tmp_path / "last.syp", max_seq_len=MAX_SEQ, verbose=False, logits="last")
    prog = switchyard.Program.load(last)
    assert prog.metadata["model.logits"] == "last"
    assert prog.outputs[0].bounds == (1, 1, VOCAB)
    ids = np.array([[5, 17, 3, 44, 9]], dtype=np.int64)
    with torch.no_grad():
        want = model(torch.from_numpy(ids)).logits[0, -1].numpy()
    rt = switchyard.Runtime(prog, backends="portable")
    got = rt.run(input_ids=ids, cache_position=np.arange(ids.shape[1], dtype=np.int64))["logits"]
    assert got.shape == (1, 1, VOCAB)
    assert rel_err(got[0, 0], want) < 1e-4
    step = rt.run(input_ids=np.array([[7]], dtype=np.int64), cache_position=np.array([5], dtype=np.int64))["logits"]
    with torch.no_grad():
        want2 = model(torch.from_numpy(np.array([[5, 17, 3, 44, 9, 7]]))).logits[0, -1].numpy()
    assert rel_err(step[0, 0], want2) < 1e-4
    with pytest.raises(ExportError, match="logits='some'"):
        from_hf(model, tmp_path / "bad.syp", max_seq_len=MAX_SEQ, verbose=False, logits="some")
