"""Shape functions built from other ops: stacking and splitting by axis name (hstack, vsplit…),
atleast_*d, block_diag, cartesian_prod, combinations, meshgrid, broadcast_tensors, rot90,
diag/diag_embed/diagflat, the ``*_scatter`` family (a view region of a copy replaced by ``src``)
and the ``*_copy`` family (a view op followed by a copy).

Only ``view_scatter`` is a new op (its rule is below it); the rest compose ops that already carry
derivatives, so their gradients come for free.
"""
import itertools

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import to_tensor, write_out
from .creation import arange, zeros
from .registry import PUBLIC, op, public
from .shape import cat, stack


def _seq(tensors, name):
    if isinstance(tensors, Tensor):
        raise EmberTypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not Tensor")
    return list(tensors)


# --- atleast_*d ---------------------------------------------------------------------------------
def _atleast(n, tensors):
    def one(t):
        t = to_tensor(t)
        if t.ndim >= n:
            return t
        if n == 1:
            return t.reshape(1)
        if n == 2:
            return t.reshape(1, -1) if t.ndim == 1 else t.reshape(1, 1)
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1)
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(one(t) for t in tensors[0])
    if len(tensors) == 1:
        return one(tensors[0])
    return tuple(one(t) for t in tensors)


@public("atleast_1d")
def atleast_1d(*tensors):
    """atleast_1d(*tensors) -> Tensor or tuple of Tensors: each input viewed with at least one
    dimension (a single input gives a single tensor).

    Example:
        >>> torch.atleast_1d(torch.tensor(5))
        tensor([5])
    """
    return _atleast(1, tensors)


@public("atleast_2d")
def atleast_2d(*tensors):
    """atleast_2d(*tensors) -> Tensor or tuple of Tensors: each input viewed with at least two
    dimensions (a single input gives a single tensor).

    Example:
        >>> torch.atleast_2d(torch.tensor([1, 2]))
        tensor([[1, 2]])
    """
    return _atleast(2, tensors)


@public("atleast_3d")
def atleast_3d(*tensors):
    """atleast_3d(*tensors) -> Tensor or tuple of Tensors: each input viewed with at least
    three dimensions (a single input gives a single tensor).

    Example:
        >>> torch.atleast_3d(torch.tensor([1, 2])).shape
        torch.Size([1, 2, 1])
    """
    return _atleast(3, tensors)


# --- stacking and splitting by axis name --------------------------------------------------------
@public("hstack")
def hstack(tensors, *, out=None):
    """hstack(tensors, *, out=None) -> Tensor: concatenate along dim 1 (dim 0 for 1-D).

    Example:
        >>> torch.hstack([torch.tensor([1, 2]), torch.tensor([3])])
        tensor([1, 2, 3])
    """
    ts = atleast_1d(_seq(tensors, "hstack"))
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1, out=out)


