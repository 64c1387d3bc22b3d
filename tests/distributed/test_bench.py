"""benchmarks/bench_distributed.py is a benchmark, not a test: this checks that its jobs run,
including the ``floor`` path, whose exchange checks its averages against MPI's all-reduce on its
first step and fails the job when they differ."""
import os
import sys

from ._launch import ROOT, needs_mpi, run


@needs_mpi
def test_floor_and_ddp_paths_run():
    for path in ("floor", "auto"):
        cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "bench_distributed.py"),
               "--model", "mlp784", "--steps", "2", "--rounds", "1", "--repeat", "1",
               "--no-torch", "--ddp-path", path]
        proc = run(cmd, 120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = [line for line in proc.stdout.splitlines() if line.startswith("mlp784 ")]
        assert len(rows) == 2, proc.stdout          # the wall and the CPU tables
        assert f"ember DDP path {path}" in proc.stdout
