"""Indexing: ``t[index]`` (basic index -> view, advanced -> gather) and ``t[index] = value``."""
import numpy as np

from .._errors import EmberIndexError, EmberRuntimeError
from ..tensor import Tensor
from . import dispatch
from .registry import METHODS, op
from .views import _index_error, basic_getitem

_BASIC = (int, slice, type(None), type(Ellipsis))


def _is_basic(index):
    if type(index) in _BASIC:
        return type(index) is not bool
    if type(index) is tuple:
        for i in index:
            if type(i) not in _BASIC:
                return False
        return True
    return False


def _convert_index(index):
    """Tensors in an index become NumPy arrays (bool masks stay masks)."""
    if isinstance(index, Tensor):
        return index._array
    if isinstance(index, tuple):
        return tuple(_convert_index(i) for i in index)
    if isinstance(index, list):
        if any(isinstance(i, (Tensor, list, tuple, slice, type(None), type(Ellipsis))) for i in index):
            try:
                return np.array([_convert_index(i) for i in index])
            except ValueError:
                return tuple(_convert_index(i) for i in index)
        return np.array(index)
    return index


def _check_index_arrays(t, idx):
    for i in (idx if isinstance(idx, tuple) else (idx,)):
        if isinstance(i, np.ndarray) and i.dtype.kind not in "biu":
            raise EmberIndexError("tensors used as indices must be long, int, byte or bool tensors"
                                  f" (got {i.dtype})")


@op("index", keep="shape", kind="indexing")
def _index(m, a, index):
    return a[index]


_index.derivative(lambda m, g, a_shape, out, index: m.scatter_advanced(a_shape, index, g))


def getitem(self, index):
    if _is_basic(index):
        return basic_getitem(self, index)
    idx = _convert_index(index)
    _check_index_arrays(self, idx)
    try:
        return dispatch.unary(_index, self, index=idx)
    except IndexError as exc:
        raise _index_error(self, index, exc) from None


def _mask_out(m, g, index):
    """g with the entries at ``index`` zeroed: they were overwritten, so get no gradient."""
    return m.zero_at(g, index)


def setitem(self, index, value):
    if not isinstance(value, Tensor):
        if isinstance(value, np.ndarray):
            from .creation import as_tensor
            value = as_tensor(value)
        elif not isinstance(value, (int, float, bool, complex)):
            from .creation import tensor
            value = tensor(value)
    if _is_basic(index):
        target = basic_getitem(self, index)
        target.copy_(value)
        return
    idx = _convert_index(index)
    _check_index_arrays(self, idx)
    v = value if isinstance(value, Tensor) else value
    try:
        dispatch.apply_inplace(_INDEX_PUT_INPLACE, self, (v,), {"index": idx})
    except IndexError as exc:
        raise _index_error(self, index, exc) from None


def _index_put_inplace_kernel(m, a, v, index, accumulate=False):
    out = a.copy()
    if accumulate:
        m.add.at(out, index, v)
    else:
        out[index] = v
    return out


_INDEX_PUT_INPLACE = op("index_put_", keep="", kind="indexing", node_name="IndexPutBackward0")(
    _index_put_inplace_kernel)
_INDEX_PUT_INPLACE.derivative((lambda m, g, a, v, out, index, accumulate=False:
                               g if accumulate else _mask_out(m, g, index),
                               lambda m, g, a, v, out, index, accumulate=False: g[index]))


@op("copy_", kind="elementwise", node_name="CopyBackwards")
def _copy(m, a, src):
    return m.broadcast_to(src, a.shape).astype(a.dtype, copy=False) if hasattr(src, "shape") \
        else m.full(a.shape, src, dtype=a.dtype)


_copy.derivative((lambda m, g, a, src, out: g * 0, lambda m, g, a, src, out: g))


def copy_(self, src, non_blocking=False):
    """copy_(src) -> self: copy ``src`` (broadcast, cast) into this tensor's memory."""
    if isinstance(src, Tensor):
        try:
            np.broadcast_shapes(src._array.shape, self._array.shape)
        except ValueError:
            raise EmberRuntimeError(f"The size of tensor a ({list(self.shape)}) must match the "
                                    f"size of tensor b ({list(src.shape)}) in copy_") from None
        arr = src._array
        if arr.dtype.kind == "c" and self._array.dtype.kind != "c":
            arr = arr.real
        return dispatch.apply_inplace(_copy, self, (src,), arrays=[arr])
    return dispatch.apply_inplace(_copy, self, (src,))


METHODS["__getitem__"] = getitem
METHODS["__setitem__"] = setitem
METHODS["copy_"] = copy_
