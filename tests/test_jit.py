"""ember/_jit.py: the switch that turns numba kernels on and off (the kernels themselves are
tested beside the code that uses them, e.g. tests/optim/test_adam_fused.py)."""
import importlib.util

import numpy as np
import pytest

from ember import _jit


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_jit, "_state", None)       # available() decides again
    monkeypatch.setattr(_jit, "_kernels", [])
    return monkeypatch


def _hide_numba(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else real(name, *a))


def test_off_by_environment(fresh):
    fresh.setenv("EMBER_JIT", "0")
    assert not _jit.available()
    assert _jit.kernel(lambda x: x) is None


def test_without_numba_callers_keep_numpy(fresh):
    fresh.delenv("EMBER_JIT", raising=False)
    _hide_numba(fresh)
    assert not _jit.available()
    assert _jit.kernel(lambda x: x) is None


def test_required_but_missing_says_what_to_install(fresh):
    fresh.setenv("EMBER_JIT", "1")
    _hide_numba(fresh)
    with pytest.raises(ImportError, match="EMBER_JIT=1.*pip install numba"):
        _jit.available()


def test_kernel_compiles_at_first_call(fresh):
    pytest.importorskip("numba")
    fresh.delenv("EMBER_JIT", raising=False)

    def axpy(a, x, y):
        for i in range(x.size):
            y[i] = y[i] + a * x[i]
    k = _jit.kernel(axpy)
    assert k.__name__ == "axpy" and k.py_func is axpy
    x = np.arange(5.0)
    y = np.ones(5)
    k(2.0, x, y)
    np.testing.assert_array_equal(y, 1 + 2 * np.arange(5.0))


def test_import_does_not_import_numba():
    import subprocess
    import sys
    code = "import sys, ember; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_preload_compiles_declared_signatures(fresh):
    pytest.importorskip("numba")
    fresh.delenv("EMBER_JIT", raising=False)

    def scale(x, a):
        for i in range(x.size):
            x[i] = x[i] * a
    k = _jit.kernel(scale, ["void(float64[::1], float64)"])
    _jit.kernel(lambda x: x)                         # no signatures: left for its first call
    assert _jit.preload() == 1
    compiled = _jit._kernels[0][2][0]
    assert len(compiled.signatures) == 1
    x = np.arange(4.0)
    k(x, 2.0)
    assert len(compiled.signatures) == 1              # the preloaded code served the call
    np.testing.assert_array_equal(x, 2 * np.arange(4.0))


def test_library_kernels_declare_signatures():
    """Adam's and max pooling's kernels are among those preload() readies."""
    if not _jit.available():
        pytest.skip("numba not installed or EMBER_JIT=0")
    from ember.ops import pooling
    from ember.optim import adam
    names = {fn.__name__ for fn, sigs, _ in _jit._kernels if sigs}
    assert {adam._adam_loop.__name__, pooling._window_max_2x2_loop.__name__,
            pooling._window_scatter_2d_loop.__name__} <= names


def test_no_terminal_codes_after_the_program_ends():
    """numba's colorama would write an ANSI reset to stdout at exit (after a program's last
    line); ember asks numba for plain error messages unless the program chose otherwise."""
    pytest.importorskip("numba")
    import os
    import subprocess
    import sys
    code = ("import os, numpy as np\n"
            "from ember.optim import adam\n"
            "w = np.ones(4, np.float32)\n"
            "adam.adam_update(w, w.copy(), w.copy(), w.copy(), None, 1, 1e-3, 0.9, 0.999, 1e-8)\n"
            "print(os.environ.get('NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "EMBER_JIT")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    assert out == "1\n"
