"""Ordinary PyTorch programs (``programs/*.py``, plain ``import torch`` code written the way
PyTorch's tutorials write it) run under real PyTorch (``python prog.py``) and under ember
(``python -m ember.run prog.py``), and print the same thing.

How the two runs are made comparable: ember's random generator does not reproduce torch's
random numbers, so no program lets torch draw anything that reaches its output. The polynomial
fit has no randomness; the MLP and the char-RNN draw their data, initial weights and sample
order from seeded NumPy generators and hand them over with ``torch.tensor``/``torch.from_numpy``
(or a ``Sampler``), which is still ordinary PyTorch code. Numbers are printed with 4-6 decimals;
the outputs are compared line by line, text exactly and numbers to a relative 1e-3 (plus one
unit of the last printed digit), because float32 sums in a different order may move a last digit.
"""
import math
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch")

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
NAMES = sorted(p.name for p in PROGRAMS.glob("*.py"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _env():
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"             # no thread oversubscription on a small machine
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module")
def outputs():
    """{program: (torch run, ember run)}; all runs start at once (they are single-threaded)."""
    procs = {}
    for name in NAMES:
        path = str(PROGRAMS / name)
        procs[name] = [subprocess.Popen(cmd, cwd=PROGRAMS, env=_env(), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                       for cmd in ([sys.executable, path],
                                   [sys.executable, "-m", "ember.run", path])]
    results = {}
    for name, pair in procs.items():
        results[name] = []
        for p in pair:
            out, err = p.communicate(timeout=300)
            results[name].append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def _same(torch_line, ember_line):
    if NUMBER.sub("#", torch_line) != NUMBER.sub("#", ember_line):
        return False
    for a, b in zip(NUMBER.findall(torch_line), NUMBER.findall(ember_line)):
        if "." not in a and "e" not in a.lower():
            if a != b:                           # integers (steps, counts) must be exact
                return False
            continue
        digits = len(a.split(".")[1].lower().split("e")[0])
        last = 10.0 ** -digits if "e" not in a.lower() else 0.0
        if not math.isclose(float(a), float(b), rel_tol=1e-3, abs_tol=1.01 * last):
            return False
    return True


def test_there_are_programs():
    assert {"polynomial_autograd_function.py", "mlp_dataloader.py", "char_rnn.py"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_program_prints_what_pytorch_prints(name, outputs):
    under_torch, under_ember = outputs[name]
    assert under_torch.returncode == 0, under_torch.stderr
    assert under_ember.returncode == 0, under_ember.stderr
    assert under_ember.stderr == ""
    t_lines, e_lines = under_torch.stdout.splitlines(), under_ember.stdout.splitlines()
    assert len(t_lines) > 3
    assert len(t_lines) == len(e_lines), (under_torch.stdout, under_ember.stdout)
    for i, (t, e) in enumerate(zip(t_lines, e_lines)):
        assert _same(t, e), f"line {i + 1}:\n torch: {t}\n ember: {e}"


def test_comparison_tolerates_only_last_digit_noise():
    assert _same("loss 0.1234", "loss 0.1235")
    assert _same("Result: y = -0.0000 + 1.0", "Result: y = 0.0000 + 1.0")
    assert not _same("loss 0.1234", "loss 0.1250")
    assert not _same("sample: 'the fox'", "sample: 'the dog'")
    assert not _same("step 20", "step 21")
