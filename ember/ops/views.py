"""View ops: results share the input's memory (NumPy views) and version counter.

Every rule here gets the input's *shape* (``keep="shape"``), never its value: a view's backward
does not depend on data, so writing into the base later must not invalidate it.
"""
import operator

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberIndexError, EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, _wrap_dim
from . import dispatch
from .registry import op, public

_as_strided = np.lib.stride_tricks.as_strided


def shape_args(args, name="view"):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) or f(Size) and return a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for pos, s in enumerate(args):
        try:
            out.append(operator.index(s))     # ints, NumPy ints, 1-element integer tensors
        except TypeError:
            raise EmberTypeError(f"{name}(): argument 'size' must be tuple of ints, but found "
                                 f"element of type {type(s).__name__} at pos {pos}") from None
    return tuple(out)


def _infer_shape(shape, numel):
    """Resolve one -1 and check the element count, with torch's message."""
    if shape.count(-1) > 1:
        raise EmberRuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise EmberRuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                                        f"{list(shape)}")
            known *= s
    if -1 in shape:
        if known == 0:
            if numel == 0:
                raise EmberRuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                    "unspecified dimension size -1 can be any value and is ambiguous")
            raise EmberRuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise EmberRuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise EmberRuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def legacy_type(t):
    """torch's legacy type name ("torch.FloatTensor") that some of its messages print."""
    from .._tensor_methods import _LEGACY_NAMES
    return "torch." + _LEGACY_NAMES.get(t.dtype.name, "Tensor")


def _reshape_grad(m, g, a_shape, out, shape):
    return g.reshape(a_shape)


@op("view", keep="shape", kind="view")
def _view(m, a, shape):
    return m.reshape(a, shape, copy=False)


_view.derivative(_reshape_grad)


@op("reshape_copy", keep="shape", node_name="UnsafeViewBackward0")
def _reshape_copy(m, a, shape):
    return m.reshape(a, shape)


_reshape_copy.derivative(_reshape_grad)


@public("view", method=True, function=False)
def view(self, *shape):
    """view(*shape) -> Tensor sharing memory; view(dtype) reinterprets the bytes."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return view_dtype(self, shape[0])
    shape = _infer_shape(shape_args(shape), self._array.size)
    try:
        return dispatch.apply_view(_view, self, shape=shape)
    except ValueError:
        raise EmberRuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
            f"(input shape {list(self.shape)}, stride {list(self.stride())}, requested "
            f"{list(shape)})") from None


@public("reshape", method=True)
def reshape(input, *shape):
    """reshape(input, shape) -> Tensor: a view when the strides allow, else a copy.

    Example:
        >>> torch.reshape(torch.arange(6), (2, 3))
        tensor([[0, 1, 2],
                [3, 4, 5]])
        >>> torch.arange(6).reshape(3, -1).shape
        torch.Size([3, 2])
    """
    shape = _infer_shape(shape_args(shape, "reshape"), input._array.size)
    if shape == input._array.shape:
        return dispatch.apply_view(_view, input, shape=shape)
    try:
        return dispatch.apply_view(_view, input, shape=shape)
    except ValueError:
        return dispatch.unary(_reshape_copy, input, shape=shape)


@public("view_as", method=True, function=False)
def view_as(self, other):
    """view_as(other) -> Tensor: view(other.size())."""
    return view(self, tuple(other.shape))


@public("reshape_as", method=True, function=False)
def reshape_as(self, other):
    """reshape_as(other) -> Tensor: reshape(other.size())."""
    return reshape(self, tuple(other.shape))


def view_dtype(self, dtype):
    """view(dtype): the same bytes read as ``dtype``; the last dimension scales by the ratio of
    element sizes."""
    d = _dt.to_dtype(dtype)
    a = self._array
    if d.np == a.dtype:       # nothing to reinterpret: an ordinary (differentiable) view
        return dispatch.apply_view(_view, self, shape=a.shape)
    if d.itemsize != a.itemsize:
        what = (f"to view {self.dtype.scalar_name} as {d.scalar_name} (different element "
                "sizes)")
        if a.ndim == 0:
            raise EmberRuntimeError(f"self.dim() cannot be 0 {what}")
        if a.strides[-1] != a.itemsize:
            raise EmberRuntimeError(f"self.stride(-1) must be 1 {what}, but got "
                                    f"{a.strides[-1] // a.itemsize}")
        if d.itemsize > a.itemsize and (a.shape[-1] * a.itemsize) % d.itemsize:
            raise EmberRuntimeError(f"self.size(-1) must be divisible by "
                                    f"{d.itemsize // a.itemsize} {what}, but got {a.shape[-1]}")
    return dispatch.apply_view(_VIEW_DTYPE, self, np_dtype=d.np)


_VIEW_DTYPE = op("view_dtype", kind="view")(lambda m, a, np_dtype: a.view(np_dtype))


@op("expand", keep="shape", kind="view")
def _expand(m, a, shape):
    out = m.broadcast_to(a, shape)     # read-only: an in-place write would hit repeats
    if a.flags.writeable and not any(st == 0 and n > 1 for st, n in zip(out.strides, out.shape)):
        out = _as_strided(a, out.shape, out.strides)     # nothing repeats: writable, as in torch
    return out


_expand.derivative(lambda m, g, a_shape, out, shape: g)   # the engine sums back to a_shape


@public("expand", method=True, function=False)
def expand(self, *sizes):
    """expand(*sizes) -> Tensor: a broadcast view; -1 keeps a dimension's size."""
    sizes = shape_args(sizes, "expand")
    a = self._array
    if len(sizes) < a.ndim:
        raise EmberRuntimeError(f"expand({legacy_type(self)}{{{list(a.shape)}}}, size="
                                f"{list(sizes)}): the number of sizes provided ({len(sizes)}) "
                                f"must be greater or equal to the number of dimensions in the "
                                f"tensor ({a.ndim})")
    lead = len(sizes) - a.ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise EmberRuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in "
                                        f"a leading, non-existing dimension {i}")
            shape.append(s)
            continue
        cur = a.shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise EmberRuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(a.shape)}")
        shape.append(s)
    return dispatch.apply_view(_expand, self, shape=tuple(shape))


