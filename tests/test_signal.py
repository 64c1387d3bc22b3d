"""ember.signal.windows against torch.signal.windows: values for symmetric and periodic
windows of several lengths, keyword arguments, dtypes, requires_grad and torch's errors."""
import numpy as np
import pytest
import torch

import ember

WINDOWS = {"bartlett": {}, "blackman": {}, "cosine": {}, "hamming": {}, "hann": {},
           "nuttall": {}, "exponential": {"tau": 2.5}, "gaussian": {"std": 1.7},
           "kaiser": {"beta": 5.0}, "general_cosine": {"a": [0.46, 0.23, 0.31]},
           "general_hamming": {"alpha": 0.6}}


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("M", [0, 1, 2, 5, 10])
@pytest.mark.parametrize("sym", [True, False])
def test_window_matches_torch(name, M, sym):
    kw = WINDOWS[name]
    for t_dt, e_dt in [(None, None), (torch.float64, ember.float64)]:
        t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=t_dt, **kw)
        e = getattr(ember.signal.windows, name)(M, sym=sym, dtype=e_dt, **kw)
        assert str(e.dtype) == str(t.dtype)
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_defaults_and_options():
    np.testing.assert_allclose(ember.signal.windows.kaiser(7).numpy(),
                               torch.signal.windows.kaiser(7).numpy(), rtol=1e-5, atol=1e-7)
    t = torch.signal.windows.exponential(6, sym=False, center=1.0)
    e = ember.signal.windows.exponential(6, sym=False, center=1.0)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    w = ember.signal.windows.hann(4, requires_grad=True, device="cpu")
    assert w.requires_grad and w.is_leaf
    assert ember.signal.windows.hann(5, dtype=ember.float64).dtype == ember.float64


@pytest.mark.parametrize("call,exc,message", [
    (lambda w, lib: w.hann(-1), ValueError,
     "general_cosine requires non-negative window length, got M=-1"),
    (lambda w, lib: w.kaiser(-2), ValueError,
     "kaiser requires non-negative window length, got M=-2"),
    (lambda w, lib: w.bartlett(3, dtype=lib.int32), ValueError,
     "bartlett expects float32 or float64 dtypes, got: torch.int32"),
    (lambda w, lib: w.exponential(3, center=1.0), ValueError,
     "Center must be None for symmetric windows"),
    (lambda w, lib: w.gaussian(3, std=0), ValueError,
     "Standard deviation must be positive, got: 0 instead."),
    (lambda w, lib: w.exponential(3, tau=0), ValueError, "Tau must be positive, got: 0 instead."),
    (lambda w, lib: w.kaiser(3, beta=-1), ValueError,
     "beta must be non-negative, got: -1 instead."),
    (lambda w, lib: w.general_cosine(3, a=[]), ValueError, "Coefficients cannot be empty"),
    (lambda w, lib: w.general_cosine(3, a=1), TypeError, "Coefficients must be a list/tuple"),
])
def test_errors_match_torch(call, exc, message):
    for lib in (torch, ember):
        with pytest.raises(exc) as info:
            call(lib.signal.windows, lib)
        assert message in str(info.value)


def test_namespace_matches_torch():
    public = {n for n in dir(torch.signal.windows) if not n.startswith("_")} - {"windows"}
    assert not public - set(dir(ember.signal.windows))


@pytest.mark.parametrize("name,args", [("hann_window", ()), ("hamming_window", ()),
                                       ("hamming_window", (0.5, 0.4)), ("blackman_window", ()),
                                       ("bartlett_window", ()), ("kaiser_window", (4.0,))])
@pytest.mark.parametrize("M", [0, 1, 2, 7])
@pytest.mark.parametrize("periodic", [True, False])
def test_torch_namespace_windows(name, args, M, periodic):
    for t_dt, e_dt in [(None, None), (torch.float64, ember.float64)]:
        t = getattr(torch, name)(M, periodic, *args, dtype=t_dt)
        e = getattr(ember, name)(M, periodic, *args, dtype=e_dt)
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    assert getattr(ember, name)(4, requires_grad=True).requires_grad


def test_torch_namespace_window_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="hann_window requires non-negative "
                                               "window_length, got window_length=-1"):
            lib.hann_window(-1)
        with pytest.raises(RuntimeError, match="kaiser_window expects floating point dtypes"):
            lib.kaiser_window(3, dtype=lib.int64)
