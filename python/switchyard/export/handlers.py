"""One handler per ATen op (core ATen after run_decompositions), mapping it onto Switchyard ops.

A handler gets the Lowering, the FX node and the node's arguments with every input node replaced
by its lowered value (Val / Const / StateRef / int / float / SymInt) and returns the node's lowered
value. Where an ATen op is exactly one of ours with other arguments (mm, bmm, addmm, clone,
_to_copy, select, any), it is mapped here instead of becoming a new Switchyard op.
"""

import operator

import torch

from .. import _lib
from ..errors import ExportError
from .lowering import Const, StateRef, Val, node_where, sy_dtype_of

aten = torch.ops.aten
sy = torch.ops.switchyard

# Ops that carry no computation (metadata assertions, shape guards).
_SKIP = {aten._assert_tensor_metadata.default, aten._assert_scalar.default,
         aten.sym_constrain_range_for_size.default}


def _is_tensorish(x):
    return isinstance(x, (Val, StateRef))


def _has_dynamic(x):
    if isinstance(x, (list, tuple)):
        return any(_has_dynamic(y) for y in x)
    if isinstance(x, dict):
        return any(_has_dynamic(y) for y in x.values())
    return _is_tensorish(x) or isinstance(x, torch.SymInt)


def _real(x):
    if isinstance(x, Const):
        return x.t
    if isinstance(x, (list, tuple)):
        return type(x)(_real(y) for y in x)
    if isinstance(x, dict):
        return {k: _real(v) for k, v in x.items()}
    return x


def fold(L, node, args, kwargs) -> bool:
    """Evaluates a node whose inputs are all known at export time (constant folding with torch)."""
    if node.target is aten.sym_size.int:
        return False
    if _has_dynamic(args) or _has_dynamic(kwargs):
        return False
    if not isinstance(node.target, torch._ops.OpOverload) or node.target.namespace != "aten":
        return False
    out = node.target(*_real(args), **_real(kwargs))
    L.env[node] = Const(out) if isinstance(out, torch.Tensor) else out
    return True


def _meta(node):
    return node.meta.get("val")


def _out_dtype(node):
    return _meta(node).dtype


# --- shape attributes with a dynamic dim ---

def _shape_attr(L, node, in_vid, mode):
    """The `shape` attribute of reshape/expand for the node's output shape: static dims as
    numbers; the (one) dynamic dim as 0 (reshape: same dim at the same index of the input) or -1
    (reshape: inferred; expand: kept from the input)."""
    out = list(_meta(node).shape)
    src = L.g.value(in_vid)
    shape = []
    n_dyn = 0
    for i, d in enumerate(out):
        if not isinstance(d, torch.SymInt):
            shape.append(int(d))
            continue
        sym = L.sym_of(d, node_where(node))
        if mode == "expand":
            lead = len(out) - len(src["dims"])
            j = i - lead
            if j < 0 or src["sym"][j] != sym:
                raise ExportError(f"{node_where(node)}: expand to a dynamic dim the input does not have")
            shape.append(-1)
        else:
            if i < len(src["sym"]) and src["sym"][i] == sym:
                shape.append(0)
            else:
                n_dyn += 1
                shape.append(-1)
    if n_dyn > 1:
        raise ExportError(f"{node_where(node)}: reshape with two dynamic dims in new places")
    return shape


def h_view(L, node, x, *rest):
    vid = L.val(x, node)
    return Val(L.emit(node, "reshape", [vid], {"shape": _shape_attr(L, node, vid, "reshape")}))


def h_expand(L, node, x, *rest):
    vid = L.val(x, node)
    out = list(_meta(node).shape)
    if [L.concrete(d) for d in out] == L.g.value(vid)["dims"]:
        return Val(vid)
    return Val(L.emit(node, "expand", [vid], {"shape": _shape_attr(L, node, vid, "expand")}))


def h_permute(L, node, x, perm):
    vid = L.val(x, node)
    rank = len(L.g.value(vid)["dims"])
    perm = [p % rank for p in perm]
    if perm == list(range(rank)):
        return Val(vid)
    return Val(L.emit(node, "transpose", [vid], {"perm": perm}))


