"""ember.masked: reductions and normalizations that ignore masked-out elements (torch.masked).

Every function takes a boolean ``mask`` broadcastable to ``input`` (True = the element takes
part). Masked-out elements are replaced by the operation's identity (0 for sum, 1 for prod, -inf
for amax, …) and the ordinary op runs on the result, so gradients come from the composed ember
ops: masked-out positions receive zero gradient through ``where``. Slices with no unmasked element
give what torch gives: the identity for sum/prod/amax/amin, ``nan`` for mean/var/std/median.
"""
import math

from . import dtypes as _dt
from ._errors import EmberIndexError, EmberRuntimeError, EmberValueError

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin",
           "std", "sum", "var"]

# dtypes a masked sum/prod accumulates in int64 (as torch.sum does without dtype=)
_SMALL_INTS = frozenset((_dt.bool_, _dt.uint8, _dt.int8, _dt.int16, _dt.int32))


def _ember():
    # ember/__init__ imports this module; the package namespace is complete by first call
    import ember
    return ember


def _canonical_dim(dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims; None or () mean every dim."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    ndim = max(ndim, 1)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    seen = []
    for d in dims:
        if d in seen:
            raise EmberRuntimeError(f"dim={d} appears multiple times in the list of dims")
        if not -ndim <= d < ndim:
            raise EmberIndexError(f"Dimension out of range (expected to be in range of "
                                  f"[{-ndim}, {ndim - 1}], but got {d})")
        seen.append(d)
    return tuple(sorted(d % ndim for d in seen))


def _input_mask(input, mask):
    """``mask`` broadcast to ``input``'s shape, as bool."""
    E = _ember()
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise EmberIndexError("_input_mask expected broadcastable mask (got mask "
                                  "dimensionality higher than of the input)")
        mask = E.broadcast_to(mask, tuple(input.shape))
    if mask.dtype is not _dt.bool_:
        mask = mask.to(_dt.bool_)
    return mask


def _identity(name, input, ord=2.0):
    """The value a masked-out element is replaced by, for reduction ``name``."""
    dt = input.dtype
    if name in ("sum", "norm"):
        return math.inf if name == "norm" and ord == -math.inf else 0
    if name == "prod":
        return 1
    if name in ("amax", "amin"):
        sign = 1 if name == "amin" else -1
        if dt.is_floating_point or dt.is_complex:
            return sign * math.inf
        info = _dt.iinfo(dt)
        return info.max if sign > 0 else info.min
    if name == "median":
        return math.nan
    raise EmberValueError(f"no identity for masked {name}")


def _fill(input, mask, name, ord=2.0):
    """``input`` with masked-out elements replaced by the identity of reduction ``name``."""
    if mask is None:
        return input
    E = _ember()
    fill = E.tensor(_identity(name, input, ord), dtype=input.dtype)
    return E.where(_input_mask(input, mask), input, fill)


def _sum_dtype(input, dtype):
    if dtype is None:
        return _dt.int64 if input.dtype in _SMALL_INTS else input.dtype
    return dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """sum(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Sum of the unmasked elements over ``dim`` (all dims when None); masked-out elements count
    as 0."""
    dtype = _sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    x = _fill(input, mask, "sum")
    return _ember().sum(x, dims, bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """prod(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Product of the unmasked elements over ``dim``; masked-out elements count as 1."""
    dtype = _sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    x = _fill(input, mask, "prod").to(dtype)
    if x.ndim == 0:
        return x.prod(dim=0, keepdim=bool(keepdim)) if dims else x
    for d in reversed(dims):
        x = x.prod(dim=d, keepdim=bool(keepdim))
    return x


def cumsum(input, dim, *, dtype=None, mask=None):
    """cumsum(input, dim, *, dtype=None, mask=None) -> Tensor

    Cumulative sum along ``dim`` with masked-out elements counted as 0."""
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _ember().cumsum(_fill(input, mask, "sum"), d, dtype=dtype).to(dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """cumprod(input, dim, *, dtype=None, mask=None) -> Tensor

    Cumulative product along ``dim`` with masked-out elements counted as 1."""
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _ember().cumprod(_fill(input, mask, "prod"), d, dtype=dtype).to(dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """amax(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Maximum of the unmasked elements over ``dim``; a fully masked slice gives -inf (the
    dtype's minimum for integers)."""
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "amax")
    return _ember().amax(x, _canonical_dim(dim, x.ndim), bool(keepdim)).to(dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """amin(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Minimum of the unmasked elements over ``dim``; a fully masked slice gives +inf (the
    dtype's maximum for integers)."""
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "amin")
    return _ember().amin(x, _canonical_dim(dim, x.ndim), bool(keepdim)).to(dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Index of the largest unmasked element along ``dim``, returned in ``dtype`` (by default
    the input's dtype, as torch.masked does)."""
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "amax")
    return _ember().argmax(x, dim, bool(keepdim)).to(dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Index of the smallest unmasked element along ``dim``, returned in ``dtype`` (by default
    the input's dtype)."""
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "amin")
    return _ember().argmin(x, dim, bool(keepdim)).to(dtype)


def _count(input, mask, dim, keepdim):
    """Number of unmasked elements per output position (int64)."""
    E = _ember()
    if mask is None:
        ones = E.ones(tuple(input.shape), dtype=_dt.int64)
        return sum(ones, dim, keepdim=keepdim)
    return sum(mask, dim, keepdim=keepdim)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """mean(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Mean of the unmasked elements over ``dim``; a fully masked slice gives nan."""
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise EmberValueError(f"mean(): Could not infer output dtype. {source} dtype must be "
                              f"either a floating point or complex dtype. Got: {dtype}")
    inmask = None if mask is None else _input_mask(input, mask)
    count = _count(input, inmask, dim, keepdim)
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """median(input, dim=-1, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Median (the lower of the two middle values) of the unmasked elements along ``dim``; a
    fully masked slice gives nan."""
    E = _ember()
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    is_float = input.dtype.is_floating_point
    if not is_float:
        input = input.to(_dt.float32)
    out = E.nanmedian(_fill(input, mask, "median"), d, keepdim).values
    if is_float:
        return out
    if bool(E.isnan(out).any()):
        raise EmberValueError("masked median expects no fully masked out rows if dtype is not "
                              "floating point")
    return out.to(dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    log(sum(exp(x))) over the unmasked elements; a fully masked slice gives -inf."""
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    x = _fill(input, mask, "amax")
    return _ember().logsumexp(x, dims, keepdim=keepdim).to(dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None) -> Tensor

    Elementwise log(exp(input) + exp(other)), each operand's masked-out elements taken as
    -inf."""
    dtype = input.dtype if dtype is None else dtype
    a = _fill(input, input_mask, "amax")
    b = _fill(other, other_mask, "amax")
    return _ember().logaddexp(a, b).to(dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor

    Vector ``ord``-norm of the unmasked elements over ``dim`` (masked-out elements count as 0,
    or +inf for ``ord=-inf``)."""
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "norm", ord)
    dims = _canonical_dim(dim, input.ndim)
    return _ember().linalg.vector_norm(x, ord, dims, bool(keepdim), dtype=dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    E = _ember()
    if unbiased is not None and correction is not None:
        raise EmberValueError("Only one of unbiased and correction may be given")
    corr = 1.0
    if unbiased is not None:
        corr = 1.0 if unbiased else 0.0
    if correction is not None:
        corr = float(correction)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _dt.float32
    compute = dtype if (dtype.is_floating_point or dtype.is_complex) else _dt.float32
    inmask = None if mask is None else _input_mask(input, mask)
    count = _count(input, inmask, dim, True)
    mu = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask) / count
    x = input - mu
    total = sum(x * x.conj(), dim, keepdim=keepdim, dtype=compute, mask=inmask)
    if not keepdim:
        count = count.reshape(tuple(total.shape))
    if corr != 0:
        real = _dt.float64 if compute is _dt.complex128 else (
            _dt.float32 if compute is _dt.complex64 else compute)
        count = E.clamp_min(count.to(real) - corr, 0)
    out = (total / count).to(dtype)
    return E.sqrt(out) if take_sqrt else out


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    """var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
    mask=None) -> Tensor

    Variance of the unmasked elements over ``dim`` with Bessel's ``correction`` (default 1);
    a fully masked slice gives nan."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    """std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
    mask=None) -> Tensor

    Standard deviation of the unmasked elements over ``dim``; a fully masked slice gives
    nan."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def softmax(input, dim, *, dtype=None, mask=None):
    """softmax(input, dim, *, dtype=None, mask=None) -> Tensor

    Softmax along ``dim`` over the unmasked elements (masked-out ones get probability 0; a
    fully masked slice gives nan)."""
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _ember().nn.functional.softmax(_fill(input, mask, "amax"), d, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """log_softmax(input, dim, *, dtype=None, mask=None) -> Tensor

    Log-softmax along ``dim`` over the unmasked elements (masked-out ones give -inf)."""
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _ember().nn.functional.log_softmax(_fill(input, mask, "amax"), d, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    """softmin(input, dim, *, dtype=None, mask=None) -> Tensor

    Softmin along ``dim`` over the unmasked elements."""
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _ember().nn.functional.softmin(_fill(input, mask, "amin"), d, dtype=dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None) -> Tensor

    ``input`` divided by its masked ``ord``-norm along ``dim`` (at least ``eps``); masked-out
    elements become 0."""
    E = _ember()
    dtype = input.dtype if dtype is None else dtype
    x = _fill(input, mask, "sum")
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return E.divide(x, E.clamp_min(nrm, eps))
