"""The ctypes bindings on a hand-built graph (independent expectations computed with NumPy)."""

import numpy as np
import pytest

import switchyard
from switchyard import _lib


def build(tmp_path):
    g = switchyard.Graph()
    t = g.add_symbol("T", 8)
    x = g.add_value("x", _lib.DTYPE_F32, _lib.ROLE_INPUT, [8, 4], [t, -1])
    w = g.add_constant("w", np.arange(12, dtype=np.float32).reshape(3, 4))
    y = g.add_op("lin", "linear", [x, w])[0]
    m = g.add_op("pos", "gt", [y, g.add_constant("zero", np.zeros((), np.float32))])[0]
    z = g.add_op("sel", "where", [m, y, g.add_constant("neg", np.full((), -1.0, np.float32))])[0]
    g.set_output(z, "z")
    g.set_metadata("model.family", "test")
    path = tmp_path / "g.syp"
    g.save(path)
    return path


def test_graph_builder_program_runtime(tmp_path):
    prog = switchyard.Program.load(build(tmp_path))
    assert prog.metadata["model.family"] == "test"
    assert [v.name for v in prog.inputs] == ["x"] and prog.inputs[0].shape == ("T", 4)
    assert prog.symbols == {"T": 8}
    assert prog.op_histogram() == {"linear": 1, "gt": 1, "where": 1}
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = x @ np.arange(12, dtype=np.float32).reshape(3, 4).T
    want = np.where(want > 0, want, -1.0)
    for backends in ("portable", "xnnpack,portable"):
        rt = switchyard.Runtime(prog, backends=backends)
        np.testing.assert_allclose(rt.run(x=x)["z"], want, rtol=1e-6)
    # Non-contiguous input: made contiguous, same result.
    np.testing.assert_allclose(rt.run(x=np.asfortranarray(x))["z"], want, rtol=1e-6)


def test_graph_builder_errors_carry_the_c_message():
    g = switchyard.Graph()
    a = g.add_value("a", _lib.DTYPE_F32, _lib.ROLE_INPUT, [2, 3])
    b = g.add_value("b", _lib.DTYPE_F32, _lib.ROLE_INPUT, [3, 2])
    with pytest.raises(switchyard.SwitchyardError) as e:
        g.add_op("bad", "add", [a, b])
    assert e.value.status == "SY_ERR_SHAPE" and "do not broadcast" in str(e.value) and "'bad'" in str(e.value)
    with pytest.raises(switchyard.SwitchyardError, match="attribute 'dtype'"):
        g.add_op("ar", "arange", [a], {"dtype": 99})


def test_new_ops_against_numpy(tmp_path):
    g = switchyard.Graph()
    a = g.add_value("a", _lib.DTYPE_I64, _lib.ROLE_INPUT, [3, 1])
    b = g.add_value("b", _lib.DTYPE_I64, _lib.ROLE_INPUT, [4])
    outs = {}
    for op in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or"):
        outs[op] = g.add_op(op, op, [a, b])[0]
    outs["logical_not"] = g.add_op("logical_not", "logical_not", [b])[0]
    outs["arange"] = g.add_op("arange", "arange", [b], {"start": 5, "step": -2})[0]
    outs["full_like"] = g.add_op("full_like", "full_like", [a], {"value": -2.5, "dtype": _lib.DTYPE_F32})[0]
    for k, v in outs.items():
        g.set_output(v, "out_" + k)
    g.save(tmp_path / "n.syp")
    rt = switchyard.Runtime(switchyard.Program.load(tmp_path / "n.syp"), backends="portable")
    av = np.array([[0], [2], [5]], np.int64)
    bv = np.array([0, 2, 3, 7], np.int64)
    r = rt.run(a=av, b=bv)
    for op, fn in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                   ("gt", np.greater), ("ge", np.greater_equal), ("logical_and", np.logical_and),
                   ("logical_or", np.logical_or)):
        np.testing.assert_array_equal(r["out_" + op], fn(av, bv), err_msg=op)
    np.testing.assert_array_equal(r["out_logical_not"], bv == 0)
    np.testing.assert_array_equal(r["out_arange"], np.array([5, 3, 1, -1]))
    np.testing.assert_array_equal(r["out_full_like"], np.full((3, 1), -2.5, np.float32))


def test_backends_listing():
    names = [b["name"] for b in switchyard.backends()]
    assert "portable" in names
    portable = next(b for b in switchyard.backends() if b["name"] == "portable")
    assert portable["available"] and "where" in portable["ops"]


def test_new_op_rules_refuse_bad_operands():
    g = switchyard.Graph()
    f = g.add_value("f", _lib.DTYPE_F32, _lib.ROLE_INPUT, [2, 3])
    i = g.add_value("i", _lib.DTYPE_I64, _lib.ROLE_INPUT, [2, 3])
    c = g.add_value("c", _lib.DTYPE_BOOL, _lib.ROLE_INPUT, [3])
    with pytest.raises(switchyard.SwitchyardError, match="where needs a bool condition") as e:
        g.add_op("w", "where", [f, f, f])
    assert e.value.status == "SY_ERR_DTYPE"
    with pytest.raises(switchyard.SwitchyardError, match="input #2 has dtype i64 but input #1 has f32"):
        g.add_op("w2", "where", [c, f, i])
    with pytest.raises(switchyard.SwitchyardError, match="input #1 has dtype i64 but input #0 has f32"):
        g.add_op("eq", "eq", [f, i])
    with pytest.raises(switchyard.SwitchyardError, match="'step' is 0"):
        g.add_op("ar", "arange", [f], {"step": 0})
    s = g.add_value("s", _lib.DTYPE_F32, _lib.ROLE_INPUT, [])
    with pytest.raises(switchyard.SwitchyardError, match="scalar"):
        g.add_op("ar2", "arange", [s])
    # logical ops take mixed dtypes (non-zero is true), like torch.logical_and.
    assert g.value(g.add_op("la", "logical_and", [f, i])[0])["dtype"] == _lib.DTYPE_BOOL
