"""Rprop: resilient backpropagation, per-coordinate step sizes driven by gradient signs."""
import numpy as np

from ..tensor import wrap
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_of, _real, _scalar, _tick, _value


class Rprop(Optimizer):
    """Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
    foreach=None, maximize=False, differentiable=False): each coordinate's step size grows by
    etaplus while its gradient keeps its sign and shrinks by etaminus when the sign flips (that
    step is then skipped); parameters move by -sign(g) * step_size.

    State per parameter: ``step``, ``prev`` (last gradient used), ``step_size``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Rprop([w], lr=0.1)
        >>> for _ in range(50):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [3.0, 3.0]
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update_group(self, group):
        etaminus, etaplus = group["etas"]
        smin, smax = group["step_sizes"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            st = self.state[p]
            if not st:
                lr = _value(group["lr"])
                st["step"] = _scalar()
                st["prev"] = wrap(np.zeros_like(p._array))
                st["step_size"] = wrap(np.full_like(
                    g, complex(lr, lr) if g.dtype.kind == "c" else lr))
            _tick(st)
            w, g = _real(p._array), _real(g)
            prev, size = _real(st["prev"]._array), _real(st["step_size"]._array)
            s = g * prev
            flipped = s < 0
            factor = np.where(s > 0, etaplus, 1.0).astype(size.dtype)
            factor[flipped] = etaminus
            size *= factor
            np.clip(size, smin, smax, out=size)
            g = np.where(flipped, 0, g).astype(g.dtype, copy=False)
            w -= np.sign(g) * size
            prev[...] = g
            _bump(p)
