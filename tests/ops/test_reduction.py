"""Reductions and scans against torch: values, dtypes, indices and gradients over shapes (0-dim,
zero-size, non-contiguous), dims (int, negative, tuple, None), keepdim and dtypes; float64
gradcheck/gradgradcheck; torch's errors."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, check_against_torch, make_inputs

SHAPES = [(), (0,), (5,), (3, 4), (2, 3, 4), (2, 0, 3)]
FLOATS = ["float32", "float64"]


def _dims(shape):
    """Representative ``dim`` arguments for a shape: None, ints (also negative), tuples."""
    nd = len(shape)
    out = [None]
    if nd == 0:
        return out + [0, -1]
    out += [0, -1]
    if nd >= 2:
        out += [(0, -1), (-1, 0)]
    if nd >= 3:
        out += [1, (0, 1, 2)]
    return out


def _int_dims(shape):
    return [0, -1] + ([1] if len(shape) >= 3 else [])


def _cases(dim_fn=_dims):
    return [(s, d) for s in SHAPES for d in dim_fn(s)]


def _same_or_both_raise(fn, shape, dtype="float32", **kw):
    """If torch rejects the call, ember must raise the same kind of exception; otherwise compare
    values and gradients."""
    lo, hi = kw.get("low", -2.0), kw.get("high", 2.0)
    _, t_in, _ = make_inputs([shape], dtype, lo, hi, requires_grad=False)
    try:
        fn(torch, t_in[0])
    except (RuntimeError, IndexError, TypeError) as exc:
        _, _, e_in = make_inputs([shape], dtype, lo, hi, requires_grad=False)
        with pytest.raises(type(exc)):
            fn(ember, e_in[0])
        return
    check_against_torch(fn, [shape], dtype, **kw)


def _reduce_kwargs(d, keepdim):
    kw = {} if d is None else {"dim": d}
    if keepdim:
        kw["keepdim"] = True
    return kw


# --- sum / mean / amax / amin / logsumexp / all / any / count_nonzero over dims ------------------
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "sum_method"])
@pytest.mark.parametrize("shape,dim", _cases())
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_dim_reductions(name, shape, dim, keepdim, dtype):
    if name == "sum_method":          # the method spelling, positional dim
        if dim is None:
            return
        _same_or_both_raise(lambda lib, x: x.sum(dim, keepdim), shape, dtype)
        return
    if name == "logsumexp" and dim is None:
        dim = tuple(range(len(shape))) if shape else 0    # torch requires a dim
    if dim is None and name in ("amax", "amin"):
        dim = ()                          # their "all dims" spelling
    kw = {"dim": dim, "keepdim": keepdim}
    _same_or_both_raise(lambda lib, x: getattr(lib, name)(x, **kw), shape, dtype)


@pytest.mark.parametrize("name", ["all", "any", "count_nonzero"])
@pytest.mark.parametrize("shape,dim", _cases())
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
def test_logical_reductions(name, shape, dim, dtype):
    def transform(a):
        if a.size:
            a.reshape(-1)[::3] = 0        # some zeros so all() is not trivially true
        return a
    kw = {} if dim is None else {"dim": dim}
    if name != "count_nonzero":
        for keepdim in (False, True):
            check_against_torch(lambda lib, x: getattr(lib, name)(x, **kw, keepdim=keepdim),
                                [shape], dtype, 0, 3, grad=False, transform=transform)
    else:
        check_against_torch(lambda lib, x: lib.count_nonzero(x, **kw), [shape], dtype, 0, 3,
                            grad=False, transform=transform)


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "uint8", "int8"])
@pytest.mark.parametrize("name", ["sum", "prod", "amax", "amin", "max", "min", "argmax",
                                  "argmin", "cumsum", "cumprod"])
def test_integer_inputs(name, dtype):
    def fn(lib, x):
        if name in ("cumsum", "cumprod"):
            return getattr(lib, name)(x, 1)
        return getattr(lib, name)(x)
    _same_or_both_raise(fn, (3, 4), dtype, low=0, high=3, grad=False)
    if name in ("sum", "prod", "cumsum", "cumprod", "max", "argmax"):
        _same_or_both_raise(lambda lib, x: getattr(lib, name)(x, 0), (3, 4), dtype, low=0,
                            high=3, grad=False)


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod"])
def test_dtype_argument(name):
    def fn(lib, x):
        if name in ("cumsum", "cumprod"):
            return getattr(lib, name)(x, 0, dtype=lib.float64)
        return getattr(lib, name)(x, dtype=lib.float64)
    check_against_torch(fn, [(3, 2)], "float32", 0.5, 1.5)
    check_against_torch(fn, [(3, 2)], "int32", 0, 3, grad=False)


def test_mean_dtype_and_integer_error():
    check_against_torch(lambda lib, x: lib.mean(x, 0, dtype=lib.float64), [(3, 2)])
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        ember.mean(ember.tensor([1, 2]))


def test_noncontiguous_reductions():
    for fn in (lambda lib, x: x.sum(0), lambda lib, x: x.amax(1), lambda lib, x: x.prod(1),
               lambda lib, x: x.max(0).values, lambda lib, x: x.var(1),
               lambda lib, x: x.norm(dim=0), lambda lib, x: x.logsumexp(1),
               lambda lib, x: x.cumsum(1), lambda lib, x: x.cumprod(0)):
        check_against_torch(fn, [(4, 5)], "float64", noncontig=True)


# --- prod ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_prod(shape, keepdim, dtype):
    check_against_torch(lambda lib, x: lib.prod(x), [shape], dtype, 0.5, 1.5)
    for d in (_int_dims(shape) if shape else [0, -1]):
        check_against_torch(lambda lib, x: x.prod(d, keepdim), [shape], dtype, 0.5, 1.5)


def _zeros(a):
    """One zero in the first slice, two in the second, none elsewhere (along dim 1)."""
    a = a.copy()
    a[0, 1] = 0
    a[1, 0] = 0
    a[1, 2] = 0
    return a


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod_gradient_with_zeros(dim):
    fn = (lambda lib, x: x.prod()) if dim is None else (lambda lib, x: x.prod(dim))
    check_against_torch(fn, [(3, 4)], "float64", transform=_zeros)
    check_against_torch(lambda lib, x: x.prod(), [(4,)], "float64",
                        transform=lambda a: np.where(np.arange(4) == 2, 0, a))


# --- max / min / argmax / argmin -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_max_min_with_dim(name, shape, keepdim, dtype):
    for d in (_int_dims(shape) if shape else [0, -1]):
        _same_or_both_raise(lambda lib, x: getattr(lib, name)(x, d, keepdim), shape, dtype)
        _same_or_both_raise(lambda lib, x: getattr(x, name)(dim=d, keepdim=keepdim).values,
                            shape, dtype)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", SHAPES)
def test_max_min_full(name, shape):
    _same_or_both_raise(lambda lib, x: getattr(lib, name)(x), shape)


def test_max_returns_named_tuple():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    r = ember.max(x, 1)
    assert isinstance(r, tuple) and type(r).__name__ == "max"
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is values
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == ember.int64
    assert type(x.min(dim=0)).__name__ == "min"
    assert "values=" in repr(r) and "indices=" in repr(r)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_binary_form(name):
    check_against_torch(lambda lib, a, b: getattr(lib, name)(a, b), [(3, 4), (4,)])
    check_against_torch(lambda lib, a, b: getattr(a, name)(b), [(3, 4), (3, 4)])


def test_max_min_ties():
    # max over a dim reports the first maximum and sends it the whole gradient; amax and
    # max() split the gradient evenly among ties
    def tied(a):
        return np.round(a)
    for fn in (lambda lib, x: x.max(1), lambda lib, x: x.min(0), lambda lib, x: x.amax(1),
               lambda lib, x: x.amin((0, 1)), lambda lib, x: x.max(), lambda lib, x: x.min()):
        check_against_torch(fn, [(4, 6)], "float64", -1, 1, transform=tied)


def test_nan_propagation():
    def nans(a):
        a = a.copy()
        a[0, 2] = np.nan
        a[2, 0] = np.nan
        a[2, 3] = np.nan
        return a
    for fn in (lambda lib, x: x.max(1), lambda lib, x: x.min(0), lambda lib, x: x.amax(1),
               lambda lib, x: x.amin(), lambda lib, x: x.max(), lambda lib, x: x.argmax(1),
               lambda lib, x: x.argmin(), lambda lib, x: x.sum(1), lambda lib, x: x.prod(0),
               lambda lib, x: x.logsumexp(1), lambda lib, x: x.var(1), lambda lib, x: x.norm(),
               lambda lib, x: x.cumsum(1), lambda lib, x: x.mean(0)):
        check_against_torch(fn, [(3, 4)], "float32", grad=False, transform=nans)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(name, shape, keepdim):
    for d in [None] + (_int_dims(shape) if shape else [0, -1]):
        _same_or_both_raise(lambda lib, x: getattr(lib, name)(x, d, keepdim), shape)
        _same_or_both_raise(lambda lib, x: getattr(x, name)(dim=d, keepdim=keepdim), shape)


# --- var / std -----------------------------------------------------------------------------------
VAR_SHAPES = [(5,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("shape", VAR_SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("correction", [None, 0, 1, 2])
@pytest.mark.parametrize("dtype", FLOATS)
def test_var_std(name, shape, keepdim, correction, dtype):
    for d in _dims(shape):
        kw = _reduce_kwargs(d, keepdim)
        if correction is not None:
            kw["correction"] = correction
        if correction == 2 and _n_reduced(shape, d) <= 2:
            continue                       # torch warns (dof <= 0): tested separately
        check_against_torch(lambda lib, x: getattr(lib, name)(x, **kw), [shape], dtype)


def _n_reduced(shape, d):
    if d is None:
        return math.prod(shape)
    ds = (d,) if isinstance(d, int) else d
    return math.prod(shape[i] for i in ds)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_legacy_unbiased(name):
    check_against_torch(lambda lib, x: getattr(lib, name)(x, False), [(3, 4)])
    check_against_torch(lambda lib, x: getattr(lib, name)(x, 1, False, True), [(3, 4)])
    check_against_torch(lambda lib, x: getattr(x, name)(0, unbiased=True), [(3, 4)])
    check_against_torch(lambda lib, x: getattr(x, name)(unbiased=False), [(3, 4)])


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_var_mean_std_mean(name):
    check_against_torch(lambda lib, x: getattr(lib, name)(x)[0], [(3, 4)])
    check_against_torch(lambda lib, x: getattr(lib, name)(x, 1, keepdim=True)[1], [(3, 4)])
    check_against_torch(lambda lib, x: getattr(lib, name)(x, (0, 1), correction=0)[0], [(3, 4)])
    _, t_in, e_in = make_inputs([(3, 4)])
    assert_same(getattr(ember, name)(e_in[0], 0), getattr(torch, name)(t_in[0], 0))


def test_std_zero_spread_has_zero_gradient():
    check_against_torch(lambda lib, x: x.std(1), [(3, 4)], "float64",
                        transform=lambda a: np.where(np.arange(3)[:, None] == 1, 2.0, a))


def test_var_degrees_of_freedom_warning():
    x = ember.tensor([1.0])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        r = x.var()
    assert math.isnan(r.item())
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        r = ember.tensor([1.0, 2.0]).std(correction=3)
    assert math.isinf(r.item())


def test_var_std_reject_integers():
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        ember.tensor([1, 2]).var()


def test_var_complex():
    check_against_torch(lambda lib, x: x.var(0), [(4, 3)], "complex128")


# --- norm ----------------------------------------------------------------------------------------
NORM_P = ["fro", 2, 1, math.inf, -math.inf, 0, 3, 0.5, 1.5, -1, None]


@pytest.mark.parametrize("p", NORM_P, ids=str)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (0,), (2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_norm(p, shape, keepdim, dtype):
    lo = 0.5 if p in (-1, -math.inf) else -2
    for d in _dims(shape):
        if isinstance(d, tuple) and len(d) > 2:
            continue
        if p is None:
            fn = (lambda lib, x: lib.norm(x, dim=d, keepdim=keepdim))
        else:
            fn = (lambda lib, x: lib.norm(x, p, d, keepdim))
        _same_or_both_raise(fn, shape, dtype, low=lo)


@pytest.mark.parametrize("p", [2, 1, math.inf, 3, 0.5], ids=str)
def test_norm_zero_vector_gradient(p):
    zero_row = (lambda a: np.where(np.arange(3)[:, None] == 1, 0.0, a))
    check_against_torch(lambda lib, x: x.norm(p, dim=1), [(3, 4)], "float64", transform=zero_row)
    check_against_torch(lambda lib, x: x.norm(p), [(3,)], "float64", transform=lambda a: a * 0)


def test_norm_entries_zero():
    zero = (lambda a: np.where(np.arange(4) == 1, 0.0, a))
    for p in (0.5, 1.5, 3, 1, math.inf):
        check_against_torch(lambda lib, x: x.norm(p), [(4,)], "float64", transform=zero)


def test_norm_dtype_complex_and_errors():
    check_against_torch(lambda lib, x: lib.norm(x, dtype=lib.float64), [(3, 4)])
    check_against_torch(lambda lib, x: x.norm(), [(3, 4)], "complex128")
    check_against_torch(lambda lib, x: x.norm(1, dim=0), [(3, 4)], "complex128")
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as "
                                           "input. Got Long"):
        ember.norm(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        ember.norm(ember.zeros(0), math.inf)
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
        ember.norm(ember.ones(2, 2, 2), "fro", dim=(0, 1, 2))


# --- cumsum / cumprod ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_scans(name, shape, dtype):
    for d in (_int_dims(shape) if shape else [0, -1]):
        check_against_torch(lambda lib, x: getattr(lib, name)(x, d), [shape], dtype, 0.5, 1.5)
        check_against_torch(lambda lib, x: getattr(x, name)(dim=d), [shape], dtype, 0.5, 1.5)


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradient_with_zeros(dim):
    check_against_torch(lambda lib, x: x.cumprod(dim), [(3, 4)], "float64", transform=_zeros)
    check_against_torch(lambda lib, x: x.cumprod(0), [(5,)], "float64",
                        transform=lambda a: np.where((np.arange(5) == 1) | (np.arange(5) == 3),
                                                     0, a))


@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_scans_in_place(name, dtype):
    def fn(lib, x):
        y = x * 1
        r = getattr(y, name)(1)
        assert r is y
        return y
    check_against_torch(fn, [(3, 4)], dtype, 0, 3, grad=dtype == "float32")


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda lib, x: x.sum(2), lambda lib, x: x.mean(-3), lambda lib, x: x.amax(5),
    lambda lib, x: x.max(2), lambda lib, x: x.argmax(2), lambda lib, x: x.var(3),
    lambda lib, x: x.norm(dim=2), lambda lib, x: x.logsumexp(2), lambda lib, x: x.all(2),
    lambda lib, x: x.cumsum(2), lambda lib, x: x.cumprod(-3), lambda lib, x: x.prod(2),
    lambda lib, x: x.std((0, 2))])
def test_dimension_out_of_range(call):
    xt, xe = torch.ones(2, 3), ember.ones(2, 3)
    with pytest.raises(IndexError) as te:
        call(torch, xt)
    with pytest.raises(IndexError) as ee:
        call(ember, xe)
    assert str(ee.value) == str(te.value)
    assert "Dimension out of range" in str(ee.value)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.max(), lambda lib, x: x.min(), lambda lib, x: x.amax(),
    lambda lib, x: x.max(1), lambda lib, x: x.min(1), lambda lib, x: x.amax(1),
    lambda lib, x: x.amin((0, 1)), lambda lib, x: x.argmax(), lambda lib, x: x.argmin(1)])
def test_reduction_over_empty_dim_errors(call):
    xt, xe = torch.ones(2, 0), ember.ones(2, 0)
    with pytest.raises((RuntimeError, IndexError)) as te:
        call(torch, xt)
    with pytest.raises(type(te.value)) as ee:
        call(ember, xe)
    assert str(ee.value) == str(te.value)


def test_duplicate_dims_and_bad_dim_types():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        ember.ones(2, 3).sum((0, 0))
    with pytest.raises(TypeError):
        ember.ones(2, 3).max(dim=(0,))
    with pytest.raises(TypeError):
        ember.ones(2, 3).argmax(dim=(0,))


def test_grad_fn_names():
    x = ember.ones(2, 3, requires_grad=True)
    names = {"MaxBackward1": x.max(), "MaxBackward0": x.max(0).values, "AmaxBackward0": x.amax(0),
             "MinBackward0": x.min(1).values, "ProdBackward0": x.prod(),
             "ProdBackward1": x.prod(0), "VarBackward0": x.var(), "StdBackward0": x.std(0),
             "LinalgVectorNormBackward0": x.norm(), "LogsumexpBackward0": x.logsumexp(1),
             "CumsumBackward0": x.cumsum(0), "CumprodBackward0": x.cumprod(0)}
    for name, t in names.items():
        assert t.grad_fn.name() == name
    assert x.max(0).indices.grad_fn is None and not x.max(0).indices.requires_grad
    assert x.argmax().grad_fn is None


def test_out_argument():
    x = ember.tensor([[1.0, 4.0], [3.0, 2.0]])
    out = ember.empty(0)
    r = ember.sum(x, 0, out=out)
    assert r is out and out.tolist() == [4.0, 6.0]
    v, i = ember.empty(0), ember.empty(0, dtype=ember.int64)
    r = ember.max(x, 1, out=(v, i))
    assert r.values is v and v.tolist() == [4.0, 3.0] and i.tolist() == [1, 0]


# --- float64 gradcheck / gradgradcheck ---------------------------------------------------------
def _distinct(shape, seed=3, lo=0.5, hi=2.0):
    """Values without ties (so max/sort have one well-defined derivative), away from 0."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    vals = np.linspace(lo, hi, n) * rng.choice([-1, 1], n)
    return ember.tensor(rng.permutation(vals).reshape(shape), dtype=ember.float64,
                        requires_grad=True)


