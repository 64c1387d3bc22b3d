"""Schedulers made of schedulers: one after another (SequentialLR) or all at once
(ChainedScheduler)."""
from bisect import bisect_right

from ..._errors import EmberTypeError, EmberValueError
from ._base import LRScheduler, _set, _values
from ._plateau import ReduceLROnPlateau


def _check_composite(cls_name, optimizer, schedulers):
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise EmberTypeError(f"{cls_name} at index {i} should have `optimizer` as its "
                                 "attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise EmberValueError(
                f"{cls_name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.")
        if optimizer != s.optimizer:
            raise EmberValueError(
                f"{cls_name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(s).__name__} at index {i} has {s.optimizer}, which is "
                f"different from {type(optimizer).__name__}.")


class _Composite:
    """state_dict support for schedulers made of schedulers."""

    def state_dict(self):
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, d in zip(self._schedulers, saved):
            s.load_state_dict(d)


class SequentialLR(_Composite, LRScheduler):
    """SequentialLR(optimizer, schedulers, milestones, last_epoch=-1): run ``schedulers[i]``
    between ``milestones[i-1]`` and ``milestones[i]``; each starts from its own epoch 0.

    Example::

        >>> opt = optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> sched = optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(opt.param_groups[0]['lr'], 4))
        ...     opt.step()
        ...     sched.step()
        ...
        >>> lrs
        [0.05, 0.075, 0.1, 0.05, 0.025]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise EmberValueError(f"{name} expects at least one scheduler, but got no "
                                  "scheduler.")
        _check_composite(name, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise EmberValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the sub-schedulers already took their first step at construction: undo that, then
        # start the first one afresh
        for group in optimizer.param_groups:
            _set(group, "lr", group["initial_lr"])
        self.recursive_undo()
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched=None):
        """Step every (nested) sub-scheduler's ``last_epoch`` back by one."""
        s = self if sched is None else sched
        if hasattr(s, "_schedulers"):
            for sub in s._schedulers:
                self.recursive_undo(sub)
        elif hasattr(s, "last_epoch"):
            s.last_epoch -= 1

    def step(self):
        """step(): advance one epoch in the scheduler whose phase this is."""
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            s._update_lr(0)          # a new phase starts at the scheduler's epoch 0
        else:
            s.step()
        self._last_lr = s.get_last_lr()


class ChainedScheduler(_Composite, LRScheduler):
    """ChainedScheduler(schedulers, optimizer=None): each ``step()`` steps every scheduler in
    turn, so their chainable updates compose.

    Example::

        >>> opt = optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> lr_scheduler = optim.lr_scheduler
        >>> sched = lr_scheduler.ChainedScheduler([
        ...     lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
        ...     lr_scheduler.ExponentialLR(opt, gamma=0.9)])
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(opt.param_groups[0]['lr'], 4))
        ...     opt.step()
        ...     sched.step()
        ...
        >>> lrs
        [0.05, 0.045, 0.081, 0.0729]
    """

    def __init__(self, schedulers, optimizer=None):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise EmberValueError(f"{name} expects at least one scheduler to be chained, but got "
                                  "no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_composite(name, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _values(self._schedulers[-1].optimizer, "lr")

    def step(self):
        """step(): step every chained scheduler."""
        for s in self._schedulers:
            s.step()
        self._last_lr = _values(self._schedulers[-1].optimizer, "lr")
