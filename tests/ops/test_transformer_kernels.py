"""The numba loops of the Transformer's fused ops (GELU, layer norm, self-attention's softmax,
cross-entropy's rows; ember/_jit.py) against the NumPy code they replace, and both paths
against torch and float64 finite differences. GELU and attention loops must equal the NumPy
path bit for bit (they keep NumPy's exp and every operation's order); layer norm and
cross-entropy sum in another order, so within float tolerances. Tests that compare the two
paths skip without numba (or with EMBER_JIT=0); the torch tests run whichever paths exist."""
import numpy as np
import pytest
import torch

import ember
from ember.backends.numpy_backend import make_namespace
from ember.ops import activation_ops as act
from ember.ops import attention as att
from ember.ops import nn_ops
from ember.ops import normalization as norm

M = make_namespace()
needs_numba = pytest.mark.skipif(act._gelu_exponent is None,
                                 reason="numba not installed (pip install numba) or EMBER_JIT=0")

KERNELS = {act: ("_gelu_exponent", "_gelu_finish", "_gelu_grad_pre", "_gelu_grad_finish",
                 "_gelu_f64", "_gelu_grad_f64"),
           norm: ("_layer_norm_rows", "_layer_norm_grad_rows"),
           att: ("_scores_shift", "_scores_normalize", "_scores_grad"),
           nn_ops: ("_ce_shift", "_ce_normalize")}


def _numpy_path(mp):
    for mod, names in KERNELS.items():
        for name in names:
            mp.setattr(mod, name, None)


@pytest.fixture(params=["jit", "numpy"])
def path(request, monkeypatch):
    """Run a test once with the numba loops (where installed) and once on the NumPy path."""
    if request.param == "numpy":
        _numpy_path(monkeypatch)
    elif act._gelu_exponent is None:
        pytest.skip("numba not installed or EMBER_JIT=0")
    return request.param


def _bits(a):
    return a.view(np.int32 if a.dtype == np.float32 else np.int64)


def _both(monkeypatch, fn):
    fast = fn()
    with monkeypatch.context() as mp:
        _numpy_path(mp)
        slow = fn()
    return fast, slow


# --- GELU ---------------------------------------------------------------------------------------
def _gelu_inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e-45, 14.9, -14.9, 30, -30,
               -3.0, 5.5]
    x[:min(n, len(special))] = special[:n]
    return x, rng.standard_normal(n).astype(np.float32)


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 13, act._JIT_CHUNK, 3 * act._JIT_CHUNK + 5])
def test_gelu_f32_loops_equal_numpy_bitwise(n, monkeypatch):
    x, g = _gelu_inputs(n)
    x = x.reshape(-1, 1) if n else x            # any shape: the kernels see flat views

    def run():
        with np.errstate(all="ignore"):
            s = act.SavedTail()
            y = act.GELU.forward(M, x, "none", s)
            h = s.h.copy()
            gs = act._gelu_grad(M, g.reshape(x.shape), x, y, "none", s)
            gn = act._gelu_grad(M, g.reshape(x.shape), x, y, "none", None)
        return y, h, gs, gn

    fast, slow = _both(monkeypatch, run)
    for what, a, b in zip(("forward", "tail", "backward", "backward without tail"), fast, slow):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, what
        nan = np.isnan(b)
        np.testing.assert_array_equal(np.isnan(a), nan, err_msg=what)
        np.testing.assert_array_equal(_bits(a)[~nan], _bits(b)[~nan], err_msg=what)


@needs_numba
def test_gelu_f32_noncontiguous_input(monkeypatch):
    x, _ = _gelu_inputs(2 * 3 * 40, 2)
    xt = x.reshape(6, 40).T                      # a transposed view
    fast, slow = _both(monkeypatch, lambda: act.GELU.forward(M, xt, "none", None))
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
    np.testing.assert_array_equal(np.nan_to_num(fast), np.nan_to_num(slow))


