"""Special functions (gamma family, Bessel functions, error-function relatives, orthogonal
polynomials) as table rows, each with its derivative. Kernels call ``m.special_<name>``, which
the NumPy backend maps to ``scipy.special`` (imported lazily); float32 stays float32 and integer
inputs become the default float dtype, as in torch.

The torch-namespace functions (``ember.digamma``, ``Tensor.lgamma_``…) are registered here; the
``ember.special`` namespace (special.py) re-exports the ``special_*`` functions defined below.
"""
import math

import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import Tensor, wrap
from . import dispatch
from ._public import expose_binary, expose_unary, write_out
from .registry import METHODS, binary, op, public, unary

_SQRT_2PI = math.sqrt(2 * math.pi)
_2_SQRTPI = 2 / math.sqrt(math.pi)
_LOG_PI = math.log(math.pi)
F = "float"


def _up(a):
    # scipy has no bfloat16 (and few float16) loops: compute those in float32
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)


def _like(out, a, dt=None):
    """scipy answers some float32 calls in float64: hand back the input's dtype."""
    dt = a.dtype if dt is None else dt
    return out.astype(dt, copy=False) if out.dtype != dt else out


def _sp(name):
    """Kernel ``m.special_<name>(a)`` with the input's dtype kept."""
    def kernel(m, a):
        return _like(getattr(m, "special_" + name)(_up(a)), a)
    kernel.__name__ = name
    return kernel


def _sp2(name):
    """Kernel ``m.special_<name>(a, b)`` in the promoted dtype of its (array or scalar) inputs."""
    def kernel(m, a, b):
        dt = np.result_type(a, b)
        a, b = (_up(v) if hasattr(v, "dtype") else v for v in (a, b))
        return _like(getattr(m, "special_" + name)(a, b), None, dt)
    kernel.__name__ = name
    return kernel


def _safe(m, a):
    # a divisor that is never 0: rules mask the a == 0 entries themselves
    return m.where(a == 0, 1, a)


def _sinc_grad(m, g, a, out):
    pa = math.pi * a
    d = (m.cos(pa) * pa - m.sin(pa)) / (pa * _safe(m, a))
    return g * m.conj(m.where(a == 0, 0, d))


# --- one-input rows (float math: integers are first cast to the default float dtype) ----------
UNARY_ROWS = [
    unary("digamma", "digamma", keep="a", dtype_rule=F, kernel=_sp("digamma"),
          grad=lambda m, g, a, out: g * m.special_polygamma(1, a)),
    unary("lgamma", "gammaln", keep="a", dtype_rule=F, kernel=_sp("gammaln"),
          grad=lambda m, g, a, out: g * m.special_digamma(a)),
    unary("i0", "i0", keep="a", dtype_rule=F, kernel=_sp("i0"),
          grad=lambda m, g, a, out: g * m.special_i1(a)),
    unary("sinc", "sinc", keep="a", dtype_rule=F, kernel=lambda m, a: m.sinc(a), grad=_sinc_grad),
]
for _o in UNARY_ROWS:
    expose_unary(_o)

SPECIAL_ROWS = [
    unary("special_i0e", "i0e", keep="a+out", dtype_rule=F, kernel=_sp("i0e"),
          grad=lambda m, g, a, out: g * (m.special_i1e(a) - m.sign(a) * out)),
    unary("special_i1", "i1", keep="a+out", dtype_rule=F, kernel=_sp("i1"),
          grad=lambda m, g, a, out:
          g * m.where(a == 0, 0.5, m.special_i0(a) - out / _safe(m, a))),
    unary("special_i1e", "i1e", keep="a+out", dtype_rule=F, kernel=_sp("i1e"),
          grad=lambda m, g, a, out:
          g * m.where(a == 0, 0.5, m.special_i0e(a) - out * (m.sign(a) + 1 / _safe(m, a)))),
    unary("special_ndtr", "ndtr", keep="a", dtype_rule=F, kernel=_sp("ndtr"),
          grad=lambda m, g, a, out: g * m.exp(a * a * -0.5) / _SQRT_2PI),
    unary("special_ndtri", "ndtri", keep="out", dtype_rule=F, kernel=_sp("ndtri"),
          grad=lambda m, g, a, out: g * _SQRT_2PI * m.exp(out * out * 0.5)),
    unary("special_log_ndtr", "log_ndtr", keep="a+out", dtype_rule=F, kernel=_sp("log_ndtr"),
          grad=lambda m, g, a, out: g * m.exp(a * a * -0.5 - out) / _SQRT_2PI),
    unary("special_erfcx", "erfcx", keep="a+out", dtype_rule=F, kernel=_sp("erfcx"),
          grad=lambda m, g, a, out: g * (2 * a * out - _2_SQRTPI)),
    unary("special_entr", "entr", keep="a", dtype_rule=F, kernel=_sp("entr"),
          grad=lambda m, g, a, out: -g * (1 + m.log(a))),
    # torch gives these no derivative
    unary("special_airy_ai", "airy", dtype_rule=F,
          kernel=lambda m, a: _like(m.special_airy(_up(a))[0], a)),
    unary("special_bessel_j0", "j0", dtype_rule=F, kernel=_sp("j0")),
    unary("special_bessel_j1", "j1", dtype_rule=F, kernel=_sp("j1")),
    unary("special_bessel_y0", "y0", dtype_rule=F, kernel=_sp("y0")),
    unary("special_bessel_y1", "y1", dtype_rule=F, kernel=_sp("y1")),
    unary("special_modified_bessel_i0", "i0", dtype_rule=F, kernel=_sp("i0")),
    unary("special_modified_bessel_i1", "i1", dtype_rule=F, kernel=_sp("i1")),
    unary("special_modified_bessel_k0", "k0", dtype_rule=F, kernel=_sp("k0")),
    unary("special_modified_bessel_k1", "k1", dtype_rule=F, kernel=_sp("k1")),
    unary("special_scaled_modified_bessel_k0", "k0e", dtype_rule=F, kernel=_sp("k0e")),
    unary("special_scaled_modified_bessel_k1", "k1e", dtype_rule=F, kernel=_sp("k1e")),
    unary("special_spherical_bessel_j0", "spherical_jn", dtype_rule=F,
          kernel=lambda m, a: _like(m.special_spherical_jn(0, _up(a)), a)),
]


