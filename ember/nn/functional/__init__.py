"""nn.functional: argument checks and torch's messages, then one call into ops/ (no math here)."""
from ..._errors import EmberRuntimeError
from ...ops.linalg_ops import linear as _linear


def linear(input, weight, bias=None):
    """linear(input, weight, bias=None) -> Tensor: input @ weight.T + bias.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features),
    output (*, out_features).

    Example::

        >>> x = torch.ones(2, 3)
        >>> w = torch.arange(6.).reshape(2, 3)
        >>> F.linear(x, w, torch.tensor([0.5, -0.5]))
        tensor([[ 3.5000, 11.5000],
                [ 3.5000, 11.5000]])
    """
    return _linear(input, weight, bias)


# --- convolution, pooling, padding, normalization, dropout -----------------------------------
from ...ops import conv as _conv  # noqa: E402
from ...ops import normalization as _norm  # noqa: E402
from ...ops import padding as _padding  # noqa: E402
from ...ops import pooling as _pool  # noqa: E402


def _ntuple(x, n, name="argument"):
    if isinstance(x, (tuple, list)):
        if len(x) == 1:
            return tuple(int(x[0]) for _ in range(n))
        if len(x) != n:
            raise EmberRuntimeError(f"expected {name} to be a single integer value or a list of "
                                    f"{n} values to match the convolution dimensions, but got "
                                    f"{name}={list(x)}")
        return tuple(int(v) for v in x)
    return (int(x),) * n


def _check_conv_input(name, input, weight, nd, groups, transposed=False):
    if input.ndim not in (nd + 1, nd + 2):
        raise EmberRuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                                f"{name}, but got input of size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        raise EmberRuntimeError(f"{name}: weight should be {nd + 2}-D, got {list(weight.shape)}")
    c = input.shape[1] if input.ndim == nd + 2 else input.shape[0]
    expect = weight.shape[0] if transposed else weight.shape[1] * groups
    if c != expect:
        raise EmberRuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {expect} channels, but got {c} channels instead")
    if input.dtype is not weight.dtype:
        raise EmberRuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) "
                                "should be the same")


