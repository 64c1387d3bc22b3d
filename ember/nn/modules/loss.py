"""Loss modules: hold ``reduction`` (and options, class weights as buffers), call
nn.functional."""
import dataclasses
import math

from .. import functional as F
from .activation import PairwiseDistance
from .linear import Linear
from .module import Module

__all__ = [
    "L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "SmoothL1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss", "MultiMarginLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss", "CTCLoss", "LinearCrossEntropyLoss",
    "LinearCrossEntropyOptions",
]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = F._legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


# --- regression ----------------------------------------------------------------------------------
class L1Loss(_Loss):
    """L1Loss(reduction='mean'): mean absolute error between input and target.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> nn.L1Loss()(input, target)
        tensor(0.6250)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """MSELoss(reduction='mean'): mean squared error between input and target (same shape).

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the elementwise squared errors).

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> nn.MSELoss()(input, target)
        tensor(0.5625)
        >>> nn.MSELoss(reduction='none')(input, target)
        tensor([[0.2500, 0.0000],
                [1.0000, 1.0000]])
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """SmoothL1Loss(reduction='mean', beta=1.0): quadratic for |d| < beta, linear beyond.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> nn.SmoothL1Loss()(input, target)
        tensor(0.2812)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """HuberLoss(reduction='mean', delta=1.0): 0.5 d² for |d| < delta, else
    delta (|d| - 0.5 delta).

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        >>> nn.HuberLoss()(input, target)
        tensor(0.2812)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class GaussianNLLLoss(_Loss):
    """GaussianNLLLoss(*, full=False, eps=1e-06, reduction='mean'): the negative log-likelihood
    of target under N(input, var); forward(input, target, var).

    Shape:
        Input ``(N, *)``, target the same shape, var the same shape or one fewer trailing size.
        Output: scalar (``(N, *)`` with ``reduction='none'``).

    Example::

        >>> input = torch.tensor([[1.0], [2.0]])
        >>> target = torch.tensor([[1.5], [2.0]])
        >>> var = torch.ones(2, 1)
        >>> nn.GaussianNLLLoss()(input, target, var)
        tensor(0.0625)
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """PoissonNLLLoss(log_input=True, full=False, eps=1e-08, reduction='mean').

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> log_rate = torch.tensor([0.0, 1.0])
        >>> counts = torch.tensor([1.0, 3.0])
        >>> nn.PoissonNLLLoss()(log_rate, counts)
        tensor(0.3591)
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class KLDivLoss(_Loss):
    """KLDivLoss(reduction='mean', log_target=False): KL divergence for log-probability inputs
    ('batchmean' gives the mathematical definition).

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> log_q = torch.tensor([[0.25, 0.75]]).log()
        >>> p = torch.tensor([[0.5, 0.5]])
        >>> nn.KLDivLoss(reduction='batchmean')(log_q, p)
        tensor(0.1438)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


# --- classification ------------------------------------------------------------------------------
class CrossEntropyLoss(_WeightedLoss):
    """CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
    log_softmax over dim 1 then the negative log-likelihood of the targets.

    Args:
        weight: a ``(C,)`` tensor rescaling each class's loss.
        ignore_index: a target class index that contributes nothing (class-index targets only).
        reduction: ``'mean'`` (weighted mean over the batch), ``'sum'`` or ``'none'``.
        label_smoothing: in ``[0, 1]``; mixes the targets with the uniform distribution.

    Shape:
        Input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` of unnormalized scores (logits). Target:
        class indices ``(N)`` / ``()`` / ``(N, d1, ...)`` (int64), or class probabilities with the
        input's shape. Output: scalar, or the target's batch shape with ``reduction='none'``.

    Example::

        >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> labels = torch.tensor([0, 2])
        >>> nn.CrossEntropyLoss()(logits, labels)
        tensor(0.1755)
        >>> nn.CrossEntropyLoss(reduction='none')(logits, labels)
        tensor([0.2413, 0.1096])
        >>> probs = torch.tensor([[0.8, 0.2, 0.0], [0.0, 0.0, 1.0]])
        >>> nn.CrossEntropyLoss()(logits, probs)
        tensor(0.3255)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """NLLLoss(weight=None, ignore_index=-100, reduction='mean'): for log-probability inputs.

    Shape:
        Input ``(N, C)`` or ``(N, C, d1, ...)`` of log-probabilities; target ``(N)`` or ``(N, d1,
        ...)`` class indices. Output: scalar, or the target's shape with ``reduction='none'``.

    Example::

        >>> log_probs = torch.tensor([[-0.1, -2.5], [-1.2, -0.4]])
        >>> nn.NLLLoss()(log_probs, torch.tensor([0, 1]))
        tensor(0.2500)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """BCELoss(weight=None, reduction='mean'): binary cross-entropy of probabilities.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> p = torch.tensor([0.9, 0.2, 0.6])
        >>> y = torch.tensor([1., 0., 1.])
        >>> nn.BCELoss()(p, y)
        tensor(0.2798)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None): sigmoid and binary
    cross-entropy in one numerically stable step; ``pos_weight`` weighs positive targets.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> logits = torch.tensor([2.0, -1.0, 0.5])
        >>> y = torch.tensor([1., 0., 1.])
        >>> nn.BCEWithLogitsLoss()(logits, y)
        tensor(0.3048)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """MultiLabelSoftMarginLoss(weight=None, reduction='mean'): one-versus-all logistic loss,
    averaged over classes.

    Shape:
        Input and target ``(N, C)``. Output: scalar, or ``(N)`` with ``reduction='none'``.

    Example::

        >>> x = torch.tensor([[1.0, -1.0, 0.5]])
        >>> y = torch.tensor([[1., 0., 1.]])
        >>> nn.MultiLabelSoftMarginLoss()(x, y)
        tensor(0.3669)
    """

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """MultiLabelMarginLoss(reduction='mean'): multi-class multi-label hinge loss; targets are
    class indices ended by -1.

    Shape:
        Input ``(N, C)`` or ``(C)``; target the same shape (int64, -1 ends the label list). Output:
        scalar, or ``(N)`` with ``reduction='none'``.

    Example::

        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> y = torch.tensor([[3, 0, -1, 1]])
        >>> nn.MultiLabelMarginLoss()(x, y)
        tensor(0.8500)
    """

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """MultiMarginLoss(p=1, margin=1.0, weight=None, reduction='mean'): multi-class hinge loss.

    Shape:
        Input ``(N, C)`` or ``(C)``; target ``(N)`` or ``()`` class indices. Output: scalar, or
        ``(N)`` with ``reduction='none'``.

    Example::

        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> nn.MultiMarginLoss()(x, torch.tensor([3]))
        tensor(0.3250)
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.ndim}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """SoftMarginLoss(reduction='mean'): log(1 + exp(-y x)) for targets y in {-1, 1}.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> input = torch.tensor([[0.5, 2.0], [1.0, -1.0]])
        >>> target = torch.tensor([[1., -1.], [1., -1.]])
        >>> nn.SoftMarginLoss()(input, target)
        tensor(0.8069)
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


# --- margin / embedding --------------------------------------------------------------------------
class CosineEmbeddingLoss(_Loss):
    """CosineEmbeddingLoss(margin=0.0, reduction='mean'): forward(input1, input2, target).

    Shape:
        ``input1``, ``input2``: ``(N, D)`` or ``(D)``; target ``(N)`` or ``()`` of 1 and -1. Output:
        scalar, or ``(N)`` with ``reduction='none'``.

    Example::

        >>> x1 = torch.tensor([[1., 0.], [1., 0.]])
        >>> x2 = torch.tensor([[1., 1.], [0., 1.]])
        >>> nn.CosineEmbeddingLoss()(x1, x2, torch.tensor([1., -1.]))
        tensor(0.1464)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """MarginRankingLoss(margin=0.0, reduction='mean'): max(0, -y (x1 - x2) + margin).

    Shape:
        ``input1``, ``input2``, target: ``(N)`` or ``()``. Output: scalar, or ``(N)`` with
        ``reduction='none'``.

    Example::

        >>> x1 = torch.tensor([1.0, 0.2])
        >>> x2 = torch.tensor([0.5, 0.4])
        >>> nn.MarginRankingLoss(margin=0.1)(x1, x2, torch.tensor([1., 1.]))
        tensor(0.1500)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """HingeEmbeddingLoss(margin=1.0, reduction='mean'): x for y = 1, max(0, margin - x) for
    y = -1.

    Shape:
        Input ``(*)``, target the same shape. Output: a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example::

        >>> x = torch.tensor([0.3, 2.0, 0.5])
        >>> nn.HingeEmbeddingLoss()(x, torch.tensor([1., -1., -1.]))
        tensor(0.2667)
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean'):
    max(0, margin + d(a, p) - d(a, n)).

    Shape:
        anchor, positive, negative: ``(N, D)`` or ``(D)``. Output: scalar, or ``(N)`` with
        ``reduction='none'``.

    Example::

        >>> anchor = torch.tensor([[0., 0.]])
        >>> positive = torch.tensor([[0., 1.]])
        >>> negative = torch.tensor([[3., 4.]])
        >>> nn.TripletMarginLoss(margin=5.0)(anchor, positive, negative)
        tensor(1.0000)
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """TripletMarginWithDistanceLoss(*, distance_function=None, margin=1.0, swap=False,
    reduction='mean'): the triplet loss with any distance (PairwiseDistance() by default).

    Shape:
        anchor, positive, negative: ``(N, *)``. Output: scalar, or ``(N)`` with
        ``reduction='none'``.

    Example::

        >>> anchor = torch.tensor([[0., 0.]])
        >>> positive = torch.tensor([[0., 1.]])
        >>> negative = torch.tensor([[3., 4.]])
        >>> loss = nn.TripletMarginWithDistanceLoss(margin=5.0)
        >>> loss(anchor, positive, negative)
        tensor(1.0000)
    """

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than "
                             f"0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """CTCLoss(blank=0, reduction='mean', zero_infinity=False): Connectionist Temporal
    Classification; forward(log_probs, targets, input_lengths, target_lengths).

    Shape:
        log_probs ``(T, N, C)`` (T time steps, C classes with the blank); targets ``(N, S)`` or the
        concatenated ``(sum(target_lengths),)``; input_lengths and target_lengths ``(N)``. Output:
        scalar, or ``(N)`` with ``reduction='none'``.

    Example::

        >>> log_probs = torch.randn(6, 2, 4).log_softmax(2)
        >>> targets = torch.tensor([[1, 2], [3, 3]])
        >>> loss = nn.CTCLoss()(log_probs, targets, torch.tensor([6, 6]), torch.tensor([2, 2]))
        >>> loss.shape, bool(loss > 0)
        (torch.Size([]), True)
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)


# --- fused linear + cross-entropy ----------------------------------------------------------------
@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None,
    chunking_method='auto', acc_policy='auto', acc_dtype=None)

    torch's chunking strategy for linear_cross_entropy. ember computes the same loss and
    gradients whatever the options; they are kept for API compatibility.

    Example:
        >>> opts = nn.LinearCrossEntropyOptions(batch_chunk_size=64)
        >>> opts.batch_chunk_size, opts.chunking_method
        (64, 'auto')
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int = None
    chunking_method: str = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None


class LinearCrossEntropyLoss(_WeightedLoss):
    """LinearCrossEntropyLoss(in_features, num_classes, *, out_features=(), bias=False,
    device=None, dtype=None, reduction='mean', weight=None, ignore_index=None,
    label_smoothing=0.0, options=None): a Linear layer (``self.linear``, weight stored flat as
    (num_classes * prod(out_features), in_features)) followed by cross-entropy.

    Shape: input (in_features) or (N, in_features); target (), (N) or (N, *out_features) class
    indices, or (C) / (N, C, *out_features) class probabilities.

    Example::

        >>> loss_fn = nn.LinearCrossEntropyLoss(8, 10)
        >>> loss = loss_fn(torch.randn(4, 8), torch.tensor([1, 0, 9, 3]))
        >>> loss.shape, loss_fn.linear.weight.shape
        (torch.Size([]), torch.Size([10, 8]))
    """

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None,
                 dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None):
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got "
                               f"{tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got "
                               f"{label_smoothing}")
        super().__init__(weight, None, None, reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes), bias=bias,
                             device=device, dtype=dtype)
        self.options = options

    def forward(self, input, target):
        lin = self.linear
        w = lin.weight.reshape((self.num_classes, *self.out_features, lin.in_features))
        b = (lin.bias.reshape((self.num_classes, *self.out_features))
             if lin.bias is not None else None)
        return F.linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
