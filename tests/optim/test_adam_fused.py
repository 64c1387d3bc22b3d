"""Adam's one-pass numba kernel (optim/adam.py ``_adam_loop``, ember/_jit.py) against the
chunked NumPy update it replaces: equal bit for bit in every branch. Skipped without numba
(CI's second pass installs it)."""
import numpy as np
import pytest
import torch

import ember
from ember.optim import adam

needs_numba = pytest.mark.skipif(adam._adam_fused is None,
                                 reason="numba not installed (pip install numba) or EMBER_JIT=0")


def _arrays(dtype, n, special):
    rng = np.random.default_rng(0)
    w, g, m = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    v = np.abs(rng.standard_normal(n)).astype(dtype)
    vmax = v + np.abs(rng.standard_normal(n)).astype(dtype) * (rng.random(n) < 0.5)
    if special:
        g[:4] = [np.nan, np.inf, -np.inf, 0]
        vmax[4] = np.nan
        v[5] = 0
        m[5] = 0
    return w, g, m, v, vmax.astype(dtype)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("b1", [0.9, 0.3])             # torch's two lerp formulas
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("special", [False, True])
def test_fused_equals_numpy_bitwise(dtype, b1, amsgrad, special, monkeypatch):
    n = 70001                                            # spans several NumPy blocks
    base = _arrays(dtype, n, special)
    fused = [a.copy() for a in base]
    chunked = [a.copy() for a in base]
    for step in (1, 2, 7):
        w, g, m, v, vm = fused
        adam.adam_update(w, g, m, v, vm if amsgrad else None, step, 1e-3, b1, 0.999, 1e-8)
        with monkeypatch.context() as mp:
            mp.setattr(adam, "_adam_fused", None)
            w, g, m, v, vm = chunked
            adam.adam_update(w, g, m, v, vm if amsgrad else None, step, 1e-3, b1, 0.999, 1e-8)
    for a, b in zip(fused, chunked):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@needs_numba
def test_kernel_really_runs_and_layouts_it_cannot_take_fall_back(monkeypatch):
    calls = []
    real = adam._adam_fused
    monkeypatch.setattr(adam, "_adam_fused", lambda *a: (calls.append(a[0].shape), real(*a)))
    w, g, m, v, _ = _arrays(np.float32, 12, False)
    adam.adam_update(w.reshape(3, 4), g.reshape(3, 4), m.reshape(3, 4), v.reshape(3, 4), None,
                     1, 1e-3, 0.9, 0.999, 1e-8)
    assert calls == [(12,)]
    # a transposed gradient and a float16 parameter keep the NumPy path
    w2, g2, m2, v2 = (a.reshape(4, 3).T.copy() for a in (w, g, m, v))
    adam.adam_update(w2, g2.T.copy().T, m2, v2, None, 1, 1e-3, 0.9, 0.999, 1e-8)
    h = [a.astype(np.float16) for a in (w, g, m, v)]
    adam.adam_update(*h, None, 1, 1e-3, 0.9, 0.999, 1e-8)
    assert calls == [(12,)]


@needs_numba
@pytest.mark.parametrize("opt", ["Adam", "AdamW"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_optimizer_against_torch(opt, amsgrad):
    """Five steps of a layer through the fused update, against torch's Adam/AdamW."""
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((64, 32)).astype(np.float32)
    x = rng.standard_normal((16, 32)).astype(np.float32)
    res = []
    for lib in (ember, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        o = getattr(lib.optim, opt)([w], lr=1e-2, amsgrad=amsgrad, weight_decay=0.01)
        xt = lib.tensor(x)
        for _ in range(5):
            o.zero_grad()
            (xt @ w.T).tanh().pow(2).sum().backward()
            o.step()
        res.append(w.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-5, atol=1e-6)
