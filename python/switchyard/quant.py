"""Block quantisation (q8_0, q4_0, q4_1: GGUF's 32-element layouts) through the C quantiser.

The same code as `switchyard convert --requantize` (core/quant.c, sy_quantize_row): blocks run
along the last dim, so a [N, K] weight with K a multiple of 32 becomes N rows of K/32 blocks."""

import ctypes

import numpy as np

from . import _lib
from .errors import check


def quantize(array: np.ndarray, dtype: str) -> np.ndarray:
    """Quantises a float array (last dim a multiple of 32) to `dtype` ("q8_0", "q4_0", "q4_1");
    returns the blocks as a uint8 array of shape array.shape[:-1] + (row bytes,)."""
    if dtype not in _lib.BLOCK_DTYPES:
        raise ValueError(f"quantize: unknown block dtype {dtype!r} (one of {', '.join(_lib.BLOCK_DTYPES)})")
    dt, block, block_bytes = _lib.BLOCK_DTYPES[dtype]
    a = np.ascontiguousarray(array, dtype=np.float32)
    if a.ndim == 0 or a.shape[-1] % block:
        raise ValueError(f"quantize: the last dim ({a.shape[-1] if a.ndim else 'scalar'}) is not a "
                         f"multiple of {block}")
    out = np.empty(a.shape[:-1] + (a.shape[-1] // block * block_bytes,), dtype=np.uint8)
    check(_lib.lib().sy_quantize_row(dt, a.ctypes.data_as(ctypes.c_void_p), a.size,
                                     out.ctypes.data_as(ctypes.c_void_p)))
    return out
