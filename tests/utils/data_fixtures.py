"""Datasets and callbacks for the DataLoader tests, kept free of torch imports so that worker
processes started with 'spawn' import only ember and NumPy. Each dataset takes ``lib`` (ember or
torch, both for tests comparing the two) and builds its tensors with it."""
import collections
import os
import random
import time

import numpy as np

import ember
from ember.utils import data as edata

Point = collections.namedtuple("Point", ["x", "label"])

SAMPLE_KINDS = ["tensor", "int_tensor", "tuple", "list", "dict", "namedtuple", "numpy",
                "numpy_scalar", "numpy_0d", "float", "int", "bool", "str", "bytes", "nested"]


def make_sample(lib, kind, i):
    """Sample ``i`` of a dataset of ``kind`` (same data for ember and torch)."""
    vec = lib.tensor([i, i + 0.5, -i], dtype=lib.float32)
    if kind == "tensor":
        return vec
    if kind == "int_tensor":
        return lib.tensor([[i, 2 * i]], dtype=lib.int32)
    if kind == "tuple":
        return vec, i
    if kind == "list":
        return [float(i), i, vec]
    if kind == "dict":
        return {"x": vec, "label": i % 3, "name": f"s{i}", "w": 0.5 * i}
    if kind == "namedtuple":
        return Point(vec, i)
    if kind == "numpy":
        return np.full((2, 2), i, dtype=np.float32)
    if kind == "numpy_scalar":
        return np.int16(i)
    if kind == "numpy_0d":
        return np.array(i * 1.5)
    if kind == "float":
        return i / 4
    if kind == "int":
        return i
    if kind == "bool":
        return i % 2 == 0
    if kind == "str":
        return f"item{i}"
    if kind == "bytes":
        return bytes([65 + i])
    if kind == "nested":
        return {"a": (vec, [i, 2.0 * i]), "b": {"c": np.float64(i), "d": Point(i, str(i))}}
    raise ValueError(kind)


class SampleDataset:
    """A map-style dataset of ``make_sample`` items (mixin for either library's Dataset)."""

    def __init__(self, lib, kind, n=7):
        self.lib, self.kind, self.n = lib, kind, n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return make_sample(self.lib, self.kind, i)

    def __len__(self):
        return self.n


class Squares(edata.Dataset):
    """Picklable map-style dataset: sample i is a dict with a tensor and an int."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"x": ember.full((2,), float(i * i)), "i": i}

    def __len__(self):
        return self.n


class WhoAmI(edata.Dataset):
    """Sample i says which process produced it and what get_worker_info() said there."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        info = edata.get_worker_info()
        wid = -1 if info is None else info.id
        seed = -1 if info is None else info.seed
        nw = 0 if info is None else info.num_workers
        return {"i": i, "pid": os.getpid(), "worker": wid, "seed": seed, "num_workers": nw,
                "ember": ember.rand(()).item(), "py": random.random(),
                "np": float(np.random.rand())}

    def __len__(self):
        return self.n


class Failing(edata.Dataset):
    """Raises ``exc`` for index ``bad``."""

    def __init__(self, n, bad, exc):
        self.n, self.bad, self.exc = n, bad, exc

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"bad sample {i}")
        return i

    def __len__(self):
        return self.n


class Dies(edata.Dataset):
    """The worker process that reads index ``bad`` exits abruptly."""

    def __init__(self, n, bad):
        self.n, self.bad = n, bad

    def __getitem__(self, i):
        if i == self.bad and edata.get_worker_info() is not None:
            os._exit(3)
        return i

    def __len__(self):
        return self.n


class Slow(edata.Dataset):
    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __getitem__(self, i):
        time.sleep(self.delay)
        return i

    def __len__(self):
        return self.n


def make_sharded(base, get_worker_info):
    """An IterableDataset class (subclassing ``base``) over range(start, end) that splits the
    range into contiguous shards, one per worker."""

    class Sharded(base):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = get_worker_info()
            if info is None:
                return iter(range(self.start, self.end))
            per = -(-(self.end - self.start) // info.num_workers)
            lo = self.start + info.id * per
            return iter(range(lo, min(lo + per, self.end)))

        def __len__(self):
            return self.end - self.start

    return Sharded


ShardedRange = make_sharded(edata.IterableDataset, edata.get_worker_info)


class Stream(edata.IterableDataset):
    """An unsharded iterable dataset: every worker yields all of range(n)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def record_init(worker_id):
    """worker_init_fn: leaves a mark that samples can report."""
    os.environ["EMBER_TEST_INIT"] = f"init{worker_id}"


class InitMark(edata.Dataset):
    def __getitem__(self, i):
        return os.environ.get("EMBER_TEST_INIT", "none")

    def __len__(self):
        return 4


def failing_init(worker_id):
    raise ValueError(f"init failed in {worker_id}")


def add_one_collate(batch):
    return [b + 1 for b in batch]
