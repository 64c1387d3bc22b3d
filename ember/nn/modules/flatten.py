"""Flatten and Unflatten."""
from .module import Module


class Flatten(Module):
    """Flatten(start_dim=1, end_dim=-1).

    Shape:
        Input ``(*, S_start, ..., S_end, *)``; output ``(*, S_start * ... * S_end, *)``.

    Example::

        >>> nn.Flatten()(torch.zeros(32, 1, 5, 5)).shape
        torch.Size([32, 25])
        >>> nn.Flatten(0, 2)(torch.zeros(32, 1, 5, 5)).shape
        torch.Size([160, 5])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Unflatten(dim, unflattened_size).

    Shape:
        Input ``(*, S_dim, *)``; output ``(*, U_1, ..., U_n, *)`` with ``U_1 * ... * U_n = S_dim``.

    Example::

        >>> nn.Unflatten(1, (2, 5))(torch.zeros(3, 10)).shape
        torch.Size([3, 2, 5])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