@public("expand_as", method=True, function=False)
def expand_as(self, other):
    """expand_as(other) -> Tensor: expand(other.size())."""
    return expand(self, tuple(other.shape))


@public("broadcast_to", method=True)
def broadcast_to(input, size):
    """broadcast_to(input, size) -> Tensor: expand(size).

    Example:
        >>> torch.broadcast_to(torch.tensor([1, 2, 3]), (2, 3))
        tensor([[1, 2, 3],
                [1, 2, 3]])
    """
    return expand(input, tuple(size))


@op("permute", keep="shape", kind="view")
def _permute(m, a, dims):
    return m.transpose(a, dims)


_permute.derivative(lambda m, g, a_shape, out, dims: m.transpose(g, tuple(np.argsort(dims))))


@public("permute", method=True)
def permute(input, *dims):
    """permute(input, dims) -> Tensor: a view with dimensions reordered.

    Example:
        >>> torch.permute(torch.zeros(2, 3, 4), (2, 0, 1)).shape
        torch.Size([4, 2, 3])
    """
    nd = input._array.ndim
    dims = shape_args(dims, "permute")
    if len(dims) != nd:
        raise EmberRuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                                f"does not match the length of the desired ordering of dimensions "
                                f"i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise EmberRuntimeError("permute(): duplicate dims are not allowed.")
    return dispatch.apply_view(_permute, input, dims=dims)


@op("transpose", keep="shape", kind="view")
def _transpose(m, a, dim0, dim1):
    return m.swapaxes(a, dim0, dim1)


_transpose.derivative(lambda m, g, a_shape, out, dim0, dim1: m.swapaxes(g, dim0, dim1))


@public("transpose", "swapaxes", "swapdims", method=True)
def transpose(input, dim0, dim1):
    """transpose(input, dim0, dim1) -> Tensor: a view with two dimensions swapped.

    ``swapaxes`` and ``swapdims`` are the same function.

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.transpose(x, 0, 1)
        tensor([[1, 4],
                [2, 5],
                [3, 6]])
        >>> torch.swapaxes(torch.zeros(2, 3, 4), 0, 2).shape
        torch.Size([4, 3, 2])
    """
    nd = input._array.ndim
    d0, d1 = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    if nd < 2:
        return dispatch.apply_view(_view, input, shape=input._array.shape)
    return dispatch.apply_view(_transpose, input, dim0=d0, dim1=d1)


