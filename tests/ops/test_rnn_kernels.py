"""The LSTM's and GRU's numba step kernels (Note [LSTM step kernels] in ember/ops/rnn_ops.py) against the
NumPy code they replace: forward output and every gradient of ``lstm_seq``, the output of
``gru_seq``, equal bit for bit,
over dtypes, product layouts, packed and reversed steps, projections and the optional
gradients at the stored cell states and gate activations. Agreement with torch and float64
gradcheck run through the kernels in tests/nn/test_rnn.py (numba on by default) and through
the NumPy code with EMBER_JIT=0 and here."""
import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.backends import numpy_backend
from ember.ops import rnn_ops as R

KERNELS = ("_lstm_pre_k", "_lstm_cell_k", "_lstm_out_k", "_lstm_back_k")
needs_kernels = pytest.mark.skipif(R._lstm_pre_k is None,
                                   reason="numba not installed or EMBER_JIT=0")

# (batch, P, H, steps as T or batch_sizes, reverse, projection); H = 128 and 320 take the
# "gate" (with NumPy's matmul) and "t" product layouts
CASES = [
    (3, 6, 6, 5, False, False),
    (3, 6, 6, 5, True, False),
    (4, 3, 6, 4, False, True),
    (3, 6, 6, (3, 3, 2, 1), False, False),
    (3, 6, 6, (3, 3, 2, 1), True, False),
    (3, 4, 6, (3, 2, 2, 1), True, True),
    (20, 128, 128, 3, False, False),
    (3, 320, 320, (3, 2, 1), False, False),
    (3, 320, 320, 2, True, False),
]


def _inputs(dt, b, p, hid, steps, proj, seed=0):
    rng = np.random.default_rng(seed)
    n_rows = steps * b if isinstance(steps, int) else sum(steps)
    xg = rng.standard_normal((n_rows, 4 * hid)).astype(dt)
    h0 = rng.standard_normal((b, p)).astype(dt)
    c0 = rng.standard_normal((b, hid)).astype(dt)
    w_hh = (rng.standard_normal((4 * hid, p)) / np.sqrt(p)).astype(dt)
    w_hr = (rng.standard_normal((p, hid)) / np.sqrt(hid)).astype(dt) if proj else None
    return n_rows, xg, h0, c0, w_hh, w_hr


def _run(m, dt, case, grad_at):
    b, p, hid, steps, reverse, proj = case
    n_rows, xg, h0, c0, w_hh, w_hr = _inputs(dt, b, p, hid, steps, proj)
    bs = None if isinstance(steps, int) else steps
    out = R._lstm_seq.forward(m, xg, h0, c0, w_hh, w_hr, batch_sizes=bs, reverse=reverse)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(dt)
    _, gc, gg = R.blocks(g, n_rows, (p, hid, 4 * hid))
    if "c" not in grad_at:
        gc[...] = 0
    if "a" not in grad_at:
        gg[...] = 0
    grads = R._lstm_seq_grad(m, g, xg, h0, c0, w_hh, w_hr, out, batch_sizes=bs,
                             reverse=reverse)
    return [out] + [x for x in grads if x is not None]


def _counting(monkeypatch):
    calls = {}
    for name in KERNELS:
        k = getattr(R, name)

        def counted(*args, _k=k, _name=name):
            calls[_name] = calls.get(_name, 0) + 1
            return _k(*args)
        monkeypatch.setattr(R, name, counted)
    return calls


@needs_kernels
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("grad_at", ["h", "hc", "hca"], ids=["h", "h+c", "h+c+gates"])
@pytest.mark.parametrize("ns", ["backend", "numpy"])
def test_kernels_equal_numpy_path(monkeypatch, dt, case, grad_at, ns):
    m = numpy_backend.NumpyBackend().xp if ns == "backend" else np
    calls = _counting(monkeypatch)
    fused = _run(m, dt, case, grad_at)
    # the forward always runs them; the backward leaves gradients at the gates to NumPy
    assert calls.get("_lstm_cell_k", 0) > 0
    assert (calls.get("_lstm_back_k", 0) > 0) == ("a" not in grad_at)
    for name in KERNELS:
        monkeypatch.setattr(R, name, None)
    plain = _run(m, dt, case, grad_at)
    assert len(fused) == len(plain)
    for i, (f, p) in enumerate(zip(fused, plain)):
        assert f.dtype == p.dtype and f.shape == p.shape
        np.testing.assert_array_equal(f, p, err_msg=f"result {i}")


@needs_kernels
def test_other_dtypes_and_mixed_keep_numpy(monkeypatch):
    calls = _counting(monkeypatch)
    m = numpy_backend.NumpyBackend().xp
    _, xg, h0, c0, w_hh, _ = _inputs(np.float16, 2, 3, 3, 2, False)
    R._lstm_seq.forward(m, xg, h0, c0, w_hh, None)
    _, xg, h0, c0, w_hh, _ = _inputs(np.float32, 2, 3, 3, 2, False)
    R._lstm_seq.forward(m, xg, h0.astype(np.float64), c0, w_hh, None)
    assert not calls


