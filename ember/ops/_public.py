"""Helpers that turn registry ops into torch-signature functions and methods (shared by every
family file so each op is one row, not a page of wrappers)."""
import numpy as np

from .._errors import EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, wrap
from . import dispatch
from .registry import METHODS, PUBLIC


def write_out(res, out):
    """Honour ``out=``: copy ``res`` into ``out`` (resizing an empty or mismatched ``out`` as torch
    does) and return ``out``."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise EmberTypeError(f"out= must be a Tensor, got {type(out).__name__}")
    if out._edge is not None and dispatch.state.grad_enabled:
        raise EmberRuntimeError("functions with out=... arguments don't support automatic "
                                "differentiation, but one of the arguments requires grad.")
    r = res._array
    if out._array.shape != r.shape:
        out._array = np.empty(r.shape, dtype=out._array.dtype)
    if not np.can_cast(r.dtype, out._array.dtype, casting="same_kind"):
        raise EmberRuntimeError(f"result type {res.dtype} can't be cast to the desired output "
                                f"type {out.dtype}")
    np.copyto(out._array, r, casting="unsafe")
    if out._vc is not None:
        out._vc.version += 1
    return out


def to_tensor(x, like=None):
    """Accept a Tensor, or wrap a Python number / NumPy array as a tensor (for ops whose every
    argument must be a tensor)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return wrap(x)
    from .creation import tensor
    return tensor(x)


def expose_unary(op, names=None, method=True, inplace=True):
    """ember.<name>(input, *, out=None), Tensor.<name>(), Tensor.<name>_()."""
    unary = dispatch.unary

    def fn(input, *, out=None):
        if out is None:
            return unary(op, input)
        return write_out(unary(op, input), out)
    fn.__name__ = op.name
    fn.__qualname__ = op.name
    fn.__doc__ = f"{op.name}(input, *, out=None) -> Tensor: elementwise {op.name}."
    for n in names or (op.name,):
        PUBLIC[n] = fn
        if method:
            METHODS[n] = fn
    if inplace:
        def fn_(self):
            return dispatch.apply_inplace(op, self)
        fn_.__name__ = op.name + "_"
        for n in names or (op.name,):
            METHODS[n + "_"] = fn_
    return fn


def expose_binary(op, names=None, method=True, inplace=True):
    """ember.<name>(input, other, *, out=None), Tensor.<name>(other), Tensor.<name>_(other)."""
    binary = dispatch.binary

    def fn(input, other, *, out=None):
        if out is None:
            return binary(op, input, other)
        return write_out(binary(op, input, other), out)
    fn.__name__ = op.name
    fn.__qualname__ = op.name
    fn.__doc__ = f"{op.name}(input, other, *, out=None) -> Tensor: elementwise, broadcasting."
    for n in names or (op.name,):
        PUBLIC[n] = fn
        if method:
            METHODS[n] = fn
    if inplace:
        def fn_(self, other):
            return dispatch.apply_inplace(op, self, (other,))
        for n in names or (op.name,):
            METHODS[n + "_"] = fn_
    return fn
