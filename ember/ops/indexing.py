"""Indexing: ``t[index]``, ``t[index] = value``, ``index_put`` and ``copy_`` (the gather/scatter
family is in index_ops.py).

Note [torch's indexing semantics]: an index means here what it means in torch, which is not
always what it means in NumPy, so the index is parsed here instead of being handed to NumPy:
- ints (and 0-dim integer tensors) *select*: they are applied first, as part of a view, and
  never take part in advanced indexing. ``z[0, :, [0, 1]]`` has shape (3, 2) in torch; NumPy
  says (2, 3).
- a list is an index tensor, unless it holds a sequence, slice, None, Ellipsis or tensor: then
  it is read as a tuple (torch's legacy rule). Index lists of floats truncate to int64.
- negative slice steps raise; uint8 tensors are (deprecated) masks; other tensor dtypes than
  int64, int32, bool and uint8 are rejected.
So ``t[index]`` is one basic view (ints, slices, None, an expanded Ellipsis) of ``t`` and then,
only if the index had tensors, one advanced ``index`` op on that view. Once the ints are gone,
NumPy's rule for where the indexed dimensions land (in place when adjacent, else first) is
torch's rule.

``t[index] = value`` follows torch too: Python numbers are converted to ``t``'s dtype first
(with torch's overflow check); a basic index copies into the view (``copy_``, which casts);
an advanced index is ``index_put_``, which wants ``value`` in ``t``'s dtype, except that a
single boolean mask with a one-element value is ``masked_fill_`` (which casts).
"""
import operator
import warnings

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberIndexError, EmberRuntimeError, EmberTypeError, EmberValueError
from .._state import state
from ..tensor import Tensor, wrap
from . import dispatch
from .registry import METHODS, op, public
from .views import _select, _slice, legacy_type

_FULL = slice(None)
_INT64 = np.dtype(np.int64)
_INT32 = np.dtype(np.int32)
_BOOL = np.dtype(np.bool_)
_SCALARS = (int, float, bool, complex)
_F32_MAX = float(np.finfo(np.float32).max)

# C++ type names as torch's overflow messages print them ("... to type int64_t ...")
_OVERFLOW_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                   "bfloat16": "c10::BFloat16", "int8": "int8_t", "int16": "int16_t",
                   "int32": "int", "int64": "int64_t", "uint8": "uint8_t", "bool": "bool",
                   "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}



# --- parsing an index ---------------------------------------------------------------------------
def _as_items(index):
    """The index as a tuple of items (torch's rule for when a list means a tuple)."""
    if type(index) is tuple:
        return index
    if type(index) is list and len(index) < 32:
        for i in index:
            if isinstance(i, (Tensor, list, tuple, slice)) or i is None or i is Ellipsis:
                return tuple(index)
    return (index,)


def _index_array(item):
    """A tensor, array or sequence used as an index, as a bool or int64/int32 NumPy array."""
    if isinstance(item, Tensor):
        arr = item._array
    elif isinstance(item, np.ndarray):
        arr = item
    else:
        try:
            arr = np.asarray(item)
        except (ValueError, TypeError, EmberRuntimeError):
            raise EmberIndexError(f"could not make an index tensor from {item!r}") from None
        # torch builds a bool or an int64 tensor from a Python index sequence (floats truncate)
        if arr.dtype != _BOOL:
            if arr.dtype.kind not in "iuf":
                raise EmberIndexError(f"could not make an index tensor from {item!r}")
            arr = arr.astype(np.int64)
        return arr
    dt = arr.dtype
    if dt == _INT64 or dt == _BOOL or dt == _INT32:
        # a copy: the op's Node keeps it, and a later in-place write to the index tensor must
        # not change the gradient
        return arr.copy()
    if dt == np.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        return arr.astype(np.bool_)
    raise EmberIndexError("tensors used as indices must be long, int, byte or bool tensors "
                          f"(got {_dt.from_numpy_dtype(dt)})")


def _slice_item(s):
    """Check a slice the way torch does (positive steps only) and make its bounds ints."""
    start, stop, step = s.start, s.stop, s.step
    if step is not None:
        step = operator.index(step)
        if step <= 0:
            raise EmberValueError("slice step cannot be zero" if step == 0 else
                                  "step must be greater than zero")
    if start is not None and type(start) is not int:
        start = operator.index(start)
    if stop is not None and type(stop) is not int:
        stop = operator.index(stop)
    return slice(start, stop, step)


