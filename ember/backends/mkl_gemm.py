"""Intel MKL's GEMM as an optional engine for the CPU backend's float matrix products.

NumPy multiplies matrices with the BLAS it was built against (OpenBLAS in the wheels on PyPI).
On the shapes deep-learning steps are made of, MKL is faster: 0.66-0.75x OpenBLAS's time for a
20-row product such as an LSTM's recurrence, 0.8-0.9x for the layers of an MLP or a Transformer
(benchmarks/notes/mkl.md). When the ``mkl`` package is installed (``pip install "ember[mkl]"``),
``xp.matmul`` sends the products where that pays to ``cblas_sgemm``/``cblas_dgemm`` through
ctypes; everything else, and every machine without MKL, keeps ``numpy.matmul``. No C compiler is
involved and nothing else changes: results differ from OpenBLAS's only in rounding.

Note [Which products go to MKL]. A call costs about 9 us more through ctypes and MKL's own entry
than NumPy's (measured: 4x4x4 in 9.8 vs 3.6 us), and MKL wins from about a million
multiply-adds (20x200x200: 26 vs 21 us, 20x200x400: 40 vs 59 us), so smaller products stay with
NumPy. Only 2-D float32/float64 operands of one dtype whose rows or columns are contiguous go
(a transposed view is passed as a transposed operand, never copied), and an ``out`` only when it
is row-major and overlaps neither operand; anything else, stacked products included, is
NumPy's. Eager kernels and ``ember.compile``'s plans call the same function, so a compiled step
still equals the eager one bit for bit.

Note [Tall TN products]. A weight's gradient G^T·X (G: T×O output gradients, X: T×I inputs,
T the tokens) multiplies a transposed operand over a long inner dimension. MKL runs it markedly
slower when its O×I result is much taller than wide than it runs the transposed product X^T·G:
the Transformer head's 1000×128 gradient over 2048 tokens took 10.4-10.5 ms against 8.7-9.0 ms
for the 128×1000 product plus the copy that transposes it (medians; 512×128: 5.0 against 4.6 ms;
384×128, 256×128 and 1000×200 the same either way; benchmarks/notes/transformer.md, session
5). So a TN product with at least ``_TALL`` times more rows than columns is computed that way;
the result differs from the direct product's only in rounding, and eager and compiled steps call
this one function.

Note [MKL threads]. MKL is loaded at the first product it would take, not at import (loading
costs ~20 ms). It then takes NumPy's BLAS thread count (through threadpoolctl, which also
covers MKL in every later ``ember.set_num_threads``), so both engines run with the same
threads. ``EMBER_BLAS=numpy`` in the environment turns the engine off; ``EMBER_BLAS=mkl`` makes
a missing MKL an error instead of a silent fallback.
"""
import ctypes
import ctypes.util
import os
import sys

import numpy

_MIN_MACS = 1 << 20          # Note [Which products go to MKL]
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_F32, _F64 = numpy.dtype(numpy.float32), numpy.dtype(numpy.float64)
_np_matmul = numpy.matmul
_TALL = 4                    # Note [Tall TN products]

_lib = None                  # the loaded library, False once looked for and not found
_gemm = {}                   # dtype -> cblas_?gemm


def _wheel_paths():
    """The places the ``mkl`` wheel puts MKL's runtime library under this Python's prefix."""
    names = ["libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so", "libmkl_rt.3.dylib",
             "libmkl_rt.2.dylib", "libmkl_rt.dylib"]
    paths = [os.path.join(sys.prefix, "lib", n) for n in names]
    paths.append(os.path.join(sys.prefix, "Library", "bin", "mkl_rt.2.dll"))   # Windows wheels
    return [p for p in paths if os.path.exists(p)]


def _candidates():
    """Where MKL's runtime library may be: the wheel's places, then the system's library path
    (``find_library`` runs ldconfig: ~15 ms, so only ``load()`` asks it)."""
    found = _wheel_paths()
    name = ctypes.util.find_library("mkl_rt")
    if name:
        found.append(name)
    return found


def wanted():
    """Whether the engine may be used: the ``mkl`` wheel is installed under this Python's prefix
    (a system-wide MKL is used with ``EMBER_BLAS=mkl``) and ``EMBER_BLAS`` does not turn it off.
    Decides, when the backend is built, whether ``xp.matmul`` is this module's or NumPy's own,
    so a machine without MKL pays nothing per product; a few ``stat`` calls at import."""
    want = os.environ.get("EMBER_BLAS", "").strip().lower()
    if want in ("numpy", "openblas", "off", "0"):
        return False
    if want == "mkl":
        return True                          # load() says what is missing, at first use
    return bool(_wheel_paths())