@pytest.mark.parametrize("jit", [True, False], ids=["kernels", "numpy"])
def test_lstm_gradcheck_both_paths(monkeypatch, jit):
    if jit and R._lstm_pre_k is None:
        pytest.skip("numba not installed or EMBER_JIT=0")
    if not jit:
        for name in KERNELS:
            monkeypatch.setattr(R, name, None)
    lstm = ember.nn.LSTM(2, 3, bidirectional=True).double()
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = ember.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    c0 = ember.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)

    def f(x, h0, c0):
        out, (hn, cn) = lstm(x, (h0, c0))
        return ember.cat([out.flatten(), hn.flatten(), cn.flatten()])
    assert gradcheck(f, (x, h0, c0))


GRU_KERNELS = ("_gru_pre_k", "_gru_new_k", "_gru_out_k")


@needs_kernels
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("steps,reverse", [(4, False), (4, True), ((3, 3, 2, 1), False),
                                           ((3, 2, 2, 1), True)])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_kernels_equal_numpy_path(monkeypatch, dt, steps, reverse, bias):
    rng = np.random.default_rng(0)
    b, hid = 3, 7
    n_rows = steps * b if isinstance(steps, int) else sum(steps)
    xg = rng.standard_normal((n_rows, 3 * hid)).astype(dt)
    h0 = rng.standard_normal((b, hid)).astype(dt)
    w_hh = (rng.standard_normal((3 * hid, hid)) / np.sqrt(hid)).astype(dt)
    b_hh = rng.standard_normal(3 * hid).astype(dt) if bias else None
    bs = None if isinstance(steps, int) else steps
    m = numpy_backend.NumpyBackend().xp
    calls = []
    k = R._gru_out_k
    monkeypatch.setattr(R, "_gru_out_k", lambda *a: (calls.append(1), k(*a)))
    fused = R._gru_seq.forward(m, xg, h0, w_hh, b_hh, batch_sizes=bs, reverse=reverse)
    assert calls
    for name in GRU_KERNELS:
        monkeypatch.setattr(R, name, None)
    plain = R._gru_seq.forward(m, xg, h0, w_hh, b_hh, batch_sizes=bs, reverse=reverse)
    np.testing.assert_array_equal(fused, plain)


@needs_kernels
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("steps,reverse", [(4, False), (4, True), ((3, 3, 2, 1), False),
                                           ((3, 2, 2, 1), True)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("direct", [False, True], ids=["h", "h+gates"])
@pytest.mark.parametrize("zero_h0", [False, True])
def test_gru_backward_kernel_matches_rule(monkeypatch, dt, steps, reverse, bias, direct,
                                          zero_h0):
    # the kernel backward against the dialect rule it stands in for; the weight gradient's
    # sum is split differently (_weight_grad), so equal to rounding rather than bit for bit
    rng = np.random.default_rng(0)
    b, hid = 3, 7
    n_rows = steps * b if isinstance(steps, int) else sum(steps)
    xg = rng.standard_normal((n_rows, 3 * hid)).astype(dt)
    h0 = rng.standard_normal((b, hid)).astype(dt) * (0 if zero_h0 else 1)
    w_hh = (rng.standard_normal((3 * hid, hid)) / np.sqrt(hid)).astype(dt)
    b_hh = rng.standard_normal(3 * hid).astype(dt) if bias else None
    bs = None if isinstance(steps, int) else steps
    m = numpy_backend.NumpyBackend().xp
    out = R._gru_seq.forward(m, xg, h0, w_hh, b_hh, batch_sizes=bs, reverse=reverse)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(dt)
    if not direct:
        g[n_rows * hid:] = 0
    calls = []
    k = R._gru_back_k
    monkeypatch.setattr(R, "_gru_back_k", lambda *a: (calls.append(1), k(*a)))
    fused = R._gru_seq_grad(m, g, xg, h0, w_hh, b_hh, out, batch_sizes=bs, reverse=reverse)
    assert len(calls) == len(R.schedule(n_rows, b, bs, reverse))
    monkeypatch.setattr(R, "_gru_back_k", None)
    rule = R._gru_seq_grad(m, g, xg, h0, w_hh, b_hh, out, batch_sizes=bs, reverse=reverse)
    tol = 1e-5 if dt == np.float32 else 1e-12
    for i, (f, r) in enumerate(zip(fused, rule)):
        if r is None:
            assert f is None
            continue
        assert f.dtype == r.dtype and f.shape == r.shape
        np.testing.assert_allclose(f, r, rtol=tol, atol=tol, err_msg=f"gradient {i}")