def h_identity(L, node, x, *rest, **kw):
    if isinstance(x, (Const, StateRef, Val)):
        return x
    raise ExportError(f"{node_where(node)}: unexpected operand {x!r}")


def h_to_copy(L, node, x, *rest, **kw):
    want = _out_dtype(node)
    vid = L.val(x, node)
    out = L.cast(vid, want, node, "")
    return Val(out)


def h_copy(L, node, dst, src, *rest):
    # copy(dst, src) is src cast and broadcast to dst's dtype and shape (functional copy_).
    vid = L.val(src, node, dtype=_out_dtype(node))
    vid = L.cast(vid, _out_dtype(node), node, ".cast")
    want = [L.concrete(d) for d in _meta(node).shape]
    if L.g.value(vid)["dims"] != want:
        vid = L.emit(node, "expand", [vid], {"shape": _shape_attr(L, node, vid, "expand")})
    return Val(vid)


# --- elementwise ---

def _promote(node, a, b):
    def fake(x):
        if isinstance(x, Const):
            return x.t
        if isinstance(x, (Val, StateRef)):
            return None
        return x
    metas = []
    for arg, x in zip(node.args[:2], (a, b)):
        if isinstance(arg, torch.fx.Node):
            metas.append(_meta(arg))
        else:
            metas.append(x)
    return torch.result_type(*metas)


def _binary(op):
    def h(L, node, a, b, alpha=1):
        dt = _promote(node, a, b)
        av = L.cast(L.val(a, node, dtype=dt), dt, node, ".cast_a")
        if alpha != 1:
            b = Val(L.emit(node, "mul", [L.val(b, node, dtype=dt), L.val(alpha, node, dtype=dt)],
                           suffix=".alpha"))
        bv = L.cast(L.val(b, node, dtype=dt), dt, node, ".cast_b")
        out = L.emit(node, op, [av, bv], check=(dt == _out_dtype(node)))
        return Val(L.cast(out, _out_dtype(node), node, ".cast_out"))
    return h


def _compare(op):
    def h(L, node, a, b):
        dt = _promote(node, a, b)
        av = L.cast(L.val(a, node, dtype=dt), dt, node, ".cast_a")
        bv = L.cast(L.val(b, node, dtype=dt), dt, node, ".cast_b")
        return Val(L.emit(node, op, [av, bv]))
    return h


def _unary(op, **attrs):
    def h(L, node, x, *rest):
        return Val(L.emit(node, op, [L.val(x, node)], attrs))
    return h


def h_gelu(L, node, x, approximate="none"):
    return Val(L.emit(node, "gelu", [L.val(x, node)], {"approximate": 1 if approximate == "tanh" else 0}))


def h_pow_scalar(L, node, x, e):
    dt = _out_dtype(node)
    xv = L.cast(L.val(x, node), dt, node, ".cast")
    if e == 2:
        return Val(L.emit(node, "mul", [xv, xv]))
    return Val(L.emit(node, "pow", [xv, L.val(float(e), node, dtype=dt)]))


def h_where(L, node, c, a, b):
    dt = _out_dtype(node)
    cv = L.cast(L.val(c, node), torch.bool, node, ".cond")
    av = L.cast(L.val(a, node, dtype=dt), dt, node, ".cast_a")
    bv = L.cast(L.val(b, node, dtype=dt), dt, node, ".cast_b")
    return Val(L.emit(node, "where", [cv, av, bv]))


def h_logical(op):
    def h(L, node, a, b=None):
        ins = [L.cast(L.val(a, node), torch.bool, node, ".a")]
        if b is not None:
            ins.append(L.cast(L.val(b, node), torch.bool, node, ".b"))
        return Val(L.emit(node, op, ins))
    return h


def h_bitwise_and(L, node, a, b):
    if _out_dtype(node) != torch.bool:
        raise ExportError(f"{node_where(node)}: bitwise_and of {_out_dtype(node)} is not supported "
                          f"(only of bool masks, as logical_and)")
    return h_logical("logical_and")(L, node, a, b)


