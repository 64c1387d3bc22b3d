"""ember.save / ember.load: checkpoints that load without running code, written atomically.

``ember.load`` reads three formats, told apart by their first bytes (never by the file name):
ember's own (below), PyTorch's zip checkpoints (``torch.save``; read by ``_torch_pt.py``, which
rebuilds tensors and plain containers and refuses every other pickled global), and safetensors
(``_safetensors.py``). ``ember.save`` writes ember's format, or safetensors on request.

Note [Checkpoint format]
An ember checkpoint is an uncompressed zip archive with two kinds of entries:

    manifest.json   {"format": "ember", "version": 1, "byteorder": "little",
                     "storages": [{"nbytes": int, "dtype": name}, ...],
                     "tensors": [{"storage": int, "dtype": name, "shape": [int], "byte_offset": int,
                                  "byte_strides": [int], "requires_grad": bool,
                                  "parameter": bool}, ...],
                     "root": node}
    data/<i>        the raw little-endian bytes of storage i

A node is JSON null / true / false / a string / an int / a finite float standing for itself, a JSON
array standing for a list, or a JSON object whose "$" key names its type: "dict" and "odict"
(``items`` as [key, value] pairs, so int and tuple keys survive; odict may carry torch's
``_metadata``), "tuple" and "size" (``items``), "float" (``value`` "inf", "-inf" or "nan"),
"complex" (``real``, ``imag``), "bytes" (``base64``), "dtype" and "device" (``name``), "tensor"
(``id``: an index into "tensors"). Loading interprets this data; nothing in it names code.

A storage is the whole memory block (NumPy's root array) under one or more tensors, saved once;
each tensor records its byte offset and byte strides into it. So views of one tensor, tied
weights and the same tensor saved twice share memory again after loading, as torch's storages
do, and the same Tensor object saved twice loads as one object. Like torch, saving a small view
of a large tensor writes the large tensor's whole storage.
"""
import base64
import io
import json
import math
import os
import secrets
import stat
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np

from . import dtypes as _dt
from ._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from ._storage import VersionCell, root_array
from .device import device as _device
from .tensor import Size, Tensor, wrap

__all__ = ["save", "load", "CheckpointError"]

MANIFEST = "manifest.json"
FORMAT = "ember"
VERSION = 1
_BIG_ENDIAN = sys.byteorder == "big"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)      # fixed timestamps: the same object saves to the same bytes
_CHUNK = 1 << 24
_DTYPES = {d.name: d for d in _dt.ALL}


class CheckpointError(EmberRuntimeError):
    """A file cannot be read as a checkpoint: truncated, corrupted, not a checkpoint at all, or
    (``UnsafeCheckpointError``) it asks to run code.

    Example::

        >>> import io
        >>> try:
        ...     torch.load(io.BytesIO(b'not a checkpoint'))
        ... except RuntimeError as e:
        ...     print(type(e).__name__)
        ...
        CheckpointError
    """


# =============================================================================================
# save
# =============================================================================================

def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format=None):
    """save(obj, f, *, format=None): write ``obj`` to ``f``, a path or a writable binary file.

    ``obj`` may nest tensors (any dtype, strides, views), numbers (inf and nan included),
    strings, bytes, None, dtypes, devices, lists, tuples, dicts and OrderedDicts (keys of any of
    those types). Tensors that share memory are written once and share it again after loading.

    ``format``: ``None`` (ember's format, or safetensors when the path ends in ``.safetensors``),
    ``"ember"``, or ``"safetensors"`` (a flat dict of str -> Tensor; memory sharing is not kept).
    ``pickle_module``, ``pickle_protocol`` and torch's private flags are accepted for
    compatibility and ignored: ember never pickles.

    Writing to a path is atomic: the data goes to a temporary file in the same directory, is
    flushed to disk, then renamed over ``f``; if anything fails, the old file is left as it was.

    Example::

        >>> import io
        >>> buf = io.BytesIO()
        >>> torch.save({'weights': torch.arange(3.), 'step': 10}, buf)
        >>> _ = buf.seek(0)
        >>> torch.load(buf)
        {'weights': tensor([0., 1., 2.]), 'step': 10}
    """
    path = None if hasattr(f, "write") else _fspath(f)
    if format is None:
        format = "safetensors" if path is not None and path.endswith(".safetensors") else "ember"
    if format == "ember":
        write = _EmberWriter(obj).write
    elif format == "safetensors":
        from . import _safetensors
        write = _safetensors.writer(obj)
    else:
        raise EmberValueError(f"ember.save: unknown format {format!r} (expected None, 'ember' "
                              "or 'safetensors')")
    if path is None:
        write(f)
    else:
        _atomic_write(path, write)


