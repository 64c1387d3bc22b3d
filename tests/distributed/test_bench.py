"""benchmarks/bench_distributed.py is a benchmark, not a test: this checks that its 1-rank and
2-rank jobs run through the driver and print their rows."""
import os
import sys

from ._launch import ROOT, needs_mpi, run


@needs_mpi
def test_driver_runs_both_jobs():
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "bench_distributed.py"),
           "--model", "mlp784", "--steps", "2", "--rounds", "1", "--repeat", "1", "--no-torch"]
    proc = run(cmd, 120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("mlp784 ")]
    assert len(rows) == 2, proc.stdout          # the wall and the CPU tables
    assert "ember DDP path auto" in proc.stdout
