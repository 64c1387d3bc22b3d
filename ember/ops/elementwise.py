"""Elementwise math: one row per op (torch name, NumPy kernel, kept values, derivative).

In a rule, ``m`` is the array namespace, ``g`` the gradient arriving at the output, ``a``/``b``
the inputs (``None`` unless kept) and ``out`` the output (``None`` unless kept). ``m.conj`` is the
identity on real data, which is all PyTorch's conjugate-Wirtinger convention costs on reals.
"""
import math

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from . import dispatch
from ._public import expose_binary, expose_unary, to_tensor, write_out
from .registry import METHODS, PUBLIC, binary, op, public, unary

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)


def _keep_int(fn_name):
    # floor/ceil/trunc/round of integers are the integers themselves (NumPy would make floats)
    def kernel(m, a):
        return a.copy() if a.dtype.kind in "iub" else getattr(m, fn_name)(a)
    return kernel


def _sigmoid(m, a):
    # 1/(1+e^-x) overflows harmlessly to 0 for very negative x (ember ignores FP warnings)
    return 1 / (1 + m.exp(-a))


def _relu(m, a):
    return m.maximum(a, 0) if a.dtype.kind != "b" else a.copy()


_SUB_MSG = "Subtraction, the `-` operator, with"


def refuse_bool_sub(a, b):
    """torch refuses `-` when either operand is boolean, before any promotion."""
    for x in (a, b):
        if x.__class__ is bool or (isinstance(x, Tensor) and x._array.dtype == np.bool_):
            _no_bool(True, _SUB_MSG)


def _no_bool(x, what):
    """torch refuses arithmetic negation of masks; NumPy would raise a TypeError of its own."""
    if x.__class__ is bool or getattr(x, "dtype", None) == np.bool_:
        from .._errors import EmberRuntimeError
        raise EmberRuntimeError(f"{what} a bool tensor is not supported. If you are trying to "
                                "invert a mask, use the `~` or `logical_not()` operator instead.")
    return None


def _sgn_grad(m, g, a, out):
    if not m.iscomplexobj(a):
        return g * 0
    # sgn(z) = z/|z| is not holomorphic: grad = conj(dw/dz) g + (dw/dz*) conj(g)
    mag = m.abs(a)
    safe = m.where(mag == 0, 1, mag)
    return m.where(mag == 0, 0, (g - out * out * m.conj(g)) / (2 * safe))


def _integers_only(name, fn, a, b):
    bad = a.dtype if a.dtype.kind not in "iu" else b.dtype
    if bad.kind not in "iu":
        # torch raises NotImplementedError, naming the C type ("Float")
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                  f"'{_dt.from_numpy_dtype(bad).scalar_name}'")
    return fn(a, b)


def _zero(m, g, a, out):
    return g * 0


def _logaddexp_kernel(m, a, b):
    if not (np.iscomplexobj(a) or np.iscomplexobj(b)):     # b may be a Python scalar (rules)
        return m.logaddexp(a, b)
    # NumPy has no complex logaddexp: shift out the operand with the larger real part, so the
    # exponential cannot overflow and the imaginary part stays log's principal value
    a, b = m.broadcast_arrays(a, b)
    swap = a.real < b.real
    hi, lo = m.where(swap, b, a), m.where(swap, a, b)
    with np.errstate(invalid="ignore", over="ignore"):
        return hi + m.log1p(m.exp(lo - hi))


def _log10_kernel(m, a):
    # NumPy's float32 log10 is 1 ulp off at exact powers of ten (log10(100) = 2.0000002); torch
    # gives 2.0. Rounding the double-precision result is exact there and within rounding
    # elsewhere.
    if a.dtype == np.float32:
        return m.log10(a, dtype=np.float64).astype(np.float32)
    return m.log10(a)


