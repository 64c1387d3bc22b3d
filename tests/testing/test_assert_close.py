"""ember.testing against torch.testing: the same inputs pass or fail alike, with the same
exception type and message (type names aside: ember's Tensor class is not torch's)."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember

nan, inf = math.nan, math.inf


def _t(lib, v, dtype=None):
    return lib.tensor(v, dtype=getattr(lib, dtype) if dtype else None)


# each case: a function lib -> (actual, expected, kwargs)
CASES = {
    "equal floats": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.]), {}),
    "within float32 tolerance": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.000001]), {}),
    "one mismatch": lambda L: (_t(L, [1., 2., 3.]), _t(L, [1., 2.5, 3.]), {}),
    "2-d mismatch": lambda L: (_t(L, [[1., 2.], [3., 4.]]), _t(L, [[1., 2.], [3., 5.]]), {}),
    "int mismatch": lambda L: (_t(L, [1, 2, 3]), _t(L, [1, 2, 4]), {}),
    "uint8 vs zero": lambda L: (_t(L, [255], "uint8"), _t(L, [0], "uint8"), {}),
    "bool mismatch": lambda L: (_t(L, [True, False]), _t(L, [True, True]), {}),
    "shape": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2., 3.]), {}),
    "dtype": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.], "float64"), {}),
    "int widths": lambda L: (_t(L, [1, 2], "int32"), _t(L, [1, 2]), {}),
    "int widths unchecked": lambda L: (_t(L, [1, 2], "int32"), _t(L, [1, 2]),
                                       {"check_dtype": False}),
    "float vs int unchecked": lambda L: (_t(L, [1.5, 2.]), _t(L, [1, 2]), {"check_dtype": False}),
    "int vs float unchecked": lambda L: (_t(L, [1, 2]), _t(L, [1.5, 2.]), {"check_dtype": False}),
    "nan": lambda L: (_t(L, [nan]), _t(L, [nan]), {}),
    "nan equal_nan": lambda L: (_t(L, [nan, 1.]), _t(L, [nan, 1.]), {"equal_nan": True}),
    "inf equal": lambda L: (_t(L, [1., inf]), _t(L, [1., inf]), {}),
    "inf opposite": lambda L: (_t(L, [1., inf]), _t(L, [1., -inf]), {}),
    "zero expected": lambda L: (_t(L, [0., 0.]), _t(L, [0., 1e-3]), {}),
    "large values": lambda L: (_t(L, [1e10]), _t(L, [1.0001e10]), {}),
    "complex": lambda L: (_t(L, [1 + 1j]), _t(L, [1 + 2j]), {}),
    "0-d": lambda L: (_t(L, 1.), _t(L, 2.), {}),
    "0-d int": lambda L: (_t(L, 1), _t(L, 3), {}),
    "empty": lambda L: (L.zeros(0), L.zeros(0), {}),
    "exact tolerances": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.5]), {"rtol": 0, "atol": 0}),
    "loose atol": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.5]), {"rtol": 0, "atol": 0.6}),
    "float16": lambda L: (_t(L, [1.], "float16"), _t(L, [1.01], "float16"), {}),
    "bfloat16": lambda L: (_t(L, [1.], "bfloat16"), _t(L, [1.02], "bfloat16"), {}),
    "float64 tight": lambda L: (_t(L, [1.], "float64"), _t(L, [1. + 1e-6], "float64"), {}),
    "rtol only": lambda L: (_t(L, 1.), _t(L, 1.), {"rtol": 1e-3}),
    "atol only": lambda L: (_t(L, 1.), _t(L, 1.), {"atol": 1.}),
    "custom msg": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.5]), {"msg": "custom"}),
    "callable msg": lambda L: (_t(L, [1., 2.]), _t(L, [1., 2.5]), {"msg": lambda m: m + " XX"}),
    "stride": lambda L: (L.ones(2, 3).t(), L.ones(3, 2), {"check_stride": True}),
    "stride unchecked": lambda L: (L.ones(2, 3).t(), L.ones(3, 2), {}),
    "requires_grad ignored": lambda L: (L.ones(2, requires_grad=True), L.ones(2), {}),
    "python floats": lambda L: (1.0, 1.5, {}),
    "python ints": lambda L: (1, 2, {}),
    "int vs float": lambda L: (1, 1.0, {}),
    "python complex": lambda L: (1 + 2j, 1 + 2.5j, {}),
    "booleans": lambda L: (True, False, {}),
    "none": lambda L: (None, None, {}),
    "none vs int": lambda L: (None, 1, {}),
    "tensor vs float": lambda L: (_t(L, 1.), 1.0, {}),
    "strings": lambda L: ("a", "a", {}),
    "list vs tuple": lambda L: ([1, 2], (1, 2), {}),
    "lengths": lambda L: ([1, 2], [1, 2, 3], {}),
    "empty lists": lambda L: ([], [], {}),
    "list of tensors": lambda L: ([_t(L, 1.), _t(L, 2.)], [_t(L, 1.), _t(L, 3.)], {}),
    "mapping": lambda L: ({"a": _t(L, 1.)}, {"a": _t(L, 2.)}, {}),
    "mapping keys": lambda L: ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    "nested": lambda L: ([[_t(L, 1.)], {"x": _t(L, [1., 2.])}],
                         [[_t(L, 1.)], {"x": _t(L, [1., 3.])}], {}),
    "numpy arrays": lambda L: (np.array([1., 2.]), np.array([1., 2.5]), {}),
    "numpy scalars": lambda L: (np.float32(1.0), np.float32(1.0), {}),
    "numpy vs float": lambda L: (np.array(1.0), 1.0, {}),
}


def _outcome(lib, case):
    actual, expected, kw = CASES[case](lib)
    try:
        lib.testing.assert_close(actual, expected, **kw)
    except (AssertionError, TypeError, ValueError) as exc:
        text = str(exc).replace("<class 'ember.tensor.Tensor'>", "TENSOR")
        return type(exc).__name__, text.replace("<class 'torch.Tensor'>", "TENSOR")
    return "ok", ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_assert_close_matches_torch(case):
    assert _outcome(ember, case) == _outcome(torch, case)


def test_assert_close_is_reachable_as_torch_testing():
    assert ember.testing.assert_close is not None
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        ember.testing.assert_close(ember.ones(3), ember.zeros(3))


def test_assert_allclose_warns_and_converts():
    with pytest.warns(FutureWarning, match="assert_close"):
        ember.testing.assert_allclose(ember.tensor([1., 2.]), [1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
            ember.testing.assert_allclose(ember.tensor([1., 2.]), [1, 3])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "complex64",
                                   "int64", "int8", "uint8", "bool"])
def test_make_tensor_ranges(dtype):
    dt = getattr(ember, dtype)
    x = ember.testing.make_tensor(200, dtype=dt, device="cpu")
    assert x.dtype == dt and x.shape == (200,)
    if dtype == "bool":
        return
    lo, hi = {"uint8": (0, 10), "int64": (-9, 10), "int8": (-9, 10)}.get(dtype, (-9, 9))
    vals = [x.real, x.imag] if dtype.startswith("complex") else [x]
    for v in vals:
        v = v.double()
        assert bool((v >= lo).all()) and bool((v < hi).all())
    y = ember.testing.make_tensor(3, 4, dtype=dt, device="cpu", low=0, high=2, exclude_zero=True)
    assert not bool((y == 0).any())


def test_make_tensor_layout_and_errors():
    mt = ember.testing.make_tensor
    for shape, stride in [((2, 3), (6, 2)), ((2, 1), (2, 2)), ((), ())]:
        assert mt(shape, dtype=ember.int8, device="cpu", noncontiguous=True).stride() == \
            torch.testing.make_tensor(shape, dtype=torch.int8, device="cpu",
                                      noncontiguous=True).stride() == stride
    assert mt(2, 2, dtype=ember.float32, device="cpu", requires_grad=True).requires_grad
    x = mt(1000, dtype=ember.float32, device="cpu", low=-1e300, high=1e300)
    assert bool(x.isfinite().all())
    for kw, text in [({"dtype": ember.int64, "requires_grad": True}, "requires_grad=True"),
                     ({"dtype": ember.float32, "low": nan}, "cannot be NaN"),
                     ({"dtype": ember.float32, "low": 2, "high": 1}, "must be less than"),
                     ({"dtype": ember.float32, "noncontiguous": True,
                       "memory_format": ember.contiguous_format}, "mutually exclusive")]:
        with pytest.raises(ValueError, match=text):
            mt(3, device="cpu", **kw)
