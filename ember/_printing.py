"""repr/str of tensors in torch's format, and set_printoptions."""
import numpy as np

from . import dtypes as _dt


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
    profile=None, sci_mode=None): how tensors print."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 2, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, float("inf")
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return {"precision": PRINT_OPTS.precision, "threshold": PRINT_OPTS.threshold,
            "edgeitems": PRINT_OPTS.edgeitems, "linewidth": PRINT_OPTS.linewidth,
            "sci_mode": PRINT_OPTS.sci_mode}


def tensor_repr(t):
    a = t._array
    if a.dtype == _dt.bfloat16.np or a.dtype == np.float16:
        a = a.astype(np.float32)
    body = np.array2string(a, separator=", ", prefix="tensor(",
                           precision=PRINT_OPTS.precision, threshold=PRINT_OPTS.threshold,
                           edgeitems=PRINT_OPTS.edgeitems, max_line_width=PRINT_OPTS.linewidth)
    suffix = []
    d = t.dtype
    if d not in (_dt._defaults.float, _dt.int64, _dt.bool_, _dt._defaults.complex):
        suffix.append(f"dtype={d!r}")
    gf = t.grad_fn
    if gf is not None:
        suffix.append(f"grad_fn=<{gf.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
