"""dtype objects with torch's names and aliases, their NumPy storage types, and type promotion.

Promotion follows PyTorch: categories bool < integer < floating < complex; tensors with dimensions
outrank zero-dim tensors, which outrank Python scalars ("weak" types). A lower-priority operand only
matters when it belongs to a higher category (Note [Weak scalars]).
"""
import numpy as np
import ml_dtypes

from ._errors import EmberRuntimeError

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
           "can_cast", "finfo", "iinfo"]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, e.g. ``ember.float32``. Compare with ``==`` or ``is``.

    Example:
        >>> torch.float32
        torch.float32
        >>> torch.tensor([1, 2]).dtype == torch.int64
        True
    """

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_rank", "scalar_name")

    def __init__(self, name, np_type, category, rank, scalar_name):
        self.name = name
        # torch's C++ ScalarType name ("Float", "Long"), which its error messages print
        self.scalar_name = scalar_name
        self.np = np.dtype(np_type)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = category != _BOOL and name != "uint8"
        self._rank = rank

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_complex(self):
        return self.category == _COMPLEX

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        """The complex dtype with this real dtype's precision (complex64 for float16/bfloat16,
        as ember has no complex32)."""
        if self.category == _COMPLEX:
            return self
        if self.category != _FLOAT:
            raise EmberRuntimeError(f"Unknown Complex ScalarType for {self.scalar_name}")
        return complex128 if self.name == "float64" else complex64

    def __repr__(self):
        # printed as torch prints it, so `import ember as torch` programs print the same text
        return "torch." + self.name

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self     # dtypes are singletons: copying a module must not clone them

    def __hash__(self):
        return id(self)

    def __reduce__(self):
        # pickles by name, so unpickling yields the singleton again
        return (to_dtype, (self.name,))


bool_ = dtype("bool", np.bool_, _BOOL, 0, "Bool")
uint8 = dtype("uint8", np.uint8, _INT, 1, "Byte")
int8 = dtype("int8", np.int8, _INT, 1, "Char")
int16 = dtype("int16", np.int16, _INT, 2, "Short")
int32 = dtype("int32", np.int32, _INT, 3, "Int")
int64 = dtype("int64", np.int64, _INT, 4, "Long")
float16 = dtype("float16", np.float16, _FLOAT, 1, "Half")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, 1, "BFloat16")
float32 = dtype("float32", np.float32, _FLOAT, 2, "Float")
float64 = dtype("float64", np.float64, _FLOAT, 3, "Double")
complex64 = dtype("complex64", np.complex64, _COMPLEX, 2, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, _COMPLEX, 3, "ComplexDouble")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
# torch's aliases: ember.float is float32, ember.long is int64, ember.cfloat is complex64, ...
ALIASES = {"bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
           "int32": int32, "int": int32, "int64": int64, "long": int64, "float16": float16,
           "half": float16, "bfloat16": bfloat16, "float32": float32, "float": float32,
           "float64": float64, "double": float64, "complex64": complex64, "cfloat": complex64,
           "complex128": complex128, "cdouble": complex128}

# NumPy dtype -> ember dtype. Builtin NumPy dtypes are singletons, so lookups by identity are exact.
_FROM_NP = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype):
    """The ember dtype stored as ``np_dtype``; raises TypeError for types ember lacks."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported "
                    "types are: float64, float32, float16, bfloat16, complex64, complex128, "
                    "int64, int32, int16, int8, uint8, and bool.")


def to_dtype(d):
    """An ember dtype from an ember dtype, a torch-style name ("float32", "torch.long"), a NumPy
    dtype or a Python type (float -> float64, int -> int64, as torch does)."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d.split(".")[-1]
        if name in ALIASES:
            return ALIASES[name]
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype ember knows") from None


class _Defaults:
    __slots__ = ("float", "complex")


_defaults = _Defaults()
_defaults.float = float32
_defaults.complex = complex64


def get_default_dtype():
    """get_default_dtype() -> dtype: the floating dtype new tensors get (float32 unless changed).

    Example:
        >>> torch.get_default_dtype()
        torch.float32
    """
    return _defaults.float


def set_default_dtype(d):
    """set_default_dtype(d) -> None: make floating dtype ``d`` the default for new float tensors
    and for Python floats in promotion (the default complex dtype follows).

    Example:
        >>> torch.set_default_dtype(torch.float64)
        >>> torch.tensor([1.5]).dtype
        torch.float64
        >>> torch.set_default_dtype(torch.float32)
    """
    d = to_dtype(d)
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type (got {d})")
    _defaults.float = d
    _defaults.complex = complex128 if d is float64 else complex64
    _SCALAR_CACHE.clear()
    _TENSOR_CACHE.clear()


# ---------------------------------------------------------------------------------------------
# Promotion
# ---------------------------------------------------------------------------------------------

def promote_types(a, b):
    """promote_types(type1, type2) -> dtype: the smallest dtype both can be cast to (torch's
    promotion table).

    Example:
        >>> torch.promote_types(torch.int32, torch.float16)
        torch.float16
        >>> torch.promote_types(torch.uint8, torch.int8)
        torch.int16
    """
    a, b = to_dtype(a), to_dtype(b)
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo is float64:
            return complex128
        return hi
    if a.category == _INT:
        if uint8 in (a, b):
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a._rank > b._rank else b
    if a.category == _FLOAT and a._rank == b._rank:   # float16 with bfloat16
        return float32
    return a if a._rank > b._rank else b


def _combine(higher, lower):
    """Merge a higher-priority result with a lower-priority one (torch's category rule)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool_ or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python scalar takes as a weak operand."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _defaults.float
    if isinstance(value, complex):
        return _defaults.complex
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"unsupported scalar of type {type(value).__name__}")


