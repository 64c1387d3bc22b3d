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


def test_memory_and_cold_columns_run():
    res = _run("--smoke", "--memory", "--cold", "--only", "MLP 784")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    name = "MLP 784-512-256-10 Adam step"
    row = next(r for r in lines if r.startswith(name))
    assert "|" in row and "n/a" not in row.split("|")[1]
    # the trace over the eager second call, each in a fresh interpreter
    head = next(r for r in lines if r.startswith("workload"))
    end = head.index(" cold ") + len(" cold")       # cells are right-aligned under their label
    cold = row[:end].split()[-1]
    assert cold.endswith("x") and float(cold[:-1]) > 0, row
