"""ember.special and the torch-namespace special functions against torch: values, gradients
(random cotangent), float64 gradcheck/gradgradcheck, dtypes, methods, in-place, out= and
errors."""
import sys

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch as _check


def check_against_torch(fn, shapes, dtype="float32", *args, **kw):
    """The oracle with float64 tolerances loosened to 1e-8: SciPy and torch evaluate these
    functions with different algorithms and agree to ~1e-10 relative, not to the last digit."""
    if dtype == "float64":
        kw.setdefault("rtol", 1e-8)
        kw.setdefault("atol", 1e-10)
    return _check(fn, shapes, dtype, *args, **kw)

# name -> (input range); differentiable one-input functions of torch.special
SPECIAL_UNARY = {"i0e": (-3, 3), "i1": (-3, 3), "i1e": (-3, 3), "ndtr": (-3, 3),
                 "ndtri": (0.05, 0.95), "log_ndtr": (-4, 3), "erfcx": (-2, 3), "entr": (0.1, 3),
                 "digamma": (0.2, 4), "psi": (0.2, 4), "gammaln": (0.2, 4), "i0": (-3, 3),
                 "sinc": (-2, 2), "logit": (0.05, 0.95), "expit": (-3, 3), "erfinv": (-0.9, 0.9),
                 "multigammaln": (2.5, 5)}
NO_GRAD_UNARY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
                 "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                 "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                 "spherical_bessel_j0"]
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]
SHAPES = [(), (0,), (7,), (3, 4)]


def _call(lib, name, x):
    if name == "multigammaln":
        return lib.special.multigammaln(x, 3)
    return getattr(lib.special, name)(x)


@pytest.mark.parametrize("name", sorted(SPECIAL_UNARY))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_unary_matches_torch(name, shape, dtype):
    lo, hi = SPECIAL_UNARY[name]
    # SciPy and torch differ in the last few digits (float64: ~1e-10 relative)
    tol = {"rtol": 2e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-8, "atol": 1e-10}
    check_against_torch(lambda lib, x: _call(lib, name, x), [shape], dtype, lo, hi, **tol)


@pytest.mark.parametrize("name", NO_GRAD_UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_functions_without_derivative(name, dtype):
    # away from x ~ 5.5, where torch's float64 Bessel functions lose 7 digits (SciPy's don't)
    lo, hi = (0.1, 4.5)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-8, "atol": 1e-10}
    check_against_torch(lambda lib, x: getattr(lib.special, name)(x), [(4, 5)], dtype, lo, hi,
                        grad=False, **tol)


@pytest.mark.parametrize("name", NO_GRAD_UNARY + ["i1", "ndtr"])
def test_integer_input_gives_default_float(name):
    check_against_torch(lambda lib, x: getattr(lib.special, name)(x), [(5,)], "int64", 1, 4,
                        grad=False, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch(name):
    x = np.array([-8.5, -1.0, -0.999, -0.3, 0.0, 0.25, 0.5, 0.97, 1.0, 1.7, 4.2])
    n = np.array([-2.0, -0.5, 0.0, 0.7, 1.0, 2.0, 3.9, 5.0, 7.0, 9.0, 12.0])
    for dtype in (torch.float32, torch.float64):
        xt, nt = torch.tensor(x, dtype=dtype)[:, None], torch.tensor(n, dtype=dtype)
        expected = getattr(torch.special, name)(xt, nt).numpy()
        got = getattr(ember.special, name)(ember.tensor(xt.numpy()), ember.tensor(nt.numpy()))
        assert str(got.dtype) == str(expected.dtype).replace("float", "torch.float")
        np.testing.assert_allclose(got.numpy(), expected, rtol=2e-4 if dtype == torch.float32
                                   else 1e-9, atol=1e-5)
    # scalars on either side, as torch allows
    for args in ((0.3, ember.tensor([2.0, 5.0])), (ember.tensor([0.3, -0.4]), 4)):
        targs = [torch.tensor(a.numpy()) if isinstance(a, ember.Tensor) else a for a in args]
        np.testing.assert_allclose(getattr(ember.special, name)(*args).numpy(),
                                   getattr(torch.special, name)(*targs).numpy(), rtol=1e-5)


@pytest.mark.parametrize("name,lo,hi", [("xlog1py", -0.9, 3), ("zeta", 1.5, 4),
                                        ("gammainc", 0.5, 4), ("gammaincc", 0.5, 4),
                                        ("xlogy", 0.1, 3)])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (5,))])
