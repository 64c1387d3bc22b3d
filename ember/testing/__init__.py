"""ember.testing: torch.testing's helpers for tests, ``assert_close`` and ``make_tensor`` (and the
deprecated ``assert_allclose``).

``assert_close`` walks both inputs together: tensors (or NumPy arrays, each only against its own
kind), Python/NumPy numbers, booleans, None, and sequences and mappings of these, reporting the
first mismatch in torch's wording, with the path to it ("The failure occurred for item [1]['x']").
Closeness is ``|actual - expected| <= atol + rtol * |expected|`` elementwise (equal infinities are
close; NaNs only with ``equal_nan``); omitted tolerances come from the dtype (Note [Default
tolerances])."""
import collections.abc
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor

__all__ = ["assert_close", "make_tensor", "assert_allclose"]

# Note [Default tolerances]: torch's table, keyed by dtype name; integer and boolean dtypes compare
# exactly. Of two dtypes (check_dtype=False) the looser tolerance is used.
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """One failed comparison: its message and the path to it inside nested containers."""

    def __init__(self, message, exc_type=AssertionError):
        super().__init__(message)
        self.message = message
        self.exc_type = exc_type
        self.path = ""


def _check_pair(rtol, atol):
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")


def _tolerances(dtypes, rtol, atol):
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(d.name if hasattr(d, "name") else str(d), (0.0, 0.0))
             for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _is_number(x):
    return isinstance(x, (int, float, complex, np.number)) and not isinstance(x, (bool, np.bool_))


def _number_dtype(x):
    if isinstance(x, np.number):
        return np.dtype(type(x))
    return np.dtype({int: np.int64, float: np.float64, complex: np.complex128}[type(x)])


def _py(x):
    """A NumPy scalar as the Python number torch's messages print."""
    return x.item() if isinstance(x, np.generic) else x


def _describe(kind, equal):
    return f"{kind} are not {'equal' if equal else 'close'}!"


def _allowed(tol, equal):
    return "" if equal else f" (up to {tol} allowed)"


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    rtol, atol = _tolerances([_number_dtype(actual), _number_dtype(expected)], rtol, atol)
    a, e = _py(actual), _py(expected)
    if a == e:
        return
    a_nan = isinstance(a, (float, complex)) and a != a
    e_nan = isinstance(e, (float, complex)) and e != e
    if equal_nan and a_nan and e_nan:
        return
    diff = abs(a - e)
    if not (a_nan or e_nan) and diff <= atol + rtol * abs(e):
        return
    rel = diff / abs(e) if e != 0 else (math.nan if diff == 0 else math.inf)
    equal = rtol == 0 and atol == 0
    raise _Mismatch(f"{_describe('Scalars', equal)}\n\nExpected {e} but got {a}.\n"
                    f"Absolute difference: {diff}{_allowed(atol, equal)}\n"
                    f"Relative difference: {rel}{_allowed(rtol, equal)}")


def _attribute_error(name, a, b):
    return _Mismatch(f"The values for attribute '{name}' do not match: {a} != {b}.")


