"""Reductions over ``dim`` (int, tuple or None) with ``keepdim`` and ``dtype``."""
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..tensor import Tensor, _wrap_dim
from . import dispatch
from ._public import write_out
from .registry import op, public


def norm_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes, or None for all dimensions."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(dims)) != len(dims):
            raise EmberRuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return dims
    return (_wrap_dim(dim, ndim),)


def unsqueeze_like(m, g, dim, keepdim):
    """Re-insert reduced dimensions so ``g`` broadcasts against the input."""
    if keepdim or dim is None:
        return g
    return m.expand_dims(g, dim)


def _integral_to_long(a):
    return np.int64 if a.dtype.kind in "biu" else None


@op("sum", keep="", kind="reduction")
def _sum(m, a, dim=None, keepdim=False, dtype=None):
    if dtype is None and a.dtype.kind in "biu":
        dtype = np.int64          # torch sums integers in int64
    return m.sum(a, axis=dim, keepdims=keepdim, dtype=dtype)


_sum.derivative(lambda m, g, a, out, dim=None, keepdim=False, dtype=None:
                unsqueeze_like(m, g, dim, keepdim))


@public("sum", method=True)
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor."""
    dims = norm_dims(dim, input._array.ndim)
    attrs = {}
    if dims is not None:
        attrs["dim"] = dims
    if keepdim:
        attrs["keepdim"] = True
    if dtype is not None:
        attrs["dtype"] = _dt.to_dtype(dtype).np
    return write_out(dispatch.unary(_sum, input, **attrs), out)


@op("mean", keep="", kind="reduction")
def _mean(m, a, dim=None, keepdim=False, dtype=None):
    return m.mean(a, axis=dim, keepdims=keepdim, dtype=dtype)


def _mean_grad(m, g, a, out, dim=None, keepdim=False, dtype=None, n=1):
    return unsqueeze_like(m, g, dim, keepdim) / n


_mean.derivative(lambda m, g, a, out, dim=None, keepdim=False, dtype=None, n=1:
                 unsqueeze_like(m, g, dim, keepdim) / n)


def _count(shape, dims):
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


@public("mean", method=True)
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor (floating or complex)."""
    a = input._array
    d = None if dtype is None else _dt.to_dtype(dtype)
    if d is None and a.dtype.kind not in "fc" and a.dtype != _dt.bfloat16.np:
        raise EmberRuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {input.dtype.name.capitalize()}")
    dims = norm_dims(dim, a.ndim)
    attrs = {"n": _count(a.shape, dims)}
    if dims is not None:
        attrs["dim"] = dims
    if keepdim:
        attrs["keepdim"] = True
    if d is not None:
        attrs["dtype"] = d.np
    return write_out(dispatch.unary(_MEAN_OP, input, **attrs), out)


def _mean_kernel(m, a, dim=None, keepdim=False, dtype=None, n=1):
    r = m.mean(a, axis=dim, keepdims=keepdim, dtype=dtype)
    # NumPy's mean of float16 accumulates in float32 but returns float16, like torch
    return r


_MEAN_OP = _mean
_MEAN_OP.forward = _mean_kernel
_MEAN_OP.derivative(_mean_grad)


def is_tensor(x):
    return isinstance(x, Tensor)