def _same_padding(input, weight, nd, dilation):
    """padding='same': total = dilation*(k-1), the extra unit on the right as torch does."""
    total = [dilation[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
    left = tuple(t // 2 for t in total)
    if all(t % 2 == 0 for t in total):
        return input, left
    flat = []
    for i in reversed(range(nd)):
        flat += [0, total[i] - 2 * left[i]]
    return _padding.pad(input, tuple(flat), "constant", 0.0), left


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    _check_conv_input(name, input, weight, nd, groups)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pad = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            x, pad = _same_padding(x, weight, nd, dilation)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        pad = _ntuple(padding, nd, "padding")
    for i in range(nd):
        if x.shape[2 + i] + 2 * pad[i] < dilation[i] * (weight.shape[2 + i] - 1) + 1:
            raise EmberRuntimeError(
                f"Calculated padded input size per channel: ({x.shape[2 + i] + 2 * pad[i]}). "
                f"Kernel size: ({dilation[i] * (weight.shape[2 + i] - 1) + 1}). Kernel size "
                f"can't be greater than actual input size (input {list(input.shape)})")
    y = _conv.conv(x, weight, bias, stride, pad, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor.

    Shape: input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k).

    Example::

        >>> F.conv1d(torch.tensor([[[1., 2., 3., 4.]]]), torch.tensor([[[1., 0., -1.]]]))
        tensor([[[-2., -2.]]])
    """
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor.

    Shape: input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kH, kW).

    Example::

        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> k = torch.ones(1, 1, 2, 2)
        >>> F.conv2d(x, k, stride=2)
        tensor([[[[10., 18.],
                  [42., 50.]]]])
    """
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor.

    Example::

        >>> F.conv3d(torch.ones(1, 2, 4, 4, 4), torch.ones(3, 2, 3, 3, 3)).shape
        torch.Size([1, 3, 2, 2, 2])
    """
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    _check_conv_input(f"conv_transpose{nd}d", input, weight, nd, groups, transposed=True)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    stride = _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    dilation = _ntuple(dilation, nd, "dilation")
    for i in range(nd):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise EmberRuntimeError("output padding must be smaller than either stride or "
                                    f"dilation, but got output_padding={list(output_padding)}, "
                                    f"stride={list(stride)}, dilation={list(dilation)}")
    y = _conv.conv_transpose(x, weight, bias, stride, padding, output_padding, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1) -> Tensor; weight (C_in, C_out/groups, k).

    Example::

        >>> F.conv_transpose1d(torch.tensor([[[1., 2.]]]), torch.tensor([[[1., 1.]]]), stride=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1) -> Tensor.

    Example::

        >>> F.conv_transpose2d(torch.ones(1, 4, 3, 3), torch.ones(4, 2, 2, 2), stride=2).shape
        torch.Size([1, 2, 6, 6])
    """
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose3d(...) -> Tensor.

    Example::

        >>> F.conv_transpose3d(torch.ones(1, 2, 2, 2, 2), torch.ones(2, 1, 2, 2, 2), stride=2).shape
        torch.Size([1, 1, 4, 4, 4])
    """
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def pad(input, pad, mode="constant", value=None):
    """pad(input, pad, mode='constant', value=None) -> Tensor: modes constant, reflect,
    replicate, circular; ``pad`` = (left, right) pairs from the last dimension backwards.

    Example::

        >>> x = torch.tensor([[1., 2.], [3., 4.]])
        >>> F.pad(x, (1, 0))
        tensor([[0., 1., 2.],
                [0., 3., 4.]])
        >>> F.pad(x, (1, 1, 1, 1), value=9.)
        tensor([[9., 9., 9., 9.],
                [9., 1., 2., 9.],
                [9., 3., 4., 9.],
                [9., 9., 9., 9.]])
        >>> F.pad(x.unsqueeze(0), (1, 1), mode='reflect')
        tensor([[[2., 1., 2., 1.],
                 [4., 3., 4., 3.]]])
    """
    return _padding.pad(input, pad, mode, value)


def _pool_args(nd, kernel_size, stride, padding, dilation=1):
    k = _ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _ntuple(stride, nd, "stride")
    return k, s, _ntuple(padding, nd, "padding"), _ntuple(dilation, nd, "dilation")


def _batched(input, nd, name):
    if input.ndim not in (nd + 1, nd + 2):
        raise EmberRuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input tensor, but got "
                                f"{list(input.shape)}")
    return input.ndim == nd + 1


def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    name = f"max_pool{nd}d"
    _batched(input, nd, name)
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation)
    return _pool.max_pool(input, k, s, p, d, ceil_mode, return_indices, name)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False).

    Example::

        >>> F.max_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2)
        tensor([[[3., 2.]]])
    """
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False).

    Example::

        >>> F.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool3d(...).

    Example::

        >>> F.max_pool3d(torch.randn(1, 2, 4, 4, 4), 2).shape
        torch.Size([1, 2, 2, 2, 2])
    """
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_poolnd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    _batched(input, nd, f"avg_pool{nd}d")
    k, s, p, _ = _pool_args(nd, kernel_size, stride, padding)
    return _pool.avg_pool(input, k, s, p, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True).

    Example::

        >>> F.avg_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2)
        tensor([[[2., 1.]]])
    """
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None).

    Example::

        >>> F.avg_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool3d(...).

    Example::

        >>> F.avg_pool3d(torch.ones(1, 1, 2, 2, 2), 2)
        tensor([[[[[1.]]]]])
    """
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def _adaptive_size(input, output_size, nd):
    out = _ntuple(output_size, nd, "output_size") if not isinstance(output_size, (list, tuple)) \
        else tuple(output_size)
    return tuple(input.shape[input.ndim - nd + i] if o is None else int(o)
                 for i, o in enumerate(out))


def adaptive_avg_pool1d(input, output_size):
    """adaptive_avg_pool1d(input, output_size) -> Tensor: average pooling to length
    ``output_size`` over the last dimension of an ``(N, C, L)`` or ``(C, L)`` input.

    Example::

        >>> F.adaptive_avg_pool1d(torch.tensor([[[1., 3., 5., 7.]]]), 2)
        tensor([[[2., 6.]]])
    """
    return _pool.adaptive_avg_pool(input, _adaptive_size(input, output_size, 1))


def adaptive_avg_pool2d(input, output_size):
    """adaptive_avg_pool2d(input, output_size) -> Tensor (None in output_size keeps a size).

    Example::

        >>> F.adaptive_avg_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 1)
        tensor([[[[7.5000]]]])
        >>> F.adaptive_avg_pool2d(torch.ones(1, 3, 7, 9), (2, None)).shape
        torch.Size([1, 3, 2, 9])
    """
    return _pool.adaptive_avg_pool(input, _adaptive_size(input, output_size, 2))


def adaptive_avg_pool3d(input, output_size):
    """adaptive_avg_pool3d(input, output_size) -> Tensor: average pooling of an
    ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input to ``output_size = (D_out, H_out, W_out)``.

    Example::

        >>> F.adaptive_avg_pool3d(torch.ones(1, 2, 4, 4, 4), 1).shape
        torch.Size([1, 2, 1, 1, 1])
    """
    return _pool.adaptive_avg_pool(input, _adaptive_size(input, output_size, 3))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool1d(input, output_size, return_indices=False) -> Tensor: max pooling to
    length ``output_size`` over the last dimension of an ``(N, C, L)`` or ``(C, L)`` input.

    Example::

        >>> F.adaptive_max_pool1d(torch.tensor([[[1., 3., 5., 7.]]]), 2)
        tensor([[[3., 7.]]])
    """
    return _pool.adaptive_max_pool(input, _adaptive_size(input, output_size, 1), return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """adaptive_max_pool2d(input, output_size, return_indices=False).

    Example::

        >>> F.adaptive_max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return _pool.adaptive_max_pool(input, _adaptive_size(input, output_size, 2), return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """adaptive_max_pool3d(input, output_size, return_indices=False) -> Tensor: max pooling of
    an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input to ``output_size``.

    Example::

        >>> F.adaptive_max_pool3d(torch.ones(1, 2, 4, 4, 4), (2, 1, 1)).shape
        torch.Size([1, 2, 2, 1, 1])
    """
    return _pool.adaptive_max_pool(input, _adaptive_size(input, output_size, 3), return_indices)


def _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size):
    k, s, p, _ = _pool_args(nd, kernel_size, stride, padding)
    if output_size is None:
        out = tuple((input.shape[input.ndim - nd + i] - 1) * s[i] - 2 * p[i] + k[i]
                    for i in range(nd))
    else:
        out = tuple(output_size)[-nd:]
    return _pool.max_unpool(input, indices, out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)
    -> Tensor: scatter the values of a 1-d max pooling back to the positions ``indices`` names.

    Example::

        >>> v, i = F.max_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2, return_indices=True)
        >>> F.max_unpool1d(v, i, 2)
        tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpoolnd(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None).

    Example::

        >>> v, i = F.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(v, i, 2)
        tensor([[[[ 0.,  0.,  0.,  0.],
                  [ 0.,  5.,  0.,  7.],
                  [ 0.,  0.,  0.,  0.],
                  [ 0., 13.,  0., 15.]]]])
    """
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None)
    -> Tensor: scatter the values of a 3-d max pooling back to the positions ``indices`` names.

    Example::

        >>> v, i = F.max_pool3d(torch.ones(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(v, i, 2).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor: the
    p-norm ``(sum x**p) ** (1/p)`` of each window along the last dimension.

    Example::

        >>> F.lp_pool1d(torch.tensor([[[3., 4., 6., 8.]]]), 2, 2)
        tensor([[[ 5., 10.]]])
    """
    k, s, _, _ = _pool_args(1, kernel_size, stride, 0)
    return _pool.lp_pool(input, norm_type, k, s, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False).

    Example::

        >>> F.lp_pool2d(torch.ones(1, 1, 4, 4), 1, 2)
        tensor([[[[4., 4.],
                  [4., 4.]]]])
    """
    k, s, _, _ = _pool_args(2, kernel_size, stride, 0)
    return _pool.lp_pool(input, norm_type, k, s, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor: the
    p-norm of each 3-d window of an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Example::

        >>> F.lp_pool3d(torch.ones(1, 1, 2, 2, 2), 1, 2)
        tensor([[[[[8.]]]]])
    """
    k, s, _, _ = _pool_args(3, kernel_size, stride, 0)
    return _pool.lp_pool(input, norm_type, k, s, ceil_mode)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
    momentum=0.1, eps=1e-05) -> Tensor.

    Example::

        >>> x = torch.tensor([[1., 10.], [3., 30.]])
        >>> mean, var = torch.zeros(2), torch.ones(2)
        >>> F.batch_norm(x, mean, var, training=True)
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
        >>> mean
        tensor([0.2000, 2.0000])
    """
    if not training and (running_mean is None or running_var is None):
        raise EmberRuntimeError("batch_norm: running_mean and running_var must be given when "
                                "training=False")
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                            eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05) -> Tensor.

    Example::

        >>> F.layer_norm(torch.tensor([[1., 2., 3.]]), (3,))
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _norm.layer_norm(input, tuple(normalized_shape), weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """group_norm(input, num_groups, weight=None, bias=None, eps=1e-05) -> Tensor.

    Example::

        >>> F.group_norm(torch.arange(8.).reshape(1, 4, 2), 2)
        tensor([[[-1.3416, -0.4472],
                 [ 0.4472,  1.3416],
                 [-1.3416, -0.4472],
                 [ 0.4472,  1.3416]]])
    """
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
    use_input_stats=True, momentum=0.1, eps=1e-05) -> Tensor.

    Example::

        >>> F.instance_norm(torch.tensor([[[1., 2., 3.]]]))
        tensor([[[-1.2247,  0.0000,  1.2247]]])
    """
    return _norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                               momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor.

    Example::

        >>> F.rms_norm(torch.tensor([[3., 4.]]), (2,))
        tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _norm.rms_norm(input, tuple(normalized_shape), weight, eps)


def dropout(input, p=0.5, training=True, inplace=False):
    """dropout(input, p=0.5, training=True, inplace=False): zero elements with probability p,
    scale the rest by 1/(1-p).

    Example::

        >>> y = F.dropout(torch.ones(8), p=0.5)
        >>> sorted(set(y.tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
        >>> F.dropout(torch.ones(3), p=0.5, training=False)
        tensor([1., 1., 1.])
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    from ...ops.random import dropout_mask
    mask = dropout_mask(tuple(input.shape), p, input._array.dtype)
    return input.mul_(mask) if inplace else input * mask


def _feature_dropout(input, p, training, inplace, nd, name):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    from ...ops.random import _rng
    from ...tensor import wrap
    batched = input.ndim == nd + 2
    shape = tuple(input.shape[:2] if batched else input.shape[:1]) + (1,) * nd
    keep = _rng(None).random(shape) >= p
    mask = wrap((keep / (1 - p) if p < 1 else keep * 0.0).astype(input._array.dtype))
    return input.mul_(mask) if inplace else input * mask


def dropout1d(input, p=0.5, training=True, inplace=False):
    """dropout1d(input, p=0.5, training=True, inplace=False): zero whole channels.

    Example::

        >>> F.dropout1d(torch.ones(1, 2, 3), training=False)
        tensor([[[1., 1., 1.],
                 [1., 1., 1.]]])
    """
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """dropout2d(input, p=0.5, training=True, inplace=False): zero whole channels.

    Example::

        >>> F.dropout2d(torch.ones(4, 8, 2, 2)).shape
        torch.Size([4, 8, 2, 2])
    """
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """dropout3d(input, p=0.5, training=True, inplace=False) -> Tensor: zero whole channels of
    an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability ``p``, scaling the kept
    ones by ``1 / (1 - p)``.

    Example::

        >>> F.dropout3d(torch.ones(1, 2, 1, 1, 1), p=0.5, training=False).flatten()
        tensor([1., 1.])
    """
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


def _alpha_dropout(input, p, training, inplace, feature):
    """SELU-preserving dropout: dropped elements (or, with ``feature``, whole channels) take
    SELU's negative saturation value, then an affine map restores mean 0 and variance 1."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:      # torch multiplies by zero (signed zeros), no 1/(1-p) to divide by
        return input.mul_(0) if inplace else input * 0
    from ...ops.random import _rng
    from ...tensor import wrap
    alpha_p = -1.7580993408473766            # -scale * alpha of SELU
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    shape = tuple(input.shape)
    if feature:
        if input.ndim < 2:
            raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, "
                               f"got {input.ndim}")
        shape = shape[:2] + (1,) * (input.ndim - 2)
    keep = _rng(None).random(shape) >= p
    dt = input._array.dtype
    mask = wrap((keep * a).astype(dt))
    shift = wrap(((~keep) * (a * alpha_p) + b).astype(dt))
    if inplace:
        return input.mul_(mask).add_(shift)
    return input * mask + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout(input, p=0.5, training=False, inplace=False): dropout that keeps SELU's
    mean and variance.

    Example::

        >>> F.alpha_dropout(torch.ones(3), 0.5, training=False)
        tensor([1., 1., 1.])
    """
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """feature_alpha_dropout(input, p=0.5, training=False, inplace=False): alpha dropout that
    drops whole channels of an ``(N, C, ...)`` input.

    Example::

        >>> F.feature_alpha_dropout(torch.ones(1, 2, 3), 0.5, training=False).shape
        torch.Size([1, 2, 3])
    """
    return _alpha_dropout(input, p, training, inplace, True)
from .vision import *  # noqa: E402,F401,F403


from .attention import *  # noqa: E402,F401,F403

from .activation import *  # noqa: E402,F401,F403
from .loss import *  # noqa: E402,F401,F403
from .loss import _legacy_reduction  # noqa: E402,F401
