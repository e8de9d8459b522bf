"""Our C quantiser (sy_quantize_row / sy_dequantize_row in libswitchyard) byte for byte against
the gguf Python package's reference quantisers, on random data and edge cases.

Finds the library through SWITCHYARD_BUILD_DIR (default: <repo>/build)."""

import ctypes
import os
import pathlib

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import dequantize, quantize  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
DTYPES = {"q8_0": (8, QT.Q8_0, 34), "q4_0": (9, QT.Q4_0, 18), "q4_1": (10, QT.Q4_1, 20)}


def _library():
    build = pathlib.Path(os.environ.get("SWITCHYARD_BUILD_DIR", REPO / "build"))
    for name in ("libswitchyard.so", "libswitchyard.dylib"):
        if (build / name).exists():
            lib = ctypes.CDLL(str(build / name))
            break
    else:
        pytest.skip(f"libswitchyard not built in {build} (set SWITCHYARD_BUILD_DIR)")
    for fn in (lib.sy_quantize_row, lib.sy_dequantize_row):
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
    lib.sy_last_error.restype = ctypes.c_char_p
    return lib


LIB = None


def ours_quantize(name, x):
    global LIB
    LIB = LIB or _library()
    dt, _, bb = DTYPES[name]
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.zeros(x.size // 32 * bb, dtype=np.uint8)
    st = LIB.sy_quantize_row(dt, x.ctypes.data, x.size, out.ctypes.data)
    assert st == 0, LIB.sy_last_error()
    return out


def ours_dequantize(name, q, n):
    dt = DTYPES[name][0]
    out = np.zeros(n, dtype=np.float32)
    st = LIB.sy_dequantize_row(dt, q.ctypes.data, n, out.ctypes.data)
    assert st == 0, LIB.sy_last_error()
    return out


def _cases():
    rng = np.random.default_rng(12)
    normal = rng.standard_normal(32 * 64).astype(np.float32)
    huge = rng.standard_normal(32 * 4).astype(np.float32)
    huge[5] = 3.0e4  # one huge value in block 0
    huge[40] = 1.0e38  # overflows the f16 scale
    negmax = rng.uniform(-1, 1, 32 * 4).astype(np.float32)
    negmax[3], negmax[70] = -7.5, -1e-3  # negative largest magnitude
    ties = np.tile(np.array([1.0, -1.0] * 16, dtype=np.float32), 2)  # equal magnitudes
    halves = (np.arange(32 * 2, dtype=np.float32) - 32) / 2  # values on rounding midpoints
    tiny = (rng.standard_normal(32 * 2) * 1e-6).astype(np.float32)  # subnormal f16 scales
    return {
        "normal": normal,
        "zeros": np.zeros(32 * 3, dtype=np.float32),
        "huge": huge,
        "negative_max": negmax,
        "ties": ties,
        "halves": halves,
        "constant": np.full(64, 0.3, dtype=np.float32),
        "tiny": tiny,
        "wide": (rng.standard_normal(32 * 16) * 1e3).astype(np.float32),
    }


@pytest.mark.parametrize("name", sorted(DTYPES))
@pytest.mark.parametrize("case", sorted(_cases()))
def test_quantize_matches_gguf(name, case):
    x = _cases()[case]
    qt = DTYPES[name][1]
    ref = quantize(x.reshape(-1, 32), qt).reshape(-1)
    ours = ours_quantize(name, x)
    assert ours.shape == ref.shape
    bad = np.nonzero(ours != ref)[0]
    assert bad.size == 0, f"{name}/{case}: {bad.size} bytes differ, first at {bad[:8]}"
    # The dequantiser agrees with gguf's too (same formula, same float32 operations).
    back = ours_dequantize(name, ours, x.size)
    ref_back = dequantize(ref.reshape(-1, DTYPES[name][2]), qt).reshape(-1)
    np.testing.assert_array_equal(back, ref_back)
