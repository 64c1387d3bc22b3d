"""A safe encoding for the object collectives: what another rank sends is data, never code.

pickle would run whatever a received byte string names; this format can only describe None,
bools, ints, floats, complex numbers, strings, bytes, lists, tuples, sets, dicts, NumPy arrays
and ember Tensors of numeric dtypes, and ember dtypes. Everything else is refused when encoding,
and malformed input raises ValueError when decoding.

Layout: ``b"EMB1"`` then one item; an item is a one-byte tag and its payload. Lengths and
counts are unsigned 64-bit little-endian; an array is its dtype name, its shape and its raw
bytes (C order).
"""
import struct

import numpy as np

_MAGIC = b"EMB1"
_MAX_DEPTH = 100
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")
_C128 = struct.Struct("<dd")

# dtype names an array may carry: numbers and bools only (an object array could hold anything)
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128", "bfloat16"}


def _np_dtype(name):
    if name not in _DTYPES:
        raise ValueError(f"object encoding: dtype {name!r} is not allowed")
    if name == "bfloat16":
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def encode(obj):
    """encode(obj) -> bytes."""
    out = [_MAGIC]
    _enc(obj, out, 0)
    return b"".join(out)


def _enc_len(n, out):
    out.append(_U64.pack(n))


def _enc(obj, out, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("object encoding: nesting deeper than 100 levels")
    from ..dtypes import dtype as _EmberDtype
    from ..tensor import Tensor
    t = type(obj)
    if obj is None:
        out.append(b"N")
    elif t is bool or isinstance(obj, np.bool_):
        out.append(b"Y" if obj else b"n")
    elif isinstance(obj, (int, np.integer)):
        raw = int(obj).to_bytes((int(obj).bit_length() + 8) // 8 or 1, "little", signed=True)
        out.append(b"i")
        _enc_len(len(raw), out)
        out.append(raw)
    elif isinstance(obj, (float, np.floating)):
        out.append(b"f" + _F64.pack(float(obj)))
    elif isinstance(obj, (complex, np.complexfloating)):
        out.append(b"c" + _C128.pack(obj.real, obj.imag))
    elif isinstance(obj, str):
        raw = obj.encode("utf-8")
        out.append(b"s")
        _enc_len(len(raw), out)
        out.append(raw)
    elif isinstance(obj, (bytes, bytearray)):
        out.append(b"b")
        _enc_len(len(obj), out)
        out.append(bytes(obj))
    elif isinstance(obj, (list, tuple, set, frozenset)):
        # subclasses (namedtuple, torch.Size) travel as their base container
        out.append(b"S" if isinstance(obj, (set, frozenset)) else
                   b"l" if isinstance(obj, list) else b"t")
        _enc_len(len(obj), out)
        for x in obj:
            _enc(x, out, depth + 1)
    elif isinstance(obj, dict):
        out.append(b"d")
        _enc_len(len(obj), out)
        for k, v in obj.items():
            _enc(k, out, depth + 1)
            _enc(v, out, depth + 1)
    elif isinstance(obj, Tensor):
        out.append(b"T" + (b"\x01" if obj.requires_grad else b"\x00"))
        _enc_array(obj._array, out)
    elif isinstance(obj, np.ndarray):
        out.append(b"A")
        _enc_array(obj, out)
    elif isinstance(obj, _EmberDtype):
        raw = str(obj).encode()
        out.append(b"D")
        _enc_len(len(raw), out)
        out.append(raw)
    else:
        raise TypeError(f"ember.distributed cannot send an object of type {t.__name__}: the "
                        "object collectives carry None, bool, int, float, complex, str, bytes, "
                        "list, tuple, set, dict, NumPy arrays and Tensors (no pickle)")


def _enc_array(a, out):
    name = a.dtype.name
    if name not in _DTYPES:
        raise TypeError(f"ember.distributed cannot send an array of dtype {name}")
    raw = name.encode()
    _enc_len(len(raw), out)
    out.append(raw)
    _enc_len(a.ndim, out)
    for s in a.shape:
        _enc_len(s, out)
    out.append(np.ascontiguousarray(a).tobytes())


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf):
        self.buf = memoryview(buf)
        self.pos = 0

    def take(self, n):
        end = self.pos + n
        if n < 0 or end > len(self.buf):
            raise ValueError("object encoding: truncated data")
        chunk = self.buf[self.pos:end]
        self.pos = end
        return chunk

    def length(self):
        return _U64.unpack(self.take(8))[0]


def decode(data):
    """decode(bytes) -> object; raises ValueError on anything not made by ``encode``."""
    r = _Reader(data)
    if bytes(r.take(4)) != _MAGIC:
        raise ValueError("object encoding: not an ember object message")
    obj = _dec(r, 0)
    if r.pos != len(r.buf):
        raise ValueError("object encoding: trailing bytes")
    return obj


def _dec(r, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("object encoding: nesting deeper than 100 levels")
    tag = bytes(r.take(1))
    if tag == b"N":
        return None
    if tag == b"Y":
        return True
    if tag == b"n":
        return False
    if tag == b"i":
        return int.from_bytes(r.take(r.length()), "little", signed=True)
    if tag == b"f":
        return _F64.unpack(r.take(8))[0]
    if tag == b"c":
        re, im = _C128.unpack(r.take(16))
        return complex(re, im)
    if tag == b"s":
        return str(r.take(r.length()), "utf-8")
    if tag == b"b":
        return bytes(r.take(r.length()))
    if tag in (b"l", b"t", b"S"):
        n = r.length()
        items = [_dec(r, depth + 1) for _ in range(_bounded(n, r))]
        return items if tag == b"l" else tuple(items) if tag == b"t" else set(items)
    if tag == b"d":
        n = r.length()
        out = {}
        for _ in range(_bounded(n, r)):
            k = _dec(r, depth + 1)
            out[k] = _dec(r, depth + 1)
        return out
    if tag == b"T":
        from ..tensor import wrap
        grad = bytes(r.take(1)) == b"\x01"
        t = wrap(_dec_array(r))
        return t.requires_grad_(True) if grad else t
    if tag == b"A":
        return _dec_array(r)
    if tag == b"D":
        from .. import dtypes
        name = str(r.take(r.length()), "utf-8")
        short = name.removeprefix("torch.")
        d = getattr(dtypes, short, None)
        if not isinstance(d, dtypes.dtype):
            raise ValueError(f"object encoding: unknown dtype {name!r}")
        return d
    raise ValueError(f"object encoding: unknown tag {tag!r}")


def _bounded(n, r):
    # every item takes at least one byte: a count beyond what is left is a forged header
    if n > len(r.buf) - r.pos:
        raise ValueError("object encoding: truncated data")
    return n


def _dec_array(r):
    dt = _np_dtype(str(r.take(r.length()), "utf-8"))
    ndim = r.length()
    if ndim > 64:
        raise ValueError("object encoding: too many dimensions")
    shape = tuple(r.length() for _ in range(ndim))
    n = 1
    for s in shape:
        n *= s
    raw = r.take(n * dt.itemsize)
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
