"""Binds the registry's methods and the operators onto Tensor (one loop, after ops/ loaded)."""
import numpy as np

from . import _layout
from . import dtypes as _dt
from ._errors import EmberRuntimeError, EmberTypeError
from .ops import dispatch
from .ops import elementwise as _elementwise
from .ops.elementwise import _B, ADD, DIV, MUL, SUB
from .ops.linalg_ops import matmul
from .ops.registry import METHODS, OPS, PUBLIC, op, public
from .tensor import Tensor

_binary = dispatch.binary
_inplace = dispatch.apply_inplace
_OPERAND = (Tensor, int, float, bool, complex, np.generic)


def _forward(o):
    def f(self, other):
        try:
            return _binary(o, self, other)
        except EmberTypeError:
            if isinstance(other, _OPERAND):
                raise
            return NotImplemented      # lets Python try other's method ("ab" * t, [1] * t)
    return f


def _reflected(o):
    def f(self, other):
        try:
            return _binary(o, other, self)
        except EmberTypeError:
            if isinstance(other, _OPERAND):
                raise
            return NotImplemented
    return f


def _in_place(o):
    def f(self, other):
        return _inplace(o, self, (other,))
    return f


def _compare(o):
    def f(self, other):
        if not isinstance(other, _OPERAND):
            if isinstance(other, np.ndarray):
                from .ops.creation import as_tensor
                other = as_tensor(other)
            else:
                return NotImplemented
        return _binary(o, self, other)
    return f


_ARITH = {"add": ADD, "sub": SUB, "mul": MUL, "truediv": DIV, "floordiv": _B["floor_divide"],
          "mod": _B["remainder"], "pow": _B["pow"], "and": _B["bitwise_and"],
          "or": _B["bitwise_or"], "xor": _B["bitwise_xor"], "lshift": _B["bitwise_left_shift"],
          "rshift": _B["bitwise_right_shift"]}

for _name, _o in _ARITH.items():
    setattr(Tensor, f"__{_name}__", _forward(_o))
    setattr(Tensor, f"__r{_name}__", _reflected(_o))
    setattr(Tensor, f"__i{_name}__", _in_place(_o))

_refuse = _elementwise.refuse_bool_sub


def _sub(self, other):
    _refuse(self, other)
    return _binary(SUB, self, other)


def _rsub(self, other):
    _refuse(self, other)
    return _binary(SUB, other, self)


def _isub(self, other):
    _refuse(self, other)
    return _inplace(SUB, self, (other,))


Tensor.__sub__, Tensor.__rsub__, Tensor.__isub__ = _sub, _rsub, _isub

for _name, _o in (("eq", "eq"), ("ne", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"),
                  ("ge", "ge")):
    setattr(Tensor, f"__{_name}__", _compare(_B[_o]))

Tensor.__matmul__ = lambda self, other: matmul(self, other)
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.__neg__ = lambda self: dispatch.unary(OPS["neg"], self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: dispatch.unary(OPS["abs"], self)
Tensor.__invert__ = lambda self: dispatch.unary(OPS["bitwise_not"], self)


# --- dtype conversion ---------------------------------------------------------------------------
@op("to_copy", keep="", node_name="ToCopyBackward0")
def _to_copy(m, a, np_dtype):
    if a.dtype.kind == "c" and np_dtype.kind != "c":
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=5)
        a = a.real
    return a.astype(np_dtype)


_to_copy.derivative(lambda m, g, a, out, np_dtype: g)   # the engine casts back to a's dtype


def _convert(self, d, copy=False):
    if d.np == self._array.dtype and not copy:
        return self
    return dispatch.unary(_to_copy, self, np_dtype=d.np)


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """to(dtype) / to(device) / to(device, dtype) / to(other) -> Tensor: self when nothing
    changes (unless copy=True), else a converted copy that stays in the graph."""
    from .device import check_device, device as _device
    flags = []
    for a in args:
        if isinstance(a, bool):           # to(dtype, non_blocking, copy): positional flags
            flags.append(a)
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, (str, _device)):
            device = a
        elif a is not None:
            dtype = _dt.to_dtype(a)
    if len(flags) > 1:
        copy = flags[1]
    check_device(device)
    d = self.dtype if dtype is None else _dt.to_dtype(dtype)
    out = _convert(self, d, copy)
    if memory_format is not None and memory_format is not _layout.preserve_format:
        out = out.contiguous(memory_format=memory_format)
    return out


def _type(self, dtype=None, non_blocking=False, **kw):
    if dtype is None:
        return "torch." + _LEGACY_NAMES[self.dtype.name]
    if isinstance(dtype, str):
        for k, v in _LEGACY_NAMES.items():
            if dtype.endswith("." + v) or dtype == v:
                dtype = k
                break
    return _convert(self, _dt.to_dtype(dtype))


_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
                 "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                 "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
                 "complex128": "ComplexDoubleTensor"}

