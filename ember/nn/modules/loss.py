"""Loss modules: hold ``reduction`` (and options), call nn.functional."""
from .. import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = F._legacy_reduction(size_average, reduce, reduction)


class MSELoss(_Loss):
    """MSELoss(reduction='mean'): mean squared error between input and target (same shape)."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)
