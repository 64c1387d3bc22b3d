"""Memory formats and layouts, as torch names them. ember's tensors are NumPy arrays, always
strided; the formats are accepted wherever torch takes them and only change strides where an op
honours them (``contiguous`` keeps C order)."""


class memory_format:
    """torch.memory_format: how an op should lay out its result (``contiguous_format``,
    ``channels_last``, ``channels_last_3d``, ``preserve_format``).

    Example:
        >>> torch.channels_last
        torch.channels_last
        >>> isinstance(torch.channels_last, torch.memory_format)
        True
    """
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


class layout:
    """torch.layout: the storage layout of a tensor; ember has ``strided`` only.

    Example:
        >>> torch.strided
        torch.strided
        >>> isinstance(torch.strided, torch.layout)
        True
    """
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")
