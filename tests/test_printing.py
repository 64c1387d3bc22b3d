"""repr/str of tensors must be the very text torch prints for the same data and options."""
import math

import numpy as np
import pytest
import torch

import ember


def _randn(*shape, scale=1.0, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


nan, inf = math.nan, math.inf

# (id, data builder, dtype name or None). The builder returns NumPy data or a Python scalar/list;
# the same data goes to torch.tensor and ember.tensor.
CASES = [
    # floats: 0-dim, integer mode, fixed, scientific, non-finite
    ("scalar-int-mode", lambda: 3.0, None),
    ("scalar-fixed", lambda: 3.14159, None),
    ("scalar-sci", lambda: 1.5e-7, None),
    ("scalar-nan", lambda: nan, None),
    ("scalar-neg-inf", lambda: -inf, None),
    ("int-mode", lambda: [1.0, 2.0, 3.0], None),
    ("int-mode-neg-zero", lambda: [-1.0, 2.0, 0.0, -0.0], None),
    ("fixed", lambda: [1.5, -2.25, 3.125], None),
    ("fixed-rounding", lambda: [0.12345, 0.99999, -0.0015, 0.00995], "float64"),
    ("sci-small", lambda: [1e-5, 1.0], None),
    ("sci-single-small", lambda: [1e-5], None),
    ("int-mode-ratio-sci", lambda: [1.0, 1001.0], None),
    ("ratio-just-over", lambda: [1.5, 1500.5], None),
    ("ratio-just-under", lambda: [1.5, 1499.0], None),
    ("int-mode-big-sci", lambda: [1e9], None),
    ("int-mode-1e8", lambda: [1e8, 2e7], None),
    ("min-1e-4-float32", lambda: [1e-4, 0.05], None),
    ("min-1e-4-float64", lambda: [1e-4, 0.05], "float64"),
    ("nonfinite-int-mode", lambda: [nan, 1.0, inf, -inf], None),
    ("nonfinite-fixed", lambda: [nan, 1.5, inf, -inf], None),
    ("nonfinite-sci", lambda: [1e-5, nan, 0.0, -inf], None),
    ("all-nan", lambda: [nan, nan], None),
    ("all-zero", lambda: [0.0, 0.0, -0.0], None),
    ("wide-values", lambda: [1234.5678, -3.5, 30.0], None),
    # shapes: nesting, wrapping, non-contiguous, size-1 dims
    ("2d", lambda: _randn(2, 3), None),
    ("3d", lambda: _randn(2, 3, 4), None),
    ("4d", lambda: _randn(2, 2, 2, 2), None),
    ("size-one-dims", lambda: _randn(1, 1, 1), None),
    ("column", lambda: _randn(3, 1), None),
    ("transposed", lambda: _randn(3, 4).T, None),
    ("wrap-1d", lambda: _randn(100), None),
    ("wrap-2d", lambda: _randn(3, 30, scale=100), None),
    ("wrap-wide-fixed", lambda: _randn(40, scale=1e6), None),
    ("wrap-sci", lambda: _randn(40, scale=1e9), None),
    # summarization past threshold (1000 elements)
    ("summarize-1d", lambda: np.arange(2000, dtype=np.float32), None),
    ("summarize-2d", lambda: _randn(50, 50), None),
    ("summarize-3d", lambda: _randn(10, 10, 20), None),
    ("summarize-inner-only", lambda: _randn(2, 600), None),
    ("summarize-outer-only", lambda: _randn(600, 2), None),
    ("summarize-width-from-edges", lambda: np.concatenate(
        [np.full(3, 1.5), np.full(1000, 123456.5), np.full(3, 2.5)]), None),
    # other dtypes
    ("float64", lambda: [1.5, -2.0, 1e-8], "float64"),
    ("float16", lambda: [1.5, -2.0, 1000.0, 0.1], "float16"),
    ("bfloat16", lambda: [1.5, -2.0, 1000.0, 0.1], "bfloat16"),
    ("int64", lambda: [1, -22, 333], None),
    ("int64-scalar", lambda: 5, None),
    ("int32", lambda: [[1, 2], [30, -4]], "int32"),
    ("int16-summarize", lambda: np.arange(3000).reshape(30, 100), "int16"),
    ("int8", lambda: [-128, 0, 127], "int8"),
    ("uint8", lambda: [0, 7, 255], "uint8"),
    ("bool", lambda: [True, False, True], None),
    ("bool-all-true-2d", lambda: [[True, True], [True, True]], None),
    ("bool-scalar", lambda: False, None),
    ("complex64", lambda: np.array([1 + 2j, -3.5 - 0.5j, 0j], np.complex64), None),
    ("complex-int-mode", lambda: np.array([1 + 2j, 3 - 4j], np.complex64), None),
    ("complex-scalar", lambda: np.array(1 - 2j, np.complex64), None),
    ("complex-nonfinite", lambda: np.array([complex(nan, 1), complex(1, -0.0),
                                           complex(inf, -inf)], np.complex64), None),
    ("complex-sci", lambda: np.array([1e-6 + 1j, 2 + 3e5j], np.complex64), None),
    ("complex128", lambda: np.array([[1.25 + 2j], [3 + 4.5j]]), "complex128"),
    ("complex-summarize", lambda: (_randn(40, 40) + 1j * _randn(40, 40, seed=1))
        .astype(np.complex64), None),
    # empty tensors
    ("empty-1d", lambda: np.zeros(0, np.float32), None),
    ("empty-2d", lambda: np.zeros((0, 3), np.float32), None),
    ("empty-3d", lambda: np.zeros((2, 0, 1), np.float32), None),
    ("empty-int64", lambda: np.zeros(0, np.int64), None),
    ("empty-bool", lambda: np.zeros((2, 0), bool), None),
    ("empty-float64", lambda: np.zeros(0), "float64"),
    ("empty-complex64", lambda: np.zeros(0, np.complex64), None),
]


def _pair(data, dtype=None):
    # Python floats arrive as float64 and become the default float, as torch.tensor(list) does;
    # other dtypes are reached by a cast in each library (NumPy cannot hold bfloat16)
    arr = np.asarray(data)
    if arr.dtype == np.float64 and dtype is None:
        arr = arr.astype(np.float32)
    e, t = ember.tensor(arr), torch.tensor(arr)
    if dtype is not None:
        e, t = e.to(getattr(ember, dtype)), t.to(getattr(torch, dtype))
    return e, t


@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def _both(fn, *args, **kwargs):
    return fn(ember, *args, **kwargs), fn(torch, *args, **kwargs)


@pytest.mark.parametrize("data,dtype", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_repr_matches_torch(data, dtype):
    e, t = _pair(data(), dtype)
    assert repr(e) == repr(t)
    assert str(e) == str(t)


# (id, set_printoptions kwargs, data)
OPTION_CASES = [
    ("precision-2", dict(precision=2), lambda: _randn(5)),
    ("precision-10", dict(precision=10), lambda: _randn(2, 3)),
    ("precision-0", dict(precision=0), lambda: [1.4, 2.6, -0.3]),
    ("precision-sci", dict(precision=1), lambda: [1e-6, 2.0]),
    ("threshold-5", dict(threshold=5), lambda: np.arange(10)),
    ("threshold-exact", dict(threshold=10), lambda: np.arange(10)),
    ("threshold-2d", dict(threshold=5), lambda: np.arange(64).reshape(8, 8)),
    ("edgeitems-1", dict(edgeitems=1), lambda: _randn(30, 40)),
    ("edgeitems-0-1d", dict(edgeitems=0), lambda: _randn(2000)),
    ("edgeitems-0-2d", dict(edgeitems=0), lambda: _randn(40, 40)),
    ("edgeitems-0-small", dict(edgeitems=0), lambda: [1.5, 2.0]),
    ("linewidth-40", dict(linewidth=40), lambda: _randn(3, 12)),
    ("linewidth-tiny", dict(linewidth=5), lambda: _randn(2, 4)),
    ("linewidth-complex", dict(linewidth=30), lambda: np.full(7, 1.5 - 2j, np.complex64)),
    ("profile-short", dict(profile="short"), lambda: _randn(2000)),
    ("profile-full", dict(profile="full"), lambda: np.arange(1200).reshape(30, 40)),
    ("profile-then-override", dict(profile="short", precision=5), lambda: _randn(4)),
    ("sci-mode-true", dict(sci_mode=True), lambda: [1.5, 2.0, -300.0]),
    ("sci-mode-true-int", dict(sci_mode=True), lambda: [1.0, 2.0]),
    ("sci-mode-true-zeros", dict(sci_mode=True), lambda: [0.0, 0.0]),
    ("sci-mode-false", dict(sci_mode=False), lambda: [1e-5, 1.0, 1e9]),
    ("sci-mode-false-int", dict(sci_mode=False), lambda: [1.0, 1e10]),
]


@pytest.mark.parametrize("opts,data", [c[1:] for c in OPTION_CASES],
                         ids=[c[0] for c in OPTION_CASES])
def test_printoptions_match_torch(opts, data):
    ember.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    e, t = _pair(data())
    assert repr(e) == repr(t)
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()


def test_get_printoptions_defaults_and_roundtrip():
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
    ember.set_printoptions(precision=3, sci_mode=True)
    saved = ember.get_printoptions()
    ember.set_printoptions(profile="default")
    ember.set_printoptions(**saved)
    assert ember.get_printoptions() == dict(precision=3, threshold=1000, edgeitems=3,
                                            linewidth=80, sci_mode=True)
    # each call resets sci_mode unless it is given again, as in torch
    ember.set_printoptions(precision=2)
    assert ember.get_printoptions()["sci_mode"] is None


def test_printoptions_context_manager_restores():
    from ember._printing import printoptions
    x = ember.tensor([1.23456])
    with printoptions(precision=1):
        assert repr(x) == "tensor([1.2])"
    assert repr(x) == "tensor([1.2346])"


def _autograd_cases(lib):
    a = lib.tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True)
    long = lib.tensor(np.linspace(-1, 1, 17), requires_grad=True)    # float64: two suffixes
    return [a, a + 1, a * 2, (a * a).sum(), long, long * 3, lib.zeros(0, requires_grad=True),
            a.detach(), lib.tensor(2.0, requires_grad=True) * 2]


def test_requires_grad_and_grad_fn_suffixes():
    for e, t in zip(*_both(_autograd_cases)):
        assert repr(e) == repr(t)


def test_parameter_repr():
    e, t = _both(lambda lib: lib.nn.Parameter(lib.tensor([[1.0, 2.5], [3.0, 4.0]])))
    assert repr(e) == repr(t)
    assert repr(e).startswith("Parameter containing:\ntensor(")
    e, t = _both(lambda lib: lib.nn.Parameter(lib.tensor([1, 2]).double(), requires_grad=False))
    assert repr(e) == repr(t)


def test_default_dtype_float64_changes_suffixes():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for dtype in ("float32", "float64", "complex64", "complex128"):
        for data in ([1.5, 2.0], np.zeros((0, 2))):
            e, t = _pair(np.asarray(data, np.float32), dtype)
            assert repr(e) == repr(t)
    e, t = _both(lambda lib: lib.tensor([0.5, 1.0]))
    assert repr(e) == repr(t) == "tensor([0.5000, 1.0000])"


def test_views_and_format():
    base = _randn(4, 6)
    e, t = ember.tensor(base), torch.tensor(base)
    assert repr(e[1:, ::2].T) == repr(t[1:, ::2].T)
    assert repr(e[2]) == repr(t[2])
    assert f"{e}" == f"{t}"
    assert f"{e[0, 0]:.2f}" == f"{t[0, 0]:.2f}"
    assert repr([e[0, 0]]) == repr([t[0, 0]])
