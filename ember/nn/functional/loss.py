"""nn.functional losses: torch's signatures, shape/dtype checks and messages, then ops.

Elementwise losses with a fused kernel (smooth L1, Huber, both binary cross-entropies) come from
ops/loss_ops.py, as does CTC; the rest are short compositions of ember ops (each step already
a single pass), so autograd needs no extra rules for them.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ..._errors import EmberIndexError, EmberRuntimeError
from ...ops import activation_ops as _act
from ...ops import dispatch
from ...ops import loss_ops as _loss
from ...ops import nn_ops as _nn
from ...ops.elementwise import where as _where
from ...ops.linalg_ops import linear as _linear
from ...ops.registry import PUBLIC as _PUBLIC
from ...tensor import Tensor, wrap
from .activation import logsigmoid, pairwise_distance

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss", "cross_entropy",
    "nll_loss", "linear_cross_entropy",
]


# --- shared helpers ------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """torch's mapping of the deprecated size_average / reduce flags onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        ret = "none"
    else:
        ret = "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _common_dtype(*tensors):
    ops = [(t.dtype, 1 if t.ndim == 0 else 2) for t in tensors if isinstance(t, Tensor)]
    rd = _dt.result_type_of(ops)
    if rd.category < _dt.float32.category:
        rd = _dt.get_default_dtype()
    return [t if not isinstance(t, Tensor) or t.dtype is rd else t.to(rd) for t in tensors]


def _weighted_regression(loss, weight, input, reduction, mean_by_weight=True):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


