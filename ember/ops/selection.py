"""Order statistics that pick elements: kthvalue, median, nanmedian, mode, cummax, cummin,
aminmax, quantile, nanquantile.

Each wrapper finds the chosen positions with NumPy, then one op gathers the values along ``dim``;
the op's rule scatters the gradient back to those positions (the adjoint of take_along_axis), so
the gradient reaches exactly the element torch's reaches. Whole-tensor ``median()`` differs: torch
spreads its gradient evenly over every element equal to the median, and so does its op here.
"""
import numpy as np

from .. import return_types
from .._errors import EmberIndexError, EmberRuntimeError, EmberValueError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import to_tensor, write_out
from .index_ops import _grid, _reader
from .registry import op, public
from .shape import stack
from .sorting import _argsort, _gather_grad, _gather_kernel, _pair


def _selector(name, node_name):
    o = op(name, keep="b", node_name=node_name)(_gather_kernel)
    o.derivative((_gather_grad, None))
    return o


_KTH = _selector("kthvalue", "KthvalueBackward0")
_MEDIAN_DIM = _selector("median_dim", "MedianBackward1")
_NANMEDIAN_DIM = _selector("nanmedian_dim", "NanmedianBackward1")
_MODE = _selector("mode", "ModeBackward0")
# running extremes repeat indices, so their rule must add up (gather's adjoint, not sort's)
_CUMMAX = _reader("cummax", "CummaxBackward0")
_CUMMIN = _reader("cummin", "CumminBackward0")


def _pick(opdef, input, idx, d, keepdim, kind, out=None):
    """Gather ``input`` at ``idx`` (keepdim-shaped indices along ``d``) and return torch's named
    (values, indices) pair, squeezing ``d`` unless ``keepdim``."""
    a = input._array
    if a.ndim == 0:
        values = dispatch.apply(opdef, (input.reshape(1), idx.reshape(1)),
                                {"dim": 0, "shape": (1,)}).reshape(())
        res = getattr(return_types, kind)(values, wrap(idx.reshape(())))
    else:
        values = dispatch.apply(opdef, (input, idx), {"dim": d, "shape": a.shape})
        idx = idx.copy()
        if not keepdim:
            values = values.squeeze(d)
            idx = np.squeeze(idx, d)
        res = getattr(return_types, kind)(values, wrap(idx))
    if out is not None:
        write_out(res[0], out[0])
        write_out(res[1], out[1])
        return getattr(return_types, kind)(out[0], out[1])
    return res


def _dim(name, a, dim):
    if isinstance(dim, (tuple, list)):
        raise EmberRuntimeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(dim, a.ndim)


def _nonempty(name, a, d):
    if a.ndim and a.shape[d] == 0:
        raise EmberIndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


@public("kthvalue", method=True)
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """kthvalue(input, k, dim=-1, keepdim=False) -> (values, indices): the k-th smallest
    element along ``dim`` (NaN counts as the largest value).

    Example:
        >>> torch.kthvalue(torch.tensor([4., 1., 3., 2.]), 2)
        torch.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(3))
    """
    a = input._array
    d = _dim("kthvalue", a, dim)
    n = a.shape[d] if a.ndim else 1
    if not 1 <= k <= n:
        raise EmberRuntimeError(f"kthvalue(): selected number k out of range for dimension {d}"
                                f" (k={k}, size {n})")
    if a.ndim == 0:
        return _pick(_KTH, input, np.zeros((), np.int64), 0, keepdim, "kthvalue", out)
    order = _argsort(a, d, False)
    idx = np.take(order, [k - 1], axis=d)
    return _pick(_KTH, input, idx, d, keepdim, "kthvalue", out)


