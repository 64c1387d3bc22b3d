"""The benchmark suite is not a test; this only checks that every workload still runs under
both libraries from the same torch-API source and gets its row in the table."""
import os
import subprocess
import sys

RUN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "benchmarks", "run.py")


def _run(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, RUN, *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


def test_smoke_run_prints_every_workload():
    names = _run("--list").stdout.splitlines()
    assert len(names) >= 14
    res = _run("--smoke")
    assert res.returncode == 0, res.stderr
    rows = res.stdout.splitlines()
    assert rows[0].startswith("fp32 GEMM peak")
    for name in names:
        assert any(r.startswith(name + " ") for r in rows), f"no row for {name!r}:\n{res.stdout}"
    assert any(r.startswith("MLP 784 GFLOP/s") for r in rows)


def test_memory_column_runs():
    res = _run("--smoke", "--memory", "--only", "MLP 784")
    assert res.returncode == 0, res.stderr
    row = next(r for r in res.stdout.splitlines() if r.startswith("MLP 784-512"))
    assert "|" in row and "n/a" not in row.split("|")[1]
