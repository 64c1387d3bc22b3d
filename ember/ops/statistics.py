"""NaN-aware reductions, covariance, histograms, finite differences and integration: nansum,
nanmean, logcumsumexp, cov, corrcoef, histc, histogram, histogramdd, bincount, renorm, diff,
gradient, trapezoid/trapz, cumulative_trapezoid.

Differentiable ones are compositions of ops that carry derivatives (so torch's gradients come
out of the chain rule); logcumsumexp is its own op; histograms and counts are not differentiable.
"""
import math

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberValueError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import to_tensor, write_out
from .registry import op, public
from .elementwise import _logaddexp_kernel
from .shape import cat


def _dims(dim, nd):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    if isinstance(dim, int):
        return (_wrap_dim(dim, nd),)
    return tuple(_wrap_dim(d, nd) for d in dim)


@public("nansum", method=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor: sum treating NaN as 0.

    Example:
        >>> torch.nansum(torch.tensor([1., float('nan'), 3.]))
        tensor(4.)
    """
    x = input
    if input._array.dtype.kind in "fc":
        x = input.masked_fill(input.isnan(), 0)
    d = _dims(dim, input.ndim)
    res = x.sum(dtype=dtype) if d is None and not keepdim else \
        x.sum(d if d is not None else tuple(range(input.ndim)), keepdim, dtype=dtype)
    return write_out(res, out)


@public("nanmean", method=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor: mean of the non-NaN
    elements.

    Example:
        >>> torch.nanmean(torch.tensor([1., float('nan'), 3.]))
        tensor(2.)
    """
    if input._array.dtype.kind not in "fc":
        raise EmberRuntimeError(f"nanmean(): expected input to have floating point or complex "
                                f"dtype but got {input.dtype}")
    keep = ~input.isnan()
    total = nansum(input, dim, keepdim, dtype=dtype)
    count = nansum(keep.to(total.dtype), dim, keepdim)
    return write_out(total / count, out)


@op("logcumsumexp", keep="a+out")
def _logcumsumexp(m, a, dim):
    if a.shape[dim] == 0:
        return a.copy()
    if a.dtype.kind != "c":
        return m.logaddexp.accumulate(a, axis=dim)
    # NumPy's logaddexp has no complex loop: accumulate along dim with the complex kernel
    out = m.empty_like(a)
    src, dst = m.moveaxis(a, dim, 0), m.moveaxis(out, dim, 0)
    dst[0] = src[0]
    for i in range(1, src.shape[0]):
        dst[i] = _logaddexp_kernel(m, dst[i - 1], src[i])
    return out


@_logcumsumexp.derivative
def _logcumsumexp_grad(m, g, a, out, dim):
    # d out_i / d a_j = exp(a_j - out_i) for j <= i: a reverse cumulative sum of g e^{-out},
    # shifted by the largest output so the exponentials stay in range
    if out.shape[dim] == 0:
        return g
    # out only grows along dim (its real part, for complex inputs): the shift is its last value
    cplx = out.dtype.kind == "c" if isinstance(out, np.ndarray) else out.is_complex()
    shift = m.max(out.real if cplx else out, axis=dim, keepdims=True)
    w = m.where(out == -math.inf, 0, g * m.conj(m.exp(shift - out)))
    rev = m.flip(m.cumsum(m.flip(w, dim), axis=dim), dim)
    return rev * m.conj(m.exp(a - shift))


@public("logcumsumexp", method=True)
def logcumsumexp(input, dim, *, out=None):
    """logcumsumexp(input, dim) -> Tensor: log of the running sum of exp along ``dim``.

    Example:
        >>> torch.logcumsumexp(torch.tensor([0., 0., 0.]), dim=0)
        tensor([0.0000, 0.6931, 1.0986])
    """
    x = input if input._array.dtype.kind in "fc" else input.to(_dt.get_default_dtype())
    if x.ndim == 0:
        return write_out(x.clone(), out)
    return write_out(dispatch.unary(_logcumsumexp, x, dim=_wrap_dim(dim, x.ndim)), out)


@public("cov", method=True)
def cov(input, *, correction=1, fweights=None, aweights=None):
    """cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor: covariance of the
    variables in the rows of ``input`` (observations in columns).

    Example:
        >>> torch.cov(torch.tensor([[1., 2., 3.], [2., 4., 6.]]))
        tensor([[1., 2.],
                [2., 4.]])
    """
    if input.ndim > 2:
        raise EmberValueError(f"cov(): expected input to have two or fewer dimensions but got an"
                              f" input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x._array.dtype.kind not in "fc":
        x = x.to(_dt.get_default_dtype())
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights._array.dtype.kind not in "iu":
            raise EmberRuntimeError(f"cov(): expected fweights to have integral dtype but got "
                                    f"fweights with {fweights.dtype} dtype")
        w = fweights
    if aweights is not None:
        if aweights._array.dtype.kind != "f":
            raise EmberRuntimeError(f"cov(): expected aweights to have floating point dtype but "
                                    f"got aweights with {aweights.dtype} dtype")
        w = aweights if w is None else w * aweights
    if w is None:
        avg = x.mean(1, keepdim=True)
        fact = n - correction
    else:
        wsum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / wsum
        if aweights is None:
            fact = wsum - correction
        else:
            fact = wsum - correction * (w * aweights).sum() / wsum
    xm = x - avg
    xw = xm if w is None else xm * w
    c = xw.matmul(xm.conj().transpose(0, 1))
    if isinstance(fact, Tensor):
        fact = fact.clamp(min=0)
    else:
        fact = max(fact, 0)
    c = c / fact
    return c.reshape(()) if x.shape[0] == 1 else c


@public("corrcoef", method=True)
def corrcoef(input):
    """corrcoef(input) -> Tensor: Pearson correlation coefficients of the rows of ``input``.

    Example:
        >>> torch.corrcoef(torch.tensor([[1., 2., 3.], [3., 2., 1.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    if c._array.dtype.kind == "c":
        d = d.real
    s = d.sqrt()
    c = c / s.reshape(-1, 1)
    c = c / s.reshape(1, -1)
    if c._array.dtype.kind == "c":
        from .complex_ops import complex as _complex
        return _complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


# --- histograms and counts (not differentiable) -------------------------------------------------
@public("histc", method=True)
def histc(input, bins=100, min=0, max=0, *, out=None):
    """histc(input, bins=100, min=0, max=0) -> Tensor: equal-width histogram; ``min == max``
    uses the data's range; values outside [min, max] are ignored.

    Example:
        >>> torch.histc(torch.tensor([1., 2., 1., 4.]), bins=4, min=0, max=4)
        tensor([0., 2., 1., 1.])
    """
    a = input._array
    if a.dtype.kind not in "f":
        raise EmberRuntimeError(f"\"histogram_cpu\" not implemented for '{str(input.dtype)[6:]}'")
    if bins <= 0:
        raise EmberRuntimeError(f"torch.histc: bins must be > 0, but got {bins} for bins")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise EmberRuntimeError(f"torch.histc: max must be larger than min, but got "
                                f"min = {lo} and max = {hi}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(a[(a >= lo) & (a <= hi)], bins=bins, range=(lo, hi))
    return write_out(wrap(counts.astype(a.dtype)), out)


@public("histogram", method=True)
def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """histogram(input, bins, *, range=None, weight=None, density=False) -> (hist, bin_edges).

    Example:
        >>> torch.histogram(torch.tensor([1., 2., 1.]), bins=2, range=(0., 2.))
        torch.return_types.histogram(
        hist=tensor([0., 3.]),
        bin_edges=tensor([0., 1., 2.]))
    """
    from .. import return_types
    a = input._array
    b = bins._array if isinstance(bins, Tensor) else int(bins)
    w = weight._array if weight is not None else None
    rng = tuple(float(v) for v in range) if range is not None else None
    if rng is None and not isinstance(bins, Tensor) and a.size == 0:
        rng = (0.0, 1.0)
    hist, edges = np.histogram(a.reshape(-1), bins=b, range=rng,
                               weights=None if w is None else w.reshape(-1), density=density)
    res = return_types.histogram(wrap(hist.astype(a.dtype)), wrap(edges.astype(a.dtype)))
    return res


@public("histogramdd")
def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """histogramdd(input, bins, *, range=None, weight=None, density=False) ->
    (hist, bin_edges): a histogram of the points in the rows of ``input`` (N, D).

    Example:
        >>> pts = torch.tensor([[0., 0.], [1., 1.], [1., 0.]])
        >>> hist, edges = torch.histogramdd(pts, bins=[2, 2])
        >>> hist
        tensor([[1., 0.],
                [1., 1.]])
    """
    from .. import return_types
    a = input._array
    pts = a.reshape(-1, a.shape[-1])
    if isinstance(bins, Tensor):
        bins = bins.tolist()
    elif isinstance(bins, (list, tuple)):
        bins = [b._array if isinstance(b, Tensor) else int(b) for b in bins]
    rng = None
    if range is not None:
        r = [float(v) for v in range]
        rng = list(zip(r[0::2], r[1::2]))     # (min, max) per dimension
    hist, edges = np.histogramdd(pts, bins=bins, range=rng,
                                 weights=None if weight is None else weight._array.reshape(-1),
                                 density=density)
    return return_types.histogramdd(wrap(hist.astype(a.dtype)),
                                    tuple(wrap(e.astype(a.dtype)) for e in edges))



@public("bincount", method=True)
def bincount(input, weights=None, minlength=0):
    """bincount(input, weights=None, minlength=0) -> Tensor: occurrences of each non-negative
    integer (summed ``weights`` when given).

    Example:
        >>> torch.bincount(torch.tensor([0, 1, 1, 3]))
        tensor([1, 2, 0, 1])
    """
    a = input._array
    if a.ndim != 1 or a.dtype.kind not in "iub":
        raise EmberRuntimeError(f"bincount only supports 1-d non-negative integral inputs "
                                f"(got {a.ndim}-d {input.dtype})")
    if a.size and a.min() < 0:
        raise EmberRuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise EmberRuntimeError("minlength should be >= 0")
    if weights is None:
        return wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._array
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return wrap(np.bincount(a, weights=w, minlength=minlength).astype(dtype))


@public("renorm", method=True)
def renorm(input, p, dim, maxnorm, *, out=None):
    """renorm(input, p, dim, maxnorm) -> Tensor: each slice along ``dim`` whose p-norm exceeds
    ``maxnorm`` scaled down to norm ``maxnorm``.

    Example:
        >>> torch.renorm(torch.tensor([[3., 4.], [0., 1.]]), p=2, dim=0, maxnorm=1)
        tensor([[0.6000, 0.8000],
                [0.0000, 1.0000]])
    """
    if p <= 0:
        raise EmberRuntimeError(f"renorm: non-positive-norm not supported (got p={p})")
    if maxnorm < 0:
        raise EmberRuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    if math.isinf(p):
        norm = input.abs().amax(others, keepdim=True) if others else input.abs()
    else:
        norm = (input.abs() ** p).sum(others, keepdim=True) ** (1.0 / p) if others else \
            input.abs()
    # torch's factor: maxnorm / (norm + 1e-7) where the norm is too large, else 1
    factor = (maxnorm / (norm + 1e-7)).masked_fill(norm <= maxnorm, 1.0)
    return write_out(input * factor, out)


# --- finite differences and integration ---------------------------------------------------------
@public("diff", method=True)
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor: n-th forward difference
    along ``dim`` (booleans use XOR).

    Example:
        >>> torch.diff(torch.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
    """
    if input.ndim == 0:
        raise EmberRuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input.ndim)
    if n == 0:
        return write_out(input, out)
    x = input
    parts = []
    if prepend is not None:
        pre = to_tensor(prepend)
        parts.append(pre if pre.ndim else pre.expand(*x.shape[:d], 1, *x.shape[d + 1:]))
    parts.append(x)
    if append is not None:
        app = to_tensor(append)
        parts.append(app if app.ndim else app.expand(*x.shape[:d], 1, *x.shape[d + 1:]))
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi, lo = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = hi.logical_xor(lo) if x._array.dtype == np.bool_ else hi - lo
    return write_out(x, out)


@public("gradient")
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """gradient(input, *, spacing=1, dim=None, edge_order=1) -> tuple of Tensors: second-order
    central differences inside, first- or second-order one-sided differences at the edges;
    ``spacing`` is a scalar, a list of scalars or a list of coordinate tensors per dimension.

    Example:
        >>> torch.gradient(torch.tensor([1., 4., 9., 16.]))
        (tensor([3., 4., 6., 7.]),)
    """
    if edge_order not in (1, 2):
        raise EmberRuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.ndim)) if dim is None else \
        [_wrap_dim(d, input.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    if isinstance(spacing, (list, tuple)):
        sp = list(spacing)
        if len(sp) != len(dims):
            raise EmberRuntimeError(f"torch.gradient expected spacing to be unspecified, a "
                                    f"scalar or it's spacing and dim arguments to have the same "
                                    f"length, but got a spacing argument of length {len(sp)} and"
                                    f" a dim argument of length {len(dims)}.")
    else:
        sp = [1 if spacing is None else spacing] * len(dims)
    x = input if input._array.dtype.kind in "fc" else input.to(_dt.get_default_dtype())
    outs = []
    for d, h in zip(dims, sp):
        n = x.shape[d]
        if n < edge_order + 1:
            raise EmberRuntimeError("torch.gradient expected each dimension size to be at least"
                                    " edge_order+1")

        def sl(a, b, t=x, d=d):
            return t.narrow(d, a, b - a)
        if isinstance(h, Tensor) and h.ndim == 1:
            c = h.to(x.dtype)
            shape = [1] * x.ndim
            shape[d] = -1
            dx = (c[1:] - c[:-1]).reshape(shape)
            a1, a2 = dx.narrow(d, 0, n - 2), dx.narrow(d, 1, n - 2)
            inner = (a1 ** 2 * sl(2, n) - a2 ** 2 * sl(0, n - 2)
                     + (a2 ** 2 - a1 ** 2) * sl(1, n - 1)) / (a1 * a2 * (a1 + a2))
            h0, hn = dx.narrow(d, 0, 1), dx.narrow(d, n - 2, 1)
            if edge_order == 1:
                first = (sl(1, 2) - sl(0, 1)) / h0
                last = (sl(n - 1, n) - sl(n - 2, n - 1)) / hn
            else:
                h1, hm = dx.narrow(d, 1, 1), dx.narrow(d, n - 3, 1)
                first = (-(2 * h0 + h1) / (h0 * (h0 + h1)) * sl(0, 1)
                         + (h0 + h1) / (h0 * h1) * sl(1, 2) - h0 / (h1 * (h0 + h1)) * sl(2, 3))
                last = (hn / (hm * (hm + hn)) * sl(n - 3, n - 2)
                        - (hm + hn) / (hm * hn) * sl(n - 2, n - 1)
                        + (2 * hn + hm) / (hn * (hm + hn)) * sl(n - 1, n))
        else:
            h = h.item() if isinstance(h, Tensor) else h
            inner = (sl(2, n) - sl(0, n - 2)) / (2 * h)
            if edge_order == 1:
                first = (sl(1, 2) - sl(0, 1)) / h
                last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
            else:
                first = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
                last = (0.5 * sl(n - 3, n - 2) - 2 * sl(n - 2, n - 1) + 1.5 * sl(n - 1, n)) / h
        outs.append(cat([first, inner, last], d))
    return tuple(outs)


def _trapz_parts(y, x, dx, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return None, d
    avg = (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) / 2
    if x is None:
        return avg * (1.0 if dx is None else dx), d
    x = to_tensor(x)
    if x.ndim == 1:
        shape = [1] * y.ndim
        shape[d] = -1
        dxs = (x[1:] - x[:-1]).reshape(shape)
    else:
        xd = _wrap_dim(dim, x.ndim)
        m = x.shape[xd]
        dxs = x.narrow(xd, 1, m - 1) - x.narrow(xd, 0, m - 1)
    return avg * dxs, d


@public("trapezoid")
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor: trapezoidal rule along ``dim``.

    Example:
        >>> torch.trapezoid(torch.tensor([1., 3., 5.]))
        tensor(6.)
        >>> torch.trapezoid(torch.tensor([1., 3., 5.]), dx=2)
        tensor(12.)
    """
    if x is not None and dx is not None:
        raise EmberRuntimeError("trapezoid: received both x and dx; pass only one")
    if not isinstance(y, Tensor):
        y = to_tensor(y)
    if y._array.dtype.kind not in "fc":
        y = y.to(_dt.get_default_dtype())
    parts, d = _trapz_parts(y, x, dx, dim)
    if parts is None:
        return y.sum(d) * 0
    return parts.sum(d)


@public("trapz")
def trapz(y, x=None, *, dx=None, dim=-1):
    """trapz(y, x, *, dim=-1) / trapz(y, *, dx=1, dim=-1): the older name of trapezoid.

    Example:
        >>> torch.trapz(torch.tensor([1., 3., 5.]), torch.tensor([0., 1., 3.]))
        tensor(10.)
    """
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return trapezoid(y, dx=x, dim=dim)
    return trapezoid(y, x, dx=dx, dim=dim)


@public("cumulative_trapezoid")
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor: running trapezoidal
    integral (one element shorter than ``y`` along ``dim``).

    Example:
        >>> torch.cumulative_trapezoid(torch.tensor([1., 3., 5.]))
        tensor([2., 6.])
    """
    if y._array.dtype.kind not in "fc":
        y = y.to(_dt.get_default_dtype())
    parts, d = _trapz_parts(y, x, dx, dim)
    if parts is None:
        return y.clone()
    return parts.cumsum(d)
