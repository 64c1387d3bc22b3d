"""Read PyTorch's zip checkpoints (``torch.save``) without running any code from them.

Layout of such a file (facts about the format): a zip archive whose entries sit under one
folder, ``<archive>/data.pkl`` (the pickled object tree), ``<archive>/data/<key>`` (the raw bytes
of each storage), ``<archive>/byteorder`` ("little" or "big") and a few version records.

Note [Restricted unpickler]
``pickle.load`` imports and calls whatever the stream names, so it cannot be made safe by
checking results afterwards. This module interprets the pickle opcodes itself. GLOBAL and
STACK_GLOBAL look the name up in ``_ALLOWED``, a table of ember's own stand-ins (tensor rebuild
functions, storage types, dtypes, OrderedDict, a few builtins); any other name raises
``UnsafeCheckpointError`` naming it, before anything could call it, and nothing is ever imported.
REDUCE / NEWOBJ call only those stand-ins, BUILD only sets attributes on an OrderedDict, and
APPEND / SETITEM only touch lists / dicts the stream itself built. Storages arrive through
persistent ids ``('storage', storage_type, key, location, numel)`` and are read from the zip.
"""
import codecs
import pickle
import struct
import sys
from collections import OrderedDict

import numpy as np

from . import dtypes as _dt
from ._storage import UntypedStorage, VersionCell
from .device import device as _device
from .serialization import (CheckpointError, finish_tensor, read_entry_into, tensor_from_buffer,
                            _target_device, _ZipErrors)
from .tensor import Size, Tensor, wrap


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """The checkpoint names Python code (a global ember does not rebuild itself); loading it
    could run that code, so ember refuses. Also an ``UnpicklingError``, as torch's
    weights-only loader raises."""


def read(zf, prefix, name, map_location):
    """The object in torch checkpoint ``zf`` (an open ZipFile) whose entries start with
    ``prefix/``; ``name`` is the file name for messages."""
    names = set(zf.namelist())
    byteorder = "little"
    if f"{prefix}/byteorder" in names:
        with _ZipErrors(name):
            byteorder = zf.read(f"{prefix}/byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise CheckpointError(f"ember.load: {name} has an invalid byteorder record "
                                  f"{byteorder!r}")
    with _ZipErrors(name):
        data = zf.read(f"{prefix}/data.pkl")
    storages = _Storages(zf, prefix, name, byteorder, map_location)
    try:
        return _Unpickler(data, name, storages).load()
    except RecursionError:
        raise CheckpointError(f"ember.load: {name}: the pickle nests too deeply") from None


# ---------------------------------------------------------------------------------------------
# storages
# ---------------------------------------------------------------------------------------------

class TorchStorage(UntypedStorage):
    """A storage read from a torch checkpoint: the bytes (``_root``, flat uint8) plus what the
    checkpoint says about them. Tensors built on it view ``_root``, so they share memory."""

    __slots__ = ("_dtype", "_location", "_cell", "_swapped")


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co.: only says which dtype the bytes hold."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"<torch storage type {self.name}>"


