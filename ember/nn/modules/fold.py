"""Fold and Unfold: col2im and im2col as layers."""
from .. import functional as F
from .module import Module


class Fold(Module):
    """Fold(output_size, kernel_size, dilation=1, padding=0, stride=1): sum sliding blocks
    (N, C*prod(kernel_size), L) back into (N, C, *output_size).

    Shape:
        Input ``(N, C * prod(kernel_size), L)`` or ``(C * prod(kernel_size), L)``; output ``(N, C,
        *output_size)``.

    Example::

        >>> fold = nn.Fold(output_size=(3, 3), kernel_size=2)
        >>> fold(torch.ones(1, 4, 4))
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Unfold(kernel_size, dilation=1, padding=0, stride=1): extract sliding blocks
    (N, C, H, W) -> (N, C*prod(kernel_size), L).

    Example::

        >>> ember.nn.Unfold(kernel_size=(2, 3))(ember.randn(2, 5, 3, 4)).shape
        torch.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
