"""Dropout modules: active in training mode, the identity in eval mode."""
from .. import functional as F
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Dropout(p=0.5, inplace=False).

    Args:
        p: the probability of zeroing each element (in training mode; the kept ones are scaled by
            ``1 / (1 - p)``). In eval mode the module is the identity.
        inplace: overwrite the input instead of allocating the output.

    Shape:
        Input ``(*)``: any shape. Output: the same shape.

    Example::

        >>> drop = nn.Dropout(p=0.5)
        >>> y = drop(torch.ones(8))
        >>> sorted(set(y.tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
        >>> drop.eval()(torch.ones(3))
        tensor([1., 1., 1.])
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Dropout1d(p=0.5, inplace=False): zeroes whole channels of (N, C, L) inputs.

    Shape:
        Input ``(N, C, L)`` or ``(C, L)``; output the same shape.

    Example::

        >>> nn.Dropout1d(0.5).eval()(torch.ones(1, 2, 3))
        tensor([[[1., 1., 1.],
                 [1., 1., 1.]]])
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Dropout2d(p=0.5, inplace=False): zeroes whole channels of (N, C, H, W) inputs.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output the same shape.

    Example::

        >>> nn.Dropout2d(0.5)(torch.ones(4, 8, 2, 2)).shape
        torch.Size([4, 8, 2, 2])
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Dropout3d(p=0.5, inplace=False): during training, zero whole channels of
    ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs with probability ``p`` and scale the kept
    channels by ``1 / (1 - p)``; in eval mode, the identity.

    Shape:
        Input and output have the same shape.

    Example::

        >>> drop = nn.Dropout3d(0.5).eval()
        >>> drop(torch.ones(1, 2, 1, 1, 1)).flatten()
        tensor([1., 1.])
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """AlphaDropout(p=0.5, inplace=False): for SELU networks.

    Shape:
        Input ``(*)``: any shape. Output: the same shape.

    Example::

        >>> nn.AlphaDropout(0.2)(torch.randn(3, 4)).shape
        torch.Size([3, 4])
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)
