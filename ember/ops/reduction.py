"""Reductions over ``dim`` (int, tuple or None) with ``keepdim`` and ``dtype``, and the scans
cumsum/cumprod: sum, mean, prod, amax/amin, max/min (values + indices), argmax/argmin, var/std,
norm, logsumexp, all/any, count_nonzero. Each op's derivative rule sits right under it.

Reduction rules first re-insert the reduced dimensions (``unsqueeze_like``) so the incoming
gradient broadcasts against the input; the engine then needs no reduction-specific code.
"""
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import return_types
from .._errors import EmberIndexError, EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import write_out
from .registry import METHODS, op, public

_INF = math.inf


def norm_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes, or None for all dimensions (also for a
    0-dim tensor, whose only valid dims 0 and -1 mean "everything")."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        for i in range(1, len(dims)):
            if dims[i] == dims[i - 1]:
                raise EmberRuntimeError(f"dim {dims[i]} appears multiple times in the list of dims")
        return dims if ndim else None
    d = _wrap_dim(dim, ndim)
    return (d,) if ndim else None


def unsqueeze_like(m, g, dim, keepdim):
    """Re-insert reduced dimensions so ``g`` broadcasts against the input."""
    if keepdim or dim is None:
        return g
    return m.expand_dims(g, dim)


def _attrs(dims, keepdim, **extra):
    # only non-default attributes: fewer kwargs on the hot path, shorter tracer keys
    attrs = {k: v for k, v in extra.items() if v is not None}
    if dims is not None:
        attrs["dim"] = dims
    if keepdim:
        attrs["keepdim"] = True
    return attrs


def _count(shape, dims):
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def _int_to_long(a, dtype):
    """torch accumulates bool and integer sums/products/scans in int64 unless told otherwise."""
    if dtype is not None:
        return _dt.to_dtype(dtype).np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else None


_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "bfloat16": "BFloat16",
                "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _torch_dtype_name(t):
    return _TORCH_NAMES.get(t.dtype.name, t.dtype.name)


def _check_nonempty(name, a, dims, identity_hint=True):
    """torch refuses max/min-like reductions over nothing (they have no identity)."""
    if dims is None:
        if a.size == 0:
            if identity_hint:
                raise EmberRuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.")
            raise EmberIndexError(f"{name}(): Expected reduction dim to be specified for "
                                  "input.numel() == 0.")
        return
    for d in dims:
        if a.shape[d] == 0:
            raise EmberIndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# --- sum, mean ---------------------------------------------------------------------------------
@op("sum", keep="", kind="reduction")
def _sum(m, a, dim=None, keepdim=False, dtype=None):
    if type(a) is np.ndarray:
        # what ndarray.sum calls, without its Python wrapper (0.3 of a tiny sum's 1.3 us)
        return _add_reduce(a, dim, dtype, None, keepdim)
    # another namespace's array (CuPy): its own method, a third of np.sum's wrapper's cost
    return a.sum(axis=dim, keepdims=keepdim, dtype=dtype)


_add_reduce = np.add.reduce


_sum.derivative(lambda m, g, a, out, dim=None, keepdim=False, dtype=None:
                unsqueeze_like(m, g, dim, keepdim))


