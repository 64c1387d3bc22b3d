"""The optional MKL engine for matrix products (ember/backends/mkl_gemm.py): every operand
layout it accepts gives NumPy's product, everything it declines is NumPy's own call, and the
switches say what is wrong. The tests that multiply through MKL skip where the ``mkl`` package
is not installed (CI installs it for a second pass over these tests and the compiler's)."""
import ast
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from ember.backends import get_backend, mkl_gemm

HAVE_MKL = mkl_gemm.wanted() and mkl_gemm.load() is not None
needs_mkl = pytest.mark.skipif(not HAVE_MKL, reason="Intel MKL not installed (pip install mkl) or EMBER_BLAS turns it off")

M, K, N = 96, 160, 128            # 1.97M multiply-adds: above the engine's threshold
assert M * K * N >= mkl_gemm._MIN_MACS


def _layout(a, how):
    """The same values as ``a`` in another memory layout."""
    if how == "c":
        return np.ascontiguousarray(a)
    if how == "f":
        return np.asfortranarray(a)
    if how == "rows":              # rows further apart than their length (a column slice)
        wide = np.zeros((a.shape[0], a.shape[1] + 7), a.dtype)
        wide[:, 3:3 + a.shape[1]] = a
        return wide[:, 3:3 + a.shape[1]]
    if how == "cols":              # the transpose of a row-strided view
        return _layout(a.T, "rows").T
    raise ValueError(how)


LAYOUTS = ["c", "f", "rows", "cols"]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-4), np.float64: dict(rtol=1e-12, atol=1e-11)}


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la", LAYOUTS)
@pytest.mark.parametrize("lb", LAYOUTS)
def test_products_match_numpy_and_torch(dtype, la, lb):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((M, K)).astype(dtype)
    b = rng.standard_normal((K, N)).astype(dtype)
    A, B = _layout(a, la), _layout(b, lb)
    calls = mkl_gemm._gemm[np.dtype(dtype)]
    got = mkl_gemm.matmul(A, B)
    assert got.shape == (M, N) and got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_allclose(got, a @ b, **TOL[dtype])
    np.testing.assert_allclose(got, torch.from_numpy(a).matmul(torch.from_numpy(b)).numpy(),
                               **TOL[dtype])
    assert calls is mkl_gemm._gemm[np.dtype(dtype)]


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_go_to_mkl(dtype, monkeypatch):
    """The accepted layouts really reach cblas_?gemm (not NumPy behind the wrapper)."""
    seen = []
    real = mkl_gemm._gemm[np.dtype(dtype)]
    monkeypatch.setitem(mkl_gemm._gemm, np.dtype(dtype),
                        lambda *args: (seen.append(args[:6]), real(*args)))
    rng = np.random.default_rng(2)
    a = rng.standard_normal((M, K)).astype(dtype)
    b = rng.standard_normal((K, N)).astype(dtype)
    for la in LAYOUTS:
        mkl_gemm.matmul(_layout(a, la), _layout(b, "c"))
    flags = [s[1] for s in seen]
    assert flags == [111, 112, 111, 112]            # rows as they are, columns transposed
    assert all(s[3:6] == (M, N, K) for s in seen)


@needs_mkl
@pytest.mark.parametrize("case", ["row", "broadcast_row", "column"])
def test_one_row_or_column(case):
    """A single row's (or column's) other stride is never used, whatever it is."""
    rng = np.random.default_rng(7)
    n = 1024
    sq = rng.standard_normal((n, n)).astype(np.float32)
    if case == "row":
        a, b = sq[5:6], sq
    elif case == "broadcast_row":
        a, b = np.broadcast_to(sq[5], (1, n)), sq
    else:
        a, b = sq, np.asfortranarray(sq)[:, 7:8]
    assert a.shape[0] * a.shape[1] * b.shape[1] >= mkl_gemm._MIN_MACS
    np.testing.assert_allclose(mkl_gemm.matmul(a, b), np.matmul(a, b), rtol=1e-4, atol=1e-3)


@needs_mkl
def test_out_row_strided_and_values():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    wide = np.full((M, N + 5), 7.0, np.float32)
    out = wide[:, 2:2 + N]
    res = mkl_gemm.matmul(a, b, out=out)
    assert res is out
    np.testing.assert_allclose(out, a @ b, **TOL[np.float32])
    # the columns beside the window are untouched
    assert (wide[:, :2] == 7).all() and (wide[:, 2 + N:] == 7).all()


