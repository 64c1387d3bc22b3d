"""Discrete Fourier transforms as four ops with their adjoints, plus the ``ember.fft`` functions.

Every transform is a resize (zero-pad or truncate each transformed dim, ``n``/``s``) followed by
one of three primitives, each an *unnormalised* DFT times a real ``scale`` (the ``norm`` mode):

- ``fft_c2c``: complex (or real) to complex over ``dims``, in either direction;
- ``fft_r2c``: real to the one-sided half spectrum (last of ``dims`` halved): rfft, ihfft;
- ``fft_c2r``: half spectrum to real (Hermitian extension): irfft, hfft.

Note [FFT adjoints]. With PyTorch's conjugate-Wirtinger convention the gradient of a C-linear
map is its adjoint applied to ``g``. The adjoint of an unnormalised DFT is the unnormalised DFT
of the other direction, so c2c's rule is c2c with ``forward`` flipped and the same scale. r2c
is "DFT, keep the first n//2+1 entries" on real data: its adjoint zero-pads ``g`` back to n,
runs c2c the other way and keeps the real part. c2r reads each retained entry k of the half
spectrum once for itself and once for its mirror n-k, so its adjoint is r2c (other direction)
times a weight of 2, except at k = 0 and, for even n, k = n/2, where the weight is 1. A resize
is its own adjoint's inverse: the gradient is resized back. Each rule calls these same ops, so
under ``create_graph=True`` they build a graph and higher derivatives come for free.
"""
import math

import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import write_out
from .registry import op


def _run(m, o, x, **attrs):
    """Call op ``o`` from a rule: its kernel on arrays, or the op itself on Tensors (so the
    call is recorded under create_graph)."""
    if getattr(m, "is_tensor_namespace", False):
        return dispatch.unary(o, x, **attrs)
    return o.forward(m, x, **attrs)


def _complex_of(dt):
    return np.complex64 if dt in (np.float32, np.complex64) else np.complex128


def _real_of(dt):
    return np.float32 if dt in (np.float32, np.complex64) else np.float64


def _scaled(out, scale, dt):
    if scale != 1:
        out = out * scale
    return out.astype(dt, copy=False) if out.dtype != dt else out


# --- the ops -----------------------------------------------------------------------------------
@op("fft_resize", keep="shape", node_name="ConstantPadNdBackward0")
def _resize(m, a, sizes, dims):
    shape = list(a.shape)
    for d, n in zip(dims, sizes):
        shape[d] = n
    out = m.zeros(tuple(shape), dtype=a.dtype)
    common = [slice(None)] * a.ndim
    for d in dims:
        common[d] = slice(0, min(a.shape[d], shape[d]))
    out[tuple(common)] = a[tuple(common)]
    return out


_resize.derivative(lambda m, g, a_shape, out, sizes, dims:
                   _run(m, _resize, g, sizes=tuple(a_shape[d] for d in dims), dims=dims))


@op("fft_c2c", node_name="FftC2CBackward0")
def _c2c(m, a, dims, forward, scale):
    out = m.fft.fftn(a, axes=dims) if forward else m.fft.ifftn(a, axes=dims, norm="forward")
    return _scaled(out, scale, _complex_of(a.dtype))


_c2c.derivative(lambda m, g, a, out, dims, forward, scale:
                _run(m, _c2c, g, dims=dims, forward=not forward, scale=scale))


@op("fft_r2c", keep="shape", node_name="FftR2CBackward0")
def _r2c(m, a, dims, forward, scale):
    out = m.fft.rfftn(a, axes=dims)
    if not forward:     # the inverse-direction DFT of real data is the conjugate of the forward
        out = m.conj(out)
    return _scaled(out, scale, _complex_of(a.dtype))


def _r2c_grad(m, g, a_shape, out, dims, forward, scale):
    last = dims[-1]
    full = _run(m, _resize, g, sizes=(a_shape[last],), dims=(last,))
    return m.real(_run(m, _c2c, full, dims=dims, forward=not forward, scale=scale))


_r2c.derivative(_r2c_grad)


@op("fft_c2r", node_name="FftC2RBackward0")
def _c2r(m, a, dims, forward, scale, last):
    if forward:         # hfft: the forward DFT of a Hermitian signal is irfft of its conjugate
        a = m.conj(a)
    sizes = [a.shape[d] for d in dims[:-1]] + [last]
    out = m.fft.irfftn(a, s=sizes, axes=dims, norm="forward")
    return _scaled(out, scale, _real_of(a.dtype))


def _c2r_grad(m, g, a, out, dims, forward, scale, last):
    half = last // 2 + 1
    w = np.full(half, 2.0, dtype=_real_of(getattr(g, "_array", g).dtype))
    w[0] = 1.0
    if last % 2 == 0:
        w[-1] = 1.0
    shape = [1] * g.ndim
    shape[dims[-1]] = half
    w = w.reshape(shape)
    spec = _run(m, _r2c, g, dims=dims, forward=not forward, scale=scale)
    return spec * (wrap(w) if isinstance(spec, Tensor) else w)