@public("t", method=True)
def t(input):
    """t(input) -> Tensor: transpose of a ≤2-D tensor.

    Example:
        >>> torch.t(torch.tensor([[1, 2, 3], [4, 5, 6]]))
        tensor([[1, 4],
                [2, 5],
                [3, 6]])
    """
    nd = input._array.ndim
    if nd > 2:
        raise EmberRuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return dispatch.apply_view(_view, input, shape=input._array.shape)
    return dispatch.apply_view(_T, input, dim0=0, dim1=1)


_T = op("t", keep="shape", kind="view")(_transpose.forward)
_T.derivative(_transpose.grad)


@public("adjoint", method=True)
def adjoint(input):
    """adjoint(input) -> Tensor: a view of the conjugate transpose of the last two dimensions
    (``input.mH``).

    Shape:
        ``(*, m, n)`` gives ``(*, n, m)``.

    Example:
        >>> torch.adjoint(torch.tensor([[1+1j, 2j], [3+0j, 4-1j]]))
        tensor([[1.-1.j, 3.-0.j],
                [0.-2.j, 4.+1.j]])
    """
    return input.mH


@public("movedim", "moveaxis", method=True)
def movedim(input, source, destination):
    """movedim(input, source, destination) -> Tensor: a view with dimensions moved.

    ``moveaxis`` is the same function.

    Example:
        >>> x = torch.zeros(2, 3, 4)
        >>> torch.movedim(x, 0, -1).shape
        torch.Size([3, 4, 2])
        >>> torch.moveaxis(x, (0, 1), (2, 0)).shape
        torch.Size([3, 4, 2])
    """
    nd = input._array.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise EmberRuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims)"
                                f" should contain the same number of dims as destination ({dst} "
                                "dims)")
    src = [_wrap_dim(d, nd) for d in src]
    dst = [_wrap_dim(d, nd) for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise EmberRuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    order = [d for d in range(nd) if d not in src]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = [p if p is not None else next(it) for p in perm]
    return permute(input, *perm)


@op("squeeze", keep="shape", kind="view")
def _squeeze(m, a, shape):
    return m.reshape(a, shape, copy=False)


_squeeze.derivative(_reshape_grad)
# squeeze(dim) is a separate torch function with its own grad_fn name
_SQUEEZE_DIM = op("squeeze_dim", keep="shape", kind="view", node_name="SqueezeBackward1")(
    _squeeze.forward)
_SQUEEZE_DIM.derivative(_reshape_grad)


@public("squeeze", method=True)
def squeeze(input, dim=None):
    """squeeze(input, dim=None) -> Tensor: a view without size-1 dimensions (all, or those in
    ``dim``).

    Example:
        >>> x = torch.zeros(2, 1, 3, 1)
        >>> torch.squeeze(x).shape
        torch.Size([2, 3])
        >>> torch.squeeze(x, 1).shape
        torch.Size([2, 3, 1])
    """
    a = input._array
    if dim is None:
        shape = tuple(s for s in a.shape if s != 1)
    else:
        listed = [_wrap_dim(d, a.ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
        dims = set(listed)
        if len(dims) != len(listed):
            dup = next(d for d in listed if listed.count(d) > 1)
            raise EmberRuntimeError(f"dim {dup} appears multiple times in the list of dims")
        shape = tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1))
    return dispatch.apply_view(_squeeze if dim is None else _SQUEEZE_DIM, input, shape=shape)


@op("unsqueeze", keep="shape", kind="view")
def _unsqueeze(m, a, dim):
    return m.expand_dims(a, dim)


_unsqueeze.derivative(lambda m, g, a_shape, out, dim: g.reshape(a_shape))


@public("unsqueeze", method=True)
def unsqueeze(input, dim):
    """unsqueeze(input, dim) -> Tensor: a view with a size-1 dimension inserted at ``dim``.

    Example:
        >>> x = torch.tensor([1, 2, 3])
        >>> torch.unsqueeze(x, 0)
        tensor([[1, 2, 3]])
        >>> torch.unsqueeze(x, 1).shape
        torch.Size([3, 1])
    """
    nd = input._array.ndim + 1
    if not -nd <= dim < nd:
        raise EmberIndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                              f"{nd - 1}], but got {dim})")
    return dispatch.apply_view(_unsqueeze, input, dim=dim % nd)


