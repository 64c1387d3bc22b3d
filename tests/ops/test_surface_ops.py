"""The op-surface families the OpInfo database exercises only partly (ember/ops/selection.py,
searching.py, statistics.py, combine.py, scatter_reduce.py): values and gradients on
non-contiguous inputs, float64 gradcheck through the rules written here, out=, error messages."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from tests.helpers.oracle import assert_same, check_against_torch

CASES = {
    "median_dim": (lambda L, x: L.median(x, 1).values, [(4, 5)]),
    "nanmedian_dim": (lambda L, x: L.nanmedian(x, 0, keepdim=True).values, [(4, 5)]),
    "kthvalue": (lambda L, x: L.kthvalue(x, 2, -1).values, [(3, 6)]),
    "mode": (lambda L, x: L.mode(x.round(), 0).values, [(6, 3)]),
    "cummax": (lambda L, x: L.cummax(x, 1).values, [(3, 7)]),
    "cummin": (lambda L, x: L.cummin(x, 0).values, [(5, 2)]),
    "quantile": (lambda L, x: L.quantile(x, 0.3, dim=1), [(3, 8)]),
    "quantile_q_tensor": (lambda L, x: L.quantile(x, L.tensor([0.25, 0.5], dtype=x.dtype)),
                          [(9,)]),
    "nansum": (lambda L, x: L.nansum(x.log(), 1), [(3, 4)]),
    "nanmean": (lambda L, x: L.nanmean(x.log(), (0, 1)), [(3, 4)]),
    "logcumsumexp": (lambda L, x: L.logcumsumexp(x, 1), [(3, 5)]),
    "cov": (lambda L, x: L.cov(x), [(3, 6)]),
    "corrcoef": (lambda L, x: L.corrcoef(x), [(3, 6)]),
    "renorm": (lambda L, x: L.renorm(x, 2, 0, 1.0), [(3, 4)]),
    "diff": (lambda L, x, y: L.diff(x, 2, 0, prepend=y), [(5, 3), (2, 3)]),
    "gradient": (lambda L, x: L.gradient(x, spacing=0.5, dim=1, edge_order=2)[0], [(3, 6)]),
    "trapezoid": (lambda L, x, y: L.trapezoid(x, y, dim=0), [(5, 2), (5,)]),
    "cumulative_trapezoid": (lambda L, x: L.cumulative_trapezoid(x, dx=0.3), [(2, 6)]),
    "hstack": (lambda L, x, y: L.hstack([x, y]), [(3, 2), (3, 4)]),
    "column_stack": (lambda L, x, y: L.column_stack([x, y]), [(3,), (3, 2)]),
    "dstack": (lambda L, x, y: L.dstack([x, y]), [(3, 2), (3, 2)]),
    "block_diag": (lambda L, x, y: L.block_diag(x, y), [(2, 3), (3,)]),
    "cartesian_prod": (lambda L, x, y: L.cartesian_prod(x, y), [(3,), (2,)]),
    "combinations": (lambda L, x: L.combinations(x, 2, with_replacement=True), [(4,)]),
    "diag_embed": (lambda L, x: L.diag_embed(x, 1, 0, 2), [(2, 3)]),
    "diagflat": (lambda L, x: L.diagflat(x, -1), [(2, 2)]),
    "rot90": (lambda L, x: L.rot90(x, 3, [1, 0]), [(2, 3, 4)]),
    "diagonal_scatter": (lambda L, x, y: L.diagonal_scatter(x, y, 1), [(3, 4), (3,)]),
    "slice_scatter": (lambda L, x, y: L.slice_scatter(x, y, 1, 1, 5, 2), [(3, 6), (3, 2)]),
    "select_scatter": (lambda L, x, y: L.select_scatter(x, y, 0, -1), [(3, 4), (4,)]),
    "meshgrid_xy": (lambda L, x, y: L.meshgrid(x, y, indexing="xy")[0] * 2, [(3,), (4,)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("noncontig", [False, True])
def test_against_torch(name, noncontig):
    fn, shapes = CASES[name]
    check_against_torch(fn, shapes, low=0.1, high=3.0, noncontig=noncontig)


GRADCHECK = ["median_dim", "kthvalue", "cummax", "quantile", "logcumsumexp", "cov", "renorm",
             "gradient", "diag_embed", "diagonal_scatter", "slice_scatter", "block_diag"]


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck_float64(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(3)
    xs = [ember.tensor(rng.uniform(0.1, 3.0, s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda *a: fn(ember, *a), tuple(xs))


@pytest.mark.parametrize("name", ["logcumsumexp", "diagonal_scatter", "cov"])
def test_gradgradcheck_float64(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(4)
    xs = [ember.tensor(rng.uniform(0.1, 3.0, s), requires_grad=True) for s in shapes]
    assert gradgradcheck(lambda *a: fn(ember, *a), tuple(xs))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    idx = [[0, 1, 0], [2, 2, 1]]

    def fn(L, x, s):
        return x.scatter_reduce(1, L.tensor(idx), s, reduce, include_self=include_self)
    check_against_torch(fn, [(2, 4), (2, 3)], low=0.5, high=2.0)


def test_scatter_reduce_prod_gradient_with_one_zero():
    x = [[1.0, 2.0, 3.0]]
    s = [[0.0, 4.0]]

    def fn(L, a, b):
        return a.scatter_reduce(1, L.tensor([[0, 0]]), b, "prod")
    t_a, t_b = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
    e_a, e_b = ember.tensor(x, requires_grad=True), ember.tensor(s, requires_grad=True)
    fn(torch, t_a, t_b).sum().backward()
    fn(ember, e_a, e_b).sum().backward()
    assert_same(e_a.grad, t_a.grad)
    assert_same(e_b.grad, t_b.grad)


def test_searching_against_torch():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, (4, 5))
    for lib_out in [(lambda L, x: L.unique(x, return_inverse=True, return_counts=True)),
                    (lambda L, x: L.unique(x, dim=1, return_inverse=True)),
                    (lambda L, x: L.unique_consecutive(x.flatten(), return_counts=True)),
                    (lambda L, x: L.nonzero(x)),
                    (lambda L, x: L.nonzero(x, as_tuple=True)),
                    (lambda L, x: L.argwhere(x > 2)),
                    (lambda L, x: L.isin(x, L.tensor([1, 3]))),
                    (lambda L, x: L.bucketize(x, L.tensor([0, 2]), right=True)),
                    (lambda L, x: L.searchsorted(L.tensor([[0, 1, 3]] * 4), x, side="right")),
                    (lambda L, x: L.bincount(x.flatten(), minlength=6))]:
        assert_same(lib_out(ember, ember.tensor(a)), lib_out(torch, torch.tensor(a)))


def test_vander_gradient():
    # torch 2.13's own vander backward fails its version check, so finite differences judge
    x = ember.tensor([0.5, -1.5, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: ember.vander(t, 4), (x,))


def test_index_grids_against_torch():
    for fn in [lambda L: L.tril_indices(3, 5, 1), lambda L: L.triu_indices(4, 3, -1),
               lambda L: L.unravel_index(L.tensor([[5, 0], [7, -1]]), (2, 4)),
               lambda L: L.vander(L.tensor([1, 2, 3]), increasing=True)]:
        assert_same(fn(ember), fn(torch))


def test_histograms_against_torch():
    rng = np.random.default_rng(1)
    a = rng.normal(size=50).astype(np.float32)
    assert_same(ember.histc(ember.tensor(a), 7, -1, 1), torch.histc(torch.tensor(a), 7, -1, 1))
    e = ember.histogram(ember.tensor(a), 5, density=True)
    t = torch.histogram(torch.tensor(a), 5, density=True)
    assert_same(e.hist, t.hist)
    assert_same(e.bin_edges, t.bin_edges)


def test_gcd_lcm_and_constants():
    a, b = [12, -18, 0], [8, 27, 5]
    assert_same(ember.gcd(ember.tensor(a), ember.tensor(b)), torch.gcd(torch.tensor(a),
                                                                       torch.tensor(b)))
    assert_same(ember.tensor(a).lcm(ember.tensor(b)), torch.tensor(a).lcm(torch.tensor(b)))
    with pytest.raises(NotImplementedError, match="gcd_cpu.*Float"):
        ember.gcd(ember.ones(2), ember.tensor([1, 2]))
    assert (ember.pi, ember.e, ember.inf) == (torch.pi, torch.e, torch.inf)
    assert np.isnan(ember.nan)


def test_out_arguments():
    x = ember.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    out = ember.empty(0)
    assert ember.quantile(x, 0.5, 1, out=out) is out
    assert out.tolist() == [2.0, 4.0]
    vals, idx = ember.empty(0), ember.empty(0, dtype=ember.int64)
    r = ember.kthvalue(x, 1, 1, out=(vals, idx))
    assert r.values is vals and idx.tolist() == [1, 0]
    o = ember.empty(0)
    assert ember.diff(x, out=o) is o and o.tolist() == [[-2.0, 1.0], [5.0, -1.0]]


ERRORS = [
    (lambda: ember.quantile(ember.ones(3), 1.5), RuntimeError, r"q values must be in the range"),
    (lambda: ember.quantile(ember.ones(3, dtype=ember.int64), 0.5), RuntimeError,
     "float or double"),
    (lambda: ember.kthvalue(ember.ones(3), 4), RuntimeError, "k out of range"),
    (lambda: ember.median(ember.ones(2, 0), 1), IndexError, "non-zero size"),
    (lambda: ember.diff(ember.tensor(1.0)), RuntimeError, "at least one-dimensional"),
    (lambda: ember.rot90(ember.ones(3)), RuntimeError, "total dims >= 2"),
    (lambda: ember.block_diag(ember.ones(1, 1, 1)), RuntimeError, "2 or fewer dimensions"),
    (lambda: ember.hsplit(ember.ones(4, 5), 2), RuntimeError, "not divisible"),
    (lambda: ember.combinations(ember.ones(2, 2)), RuntimeError, "Expect a 1D vector"),
    (lambda: ember.select_scatter(ember.ones(2, 3), ember.ones(2), 0, 0), RuntimeError,
     "src size = \\[2\\], slice size = \\[3\\]"),
    (lambda: ember.scatter_reduce(ember.ones(3), 0, ember.tensor([0]), ember.ones(1), "max"),
     RuntimeError, "reduce argument must be"),
    (lambda: ember.bincount(ember.tensor([-1, 2])), RuntimeError, "non-negative"),
    (lambda: ember.index_reduce(ember.ones(3), 0, ember.tensor([0, 1]), ember.ones(3), "prod"),
     RuntimeError, "Number of indices \\(2\\) should be equal to source.size"),
    (lambda: ember.cov(ember.ones(2, 2, 2)), ValueError, "two or fewer dimensions"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, pattern = ERRORS[i]
    with pytest.raises(exc, match=pattern):
        fn()
