"""nn.functional vision functions: interpolate/upsample, grid_sample, affine_grid, pixel and channel
shuffles, unfold/fold, fractional max pooling, local_response_norm, bilinear. Argument checks
and torch's messages here; the math is in ops/vision.py."""
import numbers
import warnings

from ..._errors import EmberRuntimeError
from ...ops import vision as _vision

__all__ = [
    "affine_grid",
    "bilinear",
    "channel_shuffle",
    "fold",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "grid_sample",
    "interpolate",
    "local_response_norm",
    "native_channel_shuffle",
    "pixel_shuffle",
    "pixel_unshuffle",
    "unfold",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

_INTERP_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_MODE_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4, "lanczos": 4}


def _is_integer(x):
    return isinstance(x, numbers.Integral) or (hasattr(x, "is_floating_point")
                                               and not x.is_floating_point() and x.ndim == 0)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None, antialias=False) -> Tensor.

    Resamples the spatial dimensions of a (N, C, d1[, d2[, d3]]) tensor. Modes: nearest,
    nearest-exact, linear (3-D), bilinear/bicubic (4-D), trilinear (5-D), area; antialias=True
    for bilinear/bicubic/lanczos downsampling (4-D).

    Example::

        >>> x = torch.tensor([[[1., 2.], [3., 4.]]]).unsqueeze(0)
        >>> F.interpolate(x, scale_factor=2, mode='nearest')
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.],
                  [3., 3., 4., 4.],
                  [3., 3., 4., 4.]]]])
        >>> F.interpolate(x, size=(3, 3), mode='bilinear', align_corners=True)
        tensor([[[[1.0000, 1.5000, 2.0000],
                  [2.0000, 2.5000, 3.0000],
                  [3.0000, 3.5000, 4.0000]]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(input.shape[2 + i] * scales[i]) for i in range(dim)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    valid = mode in ("nearest", "nearest-exact", "area") and input.ndim in (3, 4, 5)
    if mode in _MODE_DIMS:
        need = _MODE_DIMS[mode]
        valid = input.ndim == need
        # torch names the expected rank only for the linear family
        if not valid and mode in ("linear", "bilinear", "trilinear") and input.ndim in (3, 4, 5):
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D "
                                      "input")
    if not valid:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: {_INTERP_MODES} (got {mode})")
    if mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if out_size is None:
        out_size = [int(input.shape[2 + i] * scales[i]) for i in range(dim)]
    for i in range(dim):
        if out_size[i] <= 0 or input.shape[2 + i] <= 0:
            raise EmberRuntimeError(
                f"Input and output sizes should be greater than 0, but got input (spatial "
                f"{list(input.shape[2:])}) and output ({list(out_size)})")
    if mode == "area":
        scales = None
    return _vision.interpolate(input, tuple(out_size), scales, mode, align_corners, antialias)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    deprecated alias of interpolate (warns as torch does). Use ``interpolate``, which takes the
    same arguments.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     F.upsample(torch.ones(1, 1, 2, 2), scale_factor=2).shape
        torch.Size([1, 1, 4, 4])
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """upsample_nearest(input, size=None, scale_factor=None): deprecated, interpolate(nearest).
    Use ``interpolate``, which takes the same arguments.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     F.upsample_nearest(torch.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """upsample_bilinear(input, size=None, scale_factor=None): deprecated, interpolate(bilinear,
    align_corners=True).
    Use ``interpolate``, which takes the same arguments.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     F.upsample_bilinear(torch.tensor([[[[0.0, 3.0]]]]), size=(1, 4))
        tensor([[[[0., 1., 2., 3.]]]])
    """
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None).

    Samples ``input`` (N, C, H, W) or (N, C, D, H, W) at the normalised (x, y[, z]) locations of
    ``grid`` (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3); differentiable with respect to
    both.

    Example::

        >>> x = torch.arange(4.).reshape(1, 1, 2, 2)
        >>> theta = torch.tensor([[[1., 0., 0.], [0., 1., 0.]]])
        >>> grid = F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
        >>> F.grid_sample(x, grid, align_corners=False)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise EmberRuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise EmberRuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in "
                                f"last dimension, but got grid with sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise EmberRuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise EmberRuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {i} being empty")
    if mode == "bicubic" and input.ndim != 4:
        raise EmberRuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise EmberRuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                                f"but got input {input.dtype} and grid {grid.dtype}")
    if not input.is_floating_point():
        raise EmberRuntimeError(f"grid_sampler(): expected a floating point input, got "
                                f"{input.dtype}")
    return _vision.grid_sample(input, grid, mode, padding_mode, bool(align_corners))


def affine_grid(theta, size, align_corners=None):
    """affine_grid(theta, size, align_corners=None) -> Tensor: the sampling grid (N, H, W, 2) or
    (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4), for grid_sample.

    Example::

        >>> theta = torch.tensor([[[1., 0., 0.], [0., 1., 0.]]])
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
        tensor([[[[-0.5000, -0.5000],
                  [ 0.5000, -0.5000]],
        <BLANKLINE>
                 [[-0.5000,  0.5000],
                  [ 0.5000,  0.5000]]]])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise EmberRuntimeError(f"affine_grid: theta has batch size {theta.shape[0]} but size "
                                f"asks for {size[0]}")
    return _vision.affine_grid(theta, spatial, bool(align_corners))


def pixel_shuffle(input, upscale_factor):
    """pixel_shuffle(input, upscale_factor) -> Tensor: (*, C*r², H, W) -> (*, C, H*r, W*r).

    Example::

        >>> F.pixel_shuffle(torch.arange(8.).reshape(1, 4, 1, 2), 2)
        tensor([[[[0., 2., 1., 3.],
                  [4., 6., 5., 7.]]]])
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise EmberRuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but "
                                f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise EmberRuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise EmberRuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return _vision.pixel_shuffle(input, r)


def pixel_unshuffle(input, downscale_factor):
    """pixel_unshuffle(input, downscale_factor) -> Tensor: (*, C, H*r, W*r) -> (*, C*r², H, W).

    Example::

        >>> F.pixel_unshuffle(torch.ones(1, 1, 4, 4), 2).shape
        torch.Size([1, 4, 2, 2])
    """
    r = int(downscale_factor)
    if input.ndim < 3:
        raise EmberRuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                                f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise EmberRuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if input.shape[-2] % r:
        raise EmberRuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={input.shape[-2]} is not divisible by {r}")
    if input.shape[-1] % r:
        raise EmberRuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={input.shape[-1]} is not divisible by {r}")
    return _vision.pixel_unshuffle(input, r)


def channel_shuffle(input, groups):
    """channel_shuffle(input, groups) -> Tensor: (N, C, *) with the C channels split in ``groups``
    groups and interleaved.

    Example::

        >>> F.channel_shuffle(torch.arange(4.).reshape(1, 4, 1, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    if input.ndim <= 2:
        raise EmberRuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                                f"sizes {list(input.shape)}")
    if groups <= 0:
        raise EmberRuntimeError("Number of groups to divide channels in must be positive. Value "
                                f"of groups:{groups}")
    if input.shape[1] % groups:
        raise EmberRuntimeError(f"Number of channels must be divisible by groups. Got "
                                f"{input.shape[1]} channels and {groups} groups.")
    return _vision.channel_shuffle(input, int(groups))


native_channel_shuffle = channel_shuffle


def _pair(x, name):
    if isinstance(x, (list, tuple)):
        if len(x) == 1:
            return (int(x[0]),) * 2
        if len(x) != 2:
            raise EmberRuntimeError(f"{name} must be an int or a pair of ints, got {x}")
        return tuple(int(v) for v in x)
    return (int(x),) * 2


def _check_block_args(kernel, dilation, padding, stride):
    if min(kernel) <= 0:
        raise EmberRuntimeError("kernel size should be greater than zero, but got kernel_height: "
                                f"{kernel[0]} kernel_width: {kernel[1]}")
    if min(stride) <= 0:
        raise EmberRuntimeError("stride should be greater than zero, but got stride_height: "
                                f"{stride[0]} stride_width: {stride[1]}")
    if min(dilation) <= 0:
        raise EmberRuntimeError("dilation should be greater than zero, but got dilation_height: "
                                f"{dilation[0]} dilation_width: {dilation[1]}")
    if min(padding) < 0:
        raise EmberRuntimeError("padding should be non-negative, but got pad_height: "
                                f"{padding[0]} pad_width: {padding[1]}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor (im2col).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C * prod(kernel_size), L), L the number of blocks.

    Example::

        >>> F.unfold(torch.arange(9.).reshape(1, 1, 3, 3), kernel_size=2)
        tensor([[[0., 1., 3., 4.],
                 [1., 2., 4., 5.],
                 [3., 4., 6., 7.],
                 [4., 5., 7., 8.]]])
    """
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    _check_block_args(k, d, p, s)
    if input.ndim not in (3, 4) or any(n == 0 for n in input.shape[input.ndim - 3:]):
        raise EmberRuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                                f"and other non-zero dimensions for input, but got: "
                                f"{list(input.shape)}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    spatial = tuple(x.shape[2:])
    blocks = _vision.num_blocks(spatial, k, d, p, s)
    if min(blocks) < 1:
        raise EmberRuntimeError(
            f"Given input with spatial size {spatial}, kernel_size={k}, dilation={d}, "
            f"padding={p}, calculated shape of the array of sliding blocks as {blocks}, but its "
            "components must be at least one.")
    y = _vision.im2col(x, k, d, p, s)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor (col2im,
    the adjoint of unfold: overlapping blocks are summed).

    Shape: (N, C * prod(kernel_size), L) or (C * prod(kernel_size), L) -> (N, C, *output_size).

    Example::

        >>> cols = F.unfold(torch.ones(1, 1, 3, 3), kernel_size=2)
        >>> F.fold(cols, output_size=(3, 3), kernel_size=2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    o = _pair(output_size, "output_size")
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    _check_block_args(k, d, p, s)
    if input.ndim not in (2, 3) or any(n == 0 for n in input.shape[input.ndim - 2:]):
        raise EmberRuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                                "batch size and non-zero dimensions for input, but got: "
                                f"{list(input.shape)}")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise EmberRuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={x.shape[1]} and kernel_size={k}.")
    blocks = _vision.num_blocks(o, k, d, p, s)
    if x.shape[2] != blocks[0] * blocks[1] or min(blocks) < 1:
        raise EmberRuntimeError(
            f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
            "expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={x.shape[2]}.")
    y = _vision.col2im(x, o, k, d, p, s)
    return y.squeeze(0) if unbatched else y


def _ntuple(x, n):
    if isinstance(x, (list, tuple)):
        return tuple(x) if len(x) != 1 else tuple(x) * n
    return (x,) * n


_FMP_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional(nd, input, kernel_size, output_size, output_ratio, _random_samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (nd + 1, nd + 2):
        raise EmberRuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                                f"{list(input.shape)}")
    k = tuple(int(v) for v in _ntuple(kernel_size, nd))
    if output_size is None:
        if nd == 2 and isinstance(output_ratio, (list, tuple)) and len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single "
                             "Int or tuple of Ints.")
        ratio = _ntuple(output_ratio, nd)
        out = tuple(int(input.shape[input.ndim - nd + i] * ratio[i]) for i in range(nd))
    else:
        out = tuple(int(v) for v in _ntuple(output_size, nd))
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    if _random_samples is None:
        from ...ops.random import rand
        _random_samples = rand(x.shape[0], x.shape[1], nd, dtype=input.dtype)
    if any(v <= 0 for v in k):
        raise EmberRuntimeError(f"{name}(): kernel_size must be greater than zero, got {k}")
    if _random_samples.ndim != 3 or _random_samples.shape[2] != nd:
        raise EmberRuntimeError(f"{name}(): expected _random_samples of shape (N, C, {nd}), got "
                                f"{list(_random_samples.shape)}")
    if _random_samples.shape[1] != x.shape[1]:
        raise EmberRuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if _random_samples.shape[0] < x.shape[0]:
        raise EmberRuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    prefix = f"{name}()" if nd == 2 else f"{name}_out()"
    for i, axis in enumerate(_FMP_AXES[nd]):
        if out[i] + k[i] - 1 > x.shape[2 + i]:
            raise EmberRuntimeError(f"{prefix}: pool {axis} {k[i]} too large relative to input "
                                    f"{axis} {x.shape[2 + i]}")
    samples = _random_samples[:x.shape[0]]
    vals, idx = _vision.fractional_max_pool(x, k, out, samples)
    if unbatched:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return vals, idx


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool2d_with_indices(...) -> (Tensor, Tensor).

    Example::

        >>> x = torch.randn(1, 1, 8, 8)
        >>> out, idx = F.fractional_max_pool2d_with_indices(x, 2, output_size=4)
        >>> out.shape, idx.dtype
        (torch.Size([1, 1, 4, 4]), torch.int64)
    """
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool3d_with_indices(...) -> (Tensor, Tensor).

    Example::

        >>> x = torch.randn(1, 1, 8, 8, 8)
        >>> out, idx = F.fractional_max_pool3d_with_indices(x, 2, output_size=4)
        >>> out.shape, idx.dtype
        (torch.Size([1, 1, 4, 4, 4]), torch.int64)
    """
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None): max over pseudo-random, overlapping windows
    (Graham, 2014); ``_random_samples`` (N, C, 2) in [0, 1) fixes them.

    Example::

        >>> F.fractional_max_pool2d(torch.randn(1, 1, 8, 8), 2, output_size=(5, 5)).shape
        torch.Size([1, 1, 5, 5])
    """
    res = _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return res if return_indices else res[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None); ``_random_samples`` is (N, C, 3).

    Example::

        >>> F.fractional_max_pool3d(torch.randn(1, 1, 8, 8, 8), 2, output_size=5).shape
        torch.Size([1, 1, 5, 5, 5])
    """
    res = _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return res if return_indices else res[0]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0) -> Tensor: each element
    divided by (k + alpha * mean of squares over ``size`` neighbouring channels) ** beta.

    Example::

        >>> F.local_response_norm(torch.ones(1, 4, 2, 2), size=2).shape
        torch.Size([1, 4, 2, 2])
    """
    dim = input.ndim
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from . import pad
    sq = input * input
    # zero-pad the channel axis (size//2 before, (size-1)//2 after), then a sliding window mean
    moved = sq.movedim(1, -1)
    padded = pad(moved, (size // 2, (size - 1) // 2))
    div = padded.unfold(-1, size, 1).mean(-1).movedim(-1, 1)
    div = (div * alpha + k) ** beta
    return input / div


def bilinear(input1, input2, weight, bias=None):
    """bilinear(input1, input2, weight, bias=None) -> Tensor: y = x1ᵀ A x2 + b.

    Shape: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out) -> (*, out).

    Example::

        >>> F.bilinear(torch.ones(2, 3), torch.ones(2, 4), torch.ones(5, 3, 4)).shape
        torch.Size([2, 5])
    """
    if input1.ndim != input2.ndim:
        raise EmberRuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} "
                                f"and {input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise EmberRuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                                    f"got {input1.shape[i]} and {input2.shape[i]}")
    if weight.ndim != 3:
        raise EmberRuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got "
                                f"{list(weight.shape)}")
    if input1.shape[-1] != weight.shape[1]:
        raise EmberRuntimeError(f"bilinear(): input1 size does not match weight size: got "
                                f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise EmberRuntimeError(f"bilinear(): input2 size does not match weight size: got "
                                f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise EmberRuntimeError(f"bilinear(): bias size does not match weight size: got "
                                f"{bias.shape[-1]} but expected {weight.shape[0]}")
    # (x1 A) as one GEMM against A laid out (in1, out*in2), then a product-sum with x2
    lead = tuple(input1.shape[:-1])
    o, i1, i2 = weight.shape
    x1 = input1.reshape(-1, i1)
    x2 = input2.reshape(-1, i2)
    t = x1.matmul(weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (weight.shape[0],))