# --- unary ops: float-valued math (integers are first cast to the default float dtype) ---------
F = "float"
UNARY_ROWS = [
    unary("exp", "exp", keep="out", dtype_rule=F, grad=lambda m, g, a, out: g * m.conj(out)),
    unary("exp2", "exp2", keep="out", dtype_rule=F,
          grad=lambda m, g, a, out: g * m.conj(out) * _LN2),
    unary("expm1", "expm1", keep="out", dtype_rule=F,
          grad=lambda m, g, a, out: g * m.conj(out + 1)),
    unary("log", "log", keep="a", dtype_rule=F, grad=lambda m, g, a, out: g / m.conj(a)),
    unary("log1p", "log1p", keep="a", dtype_rule=F, grad=lambda m, g, a, out: g / m.conj(a + 1)),
    unary("log2", "log2", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / (m.conj(a) * _LN2)),
    unary("log10", "log10", keep="a", dtype_rule=F, kernel=_log10_kernel,
          grad=lambda m, g, a, out: g / (m.conj(a) * _LN10)),
    unary("sqrt", "sqrt", keep="out", dtype_rule=F,
          grad=lambda m, g, a, out: g / (2 * m.conj(out))),
    unary("rsqrt", "rsqrt", keep="out", dtype_rule=F, kernel=lambda m, a: 1 / m.sqrt(a),
          grad=lambda m, g, a, out: -0.5 * g * m.conj(out * out * out)),
    unary("sin", "sin", keep="a", dtype_rule=F, grad=lambda m, g, a, out: g * m.conj(m.cos(a))),
    unary("cos", "cos", keep="a", dtype_rule=F, grad=lambda m, g, a, out: -g * m.conj(m.sin(a))),
    unary("tan", "tan", keep="out", dtype_rule=F,
          grad=lambda m, g, a, out: g * m.conj(1 + out * out)),
    unary("asin", "arcsin", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / m.conj(m.sqrt(1 - a * a))),
    unary("acos", "arccos", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: -g / m.conj(m.sqrt(1 - a * a))),
    unary("atan", "arctan", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / m.conj(1 + a * a)),
    unary("sinh", "sinh", keep="a", dtype_rule=F, grad=lambda m, g, a, out: g * m.conj(m.cosh(a))),
    unary("cosh", "cosh", keep="a", dtype_rule=F, grad=lambda m, g, a, out: g * m.conj(m.sinh(a))),
    unary("tanh", "tanh", keep="out", dtype_rule=F,
          grad=lambda m, g, a, out: g * m.conj(1 - out * out)),
    unary("asinh", "arcsinh", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / m.conj(m.sqrt(a * a + 1))),
    unary("acosh", "arccosh", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / m.conj(m.sqrt((a - 1) * (a + 1)))),
    unary("atanh", "arctanh", keep="a", dtype_rule=F,
          grad=lambda m, g, a, out: g / m.conj(1 - a * a)),
    unary("sigmoid", "sigmoid", keep="out", dtype_rule=F, kernel=_sigmoid,
          grad=lambda m, g, a, out: g * m.conj(out * (1 - out))),
    unary("reciprocal", "reciprocal", keep="out", dtype_rule=F, kernel=lambda m, a: 1 / a,
          grad=lambda m, g, a, out: -g * m.conj(out * out)),
    unary("erf", "erf", keep="a", dtype_rule=F, kernel=lambda m, a: m.special_erf(a),
          grad=lambda m, g, a, out: g * _2_SQRTPI * m.exp(-a * a)),
    unary("erfc", "erfc", keep="a", dtype_rule=F, kernel=lambda m, a: m.special_erfc(a),
          grad=lambda m, g, a, out: -g * _2_SQRTPI * m.exp(-a * a)),
    unary("erfinv", "erfinv", keep="out", dtype_rule=F, kernel=lambda m, a: m.special_erfinv(a),
          grad=lambda m, g, a, out: g * (math.sqrt(math.pi) / 2) * m.exp(out * out)),
    unary("deg2rad", "deg2rad", dtype_rule=F, grad=lambda m, g, a, out: g * (math.pi / 180)),
    unary("rad2deg", "rad2deg", dtype_rule=F, grad=lambda m, g, a, out: g * (180 / math.pi)),
]

