"""Creation: tensor, as_tensor, asarray, from_numpy, zeros/ones/full/empty (+ _like, new_*),
arange, range, linspace, logspace, eye and the legacy ``Tensor(...)`` constructor. Results are
leaves; ``requires_grad=True`` makes them trainable; ``out=`` works where torch has it."""
import math
import operator
import warnings

import numpy as np

from .. import _layout
from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from .._state import state
from ..device import check_device
from ..tensor import Size, Tensor, wrap
from .registry import METHODS, public

_PY_SCALARS = frozenset((bool, int, float, complex))
_COPY_WARNING = ("To copy construct from a tensor, it is recommended to use "
                 "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                 "requires_grad_(True), rather than {}(sourceTensor).")


def _finish(array, requires_grad=False):
    t = wrap(array)
    if state.inference:
        from ..autograd.grad_mode import mark_inference
        mark_inference(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _store(array, out, requires_grad=False):
    """The result of a factory: a new leaf, or ``out`` resized and overwritten (torch's out=)."""
    if out is None:
        return _finish(array, requires_grad)
    from ._public import write_out
    return write_out(wrap(array), out)


def _np_dtype(dtype, out=None, default=None):
    """The NumPy dtype a factory produces: ``dtype=``, else ``out``'s dtype, else ``default``
    (the default float dtype when that is None)."""
    if dtype is not None:
        return _dt.to_dtype(dtype).np
    if out is not None:
        return out._array.dtype
    return _dt._defaults.float.np if default is None else default


# ---------------------------------------------------------------------------------------------
# tensor(): dtype inference over nested data
# ---------------------------------------------------------------------------------------------
# Note [tensor() dtype inference]: torch promotes (promote_types, no weak scalars) the dtypes of
# every leaf: bool -> bool, int -> int64, float -> the default dtype, complex -> the default
# complex dtype, NumPy scalars/arrays and one-element tensors -> their own dtype. So
# [np.float16(1), 2.5] is float32 and [tensor(1, dtype=int32), 2] is int64. NumPy's own
# inference differs (it makes Python floats float64), hence the walk below; a list of plain
# Python numbers is checked with one set(map(type, ...)) per innermost list.

def _is_seq(x):
    return isinstance(x, (list, tuple, range))


def _leaf_dtype(x):
    t = type(x)
    if t is float:
        return _dt._defaults.float
    if t is int:
        return _dt.int64
    if t is bool:
        return _dt.bool_
    if t is complex:
        return _dt._defaults.complex
    if isinstance(x, Tensor):
        if x._array.size != 1:
            raise EmberValueError(f"only one element tensors can be converted to Python scalars "
                                  f"(a tensor of shape {list(x.shape)} inside the data)")
        return x.dtype
    if isinstance(x, np.generic):
        return _dt.from_numpy_dtype(x.dtype)
    if isinstance(x, np.ndarray):      # 0-dim array
        return _dt.from_numpy_dtype(x.dtype)
    for base in (bool, int, float, complex):      # subclasses: IntEnum, np.float64 is a float
        if isinstance(x, base):
            return _leaf_dtype(base(x))
    if isinstance(x, (str, bytes)):
        raise EmberTypeError(f"new(): invalid data type '{t.__name__}'")
    raise EmberRuntimeError(f"Could not infer dtype of {t.__name__}")


def _shape_of(data):
    """Shape read along the first element of each level (torch validates the rest later)."""
    shape = []
    x = data
    while _is_seq(x):
        shape.append(len(x))
        if not len(x):
            return shape
        x = x[0]
    if isinstance(x, np.ndarray):
        shape.extend(x.shape)
    return shape


def _walk(x, dim, shape, found):
    """Check that ``x`` (at depth ``dim``) has ``shape[dim:]``; collect leaf dtypes and types
    into ``found`` (a set). Returns True when a Tensor appears among the leaves."""
    if isinstance(x, np.ndarray) and x.ndim:
        if list(x.shape) != shape[dim:]:
            raise EmberValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                                  f"(got an array of shape {list(x.shape)})")
        found.add(_dt.from_numpy_dtype(x.dtype))
        return False
    if dim == len(shape):
        if _is_seq(x):
            raise EmberTypeError(f"expected a number at dim {dim}, got a sequence of length "
                                 f"{len(x)} (nested sequences must all have the same depth)")
        found.add(_leaf_dtype(x))
        return isinstance(x, Tensor)
    if not _is_seq(x):
        raise EmberTypeError(f"not a sequence: expected sequence of length {shape[dim]} at dim "
                             f"{dim} (got {type(x).__name__})")
    if len(x) != shape[dim]:
        raise EmberValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                              f"(got {len(x)})")
    if dim + 1 == len(shape):
        types = set(map(type, x))
        if types <= _PY_SCALARS:
            found.update(_leaf_dtype(t()) for t in types)
            return False
    has_tensor = False
    for item in x:
        has_tensor |= _walk(item, dim + 1, shape, found)
    return has_tensor