# --- regression losses ---------------------------------------------------------------------------
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """l1_loss(input, target, reduction='mean', weight=None) -> Tensor: mean |input - target|
    (with ``weight``: sum(w |d|) / sum(w)).

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> F.l1_loss(input, target)
        tensor(0.6250)
    """
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted_regression((input - target).abs(), weight, input, reduction)
    _check_reduction(reduction)
    return _reduce((input - target).abs(), reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mse_loss(input, target, reduction='mean', weight=None) -> Tensor: mean (input - target)²
    (with ``weight``: sum(w d²) / sum(w)).

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> F.mse_loss(input, target)
        tensor(0.5625)
        >>> F.mse_loss(input, target, reduction='sum')
        tensor(2.2500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is None:
        return _nn.mse_loss(input, target, reduction)      # the fused op (warns on sizes)
    _warn_size(input, target)
    d = input - target
    return _weighted_regression(d * d, weight, input, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """smooth_l1_loss(input, target, reduction='mean', beta=1.0) -> Tensor: 0.5 d² / beta where
    |d| < beta, else |d| - 0.5 beta (d = input - target).

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> F.smooth_l1_loss(input, target)
        tensor(0.2812)
    """
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise EmberRuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _reduce(dispatch.binary(_loss.SMOOTH_L1, input, target, beta=float(beta)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """huber_loss(input, target, reduction='mean', delta=1.0, weight=None) -> Tensor: 0.5 d²
    where |d| < delta, else delta (|d| - 0.5 delta).

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> F.huber_loss(input, target, delta=0.5)
        tensor(0.2188)
    """
    _warn_size(input, target)
    if delta <= 0:
        raise EmberRuntimeError("huber_loss does not support non-positive values for delta.")
    loss = dispatch.binary(_loss.HUBER, input, target, delta=float(delta))
    if weight is not None:
        return _weighted_regression(loss, weight, input, reduction, mean_by_weight=False)
    _check_reduction(reduction)
    return _reduce(loss, reduction)


def _broadcast_weight(weight, shape):
    try:
        full = np.broadcast_shapes(tuple(weight.shape), tuple(shape))
    except ValueError:
        full = None
    if full != tuple(shape):
        raise EmberRuntimeError(f"weight of shape {list(weight.shape)} is not broadcastable to "
                                f"the input's shape {list(shape)}")
    return weight


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """binary_cross_entropy(input, target, weight=None, reduction='mean') -> Tensor:
    -w (y log x + (1 - y) log(1 - x)), each log clamped to >= -100; input in [0, 1].

    Example::

        >>> F.binary_cross_entropy(torch.tensor([0.9, 0.2]), torch.tensor([1., 0.]))
        tensor(0.1643)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    a = input._array
    if a.size and not ((a >= 0) & (a <= 1)).all():
        raise EmberRuntimeError("all elements of input should be between 0 and 1")
    loss = dispatch.binary(_loss.BCE, input, target)
    if weight is not None:
        loss = loss * _broadcast_weight(weight, input.shape)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean',
    pos_weight=None) -> Tensor: binary cross-entropy of sigmoid(input), computed stably as
    (1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)).

    Example::

        >>> F.binary_cross_entropy_with_logits(torch.tensor([2.0, -1.0]), torch.tensor([1., 0.]))
        tensor(0.2201)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    x, y, pw = _common_dtype(input, target, pos_weight)
    if pw is not None:
        _broadcast_weight(pw, input.shape)
    loss = dispatch.apply(_loss.BCE_LOGITS, (x, y, pw))
    if weight is not None:
        loss = loss * _broadcast_weight(weight, input.shape)
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """kl_div(input, target, reduction='mean', log_target=False) -> Tensor: pointwise
    target * (log target - input) for log-probabilities ``input``; reduction 'batchmean'
    divides the sum by the batch size (the mathematical KL divergence).

    Example::

        >>> log_q = torch.tensor([[0.25, 0.75]]).log()
        >>> F.kl_div(log_q, torch.tensor([[0.5, 0.5]]), reduction='batchmean')
        tensor(0.1438)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _PUBLIC["xlogy"](target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8,
    reduction='mean') -> Tensor: exp(input) - target * input (log_input), else
    input - target * log(input + eps); ``full`` adds Stirling's term where target > 1.

    Example::

        >>> F.poisson_nll_loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 3.0]))
        tensor(0.3591)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), evaluated only where target > 1 (a safe
        # argument elsewhere keeps log(0) out of the gradient)
        big = target > 1
        t = _where(big, target, 2.0)
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + _where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean') -> Tensor:
    0.5 (log var + (input - target)² / var) (+ 0.5 log 2 pi with ``full``). ``var`` has the
    input's shape, or one dimension fewer, or a size-1 dimension (homoscedastic), or is a
    float; it is clamped to at least eps without affecting its gradient.

    Example::

        >>> F.gaussian_nll_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.0]), torch.ones(2))
        tensor(0.0625)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = wrap(np.full(tuple(input.shape), float(var), dtype=input._array.dtype))
    elif (var._array < 0).any():
        raise ValueError("var has negative entry/entries")
    vs, xs = tuple(var.shape), tuple(input.shape)
    if vs != xs:
        if xs[:-1] == vs:
            var = var.unsqueeze(-1)
        elif not (len(xs) == len(vs)
                  and sum(v for x, v in zip(xs, vs) if x != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _act.clamp_min_passthrough(var, eps)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- margin and embedding losses -----------------------------------------------------------------
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """cosine_embedding_loss(input1, input2, target, margin=0, reduction='mean') -> Tensor:
    1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1.

    Example::

        >>> x1 = torch.tensor([[1., 0.], [1., 0.]])
        >>> x2 = torch.tensor([[1., 1.], [0., 1.]])
        >>> F.cosine_embedding_loss(x1, x2, torch.tensor([1., -1.]))
        tensor(0.1464)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.ndim > 1:
        raise EmberRuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise EmberRuntimeError(f"{target.ndim}D target tensor expects {want}D input tensors, but "
                                f"found inputs with sizes {list(input1.shape)} and "
                                f"{list(input2.shape)}.")
    dim = target.ndim       # the feature dimension
    eps = 1e-12             # torch's: keeps zero vectors finite
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = (input1 * input2).sum(dim) / mag.sqrt()
    pos = _where(target == 1, 1 - cos, 0.0)
    neg = _where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """margin_ranking_loss(input1, input2, target, margin=0, reduction='mean') -> Tensor:
    max(0, -target * (input1 - input2) + margin).

    Example::

        >>> x1, x2 = torch.tensor([1.0, 0.2]), torch.tensor([0.5, 0.4])
        >>> F.margin_ranking_loss(x1, x2, torch.tensor([1., 1.]), margin=0.1)
        tensor(0.1500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise EmberRuntimeError(f"margin_ranking_loss : All input tensors should have same "
                                f"dimension but got sizes: input1: {input1.shape}, input2: "
                                f"{input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """hinge_embedding_loss(input, target, margin=1.0, reduction='mean') -> Tensor: x where
    target = 1, max(0, margin - x) where target = -1.

    Example::

        >>> F.hinge_embedding_loss(torch.tensor([0.3, 2.0, 0.5]), torch.tensor([1., -1., -1.]))
        tensor(0.2667)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    at_margin = _where(target != 1, (margin - input).clamp_min(0), 0.0)
    at_self = _where(target != -1, input, 0.0)
    return _reduce(at_margin + at_self, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """soft_margin_loss(input, target, reduction='mean') -> Tensor: log(1 + exp(-y x)).

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> F.soft_margin_loss(input, torch.tensor([[1., -1.], [1., -1.]]))
        tensor(0.8069)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce(-logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """multilabel_soft_margin_loss(input, target, weight=None, reduction='mean') -> Tensor:
    the mean over classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x)), per sample.

    Example::

        >>> x, y = torch.tensor([[1.0, -1.0, 0.5]]), torch.tensor([[1., 0., 1.]])
        >>> F.multilabel_soft_margin_loss(x, y)
        tensor(0.3669)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _margin_batch(input, name):
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0) or (
            input.ndim < 2 and input.numel() == 0):
        raise EmberRuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                                f"size, but got: {list(input.shape)}")
    return input.ndim < 2


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """multilabel_margin_loss(input, target, reduction='mean') -> Tensor: for each sample,
    sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])), over C.
    ``target`` holds class indices, ended by the first -1.

    Example::

        >>> x, y = torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]])
        >>> F.multilabel_margin_loss(x, y)
        tensor(0.8500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    unbatched = _margin_batch(input, "multilabel_margin_loss")
    if target._array.dtype != np.int64:
        raise EmberRuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")
    if tuple(target.shape) != tuple(input.shape):
        raise EmberRuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                                f"size: {list(input.shape)}")
    x = input.reshape(1, -1) if unbatched else input
    t = target._array.reshape(x.shape)
    n, c = x.shape
    if ((t < -1) | (t >= c)).any():
        raise EmberRuntimeError("argument #2 'target' is out of range")
    # targets are the entries before the first -1
    listed = np.cumprod(t != -1, axis=1).astype(bool)
    safe = np.where(listed, t, 0)
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.broadcast_to(np.arange(n)[:, None], (n, c))
    is_target[rows[listed], safe[listed]] = True
    x_t = x.gather(1, wrap(safe))                         # (N, J): score of each listed target
    hinge = (1 - x_t.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)       # (N, J, C)
    mask = (listed[:, :, None] & ~is_target[:, None, :]).astype(x._array.dtype)
    loss = (hinge * wrap(mask)).sum((1, 2)) / c
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction='mean') -> Tensor:
    for each sample, sum over classes i != y of w[y] max(0, margin - x[y] + x[i])^p, over C.

    Example::

        >>> F.multi_margin_loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    unbatched = _margin_batch(input, "multi_margin_loss")
    x = input.reshape(1, -1) if unbatched else input
    n, c = x.shape
    t = target._array.reshape(-1)
    if target.ndim > 1 or t.size != n:
        raise EmberRuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal "
                                f"to the number of input samples (batch size). Expected target "
                                f"size [{n}], but got {list(target.shape)}. Input has shape "
                                f"{list(input.shape)}.")
    if ((t < 0) | (t >= c)).any():
        raise EmberRuntimeError("target out of range")
    if weight is not None and weight.numel() != c:
        raise EmberRuntimeError(f"inconsistent weight size, expected {c} but got "
                                f"{list(weight.shape)}")
    idx = t.astype(np.int64)[:, None]
    z = (margin - x.gather(1, wrap(idx)) + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[wrap(idx)]
    off_target = np.ones((n, c), dtype=x._array.dtype)
    np.put_along_axis(off_target, idx, 0, axis=1)
    loss = (z * wrap(off_target)).sum(1) / c
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _check_triplet(anchor, positive, negative, margin, reduction):
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise EmberRuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                                f"the same number of dimensions, but got: anchor {a}D, positive "
                                f"{p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
    reduction='mean') -> Tensor: max(0, margin + d(a, p) - d(a, n)), d the pairwise p-norm
    distance (with ``swap``, d(a, n) becomes min(d(a, n), d(p, n))).

    Example::

        >>> a, p, n = torch.tensor([[0., 0.]]), torch.tensor([[0., 1.]]), torch.tensor([[3., 4.]])
        >>> F.triplet_margin_loss(a, p, n, margin=5.0)
        tensor(1.0000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin, reduction)
    return triplet_margin_with_distance_loss(
        anchor, positive, negative, margin=margin, swap=swap, reduction=reduction,
        distance_function=lambda x1, x2: pairwise_distance(x1, x2, p, eps))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
    margin=1.0, swap=False, reduction='mean') -> Tensor: the triplet loss with any distance
    (pairwise_distance by default).

    Example::

        >>> a, p, n = torch.tensor([[0., 0.]]), torch.tensor([[0., 1.]]), torch.tensor([[3., 4.]])
        >>> F.triplet_margin_with_distance_loss(a, p, n, margin=5.0)
        tensor(1.0000)
    """
    _check_triplet(anchor, positive, negative, margin, reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# --- classification ------------------------------------------------------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean',
    label_smoothing=0.0) -> Tensor.

    Shape: input (N, C) or (N, C, d1, ...) or (C,) of logits; target (N) / (N, d1, ...) int64
    class indices, or class probabilities with the input's shape.

    Example::

        >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> F.cross_entropy(logits, torch.tensor([0, 2]))
        tensor(0.1755)
        >>> F.cross_entropy(logits, torch.tensor([0, 2]), label_smoothing=0.1)
        tensor(0.3455)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    try:
        return _nn.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
    except EmberRuntimeError as exc:
        hint = _cross_entropy_hint(input, target)
        if not hint:
            raise
        raise EmberRuntimeError(f"{hint}\n{exc}") from None


def _cross_entropy_hint(input, target):
    """What cross_entropy accepts, for the common mistake of class labels stored as floats
    (torch.tensor([0., 2.]), or a NumPy array); built on the error path only."""
    if not hasattr(target, "_array") or not hasattr(input, "_array"):
        return ""
    t = target._array
    shape = tuple(input._array.shape)
    if t.dtype.kind != "f" or len(shape) < 1:
        return ""
    index_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if tuple(t.shape) != index_shape:
        return ""
    c = shape[1] if len(shape) > 1 else shape[0]
    whole = bool(((t == np.round(t)) & (t >= 0) & (t < c)).all())
    looks = (f"its values are whole numbers in [0, {c}): class indices stored as floats; use "
             f"target.long() (or build it with dtype=torch.long, or "
             f"torch.from_numpy(labels).long())") if whole else (
        "for class probabilities give one row of C values per sample")
    return (f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}: "
            f"cross_entropy takes either class indices, an int64 tensor of shape "
            f"{_shape(index_shape)} with values in [0, {c}), or class probabilities, a "
            f"floating tensor of the input's shape {_shape(shape)}. This target is "
            f"{target.dtype} of shape {_shape(tuple(t.shape))}; {looks}")