@needs_numba
def test_gelu_f64_loops_match_scipy_path(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(5001) * 3
    x[:4] = [0.0, -7.0, 9.0, -40.0]
    g = rng.standard_normal(5001)
    fast, slow = _both(monkeypatch, lambda: (act.GELU.forward(M, x, "none", None),
                                             act._gelu_grad(M, g, x, None, "none", None)))
    for a, b in zip(fast, slow):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@needs_numba
def test_gelu_kernels_really_run(monkeypatch):
    calls = []
    for name in ("_gelu_exponent", "_gelu_grad_finish", "_gelu_f64"):
        real = getattr(act, name)
        monkeypatch.setattr(act, name, lambda *a, _r=real, _n=name: (calls.append(_n), _r(*a))[1])
    for dt in (ember.float32, ember.float64):
        x = ember.randn(3, 5, dtype=dt, requires_grad=True)
        ember.nn.functional.gelu(x).sum().backward()
    assert {"_gelu_exponent", "_gelu_grad_finish", "_gelu_f64"} <= set(calls)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(0,), (7,), (4, 300), (2, 3, 5)])
def test_gelu_matches_torch(path, dtype, shape):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    res = {}
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.gelu(xt)
        y.backward(lib.tensor(g))
        res[lib.__name__] = (y.detach().numpy(), xt.grad.numpy())
    tol = {"rtol": 2e-6, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-14}
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, **tol)


def test_gelu_gradcheck_float64(path):
    x = ember.tensor(np.random.default_rng(2).uniform(-4, 4, (3, 7)), requires_grad=True)
    f = ember.nn.functional.gelu
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


# --- layer norm -----------------------------------------------------------------------------------
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 131), (3, 2, 8), (4, 3), (1, 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_norm_loops_match_numpy(dtype, shape, bias, monkeypatch):
    rng = np.random.default_rng(3)
    d = shape[-1]
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    w, b = (rng.standard_normal(d).astype(dtype) for _ in range(2))
    g = rng.standard_normal(shape).astype(dtype)

    def run():
        s = norm._SavedRows()
        y = norm._layer_norm.forward(M, x, w, b if bias else None, s, d=d, eps=1e-5)
        return (y,) + tuple(norm._layer_norm_grad(M, g, x, w, b, s, y, d=d, eps=1e-5)[:3])

    fast, slow = _both(monkeypatch, run)
    tol = {"rtol": 1e-5, "atol": 2e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-13}
    for a, c in zip(fast, slow):
        assert a.dtype == c.dtype and a.shape == c.shape
        np.testing.assert_allclose(a, c, **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 6, 128), (3, 13)])
def test_layer_norm_matches_torch(path, dtype, shape):
    rng = np.random.default_rng(4)
    d = shape[-1]
    arrays = [(rng.standard_normal(shape) * 2 + 1).astype(dtype),
              rng.standard_normal(d).astype(dtype), rng.standard_normal(d).astype(dtype)]
    g = rng.standard_normal(shape).astype(dtype)
    res = {}
    for lib in (torch, ember):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        y = lib.nn.functional.layer_norm(x, (d,), w, b, 1e-5)
        y.backward(lib.tensor(g))
        res[lib.__name__] = [y.detach().numpy()] + [t.grad.numpy() for t in (x, w, b)]
    tol = {"rtol": 1e-4, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-11}
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, **tol)


def test_layer_norm_gradcheck_float64(path):
    rng = np.random.default_rng(6)
    x, w, b = (ember.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((3, 9), (9,), (9,)))

    def f(x, w, b):
        return ember.nn.functional.layer_norm(x, (9,), w, b)

    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


# --- self-attention's softmax ---------------------------------------------------------------------
def _attention_masks(L, rng):
    full = np.ones((L, L), bool)
    full[:, 3] = False                           # a key nobody sees
    full[2, :] = False                           # a query that sees nothing
    return {"none": None, "causal": None,
            "float2d": np.triu(np.full((L, L), -np.inf, np.float32), 1),
            "float2d_f64": rng.standard_normal((L, L)),
            "bool4d": rng.random((2, 1, L, L)) < 0.7, "bool_fully_masked": full,
            "float_row": rng.standard_normal((1, L)).astype(np.float32)}


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", ["none", "causal", "float2d", "float2d_f64", "bool4d",
                                  "bool_fully_masked", "float_row"])
