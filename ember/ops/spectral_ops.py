"""Short-time Fourier transform and torch's window constructors (``ember.hann_window``…).

stft is composed from ops that already carry their derivatives (pad, unfold, mul and the FFTs
of fft_ops.py), so it needs no rule of its own. The window values are ember.signal.windows'.
"""
import warnings

from .._errors import EmberRuntimeError
from ..signal import windows as _w
from . import fft_ops
from .registry import public


def _window(name, window_length, periodic, dtype, requires_grad, values):
    from .. import dtypes as _dt
    from .creation import tensor
    dt = dtype if dtype is not None else _dt.get_default_dtype()
    if window_length < 0:
        raise EmberRuntimeError(f"{name} requires non-negative window_length, got "
                                f"window_length={window_length}")
    if not dt.is_floating_point:
        raise EmberRuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    return tensor(_w.samples(window_length, not periodic, values), dtype=dt,
                  requires_grad=requires_grad)


@public("hann_window")
def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):
    """hann_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor: 0.5 - 0.5 cos(2 pi n / (N - 1)), with N =
    window_length + 1 when periodic.

    Example:
        >>> torch.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
        >>> torch.hann_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   _w.cosine_sum((0.5, 0.5)))


@public("hamming_window")
def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):
    """hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
    layout=torch.strided, device=None, requires_grad=False) -> Tensor: alpha - beta cos(2 pi n
    / (N - 1)).

    Example:
        >>> torch.hamming_window(5, periodic=False)
        tensor([0.0800, 0.5400, 1.0000, 0.5400, 0.0800])
    """
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   _w.cosine_sum((alpha, beta)))


@public("blackman_window")
def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """blackman_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor: 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08
    cos(4 pi n / (N - 1)).

    Example:
        >>> torch.blackman_window(5, periodic=False)[1:4]
        tensor([0.3400, 1.0000, 0.3400])
    """
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   _w.cosine_sum((0.42, 0.5, 0.08)))


@public("bartlett_window")
def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """bartlett_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor: the triangle 1 - |2 n / (N - 1) - 1|.

    Example:
        >>> torch.bartlett_window(5)
        tensor([0.0000, 0.4000, 0.8000, 0.8000, 0.4000])
        >>> torch.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   _w.bartlett_values)


@public("kaiser_window")
def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):
    """kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None,
    layout=torch.strided, device=None, requires_grad=False) -> Tensor: I0(beta sqrt(1 - (2 n
    / (N - 1) - 1)^2)) / I0(beta).

    Example:
        >>> torch.kaiser_window(5, periodic=False, beta=5.0)
        tensor([0.0367, 0.5529, 1.0000, 0.5529, 0.0367])
    """
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad,
                   _w.kaiser_values(beta))


def _stft_error(msg):
    return EmberRuntimeError(f"stft: {msg}")