@public("sum", method=True)
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor (integers sum in int64).

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``); with
        dim=None the result is 0-dim.

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.sum(x)
        tensor(21)
        >>> torch.sum(x, dim=0)
        tensor([5, 7, 9])
        >>> torch.sum(x, dim=1, keepdim=True)
        tensor([[ 6],
                [15]])
    """
    a = input._array
    if dim is None and dtype is None and not keepdim and out is None and a.dtype.kind in "fc":
        return dispatch.unary(_sum, input)
    dims = norm_dims(dim, a.ndim)
    attrs = _attrs(dims, keepdim, dtype=_int_to_long(a, dtype))
    return write_out(dispatch.unary(_sum, input, **attrs), out)


@op("mean", keep="", kind="reduction")
def _mean(m, a, dim=None, keepdim=False, dtype=None, n=1):
    if n == 0 or a.dtype.itemsize >= 4 or dtype is not None:
        # sum / n: what NumPy's mean does, without its wrapper's cost (nor its "Mean of empty
        # slice" warning: an empty mean is NaN, as torch's)
        return a.sum(axis=dim, keepdims=keepdim, dtype=dtype) / n
    # NumPy's mean of float16 accumulates in float32 but returns float16, like torch
    return a.mean(axis=dim, keepdims=keepdim, dtype=dtype)


_mean.derivative(lambda m, g, a, out, dim=None, keepdim=False, dtype=None, n=1:
                 unsqueeze_like(m, g, dim, keepdim) / n)


@public("mean", method=True)
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor (floating or complex).

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``); with
        dim=None the result is 0-dim.

    Example:
        >>> x = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.mean(x)
        tensor(2.5000)
        >>> torch.mean(x, dim=1)
        tensor([1.5000, 3.5000])
    """
    a = input._array
    d = None if dtype is None else _dt.to_dtype(dtype)
    if d is None and a.dtype.kind not in "fc" and a.dtype != _dt.bfloat16.np:
        raise EmberRuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_torch_dtype_name(input)}")
    dims = norm_dims(dim, a.ndim)
    attrs = _attrs(dims, keepdim, dtype=None if d is None else d.np)
    attrs["n"] = _count(a.shape, dims)
    return write_out(dispatch.unary(_mean, input, **attrs), out)


# --- prod ----------------------------------------------------------------------------------------
@op("prod", keep="a+out", kind="reduction", node_name="ProdBackward1")
def _prod(m, a, dim=None, keepdim=False, dtype=None):
    return a.prod(axis=dim, keepdims=keepdim, dtype=dtype)


def _exclusive_cumprod(m, x, axis):
    """Product of the elements strictly before each position along ``axis`` (1 at the start)."""
    head = (slice(None),) * axis
    ones = m.ones_like(x[head + (slice(0, 1),)])
    return m.cumprod(m.concatenate([ones, x[head + (slice(None, -1),)]], axis=axis), axis=axis)


@_prod.derivative
def _prod_grad(m, g, a, out, dim=None, keepdim=False, dtype=None):
    g = unsqueeze_like(m, g, dim, keepdim)
    if not m.any(a == 0):
        return g * m.conj(unsqueeze_like(m, out, dim, keepdim) / a)
    # out / a breaks on zeros: the product of all the *other* elements is the exclusive product
    # from the left times the one from the right; being cumprods, it differentiates again.
    x, axis = (a.reshape(-1), 0) if dim is None else (a, dim[0])
    others = (_exclusive_cumprod(m, x, axis)
              * m.flip(_exclusive_cumprod(m, m.flip(x, axis), axis), axis))
    return g * m.conj(others.reshape(a.shape))


_PROD_ALL = op("prod_all", keep="a+out", kind="reduction", node_name="ProdBackward0")(
    _prod.forward)
_PROD_ALL.derivative(_prod_grad)


@public("prod", method=True)
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """prod(input, *, dtype=None) -> Tensor; prod(input, dim, keepdim=False, *, dtype=None).

    Shape:
        ``dim`` is removed (kept with size 1 when ``keepdim``); without it the result is 0-dim.

    Example:
        >>> x = torch.tensor([[1, 2], [3, 4]])
        >>> torch.prod(x)
        tensor(24)
        >>> torch.prod(x, 0)
        tensor([3, 8])
    """
    a = input._array
    dt = _int_to_long(a, dtype)
    if dim is None:
        return write_out(dispatch.unary(_PROD_ALL, input, **_attrs(None, False, dtype=dt)), out)
    if not isinstance(dim, int):
        raise EmberTypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    dims = norm_dims(dim, a.ndim)
    return write_out(dispatch.unary(_prod, input, **_attrs(dims, keepdim, dtype=dt)), out)