class _Storages:
    """persistent_load: reads each storage once, however many tensors use it."""

    def __init__(self, zf, prefix, name, byteorder, map_location):
        self.zf, self.prefix, self.name = zf, prefix, name
        self.swap = byteorder != sys.byteorder
        self.map_location = map_location
        self.cache = {}

    def __call__(self, pid):
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError(f"ember.load: {self.name}: unsupported persistent id {pid!r} "
                                  "(ember reads only tensor storages)")
        _, stype, key, location, numel = pid
        if not (type(stype) is _StorageType and type(key) is str and type(location) is str
                and type(numel) is int and numel >= 0):
            raise CheckpointError(f"ember.load: {self.name}: invalid storage record {pid!r}")
        s = self.cache.get(key)
        if s is None:
            entry = f"{self.prefix}/data/{key}"
            with _ZipErrors(self.name):
                zinfo = self.zf.getinfo(entry)
            s = TorchStorage.__new__(TorchStorage)
            s._root = read_entry_into(self.zf, zinfo, self.name)
            s._dtype, s._location, s._cell, s._swapped = stype.dtype, location, VersionCell(), None
            self.cache[key] = s
        itemsize = 1 if stype.dtype is None else stype.dtype.itemsize
        if s._root.nbytes != numel * itemsize:
            raise CheckpointError(
                f"ember.load: {self.name}: storage {key} holds {s._root.nbytes} bytes, but the "
                f"checkpoint says {numel} elements of {itemsize} bytes (truncated or corrupted)")
        return s

    def tensor(self, storage, dtype, offset, size, stride, requires_grad, parameter=False,
               metadata=None):
        """Build a tensor of ``dtype`` over ``storage``, as torch's rebuild functions do."""
        if type(storage) is not TorchStorage:
            raise CheckpointError(f"ember.load: {self.name}: a tensor is rebuilt from "
                                  f"{type(storage).__name__}, not from a storage")
        if not (type(size) in (tuple, list, Size) and type(stride) in (tuple, list)):
            raise CheckpointError(f"ember.load: {self.name}: invalid tensor size {size!r} or "
                                  f"stride {stride!r}")
        if type(requires_grad) is not bool:
            raise CheckpointError(f"ember.load: {self.name}: invalid requires_grad "
                                  f"{requires_grad!r}")
        if self.swap and dtype.itemsize > 1:
            # the bytes are in the other byte order: reorder them once, for their one dtype
            if storage._swapped is None:
                storage._root.view(dtype.np).byteswap(inplace=True)
                storage._swapped = dtype.itemsize
            elif storage._swapped != dtype.itemsize:
                raise CheckpointError(f"ember.load: {self.name}: a big-endian storage is viewed "
                                      "with two element sizes")
        isz = dtype.itemsize
        if type(offset) is not int or not all(type(s) is int for s in stride):
            raise CheckpointError(f"ember.load: {self.name}: invalid storage offset {offset!r} "
                                  f"or stride {stride!r}")
        t = tensor_from_buffer(storage._root, dtype, list(size), offset * isz,
                               [s * isz for s in stride], storage._cell, self.name)
        if metadata:
            if type(metadata) is not dict or not set(metadata) <= {"conj", "neg"}:
                raise CheckpointError(f"ember.load: {self.name}: unsupported tensor metadata "
                                      f"{metadata!r}")
            arr = t._array
            # torch stored the data of a lazily conjugated / negated tensor; apply the flags
            if metadata.get("conj"):
                arr = np.conj(arr)
            if metadata.get("neg"):
                arr = -arr
            t = wrap(arr)
        if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
            raise CheckpointError(f"ember.load: {self.name}: a {dtype.name} tensor is marked as "
                                  "requiring grad")
        target = _target_device(self.map_location, storage._location)
        return finish_tensor(t, requires_grad, parameter, target)


# ---------------------------------------------------------------------------------------------
# the allow-list: ember's stand-ins for the globals a weights checkpoint names
# ---------------------------------------------------------------------------------------------

class _Callable:
    """Stand-in for an allowed callable global; ``fn(unpickler, *args)`` is ember's code."""

    __slots__ = ("name", "fn", "is_class")

    def __init__(self, name, fn, is_class=False):
        self.name, self.fn, self.is_class = name, fn, is_class

    def __repr__(self):
        return f"<{self.name}>"