def _fspath(f):
    try:
        p = os.fspath(f)
    except TypeError:
        raise EmberTypeError(f"expected a path (str or os.PathLike) or a binary file object, got "
                             f"{type(f).__name__}") from None
    return os.fsdecode(p)


def _atomic_write(path, write):
    """Write through a temporary file next to ``path``, fsync it, then ``os.replace`` it over
    ``path``: readers see the old file or the complete new one, never a partial one."""
    if os.path.islink(path):
        path = os.path.realpath(path)        # replace the link's target, not the link
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # mode 0o666 lets the umask decide permissions, as a plain open(path, "wb") would
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))   # keep an existing file's mode
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory):
    # makes the rename itself durable; not possible on every platform, so best effort
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _memory_extent(a):
    """(lowest, one-past-highest) byte address that array ``a`` touches."""
    ptr = a.__array_interface__["data"][0]
    if a.size == 0:
        return ptr, ptr
    lo = hi = ptr
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


def _dense_bytes(root):
    """The bytes of ``root``'s memory block as a flat uint8 array (no copy), or None when the
    root array is not one dense block (then its tensors are saved as copies)."""
    if root.flags.c_contiguous:
        flat = root.reshape(-1)
    elif root.flags.f_contiguous:
        flat = root.T.reshape(-1)
    else:
        return None
    if _BIG_ENDIAN:
        flat = flat.byteswap()
    return flat.view(np.uint8)


