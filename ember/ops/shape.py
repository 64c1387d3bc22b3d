"""Copying shape ops: cat, stack, flip, roll, repeat, tile, tril/triu, contiguous, clone."""
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..tensor import Tensor, _wrap_dim
from . import dispatch
from ._public import write_out
from .registry import METHODS, op, public


@op("clone", kind="elementwise", dtype_rule="same")
def _clone(m, a):
    return m.array(a, copy=True)


_clone.derivative(lambda m, g, a, out: g)


@public("clone", method=True)
def clone(input, *, memory_format=None):
    """clone(input) -> Tensor: a copy that stays in the graph."""
    return dispatch.unary(_clone, input)


@public("contiguous", method=True, function=False)
def contiguous(self, memory_format=None):
    """contiguous() -> Tensor: self when already contiguous, else a contiguous copy."""
    if self._array.flags.c_contiguous:
        return self
    return dispatch.unary(_CONTIG, self)


_CONTIG = op("contiguous", kind="elementwise", node_name="CloneBackward0")(
    lambda m, a: m.ascontiguousarray(a))
_CONTIG.derivative(lambda m, g, a, out: g)


def _promoted(tensors, name):
    if not tensors:
        raise EmberRuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise EmberRuntimeError(f"{name}(): expected a list of Tensors, but element is "
                                    f"{type(t).__name__}")
    d = tensors[0]._array.dtype
    if all(t._array.dtype is d for t in tensors):
        return [t._array for t in tensors]
    rd = tensors[0].dtype
    for t in tensors[1:]:
        rd = _dt.promote_types(rd, t.dtype)
    return [t._array.astype(rd.np) for t in tensors]


def _cat_kernel(m, *arrays, dim, sizes):
    return m.concatenate(arrays, axis=dim)


def _cat_grad(m, g, *args, dim, sizes):
    out = []
    start = 0
    for s in sizes:
        idx = (slice(None),) * dim + (slice(start, start + s),)
        out.append(g[idx])
        start += s
    return tuple(out)


_CAT = op("cat", kind="shape")(_cat_kernel)
_CAT.derivative(_cat_grad)


@public("cat", "concat", "concatenate")
def cat(tensors, dim=0, *, out=None):
    """cat(tensors, dim=0, *, out=None) -> Tensor: join tensors along an existing dimension."""
    tensors = list(tensors)
    arrays = _promoted(tensors, "cat")
    # torch skips legacy empty 1-D tensors of shape (0,)
    keep = [i for i, a in enumerate(arrays) if not (a.ndim == 1 and a.shape[0] == 0)] or [0]
    tensors = [tensors[i] for i in keep]
    arrays = [arrays[i] for i in keep]
    nd = arrays[0].ndim
    if nd == 0:
        raise EmberRuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, nd)
    for i, a in enumerate(arrays):
        if a.ndim != nd:
            raise EmberRuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                                    f"{a.ndim}")
        for k in range(nd):
            if k != d and a.shape[k] != arrays[0].shape[k]:
                raise EmberRuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{arrays[0].shape[k]} but got size {a.shape[k]} for tensor number {i} in the "
                    "list.")
    sizes = tuple(a.shape[d] for a in arrays)
    res = dispatch.apply(_CAT, tuple(tensors), {"dim": d, "sizes": sizes}, arrays=arrays)
    return write_out(res, out)


@public("stack")
def stack(tensors, dim=0, *, out=None):
    """stack(tensors, dim=0, *, out=None) -> Tensor: join equal-shaped tensors along a new
    dimension."""
    tensors = list(tensors)
    if not tensors:
        raise EmberRuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._array.shape
    for i, t in enumerate(tensors):
        if t._array.shape != shape:
            raise EmberRuntimeError(f"stack expects each tensor to be equal size, but got "
                                    f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    nd = len(shape) + 1
    if not -nd <= dim < nd:
        raise EmberRuntimeError(f"Dimension out of range (expected to be in range of [{-nd}, "
                                f"{nd - 1}], but got {dim})")
    d = dim % nd
    return cat([t.unsqueeze(d) for t in tensors], d, out=out)
