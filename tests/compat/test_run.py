"""``python -m ember.run script.py [args ...]``: the script runs as ``python script.py`` would
run it (``__main__``, ``sys.argv``, its folder on ``sys.path``), on ember, and its exit status
is the command's."""
import subprocess
import sys
import textwrap

import pytest

import ember
from ember import run

SCRIPT = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import sibling                                  # found through sys.path[0], as python does
    print("name", __name__)
    print("argv", sys.argv[1:], sys.argv[0].endswith("prog.py"))
    print("torch", torch.__name__, nn.Linear.__module__.split(".")[0], sibling.VALUE)
    print(float((torch.ones(3) * 2).sum()))
    if sys.argv[1] == "raise":
        torch.foo_bar(1)
    if sys.argv[1] == "message":
        sys.exit("stopped: " + sys.argv[2])
    sys.exit(int(sys.argv[1]))
""")


@pytest.fixture
def prog(tmp_path):
    (tmp_path / "prog.py").write_text(SCRIPT)
    (tmp_path / "sibling.py").write_text("VALUE = 7\n")
    return tmp_path / "prog.py"


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ember.run", *map(str, args)], cwd=cwd,
                          check=False, capture_output=True, text=True, timeout=120)


def test_runs_the_script_on_ember_with_its_argv_and_exit_status(prog, tmp_path):
    # run from another folder: the script's own folder must be what goes on sys.path
    r = _run(prog, "3", "--flag", cwd=tmp_path.parent)
    assert r.returncode == 3, r.stderr
    assert r.stdout.splitlines() == [
        "name __main__", "argv ['3', '--flag'] True", "torch ember ember 7", "6.0"]
    assert r.stderr == ""


def test_exit_status_zero_and_message(prog, tmp_path):
    procs = [subprocess.Popen([sys.executable, "-m", "ember.run", str(prog), *args],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for args in (["0"], ["message", "bye"], ["raise"])]
    (_, ok_err), (_, msg_err), (_, exc_err) = (p.communicate(timeout=120) for p in procs)
    zero, message, exception = (p.returncode for p in procs)
    assert zero == 0, ok_err
    # sys.exit("text") prints the text and exits 1, as under python
    assert message == 1 and msg_err.strip() == "stopped: bye"
    # an uncaught exception: traceback, status 1, and the error names the torch API
    assert exception == 1
    assert "Traceback" in exc_err
    assert exc_err.strip().splitlines()[-1] == (
        f"AttributeError: torch.foo_bar is not implemented in ember (ember {ember.__version__})")


def test_usage_errors(tmp_path, capsys):
    assert run.main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert run.main([str(tmp_path / "missing.py")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "missing.py" in err
    assert run.main(["--help"]) == 0
    assert "import torch" in capsys.readouterr().out
    assert run.main(["-m"]) == 2


def test_run_module(tmp_path):
    (tmp_path / "mod_prog.py").write_text(
        "import sys, torch\nprint(__name__, torch.__name__, sys.argv[1:])\nsys.exit(4)\n")
    r = _run("-m", "mod_prog", "x", cwd=tmp_path)
    assert r.returncode == 4, r.stderr
    assert r.stdout.strip() == "__main__ ember ['x']"
