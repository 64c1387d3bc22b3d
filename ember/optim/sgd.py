"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
import numpy as np

from .. import _jit
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
        state = self.state
        for p in group["params"]:
            g = _grad_of(p, maximize)
            if g is not None:
                sgd_update(p, g, state[p] if mu != 0 else None, lr, mu, damp, wd, nesterov)


def sgd_update(p, g, st, lr, mu, damp, wd, nesterov):
    """One parameter's SGD step: ``g`` its gradient array (negated already for maximize), ``st``
    its state dict (read only with momentum, where the first step puts the buffer). The eager
    optimizer and ember.compile's plans both call it (compile/passes.py)."""
    w = p._array
    if _sgd_fused is not None and w.size >= _FUSED_MIN[mu != 0] and \
            w.dtype in _FUSED_DTYPES and g.dtype == w.dtype and \
            w.flags.c_contiguous and g.flags.c_contiguous:
        b = None
        if mu != 0:
            buf = st.get("momentum_buffer")
            b = None if buf is None else buf._array
        if mu == 0 or b is not None and b.dtype == w.dtype and b.flags.c_contiguous:
            f = w.dtype.type
            flat = w.reshape(-1)
            _sgd_fused(flat, g.reshape(-1), flat if b is None else b.reshape(-1),
                       b is not None, f(lr), f(mu), f(1 - damp), f(wd), wd != 0,
                       bool(nesterov))
            _bump(p)
            return
    if wd != 0:
        g = g + wd * w
    if mu != 0:
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


def _sgd_loop(w, g, b, momentum, lr, mu, keep, wd, decay, nesterov):
    """The update above as one loop for numba (ember/_jit.py): the same operations in the same
    order and precision, so the result is equal bit for bit; ``b`` (the momentum buffer) is
    read only with ``momentum``, ``keep`` is 1 - dampening. The first momentum step, which
    copies the gradient into a new buffer, stays NumPy's."""
    for i in range(w.size):
        gi = g[i]
        if decay:
            gi = gi + wd * w[i]
        if momentum:
            bi = b[i] * mu + keep * gi
            b[i] = bi
            gi = gi + mu * bi if nesterov else bi
        w[i] = w[i] - lr * gi


_sgd_fused = _jit.kernel(_sgd_loop, [
    f"void({t}[::1], {t}[::1], {t}[::1], boolean, {t}, {t}, {t}, {t}, boolean, boolean)"
    for t in ("float32", "float64")])
_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# Sizes from which the kernel beats NumPy's calls (plain, with momentum): a numba call costs
# ~5 us of argument dispatch, NumPy's two calls of plain SGD ~3 us on small arrays. Measured
# (float32, one thread): plain 16k elements 9.0 vs 9.0 us, 64k 15 vs 30 us; momentum 1000
# elements 6.0 vs 10.3 us.
_FUSED_MIN = (32768, 1024)