# --- amax/amin, max/min, argmax/argmin ---------------------------------------------------------
def _extreme_grad(m, g, a, out, dim=None, keepdim=False):
    # tied extremes share the gradient evenly (torch's amax/amin and full max()/min())
    mask = a == unsqueeze_like(m, out, dim, keepdim)
    count = m.sum(mask, axis=dim, keepdims=True)
    return m.where(mask, unsqueeze_like(m, g, dim, keepdim) / count, 0)


_AMAX = op("amax", keep="a+out", kind="reduction")(
    lambda m, a, dim=None, keepdim=False: a.max(axis=dim, keepdims=keepdim))
_AMAX.derivative(_extreme_grad)
_AMIN = op("amin", keep="a+out", kind="reduction")(
    lambda m, a, dim=None, keepdim=False: a.min(axis=dim, keepdims=keepdim))
_AMIN.derivative(_extreme_grad)
_MAX_ALL = op("max", keep="a+out", kind="reduction", node_name="MaxBackward1")(
    lambda m, a: a.max())
_MAX_ALL.derivative(_extreme_grad)
_MIN_ALL = op("min", keep="a+out", kind="reduction", node_name="MinBackward1")(
    lambda m, a: a.min())
_MIN_ALL.derivative(_extreme_grad)


def _along_grad(m, g, a, index, out, dim, keepdim, shape):
    # ``index`` keeps the reduced dimension, so it lines up with the re-expanded gradient
    return m.scatter_along(shape, index, g if keepdim else m.expand_dims(g, dim), dim)


# max/min over one dim: the wrapper finds the indices (argmax/argmin) and passes them in as a
# constant input, so backward scatters to exactly the element torch reports.
_MAX_DIM = op("max_dim", keep="b", kind="reduction", node_name="MaxBackward0")(
    lambda m, a, index, dim, keepdim, shape: a.max(axis=dim, keepdims=keepdim))
_MAX_DIM.derivative((_along_grad, None))
_MIN_DIM = op("min_dim", keep="b", kind="reduction", node_name="MinBackward0")(
    lambda m, a, index, dim, keepdim, shape: a.min(axis=dim, keepdims=keepdim))
_MIN_DIM.derivative((_along_grad, None))


def _arg_kernel(np_name):
    def kernel(m, a, dim=None, keepdim=False):
        return getattr(a, np_name)(axis=dim, keepdims=keepdim).astype(np.int64, copy=False)
    return kernel


_ARGMAX = op("argmax", kind="reduction")(_arg_kernel("argmax"))
_ARGMIN = op("argmin", kind="reduction")(_arg_kernel("argmin"))


def _amax_amin(name, opdef, input, dim, keepdim, out):
    a = input._array
    dims = norm_dims(dim, a.ndim)
    _check_nonempty(name, a, dims)
    return write_out(dispatch.unary(opdef, input, **_attrs(dims, keepdim)), out)


@public("amax", method=True)
def amax(input, dim=(), keepdim=False, *, out=None):
    """amax(input, dim=(), keepdim=False) -> Tensor: maximum over ``dim`` (all dims when empty);
    tied maxima share the gradient evenly.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[1, 5], [7, 2]])
        >>> torch.amax(x)
        tensor(7)
        >>> torch.amax(x, dim=1)
        tensor([5, 7])
    """
    return _amax_amin("amax", _AMAX, input, dim, keepdim, out)


@public("amin", method=True)
def amin(input, dim=(), keepdim=False, *, out=None):
    """amin(input, dim=(), keepdim=False) -> Tensor: minimum over ``dim`` (all dims when empty).

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[1, 5], [7, 2]])
        >>> torch.amin(x)
        tensor(1)
        >>> torch.amin(x, dim=1)
        tensor([1, 2])
    """
    return _amax_amin("amin", _AMIN, input, dim, keepdim, out)