def _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype, check_stride,
                    tensors):
    """``actual``/``expected`` are Tensors (``tensors``) or NumPy arrays."""
    if tensors:
        a_shape, e_shape = actual.shape, expected.shape
        a_dtype, e_dtype = actual.dtype, expected.dtype
        A, E = actual._array, expected._array
    else:
        A, E = actual, expected
        a_shape, e_shape = A.shape, E.shape
        a_dtype, e_dtype = A.dtype, E.dtype
    if tuple(a_shape) != tuple(e_shape):
        if tensors:
            raise _attribute_error("shape", a_shape, e_shape)
        raise _attribute_error("shape", f"torch.Size({list(a_shape)})",
                               f"torch.Size({list(e_shape)})")
    if check_dtype and a_dtype != e_dtype:
        if tensors:
            raise _attribute_error("dtype", a_dtype, e_dtype)
        raise _attribute_error("dtype", _dt.from_numpy_dtype(A.dtype), _dt.from_numpy_dtype(E.dtype))
    if check_stride and tensors and actual.stride() != expected.stride():
        raise _attribute_error("stride()", actual.stride(), expected.stride())
    rtol, atol = _tolerances([A.dtype, E.dtype], rtol, atol)
    if A.dtype != E.dtype:
        common = _dt.promote_types(_dt.from_numpy_dtype(A.dtype), _dt.from_numpy_dtype(E.dtype)).np
        A, E = A.astype(common), E.astype(common)
    if A.dtype.kind == "b":
        # booleans compare as the integers 0 and 1 (their difference is the mismatch count)
        A, E = A.astype(np.int64), E.astype(np.int64)
    elif A.dtype.kind in "iu":
        A, E = A.astype(np.int64), E.astype(np.int64)
    close = _isclose(A, E, rtol, atol, equal_nan)
    if close.all():
        return
    equal = rtol == 0 and atol == 0
    with np.errstate(all="ignore"):
        # only the mismatches compete for "greatest" (NaN wins: it is what failed)
        diff = np.where(close, 0, np.abs(A - E))
        rel = np.where(close, 0, diff / np.abs(E))
    if A.ndim == 0:
        # torch reports a 0-d mismatch as Python numbers, differences taken in double precision
        a, e = A.item(), E.item()
        d = abs(a - e)
        r = d / abs(e) if e != 0 else (math.nan if d == 0 or d != d else math.inf)
        raise _Mismatch(f"{_describe('Scalars', equal)}\n\nExpected {e} but got {a}.\n"
                        f"Absolute difference: {d}{_allowed(atol, equal)}\n"
                        f"Relative difference: {r}{_allowed(rtol, equal)}")
    total = close.size
    bad = total - int(np.count_nonzero(close))
    i_abs, i_rel = int(np.argmax(diff.reshape(-1))), int(np.argmax(rel.reshape(-1)))
    where_abs = tuple(int(i) for i in np.unravel_index(i_abs, A.shape))
    where_rel = tuple(int(i) for i in np.unravel_index(i_rel, A.shape))
    raise _Mismatch(f"{_describe('Tensor-likes', equal)}\n\n"
                    f"Mismatched elements: {bad} / {total} ({bad / total:.1%})\n"
                    f"Greatest absolute difference: {diff.reshape(-1)[i_abs].item()} at index "
                    f"{where_abs}{_allowed(atol, equal)}\n"
                    f"Greatest relative difference: {rel.reshape(-1)[i_rel].item()} at index "
                    f"{where_rel}{_allowed(rtol, equal)}")


def _isclose(A, E, rtol, atol, equal_nan):
    if A.dtype.kind in "iu":
        if rtol == 0 and atol == 0:
            return A == E
        A, E = A.astype(np.float64), E.astype(np.float64)
    elif A.dtype.itemsize < 4 and A.dtype.kind not in "c":
        # float16 / bfloat16: judge in float32, where NumPy has every loop
        A, E = A.astype(np.float32), E.astype(np.float32)
    with np.errstate(all="ignore"):
        # non-finite values are close only to themselves (inf - -inf is no small difference)
        close = (np.abs(A - E) <= atol + rtol * np.abs(E)) & np.isfinite(A) & np.isfinite(E)
        close |= A == E
        if equal_nan:
            close |= np.isnan(A) & np.isnan(E)
    return close


def _walk(actual, expected, path, kw):
    try:
        _compare(actual, expected, kw)
    except _Mismatch as m:
        m.path = path + m.path
        raise


def _compare(actual, expected, kw):
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(f"None mismatch: {actual} is not {expected}")
        return
    if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(actual) is not bool(expected):
            raise _Mismatch(f"Booleans mismatch: {bool(actual)} is not {bool(expected)}")
        return
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        if kw["check_device"] and actual.device != expected.device:
            raise _attribute_error("device", actual.device, expected.device)
        _compare_arrays(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"],
                        kw["check_dtype"], kw["check_stride"], True)
        return
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        _compare_arrays(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"],
                        kw["check_dtype"], False, False)
        return
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"],
                         kw["check_dtype"])
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _walk(a, e, f"[{i}]", kw)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        missing = sorted((k for k in expected if k not in actual), key=repr)
        extra = sorted((k for k in actual if k not in expected), key=repr)
        if missing or extra:
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual "
                            f"mapping: {missing}\nAdditional keys in the actual mapping: {extra}")
        for k in actual:
            _walk(actual[k], expected[k], f"[{k!r}]", kw)
        return
    raise _Mismatch(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.", TypeError)


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, (str, bytes))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
    equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
    check_stride=False, msg=None) -> None

    Raises ``AssertionError`` unless ``actual`` and ``expected`` are close: tensors of the same
    shape, device and dtype (and strides with ``check_stride``) with
    ``|actual - expected| <= atol + rtol * |expected|`` everywhere, numbers likewise, and
    sequences and mappings item by item. Omitted ``rtol``/``atol`` default by dtype (float32:
    1.3e-6 and 1e-5; float64: 1e-7 and 1e-7; integers and booleans: exact). ``msg`` replaces the
    message, or, when callable, receives it and returns the one to raise. Inputs of kinds that
    cannot be compared (a tensor and a float, two strings) raise ``TypeError``.

    Example:
        >>> torch.testing.assert_close(torch.tensor([1., 2.]), torch.tensor([1., 2.000001]))
        >>> torch.testing.assert_close(torch.tensor([1., 2., 3.]), torch.tensor([1., 2.5, 3.]))
        Traceback (most recent call last):
        ...
        AssertionError: Tensor-likes are not close!
        <BLANKLINE>
        Mismatched elements: 1 / 3 (33.3%)
        Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
        Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)
    """
    _check_pair(rtol, atol)      # a lone rtol or atol is refused even when all is equal
    kw = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan, "check_device": check_device,
          "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _walk(actual, expected, "", kw)
    except _Mismatch as m:
        text = m.message
        if m.path:
            text += f"\n\nThe failure occurred for item {m.path}"
        if m.exc_type is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.exc_type(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg='') -> None

    Deprecated (as in torch, with a ``FutureWarning``): ``assert_close`` with dtype checks off and
    non-tensor inputs turned into tensors first.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     torch.testing.assert_allclose(torch.tensor([1., 2.]), [1, 2])
    """
    from .. import as_tensor
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed "
                  "in a future release. Please use `torch.testing.assert_close()` instead.",
                  FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = as_tensor(expected, dtype=actual.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)


