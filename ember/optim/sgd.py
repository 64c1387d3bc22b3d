"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
import numpy as np

from .._errors import EmberValueError
from ..tensor import wrap
from .optimizer import Optimizer, _bump


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False): p -= lr * g (with momentum buffers as in torch)."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, (int, float)) and lr < 0.0:
            raise EmberValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise EmberValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise EmberValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise EmberValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group):
        lr = float(group["lr"])
        mu, damp, wd = group["momentum"], group["dampening"], group["weight_decay"]
        nesterov, maximize = group["nesterov"], group["maximize"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            w, g = p._array, grad._array
            if maximize:
                g = -g
            if wd:
                g = g + wd * w
            if mu:
                st = self.state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    st["momentum_buffer"] = buf = wrap(np.array(g, copy=True))
                    b = buf._array
                else:
                    b = buf._array
                    b *= mu
                    b += (1 - damp) * g
                g = g + mu * b if nesterov else b
            if w.dtype == g.dtype and w.shape == g.shape:
                w -= lr * g
            else:
                w -= (lr * g).astype(w.dtype)
            _bump(p)
