"""The gather/scatter family: ops that read (gather, take, take_along_dim, index_select,
masked_select) or write (scatter, scatter_add, index_add, index_copy, index_fill, masked_fill)
entries picked by an index tensor, with torch's signatures, checks and in-place variants.

Each op is one kernel over NumPy advanced indexing: the index tensor becomes a full NumPy index
(``_grid``: gather's element map; ``_along``: picks along one dimension) kept in the op's
attrs, so the derivative rules are the adjoint helpers the rule dialect already has
(``scatter_advanced`` adds gradients back, repeated indices accumulating; ``zero_at`` clears
overwritten entries; ``g[index]`` reads them) and also run under ``create_graph=True``.
"""
import warnings

import numpy as np

from .._errors import EmberIndexError, EmberRuntimeError, EmberTypeError
from .._state import state
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import write_out
from .indexing import _BOOL, _FULL, _INT32, _INT64, _SCALARS, broadcast_error, cast_scalar
from .registry import op, public

# C++ type names as torch's TypeMeta prints them ("... mask with dtype float")
_META_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
               "bfloat16": "c10::BFloat16", "int8": "signed char", "int16": "short int",
               "int32": "int", "int64": "long int", "uint8": "unsigned char", "bool": "bool",
               "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


# --- shared checks for the index ops ------------------------------------------------------------
def _index_of(index, message, int32=True, exc=EmberRuntimeError, name="index"):
    """The NumPy array of an index tensor, or torch's error when its dtype is not allowed."""
    if not isinstance(index, Tensor):
        raise EmberTypeError(f"argument '{name}' must be Tensor, not {type(index).__name__}")
    a = index._array
    if a.dtype == _INT64 or (int32 and a.dtype == _INT32):
        # a copy: the op's Node keeps it, and a later in-place write to the index tensor must
        # not change the gradient
        return a.copy()
    raise exc(message.format(dtype=index.dtype.scalar_name))


def _check_bounds(idx, size, dim, negative=False, exc=EmberRuntimeError, prefix=""):
    """Raise torch's 'index i is out of bounds' for the first bad entry of ``idx``."""
    if idx.size == 0:
        return
    low = -size if negative else 0
    bad = (idx < low) | (idx >= size)
    if bad.any():
        first = idx.reshape(-1)[np.argmax(bad.reshape(-1))]
        raise exc(f"{prefix}index {first} is out of bounds for dimension {dim} with size {size}")


def _grid(idx, dim):
    """The full advanced index that reads entry ``idx[i, j, ...]`` along ``dim`` at position
    (i, j, ...) elsewhere: gather's and scatter's element map."""
    nd = idx.ndim
    parts = []
    for k, n in enumerate(idx.shape):
        if k == dim:
            parts.append(idx)
        else:
            shape = [1] * nd
            shape[k] = n
            parts.append(np.arange(n).reshape(shape))
    return tuple(parts)


def _along(dim, idx):
    """The advanced index that picks entries ``idx`` along ``dim`` (index_select & co)."""
    return (_FULL,) * dim + (idx,)


def _pad_grad(m, g, shape, region):
    """``g`` placed at ``region`` of a zero array of ``shape`` (for a src larger than index)."""
    return g if tuple(g.shape) == tuple(shape) else m.scatter_basic(shape, region, g)


def _meta_name(t):
    return _META_NAMES.get(t.dtype.name, t.dtype.name)


def _as_1d(t):
    return t.reshape(1) if t._array.ndim == 0 else t


# --- gather / take / index_select / take_along_dim: reads at an index ---------------------------
def _reader(name, node_name=None):
    o = op(name, keep="shape", kind="indexing", node_name=node_name)(
        lambda m, a, index: a[index])
    o.derivative(lambda m, g, a_shape, out, index: m.scatter_advanced(a_shape, index, g))
    return o


_GATHER = _reader("gather")
_INDEX_SELECT = _reader("index_select")