@public("vstack", "row_stack")
def vstack(tensors, *, out=None):
    """vstack(tensors, *, out=None) -> Tensor: concatenate along dim 0 after atleast_2d.
    ``row_stack`` is another name for the same function.

    Example:
        >>> torch.vstack([torch.tensor([1, 2]), torch.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
        >>> torch.row_stack([torch.tensor([1, 2]), torch.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return cat(atleast_2d(_seq(tensors, "vstack")), 0, out=out)


@public("dstack")
def dstack(tensors, *, out=None):
    """dstack(tensors, *, out=None) -> Tensor: concatenate along dim 2 after atleast_3d.

    Example:
        >>> torch.dstack([torch.tensor([1, 2]), torch.tensor([3, 4])])
        tensor([[[1, 3],
                 [2, 4]]])
    """
    return cat(atleast_3d(_seq(tensors, "dstack")), 2, out=out)


@public("column_stack")
def column_stack(tensors, *, out=None):
    """column_stack(tensors, *, out=None) -> Tensor: 0-d and 1-d inputs become columns, then
    hstack.

    Example:
        >>> torch.column_stack([torch.tensor([1, 2]), torch.tensor([3, 4])])
        tensor([[1, 3],
                [2, 4]])
    """
    ts = [to_tensor(t) for t in _seq(tensors, "column_stack")]
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts]
    return cat(ts, 1, out=out)


def _split_by(name, input, spec, dim, min_dim):
    if input.ndim < min_dim:
        raise EmberRuntimeError(f"torch.{name} requires a tensor with at least {min_dim} "
                                f"dimension{'s' if min_dim > 1 else ''}, but got a tensor with "
                                f"{input.ndim} dimensions!")
    if isinstance(spec, int):
        n = input.shape[dim]
        if spec == 0 or n % spec:
            raise EmberRuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                                    f"the size of the dimension {n} is not divisible by the "
                                    f"split_size {spec}!")
    return input.tensor_split(spec, dim)


@public("hsplit", method=True)
def hsplit(input, indices_or_sections):
    """hsplit(input, indices_or_sections) -> tuple: tensor_split along dim 1 (0 for 1-D).

    Example:
        >>> torch.hsplit(torch.arange(4), 2)
        (tensor([0, 1]), tensor([2, 3]))
    """
    return _split_by("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


@public("vsplit", method=True)
def vsplit(input, indices_or_sections):
    """vsplit(input, indices_or_sections) -> tuple: tensor_split along dim 0.

    Example:
        >>> torch.vsplit(torch.arange(4).view(2, 2), 2)
        (tensor([[0, 1]]), tensor([[2, 3]]))
    """
    return _split_by("vsplit", input, indices_or_sections, 0, 2)


@public("dsplit", method=True)
def dsplit(input, indices_or_sections):
    """dsplit(input, indices_or_sections) -> tuple: tensor_split along dim 2.

    Example:
        >>> torch.dsplit(torch.arange(4).view(1, 1, 4), 2)
        (tensor([[[0, 1]]]), tensor([[[2, 3]]]))
    """
    return _split_by("dsplit", input, indices_or_sections, 2, 3)


@public("unsafe_chunk", method=True)
def unsafe_chunk(input, chunks, dim=0):
    """unsafe_chunk(input, chunks, dim=0): chunk (ember's views are always safe).

    Example:
        >>> torch.unsafe_chunk(torch.arange(4), 2)
        (tensor([0, 1]), tensor([2, 3]))
    """
    return input.chunk(chunks, dim)


@public("unsafe_split", method=True)
def unsafe_split(input, split_size, dim=0):
    """unsafe_split(input, split_size, dim=0): split (ember's views are always safe).

    Example:
        >>> torch.unsafe_split(torch.arange(5), 2)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    """
    return input.split(split_size, dim)


@public("ravel", method=True)
def ravel(input):
    """ravel(input) -> Tensor: flattened to 1-D (a view when possible).

    Example:
        >>> torch.ravel(torch.tensor([[1, 2], [3, 4]]))
        tensor([1, 2, 3, 4])
    """
    return input.reshape(-1)


# --- products of index sets ---------------------------------------------------------------------
@public("meshgrid")
def meshgrid(*tensors, indexing=None):
    """meshgrid(*tensors, indexing='ij') -> tuple of Tensors: coordinate grids (views that
    broadcast each 1-D input; ``indexing='xy'`` swaps the first two dimensions).

    Example:
        >>> xs, ys = torch.meshgrid(torch.tensor([1, 2]), torch.tensor([3, 4, 5]), indexing='ij')
        >>> xs
        tensor([[1, 1, 1],
                [2, 2, 2]])
        >>> ys
        tensor([[3, 4, 5],
                [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise EmberRuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                                f"received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise EmberRuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor "
                                    f"list but got: {t.ndim}D")
    ts = [t.reshape(-1) for t in tensors]
    shape = [t.shape[0] for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(ts) >= 2:
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


@public("cartesian_prod")
def cartesian_prod(*tensors):
    """cartesian_prod(*tensors) -> Tensor: rows of every combination (itertools.product order);
    one input is returned as is.

    Example:
        >>> torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


@public("combinations")
def combinations(input, r=2, with_replacement=False):
    """combinations(input, r=2, with_replacement=False) -> Tensor: rows of length-r combinations
    of a 1-D tensor (itertools order).

    Example:
        >>> torch.combinations(torch.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input.ndim != 1:
        raise EmberRuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise EmberRuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input[:0]
    gen = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(gen(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input.index_select(0, wrap(idx.reshape(-1))).reshape(-1, r)


@public("broadcast_tensors")
def broadcast_tensors(*tensors):
    """broadcast_tensors(*tensors) -> tuple of Tensors expanded to one broadcast shape.

    Example:
        >>> a, b = torch.broadcast_tensors(torch.tensor([[1], [2]]), torch.tensor([3, 4, 5]))
        >>> b
        tensor([[3, 4, 5],
                [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


@public("broadcast_shapes")
def broadcast_shapes(*shapes):
    """broadcast_shapes(*shapes) -> Size: the shape all inputs broadcast to.

    Example:
        >>> torch.broadcast_shapes((2, 1), (1, 3))
        torch.Size([2, 3])
    """
    from ..tensor import Size
    norm = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        raise EmberRuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape:"
                                f" {' and '.join(str(list(s)) for s in norm)}") from None


@public("block_diag")
def block_diag(*tensors):
    """block_diag(*tensors) -> Tensor: inputs (0-, 1- or 2-D) placed along the diagonal of a
    zero matrix; the result dtype promotes all inputs.

    Example:
        >>> torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([[3], [4]]))
        tensor([[1, 2, 0],
                [0, 0, 3],
                [0, 0, 4]])
    """
    ts = []
    for i, t in enumerate(tensors):
        t = to_tensor(t)
        if t.ndim > 2:
            raise EmberRuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                                    f"dimensions. Input {i} has {t.ndim} dimensions")
        ts.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not ts:
        return wrap(np.empty((1, 0), _dt.get_default_dtype()._np))
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = _dt.promote_types(dtype, t.dtype)
    rows = sum(t.shape[0] for t in ts)
    cols = sum(t.shape[1] for t in ts)
    res = zeros(rows, cols, dtype=dtype)
    r = c = 0
    for t in ts:
        h, w = t.shape
        res = _place(res, t.to(dtype), r, c)
        r, c = r + h, c + w
    return res


def _place(res, block, r, c):
    h, w = block.shape
    return dispatch.apply(_VIEW_SCATTER, (res, block),
                          {"view": ("block", (r, r + h, c, c + w))})


# --- view_scatter: a copy of ``input`` whose view region holds ``src`` --------------------------
def _diag_view(a, offset, d1, d2):
    """Writable diagonal view (NumPy's np.diagonal is read-only), diagonal last."""
    n1, n2 = a.shape[d1], a.shape[d2]
    if offset >= 0:
        length, first = max(min(n1, n2 - offset), 0), (0, offset)
    else:
        length, first = max(min(n1 + offset, n2), 0), (-offset, 0)
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = [a.shape[i] for i in rest] + [length]
    if length == 0:
        return np.empty(shape, a.dtype)
    start = [slice(None)] * a.ndim
    start[d1], start[d2] = slice(first[0], None), slice(first[1], None)
    strides = [a.strides[i] for i in rest] + [a.strides[d1] + a.strides[d2]]
    return np.lib.stride_tricks.as_strided(a[tuple(start)], shape, strides, writeable=True)


def _region(a, view):
    kind, args = view
    if kind == "diagonal":
        offset, d1, d2 = args
        return _diag_view(a, offset, d1, d2)
    if kind == "select":
        d, i = args   # a 0-d view rather than a NumPy scalar, so it can be written through
        return np.squeeze(a[(slice(None),) * d + (slice(i, i + 1),)], axis=d)
    if kind == "slice":
        d, start, end, step = args
        return a[(slice(None),) * d + (slice(start, end, step),)]
    if kind == "block":
        r0, r1, c0, c1 = args
        return a[r0:r1, c0:c1]
    if kind == "as_strided":
        size, stride, offset = args
        flat = a.reshape(-1)
        return np.lib.stride_tricks.as_strided(
            flat[offset:], size, [s * a.itemsize for s in stride], writeable=True)
    raise AssertionError(kind)


def _view_scatter_kernel(m, a, src, view):
    out = np.array(a, copy=True, order="C")
    _region(out, view)[...] = src
    return out


_VIEW_SCATTER = op("view_scatter", keep="", node_name="ViewScatterBackward0")(
    _view_scatter_kernel)


def _vs_grad_input(m, g, a, src, out, view):
    # g with the region zeroed: as an array, or (create_graph) as the same op on Tensors
    if isinstance(g, Tensor):
        return dispatch.apply(_VIEW_SCATTER, (g, _take_region(g, view) * 0), {"view": view})
    z = np.array(g, copy=True, order="C")
    _region(z, view)[...] = 0
    return z


def _vs_grad_src(m, g, a, src, out, view):
    if isinstance(g, Tensor):
        return _take_region(g, view)
    return np.array(_region(np.ascontiguousarray(g), view), copy=True)


def _take_region(t, view):
    """The region of a Tensor as a differentiable view (the create-graph twin of _region)."""
    kind, args = view
    if kind == "diagonal":
        offset, d1, d2 = args
        return t.diagonal(offset, d1, d2)
    if kind == "select":
        return t.select(*args)
    if kind == "slice":
        d, start, end, step = args
        return t[(slice(None),) * d + (slice(start, end, step),)]
    if kind == "block":
        r0, r1, c0, c1 = args
        return t[r0:r1, c0:c1]
    size, stride, offset = args
    return t.contiguous().as_strided(size, stride, offset)


_VIEW_SCATTER.derivative((_vs_grad_input, _vs_grad_src))


def _scatter_into(input, src, view, name):
    src = to_tensor(src)
    region_shape = _region(np.empty(input.shape, np.int8), view).shape
    if tuple(src.shape) != tuple(region_shape):
        raise EmberRuntimeError(f"{name}: expected src to have a size equal to the slice of "
                                f"self. src size = {list(src.shape)}, slice size = "
                                f"{list(region_shape)}")
    if src.dtype != input.dtype:
        raise EmberRuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    return dispatch.apply(_VIEW_SCATTER, (input, src), {"view": view})


@public("diagonal_scatter", method=True)
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor: a copy of ``input``
    with the given diagonal replaced by ``src``.

    Example:
        >>> torch.diagonal_scatter(torch.zeros(2, 2), torch.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    return _scatter_into(input, src, ("diagonal", (int(offset), d1, d2)), "diagonal_scatter")


@public("select_scatter", method=True)
def select_scatter(input, src, dim, index):
    """select_scatter(input, src, dim, index) -> Tensor: a copy of ``input`` with
    ``input.select(dim, index)`` replaced by ``src``.

    Example:
        >>> torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 0, 1)
        tensor([[0., 0.],
                [1., 1.]])
    """
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise EmberRuntimeError(f"select_scatter(): index {index} out of range for tensor of "
                                f"size {list(input.shape)} at dimension {d}")
    return _scatter_into(input, src, ("select", (d, index % n)), "select_scatter")


@public("slice_scatter", method=True)
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor: a copy of
    ``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``.

    Example:
        >>> torch.slice_scatter(torch.zeros(4), torch.ones(2), start=1, end=3)
        tensor([0., 1., 1., 0.])
    """
    d = _wrap_dim(dim, input.ndim)
    return _scatter_into(input, src, ("slice", (d, start, end, step)), "slice_scatter")


@public("as_strided_scatter", method=True)
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor: a copy of
    ``input`` (contiguous) whose as_strided view is replaced by ``src``.

    Example:
        >>> torch.as_strided_scatter(torch.zeros(3, 3), torch.ones(3), (3,), (4,))
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 1.]])
    """
    view = ("as_strided", (tuple(size), tuple(stride), int(storage_offset or 0)))
    return _scatter_into(input, src, view, "as_strided_scatter")


# --- diag, diag_embed, diagflat -----------------------------------------------------------------
@public("diag_embed", method=True)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor: the last dimension of ``input``
    placed on the (dim1, dim2) diagonal of new zero matrices.

    Example:
        >>> torch.diag_embed(torch.tensor([[1, 2], [3, 4]]))
        tensor([[[1, 0],
                 [0, 2]],
        <BLANKLINE>
                [[3, 0],
                 [0, 4]]])
    """
    nd = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise EmberRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset) if input.ndim else 1 + abs(offset)
    batch = list(input.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (d1, d2) else batch.pop(0))
    base = zeros(shape, dtype=input.dtype)
    return dispatch.apply(_VIEW_SCATTER, (base, input if input.ndim else input.reshape(1)),
                          {"view": ("diagonal", (int(offset), d1, d2))})


@public("diag", method=True)
def diag(input, diagonal=0, *, out=None):
    """diag(input, diagonal=0) -> Tensor: a 1-D input becomes a matrix with it on a diagonal,
    a 2-D input gives that diagonal (a copy).

    Example:
        >>> torch.diag(torch.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
        >>> torch.diag(torch.tensor([[1, 2], [3, 4]]))
        tensor([1, 4])
    """
    if input.ndim == 1:
        return write_out(diag_embed(input, diagonal, 0, 1), out)
    if input.ndim == 2:
        return write_out(input.diagonal(diagonal).clone(), out)
    raise EmberRuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@public("diagflat", method=True)
def diagflat(input, offset=0):
    """diagflat(input, offset=0) -> Tensor: the flattened input on a diagonal of a matrix.

    Example:
        >>> torch.diagflat(torch.tensor([1, 2]), 1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]])
    """
    return diag_embed(input.reshape(-1), offset, 0, 1)


@public("rot90", method=True)
def rot90(input, k=1, dims=(0, 1)):
    """rot90(input, k=1, dims=[0, 1]) -> Tensor: rotate by 90° k times from the first axis of
    ``dims`` towards the second.

    Example:
        >>> torch.rot90(torch.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    dims = list(dims)
    if len(dims) != 2:
        raise EmberRuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise EmberRuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise EmberRuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} "
                                f"and dim1 = {d1}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


# --- *_copy: a view op, then a copy -------------------------------------------------------------
# Docstring parts of the generated ``*_copy`` functions: view name -> (the arguments of its
# signature, what it returns, a doctest example's code, that example's expected output).
_COPY_DOCS = {
    "as_strided": ("input, size, stride, storage_offset=None", "Tensor",
                   "torch.as_strided_copy(torch.arange(4), (2, 2), (1, 1))",
                   "tensor([[0, 1],\n        [1, 2]])"),
    "diagonal": ("input, offset=0, dim1=0, dim2=1", "Tensor",
                 "torch.diagonal_copy(torch.tensor([[1, 2], [3, 4]]))",
                 "tensor([1, 4])"),
    "expand": ("input, size, *, implicit=False", "Tensor",
               "torch.expand_copy(torch.tensor([1, 2]), (2, 2))",
               "tensor([[1, 2],\n        [1, 2]])"),
    "permute": ("input, dims", "Tensor",
                "torch.permute_copy(torch.zeros(2, 3, 4), (2, 0, 1)).shape",
                "torch.Size([4, 2, 3])"),
    "squeeze": ("input, dim=None", "Tensor",
                "torch.squeeze_copy(torch.zeros(2, 1, 3)).shape",
                "torch.Size([2, 3])"),
    "t": ("input", "Tensor",
          "torch.t_copy(torch.tensor([[1, 2], [3, 4]]))",
          "tensor([[1, 3],\n        [2, 4]])"),
    "transpose": ("input, dim0, dim1", "Tensor",
                  "torch.transpose_copy(torch.tensor([[1, 2, 3]]), 0, 1)",
                  "tensor([[1],\n        [2],\n        [3]])"),
    "unbind": ("input, dim=0", "tuple of Tensors",
               "torch.unbind_copy(torch.tensor([[1, 2], [3, 4]]))",
               "(tensor([1, 2]), tensor([3, 4]))"),
    "unfold": ("input, dimension, size, step", "Tensor",
               "torch.unfold_copy(torch.arange(5), 0, 2, 2)",
               "tensor([[0, 1],\n        [2, 3]])"),
    "unsqueeze": ("input, dim", "Tensor",
                  "torch.unsqueeze_copy(torch.tensor([1, 2]), 1)",
                  "tensor([[1],\n        [2]])"),
    "view": ("input, size", "Tensor",
             "torch.view_copy(torch.arange(4), (2, 2))",
             "tensor([[0, 1],\n        [2, 3]])"),
    "split_with_sizes": ("input, split_sizes, dim=0", "tuple of Tensors",
                         "torch.split_with_sizes_copy(torch.arange(5), [2, 3])",
                         "(tensor([0, 1]), tensor([2, 3, 4]))"),
    "split": ("input, split_size, dim=0", "tuple of Tensors",
              "torch.split_copy(torch.arange(5), 2)",
              "(tensor([0, 1]), tensor([2, 3]), tensor([4]))"),
    "detach": ("input", "Tensor",
               "torch.detach_copy(torch.tensor([1., 2.]))",
               "tensor([1., 2.])"),
}


def _copy_variant(view_name):
    def fn(input, *args, out=None, **kwargs):
        res = getattr(input, view_name)(*args, **kwargs)
        if isinstance(res, (tuple, list)):
            return type(res)(r.clone() for r in res)
        return write_out(res.clone(), out)
    fn.__name__ = fn.__qualname__ = f"{view_name}_copy"
    sig, ret, code, want = _COPY_DOCS[view_name]
    fn.__doc__ = (f"{view_name}_copy({sig}) -> {ret}: ``input.{view_name}(...)`` copied.\n\n"
                  f"    Example:\n        >>> {code}\n        "
                  + want.replace("\n", "\n        ") + "\n    ")
    return fn


# Bound in this module too, so that the doctest finder sees the generated functions.
for _v in ("as_strided", "diagonal", "expand", "permute", "squeeze", "t", "transpose",
           "unbind", "unfold", "unsqueeze", "view", "split_with_sizes", "split", "detach"):
    PUBLIC[f"{_v}_copy"] = globals()[f"{_v}_copy"] = _copy_variant(_v)


@public("alias_copy")
def alias_copy(input, *, out=None):
    """alias_copy(input) -> Tensor: a copy of ``input``.

    Example:
        >>> torch.alias_copy(torch.tensor([1, 2, 3]))
        tensor([1, 2, 3])
    """
    return write_out(input.clone(), out)


@public("narrow_copy", method=True)
def narrow_copy(input, dim, start, length, *, out=None):
    """narrow_copy(input, dim, start, length) -> Tensor: ``narrow`` copied.

    Example:
        >>> torch.narrow_copy(torch.arange(6).view(2, 3), 1, 1, 2)
        tensor([[1, 2],
                [4, 5]])
    """
    return write_out(input.narrow(dim, start, length).clone(), out)



# --- index grids --------------------------------------------------------------------------------
def _tri_indices(fn, row, col, offset, dtype):
    from .. import dtypes
    r, c = fn(row, offset, col)
    d = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    return wrap(np.stack([r, c]).astype(d.np).reshape(2, -1))


@public("tril_indices")
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """tril_indices(row, col, offset=0, *, dtype=torch.long) -> Tensor of shape (2, N): the
    coordinates of the lower triangle of a row × col matrix, row by row.

    Example:
        >>> torch.tril_indices(3, 3)
        tensor([[0, 1, 1, 2, 2, 2],
                [0, 0, 1, 0, 1, 2]])
    """
    return _tri_indices(np.tril_indices, row, col, offset, dtype)


@public("triu_indices")
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """triu_indices(row, col, offset=0, *, dtype=torch.long) -> Tensor of shape (2, N): the
    coordinates of the upper triangle of a row × col matrix, row by row.

    Example:
        >>> torch.triu_indices(3, 3, 1)
        tensor([[0, 0, 1],
                [1, 2, 2]])
    """
    return _tri_indices(np.triu_indices, row, col, offset, dtype)


@public("unravel_index")
def unravel_index(indices, shape):
    """unravel_index(indices, shape) -> tuple of LongTensors: the coordinates in ``shape`` of
    flat indices.

    Example:
        >>> torch.unravel_index(torch.tensor([4, 5]), (2, 3))
        (tensor([1, 1]), tensor([1, 2]))
    """
    idx = to_tensor(indices)._array
    if idx.dtype.kind not in "iu":
        raise EmberTypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = int(np.prod(shape, dtype=np.int64))
    if idx.size and (idx.min() < -total or idx.max() >= total):
        raise EmberRuntimeError(f"'indices' must be in range [-{total}, {total})")
    return tuple(wrap(np.asarray(c, np.int64)) for c in np.unravel_index(idx % max(total, 1),
                                                                         shape))


@public("vander")
def vander(x, N=None, increasing=False):
    """vander(x, N=None, increasing=False) -> Tensor: the Vandermonde matrix whose columns are
    powers of the 1-D ``x`` (decreasing unless ``increasing``).

    Example:
        >>> torch.vander(torch.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]])
    """
    if x.ndim != 1:
        raise EmberRuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise EmberRuntimeError("N must be non-negative.")
    powers = arange(n, dtype=x.dtype if x._array.dtype.kind in "fc" else None)
    base = x if x._array.dtype.kind in "fc" else x.to(powers.dtype)
    res = base.unsqueeze(-1) ** powers if n else base.unsqueeze(-1)[:, :0]
    return res if increasing else res.flip(-1)
