"""Thin bindings of the runtime C API: programs, runtimes, backends.

Data path: `Runtime.run` hands each NumPy input's buffer to sy_runtime_set_input (which copies it
into the runtime, the C API's one copy; a non-contiguous array is made contiguous first) and
returns the outputs. Outputs are borrowed views of the runtime's buffers in C; `run` copies them
into fresh arrays by default (`copy=False` returns the views, valid until the next run/reset).
"""

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Union

import numpy as np

from . import _lib
from .errors import SwitchyardError, check

_NP_OF_DTYPE = {
    _lib.DTYPE_F32: np.dtype(np.float32), _lib.DTYPE_F16: np.dtype(np.float16),
    _lib.DTYPE_I32: np.dtype(np.int32), _lib.DTYPE_I64: np.dtype(np.int64),
    _lib.DTYPE_U8: np.dtype(np.uint8), _lib.DTYPE_BOOL: np.dtype(np.bool_),
    _lib.DTYPE_BF16: np.dtype(np.uint16),  # raw bf16 bits: NumPy has no bfloat16
}
_DTYPE_OF_NP = {v: k for k, v in _NP_OF_DTYPE.items() if k != _lib.DTYPE_BF16}
ROLE_NAMES = {1: "input", 2: "output", 3: "constant", 4: "state", 5: "intermediate"}


def dtype_name(dt: int) -> str:
    """The C dtype name ("f32") of a sy_dtype value."""
    return _lib.lib().sy_dtype_name(dt).decode()


def to_numpy_dtype(dt: int) -> np.dtype:
    return _NP_OF_DTYPE[dt]


def from_numpy_dtype(dt) -> int:
    """sy_dtype of a NumPy dtype; raises TypeError for one Switchyard has no dtype for."""
    d = np.dtype(dt)
    if d not in _DTYPE_OF_NP:
        raise TypeError(f"NumPy dtype {d} has no Switchyard dtype (f32, f16, i32, i64, u8, bool)")
    return _DTYPE_OF_NP[d]


def tensor_of_array(a: np.ndarray) -> _lib.Tensor:
    """A sy_tensor viewing `a` (which must stay alive and be C-contiguous)."""
    if a.ndim > _lib.MAX_RANK:
        raise ValueError(f"rank {a.ndim} exceeds Switchyard's maximum rank {_lib.MAX_RANK}")
    t = _lib.Tensor()
    t.data = a.ctypes.data if a.size else None
    t.dtype = from_numpy_dtype(a.dtype)
    t.rank = a.ndim
    for i, d in enumerate(a.shape):
        t.dims[i] = d
    return t


def array_of_tensor(t: _lib.Tensor, copy: bool = True) -> np.ndarray:
    """A NumPy array over a sy_tensor's data (copied unless copy=False)."""
    shape = tuple(t.dims[i] for i in range(t.rank))
    dt = to_numpy_dtype(t.dtype)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if n == 0 or not t.data:
        return np.zeros(shape, dt)
    buf = (ctypes.c_char * (n * dt.itemsize)).from_address(t.data)
    arr = np.frombuffer(buf, dtype=dt, count=n).reshape(shape)
    return arr.copy() if copy else arr


class ValueSpec:
    """One value of a program: name, dtype name, role name, shape (symbolic dims as the symbol
    name) and the bound of each dim."""

    def __init__(self, info: _lib.ValueInfo, symbols):
        self.name = info.name.decode()
        self.dtype = dtype_name(info.dtype)
        self.sy_dtype = info.dtype
        self.role = ROLE_NAMES.get(info.role, "invalid")
        self.bounds = tuple(info.dims[i] for i in range(info.rank))
        self.shape = tuple(symbols[info.sym[i]] if info.sym[i] >= 0 else info.dims[i]
                           for i in range(info.rank))

    def __repr__(self):
        return f"ValueSpec({self.name!r}, {self.dtype}, {self.role}, {list(self.shape)})"