# --- unary ops that keep the input's dtype ---------------------------------------------------
SAME_ROWS = [
    unary("neg", "negative", kernel=lambda m, a: _no_bool(a, "Negation, the `-` operator, on") or
          m.negative(a), grad=lambda m, g, a, out: -g),
    unary("positive", "positive", kernel=lambda m, a: a, grad=lambda m, g, a, out: g),
    unary("abs", "abs", keep="a", grad=lambda m, g, a, out: g * m.sgn(a)),
    unary("sign", "sign", grad=_zero),
    unary("sgn", "sgn", kernel=lambda m, a: m.sgn(a), keep="a+out", grad=lambda m, g, a, out:
          _sgn_grad(m, g, a, out)),
    unary("floor", "floor", kernel=_keep_int("floor"), grad=_zero),
    unary("ceil", "ceil", kernel=_keep_int("ceil"), grad=_zero),
    unary("trunc", "trunc", kernel=_keep_int("trunc"), grad=_zero),
    unary("frac", "frac", kernel=lambda m, a: a - m.trunc(a), grad=lambda m, g, a, out: g),
    unary("relu", "relu", keep="out", kernel=_relu, grad=lambda m, g, a, out: g * (out > 0)),
    unary("square", "square", keep="a", grad=lambda m, g, a, out: 2 * g * m.conj(a)),
    unary("bitwise_not", "invert"),
    unary("logical_not", "logical_not"),
    unary("isnan", "isnan"),
    unary("isinf", "isinf"),
    unary("isfinite", "isfinite"),
    unary("isposinf", "isposinf"),
    unary("isneginf", "isneginf"),
    unary("isreal", "isreal", kernel=lambda m, a: m.imag(a) == 0 if a.dtype.kind == "c"
          else m.ones(a.shape, dtype=bool)),
    unary("signbit", "signbit"),
]
for _o in UNARY_ROWS + SAME_ROWS:
    expose_unary(_o, inplace=_o.name not in ("isnan", "isinf", "isfinite", "isposinf",
                                             "isneginf", "isreal", "signbit"))
PUBLIC["fix"] = METHODS["fix"] = PUBLIC["trunc"]
METHODS["fix_"] = METHODS["trunc_"]
PUBLIC["negative"] = METHODS["negative"] = PUBLIC["neg"]
METHODS["negative_"] = METHODS["neg_"]
PUBLIC["absolute"] = METHODS["absolute"] = PUBLIC["abs"]
METHODS["absolute_"] = METHODS["abs_"]
for _a, _b in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
               ("arccosh", "acosh"), ("arctanh", "atanh")):
    PUBLIC[_a] = METHODS[_a] = PUBLIC[_b]
    METHODS[_a + "_"] = METHODS[_b + "_"]


_ROUND = op("round", kind="elementwise", dtype_rule="same", node_name="RoundBackward0")(
    lambda m, a, decimals=0: a.copy() if a.dtype.kind in "iub" else m.round(a, decimals))
_ROUND.grad = lambda m, g, a, out, decimals=0: g * 0


@public("round", method=True)
def round(input, *, decimals=0, out=None):
    """round(input, *, decimals=0, out=None) -> Tensor: round half to even.

    Example:
        >>> torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5]))
        tensor([0., 2., 2., -0.])
        >>> torch.round(torch.tensor([1.2345, 2.3456]), decimals=2)
        tensor([1.2300, 2.3500])
    """
    res = (dispatch.unary(_ROUND, input, decimals=decimals) if decimals
           else dispatch.unary(_ROUND, input))
    return write_out(res, out)


METHODS["round_"] = lambda self, *, decimals=0: dispatch.apply_inplace(
    _ROUND, self, (), {"decimals": decimals} if decimals else None)


# --- binary ops --------------------------------------------------------------------------------
def _pow_base_grad(m, g, a, b, out):
    return g * m.conj(b * a ** (b - 1)) if not isinstance(b, (int, float)) or b != 0 else g * 0


def _pow_exp_grad(m, g, a, b, out):
    # d(a^b)/db = a^b log a; torch defines it as 0 where a == 0 (and b >= 0)
    return g * m.conj(m.where(a == 0, 0, out * m.log(m.where(a == 0, 1, a))))


def _maximum_grads(sign):
    def ga(m, g, a, b, out):
        return m.where(a == b, g / 2, g * (sign * (a - b) > 0))

    def gb(m, g, a, b, out):
        return m.where(a == b, g / 2, g * (sign * (b - a) > 0))
    return (ga, gb)


