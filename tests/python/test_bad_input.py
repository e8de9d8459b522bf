"""Bad input to the exporter and the bindings: each gives a clear error, nothing half-written."""

import os
import subprocess
import warnings

import numpy as np
import pytest
import torch

from conftest import MAX_SEQ, tiny_model

import switchyard
from switchyard.export import ExportError, export, from_hf


class Cumsum(torch.nn.Module):
    def forward(self, x):
        return torch.cumsum(x, dim=-1) * 2.0  # cumsum is not in Switchyard's op set


def test_unsupported_aten_op_names_op_node_and_source_line(tmp_path):
    out = tmp_path / "bad.syp"
    with pytest.raises(ExportError) as e:
        export(Cumsum(), out, example_inputs=(torch.ones(2, 4),), dynamic=False)
    msg = str(e.value)
    assert "aten.cumsum" in msg
    assert "node 'cumsum'" in msg
    assert "test_bad_input.py" in msg and "torch.cumsum(x, dim=-1)" in msg
    assert not out.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind


class ComplexParam(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4, dtype=torch.complex64), requires_grad=False)

    def forward(self, x):
        return (x * self.w).real


def test_complex_is_refused(tmp_path):
    with pytest.raises(ExportError, match="complex"):
        export(ComplexParam(), tmp_path / "c.syp", example_inputs=(torch.ones(4),), dynamic=False)
    assert os.listdir(tmp_path) == []


class F64Buffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor([0.5, 2.0, 3.0, -1.0], dtype=torch.float64))

    def forward(self, x):
        return x * self.scale.to(torch.float32)


def test_f64_parameters_are_cast_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="f64; cast to f32"):
        path = export(F64Buffer(), tmp_path / "f.syp", example_inputs=(torch.ones(4),), dynamic=False)
    rt = switchyard.Runtime(switchyard.Program.load(path), backends="portable")
    x = np.array([1, 2, 3, 4], np.float32)
    np.testing.assert_array_equal(rt.run(x=x)["output"], x * np.array([0.5, 2, 3, -1], np.float32))


class TwoDims(torch.nn.Module):
    def forward(self, x):
        return x * 2.0


def test_dynamic_dim_other_than_sequence_length(tmp_path):
    b = torch.export.Dim("batch", min=1, max=8)
    t = torch.export.Dim("seq", min=1, max=16)
    ep = torch.export.export(TwoDims(), (torch.ones(2, 3),), dynamic_shapes=({0: b, 1: t},))
    with pytest.raises(ExportError, match="second dynamic dim .* only the sequence length may be dynamic"):
        export(ep, tmp_path / "d.syp")
    assert os.listdir(tmp_path) == []


def test_from_hf_refuses_non_decoder_models(tmp_path):
    import transformers
    bert = transformers.BertModel(transformers.BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1,
                                                          num_attention_heads=2, intermediate_size=32))
    with pytest.raises(ExportError, match="not a causal LM"):
        from_hf(bert, tmp_path / "b.syp", max_seq_len=8, verbose=False)
    t5 = transformers.T5ForConditionalGeneration(transformers.T5Config(vocab_size=32, d_model=16, d_ff=32,
                                                                        num_layers=1, num_heads=2, d_kv=8))
    with pytest.raises(ExportError, match="encoder-decoder"):
        from_hf(t5, tmp_path / "t.syp", max_seq_len=8, verbose=False)
    with pytest.raises(ExportError, match="no config.json"):
        from_hf(tmp_path, tmp_path / "x.syp", max_seq_len=8, verbose=False)
    assert sorted(os.listdir(tmp_path)) == []


@pytest.fixture(scope="module")
def llama_rt(exported):
    _, path, _ = exported("llama", fuse=True)
    return switchyard.Runtime(switchyard.Program.load(path), backends="portable")


def test_cache_past_the_exported_bound(llama_rt):
    llama_rt.reset()
    with pytest.raises(switchyard.SwitchyardError) as e:
        llama_rt.run(input_ids=np.ones((1, 7), np.int64),
                     cache_position=np.arange(MAX_SEQ - 3, MAX_SEQ + 4, dtype=np.int64))
    assert e.value.status == "SY_ERR_OUT_OF_RANGE"
    assert f"past the cache length {MAX_SEQ}" in str(e.value)
    with pytest.raises(switchyard.SwitchyardError) as e:
        llama_rt.run(input_ids=np.ones((1, MAX_SEQ + 1), np.int64),
                     cache_position=np.arange(MAX_SEQ + 1, dtype=np.int64))
    assert e.value.status == "SY_ERR_SHAPE" and "input_ids" in str(e.value)


def test_wrong_input_dtype_and_names(llama_rt):
    with pytest.raises(TypeError, match="input 'input_ids' has dtype int32, but the program declares i64"):
        llama_rt.run(input_ids=np.ones((1, 3), np.int32), cache_position=np.arange(3))
    with pytest.raises(KeyError, match="cache_position"):
        llama_rt.run(input_ids=np.ones((1, 3), np.int64))
    with pytest.raises(KeyError, match="unknown input"):
        llama_rt.run(input_ids=np.ones((1, 3), np.int64), cache_position=np.arange(3), bogus=np.ones(1))
    with pytest.raises(switchyard.SwitchyardError, match="token id 96 .* out of range"):
        llama_rt.run(input_ids=np.full((1, 3), 96, np.int64), cache_position=np.arange(3))


def test_load_errors_carry_the_c_message(tmp_path):
    with pytest.raises(switchyard.SwitchyardError) as e:
        switchyard.Program.load(tmp_path / "missing.syp")
    assert e.value.status == "SY_ERR_IO" and "missing.syp" in str(e.value)
    bad = tmp_path / "bad.syp"
    bad.write_bytes(b"not a program at all, just some bytes" * 4)
    with pytest.raises(switchyard.SwitchyardError) as e:
        switchyard.Program.load(bad)
    assert e.value.status == "SY_ERR_FORMAT"


def test_bad_backend_options(exported):
    _, path, _ = exported("llama", fuse=True)
    prog = switchyard.Program.load(path)
    with pytest.raises(switchyard.SwitchyardError, match="nosuch"):
        switchyard.Runtime(prog, backends="nosuch,portable", policy="strict")
    with pytest.raises(ValueError, match="policy"):
        switchyard.Runtime(prog, backends="portable", policy="sometimes")
