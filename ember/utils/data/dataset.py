"""Datasets: the map-style and iterable protocols, TensorDataset, StackDataset, ConcatDataset,
ChainDataset, Subset and random_split.

A map-style dataset answers ``dataset[i]``; it may also answer ``dataset.__getitems__(indices)``
with a whole batch at once, which the DataLoader's fetch step prefers (DESIGN.md §2.8).
TensorDataset does so with one fancy index per tensor instead of one index and one stack per
sample.
"""
import bisect
import itertools
import math
import operator
import warnings
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np

from ...ops.random import default_generator, randperm

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Dataset: the map-style dataset protocol. Subclasses define ``__getitem__`` (and usually
    ``__len__``); ``__getitems__(indices)`` is optional and fetches a whole batch.

    ``a + b`` concatenates two datasets (a ConcatDataset).

    Example::

        >>> from ember.utils.data import Dataset, DataLoader
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 5
        ...
        ...     def __getitem__(self, i):
        ...         return torch.tensor(float(i)), torch.tensor(i * i)
        ...
        >>> ds = Squares()
        >>> len(ds), ds[3]
        (5, (tensor(3.), tensor(9)))
        >>> next(iter(DataLoader(ds, batch_size=5)))
        [tensor([0., 1., 2., 3., 4.]), tensor([ 0,  1,  4,  9, 16])]
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable):
    """IterableDataset: a dataset given by ``__iter__``. With worker processes every worker
    iterates its own copy; use ``get_worker_info()`` inside ``__iter__`` to shard.

    ``a + b`` chains two iterable datasets (a ChainDataset).

    Example::

        >>> from ember.utils.data import IterableDataset, DataLoader
        >>> class Countdown(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5, 0, -1))
        ...
        >>> [b.tolist() for b in DataLoader(Countdown(), batch_size=2)]
        [[5, 4], [3, 2], [1]]
    """

    def __add__(self, other):
        return ChainDataset([self, other])


class _StackedBatch(Sequence):
    """A batch fetched as whole tensors (``TensorDataset.__getitems__``).

    It reads as the sequence of per-sample tuples a collate function expects; ``default_collate``
    recognises it and returns the stacked tensors directly, so no sample is ever split out.
    """

    __slots__ = ("tensors",)

    def __init__(self, tensors):
        self.tensors = tuple(tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return tuple(t[i] for t in self.tensors)

    def __repr__(self):
        return f"_StackedBatch(len={len(self)}, tensors={len(self.tensors)})"


def _index_array(indices):
    return np.fromiter((operator.index(i) for i in indices), dtype=np.int64, count=len(indices))


class TensorDataset(Dataset):
    """TensorDataset(*tensors): sample ``i`` is ``tuple(t[i] for t in tensors)``; all tensors must
    have the same size in dimension 0.

    Example::

        >>> ds = TensorDataset(ember.arange(6.).reshape(3, 2), ember.tensor([0, 1, 0]))
        >>> ds[1]
        (tensor([2., 3.]), tensor(1))
        >>> len(ds)
        3
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].size(0)
        if any(t.size(0) != n for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices):
        # One gather per tensor for the whole batch (a Tensor index keeps autograd intact).
        idx = _index_array(indices)
        return _StackedBatch(t[idx] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """StackDataset(*args, **kwargs): zips equal-length datasets; a sample is a tuple (positional
    datasets) or a dict (keyword datasets) of their samples.

    Example::

        >>> from ember.utils.data import StackDataset
        >>> ds = StackDataset(x=torch.arange(3), y=torch.arange(3) * 10)
        >>> ds[1]
        {'x': tensor(1), 'y': tensor(10)}
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def _parts(self):
        if isinstance(self.datasets, dict):
            return list(self.datasets.items())
        return list(enumerate(self.datasets))

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        columns = []
        for _, d in self._parts():
            getitems = getattr(d, "__getitems__", None)
            items = getitems(indices) if callable(getitems) else [d[i] for i in indices]
            if len(items) != len(indices):
                raise ValueError(f"Nested dataset's output size mismatch. Expected "
                                 f"{len(indices)}, got {len(items)}")
            columns.append(items)
        if isinstance(self.datasets, dict):
            keys = list(self.datasets)
            return [dict(zip(keys, row)) for row in zip(*columns)]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """ConcatDataset(datasets): the map-style datasets one after another; ``cumulative_sizes``
    holds the running lengths.

    Example::

        >>> from ember.utils.data import ConcatDataset, TensorDataset
        >>> a = TensorDataset(torch.arange(3))
        >>> b = TensorDataset(torch.arange(10, 12))
        >>> ds = ConcatDataset([a, b])
        >>> len(ds), ds[3], ds.cumulative_sizes
        (5, (tensor(10),), [3, 5])
    """

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """ChainDataset(datasets): iterable datasets one after another (chained lazily).

    Example::

        >>> from ember.utils.data import ChainDataset, IterableDataset
        >>> class Range(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        ...
        >>> list(ChainDataset([Range(2), Range(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def _check(self, d):
        if not isinstance(d, IterableDataset):
            raise AssertionError("ChainDataset only supports IterableDataset")
        return d

    def __iter__(self):
        for d in self.datasets:
            yield from self._check(d)

    def __len__(self):
        return sum(len(self._check(d)) for d in self.datasets)


class Subset(Dataset):
    """Subset(dataset, indices): the samples of ``dataset`` at ``indices``, in that order. Batch
    fetches go through the parent's ``__getitems__`` when it has one.

    Example::

        >>> from ember.utils.data import Subset, TensorDataset
        >>> ds = TensorDataset(torch.arange(10) * 10)
        >>> sub = Subset(ds, [2, 5, 7])
        >>> len(sub), sub[1]
        (3, (tensor(50),))
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__. When subclassing "
                "Subset and overriding __getitem__, you must also override __getitems__ to "
                "ensure DataLoader works correctly with your custom logic. A simple "
                "implementation:\n\ndef __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]")

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        mapped = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self):
        return len(self.indices)


def _split_lengths(n, lengths):
    """Turn fractions summing to 1 into counts: floor each, then hand out the remainder one by
    one from the first split on."""
    counts = []
    for i, frac in enumerate(lengths):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts.append(math.floor(n * frac))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, c in enumerate(counts):
        if c == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                          f"dataset.", stacklevel=3)
    return counts


def random_split(dataset, lengths, generator=default_generator):
    """random_split(dataset, lengths, generator=default_generator) -> list[Subset]: split into
    non-overlapping random subsets. ``lengths`` are counts summing to ``len(dataset)`` or
    fractions summing to 1 (remainders go round-robin to the first splits).

    Example::

        >>> a, b = random_split(range(10), [0.7, 0.3], generator=ember.Generator().manual_seed(0))
        >>> len(a), len(b), sorted(list(a) + list(b)) == list(range(10))
        (7, 3, True)
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _split_lengths(n, lengths)
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = randperm(n, generator=generator)._array.tolist()
    bounds = list(itertools.accumulate(lengths))
    return [Subset(dataset, perm[end - length:end]) for end, length in zip(bounds, lengths)]


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]
