"""Legacy spectral normalisation (a forward pre-hook): weight = weight_orig / sigma, sigma the
largest singular value of weight_orig (as a matrix over ``dim``) estimated by power iteration on
the buffers ``weight_u``/``weight_v``, one step per training forward (Miyato et al., 2018)."""
import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import wrap

__all__ = ["remove_spectral_norm", "spectral_norm"]


def _normalize_np(x, eps):
    return x / max(float(np.sqrt(np.dot(x, x))), eps)


def _write(buf, array):
    with no_grad():
        buf.copy_(wrap(array.astype(buf._array.dtype, copy=False)))


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        mat = weight
        if self.dim != 0:
            mat = mat.permute(self.dim, *[d for d in range(mat.ndim) if d != self.dim])
        return mat.reshape(mat.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u_buf = getattr(module, self.name + "_u")
        v_buf = getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # the buffers are updated in place; the graph below sees copies of the new values
            w = mat._array
            u, v = u_buf._array, v_buf._array
            for _ in range(self.n_power_iterations):
                v = _normalize_np(w.T @ u, self.eps)
                u = _normalize_np(w @ v, self.eps)
            _write(v_buf, v)
            _write(u_buf, u)
        u = u_buf.clone()
        v = v_buf.clone()
        sigma = u.dot(mat.mv(v))
        return weight / sigma

    def remove(self, module):
        from ..parameter import Parameter
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module,
                                                       do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        from ...ops.random import _rng
        from ..modules.lazy import is_lazy
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "spectral normalization")
        h, w = fn.reshape_weight_to_matrix(weight).shape
        dt = weight._array.dtype
        rng = _rng(None)
        u = _normalize_np(rng.standard_normal(h).astype(dt), eps).astype(dt)
        v = _normalize_np(rng.standard_normal(w).astype(dt), eps).astype(dt)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", wrap(u))
        module.register_buffer(fn.name + "_v", wrap(v))
        module.register_forward_pre_hook(fn)
        return fn


def _is_conv_transpose(module):
    from ..modules.conv import _ConvTranspose
    return isinstance(module, _ConvTranspose)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None) -> module:
    divide ``module.<name>`` by its spectral norm before every forward (dim defaults to 1 for
    transposed convolutions, else 0).

    Example::

        >>> m = nn.utils.spectral_norm(nn.Linear(4, 3))
        >>> sorted(name for name, _ in m.named_parameters())
        ['bias', 'weight_orig']
        >>> m.weight_u.shape
        torch.Size([3])
    """
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """remove_spectral_norm(module, name='weight') -> module: keep the normalised weight as a
    plain parameter.

    Example::

        >>> m = nn.utils.remove_spectral_norm(nn.utils.spectral_norm(nn.Linear(4, 3)))
        >>> sorted(name for name, _ in m.named_parameters())
        ['bias', 'weight']
    """
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")