_c2r.derivative(_c2r_grad)


# --- argument handling shared by the public functions --------------------------------------------
def _norm_scale(norm, n, forward):
    """The factor an unnormalised DFT of ``n`` points is multiplied by in ``norm`` mode."""
    if norm is None or norm == "backward":
        return 1.0 if forward else 1.0 / n
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    if norm == "forward":
        return 1.0 / n if forward else 1.0
    raise EmberRuntimeError(f'Invalid normalization mode: "{norm}"')


def _float_input(x, name, real_only=False):
    from .. import dtypes as _dt
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    kind = x._array.dtype.kind
    if kind == "c":
        if real_only:
            raise EmberRuntimeError(f"{name} expects a real input tensor, but got "
                                    f"{x.dtype.scalar_name}")
        return x
    if kind in "biu":
        return x.to(_dt.get_default_dtype())
    if x._array.dtype.itemsize < 4:
        raise EmberRuntimeError(f"Unsupported dtype {x.dtype.scalar_name}")
    return x


def _check_points(n):
    if n < 1:
        raise EmberRuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _dims_and_sizes(x, s, dim):
    """torch's rules: ``dim`` alone transforms those dims at their sizes, ``s`` alone the last
    len(s) dims, neither all dims; an entry -1 in ``s`` keeps that dim's size."""
    nd = x.ndim
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_wrap_dim(d, nd) for d in dims)
        if s is not None and len(s) != len(dims):
            raise EmberRuntimeError("When given, dim and shape arguments must have the same "
                                    "length")
    elif s is not None:
        if len(s) > nd:
            raise EmberRuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                    f"{nd} dimensions.")
        dims = tuple(range(nd - len(s), nd))
    else:
        dims = tuple(range(nd))
    if len(set(dims)) != len(dims):
        raise EmberRuntimeError("FFT dims must be unique")
    if s is None:
        sizes = tuple(x.shape[d] for d in dims)
    else:
        sizes = tuple(x.shape[d] if n == -1 else _check_points(int(n)) for d, n in zip(dims, s))
    return dims, sizes