@public("stft", method=True)
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
    pad_mode='reflect', normalized=False, onesided=None, return_complex=None) -> Tensor:
    the DFT of windowed frames of a 1-D signal (or a batch of them), shape (B?, N, frames)
    with N = n_fft // 2 + 1 when onesided.

    Example:
        >>> x, w = torch.arange(8.0), torch.hann_window(4)
        >>> s = torch.stft(x, n_fft=4, hop_length=2, window=w, return_complex=True)
        >>> s.shape
        torch.Size([3, 5])
        >>> s[:, 0]
        tensor([ 1.+0.j,  0.+0.j, -1.+0.j])
    """
    from .padding import pad
    is_complex = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not is_complex:
            raise EmberRuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if align_to_window:
        raise EmberRuntimeError("stft: align_to_window=True is not supported by ember")
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.\nNote: you can still call "
                      "torch.view_as_real on the complex output to recover the old return "
                      "format.", UserWarning, stacklevel=2)
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which "
                      "is known to cause spectral leakage. Other windows such as "
                      "torch.hann_window or torch.hamming_window are recommended to reduce "
                      "spectral leakage.To suppress this warning and use a rectangular window, "
                      "explicitly set `window=torch.ones(n_fft, device=<device>)`.",
                      UserWarning, stacklevel=2)
    if input.ndim not in (1, 2):
        raise _stft_error("expected a 1D or 2D tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if hop <= 0:
        raise _stft_error(f"expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise _stft_error(f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise _stft_error(f"expected a 1D window tensor of size equal to win_length={win}, "
                          f"but got window with size {list(window.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if center:
        x = pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode=pad_mode).squeeze(1)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise _stft_error(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    frames = x.unfold(-1, n_fft, hop)                 # (B, n_frames, n_fft)
    if window is None and win < n_fft:
        from .creation import ones
        window = ones(win, dtype=x.dtype if not x.is_complex() else None)
    if window is not None:
        left = (n_fft - win) // 2
        if left or win < n_fft:
            window = pad(window, (left, n_fft - win - left))
        frames = frames * window
    if onesided is None:
        onesided = not is_complex
    if onesided and is_complex:
        raise _stft_error("onesided=True requires a real input and window; use onesided=False")
    norm = "ortho" if normalized else "backward"
    spec = (fft_ops.rfft(frames, dim=-1, norm=norm) if onesided
            else fft_ops.fft(frames, dim=-1, norm=norm))
    spec = spec.transpose(-1, -2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if not return_complex:
        from .complex_ops import view_as_real
        return view_as_real(spec.contiguous())
    return spec



def _overlap_add(frames, hop, total):
    """Sum (B, n_frames, n_fft) frames into (B, total) samples, frame m starting at m * hop."""
    from ..nn.functional import fold
    if frames.is_complex():
        from .complex_ops import complex as _complex
        return _complex(_overlap_add(frames.real, hop, total),
                        _overlap_add(frames.imag, hop, total))
    n_fft = frames.shape[-1]
    cols = frames.transpose(1, 2)                      # (B, n_fft, n_frames): one column each
    out = fold(cols, output_size=(1, total), kernel_size=(1, n_fft), stride=(1, hop))
    return out.reshape(frames.shape[0], total)


@public("istft", method=True)
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
    normalized=False, onesided=None, length=None, return_complex=False) -> Tensor: inverse of
    stft by overlap-add of the inverse DFTs of the frames, divided by the summed squared
    window.

    Example:
        >>> x, w = torch.arange(8.0), torch.hann_window(4)
        >>> s = torch.stft(x, n_fft=4, hop_length=1, window=w, return_complex=True)
        >>> torch.istft(s, n_fft=4, hop_length=1, window=w, length=8)
        tensor([0., 1., 2., 3., 4., 5., 6., 7.])
    """
    import numpy as np

    from .creation import ones
    from .padding import pad
    if not input.is_complex():
        raise EmberRuntimeError("istft requires a complex-valued input tensor matching the output "
                                "from stft with return_complex=True.")
    if input.ndim not in (2, 3):
        raise EmberRuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex "
                                f"dtype, but got {input.ndim}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if hop <= 0:
        raise EmberRuntimeError(f"istft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise EmberRuntimeError(f"istft: expected 0 < win_length <= n_fft, but got "
                                f"win_length={win}")
    spec = input if input.ndim == 3 else input.unsqueeze(0)     # (B, freq, n_frames)
    if onesided is None:
        onesided = spec.shape[-2] != n_fft
    if onesided and return_complex:
        raise EmberRuntimeError("cannot have onesided output if window or input is complex")
    real_dt = spec.real.dtype
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please "
                      "provide the same window used by stft to make the inversion lossless.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
        window = ones(win, dtype=real_dt)
    left = (n_fft - win) // 2
    if win < n_fft:
        window = pad(window, (left, n_fft - win - left))
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(1, 2)                               # (B, n_frames, freq)
    frames = (fft_ops.irfft(frames, n=n_fft, dim=-1, norm=norm) if onesided
              else fft_ops.ifft(frames, n=n_fft, dim=-1, norm=norm))
    if not onesided and not return_complex:
        frames = frames.real
    n_frames = frames.shape[1]
    total = n_fft + hop * (n_frames - 1)
    y = _overlap_add(frames * window, hop, total)
    # the squared-window envelope is data-independent: plain NumPy, no graph
    w2 = np.asarray(window.detach()._array, dtype=np.float64) ** 2
    env = np.zeros(total)
    for m in range(n_frames):
        env[m * hop:m * hop + n_fft] += w2
    start = n_fft // 2 if center else 0
    end = (total - n_fft // 2 if center else total) if length is None else start + length
    stop = min(end, total)
    env = env[start:stop]
    if env.size and np.abs(env).min() < 1e-11:
        raise EmberRuntimeError(f"istft: window overlap add min: {np.abs(env).min():g}")
    from .creation import tensor
    y = y[:, start:stop] / tensor(env, dtype=real_dt)
    if end > total:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", UserWarning, stacklevel=2)
        y = pad(y, (0, end - total))
    return y.squeeze(0) if input.ndim == 2 else y
