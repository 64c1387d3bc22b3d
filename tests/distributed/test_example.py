"""examples/ddp_digits.py trains on 2 ranks and reaches a useful accuracy."""
import os
import shutil
import sys

import pytest

from ._launch import ROOT, needs_mpi, run


@needs_mpi
def test_ddp_digits_on_two_ranks(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "digits.pt"
    cmd = [shutil.which("mpiexec"), "--oversubscribe", "-n", "2", sys.executable,
           os.path.join(ROOT, "examples", "ddp_digits.py"), "--epochs", "3", "--save", str(out)]
    proc = run(cmd, 120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 3      # rank 0 prints alone
    acc = float(lines[-1].split()[-1])
    assert acc > 0.85, proc.stdout
    import ember
    state = ember.load(str(out))
    assert "0.weight" in state and "1.running_mean" in state