def _parse(t, index):
    """Split ``index`` into (basic, adv, op).

    ``basic`` is a NumPy basic index (ints, slices, None) for ``t``, or None when it would be the
    identity; ``adv`` lists (dim, array) pairs: the advanced indices, placed on the dimensions
    of the view that ``basic`` makes; ``op`` is the view op for ``basic``: select when it only
    picks (ints among full slices), else slice."""
    shape = t._array.shape
    nd = len(shape)
    items = []
    specified = 0
    for it in _as_items(index):
        tp = type(it)
        if tp is int or tp is slice:
            specified += 1
        elif it is None or it is Ellipsis or tp is bool:
            pass
        elif isinstance(it, (Tensor, np.ndarray, list, tuple)):
            it = _index_array(it)
            if it.ndim == 0:                 # 0-dim tensors act as Python ints and bools
                it = bool(it) if it.dtype == _BOOL else int(it)
                specified += type(it) is int
            else:
                specified += it.ndim if it.dtype == _BOOL else 1
        elif isinstance(it, np.bool_):
            it = bool(it)
        elif not isinstance(it, float) and hasattr(it, "__index__"):
            it = operator.index(it)
            specified += 1
        else:
            raise EmberIndexError("only integers, slices (`:`), ellipsis (`...`), None and long "
                                  f"or byte Variables are valid indices (got "
                                  f"{type(it).__name__})")
        items.append(it)
    if specified > nd:
        if nd == 0:
            raise EmberIndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                                  "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                                  "number")
        raise EmberIndexError(f"too many indices for tensor of dimension {nd}")

    basic, adv = [], []
    vdim = odim = 0           # dimension in the view being built / in t
    identity = True
    picks_only = True         # only ints and full slices: torch's select
    ellipsis_seen = False
    for it in items:
        tp = type(it)
        if tp is int:
            size = shape[odim]
            if not -size <= it < size:
                raise EmberIndexError(f"index {it} is out of bounds for dimension {odim} with "
                                      f"size {size}")
            basic.append(it)
            odim += 1
            identity = False
        elif tp is slice:
            it = _slice_item(it)
            basic.append(it)
            if it != _FULL:
                identity = picks_only = False
            odim += 1
            vdim += 1
        elif it is None:
            basic.append(None)
            vdim += 1
            identity = picks_only = False
        elif it is Ellipsis:
            k = 0 if ellipsis_seen else nd - specified
            ellipsis_seen = True
            basic.extend((_FULL,) * k)
            odim += k
            vdim += k
        elif tp is bool:          # a new size-1 dimension, kept (True) or emptied (False)
            basic.append(None)
            adv.append((vdim, np.array([it])))
            vdim += 1
            identity = picks_only = False
        else:
            n = it.ndim if it.dtype == _BOOL else 1
            if n > 1 or it.dtype == _BOOL:
                _check_mask(t, basic, it, odim, vdim)
            adv.append((vdim, it))
            basic.extend((_FULL,) * n)
            odim += n
            vdim += n
    if identity:
        return None, adv, _slice
    # The trailing Ellipsis makes NumPy return a 0-d view, not a scalar copy, for full selects.
    return tuple(basic) + (Ellipsis,), adv, (_select if picks_only else _slice)


def _check_mask(t, basic, mask, odim, vdim):
    want = t._array.shape[odim:odim + mask.ndim]
    for j, (m, s) in enumerate(zip(mask.shape, want)):
        if m != s:
            view_shape = t._array[tuple(basic) + (Ellipsis,)].shape
            raise EmberIndexError(f"The shape of the mask {list(mask.shape)} at index {j} does "
                                  f"not match the shape of the indexed tensor {list(view_shape)} "
                                  f"at index {vdim + j}")


def _adv_tuple(adv, nonzero=False):
    """The NumPy index for the view's advanced part; ``nonzero`` expands masks to int arrays
    (assignment then broadcasts values the way torch does)."""
    parts = []
    cur = 0
    for vd, arr in adv:
        parts.extend((_FULL,) * (vd - cur))
        if arr.dtype == _BOOL:
            cur = vd + arr.ndim
            if nonzero:
                parts.extend(np.nonzero(arr))
                continue
        else:
            cur = vd + 1
        parts.append(arr)
    return tuple(parts)