GRAD_FNS = {
    "sum": lambda x: x.sum(1),
    "sum_keepdim": lambda x: x.sum((0, 1), keepdim=True),
    "mean": lambda x: x.mean(0),
    "prod_all": lambda x: x.prod(),
    "prod_dim": lambda x: x.prod(1, keepdim=True),
    "amax": lambda x: x.amax(1),
    "amin": lambda x: x.amin((0, 1)),
    "max_all": lambda x: x.max(),
    "min_all": lambda x: x.min(),
    "max_dim": lambda x: x.max(1).values,
    "min_dim_keepdim": lambda x: x.min(0, keepdim=True).values,
    "var": lambda x: x.var(1),
    "var_all": lambda x: x.var(correction=0),
    "std": lambda x: x.std(0, keepdim=True),
    "std_all": lambda x: x.std(),
    "norm_fro": lambda x: x.norm(),
    "norm_2_dim": lambda x: x.norm(2, 1),
    "norm_1": lambda x: x.norm(1, 0),
    "norm_inf": lambda x: x.norm(math.inf, 1),
    "norm_ninf": lambda x: x.norm(-math.inf),
    "norm_3": lambda x: x.norm(3, 1),
    "norm_half": lambda x: x.norm(0.5),
    "logsumexp": lambda x: x.logsumexp(1),
    "logsumexp_all": lambda x: x.logsumexp((0, 1), keepdim=True),
    "cumsum": lambda x: x.cumsum(1),
    "cumprod": lambda x: x.cumprod(0),
    "cumprod_dim1": lambda x: x.cumprod(-1),
}


