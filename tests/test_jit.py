"""ember/_jit.py: the switch that turns numba kernels on and off (the kernels themselves are
tested beside the code that uses them, e.g. tests/optim/test_adam_fused.py)."""
import builtins

import numpy as np
import pytest

from ember import _jit


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_jit, "_numba", None)       # available() decides again
    return monkeypatch


def _hide_numba(monkeypatch):
    real = builtins.__import__

    def imp(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("No module named 'numba'")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", imp)


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
