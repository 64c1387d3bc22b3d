"""RMSprop, optionally centered and with momentum."""
import numpy as np

from .optimizer import (
    Optimizer,
    _bump,
    _check,
    _check_lr,
    _grad_of,
    _lerp_,
    _real,
    _scalar,
    _tick,
    _value,
    _zeros,
)


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, capturable=False, foreach=None, maximize=False, differentiable=False):
    divides the gradient by a running root mean square of recent gradients (centered: by
    their running standard deviation).

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> for _ in range(400):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.97, 2.97]
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
        mom, centered = group["momentum"], group["centered"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["square_avg"] = _zeros(p)
                if mom > 0:
                    st["momentum_buffer"] = _zeros(p)
                if centered:
                    st["grad_avg"] = _zeros(p)
            _tick(st)
            w = p._array
            if wd != 0:
                g = g + wd * w
            w, g = _real(w), _real(g)
            sq = _real(st["square_avg"]._array)
            sq *= alpha
            sq += (1 - alpha) * g * g
            if centered:
                ga = _real(st["grad_avg"]._array)
                _lerp_(ga, g, 1 - alpha)
                avg = sq - ga * ga
                np.sqrt(avg, out=avg)
            else:
                avg = np.sqrt(sq)
            avg += eps
            if mom > 0:
                buf = _real(st["momentum_buffer"]._array)
                buf *= mom
                buf += g / avg
                w -= lr * buf
            else:
                np.divide(g, avg, out=avg)
                avg *= -lr
                w += avg
            _bump(p)