def _adv_error(adv, exc):
    msg = str(exc)
    if "could not be broadcast" in msg:
        shapes = []
        for _, arr in adv:
            if arr.dtype == _BOOL:
                shapes.extend([[int(np.count_nonzero(arr))]] * arr.ndim)
            else:
                shapes.append(list(arr.shape))
        return EmberIndexError("shape mismatch: indexing tensors could not be broadcast together "
                               f"with shapes {', '.join(str(s) for s in shapes)}")
    return EmberIndexError(msg.replace(" axis ", " dimension "))


# --- t[index] -----------------------------------------------------------------------------------
@op("index", keep="shape", kind="indexing")
def _index(m, a, index):
    return a[index]


_index.derivative(lambda m, g, a_shape, out, index: m.scatter_advanced(a_shape, index, g))


def getitem(self, index):
    """self[index]: a view for ints, slices, None and Ellipsis; a new tensor when the index has
    tensors, lists or bools (Note [torch's indexing semantics])."""
    tp = type(index)
    if tp is int:
        shape = self._array.shape
        if shape and -shape[0] <= index < shape[0]:
            return dispatch.apply_view(_select, self, index=(index, Ellipsis))
    elif tp is slice and self._array.ndim and (index.step is None or
                                                type(index.step) is int and index.step > 0):
        return dispatch.apply_view(_slice, self, index=(index, Ellipsis))
    basic, adv, view_op = _parse(self, index)
    if not adv:
        return dispatch.apply_view(view_op, self, index=basic or (Ellipsis,))
    v = self if basic is None else dispatch.apply_view(view_op, self, index=basic)
    try:
        return dispatch.unary(_index, v, index=_adv_tuple(adv))
    except IndexError as exc:
        raise _adv_error(adv, exc) from None


# --- t[index] = value ---------------------------------------------------------------------------
def cast_scalar(value, dtype):
    """A Python number as a NumPy scalar of ``dtype``, with torch's overflow check."""
    if isinstance(value, np.generic):
        value = value.item()
    npd = dtype.np
    if type(value) is float and (npd == np.float64 or npd == np.float32 and (
            -_F32_MAX <= value <= _F32_MAX or value != value)):
        return npd.type(value)         # the common case, nothing to check
    kind = npd.kind

    def overflow():
        return EmberRuntimeError(f"value cannot be converted to type "
                                 f"{_OVERFLOW_NAMES.get(dtype.name, dtype.name)} without overflow")
    if kind == "b":
        return np.bool_(bool(value))
    if type(value) is complex and kind != "c":
        if value.imag != 0:
            raise overflow()
        value = value.real
    if kind in "iu":
        info = np.iinfo(npd)
        if type(value) is float:
            if not info.min <= value <= info.max:       # NaN fails too
                raise overflow()
            return npd.type(int(value))
        value = int(value)
        # torch lets negative ints wrap into unsigned types as long as |value| fits
        if not (-info.max if kind == "u" else info.min) <= value <= info.max:
            raise overflow()
        return npd.type(value & info.max if value < 0 and kind == "u" else value)
    if npd == np.float32 or npd == np.complex64:
        lim = np.finfo(np.float32).max
        parts = (value.real, value.imag) if type(value) is complex else (value,)
        try:
            if any(abs(float(p)) > lim and abs(float(p)) != float("inf") for p in parts):
                raise overflow()
        except OverflowError:
            raise overflow() from None
    try:
        return np.asarray(value).astype(npd)[()]
    except OverflowError:
        raise overflow() from None


def _assignable(self, value):
    if isinstance(value, Tensor):
        return value
    # like torch: Python numbers, NumPy ints and the NumPy scalars that are Python numbers
    if isinstance(value, (*_SCALARS, np.integer)) and not isinstance(value, np.bool_):
        return cast_scalar(value, self.dtype)
    tp = type(value)
    name = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
    raise EmberTypeError(f"can't assign a {name} to a {legacy_type(self)}")


def setitem(self, index, value):
    """self[index] = value (Note [torch's indexing semantics] for what each index does)."""
    value = _assignable(self, value)
    if type(index) is int and self._array.ndim and -self._array.shape[0] <= index < \
            self._array.shape[0]:
        target = dispatch.apply_view(_select, self, index=(index, Ellipsis))
        adv = None
    else:
        basic, adv, view_op = _parse(self, index)
        target = self if basic is None else dispatch.apply_view(view_op, self, index=basic)
    if not adv:
        _copy_into(target, value)
    else:
        _put(target, adv, value)
    if target is not self and self._view is not None and state.grad_enabled \
            and self._view[0]._edge is not None:
        # The write went through a view made here; bring self's own history up to date too.
        from ..autograd.inplace import replay
        self._edge = replay(self._view[1], self._view[0], True)._edge


