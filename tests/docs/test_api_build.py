"""The API reference builds from the docstrings with pdoc, warnings treated as errors."""
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytest.importorskip("pdoc")


def test_api_reference_builds_without_warnings(tmp_path):
    # A subprocess: the build gives ember's namespaces an __all__, which must not leak into
    # the test process; -W error also turns warnings raised at import time into failures.
    # The search index and highlighted source are left out: they halve the time and cannot
    # raise warnings about the docstrings.
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "docs" / "build_api.py"), "-o", str(tmp_path),
         "--no-search", "--no-source"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-4000:]
    print(f"pdoc build: {elapsed:.1f} s")
    for page in ["index.html", "ember.html", "ember/nn.html", "ember/nn/functional.html",
                 "ember/optim.html", "ember/utils/data.html", "ember/autograd.html"]:
        assert (tmp_path / page).is_file(), page
    nn_page = (tmp_path / "ember" / "nn.html").read_text(encoding="utf-8")
    assert "Linear" in nn_page and "CrossEntropyLoss" in nn_page
