"""Lowering of a torch.export ExportedProgram (core ATen after run_decompositions) to a
Switchyard graph, written through the C graph builder (switchyard.graph.Graph).

Values during lowering are one of:
  Val(id)      a Switchyard graph value;
  Const(t)     a torch tensor known at export time (parameters, buffers that are not state,
               anything computed only from those: folded with torch, materialised as a program
               constant only when a lowered op reads it);
  StateRef     a mutable buffer not yet read (it becomes a state value on first use);
  a Python int/float/bool, or a torch.SymInt (the sequence length and expressions of it).

Every lowered op's output shape, as the C shape rules infer it, is checked against torch's
(at the sequence-length bound), so a mapping mistake is an export error, not a wrong program.
"""

import operator
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from .. import _lib
from ..errors import ExportError
from ..graph import Graph

aten = torch.ops.aten

_SY_DTYPE = {torch.float32: _lib.DTYPE_F32, torch.float16: _lib.DTYPE_F16,
             torch.bfloat16: _lib.DTYPE_BF16, torch.int32: _lib.DTYPE_I32,
             torch.int64: _lib.DTYPE_I64, torch.uint8: _lib.DTYPE_U8, torch.bool: _lib.DTYPE_BOOL}


@dataclass
class Val:
    id: int


@dataclass
class Const:
    t: torch.Tensor


@dataclass
class StateRef:
    name: str
    t: torch.Tensor