def test_special_binary_matches_torch(name, lo, hi, shapes):
    for dtype in ("float32", "float64"):
        tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {}
        check_against_torch(lambda lib, a, b: getattr(lib.special, name)(a, b), list(shapes),
                            dtype, lo, hi, grad=name in ("xlog1py", "xlogy"), **tol)


def test_xlog1py_zero_and_scalars():
    check_against_torch(lambda lib, a, b: lib.special.xlog1py(a * 0, b), [(4,), (4,)],
                        "float64", -1.5, 2)
    check_against_torch(lambda lib, b: lib.special.xlog1py(2, b), [(4,)], "float64", 0, 2)
    check_against_torch(lambda lib, a: lib.special.xlog1py(a, 3.0), [(4,)], "float64", 0, 2)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_gradient_in_x(name):
    a = torch.tensor([0.7, 1.5, 3.0], dtype=torch.float64)
    check_against_torch(lambda lib, x: getattr(lib, name)(lib.tensor(a.numpy()), x), [(3,)],
                        "float64", 0.2, 3)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_polygamma(n):
    check_against_torch(lambda lib, x: lib.polygamma(n, x), [(3, 4)], "float64", 0.3, 4)
    check_against_torch(lambda lib, x: lib.special.polygamma(n, x), [(5,)], "float32", 0.3, 4,
                        rtol=1e-4, atol=1e-5)
    check_against_torch(lambda lib, x: x.polygamma(n), [(5,)], "float64", 0.3, 4)


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_mvlgamma(p):
    check_against_torch(lambda lib, x: lib.mvlgamma(x, p), [(3, 4)], "float64", p, p + 3)
    check_against_torch(lambda lib, x: x.mvlgamma(p=p), [(4,)], "float32", p, p + 3,
                        rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit(eps):
    check_against_torch(lambda lib, x: lib.logit(x, eps), [(6,)], "float64", 0.01, 0.99)
    check_against_torch(lambda lib, x: lib.logit(x, eps=eps), [(6,)], "float64", -0.5, 1.5,
                        transform=lambda a: np.where(np.abs(a - 0.5) > 0.45, a, 0.3))


@pytest.mark.parametrize("name", ["digamma", "lgamma", "i0", "sinc"])
def test_torch_namespace_unary(name):
    lo, hi = (0.2, 4) if name in ("digamma", "lgamma") else (-3, 3)
    for shape in SHAPES:
        check_against_torch(lambda lib, x: getattr(lib, name)(x), [shape], "float64", lo, hi)
    check_against_torch(lambda lib, x: getattr(x, name)(), [(3, 5)], "float32", lo, hi,
                        noncontig=True, rtol=1e-5, atol=1e-5)


def test_sinc_at_zero():
    check_against_torch(lambda lib, x: lib.sinc(x * 0), [(3,)], "float64")


GRADCHECK = [
    ("digamma", lambda x: ember.digamma(x), (0.3, 3)),
    ("lgamma", lambda x: ember.lgamma(x), (0.3, 3)),
    ("polygamma", lambda x: ember.polygamma(2, x), (0.3, 3)),
    ("mvlgamma", lambda x: ember.mvlgamma(x, 3), (1.5, 4)),
    ("i0", lambda x: ember.i0(x), (-2, 2)),
    ("i0e", lambda x: ember.special.i0e(x), (-2, 2)),
    ("i1", lambda x: ember.special.i1(x), (-2, 2)),
    ("i1e", lambda x: ember.special.i1e(x), (-2, 2)),
    ("ndtr", lambda x: ember.special.ndtr(x), (-2, 2)),
    ("ndtri", lambda x: ember.special.ndtri(x), (0.1, 0.9)),
    ("log_ndtr", lambda x: ember.special.log_ndtr(x), (-2, 2)),
    ("erfcx", lambda x: ember.special.erfcx(x), (-1, 2)),
    ("entr", lambda x: ember.special.entr(x), (0.2, 2)),
    ("sinc", lambda x: ember.sinc(x), (-2, 2)),
    ("logit", lambda x: ember.logit(x), (0.1, 0.9)),
    ("logit_eps", lambda x: ember.logit(x, 0.05), (0.1, 0.9)),
    ("xlog1py", lambda x: ember.special.xlog1py(x, x * x), (-2, 2)),
    ("igamma", lambda x: ember.igamma(ember.tensor([1.5, 2.0, 0.5]).double()[:, None], x),
     (0.2, 3)),
    ("ldexp", lambda x: ember.ldexp(x, x * 2), (-2, 2)),
    ("frexp", lambda x: ember.frexp(x).mantissa, (-2, 2)),
    ("nextafter", lambda x: ember.nextafter(x, x + 1), (-2, 2)),
]


@pytest.mark.parametrize("name,fn,domain", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck_and_gradgradcheck(name, fn, domain):
    x = ember.tensor(np.random.default_rng(3).uniform(*domain, (3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    if name not in ("nextafter",):
        assert ember.autograd.gradgradcheck(fn, (x,))


def test_third_derivative_of_lgamma_is_polygamma_2():
    x = ember.tensor([0.7, 2.5], dtype=ember.float64, requires_grad=True)
    (g1,) = ember.autograd.grad(ember.lgamma(x).sum(), x, create_graph=True)
    (g2,) = ember.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = ember.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), torch.polygamma(2, torch.tensor([0.7, 2.5],
                               dtype=torch.float64)).numpy(), rtol=1e-10)


def test_frexp_ldexp_heaviside():
    check_against_torch(lambda lib, x: lib.frexp(x)[0], [(3, 4)], "float32")
    for lib in (torch, ember):
        x = lib.tensor([0.0, 1.0, -3.5, 1e-3, 1024.0])
        mant, expo = lib.frexp(x)
        assert str(expo.dtype).endswith("int32")
        np.testing.assert_array_equal(expo.numpy(), [0, 1, 2, -9, 11])
        np.testing.assert_array_equal(mant.numpy(), lib.frexp(x).mantissa.numpy())
    check_against_torch(lambda lib, a, b: lib.ldexp(a, b), [(3, 4), (4,)], "float64")
    check_against_torch(lambda lib, a, b: lib.ldexp(a, b), [(5,), (5,)], "int64", -3, 3,
                        grad=False)
    check_against_torch(lambda lib, a, b: lib.heaviside(a, b), [(6,), (6,)], "float32",
                        transform=lambda a: np.round(a), grad=False)
    check_against_torch(lambda lib, a, b: lib.heaviside(a, b), [(6,), ()], "int64", -2, 2)


def test_isclose_allclose_equal():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, np.inf, 0.0, 2.1])
    for kw in [{}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.0, "rtol": 0.0}]:
        t = torch.isclose(torch.tensor(a), torch.tensor(b), **kw)
        e = ember.isclose(ember.tensor(a), ember.tensor(b), **kw)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert ember.allclose(ember.tensor(a), ember.tensor(b), **kw) == \
            torch.allclose(torch.tensor(a), torch.tensor(b), **kw)
    ia, ib = np.array([1, 2, 3]), np.array([1, 2, 4])
    np.testing.assert_array_equal(ember.isclose(ember.tensor(ia), ember.tensor(ib)).numpy(),
                                  torch.isclose(torch.tensor(ia), torch.tensor(ib)).numpy())
    assert ember.tensor(a[:1]).allclose(ember.tensor(b[:1]))
    assert ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2]))
    assert not ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2, 3]))
    assert not ember.tensor([1.0]).equal(ember.tensor([2.0]))


