"""Padding (F.pad): constant, reflect, replicate and circular, for any number of trailing dims.

Constant padding copies the input into a filled array (gradient: the interior slice). The other
modes are gathers along each padded dimension with an index array (``take_pad``), whose gradient
adds back with repeats accumulating."""
import numpy as np

from .._errors import EmberRuntimeError
from . import dispatch
from .registry import op, public


@op("constant_pad_nd", keep="shape", node_name="ConstantPadNdBackward0")
def _constant_pad(m, a, pads, value):
    return np.pad(a, pads, constant_values=value)


def _crop(g, pads):
    return g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pads))]


_constant_pad.derivative(lambda m, g, a_shape, out, pads, value: _crop(g, pads))


@op("take_pad", keep="shape", node_name="ReflectionPad2DBackward0")
def _take_pad(m, a, axis, index):
    return np.take(a, index, axis=axis)


def _take_pad_grad(m, g, a_shape, out, axis, index):
    if getattr(m, "is_tensor_namespace", False):
        return dispatch.apply(_PUT_PAD, (g,), {"axis": axis, "index": index, "size": a_shape[axis]})
    return _put_pad_kernel(m, g, axis, index, a_shape[axis])


def _put_pad_kernel(m, g, axis, index, size):
    moved = np.moveaxis(g, axis, 0)
    res = np.zeros((size,) + moved.shape[1:], dtype=g.dtype)
    np.add.at(res, np.asarray(index), moved)
    return np.moveaxis(res, 0, axis)


_take_pad.derivative(_take_pad_grad)
_PUT_PAD = op("put_pad", node_name="ReflectionPad2DBackwardBackward0")(_put_pad_kernel)
_PUT_PAD.derivative(lambda m, gg, g, out, axis, index, size:
                    dispatch.apply(_take_pad, (gg,), {"axis": axis, "index": index})
                    if getattr(m, "is_tensor_namespace", False) else np.take(gg, index, axis=axis))


def _mode_index(n, lo, hi, mode):
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise EmberRuntimeError(f"Argument #4: Padding size should be less than the "
                                    f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                                    f"at dimension of size {n}")
        period = 2 * (n - 1) if n > 1 else 1
        i = np.abs(i) % period
        i = np.where(i >= n, period - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    elif mode == "circular":
        if lo > n or hi > n:
            raise EmberRuntimeError("Padding value causes wrapping around more than once.")
        # torch crops for negative amounts first, then wraps around what is left
        start, stop = max(-lo, 0), n - max(-hi, 0)
        kept = stop - start
        i = start + np.arange(-max(lo, 0), kept + max(hi, 0)) % max(kept, 1)
    return tuple(int(v) for v in i)


def pad(input, pad, mode="constant", value=None):
    """pad(input, pad, mode='constant', value=None) -> Tensor; ``pad`` lists (left, right)
    amounts starting from the last dimension."""
    if len(pad) % 2:
        raise EmberRuntimeError("Padding length must be divisible by 2")
    npad = len(pad) // 2
    if npad > input.ndim:
        raise EmberRuntimeError(f"Padding length should be less than or equal to two times the "
                                f"input dimension but got padding length {len(pad)} and input of "
                                f"dimension {input.ndim}")
    pairs = [(0, 0)] * input.ndim
    for k in range(npad):
        pairs[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if mode == "constant":
        if any(lo < 0 or hi < 0 for lo, hi in pairs):
            x = input
            crop = tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in
                         enumerate(pairs))
            x = x[crop]
            pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
            return dispatch.unary(_constant_pad, x, pads=tuple(pairs),
                                  value=0.0 if value is None else value)
        return dispatch.unary(_constant_pad, input, pads=tuple(pairs),
                              value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise EmberRuntimeError(f"Unrecognised padding mode {mode}")
    if value:
        raise EmberRuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    x = input
    for axis, (lo, hi) in enumerate(pairs):
        if lo or hi:
            idx = _mode_index(x.shape[axis], lo, hi, mode)
            x = dispatch.unary(_take_pad, x, axis=axis, index=idx)
    return x


@public("constant_pad_nd")
def constant_pad_nd(input, pad, value=0):
    """constant_pad_nd(input, pad, value=0) -> Tensor: ``pad(input, pad, 'constant', value)``.

    Example:
        >>> torch.constant_pad_nd(torch.tensor([[1, 2]]), (1, 0), 9)
        tensor([[9, 1, 2]])
    """
    return globals()["pad"](input, pad, "constant", value)