@pytest.mark.parametrize("safe", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
def test_self_attention_loops_equal_numpy_bitwise(dtype, mask, safe, batch_first, monkeypatch):
    rng = np.random.default_rng(7)
    L = 9
    mk = _attention_masks(L, rng)[mask]
    if mk is not None and mk.dtype != bool and mask != "float2d_f64":
        mk = mk.astype(dtype)
    nl = (2, L) if batch_first else (L, 2)
    qkv = rng.standard_normal(nl + (24,)).astype(dtype)
    g = rng.standard_normal(nl + (8,)).astype(dtype)
    causal = mask == "causal"

    def run():
        with np.errstate(invalid="ignore"):
            s = att.SavedProbs()
            o = att._self_attention.forward(M, qkv, mk, causal, s, 2, 0.3, batch_first, safe)
            gq = att._self_attention_grad(M, g, qkv, mk, causal, s, o, 2, 0.3, batch_first,
                                          safe)[0]
        return o, gq

    fast, slow = _both(monkeypatch, run)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(_bits(np.nan_to_num(a)), _bits(np.nan_to_num(b)))


@needs_numba
def test_attention_kernels_really_run(monkeypatch):
    calls = []
    for name in ("_scores_shift", "_scores_grad"):
        real = getattr(att, name)
        monkeypatch.setattr(att, name, lambda *a, _r=real, _n=name: (calls.append(_n), _r(*a))[1])
    m = ember.nn.MultiheadAttention(8, 2, batch_first=True)
    x = ember.randn(3, 5, 8, requires_grad=True)
    mask = ember.nn.Transformer.generate_square_subsequent_mask(5)
    m(x, x, x, need_weights=False, attn_mask=mask, is_causal=True)[0].sum().backward()
    assert calls == ["_scores_shift", "_scores_grad"]


def test_transformer_layer_matches_torch(path):
    """A pre-norm encoder layer with GELU under a causal mask: every op of this file at once."""
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0,
                                         activation="gelu", batch_first=True, norm_first=True)
    e = ember.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0,
                                         activation="gelu", batch_first=True, norm_first=True)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 6, 16)).astype(np.float32)
    target = rng.integers(0, 16, 18)
    res = {}
    for lib, mod in ((torch, t), (ember, e)):
        xt = lib.tensor(x, requires_grad=True)
        mask = lib.nn.Transformer.generate_square_subsequent_mask(6)
        y = mod(xt, src_mask=mask, is_causal=True)
        loss = lib.nn.functional.cross_entropy(y.reshape(-1, 16), lib.tensor(target))
        loss.backward()
        res[lib.__name__] = [loss.detach().numpy(), xt.grad.numpy()] + [
            p.grad.numpy() for _, p in sorted(mod.named_parameters())]
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# --- cross-entropy's rows -------------------------------------------------------------------------
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(70, 1000), (5, 3), (2, 1), (131, 9)])
@pytest.mark.parametrize("keep", [True, False])
def test_ce_rows_loops_match_numpy(dtype, shape, keep, monkeypatch):
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    t = rng.integers(0, shape[1], shape[0])

    def run():
        s = nn_ops._SavedSoftmax() if keep else None
        return nn_ops._ce_rows(x, t, s), (s.p if keep else np.zeros(1))

    fast, slow = _both(monkeypatch, run)
    tol = {"rtol": 1e-6, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-14, "atol": 1e-14}
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, **tol)


@needs_numba
def test_ce_rows_loops_nonfinite_rows(monkeypatch):
    x = np.random.default_rng(10).standard_normal((4, 19)).astype(np.float32)
    x[0, 4] = np.nan
    x[1, :] = -np.inf
    x[2, 2] = np.inf
    t = np.array([1, 2, 3, 4])

    def run():
        with np.errstate(invalid="ignore"):
            s = nn_ops._SavedSoftmax()
            return nn_ops._ce_rows(x, t, s), s.p

    fast, slow = _both(monkeypatch, run)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(path, dtype, reduction):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((67, 1000)) * 4).astype(dtype)
    t = rng.integers(0, 1000, 67)
    g = rng.standard_normal(67 if reduction == "none" else ()).astype(dtype)
    res = {}
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t), reduction=reduction)
        loss.backward(lib.tensor(g))
        res[lib.__name__] = (loss.detach().numpy(), xt.grad.numpy())
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-14}
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, **tol)
