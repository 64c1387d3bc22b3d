"""Memory formats and layouts, as torch names them. ember's tensors are NumPy arrays, always
strided. A memory format is a physical dimension order: ``channels_last`` stores (N, C, H, W)
as N, H, W, C (C fastest), ``channels_last_3d`` (N, C, D, H, W) as N, D, H, W, C. ``contiguous``,
``clone``, ``empty``, the ``*_like`` creators and ``to`` honour them; NumPy's elementwise ops keep
an input's order in their results, as torch's do."""
import numpy as np

from ._errors import EmberRuntimeError


class _Named:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name      # pickles as the module-level singleton of that name


class memory_format(_Named):
    """torch.memory_format: how an op should lay out its result (``contiguous_format``,
    ``channels_last``, ``channels_last_3d``, ``preserve_format``).

    Example:
        >>> torch.channels_last
        torch.channels_last
    """
    __slots__ = ()


class layout(_Named):
    """torch.layout: the storage layout of a tensor; ember has ``strided`` only.

    Example:
        >>> torch.zeros(2).layout
        torch.strided
    """
    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")


# physical dimension order (outermost first) of each non-default memory format
DIM_ORDERS = {"channels_last": (0, 2, 3, 1), "channels_last_3d": (0, 2, 3, 4, 1)}


def physical_order(fmt, ndim, op="contiguous"):
    """The dimension order, outermost first, in which ``fmt`` stores a tensor of ``ndim``
    dimensions; None for row-major order (None or ``contiguous_format``)."""
    if fmt is None or fmt is contiguous_format:
        return None
    if fmt is preserve_format:
        raise EmberRuntimeError(f"preserve memory format is unsupported by the {op} operator")
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a torch.memory_format, not "
                        f"{type(fmt).__name__}")
    order = DIM_ORDERS[fmt.name]
    if ndim != len(order):
        raise EmberRuntimeError(f"required rank {len(order)} tensor to use {fmt.name} format")
    return order


def laid_out(m, a, order):
    """A copy of array ``a`` stored in dimension ``order`` (outermost first)."""
    phys = m.ascontiguousarray(a.transpose(order))
    return phys.transpose(np.argsort(order))


def empty_in(shape, dtype, order):
    """An uninitialised array of ``shape`` stored in dimension ``order``."""
    phys = np.empty([shape[d] for d in order], dtype=dtype)
    return phys.transpose(np.argsort(order))


def is_laid_out(shape, strides, order):
    """Whether element ``strides`` store ``shape`` densely in dimension ``order`` (size-1
    dimensions may have any stride, as torch allows)."""
    expected = 1
    for d in reversed(order):
        if shape[d] != 1 and strides[d] != expected:
            return False
        expected *= shape[d]
    return True
