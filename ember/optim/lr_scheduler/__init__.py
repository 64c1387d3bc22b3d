"""Learning-rate schedulers with torch's semantics: each ``step()`` rewrites ``group["lr"]`` (and,
for the cyclic ones, the momentum) of every parameter group, ``get_last_lr()`` returns what was
set, and ``state_dict()`` is the scheduler's attributes except the optimizer, under torch's
attribute names so saved states carry over.

Most schedules are applied in torch's *chainable* form: the new lr is computed from the group's
current lr (so several schedulers can act on one optimizer), which is why the formulas in
_epoch.py are ratios between consecutive steps. ``step(epoch)`` (deprecated in torch) uses the
closed form where one exists.
"""
from ._base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from ._combine import ChainedScheduler, SequentialLR
from ._cyclic import CyclicLR, OneCycleLR
from ._epoch import (ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR,
                     LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR)
from ._plateau import ReduceLROnPlateau

__all__ = ["EPOCH_DEPRECATION_WARNING", "ChainedScheduler", "ConstantLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "ExponentialLR", "LRScheduler",
           "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
           "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR", "_LRScheduler"]
