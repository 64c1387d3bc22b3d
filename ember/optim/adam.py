"""Adam and AdamW (Adam with decoupled weight decay), with amsgrad and maximize."""
import threading

import numpy as np

from .. import _jit
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
            vmax = _real(st["max_exp_avg_sq"]._array) if amsgrad else None
            adam_update(_real(w), _real(g), _real(st["exp_avg"]._array),
                        _real(st["exp_avg_sq"]._array), vmax, step, lr, b1, b2, eps)
            _bump(p)


# Note [Chunked Adam]: the update is a dozen elementwise passes; over a whole 1.6 MB weight each
# pass streams m, v, g, w and a scratch array through memory, while in blocks of 32k elements
# (rows of the parameter) the block stays in L2 between passes: about 25% faster on MLP-784's
# weights, and bit for bit the same (every pass is elementwise). ember.compile's plans call
# this same function, with a scratch block of their own. Where numba is installed, contiguous
# float32/float64 arrays instead go through _adam_loop, the same operations in one pass
# (ember/_jit.py): 0.42 against 1.50 ms for MLP-784, again bit for bit the same.
_CHUNK = 32768
_scratch = threading.local()


def adam_update(w, g, m, v, vmax, step, lr, b1, b2, eps, scratch=None):
    """One Adam step on arrays, in place: ``w`` the parameter, ``g`` its gradient, ``m`` and
    ``v`` the moment estimates, ``vmax`` amsgrad's running maximum (or None), ``step`` the step
    number after this update. torch's arithmetic, operation for operation: m.lerp_(g, 1 - b1);
    v = v * b2 + (1 - b2) * g * g; w -= lr / (1 - b1**step) * m / (sqrt(v) / sqrt(1 -
    b2**step) + eps). All arrays are at least 1-d and share one shape; ``scratch`` (optional)
    is a buffer of at least one block (Note [Chunked Adam])."""
    c1 = 1 - b1
    small = abs(c1) < 0.5
    step_size = lr / (1 - b1 ** step)
    bc2_sqrt = (1 - b2 ** step) ** 0.5
    if w.size == 0:
        return
    n = w.shape[0]
    row = w.size // n
    rows = min(n, max(1, _CHUNK // max(row, 1)))
    if scratch is None:
        bufs = getattr(_scratch, "bufs", None)
        if bufs is None:
            bufs = _scratch.bufs = {}
        scratch = bufs.get(w.dtype)
        if scratch is None or scratch.size < rows * row:
            scratch = bufs[w.dtype] = np.empty(max(_CHUNK, rows * row), w.dtype)
    if _adam_fused is not None and w.dtype in _FUSED_DTYPES and \
            all(a.dtype == w.dtype and a.flags.c_contiguous for a in (w, g, m, v)) and \
            (vmax is None or vmax.dtype == w.dtype and vmax.flags.c_contiguous):
        f = w.dtype.type
        _adam_fused(w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                    w.reshape(-1) if vmax is None else vmax.reshape(-1), vmax is not None,
                    small, f(c1), f(b1), f(1 - b2), f(b2), f(bc2_sqrt), f(eps), f(-step_size))
        return
    t = scratch.reshape(-1)[:rows * row].reshape((rows,) + w.shape[1:])
    for r in range(0, n, rows):
        e = min(r + rows, n)
        _adam_block(g[r:e], m[r:e], v[r:e], None if vmax is None else vmax[r:e], w[r:e],
                    t[:e - r], small, c1, b1, 1 - b2, b2, bc2_sqrt, eps, step_size)


def _adam_block(g, m, v, vmax, w, t, small, c1, b1, c2, b2, bc2_sqrt, eps, step_size):
    # m.lerp_(g, 1 - b1) with torch's two-sided formula (exact at weight 1)
    np.subtract(g, m, out=t)
    if small:
        t *= c1
        m += t
    else:
        t *= b1
        np.subtract(g, t, out=m)
    np.multiply(g, c2, out=t)
    t *= g
    v *= b2
    v += t
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    np.sqrt(v, out=t)
    t /= bc2_sqrt
    t += eps
    np.divide(m, t, out=t)
    t *= -step_size
    w += t


def _adam_loop(w, g, m, v, vmax, amsgrad, small, c1, b1, c2, b2, bc2_sqrt, eps, neg_step):
    """_adam_block as one loop for numba (ember/_jit.py): the same operations in the same
    order and precision, element by element, so the results are equal bit for bit; ``vmax``
    is ignored unless ``amsgrad``."""
    for i in range(w.size):
        gi = g[i]
        if small:
            mi = m[i] + (gi - m[i]) * c1
        else:
            mi = gi - (gi - m[i]) * b1
        m[i] = mi
        vi = v[i] * b2 + (gi * c2) * gi
        v[i] = vi
        if amsgrad:
            vm = vmax[i]
            if vm > vi or vm != vm:        # np.maximum: the larger, NaN if either is
                vi = vm
            vmax[i] = vi
        w[i] = w[i] + (mi / (np.sqrt(vi) / bc2_sqrt + eps)) * neg_step


_adam_fused = _jit.kernel(_adam_loop, [
    f"void({t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], boolean, boolean, {t}, {t}, {t}, "
    f"{t}, {t}, {t}, {t})" for t in ("float32", "float64")])
_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


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
