"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
import numpy as np

from ..tensor import wrap
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_of, _value


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None): stochastic gradient
    descent, p -= lr * g, with torch's momentum buffer (the first step's buffer is the
    gradient itself).

    Example:
        >>> import ember as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = torch.optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    _scalar_state = ()

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_lr(lr)
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group):
        lr = _value(group["lr"])
        mu, damp = group["momentum"], group["dampening"]
        wd = _value(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        for p in group["params"]:
            g = _grad_of(p, maximize)
            if g is None:
                continue
            w = p._array
            if wd != 0:
                g = g + wd * w
            if mu != 0:
                st = self.state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    st["momentum_buffer"] = wrap(np.array(g, copy=True))
                    b = st["momentum_buffer"]._array
                else:
                    b = buf._array
                    b *= mu
                    b += (1 - damp) * g
                g = g + mu * b if nesterov else b
            w -= lr * g
            _bump(p)