def _div_kernel(m, a, b):
    return m.true_divide(a, b)


def _floor_divide(m, a, b):
    return m.floor_divide(a, b)


def _remainder(m, a, b):
    return m.remainder(a, b)


def _fmod(m, a, b):
    return m.fmod(a, b)


BINARY_ROWS = [
    binary("add", "add", grad=(lambda m, g, a, b, out: g, lambda m, g, a, b, out: g)),
    binary("sub", "subtract", grad=(lambda m, g, a, b, out: g, lambda m, g, a, b, out: -g)),
    binary("mul", "multiply", keep="ab", keep_for=("b", "a"),
           grad=(lambda m, g, a, b, out: g * m.conj(b), lambda m, g, a, b, out: g * m.conj(a))),
    binary("div", "true_divide", keep="ab", keep_for=("b", "ab"), dtype_rule="float",
           kernel=_div_kernel,
           grad=(lambda m, g, a, b, out: g / m.conj(b),
                 lambda m, g, a, b, out: -g * m.conj(a / (b * b)))),
    binary("pow", "power", keep="ab+out", grad=(_pow_base_grad, _pow_exp_grad)),
    binary("atan2", "arctan2", keep="ab", dtype_rule="float",
           grad=(lambda m, g, a, b, out: g * b / (a * a + b * b),
                 lambda m, g, a, b, out: -g * a / (a * a + b * b))),
    binary("maximum", "maximum", keep="ab", grad=_maximum_grads(1)),
    binary("minimum", "minimum", keep="ab", grad=_maximum_grads(-1)),
    binary("fmax", "fmax", keep="ab", grad=_maximum_grads(1)),
    binary("fmin", "fmin", keep="ab", grad=_maximum_grads(-1)),
    binary("floor_divide", "floor_divide", kernel=_floor_divide,
           grad=(lambda m, g, a, b, out: g * 0, lambda m, g, a, b, out: g * 0)),
    binary("remainder", "remainder", keep="ab", kernel=_remainder,
           grad=(lambda m, g, a, b, out: g,
                 lambda m, g, a, b, out: -g * m.floor_divide(a, b))),
    binary("fmod", "fmod", keep="ab", kernel=_fmod,
           grad=(lambda m, g, a, b, out: g, lambda m, g, a, b, out: -g * m.trunc(a / b))),
    binary("hypot", "hypot", keep="ab+out", grad=(lambda m, g, a, b, out: g * a / out,
                                                 lambda m, g, a, b, out: g * b / out)),
    binary("copysign", "copysign", keep="a+out", dtype_rule="float",
           grad=(lambda m, g, a, b, out: g * m.where(a == 0, 0, out / m.where(a == 0, 1, a)),
                 lambda m, g, a, b, out: g * 0)),
    binary("xlogy", "xlogy", keep="ab", dtype_rule="float",
           kernel=lambda m, a, b: m.where(a == 0, 0, a * m.log(b)),
           grad=(lambda m, g, a, b, out: g * m.where(a == 0, 0, m.log(b)),
                 lambda m, g, a, b, out: g * a / b)),
    binary("logaddexp", "logaddexp", keep="ab", dtype_rule="float", kernel=_logaddexp_kernel,
           grad=(lambda m, g, a, b, out: g / m.conj(1 + m.exp(b - a)),
                 lambda m, g, a, b, out: g / m.conj(1 + m.exp(a - b)))),
    binary("logaddexp2", "logaddexp2", keep="ab", dtype_rule="float",
           grad=(lambda m, g, a, b, out: g / (1 + m.exp2(b - a)),
                 lambda m, g, a, b, out: g / (1 + m.exp2(a - b)))),
    # torch passes the gradient straight to input (and none to other)
    binary("nextafter", "nextafter", grad=(lambda m, g, a, b, out: g,
                                           lambda m, g, a, b, out: g * 0)),
    binary("eq", "equal"),
    binary("ne", "not_equal"),
    binary("lt", "less"),
    binary("le", "less_equal"),
    binary("gt", "greater"),
    binary("ge", "greater_equal"),
    binary("logical_and", "logical_and"),
    binary("logical_or", "logical_or"),
    binary("logical_xor", "logical_xor"),
    binary("bitwise_and", "bitwise_and"),
    binary("bitwise_or", "bitwise_or"),
    binary("bitwise_xor", "bitwise_xor"),
    binary("bitwise_left_shift", "left_shift"),
    binary("bitwise_right_shift", "right_shift"),
    binary("gcd", "gcd", kernel=lambda m, a, b: _integers_only("gcd", m.gcd, a, b)),
    binary("lcm", "lcm", kernel=lambda m, a, b: _integers_only("lcm", m.lcm, a, b)),
]
_B = {o.name: o for o in BINARY_ROWS}
for _name in ("pow", "atan2", "maximum", "minimum", "fmax", "fmin", "floor_divide", "remainder",
              "fmod", "hypot", "copysign", "xlogy", "logaddexp", "logaddexp2", "nextafter", "eq",
              "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
              "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
              "bitwise_right_shift", "gcd", "lcm"):
    expose_binary(_B[_name])
