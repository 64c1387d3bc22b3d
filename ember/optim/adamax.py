"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from .optimizer import (
    Optimizer,
    _bump,
    _check,
    _check_betas,
    _check_lr,
    _grad_of,
    _lerp_,
    _real,
    _scalar,
    _tick,
    _value,
    _zeros,
)


class Adamax(Optimizer):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
    maximize=False, differentiable=False, capturable=False): Adam whose second moment is an
    exponentially weighted infinity norm, u = max(beta2 * u, |g| + eps).

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Adamax([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [3.01, 3.01]
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        b1, b2 = group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["exp_avg"] = _zeros(p)
                st["exp_inf"] = _zeros(p)
            step = _tick(st)
            w = p._array
            if wd != 0:
                g = g + wd * w
            w, g = _real(w), _real(g)
            m, u = _real(st["exp_avg"]._array), _real(st["exp_inf"]._array)
            _lerp_(m, g, 1 - b1)
            u *= b2
            t = np.abs(g)
            t += eps
            np.maximum(u, t, out=u)
            np.divide(m, u, out=t)
            t *= -lr / (1 - b1 ** step)
            w += t
            _bump(p)
