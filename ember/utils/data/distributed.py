"""DistributedSampler: each rank's share of a dataset for data-parallel training."""
import math
import warnings

from ...ops.random import Generator, randperm
from .sampler import Sampler


class DistributedSampler(Sampler):
    """DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False): the indices of rank ``rank`` of ``num_replicas``.

    Every epoch the ranks' shards partition the dataset: with ``drop_last=False`` the order is
    padded with its own first indices up to a multiple of ``num_replicas`` (so a few samples
    appear twice in an epoch), with ``drop_last=True`` the tail that does not divide evenly is
    left out. With ``shuffle``, the order is a permutation drawn from ``seed + epoch``, the
    same on every rank; call ``set_epoch(epoch)`` before each epoch, or every epoch repeats the
    first one's order (iterating a second time without it warns).

    ``num_replicas`` and ``rank`` default to the default process group's.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
        >>> list(s)
        [0, 3, 6, 9]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed
        self._last_epoch = None

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            if self._last_epoch == self.epoch:
                warnings.warn(
                    f"DistributedSampler is iterated again with epoch {self.epoch}: every "
                    "epoch will see the same order. Call sampler.set_epoch(epoch) at the start "
                    "of each epoch.", UserWarning, stacklevel=2)
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        self._last_epoch = self.epoch
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0:
                reps = math.ceil(pad / max(len(indices), 1))
                indices += (indices * reps)[:pad]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """set_epoch(epoch): the epoch the next iteration shuffles for (all ranks must agree)."""
        self.epoch = epoch
