"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
import numpy as np

from ..tensor import wrap
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_of, _real, _scalar, _tick, _value


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None): divides
    each step by the root of the running sum of squared gradients.

    State per parameter (made at construction, as in torch): ``step``, ``sum``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.5)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [3.0, 3.0]
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, init):
        st = self.state[p]
        st["step"] = _scalar()
        a = p._array
        st["sum"] = wrap(np.full_like(a, complex(init, init) if a.dtype.kind == "c" else init))
        return st

    def share_memory(self):
        """share_memory(): a no-op in ember (state lives in this process's arrays)."""

    def _update_group(self, group):
        lr = _value(group["lr"])
        lr_decay, eps, wd = group["lr_decay"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:     # a parameter added after construction
                st = self._init_state(p, self.defaults["initial_accumulator_value"])
            step = _tick(st)
            w = p._array
            if wd != 0:
                g = g + wd * w
            w, g = _real(w), _real(g)
            s = _real(st["sum"]._array)
            s += g * g
            std = np.sqrt(s)
            std += eps
            np.divide(g, std, out=std)
            std *= -lr / (1 + (step - 1) * lr_decay)
            w += std
            _bump(p)