for _a, _b in (("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"), ("less_equal", "le"),
               ("not_equal", "ne"), ("arctan2", "atan2")):
    PUBLIC[_a] = METHODS[_a] = PUBLIC[_b]
    METHODS[_a + "_"] = METHODS[_b + "_"]
ADD, SUB, MUL, DIV = _B["add"], _B["sub"], _B["mul"], _B["div"]


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


@public("add", method=True)
def add(input, other, *, alpha=1, out=None):
    """add(input, other, *, alpha=1, out=None) -> Tensor: input + alpha * other.

    Example:
        >>> torch.add(torch.tensor([1, 2, 3]), torch.tensor([10, 20, 30]))
        tensor([11, 22, 33])
        >>> torch.add(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0]), alpha=3)
        tensor([4., 5.])
    """
    return write_out(dispatch.binary(ADD, input, _scaled(other, alpha)), out)


@public("sub", "subtract", method=True)
def sub(input, other, *, alpha=1, out=None):
    """sub(input, other, *, alpha=1, out=None) -> Tensor: input - alpha * other.

    Example:
        >>> torch.sub(torch.tensor([5, 6]), torch.tensor([1, 2]), alpha=2)
        tensor([3, 2])
    """
    refuse_bool_sub(input, other)
    return write_out(dispatch.binary(SUB, input, _scaled(other, alpha)), out)


@public("rsub")
def rsub(input, other, *, alpha=1):
    """rsub(input, other, *, alpha=1) -> Tensor: other - alpha * input.

    Example:
        >>> torch.rsub(torch.tensor([1, 2, 3]), 10)
        tensor([9, 8, 7])
    """
    refuse_bool_sub(input, other)
    return dispatch.binary(SUB, other, _scaled(input, alpha))


@public("mul", "multiply", method=True)
def mul(input, other, *, out=None):
    """mul(input, other, *, out=None) -> Tensor: elementwise product, broadcasting.

    Example:
        >>> torch.mul(torch.tensor([[1], [2]]), torch.tensor([3, 4, 5]))
        tensor([[ 3,  4,  5],
                [ 6,  8, 10]])
    """
    return write_out(dispatch.binary(MUL, input, other), out)


@public("div", "divide", method=True)
def div(input, other, *, rounding_mode=None, out=None):
    """div(input, other, *, rounding_mode=None, out=None) -> Tensor: true division, or with
    rounding_mode 'trunc' / 'floor' rounded division keeping integer dtypes.

    Example:
        >>> a = torch.tensor([7.0, -7.0, 6.0])
        >>> torch.div(a, 2)
        tensor([ 3.5000, -3.5000,  3.0000])
        >>> torch.div(a, 2, rounding_mode='floor')
        tensor([ 3., -4.,  3.])
        >>> torch.div(a, 2, rounding_mode='trunc')
        tensor([ 3., -3.,  3.])
    """
    if rounding_mode is None:
        res = dispatch.binary(DIV, input, other)
    elif rounding_mode == "floor":
        res = dispatch.binary(_B["floor_divide"], input, other)
    elif rounding_mode == "trunc":
        res = dispatch.binary(_TRUNC_DIV, input, other)
    else:
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return write_out(res, out)


