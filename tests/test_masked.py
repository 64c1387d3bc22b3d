"""ember.masked against torch.masked: what the OpInfo harness does not reach (fully masked
slices, integer inputs, dtype=, errors, create_graph)."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, check_against_torch

MASK = np.array([[True, False, True, False],
                 [False, False, False, False],      # a fully masked row
                 [True, True, True, True]])


def _mask(lib):
    return lib.tensor(MASK)


REDUCTIONS = [
    ("sum", {}), ("prod", {}), ("amax", {}), ("amin", {}), ("mean", {}), ("logsumexp", {}),
    ("norm", {"ord": 2.0}), ("norm", {"ord": float("inf")}), ("norm", {"ord": -float("inf")}),
    ("var", {}), ("std", {"correction": 0}), ("var", {"unbiased": False}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", REDUCTIONS)
@pytest.mark.parametrize("dim,keepdim", [(1, False), (1, True), (None, False), ((0, 1), True)])
def test_reductions_with_fully_masked_rows(name, kw, dim, keepdim, dtype):
    def fn(lib, x):
        f = getattr(lib.masked, name)
        if name == "norm":
            return f(x, kw["ord"], dim, keepdim=keepdim, mask=_mask(lib))
        return f(x, dim, keepdim=keepdim, mask=_mask(lib), **kw)
    tol = {} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-5}
    check_against_torch(fn, [(3, 4)], dtype=dtype, **tol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "cumsum", "cumprod",
                                  "median", "argmax", "argmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_dim_ops_with_fully_masked_rows(name, dim):
    def fn(lib, x):
        return getattr(lib.masked, name)(x, dim, mask=_mask(lib))
    check_against_torch(fn, [(3, 4)], dtype="float64", grad=name not in ("argmax", "argmin"))


def test_broadcast_mask_and_no_mask():
    row = np.array([True, False, True, True])
    check_against_torch(lambda lib, x: lib.masked.sum(x, 0, mask=lib.tensor(row)), [(3, 4)])
    check_against_torch(lambda lib, x: lib.masked.mean(x, 1), [(3, 4)])
    check_against_torch(lambda lib, x: lib.masked.normalize(x, 2.0, 1, mask=lib.tensor(row)),
                        [(3, 4)], dtype="float64")
    check_against_torch(lambda lib, x: lib.masked.std(x, None), [(3, 4)], dtype="float64")


def test_logaddexp_masks():
    a, b = np.array([True, False, True]), np.array([False, False, True])
    check_against_torch(lambda lib, x, y: lib.masked.logaddexp(
        x, y, input_mask=lib.tensor(a), other_mask=lib.tensor(b)), [(3,), (3,)], dtype="float64")


@pytest.mark.parametrize("name", ["sum", "prod", "amax", "amin", "argmax"])
def test_integer_inputs(name):
    x = np.arange(12).reshape(3, 4) - 5
    t = getattr(torch.masked, name)(torch.tensor(x), 1, mask=torch.tensor(MASK))
    e = getattr(ember.masked, name)(ember.tensor(x), 1, mask=ember.tensor(MASK))
    assert_same(e, t)


def test_integer_median_and_var():
    x = np.arange(12).reshape(3, 4)
    full = np.ones((3, 4), dtype=bool)
    full[0, 1] = False
    assert_same(ember.masked.median(ember.tensor(x), 1, mask=ember.tensor(full)),
                torch.masked.median(torch.tensor(x), 1, mask=torch.tensor(full)))
    assert_same(ember.masked.var(ember.tensor(x), 1, mask=ember.tensor(full)),
                torch.masked.var(torch.tensor(x), 1, mask=torch.tensor(full)))
    with pytest.raises(ValueError, match="fully masked out rows"):
        ember.masked.median(ember.tensor(x), 1, mask=ember.tensor(MASK))


def test_dtype_argument():
    x = np.arange(6.0).reshape(2, 3)
    t = torch.masked.sum(torch.tensor(x), 1, dtype=torch.float32)
    e = ember.masked.sum(ember.tensor(x), 1, dtype=ember.float32)
    assert_same(e, t)
    t = torch.masked.amax(torch.tensor(x, dtype=torch.float32), 1, dtype=torch.float64)
    e = ember.masked.amax(ember.tensor(x, dtype=ember.float32), 1, dtype=ember.float64)
    assert_same(e, t)


def test_errors():
    x = ember.ones(2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.masked.sum(x, 2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        ember.masked.sum(x, (0, 0))
    with pytest.raises(ValueError, match="Could not infer output dtype"):
        ember.masked.mean(ember.ones(2, 3, dtype=ember.int64))
    with pytest.raises(IndexError, match="broadcastable mask"):
        ember.masked.sum(x, mask=ember.ones(1, 2, 3, dtype=ember.bool))


def test_create_graph():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    partly = MASK.copy()
    partly[1, 1:3] = True       # no fully masked row: their nan would reach every gradient
    m = ember.tensor(partly)
    assert ember.autograd.gradgradcheck(lambda v: ember.masked.softmax(v, 1, mask=m), (x,))
    assert ember.autograd.gradgradcheck(lambda v: ember.masked.var(v, 1, mask=m), (x,))