# --- reductions and normalisation ---

def _reduce(op):
    def h(L, node, x, dims=None, keepdim=False, **kw):
        attrs = {"keepdim": int(bool(keepdim))}
        if dims is not None:
            attrs["axes"] = [dims] if isinstance(dims, int) else list(dims)
        return Val(L.emit(node, op, [L.val(x, node)], attrs))
    return h


def h_any(L, node, x, dim=None, keepdim=False):
    # any over an axis is max of the mask read as 0/1 integers: exact, no new op needed.
    xi = L.cast(L.val(x, node), torch.int32, node, ".i32")
    attrs = {"keepdim": int(bool(keepdim))}
    if dim is not None:
        attrs["axes"] = [dim] if isinstance(dim, int) else list(dim)
    m = L.emit(node, "max", [xi], attrs, suffix=".max")
    return Val(L.cast(m, torch.bool, node, ""))


def h_softmax(L, node, x, dim, half_to_float=False):
    return Val(L.emit(node, "softmax", [L.val(x, node)], {"axis": dim}))


# --- linear algebra ---

def _weight_of(L, node, b_arg):
    """W when `b_arg` is permute(W, [1, 0]) (so x @ b = linear(x, W)), else None."""
    if isinstance(b_arg, torch.fx.Node) and b_arg.target is aten.permute.default \
            and list(b_arg.args[1]) == [1, 0]:
        return L.env[b_arg.args[0]]
    return None


def h_mm(L, node, a, b):
    w = _weight_of(L, node, node.args[1])
    if w is not None:
        x = L.val(a, node)
        return Val(L.emit(node, "linear", [x, L.weight(w, node, x)]))
    return Val(L.emit(node, "matmul", [L.val(a, node), L.val(b, node)]))


def h_addmm(L, node, bias, a, b, beta=1, alpha=1):
    if beta != 1 or alpha != 1:
        raise ExportError(f"{node_where(node)}: addmm with beta/alpha other than 1")
    w = _weight_of(L, node, node.args[2])
    bv = L.val(bias, node)
    if w is not None and len(L.g.value(bv)["dims"]) == 1:
        x = L.val(a, node)
        return Val(L.emit(node, "linear", [x, L.weight(w, node, x), bv]))
    mm = L.emit(node, "matmul", [L.val(a, node), L.val(b, node)], suffix=".mm")
    return Val(L.emit(node, "add", [mm, bv]))


# --- data movement ---

def h_embedding(L, node, w, ids, *rest):
    return Val(L.emit(node, "embedding", [L.weight(w, node), L.val(ids, node)]))


def h_slice(L, node, x, dim=0, start=None, end=None, step=1):
    vid = L.val(x, node)
    v = L.g.value(vid)
    rank = len(v["dims"])
    dim = dim % rank
    if isinstance(end, torch.SymInt) or isinstance(start, torch.SymInt):
        # Only a slice to the end of a dynamic dim (x[:, :T] of a T-long x) is expressible.
        out = _meta(node).shape[dim]
        inp = _meta(node.args[0]).shape[dim]
        if (start in (None, 0)) and str(out) == str(inp):
            return Val(vid)
        raise ExportError(f"{node_where(node)}: slice with a dynamic bound is not supported")
    attrs = {"axis": dim, "start": int(start or 0), "step": int(step)}
    if end is not None:
        attrs["end"] = min(int(end), 2**63 - 1)
    if attrs["start"] == 0 and attrs["step"] == 1 and attrs.get("end", 2**63 - 1) >= v["dims"][dim] \
            and v["sym"][dim] < 0:
        return Val(vid)
    return Val(L.emit(node, "slice", [vid], attrs))