@public("flatten", method=True)
def flatten(input, start_dim=0, end_dim=-1):
    """flatten(input, start_dim=0, end_dim=-1) -> Tensor: dims start..end merged into one.

    Example:
        >>> x = torch.zeros(2, 3, 4)
        >>> torch.flatten(x).shape
        torch.Size([24])
        >>> torch.flatten(x, start_dim=1).shape
        torch.Size([2, 12])
    """
    a = input._array
    if a.ndim == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, a.ndim), _wrap_dim(end_dim, a.ndim)
    if s > e:
        raise EmberRuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input          # torch returns the input itself, not a view
    n = 1
    for x in a.shape[s:e + 1]:
        n *= x
    return reshape(input, a.shape[:s] + (n,) + a.shape[e + 1:])


@public("unflatten", method=True)
def unflatten(input, dim, sizes):
    """unflatten(input, dim, sizes) -> Tensor: split dimension ``dim`` into ``sizes``.

    Example:
        >>> torch.unflatten(torch.arange(6), 0, (2, 3))
        tensor([[0, 1, 2],
                [3, 4, 5]])
        >>> torch.unflatten(torch.zeros(2, 12), 1, (3, -1)).shape
        torch.Size([2, 3, 4])
    """
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    sizes = shape_args((sizes,), "unflatten")
    if not sizes:
        raise EmberRuntimeError("unflatten: sizes must be non-empty")
    sizes = _infer_shape(sizes, a.shape[d]) if -1 in sizes else sizes
    n = 1
    for x in sizes:
        n *= x
    if n != a.shape[d]:
        raise EmberRuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                                f"size of dim {dim} ({a.shape[d]}) in the input tensor")
    return view(input, a.shape[:d] + sizes + a.shape[d + 1:]) if input.is_contiguous() else \
        reshape(input, a.shape[:d] + sizes + a.shape[d + 1:])


# --- basic indexing: ints, slices, None, Ellipsis -------------------------------------------
@op("select", keep="shape", kind="view")
def _select(m, a, index):
    return a[index]


_select.derivative(lambda m, g, a_shape, out, index: m.scatter_basic(a_shape, index, g))


@op("slice", keep="shape", kind="view")
def _slice(m, a, index):
    return a[index]


_slice.derivative(lambda m, g, a_shape, out, index: m.scatter_basic(a_shape, index, g))


@public("select", method=True)
def select(input, dim, index):
    """select(input, dim, index) -> Tensor: the view at ``index`` along ``dim`` (dim removed).

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.select(x, 1, 0)
        tensor([1, 4])
    """
    a = input._array
    if a.ndim == 0:
        raise EmberIndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d]
    index = operator.index(index)
    if not -size <= index < size:
        raise EmberIndexError(f"select(): index {index} out of range for tensor of size "
                              f"{list(a.shape)} at dimension {d}")
    return dispatch.apply_view(_select, input,
                               index=(slice(None),) * d + (index % size, Ellipsis))


