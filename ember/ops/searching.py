"""Searching and set operations: unique, unique_consecutive, searchsorted, bucketize, isin,
nonzero, argwhere. Their results are indices, counts or masks, so none is differentiable; each is
one NumPy computation behind torch's signature."""
import numpy as np

from .._errors import EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, _wrap_dim, wrap
from ._public import write_out
from .registry import public


def _i64(a):
    return wrap(np.asarray(a, dtype=np.int64))


@public("unique", method=True)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None): the
    distinct values (sorted), optionally with the inverse indices and the counts.

    Example:
        >>> torch.unique(torch.tensor([3, 1, 3, 2]))
        tensor([1, 2, 3])
        >>> torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    a = input._array
    if dim is None:
        vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = _wrap_dim(dim, a.ndim)
        if a.shape[d] == 0 and a.size == 0 and a.ndim > 1 and any(
                s == 0 for i, s in enumerate(a.shape) if i != d):
            raise EmberRuntimeError("Number of zero sized dimensions is more than one, so "
                                    "unique cannot be applied")
        moved = np.moveaxis(a, d, 0)
        rows = moved.reshape(moved.shape[0], -1)
        if rows.shape[0] == 0:
            vals, inv, counts = rows, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            vals, inv, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
        vals = np.moveaxis(vals.reshape((-1,) + moved.shape[1:]), 0, d)
        inv = inv.reshape(-1)
    res = [wrap(np.ascontiguousarray(vals))]
    if return_inverse:
        res.append(_i64(inv))
    if return_counts:
        res.append(_i64(counts))
    return res[0] if len(res) == 1 else tuple(res)


@public("unique_consecutive", method=True)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """unique_consecutive(input, return_inverse=False, return_counts=False, dim=None): collapse
    each run of equal consecutive values (or slices along ``dim``) to one.

    Example:
        >>> torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 1]), return_counts=True)
        (tensor([1, 2, 1]), tensor([2, 2, 1]))
    """
    a = input._array
    if dim is None:
        flat = a.reshape(-1)
        change = np.r_[True, flat[1:] != flat[:-1]] if flat.size else np.zeros(0, bool)
        vals = flat[change]
        inv_shape = a.shape
    else:
        d = _wrap_dim(dim, a.ndim)
        moved = np.moveaxis(a, d, 0)
        rows = moved.reshape(moved.shape[0], -1)
        change = np.r_[True, (rows[1:] != rows[:-1]).any(axis=1)] if rows.shape[0] else \
            np.zeros(0, bool)
        vals = np.moveaxis(moved[change], 0, d)
        inv_shape = (a.shape[d],)
    starts = np.flatnonzero(change)
    res = [wrap(np.ascontiguousarray(vals))]
    if return_inverse:
        res.append(_i64((np.cumsum(change) - 1).reshape(inv_shape)))
    if return_counts:
        res.append(_i64(np.diff(np.r_[starts, change.size])))
    return res[0] if len(res) == 1 else tuple(res)


@public("searchsorted")
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
    sorter=None) -> Tensor: insertion indices of ``input`` into the innermost dimension of
    ``sorted_sequence``.

    Example:
        >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6]))
        tensor([1, 3])
        >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6]), right=True)
        tensor([2, 3])
    """
    seq = sorted_sequence._array
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._array
    if side is not None:
        if side not in ("left", "right"):
            raise EmberRuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' "
                                    f"but got {side}")
        if right and side == "left":
            raise EmberRuntimeError("torch.searchsorted(): side and right can't be set to "
                                    "opposites, got side of left while right was True")
        right = side == "right"
    how = "right" if right else "left"
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._array, -1)
    if seq.ndim > 1 and not scalar and seq.shape[:-1] != vals.shape[:-1]:
        raise EmberRuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
    if seq.ndim <= 1:
        idx = np.searchsorted(seq.reshape(-1), vals, side=how)
    else:
        flat_seq = seq.reshape(-1, seq.shape[-1])
        flat_vals = vals.reshape(flat_seq.shape[0], -1)
        idx = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(flat_seq, flat_vals)])
        idx = idx.reshape(vals.shape)
    res = wrap(np.asarray(idx, dtype=np.int32 if out_int32 else np.int64))
    return write_out(res, out)


@public("bucketize")
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor: the bucket of
    each value given 1-D sorted ``boundaries``.

    Example:
        >>> torch.bucketize(torch.tensor([1, 4, 7]), torch.tensor([2, 4, 6]))
        tensor([0, 1, 3])
    """
    if boundaries.ndim != 1:
        raise EmberRuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                                f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


@public("isin")
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """isin(elements, test_elements, *, assume_unique=False, invert=False) -> BoolTensor.

    Example:
        >>> torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4]))
        tensor([False,  True, False,  True])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise EmberTypeError("isin() expects at least one of elements or test_elements to be "
                             "a Tensor")
    e = elements._array if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._array if isinstance(test_elements, Tensor) else \
        np.asarray(test_elements)
    return wrap(np.isin(e, t, invert=bool(invert)))


@public("nonzero", method=True)
def nonzero(input, *, out=None, as_tuple=False):
    """nonzero(input, *, out=None, as_tuple=False) -> LongTensor of shape (n, ndim), or a tuple
    of index tensors with ``as_tuple=True``.

    Example:
        >>> torch.nonzero(torch.tensor([0, 3, 0, 5]))
        tensor([[1],
                [3]])
        >>> torch.nonzero(torch.tensor([[1, 0], [0, 1]]), as_tuple=True)
        (tensor([0, 1]), tensor([0, 1]))
    """
    a = input._array
    if as_tuple:
        if a.ndim == 0:
            return (_i64(np.flatnonzero(a.reshape(1))),)
        return tuple(_i64(i) for i in np.nonzero(a))
    return write_out(_i64(_argwhere(a)), out)


def _argwhere(a):
    if a.ndim == 0:                    # torch: shape (1, 0) for a nonzero scalar, else (0, 0)
        return np.zeros((int(bool(a)), 0), np.int64)
    return np.argwhere(a)


@public("argwhere", method=True)
def argwhere(input):
    """argwhere(input) -> LongTensor: ``nonzero(input)``.

    Example:
        >>> torch.argwhere(torch.tensor([[1, 0], [0, 1]]))
        tensor([[0, 0],
                [1, 1]])
    """
    return nonzero(input)


@public("nonzero_static", method=True)
def nonzero_static(input, *, size, fill_value=-1):
    """nonzero_static(input, *, size, fill_value=-1) -> LongTensor of shape (size, ndim): the
    first ``size`` nonzero indices, padded with ``fill_value``.

    Example:
        >>> torch.nonzero_static(torch.tensor([0, 3, 0, 5]), size=3)
        tensor([[ 1],
                [ 3],
                [-1]])
    """
    if size < 0:
        raise EmberRuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got "
                                f"{size}")
    idx = _argwhere(input._array)[:size]
    res = np.full((size, input.ndim), fill_value, np.int64)
    res[:idx.shape[0]] = idx
    return wrap(res)