def _untensor(x):
    """Replace tensors inside nested data by their Python values (works for tensors that
    require grad, where NumPy's __array__ path would refuse)."""
    if isinstance(x, Tensor):
        return x.item()
    if _is_seq(x):
        return [_untensor(v) for v in x]
    return x


def _infer(data):
    """(shape, ember dtype, data ready for np.array) for Python data, per Note [tensor() dtype
    inference]."""
    shape = _shape_of(data)
    found = set()
    has_tensor = _walk(data, 0, shape, found)
    if not found:
        d = _dt._defaults.float                     # empty: tensor([]) is float32
    else:
        it = iter(found)
        d = next(it)
        for other in it:
            d = _dt.promote_types(d, other)
    return shape, d, (_untensor(data) if has_tensor else data)


def _build(data, np_dtype, natural):
    """np.array of Python data in ``np_dtype``; values that do not fit (NumPy 2 refuses
    np.array([300], dtype=uint8)) are made in the ``natural`` dtype and cast, wrapping as
    torch's integer casts do."""
    try:
        return np.array(data, dtype=np_dtype)
    except OverflowError:
        pass
    try:
        arr = np.array(data, dtype=natural)
    except OverflowError:
        raise EmberValueError("Overflow when unpacking long long: a Python int does not fit "
                              "in int64") from None
    return arr.astype(np_dtype)


def _data_to_array(data, dtype):
    """NumPy array (a new one, or ``data`` itself when it already is one) for any data
    tensor()/as_tensor() accept."""
    if isinstance(data, np.ndarray):
        _dt.from_numpy_dtype(data.dtype)
        return data if dtype is None else data.astype(_dt.to_dtype(dtype).np, copy=False)
    if isinstance(data, np.generic):
        arr = np.asarray(data)
        _dt.from_numpy_dtype(arr.dtype)
        return arr if dtype is None else arr.astype(_dt.to_dtype(dtype).np)
    if type(data) in _PY_SCALARS:         # the common scalar case, without the walk
        d = _leaf_dtype(data).np
        return _build(data, d if dtype is None else _dt.to_dtype(dtype).np, d)
    if not _is_seq(data) and hasattr(data, "__array__"):
        return _data_to_array(np.asarray(data), dtype)
    if type(data) is list:
        types = set(map(type, data))
        if types and types <= _PY_SCALARS:        # a flat list of Python numbers: no walk
            d = _leaf_dtype(next(t for t in (complex, float, int, bool) if t in types)())
            return _build(data, d.np if dtype is None else _dt.to_dtype(dtype).np, d.np)
    shape, d, data = _infer(data)
    target = d.np if dtype is None else _dt.to_dtype(dtype).np
    arr = _build(data, target, d.np)
    if arr.shape != tuple(shape):
        arr = arr.reshape(shape)          # [[], []] comes back as (2, 0) already; () as (0,)
    return arr


