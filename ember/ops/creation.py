"""Creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty (+ _like), arange, linspace,
logspace, eye. Results are leaves; ``requires_grad=True`` makes them trainable."""
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from .._state import state
from ..device import check_device
from ..tensor import Tensor, wrap
from .registry import METHODS, public


def _finish(array, requires_grad=False):
    t = wrap(array)
    if state.inference:
        t._meta = {"inference": True}
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_np_dtype(arr, data):
    """NumPy's guess for Python data mapped to torch's: Python floats take the default dtype,
    Python complex the default complex dtype."""
    k = arr.dtype.kind
    if k == "f" and arr.dtype == np.float64 and not _has_np_float64(data):
        return _dt._defaults.float.np
    if k == "c" and arr.dtype == np.complex128 and not _has_np_float64(data):
        return _dt._defaults.complex.np
    if k in "iu" and arr.dtype not in (np.uint8, np.int8, np.int16, np.int32, np.int64):
        return np.dtype(np.int64)
    if k in "US":
        raise EmberTypeError(f"new(): invalid data type '{type(data).__name__}' (strings cannot "
                             "become tensors)")
    if k == "O":
        raise EmberTypeError("tensor(): could not infer a dtype: the data holds objects that are "
                             "not numbers (or nested sequences have different lengths)")
    return arr.dtype


def _has_np_float64(data):
    return isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in "fc"


def _to_array(data):
    """Python data (numbers, nested lists/tuples, tensors, NumPy arrays) as a NumPy array."""
    if isinstance(data, Tensor):
        return data._array
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Tensor) for x in data):
            data = [_to_array(x) if isinstance(x, Tensor) else x for x in data]
            if any(isinstance(x, np.ndarray) and x.size != 1 and x.ndim for x in data):
                return np.stack([np.asarray(x) for x in data])
            data = [x.reshape(()).item() if isinstance(x, np.ndarray) else x for x in data]
        elif any(isinstance(x, (list, tuple)) for x in data):
            data = [_to_array(x) if isinstance(x, (list, tuple)) else x for x in data]
    try:
        arr = np.array(data)
    except ValueError as exc:
        raise EmberValueError(f"tensor(): expected sequences of equal length at every level "
                               f"({exc})") from None
    return arr


@public("tensor")
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor: a new tensor
    copying ``data`` (a number, nested sequence, NumPy array or tensor).

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]])
        tensor([[1., 2.],
                [3., 4.]])
    """
    check_device(device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr = _to_array(data)
    if dtype is not None:
        d = _dt.to_dtype(dtype).np
    elif isinstance(data, (Tensor, np.ndarray)):
        d = arr.dtype
        if d not in _dt._FROM_NP:
            _dt.from_numpy_dtype(d)
    else:
        d = _infer_np_dtype(arr, data)
    return _finish(np.array(arr, dtype=d, copy=True), requires_grad)


@public("as_tensor")
def as_tensor(data, dtype=None, device=None):
    """as_tensor(data, dtype=None, device=None) -> Tensor: shares memory with a tensor or NumPy
    array of the right dtype, copies otherwise."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is _dt.to_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dt.from_numpy_dtype(data.dtype)
            return _finish(data)
        d = _dt.to_dtype(dtype).np
        return _finish(data if data.dtype == d else data.astype(d))
    return tensor(data, dtype=dtype)


@public("asarray")
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor."""
    if copy:
        t = tensor(obj.detach() if isinstance(obj, Tensor) else obj, dtype=dtype)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


@public("from_numpy")
def from_numpy(ndarray):
    """from_numpy(ndarray) -> Tensor sharing the array's memory (writes show on both sides)."""
    if not isinstance(ndarray, np.ndarray):
        raise EmberTypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().)")
    return _finish(ndarray)


def size_args(size, name):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        raise EmberTypeError(f"{name}(): argument 'size' must be a tuple of ints, got "
                             f"{size!r}") from None
    for s in size:
        if s < 0:
            raise EmberRuntimeError(f"Trying to create tensor with negative dimension {s}: "
                                    f"{list(size)}")
    return size


def _dtype_or_default(dtype):
    return _dt._defaults.float.np if dtype is None else _dt.to_dtype(dtype).np


def _filled(name, np_fn):
    def fn(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False, memory_format=None):
        check_device(device)
        shape = size_args(size, name)
        if out is not None:
            from ._public import write_out
            return write_out(_finish(np_fn(shape, dtype=out._array.dtype)), out)
        return _finish(np_fn(shape, dtype=_dtype_or_default(dtype)), requires_grad)
    fn.__name__ = name
    fn.__doc__ = (f"{name}(*size, *, out=None, dtype=None, device=None, requires_grad=False) -> "
                  f"Tensor")
    return fn


zeros = public("zeros")(_filled("zeros", np.zeros))
ones = public("ones")(_filled("ones", np.ones))
empty = public("empty")(_filled("empty", np.empty))


def _like(name, np_fn):
    def fn(input, *, dtype=None, layout=None, device=None, requires_grad=False,
           memory_format=None):
        check_device(device)
        d = input._array.dtype if dtype is None else _dt.to_dtype(dtype).np
        return _finish(np_fn(input._array.shape, dtype=d), requires_grad)
    fn.__name__ = name
    fn.__doc__ = f"{name}(input, *, dtype=None, device=None, requires_grad=False) -> Tensor"
    return fn


