"""Adafactor: Adam-like steps whose second moment of a matrix is stored factored, as one
running row statistic and one column statistic."""
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..tensor import Tensor, wrap
from .optimizer import Optimizer, _bump, _check, _grad_of, _lerp_, _scalar, _tick, _value


class Adafactor(Optimizer):
    """Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
    *, foreach=None, maximize=False): the second-moment decay is 1 - t ** beta2_decay; a
    parameter with two or more dimensions keeps ``row_var`` (last dim reduced) and ``col_var``
    (second-to-last dim reduced) instead of a full ``variance``; steps are scaled by the
    parameter's RMS and clipped to RMS at most ``d``.

    State per parameter: ``step`` and either ``row_var`` + ``col_var`` or ``variance``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.Adafactor([w], lr=0.1)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [2.22, 2.22]
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        _check(not isinstance(lr, Tensor) or lr.numel() == 1, "Tensor lr must be 1-element")
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        _check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        _check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        _check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _update_group(self, group):
        lr = _value(group["lr"])
        eps1, eps2 = group["eps"]
        decay, d, wd = group["beta2_decay"], group["d"], group["weight_decay"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            if p.is_complex():
                raise EmberRuntimeError("Adafactor does not support complex parameters")
            st = self.state[p]
            if not st:
                st["step"] = _scalar()
                if g.ndim > 1:
                    st["row_var"] = wrap(np.zeros(g.shape[:-1] + (1,), g.dtype))
                    st["col_var"] = wrap(np.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                else:
                    st["variance"] = wrap(np.zeros_like(g))
            w = p._array
            e1 = eps1 if eps1 is not None else float(_dt.finfo(p.dtype).eps)
            step = _tick(st)
            beta2_t = step ** decay
            rho = min(lr, 1 / step ** 0.5)
            alpha = max(eps2, _norm(w) / w.size ** 0.5) * rho
            if wd != 0:
                w *= 1 - lr * wd
            if g.ndim > 1:
                row, col = st["row_var"]._array, st["col_var"]._array
                _lerp_(row, _mean_sq(g, -1), beta2_t)
                _lerp_(col, _mean_sq(g, -2), beta2_t)
                var = np.matmul(row, col)
                var /= np.maximum(row.mean(axis=-2, keepdims=True), e1)
            else:
                var = st["variance"]._array
                _lerp_(var, g * g, beta2_t)
                var = var.copy()
            np.maximum(var, e1 * e1, out=var)
            np.sqrt(var, out=var)
            np.reciprocal(var, out=var)
            var *= g
            denom = max(1.0, _norm(var) / (var.size ** 0.5 * d))
            var *= -alpha / denom
            w += var
            _bump(p)


def _norm(a):
    """The 2-norm of all of ``a``, accumulated in a's dtype, as a Python float."""
    return float(np.sqrt(np.vdot(a, a)))


def _mean_sq(g, axis):
    """Mean of squares along ``axis`` (kept), via the norm as torch computes it."""
    n = np.sqrt(np.sum(g * g, axis=axis, keepdims=True))
    n *= n
    n /= g.shape[axis]
    return n
