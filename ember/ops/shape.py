"""Copying shape ops: cat, stack, flip, roll, repeat, tile, tril/triu, contiguous, clone."""
import numpy as np

from .. import _layout
from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..tensor import Tensor, _wrap_dim, wrap
from . import dispatch
from ._public import write_out
from .registry import METHODS, op, public


@op("clone", kind="elementwise", dtype_rule="same")
def _clone(m, a, order=None):
    # without an order NumPy copies in the input's own order ("K"): torch's preserve_format
    if order is None:
        return m.array(a, copy=True)
    if order == "C":
        return m.array(a, copy=True, order="C")
    return _layout.laid_out(m, a, order)


_clone.derivative(lambda m, g, a, out, order=None: g)


@public("clone", method=True)
def clone(input, *, memory_format=None):
    """clone(input, *, memory_format=torch.preserve_format) -> Tensor: a copy that stays in the
    graph; by default laid out as ``input`` is (when dense), else in ``memory_format``.

    Example:
        >>> x = torch.tensor([1., 2.], requires_grad=True)
        >>> y = torch.clone(x)
        >>> y
        tensor([1., 2.], grad_fn=<CloneBackward0>)
        >>> torch.zeros(2, 3).t().clone().stride()
        (1, 3)
        >>> torch.zeros(2, 3).t().clone(memory_format=torch.contiguous_format).stride()
        (2, 1)
    """
    if memory_format is None or memory_format is _layout.preserve_format:
        return dispatch.unary(_clone, input)
    order = _layout.physical_order(memory_format, input.ndim, "clone")
    return dispatch.unary(_clone, input, order="C" if order is None else order)


@public("contiguous", method=True, function=False)
def contiguous(self, memory_format=None):
    """contiguous(memory_format=torch.contiguous_format) -> Tensor: self when already laid out
    in ``memory_format`` (row-major by default; ``torch.channels_last`` stores (N, C, H, W) as
    N, H, W, C), else a copy laid out so.

    Example:
        >>> x = torch.zeros(2, 3, 4, 5)
        >>> x.contiguous(memory_format=torch.channels_last).stride()
        (60, 1, 15, 3)
    """
    if memory_format is _layout.preserve_format and self.is_contiguous():
        return self          # torch refuses preserve_format only when a copy would be needed
    order = _layout.physical_order(memory_format, self.ndim)
    if order is None:
        if self._array.flags.c_contiguous:
            return self
        return dispatch.unary(_CONTIG, self)
    if self.is_contiguous(memory_format=memory_format):
        return self
    return dispatch.unary(_CONTIG, self, order=order)


def _contiguous_kernel(m, a, order=None):
    return m.ascontiguousarray(a) if order is None else _layout.laid_out(m, a, order)


_CONTIG = op("contiguous", kind="elementwise", node_name="CloneBackward0")(_contiguous_kernel)
_CONTIG.derivative(lambda m, g, a, out, order=None: g)


def _promoted(tensors, name):
    if not tensors:
        raise EmberRuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise EmberRuntimeError(f"{name}(): expected a list of Tensors, but element is "
                                    f"{type(t).__name__}")
    d = tensors[0]._array.dtype
    if all(t._array.dtype is d for t in tensors):
        return [t._array for t in tensors]
    rd = tensors[0].dtype
    for t in tensors[1:]:
        rd = _dt.promote_types(rd, t.dtype)
    return [t._array.astype(rd.np) for t in tensors]


def _cat_kernel(m, *arrays, dim, sizes):
    return m.concatenate(arrays, axis=dim)


def _cat_grad(m, g, *args, dim, sizes):
    out = []
    start = 0
    for s in sizes:
        idx = (slice(None),) * dim + (slice(start, start + s),)
        out.append(g[idx])
        start += s
    return tuple(out)


_CAT = op("cat", kind="shape")(_cat_kernel)
_CAT.derivative(_cat_grad)