class _TypeTag:
    """Stand-in for ``torch.Tensor`` / ``torch.nn.Parameter`` as arguments of
    ``_rebuild_from_type_v2``; never called."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<{self.name}>"


def _no_hooks(u, hooks):
    if hooks is not None and not (type(hooks) in (dict, OrderedDict) and not hooks):
        raise UnsafeCheckpointError(f"ember.load: {u.name}: a tensor was saved with backward "
                                    "hooks, which are code; ember does not load them")


def _storage_dtype(u, storage):
    if type(storage) is not TorchStorage:
        raise CheckpointError(f"ember.load: {u.name}: a tensor is rebuilt from "
                              f"{type(storage).__name__}, not from a storage")
    return _dt.uint8 if storage._dtype is None else storage._dtype


def _rebuild_tensor_v2(u, storage, offset, size, stride, requires_grad, hooks, metadata=None):
    _no_hooks(u, hooks)
    dtype = _storage_dtype(u, storage)
    return u.storages.tensor(storage, dtype, offset, size, stride, requires_grad,
                             metadata=metadata)


def _rebuild_tensor_v3(u, storage, offset, size, stride, requires_grad, hooks, dtype,
                       metadata=None):
    _no_hooks(u, hooks)
    if type(dtype) is not _dt.dtype:
        raise CheckpointError(f"ember.load: {u.name}: invalid tensor dtype {dtype!r}")
    return u.storages.tensor(storage, dtype, offset, size, stride, requires_grad,
                             metadata=metadata)


def _rebuild_tensor(u, storage, offset, size, stride):
    dtype = _storage_dtype(u, storage)
    return u.storages.tensor(storage, dtype, offset, size, stride, False)


def _rebuild_parameter(u, data, requires_grad, hooks, state=None):
    _no_hooks(u, hooks)
    if not isinstance(data, Tensor) or type(requires_grad) is not bool:
        raise CheckpointError(f"ember.load: {u.name}: invalid parameter record")
    if state:
        raise UnsafeCheckpointError(f"ember.load: {u.name}: a Parameter carries Python "
                                    "attributes, which ember does not restore")
    from .nn.parameter import Parameter
    return Parameter(data.detach(), requires_grad=requires_grad)


def _rebuild_from_type_v2(u, func, new_type, args, state):
    # torch's path for tensor subclasses and tensors with Python attributes
    if type(func) is not _Callable or func.fn not in (_rebuild_tensor_v2, _rebuild_tensor_v3,
                                                      _rebuild_tensor, _rebuild_parameter):
        raise UnsafeCheckpointError(f"ember.load: {u.name}: _rebuild_from_type_v2 with "
                                    f"{func!r}, which ember does not allow")
    if type(new_type) is not _TypeTag or type(args) is not tuple:
        raise UnsafeCheckpointError(f"ember.load: {u.name}: _rebuild_from_type_v2 with type "
                                    f"{new_type!r}, which ember does not allow")
    if state:
        raise UnsafeCheckpointError(f"ember.load: {u.name}: a tensor carries Python attributes "
                                    f"{list(state) if isinstance(state, dict) else state!r}, "
                                    "which ember does not restore")
    t = func.fn(u, *args)
    if new_type.name == "torch.nn.parameter.Parameter" and type(t) is Tensor:
        from .nn.parameter import Parameter
        t = Parameter(t, requires_grad=t.requires_grad)
    return t


def _ordered_dict(u, items=()):
    if type(items) not in (list, tuple) or not all(type(p) is tuple and len(p) == 2
                                                    for p in items):
        raise CheckpointError(f"ember.load: {u.name}: invalid OrderedDict arguments")
    return OrderedDict(items)


def _make_set(kind):
    def make(u, items=()):
        if type(items) not in (list, tuple):
            raise CheckpointError(f"ember.load: {u.name}: invalid {kind.__name__} arguments")
        return kind(items)
    return make


def _complex(u, real=0.0, imag=0.0):
    if type(real) not in (int, float) or type(imag) not in (int, float):
        raise CheckpointError(f"ember.load: {u.name}: invalid complex arguments")
    return complex(real, imag)


_ENCODINGS = {"latin1": "latin-1", "latin-1": "latin-1", "iso-8859-1": "latin-1",
              "utf-8": "utf-8", "utf8": "utf-8", "ascii": "ascii"}


def _encode(u, text, encoding="utf-8"):
    # protocol 2 stores bytes as _codecs.encode(str, "latin1"); a fixed table, because looking
    # up an arbitrary codec name imports modules
    codec = _ENCODINGS.get(encoding) if type(encoding) is str else None
    if type(text) is not str or codec is None:
        raise CheckpointError(f"ember.load: {u.name}: invalid bytes record")
    try:
        return text.encode(codec)
    except UnicodeEncodeError:
        raise CheckpointError(f"ember.load: {u.name}: invalid bytes record") from None


def _size(u, dims=()):
    if type(dims) not in (tuple, list) or not all(type(s) is int for s in dims):
        raise CheckpointError(f"ember.load: {u.name}: invalid torch.Size {dims!r}")
    return Size(dims)


def _make_device(u, kind, index=None):
    if type(kind) is not str or (index is not None and type(index) is not int):
        raise CheckpointError(f"ember.load: {u.name}: invalid torch.device arguments")
    return _device(kind, index)


_STORAGE_DTYPES = {
    "BoolStorage": _dt.bool_, "ByteStorage": _dt.uint8, "CharStorage": _dt.int8,
    "ShortStorage": _dt.int16, "IntStorage": _dt.int32, "LongStorage": _dt.int64,
    "HalfStorage": _dt.float16, "BFloat16Storage": _dt.bfloat16, "FloatStorage": _dt.float32,
    "DoubleStorage": _dt.float64, "ComplexFloatStorage": _dt.complex64,
    "ComplexDoubleStorage": _dt.complex128,
}

# torch dtypes ember does not have, named in a clearer refusal than "not allowed"
_MISSING_DTYPES = {"uint16", "uint32", "uint64", "complex32", "chalf", "float8_e4m3fn",
                   "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
                   "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16"}


def _allowed():
    table = {}
    for name, fn in (("_rebuild_tensor_v2", _rebuild_tensor_v2),
                     ("_rebuild_tensor_v3", _rebuild_tensor_v3),
                     ("_rebuild_tensor", _rebuild_tensor),
                     ("_rebuild_parameter", _rebuild_parameter),
                     ("_rebuild_parameter_with_state", _rebuild_parameter)):
        table["torch._utils", name] = _Callable("torch._utils." + name, fn)
    table["torch._tensor", "_rebuild_from_type_v2"] = _Callable(
        "torch._tensor._rebuild_from_type_v2", _rebuild_from_type_v2)
    table["torch", "Tensor"] = table["torch._tensor", "Tensor"] = _TypeTag("torch.Tensor")
    table["torch.nn.parameter", "Parameter"] = _TypeTag("torch.nn.parameter.Parameter")
    for name, d in _STORAGE_DTYPES.items():
        table["torch", name] = _StorageType("torch." + name, d)
    table["torch", "UntypedStorage"] = table["torch.storage", "UntypedStorage"] = \
        _StorageType("torch.UntypedStorage", None)
    for name, d in _dt.ALIASES.items():
        table["torch", name] = d
    table["torch", "Size"] = _Callable("torch.Size", _size, is_class=True)
    table["torch", "device"] = _Callable("torch.device", _make_device, is_class=True)
    table["collections", "OrderedDict"] = _Callable("collections.OrderedDict", _ordered_dict,
                                                    is_class=True)
    for mod in ("builtins", "__builtin__"):     # protocol 2 names Python 3's builtins the latter
        table[mod, "set"] = _Callable("builtins.set", _make_set(set), is_class=True)
        table[mod, "frozenset"] = _Callable("builtins.frozenset", _make_set(frozenset),
                                            is_class=True)
        table[mod, "complex"] = _Callable("builtins.complex", _complex, is_class=True)
    table["_codecs", "encode"] = _Callable("_codecs.encode", _encode)
    return table


_ALLOWED = _allowed()


# ---------------------------------------------------------------------------------------------
# the opcode interpreter
# ---------------------------------------------------------------------------------------------

_MARK = object()      # a mark on the stack (pickle's MARK opcode)


class _Unpickler:
    """Interprets pickle protocols 0-5 over data only (Note [Restricted unpickler])."""

    def __init__(self, data, name, storages):
        self.data = memoryview(data)
        self.pos = 0
        self.name = name
        self.storages = storages
        self.stack = []
        self.memo = {}

    # -- reading ---------------------------------------------------------------------------
    def fail(self, what):
        raise CheckpointError(f"ember.load: {self.name}: invalid pickle in data.pkl at byte "
                              f"{self.pos}: {what}")

    def read(self, n):
        end = self.pos + n
        if n < 0 or end > len(self.data):
            self.fail("unexpected end of data (truncated file?)")
        b = self.data[self.pos:end]
        self.pos = end
        return b

    def unpack(self, fmt):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def readline(self):
        data = self.data
        end = self.pos
        while end < len(data) and data[end] != 0x0A:
            end += 1
        if end >= len(data):
            self.fail("unexpected end of data (truncated file?)")
        line = bytes(data[self.pos:end])
        self.pos = end + 1
        return line

    def pop(self):
        if not self.stack:
            self.fail("stack underflow")
        v = self.stack.pop()
        if v is _MARK:
            self.fail("unexpected mark")
        return v

    def top(self):
        if not self.stack or self.stack[-1] is _MARK:
            self.fail("stack underflow")
        return self.stack[-1]

    def pop_mark(self):
        st = self.stack
        for i in range(len(st) - 1, -1, -1):
            if st[i] is _MARK:
                items = st[i + 1:]
                del st[i:]
                return items
        self.fail("no mark on the stack")

    # -- running ---------------------------------------------------------------------------
    def load(self):
        ops = _OPS
        while True:
            if self.pos >= len(self.data):
                self.fail("no STOP opcode (truncated file?)")
            code = self.data[self.pos]
            self.pos += 1
            handler = ops.get(code)
            if handler is None:
                self.pos -= 1
                self.fail(f"unsupported opcode {bytes([code])!r}")
            if handler is _stop:
                result = self.pop()
                if self.stack:
                    self.fail("data left on the stack at STOP")
                return result
            handler(self)

    def find_class(self, module, name):
        obj = _ALLOWED.get((module, name))
        if obj is not None:
            return obj
        full = f"{module}.{name}"
        if module == "torch" and name in _MISSING_DTYPES:
            raise CheckpointError(f"ember.load: {self.name} uses dtype {full}, which ember "
                                  "does not have")
        raise UnsafeCheckpointError(
            f"ember.load: {self.name} references the global '{full}', which ember refuses to "
            "load: ember rebuilds only tensors, storages, dtypes, OrderedDict and plain Python "
            "containers, and never imports or runs code named in a checkpoint. Save a "
            "state_dict() (tensors and containers) instead of whole objects")

    def call(self, func, args, opcode):
        if type(func) is not _Callable or (opcode != "REDUCE" and not func.is_class):
            raise UnsafeCheckpointError(f"ember.load: {self.name}: {opcode} applied to "
                                        f"{func!r}, which ember does not allow")
        if type(args) is not tuple:
            self.fail(f"{opcode} arguments must be a tuple")
        try:
            return func.fn(self, *args)
        except TypeError as e:
            raise CheckpointError(f"ember.load: {self.name}: invalid arguments for "
                                  f"{func.name}: {e}") from None


_OPS = {}


def _define_ops():
    r = _OPS

    def put(code, fn):
        r[ord(code) if isinstance(code, str) else code] = fn

    # -- framing, marks, stack ---------------------------------------------------------------
    def proto(u):
        v = u.read(1)[0]
        if v > 5:
            u.fail(f"unsupported pickle protocol {v}")
    put(0x80, proto)
    put(0x95, lambda u: u.read(8))                       # FRAME: a size hint only
    put(".", _stop)
    put("(", lambda u: u.stack.append(_MARK))
    put("0", lambda u: u.pop())
    put("1", lambda u: u.pop_mark())
    put("2", lambda u: u.stack.append(u.top()))

    # -- constants and numbers ---------------------------------------------------------------
    put("N", lambda u: u.stack.append(None))
    put(0x88, lambda u: u.stack.append(True))
    put(0x89, lambda u: u.stack.append(False))
    put("J", lambda u: u.stack.append(u.unpack("<i")))
    put("K", lambda u: u.stack.append(u.read(1)[0]))
    put("M", lambda u: u.stack.append(u.unpack("<H")))
    put(0x8A, lambda u: u.stack.append(int.from_bytes(u.read(u.read(1)[0]), "little",
                                                      signed=True)))

    def long4(u):
        n = u.unpack("<i")
        if n < 0:
            u.fail("negative LONG4 length")
        u.stack.append(int.from_bytes(u.read(n), "little", signed=True))
    put(0x8B, long4)
    put("G", lambda u: u.stack.append(u.unpack(">d")))

    def text_number(kind):
        def run(u):
            line = u.readline()
            try:
                if kind == "I" and line in (b"00", b"01"):
                    v = line == b"01"
                elif kind == "F":
                    v = float(line)
                else:
                    v = int(line.rstrip(b"L"))
            except ValueError:
                u.fail(f"invalid number {line!r}")
            u.stack.append(v)
        return run
    put("I", text_number("I"))
    put("L", text_number("L"))
    put("F", text_number("F"))

    # -- strings and bytes -------------------------------------------------------------------
    def text(size_fmt, decode):
        def run(u):
            n = u.read(1)[0] if size_fmt is None else u.unpack(size_fmt)
            raw = u.read(n)
            try:
                u.stack.append(decode(raw))
            except UnicodeDecodeError as e:
                u.fail(f"invalid string ({e})")
        return run
    utf8 = (lambda b: str(b, "utf-8", "surrogatepass"))
    put("X", text("<I", utf8))
    put(0x8C, text(None, utf8))
    put(0x8D, text("<Q", utf8))
    put("C", text(None, bytes))
    put("B", text("<I", bytes))
    put(0x8E, text("<Q", bytes))
    put(0x96, text("<Q", bytearray))
    latin1 = (lambda b: str(b, "latin-1"))       # Python 2 str
    put("U", text(None, latin1))
    put("T", text("<i", latin1))

    def unicode_line(u):
        try:
            u.stack.append(str(u.readline(), "raw-unicode-escape"))
        except UnicodeDecodeError as e:
            u.fail(f"invalid string ({e})")
    put("V", unicode_line)

    def string_line(u):
        line = u.readline()
        if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in (b"'", b'"'):
            u.fail("invalid STRING literal")
        try:
            u.stack.append(codecs.escape_decode(line[1:-1])[0].decode("latin-1"))
        except ValueError as e:
            u.fail(f"invalid STRING literal ({e})")
    put("S", string_line)

    # -- containers --------------------------------------------------------------------------
    put(")", lambda u: u.stack.append(()))
    put("t", lambda u: u.stack.append(tuple(u.pop_mark())))

    def tuple_n(n):
        def run(u):
            items = [u.pop() for _ in range(n)][::-1]
            u.stack.append(tuple(items))
        return run
    put(0x85, tuple_n(1))
    put(0x86, tuple_n(2))
    put(0x87, tuple_n(3))
    put("]", lambda u: u.stack.append([]))
    put("l", lambda u: u.stack.append(u.pop_mark()))

    def target(u, kinds, opcode):
        obj = u.top()
        if type(obj) not in kinds:
            raise UnsafeCheckpointError(f"ember.load: {u.name}: {opcode} on a "
                                        f"{type(obj).__name__}, which ember does not allow")
        return obj

    def append(u):
        v = u.pop()
        target(u, (list,), "APPEND").append(v)
    put("a", append)

    def appends(u):
        items = u.pop_mark()
        target(u, (list,), "APPENDS").extend(items)
    put("e", appends)
    put("}", lambda u: u.stack.append({}))

    def dict_from(u, items, d):
        if len(items) % 2:
            u.fail("odd number of items for a dict")
        try:
            for i in range(0, len(items), 2):
                d[items[i]] = items[i + 1]
        except TypeError as e:
            u.fail(f"invalid dict key ({e})")
        return d
    put("d", lambda u: u.stack.append(dict_from(u, u.pop_mark(), {})))

    def setitem(u):
        v = u.pop()
        k = u.pop()
        dict_from(u, [k, v], target(u, (dict, OrderedDict), "SETITEM"))
    put("s", setitem)

    def setitems(u):
        items = u.pop_mark()
        dict_from(u, items, target(u, (dict, OrderedDict), "SETITEMS"))
    put("u", setitems)
    put(0x8F, lambda u: u.stack.append(set()))

    def additems(u):
        items = u.pop_mark()
        try:
            target(u, (set,), "ADDITEMS").update(items)
        except TypeError as e:
            u.fail(f"invalid set item ({e})")
    put(0x90, additems)

    def frozen(u):
        try:
            u.stack.append(frozenset(u.pop_mark()))
        except TypeError as e:
            u.fail(f"invalid set item ({e})")
    put(0x91, frozen)

    # -- memo --------------------------------------------------------------------------------
    def memo_put(index_of):
        def run(u):
            u.memo[index_of(u)] = u.top()
        return run

    def text_index(u):
        line = u.readline()
        try:
            return int(line)
        except ValueError:
            u.fail(f"invalid memo index {line!r}")
    put("p", memo_put(text_index))
    put("q", memo_put(lambda u: u.read(1)[0]))
    put("r", memo_put(lambda u: u.unpack("<I")))
    put(0x94, memo_put(lambda u: len(u.memo)))

    def memo_get(index_of):
        def run(u):
            i = index_of(u)
            if i not in u.memo:
                u.fail(f"memo entry {i} was never stored")
            u.stack.append(u.memo[i])
        return run
    put("g", memo_get(text_index))
    put("h", memo_get(lambda u: u.read(1)[0]))
    put("j", memo_get(lambda u: u.unpack("<I")))

    # -- globals and calls: only ember's stand-ins (Note [Restricted unpickler]) -------------
    def global_line(u):
        try:
            module = u.readline().decode("utf-8")
            name = u.readline().decode("utf-8")
        except UnicodeDecodeError:
            u.fail("invalid GLOBAL name")
        u.stack.append(u.find_class(module, name))
    put("c", global_line)

    def stack_global(u):
        name = u.pop()
        module = u.pop()
        if type(module) is not str or type(name) is not str:
            u.fail("STACK_GLOBAL needs two strings")
        u.stack.append(u.find_class(module, name))
    put(0x93, stack_global)

    def inst(u):
        module = u.readline().decode("utf-8", "replace")
        name = u.readline().decode("utf-8", "replace")
        u.find_class(module, name)     # refuses unknown names with their name
        raise UnsafeCheckpointError(f"ember.load: {u.name}: opcode INST is not allowed")
    put("i", inst)

    def refuse(opcode):
        def run(u):
            raise UnsafeCheckpointError(f"ember.load: {u.name}: pickle opcode {opcode} is not "
                                        "allowed in a checkpoint ember loads")
        return run
    put("o", refuse("OBJ"))
    put(0x82, refuse("EXT1"))
    put(0x83, refuse("EXT2"))
    put(0x84, refuse("EXT4"))
    put(0x97, refuse("NEXT_BUFFER"))
    put(0x98, refuse("READONLY_BUFFER"))

    def reduce(u):
        args = u.pop()
        func = u.pop()
        u.stack.append(u.call(func, args, "REDUCE"))
    put("R", reduce)

    def newobj(u):
        args = u.pop()
        cls = u.pop()
        u.stack.append(u.call(cls, args, "NEWOBJ"))
    put(0x81, newobj)

    def newobj_ex(u):
        kwargs = u.pop()
        args = u.pop()
        cls = u.pop()
        if kwargs:
            raise UnsafeCheckpointError(f"ember.load: {u.name}: NEWOBJ_EX with keyword "
                                        "arguments is not allowed")
        u.stack.append(u.call(cls, args, "NEWOBJ_EX"))
    put(0x92, newobj_ex)

    def build(u):
        state = u.pop()
        obj = u.top()
        if not state:
            return
        # torch's state_dict is an OrderedDict with a `_metadata` attribute
        if type(obj) is OrderedDict and type(state) is dict and \
                all(type(k) is str and k.isidentifier() and not k.startswith("__")
                    for k in state):
            for k, v in state.items():
                setattr(obj, k, v)
            return
        raise UnsafeCheckpointError(f"ember.load: {u.name}: BUILD on a {type(obj).__name__} "
                                    "is not allowed")
    put("b", build)

    def persid(u):
        try:
            pid = u.readline().decode("ascii")
        except UnicodeDecodeError:
            u.fail("invalid PERSID")
        u.stack.append(u.storages(pid))
    put("P", persid)
    put("Q", lambda u: u.stack.append(u.storages(u.pop())))


def _stop(u):
    """STOP: handled in _Unpickler.load."""


_define_ops()
