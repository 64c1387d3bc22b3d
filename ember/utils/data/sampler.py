"""Samplers: which indices a DataLoader reads, in what order (Sampler, SequentialSampler,
RandomSampler, SubsetRandomSampler, WeightedRandomSampler) and how they group into batches
(BatchSampler).

Random samplers draw from an ember Generator: reproducible for a seed, but not torch's order
(torch's generator is a different RNG).
"""
import itertools
import math
from typing import Generic, TypeVar

import numpy as np

from ... import dtypes as _dt
from ...ops.creation import as_tensor
from ...ops.random import Generator, rand, randint, randperm

T_co = TypeVar("T_co", covariant=True)


def _draw_seed(generator=None):
    """One 63-bit seed from ``generator`` (the default generator when None)."""
    return int(randint(0, (1 << 63) - 1, (), generator=generator).item())


class Sampler(Generic[T_co]):
    """Sampler: iterates over dataset indices (or lists of them, for batch samplers).
    Subclasses define ``__iter__`` and, when the count is known, ``__len__``.

    Example::

        >>> from ember.utils.data import Sampler, DataLoader
        >>> class Reversed(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.n - 1, -1, -1))
        ...
        ...     def __len__(self):
        ...         return self.n
        ...
        >>> [b.tolist() for b in DataLoader(torch.arange(4), batch_size=2, sampler=Reversed(4))]
        [[3, 2], [1, 0]]
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """SequentialSampler(data_source): ``0, 1, ..., len(data_source) - 1``.

    Example::

        >>> from ember.utils.data import SequentialSampler
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """RandomSampler(data_source, replacement=False, num_samples=None, generator=None): random
    indices; without replacement, whole permutations back to back until ``num_samples``; with
    replacement, independent uniform draws.

    Without a ``generator`` each pass seeds a private one from the default generator, so
    ``ember.manual_seed`` makes the order reproducible.

    Example::

        >>> from ember.utils.data import RandomSampler
        >>> sorted(RandomSampler(range(5)))
        [0, 1, 2, 3, 4]
        >>> len(list(RandomSampler(range(5), replacement=True, num_samples=8)))
        8
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        gen = self.generator
        if gen is None:
            gen = Generator().manual_seed(_draw_seed())
        if self.replacement:
            yield from randint(0, n, (self.num_samples,), generator=gen)._array.tolist()
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield from randperm(n, generator=gen)._array.tolist()
        if rest:
            yield from randperm(n, generator=gen)._array[:rest].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """SubsetRandomSampler(indices, generator=None): the given indices in a random order.

    Example::

        >>> from ember.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([1, 4, 6]))
        [1, 4, 6]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator)._array.tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


def _multinomial(p, k, replacement, generator):
    """``k`` category indices drawn with probabilities proportional to the 1-D array ``p``."""
    if not np.all(p >= 0) or not np.all(np.isfinite(p)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not p.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n = p.shape[0]
    if replacement:
        cdf = np.cumsum(p)
        cdf /= cdf[-1]
        u = rand(k, dtype=_dt.float64, generator=generator)._array
        # The first category whose cdf exceeds u: zero-weight categories are never chosen.
        return np.minimum(np.searchsorted(cdf, u, side="right"), n - 1)
    if k > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    # Efraimidis-Spirakis: key_i = E_i / p_i with E_i ~ Exp(1); the k smallest keys, in order,
    # are distributed like k successive draws without replacement. Zero-weight categories
    # (key inf) come last, in random order, as torch also fills with them rather than raise.
    e = -np.log1p(-rand(n, dtype=_dt.float64, generator=generator)._array)
    with np.errstate(divide="ignore"):
        keys = e / p
    return np.lexsort((e, keys))[:k]


class WeightedRandomSampler(Sampler):
    """WeightedRandomSampler(weights, num_samples, replacement=True, generator=None): indices
    ``0..len(weights)-1`` drawn with probabilities proportional to ``weights`` (need not sum
    to 1).

    Example::

        >>> from ember.utils.data import WeightedRandomSampler
        >>> draws = list(WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=4))
        >>> draws
        [1, 1, 1, 1]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = as_tensor(weights, dtype=_dt.float64)
        if w.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        picks = _multinomial(self.weights._array, self.num_samples, self.replacement,
                             self.generator)
        yield from picks.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """BatchSampler(sampler, batch_size, drop_last): groups the sampler's indices into lists of
    ``batch_size``; the last shorter list is kept unless ``drop_last``.

    Example::

        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        size = self.batch_size
        while True:
            batch = list(itertools.islice(it, size))
            if not batch or (self.drop_last and len(batch) < size):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]