@public("tensor")
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    a new tensor copying ``data`` (a number, nested sequence, NumPy array or tensor).

    Without ``dtype`` the type follows torch's inference: bools give bool, ints int64, floats
    the default dtype, complex the default complex dtype, NumPy data keeps its dtype, and mixed
    leaves are promoted.

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]])
        tensor([[1., 2.],
                [3., 4.]])
        >>> ember.tensor([1, 2.5]).dtype
        torch.float32
    """
    if device is not None:
        check_device(device)
    if dtype is None and type(data) is float:      # the common case, e.g. tensor(0.5)
        return _finish(np.array(data, dtype=_dt._defaults.float.np), requires_grad)
    if isinstance(data, Tensor):
        warnings.warn(_COPY_WARNING.format("torch.tensor"), UserWarning, stacklevel=2)
        arr = data._array
        arr = arr.copy() if dtype is None else arr.astype(_dt.to_dtype(dtype).np)
        return _finish(arr, requires_grad)
    arr = _data_to_array(data, dtype)
    if isinstance(data, np.ndarray) and (arr is data or np.shares_memory(arr, data)):
        arr = arr.copy()
    return _finish(arr, requires_grad)


@public("as_tensor")
def as_tensor(data, dtype=None, device=None):
    """as_tensor(data, dtype=None, device=None) -> Tensor: shares memory with a tensor or NumPy
    array that already has the requested dtype, converts (copies) otherwise.

    Example:
        >>> import numpy as np
        >>> a = np.array([1, 2, 3])
        >>> t = torch.as_tensor(a); a[0] = -1
        >>> t
        tensor([-1,  2,  3])
    """
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and any(s < 0 for s in data.strides):
        raise EmberValueError(_NEGATIVE_STRIDES)
    return _finish(_data_to_array(data, dtype))


@public("asarray")
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    ``obj`` itself (a tensor) or a tensor sharing its memory (a NumPy array) when no
    conversion is needed and ``copy`` is not True; a copy otherwise. ``copy=False`` refuses to
    copy.

    Example:
        >>> torch.asarray([1, 2, 3])
        tensor([1, 2, 3])
        >>> torch.asarray([[1, 2], [3, 4]], dtype=torch.float32)
        tensor([[1., 2.],
                [3., 4.]])
    """
    check_device(device)
    if isinstance(obj, Tensor):
        t = obj
        if dtype is not None and _dt.to_dtype(dtype) is not obj.dtype:
            if copy is False:
                raise EmberValueError(f"can't alias tensor with dtype '{obj.dtype.scalar_name}' "
                                      f"into dtype '{_dt.to_dtype(dtype).scalar_name}'.")
            t = obj.to(dtype)
        elif copy:
            t = obj.clone()
    else:
        arr = _data_to_array(obj, dtype)
        shares = isinstance(obj, np.ndarray) and np.shares_memory(arr, obj)
        if copy is False and isinstance(obj, np.ndarray) and not shares:
            raise EmberValueError(f"can't alias NumPy array of dtype {obj.dtype} into dtype "
                                  f"{_dt.to_dtype(dtype)} without a copy (copy=False)")
        if copy and shares:
            arr = arr.copy()
        t = _finish(arr)
    if requires_grad:
        t.requires_grad_(True)
    elif requires_grad is False and t._edge is not None:
        t = t.detach()
    return t


_NEGATIVE_STRIDES = ("At least one stride in the given numpy array is negative, and tensors with "
                     "negative strides are not currently supported. (You can probably work around "
                     "this by making a copy of your array  with array.copy().)")


@public("from_numpy")
def from_numpy(ndarray):
    """from_numpy(ndarray) -> Tensor sharing the array's memory: writes on either side show on
    the other, and the tensor keeps the array alive.

    Example:
        >>> import numpy as np
        >>> a = np.array([1, 2, 3])
        >>> t = torch.from_numpy(a)
        >>> t[0] = 7; a
        array([7, 2, 3])
    """
    if not isinstance(ndarray, np.ndarray):
        raise EmberTypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise EmberValueError(_NEGATIVE_STRIDES)
    return _finish(ndarray)


