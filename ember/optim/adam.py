"""Adam and AdamW (Adam with decoupled weight decay), with amsgrad and maximize."""
import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    _bump,
    _check,
    _check_betas,
    _check_lr,
    _grad_of,
    _real,
    _scalar,
    _tick,
    _value,
    _zeros,
)


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False): adaptive moment estimation.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` and, with amsgrad,
    ``max_exp_avg_sq``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.98, 2.98]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            _check(not (foreach and not capturable),
                   "lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        floats = isinstance(betas[0], float) and isinstance(betas[1], float)
        tensors = isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)
        _check(floats or tensors, "betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor):
                _check(capturable or not foreach, f"betas[{i}] as a Tensor is not supported "
                       "for capturable=False and foreach=True")
                _check(b.numel() == 1, f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b for b in betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))
        if fused:
            if differentiable:
                raise EmberRuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise EmberRuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _update_group(self, group):
        lr = _value(group["lr"])
        b1, b2 = (_value(b) for b in group["betas"])
        eps, wd = group["eps"], group["weight_decay"]
        amsgrad, decoupled = group["amsgrad"], group["decoupled_weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["exp_avg"] = _zeros(p)
                st["exp_avg_sq"] = _zeros(p)
                if amsgrad:
                    st["max_exp_avg_sq"] = _zeros(p)
            step = _tick(st)
            w = p._array
            if wd != 0:
                if decoupled:
                    w *= 1 - lr * wd
                else:
                    g = g + wd * w
            w, g = _real(w), _real(g)
            m, v = _real(st["exp_avg"]._array), _real(st["exp_avg_sq"]._array)
            # m.lerp_(g, 1 - b1) as _lerp_ computes it, through this update's one scratch array
            # (a second parameter-sized temporary costs a page-faulted allocation per step)
            t = np.subtract(g, m)
            if abs(1 - b1) < 0.5:
                t *= 1 - b1
                m += t
            else:
                t *= b1
                np.subtract(g, t, out=m)
            np.multiply(g, 1 - b2, out=t)
            t *= g
            v *= b2
            v += t
            step_size = lr / (1 - b1 ** step)
            bc2_sqrt = (1 - b2 ** step) ** 0.5
            if amsgrad:
                vmax = _real(st["max_exp_avg_sq"]._array)
                np.maximum(vmax, v, out=vmax)
                v = vmax
            np.sqrt(v, out=t)
            t /= bc2_sqrt
            t += eps
            np.divide(m, t, out=t)
            t *= -step_size
            w += t
            _bump(p)


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None): Adam
    whose weight decay shrinks the parameters directly, p *= 1 - lr * weight_decay, instead of
    entering the moment estimates.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.01)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.95, 2.95]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