def _max_min(name, input, dim, keepdim, out):
    is_max = name == "max"
    if isinstance(dim, Tensor):          # max(input, other): the elementwise binary form
        from .elementwise import _B
        return write_out(dispatch.binary(_B["maximum" if is_max else "minimum"], input, dim), out)
    a = input._array
    if dim is None:
        _check_nonempty(name, a, None)
        return write_out(dispatch.unary(_MAX_ALL if is_max else _MIN_ALL, input), out)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise EmberTypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim(int(dim), a.ndim)
    if a.ndim == 0:
        values, indices = _max_min(name, input.reshape(1), 0, False, None)
        res = getattr(return_types, name)(values.reshape(()), indices.reshape(()))
        return _write_pair(res, out)
    _check_nonempty(name, a, (d,))
    idx = dispatch.unary(_ARGMAX if is_max else _ARGMIN, input, dim=d, keepdim=True)._array
    values = dispatch.apply(_MAX_DIM if is_max else _MIN_DIM, (input, idx),
                            {"dim": d, "keepdim": bool(keepdim), "shape": a.shape})
    if values._edge is not None:
        idx = idx.copy()                 # the node keeps its own copy of the indices
    indices = wrap(idx if keepdim else idx.reshape(values._array.shape))
    return _write_pair(getattr(return_types, name)(values, indices), out)


def _write_pair(res, out):
    if out is None:
        return res
    write_out(res[0], out[0])
    write_out(res[1], out[1])
    return type(res)(out[0], out[1])


@public("max", method=True)
def max(input, dim=None, keepdim=False, *, out=None):
    """max(input) -> Tensor; max(input, dim, keepdim=False) -> (values, indices);
    max(input, other) -> maximum(input, other).

    Shape:
        with ``dim``, values and indices have the input's shape without ``dim`` (size 1 when
        ``keepdim``).

    Example:
        >>> x = torch.tensor([[1, 5], [7, 2]])
        >>> torch.max(x)
        tensor(7)
        >>> torch.max(x, dim=1)
        torch.return_types.max(
        values=tensor([5, 7]),
        indices=tensor([1, 0]))
    """
    return _max_min("max", input, dim, keepdim, out)


@public("min", method=True)
def min(input, dim=None, keepdim=False, *, out=None):
    """min(input) -> Tensor; min(input, dim, keepdim=False) -> (values, indices);
    min(input, other) -> minimum(input, other).

    Shape:
        with ``dim``, values and indices have the input's shape without ``dim`` (size 1 when
        ``keepdim``).

    Example:
        >>> x = torch.tensor([[1, 5], [7, 2]])
        >>> torch.min(x)
        tensor(1)
        >>> torch.min(x, dim=0)
        torch.return_types.min(
        values=tensor([1, 2]),
        indices=tensor([0, 1]))
    """
    return _max_min("min", input, dim, keepdim, out)


def _arg(name, input, dim, keepdim, out):
    a = input._array
    if a.dtype == np.bool_:
        raise EmberRuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        _check_nonempty(name, a, None, identity_hint=False)
        attrs = {"keepdim": True} if keepdim else {}
    else:
        if isinstance(dim, (tuple, list)):
            raise EmberTypeError(f"{name}(): argument 'dim' must be int, not "
                                 f"{type(dim).__name__}")
        d = _wrap_dim(dim, a.ndim)
        attrs = {}
        if a.ndim:
            _check_nonempty(name, a, (d,))
            attrs = {"dim": d, "keepdim": True} if keepdim else {"dim": d}
    return write_out(dispatch.unary(_ARGMAX if name == "argmax" else _ARGMIN, input, **attrs),
                     out)


@public("argmax", method=True)
def argmax(input, dim=None, keepdim=False, *, out=None):
    """argmax(input, dim=None, keepdim=False) -> LongTensor: index of the first maximum (of the
    flattened input when ``dim`` is None); NaN counts as the maximum.

    Shape:
        ``dim`` is removed (kept with size 1 when ``keepdim``); with dim=None the result is
        0-dim.

    Example:
        >>> x = torch.tensor([[1, 5, 3], [7, 2, 7]])
        >>> torch.argmax(x)
        tensor(3)
        >>> torch.argmax(x, dim=1)
        tensor([1, 0])
    """
    return _arg("argmax", input, dim, keepdim, out)