def _resized(x, dims, sizes):
    if all(x.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    return dispatch.unary(_resize, x, sizes=tuple(sizes), dims=tuple(dims))


def _prod(sizes):
    p = 1
    for n in sizes:
        p *= n
    return p


def _c2c_call(x, dims, sizes, norm, forward, name):
    x = _float_input(x, name)
    if not dims:
        from .. import dtypes as _dt
        cdt = _dt.complex64 if _complex_of(x._array.dtype) is np.complex64 else _dt.complex128
        return x.to(cdt) if x._array.dtype.kind != "c" else x.clone()
    x = _resized(x, dims, sizes)
    return dispatch.unary(_c2c, x, dims=dims, forward=forward,
                          scale=_norm_scale(norm, _prod(sizes), forward))


def _r2c_call(x, dims, sizes, norm, forward, name):
    x = _resized(_float_input(x, name, real_only=True), dims, sizes)
    if not dims:
        raise EmberRuntimeError(f"{name} must transform at least one axis")
    return dispatch.unary(_r2c, x, dims=dims, forward=forward,
                          scale=_norm_scale(norm, _prod(sizes), forward))


def _c2r_call(x, dims, s, norm, forward, name):
    """irfft/hfft family: ``s`` gives the *output* sizes (last one default 2 * (m - 1))."""
    x = _float_input(x, name)
    if not dims:
        raise EmberRuntimeError(f"{name} must transform at least one axis")
    sizes = list(s) if s is not None else [x.shape[d] for d in dims]
    if s is None or sizes[-1] == -1:
        sizes[-1] = 2 * (x.shape[dims[-1]] - 1)
    sizes = [x.shape[d] if n == -1 else n for d, n in zip(dims, sizes)]
    last = _check_points(sizes[-1])
    x = _resized(x, dims, sizes[:-1] + [last // 2 + 1])
    return dispatch.unary(_c2r, x, dims=dims, forward=forward, last=last,
                          scale=_norm_scale(norm, _prod(sizes), forward))


def _one(x, n, dim):
    d = _wrap_dim(dim, x.ndim)
    return (d,), (x.shape[d] if n is None else _check_points(int(n)),)


# --- ember.fft -----------------------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """fft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: one-dimensional discrete
    Fourier transform; ``n`` zero-pads or trims ``dim`` first.

    Example:
        >>> torch.fft.fft(torch.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    """
    dims, sizes = _one(input, n, dim)
    return write_out(_c2c_call(input, dims, sizes, norm, True, "fft"), out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """ifft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: inverse of fft."""
    dims, sizes = _one(input, n, dim)
    return write_out(_c2c_call(input, dims, sizes, norm, False, "ifft"), out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """fftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: N-dimensional DFT."""
    dims, sizes = _dims_and_sizes(input, s, dim)
    return write_out(_c2c_call(input, dims, sizes, norm, True, "fftn"), out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """ifftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: inverse of fftn."""
    dims, sizes = _dims_and_sizes(input, s, dim)
    return write_out(_c2c_call(input, dims, sizes, norm, False, "ifftn"), out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor: 2-D DFT."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor: inverse of fft2."""
    return ifftn(input, s, dim, norm, out=out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """rfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: DFT of real input, the
    n // 2 + 1 non-redundant frequencies.

    Example:
        >>> torch.fft.rfft(torch.tensor([1.0, 2.0, 3.0, 4.0]), norm="forward")
        tensor([ 2.5000+0.0000j, -0.5000+0.5000j, -0.5000+0.0000j])
    """
    dims, sizes = _one(input, n, dim)
    return write_out(_r2c_call(input, dims, sizes, norm, True, "rfft"), out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """ihfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: inverse of hfft (the
    half spectrum of the inverse DFT of real input)."""
    dims, sizes = _one(input, n, dim)
    return write_out(_r2c_call(input, dims, sizes, norm, False, "ihfft"), out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """rfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: N-dimensional DFT of
    real input, the last transformed dim halved."""
    dims, sizes = _dims_and_sizes(input, s, dim)
    return write_out(_r2c_call(input, dims, sizes, norm, True, "rfftn"), out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """ihfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: inverse of hfftn."""
    dims, sizes = _dims_and_sizes(input, s, dim)
    return write_out(_r2c_call(input, dims, sizes, norm, False, "ihfftn"), out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor."""
    return rfftn(input, s, dim, norm, out=out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor."""
    return ihfftn(input, s, dim, norm, out=out)


def _c2r_dims(input, s, dim):
    if dim is None and s is None:
        return tuple(range(input.ndim))
    if dim is None:
        return tuple(range(input.ndim - len(s), input.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(_wrap_dim(d, input.ndim) for d in dims)
    if s is not None and len(s) != len(dims):
        raise EmberRuntimeError("When given, dim and shape arguments must have the same length")
    if len(set(dims)) != len(dims):
        raise EmberRuntimeError("FFT dims must be unique")
    return dims


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """irfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: inverse of rfft; the
    output has ``n`` (default 2 * (m - 1)) real points."""
    dims = (_wrap_dim(dim, input.ndim),)
    s = None if n is None else (int(n),)
    return write_out(_c2r_call(input, dims, s, norm, False, "irfft"), out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """hfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor: DFT of a Hermitian
    signal given by its first half; real output of ``n`` points."""
    dims = (_wrap_dim(dim, input.ndim),)
    s = None if n is None else (int(n),)
    return write_out(_c2r_call(input, dims, s, norm, True, "hfft"), out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """irfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: inverse of rfftn."""
    dims = _c2r_dims(input, s, dim)
    return write_out(_c2r_call(input, dims, s, norm, False, "irfftn"), out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """hfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor: N-dimensional DFT of
    a Hermitian signal given by the half of its last dim."""
    dims = _c2r_dims(input, s, dim)
    return write_out(_c2r_call(input, dims, s, norm, True, "hfftn"), out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor."""
    return irfftn(input, s, dim, norm, out=out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor."""
    return hfftn(input, s, dim, norm, out=out)


def _shift(input, dim, sign):
    from .shape import roll
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return input
    return roll(input, tuple(sign * (input.shape[d] // 2) for d in dims), dims)


def fftshift(input, dim=None):
    """fftshift(input, dim=None) -> Tensor: moves the zero frequency to the centre of ``dim``
    (all dims by default)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """ifftshift(input, dim=None) -> Tensor: inverse of fftshift."""
    return _shift(input, dim, -1)


def _freq(values, n, d, out, dtype, requires_grad):
    from .. import dtypes as _dt
    from .creation import tensor
    dt = dtype if dtype is not None else _dt.get_default_dtype()
    res = tensor(np.asarray(values, dtype=np.float64) / (n * d), dtype=dt)
    if out is not None:
        return write_out(res, out)
    return res.requires_grad_(True) if requires_grad else res


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """fftfreq(n, d=1.0, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: the sample frequencies of fft(x) for a signal of size n
    and spacing d: [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d * n)."""
    k = np.arange(n)
    return _freq(np.where(k <= (n - 1) // 2, k, k - n), n, d, out, dtype, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False) -> Tensor: the sample frequencies of rfft(x): [0, ..., n // 2] /
    (d * n)."""
    return _freq(np.arange(n // 2 + 1), n, d, out, dtype, requires_grad)
