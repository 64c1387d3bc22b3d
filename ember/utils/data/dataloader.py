"""DataLoader: dataset -> sampler -> batch sampler -> fetch -> collate, in this process or in
worker processes (``_worker.py``).

Start method: with ``multiprocessing_context=None`` workers are forked on Linux (they inherit the
dataset instead of receiving a pickled copy, so datasets holding ember Tensors, lambdas and
local classes work, as with torch on Linux). Forking is safe here because the parent side runs
no helper threads of its own (tasks go down synchronous pipes, Note [Worker protocol]) and the
workers only run NumPy/ember code; a dataset that calls into a threaded runtime the parent has
already started (an OpenMP pool, a CUDA context) should use 'spawn'. Other platforms use spawn.
Pass ``multiprocessing_context='spawn'`` or ``'forkserver'`` for fresh interpreters; then the
dataset, collate_fn and worker_init_fn must be picklable (tensors travel as arrays, Note [Worker
transport] in ``_worker.py``).
"""
import itertools
import math
import multiprocessing
import multiprocessing.context
import os
import sys
import warnings

from . import _worker
from ._fetch import ITERABLE, MAP, make_fetcher
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed


class _DatasetKind:
    Map = MAP
    Iterable = ITERABLE


class _InfiniteConstantSampler(Sampler):
    """The index sampler of an IterableDataset: placeholders forever (the data decides when
    iteration ends)."""

    def __iter__(self):
        return itertools.repeat(None)


def _default_context():
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _cpu_count():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)), True
    return os.cpu_count(), False


class DataLoader:
    """DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *, prefetch_factor=None,
    persistent_workers=False, pin_memory_device='', in_order=True): iterate over a dataset in
    batches.

    Args:
        dataset: a map-style Dataset (``__getitem__``/``__len__``) or an IterableDataset.
        batch_size: samples per batch; None turns automatic batching off (each sample is only
            passed through ``collate_fn``, by default ``default_convert``).
        shuffle: reshuffle every epoch (a RandomSampler drawing from ``generator``).
        sampler, batch_sampler: custom index order / custom batches of indices.
        num_workers: worker processes (0 loads in this process).
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted for compatibility; ember has no pinned memory, so it does nothing.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a worker's batch before raising (0 waits forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        generator: the Generator for shuffling and the workers' base seed.
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the workers alive from one epoch to the next.
        in_order: hand batches out in sampler order (False: as they arrive).

    Example::

        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(ember.arange(10.), ember.arange(10))
        >>> [x.tolist() for x, _ in DataLoader(ds, batch_size=4)]
        [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    """

    _frozen = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            self._dataset_kind = _DatasetKind.Map
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._frozen = True
        self.check_worker_number_rationality()

    # -- configuration ---------------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(ctx, str):
                valid = multiprocessing.get_all_start_methods()
                if ctx not in valid:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {valid!r}, but got "
                                     f"multiprocessing_context={ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            if not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={ctx}")
        self._mp_context = ctx

    def __setattr__(self, attr, val):
        if self._frozen and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                     "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        object.__setattr__(self, attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What the fetch step consumes: lists of indices when batching, single indices if
        not."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self):
        """Warn when more workers are asked for than this process may use CPUs."""
        if not self.num_workers:
            return
        cpus, affinity = _cpu_count()
        if cpus is None or self.num_workers > cpus:
            where = "" if affinity else " if cpuset is not checked"
            suggestion = ("Our suggested max number of worker in current system is "
                          f"{cpus}{where}, which is smaller than what this DataLoader is going "
                          "to create." if cpus is not None else
                          "DataLoader is not able to compute a suggested max number of worker "
                          "in current system.")
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. {suggestion} Please be aware that excessive worker creation "
                          f"might get DataLoader running slow or even freeze, lower the worker "
                          f"number to avoid potential slowness/freeze if necessary.",
                          stacklevel=3)

    # -- iteration -------------------------------------------------------------------------
    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _worker.MultiProcessIter(self, self.multiprocessing_context or _default_context())

    def __iter__(self):
        # Persistent workers live in one iterator that every epoch reuses.
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._closed:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)


class _SingleProcessIter:
    """Iterator of a DataLoader with ``num_workers=0``."""

    def __init__(self, loader):
        self._index_sampler = loader._index_sampler
        # Drawn (and unused) as with workers, so the generator advances the same way whatever
        # num_workers is and a seed gives the same shuffle either way.
        _draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._fetcher = make_fetcher(loader._dataset_kind, loader.dataset, loader._auto_collation,
                                     loader.collate_fn, loader.drop_last)

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetcher.fetch(next(self._sampler_iter))

    def __len__(self):
        return len(self._index_sampler)


__all__ = ["DataLoader"]