@public("narrow", method=True)
def narrow(input, dim, start, length):
    """narrow(input, dim, start, length) -> Tensor: the view of ``length`` entries from
    ``start`` along ``dim``.

    Example:
        >>> x = torch.arange(9).reshape(3, 3)
        >>> torch.narrow(x, 1, 1, 2)
        tensor([[1, 2],
                [4, 5],
                [7, 8]])
    """
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d]
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise EmberRuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise EmberIndexError(f"start out of range (expected to be in range of [{-size}, {size}],"
                              f" but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise EmberRuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                                f"({size}).")
    return dispatch.apply_view(_slice, input,
                               index=(slice(None),) * d + (slice(start, start + length),))


# --- views with arbitrary strides: diagonal, as_strided, unfold ---------------------------------
def _index_map(shape, forward, **attrs):
    """Which flat input element each output element reads: run the view on arange."""
    n = 1
    for s in shape:
        n *= s
    return forward(np, np.arange(n).reshape(shape), **attrs)


def _strided_rule(forward):
    def rule(m, g, a_shape, out, **attrs):
        return m.index_scatter(a_shape, _index_map(a_shape, forward, **attrs), g)
    return rule


def _diagonal_kernel(m, a, offset, dim1, dim2):
    d = np.diagonal(a, offset, dim1, dim2)   # read-only in NumPy: rebuild it writable
    if not d.size:
        return d.copy()
    first = [slice(None)] * a.ndim           # start where the diagonal starts
    first[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
    return _as_strided(a[tuple(first)], d.shape, d.strides, writeable=a.flags.writeable)


_DIAGONAL = op("diagonal", keep="shape", kind="view")(_diagonal_kernel)
_DIAGONAL.derivative(_strided_rule(_diagonal_kernel))


@public("diagonal", method=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    """diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor: a view of the diagonal, appended as
    the last dimension.

    Shape:
        ``dim1`` and ``dim2`` are removed and the diagonal, of length min(size1, size2 -
        offset) for offset >= 0, becomes the last dimension.

    Example:
        >>> x = torch.arange(9).reshape(3, 3)
        >>> torch.diagonal(x)
        tensor([0, 4, 8])
        >>> torch.diagonal(x, offset=1)
        tensor([1, 5])
        >>> torch.diagonal(torch.zeros(2, 3, 3), dim1=1, dim2=2).shape
        torch.Size([2, 3])
    """
    nd = input._array.ndim
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise EmberRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return dispatch.apply_view(_DIAGONAL, input, offset=offset, dim1=d1, dim2=d2)


def _as_strided_kernel(m, a, size, stride, offset):
    itemsize = a.itemsize
    from .._storage import root_array
    base = root_array(a)
    start = (a.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // itemsize
    flat = base.reshape(-1) if base.flags.c_contiguous else base
    first = flat[offset - start:] if offset >= start else None
    if first is None or base.ndim != 1 and not base.flags.c_contiguous:
        raise EmberRuntimeError("as_strided: storage_offset before the tensor's start is not "
                                "supported")
    # zero strides repeat elements: read-only, so in-place writes raise as torch's do
    repeats = any(st == 0 and n > 1 for st, n in zip(stride, size))
    return _as_strided(first, size, tuple(s * itemsize for s in stride),
                       writeable=a.flags.writeable and not repeats)


_AS_STRIDED = op("as_strided", keep="shape", kind="view")(_as_strided_kernel)
_AS_STRIDED.derivative(_strided_rule(_as_strided_kernel))


@public("as_strided", method=True)
def as_strided(input, size, stride, storage_offset=None):
    """as_strided(input, size, stride, storage_offset=None) -> Tensor: a view with the given
    geometry over the input's storage (element units).

    Example:
        >>> x = torch.arange(6)
        >>> torch.as_strided(x, (2, 2), (1, 2))
        tensor([[0, 2],
                [1, 3]])
        >>> torch.as_strided(x, (2,), (3,), 1)
        tensor([1, 4])
    """
    size, stride = shape_args((size,), "as_strided"), shape_args((stride,), "as_strided")
    if len(size) != len(stride):
        raise EmberRuntimeError("mismatch in length of strides and shape")
    if any(st < 0 for st in stride):
        raise EmberRuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                                f"got strides: {list(stride)}")
    if any(s < 0 for s in size):
        raise EmberRuntimeError(f"Trying to create tensor with negative dimension "
                                f"{min(size)}: {list(size)}")
    off = input.storage_offset() if storage_offset is None else operator.index(storage_offset)
    item = input._array.itemsize
    need = off + sum((s - 1) * st for s, st in zip(size, stride)) + 1
    nbytes = input.untyped_storage().nbytes()
    if all(s > 0 for s in size) and need * item > nbytes:
        raise EmberRuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                                f"offset {off}, and itemsize {item} requiring a storage size of "
                                f"{need * item} are out of bounds for storage of size {nbytes}")
    if input._edge is not None and (input.storage_offset() != 0
                                    or not input._array.flags.c_contiguous):
        raise EmberRuntimeError("as_strided on a non-contiguous tensor or one with a storage "
                                    "offset is not differentiable in ember; call .contiguous() "
                                    "first")
    return dispatch.apply_view(_AS_STRIDED, input, size=size, stride=stride, offset=off)


def _unfold_kernel(m, a, dim, size, step):
    n = (a.shape[dim] - size) // step + 1
    shape = a.shape[:dim] + (n,) + a.shape[dim + 1:] + (size,)
    strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (a.strides[dim],)
    return _as_strided(a, shape, strides, writeable=a.flags.writeable)


_UNFOLD = op("unfold", keep="shape", kind="view")(_unfold_kernel)
_UNFOLD.derivative(_strided_rule(_unfold_kernel))


@public("unfold", method=True, function=False)
def unfold(self, dimension, size, step):
    """unfold(dimension, size, step) -> Tensor: a view of all windows of ``size`` along
    ``dimension``, ``step`` apart, as a new last dimension."""
    a = self._array
    d = _wrap_dim(dimension, a.ndim)
    length = a.shape[d] if a.ndim else 1
    if size < 0:
        raise EmberRuntimeError(f"size is {size} but must be >= 0")
    if size > length:
        raise EmberRuntimeError(f"maximum size for tensor at dimension {d} is {length} but size "
                                f"is {size}")
    if step <= 0:
        raise EmberRuntimeError(f"step is {step} but must be > 0")
    if a.ndim == 0:
        return reshape(self, (1,))
    return dispatch.apply_view(_UNFOLD, self, dim=d, size=size, step=step)


# --- splitting into views ---------------------------------------------------------------------
@public("split", method=True)
def split(tensor, split_size_or_sections, dim=0):
    """split(tensor, split_size_or_sections, dim=0) -> tuple of views.

    Example:
        >>> x = torch.arange(5)
        >>> torch.split(x, 2)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
        >>> torch.split(x, [1, 4])
        (tensor([0]), tensor([1, 2, 3, 4]))
    """
    a = tensor._array
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise EmberRuntimeError(f"split expects split_size be non-negative, but got "
                                    f"split_size={step}")
        if step == 0 and size:
            raise EmberRuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                    f"dimension size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise EmberRuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                                    f"{size} (input tensor's size at dimension {d}), but got "
                                    f"split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


@public("split_with_sizes", method=True)
def split_with_sizes(input, split_sizes, dim=0):
    """split_with_sizes(input, split_sizes, dim=0) -> tuple of views: ``split`` with an
    explicit list of sizes, which must add up to the size of ``dim``.

    Example:
        >>> torch.split_with_sizes(torch.arange(5), [3, 2])
        (tensor([0, 1, 2]), tensor([3, 4]))
    """
    return split(input, list(split_sizes), dim)


@public("chunk", method=True)
def chunk(input, chunks, dim=0):
    """chunk(input, chunks, dim=0) -> tuple of at most ``chunks`` views.

    Example:
        >>> torch.chunk(torch.arange(5), 3)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    """
    if chunks <= 0:
        raise EmberRuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    a = input._array
    size = a.shape[_wrap_dim(dim, a.ndim)]
    step = -(-size // chunks) if size else 1
    return split(input, step, dim)


@public("tensor_split", method=True)
def tensor_split(input, indices_or_sections, dim=0):
    """tensor_split(input, indices_or_sections, dim=0) -> tuple of views (numpy.array_split).

    Example:
        >>> torch.tensor_split(torch.arange(7), 3)
        (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
        >>> torch.tensor_split(torch.arange(5), [1, 4])
        (tensor([0]), tensor([1, 2, 3]), tensor([4]))
    """
    a = input._array
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d]
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.ndim > 1:
            raise EmberRuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {indices_or_sections.ndim} dims")
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise EmberRuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in indices_or_sections] + [size]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        hi = max(hi, lo)
        out.append(narrow(input, d, lo, hi - lo))
    return tuple(out)


@public("unbind", method=True)
def unbind(input, dim=0):
    """unbind(input, dim=0) -> tuple of views, one per index along ``dim`` (dim removed).

    Example:
        >>> torch.unbind(torch.tensor([[1, 2], [3, 4]]))
        (tensor([1, 2]), tensor([3, 4]))
        >>> torch.unbind(torch.tensor([[1, 2], [3, 4]]), dim=1)
        (tensor([1, 3]), tensor([2, 4]))
    """
    a = input._array
    if a.ndim == 0:
        raise EmberIndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, a.ndim)
    return tuple(select(input, d, i) for i in range(a.shape[d]))
