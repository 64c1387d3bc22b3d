"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
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


class NAdam(Optimizer):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
    capturable=False, differentiable=False): Adam with Nesterov momentum; the momentum
    coefficient at step t is beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)).

    State per parameter: ``step``, ``mu_product`` (the running product of those
    coefficients), ``exp_avg``, ``exp_avg_sq``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [3.0, 3.0]
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        b1, b2 = group["betas"]
        eps, wd, psi = group["eps"], group["weight_decay"], group["momentum_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["mu_product"] = _scalar(1.0)
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
            mu = b1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mp = st["mu_product"]._array
            mp *= mu                  # kept in the scalar dtype, as torch rounds it
            mu_prod = float(mp)
            _lerp_(m, g, 1 - b1)
            v *= b2
            v += (1 - b2) * g * g
            denom = v / (1 - b2 ** step)
            np.sqrt(denom, out=denom)
            denom += eps
            w += (-lr * (1.0 - mu) / (1.0 - mu_prod)) * g / denom
            w += (-lr * mu_next / (1.0 - mu_prod * mu_next)) * m / denom
            _bump(p)