# --- two-input rows ------------------------------------------------------------------------------
def _igamma_x_grad(sign):
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a); torch gives no derivative in a
    def rule(m, g, a, x, out):
        return sign * g * m.exp((a - 1) * m.log(x) - x - m.special_gammaln(a))
    return rule


BINARY_ROWS = [
    binary("special_xlog1py", "xlog1py", keep="ab", dtype_rule=F, kernel=_sp2("xlog1py"),
           grad=(lambda m, g, a, b, out: g * m.where((a == 0) & (b <= -1), 0, m.log1p(b)),
                 lambda m, g, a, b, out: g * a / (b + 1))),
    binary("special_zeta", "zeta", dtype_rule=F, kernel=_sp2("zeta")),
    binary("igamma", "gammainc", keep="ab", dtype_rule=F, kernel=_sp2("gammainc"),
           grad=(None, _igamma_x_grad(1))),
    binary("igammac", "gammaincc", keep="ab", dtype_rule=F, kernel=_sp2("gammaincc"),
           grad=(None, _igamma_x_grad(-1))),
]
_B = {o.name: o for o in BINARY_ROWS}
expose_binary(_B["igamma"])
expose_binary(_B["igammac"])


# --- orthogonal polynomials P_n(x): torch truncates n to an integer and gives 0 for n < 0 -------
def _polynomial(p1, step, shift=False):
    """Kernel for the family with P_0 = 1, P_1 = p1(x), P_{k+1} = step(x, k, P_k, P_{k-1})."""
    def kernel(m, x, n):
        dt = np.result_type(x, n)
        x = m.asarray(x, dtype=dt)
        n = m.asarray(n, dtype=dt)
        if shift:
            x = 2 * x - 1
        x, n = m.broadcast_arrays(x, n)
        k = m.where(m.isfinite(n), m.trunc(n), -1)
        prev = m.ones_like(x)
        cur = p1(x)
        res = m.where(k == 0, prev, m.where(k == 1, cur, m.zeros_like(x)))
        top = int(k.max()) if k.size else 0
        for j in range(1, top):
            prev, cur = cur, step(x, j, cur, prev)
            res = m.where(k == j + 1, cur, res)
        return res
    return kernel


def _cheb_step(x, k, p, q):
    return 2 * x * p - q


