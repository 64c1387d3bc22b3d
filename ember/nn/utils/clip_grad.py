"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_.

``foreach`` is accepted for torch compatibility; ember always runs the single loop below (each
gradient is scaled in place by one NumPy multiply)."""
import types
import warnings

import numpy as np

from ..._errors import EmberRuntimeError
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, wrap

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _vector_norm(a, p):
    """torch.linalg.vector_norm of an array (in its dtype) for any order p."""
    a = np.abs(a.ravel())
    if p == float("inf"):
        return a.max() if a.size else np.zeros((), a.dtype)[()]
    if p == float("-inf"):
        return a.min() if a.size else np.array(np.inf, a.dtype)[()]
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)[()]
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(a, a)) if a.dtype.kind == "f" else np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    the norm of the per-tensor norms, i.e. the norm of all of them concatenated.

    Example::

        >>> nn.utils.get_total_norm([torch.tensor([3., 4.]), torch.tensor([0.])])
        tensor(5.)
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ...ops.creation import tensor
        return tensor(0.0)
    norms = [_vector_norm(t._array, norm_type) for t in tensors]
    dt = np.result_type(*[t._array.dtype for t in tensors])
    total = np.asarray(_vector_norm(np.asarray(norms, dtype=dt), norm_type), dtype=dt)
    if error_if_nonfinite and not np.isfinite(total):
        raise EmberRuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    return wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None): scale every
    gradient by min(1, max_norm / (total_norm + 1e-6)) in place.

    Example::

        >>> w = torch.ones(2, requires_grad=True)
        >>> (w * torch.tensor([3., 4.])).sum().backward()
        >>> nn.utils.clip_grads_with_norm_([w], max_norm=1.0, total_norm=torch.tensor(5.))
        >>> w.grad
        tensor([0.6000, 0.8000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    tn = total_norm._array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(max_norm / (tn + 1e-6), 1.0).astype(tn.dtype)
    with no_grad():
        for g in grads:
            g.mul_(wrap(coef.astype(g._array.dtype)))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
    foreach=None) -> Tensor: rescale the gradients in place so that their total norm is at
    most ``max_norm``; returns the total norm before clipping.

    Example::

        >>> w = ember.nn.Parameter(ember.ones(4))
        >>> (w * 3).sum().backward()
        >>> ember.nn.utils.clip_grad_norm_([w], 1.0).item(), round(w.grad.norm().item(), 4)
        (6.0, 1.0)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """clip_grad_norm(...): deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """clip_grad_value_(parameters, clip_value, foreach=None): clamp every gradient to
    [-clip_value, clip_value] in place.

    Example::

        >>> w = torch.ones(3, requires_grad=True)
        >>> (w * torch.tensor([0.5, -4., 2.])).sum().backward()
        >>> nn.utils.clip_grad_value_([w], clip_value=1.0)
        >>> w.grad
        tensor([ 0.5000, -1.0000,  1.0000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