METHODS["to"] = to
METHODS["type"] = _type
METHODS["type_as"] = lambda self, other: _convert(self, other.dtype)
METHODS["cpu"] = lambda self, memory_format=None: self


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    from .device import check_device
    check_device("cuda")      # raises: ember computes on the CPU only


METHODS["cuda"] = _cuda
for _meth, _d in (("float", _dt.float32), ("double", _dt.float64), ("half", _dt.float16),
                  ("bfloat16", _dt.bfloat16), ("long", _dt.int64), ("int", _dt.int32),
                  ("short", _dt.int16), ("char", _dt.int8), ("byte", _dt.uint8),
                  ("bool", _dt.bool_), ("cfloat", _dt.complex64), ("cdouble", _dt.complex128)):
    METHODS[_meth] = (lambda d: lambda self, memory_format=None: _convert(self, d))(_d)


# --- fills --------------------------------------------------------------------------------------
_FILL = op("fill_", node_name="FillBackward0", kind="elementwise")(
    lambda m, a, value: m.full(a.shape, value, dtype=a.dtype))
_FILL.derivative((lambda m, g, a, v, out, **k: g * 0, lambda m, g, a, v, out, **k: m.sum(g)))
_FILL_S = op("fill_scalar_", node_name="FillBackward0", kind="elementwise")(
    lambda m, a, value: m.full(a.shape, value, dtype=a.dtype))
_FILL_S.derivative(lambda m, g, a, out, value: g * 0)


def fill_(self, value):
    """fill_(value) -> self: every element set to ``value`` (a number or 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise EmberRuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                                    f"with {value.ndim} dimensions.")
        if value._edge is not None:
            return _inplace(_FILL_V, self, (value,))
        value = value.item()
    return _inplace(_FILL_S, self, (), {"value": value})


_FILL_V = op("fill_tensor_", node_name="FillBackward1", kind="elementwise")(
    lambda m, a, v: m.full(a.shape, v, dtype=a.dtype))
_FILL_V.derivative((lambda m, g, a, v, out: g * 0, lambda m, g, a, v, out: m.sum(g)))

METHODS["fill_"] = fill_
METHODS["zero_"] = lambda self: fill_(self, 0)


@public("fill")
def fill(input, value):
    """fill(input, value) -> Tensor: a copy of ``input`` with every element set to ``value``.

    Example:
        >>> torch.fill(torch.zeros(2, 2), 7)
        tensor([[7., 7.],
                [7., 7.]])
    """
    return fill_(input.clone(), value)


@public("zero_")
def zero_(input):
    """zero_(input) -> input: every element set to zero, in place.

    Example:
        >>> x = torch.tensor([1.0, 2.0])
        >>> torch.zero_(x)
        tensor([0., 0.])
        >>> x
        tensor([0., 0.])
    """
    return fill_(input, 0)


# --- storage resizing and shape reductions ------------------------------------------------------
def resize_(self, *sizes, memory_format=None):
    """resize_(*sizes) -> self: reshape to ``sizes``, keeping the leading elements in memory order
    (new elements are zero; torch leaves them uninitialised)."""
    shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if self._edge is not None:
        raise EmberRuntimeError("cannot resize variables that require grad")
    flat = self._array.reshape(-1)
    n = int(np.prod(shape, dtype=np.int64))
    new = np.zeros(n, flat.dtype)
    new[:min(n, flat.size)] = flat[:n]
    self._array = new.reshape(shape)
    return self


METHODS["resize_"] = resize_
def resize_as_(self, other, memory_format=None):
    """resize_as_(input, other) -> Tensor: ``input.resize_(other.shape)``.

    Example:
        >>> torch.resize_as_(torch.zeros(1), torch.ones(2, 2)).shape
        torch.Size([2, 2])
    """
    return resize_(self, other.shape)


METHODS["resize_as_"] = PUBLIC["resize_as_"] = resize_as_


def sum_to_size(self, *size):
    """sum_to_size(*size) -> Tensor: sum this tensor down to ``size`` (which it broadcasts to)."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    lead = self.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != t for s, t in zip(shape, self.shape[lead:])):
        raise EmberRuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to "
                                f"size {{{', '.join(map(str, self.shape))}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and self.shape[lead + i] != 1)
    if not dims:
        return self
    return self.sum(dims, keepdim=True).reshape(shape)


METHODS["sum_to_size"] = sum_to_size
METHODS["__rdiv__"] = lambda self, other: self.__rtruediv__(other)


def _chalf(self, memory_format=None):
    raise EmberTypeError("ember has no complex32 (chalf) dtype; use cfloat() for complex64")


METHODS["chalf"] = _chalf


def bind():
    for name, fn in METHODS.items():
        if name in Tensor.__dict__ and not callable(Tensor.__dict__[name]):
            continue          # properties (real, imag, T...) keep their descriptor
        if name in ("__getitem__", "__setitem__") or name not in Tensor.__dict__:
            setattr(Tensor, name, fn)


bind()