_POLYS = {
    "chebyshev_polynomial_t": (lambda x: x, _cheb_step),
    "chebyshev_polynomial_u": (lambda x: 2 * x, _cheb_step),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, _cheb_step),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, _cheb_step),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - 2 * k * q),
    "hermite_polynomial_he": (lambda x: x, lambda x, k, p, q: x * p - k * q),
    "laguerre_polynomial_l": (lambda x: 1 - x,
                              lambda x, k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
    "legendre_polynomial_p": (lambda x: x,
                              lambda x, k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
}
POLY_ROWS = [binary("special_" + name, name, dtype_rule=F, kernel=_polynomial(p1, step))
             for name, (p1, step) in _POLYS.items()]
POLY_ROWS += [binary("special_shifted_" + name, "shifted_" + name, dtype_rule=F,
                     kernel=_polynomial(p1, step, shift=True))
              for name, (p1, step) in _POLYS.items() if name.startswith("chebyshev")]


# --- ops with a scalar attribute ------------------------------------------------------------------
@op("polygamma", keep="a", kind="elementwise", dtype_rule=F)
def _polygamma(m, a, n):
    return _like(m.special_polygamma(n, _up(a)), a)


_polygamma.derivative(lambda m, g, a, out, n: g * m.special_polygamma(n + 1, a))


@public("polygamma")
def polygamma(n, input, *, out=None):
    """polygamma(n, input, *, out=None) -> Tensor: the n-th derivative of digamma.

    Example:
        >>> torch.polygamma(1, torch.tensor([1.0, 0.5]))   # pi^2/6, pi^2/2
        tensor([1.6449, 4.9348])
    """
    return write_out(dispatch.unary(_polygamma, input, n=_check_n(n)), out)


def _check_n(n):
    if n < 0:
        raise EmberRuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


METHODS["polygamma"] = lambda self, n: polygamma(n, self)
METHODS["polygamma_"] = lambda self, n: dispatch.apply_inplace(_polygamma, self, (),
                                                               {"n": _check_n(n)})


@op("mvlgamma", keep="a", kind="elementwise", dtype_rule=F)
def _mvlgamma(m, a, p):
    res = m.special_gammaln(_up(a))
    for i in range(1, p):
        res = res + m.special_gammaln(_up(a) - i / 2)
    return _like(res + p * (p - 1) / 4 * _LOG_PI, a)


def _mvlgamma_grad(m, g, a, out, p):
    d = m.special_digamma(a)
    for i in range(1, p):
        d = d + m.special_digamma(a - i / 2)
    return g * d


_mvlgamma.derivative(_mvlgamma_grad)


def _check_p(p):
    if p < 1:
        raise EmberRuntimeError("p has to be greater than or equal to 1")
    return int(p)


@public("mvlgamma", method=True)
def mvlgamma(input, p, *, out=None):
    """mvlgamma(input, p, *, out=None) -> Tensor: log of the multivariate gamma function of
    dimension ``p``.

    Example:
        >>> torch.mvlgamma(torch.tensor([2.5, 3.0]), p=2)
        tensor([0.8570, 1.5502])
    """
    return write_out(dispatch.unary(_mvlgamma, input, p=_check_p(p)), out)


METHODS["mvlgamma_"] = lambda self, p: dispatch.apply_inplace(_mvlgamma, self, (),
                                                              {"p": _check_p(p)})


@op("logit", keep="a", kind="elementwise", dtype_rule=F)
def _logit(m, a, eps=None):
    if eps is not None:
        a = m.clip(a, eps, 1 - eps)
    return m.log(a / (1 - a))


def _logit_grad(m, g, a, out, eps=None):
    d = g / (a * (1 - a))
    if eps is None:
        return m.where((a < 0) | (a > 1), math.nan, d)
    return m.where((a < eps) | (a > 1 - eps), 0, d)


_logit.derivative(_logit_grad)


@public("logit", method=True)
def logit(input, eps=None, *, out=None):
    """logit(input, eps=None, *, out=None) -> Tensor: log(p / (1 - p)), with ``p`` clamped to
    [eps, 1 - eps] when eps is given.

    Example:
        >>> torch.logit(torch.tensor([0.25, 0.5, 0.75]))
        tensor([-1.0986,  0.0000,  1.0986])
        >>> torch.logit(torch.tensor([0.0, 1.0]), eps=1e-6)
        tensor([-13.8155,  13.8023])
    """
    res = (dispatch.unary(_logit, input) if eps is None
           else dispatch.unary(_logit, input, eps=float(eps)))
    return write_out(res, out)


METHODS["logit_"] = lambda self, eps=None: dispatch.apply_inplace(
    _logit, self, (), None if eps is None else {"eps": float(eps)})


# --- functions of ember.special (special.py re-exports them) ------------------------------------
def _special_unary(o, name):
    def fn(input, *, out=None):
        return write_out(dispatch.unary(o, input), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, *, out=None) -> Tensor: elementwise ``torch.special.{name}``."
    return fn


def _special_binary(o, name, second="other"):
    def fn(input, other, *, out=None):
        return write_out(dispatch.binary(o, input, other), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name}(input, {second}, *, out=None) -> Tensor: elementwise, broadcasting "
                  "(either argument may be a number).")
    return fn


SPECIAL = {}
for _o in SPECIAL_ROWS:
    SPECIAL[_o.name[len("special_"):]] = _special_unary(_o, _o.name[len("special_"):])
for _o in (_B["special_xlog1py"], _B["special_zeta"]):
    SPECIAL[_o.name[len("special_"):]] = _special_binary(_o, _o.name[len("special_"):])
