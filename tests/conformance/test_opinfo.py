"""PyTorch's OpInfo database run against ember (tests/conformance/harness.py does the work).

Each OpInfo is one test per dtype family (float32+float64, and complex64+complex128 where the
OpInfo lists complex dtypes): it must pass unless listed in known_failures.py, and a listed op that
passes fails the test too, so the lists only shrink. ``test_pass_rates`` prints the rates per
namespace (``python -m tests.conformance.harness --complex`` prints the same tables) and holds
the floors: the op-surface issue asks for 90% forward and 85% gradient in float32."""
import pytest
import torch

from . import harness
from .known_failures import KNOWN_COMPLEX_FAILURES, KNOWN_FAILURES

OPS = harness.load_op_db()
COMPLEX_OPS = [op for op in OPS if torch.complex64 in op.supported_dtypes("cpu")]

# The rates reached when known_failures.py was last regenerated; they may only rise.
FLOORS = {"real": (0.973, 0.971), "complex": (0.984, 0.971)}


def _check(op, dtypes, known_list):
    r = harness.results([op], dtypes)[harness.full_name(op)]
    if r.fwd is None:
        pytest.skip(r.reason)
    known = known_list.get(r.name)
    passed = r.fwd and r.grad
    if known is None:
        assert passed, f"{r.name} fails ({'gradient' if r.fwd else 'forward'}): {r.reason}"
    else:
        assert not passed, f"{r.name} passes now: remove it from known_failures.py"
        assert r.fwd or known[0] == "fwd", \
            f"{r.name} regressed from a gradient-only failure to a forward failure: {r.reason}"


@pytest.mark.parametrize("op", OPS, ids=harness.full_name)
def test_opinfo(op):
    _check(op, harness.DTYPES, KNOWN_FAILURES)


@pytest.mark.parametrize("op", COMPLEX_OPS, ids=harness.full_name)
def test_opinfo_complex(op):
    _check(op, harness.COMPLEX, KNOWN_COMPLEX_FAILURES)


@pytest.mark.parametrize("kind", ["real", "complex"])
def test_pass_rates(kind, capsys):
    res = harness.results(OPS if kind == "real" else COMPLEX_OPS,
                          harness.DTYPES if kind == "real" else harness.COMPLEX)
    _, (n, fwd, grad) = harness.rates(res)
    title = "float32 and float64" if kind == "real" else "complex64 and complex128"
    with capsys.disabled():
        print(f"\nOpInfo conformance, {title} (CPU)\n" + harness.format_rates(res))
    fwd_floor, grad_floor = FLOORS[kind]
    assert fwd / n >= fwd_floor, f"forward pass rate {fwd / n:.3f} fell below {fwd_floor}"
    assert grad / n >= grad_floor, f"gradient pass rate {grad / n:.3f} fell below {grad_floor}"