def _copy_into(target, value):
    if not isinstance(value, Tensor):
        dispatch.apply_inplace(_copy, target, (value,))
        return
    vs = value._array.shape
    k = 0
    while k < len(vs) and vs[k] == 1:     # torch drops the value's leading 1s
        k += 1
    if k:
        value = value.reshape(vs[k:])
    if value._array.shape != target._array.shape:
        value = value.expand(*target._array.shape)      # torch's message when it cannot
    copy_(target, value)


def _put(target, adv, value):
    if len(adv) == 1 and adv[0][1].dtype == _BOOL and (
            not isinstance(value, Tensor) or value._array.size == 1):
        vd, mask = adv[0]
        nd = target._array.ndim
        mask = mask.reshape((1,) * vd + mask.shape + (1,) * (nd - vd - mask.ndim))
        if isinstance(value, Tensor) and value._array.ndim:
            value = value.reshape(())
        from .index_ops import masked_fill_
        masked_fill_(target, wrap(mask), value)
        return
    parts = _adv_tuple(adv, nonzero=True)
    if isinstance(value, Tensor) and value._array.dtype != target._array.dtype:
        _check_put_shape(target, parts, value._array.shape)   # torch checks shapes first
        raise EmberRuntimeError(f"Index put requires the source and destination dtypes match, "
                                f"got {target.dtype.scalar_name} for the destination and "
                                f"{value.dtype.scalar_name} for the source.")
    try:
        dispatch.apply_inplace(_INDEX_PUT, target, (value,), {"index": parts,
                                                              "accumulate": False})
    except IndexError as exc:
        raise _adv_error(adv, exc) from None
    except ValueError:
        _check_put_shape(target, parts, value._array.shape if isinstance(value, Tensor) else ())
        raise


def _check_put_shape(target, parts, vshape):
    try:
        rshape = target._array[parts].shape
    except IndexError:
        return      # the index itself is wrong: that error comes from the write
    k = 0
    while k < len(vshape) and vshape[k] == 1:
        k += 1
    try:
        ok = np.broadcast_shapes(vshape[k:], rshape) == rshape
    except ValueError:
        ok = False
    if not ok:
        raise EmberRuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                                f"broadcast to indexing result of shape {list(rshape)}")


def _index_put_kernel(m, a, v, index, accumulate=False):
    out = a.copy()
    if accumulate:
        m.add.at(out, index, v)
    else:
        out[index] = v
    return out


_INDEX_PUT = op("index_put", kind="indexing")(_index_put_kernel)
_INDEX_PUT.derivative((lambda m, g, a, v, out, index, accumulate=False:
                       g if accumulate else m.zero_at(g, index),
                       lambda m, g, a, v, out, index, accumulate=False: g[index]))


def _put_indices(self, indices, name):
    if not isinstance(indices, (tuple, list)):
        raise EmberTypeError(f"{name}(): argument 'indices' must be tuple of Tensors, not "
                             f"{type(indices).__name__}")
    adv, dim = [], 0
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise EmberTypeError(f"expected Tensor as element {i} in argument 0, but got "
                                 f"{type(t).__name__}")
        arr = _index_array(t)
        n = arr.ndim if arr.dtype == _BOOL else 1
        if arr.dtype == _BOOL and arr.ndim == 0:
            raise EmberIndexError(f"{name}(): 0-dim boolean indices are not supported")
        if dim + n > self._array.ndim:
            raise EmberIndexError(f"too many indices for tensor of dimension {self._array.ndim} "
                                  f"(got {len(indices)})")
        if arr.dtype == _BOOL:
            _check_mask(self, (), arr, dim, dim)
        adv.append((dim, arr))
        dim += n
    return adv


def _put_values(self, values, name):
    if not isinstance(values, Tensor):
        raise EmberTypeError(f"{name}(): argument 'values' (position 2) must be Tensor, not "
                             f"{type(values).__name__}")
    if values._array.dtype != self._array.dtype:
        raise EmberRuntimeError(f"Index put requires the source and destination dtypes match, "
                                f"got {self.dtype.scalar_name} for the destination and "
                                f"{values.dtype.scalar_name} for the source.")


