"""The one place where the fused static-cache attention, RoPE and RMSNorm are decided
(docs/EXPORT.md): before torch.export, `swap_hf` swaps Switchyard's custom ops (ops.py) into a
Hugging Face model, the way ExecuTorch swaps in its custom SDPA:

- attention: an attention function registered with Transformers' AttentionInterface under the
  name "switchyard" calls switchyard::sdpa_with_kv_cache on the layer's cache buffers, and the
  layer's StaticLayer is re-classed so that its update hands k/v through unchanged (the fused op
  writes the cache). Layers it cannot take (sliding window shorter than the cache, logit
  soft-capping, no static cache layer) keep the model's own attention and cache update;
- RoPE: the modeling module's apply_rotary_pos_emb becomes switchyard::rope for q and k (partial
  rotary and other unsqueeze layouts keep the original). The lowering then checks that cos/sin
  are cos/sin(positions x theta^(-2i/D)) and emits rope(x, positions, theta); anything else
  (rope scaling, attention scaling != 1) becomes generic ops, with the reason in the report;
- RMSNorm: every *RMSNorm module (Gemma's 1 + weight form included) becomes switchyard::rms_norm.

Everything not swapped exports through the generic ATen mapping and still runs.
"""

import contextlib
import sys
from typing import List

import torch

from . import ops as _ops  # noqa: F401  (registers the custom ops)
from .lowering import Const, Val

aten = torch.ops.aten
sy = torch.ops.switchyard


# --- RMSNorm ---

class SyRMSNorm(torch.nn.Module):
    """An HF RMSNorm module computing through switchyard::rms_norm (same weight parameter)."""

    def __init__(self, orig: torch.nn.Module, eps: float, plus_one: bool):
        super().__init__()
        self.weight = orig.weight
        self.eps = float(eps)
        self.plus_one = plus_one

    def forward(self, x):
        w = (1.0 + self.weight.float()) if self.plus_one else self.weight
        return sy.rms_norm(x, w, self.eps)


def _swap_rms_norms(model: torch.nn.Module, notes: List[str]) -> int:
    n = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            cls = type(child).__name__
            if not cls.endswith("RMSNorm") or getattr(child, "weight", None) is None:
                continue
            eps = getattr(child, "variance_epsilon", getattr(child, "eps", None))
            if eps is None or child.weight.dim() != 1:
                notes.append(f"{cls}: no eps or a non-vector weight; kept as generic ops")
                continue
            setattr(parent, name, SyRMSNorm(child, eps, plus_one=cls.startswith("Gemma")))
            n += 1
    return n


# --- RoPE ---

def _make_rope(orig):
    def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1, **kw):
        if unsqueeze_dim != 1 or kw or cos.shape[-1] != q.shape[-1] or cos.dim() != 3:
            return orig(q, k, cos, sin, position_ids, unsqueeze_dim, **kw) if position_ids is not None \
                else orig(q, k, cos, sin, unsqueeze_dim=unsqueeze_dim, **kw)
        return sy.rope(q, cos, sin), sy.rope(k, cos, sin)
    return apply_rotary_pos_emb


# --- attention ---

def _sy_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    layer = getattr(module, "_sy_cache_layer", None)
    if layer is None:
        return module._sy_orig_attention(module, query, key, value, attention_mask, scaling=scaling,
                                         dropout=dropout, **kwargs)
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    y = sy.sdpa_with_kv_cache(query, key, value, layer.keys, layer.values, layer.cumulative_length,
                              float(scale))
    return y.transpose(1, 2).contiguous(), None


def _fused_layer_class(base):
    class SyFusedLayer(base):
        """A StaticLayer whose update leaves the cache to switchyard::sdpa_with_kv_cache."""

        def update(self, key_states, value_states, *args, **kwargs):
            return key_states, value_states
    SyFusedLayer.__name__ = "Sy" + base.__name__
    return SyFusedLayer


