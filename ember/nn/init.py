"""Parameter initializers (in place, under no_grad), calculate_gain and fan computation.

Every initializer takes an optional ``generator`` (an ember.Generator) for its random draws; the
un-suffixed names (``uniform``, ``xavier_normal`` ...) are torch's deprecated aliases and warn."""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import wrap

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "sparse",
    "sparse_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """calculate_gain(nonlinearity, param=None) -> float: the recommended std gain.

    Example::

        >>> round(ember.nn.init.calculate_gain("leaky_relu", 0.2), 4)
        1.3868
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4      # torch's empirical value for SELU networks
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dims = tensor.dim()
    if dims < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return num_input_fmaps * receptive, num_output_fmaps * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


_fan = _calculate_correct_fan


def _rng(generator):
    from ..ops.random import _rng as rng
    return rng(generator)


def _write(tensor, array):
    """Copy a NumPy result into ``tensor`` in place (bumps its version, keeps its dtype)."""
    with no_grad():
        tensor.copy_(wrap(np.ascontiguousarray(array).astype(tensor._array.dtype, copy=False)))
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """uniform_(tensor, a=0.0, b=1.0, generator=None): fill from U(a, b).

    Example::

        >>> w = torch.empty(3, 5)
        >>> _ = nn.init.uniform_(w, -0.1, 0.1)
        >>> bool(w.abs().max() <= 0.1)
        True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """normal_(tensor, mean=0.0, std=1.0, generator=None): fill from N(mean, std²).

    Example::

        >>> w = nn.init.normal_(torch.empty(1000), mean=2.0, std=0.5)
        >>> round(w.mean().item(), 1)
        2.0
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """trunc_normal_(tensor, mean=0., std=1., a=-2., b=2., generator=None): fill from
    N(mean, std²) restricted to [a, b] (rejection sampling: every value is a true draw of the
    truncated distribution, none is clamped).

    Example::

        >>> w = nn.init.trunc_normal_(torch.empty(1000), std=1.0, a=-1.0, b=1.0)
        >>> bool(w.abs().max() <= 1.0)
        True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng = _rng(generator)
    dt = tensor._array.dtype
    lo, hi = dt.type(a), dt.type(b)
    n = tensor.numel()
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) -
                  math.erf((a - mean) / (std * math.sqrt(2))))
    out = np.empty(n, dtype=np.float64)
    todo = np.arange(n)
    while todo.size:
        if mass > 0.3:
            # most normal draws land inside: redraw only the ones that fell outside
            cand = rng.standard_normal(todo.size) * std + mean
            ok = (cand.astype(dt) >= lo) & (cand.astype(dt) <= hi)
        else:
            # narrow or far-out interval: uniform proposals on [a, b], accepted with the
            # density relative to its peak there
            cand = rng.uniform(a, b, todo.size)
            peak = max(a, min(mean, b))
            log_ratio = -0.5 * ((cand - mean) / std) ** 2 + 0.5 * ((peak - mean) / std) ** 2
            ok = np.log(rng.random(todo.size)) <= log_ratio
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return _write(tensor, out.reshape(tuple(tensor.shape)))


def constant_(tensor, val):
    """constant_(tensor, val): fill with ``val``.

    Example::

        >>> nn.init.constant_(torch.empty(2, 3), 0.3)
        tensor([[0.3000, 0.3000, 0.3000],
                [0.3000, 0.3000, 0.3000]])
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """ones_(tensor): fill with 1.

    Example::

        >>> nn.init.ones_(torch.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """zeros_(tensor): fill with 0.

    Example::

        >>> nn.init.zeros_(torch.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor):
    """eye_(tensor): the identity matrix (2-D tensors only).

    Example::

        >>> nn.init.eye_(torch.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """dirac_(tensor, groups=1): the Dirac delta kernel of a 3-, 4- or 5-D conv weight, so the
    convolution copies (min(out, in) channels of) its input in each group.

    Example::

        >>> w = nn.init.dirac_(torch.empty(2, 2, 3))
        >>> w[:, :, 1]
        tensor([[1., 0.],
                [0., 1.]])
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    k = min(per_group, sizes[1])
    res = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    d = np.arange(k)
    for g in range(groups):
        res[(g * per_group + d, d) + centre] = 1
    return _write(tensor, res)


def _zero_element(tensor):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015).

    Example::

        >>> w = nn.init.kaiming_uniform_(torch.empty(64, 100), nonlinearity='relu')
        >>> bound = (6 / 100) ** 0.5
        >>> bool(w.abs().max() <= bound)
        True
    """
    if _zero_element(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    N(0, std²) with std = gain / sqrt(fan).

    Example::

        >>> w = nn.init.kaiming_normal_(torch.empty(256, 400), mode='fan_out')
        >>> round(w.std().item(), 2)
        0.09
    """
    if _zero_element(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0, std, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """xavier_uniform_(tensor, gain=1.0, generator=None): U(-a, a),
    a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Example::

        >>> w = nn.init.xavier_uniform_(torch.empty(30, 20))
        >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """xavier_normal_(tensor, gain=1.0, generator=None): N(0, std²),
    std = gain * sqrt(2 / (fan_in + fan_out)).

    Example::

        >>> w = nn.init.xavier_normal_(torch.empty(300, 200))
        >>> round(w.std().item(), 2)
        0.06
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """orthogonal_(tensor, gain=1, generator=None): a (semi-)orthogonal matrix from the QR
    decomposition of a Gaussian one, signs fixed so the draw is Haar-uniform (Mezzadri, 2007);
    trailing dimensions are flattened.

    Example::

        >>> q = nn.init.orthogonal_(torch.empty(3, 3))
        >>> torch.allclose(q @ q.T, torch.eye(3), atol=1e-5)
        True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))     # QR in float64 for any dtype
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diagonal(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """sparse_(tensor, sparsity, std=0.01, generator=None): N(0, std²) with
    ceil(sparsity * rows) entries of every column set to zero (Martens, 2010).

    Example::

        >>> w = nn.init.sparse_(torch.empty(10, 4), sparsity=0.5)
        >>> (w == 0).sum(dim=0)
        tensor([5, 5, 5, 5])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tuple(tensor.shape)
    num_zeros = math.ceil(sparsity * rows)
    rng = _rng(generator)
    vals = rng.standard_normal((rows, cols)) * std
    if num_zeros and cols:
        # an independent random permutation of the rows for every column
        order = np.argsort(rng.random((rows, cols)), axis=0)
        np.put_along_axis(vals, order[:num_zeros], 0.0, axis=0)
    return _write(tensor, vals)


def _deprecated(fn):
    new = fn.__name__
    old = new[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"{old}(...): deprecated alias of :func:`{new}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