def _numpy_blas_threads():
    """NumPy's BLAS thread count, or None where it cannot be read."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            v = os.environ.get(var, "")
            if v.isdigit() and int(v) > 0:
                return int(v)
        return None
    counts = [i["num_threads"] for i in threadpool_info() if i.get("internal_api") != "mkl"
              and i.get("user_api") == "blas"]
    return min(counts) if counts else None


def load():
    """The MKL runtime library (ctypes.CDLL), or None when it is not installed or turned off
    (``EMBER_BLAS=numpy``). Loads it once."""
    global _lib
    if _lib is not None:
        return _lib or None
    want = os.environ.get("EMBER_BLAS", "").strip().lower()
    if want in ("numpy", "openblas", "off", "0"):
        _lib = False
        return None
    lib = None
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError:
            continue
    if lib is None:
        if want == "mkl":
            raise RuntimeError("EMBER_BLAS=mkl, but Intel MKL's runtime library (libmkl_rt) "
                               f"was not found under {sys.prefix!r}: pip install mkl")
        _lib = False
        return None
    lib.MKL_Set_Threading_Layer(0)          # Intel OpenMP: the layer whose threads can change
    threads = _numpy_blas_threads()
    if threads:
        lib.MKL_Set_Num_Threads(threads)
    vp, ci = ctypes.c_void_p, ctypes.c_int
    for dtype, name, scalar in ((_F32, "cblas_sgemm", ctypes.c_float),
                                (_F64, "cblas_dgemm", ctypes.c_double)):
        fn = getattr(lib, name)
        fn.restype = None
        fn.argtypes = [ci, ci, ci, ci, ci, ci, scalar, vp, ci, vp, ci, scalar, vp, ci]
        _gemm[dtype] = fn
    _lib = lib
    return lib


def _operand(a, rows, cols):
    """(transpose flag, leading dimension) of a 2-D operand for row-major BLAS, or None when
    neither its rows nor its columns are contiguous."""
    s0, s1 = a.strides
    isz = a.itemsize
    if s1 == isz and s0 > 0 and s0 % isz == 0 and s0 // isz >= cols:
        return _NO_TRANS, s0 // isz
    if rows == 1:                           # one row: its step is never used
        if s1 == isz:
            return _NO_TRANS, cols
    if s0 == isz and s1 > 0 and s1 % isz == 0 and s1 // isz >= rows:
        return _TRANS, s1 // isz
    if cols == 1 and s0 == isz:
        return _TRANS, rows
    return None


def matmul(a, b, out=None, _min=_MIN_MACS, _np_matmul=_np_matmul):
    """numpy.matmul with MKL taking the large 2-D float products (Note [Which products go to
    MKL]); the same arguments, results and errors otherwise."""
    # (M·K)·(K·N) >= M·N·K: one product of two sizes turns the small products away before any
    # other test (a tiny product pays ~0.25 us for this wrapper; the names bound as defaults
    # are local lookups, ~50 ns less)
    if a.size * b.size >= _min and a.ndim == 2 and b.ndim == 2:
        M, K = a.shape
        N = b.shape[1]
        if M * N * K >= _min and b.shape[0] == K:
            dt = a.dtype
            if dt is b.dtype or dt == b.dtype:
                if (dt == _F32 or dt == _F64) and (_lib or (_lib is None and load())):
                    return _mkl_matmul(a, b, out, M, N, K, dt)
    if out is None:
        return _np_matmul(a, b)
    return _np_matmul(a, b, out=out)


def _mkl_matmul(a, b, out, M, N, K, dt):
    pa = _operand(a, M, K)
    pb = _operand(b, K, N)
    if pa is None or pb is None:
        return _np_matmul(a, b) if out is None else _np_matmul(a, b, out=out)
    if out is None:
        c = numpy.empty((M, N), dt)
        ldc = N
    else:
        if out.dtype != dt or out.shape != (M, N) or out.strides[1] != dt.itemsize or \
                out.strides[0] % dt.itemsize or out.strides[0] // dt.itemsize < N or \
                not out.flags.writeable or numpy.may_share_memory(out, a) or \
                numpy.may_share_memory(out, b):
            return _np_matmul(a, b, out=out)
        c = out
        ldc = out.strides[0] // dt.itemsize
    if pa[0] == _TRANS and pb[0] == _NO_TRANS and M >= _TALL * N:
        # Note [Tall TN products]: C^T = B^T·A into a scratch, then one transposing copy
        t = numpy.empty((N, M), dt)
        _gemm[dt](_ROW_MAJOR, _TRANS, _NO_TRANS, N, M, K, 1.0, b.ctypes.data, pb[1],
                  a.ctypes.data, pa[1], 0.0, t.ctypes.data, M)
        numpy.copyto(c, t.T)
        return c
    _gemm[dt](_ROW_MAJOR, pa[0], pb[0], M, N, K, 1.0, a.ctypes.data, pa[1], b.ctypes.data,
              pb[1], 0.0, c.ctypes.data, ldc)
    return c
