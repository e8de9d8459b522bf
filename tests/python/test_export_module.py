"""export() of plain nn.Modules: a dynamic sequence dim, and a mutable buffer as a state."""

import numpy as np
import torch

import switchyard
from switchyard.export import Report, export


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = torch.nn.Linear(8, 16)
        self.b = torch.nn.Linear(16, 8, bias=False)

    def forward(self, x):
        h = torch.nn.functional.gelu(self.a(x), approximate="tanh")
        return torch.softmax(self.b(h), dim=-1), (x > 0).any(-1)


def test_dynamic_sequence_dim(tmp_path):
    m = Mlp().eval()
    path = export(m, tmp_path / "mlp.syp", example_inputs=(torch.randn(1, 3, 8),), max_seq_len=16,
                  seq_dims={"x": 1}, output_names=["probs", "any_pos"])
    prog = switchyard.Program.load(path)
    assert prog.inputs[0].shape == (1, "T", 8) and prog.symbols == {"T": 16}
    rt = switchyard.Runtime(prog, backends="xnnpack,portable")
    for t in (1, 5, 16):
        x = torch.randn(1, t, 8)
        x[0, 0] = -1.0  # one row with no positive entry
        with torch.no_grad():
            want, want_any = m(x)
        got = rt.run(x=x.numpy())
        np.testing.assert_allclose(got["probs"], want.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got["any_pos"], want_any.numpy())


class Cache(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("k", torch.zeros(1, 2, 8, 4), persistent=False)

    def forward(self, x, pos):
        self.k.index_copy_(2, pos, x * 2.0)
        return self.k.sum(2)


def test_mutable_buffer_becomes_state(tmp_path):
    m = Cache()
    rep = Report()
    path = export(m, tmp_path / "c.syp", example_inputs=(torch.randn(1, 2, 2, 4), torch.arange(2)),
                  max_seq_len=8, seq_dims={"x": 2, "pos": 0}, report=rep)
    prog = switchyard.Program.load(path)
    assert [s.name for s in prog.states] == ["k"]
    assert prog.op_histogram().get("update_cache") == 1
    rt = switchyard.Runtime(prog, backends="portable")
    eager = Cache()
    start = 0
    for t in (3, 1, 2):
        x = torch.randn(1, 2, t, 4)
        pos = torch.arange(start, start + t)
        with torch.no_grad():
            want = eager(x, pos)
        got = rt.run(x=x.numpy(), pos=pos.numpy())["output"]
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
        start += t
    np.testing.assert_array_equal(rt.read_state("k"), eager.k.numpy())
    rt.reset()
    assert not rt.read_state("k").any()
