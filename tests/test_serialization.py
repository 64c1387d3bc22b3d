"""ember.save / ember.load: round trips, shared memory, atomic writes, corruption, torch and
safetensors files, and refusal of checkpoints that would run code."""
import io
import json
import math
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
import torch

import ember
from ember import serialization
from ember._torch_pt import UnsafeCheckpointError
from ember.serialization import CheckpointError

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
              "float32", "float64", "complex64", "complex128"]


def _np(t):
    """A tensor's values as NumPy (sharing memory), for exact comparisons."""
    return t.detach()._array


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _torch_np(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.resolve_conj().numpy()


def _sample(dtype, shape):
    n = math.prod(shape)
    x = np.random.default_rng(0).normal(size=n) * 10
    d = ember.dtypes.ALIASES[dtype].np
    if dtype == "bool":
        a = x > 0
    elif dtype.startswith("complex"):
        a = (x + 1j * x[::-1]).astype(d)
    else:
        a = x.astype(d)
    return ember.from_numpy(np.ascontiguousarray(a.reshape(shape)))


def _roundtrip(obj, tmp_path, name="ckpt.ember", **kw):
    path = tmp_path / name
    ember.save(obj, path, **kw)
    return ember.load(path)


def _assert_tree_equal(a, b):
    """Equal values with equal types, recursively (tensors bit for bit, with strides)."""
    assert type(a) is type(b), f"{type(a)} vs {type(b)}"
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
        assert a.requires_grad == b.requires_grad
        _same_bits(_np(a), _np(b))
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            _assert_tree_equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_tree_equal(x, y)
    elif isinstance(a, complex):
        _assert_tree_equal(a.real, b.real)
        _assert_tree_equal(a.imag, b.imag)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b)
    else:
        assert a == b


# ---------------------------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (2, 0, 3)])
def test_tensor_round_trip_every_dtype(dtype, shape, tmp_path):
    t = _sample(dtype, shape)
    back = _roundtrip(t, tmp_path)
    assert type(back) is ember.Tensor
    _assert_tree_equal(t, back)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "complex128", "int64", "bool"])
@pytest.mark.parametrize("make", [
    lambda t: t.t(),
    lambda t: t[:, ::2],
    lambda t: t[1:, 1:3],
    lambda t: t[2],
    lambda t: t.unsqueeze(1).expand(4, 3, 6),
], ids=["transpose", "step", "slice", "select", "expand"])
def test_non_contiguous_views_keep_strides_and_offset(dtype, make, tmp_path):
    base = _sample(dtype, (4, 6))
    v = make(base)
    back = _roundtrip(v, tmp_path)
    _assert_tree_equal(v, back)
    assert back.storage_offset() == v.storage_offset()


def test_fortran_ordered_memory_keeps_its_strides(tmp_path):
    a = ember.from_numpy(np.asfortranarray(np.arange(12.0).reshape(3, 4)))
    obj = [a, a[1:, 2]]
    back = _roundtrip(obj, tmp_path)
    _assert_tree_equal(obj, back)
    assert back[1].untyped_storage() == back[0].untyped_storage()


def test_memory_outside_a_dense_block_is_saved_as_a_copy(tmp_path):
    # an array over a foreign buffer with gaps: no dense root block to save, so ember copies
    arr = np.ndarray((3,), dtype=np.float32, buffer=bytearray(24), strides=(8,))
    arr[:] = [1, 2, 3]
    back = _roundtrip(ember.from_numpy(arr), tmp_path)
    _same_bits(_np(back), arr)
    assert back.is_contiguous()


def test_python_values_round_trip(tmp_path):
    obj = {
        "ints": [0, -1, 2 ** 80, -(2 ** 70)],
        "floats": [0.1, -0.0, 1e308, 5e-324, float("inf"), float("-inf"), float("nan")],
        "bools": (True, False),
        "none": None,
        "str": "héllo \u2603 \"quoted\" $",
        "bytes": b"\x00\xffabc",
        "complex": [1 + 2j, complex(float("inf"), float("nan"))],
        3: "int key",
        (1, "a"): "tuple key",
        2.5: "float key",
        None: "none key",
        "nested": [[], (), {}, OrderedDict(), [(1, [2, {"x": (3,)}])]],
        "dtypes": [ember.float32, ember.bfloat16, ember.int64, ember.bool],
        "device": ember.device("cpu"),
        "size": ember.Size([2, 3]),
        "dollar": {"$": "tensor", "id": 99},          # user data that looks like a node
    }
    back = _roundtrip(obj, tmp_path)
    _assert_tree_equal(obj, back)
    assert back["dtypes"][1] is ember.bfloat16
    assert back["device"] == ember.device("cpu")


def test_numpy_scalars_are_saved_as_python_numbers(tmp_path):
    back = _roundtrip([np.float32(1.5), np.int64(3), np.bool_(True), np.float64(2.0)], tmp_path)
    assert back == [1.5, 3, True, 2.0]
    assert [type(v) for v in back] == [float, int, bool, float]