@dataclass
class Report:
    """What an export did: fused ops, what was not fused and why, notes (casts, dropped buffers)."""
    fused: Dict[str, int] = field(default_factory=dict)
    not_fused: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    ops: Dict[str, int] = field(default_factory=dict)
    quantized: int = 0  # weights written as block-quantised constants

    def count_fused(self, op: str) -> None:
        self.fused[op] = self.fused.get(op, 0) + 1

    def __str__(self) -> str:
        lines = ["switchyard export report:"]
        lines.append("  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.ops.items())))
        lines.append("  fused: " + (", ".join(f"{k} x{v}" for k, v in sorted(self.fused.items())) or "none"))
        if self.quantized:
            lines.append(f"  quantized weights: {self.quantized}")
        for w in self.not_fused:
            lines.append(f"  not fused: {w}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)


def sy_dtype_of(dt: torch.dtype, where: str) -> int:
    if dt.is_complex:
        raise ExportError(f"{where}: dtype {dt} is complex; Switchyard has no complex dtypes")
    if dt not in _SY_DTYPE:
        raise ExportError(f"{where}: dtype {dt} has no Switchyard dtype (f32, f16, bf16, i32, i64, u8, bool)")
    return _SY_DTYPE[dt]


def node_where(node: torch.fx.Node) -> str:
    """'node 'mul_3' (aten.mul.Tensor), from model.py:42 `x = a * b`' for error messages."""
    trace = node.meta.get("stack_trace") or ""
    src = ""
    lines = [ln.strip() for ln in trace.strip().splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("File "):
            src = lines[i] + (f" `{lines[i + 1]}`" if i + 1 < len(lines) else "")
            break
    return f"node '{node.name}' ({node.target})" + (f", from {src}" if src else "")


class Lowering:
    def __init__(self, ep, graph: Graph, report: Report, max_seq_len: Optional[int],
                 output_names: Optional[List[str]] = None, progress=None, quantize: Optional[str] = None):
        self.ep = ep
        self.quantize = quantize  # block dtype for linear weights and embedding tables, or None
        self.g = graph
        self.report = report
        self.env: Dict[torch.fx.Node, Any] = {}
        self.const_ids: Dict[Tuple, int] = {}
        self.symbols: Dict[Any, int] = {}  # sympy symbol -> graph symbol id
        self.sym_bound: Dict[Any, int] = {}
        self.state_ids: Dict[str, int] = {}
        self.max_seq_len = max_seq_len
        self.output_names = output_names
        self.progress = progress
        self.n_named = 0

    # --- values ---

    def name(self, node: torch.fx.Node, suffix: str = "") -> str:
        return node.name + suffix

    def val(self, x, node: torch.fx.Node, dtype: Optional[torch.dtype] = None) -> int:
        """The graph value id of a lowered operand (materialising constants and states)."""
        if isinstance(x, Val):
            return x.id
        if isinstance(x, StateRef):
            return self.state(x, node)
        if isinstance(x, Const):
            return self.constant(x.t, node)
        if isinstance(x, (bool, int, float)):
            dt = dtype or (torch.bool if isinstance(x, bool) else
                           torch.int64 if isinstance(x, int) else torch.float32)
            return self.constant(torch.tensor(x, dtype=dt), node)
        raise ExportError(f"{node_where(node)}: operand {x!r} cannot be a tensor here "
                          f"(a dynamic size used as data?)")

    def constant(self, t: torch.Tensor, node: torch.fx.Node) -> int:
        t = t.detach()
        if t.dtype == torch.float64:
            self.report.notes.append(f"constant of {node.name}: f64 cast to f32")
            t = t.float()
        dt = sy_dtype_of(t.dtype, node_where(node))
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype) \
            if t.numel() > 1 else None
        if key is not None and key in self.const_ids:
            return self.const_ids[key]
        c = t.contiguous()
        if c.dtype == torch.bfloat16:
            arr = c.view(torch.int16).numpy().view(np.uint16)
        else:
            arr = c.numpy()
        self.n_named += 1
        cid = self.g.add_constant(f"{node.name}.const{self.n_named}", arr, dt)
        if key is not None:
            self.const_ids[key] = cid
        return cid

    def weight(self, w, node: torch.fx.Node, x_id: Optional[int] = None) -> int:
        """A linear weight [N, K] or an embedding table [V, D]: quantised to self.quantize when it
        is an f32 constant with K a multiple of 32 (and x, for linear, is f32); else as val()."""
        if self.quantize is None or not isinstance(w, Const) or w.t.dtype != torch.float32 \
                or w.t.dim() != 2 or w.t.shape[1] % 32 or \
                (x_id is not None and self.g.value(x_id)["dtype"] != _lib.DTYPE_F32):
            if self.quantize is not None and isinstance(w, Const):
                self.report.notes.append(f"{node.name}: weight {tuple(w.t.shape)} {w.t.dtype} kept "
                                         f"unquantised (needs f32, 2-D, K a multiple of 32, f32 input)")
            return self.val(w, node)
        t = w.t.detach()
        key = ("quantized", t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()))
        if key not in self.const_ids:  # a tied embedding and LM head share one quantised copy
            from ..quant import quantize
            blocks = quantize(t.contiguous().numpy(), self.quantize)
            self.n_named += 1
            dt = _lib.BLOCK_DTYPES[self.quantize][0]
            self.const_ids[key] = self.g.add_constant_raw(f"{node.name}.const{self.n_named}", blocks,
                                                          dt, list(t.shape))
            self.report.quantized += 1
        return self.const_ids[key]

    def state(self, ref: StateRef, node: torch.fx.Node) -> int:
        if ref.name not in self.state_ids:
            t = ref.t
            dt = sy_dtype_of(t.dtype, f"state '{ref.name}'")
            self.state_ids[ref.name] = self.g.add_value(ref.name, dt, _lib.ROLE_STATE, list(t.shape))
        return self.state_ids[ref.name]

    # --- symbols ---

    def sym_of(self, s, where: str) -> int:
        """The graph symbol of a SymInt that is exactly one free symbol (the sequence length)."""
        expr = s.node.expr if isinstance(s, torch.SymInt) else s
        if not getattr(expr, "is_Symbol", False):
            raise ExportError(f"{where}: dynamic dim {expr} is an expression; Switchyard's symbolic dims "
                              f"are single symbols (the sequence length)")
        if expr not in self.symbols:
            if self.symbols:
                other = next(iter(self.symbols))
                raise ExportError(f"{where}: a second dynamic dim {expr} (besides {other}); only the "
                                  f"sequence length may be dynamic")
            rng = self.ep.range_constraints.get(expr)
            upper = rng.upper if rng is not None else None
            bound = int(upper) if upper is not None and upper.is_finite else None
            if self.max_seq_len is not None:
                bound = self.max_seq_len if bound is None else min(bound, self.max_seq_len)
            if bound is None:
                raise ExportError(f"{where}: dynamic dim {expr} has no upper bound; pass max_seq_len")
            self.symbols[expr] = self.g.add_symbol("T", bound)
            self.sym_bound[expr] = bound
        return self.symbols[expr]

    def concrete(self, d) -> int:
        """A dim at the symbol bounds."""
        if isinstance(d, torch.SymInt):
            expr = d.node.expr
            return int(expr.subs({k: v for k, v in self.sym_bound.items()}))
        return int(d)

    # --- graph ---

    def emit(self, node: torch.fx.Node, op: str, inputs, attrs=None, suffix="", check=True) -> int:
        outs = self.g.add_op(self.name(node, suffix), op, inputs, attrs or {})
        self.report.ops[op] = self.report.ops.get(op, 0) + 1
        if check and not suffix and outs:
            self.check_shape(node, outs[0])
        return outs[0] if outs else None

    def check_shape(self, node: torch.fx.Node, vid: int) -> None:
        v = node.meta.get("val")
        if not isinstance(v, torch.Tensor):
            return
        got = self.g.value(vid)["dims"]
        want = [self.concrete(d) for d in v.shape]
        if got != want:
            raise ExportError(f"{node_where(node)}: internal: lowered shape {got} differs from torch's {want}")

    def cast(self, vid: int, to: torch.dtype, node: torch.fx.Node, suffix: str) -> int:
        have = self.g.value(vid)["dtype"]
        want = sy_dtype_of(to, node_where(node))
        if have == want:
            return vid
        return self.g.add_op(self.name(node, suffix), "cast", [vid], {"dtype": want})[0]

    # --- driver ---

    def run(self) -> None:
        ep = self.ep
        sig = ep.graph_signature
        live = self.live_nodes()
        params = dict(ep.named_parameters())
        buffers = dict(ep.named_buffers())
        consts = dict(ep.constants)
        mutated = set(sig.buffers_to_mutate.values())
        user_inputs = []
        for spec in sig.input_specs:
            node = next(n for n in ep.graph.nodes if n.op == "placeholder" and n.name == spec.arg.name)
            kind = spec.kind.name
            if kind == "PARAMETER":
                self.env[node] = Const(params[spec.target])
            elif kind == "BUFFER":
                t = buffers[spec.target] if spec.target in buffers else consts[spec.target]
                self.env[node] = StateRef(spec.target, t) if spec.target in mutated else Const(t)
            elif kind in ("CONSTANT_TENSOR", "CUSTOM_OBJ"):
                self.env[node] = Const(consts[spec.target])
            elif kind == "USER_INPUT":
                user_inputs.append(node)
            else:
                raise ExportError(f"input '{spec.arg.name}': input kind {kind} is not supported")
        for node in user_inputs:
            self.add_input(node)
        nodes = [n for n in ep.graph.nodes if n.op == "call_function" and n in live]
        for i, node in enumerate(nodes):
            if self.progress and i % 200 == 0 and len(nodes) > 400:
                self.progress(f"lowering node {i}/{len(nodes)}")
            self.lower(node)
        self.finish_outputs()

    def live_nodes(self):
        """Nodes the outputs need. Buffer mutations count only when they are cache updates
        (index_put / index_copy / the fused op): a buffer that is rewritten every call from the
        inputs but never read (HF's cumulative_length) needs no state and no computation."""
        out = next(n for n in self.ep.graph.nodes if n.op == "output")
        cache_writes = (aten.index_put.default, aten.index_copy.default, operator.getitem)
        roots = []
        for spec, r in zip(self.ep.graph_signature.output_specs, out.args[0]):
            if not isinstance(r, torch.fx.Node):
                continue
            if spec.kind.name != "BUFFER_MUTATION" or r.target in cache_writes:
                roots.append(r)
        live, stack = {out}, roots
        while stack:
            n = stack.pop()
            if n in live:
                continue
            live.add(n)
            stack.extend(self.needed_inputs(n))
        return live

    def needed_inputs(self, n: torch.fx.Node):
        """A node's inputs that lowering it reads: for switchyard::rope whose cos/sin trace back to
        positions, x and the positions only (the cos/sin subgraph is then dead); if the rope check
        fails later, `ensure` lowers cos/sin on demand."""
        if n.op == "call_function" and n.target is torch.ops.switchyard.rope.default:
            from .fusion import rope_positions_node
            pos = rope_positions_node(n)
            if pos is not None:
                return [n.args[0], pos]
        return n.all_input_nodes

    def ensure(self, n: torch.fx.Node):
        """The lowered value of `n`, lowering it (and what it needs) now if liveness skipped it."""
        if n not in self.env:
            for i in n.all_input_nodes:
                self.ensure(i)
            self.lower(n)
        return self.env[n]

    def add_input(self, node: torch.fx.Node) -> None:
        v = node.meta.get("val")
        if not isinstance(v, torch.Tensor):
            raise ExportError(f"user input '{node.name}' is not a tensor ({type(v).__name__})")
        if v.dtype == torch.float64:
            raise ExportError(f"user input '{node.name}' is f64; export with f32 inputs")
        dt = sy_dtype_of(v.dtype, f"user input '{node.name}'")
        dims, sym = [], []
        for i, d in enumerate(v.shape):
            if isinstance(d, torch.SymInt):
                sym.append(self.sym_of(d, f"user input '{node.name}' dim {i}"))
                dims.append(self.sym_bound[d.node.expr])
            else:
                sym.append(-1)
                dims.append(int(d))
        self.env[node] = Val(self.g.add_value(node.name, dt, _lib.ROLE_INPUT, dims, sym))

    def finish_outputs(self) -> None:
        sig = self.ep.graph_signature
        out = next(n for n in self.ep.graph.nodes if n.op == "output")
        results = list(out.args[0])
        specs = sig.output_specs
        user_i = 0
        dropped: List[str] = []
        n_user = sum(1 for s in specs if s.kind.name == "USER_OUTPUT")
        for spec, r in zip(specs, results):
            kind = spec.kind.name
            val = self.env.get(r) if isinstance(r, torch.fx.Node) else r
            if kind == "BUFFER_MUTATION":
                target = spec.target
                if target in self.state_ids and r not in self.env:
                    raise ExportError(f"buffer '{target}' is read and also rewritten by {node_where(r)}, "
                                      f"which Switchyard cannot express as a state update")
                if target not in self.state_ids:
                    # Written from the inputs every call and never read: nothing to keep.
                    dropped.append(target)
                    continue
                if not (isinstance(val, Val) and val.id == self.state_ids[target]):
                    raise ExportError(f"buffer '{target}' is mutated by {node_where(r)}, which Switchyard "
                                      f"cannot express as an in-place state update (update_cache)")
            elif kind == "USER_OUTPUT":
                if self.output_names and user_i < len(self.output_names):
                    name = self.output_names[user_i]
                else:
                    name = "output" if n_user == 1 else f"output_{user_i}"
                user_i += 1
                if not isinstance(val, Val) or val.id in self.state_ids.values():
                    raise ExportError(f"output '{name}' is not computed by the graph (a constant, an "
                                      f"input or a state returned directly)")
                if self.g.value(val.id)["name"] in {n.name for n in self.ep.graph.nodes
                                                    if n.op == "placeholder"}:
                    raise ExportError(f"output '{name}' is a graph input returned directly")
                self.g.set_output(val.id, name)
            else:
                raise ExportError(f"output kind {kind} is not supported")
        if dropped:
            shown = ", ".join(dropped[:3]) + (f" and {len(dropped) - 3} more" if len(dropped) > 3 else "")
            self.report.notes.append(f"buffers rewritten every call and never read before, not kept as "
                                     f"states: {shown}")

    # --- one node ---

    def lower(self, node: torch.fx.Node) -> None:
        from .handlers import HANDLERS, fold
        target = node.target
        if target in HANDLERS.get("skip", ()):
            self.env[node] = None
            return
        args = torch.fx.node.map_arg(node.args, lambda n: self.env.get(n))
        kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: self.env.get(n))
        if fold(self, node, args, kwargs):
            return
        h = HANDLERS.get(target)
        if h is None:
            packet = getattr(target, "overloadpacket", None)
            h = HANDLERS.get(packet)
        if h is None:
            raise ExportError(f"unsupported ATen op {target} at {node_where(node)}; Switchyard's op set "
                              f"is in docs/OPS.md (add a mapping in switchyard/export/handlers.py)")
        try:
            self.env[node] = h(self, node, *args, **kwargs)
        except ExportError:
            raise
        except Exception as e:  # a C shape rule refusing what we built: say where it came from
            raise ExportError(f"{node_where(node)}: {e}") from e
