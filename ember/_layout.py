"""Memory formats and layouts, as torch names them. ember's tensors are NumPy arrays, always
strided; the formats are accepted wherever torch takes them and only change strides where an op
honours them (``contiguous`` keeps C order)."""


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
