"""Muon: momentum SGD whose update matrix is orthogonalized by a Newton-Schulz iteration."""
import math

import ml_dtypes
import numpy as np

from .._errors import EmberRuntimeError, EmberValueError
from ..tensor import Tensor
from .optimizer import Optimizer, _bump, _check, _lerp_, _value, _zeros

_BF16 = np.dtype(ml_dtypes.bfloat16)


class Muon(Optimizer):
    """Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
    for 2-D parameters only. The momentum buffer (or its Nesterov look-ahead) is replaced by
    the nearest semi-orthogonal matrix, computed in bfloat16 by ``ns_steps`` quintic
    Newton-Schulz iterations; weight decay is decoupled; ``adjust_lr_fn`` scales lr by
    sqrt(max(1, rows / cols)) ("original", the default) or 0.2 * sqrt(max(rows, cols))
    ("match_rms_adamw").

    State per parameter: ``momentum_buffer``.

    Example::

        >>> w = torch.zeros(2, 2, requires_grad=True)
        >>> opt = optim.Muon([w], lr=0.05)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     opt.step()
        ...
        >>> [round(v, 2) for v in w.flatten().tolist()]
        [1.36, 1.36, 1.36, 1.36]
    """

    _scalar_state = ()

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        _check(not isinstance(lr, Tensor) or lr.numel() == 1, "Tensor lr must be 1-element")
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        _check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        _check(adjust_lr_fn is None or adjust_lr_fn in ("original", "match_rms_adamw"),
               f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise EmberValueError("Muon only supports 2D parameters whereas we found a "
                                          f"parameter with size: {p.size()}")

    def _update_group(self, group):
        lr = _value(group["lr"])
        wd, mom = group["weight_decay"], group["momentum"]
        for p in group["params"]:
            if p._grad is None:
                continue
            if p.is_complex():
                raise EmberRuntimeError("Muon does not support complex parameters")
            g = p._grad._array
            if g.ndim != 2:
                raise EmberValueError("Param gradient must be a 2D matrix")
            st = self.state[p]
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = _zeros(p._grad)
            buf = st["momentum_buffer"]._array
            _lerp_(buf, g, 1 - mom)
            if group["nesterov"]:
                upd = np.array(g, copy=True)
                _lerp_(upd, buf, mom)
            else:
                upd = buf
            upd = _newton_schulz(upd, group["ns_coefficients"], group["ns_steps"], group["eps"])
            w = p._array
            w *= 1 - lr * wd
            upd *= -_adjust_lr(lr, group["adjust_lr_fn"], w.shape)
            w += upd
            _bump(p)


def _bf16(a):
    """Round float32 values to bfloat16 precision (kept in float32 for fast matmuls)."""
    return a.astype(_BF16).astype(np.float32)


def _newton_schulz(g, coefficients, steps, eps):
    """The semi-orthogonal factor of ``g`` by quintic Newton-Schulz iterations. Every
    intermediate is rounded to bfloat16, as torch stores them, while products accumulate in
    float32, as its bfloat16 matmuls do."""
    if steps >= 100:
        raise EmberValueError("Number of steps must be less than 100 for computational "
                              "efficiency")
    if g.ndim != 2:
        raise EmberValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise EmberValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    x = g.astype(_BF16).astype(np.float32)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = _bf16(np.sqrt(np.vdot(x, x)).reshape(1))[0]
    x = _bf16(x / _bf16(np.maximum(norm, np.float32(eps)).reshape(1))[0])
    for _ in range(steps):
        gram = _bf16(x @ x.T)
        gram = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + gram @ x)
    if tall:
        x = x.T
    return x.astype(g.dtype) if g.dtype != np.float32 else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * (0.2 * math.sqrt(max(rows, cols)))
    return lr