def _shape(s):
    return "(" + ", ".join(str(n) for n in s) + ("," if len(s) == 1 else "") + ")"


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean') -> Tensor:
    the negative log-likelihood of class indices under log-probabilities ``input``.

    Example::

        >>> log_probs = torch.tensor([[-0.1, -2.5], [-1.2, -0.4]])
        >>> F.nll_loss(log_probs, torch.tensor([0, 1]))
        tensor(0.2500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
    reduction='mean', ignore_index=None, label_smoothing=0.0, options=None) -> Tensor:
    cross_entropy(linear(input, linear_weight, linear_bias), target, ...).

    Shapes: input (in_features) or (N, in_features); linear_weight (C, in_features) or
    (C, d1, ..., dK, in_features) for a K-dimensional loss (batched input only). ``options``
    (torch's chunking strategy) is accepted; the result and gradients do not depend on it.

    Example::

        >>> x, w = torch.randn(4, 8), torch.randn(10, 8)
        >>> target = torch.tensor([1, 0, 9, 3])
        >>> a = F.linear_cross_entropy(x, w, target)
        >>> b = F.cross_entropy(F.linear(x, w), target)
        >>> torch.allclose(a, b)
        True
    """
    if not 1 <= input.ndim <= 2:
        raise EmberRuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise EmberRuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                                f"{linear_weight.ndim}")
    batch = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise EmberRuntimeError(f"expected equal input and linear_weight last dimensions "
                                f"(in_features), got {in_features} and {linear_weight.shape[-1]}, "
                                "respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes,) + out_features:
        raise EmberRuntimeError(f"expected linear_bias shape {(num_classes,) + out_features}, got "
                                f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise EmberRuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = batch + (num_classes,) + out_features
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise EmberRuntimeError("ignore_index cannot be specified when target contains "
                                "probabilities")
    if out_features:
        flat = num_classes * math.prod(out_features)
        linear_weight = linear_weight.reshape(flat, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = _linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return _nn.cross_entropy(logits, target, weight, -100 if ignore_index is None else ignore_index,
                             reduction, label_smoothing)


# --- CTC -----------------------------------------------------------------------------------------
def _lengths(x, name):
    if isinstance(x, Tensor):
        a = x._array
        if a.dtype.kind not in "iu":
            raise EmberRuntimeError(f"{name} must be integral")
        return a.reshape(-1).astype(np.int64)
    if isinstance(x, (int, np.integer)):
        return np.array([int(x)], dtype=np.int64)
    return np.asarray([int(v) for v in x], dtype=np.int64)


def _ctc_extended_targets(targets, tgt_len, n, blank, n_classes):
    """(N, 2S + 1) labels interleaved with blanks, S the longest target."""
    t = targets._array
    if t.ndim == 2:             # padded (N, S)
        t2 = t
        s_max = int(tgt_len.max(initial=0))
        if t2.shape[1] < s_max:
            raise EmberRuntimeError(f"Expected tensor to have size at least {s_max} at dimension "
                                    f"1, but got size {t2.shape[1]} for argument #2 'targets' "
                                    "(while checking arguments for ctc_loss)")
        labels = t2[:, :s_max]
    else:
        total = int(tgt_len.sum())
        if t.ndim != 1 or t.shape[0] != total:
            raise EmberRuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                                    f"size {t.shape[0] if t.ndim else 0} for argument #2 'targets' "
                                    "(while checking arguments for ctc_loss)")
        s_max = int(tgt_len.max(initial=0))
        labels = np.zeros((n, s_max), dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
        pos = np.arange(s_max)
        inside = pos[None, :] < tgt_len[:, None]
        labels[inside] = t.astype(np.int64)[(offsets[:, None] + pos[None, :])[inside]]
    labels = labels.astype(np.int64)
    inside = np.arange(labels.shape[1])[None, :] < tgt_len[:, None]
    bad = inside & ((labels < 0) | (labels >= n_classes))
    if bad.any():
        raise EmberIndexError(f"ctc_loss: target label {int(labels[bad][0])} is out of range for "
                              f"log_probs with {n_classes} classes")
    ext = np.full((n, 2 * labels.shape[1] + 1), blank, dtype=np.int64)
    ext[:, 1::2] = np.where(inside, labels, blank)
    return ext


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
    zero_infinity=False) -> Tensor: the Connectionist Temporal Classification loss.

    Shapes: log_probs (T, N, C) or (T, C), log-softmax outputs; targets (N, S) padded, or the
    concatenation of all targets (sum(target_lengths)); input_lengths and target_lengths (N)
    (tensors or sequences of ints). 'mean' divides each loss by its target length, then
    averages over the batch; zero_infinity zeroes infinite losses and their gradients.

    Example::

        >>> log_probs = torch.randn(6, 2, 4).log_softmax(2)
        >>> targets = torch.tensor([[1, 2], [3, 3]])
        >>> loss = F.ctc_loss(log_probs, targets, torch.tensor([6, 6]), torch.tensor([2, 2]))
        >>> loss.shape
        torch.Size([])
    """
    _check_reduction(reduction)
    if log_probs.ndim not in (2, 3):
        raise EmberRuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
                                f"{list(log_probs.shape)}")
    if log_probs._array.dtype.kind != "f":
        raise EmberRuntimeError(f"ctc_loss: log_probs must be a floating point tensor, got "
                                f"{log_probs.dtype}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    T, n, c = lp.shape
    in_len = _lengths(input_lengths, "input_lengths")
    tgt_len = _lengths(target_lengths, "target_lengths")
    if in_len.shape[0] != n:
        raise EmberRuntimeError("input_lengths must be of size batch_size")
    if tgt_len.shape[0] != n:
        raise EmberRuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < c:
        raise EmberRuntimeError("blank must be in label range")
    for name, lens in (("input_lengths", in_len), ("target_lengths", tgt_len)):
        if (lens < 0).any():
            raise EmberRuntimeError(f"Expected {name} to have value at least 0, but got value "
                                    f"{int(lens[lens < 0][0])} (while checking arguments for "
                                    "ctc_loss)")
    if (in_len > T).any():
        raise EmberRuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                                f"{int(in_len[in_len > T][0])} (while checking arguments for "
                                "ctc_loss)")
    ext = _ctc_extended_targets(targets.unsqueeze(0) if unbatched else targets, tgt_len, n,
                                blank, c)
    nll = _loss.ctc_nll(lp, ext, in_len, tgt_len, zero_infinity)
    if reduction == "mean":
        divisor = wrap(np.maximum(tgt_len, 1).astype(lp._array.dtype))
        return (nll / divisor).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.reshape(()) if unbatched else nll