@public("argmin", method=True)
def argmin(input, dim=None, keepdim=False, *, out=None):
    """argmin(input, dim=None, keepdim=False) -> LongTensor: index of the first minimum.

    Shape:
        ``dim`` is removed (kept with size 1 when ``keepdim``); with dim=None the result is
        0-dim.

    Example:
        >>> x = torch.tensor([[1, 5, 3], [7, 2, 7]])
        >>> torch.argmin(x)
        tensor(0)
        >>> torch.argmin(x, dim=1)
        tensor([0, 1])
    """
    return _arg("argmin", input, dim, keepdim, out)


# --- var / std -----------------------------------------------------------------------------------
def _centered(m, a, dim, n):
    # sum / n rather than mean: an empty reduction gives NaN without NumPy's warning
    return a - m.sum(a, axis=dim, keepdims=True) / n


def _var_kernel(m, a, dim=None, keepdim=False, n=1, dof=1.0):
    d = _centered(m, a, dim, n)
    sq = (d * m.conj(d)).real if a.dtype.kind == "c" else d * d
    return m.sum(sq, axis=dim, keepdims=keepdim) / dof


_VAR = op("var", keep="a", kind="reduction")(_var_kernel)
_VAR.derivative(lambda m, g, a, out, dim=None, keepdim=False, n=1, dof=1.0:
                unsqueeze_like(m, g, dim, keepdim) * _centered(m, a, dim, n) * 2 / dof)


@op("std", keep="a+out", kind="reduction")
def _std(m, a, dim=None, keepdim=False, n=1, dof=1.0):
    return m.sqrt(_var_kernel(m, a, dim, keepdim, n, dof))


@_std.derivative
def _std_grad(m, g, a, out, dim=None, keepdim=False, n=1, dof=1.0):
    # d std = d var / (2 std); torch defines it as 0 where std is 0 (all elements equal)
    o = unsqueeze_like(m, out, dim, keepdim)
    zero = o == 0
    scale = m.where(zero, 0, unsqueeze_like(m, g, dim, keepdim) / m.where(zero, 1, o))
    return scale * _centered(m, a, dim, n) / dof


def _var_std(name, opdef, input, dim, unbiased, keepdim, correction, out):
    if isinstance(dim, bool):            # var(input, unbiased): the legacy overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise EmberTypeError(f"{name}(): pass either correction= or unbiased=, not both")
    a = input._array
    if a.dtype.kind not in "fc" and a.dtype != _dt.bfloat16.np:
        raise EmberRuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    dims = norm_dims(dim, a.ndim)
    n = _count(a.shape, dims)
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    attrs = _attrs(dims, keepdim)
    attrs["n"] = n
    attrs["dof"] = float(dof if dof > 0 else 0)
    return write_out(dispatch.unary(opdef, input, **attrs), out)


@public("var", method=True)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """var(input, dim=None, *, correction=1, keepdim=False) -> Tensor; the legacy forms
    var(input, unbiased) and var(input, dim, unbiased, keepdim) are accepted too.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[1., 2., 3.], [2., 4., 6.]])
        >>> torch.var(x)
        tensor(3.2000)
        >>> torch.var(x, dim=1)
        tensor([1., 4.])
        >>> torch.var(x, dim=1, correction=0)
        tensor([0.6667, 2.6667])
    """
    return _var_std("var", _VAR, input, dim, unbiased, keepdim, correction, out)


@public("std", method=True)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """std(input, dim=None, *, correction=1, keepdim=False) -> Tensor: sqrt of var (gradient 0
    where the standard deviation is 0).

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[1., 2., 3.], [2., 4., 6.]])
        >>> torch.std(x, dim=1)
        tensor([1., 2.])
    """
    return _var_std("std", _std, input, dim, unbiased, keepdim, correction, out)


