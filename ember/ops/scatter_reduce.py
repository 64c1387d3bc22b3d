"""scatter_reduce and index_reduce: write ``src`` into a copy of ``input`` at an index,
combining colliding entries with sum, prod, mean, amax or amin (``include_self`` says whether the
input's own value takes part).

One op serves both: ``index`` is a full NumPy index into the output (scatter's element grid, or
index_reduce's ``(:, …, idx)``) and ``region`` the part of ``src`` it reads. The rules follow
torch's: sum passes the gradient through, mean divides it by the count, prod multiplies by the
product of the other factors (exact when one factor is zero), amax/amin share it evenly among the
entries equal to the result. They are first-order (NumPy scatter-adds), not create_graph rules.
"""
import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import Tensor
from . import dispatch
from ._public import write_out
from .index_ops import _along, _as_1d, _pad_grad, _scatter_args, _source_along
from .registry import op, public

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.fmax,
          "amin": np.fmin}


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


def _counts(shape, index):
    cnt = np.zeros(shape, np.int64)
    np.add.at(cnt, index, 1)
    return cnt


def _kernel(m, a, src, index, region, reduce, include_self):
    out = np.array(a, copy=True)
    v = src[region]
    cnt = _counts(a.shape, index)
    if not include_self:
        out[cnt > 0] = _identity(reduce, a.dtype)
    if reduce in ("amax", "amin"):
        # NaN wins as in torch: fmax/fmin ignore NaN, so put NaNs back afterwards
        ufunc = np.maximum if reduce == "amax" else np.minimum
        ufunc.at(out, index, v)
    else:
        _UFUNC[reduce].at(out, index, v)
    if reduce == "mean":
        denom = cnt + (1 if include_self else 0)
        hit = cnt > 0
        if out.dtype.kind in "iu":
            out[hit] = out[hit] // denom[hit]
        else:
            out[hit] = out[hit] / denom[hit]
    return out


_SCATTER_REDUCE = op("scatter_reduce", keep="ab+out", kind="indexing",
                     node_name="ScatterReduceBackward0")(_kernel)


def _others_product(a, v, index, include_self, out_shape):
    """Per output position: the number of zero factors and the product of the nonzero ones."""
    zeros = _counts(out_shape, index) * 0
    np.add.at(zeros, index, (v == 0).astype(np.int64))
    nz = np.ones(out_shape, a.dtype)
    np.multiply.at(nz, index, np.where(v == 0, 1, v))
    if include_self:
        zeros = zeros + (a == 0)
        nz = nz * np.where(a == 0, 1, a)
    return zeros, nz


def _factor_grad(x, gout, out, zeros, nz):
    """d(product)/d(factor x) times the incoming gradient, exact when x is the only zero."""
    with np.errstate(all="ignore"):
        plain = gout * out / np.where(x == 0, 1, x)
    only_zero = gout * nz * (zeros == 1)
    return np.where(x == 0, only_zero, plain)


def _grad_self(m, g, a, src, out, index, region, reduce, include_self):
    cnt = _counts(a.shape, index)
    if not include_self:
        return g * (cnt == 0)
    if reduce == "sum":
        return g
    if reduce == "mean":
        return g / (cnt + 1)
    if reduce == "prod":
        zeros, nz = _others_product(a, src[region], index, True, a.shape)
        return _factor_grad(a, g, out, zeros, nz)
    equal = _counts(a.shape, index) * 0
    np.add.at(equal, index, (src[region] == out[index]).astype(np.int64))
    equal = equal + (a == out)
    return np.where(a == out, g / np.maximum(equal, 1), 0)


