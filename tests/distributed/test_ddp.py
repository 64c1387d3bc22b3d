"""DistributedDataParallel and SyncBatchNorm on 2 ranks (per-rank batch B) against one process
on batch 2B: 20 SGD steps of an MLP (float32) and of a CNN whose BatchNorms became
SyncBatchNorm (float64) end with the same parameters and buffers within 1e-6; no_sync
accumulation, unused parameters and the overlap of communication with backward; each on the
shared-memory buckets (one machine) and on MPI's all-reduce (``*_mpi``); the bucket layout."""
import pytest

from ._launch import mpirun, needs_mpi, results

_cache = {}


def _job():
    if "ddp" not in _cache:
        proc = mpirun("_ddp_rank.py", 2, timeout=150)
        _cache["ddp"] = (proc, results(proc))
    return _cache["ddp"]


@needs_mpi
@pytest.mark.parametrize("check", ["mlp", "mlp_window", "mlp_mpi", "mlp_bucket_view",
                                   "cnn_sync_bn", "no_sync", "no_sync_window", "no_sync_mpi",
                                   "first_bucket", "shared_identical", "cross_memory",
                                   "cross_memory_odd_grads", "cross_memory_refused", "overlap",
                                   "overlap_shared", "shared_windows_freed", "unused",
                                   "unused_window", "unused_mpi", "unused_error",
                                   "after_destroy"])
def test_ddp(check):
    proc, res = _job()
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert sorted(res) == [0, 1], proc.stdout[-4000:] + proc.stderr[-4000:]
    for rank in (0, 1):
        got = res[rank][check]
        if isinstance(got, str) and got.startswith("skip: "):
            pytest.skip(got[6:])
        assert isinstance(got, float), f"rank {rank}:\n{got}"
        assert got <= 1e-6, f"rank {rank}: parameters differ by {got}"


@needs_mpi
def test_ddp_three_ranks():
    # an odd world size: the averages are no longer exact halves
    proc = mpirun("_ddp_rank.py", 3, "mlp", "mlp_window", "no_sync", "shared_identical",
                  "cross_memory", "mlp_mpi", timeout=150)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = results(proc)
    assert sorted(res) == [0, 1, 2], proc.stdout[-4000:] + proc.stderr[-4000:]
    for rank, checks in res.items():
        assert sorted(checks) == ["cross_memory", "mlp", "mlp_mpi", "mlp_window", "no_sync",
                                  "shared_identical"]
        for name, got in checks.items():
            if name == "cross_memory" and isinstance(got, str) and got.startswith("skip: "):
                continue
            assert isinstance(got, float), f"rank {rank} {name}:\n{got}"
            assert got <= 1e-6, f"rank {rank} {name}: parameters differ by {got}"