@public("var_mean")
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """var_mean(input, dim=None, *, correction=1, keepdim=False) -> (var, mean).

    Example:
        >>> torch.var_mean(torch.tensor([[1., 2., 3.], [2., 4., 6.]]), dim=1)
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@public("std_mean")
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """std_mean(input, dim=None, *, correction=1, keepdim=False) -> (std, mean).

    Example:
        >>> torch.std_mean(torch.tensor([[1., 2., 3.], [2., 4., 6.]]), dim=1)
        (tensor([1., 2.]), tensor([2., 4.]))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


# --- norm ----------------------------------------------------------------------------------------
@op("linalg_vector_norm", keep="a+out", kind="reduction",
    node_name="LinalgVectorNormBackward0")
def _vector_norm(m, a, ord=2.0, dim=None, keepdim=False):
    x = m.abs(a)
    if ord == 2:
        return m.sqrt(m.sum(x * x, axis=dim, keepdims=keepdim))
    if ord == 1:
        return m.sum(x, axis=dim, keepdims=keepdim)
    if ord == _INF:
        return m.max(x, axis=dim, keepdims=keepdim)
    if ord == -_INF:
        return m.min(x, axis=dim, keepdims=keepdim)
    if ord == 0:
        return m.sum(x != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
    return m.sum(x ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)


@_vector_norm.derivative
def _vector_norm_grad(m, g, a, out, ord=2.0, dim=None, keepdim=False):
    if ord == 0:
        return None                       # a count: no gradient, as torch
    g = unsqueeze_like(m, g, dim, keepdim)
    if ord == 1:
        return g * m.sgn(a)
    o = unsqueeze_like(m, out, dim, keepdim)
    zo = o == 0                           # torch: zero vectors get gradient 0, not NaN
    if ord == 2:
        return a * m.where(zo, 0, g / m.where(zo, 1, o))
    if ord == _INF or ord == -_INF:
        mask = m.abs(a) == o              # tied extremes share the gradient evenly
        return m.sgn(a) * m.where(mask, g / m.sum(mask, axis=dim, keepdims=True), 0)
    # d/dx (sum |x|^p)^(1/p) = sgn(x) |x|^(p-1) norm^(1-p); each factor is 0 where its base is
    # 0 (and the safe bases keep the unused branch finite, for double backward)
    ax = m.abs(a)
    zx = ax == 0
    scale = m.where(zo, 0, g * m.where(zo, 1, o) ** (1 - ord))
    return m.sgn(a) * m.where(zx, 0, m.where(zx, 1, ax) ** (ord - 1)) * scale


def _ord_str(p):
    if math.isinf(p):
        return "inf" if p > 0 else "-inf"
    return str(int(p)) if float(p).is_integer() else str(p)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """linalg.vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor."""
    if dtype is not None:
        x = x.to(dtype)
    a = x._array
    if a.dtype.kind not in "fc" and a.dtype != _dt.bfloat16.np:
        raise EmberRuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                                f"as input. Got {_torch_dtype_name(x)}")
    ord = float(ord)
    dims = norm_dims(dim, a.ndim)
    if ord < 0 and _count(a.shape, dims) == 0:
        raise EmberRuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on an "
                                "empty tensor because the operation does not have an identity")
    if ord == _INF and _count(a.shape, dims) == 0:
        raise EmberRuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                                "because the operation does not have an identity")
    attrs = _attrs(dims, keepdim)
    if ord != 2:
        attrs["ord"] = ord
    return write_out(dispatch.unary(_vector_norm, x, **attrs), out)


