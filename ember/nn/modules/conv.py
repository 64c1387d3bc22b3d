"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (parameters named and initialised as torch's)."""
import math

from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', "
                             f"'circular'], but got padding_mode='{padding_mode}'")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in F._ntuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._ntuple(kernel_size, nd, "kernel_size")
        self.stride = F._ntuple(stride, nd, "stride")
        self.padding = padding if isinstance(padding, str) else F._ntuple(padding, nd, "padding")
        self.dilation = F._ntuple(dilation, nd, "dilation")
        self.transposed = self._transposed
        self.output_padding = F._ntuple(output_padding, nd, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _padded_input(self, input):
        if self.padding_mode == "zeros" or isinstance(self.padding, str) and \
                self.padding == "valid":
            return input, self.padding
        if isinstance(self.padding, str):
            total = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in total]
        else:
            pairs = [(p, p) for p in self.padding]
        flat = []
        for lo, hi in reversed(pairs):
            flat += [lo, hi]
        return F.pad(input, tuple(flat), mode=self.padding_mode), 0


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype)

    def forward(self, input):
        x, pad = self._padded_input(input)
        return F._convnd(self._nd, x, self.weight, self.bias, self.stride, pad, self.dilation,
                         self.groups)


class Conv1d(_Conv):
    """Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros'): a 1-d convolution (cross-correlation) over the last
    dimension, with a learnable ``weight`` of shape ``(out_channels, in_channels // groups,
    kernel_size)`` and ``bias`` of shape ``(out_channels,)``.

    Shape:
        Input ``(N, C_in, L_in)`` or ``(C_in, L_in)``; output ``(N, C_out, L_out)`` with ``L_out =
        floor((L_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1)``.

    Example::

        >>> conv = nn.Conv1d(4, 8, kernel_size=3, padding=1)
        >>> conv(torch.randn(2, 4, 10)).shape
        torch.Size([2, 8, 10])
        >>> conv.weight.shape
        torch.Size([8, 4, 3])
    """
    _nd = 1


class Conv2d(_Conv):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None): a 2-d convolution
    (cross-correlation) over the last two dimensions.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: window size, an int or a pair ``(kH, kW)``.
        stride: step of the window (int or pair).
        padding: an int or pair added on both sides, or ``'same'`` / ``'valid'``.
        dilation: spacing between the window's elements.
        groups: split the channels into this many independent groups (``in_channels`` for a
            depthwise convolution).
        bias: learn an additive bias per output channel.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Attributes:
        weight: ``(out_channels, in_channels // groups, kH, kW)``, initialised from
            ``U(-sqrt(k), sqrt(k))`` with ``k = groups / (in_channels * kH * kW)``.
        bias: ``(out_channels,)``, same distribution.

    Shape:
        Input ``(N, C_in, H_in, W_in)`` or ``(C_in, H_in, W_in)``; output
        ``(N, C_out, H_out, W_out)`` with ``H_out = floor((H_in + 2*padding[0] -
        dilation[0]*(kH-1) - 1) / stride[0] + 1)`` and likewise for ``W_out``.

    Example::

        >>> conv = nn.Conv2d(1, 6, 5)
        >>> conv(torch.randn(2, 1, 28, 28)).shape
        torch.Size([2, 6, 24, 24])
        >>> nn.Conv2d(3, 8, 3, stride=2, padding=1)(torch.randn(1, 3, 32, 32)).shape
        torch.Size([1, 8, 16, 16])
        >>> conv.weight.shape, conv.bias.shape
        (torch.Size([6, 1, 5, 5]), torch.Size([6]))
    """
    _nd = 2


class Conv3d(_Conv):
    """Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros'): a 3-d convolution over the last three dimensions;
    arguments as in ``Conv2d``, with triples instead of pairs.

    Shape:
        Input ``(N, C_in, D, H, W)``; output ``(N, C_out, D_out, H_out, W_out)``, each size
        computed as for ``Conv1d``.

    Example::

        >>> nn.Conv3d(2, 4, 3)(torch.randn(1, 2, 5, 5, 5)).shape
        torch.Size([1, 4, 3, 3, 3])
    """
    _nd = 3


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype, output_padding=output_padding)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        nd = self._nd
        size = list(output_size)[-nd:]
        res = []
        for i in range(nd):
            base = ((input.shape[input.ndim - nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                    + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            res.append(size[i] - base)
        return tuple(res)

    def forward(self, input, output_size=None):
        return F._conv_transposend(self._nd, input, self.weight, self.bias, self.stride,
                                   self.padding, self._output_padding(input, output_size),
                                   self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1).

    Shape:
        Input ``(N, C_in, L_in)``; output ``(N, C_out, L_out)`` with ``L_out = (L_in - 1) * stride -
        2*padding + dilation*(kernel_size-1) + output_padding + 1``.

    Example::

        >>> nn.ConvTranspose1d(4, 2, kernel_size=3, stride=2)(torch.randn(1, 4, 5)).shape
        torch.Size([1, 2, 11])
    """
    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1).

    Shape:
        Input ``(N, C_in, H_in, W_in)``; output ``(N, C_out, H_out, W_out)`` with ``H_out = (H_in -
        1) * stride[0] - 2*padding[0] + dilation[0]*(kernel_size[0]-1) + output_padding[0] + 1``.

    Example::

        >>> up = nn.ConvTranspose2d(8, 4, kernel_size=2, stride=2)
        >>> up(torch.randn(1, 8, 7, 7)).shape
        torch.Size([1, 4, 14, 14])
    """
    _nd = 2


class ConvTranspose3d(_ConvTranspose):
    """ConvTranspose3d(...).

    Shape:
        Input ``(N, C_in, D, H, W)``; output ``(N, C_out, D_out, H_out, W_out)``.

    Example::

        >>> nn.ConvTranspose3d(2, 1, 2, stride=2)(torch.randn(1, 2, 3, 3, 3)).shape
        torch.Size([1, 1, 6, 6, 6])
    """
    _nd = 3
