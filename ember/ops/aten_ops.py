"""ATen-level functions that torch exposes as ``torch.<name>`` (native_batch_norm,
native_layer_norm, native_group_norm, _softmax_backward_data, …): thin wrappers over ember's
normalization ops and compositions, returning torch's tuples (output plus saved statistics).

Statistics torch marks non-differentiable (batch and layer norm's saved mean / inverse std) are
computed on arrays and returned as plain tensors; native_group_norm's are differentiable in torch,
so they are built from ember ops and gradients flow through them.
"""
import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import wrap
from . import normalization as _norm
from .registry import public


def _batch_stats(input, eps):
    """Per-channel mean and 1/sqrt(biased var + eps) of an (N, C, ...) input, as arrays."""
    x = input._array
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes)
    var = np.mean((x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) ** 2, axis=axes)
    return mean, 1 / np.sqrt(var + eps)


def _empty_stat(input):
    return wrap(np.empty((0,), dtype=input._array.dtype))


def _batch_norm_tuple(input, weight, bias, running_mean, running_var, training, momentum, eps):
    if not training and (running_mean is None or running_var is None):
        raise EmberRuntimeError("running_mean and running_var must be defined in evaluation "
                                "mode")
    if training:
        mean, invstd = _batch_stats(input, eps)
        save_mean, save_invstd = wrap(mean), wrap(invstd.astype(mean.dtype, copy=False))
    else:
        save_mean, save_invstd = _empty_stat(input), _empty_stat(input)
    out = _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)
    return out, save_mean, save_invstd


@public("native_batch_norm")
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
    eps) -> (Tensor, Tensor, Tensor): batch norm's output, the batch mean and the inverse
    standard deviation (empty tensors when not training); running statistics are updated in
    place when training.

    Example:
        >>> x = torch.tensor([[1., 2.], [3., 6.]])
        >>> out, mean, invstd = torch.native_batch_norm(x, None, None, None, None, True, 0.1, 0.)
        >>> out
        tensor([[-1., -1.],
                [ 1.,  1.]])
        >>> mean
        tensor([2., 4.])
    """
    return _batch_norm_tuple(input, weight, bias, running_mean, running_var, training,
                             momentum, eps)


@public("_native_batch_norm_legit")
def _native_batch_norm_legit(input, weight, bias, *args):
    """_native_batch_norm_legit(input, weight, bias, running_mean, running_var, training,
    momentum, eps) -> (Tensor, Tensor, Tensor), or without running statistics
    ``_native_batch_norm_legit(input, weight, bias, training, momentum, eps)``: as
    native_batch_norm."""
    if len(args) == 3:
        running_mean = running_var = None
        training, momentum, eps = args
    elif len(args) == 5:
        running_mean, running_var, training, momentum, eps = args
    else:
        raise TypeError(f"_native_batch_norm_legit() takes 6 or 8 arguments, got "
                        f"{3 + len(args)}")
    return _batch_norm_tuple(input, weight, bias, running_mean, running_var, training,
                             momentum, eps)


@public("_batch_norm_with_update")
def _batch_norm_with_update(input, weight, bias, running_mean, running_var, momentum, eps):
    """_batch_norm_with_update(input, weight, bias, running_mean, running_var, momentum, eps)
    -> (Tensor, Tensor, Tensor, Tensor): training-mode batch norm that updates the running
    statistics; returns the output, batch mean, inverse std and an empty uint8 reserve."""
    out, mean, invstd = _batch_norm_tuple(input, weight, bias, running_mean, running_var, True,
                                          momentum, eps)
    return out, mean, invstd, wrap(np.empty((0,), dtype=np.uint8))


@public("native_layer_norm")
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """native_layer_norm(input, normalized_shape, weight, bias, eps) -> (Tensor, Tensor,
    Tensor): layer norm's output with the mean and inverse standard deviation over the
    normalized dims (kept as size-1 dims).

    Example:
        >>> x = torch.tensor([[1., 3.], [2., 6.]])
        >>> out, mean, rstd = torch.native_layer_norm(x, [2], None, None, 0.)
        >>> out
        tensor([[-1.,  1.],
                [-1.,  1.]])
        >>> mean
        tensor([[2.],
                [4.]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    out = _norm.layer_norm(input, shape, weight, bias, eps)
    x = input._array
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
    rstd = (1 / np.sqrt(var + eps)).astype(mean.dtype, copy=False)
    return out, wrap(mean), wrap(rstd)


@public("native_group_norm")
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """native_group_norm(input, weight, bias, N, C, HxW, group, eps) -> (Tensor, Tensor,
    Tensor): group norm's output with the per-(sample, group) mean and inverse standard
    deviation, shaped (N, group).

    Example:
        >>> x = torch.tensor([[[1.], [3.]]])
        >>> out, mean, rstd = torch.native_group_norm(x, None, None, 1, 2, 1, 1, 0.)
        >>> out
        tensor([[[-1.],
                 [ 1.]]])
        >>> mean
        tensor([[2.]])
    """
    out = _norm.group_norm(input, group, weight, bias, eps)
    x = input.reshape(N, group, (C // group) * HxW)
    mean = x.mean(-1)
    rstd = (x.var(-1, correction=0) + eps).rsqrt()
    return out, mean, rstd


@public("native_dropout_backward")
def native_dropout_backward(grad_output, mask, scale):
    """native_dropout_backward(grad_output, mask, scale) -> Tensor: ``grad_output * mask *
    scale``, dropout's input gradient.

    Example:
        >>> torch.native_dropout_backward(torch.ones(3), torch.tensor([True, False, True]), 2.0)
        tensor([2., 0., 2.])
    """
    return grad_output * (mask.to(grad_output.dtype) * scale)


@public("_softmax_backward_data")
def _softmax_backward_data(grad_output, output, dim, input_dtype):
    """_softmax_backward_data(grad_output, output, dim, input_dtype) -> Tensor: softmax's
    input gradient ``output * (grad_output - sum(grad_output * output, dim))``."""
    s = (grad_output * output).sum(dim, keepdim=True)
    return (output * (grad_output - s)).to(input_dtype)


def _clamped(input, indices):
    """Index tensors clamped into range: the 'unsafe' masked-index ops promise that positions
    whose index is out of range are masked out, so any in-range stand-in will do."""
    out = []
    for index, size in zip(indices, input.shape):
        out.append(None if index is None else index.clamp(-size, size - 1))
    return tuple(out)


@public("_unsafe_masked_index")
def _unsafe_masked_index(input, mask, indices, fill):
    """_unsafe_masked_index(input, mask, indices, fill) -> Tensor: ``input[indices]`` where
    ``mask`` is True and ``fill`` elsewhere (indices under a False mask may be out of range)."""
    return input[_clamped(input, indices)].masked_fill(~mask, fill)


@public("_unsafe_masked_index_put_accumulate")
def _unsafe_masked_index_put_accumulate(input, mask, indices, values):
    """_unsafe_masked_index_put_accumulate(input, mask, indices, values) -> Tensor: ``input``
    with ``values`` added at ``indices`` where ``mask`` is True."""
    return input.index_put(_clamped(input, indices), values.masked_fill(~mask, 0),
                           accumulate=True)