@public("norm", method=True)
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None) -> Tensor: the vector
    p-norm over ``dim`` (all elements when None); p may be 'fro', inf, -inf, 0, 1, 2 or any
    number. The gradient is 0 at zero vectors, as torch's.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[3., 4.], [6., 8.]])
        >>> torch.norm(x, dim=1)
        tensor([ 5., 10.])
        >>> torch.norm(x, p=1)
        tensor(21.)
    """
    if isinstance(p, str):
        if p != "fro":
            if p == "nuc":
                from ..linalg import matrix_norm
                return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim,
                                   dtype=dtype, out=out)
            raise EmberRuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise EmberRuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                                    + " ".join(str(d) for d in dim))
        p = 2
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype, out=out)


# --- logsumexp -----------------------------------------------------------------------------------
@op("logsumexp", keep="a+out", kind="reduction", dtype_rule="float")
def _logsumexp(m, a, dim=None, keepdim=False):
    if a.size == 0:
        return m.log(m.sum(m.exp(a), axis=dim, keepdims=keepdim))
    # complex inputs shift by the largest real part: a real shift keeps log's principal branch
    shift = m.max(a.real if a.dtype.kind == "c" else a, axis=dim, keepdims=True)
    # an all -inf (or +inf) slice must not compute inf - inf
    shift = m.where(m.isinf(shift), 0, shift)
    r = m.log(m.sum(m.exp(a - shift), axis=dim, keepdims=True)) + shift
    return r if keepdim else m.squeeze(r, axis=dim)


_logsumexp.derivative(lambda m, g, a, out, dim=None, keepdim=False:
                      unsqueeze_like(m, g, dim, keepdim)
                      * m.conj(m.exp(a - unsqueeze_like(m, out, dim, keepdim))))


@public("logsumexp", method=True)
def logsumexp(input, dim, keepdim=False, *, out=None):
    """logsumexp(input, dim, keepdim=False) -> Tensor: log(sum(exp(input))) over ``dim``,
    computed with the maximum shifted out so it cannot overflow.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[0., 0.], [100., 100.]])
        >>> torch.logsumexp(x, dim=1)
        tensor([  0.6931, 100.6931])
    """
    dims = norm_dims(dim, input._array.ndim)
    return write_out(dispatch.unary(_logsumexp, input, **_attrs(dims, keepdim)), out)


# --- all / any / count_nonzero -------------------------------------------------------------------
def _logical_kernel(np_name):
    def kernel(m, a, dim=None, keepdim=False):
        r = getattr(a, np_name)(axis=dim, keepdims=keepdim)
        return r.astype(np.uint8) if a.dtype == np.uint8 else r    # torch keeps uint8
    return kernel


_ALL = op("all", kind="reduction")(_logical_kernel("all"))
_ANY = op("any", kind="reduction")(_logical_kernel("any"))


@public("all", method=True)
def all(input, dim=None, keepdim=False, *, out=None):
    """all(input, dim=None, keepdim=False) -> BoolTensor: every element nonzero.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[1, 0], [2, 3]])
        >>> torch.all(x)
        tensor(False)
        >>> torch.all(x, dim=1)
        tensor([False,  True])
    """
    dims = norm_dims(dim, input._array.ndim)
    return write_out(dispatch.unary(_ALL, input, **_attrs(dims, keepdim)), out)


@public("any", method=True)
def any(input, dim=None, keepdim=False, *, out=None):
    """any(input, dim=None, keepdim=False) -> BoolTensor: some element nonzero.

    Shape:
        the dimensions in ``dim`` are removed (kept with size 1 when ``keepdim``).

    Example:
        >>> x = torch.tensor([[0, 0], [2, 0]])
        >>> torch.any(x)
        tensor(True)
        >>> torch.any(x, dim=1)
        tensor([False,  True])
    """
    dims = norm_dims(dim, input._array.ndim)
    return write_out(dispatch.unary(_ANY, input, **_attrs(dims, keepdim)), out)


_COUNT_NONZERO = op("count_nonzero", kind="reduction")(
    lambda m, a, dim=None: np.asarray(m.count_nonzero(a, axis=dim), dtype=np.int64))


@public("count_nonzero", method=True)
def count_nonzero(input, dim=None):
    """count_nonzero(input, dim=None) -> LongTensor.

    Shape:
        the dimensions in ``dim`` are removed.

    Example:
        >>> x = torch.tensor([[0, 1, 2], [0, 0, 3]])
        >>> torch.count_nonzero(x)
        tensor(3)
        >>> torch.count_nonzero(x, dim=0)
        tensor([0, 1, 2])
    """
    dims = norm_dims(dim, input._array.ndim)
    return dispatch.unary(_COUNT_NONZERO, input, **_attrs(dims, False))


# --- cumsum / cumprod ----------------------------------------------------------------------------
def _scan_kernel(np_name):
    def kernel(m, a, dim, dtype=None):
        if a.ndim == 0:
            return a.astype(dtype or a.dtype)           # a copy: a scan of one element
        return getattr(a, np_name)(axis=dim, dtype=dtype)
    return kernel


def _reverse_cumsum(m, x, dim):
    return m.flip(m.cumsum(m.flip(x, dim), axis=dim), dim)


_CUMSUM = op("cumsum", kind="reduction")(_scan_kernel("cumsum"))
_CUMSUM.derivative(lambda m, g, a, out, dim, dtype=None:
                   g if len(g.shape) == 0 else _reverse_cumsum(m, g, dim))
_CUMPROD = op("cumprod", keep="a+out", kind="reduction")(_scan_kernel("cumprod"))


@_CUMPROD.derivative
def _cumprod_grad(m, g, a, out, dim, dtype=None):
    if len(a.shape) == 0:
        return g
    if not m.any(a == 0):
        return _reverse_cumsum(m, g * m.conj(out), dim) / m.conj(a)
    # Split each slice at its first zero z. Before z, out/a is safe. At z the gradient is
    # sum_{k>=z} g_k prod_{j<=k, j!=z} a_j: a cumprod with a_z replaced by 1. After z, every
    # output that depends on a_i also contains the factor a_z = 0.
    zeros_seen = m.cumsum(a == 0, axis=dim)
    before = zeros_seen == 0
    first = (zeros_seen == 1) & (a == 0)
    head = (_reverse_cumsum(m, m.where(before, g * m.conj(out), 0), dim)
            / m.conj(m.where(before, a, 1)))
    skipped = m.cumprod(m.where(first, 1, a), axis=dim)
    at = m.sum(m.where(zeros_seen > 0, g * m.conj(skipped), 0), axis=dim, keepdims=True)
    return m.where(before, head, 0) + m.where(first, at, 0)


def _scan(opdef, input, dim, dtype, out):
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    attrs = {"dim": d}
    dt = _int_to_long(a, dtype)
    if dt is not None:
        attrs["dtype"] = dt
    return write_out(dispatch.unary(opdef, input, **attrs), out)


@public("cumsum", method=True)
def cumsum(input, dim, *, dtype=None, out=None):
    """cumsum(input, dim, *, dtype=None) -> Tensor: running sums along ``dim`` (integers in
    int64).

    Example:
        >>> torch.cumsum(torch.tensor([1, 2, 3, 4]), dim=0)
        tensor([ 1,  3,  6, 10])
        >>> torch.cumsum(torch.tensor([[1, 2], [3, 4]]), dim=1)
        tensor([[1, 3],
                [3, 7]])
    """
    return _scan(_CUMSUM, input, dim, dtype, out)


@public("cumprod", method=True)
def cumprod(input, dim, *, dtype=None, out=None):
    """cumprod(input, dim, *, dtype=None) -> Tensor: running products along ``dim``; the
    gradient is exact with zeros in the input.

    Example:
        >>> torch.cumprod(torch.tensor([1, 2, 3, 4]), dim=0)
        tensor([ 1,  2,  6, 24])
    """
    return _scan(_CUMPROD, input, dim, dtype, out)


def _scan_(opdef):
    def fn_(self, dim, *, dtype=None):
        a = self._array
        d = _wrap_dim(dim, a.ndim)
        # in place keeps self's dtype, so accumulate in it
        np_dtype = a.dtype if dtype is None else _dt.to_dtype(dtype).np
        return dispatch.apply_inplace(opdef, self, (), {"dim": d, "dtype": np_dtype})
    return fn_


METHODS["cumsum_"] = _scan_(_CUMSUM)
METHODS["cumprod_"] = _scan_(_CUMPROD)
