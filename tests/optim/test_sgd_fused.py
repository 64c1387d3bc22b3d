"""SGD's one-pass numba kernel (optim/sgd.py ``_sgd_loop``) against the NumPy update it
replaces: equal bit for bit for every option. Skipped without numba (CI's second pass has it)."""
import itertools

import numpy as np
import pytest

import ember
from ember.optim import sgd

needs_numba = pytest.mark.skipif(sgd._sgd_fused is None,
                                 reason="numba not installed (pip install numba) or EMBER_JIT=0")
OPTIONS = [dict(momentum=mu, dampening=d, weight_decay=wd, nesterov=n, maximize=mx)
           for mu, d, wd, n, mx in itertools.product((0, 0.9), (0, 0.25), (0, 0.01),
                                                     (False, True), (False, True))
           if not (n and (mu == 0 or d != 0))]


def _run(kw, dtype, fused, monkeypatch):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((2000, 17)).astype(dtype)     # above both size thresholds
    b0 = rng.standard_normal(17).astype(dtype)
    w, b = ember.tensor(w0, requires_grad=True), ember.tensor(b0, requires_grad=True)
    opt = ember.optim.SGD([w, b], lr=0.05, **kw)
    x = ember.tensor(rng.standard_normal((8, 17)).astype(dtype) * 0.1)
    with monkeypatch.context() as mp:
        if not fused:
            mp.setattr(sgd, "_sgd_fused", None)
        for _ in range(4):
            opt.zero_grad()
            ((x @ w.T).tanh().sum() + (b * b).sum()).backward()
            opt.step()
    return w.detach().numpy(), b.detach().numpy()


@needs_numba
@pytest.mark.parametrize("kw", OPTIONS, ids=lambda k: "-".join(f"{a}{v}" for a, v in k.items()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_equals_numpy_bitwise(kw, dtype, monkeypatch):
    for got, want in zip(_run(kw, dtype, True, monkeypatch), _run(kw, dtype, False, monkeypatch)):
        np.testing.assert_array_equal(got, want)


@needs_numba
def test_kernel_runs_after_the_first_momentum_step(monkeypatch):
    calls = []
    real = sgd._sgd_fused
    monkeypatch.setattr(sgd, "_sgd_fused", lambda *a: (calls.append(a[3]), real(*a)))
    w = ember.tensor(np.ones(4096, np.float32), requires_grad=True)
    small = ember.tensor(np.ones(5, np.float32), requires_grad=True)
    opt = ember.optim.SGD([w, small], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        ((w * w).sum() + (small * small).sum()).backward()
        opt.step()
    # step 1 makes the buffer the NumPy way; the 5-element parameter stays NumPy's (below
    # _FUSED_MIN, where the call's dispatch costs more than it saves)
    assert calls == [True, True]