@public("index_put", method=True)
def index_put(input, indices, values, accumulate=False):
    """index_put(input, indices, values, accumulate=False) -> Tensor: a copy of ``input`` with
    ``input[indices] = values`` (``+=`` with accumulate; repeated indices then add up).

    Example:
        >>> vals = torch.tensor([1., 2.])
        >>> torch.index_put(torch.zeros(3), (torch.tensor([0, 2]),), vals)
        tensor([1., 0., 2.])
        >>> torch.index_put(torch.zeros(3), (torch.tensor([0, 0]),), vals, accumulate=True)
        tensor([3., 0., 0.])
    """
    adv = _put_indices(input, indices, "index_put")
    _put_values(input, values, "index_put")
    parts = _adv_tuple(adv, nonzero=True)
    try:
        return dispatch.apply(_INDEX_PUT, (input, values),
                              {"index": parts, "accumulate": bool(accumulate)})
    except IndexError as exc:
        raise _adv_error(adv, exc) from None
    except ValueError:
        _check_put_shape(input, parts, values._array.shape)
        raise


@public("index_put_", method=True)
def index_put_(self, indices, values, accumulate=False):
    """index_put_(indices, values, accumulate=False) -> self: ``self[indices] = values`` in
    place (``+=`` with accumulate).

    Example:
        >>> x = torch.zeros(2, 2)
        >>> x.index_put_((torch.tensor([0, 1]), torch.tensor([1, 0])), torch.tensor([5., 6.]))
        tensor([[0., 5.],
                [6., 0.]])
    """
    adv = _put_indices(self, indices, "index_put_")
    _put_values(self, values, "index_put_")
    parts = _adv_tuple(adv, nonzero=True)
    try:
        return dispatch.apply_inplace(_INDEX_PUT, self, (values,),
                                      {"index": parts, "accumulate": bool(accumulate)})
    except IndexError as exc:
        raise _adv_error(adv, exc) from None
    except ValueError:
        _check_put_shape(self, parts, values._array.shape)
        raise


# --- copy_ --------------------------------------------------------------------------------------
@op("copy_", kind="elementwise", node_name="CopyBackwards")
def _copy(m, a, src):
    # A number comes back 0-d: the in-place write broadcasts it, no full-size temporary.
    if type(src) is not np.ndarray:
        return m.asarray(src, dtype=a.dtype)
    return m.broadcast_to(src, a.shape).astype(a.dtype, copy=False)


_copy.derivative((lambda m, g, a, src, out: g * 0, lambda m, g, a, src, out: g))


def broadcast_error(a_shape, b_shape):
    """torch's message for two shapes that do not broadcast (tensor a, tensor b)."""
    for i in range(1, max(len(a_shape), len(b_shape)) + 1):
        x = a_shape[-i] if i <= len(a_shape) else 1
        y = b_shape[-i] if i <= len(b_shape) else 1
        if x != y and x != 1 and y != 1:
            d = max(len(a_shape), len(b_shape)) - i
            return EmberRuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                     f"({y}) at non-singleton dimension {d}")
    return None


def _partial_overlap(a, b):
    """torch's check: two dense blocks of one storage that overlap without coinciding (for
    strided ones torch cannot tell, copies element by element and so does NumPy)."""
    if not (a.flags.c_contiguous or a.flags.f_contiguous) or \
            not (b.flags.c_contiguous or b.flags.f_contiguous) or not a.size or not b.size:
        return False
    pa, pb = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    if pa == pb and a.nbytes == b.nbytes:
        return False
    return pa < pb + b.nbytes and pb < pa + a.nbytes


def copy_(self, src, non_blocking=False):
    """copy_(src, non_blocking=False) -> self: copy ``src`` (broadcast, cast) into this tensor's
    memory."""
    if isinstance(src, Tensor):
        arr = src._array
        A = self._array
        if arr.shape != A.shape:
            err = broadcast_error(A.shape, arr.shape)
            if err is not None:
                raise err
        if src._vc is not None and src._vc is self._vc and _partial_overlap(A, arr):
            # views of one base (they share the version counter) that partly overlap
            raise EmberRuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation.")
        if arr.dtype.kind == "c" and self._array.dtype.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part",
                          UserWarning, stacklevel=2)
            arr = arr.real
        return dispatch.apply_inplace(_copy, self, (src,), arrays=[arr])
    return dispatch.apply_inplace(_copy, self, (src,))


METHODS["__getitem__"] = getitem
METHODS["__setitem__"] = setitem
METHODS["copy_"] = copy_