@pytest.mark.parametrize("name", sorted(GRAD_FNS))
def test_gradcheck_and_gradgradcheck(name):
    x = _distinct((3, 4))
    fn = GRAD_FNS[name]
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["prod_all", "prod_dim"])
def test_prod_gradgradcheck_with_zeros(name):
    x = ember.tensor(_zeros(_distinct((3, 4))._array), requires_grad=True)
    assert ember.autograd.gradcheck(GRAD_FNS[name], (x,))
    assert ember.autograd.gradgradcheck(GRAD_FNS[name], (x,))


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradcheck_with_zeros(dim):
    x = ember.tensor(_zeros(_distinct((3, 4))._array), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: t.cumprod(dim), (x,))


def test_second_derivatives_against_torch():
    # create_graph through the rules, compared with torch's double backward
    for fn in (lambda lib, x: x.prod(1), lambda lib, x: x.norm(dim=1), lambda lib, x: x.std(0),
               lambda lib, x: x.logsumexp(1), lambda lib, x: x.cumprod(1),
               lambda lib, x: x.amax(0), lambda lib, x: x.max(1).values):
        vals = _distinct((3, 4))._array
        xt = torch.tensor(vals, requires_grad=True)
        xe = ember.tensor(vals, requires_grad=True)
        gt, = torch.autograd.grad(fn(torch, xt).sum(), xt, create_graph=True)
        ge, = ember.autograd.grad(fn(ember, xe).sum(), xe, create_graph=True)
        assert_same(ge, gt, 1e-10, 1e-12)
        if not gt.requires_grad:          # piecewise-linear ops: a constant gradient
            assert not ge.requires_grad
            continue
        ht, = torch.autograd.grad((gt * gt).sum(), xt)
        he, = ember.autograd.grad((ge * ge).sum(), xe)
        assert_same(he, ht, 1e-8, 1e-10)


def test_logsumexp_integers_and_infinities():
    check_against_torch(lambda lib, x: lib.logsumexp(x, 1), [(3, 4)], "int64", 0, 5, grad=False)

    def infs(a):
        a = a.copy()
        a[0, :] = -np.inf              # an all -inf row stays -inf (no inf - inf)
        a[1, 2] = np.inf
        return a
    check_against_torch(lambda lib, x: lib.logsumexp(x, 1), [(3, 4)], "float64", grad=False,
                        transform=infs)
    check_against_torch(lambda lib, x: lib.logsumexp(x, 1, keepdim=True), [(3, 0)])