def h_select(L, node, x, dim, index):
    # select = slice of one row, then reshape without that axis.
    vid = L.val(x, node)
    v = L.g.value(vid)
    rank = len(v["dims"])
    dim = dim % rank
    if index < 0:
        if v["sym"][dim] >= 0:
            raise ExportError(f"{node_where(node)}: negative select index on a dynamic dim")
        index += v["dims"][dim]
    s = L.emit(node, "slice", [vid], {"axis": dim, "start": int(index), "end": int(index) + 1},
               suffix=".slice")
    # Dims before `dim` are copied (0), the dynamic one after it inferred (-1), the rest static.
    shape = [0 if (i < dim) else (-1 if v["sym"][i + 1] >= 0 else v["dims"][i + 1])
             for i in range(rank - 1)]
    return Val(L.emit(node, "reshape", [s], {"shape": shape}))


def h_split_with_sizes(L, node, x, sizes, dim=0):
    # split = consecutive slices along one (static) axis; getitem picks them.
    vid = L.val(x, node)
    v = L.g.value(vid)
    dim = dim % len(v["dims"])
    if v["sym"][dim] >= 0 or any(isinstance(n, torch.SymInt) for n in sizes):
        raise ExportError(f"{node_where(node)}: split along a dynamic dim")
    outs, start = [], 0
    for i, n in enumerate(sizes):
        outs.append(Val(L.emit(node, "slice", [vid], {"axis": dim, "start": start, "end": start + int(n)},
                               suffix=f".{i}")))
        start += int(n)
    return outs


def h_split(L, node, x, split_size, dim=0):
    total = L.g.value(L.val(x, node))["dims"][dim]
    sizes = [min(split_size, total - s) for s in range(0, total, split_size)]
    return h_split_with_sizes(L, node, x, sizes, dim)


def h_cat(L, node, xs, dim=0):
    vids = [L.val(x, node) for x in xs]
    rank = len(L.g.value(vids[0])["dims"])
    if len(vids) == 1:
        return Val(vids[0])
    return Val(L.emit(node, "concat", vids, {"axis": dim % rank}))


def h_arange(L, node, start, end=None, step=1, **kw):
    if end is None:
        start, end = 0, start
    if isinstance(start, torch.SymInt) or isinstance(step, torch.SymInt):
        raise ExportError(f"{node_where(node)}: arange with a dynamic start or step")
    # arange(start, T) with T the sequence length: an arange over an input's dynamic dim.
    expr = end.node.expr
    src = next((n for n in L.ep.graph.nodes if n.op == "placeholder" and isinstance(_meta(n), torch.Tensor)
                and any(isinstance(d, torch.SymInt) and d.node.expr == expr for d in _meta(n).shape)), None)
    if src is None or not isinstance(L.env.get(src), Val):
        raise ExportError(f"{node_where(node)}: arange to {expr}, which no input has as a dim")
    axis = next(i for i, d in enumerate(_meta(src).shape) if isinstance(d, torch.SymInt) and d.node.expr == expr)
    dt = sy_dtype_of(_out_dtype(node), node_where(node))
    return Val(L.emit(node, "arange", [L.env[src].id], {"axis": axis, "start": int(start),
                                                         "step": int(step), "dtype": dt}))


def h_full_like(L, node, x, value, **kw):
    dt = sy_dtype_of(_out_dtype(node), node_where(node))
    return Val(L.emit(node, "full_like", [L.val(x, node)], {"value": float(value), "dtype": dt}))


def h_index_put(L, node, buf, indices, values, accumulate=False):
    # cache[:, :, positions] = values on a state: update_cache (positions are start + arange(T)).
    if accumulate or not isinstance(buf, StateRef):
        raise ExportError(f"{node_where(node)}: index_put is supported only as a cache update of a "
                          f"mutable buffer (state), without accumulate")
    idx = list(indices)
    if len(idx) != 3 or idx[0] is not None or idx[1] is not None or idx[2] is None:
        raise ExportError(f"{node_where(node)}: index_put with indices {indices}: only "
                          f"cache[:, :, positions] is supported")
    return _update_cache(L, node, buf, idx[2], values)


def h_index_copy(L, node, buf, dim, index, values):
    if not isinstance(buf, StateRef) or dim % 4 != 2:
        raise ExportError(f"{node_where(node)}: index_copy is supported only along dim 2 of a state")
    return _update_cache(L, node, buf, index, values)