@public("cat", "concat", "concatenate")
def cat(tensors, dim=0, *, out=None):
    """cat(tensors, dim=0, *, out=None) -> Tensor: join tensors along an existing dimension.

    ``concat`` and ``concatenate`` are the same function.

    Shape:
        all tensors have the same shape except at ``dim``; the output's size there is the sum.

    Example:
        >>> a, b = torch.tensor([[1, 2]]), torch.tensor([[3, 4], [5, 6]])
        >>> torch.cat([a, b])
        tensor([[1, 2],
                [3, 4],
                [5, 6]])
        >>> torch.cat([a, a], dim=1)
        tensor([[1, 2, 1, 2]])
    """
    tensors = list(tensors)
    arrays = _promoted(tensors, "cat")
    # torch skips legacy empty 1-D tensors of shape (0,)
    keep = [i for i, a in enumerate(arrays) if not (a.ndim == 1 and a.shape[0] == 0)] or [0]
    tensors = [tensors[i] for i in keep]
    arrays = [arrays[i] for i in keep]
    nd = arrays[0].ndim
    if nd == 0:
        raise EmberRuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, nd)
    for i, a in enumerate(arrays):
        if a.ndim != nd:
            raise EmberRuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                                    f"{a.ndim}")
        for k in range(nd):
            if k != d and a.shape[k] != arrays[0].shape[k]:
                raise EmberRuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{arrays[0].shape[k]} but got size {a.shape[k]} for tensor number {i} in the "
                    "list.")
    sizes = tuple(a.shape[d] for a in arrays)
    res = dispatch.apply(_CAT, tuple(tensors), {"dim": d, "sizes": sizes}, arrays=arrays)
    return write_out(res, out)


