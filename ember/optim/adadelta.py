"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
import numpy as np

from .optimizer import (
    Optimizer,
    _bump,
    _check,
    _check_lr,
    _grad_of,
    _real,
    _scalar,
    _tick,
    _value,
    _zeros,
)


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
    capturable=False, maximize=False, differentiable=False): each update is
    sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g, scaled by lr.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Adadelta([w], lr=10.0)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.45, 2.45]
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable, foreach=foreach,
                                      differentiable=differentiable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["square_avg"] = _zeros(p)
                st["acc_delta"] = _zeros(p)
            _tick(st)
            w = p._array
            if wd != 0:
                g = g + wd * w
            w, g = _real(w), _real(g)
            sq, acc = _real(st["square_avg"]._array), _real(st["acc_delta"]._array)
            sq *= rho
            sq += (1 - rho) * g * g
            std = sq + eps
            np.sqrt(std, out=std)
            delta = acc + eps
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= g
            acc *= rho
            acc += (1 - rho) * delta * delta
            delta *= -lr
            w += delta
            _bump(p)