@needs_mkl
def test_out_overlapping_an_operand_is_numpys():
    """An ``out`` that overlaps an operand would be read while written: NumPy buffers that."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((N, N)).astype(np.float64)
    b = rng.standard_normal((N, N)).astype(np.float64)
    want = a @ b
    mkl_gemm.matmul(a, b, out=a)
    np.testing.assert_allclose(a, want, **TOL[np.float64])


@pytest.mark.parametrize("case", ["small", "3d", "int", "mixed", "complex", "f16",
                                  "neg_stride", "zero_stride", "out_f_order"])
def test_declined_products_are_numpys_own(case):
    """Everything outside Note [Which products go to MKL] returns NumPy's result bit for bit."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((M, K))
    b = rng.standard_normal((K, N))
    out = None
    if case == "small":
        a, b = a[:8, :8].astype(np.float32), b[:8, :8].astype(np.float32)
    elif case == "3d":
        a, b = np.stack([a, a]).astype(np.float32), b.astype(np.float32)
    elif case == "int":
        a, b = (a * 10).astype(np.int64), (b * 10).astype(np.int64)
    elif case == "mixed":
        a, b = a.astype(np.float32), b
    elif case == "complex":
        a, b = a + 1j * a, b.astype(np.complex128)
    elif case == "f16":
        a, b = a.astype(np.float16), b.astype(np.float16)
    elif case == "neg_stride":
        a, b = a.astype(np.float32)[::-1], b.astype(np.float32)
    elif case == "zero_stride":
        a, b = np.broadcast_to(a[:1].astype(np.float32), (M, K)), b.astype(np.float32)
    elif case == "out_f_order":
        a, b = a.astype(np.float32), b.astype(np.float32)
        out = np.empty((M, N), np.float32, order="F")
    got = mkl_gemm.matmul(a, b) if out is None else mkl_gemm.matmul(a, b, out=out)
    want = np.matmul(a, b)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


@pytest.mark.parametrize("shapes", [((M, K), (K + 1, N)), ((M, K), (N,)),
                                    ((3, M, K), (4, K, N))])
def test_errors_are_numpys(shapes):
    a, b = (np.ones(s, np.float32) for s in shapes)
    with pytest.raises(ValueError) as want:
        np.matmul(a, b)
    with pytest.raises(ValueError) as got:
        mkl_gemm.matmul(a, b)
    assert str(got.value) == str(want.value)


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("EMBER_BLAS", "numpy")
    assert not mkl_gemm.wanted()
    from ember.backends.numpy_backend import make_namespace
    assert make_namespace().matmul is np.matmul


def test_required_but_missing_says_what_to_install(monkeypatch):
    monkeypatch.setenv("EMBER_BLAS", "mkl")
    monkeypatch.setattr(mkl_gemm, "_lib", None)
    monkeypatch.setattr(mkl_gemm, "_candidates", lambda: [])
    assert mkl_gemm.wanted()
    with pytest.raises(RuntimeError, match="EMBER_BLAS=mkl.*pip install mkl"):
        mkl_gemm.load()


def test_not_installed_is_numpy(monkeypatch):
    monkeypatch.delenv("EMBER_BLAS", raising=False)
    monkeypatch.setattr(mkl_gemm, "_wheel_paths", lambda: [])
    assert not mkl_gemm.wanted()
    from ember.backends.numpy_backend import make_namespace
    assert make_namespace().matmul is np.matmul


def test_import_does_not_search_the_system(monkeypatch):
    """find_library runs ldconfig (~15 ms): wanted(), which runs at import, must not call it."""
    import ctypes.util
    monkeypatch.delenv("EMBER_BLAS", raising=False)

    def boom(name):
        raise AssertionError("find_library called")
    monkeypatch.setattr(ctypes.util, "find_library", boom)
    mkl_gemm.wanted()


@needs_mkl
def test_backend_uses_engine_and_follows_numpy_threads():
    """MKL takes NumPy's BLAS thread count when it loads (checked in a fresh process: in this
    one, other tests' thread settings come and go) and follows ``ember.set_num_threads``."""
    assert get_backend("cpu").xp.matmul is mkl_gemm.matmul
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fresh = ("import threadpoolctl, numpy as np\n"
             "threadpoolctl.threadpool_limits(1, user_api='blas')\n"
             "from ember.backends import mkl_gemm\n"
             "a = np.ones((128, 128), np.float32)\n"
             "mkl_gemm.matmul(a, a)\n"
             "print({i['internal_api']: i['num_threads'] for i in threadpoolctl.threadpool_info()"
             " if i['user_api'] == 'blas'})")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2", OMP_NUM_THREADS="2")
    res = subprocess.run([sys.executable, "-c", fresh], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert ast.literal_eval(res.stdout.strip().splitlines()[-1]) == {"openblas": 1, "mkl": 1}

    def blas():
        return {i["internal_api"]: i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"}
    saved = threadpoolctl.threadpool_limits(limits=None)      # records, changes nothing
    try:
        for n in (1, 2):
            ember.set_num_threads(n)
            assert blas() == {"openblas": n, "mkl": n}
    finally:
        saved.restore_original_limits()


@needs_mkl
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_linear_values_and_gradients_against_torch(dtype):
    """A layer whose three products go through MKL, against torch, forward and backward."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((M, K))
    w = rng.standard_normal((N, K))
    tdt = {ember.float32: torch.float32, ember.float64: torch.float64}[dtype]
    ex = ember.tensor(x, dtype=dtype, requires_grad=True)
    ew = ember.tensor(w, dtype=dtype, requires_grad=True)
    tx = torch.tensor(x, dtype=tdt, requires_grad=True)
    tw = torch.tensor(w, dtype=tdt, requires_grad=True)
    ey = ember.nn.functional.linear(ex, ew)
    ty = torch.nn.functional.linear(tx, tw)
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    tol = TOL[np.float32 if dtype == ember.float32 else np.float64]
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
    for e, t in ((ex, tx), (ew, tw)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=tol["rtol"] * 10,
                                   atol=tol["atol"] * 1000)
