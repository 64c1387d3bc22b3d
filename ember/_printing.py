"""repr/str of tensors in torch's format, and set_printoptions.

The text must match torch's character for character, so programs written against torch print the
same thing under ember. The rules reproduced here (all observable in torch's output):

* One formatter per tensor (two for complex: real and imaginary parts) fixes a common width, so
  columns line up. Floats print in "integer mode" (``1.``) when every finite value is whole, in
  scientific mode when the finite nonzero magnitudes span more than 1000x, exceed 1e8 or go
  below 1e-4, and otherwise with ``precision`` decimals. Widths are measured on the finite
  nonzero values only; nan/inf/0 are then right-aligned to that width (and may exceed it).
* Past ``threshold`` elements only ``edgeitems`` rows/values at each end of every dimension are
  shown, with ``...`` between; the formatter then only looks at the shown values.
* Rows wrap at ``linewidth``; nested dimensions are indented under their opening bracket and
  separated by ``ndim - 1`` newlines.
* Suffixes (device, size, dtype, grad_fn / requires_grad) go after the data, each on a new line
  when it would overflow ``linewidth``.
"""
import contextlib
import math

import numpy as np

from . import dtypes as _dt


class _Options:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None


PRINT_OPTS = _Options()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
    profile=None, sci_mode=None)

    Set how tensors print. ``profile`` ("default", "short" or "full") resets the four numeric
    options first; explicit arguments then override it. ``sci_mode`` is always set: True/False
    force or forbid scientific notation, None lets each tensor choose.

    Example:
        >>> torch.set_printoptions(precision=2)
        >>> torch.tensor([1.23456, 2.0])
        tensor([1.23, 2.00])
        >>> torch.set_printoptions(profile="default")
    """
    if profile in _PROFILES:    # torch silently ignores unknown profiles
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
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
    """get_printoptions() -> dict: the current options, as keyword arguments for
    set_printoptions().

    Example:
        >>> torch.get_printoptions()
        {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return {name: getattr(PRINT_OPTS, name) for name in _Options.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """printoptions(**kwargs): context manager that applies set_printoptions(**kwargs) and
    restores the previous options on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _pylist(a):
    """Elements of ``a`` as Python scalars; floats go through float64 so that formatting sees
    the exact value (bfloat16 arrays would otherwise yield NumPy scalars)."""
    if a.dtype.kind in "fV":
        a = a.astype(np.float64)
    return a.reshape(-1).tolist()


class _Formatter:
    """Formats the scalars of one real array to a common width."""

    def __init__(self, a):
        self.floating = a.dtype.kind in "fV"     # kind "V": ml_dtypes' bfloat16
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max([1] + [len(str(v)) for v in _pylist(a)])
            return
        a = a.reshape(-1).astype(np.float64)
        vals = a[np.isfinite(a) & (a != 0)]
        if vals.size == 0:
            return      # nothing measurable: all-zero/nonfinite data prints in integer mode
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool((vals == np.ceil(vals)).all())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        # integer mode appends "." after the digits, hence the + 1
        extra = 1 if self.int_mode and not self.sci_mode else 0
        self.width = max(len(self._plain(v)) + extra for v in vals.tolist())

    def _plain(self, v):
        p = PRINT_OPTS.precision
        if self.sci_mode:
            return f"{v:.{p}e}"
        if self.int_mode:
            return f"{v:.0f}"
        return f"{v:.{p}f}"

    def format(self, v):
        if not self.floating:
            s = str(v)
        else:
            s = self._plain(v)
            if self.int_mode and not self.sci_mode and math.isfinite(v):
                s += "."
        return s.rjust(self.width)


def _element_str(v, fmt, fmt_imag):
    if fmt_imag is None:
        return fmt.format(v)
    real = fmt.format(v.real)
    imag = (fmt_imag.format(v.imag) + "j").lstrip()
    # the imaginary part carries its own sign, including that of -0.0
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _vector_str(a, indent, summarize, fmt, fmt_imag):
    width = fmt.width + 2 + (0 if fmt_imag is None else fmt_imag.width + 1)
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / width)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and len(a) > 2 * e:
        items = ([_element_str(v, fmt, fmt_imag) for v in _pylist(a[:e])] + [" ..."]
                 + [_element_str(v, fmt, fmt_imag) for v in _pylist(a[-e:])])
    else:
        items = [_element_str(v, fmt, fmt_imag) for v in _pylist(a)]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a, indent, summarize, fmt, fmt_imag=None):
    if a.ndim == 0:
        return _element_str(_pylist(a)[0], fmt, fmt_imag)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt, fmt_imag)
    e, n = PRINT_OPTS.edgeitems, len(a)
    if summarize and n > 2 * e:
        rows = [*range(e), None, *range(n - e, n)]
    else:
        rows = range(n)
    parts = ["..." if i is None else _nested_str(a[i], indent + 1, summarize, fmt, fmt_imag)
             for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _summarized(a):
    """The values a summarized print shows, stacked back into an array (for the formatter)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # with e == 0, a[-0:] is the whole row, as in torch: the formatter then sees everything
        return np.concatenate((a[:e], a[-e:])) if len(a) > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    rows = range(len(a)) if len(a) <= 2 * e else [*range(e), *range(len(a) - e, len(a))]
    return np.stack([_summarized(a[i]) for i in rows])


def _data_str(a, indent):
    summarize = a.size > PRINT_OPTS.threshold
    shown = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        return _nested_str(a, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag))
    return _nested_str(a, indent, summarize, _Formatter(shown))


def _add_suffixes(text, suffixes, indent):
    # torch measures the last line as len - rfind("\n") + 1, i.e. two more than its length
    # when there is no newline; reproduced so wrapping decisions match
    last = len(text) - text.rfind("\n") + 1
    out = [text]
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def tensor_repr(t, tensor_contents=None):
    """The text of repr(t) / str(t), as torch prints it."""
    from .nn.parameter import Parameter
    from .tensor import Tensor
    plain = type(t) is Tensor or type(t) is Parameter
    prefix = "tensor(" if plain else type(t).__name__ + "("
    indent = len(prefix)
    a, d = t._array, t.dtype
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    if a.size == 0:
        # NumPy-like: (0,) is implied by "[]", any other shape is spelled out; without elements
        # the dtype cannot be inferred, so everything but the default float is named
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if d is not _dt._defaults.float:
            suffixes.append(f"dtype={d!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if d not in (_dt._defaults.float, _dt._defaults.complex, _dt.int64, _dt.bool_):
            suffixes.append(f"dtype={d!r}")
        body = _data_str(a, indent)
    if tensor_contents is not None:
        body = tensor_contents
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(prefix + body, suffixes, indent)
    if isinstance(t, Parameter) and not plain:
        text = f"Parameter({text})"
    return text
