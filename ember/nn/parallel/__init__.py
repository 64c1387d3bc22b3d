"""ember.nn.parallel: DistributedDataParallel (data parallelism over MPI ranks)."""
from .distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DistributedDataParallel"]
