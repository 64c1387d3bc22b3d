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


# Doctests of the generated functions: doctest only collects functions defined at module level,
# so each one with an example is listed here (tests/docs/test_doctests.py runs them).
__test__ = {}


def _doc(name, params, shape_note, desc=None):
    """The docstring of a generated elementwise function: signature, a description from
    _examples.DESCRIPTIONS and, where _examples.EXAMPLES has one, an example."""
    from ._examples import DESCRIPTIONS, EXAMPLES
    desc = desc or DESCRIPTIONS.get(name) or f"the {name} operation"
    doc = f"{name}{params} -> Tensor: {desc}, elementwise{shape_note}"
    if name in EXAMPLES:
        call, result = EXAMPLES[name]
        doc += f"\n\nExample:\n    >>> {call}\n    {result}\n"
    return doc


def expose_unary(op, names=None, method=True, inplace=True):
    """ember.<name>(input, *, out=None), Tensor.<name>(), Tensor.<name>_()."""
    unary = dispatch.unary

    def fn(input, *, out=None):
        if out is None:
            return unary(op, input)
        return write_out(unary(op, input), out)
    fn.__name__ = op.name
    fn.__qualname__ = op.name
    fn.__doc__ = _doc(op.name, "(input, *, out=None)", "; the result has input's shape.")
    for n in names or (op.name,):
        PUBLIC[n] = fn
        if method:
            METHODS[n] = fn
    if inplace:
        def fn_(self):
            return dispatch.apply_inplace(op, self)
        fn_.__name__ = op.name + "_"
        fn_.__doc__ = _doc(op.name + "_", "(input)", "; overwrites input and returns it.",
                           f"in-place {op.name}")
        for n in names or (op.name,):
            METHODS[n + "_"] = fn_
        if ">>>" in fn_.__doc__:
            __test__[fn_.__name__] = fn_
    if ">>>" in fn.__doc__:
        __test__[op.name] = fn
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
    fn.__doc__ = _doc(op.name, "(input, other, *, out=None)",
                      "; input and other (a tensor or a number) broadcast to a common shape.")
    for n in names or (op.name,):
        PUBLIC[n] = fn
        if method:
            METHODS[n] = fn
    if inplace:
        def fn_(self, other):
            return dispatch.apply_inplace(op, self, (other,))
        fn_.__name__ = op.name + "_"
        fn_.__doc__ = _doc(op.name + "_", "(input, other)",
                           "; overwrites input (other must broadcast to its shape) and returns it.",
                           f"in-place {op.name}")
        for n in names or (op.name,):
            METHODS[n + "_"] = fn_
        if ">>>" in fn_.__doc__:
            __test__[fn_.__name__] = fn_
    if ">>>" in fn.__doc__:
        __test__[op.name] = fn
    return fn
