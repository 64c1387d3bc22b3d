"""Sorting and selection: sort, argsort, msort, topk.

The wrappers compute the permutation with NumPy's stable argsort (NaN sorts as the largest
value, as in torch) and the op gathers the values along ``dim``; its rule scatters the gradient
back to where each value came from (``m.scatter_along``, the adjoint of take_along_axis).
"""
import numpy as np

from .. import return_types
from .._errors import EmberRuntimeError, EmberTypeError
from ..tensor import _wrap_dim, wrap
from . import dispatch
from ._public import write_out
from .registry import op, public


def _gather_grad(m, g, a, index, out, dim, shape):
    return m.scatter_along(shape, index, g, dim)


def _gather_kernel(m, a, index, dim, shape):
    return m.take_along_axis(a, index, axis=dim)


_SORT = op("sort", keep="b", node_name="SortBackward0")(_gather_kernel)
_SORT.derivative((_gather_grad, None))
_TOPK = op("topk", keep="b", node_name="TopkBackward0")(_gather_kernel)
_TOPK.derivative((_gather_grad, None))


def _argsort(a, d, descending):
    """Stable sorting permutation of ``a`` along axis ``d``; NaN counts as the largest value."""
    if not descending:
        return np.argsort(a, axis=d, kind="stable")
    # Sort the reversed array ascending and reverse the result: descending order, ties still
    # in their original order, NaN first. (Negating would break unsigned ints and NaN.)
    n = a.shape[d]
    idx = np.argsort(np.flip(a, d), axis=d, kind="stable")
    return (n - 1) - np.flip(idx, d)


def _check_dim(name, a, dim):
    if isinstance(dim, (tuple, list)) or isinstance(dim, bool):
        raise EmberTypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(dim, a.ndim)


def _pair(kind, values, idx, out):
    res = getattr(return_types, kind)(values, wrap(idx))
    if out is None:
        return res
    write_out(res[0], out[0])
    write_out(res[1], out[1])
    return getattr(return_types, kind)(out[0], out[1])


def _gather(opdef, input, idx, d):
    a = input._array
    values = dispatch.apply(opdef, (input, idx), {"dim": d, "shape": a.shape})
    if values._edge is not None:
        idx = idx.copy()                 # the node keeps its own indices; the user gets a copy
    return values, idx


@public("sort", method=True)
def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    """sort(input, dim=-1, descending=False, *, stable=False) -> (values, indices). The sort is
    always stable (equal elements keep their order); NaN sorts as the largest value.

    Shape:
        values and indices have the input's shape.

    Example:
        >>> torch.sort(torch.tensor([3, 1, 2, 1]))
        torch.return_types.sort(
        values=tensor([1, 1, 2, 3]),
        indices=tensor([1, 3, 2, 0]))
        >>> torch.sort(torch.tensor([[3, 1], [2, 4]]), dim=0, descending=True).values
        tensor([[3, 4],
                [2, 1]])
    """
    a = input._array
    d = _check_dim("sort", a, dim)
    if a.ndim == 0:
        values, idx = _gather(_SORT, input.reshape(1), np.zeros(1, np.int64), 0)
        return _pair("sort", values.reshape(()), idx.reshape(()), out)
    values, idx = _gather(_SORT, input, _argsort(a, d, descending), d)
    return _pair("sort", values, idx, out)


@public("argsort", method=True)
def argsort(input, dim=-1, descending=False, *, stable=False):
    """argsort(input, dim=-1, descending=False, *, stable=False) -> LongTensor: the indices that
    sort ``input`` along ``dim`` (stable).

    Example:
        >>> torch.argsort(torch.tensor([3, 1, 2]))
        tensor([1, 2, 0])
        >>> torch.argsort(torch.tensor([[3, 1], [2, 4]]), dim=1, descending=True)
        tensor([[0, 1],
                [1, 0]])
    """
    a = input._array
    d = _check_dim("argsort", a, dim)
    if a.ndim == 0:
        return wrap(np.zeros((), np.int64))
    return dispatch.unary(_ARGSORT, input, dim=d, descending=bool(descending))


_ARGSORT = op("argsort", kind="other")(
    lambda m, a, dim, descending: _argsort(a, dim, descending))


@public("msort", method=True)
def msort(input, *, out=None):
    """msort(input) -> Tensor: ``sort(input, dim=0).values``.

    Example:
        >>> torch.msort(torch.tensor([[3, 1], [2, 4]]))
        tensor([[2, 1],
                [3, 4]])
    """
    return write_out(sort(input, 0).values, out)


@public("topk", method=True)
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """topk(input, k, dim=-1, largest=True, sorted=True) -> (values, indices): the k largest
    (or smallest) elements along ``dim``, in order (ties keep their original order).

    Shape:
        values and indices have the input's shape with size ``k`` at ``dim``.

    Example:
        >>> x = torch.tensor([1, 5, 2, 4, 3])
        >>> torch.topk(x, 2)
        torch.return_types.topk(
        values=tensor([5, 4]),
        indices=tensor([1, 3]))
        >>> torch.topk(x, 2, largest=False).values
        tensor([1, 2])
    """
    a = input._array
    d = _check_dim("topk", a, dim)
    k = int(k)
    if a.ndim == 0:
        if k not in (0, 1):
            raise EmberRuntimeError("selected index k out of range")
        # torch returns the element itself for k = 0 and k = 1 alike
        values, idx = _gather(_TOPK, input.reshape(1), np.zeros(1, np.int64), 0)
        return _pair("topk", values.reshape(()), idx.reshape(()), out)
    n = a.shape[d]
    if not 0 <= k <= n:
        raise EmberRuntimeError(f"selected index k out of range (k={k}, but dimension {d} has "
                                f"size {n})")
    if k == 0 or 4 * k >= n:
        idx = _argsort(a, d, largest)
        idx = idx[(slice(None),) * d + (slice(0, k),)]
    else:
        # partition first (O(n)), then sort only the k chosen elements
        part = np.argpartition(a, n - k if largest else k - 1, axis=d)
        part = part[(slice(None),) * d + (slice(n - k, n) if largest else slice(0, k),)]
        # order the chosen ones by value, ties by original position (as the full sort would)
        part = np.sort(part, axis=d)
        order = _argsort(np.take_along_axis(a, part, d), d, largest)
        idx = np.take_along_axis(part, order, d)
    values, idx = _gather(_TOPK, input, np.ascontiguousarray(idx), d)
    return _pair("topk", values, idx, out)
