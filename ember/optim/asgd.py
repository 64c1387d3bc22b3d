"""ASGD: averaged stochastic gradient descent."""

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


class ASGD(Optimizer):
    """ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
    maximize=False, differentiable=False, capturable=False): SGD with a decaying step size
    eta = lr / (1 + lambd * lr * t) ** alpha and a running average ``ax`` of the parameters,
    started after t0 steps.

    State per parameter: ``step``, ``eta``, ``mu``, ``ax``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.ASGD([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [3.0, 3.0]
    """

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update_group(self, group):
        lr = _value(group["lr"])
        lambd, alpha, t0, wd = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                st["eta"] = _scalar(lr)
                st["mu"] = _scalar(1.0)
                st["ax"] = _zeros(p)
            step = _tick(st)
            w = p._array
            if wd != 0:
                g = g + wd * w
            w, g, ax = _real(w), _real(g), _real(st["ax"]._array)
            eta_a, mu_a = st["eta"]._array, st["mu"]._array
            eta = float(eta_a)
            w *= 1 - lambd * eta
            w -= eta * g
            mu = float(mu_a)
            if mu != 1:
                d = w - ax
                d *= mu
                ax += d
            else:
                ax[...] = w
            eta_a[...] = lr / (1 + lambd * lr * step) ** alpha
            mu_a[...] = 1 / max(1, step - t0)
            _bump(p)