class _EmberWriter:
    """Turns an object tree into the manifest and the list of storage buffers."""

    def __init__(self, obj):
        self.buffers = []        # flat uint8 arrays, one per storage
        self.storages = []       # manifest entries, parallel to buffers
        self.tensors = []
        self._storage_of = {}    # id(root array) -> (storage index, root start address)
        self._tensor_of = {}     # id(Tensor) -> tensor index
        self._keep = []          # keeps every keyed object alive, so ids stay unique
        self._active = set()     # containers on the current path (cycle check)
        self.root = self.encode(obj)

    def write(self, fh):
        manifest = {"format": FORMAT, "version": VERSION, "byteorder": "little",
                    "storages": self.storages, "tensors": self.tensors, "root": self.root}
        text = json.dumps(manifest, allow_nan=False, separators=(",", ":")).encode("utf-8")
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            with zf.open(_zipinfo(MANIFEST, len(text)), "w") as out:
                out.write(text)
            for i, buf in enumerate(self.buffers):
                _write_storage(zf, f"data/{i}", buf)

    # -- object tree ---------------------------------------------------------------------------
    def encode(self, x):
        t = type(x)
        if x is None or t is bool or t is str or t is int:
            return x
        if t is float:
            return x if math.isfinite(x) else {"$": "float", "value": repr(x)}
        if isinstance(x, Tensor):
            return self._tensor(x)
        if t is list or t is tuple or t is dict or t is OrderedDict:
            return self._container(x, t)
        if t is Size:
            return {"$": "size", "items": [int(s) for s in x]}
        if t is complex:
            return {"$": "complex", "real": self.encode(x.real), "imag": self.encode(x.imag)}
        if t is bytes or t is bytearray:
            return {"$": "bytes", "base64": base64.b64encode(bytes(x)).decode("ascii")}
        if t is _dt.dtype:
            return {"$": "dtype", "name": x.name}
        if t is _device:
            return {"$": "device", "name": str(x)}
        # numbers that only subclass (np.float64, IntEnum) or mimic (NumPy scalars) Python's
        # are saved as the Python number they stand for
        if isinstance(x, bool) or isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, (int, np.integer)):
            return int(x)
        if isinstance(x, (float, np.floating)):
            return self.encode(float(x))
        if isinstance(x, (complex, np.complexfloating)):
            return self.encode(complex(x))
        if isinstance(x, str):
            return str(x)
        raise EmberTypeError(
            f"ember.save cannot save an object of type {t.__module__}.{t.__qualname__}: "
            "checkpoints hold tensors, numbers, strings, bytes, None, dtypes, devices and "
            "lists, tuples and dicts of them (no arbitrary Python objects, so that loading "
            "never runs code)")

    def _container(self, x, t):
        key = id(x)
        if key in self._active:
            raise EmberValueError("ember.save cannot save a container that contains itself")
        self._active.add(key)
        try:
            if t is list:
                return [self.encode(v) for v in x]
            if t is tuple:
                return {"$": "tuple", "items": [self.encode(v) for v in x]}
            node = {"$": "dict" if t is dict else "odict",
                    "items": [[self.encode(k), self.encode(v)] for k, v in x.items()]}
            meta = getattr(x, "_metadata", None) if t is OrderedDict else None
            if meta is not None:
                node["metadata"] = self.encode(meta)      # torch's state_dict version info
            return node
        finally:
            self._active.discard(key)

    def _tensor(self, t):
        i = self._tensor_of.get(id(t))
        if i is None:
            a = t._array
            if not isinstance(a, np.ndarray):
                a = np.asarray(t.detach().cpu()._array)
            storage, offset, strides = self._storage(a)
            entry = {"storage": storage, "dtype": _dt._FROM_NP[a.dtype].name,
                     "shape": list(a.shape), "byte_offset": offset, "byte_strides": strides,
                     "requires_grad": t._edge is not None}
            from .nn.parameter import Parameter
            if isinstance(t, Parameter):
                entry["parameter"] = True
            i = self._tensor_of[id(t)] = len(self.tensors)
            self.tensors.append(entry)
            self._keep.append(t)
        return {"$": "tensor", "id": i}

    def _storage(self, a):
        """(storage index, byte offset, byte strides) of array ``a``; adds its storage."""
        root = root_array(a)
        known = self._storage_of.get(id(root))
        if known is None:
            raw = _dense_bytes(root)
            if raw is not None:
                known = self._add_storage(root, raw)
        if known is not None:
            index, start = known
            lo, hi = _memory_extent(a)
            if start <= lo and hi <= start + self.storages[index]["nbytes"]:
                ptr = a.__array_interface__["data"][0]
                return index, ptr - start, list(a.strides)
        # memory ember cannot place inside one dense block: save a compact copy instead
        copy = np.array(a, order="C")
        index, _ = self._add_storage(copy, _dense_bytes(copy), keyed=False)
        return index, 0, list(copy.strides)

    def _add_storage(self, root, raw, keyed=True):
        name = _dt._FROM_NP[root.dtype].name if root.dtype in _dt._FROM_NP else "uint8"
        index = len(self.buffers)
        self.buffers.append(raw)
        self.storages.append({"nbytes": int(raw.nbytes), "dtype": name})
        known = (index, root.__array_interface__["data"][0])
        if keyed:
            self._storage_of[id(root)] = known
            self._keep.append(root)
        return known


def _zipinfo(name, size):
    zi = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    zi.compress_type = zipfile.ZIP_STORED
    zi.file_size = size          # lets zipfile choose zip64 up front for entries over 2 GiB
    zi.external_attr = 0o644 << 16
    return zi


def _write_storage(zf, name, buf):
    """Write one storage's bytes (a flat uint8 array) as zip entry ``name``, in chunks."""
    view = memoryview(buf)
    with zf.open(_zipinfo(name, len(view)), "w") as out:
        for start in range(0, len(view), _CHUNK):
            out.write(view[start:start + _CHUNK])


# =============================================================================================
# load
# =============================================================================================

