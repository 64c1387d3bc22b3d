"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
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


class RAdam(Optimizer):
    """RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False): Adam that takes plain momentum steps while the variance estimate
    is unreliable (rho_t <= 5) and rectified adaptive steps afterwards.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.RAdam([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.96, 2.96]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        b1, b2 = group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - b2) - 1
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["exp_avg"] = _zeros(p)
                st["exp_avg_sq"] = _zeros(p)
            step = _tick(st)
            w = p._array
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    w *= 1 - lr * wd
                else:
                    g = g + wd * w
            w, g = _real(w), _real(g)
            m, v = _real(st["exp_avg"]._array), _real(st["exp_avg_sq"]._array)
            _lerp_(m, g, 1 - b1)
            v *= b2
            v += (1 - b2) * g * g
            bc2 = 1 - b2 ** step
            upd = m / (1 - b1 ** step)
            upd *= lr
            rho_t = rho_inf - 2 * step * b2 ** step / bc2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = np.sqrt(v)
                adaptive += eps
                np.divide(bc2 ** 0.5, adaptive, out=adaptive)
                upd *= adaptive
                upd *= rect
            w -= upd
            _bump(p)