# ---------------------------------------------------------------------------------------------
# zeros / ones / empty / full and friends
# ---------------------------------------------------------------------------------------------

def size_args(size, name):
    """Sizes given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)``, as a tuple of
    ints (0-dim integer tensors count as ints, floats do not)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(operator.index(s) for s in size)
    except TypeError:
        bad = next(s for s in size if not hasattr(s, "__index__") or isinstance(s, float))
        raise EmberTypeError(f"{name}(): argument 'size' must be tuple of ints, but found "
                             f"element of type {type(bad).__name__}") from None
    for s in size:
        if s < 0:
            raise EmberRuntimeError(f"Trying to create tensor with negative dimension {s}: "
                                    f"{list(size)}")
    return size


def _filled(name, np_fn):
    def fn(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False, **kw):
        check_device(device)
        if "size" in kw:
            size = (kw.pop("size"),)
        # of these creators only torch.empty takes a memory format
        fmt = kw.pop("memory_format", None) if name == "empty" else None
        if kw:
            raise EmberTypeError(f"{name}() got an unexpected keyword argument "
                                 f"'{next(iter(kw))}'")
        shape = size_args(size, name)
        if fmt is not None:
            if fmt is _layout.preserve_format:
                raise EmberRuntimeError("unsupported memory format Preserve")
            order = _layout.physical_order(fmt, len(shape), name)
            if order is not None:
                return _store(_layout.empty_in(shape, _np_dtype(dtype, out), order), out,
                              requires_grad)
        return _store(np_fn(shape, dtype=_np_dtype(dtype, out)), out, requires_grad)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name}(*size, *, out=None, dtype=None, layout=torch.strided, device=None, "
                  f"requires_grad=False) -> Tensor: a tensor of the given size "
                  f"({'uninitialised' if name == 'empty' else name}).\n\n"
                  f"    Example:\n"
                  f"        >>> torch.{name}(2, 3).shape\n"
                  f"        torch.Size([2, 3])\n"
                  f"        >>> torch.{name}(2, dtype=torch.int64).dtype\n"
                  f"        torch.int64\n    ")
    return fn


zeros = public("zeros")(_filled("zeros", np.zeros))
ones = public("ones")(_filled("ones", np.ones))
empty = public("empty")(_filled("empty", np.empty))


def _like(name, np_fn):
    like_fn = getattr(np, name)

    def fn(input, *, dtype=None, layout=None, device=None, requires_grad=False,
           memory_format=None):
        check_device(device)
        d = input._array.dtype if dtype is None else _dt.to_dtype(dtype).np
        return _finish(_like_array(input._array, d, memory_format, np_fn, like_fn, name),
                       requires_grad)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name}(input, *, dtype=None, layout=None, device=None, requires_grad=False, "
                  f"memory_format=torch.preserve_format) -> Tensor with input's shape (and "
                  f"dtype unless given).\n\n"
                  f"    Example:\n"
                  f"        >>> torch.{name}(torch.tensor([[1, 2], [3, 4]])).shape\n"
                  f"        torch.Size([2, 2])\n"
                  f"        >>> torch.{name}(torch.tensor([1, 2]), dtype=torch.float64).dtype\n"
                  f"        torch.float64\n    ")
    return fn


def _like_array(a, d, fmt, np_fn, like_fn, name):
    if fmt is None or fmt is _layout.preserve_format:
        # NumPy's *_like keep the input's dimension order ("K"), as preserve_format does
        return like_fn(a, dtype=d)
    order = _layout.physical_order(fmt, a.ndim, name)
    if order is None:
        return np_fn(a.shape, dtype=d)
    out = _layout.empty_in(a.shape, d, order)
    if np_fn is not np.empty:
        out[...] = 0 if np_fn is np.zeros else 1
    return out


zeros_like = public("zeros_like")(_like("zeros_like", np.zeros))
ones_like = public("ones_like")(_like("ones_like", np.ones))
empty_like = public("empty_like")(_like("empty_like", np.empty))


def _fill_value(fill_value):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return fill_value


def _full_array(shape, fill_value, np_dtype):
    try:
        return np.full(shape, fill_value, dtype=np_dtype)
    except OverflowError:      # an int that does not fit wraps, as torch's casts do
        return np.full(shape, fill_value).astype(np_dtype)


@public("full")
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """full(size, fill_value, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor filled with ``fill_value``; without ``dtype`` the dtype
    follows the value (bool, int64, the default float or complex dtype).

    Example:
        >>> torch.full((2, 3), 7)
        tensor([[7, 7, 7],
                [7, 7, 7]])
        >>> torch.full((2,), 1.5)
        tensor([1.5000, 1.5000])
    """
    check_device(device)
    if not isinstance(size, (tuple, list)):
        raise EmberTypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                             f"{type(size).__name__}")
    fill_value = _fill_value(fill_value)
    default = _dt.scalar_dtype(fill_value).np
    d = _np_dtype(dtype, out, default)
    return _store(_full_array(size_args((size,), "full"), fill_value, d), out, requires_grad)


@public("full_like")
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """full_like(input, fill_value, *, dtype=None, layout=None, device=None,
    requires_grad=False, memory_format=torch.preserve_format) -> Tensor of input's shape and
    dtype (unless given) filled with ``fill_value``.

    Example:
        >>> torch.full_like(torch.zeros(2, 2), 3)
        tensor([[3., 3.],
                [3., 3.]])
    """
    check_device(device)
    d = input._array.dtype if dtype is None else _dt.to_dtype(dtype).np
    return _finish(_full_array(input._array.shape, _fill_value(fill_value), d), requires_grad)


# ---------------------------------------------------------------------------------------------
# arange / range / linspace / logspace / eye
# ---------------------------------------------------------------------------------------------

def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def _is_float_arg(x):
    return isinstance(x, (float, complex)) or (isinstance(x, np.generic) and x.dtype.kind in "fc")


@public("arange")
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """arange(start=0, end, step=1, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: values from ``start`` up to (excluding) ``end`` every
    ``step``; int64 unless an argument is a float (then the default dtype).

    Length and values follow torch: ``ceil((end - start) / step)`` elements, each
    ``start + i * step`` computed in double and rounded once to the dtype.

    Example::

        >>> ember.arange(5)
        tensor([0, 1, 2, 3, 4])
        >>> ember.arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    check_device(device)
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    any_float = any(_is_float_arg(v) for v in (start, end, step))
    d = _np_dtype(dtype, out, _dt._defaults.float.np if any_float else np.dtype(np.int64))
    for v in (start, end):
        if not math.isfinite(v):
            raise EmberRuntimeError(f"unsupported range: {start} -> {end}")
    given_step = step
    if d == np.int64:
        # torch converts every argument to int64 first (arange(0, 2.9, dtype=long) is [0, 1])
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise _ZeroStepError("step must be nonzero" + (
            f" (step={given_step} is 0 as an int64)" if given_step != 0 else ""))
    if (end > start and step < 0) or (end < start and step > 0):
        raise EmberRuntimeError(f"upper bound and lower bound inconsistent with step sign "
                                f"(start={start}, end={end}, step={step})")
    if d.kind in "iub":
        if all(isinstance(v, int) for v in (start, end, step)):
            n = -((start - end) // step)          # exact ceil division for Python ints
        else:
            n = math.ceil((end - start) / step)
        # other integer dtypes: the length comes from the float arguments, the values from
        # their truncations, wrapping like torch's integer arithmetic
        vals = int(start) + np.arange(n, dtype=np.int64) * int(step)
        return _store(vals.astype(d), out, requires_grad)
    n = math.ceil((end - start) / step)
    idx = np.arange(n, dtype=np.float64)
    if d.kind == "c":
        vals = complex(start) + idx * complex(step)
    else:
        vals = _fma(float(step), idx, float(start))
    return _store(vals.astype(d), out, requires_grad)


class _ZeroStepError(EmberRuntimeError, ValueError):
    """torch raises RuntimeError for step=0, ValueError when an int64 conversion made it 0."""


def _two_prod(a, b):
    """a*b as an exact sum p + e (Dekker's product via Veltkamp splitting)."""
    p = a * b
    split = 134217729.0                    # 2**27 + 1
    ta, tb = split * a, split * b
    ah = ta - (ta - a)
    bh = tb - (tb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _fma(a, b, c):
    """a*b + c rounded once (almost always): torch's kernels are compiled with fused
    multiply-add, so the values of arange/linspace in float64 depend on it."""
    with np.errstate(all="ignore"):
        p, e = _two_prod(np.asarray(a, np.float64), np.asarray(b, np.float64))
        s = p + c
        bb = s - p
        err = (p - (s - bb)) + (c - bb)
        r = s + (err + e)
    # products that overflow or are not finite fall back to the plain expression
    bad = ~np.isfinite(r)
    if bad.any():
        r = np.where(bad, np.asarray(a) * b + c, r)
    return r


@public("range")
def range_(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """range(start=0, end, step=1, *, out=None, dtype=None, ...) -> Tensor: like arange but
    includes ``end``; deprecated in torch (and warns the same way here).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     torch.range(1, 3)
        tensor([1., 2., 3.])
    """
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    check_device(device)
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise EmberRuntimeError("step must be nonzero")
    d = _np_dtype(dtype, out)
    n = int(math.floor((end - start) / step)) + 1
    if n < 0:
        raise EmberRuntimeError(f"upper bound and lower bound inconsistent with step sign "
                                f"(start={start}, end={end}, step={step})")
    vals = _fma(float(step), np.arange(n, dtype=np.float64), float(start))
    return _store(vals.astype(d), out, requires_grad)


def _check_steps(steps, name):
    steps = operator.index(steps)
    if steps < 0:
        raise EmberRuntimeError(f"number of steps must be non-negative (got {steps} in {name})")
    return steps


def _halves(s, e, step, steps):
    """torch's linspace layout in float64: the first half counts up from ``s``, the second half
    down from ``e`` (so both ends are exact), each value one fused multiply-add."""
    i = np.arange(steps, dtype=np.float64)
    return np.where(i < steps // 2, _fma(step, i, s), _fma(-step, (steps - 1) - i, e))


def _int_end(x, d):
    """An end point of an integer linspace/logspace: Python ints wrap into the dtype, floats
    must fit (torch's checked scalar conversion)."""
    if isinstance(x, float):
        info = np.iinfo(d) if d.kind in "iu" else None
        if info is not None and not info.min - 1 < x < info.max + 1:   # truncation must fit
            raise EmberRuntimeError(f"value cannot be converted to type {d} without overflow "
                                    f"(got {x})")
    return np.array(int(x)).astype(d).item()


def _lin_values(start, end, steps, d):
    """torch's linspace values in NumPy dtype ``d``."""
    if steps == 0:
        return np.empty((0,), dtype=d)
    if steps == 1:
        first = _int_end(start, d) if d.kind in "iub" else start
        return np.array([first]).astype(d)
    if d.kind in "iub":
        # the ends are converted to the dtype first, the step is a double
        s, e = _int_end(start, d), _int_end(end, d)
        return np.trunc(_halves(s, e, (e - s) / (steps - 1), steps)).astype(d)
    if d.kind == "c":
        s, e = complex(start), complex(end)
        step = (e - s) / (steps - 1)
        i = np.arange(steps)
        return np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i)).astype(d)
    # floating: the step is computed in the dtype itself (in float32 for half/bfloat16)
    work = np.float64 if d == np.float64 else np.float32
    s, e = work(start), work(end)
    with np.errstate(all="ignore"):
        step = (e - s) / work(steps - 1)
    if d != np.float64 and d != np.float32:
        step = work(step.astype(d))
    return _halves(float(s), float(e), float(step), steps).astype(d)


@public("linspace")
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """linspace(start, end, steps, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: ``steps`` evenly spaced values from start to end inclusive.

    Example::

        >>> ember.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    check_device(device)
    start, end = _num(start), _num(end)
    steps = _check_steps(steps, "linspace")
    is_complex = isinstance(start, complex) or isinstance(end, complex)
    default = _dt._defaults.complex.np if is_complex else None
    d = _np_dtype(dtype, out, default)
    return _store(_lin_values(start, end, steps, d), out, requires_grad)


@public("logspace")
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """logspace(start, end, steps, base=10.0, *, out=None, dtype=None, ...) -> Tensor:
    ``base ** linspace(start, end, steps)``; for integer dtypes the exponents are integers.

    Example:
        >>> torch.logspace(0, 3, 4)
        tensor([   1.,   10.,  100., 1000.])
        >>> torch.logspace(0, 4, 5, base=2)
        tensor([ 1.,  2.,  4.,  8., 16.])
    """
    check_device(device)
    start, end = _num(start), _num(end)
    steps = _check_steps(steps, "logspace")
    d = _np_dtype(dtype, out)
    if d.kind in "iub":
        # integer ends, fractional exponents in between: 10 ** 1.909 truncates to 81
        if steps <= 1:
            expo = np.array([_int_end(start, d)] * steps, dtype=np.float64)
        else:
            s, e = _int_end(start, d), _int_end(end, d)
            expo = _halves(s, e, (e - s) / (steps - 1), steps)
        vals = np.trunc(np.power(float(base), expo))
    elif d.kind == "c":
        vals = np.power(complex(base), _lin_values(start, end, steps, np.dtype(np.complex128)))
    else:
        work = np.dtype(np.float64) if d == np.float64 else np.dtype(np.float32)
        vals = np.power(work.type(base), _lin_values(start, end, steps, work))
    with np.errstate(all="ignore"):
        return _store(vals.astype(d), out, requires_grad)


@public("eye")
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """eye(n, m=None, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: an n×m matrix with ones on the diagonal.

    Example:
        >>> torch.eye(3)
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 1.]])
        >>> torch.eye(2, 3, dtype=torch.int64)
        tensor([[1, 0, 0],
                [0, 1, 0]])
    """
    check_device(device)
    n = operator.index(n)
    if n < 0:
        raise EmberRuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else operator.index(m)
    if m < 0:
        raise EmberRuntimeError(f"m must be greater or equal to 0, got {m}")
    return _store(np.eye(n, m, dtype=_np_dtype(dtype, out)), out, requires_grad)


# ---------------------------------------------------------------------------------------------
# new_* methods and the legacy constructor
# ---------------------------------------------------------------------------------------------

def _new_factory(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        check_device(device)
        return fn(*size, dtype=self.dtype if dtype is None else dtype,
                  requires_grad=requires_grad)
    method.__name__ = "new_" + fn.__name__
    method.__doc__ = (f"new_{fn.__name__}(size, *, dtype=None, device=None, requires_grad=False) "
                      f"-> Tensor with this tensor's dtype unless given.")
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    """new_full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor of
    this tensor's dtype (unless given) filled with ``fill_value``."""
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False):
    """new_tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor: a copy of
    ``data`` with this tensor's dtype unless given."""
    check_device(device)
    d = self.dtype if dtype is None else dtype
    if isinstance(data, Tensor):
        warnings.warn(_COPY_WARNING.format("tensor.new_tensor"), UserWarning, stacklevel=2)
        return _finish(data._array.astype(_dt.to_dtype(d).np), requires_grad)
    return tensor(data, dtype=d, requires_grad=requires_grad)


METHODS["new_zeros"] = _new_factory(zeros)
METHODS["new_ones"] = _new_factory(ones)
METHODS["new_empty"] = _new_factory(empty)
METHODS["new_full"] = _new_full
METHODS["new_tensor"] = _new_tensor


def _legacy_new(cls, args, dtype, device):
    """Tensor(*sizes) / Tensor(Size) / Tensor(sequence or array) / Tensor(tensor) / Tensor():
    the legacy constructor, in the default float dtype."""
    check_device(device)
    d = _dt._defaults.float.np if dtype is None else _dt.to_dtype(dtype).np
    if not args:
        arr = np.empty((0,), dtype=d)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        arr = args[0]._array                  # an alias of the same memory, as in torch
    elif isinstance(args[0], Size) or all(
            isinstance(a, int) and not isinstance(a, bool) for a in args):
        arr = np.empty(size_args(args, "Tensor"), dtype=d)
    elif len(args) == 1 and (_is_seq(args[0]) or isinstance(args[0], np.ndarray)):
        arr = _data_to_array(args[0], None).astype(d)
    elif len(args) == 1:
        raise EmberTypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    else:
        raise EmberTypeError(f"Tensor(): invalid arguments {args!r}: expected sizes (ints), "
                             f"a Size, or one sequence of data")
    t = object.__new__(cls)
    t._array, t._edge, t._device, t._grad, t._vc, t._view, t._meta = (
        arr, None, check_device(device), None, None, None, None)
    return t


@public("empty_strided")
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """empty_strided(size, stride, *, dtype=None, layout=None, device=None,
    requires_grad=False, pin_memory=False) -> Tensor: an uninitialised tensor of ``size`` whose
    elements lie ``stride`` elements apart in each dimension (over a buffer just large enough).

    Example:
        >>> x = torch.empty_strided((2, 3), (1, 2))
        >>> x.shape, x.stride()
        (torch.Size([2, 3]), (1, 2))
    """
    check_device(device)
    size = tuple(size_args((size,), "empty_strided"))
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise EmberRuntimeError(f"dimensionality of sizes ({len(size)}) must match "
                                f"dimensionality of strides ({len(stride)})")
    if any(st < 0 for st in stride):
        raise EmberRuntimeError(f"Storage size calculation overflowed with sizes={list(size)} "
                                f"and strides={list(stride)}")
    d = _np_dtype(dtype, None)
    return _finish(_strided_array(size, stride, d), requires_grad)


def _strided_array(size, stride, d):
    n = 0 if 0 in size else 1 + sum((s - 1) * st for s, st in zip(size, stride))
    buf = np.empty(n, dtype=d)
    return np.lib.stride_tricks.as_strided(buf, size, [st * d.itemsize for st in stride])


@public("empty_permuted")
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
    requires_grad=False, pin_memory=False) -> Tensor: an uninitialised tensor of logical shape
    ``size`` stored densely in dimension order ``physical_layout`` (outermost first).

    Example:
        >>> x = torch.empty_permuted((2, 3, 5), (0, 2, 1))
        >>> x.shape, x.stride()
        (torch.Size([2, 3, 5]), (15, 1, 3))
    """
    check_device(device)
    size = tuple(size_args((size,), "empty_permuted"))
    order = tuple(int(p) for p in physical_layout)
    if len(order) != len(size):
        raise EmberRuntimeError(f"Number of dimensions in size does not match the length of the "
                                f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                                f"len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(size))):
        raise EmberRuntimeError("Duplicate dim not allowed" if len(set(order)) != len(order)
                                else f"physical_layout must be a permutation of the dimensions, "
                                     f"got {list(order)}")
    return _finish(_layout.empty_in(size, _np_dtype(dtype, None), order), requires_grad)


@public("scalar_tensor")
def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """scalar_tensor(s, *, dtype=None, ...) -> Tensor: a 0-dim tensor of the default float
    dtype (or ``dtype``) holding ``s``.

    Example:
        >>> torch.scalar_tensor(3)
        tensor(3.)
        >>> torch.scalar_tensor(3).shape
        torch.Size([])
    """
    return tensor(s, dtype=dtype if dtype is not None else _dt.get_default_dtype(),
                  device=device, requires_grad=requires_grad)


METHODS["new_empty_strided"] = lambda self, size, stride, *, dtype=None, requires_grad=False, \
    **kw: empty_strided(size, stride, dtype=dtype if dtype is not None else self.dtype,
                        requires_grad=requires_grad)