def test_ordered_dict_order_and_metadata(tmp_path):
    sd = OrderedDict([("z", ember.ones(2)), ("a", ember.zeros(1)), ("m", ember.tensor([3.0]))])
    sd._metadata = OrderedDict([("", {"version": 1})])
    back = _roundtrip(sd, tmp_path)
    assert type(back) is OrderedDict and list(back) == ["z", "a", "m"]
    assert back._metadata == {"": {"version": 1}}


def test_parameter_and_requires_grad(tmp_path):
    p = ember.nn.Parameter(ember.randn(3))
    q = ember.nn.Parameter(ember.randn(2), requires_grad=False)
    leaf = ember.randn(2, requires_grad=True)
    nonleaf = leaf * 2
    back = _roundtrip([p, q, leaf, nonleaf, p.detach()], tmp_path)
    assert isinstance(back[0], ember.nn.Parameter) and back[0].requires_grad
    assert isinstance(back[1], ember.nn.Parameter) and not back[1].requires_grad
    assert type(back[2]) is ember.Tensor and back[2].requires_grad and back[2].is_leaf
    assert back[3].requires_grad and back[3].is_leaf and back[3].grad_fn is None
    assert not back[4].requires_grad
    for a, b in zip([p, q, leaf, nonleaf], back):
        _same_bits(_np(a), _np(b))
    (back[0] * 2).sum().backward()             # a loaded parameter trains
    _same_bits(_np(back[0].grad), np.full(3, 2, np.float32))


def test_model_state_dict_round_trip_gives_same_outputs(tmp_path):
    nn = ember.nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    ember.save(model.state_dict(), tmp_path / "model.ember")
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    other.load_state_dict(ember.load(tmp_path / "model.ember"))
    x = ember.randn(5, 4)
    _same_bits(_np(model(x)), _np(other(x)))


def test_optimizer_state_dict_round_trip(tmp_path):
    w = ember.nn.Parameter(ember.randn(3, 2))
    b = ember.nn.Parameter(ember.randn(2))
    opt = ember.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    ((ember.ones(4, 3) @ w + b) ** 2).sum().backward()
    opt.step()
    sd = opt.state_dict()
    back = _roundtrip(sd, tmp_path)
    _assert_tree_equal(sd, back)
    assert set(back["state"]) == {0, 1}              # int keys stay ints
    opt2 = ember.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    opt2.load_state_dict(back)
    _same_bits(_np(opt2.state[w]["momentum_buffer"]), _np(opt.state[w]["momentum_buffer"]))


def test_file_objects_and_non_seekable_streams(tmp_path):
    obj = {"t": ember.arange(6).reshape(2, 3).t(), "x": [1, 2.5]}
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    _assert_tree_equal(obj, ember.load(buf))

    class Stream(io.RawIOBase):        # readable, not seekable (a pipe or socket)
        def __init__(self, data):
            self._src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._src.readinto(b)

    _assert_tree_equal(obj, ember.load(Stream(buf.getvalue())))
    with open(tmp_path / "f.ember", "wb") as fh:
        ember.save(obj, fh)
    with open(tmp_path / "f.ember", "rb") as fh:
        _assert_tree_equal(obj, ember.load(fh))
    _assert_tree_equal(obj, ember.load(str(tmp_path / "f.ember")))


def test_save_to_non_seekable_stream_and_torch_flags(tmp_path):
    class Sink(io.RawIOBase):            # writable, not seekable, no tell (a pipe)
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    sink = Sink()
    obj = {"a": ember.arange(5.0)[1:], "n": 3}
    ember.save(obj, sink, pickle_protocol=2, _use_new_zipfile_serialization=True)
    _assert_tree_equal(obj, ember.load(io.BytesIO(bytes(sink.data))))


def test_saving_is_deterministic(tmp_path):
    obj = {"a": ember.arange(10.0), "b": [1, "x"]}
    ember.save(obj, tmp_path / "1.ember")
    ember.save(obj, tmp_path / "2.ember")
    assert (tmp_path / "1.ember").read_bytes() == (tmp_path / "2.ember").read_bytes()


@pytest.mark.parametrize("obj", [object(), {"f": print}, [lambda: 0], {1, 2},
                                 np.zeros(3)], ids=["object", "function", "lambda", "set",
                                                    "ndarray"])
def test_unsupported_objects_raise_and_write_nothing(obj, tmp_path):
    with pytest.raises(TypeError, match="ember.save cannot save"):
        ember.save(obj, tmp_path / "x.ember")
    assert os.listdir(tmp_path) == []


def test_self_referencing_container_raises(tmp_path):
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="contains itself"):
        ember.save(a, tmp_path / "x.ember")
    shared = [1, 2]
    back = _roundtrip([shared, shared], tmp_path)     # shared (not cyclic) is fine
    assert back == [[1, 2], [1, 2]]


