"""Padding modules: Zero/Constant/Reflection/Replication/Circular Pad 1d/2d/3d."""
from .. import functional as F
from .module import Module


def _expand(padding, nd):
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    padding = tuple(padding)
    if len(padding) != 2 * nd:
        raise ValueError(f"padding must be an int or a {2 * nd}-tuple, got {padding}")
    return padding


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _expand(padding, self._nd)
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        if self._mode == "constant" and not isinstance(self, _ZeroPad):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class _ZeroPad(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


# What each mode writes around [0, 1, 2, 3] with padding 2 (for the docstrings' examples).
_PADDED_1D = {"ZeroPad": "[0., 0., 0., 1., 2., 3., 0., 0.]",
              "ConstantPad": "[9., 9., 0., 1., 2., 3., 9., 9.]",
              "ReflectionPad": "[2., 1., 0., 1., 2., 3., 2., 1.]",
              "ReplicationPad": "[0., 0., 0., 1., 2., 3., 3., 3.]",
              "CircularPad": "[2., 3., 0., 1., 2., 3., 0., 1.]"}
_MEANING = {"constant": "a constant", "reflect": "the reflection of the input at its edges",
            "replicate": "copies of the edge values", "circular": "the input wrapped around"}


def _doc(name, nd, mode, base):
    """The docstring of one padding class: signature, meaning, shape, a runnable example."""
    family = name[:-2]
    constant = base is _PadNd
    sig = f"{name}(padding, value)" if constant else f"{name}(padding)"
    fill = "zeros" if family == "ZeroPad" else _MEANING[mode]
    dims = ("W", "H, W", "D, H, W")[nd - 1]
    sides = ("(left, right)", "(left, right, top, bottom)",
             "(left, right, top, bottom, front, back)")[nd - 1]
    args = "2, 9." if constant else "2"
    shape_args = "1, 9." if constant else "1"
    if nd == 1:
        example = (f"        >>> nn.{name}({args})(torch.arange(4.).reshape(1, 1, 4))\n"
                   f"        tensor([[{_PADDED_1D[family]}]])\n")
    else:
        ones = ", ".join(["1", "1"] + ["3"] * nd)
        example = (f"        >>> nn.{name}({shape_args})(torch.ones({ones})).shape\n"
                   f"        torch.Size([{', '.join(['1', '1'] + ['5'] * nd)}])\n")
    return (f"""{sig}: pad the last {nd} dimension(s) ({dims}) with {fill}.

    ``padding`` is an int (the same on every side) or a {2 * nd}-tuple {sides}.

    Shape:
        Input ``(N, C, {dims})`` or ``(C, {dims})``; each padded size grows by the padding on
        its two sides.

    Example::

{example}    """)


def _make(name, nd, mode, base):
    cls = type(name, (base,), {"_nd": nd, "_mode": mode, "__doc__": _doc(name, nd, mode, base)})
    return cls


ZeroPad1d = _make("ZeroPad1d", 1, "constant", _ZeroPad)
ZeroPad2d = _make("ZeroPad2d", 2, "constant", _ZeroPad)
ZeroPad3d = _make("ZeroPad3d", 3, "constant", _ZeroPad)
ConstantPad1d = _make("ConstantPad1d", 1, "constant", _PadNd)
ConstantPad2d = _make("ConstantPad2d", 2, "constant", _PadNd)
ConstantPad3d = _make("ConstantPad3d", 3, "constant", _PadNd)
ReflectionPad1d = _make("ReflectionPad1d", 1, "reflect", _ZeroPad)
ReflectionPad2d = _make("ReflectionPad2d", 2, "reflect", _ZeroPad)
ReflectionPad3d = _make("ReflectionPad3d", 3, "reflect", _ZeroPad)
ReplicationPad1d = _make("ReplicationPad1d", 1, "replicate", _ZeroPad)
ReplicationPad2d = _make("ReplicationPad2d", 2, "replicate", _ZeroPad)
ReplicationPad3d = _make("ReplicationPad3d", 3, "replicate", _ZeroPad)
CircularPad1d = _make("CircularPad1d", 1, "circular", _ZeroPad)
CircularPad2d = _make("CircularPad2d", 2, "circular", _ZeroPad)
CircularPad3d = _make("CircularPad3d", 3, "circular", _ZeroPad)
