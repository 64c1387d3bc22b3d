"""Failure handling in real jobs: a rank that raises ends the job promptly with its traceback
and rank; a collective past its timeout names the ranks that never arrived. And the launcher."""
import os
import re
import sys
import time

import pytest

from ._launch import HERE, job_env, mpirun, needs_mpi, results, run


@needs_mpi
def test_raising_rank_ends_the_job():
    proc = mpirun("_fail_rank.py", 2, "raise", timeout=60)
    end = time.time()
    assert proc.returncode != 0
    assert "[rank 1] ValueError: boom from rank 1" in proc.stderr
    assert "rank 1 (of 2) raised an exception" in proc.stderr
    stamps = [float(line.split()[1]) for line in proc.stdout.splitlines()
              if line.startswith("RAISING ")]
    assert stamps, proc.stdout
    assert end - stamps[0] < 10, f"the job took {end - stamps[0]:.1f} s to end"


@needs_mpi
def test_timeout_names_missing_rank():
    proc = mpirun("_fail_rank.py", 3, "timeout", timeout=60)
    assert proc.returncode != 0
    # ranks 0 and 2 both wait; whichever the scheduler lets time out first ends the job
    assert re.search(r"all_reduce on rank [02] timed out after 2 s", proc.stderr), \
        proc.stderr[-3000:]
    assert "rank(s) that never arrived: 1\n" in proc.stderr
    assert "unreachable" not in proc.stdout


@needs_mpi
@pytest.mark.parametrize("mode", ["ddp_timeout", "ddp_timeout_window", "ddp_timeout_mpi"])
def test_ddp_timeout_names_missing_rank(mode):
    # DDP's wait for the other ranks' gradients is bounded like every collective's, on every
    # path (Notes [Cross-memory reduction] and [Shared-memory buckets], and MPI's all-reduce)
    proc = mpirun("_fail_rank.py", 3, mode, timeout=60)
    assert proc.returncode != 0
    shared = mode != "ddp_timeout_mpi"
    assert f"SHARED 0 {shared}" in proc.stdout, proc.stdout
    # ranks 0 and 2 both wait; whichever times out first ends the job
    assert re.search(r"DistributedDataParallel gradient all_reduce on rank [02] timed out "
                     r"after 2 s", proc.stderr), proc.stderr[-3000:]
    assert "rank(s) that never arrived: 1\n" in proc.stderr
    assert "unreachable" not in proc.stdout


@needs_mpi
def test_launcher_runs_script():
    env = job_env()
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(v, None)
    proc = run([sys.executable, "-m", "ember.distributed.run", "-n", "2",
                f"{HERE}/_hello_rank.py"], 60, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = results(proc)
    assert sorted(res) == [0, 1]
    share = max(1, (os.cpu_count() or 1) // 2)
    for r in res.values():
        assert r["size"] == 2
        assert r["omp"] == str(share)
        assert r["threads"] in (-1, share)