def test_inplace_methods_and_out():
    for name, args in [("digamma_", ()), ("lgamma_", ()), ("polygamma_", (1,)),
                       ("mvlgamma_", (2,)), ("i0_", ()), ("sinc_", ()), ("logit_", ()),
                       ("logit_", (0.1,))]:
        a = np.array([0.3, 0.6, 0.9]) + (1.0 if name == "mvlgamma_" else 0.0)
        t, e = torch.tensor(a), ember.tensor(a)
        getattr(t, name)(*args)
        assert getattr(e, name)(*args) is e
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-8, err_msg=name)
    out = ember.empty(3)
    res = ember.special.i1(ember.tensor([0.5, 1.0, 2.0]), out=out)
    assert res is out
    np.testing.assert_allclose(out.numpy(), torch.special.i1(torch.tensor([0.5, 1.0, 2.0])),
                               rtol=1e-6)
    out = ember.empty(2)
    ember.special.zeta(ember.tensor([2.0, 3.0]), 1.0, out=out)
    np.testing.assert_allclose(out.numpy(), [np.pi ** 2 / 6, 1.2020569], rtol=1e-6)


def test_grad_fn_names_match_torch():
    x = ember.tensor([0.5, 0.7], requires_grad=True)
    t = torch.tensor([0.5, 0.7], requires_grad=True)
    for f in (lambda lib, v: lib.special.i1(v), lambda lib, v: lib.digamma(v),
              lambda lib, v: lib.polygamma(2, v), lambda lib, v: lib.logit(v),
              lambda lib, v: lib.special.entr(v), lambda lib, v: lib.sinc(v),
              lambda lib, v: lib.special.log_ndtr(v), lambda lib, v: lib.mvlgamma(v + 2, 2)):
        assert f(ember, x).grad_fn.name() == f(torch, t).grad_fn.name()