@public("gather", method=True)
def gather(input, dim, index, *, sparse_grad=False, out=None):
    """gather(input, dim, index, *, sparse_grad=False, out=None) -> Tensor: for dim=0,
    ``out[i][j] = input[index[i][j]][j]``; ``index`` may be smaller than ``input`` outside
    ``dim``. Repeated indices add up in the gradient.

    Shape:
        ``index`` has as many dimensions as ``input``; the output has ``index``'s shape.

    Example:
        >>> t = torch.tensor([[1, 2], [3, 4]])
        >>> torch.gather(t, 1, torch.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    if isinstance(index, Tensor) and index._array.size == 0 and index._array.dtype.kind in "iu":
        # torch skips the checks for an empty index and returns an empty result of its shape
        return write_out(input.reshape(-1)[:0].reshape(index.shape), out)
    idx = _index_of(index, "gather(): Expected dtype int32/int64 for index")
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    if max(idx.ndim, 1) != max(a.ndim, 1):
        raise EmberRuntimeError("Index tensor must have the same number of dimensions as input "
                                "tensor")
    shape, ishape = a.shape or (1,), idx.shape or (1,)
    for k in range(len(shape)):
        if k != d and ishape[k] > shape[k]:
            raise EmberRuntimeError(f"Size does not match at dimension {k} expected index "
                                    f"{list(idx.shape)} to be no larger than self "
                                    f"{list(a.shape)} apart from dimension {d}")
    _check_bounds(idx, shape[d], d)
    res = dispatch.unary(_GATHER, _as_1d(input), index=_grid(idx.reshape(ishape), d))
    if idx.ndim == 0:
        res = res.reshape(())
    return write_out(res, out)


@public("take_along_dim", method=True)
def take_along_dim(input, indices, dim=None, *, out=None):
    """take_along_dim(input, indices, dim=None, *, out=None) -> Tensor: gather with
    ``input`` and ``indices`` broadcast against each other (dim=None: on the flattened input).

    Shape:
        with ``dim`` given, ``input`` and ``indices`` have the same number of
        dimensions and the output is their broadcast shape with ``indices``' size at
        ``dim``; with dim=None the output has ``indices``' shape.

    Example:
        >>> x = torch.tensor([[10, 30, 20], [60, 40, 50]])
        >>> torch.take_along_dim(x, x.argmax(dim=1, keepdim=True), dim=1)
        tensor([[30],
                [60]])
        >>> torch.take_along_dim(x, torch.tensor([5, 0]))
        tensor([50, 10])
    """
    _index_of(indices, "torch.take_along_dim(): dtype of indices should be Long but got "
                       "{dtype}", int32=False)
    if dim is None:
        return write_out(gather(input.reshape(-1), 0, indices.reshape(-1)), out)
    a, i = input._array, indices._array
    if a.ndim != i.ndim:
        raise EmberRuntimeError("torch.take_along_dim(): input and indices should have the same "
                                f"number of dimensions, but got {a.ndim} dimensions for input, "
                                f"and {i.ndim} dimensions for indices")
    d = _wrap_dim(dim, a.ndim)
    ash, ish = list(a.shape), list(i.shape)
    ash[d] = ish[d] = 1
    try:
        common = np.broadcast_shapes(tuple(ash), tuple(ish))
    except ValueError:
        raise broadcast_error(tuple(ash), tuple(ish)) from None
    isz, asz = list(common), list(common)
    isz[d], asz[d] = i.shape[d], a.shape[d]
    if tuple(asz) != a.shape:
        input = input.expand(*asz)
    if tuple(isz) != i.shape:
        indices = indices.expand(*isz)
    n = a.shape[d]
    ia = indices._array
    if ia.size and (ia < 0).any():
        # unlike gather, take_along_dim counts negative indices from the end
        _check_bounds(ia, n, d, negative=True)
        indices = wrap(np.where(ia < 0, ia + n, ia))
    return write_out(gather(input, d, indices), out)


@op("take", keep="shape", kind="indexing")
def _take(m, a, index):
    return a.reshape(-1)[index]


_take.derivative(lambda m, g, a_shape, out, index: m.index_scatter(a_shape, index, g))


@public("take", method=True)
def take(input, index):
    """take(input, index) -> Tensor: entries of the flattened input at ``index`` (negative
    entries count from the end); the result has ``index``'s shape.

    Example:
        >>> x = torch.tensor([[1, 2], [3, 4]])
        >>> torch.take(x, torch.tensor([0, 3, -1]))
        tensor([1, 4, 4])
    """
    idx = _index_of(index, "take(): Expected a long tensor for index, but got {dtype}",
                    int32=False)
    n = input._array.size
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            first = idx.reshape(-1)[np.argmax(bad.reshape(-1))]
            raise EmberIndexError(f"out of range: tried to access index {first} on a tensor of "
                                  f"{n} elements.")
        if (idx < 0).any():
            idx = np.where(idx < 0, idx + n, idx)
    return dispatch.unary(_take, input, index=idx)


@public("index_select", method=True)
def index_select(input, dim, index, *, out=None):
    """index_select(input, dim, index, *, out=None) -> Tensor: the entries at the 1-D
    ``index`` along ``dim``.

    Shape:
        ``index`` is 1-D with k entries; the output is ``input``'s shape with size k
        at ``dim``.

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.index_select(x, 1, torch.tensor([2, 0]))
        tensor([[3, 1],
                [6, 4]])
    """
    idx = _index_of(index, "index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise EmberIndexError("index_select(): Index is supposed to be a vector")
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    idx = idx.reshape(-1)
    size = a.shape[d] if a.ndim else 1
    if idx.size and ((idx < 0).any() or (idx >= size).any()):
        raise EmberIndexError("index out of range in self")
    res = dispatch.unary(_INDEX_SELECT, _as_1d(input), index=_along(d, idx))
    if a.ndim == 0 and idx.size == 1:
        res = res.reshape(())
    return write_out(res, out)


# --- masks --------------------------------------------------------------------------------------
def _mask_array(mask, message):
    if not isinstance(mask, Tensor):
        raise EmberTypeError(f"argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._array.dtype != _BOOL:
        raise EmberRuntimeError(message.format(dtype=_meta_name(mask)))
    return mask._array


def _broadcast(mask, input):
    ms, s = mask._array.shape, input._array.shape
    if ms == s:
        return s
    err = broadcast_error(ms, s)
    if err is not None:
        raise err
    return np.broadcast_shapes(ms, s)


@op("masked_fill", keep="b", kind="indexing")
def _masked_fill(m, a, mask, value):
    return m.where(mask, value, a)


_masked_fill.derivative((lambda m, g, a, mask, out, value: m.where(mask, 0, g), None))


@op("masked_fill_tensor", keep="b", kind="indexing", node_name="MaskedFillBackward1")
def _masked_fill_t(m, a, mask, value):
    return m.where(mask, value.astype(a.dtype), a)


_masked_fill_t.derivative((lambda m, g, a, mask, v, out: m.where(mask, 0, g), None,
                           lambda m, g, a, mask, v, out: m.sum(m.where(mask, g, 0))))


def _fill_value(input, value, name):
    """(op, extra inputs, attrs) for masked_fill/index_fill with a number or 0-dim tensor."""
    if isinstance(value, Tensor):
        if value._array.ndim:
            raise EmberRuntimeError(f"{name} only supports a 0-dimensional value tensor, but got "
                                    f"tensor with {value._array.ndim} dimension(s).")
        if value._edge is None or not state.grad_enabled:
            return cast_scalar(value.item(), input.dtype), False
        if value.is_complex() and not input.is_complex():
            cast_scalar(value.item(), input.dtype)        # raises unless the value is real
            value = value.real
        return value, True
    if type(value) not in _SCALARS and not isinstance(value, np.generic):
        raise EmberTypeError(f"{name}(): argument 'value' must be Number or Tensor, not "
                             f"{type(value).__name__}")
    return cast_scalar(value, input.dtype), False


_MASK_MSG = "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}"


@public("masked_fill", method=True)
def masked_fill(input, mask, value):
    """masked_fill(input, mask, value) -> Tensor: ``value`` where the (broadcast) mask is
    True, ``input`` elsewhere; ``value`` is a number or a 0-dim tensor.

    Example:
        >>> x = torch.tensor([1.0, 2.0, 3.0])
        >>> torch.masked_fill(x, x > 1, 0.0)
        tensor([1., 0., 0.])
    """
    _mask_array(mask, _MASK_MSG)
    _broadcast(mask, input)
    v, is_tensor = _fill_value(input, value, "masked_fill_")
    if is_tensor:
        return dispatch.apply(_masked_fill_t, (input, mask, v))
    return dispatch.apply(_masked_fill, (input, mask), {"value": v})


@public("masked_fill_", method=True, function=False)
def masked_fill_(self, mask, value):
    """masked_fill_(mask, value) -> self: in-place masked_fill; ``mask`` broadcasts to self."""
    _mask_array(mask, _MASK_MSG)
    _broadcast(mask, self)
    v, is_tensor = _fill_value(self, value, "masked_fill_")
    if is_tensor:
        return dispatch.apply_inplace(_masked_fill_t, self, (mask, v))
    return dispatch.apply_inplace(_masked_fill, self, (mask,), {"value": v})


@op("masked_select", kind="indexing")
def _masked_select(m, a, index):
    return m.broadcast_to(a, index.shape)[index]


_masked_select.derivative(lambda m, g, a, out, index: m.scatter_advanced(index.shape, index, g))


@public("masked_select", method=True)
def masked_select(input, mask, *, out=None):
    """masked_select(input, mask, *, out=None) -> Tensor: the 1-D tensor of entries where the
    mask (broadcast with input) is True.

    Shape:
        ``(n,)``, where n counts the True entries of the broadcast mask.

    Example:
        >>> x = torch.tensor([[1, -2], [-3, 4]])
        >>> torch.masked_select(x, x > 0)
        tensor([1, 4])
    """
    _mask_array(mask, "masked_select: expected BoolTensor for mask")
    shape = _broadcast(mask, input)
    mb = np.broadcast_to(mask._array.copy(), shape)     # kept by the Node: see _index_of
    return write_out(dispatch.unary(_masked_select, input, index=mb), out)


# --- scatter family: writes at an index ---------------------------------------------------------
def _scatter_kernel(m, a, src, index, region, reduce=None):
    out = a.copy()
    v = src[region] if region is not None else src
    if reduce is None:
        out[index] = v
    elif reduce == "add":
        m.add.at(out, index, v)
    else:
        m.multiply.at(out, index, v)
    return out


def _scatter_self_grad(m, g, index, reduce):
    if reduce is None:
        return m.zero_at(g, index)
    if reduce == "add":
        return g
    raise EmberRuntimeError("the derivative of scatter with reduce='multiply' is not "
                            "implemented")


_SCATTER = op("scatter", keep="shape", kind="indexing")(_scatter_kernel)
_SCATTER.derivative((
    lambda m, g, a_shape, s_shape, out, index, region, reduce=None:
        _scatter_self_grad(m, g, index, reduce),
    lambda m, g, a_shape, s_shape, out, index, region, reduce=None:
        _pad_grad(m, g[index], s_shape, region)))

_SCATTER_VALUE = op("scatter_value", kind="indexing", node_name="ScatterBackward1")(
    lambda m, a, index, value, reduce=None: _scatter_kernel(m, a, value, index, None, reduce))
_SCATTER_VALUE.derivative(lambda m, g, a, out, index, value, reduce=None:
                          _scatter_self_grad(m, g, index, reduce))

_SCATTER_ADD = op("scatter_add", keep="shape", kind="indexing")(
    lambda m, a, src, index, region: _scatter_kernel(m, a, src, index, region, "add"))
_SCATTER_ADD.derivative((
    lambda m, g, a_shape, s_shape, out, index, region: g,
    lambda m, g, a_shape, s_shape, out, index, region: _pad_grad(m, g[index], s_shape, region)))


def _scatter_args(input, dim, index, src, name="scatter"):
    """Check a scatter call as torch does; returns the element map and the region of src read."""
    idx = _index_of(index, "scatter(): Expected dtype int32/int64 for index")
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    if max(idx.ndim, 1) != max(a.ndim, 1):
        raise EmberRuntimeError("Index tensor must have the same number of dimensions as self "
                                "tensor")
    s = src._array if isinstance(src, Tensor) else None
    if s is not None and max(s.ndim, 1) != max(idx.ndim, 1):
        raise EmberRuntimeError("Index tensor must have the same number of dimensions as src "
                                "tensor")
    shape, ishape = a.shape or (1,), idx.shape or (1,)
    sshape = (s.shape or (1,)) if s is not None else None
    for k in range(len(shape)):
        if (k != d and ishape[k] > shape[k]) or (s is not None and ishape[k] > sshape[k]):
            msg = (f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} "
                   f"apart from dimension {d}")
            if s is not None:
                msg += f" and to be no larger size than src {list(s.shape)}"
            raise EmberRuntimeError(msg)
    if s is not None and s.dtype != a.dtype:
        raise EmberRuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    _check_bounds(idx, shape[d], d)
    region = tuple(slice(0, n) for n in ishape)
    return _grid(idx.reshape(ishape), d), region


def _scatter_reduce_arg(reduce):
    if reduce is not None and reduce not in ("add", "multiply"):
        raise EmberRuntimeError("reduce argument must be either add or multiply.")


def _scatter_src(src, value, name):
    if src is None:
        src = value
    if src is None:
        raise EmberTypeError(f"{name}() missing required argument 'src' or 'value'")
    if not isinstance(src, Tensor) and type(src) not in _SCALARS \
            and not isinstance(src, np.generic):
        raise EmberTypeError(f"{name}(): argument 'src' must be Tensor or Number, not "
                             f"{type(src).__name__}")
    return src


def _scatter(input, dim, index, src, reduce, inplace):
    _scatter_reduce_arg(reduce)
    if reduce is not None and isinstance(src, Tensor):
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=3)
    grid, region = _scatter_args(input, dim, index, src)
    target = _as_1d(input)
    if isinstance(src, Tensor):
        attrs = {"index": grid, "region": region, "reduce": reduce}
        if inplace:
            dispatch.apply_inplace(_SCATTER, target, (_as_1d(src),), attrs)
            return input
        res = dispatch.apply(_SCATTER, (target, _as_1d(src)), attrs)
    else:
        attrs = {"index": grid, "value": cast_scalar(src, input.dtype), "reduce": reduce}
        if inplace:
            dispatch.apply_inplace(_SCATTER_VALUE, target, (), attrs)
            return input
        res = dispatch.unary(_SCATTER_VALUE, target, **attrs)
    return res.reshape(()) if input._array.ndim == 0 else res


@public("scatter", method=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    """scatter(input, dim, index, src|value, *, reduce=None, out=None) -> Tensor: a copy of
    ``input`` with, for dim=0, ``out[index[i][j]][j] = src[i][j]`` (or the number ``value``);
    reduce='add'|'multiply' combines instead of overwriting.

    Example:
        >>> x = torch.zeros(2, 3, dtype=torch.int64)
        >>> torch.scatter(x, 1, torch.tensor([[2], [0]]), torch.tensor([[5], [6]]))
        tensor([[0, 0, 5],
                [6, 0, 0]])
        >>> torch.scatter(x, 0, torch.tensor([[1, 0, 1]]), 9)
        tensor([[0, 9, 0],
                [9, 0, 9]])
    """
    src = _scatter_src(src, value, "scatter")
    return write_out(_scatter(input, dim, index, src, reduce, False), out)


@public("scatter_", method=True, function=False)
def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """scatter_(dim, index, src|value, *, reduce=None) -> self: in-place scatter."""
    src = _scatter_src(src, value, "scatter_")
    return _scatter(self, dim, index, src, reduce, True)


def _scatter_add(input, dim, index, src, inplace, name):
    if not isinstance(src, Tensor):
        raise EmberTypeError(f"{name}(): argument 'src' (position 4) must be Tensor, not "
                             f"{type(src).__name__}")
    grid, region = _scatter_args(input, dim, index, src)
    target, s = _as_1d(input), _as_1d(src)
    attrs = {"index": grid, "region": region}
    if inplace:
        dispatch.apply_inplace(_SCATTER_ADD, target, (s,), attrs)
        return input
    res = dispatch.apply(_SCATTER_ADD, (target, s), attrs)
    return res.reshape(()) if input._array.ndim == 0 else res


@public("scatter_add", method=True)
def scatter_add(input, dim, index, src, *, out=None):
    """scatter_add(input, dim, index, src, *, out=None) -> Tensor: a copy of ``input`` with,
    for dim=0, ``out[index[i][j]][j] += src[i][j]``; repeated indices add up.

    Example:
        >>> x = torch.zeros(3, dtype=torch.int64)
        >>> torch.scatter_add(x, 0, torch.tensor([0, 1, 0, 2]), torch.tensor([1, 2, 3, 4]))
        tensor([4, 2, 4])
    """
    return write_out(_scatter_add(input, dim, index, src, False, "scatter_add"), out)


@public("scatter_add_", method=True, function=False)
def scatter_add_(self, dim, index, src):
    """scatter_add_(dim, index, src) -> self: in-place scatter_add."""
    return _scatter_add(self, dim, index, src, True, "scatter_add_")


# --- index_add / index_copy / index_fill: writes along one dimension ----------------------------
def _add_kernel(m, a, src, index, alpha=1):
    out = a.copy()
    m.add.at(out, index, src * alpha if alpha != 1 else src)
    return out


_INDEX_ADD = op("index_add", kind="indexing")(_add_kernel)
_INDEX_ADD.derivative((lambda m, g, a, s, out, index, alpha=1: g,
                       lambda m, g, a, s, out, index, alpha=1:
                           g[index] * m.conj(alpha) if alpha != 1 else g[index]))


def _vector_index(index, dim, input, source, name, long_only=False):
    if long_only:
        idx = _index_of(index, f"{name}(): Expected a long tensor for index, but got {{dtype}}",
                        int32=False)
    else:
        idx = _index_of(index, f"{name}(): Expected dtype int32/int64 for index but got: "
                               "{dtype}")
    if idx.ndim > 1:
        if long_only:
            raise EmberIndexError(f"{name}(): Index should have dimension 1 or 0 (got "
                                  f"{idx.ndim})")
        raise EmberIndexError(f"{name}(): Index is supposed to be a vector, but got dim: "
                              f"{idx.ndim} with type: {index.dtype.scalar_name} and size: "
                              f"{list(idx.shape)}")
    a, s = input._array, source._array
    d = _wrap_dim(dim, a.ndim)
    n = s.shape[d] if s.ndim else 1
    if idx.size != n:
        if long_only:
            raise EmberIndexError(f"{name}(): Number of indices ({idx.size}) should be equal to "
                                  f"source.size(dim) ({n})")
        raise EmberRuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to "
                                f"source.size(dim): ({n}), for dim: {d}")
    return idx.reshape(-1), d


@public("index_add", method=True)
def index_add(input, dim, index, source, *, alpha=1, out=None):
    """index_add(input, dim, index, source, *, alpha=1, out=None) -> Tensor: a copy of ``input``
    with ``alpha * source[i]`` added at position ``index[i]`` along ``dim``.

    Example:
        >>> x = torch.zeros(3, 2)
        >>> torch.index_add(x, 0, torch.tensor([0, 2, 0]), torch.ones(3, 2))
        tensor([[2., 2.],
                [0., 0.],
                [1., 1.]])
    """
    return write_out(_index_add(input, dim, index, source, alpha, False), out)


@public("index_add_", method=True, function=False)
def index_add_(self, dim, index, source, *, alpha=1):
    """index_add_(dim, index, source, *, alpha=1) -> self: in-place index_add."""
    return _index_add(self, dim, index, source, alpha, True)


def _source_along(input, dim, index, source, name):
    """Check an index_add-style call (a vector index, a source shaped like ``input`` except
    along ``dim``, one dtype, indices in range); returns the index array and the dimension."""
    idx, d = _vector_index(index, dim, input, source, name)
    a, s = input._array, source._array
    if max(a.ndim, 1) != max(s.ndim, 1) or any(
            x != y for k, (x, y) in enumerate(zip(a.shape, s.shape)) if k != d):
        raise EmberRuntimeError("source tensor shape must match self tensor shape, excluding the "
                                f"specified dimension. Got self.shape = {list(a.shape)} "
                                f"source.shape = {list(s.shape)}")
    if a.dtype != s.dtype:
        raise EmberRuntimeError(f"{name}(): self ({input.dtype.scalar_name}) and source "
                                f"({source.dtype.scalar_name}) must have the same scalar type")
    _check_bounds(idx, a.shape[d] if a.ndim else 1, d)
    return idx, d


def _index_add(input, dim, index, source, alpha, inplace):
    idx, d = _source_along(input, dim, index, source, "index_add_")
    attrs = {"index": _along(d, idx), "alpha": alpha}
    target, src = _as_1d(input), _as_1d(source)
    if inplace:
        dispatch.apply_inplace(_INDEX_ADD, target, (src,), attrs)
        return input
    res = dispatch.apply(_INDEX_ADD, (target, src), attrs)
    return res.reshape(()) if input.ndim == 0 else res


def _copy_kernel(m, a, src, index):
    out = a.copy()
    out[index] = src
    return out


_INDEX_COPY = op("index_copy", kind="indexing")(_copy_kernel)
_INDEX_COPY.derivative((lambda m, g, a, s, out, index: m.zero_at(g, index),
                        lambda m, g, a, s, out, index: g[index]))


def _index_copy(input, dim, index, source, inplace):
    idx, d = _vector_index(index, dim, input, source, "index_copy_", long_only=True)
    a, s = input._array, source._array
    ash = [x for k, x in enumerate(a.shape) if k != d]
    ssh = [x for k, x in enumerate(s.shape) if k != d]
    if ash != ssh:
        k = next((j for j, (x, y) in enumerate(zip(ash, ssh)) if x != y), min(len(ash),
                                                                            len(ssh)))
        raise EmberRuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, ash))} at dimension {k} and source slice shape: "
            f"{' '.join(map(str, ssh))} at dimension {k}.")
    if a.dtype != s.dtype:
        raise EmberRuntimeError(f"index_copy_(): self and source expected to have the same "
                                f"dtype, but got (self) {input.dtype.scalar_name} and (source) "
                                f"{source.dtype.scalar_name}")
    _check_bounds(idx, a.shape[d] if a.ndim else 1, d, exc=EmberIndexError,
                  prefix="index_copy_(): ")
    attrs = {"index": _along(d, idx)}
    target, src = _as_1d(input), _as_1d(source)
    if inplace:
        dispatch.apply_inplace(_INDEX_COPY, target, (src,), attrs)
        return input
    res = dispatch.apply(_INDEX_COPY, (target, src), attrs)
    return res.reshape(()) if a.ndim == 0 else res


@public("index_copy", method=True)
def index_copy(input, dim, index, source):
    """index_copy(input, dim, index, source) -> Tensor: a copy of ``input`` with
    ``source[i]`` written at position ``index[i]`` along ``dim``.

    Example:
        >>> x = torch.zeros(3, 2, dtype=torch.int64)
        >>> torch.index_copy(x, 0, torch.tensor([2, 0]), torch.tensor([[1, 2], [3, 4]]))
        tensor([[3, 4],
                [0, 0],
                [1, 2]])
    """
    return _index_copy(input, dim, index, source, False)


@public("index_copy_", method=True, function=False)
def index_copy_(self, dim, index, source):
    """index_copy_(dim, index, source) -> self: in-place index_copy."""
    return _index_copy(self, dim, index, source, True)


_INDEX_FILL = op("index_fill", kind="indexing")(
    lambda m, a, index, value: _copy_kernel(m, a, value, index))
_INDEX_FILL.derivative(lambda m, g, a, out, index, value: m.zero_at(g, index))

_INDEX_FILL_T = op("index_fill_tensor", kind="indexing", node_name="IndexFillBackward1")(
    lambda m, a, v, index: _copy_kernel(m, a, v.astype(a.dtype), index))
_INDEX_FILL_T.derivative((lambda m, g, a, v, out, index: m.zero_at(g, index),
                          lambda m, g, a, v, out, index: m.sum(g - m.zero_at(g, index))))


def _index_fill(input, dim, index, value, inplace):
    idx = _index_of(index, "index_fill_(): Expected dtype int64 for index.", int32=False,
                    exc=EmberIndexError)
    if idx.ndim > 1:
        raise EmberRuntimeError("Index has to be a vector/scalar")
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    idx = idx.reshape(-1)
    _check_bounds(idx, a.shape[d] if a.ndim else 1, d, negative=True, exc=EmberIndexError)
    v, is_tensor = _fill_value(input, value, "index_fill_")
    index = _along(d, idx)
    target = _as_1d(input)
    if is_tensor:
        if inplace:
            dispatch.apply_inplace(_INDEX_FILL_T, target, (v,), {"index": index})
            return input
        res = dispatch.apply(_INDEX_FILL_T, (target, v), {"index": index})
    else:
        if inplace:
            dispatch.apply_inplace(_INDEX_FILL, target, (), {"index": index, "value": v})
            return input
        res = dispatch.unary(_INDEX_FILL, target, index=index, value=v)
    return res.reshape(()) if a.ndim == 0 else res


@public("index_fill", method=True)
def index_fill(input, dim, index, value):
    """index_fill(input, dim, index, value) -> Tensor: a copy of ``input`` with the entries at
    ``index`` along ``dim`` set to ``value`` (a number or 0-dim tensor).

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.index_fill(x, 1, torch.tensor([0, 2]), -1)
        tensor([[-1,  2, -1],
                [-1,  5, -1]])
    """
    return _index_fill(input, dim, index, value, False)


@public("index_fill_", method=True, function=False)
def index_fill_(self, dim, index, value):
    """index_fill_(dim, index, value) -> self: in-place index_fill."""
    return _index_fill(self, dim, index, value, True)


# --- put / masked_scatter: writes at flat positions, composed from index_copy / index_add -------
def _put(input, index, source, accumulate):
    idx = _index_of(index, "put_(): Expected a long tensor for index, but got {dtype}",
                    int32=False)
    if not isinstance(source, Tensor):
        raise EmberTypeError(f"argument 'source' must be Tensor, not {type(source).__name__}")
    if source._array.size != idx.size:
        raise EmberIndexError(f"put_(): Expected source and index to have the same number of "
                              f"elements, but got source.numel() = {source._array.size}, "
                              f"index.numel() = {idx.size}")
    if input._array.dtype != source._array.dtype:
        raise EmberRuntimeError(f"put_(): self and source expected to have the same dtype, but "
                                f"got self.dtype = {input.dtype.scalar_name} and source.dtype = "
                                f"{source.dtype.scalar_name}")
    n = input._array.size
    idx = idx.reshape(-1)
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise EmberIndexError(f"out of range: tried to access index "
                                  f"{idx[np.argmax(bad)]} on a tensor of {n} elements.")
        idx = np.where(idx < 0, idx + n, idx)
    flat, src, pos = input.reshape(-1), source.reshape(-1), wrap(idx)
    res = flat.index_add(0, pos, src) if accumulate else flat.index_copy(0, pos, src)
    return res.reshape(tuple(input.shape))


@public("put", method=True)
def put(input, index, source, accumulate=False):
    """put(input, index, source, accumulate=False) -> Tensor: a copy of ``input`` with
    ``source`` written at the flat positions ``index`` (added to them with ``accumulate``).

    Example:
        >>> x = torch.tensor([[1, 2], [3, 4]])
        >>> torch.put(x, torch.tensor([0, 3]), torch.tensor([10, 40]))
        tensor([[10,  2],
                [ 3, 40]])
        >>> torch.put(x, torch.tensor([0, 0]), torch.tensor([5, 5]), accumulate=True)
        tensor([[11,  2],
                [ 3,  4]])
    """
    return _put(input, index, source, accumulate)


@public("put_", method=True, function=False)
def put_(self, index, source, accumulate=False):
    """put_(index, source, accumulate=False) -> self: in-place put."""
    return self.copy_(_put(self, index, source, accumulate))


def _masked_scatter(input, mask, source, inplace):
    _mask_array(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype "
                      "{dtype}")
    if not isinstance(source, Tensor):
        raise EmberTypeError(f"argument 'source' must be Tensor, not {type(source).__name__}")
    if input._array.dtype != source._array.dtype:
        raise EmberRuntimeError(f"masked_scatter: expected self and source to have same dtypes "
                                f"but got{input.dtype.scalar_name} and "
                                f"{source.dtype.scalar_name}")
    if inplace:
        shape = input._array.shape
        try:
            mb = np.broadcast_to(mask._array, shape)
        except ValueError:
            raise EmberRuntimeError(f"masked_scatter_: mask of shape {list(mask.shape)} does "
                                    f"not broadcast to self's shape {list(shape)}") from None
    else:
        shape = _broadcast(mask, input)
        mb = np.broadcast_to(mask._array, shape)
    pos = np.flatnonzero(mb)
    if pos.size > source._array.size:
        raise EmberRuntimeError("Number of elements of source < number of ones in mask")
    target = input if tuple(input.shape) == tuple(shape) else input.expand(shape)
    # the k-th True position (row-major) takes source's k-th element
    vals = source.reshape(-1)[:pos.size]
    res = target.reshape(-1).index_copy(0, wrap(pos), vals).reshape(shape)
    return input.copy_(res) if inplace else res


@public("masked_scatter", method=True)
def masked_scatter(input, mask, source):
    """masked_scatter(input, mask, source) -> Tensor: ``input`` (broadcast with ``mask``) with
    the positions where ``mask`` is True filled, in row-major order, by consecutive elements
    of ``source``.

    Example:
        >>> x = torch.zeros(2, 3, dtype=torch.int64)
        >>> mask = torch.tensor([[True, False, True], [False, True, False]])
        >>> torch.masked_scatter(x, mask, torch.tensor([7, 8, 9]))
        tensor([[7, 0, 8],
                [0, 9, 0]])
    """
    return _masked_scatter(input, mask, source, False)


@public("masked_scatter_", method=True, function=False)
def masked_scatter_(self, mask, source):
    """masked_scatter_(mask, source) -> self: in-place masked_scatter; ``mask`` broadcasts to
    self."""
    return _masked_scatter(self, mask, source, True)