def _median_index(a, d, ignore_nan):
    """Index of the lower median along ``d``; with NaN present the median is NaN (its first
    position) unless ``ignore_nan``."""
    order = _argsort(a, d, False)
    nan = np.isnan(a) if a.dtype.kind in "fc" else np.zeros(a.shape, bool)
    count = a.shape[d] - nan.sum(axis=d, keepdims=True) if ignore_nan else \
        np.full([1 if i == d else s for i, s in enumerate(a.shape)], a.shape[d])
    k = np.maximum((count - 1) // 2, 0)
    idx = np.take_along_axis(order, k, d)
    if not ignore_nan:
        has_nan = nan.any(axis=d, keepdims=True)
        first_nan = np.argmax(nan, axis=d, keepdims=True)
        idx = np.where(has_nan, first_nan, idx)
    return idx


def _median(name, opdef, input, dim, keepdim, out, ignore_nan):
    a = input._array
    d = _dim(name, a, dim)
    _nonempty(name, a, d)
    if a.ndim == 0:
        return _pick(opdef, input, np.zeros((), np.int64), 0, keepdim, name, out)
    return _pick(opdef, input, _median_index(a, d, ignore_nan), d, keepdim, name, out)


@op("median", keep="a+out", node_name="MedianBackward0")
def _median_all(m, a, ignore_nan):
    flat = a.reshape(-1)
    if flat.size == 0:
        return m.full((), m.nan, dtype=a.dtype)
    idx = _median_index(flat, 0, ignore_nan)
    return flat[idx[0]]


@_median_all.derivative
def _median_all_grad(m, g, a, out, ignore_nan):
    # torch spreads the gradient evenly over every element equal to the median (NaN: the NaNs)
    hit = m.isnan(a) if bool(m.isnan(out)) else a == out
    return m.where(hit, g / m.maximum(hit.sum(), 1), 0 * g)


def _median_whole(name, input):
    a = input._array
    if a.dtype.kind in "fc":
        return dispatch.unary(_median_all, input, ignore_nan=name == "nanmedian")
    return wrap(np.asarray(_median_all.forward(np, a, ignore_nan=False)))


@public("median", method=True)
def median(input, dim=None, keepdim=False, *, out=None):
    """median(input) -> Tensor; median(input, dim=-1, keepdim=False) -> (values, indices): the
    lower of the two middle values; NaN if the slice has a NaN.

    Example:
        >>> torch.median(torch.tensor([4., 1., 3., 2.]))
        tensor(2.)
        >>> torch.median(torch.tensor([[1., 5., 3.], [2., 0., 4.]]), dim=1)
        torch.return_types.median(
        values=tensor([3., 2.]),
        indices=tensor([2, 0]))
    """
    if dim is None:
        return write_out(_median_whole("median", input), out)
    return _median("median", _MEDIAN_DIM, input, dim, keepdim, out, ignore_nan=False)


@public("nanmedian", method=True)
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """nanmedian(input, dim=-1, keepdim=False) -> (values, indices): median ignoring NaN.

    Example:
        >>> torch.nanmedian(torch.tensor([1., float('nan'), 3., 2.]))
        tensor(2.)
    """
    if dim is None:
        return write_out(_median_whole("nanmedian", input), out)
    return _median("nanmedian", _NANMEDIAN_DIM, input, dim, keepdim, out, ignore_nan=True)


@public("mode", method=True)
def mode(input, dim=-1, keepdim=False, *, out=None):
    """mode(input, dim=-1, keepdim=False) -> (values, indices): the most frequent value along
    ``dim`` (the smallest among equally frequent ones) and the last position where it occurs.

    Example:
        >>> torch.mode(torch.tensor([1, 2, 2, 3]))
        torch.return_types.mode(
        values=tensor(2),
        indices=tensor(2))
    """
    a = input._array
    d = _dim("mode", a, dim)
    _nonempty("mode", a, d)
    if a.ndim == 0:
        return _pick(_MODE, input, np.zeros((), np.int64), 0, keepdim, "mode", out)
    moved = np.moveaxis(a, d, -1)
    n = moved.shape[-1]
    rows = moved.reshape(-1, n)
    best = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        order = np.argsort(row, kind="stable")
        s = row[order]
        # run lengths of equal values in sorted order; NaN never equals itself, count each alone
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        lengths = np.diff(np.r_[starts, n])
        run = int(np.argmax(lengths))                # first longest run = smallest value
        members = order[starts[run]:starts[run] + lengths[run]]
        best[r] = members.max()
    idx = np.expand_dims(best.reshape(moved.shape[:-1]), d)
    return _pick(_MODE, input, idx, d, keepdim, "mode", out)


def _cum_extreme(name, opdef, input, dim, out, better):
    a = input._array
    d = _dim(name, a, dim)
    if a.ndim == 0:
        return _pair(name, input.clone(), np.zeros((), np.int64), out)
    moved = np.moveaxis(a, d, -1)
    idx = np.zeros(moved.shape, np.int64)
    if moved.shape[-1]:
        best = moved[..., 0].copy()
        cur = np.zeros(moved.shape[:-1], np.int64)
        nan_seen = np.isnan(best) if a.dtype.kind in "fc" else np.zeros(best.shape, bool)
        for j in range(1, moved.shape[-1]):
            v = moved[..., j]
            isnan = np.isnan(v) if a.dtype.kind in "fc" else np.zeros(v.shape, bool)
            # ties move the index forward (torch reports the last position of the extreme);
            # once a NaN is seen it stays the running extreme, a later NaN takes over the index
            take = (~nan_seen & (better(v, best) | (v == best))) | isnan
            best = np.where(take, v, best)
            cur = np.where(take, j, cur)
            nan_seen |= isnan
            idx[..., j] = cur
    idx = np.ascontiguousarray(np.moveaxis(idx, -1, d))
    return _pair(name, dispatch.unary(opdef, input, index=_grid(idx, d)), idx, out)



@public("cummax", method=True)
def cummax(input, dim, *, out=None):
    """cummax(input, dim) -> (values, indices): running maximum along ``dim`` and where it was
    found (the last position among equal maxima; NaN propagates).

    Example:
        >>> torch.cummax(torch.tensor([1, 3, 2, 5]), dim=0)
        torch.return_types.cummax(
        values=tensor([1, 3, 3, 5]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cum_extreme("cummax", _CUMMAX, input, dim, out, np.greater)


@public("cummin", method=True)
def cummin(input, dim, *, out=None):
    """cummin(input, dim) -> (values, indices): running minimum along ``dim``.

    Example:
        >>> torch.cummin(torch.tensor([4, 2, 3, 1]), dim=0)
        torch.return_types.cummin(
        values=tensor([4, 2, 2, 1]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cum_extreme("cummin", _CUMMIN, input, dim, out, np.less)


@public("aminmax", method=True)
def aminmax(input, *, dim=None, keepdim=False, out=None):
    """aminmax(input, *, dim=None, keepdim=False) -> (min, max).

    Example:
        >>> torch.aminmax(torch.tensor([3, 1, 2]))
        torch.return_types.aminmax(
        min=tensor(1),
        max=tensor(3))
    """
    a = input._array
    if a.size == 0 and (dim is None or a.ndim == 0 or a.shape[_wrap_dim(dim, a.ndim)] == 0):
        raise EmberRuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the"
                                " operation has no identity.")
    if dim is None:
        lo, hi = input.amin(), input.amax()
        if keepdim:
            lo, hi = lo.reshape([1] * a.ndim), hi.reshape([1] * a.ndim)
    else:
        lo, hi = input.amin(dim, keepdim), input.amax(dim, keepdim)
    res = return_types.aminmax(lo, hi)
    if out is not None:
        write_out(lo, out[0])
        write_out(hi, out[1])
        return return_types.aminmax(out[0], out[1])
    return res


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, out, ignore_nan):
    a = input._array
    if a.dtype.kind not in "f":
        raise EmberRuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERP:
        raise EmberValueError(f"{name}() interpolation must be one of linear, lower, higher, "
                              f"midpoint or nearest. Got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    qt = to_tensor(q) if not scalar_q else None
    qa = np.asarray(q, dtype=a.dtype) if scalar_q else qt._array
    if qa.ndim > 1:
        raise EmberRuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if not scalar_q and qa.dtype != a.dtype:
        raise EmberRuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if np.any((qa < 0) | (qa > 1)):
        raise EmberRuntimeError(f"{name}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    if x.ndim == 0:
        x = x.reshape(1)
    d = 0 if dim is None else _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        d = 0
    n = x.shape[d]
    if n == 0:
        raise EmberIndexError(f"{name}() input tensor must be non-empty")
    srt = x.sort(d).values
    xa = x._array
    nan = np.isnan(xa)
    count = (n - nan.sum(axis=d, keepdims=True)) if ignore_nan else \
        np.full(tuple(1 if i == d else s for i, s in enumerate(xa.shape)), n)
    qs = qa.reshape(-1)
    results = []
    for j, qv in enumerate(qs):
        pos = qv * (np.maximum(count, 1) - 1).astype(a.dtype)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0)).astype(np.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "midpoint":
            hi = np.ceil(pos).astype(np.int64)
        elif interpolation == "higher":
            lo = hi = np.ceil(pos).astype(np.int64)
        elif interpolation == "nearest":
            lo = hi = np.round(pos).astype(np.int64)   # round half to even, as torch
        v_lo = srt.gather(d, wrap(lo))
        v_hi = srt.gather(d, wrap(hi))
        if interpolation in ("lower", "higher", "nearest"):
            v = v_lo
        elif interpolation == "midpoint":
            v = v_lo + (v_hi - v_lo) * 0.5
        else:
            frac = wrap((pos - lo).astype(a.dtype))
            if qt is not None and qt.requires_grad:
                # torch differentiates through q as well: frac = q (count - 1) - lo
                qj = qt.reshape(-1)[j]
                frac = qj * wrap((count - 1).astype(a.dtype)) - wrap(lo.astype(a.dtype))
            v = v_lo + (v_hi - v_lo) * frac
        bad = (count == 0) if ignore_nan else nan.any(axis=d, keepdims=True)
        if bad.any():
            v = v.masked_fill(wrap(bad), float("nan"))
        if not keepdim or input.ndim == 0:
            v = v.squeeze(d)
        if keepdim and dim is None:
            v = v.reshape([1] * input.ndim)
        results.append(v)
    res = results[0] if scalar_q or qa.ndim == 0 else stack(results, 0)
    return write_out(res, out)


@public("quantile", method=True)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """quantile(input, q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor.

    Example:
        >>> torch.quantile(torch.tensor([1., 2., 3., 4.]), 0.5)
        tensor(2.5000)
        >>> torch.quantile(torch.tensor([1., 2., 3., 4.]), torch.tensor([0.25, 0.75]))
        tensor([1.7500, 3.2500])
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, out, ignore_nan=False)


@public("nanquantile", method=True)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """nanquantile(input, q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor:
    quantile ignoring NaN.

    Example:
        >>> torch.nanquantile(torch.tensor([1., float('nan'), 3.]), 0.5)
        tensor(2.)
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, out, ignore_nan=True)