_TRUNC_DIV = binary("trunc_divide", "trunc_divide",
                    kernel=lambda m, a, b: (m.trunc(a / b).astype(a.dtype) if a.dtype.kind in "iu"
                                            else m.trunc(a / b)),
                    grad=(lambda m, g, a, b, out: g * 0, lambda m, g, a, b, out: g * 0))
PUBLIC["true_divide"] = METHODS["true_divide"] = div


def _inplace_binary(op):
    def fn_(self, other, *, alpha=1):
        return dispatch.apply_inplace(op, self, (_scaled(other, alpha),))
    return fn_


METHODS["add_"] = _inplace_binary(ADD)
def _sub_(self, other, *, alpha=1):
    refuse_bool_sub(self, other)
    return dispatch.apply_inplace(SUB, self, (_scaled(other, alpha),))


METHODS["sub_"] = METHODS["subtract_"] = _sub_
METHODS["mul_"] = METHODS["multiply_"] = _inplace_binary(MUL)


def _div_(self, other, *, rounding_mode=None):
    op_ = {None: DIV, "floor": _B["floor_divide"], "trunc": _TRUNC_DIV}[rounding_mode]
    return dispatch.apply_inplace(op_, self, (other,))


METHODS["div_"] = METHODS["divide_"] = METHODS["true_divide_"] = _div_


@public("float_power", method=True)
def float_power(input, exponent, *, out=None):
    """float_power(input, exponent) -> Tensor: power computed in double precision.

    Example:
        >>> torch.float_power(torch.tensor([2, 3]), 2)
        tensor([4., 9.], dtype=torch.float64)
    """
    def up(x):
        if isinstance(x, Tensor):
            return x.to(_dt.complex128 if x.is_complex() else _dt.float64)
        return float(x) if not isinstance(x, complex) else x
    return write_out(dispatch.binary(_B["pow"], up(input), up(exponent)), out)


# --- ops with three inputs or scalar attributes --------------------------------------------------
def _clamp_kernel(m, a, lo=None, hi=None):
    return m.clip(a, lo, hi)


def _clamp_grad(m, g, a, out, lo=None, hi=None):
    keep = True
    if lo is not None:
        keep = a >= lo
    if hi is not None:
        keep = keep & (a <= hi) if lo is not None else a <= hi
    return m.where(keep, g, 0)


_CLAMP = op("clamp", keep="a", kind="elementwise")(_clamp_kernel)
_CLAMP.derivative(_clamp_grad)


@op("clamp_tensor", keep="abc", kind="elementwise", node_name="ClampBackward1")
def _clamp_t(m, a, lo, hi):
    return m.clip(a, lo, hi)


def _ct_a(m, g, a, lo, hi, out):
    keep = True
    if lo is not None:
        keep = a >= lo
    if hi is not None:
        keep = (a <= hi) if keep is True else keep & (a <= hi)
    return m.where(keep, g, 0)


def _ct_lo(m, g, a, lo, hi, out):
    hit = a < lo
    return m.where(hit if hi is None else hit & (lo <= hi), g, 0)


def _ct_hi(m, g, a, lo, hi, out):
    # when min > max the output is max everywhere, so max takes the whole gradient
    hit = a > hi
    return m.where(hit if lo is None else hit | (lo > hi), g, 0)


_clamp_t.derivative((_ct_a, _ct_lo, _ct_hi))


def _clamp_args(input, min, max):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return None
    # torch promotes an integer tensor clamped by float bounds
    if input._array.dtype.kind in "iub" and any(isinstance(v, float) for v in (min, max)):
        return input.to(_dt.get_default_dtype())
    return input


@public("clamp", "clip", method=True)
def clamp(input, min=None, max=None, *, out=None):
    """clamp(input, min=None, max=None, *, out=None) -> Tensor: min(max(input, min), max).

    Example:
        >>> x = torch.tensor([-2.0, 0.5, 3.0])
        >>> torch.clamp(x, min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
        >>> torch.clamp(x, min=0)
        tensor([0.0000, 0.5000, 3.0000])
    """
    x = _clamp_args(input, min, max)
    if x is None:
        lo = None if min is None else to_tensor(min)
        hi = None if max is None else to_tensor(max)
        res = dispatch.apply(_clamp_t, (input, lo, hi))
    else:
        res = dispatch.unary(_CLAMP, x, lo=min, hi=max)
    return write_out(res, out)


