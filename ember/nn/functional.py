"""nn.functional: argument checks and torch's messages, then one call into ops/ (no math here)."""
from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..ops import dispatch
from ..ops.elementwise import _LEAKY, _HARDTANH, _THRESH
from ..ops.linalg_ops import linear as _linear
from ..ops.nn_ops import log_softmax as _log_softmax, mse_loss as _mse_loss, softmax as _softmax
from ..ops.registry import OPS


def linear(input, weight, bias=None):
    """linear(input, weight, bias=None) -> Tensor: input @ weight.T + bias.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features),
    output (*, out_features)."""
    return _linear(input, weight, bias)


def relu(input, inplace=False):
    """relu(input, inplace=False) -> Tensor: max(input, 0)."""
    if inplace:
        return dispatch.apply_inplace(OPS["relu"], input)
    return dispatch.unary(OPS["relu"], input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor."""
    if inplace:
        return dispatch.apply_inplace(_LEAKY, input, (), {"slope": negative_slope})
    return dispatch.unary(_LEAKY, input, slope=negative_slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor."""
    if inplace:
        return dispatch.apply_inplace(_HARDTANH, input, (), {"lo": min_val, "hi": max_val})
    return dispatch.unary(_HARDTANH, input, lo=min_val, hi=max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def threshold(input, threshold, value, inplace=False):
    """threshold(input, threshold, value, inplace=False): input where > threshold else value."""
    if inplace:
        return dispatch.apply_inplace(_THRESH, input, (), {"threshold": threshold, "value": value})
    return dispatch.unary(_THRESH, input, threshold=threshold, value=value)


def sigmoid(input):
    return dispatch.unary(OPS["sigmoid"], input)


def tanh(input):
    return dispatch.unary(OPS["tanh"], input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(input, dim=None, dtype=None) -> Tensor."""
    return _softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log_softmax(input, dim=None, dtype=None) -> Tensor."""
    return _log_softmax(input, dim, dtype)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mse_loss(input, target, reduction='mean') -> Tensor: mean((input - target)²)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _mse_loss(input, target, reduction)


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_float(name, t):
    if t.dtype.category < 2:
        raise EmberRuntimeError(f"{name}: expected a floating point tensor, got {t.dtype}")
    return _dt
