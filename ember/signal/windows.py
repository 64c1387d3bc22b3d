"""ember.signal.windows: window functions with torch.signal.windows' signatures.

Each returns ``M`` samples; ``sym=False`` gives the periodic window (the first ``M`` samples of
the symmetric window of ``M + 1``), the one spectral analysis wants. Values are computed in
float64 with NumPy and stored in ``dtype`` (float32 or float64, default the default dtype)."""
import math

import numpy as np

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _window(name, M, sym, dtype, requires_grad, values):
    """Validate torch's way, then build the tensor from ``values(n, L)``: the sample positions
    ``n = 0..L-1`` of a symmetric window of length ``L``."""
    from .. import dtypes as _dt
    from ..ops.creation import tensor
    dt = dtype if dtype is not None else _dt.get_default_dtype()
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if dt not in (_dt.float32, _dt.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    return tensor(samples(M, sym, values), dtype=dt, requires_grad=requires_grad)


def samples(M, sym, values):
    """The float64 array of ``M`` window samples (shared with ember.hann_window and friends)."""
    if M <= 1:
        return np.ones(M)
    L = M if sym else M + 1
    return values(np.arange(L, dtype=np.float64), L)[:M]


def cosine_sum(a):
    """values(n, L) of the window sum_k (-1)^k a[k] cos(2 pi k n / (L - 1))."""
    def values(n, L):
        w = np.zeros_like(n)
        for k, ak in enumerate(a):
            w += (-1) ** k * ak * np.cos(2 * math.pi * k * n / (L - 1))
        return w
    return values


def bartlett_values(n, L):
    return 1 - np.abs(2 * n / (L - 1) - 1)


def kaiser_values(beta):
    def values(n, L):
        r = np.sqrt(np.clip(1 - (2 * n / (L - 1) - 1) ** 2, 0, None))
        return np.i0(beta * r) / np.i0(beta)
    return values


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """general_cosine(M, *, a, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: sum_k (-1)^k a[k] cos(2 pi k n / (M - 1))."""
    return _general_cosine("general_cosine", M, a, sym, dtype, requires_grad)


def _general_cosine(name, M, a, sym, dtype, requires_grad):
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    return _window(name, M, sym, dtype, requires_grad, cosine_sum(a))


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor: alpha - (1 - alpha) cos(2 pi n / (M - 1))."""
    return _general_cosine("general_cosine", M, [alpha, 1.0 - alpha], sym, dtype, requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """hamming(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: general_hamming with alpha = 0.54."""
    return general_hamming(M, alpha=0.54, sym=sym, dtype=dtype, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """hann(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: 0.5 - 0.5 cos(2 pi n / (M - 1)).

    Example:
        >>> torch.signal.windows.hann(5)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
        >>> torch.signal.windows.hann(4, sym=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """blackman(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: general_cosine with a = [0.42, 0.5, 0.08]."""
    return _general_cosine("blackman", M, [0.42, 0.5, 0.08], sym, dtype, requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """nuttall(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: the minimum 4-term Blackman-Harris window of Nuttall."""
    return _general_cosine("general_cosine", M, [0.3635819, 0.4891775, 0.1365995, 0.0106411],
                           sym, dtype, requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """bartlett(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: the triangle 1 - |2 n / (M - 1) - 1|."""
    return _window("bartlett", M, sym, dtype, requires_grad, bartlett_values)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """cosine(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: sin(pi (n + 0.5) / M)."""
    return _window("cosine", M, sym, dtype, requires_grad,
                   lambda n, L: np.sin(math.pi * (n + 0.5) / L))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor: exp(-|n - center| / tau), centred at
    (M - 1) / 2 unless ``center`` is given (periodic windows only)."""
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    return _window("exponential", M, sym, dtype, requires_grad,
                   lambda n, L: np.exp(-np.abs(n - ((L - 1) / 2 if center is None else center))
                                       / tau))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    """gaussian(M, *, std=1.0, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: exp(-(n - (M - 1) / 2)^2 / (2 std^2))."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, requires_grad,
                   lambda n, L: np.exp(-((n - (L - 1) / 2) ** 2) / (2 * std * std)))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    """kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: I0(beta sqrt(1 - (2 n / (M - 1) - 1)^2)) / I0(beta)."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window("kaiser", M, sym, dtype, requires_grad, kaiser_values(beta))
