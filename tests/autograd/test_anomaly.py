"""detect_anomaly / set_detect_anomaly: the node whose backward produced NaN is named as torch
names it, and ember's message shows the forward line that created it."""
import warnings

import pytest
import torch

import ember
from tests.autograd._util import LIBS, same

CASES = {
    "sqrt_of_zero_times_zero": (lambda lib, x: x.sqrt() * 0, "x.sqrt() * 0"),
    "zero_times_log_zero": (lambda lib, x: x * x.log(), "x * x.log()"),
    "div_zero_by_zero": (lambda lib, x: (x * 0) / x, "(x * 0) / x"),
}


def _run(lib, fn):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = fn(lib, x)
    y.sum().backward()


@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_names_the_node_and_the_forward_line(name):
    fn, line = CASES[name]
    messages = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly(), pytest.raises(RuntimeError) as info:
                _run(lib, fn)
        messages.append(str(info.value))
        assert any("Anomaly Detection has been enabled" in str(w.message) for w in rec)
        assert any("Error detected in" in str(w.message) for w in rec)
    t, e = messages
    assert e.split("\n")[0] == t.split("\n")[0], (e, t)
    assert "returned nan values in its" in t
    assert line in e and "test_anomaly.py" in e       # the user's forward line, not ember's


def test_no_error_without_anomaly_mode():
    def prog(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        (x.sqrt() * 0).sum().backward()
        return x.grad.isnan().tolist()
    same(prog)


def test_check_nan_false_and_set_detect_anomaly():
    for lib in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = lib.tensor([0.0, 1.0], requires_grad=True)
            with lib.autograd.detect_anomaly(check_nan=False):
                assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
                (x.sqrt() * 0).sum().backward()          # NaN allowed through
            assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
            lib.autograd.set_detect_anomaly(True)
            try:
                assert lib.is_anomaly_enabled()
                with pytest.raises(RuntimeError, match="SqrtBackward0"):
                    (x.sqrt() * 0).sum().backward()
            finally:
                lib.autograd.set_detect_anomaly(False)
            with lib.autograd.set_detect_anomaly(True):
                assert lib.is_anomaly_enabled()
            assert not lib.is_anomaly_enabled()


def _modified_exp_output(lib):
    assert lib.is_anomaly_enabled()
    x = lib.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


def test_other_backward_errors_warn_with_the_forward_stack():
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="modified by an inplace operation"), \
                    lib.autograd.detect_anomaly():
                _modified_exp_output(lib)
        assert not lib.is_anomaly_enabled()
        assert any("Error detected in ExpBackward0" in str(w.message) for w in rec), \
            [str(w.message) for w in rec]


def test_anomaly_names_function_nodes():
    def make(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")
        return Bad
    msgs = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(), pytest.raises(RuntimeError) as info:
                make(lib).apply(lib.ones(2, requires_grad=True)).sum().backward()
        msgs.append(str(info.value).split("\n")[0])
    assert msgs[0] == msgs[1] == "Function 'BadBackward' returned nan values in its 0th output."


def test_ember_detect_anomaly_also_decorates():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @ember.autograd.detect_anomaly()
        def step():
            return ember.is_anomaly_enabled()
    assert step() and not ember.is_anomaly_enabled()