# ---------------------------------------------------------------------------------------------
# shared memory
# ---------------------------------------------------------------------------------------------

def test_shared_memory_is_saved_once_and_shared_after_loading(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    obj = {"base": base, "row": base[1], "t": base.t(), "cols": base[:, 2:5:2], "again": base,
           "as_int": base.view(ember.int32), "flat": base.view(-1)[5:],
           "other": ember.ones(3)}
    path = tmp_path / "shared.ember"
    ember.save(obj, path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert len(manifest["storages"]) == 2              # base's block once, plus "other"
    back = ember.load(path)
    assert back["again"] is back["base"]
    storage = back["base"].untyped_storage()
    for k in ("row", "t", "cols", "as_int", "flat"):
        assert back[k].untyped_storage() == storage, k
        assert back[k].storage_offset() == obj[k].storage_offset(), k
        assert back[k].stride() == obj[k].stride(), k
        _same_bits(_np(back[k]), _np(obj[k]))
    assert back["other"].untyped_storage() != storage
    back["base"][1, 2] = -7.0                          # a write shows through every view
    assert back["row"][2].item() == -7.0
    assert back["t"][2, 1].item() == -7.0
    assert back["flat"][3].item() == -7.0
    back["t"][4, 3] = 99.0
    assert back["base"][3, 4].item() == 99.0


def test_view_of_large_tensor_saves_its_storage_and_offset(tmp_path):
    big = ember.arange(1000.0)
    v = big[990:995]
    back = _roundtrip(v, tmp_path)
    assert back.storage_offset() == 990
    assert back.untyped_storage().nbytes() == 4000
    _same_bits(_np(back), _np(v))


def test_tied_parameters_stay_tied(tmp_path):
    emb = ember.nn.Parameter(ember.randn(5, 3))
    sd = OrderedDict([("embed.weight", emb), ("head.weight", emb)])
    back = _roundtrip(sd, tmp_path)
    assert back["embed.weight"] is back["head.weight"]


def test_views_of_a_loaded_storage_share_a_version_counter(tmp_path):
    base = ember.arange(6.0)
    back = _roundtrip([base, base[2:]], tmp_path)
    v0 = back[1]._version
    back[0].add_(1)
    assert back[1]._version > v0


# ---------------------------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------------------------

def test_crash_mid_save_keeps_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.ember"
    old = {"w": ember.arange(5.0)}
    ember.save(old, path)
    old_bytes = path.read_bytes()
    calls = []
    real = serialization._write_storage

    def crash_on_second(zf, name, buf):
        calls.append(name)
        if len(calls) == 2:
            # write part of the storage, then fail as a full disk or a bug would
            with zf.open(serialization._zipinfo(name, buf.nbytes), "w") as out:
                out.write(memoryview(buf)[: buf.nbytes // 2])
                raise OSError("simulated crash while writing " + name)
        real(zf, name, buf)

    monkeypatch.setattr(serialization, "_write_storage", crash_on_second)
    new = {"a": ember.ones(100), "b": ember.zeros(100), "c": ember.ones(3)}
    with pytest.raises(OSError, match="simulated crash"):
        ember.save(new, path)
    assert len(calls) == 2
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["ckpt.ember"]
    _assert_tree_equal(old, ember.load(path))
    monkeypatch.setattr(serialization, "_write_storage", real)
    ember.save(new, path)                                  # and a later save succeeds
    _assert_tree_equal(new, ember.load(path))
    assert os.listdir(tmp_path) == ["ckpt.ember"]


def test_crash_in_new_file_leaves_nothing(tmp_path, monkeypatch):
    def boom(zf, name, buf):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_storage", boom)
    with pytest.raises(KeyboardInterrupt):
        ember.save(ember.ones(2), tmp_path / "new.ember")
    assert os.listdir(tmp_path) == []


def test_overwrite_keeps_file_mode(tmp_path):
    path = tmp_path / "ckpt.ember"
    ember.save(ember.ones(2), path)
    os.chmod(path, 0o600)
    ember.save(ember.zeros(2), path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    _same_bits(_np(ember.load(path)), np.zeros(2, np.float32))


def test_save_through_symlink_replaces_target(tmp_path):
    target = tmp_path / "real.ember"
    ember.save(ember.ones(2), target)
    link = tmp_path / "link.ember"
    link.symlink_to(target)
    ember.save(ember.zeros(3), link)
    assert link.is_symlink()
    assert ember.load(target).shape == (3,)


# ---------------------------------------------------------------------------------------------
# corruption
# ---------------------------------------------------------------------------------------------

def _saved(tmp_path):
    path = tmp_path / "good.ember"
    ember.save({"w": ember.arange(64.0), "b": [1, 2]}, path)
    return path


def _entry_data_offset(path, name):
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    n, m = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
    return info.header_offset + 30 + n + m, info.file_size


def _flip(path, pos):
    raw = bytearray(path.read_bytes())
    raw[pos] ^= 0x5A
    path.write_bytes(bytes(raw))


def test_truncated_file_raises_naming_the_file(tmp_path):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="good.ember.*truncated or corrupted"):
        ember.load(path)


@pytest.mark.parametrize("where", ["manifest", "tensor data", "central directory"])
def test_flipped_bytes_raise_naming_the_file(where, tmp_path):
    path = _saved(tmp_path)
    if where == "manifest":
        start, size = _entry_data_offset(path, "manifest.json")
        _flip(path, start + size // 2)
    elif where == "tensor data":
        start, size = _entry_data_offset(path, "data/0")
        _flip(path, start + size // 2)
    else:
        _flip(path, path.read_bytes().rindex(b"PK\x01\x02"))
    with pytest.raises(CheckpointError, match="good.ember"):
        ember.load(path)


def _write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def _manifest(root, storages=(), tensors=(), **extra):
    m = {"format": "ember", "version": 1, "byteorder": "little", "storages": list(storages),
         "tensors": list(tensors), "root": root}
    m.update(extra)
    return json.dumps(m)


def test_zip_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.zip"
    _write_zip(path, {"readme.txt": "hello"})
    with pytest.raises(CheckpointError, match="other.zip is a zip archive but not a checkpoint"):
        ember.load(path)


@pytest.mark.parametrize("manifest, match", [
    (_manifest({"$": "pickle", "data": "..."}), "unknown type 'pickle'"),
    (_manifest({"$": "dict", "items": [["k", {"$": "os.system"}]]}), "unknown type 'os.system'"),
    (_manifest({"no": "tag"}), "unknown type None"),
    (_manifest({"$": "tensor", "id": 0}), "tensor 0, which does not exist"),
    (_manifest(1, version=99), "newer"),
    (_manifest(1, format="something"), "does not describe an ember checkpoint"),
    ("{not json", "not valid JSON"),
    (_manifest({"$": "float", "value": "1e999999"}), "invalid float"),
    (_manifest({"$": "tensor", "id": 0}, [{"nbytes": 8, "dtype": "float32"}],
               [{"storage": 0, "dtype": "float32", "shape": [3], "byte_offset": 0,
                 "byte_strides": [4]}]), "reaches outside its storage"),
    (_manifest({"$": "tensor", "id": 0}, [{"nbytes": 8, "dtype": "float32"}],
               [{"storage": 0, "dtype": "float32", "shape": [2], "byte_offset": 0,
                 "byte_strides": [-4]}]), "reaches outside its storage"),
    (_manifest({"$": "tensor", "id": 0}, [{"nbytes": 8, "dtype": "float32"}],
               [{"storage": 0, "dtype": "object", "shape": [2], "byte_offset": 0,
                 "byte_strides": [4]}]), "unknown dtype 'object'"),
    (_manifest({"$": "tensor", "id": 0}, [{"nbytes": 8, "dtype": "float32"}],
               [{"storage": 0, "dtype": "int32", "shape": [2], "byte_offset": 0,
                 "byte_strides": [4], "requires_grad": True}]), "requiring grad"),
    (_manifest(1, [{"nbytes": 16, "dtype": "float32"}]), "holds 8 bytes"),
])
def test_bad_manifests_raise_clear_errors(manifest, match, tmp_path):
    path = tmp_path / "bad.ember"
    _write_zip(path, {"manifest.json": manifest, "data/0": b"\0" * 8})
    with pytest.raises(CheckpointError, match="bad.ember") as info:
        ember.load(path)
    assert match in str(info.value)


@pytest.mark.parametrize("content, match", [
    (b"", "is empty"),
    (b"hello, world", "not an ember, torch"),
    (pickle.dumps({"a": 1}), "legacy"),
])
def test_files_that_are_not_checkpoints(content, match, tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        ember.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "nope.ember")


def test_unknown_format_argument(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'pt'"):
        ember.save({}, tmp_path / "x", format="pt")


# ---------------------------------------------------------------------------------------------
# malicious torch-style pickles: refused, and nothing runs
# ---------------------------------------------------------------------------------------------

def _torch_zip(path, pkl, extra=None):
    entries = {"archive/data.pkl": pkl, "archive/byteorder": "little", "archive/version": "3\n"}
    entries.update(extra or {})
    _write_zip(path, entries)


def _payloads(marker):
    cmd = f"touch {marker}".encode()
    code = f"open({str(marker)!r}, 'w').close()".encode()

    class Evil:
        def __reduce__(self):
            return (os.system, (cmd.decode(),))

    return {
        # protocol 2: GLOBAL 'os system' + REDUCE
        "GLOBAL os.system": (b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", len(cmd)) + cmd
                             + b"\x85R.", "os.system"),
        # protocol 4: STACK_GLOBAL builtins eval + REDUCE
        "STACK_GLOBAL builtins.eval": (
            b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c" + bytes([len(code)]) + code
            + b"\x85R.", "builtins.eval"),
        # what pickle itself writes for an object whose __reduce__ names os.system
        "pickle.dumps": (pickle.dumps(Evil(), protocol=2), os.system.__module__ + ".system"),
        # INST names the class inline
        "INST": (b"(S'" + cmd + b"'\nios\nsystem\n.", "os.system"),
        # the malicious global hidden inside an otherwise valid-looking state dict
        "nested": (b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00k"
                   b"csubprocess\ncheck_output\nX" + struct.pack("<I", len(cmd)) + cmd
                   + b"\x85\x85Ru.", "subprocess.check_output"),
    }


@pytest.mark.parametrize("kind", ["GLOBAL os.system", "STACK_GLOBAL builtins.eval",
                                  "pickle.dumps", "INST", "nested"])
def test_malicious_pickle_is_refused_without_running(kind, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    pkl, name = _payloads(marker)[kind]
    ran = []
    monkeypatch.setattr(os, "system", lambda *a: ran.append(a))
    path = tmp_path / "evil.pt"
    _torch_zip(path, pkl)
    with pytest.raises(UnsafeCheckpointError, match=name.replace(".", r"\.")) as info:
        ember.load(path, weights_only=False)          # refused even with weights_only=False
    assert isinstance(info.value, pickle.UnpicklingError)
    assert "evil.pt" in str(info.value)
    assert not marker.exists() and ran == []


def test_refused_global_is_never_imported(tmp_path):
    import sys
    name = "ember_test_module_that_must_not_be_imported"
    path = tmp_path / "evil.pt"
    _torch_zip(path, b"\x80\x02c" + name.encode() + b"\nf\n)R.")
    with pytest.raises(UnsafeCheckpointError, match=name):
        ember.load(path)
    assert name not in sys.modules


@pytest.mark.parametrize("pkl, match", [
    # BUILD that would set a dunder attribute
    (b"\x80\x02ccollections\nOrderedDict\n)R}X\x09\x00\x00\x00__class__Nsb.",
     "BUILD on a OrderedDict"),
    # SETITEM / APPEND on something that is not a dict / list the stream built
    (b"\x80\x02ctorch\nfloat32\nK\x01K\x02s.", "SETITEM on a dtype"),
    (b"\x80\x02}K\x01a.", "APPEND on a dict"),
    # REDUCE on an allowed non-callable (a dtype)
    (b"\x80\x02ctorch\nfloat32\n)R.", "REDUCE applied to torch.float32"),
    # NEWOBJ on an allowed function that is not a class
    (b"\x80\x02ctorch._utils\n_rebuild_tensor\n)\x81.", "NEWOBJ applied"),
    # backward hooks are code
    (b"\x80\x02ctorch._utils\n_rebuild_parameter\n(ctorch\nfloat32\nK\x00}K\x01K\x02stR.",
     "backward hooks"),
    # protocol-5 out-of-band buffers and the extension registry
    (b"\x80\x05\x97.", "NEXT_BUFFER"),
    (b"\x80\x02\x82\x01.", "EXT1"),
])
def test_other_unsafe_constructs_are_refused(pkl, match, tmp_path):
    path = tmp_path / "evil.pt"
    _torch_zip(path, pkl)
    with pytest.raises(UnsafeCheckpointError, match="evil.pt") as info:
        ember.load(path)
    assert match in str(info.value)


def test_build_on_a_rebuilt_tensor_is_refused(tmp_path):
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    pkl = entries["archive/data.pkl"]
    assert pkl.endswith(b".")
    entries["archive/data.pkl"] = pkl[:-1] + b"}X\x06\x00\x00\x00_arrayNsb."
    path = tmp_path / "evil.pt"
    _write_zip(path, entries)
    with pytest.raises(UnsafeCheckpointError, match="BUILD on a Tensor"):
        ember.load(path)


def test_build_sets_state_dict_metadata(tmp_path):
    path = tmp_path / "ok.pt"
    _torch_zip(path, b"\x80\x02ccollections\nOrderedDict\n)R}X\x09\x00\x00\x00_metadataK\x07sb.")
    back = ember.load(path)
    assert type(back) is OrderedDict and back._metadata == 7


@pytest.mark.parametrize("pkl, match", [
    (b"\x80\x02}q\x00(X\x01\x00", "unexpected end of data"),
    (b"\x80\x02}", "no STOP"),
    (b"\x80\x02\xff.", "unsupported opcode"),
    (b"\x80\x02h\x05.", "memo entry 5"),
    (b"\x80\x02K\x01K\x02.", "data left on the stack"),
    (b"\x80\x02(.", "unexpected mark"),
    (b"\x80\x02}]]s.", "invalid dict key"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor\nK\x01\x85R.", "invalid arguments"),
    (b"\x80\x02X\x01\x00\x00\x00xQ.", "unsupported persistent id"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x00))\x89NtR.", "rebuilt from int"),
])
def test_broken_pickles_raise_checkpoint_error(pkl, match, tmp_path):
    path = tmp_path / "broken.pt"
    _torch_zip(path, pkl)
    with pytest.raises(CheckpointError, match="broken.pt") as info:
        ember.load(path)
    assert match in str(info.value)


@pytest.mark.parametrize("protocol", range(6))
def test_plain_data_pickles_of_every_protocol(protocol, tmp_path):
    obj = {"a": [1, -2 ** 70, 2.5, "s\u2603", b"\x00b", (1, 2), {1: None}], "c": 1 + 2j,
           "set": {1, 2}, "frozen": frozenset([3]), "od": OrderedDict(x=1), "t": (True, False)}
    path = tmp_path / "plain.pt"
    _torch_zip(path, pickle.dumps(obj, protocol=protocol))
    assert ember.load(path) == obj


def test_random_damage_only_raises_checkpoint_error(tmp_path):
    """Damage that the zip CRC does not see (inside data.pkl / manifest.json before zipping)
    and damage it does see both end in CheckpointError, never another exception."""
    import random
    rng = random.Random(0)
    buf = io.BytesIO()
    torch.save({"sd": torch.nn.Linear(3, 2).state_dict(), "x": [1, 2.5, b"ab", {3}, 1j]}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        torch_entries = {n: zf.read(n) for n in zf.namelist()}
    ember_buf = io.BytesIO()
    ember.save({"w": ember.arange(20.0).reshape(4, 5).t(), 1: [1.5, "x", (None,)]}, ember_buf)
    with zipfile.ZipFile(io.BytesIO(ember_buf.getvalue())) as zf:
        ember_entries = {n: zf.read(n) for n in zf.namelist()}
    for trial in range(300):
        entries, key = rng.choice([(torch_entries, "archive/data.pkl"),
                                   (ember_entries, "manifest.json")])
        raw = bytearray(entries[key])
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(raw))
            if rng.random() < 0.6:
                raw[i] = rng.randrange(256)
            else:
                del raw[i]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for n, d in entries.items():
                zf.writestr(n, bytes(raw) if n == key else d)
        whole = bytearray(out.getvalue())
        if trial % 2:
            whole[rng.randrange(len(whole))] ^= 1 << rng.randrange(8)
        try:
            ember.load(io.BytesIO(bytes(whole)))
        except CheckpointError:
            pass


# ---------------------------------------------------------------------------------------------
# files written by torch.save
# ---------------------------------------------------------------------------------------------

class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                        torch.nn.Linear(8, 3))
        self.register_buffer("steps", torch.arange(5))
        self.register_buffer("mask", torch.tensor([True, False, True]))
        self.register_buffer("bf", torch.randn(2, 3).to(torch.bfloat16))
        self.register_buffer("h16", torch.randn(4).to(torch.float16))
        self.register_buffer("nc", torch.randn(3, 5).t()[1:, ::2])     # non-contiguous
        base = torch.randn(4, 6, dtype=torch.float64)
        self.register_buffer("base", base)
        self.register_buffer("base_row", base[2])                      # shares base's storage
        self.register_buffer("base_t", base.t())


def _check_torch_tensor(e, t):
    assert isinstance(e, ember.Tensor)
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    _same_bits(_np(e), _torch_np(t))


def _check_torch_tree(e, t):
    if isinstance(t, torch.Tensor):
        _check_torch_tensor(e, t)
        assert e.requires_grad == t.requires_grad
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _check_torch_tree(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _check_torch_tree(a, b)
    else:
        assert type(e) is type(t) and (e == t or (e != e and t != t))


def test_torch_state_dict_loads_with_equal_values_dtypes_and_sharing(tmp_path):
    net = _TorchNet()
    sd = net.state_dict()
    path = tmp_path / "net.pth"
    torch.save(sd, path)
    back = ember.load(path)
    assert type(back) is OrderedDict and list(back) == list(sd)
    for k in sd:
        _check_torch_tensor(back[k], sd[k])
    assert back._metadata == sd._metadata
    storage = back["base"].untyped_storage()
    assert back["base_row"].untyped_storage() == storage
    assert back["base_t"].untyped_storage() == storage
    back["base"][2, 1] = 123.0
    assert back["base_row"][1].item() == 123.0 and back["base_t"][1, 2].item() == 123.0


def test_torch_optimizer_state_dict_loads(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.8, 0.99))
    for _ in range(2):
        opt.zero_grad()
        net(torch.randn(6, 3)).pow(2).mean().backward()
        opt.step()
    sd = opt.state_dict()
    torch.save(sd, tmp_path / "opt.pt")
    back = ember.load(tmp_path / "opt.pt")
    _check_torch_tree(back, sd)
    assert back["param_groups"][0]["betas"] == (0.8, 0.99)
    assert set(back["state"]) == {0, 1, 2, 3}


def test_torch_mlp_state_dict_drives_ember_model_to_same_outputs(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                               torch.nn.ReLU(), torch.nn.Linear(16, 2))
    torch.save(tnet.state_dict(), tmp_path / "mlp.pt")
    nn = ember.nn
    enet = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 2))
    enet.load_state_dict(ember.load(tmp_path / "mlp.pt"))
    x = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    expected = tnet(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(_np(enet(ember.from_numpy(x))), expected, rtol=1e-5, atol=1e-6)

    lin = torch.nn.Linear(3, 2)
    torch.save(lin.state_dict(), tmp_path / "lin.pt")
    elin = nn.Linear(3, 2)
    elin.load_state_dict(ember.load(tmp_path / "lin.pt"))
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(_np(elin(ember.from_numpy(x))),
                               lin(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_torch_file_with_python_values_parameters_and_file_objects(tmp_path):
    t = torch.arange(12.0).reshape(3, 4)
    obj = {
        "p": torch.nn.Parameter(torch.randn(3)),
        "frozen": torch.nn.Parameter(torch.randn(2), requires_grad=False),
        "same": [t, t, t[1:].t()],
        "nums": [1, -2 ** 70, 1.5, float("inf"), float("nan"), True, None, "s", 2 + 3j],
        "bytes": b"\x00\xff",
        "set": {1, 2},
        "size": torch.Size([2, 3]),
        "dtype": torch.bfloat16,
        "device": torch.device("cpu"),
        "complex": torch.randn(3, dtype=torch.complex128),
        "conj": torch.randn(2, dtype=torch.complex64).conj(),
        "neg": torch.randn(3, dtype=torch.complex64).conj().imag,
        7: (torch.zeros(0), torch.tensor(3.5)),
    }
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    back = ember.load(buf)
    assert isinstance(back["p"], ember.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], ember.nn.Parameter) and not back["frozen"].requires_grad
    _same_bits(_np(back["p"]), _torch_np(obj["p"]))
    assert back["same"][0] is back["same"][1]
    assert back["same"][2].untyped_storage() == back["same"][0].untyped_storage()
    _check_torch_tensor(back["same"][2], obj["same"][2])
    assert back["nums"][:4] == obj["nums"][:4] and math.isnan(back["nums"][4])
    assert back["nums"][5:] == obj["nums"][5:]
    assert back["bytes"] == b"\x00\xff" and back["set"] == {1, 2}
    assert type(back["size"]) is ember.Size and back["size"] == (2, 3)
    assert back["dtype"] is ember.bfloat16 and back["device"] == ember.device("cpu")
    _same_bits(_np(back["complex"]), obj["complex"].numpy())
    _same_bits(_np(back["conj"]), obj["conj"].resolve_conj().numpy())
    np.testing.assert_array_equal(_np(back["neg"]), obj["neg"].resolve_neg().numpy())
    assert back[7][0].shape == (0,) and back[7][1].item() == 3.5


def test_torch_file_with_dtype_ember_lacks(tmp_path):
    torch.save({"u": torch.zeros(2, dtype=torch.uint16)}, tmp_path / "u16.pt")
    with pytest.raises(CheckpointError, match="torch.uint16"):
        ember.load(tmp_path / "u16.pt")


def test_torch_whole_module_pickle_is_refused(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(UnsafeCheckpointError, match=r"torch\.nn\.modules\.linear\.Linear"):
        ember.load(tmp_path / "module.pt")


def test_legacy_torch_file_is_refused(tmp_path):
    torch.save({"a": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="old.pt is a legacy"):
        ember.load(tmp_path / "old.pt")


def test_torch_file_truncated_or_with_bad_storage(tmp_path):
    path = tmp_path / "t.pt"
    torch.save({"a": torch.arange(100.0)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="t.pt"):
        ember.load(path)
    # a storage entry shorter than its record says
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["t/data/0"] = entries["t/data/0"][:40]
    _write_zip(path, entries)
    with pytest.raises(CheckpointError, match="holds 40 bytes"):
        ember.load(path)


@pytest.mark.parametrize("map_location", [None, "cpu", ember.device("cpu"),
                                          {"cpu": "cpu"}, lambda storage, loc: storage])
def test_map_location_cpu_forms(map_location, tmp_path):
    torch.save({"a": torch.ones(2)}, tmp_path / "a.pt")
    ember.save({"a": ember.ones(2)}, tmp_path / "a.ember")
    for name in ("a.pt", "a.ember"):
        back = ember.load(tmp_path / name, map_location=map_location)
        _same_bits(_np(back["a"]), np.ones(2, np.float32))


# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------

_ST_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32",
             "int64": "I64", "float16": "F16", "bfloat16": "BF16", "float32": "F32",
             "float64": "F64", "complex64": "C64"}


def _parse_safetensors(raw):
    """An independent reader of the format, for checking what ember writes."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        dtype = {c: ember.dtypes.ALIASES[d].np for d, c in _ST_CODES.items()}[v["dtype"]]
        out[k] = np.frombuffer(data[b:e], dtype=dtype).reshape(v["shape"])
    return n, out


def _craft_safetensors(tensors, metadata=None):
    """Write a safetensors file by hand, following the format's description."""
    header, chunks, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for k, (code, a) in tensors.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[k] = {"dtype": code, "shape": list(a.shape), "data_offsets": [pos, pos + len(raw)]}
        chunks.append(raw)
        pos += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def test_safetensors_written_by_ember_follow_the_format(tmp_path):
    sd = {name: _sample(name, (2, 3)) for name in _ST_CODES}
    sd["nc"] = ember.arange(12.0).reshape(3, 4).t()
    sd["scalar"] = ember.tensor(2.5)
    sd["empty"] = ember.zeros(0, 4)
    path = tmp_path / "m.safetensors"
    ember.save(sd, path, format="safetensors")
    n, parsed = _parse_safetensors(path.read_bytes())
    assert (8 + n) % 8 == 0
    assert set(parsed) == set(sd)
    for k, t in sd.items():
        _same_bits(parsed[k], np.array(_np(t), order="C"))
    back = ember.load(path)
    assert set(back) == set(sd)
    for k, t in sd.items():
        assert back[k].dtype == t.dtype and back[k].is_contiguous()
        _same_bits(_np(back[k]), np.array(_np(t), order="C"))


def test_safetensors_format_inferred_from_extension(tmp_path):
    ember.save({"a": ember.ones(3)}, tmp_path / "x.safetensors")
    assert not zipfile.is_zipfile(tmp_path / "x.safetensors")
    _same_bits(_np(ember.load(tmp_path / "x.safetensors")["a"]), np.ones(3, np.float32))


def test_hand_crafted_safetensors_loads(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {"w": ("F32", rng.normal(size=(3, 2)).astype(np.float32)),
               "ids": ("I64", np.arange(4)),
               "bf": ("BF16", rng.normal(size=5).astype(ml_dtypes.bfloat16)),
               "flag": ("BOOL", np.array([True, False])),
               "s": ("F64", np.array(1.25))}
    path = tmp_path / "h.safetensors"
    path.write_bytes(_craft_safetensors(tensors, {"format": "pt"}))
    back = ember.load(path)
    assert list(back) == list(tensors)
    for k, (_, a) in tensors.items():
        _same_bits(_np(back[k]), a)


@pytest.mark.parametrize("obj, err, match", [
    ([ember.ones(2)], TypeError, "flat dict"),
    ({"a": {"b": ember.ones(2)}}, TypeError, "key 'a' holds dict"),
    ({1: ember.ones(2)}, TypeError, "int key"),
    ({"a": ember.ones(2, dtype=ember.complex128)}, TypeError, "complex128"),
    ({"__metadata__": ember.ones(2)}, ValueError, "reserved"),
])
def test_safetensors_rejects_what_it_cannot_hold(obj, err, match, tmp_path):
    with pytest.raises(err, match=match):
        ember.save(obj, tmp_path / "x.st", format="safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("damage, match", [
    (lambda raw: raw[: len(raw) - 5], "truncated"),
    (lambda raw: struct.pack("<Q", 10 ** 12) + raw[8:], "header claims"),
    (lambda raw: raw[:8] + b"{" + b"x" * (len(raw) - 9), "not valid JSON"),
    (lambda raw: raw + b"extra", "cover"),
])
def test_damaged_safetensors_raise(damage, match, tmp_path):
    path = tmp_path / "d.safetensors"
    path.write_bytes(damage(_craft_safetensors({"w": ("F32", np.ones((4, 4), np.float32))})))
    with pytest.raises(CheckpointError, match="d.safetensors") as info:
        ember.load(path)
    assert match in str(info.value)


@pytest.mark.parametrize("header, match", [
    ({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, "F8_E4M3"),
    ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, "needs 12 bytes"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "v": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, "gap or overlap"),
    ({"w": {"dtype": "F32", "shape": "x", "data_offsets": [0, 4]}}, "invalid description"),
])
def test_bad_safetensors_headers(header, match, tmp_path):
    text = json.dumps(header).encode()
    path = tmp_path / "b.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 8)
    with pytest.raises(CheckpointError, match=match):
        ember.load(path)


def test_safetensors_package_agrees_if_installed(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    ember.save({"a": ember.arange(6.0).reshape(2, 3), "b": ember.ones(2, dtype=ember.int64)},
               tmp_path / "e.safetensors")
    loaded = st.load_file(str(tmp_path / "e.safetensors"))
    np.testing.assert_array_equal(loaded["a"], np.arange(6.0, dtype=np.float32).reshape(2, 3))
    st.save_file({"x": np.arange(4, dtype=np.int32)}, str(tmp_path / "p.safetensors"))
    np.testing.assert_array_equal(_np(ember.load(tmp_path / "p.safetensors")["x"]),
                                  np.arange(4, dtype=np.int32))