def _update_cache(L, node, buf, positions, values):
    sid = L.state(buf, node)
    users = [u for u in node.args[0].users]
    if len(users) > 1:
        raise ExportError(f"{node_where(node)}: buffer '{buf.name}' is read besides its update")
    dt = buf.t.dtype
    vv = L.cast(L.val(values, node), dt, node, ".cast")
    L.emit(node, "update_cache", [sid, vv, L.val(positions, node)], check=False)
    return Val(sid)


def h_getitem(L, node, x, i):
    if isinstance(x, (list, tuple)):
        return x[i]
    raise ExportError(f"{node_where(node)}: getitem of {type(x).__name__}")


def h_sym_size(L, node, x, dim):
    return _meta(node)


def h_scalar_tensor(L, node, v, **kw):
    return Const(torch.scalar_tensor(v, dtype=kw.get("dtype") or torch.float32))


# --- switchyard custom ops (fusion.py swaps them in) ---

def h_sy_rms_norm(L, node, x, w, eps):
    L.report.count_fused("rms_norm")
    return Val(L.emit(node, "rms_norm", [L.val(x, node), L.val(w, node, dtype=_out_dtype(node))],
                      {"eps": float(eps)}))


def h_sy_rope(L, node, x, cos, sin):
    from .fusion import match_rope
    m = match_rope(L, node)
    if isinstance(m, str):
        L.report.not_fused.append(f"{node.name}: rope kept as generic ops ({m})")
        cos, sin = L.ensure(node.args[1]), L.ensure(node.args[2])
        return _rope_generic(L, node, x, cos, sin)
    positions, theta = m
    L.report.count_fused("rope")
    return Val(L.emit(node, "rope", [L.val(x, node), positions], {"theta": float(theta), "layout": 0}))