def clamp_(self, min=None, max=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return dispatch.apply_inplace(_clamp_t, self, (min, max))
    _clamp_args(self, min, max)
    return dispatch.apply_inplace(_CLAMP, self, (), {"lo": min, "hi": max})


METHODS["clamp_"] = METHODS["clip_"] = clamp_


@public("clamp_min", method=True)
def clamp_min(input, min):
    """clamp_min(input, min) -> Tensor: ``clamp(input, min=min)``, only a lower bound.

    Example:
        >>> torch.clamp_min(torch.tensor([-2, 0, 3]), 0)
        tensor([0, 0, 3])
    """
    return clamp(input, min=min)


@public("clamp_max", method=True)
def clamp_max(input, max):
    """clamp_max(input, max) -> Tensor: ``clamp(input, max=max)``, only an upper bound.

    Example:
        >>> torch.clamp_max(torch.tensor([-2, 0, 3]), 1)
        tensor([-2,  0,  1])
    """
    return clamp(input, max=max)


@op("where", keep="a", kind="elementwise")
def _where(m, cond, x, y):
    return m.where(cond, x, y)


_where.derivative((None, lambda m, g, c, x, y, out: m.where(c, g, 0),
                   lambda m, g, c, x, y, out: m.where(c, 0, g)))


@public("where")
def where(condition, input=None, other=None, *, out=None):
    """where(condition, input, other, *, out=None) -> Tensor: ``input`` where condition holds,
    else ``other``; where(condition) is nonzero(condition, as_tuple=True).

    Example:
        >>> x = torch.tensor([-1.0, 2.0, -3.0])
        >>> torch.where(x > 0, x, torch.zeros(3))
        tensor([0., 2., 0.])
        >>> torch.where(x > 0)
        (tensor([1]),)
    """
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = to_tensor(condition)
    if cond._array.dtype != np.bool_:
        cond = cond.bool()
    xs = [input, other]
    ts = [x for x in xs if isinstance(x, Tensor)]
    if ts:
        ops = [(x.dtype, 1 if x.ndim == 0 else 2) if isinstance(x, Tensor)
               else (_dt.scalar_dtype(x), 0) for x in xs]
        rd = _dt.result_type_of(ops)
        xs = [x.to(rd) if isinstance(x, Tensor) else x for x in xs]
        arrays = [cond._array] + [x._array if isinstance(x, Tensor) else x for x in xs]
        res = dispatch.apply(_where, (cond, xs[0], xs[1]), arrays=arrays)
        if res._array.dtype != rd.np:
            res._array = res._array.astype(rd.np)
    else:
        rd = _dt.result_type_of([(_dt.scalar_dtype(x), 0) for x in xs])
        res = dispatch.apply(_where, (cond, xs[0], xs[1]),
                             arrays=[cond._array, np.asarray(xs[0], rd.np),
                                     np.asarray(xs[1], rd.np)])
    return write_out(res, out)


METHODS["where"] = lambda self, condition, other: where(condition, self, other)


@op("lerp", keep="abc", kind="elementwise")
def _lerp(m, a, b, w):
    return a + w * (b - a)


_lerp.derivative((lambda m, g, a, b, w, out: g * m.conj(1 - w),
                  lambda m, g, a, b, w, out: g * m.conj(w),
                  lambda m, g, a, b, w, out: g * m.conj(b - a)))


@public("lerp", method=True)
def lerp(input, end, weight, *, out=None):
    """lerp(input, end, weight, *, out=None) -> Tensor: input + weight * (end - input).

    Example:
        >>> torch.lerp(torch.tensor([0.0, 10.0]), torch.tensor([10.0, 20.0]), 0.25)
        tensor([ 2.5000, 12.5000])
    """
    return write_out(dispatch.apply(_lerp, (input, end, weight)), out)


METHODS["lerp_"] = lambda self, end, weight: dispatch.apply_inplace(_lerp, self, (end, weight))


@op("addcmul", keep="bc", kind="elementwise")
def _addcmul(m, a, b, c, value=1):
    return a + value * b * c


_addcmul.derivative((lambda m, g, a, b, c, out, value=1: g,
                     lambda m, g, a, b, c, out, value=1: g * m.conj(value * c),
                     lambda m, g, a, b, c, out, value=1: g * m.conj(value * b)))


@op("addcdiv", keep="bc", kind="elementwise")
def _addcdiv(m, a, b, c, value=1):
    return a + value * b / c


_addcdiv.derivative((lambda m, g, a, b, c, out, value=1: g,
                     lambda m, g, a, b, c, out, value=1: g * m.conj(value / c),
                     lambda m, g, a, b, c, out, value=1: -g * m.conj(value * b / (c * c))))


@public("addcmul", method=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """addcmul(input, tensor1, tensor2, *, value=1, out=None) -> input + value * t1 * t2.

    Example:
        >>> x = torch.tensor([1.0, 1.0])
        >>> torch.addcmul(x, torch.tensor([2.0, 3.0]), torch.tensor([4.0, 5.0]), value=0.5)
        tensor([5.0000, 8.5000])
    """
    return write_out(dispatch.apply(_addcmul, (input, tensor1, tensor2), {"value": value}), out)


@public("addcdiv", method=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """addcdiv(input, tensor1, tensor2, *, value=1, out=None) -> input + value * t1 / t2.

    Example:
        >>> x = torch.tensor([1.0, 1.0])
        >>> torch.addcdiv(x, torch.tensor([2.0, 6.0]), torch.tensor([4.0, 3.0]), value=2)
        tensor([2., 5.])
    """
    return write_out(dispatch.apply(_addcdiv, (input, tensor1, tensor2), {"value": value}), out)


METHODS["addcmul_"] = lambda self, t1, t2, *, value=1: dispatch.apply_inplace(
    _addcmul, self, (t1, t2), {"value": value})
METHODS["addcdiv_"] = lambda self, t1, t2, *, value=1: dispatch.apply_inplace(
    _addcdiv, self, (t1, t2), {"value": value})


def _nan_to_num_kernel(m, a, nan=0.0, posinf=None, neginf=None):
    return m.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


_NAN_TO_NUM = op("nan_to_num", keep="a", kind="elementwise")(_nan_to_num_kernel)
_NAN_TO_NUM.derivative(lambda m, g, a, out, **kw: m.where(m.isfinite(a), g, 0))


@public("nan_to_num", method=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor.

    Example:
        >>> x = torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0])
        >>> torch.nan_to_num(x, nan=0.0, posinf=9.0, neginf=-9.0)
        tensor([ 0.,  9., -9.,  1.])
    """
    return write_out(dispatch.unary(_NAN_TO_NUM, input, nan=nan, posinf=posinf, neginf=neginf), out)


METHODS["nan_to_num_"] = lambda self, nan=0.0, posinf=None, neginf=None: dispatch.apply_inplace(
    _NAN_TO_NUM, self, (), {"nan": nan, "posinf": posinf, "neginf": neginf})


def _scalar_attr_op(name, kernel, grad, keep="a"):
    o = op(name, keep=keep, kind="elementwise")(kernel)
    o.derivative(grad)
    return o


_LEAKY = _scalar_attr_op("leaky_relu", lambda m, a, slope=0.01: m.where(a > 0, a, a * slope),
                         lambda m, g, a, out, slope=0.01: m.where(a > 0, g, g * slope))
_THRESH = _scalar_attr_op("threshold",
                          lambda m, a, threshold, value: m.where(a > threshold, a, value),
                          lambda m, g, a, out, threshold, value: m.where(a > threshold, g, 0))
_HARDTANH = _scalar_attr_op(
    "hardtanh", lambda m, a, lo=-1.0, hi=1.0: m.clip(a, lo, hi),
    lambda m, g, a, out, lo=-1.0, hi=1.0: m.where((a > lo) & (a < hi), g, 0))