@public("stack")
def stack(tensors, dim=0, *, out=None):
    """stack(tensors, dim=0, *, out=None) -> Tensor: join equal-shaped tensors along a new
    dimension.

    Shape:
        n tensors of shape ``S`` give a tensor with a new dimension of size n inserted into
        ``S`` at ``dim``.

    Example:
        >>> a, b = torch.tensor([1, 2]), torch.tensor([3, 4])
        >>> torch.stack([a, b])
        tensor([[1, 2],
                [3, 4]])
        >>> torch.stack([a, b], dim=1)
        tensor([[1, 3],
                [2, 4]])
    """
    tensors = list(tensors)
    if not tensors:
        raise EmberRuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._array.shape
    for i, t in enumerate(tensors):
        if t._array.shape != shape:
            raise EmberRuntimeError(f"stack expects each tensor to be equal size, but got "
                                    f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    nd = len(shape) + 1
    if not -nd <= dim < nd:
        raise EmberRuntimeError(f"Dimension out of range (expected to be in range of [{-nd}, "
                                f"{nd - 1}], but got {dim})")
    d = dim % nd
    return cat([t.unsqueeze(d) for t in tensors], d, out=out)


# --- flip / roll ---------------------------------------------------------------------------------
@op("flip", kind="shape", dtype_rule="same")
def _flip(m, a, dims):
    return m.flip(a, dims).copy() if dims else a.copy()   # torch's flip copies; NumPy's is a view


_flip.derivative(lambda m, g, a, out, dims: m.flip(g, dims) if dims else g)


def _dims_list(dims, nd, name):
    if isinstance(dims, int):
        dims = (dims,)
    wrapped = [_wrap_dim(d, nd) for d in dims]
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise EmberRuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(wrapped) if nd else ()


@public("flip", method=True)
def flip(input, *dims_args, dims=None):
    """flip(input, dims) -> Tensor: a copy with the order of elements reversed along ``dims``.

    Example:
        >>> x = torch.tensor([[1, 2], [3, 4]])
        >>> torch.flip(x, [0])
        tensor([[3, 4],
                [1, 2]])
        >>> torch.flip(x, [0, 1])
        tensor([[4, 3],
                [2, 1]])
    """
    dims = dims_args if dims is None else dims
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return dispatch.unary(_flip, input, dims=_dims_list(dims, input._array.ndim, "flip"))


@public("fliplr", method=True)
def fliplr(input):
    """fliplr(input) -> Tensor: flip along dim 1 (columns); needs at least 2 dims.

    Example:
        >>> torch.fliplr(torch.tensor([[1, 2, 3], [4, 5, 6]]))
        tensor([[3, 2, 1],
                [6, 5, 4]])
    """
    if input._array.ndim < 2:
        raise EmberRuntimeError("Input must be >= 2-d.")
    return dispatch.unary(_flip, input, dims=(1,))


@public("flipud", method=True)
def flipud(input):
    """flipud(input) -> Tensor: flip along dim 0 (rows); needs at least 1 dim.

    Example:
        >>> torch.flipud(torch.tensor([[1, 2, 3], [4, 5, 6]]))
        tensor([[4, 5, 6],
                [1, 2, 3]])
    """
    if input._array.ndim < 1:
        raise EmberRuntimeError("Input must be >= 1-d.")
    return dispatch.unary(_flip, input, dims=(0,))


@op("roll", kind="shape", dtype_rule="same")
def _roll(m, a, shifts, dims):
    return m.roll(a, shifts, dims)


_roll.derivative(lambda m, g, a, out, shifts, dims:
                 m.roll(g, tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts,
                        dims))


@public("roll", method=True)
def roll(input, shifts, dims=None):
    """roll(input, shifts, dims=None) -> Tensor: elements shifted circularly along ``dims``
    (over the flattened tensor when ``dims`` is None).

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6]])
        >>> torch.roll(x, 1)
        tensor([[6, 1, 2],
                [3, 4, 5]])
        >>> torch.roll(x, -1, dims=1)
        tensor([[2, 3, 1],
                [5, 6, 4]])
    """
    nd = input._array.ndim
    if dims is None:
        if isinstance(shifts, (tuple, list)):
            if len(shifts) != 1:
                raise EmberRuntimeError(f"shifts and dimensions must align. shifts: "
                                        f"{len(shifts)}, dims:0")
            shifts = shifts[0]
        return dispatch.unary(_roll, input, shifts=int(shifts), dims=None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise EmberRuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                                f"dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if nd == 0:
        return dispatch.unary(_roll, input, shifts=0, dims=None)
    return dispatch.unary(_roll, input, shifts=shifts, dims=dims)


# --- repeat / tile -------------------------------------------------------------------------------
@op("repeat", keep="shape", kind="shape", dtype_rule="same")
def _repeat(m, a, repeats):
    return m.tile(a, repeats)


@_repeat.derivative
def _repeat_grad(m, g, a_shape, out, repeats):
    # out dim i holds repeats[i] copies of the (1-padded) input dim i: split each output dim
    # into (copies, size) and sum the copies away
    padded = (1,) * (len(repeats) - len(a_shape)) + tuple(a_shape)
    split = []
    for r, s in zip(repeats, padded):
        split += [r, s]
    summed = m.sum(g.reshape(tuple(split)), axis=tuple(range(0, 2 * len(repeats), 2)))
    return summed.reshape(tuple(a_shape))


@public("repeat", method=True, function=False)
def repeat(self, *sizes):
    """repeat(*sizes) -> Tensor: the tensor tiled ``sizes[i]`` times along dim i (new leading
    dims when ``sizes`` is longer than the tensor's shape)."""
    from .views import shape_args
    sizes = shape_args(sizes, "repeat")
    if len(sizes) < self._array.ndim:
        raise EmberRuntimeError("Number of dimensions of repeat dims can not be smaller than "
                                f"number of dimensions of tensor (repeat dims {list(sizes)}, "
                                f"tensor shape {list(self.shape)})")
    for s in sizes:
        if s < 0:
            raise EmberRuntimeError(f"Trying to create tensor with negative dimension {s}: "
                                    f"{list(sizes)}")
    return dispatch.unary(_repeat, self, repeats=sizes)


@public("tile", method=True)
def tile(input, *dims_args, dims=None):
    """tile(input, dims) -> Tensor: repeat(), with ``dims`` padded by leading 1s when it is
    shorter than the tensor's shape.

    Example:
        >>> torch.tile(torch.tensor([1, 2]), (2,))
        tensor([1, 2, 1, 2])
        >>> torch.tile(torch.tensor([[1, 2]]), (2, 2))
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    from .views import shape_args
    dims = shape_args(dims_args if dims is None else (dims,), "tile")
    nd = input._array.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


# --- tril / triu ---------------------------------------------------------------------------------
_TRIL = op("tril", kind="shape", dtype_rule="same")(lambda m, a, diagonal=0: m.tril(a, diagonal))
_TRIL.derivative(lambda m, g, a, out, diagonal=0: m.tril(g, diagonal))
_TRIU = op("triu", kind="shape", dtype_rule="same")(lambda m, a, diagonal=0: m.triu(a, diagonal))
_TRIU.derivative(lambda m, g, a, out, diagonal=0: m.triu(g, diagonal))


def _tri(name, opdef):
    def fn(input, diagonal=0, *, out=None):
        if input._array.ndim < 2:
            raise EmberRuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        attrs = {"diagonal": int(diagonal)} if diagonal else {}
        return write_out(dispatch.unary(opdef, input, **attrs), out)

    def fn_(self, diagonal=0):
        if self._array.ndim < 2:
            raise EmberRuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return dispatch.apply_inplace(opdef, self, (), {"diagonal": int(diagonal)})
    fn.__name__, fn_.__name__ = name, name + "_"
    fn.__doc__ = (f"{name}(input, diagonal=0, *, out=None) -> Tensor: the "
                  f"{'lower' if name == 'tril' else 'upper'} triangle of the last two dims "
                  f"(relative to ``diagonal``), the rest zeroed.")
    public(name, method=True)(fn)
    METHODS[name + "_"] = fn_
    return fn


tril = _tri("tril", _TRIL)
triu = _tri("triu", _TRIU)
tril.__doc__ += """

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        >>> torch.tril(x)
        tensor([[1, 0, 0],
                [4, 5, 0],
                [7, 8, 9]])
        >>> torch.tril(x, diagonal=-1)
        tensor([[0, 0, 0],
                [4, 0, 0],
                [7, 8, 0]])
    """
triu.__doc__ += """

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        >>> torch.triu(x)
        tensor([[1, 2, 3],
                [0, 5, 6],
                [0, 0, 9]])
        >>> torch.triu(x, diagonal=1)
        tensor([[0, 2, 3],
                [0, 0, 6],
                [0, 0, 0]])
    """


# --- repeat_interleave ---------------------------------------------------------------------------
@op("repeat_interleave", keep="shape", kind="shape", dtype_rule="same",
    node_name="IndexSelectBackward0")
def _repeat_interleave(m, a, index, dim):
    return m.take(a, index, axis=dim)


_repeat_interleave.derivative(lambda m, g, a_shape, out, index, dim: m.scatter_advanced(
    a_shape, (slice(None),) * dim + (index,), g))


@public("repeat_interleave", method=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """repeat_interleave(input, repeats, dim=None, *, output_size=None) -> Tensor: each element
    repeated ``repeats`` times (an int or one count per element) along ``dim`` (of the flattened
    input when None). repeat_interleave(repeats) gives the index pattern itself.

    Example:
        >>> torch.repeat_interleave(torch.tensor([1, 2, 3]), 2)
        tensor([1, 1, 2, 2, 3, 3])
        >>> torch.repeat_interleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 2]), dim=0)
        tensor([[1, 2],
                [3, 4],
                [3, 4]])
        >>> torch.repeat_interleave(torch.tensor([2, 0, 1]))
        tensor([0, 0, 2])
    """
    if repeats is None:                   # repeat_interleave(counts): 0,0,1,2,2,2...
        counts = input._array
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise EmberRuntimeError("repeat_interleave: repeats must be 1-dimensional and of an "
                                    "integer dtype")
        return wrap(np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts))
    if dim is None:
        input = input.reshape(-1)
        d = 0
    else:
        d = _wrap_dim(dim, input._array.ndim)
        if input._array.ndim == 0:
            input = input.reshape(1)
    n = input._array.shape[d]
    reps = repeats._array if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.ndim > 1 or (reps.ndim == 1 and reps.shape[0] not in (1, n)):
        raise EmberRuntimeError(f"repeats must have the same size as input along dim, but got "
                                f"repeats.size(0) = {reps.shape[0] if reps.ndim else 1} and "
                                f"input.size({d}) = {n}")
    if (reps < 0).any():
        raise EmberRuntimeError("repeats can not be negative")
    index = np.repeat(np.arange(n, dtype=np.int64), reps.reshape(-1) if reps.ndim else int(reps))
    return dispatch.unary(_repeat_interleave, input, index=index, dim=d)
