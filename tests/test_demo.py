"""``python -m ember.demo``: runs end to end, writes what it says, is reproducible, and answers
bad arguments with one line and exit status 2."""
import os
import struct
import subprocess
import sys

import pytest

import ember

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from ember import demo

EPOCHS = "2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _start(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "ember.demo", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc):
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _run(*args, cwd):
    return _finish(_start(*args, cwd=cwd))


def _results(stdout):
    """The lines that carry the run's numbers (everything but timings and paths)."""
    keep = ("final train loss", "test accuracy", "trained ")
    return [line for line in stdout.splitlines() if line.startswith(keep)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs with the same seed: one with the defaults' progress bar and output folder, one
    quiet into --out."""
    cwd = tmp_path_factory.mktemp("demo")
    # side by side: each is single-threaded (the demo limits BLAS to one thread)
    loud = _start("--epochs", EPOCHS, "--seed", "3", cwd=cwd)
    quiet = _start("--epochs", EPOCHS, "--seed", "3", "--quiet", "--out", "second", cwd=cwd)
    return cwd, _finish(loud), _finish(quiet)


def test_demo_runs_and_reports(runs):
    _, loud, _ = runs
    assert loud.returncode == 0, loud.stderr
    out = loud.stdout
    assert "test accuracy:" in out
    assert "confusion matrix" in out
    assert "done in" in out and " s" in out
    # tqdm's bar, on stderr, with the live loss and accuracy
    assert "loss=" in loud.stderr and "acc=" in loud.stderr and "batch" in loud.stderr
    assert "Traceback" not in loud.stderr


def test_demo_writes_pngs_and_a_checkpoint_that_loads(runs):
    cwd, loud, _ = runs
    folder = cwd / "ember-demo"                      # the default --out
    for name in (demo.CURVES_PNG, demo.MISCLASSIFIED_PNG):
        data = (folder / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE, name
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width > 100 and height > 100, (name, width, height)
        assert data[-8:-4] == b"IEND"
    checkpoint = ember.load(folder / demo.CHECKPOINT)
    model = demo.make_model()
    model.load_state_dict(checkpoint["model"])
    assert checkpoint["epochs"] == int(EPOCHS) and checkpoint["seed"] == 3
    assert "state" in checkpoint["optimizer"]
    # the model it holds gives the accuracy the demo printed
    _, _, x_test, y_test = demo.load_digits()
    _, acc, _ = demo.evaluate(model, ember.from_numpy(x_test), ember.from_numpy(y_test),
                              ember.nn.CrossEntropyLoss())
    assert f"test accuracy: {acc:.2%}" in loud.stdout
    assert "the same" in loud.stdout


def test_same_seed_same_numbers(runs):
    cwd, loud, quiet = runs
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""                        # --quiet: no progress bar
    assert "confusion matrix" not in quiet.stdout
    assert (cwd / "second" / demo.CHECKPOINT).exists()
    numbers = _results(loud.stdout)
    assert len(numbers) == 3
    assert numbers == _results(quiet.stdout)


def test_bad_argument_in_a_subprocess_is_one_line(tmp_path):
    r = _run("--epochs", "-3", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "--epochs" in lines[0] and "-3" in lines[0]
    assert not os.path.exists(tmp_path / "ember-demo")


@pytest.mark.parametrize("argv, words", [
    (["--epochs", "0"], ["--epochs", "positive integer"]),
    (["--epochs", "ten"], ["--epochs", "'ten'"]),
    (["--epochs", "2.5"], ["--epochs"]),
    (["--batch-size", "-1"], ["--batch-size"]),
    (["--lr", "0"], ["--lr", "positive number"]),
    (["--lr", "-0.1"], ["--lr"]),
    (["--lr", "fast"], ["--lr", "'fast'"]),
    (["--lr", "nan"], ["--lr"]),
    (["--seed", "-1"], ["--seed"]),
    (["--seed", "x"], ["--seed"]),
    (["--bogus"], ["unrecognized arguments", "--bogus"]),
])
def test_bad_arguments_exit_2_with_one_line(argv, words, capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("python -m ember.demo: error:")
    for w in words:
        assert w in err


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--lr", "--seed", "--out", "--compile",
                   "--quiet", 'pip install "ember[demo]"'):
        assert option in out


def test_compile_without_a_compiler_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.delattr(ember, "compile", raising=False)
    with pytest.raises(SystemExit) as e:
        demo.main(["--compile"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "compiler" in err and "not available" in err


@pytest.mark.skipif(not hasattr(ember, "compile"), reason="this build has no ember.compile")
def test_compile_runs(tmp_path):
    r = _run("--epochs", "1", "--compile", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "test accuracy:" in r.stdout


def test_unusable_output_folder_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert demo.main(["--out", str(blocker / "sub"), "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "output folder" in err


@pytest.mark.parametrize("module", ["tqdm", "matplotlib", "sklearn"])
def test_missing_extras_say_how_to_install(module, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)      # makes the import fail
    assert demo.main(["--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert 'pip install "ember[demo]"' in err
