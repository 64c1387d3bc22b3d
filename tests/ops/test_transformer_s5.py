"""Session 5 of the Transformer step: MKL's tall TN products (mkl_gemm, Note [Tall TN
products]) equal NumPy's and torch's by either route, and the embedding gradient's numba loop
(Note [Embedding gradient in numba]) is np.add.at's sum bit for bit, matches torch on both paths
and passes gradcheck."""
import numpy as np
import pytest
import torch

import ember
from ember.backends import mkl_gemm
from ember.ops import embedding as emb

HAVE_MKL = mkl_gemm.wanted() and mkl_gemm.load() is not None
needs_mkl = pytest.mark.skipif(not HAVE_MKL, reason="Intel MKL not installed or EMBER_BLAS "
                                                    "turns it off")


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(1000, 128), (512, 128), (130, 17), (100, 120)])
@pytest.mark.parametrize("with_out", [False, True])
def test_tall_tn_products(dtype, m, n, with_out, monkeypatch):
    """g^T·x with g (K, m) and x (K, n): the transposed route (m >= _TALL·n) and the direct
    one give NumPy's and torch's product, into a fresh array or ``out``."""
    rng = np.random.default_rng(2)
    k = 2048
    g = rng.standard_normal((k, m)).astype(dtype)
    x = rng.standard_normal((k, n)).astype(dtype)
    seen = []
    real = dict(mkl_gemm._gemm)

    def spy(dt):
        def call(*args):
            seen.append(args[:6])
            return real[dt](*args)
        return call
    monkeypatch.setattr(mkl_gemm, "_gemm", {dt: spy(dt) for dt in real})
    out = np.full((m, n), np.nan, dtype) if with_out else None
    got = mkl_gemm.matmul(g.T, x, out=out)
    assert got.shape == (m, n) and got.flags.c_contiguous and got.dtype == dtype
    if with_out:
        assert got is out
    tol = {"rtol": 1e-4, "atol": 1e-3} if dtype == np.float32 else \
        {"rtol": 1e-11, "atol": 1e-10}
    np.testing.assert_allclose(got, g.T @ x, **tol)
    np.testing.assert_allclose(got, (torch.from_numpy(g).T @ torch.from_numpy(x)).numpy(),
                               **tol)
    if m * n * k >= mkl_gemm._MIN_MACS:
        tall = m >= mkl_gemm._TALL * n
        # the transposed route multiplies x^T·g: (n, m) rows, x transposed
        assert seen and (seen[0][3:5] == ((n, m) if tall else (m, n)))


@needs_mkl
def test_tall_tn_matches_direct_route(monkeypatch):
    rng = np.random.default_rng(3)
    g = rng.standard_normal((2048, 1000)).astype(np.float32)
    x = rng.standard_normal((2048, 128)).astype(np.float32)
    tall = mkl_gemm.matmul(g.T, x)
    monkeypatch.setattr(mkl_gemm, "_TALL", 10 ** 9)
    direct = mkl_gemm.matmul(g.T, x)
    np.testing.assert_allclose(tall, direct, rtol=1e-5, atol=1e-4)



@needs_mkl
def test_tall_tn_into_strided_out():
    """An ``out`` whose rows are further apart than their length (a column block of a wider
    array) receives the transposed route's result and nothing beyond it."""
    rng = np.random.default_rng(6)
    g = rng.standard_normal((2048, 600)).astype(np.float32)
    x = rng.standard_normal((2048, 100)).astype(np.float32)
    wide = np.zeros((600, 130), np.float32)
    got = mkl_gemm.matmul(g.T, x, out=wide[:, 10:110])
    assert np.shares_memory(got, wide)
    np.testing.assert_allclose(wide[:, 10:110], g.T @ x, rtol=1e-4, atol=1e-3)
    assert not wide[:, :10].any() and not wide[:, 110:].any()


# -- embedding gradient (Note [Embedding gradient in numba]) -------------------------------------

needs_numba = pytest.mark.skipif(emb._rows_added_jit is None,
                                 reason="numba not installed (pip install numba) or EMBER_JIT=0")


@pytest.fixture(params=["jit", "numpy"])
def emb_path(request, monkeypatch):
    if request.param == "numpy":
        monkeypatch.setattr(emb, "_rows_added_jit", None)
    elif emb._rows_added_jit is None:
        pytest.skip("numba not installed or EMBER_JIT=0")
    return request.param


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, targets", [(1000, "random"), (64, "positions"), (5, "few")])
def test_embedding_rows_loop_is_add_at(dtype, n, targets):
    rng = np.random.default_rng(4)
    t = {"random": rng.integers(0, n, 2048), "positions": np.tile(np.arange(64), 32),
         "few": np.array([3, 3, 0, 4, 3])}[targets]
    rows = rng.standard_normal((t.size, 24)).astype(dtype)
    want = np.zeros((n, 24), dtype)
    np.add.at(want, t, rows)
    got = np.zeros((n, 24), dtype)
    emb._rows_added_jit(t, rows, got)
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("padding_idx, freq", [(None, False), (2, False), (None, True),
                                                (0, True)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_embedding_grad_against_torch(emb_path, padding_idx, freq, dtype):
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 50, (16, 40))
    w0 = rng.standard_normal((50, 12))
    g = rng.standard_normal((16, 40, 12))
    tw = torch.tensor(w0, dtype=dtype, requires_grad=True)
    torch.nn.functional.embedding(torch.from_numpy(idx), tw, padding_idx=padding_idx,
                                  scale_grad_by_freq=freq).backward(torch.tensor(g, dtype=dtype))
    edt = ember.float32 if dtype == torch.float32 else ember.float64
    ew = ember.tensor(w0, dtype=edt, requires_grad=True)
    ember.nn.functional.embedding(ember.tensor(idx), ew, padding_idx=padding_idx,
                                  scale_grad_by_freq=freq).backward(ember.tensor(g, dtype=edt))
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else \
        {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), **tol)


def test_embedding_gradcheck(emb_path):
    idx = ember.tensor(np.array([[1, 3, 3], [0, 3, 4]]))
    w = ember.randn(6, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda w: ember.nn.functional.embedding(idx, w), (w,))