def _rope_generic(L, node, x, cos, sin):
    xv = L.val(x, node)
    d = L.g.value(xv)["dims"][-1]
    cv = L.emit(node, "reshape", [L.val(cos, node)], {"shape": [0, 1, -1, d]}, suffix=".cos")
    sv = L.emit(node, "reshape", [L.val(sin, node)], {"shape": [0, 1, -1, d]}, suffix=".sin")
    lo = L.emit(node, "slice", [xv], {"axis": 3, "start": 0, "end": d // 2}, suffix=".lo")
    hi = L.emit(node, "slice", [xv], {"axis": 3, "start": d // 2}, suffix=".hi")
    nhi = L.emit(node, "neg", [hi], suffix=".neg")
    rot = L.emit(node, "concat", [nhi, lo], {"axis": 3}, suffix=".rot")
    a = L.emit(node, "mul", [xv, cv], suffix=".xcos")
    b = L.emit(node, "mul", [rot, sv], suffix=".rsin")
    return Val(L.emit(node, "add", [a, b]))


def h_auto_functionalized(L, node, op, **kw):
    if op is not sy.sdpa_with_kv_cache.default:
        raise ExportError(f"{node_where(node)}: in-place custom op {op} is not supported")
    bases = kw["_all_bases"]
    kc = bases[kw["_k_cache_base_index"]]
    vc = bases[kw["_v_cache_base_index"]]
    for name, b in (("k_cache", kc), ("v_cache", vc)):
        if not isinstance(b, StateRef):
            raise ExportError(f"{node_where(node)}: {name} is not a mutable buffer")
        if kw.get(f"_{name}_size") is not None:
            raise ExportError(f"{node_where(node)}: {name} is a view of a buffer")
    kid, vid_ = L.state(kc, node), L.state(vc, node)
    q = L.val(kw["q"], node)
    dt = L.g.value(kid)["dtype"]
    k = L.val(kw["k"], node)
    v = L.val(kw["v"], node)
    pos = L.val(kw["start_pos"], node)
    y = L.emit(node, "sdpa_with_kv_cache", [q, k, v, kid, vid_, pos], {"scale": float(kw["scale"])},
               check=False)
    L.report.count_fused("sdpa_with_kv_cache")
    return (Val(y), Val(kid), Val(vid_))


HANDLERS = {
    "skip": _SKIP,
    aten.view.default: h_view, aten._unsafe_view.default: h_view, aten.reshape.default: h_view,
    aten.unsqueeze.default: h_view, aten.squeeze.dim: h_view, aten.squeeze.dims: h_view,
    aten.squeeze.default: h_view, aten.flatten.using_ints: h_view,
    aten.expand.default: h_expand, aten.permute.default: h_permute,
    aten.clone.default: h_identity, aten.alias.default: h_identity, aten.detach.default: h_identity,
    aten.lift_fresh_copy.default: h_identity, aten.contiguous.default: h_identity,
    aten._to_copy.default: h_to_copy, aten.copy.default: h_copy,
    aten.add.Tensor: _binary("add"), aten.add.Scalar: _binary("add"),
    aten.sub.Tensor: _binary("sub"), aten.sub.Scalar: _binary("sub"),
    aten.mul.Tensor: _binary("mul"), aten.mul.Scalar: _binary("mul"),
    aten.div.Tensor: _binary("div"), aten.div.Scalar: _binary("div"),
    aten.maximum.default: _binary("maximum"), aten.minimum.default: _binary("minimum"),
    aten.pow.Tensor_Tensor: _binary("pow"), aten.pow.Tensor_Scalar: h_pow_scalar,
    aten.eq.Tensor: _compare("eq"), aten.eq.Scalar: _compare("eq"),
    aten.ne.Tensor: _compare("ne"), aten.ne.Scalar: _compare("ne"),
    aten.lt.Tensor: _compare("lt"), aten.lt.Scalar: _compare("lt"),
    aten.le.Tensor: _compare("le"), aten.le.Scalar: _compare("le"),
    aten.gt.Tensor: _compare("gt"), aten.gt.Scalar: _compare("gt"),
    aten.ge.Tensor: _compare("ge"), aten.ge.Scalar: _compare("ge"),
    aten.where.self: h_where,
    aten.logical_not.default: h_logical("logical_not"),
    aten.logical_and.default: h_logical("logical_and"),
    aten.logical_or.default: h_logical("logical_or"),
    aten.bitwise_and.Tensor: h_bitwise_and,
    aten.neg.default: _unary("neg"), aten.exp.default: _unary("exp"), aten.log.default: _unary("log"),
    aten.sqrt.default: _unary("sqrt"), aten.rsqrt.default: _unary("rsqrt"),
    aten.sin.default: _unary("sin"), aten.cos.default: _unary("cos"), aten.tanh.default: _unary("tanh"),
    aten.sigmoid.default: _unary("sigmoid"), aten.silu.default: _unary("silu"),
    aten.relu.default: _unary("relu"), aten.gelu.default: h_gelu,
    aten.sum.dim_IntList: _reduce("sum"), aten.mean.dim: _reduce("mean"), aten.amax.default: _reduce("max"),
    aten.any.dim: h_any, aten.any.dims: h_any, aten.any.default: h_any,
    aten._softmax.default: h_softmax,
    aten.mm.default: h_mm, aten.bmm.default: h_mm, aten.matmul.default: h_mm, aten.addmm.default: h_addmm,
    aten.embedding.default: h_embedding, aten.slice.Tensor: h_slice, aten.select.int: h_select,
    aten.cat.default: h_cat, aten.split_with_sizes.default: h_split_with_sizes, aten.split.Tensor: h_split, aten.arange.start_step: h_arange, aten.arange.default: h_arange,
    aten.arange.start: h_arange,
    aten.full_like.default: h_full_like,
    aten.index_put.default: h_index_put, aten.index_copy.default: h_index_copy,
    aten.scalar_tensor.default: h_scalar_tensor,
    aten.sym_size.int: h_sym_size,
    operator.getitem: h_getitem,
    sy.rms_norm.default: h_sy_rms_norm, sy.rope.default: h_sy_rope,
    torch.ops.higher_order.auto_functionalized_v2: h_auto_functionalized,
}
