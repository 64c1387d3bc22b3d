"""sort, argsort, msort and topk against torch: values, indices, dtypes and gradients (scattered
back through the indices); NaN placement, stability, errors; float64 gradcheck/gradgradcheck."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch

SHAPES = [(), (0,), (7,), (3, 5), (2, 3, 4), (2, 0, 3)]
FLOATS = ["float32", "float64"]


def _int_dims(shape):
    if not shape:
        return [0, -1]
    return [0, -1] + ([1] if len(shape) >= 3 else [])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_sort(shape, descending, dtype):
    for d in _int_dims(shape):
        check_against_torch(lambda lib, x: lib.sort(x, d, descending), [shape], dtype)
        check_against_torch(lambda lib, x: x.sort(dim=d, descending=descending).values,
                            [shape], dtype)
        check_against_torch(lambda lib, x: lib.argsort(x, d, descending), [shape], dtype)


def test_sort_default_dim_and_named_tuple():
    check_against_torch(lambda lib, x: lib.sort(x), [(3, 5)])
    check_against_torch(lambda lib, x: x.argsort(), [(3, 5)])
    r = ember.sort(ember.tensor([3.0, 1.0, 2.0]))
    assert type(r).__name__ == "sort" and r.values.tolist() == [1.0, 2.0, 3.0]
    assert r.indices.tolist() == [1, 2, 0] and r.indices.dtype == ember.int64
    values, indices = r
    assert values is r.values and indices is r.indices


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int64", "int32", "uint8", "bool"])
def test_stable_sort_with_ties(descending, dtype):
    # stable: equal elements keep their original order, in both directions
    kw = {"descending": descending, "stable": True}
    check_against_torch(lambda lib, x: lib.sort(x, dim=-1, **kw), [(4, 12)], dtype, 0, 3,
                        grad=False)
    check_against_torch(lambda lib, x: lib.argsort(x, dim=0, **kw), [(12, 3)], dtype, 0, 3,
                        grad=False)


def test_stable_sort_ties_gradient():
    check_against_torch(lambda lib, x: lib.sort(x, dim=1, stable=True).values, [(3, 8)],
                        "float64", transform=np.round)
    check_against_torch(lambda lib, x: lib.sort(x, dim=0, descending=True, stable=True).values,
                        [(8, 3)], "float64", transform=np.round)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_placement(descending):
    def nans(a):
        a = a.copy()
        a[0, 1] = a[0, 4] = a[2, 0] = np.nan
        return a
    kw = {"descending": descending, "stable": True}
    check_against_torch(lambda lib, x: lib.sort(x, dim=1, **kw), [(3, 6)], "float32",
                        transform=nans)
    check_against_torch(lambda lib, x: lib.argsort(x, dim=0, **kw), [(3, 6)], "float32",
                        grad=False, transform=nans)


def test_sort_noncontiguous():
    check_against_torch(lambda lib, x: lib.sort(x, 0), [(4, 5)], noncontig=True)
    check_against_torch(lambda lib, x: lib.topk(x, 2, 0), [(4, 5)], noncontig=True)


def test_msort():
    check_against_torch(lambda lib, x: lib.msort(x), [(5, 3)])
    check_against_torch(lambda lib, x: x.msort(), [(5,)])


# --- topk ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 40), (4, 0)])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
def test_topk(shape, largest, dtype):
    for d in _int_dims(shape):
        n = shape[d]
        for k in sorted({0, min(1, n), min(2, n), n // 2, n}):
            check_against_torch(lambda lib, x: lib.topk(x, k, d, largest), [shape], dtype)
            check_against_torch(lambda lib, x: x.topk(k, dim=d, largest=largest).values,
                                [shape], dtype)


def test_topk_default_and_scalar():
    check_against_torch(lambda lib, x: lib.topk(x, 3), [(4, 6)])
    check_against_torch(lambda lib, x: lib.topk(x, 1), [()])
    check_against_torch(lambda lib, x: lib.topk(x, 2, largest=False), [(10,)], "int64", 0, 20,
                        transform=lambda a: np.random.default_rng(0).permutation(10),
                        grad=False)


def test_topk_unsorted_returns_the_same_set():
    _, t = check_against_torch(lambda lib, x: lib.topk(x, 3, sorted=True), [(9,)])
    x = ember.tensor(np.random.default_rng(5).permutation(9).astype(np.float32))
    r = ember.topk(x, 3, sorted=False)
    assert sorted(r.values.tolist()) == [6.0, 7.0, 8.0]
    assert sorted(r.indices.tolist()) == sorted(np.argsort(x.numpy())[-3:].tolist())


def test_topk_nan_counts_as_largest():
    def nans(a):
        a = a.copy()
        a[0, 3] = np.nan
        return a
    check_against_torch(lambda lib, x: lib.topk(x, 2, 1), [(2, 30)], transform=nans, grad=False)
    check_against_torch(lambda lib, x: lib.topk(x, 2, 1, largest=False), [(2, 30)],
                        transform=nans, grad=False)


def test_errors():
    x = ember.ones(2, 3)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        ember.topk(x, 4)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        ember.topk(x, -1)
    for call in (lambda lib, t: lib.sort(t, 2), lambda lib, t: lib.argsort(t, -3),
                 lambda lib, t: lib.topk(t, 1, 2)):
        with pytest.raises(IndexError) as te:
            call(torch, torch.ones(2, 3))
        with pytest.raises(IndexError) as ee:
            call(ember, x)
        assert str(ee.value) == str(te.value)


def test_grad_fn_names_and_indices_without_grad():
    x = ember.ones(3, 4, requires_grad=True)
    assert x.sort(0).values.grad_fn.name() == "SortBackward0"
    assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
    assert not x.sort(0).indices.requires_grad and x.argsort().grad_fn is None


def test_out_argument():
    x = ember.tensor([3.0, 1.0, 2.0])
    v, i = ember.empty(0), ember.empty(0, dtype=ember.int64)
    r = ember.sort(x, out=(v, i))
    assert r.values is v and v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [1, 2, 0]


def _distinct(shape, seed=4):
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    return ember.tensor(rng.permutation(np.linspace(-2, 2, n)).reshape(shape),
                        dtype=ember.float64, requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda x: x.sort(1).values, lambda x: x.sort(0, descending=True).values,
    lambda x: x.topk(2, 1).values, lambda x: x.topk(2, 0, largest=False).values,
    lambda x: x.msort()], ids=["sort", "sort_desc", "topk", "topk_smallest", "msort"])
def test_gradcheck_and_gradgradcheck(fn):
    x = _distinct((3, 4))
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_large_topk_uses_partition_and_matches_torch():
    check_against_torch(lambda lib, x: lib.topk(x, 5, 1), [(3, 1000)], "float64")
    check_against_torch(lambda lib, x: lib.topk(x, 5, 0, largest=False), [(1000, 2)], "float64")