def _grad_src(m, g, a, src, out, index, region, reduce, include_self):
    v = src[region]
    cnt = _counts(a.shape, index)
    if reduce == "sum":
        gs = g[index]
    elif reduce == "mean":
        gs = (g / np.maximum(cnt + (1 if include_self else 0), 1))[index]
    elif reduce == "prod":
        zeros, nz = _others_product(a, v, index, include_self, a.shape)
        gs = _factor_grad(v, g[index], out[index], zeros[index], nz[index])
    else:
        equal = cnt * 0
        np.add.at(equal, index, (v == out[index]).astype(np.int64))
        if include_self:
            equal = equal + (a == out)
        gs = np.where(v == out[index], (g / np.maximum(equal, 1))[index], 0)
    return _pad_grad(m, gs, src.shape, region)


_SCATTER_REDUCE.derivative((_grad_self, _grad_src))


def _check_reduce(reduce, name):
    if reduce not in _REDUCES:
        raise EmberRuntimeError(f"{name}(): reduce argument must be either sum, prod, mean, amax "
                                f"or amin, got {reduce}")


def _apply(input, src, index, region, reduce, include_self, inplace):
    attrs = {"index": index, "region": region, "reduce": reduce,
             "include_self": bool(include_self)}
    target, s = _as_1d(input), _as_1d(src)
    if inplace:
        dispatch.apply_inplace(_SCATTER_REDUCE, target, (s,), attrs)
        return input
    res = dispatch.apply(_SCATTER_REDUCE, (target, s), attrs)
    return res.reshape(()) if input._array.ndim == 0 else res


def _scatter_reduce(input, dim, index, src, reduce, include_self, inplace):
    _check_reduce(reduce, "scatter_reduce")
    grid, region = _scatter_args(input, dim, index, src, "scatter_reduce")
    return _apply(input, src, grid, region, reduce, include_self, inplace)


@public("scatter_reduce", method=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor: scatter
    ``src`` into a copy of ``input``, combining entries that land on one position with
    ``reduce`` ('sum', 'prod', 'mean', 'amax', 'amin').

    Example:
        >>> idx, src = torch.tensor([0, 0, 2]), torch.tensor([1., 2., 3.])
        >>> torch.scatter_reduce(torch.zeros(3), 0, idx, src, 'sum')
        tensor([3., 0., 3.])
        >>> torch.scatter_reduce(torch.zeros(3), 0, idx, src, 'amax', include_self=False)
        tensor([2., 0., 3.])
    """
    return write_out(_scatter_reduce(input, dim, index, src, reduce, include_self, False), out)


@public("scatter_reduce_", method=True, function=False)
def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """scatter_reduce_(dim, index, src, reduce, *, include_self=True) -> self."""
    return _scatter_reduce(self, dim, index, src, reduce, include_self, True)


def _index_reduce(input, dim, index, source, reduce, include_self, inplace):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise EmberRuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax "
                                f"or amin but got {reduce}.")
    if not isinstance(source, Tensor):
        raise EmberRuntimeError("index_reduce(): source must be a Tensor")
    idx, d = _source_along(input, dim, index, source, "index_reduce_")
    index_full = _along(d if input.ndim else 0, idx)
    region = tuple(slice(None) for _ in range(max(source.ndim, 1)))
    return _apply(input, source, index_full, region, reduce, include_self, inplace)


@public("index_reduce", method=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor: combine
    ``source[i]`` into position ``index[i]`` along ``dim`` with 'prod', 'mean', 'amax' or
    'amin'.

    Example:
        >>> idx, src = torch.tensor([0, 0, 2]), torch.tensor([2., 3., 4.])
        >>> torch.index_reduce(torch.ones(3), 0, idx, src, 'prod')
        tensor([6., 1., 4.])
        >>> torch.index_reduce(torch.zeros(3), 0, idx, src, 'amax', include_self=False)
        tensor([3., 0., 4.])
    """
    return write_out(_index_reduce(input, dim, index, source, reduce, include_self, False), out)


@public("index_reduce_", method=True, function=False)
def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    """index_reduce_(dim, index, source, reduce, *, include_self=True) -> self."""
    return _index_reduce(self, dim, index, source, reduce, include_self, True)
