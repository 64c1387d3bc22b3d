"""The safetensors format, read and written by ember (no dependency on the safetensors package).

Layout (facts of the format): an unsigned 64-bit little-endian header length N; N bytes of
UTF-8 JSON, ``{"__metadata__": {str: str} (optional), name: {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ...}``, padded with spaces; then the data buffer, where each
tensor's row-major little-endian bytes lie at [begin, end) and the tensors tile the buffer with
no gaps or overlaps.
"""
import json
import math
import struct
from collections import OrderedDict

import numpy as np

from . import dtypes as _dt
from ._errors import EmberTypeError, EmberValueError
from .serialization import _BIG_ENDIAN, CheckpointError, finish_tensor
from .tensor import Tensor, wrap

_CODES = {_dt.bool_: "BOOL", _dt.uint8: "U8", _dt.int8: "I8", _dt.int16: "I16",
          _dt.int32: "I32", _dt.int64: "I64", _dt.float16: "F16", _dt.bfloat16: "BF16",
          _dt.float32: "F32", _dt.float64: "F64", _dt.complex64: "C64"}
_FROM_CODE = {code: d for d, code in _CODES.items()}
_MAX_HEADER = 100 * 1024 * 1024     # the format's own limit, which also bounds a corrupt length


def writer(obj):
    """Check ``obj`` (a flat dict of str -> Tensor) and return ``write(fh)``."""
    if type(obj) not in (dict, OrderedDict):
        raise EmberTypeError(f"ember.save(format='safetensors') saves a flat dict of str -> "
                             f"Tensor, got {type(obj).__name__}")
    arrays = []
    for k, v in obj.items():
        if type(k) is not str or not isinstance(v, Tensor):
            raise EmberTypeError(
                f"ember.save(format='safetensors') saves a flat dict of str -> Tensor, but key "
                f"{k!r} holds {type(v).__name__}" if type(k) is str else
                f"ember.save(format='safetensors') saves a flat dict of str -> Tensor, but it "
                f"has the {type(k).__name__} key {k!r}")
        if k == "__metadata__":
            raise EmberValueError("ember.save(format='safetensors'): the name '__metadata__' is "
                                  "reserved by the format")
        if v.dtype not in _CODES:
            raise EmberTypeError(f"ember.save(format='safetensors'): safetensors has no "
                                 f"{v.dtype} dtype (tensor {k!r})")
        arrays.append((k, v.detach().cpu()._array))
    # larger elements first keeps every tensor aligned to its element size
    arrays.sort(key=lambda kv: (-kv[1].itemsize, kv[0]))
    header, pos = {}, 0
    for k, a in arrays:
        header[k] = {"dtype": _CODES[_dt._FROM_NP[a.dtype]], "shape": list(a.shape),
                     "data_offsets": [pos, pos + a.nbytes]}
        pos += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)

    def write(fh):
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for _, a in arrays:
            a = np.array(a, order="C", copy=None)
            if _BIG_ENDIAN:
                a = a.byteswap()
            fh.write(memoryview(a.reshape(-1).view(np.uint8)))
    return write


def read(fh, name, target):
    """The dict of tensors in safetensors file ``fh`` (positioned at its start)."""
    def fail(what):
        raise CheckpointError(f"ember.load: {name} is not a valid safetensors file: {what}")

    start = fh.tell()
    size = fh.seek(0, 2) - start
    fh.seek(start)
    (n,) = struct.unpack("<Q", fh.read(8))
    if n > _MAX_HEADER or 8 + n > size:
        fail(f"its header claims {n} bytes but the file has {size} (truncated or corrupted)")
    try:
        header = json.loads(fh.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        fail(f"the header is not valid JSON ({e})")
    if type(header) is not dict:
        fail("the header is not a JSON object")
    data_size = size - 8 - n
    entries = []
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype = _FROM_CODE.get(info["dtype"])
            shape, (begin, end) = info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            fail(f"tensor {key!r} has an invalid description {info!r}")
        if dtype is None:
            fail(f"tensor {key!r} has dtype {info['dtype']!r}, which ember cannot load")
        if not (type(shape) is list and all(type(s) is int and s >= 0 for s in shape)
                and type(begin) is int and type(end) is int and 0 <= begin <= end):
            fail(f"tensor {key!r} has an invalid description {info!r}")
        if end - begin != math.prod(shape) * dtype.itemsize:
            fail(f"tensor {key!r} of shape {shape} and dtype {info['dtype']} needs "
                 f"{math.prod(shape) * dtype.itemsize} bytes, its offsets span {end - begin}")
        entries.append((begin, end, key, dtype, shape))
    entries.sort(key=lambda e: e[:2])
    pos = 0
    for begin, end, key, _, _ in entries:
        if begin != pos:
            fail(f"tensor {key!r} starts at byte {begin} of the data, expected {pos} "
                 "(gap or overlap)")
        pos = end
    if pos != data_size:
        fail(f"the tensors cover {pos} bytes but the file holds {data_size} bytes of data "
             "(truncated or corrupted)")
    tensors = {}
    for begin, end, key, dtype, shape in entries:
        buf = np.empty(end - begin, dtype=np.uint8)
        if fh.readinto(memoryview(buf)) != buf.nbytes:
            fail("unexpected end of file")
        arr = buf.view(dtype.np).reshape(shape)
        if _BIG_ENDIAN:
            arr.byteswap(inplace=True)
        tensors[key] = finish_tensor(wrap(arr), False, False, target)
    return {key: tensors[key] for key in header if key != "__metadata__"}
