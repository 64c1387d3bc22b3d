"""Fused neural-network kernels: softmax family, losses (more: conv, pooling, norms)."""
import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import _wrap_dim
from . import dispatch
from .registry import op, public


@op("softmax", keep="out", dtype_rule="float")
def _softmax(m, a, dim):
    e = m.exp(a - m.max(a, axis=dim, keepdims=True))     # shift so exp cannot overflow
    e /= m.sum(e, axis=dim, keepdims=True)
    return e


_softmax.derivative(lambda m, g, a, out, dim: out * (g - m.sum(g * out, axis=dim, keepdims=True)))


@op("log_softmax", keep="out", dtype_rule="float")
def _log_softmax(m, a, dim):
    shifted = a - m.max(a, axis=dim, keepdims=True)
    shifted -= m.log(m.sum(m.exp(shifted), axis=dim, keepdims=True))
    return shifted


_log_softmax.derivative(lambda m, g, a, out, dim:
                        g - m.exp(out) * m.sum(g, axis=dim, keepdims=True))


def _softmax_call(opdef, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    nd = input._array.ndim
    if dim is None:
        dim = 0 if nd in (0, 1, 3) else 1     # torch's legacy implicit choice
    d = _wrap_dim(dim, nd)
    if input._array.dtype.kind not in "fc":
        input = input.float()
    if nd == 0:
        return dispatch.unary(opdef, input.reshape(1), dim=0).reshape(())
    return dispatch.unary(opdef, input, dim=d)


@public("softmax", method=True)
def softmax(input, dim=None, dtype=None):
    """softmax(input, dim, dtype=None) -> Tensor: exp(x) / sum(exp(x)) along ``dim``."""
    return _softmax_call(_softmax, input, dim, dtype)


@public("log_softmax", method=True)
def log_softmax(input, dim=None, dtype=None):
    """log_softmax(input, dim, dtype=None) -> Tensor: x - logsumexp(x) along ``dim``."""
    return _softmax_call(_log_softmax, input, dim, dtype)


# --- losses -----------------------------------------------------------------------------------
def _reduce(m, x, reduction):
    if reduction == "mean":
        return m.mean(x)
    if reduction == "sum":
        return m.sum(x)
    return x


def _scale(m, g, reduction, n):
    return g / n if reduction == "mean" else g


@op("mse_loss", keep="ab", node_name="MseLossBackward0")
def _mse(m, a, b, reduction="mean"):
    d = a - b
    d *= d
    return _reduce(m, d, reduction)


def _mse_ga(m, g, a, b, out, reduction="mean"):
    n = 1
    for s in np.broadcast_shapes(tuple(a.shape), tuple(b.shape)):
        n *= s
    return _scale(m, g, reduction, n) * 2 * (a - b)


_mse.derivative((_mse_ga, lambda m, g, a, b, out, reduction="mean": -_mse_ga(m, g, a, b, out,
                                                                              reduction)))


def mse_loss(input, target, reduction="mean"):
    _check_reduction(reduction)
    if input.shape != target.shape:
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    try:
        return dispatch.binary(_mse, input, target, reduction=reduction)
    except EmberRuntimeError:
        raise EmberRuntimeError(f"mse_loss: the size of input {list(input.shape)} and target "
                                f"{list(target.shape)} cannot be broadcast together") from None


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