def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """load(f, map_location=None, *, weights_only=True) -> the object saved in ``f``.

    Reads ember checkpoints, PyTorch's zip checkpoints (``torch.save``) and safetensors files,
    recognised by their content. None of them can run code: torch checkpoints go through a
    restricted reader that rebuilds tensors, storages, OrderedDicts and plain containers and
    refuses any other pickled global (``UnsafeCheckpointError``, naming it) whatever
    ``weights_only`` says. Old non-zip torch files are refused. A truncated or corrupted file
    raises ``CheckpointError`` naming the file.

    ``map_location``: None (ember computes on the CPU, so tensors load there), a device or
    string, a dict from saved location (``"cuda:0"``) to device, or a callable
    ``(storage, location) -> storage or device`` as in torch. ``pickle_module``, ``mmap`` and
    other pickle arguments are accepted for torch compatibility and ignored.

    Example::

        >>> import io
        >>> model = nn.Linear(2, 1)
        >>> buf = io.BytesIO()
        >>> torch.save(model.state_dict(), buf)
        >>> _ = buf.seek(0)
        >>> state = torch.load(buf)
        >>> restored = nn.Linear(2, 1)
        >>> restored.load_state_dict(state)
        <All keys matched successfully>
        >>> bool((restored.weight == model.weight).all())
        True
    """
    if hasattr(f, "read"):
        return _load_stream(f, _display_name(f), map_location)
    path = _fspath(f)
    with open(path, "rb") as fh:
        return _load_stream(fh, path, map_location)


def _display_name(f):
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else repr(f)


def _load_stream(fh, name, map_location):
    if not (hasattr(fh, "seekable") and fh.seekable()):
        fh = io.BytesIO(fh.read())        # zip and safetensors readers need to seek
    start = fh.tell()
    head = fh.read(9)
    fh.seek(start)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(fh, name, map_location)
    if len(head) == 9 and head[8:9] == b"{":
        from . import _safetensors
        return _safetensors.read(fh, name, _target_device(map_location, "cpu"))
    if not head:
        raise CheckpointError(f"ember.load: {name} is empty")
    if head[:1] == b"\x80":
        raise CheckpointError(
            f"ember.load: {name} is a legacy (non-zip) torch checkpoint or a bare pickle. ember "
            "does not read these, because unpickling one can run arbitrary code; load it in "
            "torch and save it again with torch.save() (zip format, the default since torch "
            "1.6) or as safetensors")
    raise CheckpointError(f"ember.load: {name} is not an ember, torch (.pt) or safetensors "
                          "checkpoint")


