"""ember.distributed: torch.distributed's API on MPI (through mpi4py).

Start a job with ``mpiexec -n 4 python train.py`` (or ``python -m ember.distributed.run -n 4
train.py``) and call ``init_process_group()`` in the script; see docs/distributed.md. mpi4py is
imported only by ``init_process_group``, so ``import ember.distributed`` works without it.
"""
from .collectives import (
    ReduceOp,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .process_group import (
    DistError,
    DistTimeoutError,
    GroupMember,
    ProcessGroup,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    new_group,
)
from .work import Work

# torch's names for the same things
DistBackendError = DistError
group = GroupMember


class Backend:
    """Backend names accepted by init_process_group (both run on MPI)."""
    MPI = "mpi"
    GLOO = "gloo"


__all__ = ["Backend", "DistBackendError", "DistError", "DistTimeoutError", "GroupMember",
           "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "all_reduce", "all_to_all", "all_to_all_single", "barrier",
           "broadcast", "broadcast_object_list", "default_pg_timeout", "destroy_process_group",
           "gather", "gather_object", "get_backend", "get_global_rank", "get_group_rank",
           "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_initialized", "is_mpi_available",
           "isend", "new_group", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
           "scatter", "send"]