zeros_like = public("zeros_like")(_like("zeros_like", np.zeros))
ones_like = public("ones_like")(_like("ones_like", np.ones))
empty_like = public("empty_like")(_like("empty_like", np.empty))


def _fill_dtype(fill_value):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _dt.scalar_dtype(fill_value).np, fill_value


@public("full")
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    """full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor; the
    dtype follows ``fill_value`` (bool, int64 or the default float) when not given."""
    check_device(device)
    d, fill_value = _fill_dtype(fill_value)
    if dtype is not None:
        d = _dt.to_dtype(dtype).np
    return _finish(np.full(size_args((size,), "full"), fill_value, dtype=d), requires_grad)


@public("full_like")
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """full_like(input, fill_value, *, dtype=None, ...) -> Tensor."""
    d = input._array.dtype if dtype is None else _dt.to_dtype(dtype).np
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(input._array.shape, fill_value, dtype=d), requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


@public("arange")
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """arange(start=0, end, step=1, *, dtype=None, ...) -> Tensor: [start, end) every ``step``;
    int64 unless an argument is a float."""
    check_device(device)
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise EmberRuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise EmberRuntimeError(f"upper bound and larger bound inconsistent with step sign "
                                f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        d = _dt._defaults.float.np if is_float else np.dtype(np.int64)
    else:
        d = _dt.to_dtype(dtype).np
    n = max(int(math.ceil((end - start) / step)), 0)
    vals = start + np.arange(n, dtype=np.float64 if d.kind in "fc" or isinstance(start + step, float)
                             else np.int64) * step
    return _finish(vals.astype(d), requires_grad)


@public("range")
def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """range(start, end, step=1) -> Tensor: like arange but includes ``end`` (deprecated in
    torch, kept for old code)."""
    if end is None:
        start, end = 0, start
    d = _dt._defaults.float.np if dtype is None else _dt.to_dtype(dtype).np
    n = int(math.floor((end - start) / step)) + 1
    return _finish((start + np.arange(n) * step).astype(d), requires_grad)


@public("linspace")
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """linspace(start, end, steps, *, dtype=None, ...) -> Tensor: ``steps`` evenly spaced values
    from start to end inclusive."""
    check_device(device)
    start, end = _num(start), _num(end)
    if steps < 0:
        raise EmberRuntimeError("number of steps must be non-negative")
    is_complex = isinstance(start, complex) or isinstance(end, complex)
    d = (_dt._defaults.complex.np if is_complex else _dt._defaults.float.np) if dtype is None \
        else _dt.to_dtype(dtype).np
    if steps == 1:
        vals = np.array([start], dtype=np.complex128 if is_complex else np.float64)
    else:
        # torch fills the first half forward from start and the second half backward from end
        i = np.arange(steps)
        step = (end - start) / max(steps - 1, 1)
        half = steps // 2
        vals = np.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    if d.kind in "iu":
        vals = np.trunc(vals.real)
    return _finish(vals.astype(d), requires_grad)


@public("logspace")
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """logspace(start, end, steps, base=10.0, *, dtype=None, ...) -> base ** linspace(...)."""
    check_device(device)
    d = _dt._defaults.float.np if dtype is None else _dt.to_dtype(dtype).np
    lin = linspace(start, end, steps, dtype=_dt.float64)._array
    return _finish(np.power(float(base), lin).astype(d), requires_grad)


@public("eye")
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """eye(n, m=None, *, dtype=None, ...) -> Tensor: an n×m matrix with ones on the diagonal."""
    check_device(device)
    if n < 0 or (m is not None and m < 0):
        raise EmberRuntimeError(f"n must be greater or equal to 0, got {n}")
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)), requires_grad)


def _new_factory(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        d = self.dtype if dtype is None else dtype
        return fn(*size, dtype=d, device=device, requires_grad=requires_grad)
    return method


METHODS["new_zeros"] = _new_factory(zeros)
METHODS["new_ones"] = _new_factory(ones)
METHODS["new_empty"] = _new_factory(empty)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        data = data.detach()._array
    arr = np.array(_to_array(data), dtype=self._array.dtype if dtype is None
                   else _dt.to_dtype(dtype).np)
    return _finish(arr, requires_grad)


METHODS["new_full"] = _new_full
METHODS["new_tensor"] = _new_tensor


def _legacy_new(cls, args, dtype, device):
    """Tensor(*sizes) / Tensor(data) / Tensor(): the legacy constructor, float32 by default."""
    check_device(device)
    d = _dt._defaults.float.np if dtype is None else _dt.to_dtype(dtype).np
    if not args:
        arr = np.empty((0,), dtype=d)
    elif all(isinstance(a, int) for a in args):
        arr = np.empty(args, dtype=d)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        arr = args[0]._array
    elif len(args) == 1:
        arr = np.array(_to_array(args[0]), dtype=d)
    else:
        raise EmberTypeError(f"Tensor(): invalid arguments {args!r}")
    t = object.__new__(cls)
    t._array, t._edge, t._device, t._grad, t._vc, t._view, t._meta = (
        arr, None, check_device(device), None, None, None, None)
    return t
