"""Run one program under torch and under ember and compare what comes out (values, gradients,
errors). Programs take the library module as their only argument: ``lambda lib: ...``."""
import re
import warnings

import numpy as np
import torch

import ember
from tests.helpers.oracle import to_numpy

LIBS = (torch, ember)


def values(x):
    """Nested results as NumPy (tensors), None, or plain Python values, for comparison."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return to_numpy(x)
    if isinstance(x, (tuple, list)):
        return [values(v) for v in x]
    if isinstance(x, dict):
        return {k: values(v) for k, v in x.items()}
    return x


def assert_close(e, t, rtol=1e-5, atol=1e-6, what="result"):
    if isinstance(t, list):
        assert isinstance(e, list) and len(e) == len(t), f"{what}: {e!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_close(a, b, rtol, atol, f"{what}[{i}]")
    elif isinstance(t, dict):
        assert isinstance(e, dict) and e.keys() == t.keys(), f"{what}: {e!r} vs {t!r}"
        for k in t:
            assert_close(e[k], t[k], rtol, atol, f"{what}[{k!r}]")
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray), f"{what}: ember gave {e!r}, torch an array"
        assert e.shape == t.shape, f"{what}: shape {e.shape} vs {t.shape}"
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert e == t, f"{what}: ember {e!r} vs torch {t!r}"


def same(program, rtol=1e-5, atol=1e-6, quiet_torch=False):
    """Run ``program(lib)`` under both libraries and assert the results agree."""
    with warnings.catch_warnings():
        if quiet_torch:
            warnings.simplefilter("ignore")
        t = values(program(torch))
    e = values(program(ember))
    assert_close(e, t, rtol, atol)
    return e


def error_of(program, lib, exc=Exception):
    try:
        program(lib)
    except exc as err:
        return err
    raise AssertionError(f"{lib.__name__}: no {exc.__name__} raised")


def same_error(program, exc=RuntimeError, match=None, prefix=False):
    """Both raise ``exc``; ember's message contains torch's (or, with ``prefix``, starts with
    it) unless ``match`` is given, in which case both must match that regex."""
    t = error_of(program, torch, exc)
    e = error_of(program, ember, exc)
    if match is not None:
        assert re.search(match, str(t)), f"torch's message changed: {t}"
        assert re.search(match, str(e)), f"ember: {e}"
    elif prefix:
        assert str(e).startswith(str(t)), f"\nember: {e}\ntorch: {t}"
    else:
        assert str(t) in str(e), f"\nember: {e}\ntorch: {t}"
    return str(t), str(e)


def grads(*tensors):
    return [None if t.grad is None else to_numpy(t.grad) for t in tensors]
