"""ember.fft against torch.fft: every transform in each norm mode, with n/s/dim, on real and
complex input, with gradients (random complex cotangents), float64 gradcheck/gradgradcheck,
out=, the frequency helpers and torch's error messages."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch

NORMS = [None, "backward", "ortho", "forward"]
C2C = ["fft", "ifft"]
R2C = ["rfft", "ihfft"]
C2R = ["irfft", "hfft"]
ND = ["fftn", "ifftn", "rfftn", "ihfftn", "irfftn", "hfftn"]
TWO_D = ["fft2", "ifft2", "rfft2", "ihfft2", "irfft2", "hfft2"]
REAL_ONLY = {"rfft", "ihfft", "rfftn", "ihfftn", "rfft2", "ihfft2"}


def _dtypes(name):
    return ["float32", "float64"] if name in REAL_ONLY else ["float32", "float64", "complex128"]


def _tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-9}


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", C2C + R2C + C2R)
def test_one_dim_transforms(name, norm):
    for dtype in _dtypes(name):
        for n, dim in [(None, -1), (4, 0), (9, -1), (12, 1)]:
            check_against_torch(lambda lib, x, n=n, dim=dim: getattr(lib.fft, name)(
                x, n=n, dim=dim, norm=norm), [(5, 6)], dtype, **_tol(dtype))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ND + TWO_D)
def test_multi_dim_transforms(name, norm):
    cases = [{}, {"s": (4, 7)}, {"dim": (0, 2)}, {"s": (3, 8), "dim": (2, 0)}, {"s": (5,)}]
    if name.endswith("2"):
        cases = [{}, {"s": (4, 7)}, {"dim": (0, 2)}, {"s": (3, 8), "dim": (2, 0)}]
    for dtype in _dtypes(name):
        for kw in cases:
            check_against_torch(lambda lib, x, kw=kw: getattr(lib.fft, name)(x, norm=norm, **kw),
                                [(4, 5, 6)], dtype, **_tol(dtype))


@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "hfft", "fftn", "irfftn", "hfftn"])
def test_complex64_input_and_gradient(name):
    check_against_torch(lambda lib, x: getattr(lib.fft, name)(x), [(3, 8)], "complex64",
                        rtol=1e-4, atol=1e-4)


def test_output_dtypes_follow_input_precision():
    x32 = ember.ones(4)
    assert ember.fft.fft(x32).dtype == ember.complex64
    assert ember.fft.rfft(x32.double()).dtype == ember.complex128
    assert ember.fft.irfft(ember.fft.rfft(x32)).dtype == ember.float32
    assert ember.fft.fft(ember.arange(4)).dtype == ember.complex64   # integers: default float
    assert torch.fft.fft(torch.arange(4)).dtype == torch.complex64


def _leaf(shape, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    return ember.tensor(a, requires_grad=True)


GRAD_CASES = [
    ("fft", {"n": 7}, True), ("ifft", {"norm": "ortho"}, True), ("fft", {}, False),
    ("rfft", {"n": 6}, False), ("rfft", {"n": 5, "norm": "forward"}, False),
    ("ihfft", {}, False), ("irfft", {"n": 6}, True), ("irfft", {"n": 7}, True),
    ("hfft", {"n": 5, "norm": "ortho"}, True), ("irfft", {}, False),
    ("fftn", {"s": (3, 5)}, True), ("rfftn", {}, False), ("irfftn", {"s": (2, 6)}, True),
    ("hfftn", {}, True), ("ihfftn", {"norm": "forward"}, False),
    ("fftshift", {}, True), ("ifftshift", {"dim": 0}, False),
]


@pytest.mark.parametrize("name,kw,complex_", GRAD_CASES)
def test_gradcheck_and_gradgradcheck(name, kw, complex_):
    x = _leaf((3, 4), complex_)
    f = getattr(ember.fft, name)
    assert ember.autograd.gradcheck(lambda t: f(t, **kw), (x,))
    assert ember.autograd.gradgradcheck(lambda t: f(t, **kw), (x,))


def test_grad_fn_names():
    x = ember.randn(4, requires_grad=True)
    assert ember.fft.rfft(x).grad_fn.name() == "FftR2CBackward0"
    assert ember.fft.fft(x).grad_fn.name() == "FftC2CBackward0"
    assert ember.fft.irfft(x).grad_fn.name() == "FftC2RBackward0"


def test_round_trips():
    x = ember.randn(3, 10, dtype=ember.float64)
    np.testing.assert_allclose(ember.fft.ifft(ember.fft.fft(x)).real.numpy(), x.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(ember.fft.irfft(ember.fft.rfft(x), n=10).numpy(), x.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(ember.fft.hfft(ember.fft.ihfft(x), n=10).numpy(), x.numpy(),
                               atol=1e-12)


def test_out_argument():
    x = ember.randn(8)
    out = ember.empty(0, dtype=ember.complex64)
    res = ember.fft.fft(x, out=out)
    assert res is out and tuple(out.shape) == (8,)
    np.testing.assert_allclose(out.numpy(), torch.fft.fft(torch.tensor(x.numpy())).numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn,kw", [("fftfreq", {"n": 5}), ("fftfreq", {"n": 6, "d": 0.5}),
                                   ("rfftfreq", {"n": 5, "d": 2.0}), ("rfftfreq", {"n": 8}),
                                   ("fftfreq", {"n": 4, "dtype": "float64"})])
def test_frequencies(fn, kw):
    kw_t, kw_e = dict(kw), dict(kw)
    if "dtype" in kw:
        kw_t["dtype"], kw_e["dtype"] = getattr(torch, kw["dtype"]), getattr(ember, kw["dtype"])
    t = getattr(torch.fft, fn)(**kw_t)
    e = getattr(ember.fft, fn)(**kw_e)
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    assert getattr(ember.fft, fn)(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("name,dim", [("fftshift", None), ("fftshift", (0,)),
                                      ("ifftshift", None), ("ifftshift", 1)])
def test_shifts(name, dim):
    check_against_torch(lambda lib, x: getattr(lib.fft, name)(x, dim=dim), [(5, 6)], "float64")


@pytest.mark.parametrize("call,message", [
    (lambda lib, x: lib.fft.fft(x, norm="bad"), 'Invalid normalization mode: "bad"'),
    (lambda lib, x: lib.fft.fft(x, n=0), "Invalid number of data points (0) specified"),
    (lambda lib, x: lib.fft.irfft(x, n=0), "Invalid number of data points (0) specified"),
    (lambda lib, x: lib.fft.rfft(x.to(lib.complex64)),
     "rfft expects a real input tensor, but got ComplexFloat"),
    (lambda lib, x: lib.fft.ihfft(x.to(lib.complex64)),
     "ihfft expects a real input tensor, but got ComplexFloat"),
    (lambda lib, x: lib.fft.fftn(x, s=(3,), dim=(0, 1)),
     "When given, dim and shape arguments must have the same length"),
    (lambda lib, x: lib.fft.fftn(x, dim=(0, 0)), "FFT dims must be unique"),
])
def test_errors_match_torch(call, message):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            call(lib, lib.ones(4, 5))
        assert message in str(info.value)


STFT_CASES = [
    {"n_fft": 10},
    {"n_fft": 16, "hop_length": 4, "center": False},
    {"n_fft": 16, "hop_length": 3, "win_length": 11},
    {"n_fft": 16, "window": "hann", "normalized": True},
    {"n_fft": 8, "window": "hann", "onesided": False},
    {"n_fft": 12, "window": "hann", "pad_mode": "constant"},
]


def _stft_kwargs(lib, kw):
    kw = dict(kw)
    if kw.get("window") == "hann":
        kw["window"] = lib.hann_window(kw.get("win_length", kw["n_fft"]), dtype=lib.float64)
    return kw


# torch (and ember) warn about a missing window and about return_complex=False
@pytest.mark.filterwarnings("ignore:A window was not provided")
@pytest.mark.filterwarnings("ignore:stft with return_complex=False is deprecated")
@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("shape", [(40,), (3, 40)])
def test_stft_matches_torch(kw, shape):
    check_against_torch(lambda lib, x: lib.stft(x, return_complex=True, **_stft_kwargs(lib, kw)),
                        [shape], "float64", rtol=1e-9, atol=1e-9)
    check_against_torch(lambda lib, x: x.stft(return_complex=False, **_stft_kwargs(lib, kw)),
                        [shape], "float64", rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("ignore:A window was not provided")
@pytest.mark.filterwarnings("ignore:The length of signal is shorter")
@pytest.mark.parametrize("kw", [{}, {"length": 37}, {"length": 50}, {"normalized": True},
                                {"win_length": 12}, {"center": False, "window": False}])
def test_istft_inverts_stft_and_matches_torch(kw):
    kw = dict(kw)
    use_window = kw.pop("window", True)
    win = kw.get("win_length", 16)

    def run(lib, x):
        w = lib.hann_window(win, dtype=lib.float64) if use_window else None
        spec = lib.stft(x, 16, 4, window=w, return_complex=True, **{
            k: v for k, v in kw.items() if k in ("win_length", "normalized", "center")})
        return lib.istft(spec, 16, 4, window=w, **kw)
    e, _ = check_against_torch(run, [(2, 40)], "float64", rtol=1e-9, atol=1e-9)
    if "length" not in kw:
        np.testing.assert_allclose(e.detach().numpy().shape[-1], 40)


def test_stft_istft_gradcheck():
    x = _leaf((24,))
    w = ember.hann_window(8, dtype=ember.float64)
    assert ember.autograd.gradcheck(
        lambda t: ember.stft(t, 8, 2, window=w, return_complex=True), (x,))
    spec = _leaf((5, 9), complex_=True)
    assert ember.autograd.gradcheck(lambda s: ember.istft(s, 8, 2, window=w), (spec,))


@pytest.mark.parametrize("call,message", [
    (lambda lib, x: lib.stft(x, 8), "stft requires the return_complex parameter be given"),
    (lambda lib, x: lib.stft(x, 8, hop_length=0, return_complex=True),
     "expected hop_length > 0, but got hop_length=0"),
    (lambda lib, x: lib.stft(x, 8, win_length=9, return_complex=True),
     "expected 0 < win_length <= n_fft, but got win_length=9"),
    (lambda lib, x: lib.stft(x.reshape(1, 1, 20), 8, return_complex=True),
     "expected a 1D or 2D tensor"),
    (lambda lib, x: lib.istft(x, 8), "istft requires a complex-valued input tensor"),
])
@pytest.mark.filterwarnings("ignore:A window was not provided")
def test_stft_errors_match_torch(call, message):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            call(lib, lib.ones(20))
        assert message in str(info.value)


@pytest.mark.parametrize("call,message", [
    (lambda lib, x: lib.stft(x, 8, return_complex=True), "A window was not provided"),
    (lambda lib, x: lib.stft(x, 8, window=lib.ones(8), return_complex=False),
     "stft with return_complex=False is deprecated"),
    (lambda lib, x: lib.istft(lib.stft(x, 8, window=lib.ones(8), return_complex=True), 8,
                              window=lib.ones(8), length=40), "The length of signal is shorter"),
])
def test_stft_warnings_match_torch(call, message):
    # torch warns once per process (so not reliably here); ember warns like any Python library
    with pytest.warns(UserWarning, match=message):
        call(ember, ember.ones(20))
