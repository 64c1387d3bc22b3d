"""Identity, Linear."""
import math

from ... import ops  # noqa: F401
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class Identity(Module):
    """Identity(*args, **kwargs): returns its input.

    Shape:
        Input ``(*)``; output the same tensor.

    Example::

        >>> nn.Identity(54, unused='argument')(torch.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Linear(in_features, out_features, bias=True, device=None, dtype=None): y = x W^T + b.

    Weight and bias start from U(-1/sqrt(in_features), 1/sqrt(in_features)), as in torch.

    Args:
        in_features: size of each input sample (the last dimension).
        out_features: size of each output sample.
        bias: learn an additive bias ``b`` (``bias=False``: none).

    Attributes:
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)``, or ``None``.

    Shape:
        Input ``(*, in_features)``; output ``(*, out_features)`` (``*``: any number of
        leading dimensions, including none).

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(torch.randn(128, 20)).shape
        torch.Size([128, 30])
        >>> m.weight.shape, m.bias.shape
        (torch.Size([30, 20]), torch.Size([30]))
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
