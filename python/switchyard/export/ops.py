"""Switchyard's custom PyTorch ops (torch.library, namespace `switchyard`).

The exporter swaps these into a model before torch.export (see fusion.py and docs/EXPORT.md), so
the exported graph carries them 1:1 and the lowering maps each onto the Switchyard op of the same
name. Each has an eager implementation (so a swapped model still runs in PyTorch and its output
can be compared with the original's) and a fake implementation for export.

  switchyard::sdpa_with_kv_cache(q, k, v, k_cache!, v_cache!, start_pos, scale) -> y
      q [B, Hq, T, D], k/v [B, Hkv, T, D], caches [B, Hkv, S, D] (written in place at rows
      start .. start+T), start_pos: int64 tensor whose first element is the start; y [B, Hq, T, D]:
      causal grouped-query attention over cache rows [0, start + t] for query t.
  switchyard::rope(x, cos, sin) -> y
      HF's apply_rotary_pos_emb for one tensor: x [B, H, T, D], cos/sin [B, T, D];
      y = x * cos + rotate_half(x) * sin. The lowering turns it into Switchyard's rope(x,
      positions, theta) when it can trace cos/sin back to positions x theta^(-2i/D).
  switchyard::rms_norm(x, weight, eps) -> y
      x / sqrt(mean(x^2, -1) + eps) * weight, computed in f32 like HF's RMSNorm modules.
"""

import torch


@torch.library.custom_op("switchyard::sdpa_with_kv_cache", mutates_args=("k_cache", "v_cache"))
def sdpa_with_kv_cache(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, k_cache: torch.Tensor,
                       v_cache: torch.Tensor, start_pos: torch.Tensor, scale: float) -> torch.Tensor:
    start = int(start_pos.reshape(-1)[0])
    t = q.shape[2]
    s = k_cache.shape[2]
    if start < 0 or start + t > s:
        raise IndexError(f"cache position {start} + {t} tokens is past the cache length {s}")
    k_cache[:, :, start:start + t] = k.to(k_cache.dtype)
    v_cache[:, :, start:start + t] = v.to(v_cache.dtype)
    keys = k_cache[:, :, :start + t].float()
    vals = v_cache[:, :, :start + t].float()
    groups = q.shape[1] // k_cache.shape[1]
    keys = keys.repeat_interleave(groups, dim=1)
    vals = vals.repeat_interleave(groups, dim=1)
    scores = torch.matmul(q.float(), keys.transpose(2, 3)) * scale
    qpos = torch.arange(t).unsqueeze(1) + start
    kpos = torch.arange(start + t).unsqueeze(0)
    scores = scores.masked_fill(kpos > qpos, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), vals).to(q.dtype)


@sdpa_with_kv_cache.register_fake
def _sdpa_with_kv_cache_fake(q, k, v, k_cache, v_cache, start_pos, scale):
    return torch.empty_like(q)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


@torch.library.custom_op("switchyard::rope", mutates_args=())
def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    c = cos.unsqueeze(1)
    s = sin.unsqueeze(1)
    return (x * c) + (rotate_half(x) * s)


@rope.register_fake
def _rope_fake(x, cos, sin):
    return torch.empty_like(x)


@torch.library.custom_op("switchyard::rms_norm", mutates_args=())
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    xf = x.float()
    y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return (y * weight.float()).to(x.dtype)


@rms_norm.register_fake
def _rms_norm_fake(x, weight, eps):
    return torch.empty_like(x)