class Program:
    """A loaded program file (.syp). Keep it alive while runtimes made from it live."""

    def __init__(self, handle: int, origin: str):
        self._h = handle
        self.origin = origin

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Program":
        """Maps and validates a program file; raises SwitchyardError (SY_ERR_IO, SY_ERR_FORMAT...)."""
        h = ctypes.c_void_p()
        check(_lib.lib().sy_program_load(os.fsencode(path), ctypes.byref(h)))
        return cls(h.value, str(path))

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.lib().sy_program_destroy(self._h)
            self._h = None

    @property
    def metadata(self) -> Dict[str, str]:
        L = _lib.lib()
        out = {}
        for i in range(L.sy_program_n_metadata(self._h)):
            k, v = ctypes.c_char_p(), ctypes.c_char_p()
            L.sy_program_get_metadata_at(self._h, i, ctypes.byref(k), ctypes.byref(v))
            out[k.value.decode()] = v.value.decode("utf-8", "replace")
        return out

    def _view(self):
        return _lib.lib().sy_program_get_graph(self._h).contents

    def values(self, role: Optional[str] = None):
        g = self._view()
        syms = [g.symbols[i].name.decode() for i in range(g.n_symbols)]
        vals = [ValueSpec(g.values[i], syms) for i in range(g.n_values)]
        return [v for v in vals if role is None or v.role == role]

    @property
    def inputs(self):
        return self.values("input")

    @property
    def outputs(self):
        return self.values("output")

    @property
    def states(self):
        return self.values("state")

    @property
    def symbols(self) -> Dict[str, int]:
        g = self._view()
        return {g.symbols[i].name.decode(): g.symbols[i].max for i in range(g.n_symbols)}

    def op_histogram(self) -> Dict[str, int]:
        g = self._view()
        hist: Dict[str, int] = {}
        for i in range(g.n_nodes):
            name = _lib.lib().sy_op_name(g.nodes[i].op).decode()
            hist[name] = hist.get(name, 0) + 1
        return hist


class Runtime:
    """A program partitioned and compiled for a backend list.

    backends: "xnnpack,portable" or a list; options: {"xnnpack.threads": 2} or
    {"xnnpack": {"threads": 2}}; plugins: paths of delegate shared libraries; policy: "fallback"
    or "strict"; config: a JSON config file read first; rules: [("pin"|"forbid", match, backend)].
    SWITCHYARD_BACKENDS from the environment applies when `backends` is not given.
    """

    def __init__(self, program: Program, backends: Union[str, Iterable[str], None] = None,
                 options: Optional[Mapping] = None, plugins: Iterable[str] = (),
                 policy: Optional[str] = None, config: Optional[str] = None, rules=()):
        L = _lib.lib()
        self.program = program  # keeps the mapping alive
        self._h = None
        cfg = ctypes.c_void_p()
        check(L.sy_config_create(ctypes.byref(cfg)))
        try:
            if config:
                check(L.sy_config_load_file(cfg, os.fsencode(config)))
            check(L.sy_config_apply_env(cfg))
            if backends is not None:
                csv = backends if isinstance(backends, str) else ",".join(backends)
                check(L.sy_config_set_backends(cfg, csv.encode()))
            for key, value in _flatten_options(options or {}):
                backend, _, opt = key.partition(".")
                if not opt:
                    raise ValueError(f"option '{key}' must be 'backend.key'")
                check(L.sy_config_set_option(cfg, backend.encode(), opt.encode(), str(value).encode()))
            for p in plugins:
                check(L.sy_config_add_plugin(cfg, os.fsencode(p)))
            for kind, match, backend in rules:
                k = {"pin": _lib.RULE_PIN, "forbid": _lib.RULE_FORBID}[kind]
                check(L.sy_config_add_rule(cfg, k, match.encode(), backend.encode()))
            if policy is not None:
                pol = {"fallback": _lib.POLICY_FALLBACK, "strict": _lib.POLICY_STRICT}.get(policy)
                if pol is None:
                    raise ValueError(f"policy '{policy}' is not 'fallback' or 'strict'")
                L.sy_config_set_policy(cfg, pol)
            self.backends = L.sy_config_get_backends(cfg).decode()
            h = ctypes.c_void_p()
            check(L.sy_runtime_create(program._h, cfg, ctypes.byref(h)))
            self._h = h.value
        finally:
            L.sy_config_destroy(cfg)
        self._inputs = {v.name: v for v in program.inputs}
        self._outputs = [v.name for v in program.outputs]

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.lib().sy_runtime_destroy(self._h)
            self._h = None

    def run(self, copy: bool = True, **inputs) -> Dict[str, np.ndarray]:
        """Sets every input, executes once, returns {output name: array}. Raises TypeError for a
        wrong dtype, KeyError for a missing or unknown input, SwitchyardError for what the C
        library refuses (shapes, token ids, cache positions past the cache length)."""
        L = _lib.lib()
        unknown = set(inputs) - set(self._inputs)
        if unknown:
            raise KeyError(f"unknown input(s) {sorted(unknown)}; the program's inputs are "
                           f"{sorted(self._inputs)}")
        keep = []
        for name, spec in self._inputs.items():
            if name not in inputs:
                raise KeyError(f"input '{name}' ({spec.dtype} {list(spec.shape)}) is missing")
            a = np.asarray(inputs[name])
            want = to_numpy_dtype(spec.sy_dtype)
            if a.dtype != want:
                raise TypeError(f"input '{name}' has dtype {a.dtype}, but the program declares "
                                f"{spec.dtype} ({want})")
            if a.ndim != len(spec.shape):
                raise ValueError(f"input '{name}' has shape {list(a.shape)}, but the program "
                                 f"declares rank {len(spec.shape)} {list(spec.shape)}")
            a = np.ascontiguousarray(a)
            keep.append(a)
            t = tensor_of_array(a)
            check(L.sy_runtime_set_input(self._h, name.encode(), ctypes.byref(t)))
        check(L.sy_runtime_execute(self._h))
        out = {}
        for name in self._outputs:
            t = _lib.Tensor()
            check(L.sy_runtime_get_output(self._h, name.encode(), ctypes.byref(t)))
            out[name] = array_of_tensor(t, copy=copy)
        return out

    def reset(self) -> None:
        """Zeroes every state tensor (the KV caches)."""
        check(_lib.lib().sy_runtime_reset_state(self._h))

    def read_state(self, name: str) -> np.ndarray:
        spec = next((v for v in self.program.states if v.name == name), None)
        if spec is None:
            raise KeyError(f"no state '{name}'")
        a = np.zeros(spec.bounds, to_numpy_dtype(spec.sy_dtype))
        t = tensor_of_array(a)
        check(_lib.lib().sy_runtime_read_state(self._h, name.encode(), ctypes.byref(t)))
        return a

    def stats(self) -> Dict[str, int]:
        s = _lib.RuntimeStats()
        check(_lib.lib().sy_runtime_get_stats(self._h, ctypes.byref(s)))
        return {f: getattr(s, f) for f, _ in _lib.RuntimeStats._fields_}