class _ZipErrors:
    """Context manager turning the errors a damaged zip raises into one CheckpointError that
    names the file."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        # zipfile reports damage as any of these, depending on which bytes were hit (a flipped
        # flag bit reads as "encrypted", a plain RuntimeError)
        if kind is not None and (kind is RuntimeError or issubclass(kind, (
                zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, struct.error, ValueError,
                KeyError, OSError, NotImplementedError, OverflowError))):
            if isinstance(err, (FileNotFoundError, PermissionError)):
                return False
            raise CheckpointError(f"ember.load: {self.name} is truncated or corrupted: "
                                  f"{type(err).__name__}: {err}") from err
        return False


def _load_zip(fh, name, map_location):
    with _ZipErrors(name):
        zf = zipfile.ZipFile(fh)
        names = zf.namelist()
    with zf:
        if MANIFEST in names:
            return _EmberReader(zf, name, map_location).load()
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkl) == 1:
            from . import _torch_pt
            return _torch_pt.read(zf, pkl[0][:-len("/data.pkl")], name, map_location)
        raise CheckpointError(f"ember.load: {name} is a zip archive but not a checkpoint: it has "
                              f"neither ember's {MANIFEST} nor torch's <archive>/data.pkl")


def read_entry_into(zf, zinfo, name):
    """A fresh, writable uint8 array with the bytes of zip entry ``zinfo`` (CRC-checked)."""
    buf = np.empty(zinfo.file_size, dtype=np.uint8)
    view = memoryview(buf)
    with _ZipErrors(name), zf.open(zinfo) as src:
        pos = 0
        while pos < len(view):
            n = src.readinto(view[pos:pos + _CHUNK])
            if not n:
                raise CheckpointError(f"ember.load: {name} is truncated: entry {zinfo.filename} "
                                      f"ends after {pos} of {len(view)} bytes")
            pos += n
        if src.read(1):          # also reaches the end, where zipfile checks the CRC
            raise CheckpointError(f"ember.load: {name} is corrupted: entry {zinfo.filename} is "
                                  "longer than its header says")
    return buf


def tensor_from_buffer(buf, dtype, shape, byte_offset, byte_strides, cell, where):
    """A Tensor viewing ``buf`` (a flat uint8 array), after checking that the view stays
    inside it: the one place checkpoint readers build tensors from untrusted metadata."""
    if not (isinstance(shape, (list, tuple)) and isinstance(byte_strides, (list, tuple))
            and len(shape) == len(byte_strides)
            and all(type(s) is int and s >= 0 for s in shape)
            and all(type(s) is int for s in byte_strides)
            and type(byte_offset) is int and byte_offset >= 0):
        raise CheckpointError(f"ember.load: {where}: invalid tensor layout (shape {shape}, byte "
                              f"strides {byte_strides}, byte offset {byte_offset})")
    nbytes = buf.nbytes
    numel = math.prod(shape)
    lo = hi = byte_offset
    if numel:
        for n, s in zip(shape, byte_strides):
            if s < 0:
                lo += (n - 1) * s
            else:
                hi += (n - 1) * s
        hi += dtype.itemsize
    if lo < 0 or hi > nbytes:
        raise CheckpointError(
            f"ember.load: {where}: a tensor of shape {list(shape)} at byte offset {byte_offset} "
            f"with byte strides {list(byte_strides)} reaches outside its storage of {nbytes} "
            "bytes (truncated or corrupted file)")
    arr = np.ndarray(tuple(shape), dtype=dtype.np, buffer=buf, offset=byte_offset,
                     strides=tuple(byte_strides))
    t = wrap(arr)
    t._vc = cell      # tensors over one storage alias, so they share a version counter too
    return t


def _target_device(map_location, location):
    """The device a tensor saved at ``location`` goes to; None means the CPU, as loaded."""
    m = map_location
    if m is None:
        return None
    if isinstance(m, dict):
        m = m.get(location, location)
    if callable(m) and not isinstance(m, (str, _device)):
        from ._storage import UntypedStorage
        probe = UntypedStorage(np.empty(0, np.uint8))
        m = m(probe, location)
        if m is probe:
            return None
    if isinstance(m, (str, _device)):
        d = _device(m)
        return None if d.type == "cpu" else d
    raise EmberTypeError(f"ember.load: map_location must be None, a device, a string, a dict or "
                         f"a callable, got {type(m).__name__}")


def finish_tensor(t, requires_grad, parameter, target):
    """Apply the saved autograd flags and map_location to a freshly built tensor."""
    if target is not None:
        t = t.to(target)
    if parameter:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=bool(requires_grad))
    if requires_grad:
        t.requires_grad_(True)
    return t


def swap_to_native(buf, dtype):
    """Storages are little-endian on disk; reorder them in place on a big-endian machine."""
    if _BIG_ENDIAN and dtype.itemsize > 1:
        v = buf.view(dtype.np)
        v.byteswap(inplace=True)


class _EmberReader:
    """Checks and interprets an ember manifest (Note [Checkpoint format])."""

    def __init__(self, zf, name, map_location):
        self.zf, self.name, self.map_location = zf, name, map_location

    def fail(self, what):
        raise CheckpointError(f"ember.load: {self.name} is not a valid ember checkpoint: {what}")

    def load(self):
        with _ZipErrors(self.name):
            raw = self.zf.read(MANIFEST)
        try:
            m = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            self.fail(f"{MANIFEST} is not valid JSON ({e})")
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            self.fail(f"{MANIFEST} does not describe an ember checkpoint")
        if type(m.get("version")) is not int or m["version"] > VERSION:
            self.fail(f"format version {m.get('version')!r} is newer than this ember reads "
                      f"({VERSION})")
        try:
            buffers = [self._storage(i, s) for i, s in enumerate(m["storages"])]
            self.target = _target_device(self.map_location, "cpu")
            cells = [VersionCell() for _ in buffers]
            self.tensors = [self._tensor(i, e, buffers, cells) for i, e in enumerate(m["tensors"])]
            return self.decode(m["root"])
        except (KeyError, TypeError, IndexError, AttributeError, ValueError,
                RecursionError) as e:
            if isinstance(e, EmberTypeError):
                raise
            self.fail(f"malformed manifest ({type(e).__name__}: {e})")

    def _storage(self, i, entry):
        nbytes, dname = entry["nbytes"], entry["dtype"]
        if type(nbytes) is not int or nbytes < 0 or dname not in _DTYPES:
            self.fail(f"storage {i} has an invalid description {entry!r}")
        with _ZipErrors(self.name):
            zinfo = self.zf.getinfo(f"data/{i}")
        if zinfo.file_size != nbytes:
            self.fail(f"storage {i} holds {zinfo.file_size} bytes, the manifest says {nbytes}")
        buf = read_entry_into(self.zf, zinfo, self.name)
        dt = _DTYPES[dname]
        if nbytes % dt.itemsize == 0:
            swap_to_native(buf, dt)
        return buf

    def _tensor(self, i, e, buffers, cells):
        dname = e["dtype"]
        if dname not in _DTYPES:
            self.fail(f"tensor {i} has unknown dtype {dname!r}")
        s = e["storage"]
        if type(s) is not int or not 0 <= s < len(buffers):
            self.fail(f"tensor {i} refers to storage {s!r}, which does not exist")
        dt = _DTYPES[dname]
        t = tensor_from_buffer(buffers[s], dt, e["shape"], e["byte_offset"], e["byte_strides"],
                               cells[s], f"{self.name}, tensor {i}")
        requires_grad = e.get("requires_grad") is True
        if requires_grad and not (dt.is_floating_point or dt.is_complex):
            self.fail(f"tensor {i} of dtype {dname} is marked as requiring grad")
        return finish_tensor(t, requires_grad, e.get("parameter") is True, self.target)

    def decode(self, node):
        t = type(node)
        if node is None or t is bool or t is int or t is float or t is str:
            return node
        if t is list:
            return [self.decode(v) for v in node]
        if t is not dict:
            self.fail(f"unexpected JSON value {node!r}")
        tag = node.get("$")
        fn = _DECODERS.get(tag) if isinstance(tag, str) else None
        if fn is None:
            self.fail(f"unknown type {tag!r} in {MANIFEST}")
        return fn(self, node)

    def _items(self, node):
        items = node["items"]
        if type(items) is not list:
            self.fail(f"'items' of a {node['$']} must be a list")
        return items

    def _dict(self, node, cls):
        out = cls()
        for pair in self._items(node):
            if type(pair) is not list or len(pair) != 2:
                self.fail("dict items must be [key, value] pairs")
            out[self.decode(pair[0])] = self.decode(pair[1])
        if "metadata" in node and cls is OrderedDict:
            out._metadata = self.decode(node["metadata"])
        return out

    def _float(self, node):
        v = node["value"]
        if v not in ("inf", "-inf", "nan"):
            self.fail(f"invalid float value {v!r}")
        return float(v)

    def _number(self, node):
        v = self.decode(node)
        if type(v) not in (int, float):
            self.fail(f"expected a number, found {v!r}")
        return v

    def _size(self, node):
        items = self._items(node)
        if not all(type(s) is int for s in items):
            self.fail("torch.Size items must be ints")
        return Size(items)

    def _tensor_ref(self, node):
        i = node["id"]
        if type(i) is not int or not 0 <= i < len(self.tensors):
            self.fail(f"reference to tensor {i!r}, which does not exist")
        return self.tensors[i]

    def _dtype(self, node):
        name = node["name"]
        if name not in _DTYPES:
            self.fail(f"unknown dtype {name!r}")
        return _DTYPES[name]

    def _bytes(self, node):
        import binascii
        try:
            return base64.b64decode(node["base64"], validate=True)
        except (binascii.Error, TypeError) as e:
            self.fail(f"invalid base64 bytes ({e})")

    def _device(self, node):
        name = node["name"]
        if type(name) is not str:
            self.fail(f"invalid device {name!r}")
        try:
            return _device(name)
        except EmberRuntimeError as e:
            self.fail(f"invalid device {name!r} ({e})")


_DECODERS = {
    "dict": lambda r, n: r._dict(n, dict),
    "odict": lambda r, n: r._dict(n, OrderedDict),
    "tuple": lambda r, n: tuple(r.decode(v) for v in r._items(n)),
    "size": _EmberReader._size,
    "float": _EmberReader._float,
    "complex": lambda r, n: complex(r._number(n["real"]), r._number(n["imag"])),
    "bytes": _EmberReader._bytes,
    "dtype": _EmberReader._dtype,
    "device": _EmberReader._device,
    "tensor": _EmberReader._tensor_ref,
}