@contextlib.contextmanager
def swap_hf(exportable, model, max_cache_len: int, report):
    """Swaps the custom ops into `model` (wrapped by TorchExportableModuleWithStaticCache
    `exportable`) for the duration of the block. Records what was swapped and what not."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    AttentionInterface.register("switchyard", _sy_attention)
    AttentionMaskInterface.register("switchyard", sdpa_mask)
    modeling = sys.modules[type(model).__module__]
    undo = []
    try:
        n = _swap_rms_norms(model, report.not_fused)
        if n == 0:
            report.not_fused.append("rms_norm: the model has no *RMSNorm modules")
        orig_rope = getattr(modeling, "apply_rotary_pos_emb", None)
        if orig_rope is not None:
            modeling.apply_rotary_pos_emb = _make_rope(orig_rope)
            undo.append(lambda: setattr(modeling, "apply_rotary_pos_emb", orig_rope))
        else:
            report.not_fused.append(f"rope: {modeling.__name__} has no apply_rotary_pos_emb")

        layers = exportable.static_cache.layers
        cfg = model.config.get_text_config()
        attn_modules = [m for m in model.modules() if hasattr(m, "layer_idx") and
                        (hasattr(m, "q_proj") or hasattr(m, "qkv_proj"))]
        if not attn_modules:
            report.not_fused.append("sdpa_with_kv_cache: no attention modules with q_proj/qkv_proj found")
        orig_impl = cfg._attn_implementation
        orig_fn = sdpa_attention_forward
        for m in attn_modules:
            i = m.layer_idx
            m._sy_orig_attention = orig_fn
            window = getattr(m, "sliding_window", None)
            why = None
            if i >= len(layers) or type(layers[i]).__name__ != "StaticLayer":
                why = "its cache layer is not a StaticLayer"
            elif window is not None and window < max_cache_len:
                why = f"sliding window {window} is shorter than the cache ({max_cache_len})"
            elif getattr(m, "attn_logit_softcapping", None) or getattr(cfg, "attn_logit_softcapping", None):
                why = "attention logit soft-capping"
            if why:
                report.not_fused.append(f"layer {i} attention kept as generic ops ({why})")
                continue
            layers[i].__class__ = _fused_layer_class(type(layers[i]))
            m._sy_cache_layer = layers[i]
        _set_attn_impl(model, "switchyard")
        undo.append(lambda: _set_attn_impl(model, orig_impl))
        yield
    finally:
        for u in reversed(undo):
            u()


def _set_attn_impl(model, name):
    for m in model.modules():
        c = getattr(m, "config", None)
        if c is not None:
            try:
                c._attn_implementation = name
            except Exception:
                c._attn_implementation_internal = name


# --- the RoPE check at lowering time ---

_PASS = {aten._to_copy.default, aten.alias.default, aten.clone.default, aten.unsqueeze.default,
         aten.view.default, aten.expand.default, aten.permute.default, aten._unsafe_view.default,
         aten.reshape.default}


def _through(n):
    while isinstance(n, torch.fx.Node) and n.target in _PASS:
        n = n.args[0]
    return n


def _trig_source(n, fn):
    """The argument of the aten.cos/sin under `n` (through casts, views and `* 1.0`), or a reason."""
    n = _through(n)
    while isinstance(n, torch.fx.Node) and n.target in (aten.mul.Tensor, aten.mul.Scalar):
        a, b = n.args
        if isinstance(b, (int, float)):
            if float(b) != 1.0:
                return f"cos/sin are scaled by {b} (attention scaling)"
            n = _through(a)
        else:
            return "cos/sin are multiplied by a tensor"
    if not isinstance(n, torch.fx.Node) or n.target is not fn:
        return "cos/sin are not computed in the graph from positions"
    return n.args[0]


def rope_positions_node(node):
    """The FX node holding the positions of a switchyard::rope node when its cos/sin have the
    structure match_rope accepts (values unchecked), else None."""
    c = _trig_source(node.args[1], aten.cos.default)
    s = _trig_source(node.args[2], aten.sin.default)
    if isinstance(c, str) or c is not s or c.target is not aten.cat.default:
        return None
    parts = c.args[0]
    if len(parts) != 2 or parts[0] is not parts[1]:
        return None
    f = _through(parts[0])
    if not isinstance(f, torch.fx.Node) or f.target is not aten.mul.Tensor:
        return None
    for side in f.args:
        p = _through(side)
        meta = p.meta.get("val") if isinstance(p, torch.fx.Node) else None
        if meta is not None and meta.dtype in (torch.int32, torch.int64):
            return p
    return None


def match_rope(L, node):
    """(positions value id, theta) when cos/sin of `node` (switchyard::rope) are cos/sin of
    cat([f, f]) with f = positions x inv_freq, inv_freq = theta^(-2i/D); else a reason string."""
    x, cos, sin = node.args
    c = _trig_source(cos, aten.cos.default)
    s = _trig_source(sin, aten.sin.default)
    if isinstance(c, str):
        return c
    if isinstance(s, str):
        return s
    if c is not s:
        return "cos and sin have different arguments"
    if c.target is not aten.cat.default or len(c.args[0]) != 2 or c.args[0][0] is not c.args[0][1]:
        return "the angles are not cat([f, f]) (not the half-split layout)"
    f = _through(c.args[0][0])
    if not isinstance(f, torch.fx.Node) or f.target not in (aten.mul.Tensor, aten.bmm.default, aten.mm.default):
        return "the angles are not positions x inv_freq"
    a, b = f.args

    def const_of(side):
        for n in (side, _through(side)):
            v = L.env.get(n) if isinstance(n, torch.fx.Node) else None
            if isinstance(v, Const):
                return v
        return None
    inv, pos = (const_of(a), b) if const_of(a) is not None else (const_of(b), a)
    if inv is None:
        return "inv_freq is not a constant"
    pos = _through(pos)
    pv = L.env.get(pos) if isinstance(pos, torch.fx.Node) else None
    meta = pos.meta.get("val") if isinstance(pos, torch.fx.Node) else None
    if not isinstance(pv, Val) or meta is None or meta.dtype not in (torch.int32, torch.int64):
        return "the positions are not an integer tensor of the graph"
    if not (meta.dim() == 1 or (meta.dim() == 2 and meta.shape[0] == 1)):
        return f"positions of shape {list(meta.shape)} (batch > 1)"
    d = x.meta["val"].shape[-1]
    freqs = inv.t.double().flatten()
    if freqs.numel() != d // 2 or d < 4:
        return f"inv_freq has {freqs.numel()} entries for head dim {d}"
    i = torch.arange(d // 2, dtype=torch.float64)
    if bool((freqs <= 0).any()):
        return "inv_freq has non-positive entries"
    # log inv_freq_i = -(2i/D) log theta: least squares over all entries (robust to f16/bf16
    # rounding), then snapped to an integer theta (every common base is one) when that fits.
    e = 2.0 * i / d
    theta = float(torch.exp(-(freqs.log() * e).sum() / (e * e).sum()))
    if abs(round(theta) - theta) <= 1e-3 * theta:
        theta = float(round(theta))
    # inv_freq stored in f16/bf16 (a model cast with .to(dtype)) is theta^(-2i/D) rounded.
    rtol = max(1e-5, 2.0 * torch.finfo(inv.t.dtype).eps) if inv.t.is_floating_point() else 1e-5
    if not torch.allclose(freqs, theta ** (-2.0 * i / d), rtol=rtol, atol=0):
        return "inv_freq is not theta^(-2i/D) (rope scaling)"
    pid = pv.id
    if meta.dim() == 2:
        pid = L.g.add_op(node.name + ".positions", "reshape", [pid], {"shape": [-1]})[0]
    return pid, theta