def _flatten_options(options: Mapping):
    for k, v in options.items():
        if isinstance(v, Mapping):
            for k2, v2 in v.items():
                yield f"{k}.{k2}", v2
        else:
            yield k, v


def cli_path() -> Optional[str]:
    """The `switchyard` program: $SWITCHYARD_CLI, $SWITCHYARD_BUILD_DIR/tools/switchyard, next to
    the Python interpreter (the venv's bin/), or on PATH."""
    env = os.environ.get("SWITCHYARD_CLI")
    if env:
        return env
    build = os.environ.get("SWITCHYARD_BUILD_DIR")
    if build and (Path(build) / "tools" / "switchyard").exists():
        return str(Path(build) / "tools" / "switchyard")
    lib = os.environ.get("SWITCHYARD_LIBRARY")
    if lib and (Path(lib).parent / "tools" / "switchyard").exists():
        return str(Path(lib).parent / "tools" / "switchyard")
    near = Path(sys.executable).parent / "switchyard"
    if near.exists():
        return str(near)
    return shutil.which("switchyard")


def backends(plugins: Iterable[str] = ()) -> list:
    """Every backend (built in or from `plugins`): dicts with name, available, reason, version,
    origin, options and ops, as `switchyard backends --json` reports them (the listing lives in
    the CLI; the C API has no listing call of its own yet)."""
    exe = cli_path()
    if not exe:
        raise SwitchyardError("SY_ERR_NOT_FOUND", "the switchyard program was not found (set SWITCHYARD_CLI)")
    cmd = [exe, "backends", "--json"]
    for p in plugins:
        cmd += ["--plugin", str(p)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise SwitchyardError("SY_ERR_INTERNAL", f"'{' '.join(cmd)}' failed: {r.stderr.strip()}")
    return doc["backends"]