def result_type_of(operands):
    """Result dtype of a mix of (ember dtype, priority) pairs: priority 2 dimensioned tensor,
    1 zero-dim tensor, 0 Python scalar."""
    states = [None, None, None]
    for d, prio in operands:
        states[prio] = d if states[prio] is None else promote_types(states[prio], d)
    return _combine(states[2], _combine(states[1], states[0]))


# Note [Weak scalars]: the hot path asks only two questions, both cached on NumPy dtypes:
#   tensor (op) Python scalar -> _SCALAR_CACHE[(np dtype, type(scalar))]
#   tensor (op) tensor, dtypes differ -> _TENSOR_CACHE[(np a, a is 0-dim, np b, b is 0-dim)]
_SCALAR_CACHE = {}
_TENSOR_CACHE = {}


def promote_scalar_np(np_dtype, scalar_type):
    key = (np_dtype, scalar_type)
    try:
        return _SCALAR_CACHE[key]
    except KeyError:
        pass
    sd = {bool: bool_, int: int64, float: _defaults.float, complex: _defaults.complex}[scalar_type]
    r = _combine(_FROM_NP[np_dtype], sd).np
    _SCALAR_CACHE[key] = r
    return r


def promote_tensors_np(a_np, a0, b_np, b0):
    key = (a_np, a0, b_np, b0)
    try:
        return _TENSOR_CACHE[key]
    except KeyError:
        pass
    r = result_type_of([(_FROM_NP[a_np], 1 if a0 else 2), (_FROM_NP[b_np], 1 if b0 else 2)]).np
    _TENSOR_CACHE[key] = r
    return r


def result_type(tensor1, tensor2):
    """result_type(tensor1, tensor2) -> dtype: the dtype an arithmetic op on the two (tensors or
    Python numbers) would return.

    Example:
        >>> torch.result_type(torch.tensor([1, 2]), 1.0)
        torch.float32
        >>> torch.result_type(torch.tensor([1, 2], dtype=torch.uint8), torch.tensor(1))
        torch.uint8
    """
    from .tensor import Tensor
    ops = []
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            ops.append((x.dtype, 1 if x.ndim == 0 else 2))
        else:
            ops.append((scalar_dtype(x), 0))
    return result_type_of(ops)


def can_cast(from_, to):
    """can_cast(from_, to) -> bool: whether torch's same-kind casting rule allows it (no category
    downgrade: float to int and complex to real are refused).

    Example:
        >>> torch.can_cast(torch.int32, torch.float32)
        True
        >>> torch.can_cast(torch.float32, torch.int32)
        False
    """
    f, t = to_dtype(from_), to_dtype(to)
    return f.category <= t.category


class DtypeNotImplementedError(EmberRuntimeError, NotImplementedError):
    """A kernel has no implementation for a dtype (torch raises NotImplementedError there)."""


def not_implemented_for(kernel, d):
    """torch's error for a kernel that lacks dtype ``d``, e.g. normal_ on an int64 tensor."""
    return DtypeNotImplementedError(f'"{kernel}" not implemented for \'{d.scalar_name}\'')


class finfo:
    """finfo(type=None): machine limits of a floating dtype (bits, eps, max, min, tiny,
    smallest_normal, resolution); complex dtypes report their real part's limits.

    Example:
        >>> torch.finfo(torch.float16).max
        65504.0
        >>> torch.finfo(torch.float32).eps
        1.1920928955078125e-07
    """

    def __init__(self, type=None):
        d = _defaults.float if type is None else to_dtype(type)
        if d.category not in (_FLOAT, _COMPLEX):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            f"to handle 'torch.finfo' (got {d})")
        d = d.to_real()
        fi = ml_dtypes.finfo(d.np) if d is bfloat16 else np.finfo(d.np)
        self.dtype = d.name
        self.bits = int(fi.bits)
        self.eps = float(fi.eps)
        self.max = float(fi.max)
        self.min = float(fi.min)
        self.tiny = self.smallest_normal = float(fi.smallest_normal)
        # torch reports 10**-precision as a Python float, not the value rounded to the dtype
        self.resolution = 10.0 ** -int(fi.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
                f"eps={self.eps}, smallest_normal={self.tiny}, tiny={self.tiny}, "
                f"dtype={self.dtype})")


class iinfo:
    """iinfo(type): limits of an integer dtype (bits, min, max).

    Example:
        >>> torch.iinfo(torch.int8).min, torch.iinfo(torch.int8).max
        (-128, 127)
    """

    def __init__(self, type):
        d = to_dtype(type)
        if d is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            f"handle 'torch.iinfo' (got {d})")
        ii = np.iinfo(d.np)
        self.dtype, self.bits, self.min, self.max = d.name, int(ii.bits), int(ii.min), int(ii.max)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
