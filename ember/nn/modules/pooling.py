"""Pooling modules: Max/Avg/LP/Adaptive pools in 1-3 d, MaxUnpool."""
from .. import functional as F
from .module import Module


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        return F._max_poolnd(self._nd, input, self.kernel_size, self.stride, self.padding,
                             self.dilation, self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False): the largest value of each window along the last dimension.

    Args:
        kernel_size: window length.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit ``-inf`` padding added on both sides.
        dilation: spacing between the elements of a window.
        return_indices: also return the flat position of each maximum (for ``MaxUnpool1d``).
        ceil_mode: round the output length up instead of down.

    Shape:
        Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, L_out)`` or ``(C, L_out)`` with
        ``L_out = floor((L_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1)``.

    Example::

        >>> pool = nn.MaxPool1d(2, return_indices=True)
        >>> pool(torch.tensor([[[1., 3., 2., 0.]]]))
        (tensor([[[3., 2.]]]), tensor([[[1, 2]]]))
    """
    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False): the largest value of each 2-d window over the last two dimensions.

    Args:
        kernel_size: window size, an int or a pair ``(kH, kW)``.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit ``-inf`` padding on each side (int or pair).
        dilation: spacing between the elements of a window.
        return_indices: also return the flat position of each maximum (for ``MaxUnpool2d``).
        ceil_mode: round output sizes up instead of down.

    Shape:
        Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)``
        with ``H_out = floor((H_in + 2*padding[0] - dilation[0]*(kernel_size[0]-1) - 1)
        / stride[0] + 1)`` and likewise for ``W_out``.

    Example::

        >>> pool = nn.MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(torch.arange(16.).reshape(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """MaxPool3d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False): the largest value of each 3-d window over the last three dimensions.

    The arguments are those of ``MaxPool2d``, with triples instead of pairs.

    Shape:
        Input ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``; output
        ``(N, C, D_out, H_out, W_out)``, each size computed as in ``MaxPool2d``.

    Example::

        >>> nn.MaxPool3d(2)(torch.randn(1, 2, 4, 4, 4)).shape
        torch.Size([1, 2, 2, 2, 2])
    """
    _nd = 3


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return F._avg_poolnd(self._nd, input, self.kernel_size, self.stride, self.padding,
                             self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    """AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    the mean of each window along the last dimension.

    Args:
        kernel_size: window length.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit zero padding on both sides.
        ceil_mode: round the output length up instead of down.
        count_include_pad: count the padding zeros in the divisor.

    Shape:
        Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, L_out)`` with
        ``L_out = floor((L_in + 2*padding - kernel_size) / stride + 1)``.

    Example::

        >>> nn.AvgPool1d(2)(torch.tensor([[[1., 3., 2., 0.]]]))
        tensor([[[2., 1.]]])
    """
    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        # torch stores AvgPool1d's sizes as 1-tuples (and prints them so)
        self.kernel_size = F._ntuple(self.kernel_size, 1)
        self.stride = F._ntuple(self.stride, 1)
        self.padding = F._ntuple(self.padding, 1)


class AvgPool2d(_AvgPoolNd):
    """AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None): the mean of each 2-d window over the last two dimensions.

    Args:
        kernel_size: window size, an int or a pair.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit zero padding on each side.
        ceil_mode: round output sizes up instead of down.
        count_include_pad: count the padding zeros in the divisor.
        divisor_override: divide every window sum by this number instead.

    Shape:
        Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)``
        with ``H_out = floor((H_in + 2*padding[0] - kernel_size[0]) / stride[0] + 1)``.

    Example::

        >>> nn.AvgPool2d(2)(torch.arange(16.).reshape(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """AvgPool3d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None): the mean of each 3-d window; arguments as in ``AvgPool2d``.

    Shape:
        Input ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``; output
        ``(N, C, D_out, H_out, W_out)``.

    Example::

        >>> nn.AvgPool3d(2)(torch.ones(1, 1, 2, 2, 2))
        tensor([[[[[1.]]]]])
    """
    _nd = 3


class _LPPoolNd(Module):
    _nd = 2

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = (
            norm_type, kernel_size, stride, ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        fn = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[self._nd - 1]
        return fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False): the p-norm
    ``(sum x**p) ** (1/p)`` of each window along the last dimension (``p = norm_type``).

    Shape:
        Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, L_out)`` with
        ``L_out = floor((L_in - kernel_size) / stride + 1)``.

    Example::

        >>> nn.LPPool1d(2, 2)(torch.tensor([[[3., 4., 6., 8.]]]))
        tensor([[[ 5., 10.]]])
    """
    _nd = 1


class LPPool2d(_LPPoolNd):
    """LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False): the p-norm of each 2-d
    window (``p = norm_type``; ``inf`` gives max pooling).

    Shape:
        Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)``.

    Example::

        >>> nn.LPPool2d(1, 2)(torch.ones(1, 1, 4, 4))
        tensor([[[[4., 4.],
                  [4., 4.]]]])
    """
    _nd = 2


class LPPool3d(_LPPoolNd):
    """LPPool3d(norm_type, kernel_size, stride=None, ceil_mode=False): the p-norm of each 3-d
    window (``p = norm_type``).

    Shape:
        Input ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``; output
        ``(N, C, D_out, H_out, W_out)``.

    Example::

        >>> nn.LPPool3d(1, 2)(torch.ones(1, 1, 2, 2, 2))
        tensor([[[[[8.]]]]])
    """
    _nd = 3


class _AdaptiveAvgPoolNd(Module):
    _nd = 2

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        return F._pool.adaptive_avg_pool(input, F._adaptive_size(input, self.output_size,
                                                                 self._nd))


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """AdaptiveAvgPool1d(output_size): average pooling whose windows are chosen so that the
    output has length ``output_size``, whatever the input length.

    Shape:
        Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, output_size)``.

    Example::

        >>> nn.AdaptiveAvgPool1d(2)(torch.arange(8.).reshape(1, 2, 4))
        tensor([[[0.5000, 2.5000],
                 [4.5000, 6.5000]]])
    """
    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """AdaptiveAvgPool2d(output_size): average pooling to a fixed output size ``(H_out,
    W_out)``; an int means a square output, ``None`` in a pair keeps that input size.

    Shape:
        Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)``.

    Example::

        >>> nn.AdaptiveAvgPool2d((1, 1))(torch.arange(16.).reshape(1, 1, 4, 4))
        tensor([[[[7.5000]]]])
    """
    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """AdaptiveAvgPool3d(output_size): average pooling to a fixed output size
    ``(D_out, H_out, W_out)``.

    Shape:
        Input ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``; output
        ``(N, C, D_out, H_out, W_out)``.

    Example::

        >>> nn.AdaptiveAvgPool3d(1)(torch.ones(1, 2, 4, 4, 4)).shape
        torch.Size([1, 2, 1, 1, 1])
    """
    _nd = 3


class _AdaptiveMaxPoolNd(Module):
    _nd = 2

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        return F._pool.adaptive_max_pool(
            input, F._adaptive_size(input, self.output_size, self._nd), self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool1d(output_size, return_indices=False): max pooling whose windows are
    chosen so that the output has length ``output_size``.

    Shape:
        Input ``(N, C, L_in)`` or ``(C, L_in)``; output ``(N, C, output_size)``.

    Example::

        >>> nn.AdaptiveMaxPool1d(2)(torch.arange(8.).reshape(1, 2, 4))
        tensor([[[1., 3.],
                 [5., 7.]]])
    """
    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool2d(output_size, return_indices=False): max pooling to a fixed output size
    ``(H_out, W_out)``.

    Shape:
        Input ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``; output ``(N, C, H_out, W_out)``.

    Example::

        >>> nn.AdaptiveMaxPool2d(1)(torch.arange(16.).reshape(1, 1, 4, 4))
        tensor([[[[15.]]]])
    """
    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool3d(output_size, return_indices=False): max pooling to a fixed output size
    ``(D_out, H_out, W_out)``.

    Shape:
        Input ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``; output
        ``(N, C, D_out, H_out, W_out)``.

    Example::

        >>> nn.AdaptiveMaxPool3d(1)(torch.ones(1, 2, 4, 4, 4)).shape
        torch.Size([1, 2, 1, 1, 1])
    """
    _nd = 3


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        return F._max_unpoolnd(self._nd, input, indices, self.kernel_size, self.stride,
                               self.padding, output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """MaxUnpool1d(kernel_size, stride=None, padding=0): a partial inverse of ``MaxPool1d``:
    puts each value back at the position its index names, zeros elsewhere.

    ``forward(input, indices, output_size=None)`` takes the indices ``MaxPool1d(...,
    return_indices=True)`` returned.

    Shape:
        Input ``(N, C, L_in)``; output ``(N, C, L_out)`` with
        ``L_out = (L_in - 1) * stride - 2*padding + kernel_size`` (or ``output_size``).

    Example::

        >>> values, idx = nn.MaxPool1d(2, return_indices=True)(torch.tensor([[[1., 3., 2., 0.]]]))
        >>> nn.MaxUnpool1d(2)(values, idx)
        tensor([[[0., 3., 2., 0.]]])
    """
    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """MaxUnpool2d(kernel_size, stride=None, padding=0): a partial inverse of ``MaxPool2d``;
    ``forward(input, indices, output_size=None)``.

    Shape:
        Input ``(N, C, H_in, W_in)``; output ``(N, C, H_out, W_out)`` with
        ``H_out = (H_in - 1) * stride[0] - 2*padding[0] + kernel_size[0]`` (or ``output_size``).

    Example::

        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> values, idx = nn.MaxPool2d(2, return_indices=True)(x)
        >>> nn.MaxUnpool2d(2)(values, idx)
        tensor([[[[ 0.,  0.,  0.,  0.],
                  [ 0.,  5.,  0.,  7.],
                  [ 0.,  0.,  0.,  0.],
                  [ 0., 13.,  0., 15.]]]])
    """
    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """MaxUnpool3d(kernel_size, stride=None, padding=0): a partial inverse of ``MaxPool3d``;
    ``forward(input, indices, output_size=None)``.

    Shape:
        Input ``(N, C, D_in, H_in, W_in)``; output ``(N, C, D_out, H_out, W_out)``.

    Example::

        >>> values, idx = nn.MaxPool3d(2, return_indices=True)(torch.ones(1, 1, 2, 2, 2))
        >>> nn.MaxUnpool3d(2)(values, idx).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    _nd = 3
