"""Every collective of ember.distributed against NumPy, in real MPI jobs: one launch on 2 ranks
and one on 3 (uneven sizes), each running all the checks of _collectives_rank.py."""
import pytest

from ._launch import mpirun, needs_mpi, results

CHECKS = ["test_rank_and_size", "test_all_reduce_ops", "test_all_reduce_dtypes",
          "test_all_reduce_noncontiguous_and_async", "test_broadcast", "test_reduce",
          "test_all_gather", "test_reduce_scatter", "test_gather_scatter", "test_all_to_all",
          "test_send_recv", "test_objects", "test_objects_refuse_code", "test_new_group",
          "test_barrier_async", "test_distributed_sampler_defaults"]

_cache = {}


def _job(n):
    if n not in _cache:
        proc = mpirun("_collectives_rank.py", n, n, timeout=120)
        _cache[n] = (proc, results(proc))
    return _cache[n]


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("check", CHECKS)
def test_collective(n, check):
    proc, res = _job(n)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert sorted(res) == list(range(n)), proc.stdout[-4000:] + proc.stderr[-4000:]
    for rank in range(n):
        assert res[rank].get(check) == "ok", f"rank {rank}:\n{res[rank].get(check)}"


@needs_mpi
def test_every_check_listed():
    _, res = _job(2)
    assert sorted(res[0]) == sorted(CHECKS)