@pytest.mark.parametrize("call,exc,message", [
    (lambda lib, x: lib.polygamma(-1, x), RuntimeError,
     "polygamma(n, x) does not support negative n."),
    (lambda lib, x: lib.mvlgamma(x, 0), RuntimeError, "p has to be greater than or equal to 1"),
    (lambda lib, x: lib.frexp(x.long()), RuntimeError,
     "torch.frexp() only supports floating-point dtypes"),
    (lambda lib, x: lib.heaviside(x, x.double()), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    (lambda lib, x: lib.isclose(x, x, rtol=-1), RuntimeError,
     "rtol must be greater than or equal to zero, but got -1"),
    (lambda lib, x: lib.isclose(x, x.double()), RuntimeError, "Float did not match Double"),
])
def test_errors_match_torch(call, exc, message):
    for lib in (torch, ember):
        with pytest.raises(exc) as info:
            call(lib, lib.ones(3))
        assert message in str(info.value)


def test_namespace_matches_torch_special():
    public = {n for n in dir(torch.special) if not n.startswith("_")} - {
        "Tensor", "common_args", "multi_dim_common", "torch"}
    assert not public - set(dir(ember.special))


@pytest.mark.parametrize("name,call", [
    ("softmax", lambda lib, x: lib.special.softmax(x, 1)),
    ("log_softmax", lambda lib, x: lib.special.log_softmax(x, 0, dtype=lib.float64)),
    ("logsumexp", lambda lib, x: lib.special.logsumexp(x, 1, keepdim=True)),
    ("expit", lambda lib, x: lib.special.expit(x)),
    ("exp2", lambda lib, x: lib.special.exp2(x)),
    ("round", lambda lib, x: lib.special.round(x)),
    ("erfc", lambda lib, x: lib.special.erfc(x)),
])
def test_aliases(name, call):
    check_against_torch(call, [(3, 4)], "float32")


def test_missing_scipy_names_pip_install(monkeypatch):
    from ember.backends.numpy_backend import _special
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match="pip install scipy"):
        _special("i1")(np.ones(2))


@pytest.mark.parametrize("call,values", [
    (lambda lib, x: lib.special.entr(x), [0.0, -1.0, 0.5]),
    (lambda lib, x: lib.special.i1(x), [0.0, 1e-3, -2.0]),
    (lambda lib, x: lib.special.i1e(x), [0.0, 1e-3, -2.0]),
    (lambda lib, x: lib.sinc(x), [0.0, 1e-3, -2.0]),
    (lambda lib, x: lib.logit(x), [-0.5, 0.0, 1.0, 1.5]),
    (lambda lib, x: lib.special.xlog1py(x * 0, x - 2), [-1.0, 0.0, 1.0]),
])
def test_gradients_at_edges_match_torch(call, values):
    """Where torch's formulas give 0, inf or nan (x == 0, outside the domain), ember agrees."""
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        call(lib, x).sum().backward()
        grads.append(np.asarray(x.grad.numpy()))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-8, atol=0)   # inf/nan must match
