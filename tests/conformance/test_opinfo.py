"""PyTorch's OpInfo database run against ember (tests/conformance/harness.py does the work).

Each OpInfo is one test: it must pass unless listed in known_failures.py, and a listed op that
passes fails the test too, so the list only shrinks. ``test_pass_rates`` prints the rates per
namespace and holds the floors of the op-surface issue."""
import pytest

from . import harness
from .known_failures import KNOWN_FAILURES

OPS = harness.load_op_db()

# The targets; the floors below rise as ops land and never fall.
FORWARD_FLOOR = 0.518
GRADIENT_FLOOR = 0.503


@pytest.mark.parametrize("op", OPS, ids=harness.full_name)
def test_opinfo(op):
    r = harness.results([op])[harness.full_name(op)]
    if r.fwd is None:
        pytest.skip(r.reason)
    known = KNOWN_FAILURES.get(r.name)
    passed = r.fwd and r.grad
    if known is None:
        assert passed, f"{r.name} fails ({'gradient' if r.fwd else 'forward'}): {r.reason}"
    else:
        assert not passed, f"{r.name} passes now: remove it from known_failures.py"
        assert r.fwd or known[0] == "fwd", f"{r.name} regressed from gradient-only failure " \
                                             f"to forward failure: {r.reason}"


def test_pass_rates(capsys):
    res = harness.results(OPS)
    _, (n, fwd, grad) = harness.rates(res)
    with capsys.disabled():
        print("\nOpInfo conformance (float32 and float64, CPU)\n" + harness.format_rates(res))
    assert fwd / n >= FORWARD_FLOOR, f"forward pass rate {fwd / n:.3f} fell below the floor"
    assert grad / n >= GRADIENT_FLOOR, f"gradient pass rate {grad / n:.3f} fell below the floor"
