"""benchmarks/floors.py is a benchmark, not a test: this checks that it runs and that its lists
of products are the workloads' (their FLOPs against the figures the rest of the suite uses)."""
import os
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "benchmarks")
sys.path.insert(0, BENCH)

import floors  # noqa: E402
import run  # noqa: E402


def _flops(products):
    return sum(2 * m * k * n * c for m, k, n, c in products)


def test_products_match_the_workloads():
    assert _flops(floors.mlp784_products()) == run.MLP784_FLOPS
    # LSTM LM: forward 0.728 GFLOP (input projection, recurrence, decoder), backward twice that
    fwd = 2 * 700 * 200 * 800 + 35 * 2 * 20 * 200 * 800 + 2 * 700 * 200 * 1000
    assert _flops(floors.lstm_products()) == 3 * fwd


def test_runs_and_prints_a_floor_per_workload():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, os.path.join(BENCH, "floors.py"), "--repeats", "1",
                          "--rounds", "1"], capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("fp32 GEMM rate")
    floors_ = [line for line in lines if line.strip().startswith("floor ")]
    assert len(floors_) == 2 and all("floor / torch" in line for line in floors_), res.stdout