for _o in POLY_ROWS:
    SPECIAL[_o.name[len("special_"):]] = _special_binary(_o, _o.name[len("special_"):], "n")


# --- frexp, ldexp, heaviside and comparisons --------------------------------------------------
def _pow2_neg_exponent(a):
    # 2**-exponent(a) is piecewise constant in a: computed on the raw data in either mode
    raw = getattr(a, "_array", a)
    scale = np.ldexp(np.ones_like(raw), -np.frexp(raw)[1])
    return wrap(scale) if isinstance(a, Tensor) else scale


_FREXP = unary("frexp", "frexp", keep="a", kernel=lambda m, a: m.frexp(a)[0],
               grad=lambda m, g, a, out: g * _pow2_neg_exponent(a))


@public("frexp", method=True)
def frexp(input, *, out=None):
    """frexp(input, *, out=None) -> (Tensor mantissa, Tensor exponent): input = mantissa *
    2**exponent with |mantissa| in [0.5, 1).

    Example:
        >>> torch.frexp(torch.tensor([8.0, 0.75, -3.0]))
        torch.return_types.frexp(
        mantissa=tensor([ 0.5000,  0.7500, -0.7500]),
        exponent=tensor([4, 0, 2], dtype=torch.int32))
    """
    from .. import return_types
    if input._array.dtype.kind != "f":
        raise EmberRuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa = dispatch.unary(_FREXP, input)
    exponent = wrap(np.frexp(input._array)[1].astype(np.int32))
    if out is not None:
        write_out(mantissa, out[0])
        write_out(exponent, out[1])
        mantissa, exponent = out
    return return_types.frexp(mantissa, exponent)


_LDEXP = binary("ldexp", "ldexp", keep="b+out", dtype_rule=F,
                kernel=lambda m, a, b: a * m.exp2(b),
                grad=(lambda m, g, a, b, out: g * m.conj(m.exp2(b)),
                      lambda m, g, a, b, out: g * m.conj(out) * math.log(2.0)))
expose_binary(_LDEXP)


def _heaviside_kernel(m, a, b):
    # NumPy's heaviside only has float loops; torch keeps integer and bool dtypes
    return m.heaviside(a, b).astype(np.result_type(a, b), copy=False)


_HEAVISIDE = binary("heaviside", "heaviside", kernel=_heaviside_kernel)


@public("heaviside", method=True)
def heaviside(input, values, *, out=None):
    """heaviside(input, values, *, out=None) -> Tensor: 0 where input < 0, 1 where input > 0,
    ``values`` where input == 0.

    Example:
        >>> torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor(0.5))
        tensor([0.0000, 0.5000, 1.0000])
    """
    if isinstance(values, Tensor) and values.dtype != input.dtype:
        raise EmberRuntimeError("heaviside is not yet implemented for tensors with different "
                                "dtypes.")
    return write_out(dispatch.binary(_HEAVISIDE, input, values), out)


METHODS["heaviside_"] = lambda self, values: dispatch.apply_inplace(_HEAVISIDE, self, (values,))


def _isclose_kernel(m, a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return a == b if rtol == 0 and atol == 0 else m.isclose(a, b, rtol, atol)
    return m.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


_ISCLOSE = op("isclose", kind="elementwise")(_isclose_kernel)


@public("isclose", method=True)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor: elementwise
    |input - other| <= atol + rtol * |other| (infinities compare equal to themselves).

    Example:
        >>> a = torch.tensor([1.0, 2.0, float("inf")])
        >>> torch.isclose(a, torch.tensor([1.0 + 1e-7, 2.1, float("inf")]))
        tensor([ True, False,  True])
    """
    if rtol < 0:
        raise EmberRuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise EmberRuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if isinstance(other, Tensor) and other.dtype != input.dtype:
        raise EmberRuntimeError(f"{input.dtype.scalar_name} did not match "
                                f"{other.dtype.scalar_name}")
    b = other._array if isinstance(other, Tensor) else np.asarray(other, input._array.dtype)
    return dispatch.apply(_ISCLOSE, (input, other), {"rtol": rtol, "atol": atol,
                                                      "equal_nan": bool(equal_nan)},
                          arrays=[input._array, b])


@public("allclose", method=True)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool.

    Example:
        >>> torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
        True
        >>> nan = float("nan")
        >>> torch.allclose(torch.tensor([1.0, nan]), torch.tensor([1.0, nan]), equal_nan=True)
        True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._array.all())


@public("equal", method=True)
def equal(input, other):
    """equal(input, other) -> bool: True when both have the same size and elements.

    Example:
        >>> torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
        True
        >>> torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2, 3]))
        False
    """
    a, b = input._array, other._array
    return a.shape == b.shape and bool(np.array_equal(a, b))