_DEFAULT_RANGE = {"b": (0, 2), "u": (0, 10), "i": (-9, 10), "f": (-9, 9), "c": (-9, 9)}


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
    noncontiguous=False, exclude_zero=False, memory_format=None) -> Tensor

    A tensor of ``shape`` filled with values drawn uniformly from ``[low, high)`` (defaults by
    dtype: booleans [0, 2), unsigned [0, 10), signed [-9, 10), floating and complex [-9, 9);
    bounds outside the dtype's finite range are clamped to it). ``noncontiguous`` returns a
    strided view (when there are at least two elements); ``exclude_zero`` replaces zeros by 1
    (integers, booleans) or the dtype's smallest normal number (floating, complex: both parts).

    Example:
        >>> _ = torch.manual_seed(0)
        >>> x = torch.testing.make_tensor(2, 3, dtype=torch.float32, device="cpu", low=-1, high=1)
        >>> x.shape, bool(((x >= -1) & (x < 1)).all())
        (torch.Size([2, 3]), True)
        >>> torch.testing.make_tensor(2, 3, dtype=torch.int64, device="cpu",
        ...                           noncontiguous=True).is_contiguous()
        False
    """
    from .. import complex as complex_
    from .. import rand, randint
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dt = _dt.to_dtype(dtype)
    # bfloat16 is an ml_dtypes type, which NumPy files under kind "V"
    kind = "f" if dt.is_floating_point else dt.np.kind
    if kind not in _DEFAULT_RANGE:
        raise TypeError(f"The requested dtype '{dt}' is not supported by torch.testing.make_tensor()"
                        f". To request support, file an issue at: "
                        f"https://github.com/pytorch/pytorch/issues")
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    if requires_grad and kind in "biu":
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dt}")
    lo_d, hi_d = _DEFAULT_RANGE[kind]
    if kind == "b":
        low, high = lo_d, hi_d
    else:
        low = lo_d if low is None else low
        high = hi_d if high is None else high
        if isinstance(low, float) and math.isnan(low) or isinstance(high, float) and \
                math.isnan(high):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and "
                             f"high={high}")
        if low > high or low == high and kind in "iu":
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        if kind in "iu":
            info = np.iinfo(dt.np)
            low, high = max(low, info.min), min(high, info.max)
        else:
            # complex values draw both parts from [low, high) in their component dtype
            part = dt if kind == "f" else _dt.float32 if dt.np.itemsize == 8 else _dt.float64
            info = _dt.finfo(part)
            low, high = max(low, float(info.min)), min(high, float(info.max))
    full = list(shape)
    if noncontiguous and math.prod(full) > 1:
        full[-1] *= 2
    if kind == "b":
        out = randint(0, 2, full).to(dt)
    elif kind in "iu":
        out = randint(int(math.ceil(low)), int(math.ceil(high)), full, dtype=dt)
    else:
        def draw():
            # drawn in float64 so that high - low does not overflow near the dtype's limits
            u = rand(full, dtype=_dt.float64)
            return (u * high + (1 - u) * low).to(part)
        out = draw() if kind == "f" else complex_(draw(), draw())
    if exclude_zero:
        if kind in "biu":
            out[out == 0] = 1 if kind != "b" else True
        else:
            tiny = float(_dt.finfo(part).tiny)
            out[out == 0] = complex(tiny, tiny) if kind == "c" else tiny
    if noncontiguous and math.prod(full) > 1:
        out = out[..., ::2]
    elif memory_format is not None:
        out = out.contiguous(memory_format=memory_format)
    if requires_grad:
        out.requires_grad_(True)
    return out
