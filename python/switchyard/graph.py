"""Bindings of the C graph builder (sy_graph_*): the exporter writes programs only through it, so
the one C writer and validator (shape rules, ids, attributes) checks every exported program.

Constants: `add_constant` passes the NumPy array's own buffer (no Python-side copy for a
C-contiguous array); sy_graph_add_constant copies it once into the graph (64-byte aligned), and
sy_graph_save writes it once into the file, aligned for mmap.
"""

import ctypes
import os
from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _lib
from .errors import check
from .runtime import from_numpy_dtype

AttrValue = Union[int, float, str, Sequence[int]]


class Graph:
    """A program under construction. Values are referred to by the ids the add_* calls return."""

    def __init__(self):
        h = ctypes.c_void_p()
        check(_lib.lib().sy_graph_create(ctypes.byref(h)))
        self._h = h.value

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.lib().sy_graph_destroy(self._h)
            self._h = None

    def add_symbol(self, name: str, max_value: int) -> int:
        out = ctypes.c_uint32()
        check(_lib.lib().sy_graph_add_symbol(self._h, name.encode(), int(max_value), ctypes.byref(out)))
        return out.value

    def add_value(self, name: str, dtype: int, role: int, dims: Sequence[int],
                  sym: Optional[Sequence[int]] = None) -> int:
        """dims: the dims (a symbolic dim holds its bound); sym: per dim the symbol id or -1."""
        d = _lib.ValueDesc()
        d.name = name.encode()
        d.dtype = dtype
        d.role = role
        d.rank = len(dims)
        for i in range(_lib.MAX_RANK):
            d.sym[i] = -1
        for i, x in enumerate(dims):
            d.dims[i] = int(x)
            if sym is not None:
                d.sym[i] = int(sym[i])
        out = ctypes.c_uint32()
        check(_lib.lib().sy_graph_add_value(self._h, ctypes.byref(d), ctypes.byref(out)))
        return out.value

    def add_constant(self, name: str, array: np.ndarray, dtype: Optional[int] = None) -> int:
        """dtype: a sy_dtype overriding the array's (bf16 arrives as raw uint16 bits)."""
        a = np.ascontiguousarray(array)  # no copy when already contiguous
        dims = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
        out = ctypes.c_uint32()
        data = a.ctypes.data if a.nbytes else None
        dt = dtype if dtype is not None else from_numpy_dtype(a.dtype)
        check(_lib.lib().sy_graph_add_constant(self._h, name.encode(), dt,
                                               a.ndim, dims, data, a.nbytes, ctypes.byref(out)))
        return out.value

    def add_constant_raw(self, name: str, data: np.ndarray, dtype: int, dims: Sequence[int]) -> int:
        """A constant of `dtype` and shape `dims` whose bytes are `data` as they are (block-quantised
        weights: the C side checks the byte count against the dtype's row size)."""
        a = np.ascontiguousarray(data)
        cdims = (ctypes.c_int64 * max(1, len(dims)))(*[int(d) for d in dims])
        out = ctypes.c_uint32()
        check(_lib.lib().sy_graph_add_constant(self._h, name.encode(), int(dtype), len(dims), cdims,
                                               a.ctypes.data if a.nbytes else None, a.nbytes,
                                               ctypes.byref(out)))
        return out.value

    def add_op(self, name: str, op: str, inputs: Sequence[int],
               attrs: Optional[Mapping[str, AttrValue]] = None) -> List[int]:
        """Adds a node whose outputs the C library creates with inferred dtypes and shapes;
        returns the output ids (a failed shape rule raises with the C message)."""
        L = _lib.lib()
        op_id = L.sy_op_from_name(op.encode())
        ins = (ctypes.c_uint32 * max(1, len(inputs)))(*[int(i) for i in inputs])
        arr, keep = _attrs(attrs or {})
        outs = (ctypes.c_uint32 * 8)(*([_lib.NO_VALUE] * 8))
        check(L.sy_graph_add_op(self._h, name.encode(), op_id, ins, len(inputs), arr,
                                len(attrs or {}), outs))
        del keep
        return [o for o in outs if o != _lib.NO_VALUE]

    def set_output(self, value: int, name: Optional[str] = None) -> None:
        check(_lib.lib().sy_graph_set_output(self._h, value, name.encode() if name else None))

    def set_metadata(self, key: str, value: str) -> None:
        check(_lib.lib().sy_graph_set_metadata(self._h, key.encode(), value.encode("utf-8")))

    def validate(self) -> None:
        check(_lib.lib().sy_graph_validate(self._h))

    def save(self, path: Union[str, os.PathLike]) -> None:
        check(_lib.lib().sy_graph_save(self._h, os.fsencode(path)))

    def value(self, vid: int) -> Dict:
        """dtype (sy_dtype), dims and sym of a value."""
        v = _lib.lib().sy_graph_get_view(self._h).contents.values[vid]
        return {"name": v.name.decode(), "dtype": v.dtype, "dims": [v.dims[i] for i in range(v.rank)],
                "sym": [v.sym[i] for i in range(v.rank)]}


def _attrs(attrs: Mapping[str, AttrValue]):
    arr = (_lib.Attr * max(1, len(attrs)))()
    keep = []
    for i, (k, v) in enumerate(attrs.items()):
        a = arr[i]
        name = k.encode()
        keep.append(name)
        a.name = name
        if isinstance(v, (bool, int, np.integer)):
            a.type, a.n, a.u.i = _lib.ATTR_INT, 1, int(v)
        elif isinstance(v, (float, np.floating)):
            a.type, a.n, a.u.f = _lib.ATTR_FLOAT, 1, float(v)
        elif isinstance(v, str):
            s = v.encode()
            keep.append(s)
            a.type, a.n, a.u.s = _lib.ATTR_STRING, len(s), s
        else:
            vals = (ctypes.c_int64 * max(1, len(v)))(*[int(x) for x in v])
            keep.append(vals)
            a.type, a.n = _lib.ATTR_INTS, len(v)
            a.u.ints = ctypes.cast(vals, ctypes.POINTER(ctypes.c_int64))
    return arr, keep
