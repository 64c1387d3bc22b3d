"""Vision ops: resampling (interpolate), im2col/col2im (unfold/fold), grid_sample, affine_grid,
pixel/channel shuffles, fractional max pooling.

Every interpolation mode is separable, so ``interpolate`` is one ``resample`` per spatial axis:
output position j along the axis reads the input at a few *taps* ``idx[j, t]`` with weights
``w[j, t]`` (1 tap for nearest, 2 for linear, 4 for cubic, a whole window for area and
antialiasing). ``resample`` is linear in the data: its adjoint is ``resample`` again with the
transposed taps (which outputs read each input), so it closes under differentiation (double
backward needs no extra code) and every backward is a gather, never a scatter. ``im2col`` and
``col2im`` are each other's adjoints likewise. grid_sample is composed from differentiable ops
(spatial_gather from ops/pooling.py plus arithmetic), so gradients flow to both the input and the
grid at any order.
"""
import math

import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import Tensor, wrap
from . import dispatch
from .pooling import gather_spatial
from .registry import op, public

_as_strided = np.lib.stride_tricks.as_strided


def _run(m, opdef, inputs, attrs):
    """Call an op from a rule: a kernel call on arrays, a recorded op on Tensors."""
    if getattr(m, "is_tensor_namespace", False):
        return dispatch.apply(opdef, inputs, attrs)
    return opdef.forward(m, *inputs, **attrs)


def opmath(np_dtype):
    """The dtype torch computes coordinates and weights in: double for double, else float."""
    return np.dtype(np.float64) if np_dtype == np.float64 else np.dtype(np.float32)


# --- separable resampling ----------------------------------------------------------------------
def _along(w, axis, ndim):
    """Weights of one tap column shaped to broadcast along ``axis`` of an ndim array."""
    return w.reshape((-1,) + (1,) * (ndim - axis - 1))


_DENSE_MAX_IN = 64      # below this input length one BLAS matmul beats gathering taps


def _apply_matrix(x, mat, axis):
    """y[..., j, ...] = sum_i mat[j, i] x[..., i, ...]."""
    if axis == x.ndim - 1:
        if x.flags.c_contiguous:       # one 2-D GEMM instead of a stack of small ones
            return (x.reshape(-1, x.shape[-1]) @ mat.T).reshape(x.shape[:-1] + (mat.shape[0],))
        return x @ mat.T
    if axis == x.ndim - 2:
        return np.matmul(mat, x)
    y = np.moveaxis(x, axis, -1) @ mat.T
    return np.ascontiguousarray(np.moveaxis(y, -1, axis))


@op("resample", keep="bcde", node_name="UpsampleBackward0")
def _resample(m, x, idx, w, idx_t, w_t, *, axis):
    """y[..., j, ...] = sum_t w[j, t] * x[..., idx[j, t], ...] along ``axis`` (w None: one tap
    of weight 1). ``idx_t``/``w_t`` are the same linear map transposed (which outputs read each
    input): the gradient is this op again with the two tap sets swapped."""
    in_size = x.shape[axis]
    if w is None:
        col = idx[:, 0]
        reps = col.size // in_size
        if reps and col.size == reps * in_size and np.array_equal(
                col, np.repeat(np.arange(in_size), reps)):
            return np.repeat(x, reps, axis=axis)          # integer nearest upscale
        return np.take(x, col, axis=axis)
    w = w.astype(x.dtype, copy=False)
    if in_size <= _DENSE_MAX_IN and x.dtype.kind in "fc":
        mat = np.zeros((idx.shape[0], in_size), dtype=x.dtype)
        np.add.at(mat, (np.repeat(np.arange(idx.shape[0]), idx.shape[1]), idx.ravel()),
                  w.ravel())
        return _apply_matrix(x, mat, axis)
    y = np.take(x, idx[:, 0], axis=axis)
    y *= _along(w[:, 0], axis, x.ndim)
    for t in range(1, idx.shape[1]):
        y += np.take(x, idx[:, t], axis=axis) * _along(w[:, t], axis, x.ndim)
    return y


_resample.derivative((
    lambda m, g, x, idx, w, idx_t, w_t, out, axis: _run(m, _resample, (g, idx_t, w_t, idx, w),
                                                        {"axis": axis}),
    None, None, None, None))


def transpose_taps(idx, w, in_size):
    """The taps of the transposed map: for every input index, the outputs that read it and
    their weights (rows padded with weight-0 taps)."""
    out, taps = idx.shape
    wv = np.ones(idx.size) if w is None else w.ravel()
    i, j = idx.ravel(), np.repeat(np.arange(out), taps)
    nz = wv != 0
    i, j, wv = i[nz], j[nz], wv[nz]
    order = np.argsort(i, kind="stable")
    i, j, wv = i[order], j[order], wv[order]
    counts = np.bincount(i, minlength=in_size)
    width = max(int(counts.max()) if counts.size else 0, 1)
    pos = np.arange(i.size) - (np.cumsum(counts) - counts)[i]
    idx_t = np.zeros((in_size, width), dtype=np.int64)
    w_t = np.zeros((in_size, width), dtype=np.float64 if w is None else w.dtype)
    idx_t[i, pos] = j
    w_t[i, pos] = wv
    return idx_t, w_t


def resample(x, axis, idx, w):
    """Run the resample op along ``axis`` with taps ``idx`` (out, T) and weights ``w``."""
    idx_t, w_t = transpose_taps(idx, w, x.shape[axis])
    return dispatch.apply(_resample, (x, idx, w, idx_t, w_t), {"axis": axis})


def _scale(in_size, out_size, align_corners, scale, dt):
    """area_pixel_compute_scale: the source step per output step, in the opmath dtype."""
    if align_corners:
        return dt.type((in_size - 1) / (out_size - 1)) if out_size > 1 else dt.type(0)
    if scale is not None and scale > 0:
        return dt.type(1.0 / scale)
    return dt.type(in_size) / dt.type(out_size)


def nearest_taps(in_size, out_size, scale, exact, dt):
    s = _scale(in_size, out_size, False, scale, dt)
    j = np.arange(out_size, dtype=dt)
    src = np.floor((j + dt.type(0.5)) * s) if exact else np.floor(j * s)
    return np.minimum(src.astype(np.int64), in_size - 1)[:, None], None


def _source_index(in_size, out_size, align_corners, scale, dt, cubic):
    s = _scale(in_size, out_size, align_corners, scale, dt)
    j = np.arange(out_size, dtype=dt)
    if align_corners:
        return s * j
    src = s * (j + dt.type(0.5)) - dt.type(0.5)
    return src if cubic else np.maximum(src, dt.type(0))


def _floor_and_frac(src, in_size, dt):
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(dt), dt.type(0), dt.type(1))
    return i0, lam


def linear_taps(in_size, out_size, align_corners, scale, dt):
    src = _source_index(in_size, out_size, align_corners, scale, dt, False)
    i0, lam = _floor_and_frac(src, in_size, dt)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return np.stack([i0, i1], 1), np.stack([dt.type(1) - lam, lam], 1)


def _cubic1(x, a):     # |x| <= 1
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):     # 1 < |x| < 2
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def cubic_taps(in_size, out_size, align_corners, scale, dt):
    src = _source_index(in_size, out_size, align_corners, scale, dt, True)
    i0 = np.floor(src).astype(np.int64)
    t = (src - i0.astype(dt)).astype(dt)
    a = dt.type(-0.75)
    one = dt.type(1)
    w = np.stack([_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a),
                  _cubic2(dt.type(2) - t, a)], 1)
    # bicubic reads of i0 <= 0 or past the end clamp to the border pixels
    i0 = np.minimum(i0, in_size - 1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3), 0, in_size - 1)
    return idx, w


def area_taps(in_size, out_size):
    """adaptive_avg_pool windows [floor(j*in/out), ceil((j+1)*in/out)) as taps; unused tap slots
    repeat the window's last index with weight 0 so every tap column stays sorted."""
    j = np.arange(out_size)
    lo = (j * in_size) // out_size
    hi = -(-((j + 1) * in_size) // out_size)
    n = hi - lo
    width = int(n.max()) if out_size else 1
    t = np.arange(width)
    idx = np.minimum(lo[:, None] + t, hi[:, None] - 1)
    w = np.where(t < n[:, None], 1.0 / n[:, None], 0.0)
    return idx, w


def _aa_bilinear(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0)


def _aa_bicubic(x):
    a = -0.5
    x = np.abs(x)
    return np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0))


def _aa_lanczos(x):
    a = 3.0
    x = np.abs(x)
    return np.where(x < a, np.sinc(x) * np.sinc(x / a), 0)


_AA = {"bilinear": (_aa_bilinear, 2), "bicubic": (_aa_bicubic, 4), "lanczos": (_aa_lanczos, 6)}


def antialias_taps(in_size, out_size, align_corners, scale, mode, dt):
    """PIL-style antialiased resampling (torch's antialias=True): the filter is stretched by the
    downscale factor and each output's window weights are normalised to sum 1."""
    filt, interp = _AA[mode]
    s = float(_scale(in_size, out_size, align_corners, scale, dt))
    support = interp * 0.5 * s if s >= 1.0 else interp * 0.5
    inv = 1.0 / s if s >= 1.0 else 1.0
    width = math.ceil(support) * 2 + 1
    j = np.arange(out_size, dtype=dt)
    center = (dt.type(s) * (j + dt.type(0.5))).astype(dt)
    lo = np.maximum((center - dt.type(support) + dt.type(0.5)).astype(np.int64), 0)
    hi = np.minimum((center + dt.type(support) + dt.type(0.5)).astype(np.int64), in_size)
    n = np.clip(hi - lo, 0, width)
    t = np.arange(width)
    valid = t < n[:, None]
    pos = (t + lo[:, None]).astype(dt)
    w = filt(((pos - center[:, None] + dt.type(0.5)) * dt.type(inv)).astype(dt)).astype(dt)
    w = np.where(valid, w, dt.type(0))
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total == 0, 1, total), w).astype(dt)
    idx = np.minimum(lo[:, None] + t, np.maximum(lo + n - 1, 0)[:, None])
    return np.minimum(idx, in_size - 1), w


def interpolate(input, out_size, scales, mode, align_corners, antialias):
    """Resample the trailing ``len(out_size)`` axes of ``input`` (arguments already checked)."""
    nd = len(out_size)
    dt = opmath(input._array.dtype)
    x = input
    for i in range(nd):
        axis = input.ndim - nd + i
        n_in, n_out = input.shape[axis], out_size[i]
        scale = None if scales is None else scales[i]
        if mode in ("nearest", "nearest-exact"):
            idx, w = nearest_taps(n_in, n_out, scale, mode == "nearest-exact", dt)
            if n_in == n_out and np.array_equal(idx[:, 0], np.arange(n_out)):
                continue
        elif mode == "area":
            if n_in == n_out:
                continue
            idx, w = area_taps(n_in, n_out)
        elif antialias:
            idx, w = antialias_taps(n_in, n_out, align_corners, scale, mode, dt)
        elif mode == "bicubic":
            idx, w = cubic_taps(n_in, n_out, align_corners, scale, dt)
        else:
            idx, w = linear_taps(n_in, n_out, align_corners, scale, dt)
        x = resample(x, axis, idx, w)
    return x if x is not input else input.clone()


# --- im2col / col2im ---------------------------------------------------------------------------
def _blocks(spatial, kernel, dilation, padding, stride):
    return tuple((spatial[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                 for i in range(len(kernel)))


@op("im2col", keep="shape", node_name="Im2ColBackward0")
def _im2col(m, x, *, kernel, dilation, padding, stride):
    """(N, C, *spatial) -> (N, C*prod(kernel), L): every sliding block as one column."""
    nd = len(kernel)
    n, c = x.shape[:2]
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    blocks = _blocks(x.shape[2:], kernel, dilation, (0,) * nd, stride)
    st = x.strides
    win = _as_strided(x, (n, c) + tuple(kernel) + blocks,
                      st[:2] + tuple(st[2 + i] * dilation[i] for i in range(nd))
                      + tuple(st[2 + i] * stride[i] for i in range(nd)), writeable=False)
    return win.reshape(n, c * math.prod(kernel), math.prod(blocks))


@op("col2im", keep="", node_name="Col2ImBackward0")
def _col2im(m, cols, *, out_size, kernel, dilation, padding, stride):
    """The adjoint of im2col: columns summed back into (N, C, *out_size); one strided add per
    kernel offset, never one per block."""
    nd = len(kernel)
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(kernel)
    blocks = _blocks(out_size, kernel, dilation, padding, stride)
    cols = cols.reshape((n, c) + tuple(kernel) + blocks)
    res = np.zeros((n, c) + tuple(out_size[i] + 2 * padding[i] for i in range(nd)),
                   dtype=cols.dtype)
    for off in np.ndindex(*kernel):
        sl = tuple(slice(off[i] * dilation[i],
                         off[i] * dilation[i] + stride[i] * (blocks[i] - 1) + 1, stride[i])
                   for i in range(nd))
        res[(slice(None), slice(None)) + sl] += cols[(slice(None), slice(None)) + off]
    crop = tuple(slice(p, p + out_size[i]) for i, p in enumerate(padding))
    return np.ascontiguousarray(res[(slice(None), slice(None)) + crop])


_im2col.derivative(lambda m, g, x_shape, out, kernel, dilation, padding, stride: _run(
    m, _col2im, (g,), {"out_size": tuple(x_shape[2:]), "kernel": kernel, "dilation": dilation,
                       "padding": padding, "stride": stride}))
_col2im.derivative(lambda m, g, cols, out, out_size, kernel, dilation, padding, stride: _run(
    m, _im2col, (g,), {"kernel": kernel, "dilation": dilation, "padding": padding,
                       "stride": stride}))


def im2col(input, kernel, dilation, padding, stride):
    return dispatch.apply(_im2col, (input,), {"kernel": kernel, "dilation": dilation,
                                              "padding": padding, "stride": stride})


def col2im(input, out_size, kernel, dilation, padding, stride):
    return dispatch.apply(_col2im, (input,), {"out_size": out_size, "kernel": kernel,
                                              "dilation": dilation, "padding": padding,
                                              "stride": stride})


def num_blocks(spatial, kernel, dilation, padding, stride):
    return _blocks(spatial, kernel, dilation, padding, stride)


# --- shuffles ----------------------------------------------------------------------------------
def pixel_shuffle(input, r):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    lead = tuple(input.shape[:-3])
    c, h, w = input.shape[-3:]
    nl = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return x.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, r):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    lead = tuple(input.shape[:-3])
    c, h, w = input.shape[-3:]
    nl = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return x.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """(N, C, *) -> channels regrouped: (N, g, C/g, *) transposed to (N, C/g, g, *)."""
    n, c = input.shape[:2]
    rest = tuple(input.shape[2:])
    x = input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


# --- affine_grid and grid_sample ---------------------------------------------------------------
def _base_coords(n, align_corners, dt):
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dt)
    r = np.linspace(-1, 1, n, dtype=np.float64)
    if not align_corners:
        r = r * (n - 1) / n
    return r.astype(dt)


def affine_grid(theta, spatial, align_corners):
    """theta (N, nd, nd+1) -> grid (N, *spatial, nd) of normalised (x, y[, z]) coordinates."""
    nd = len(spatial)
    dt = theta._array.dtype
    axes = [_base_coords(s, align_corners, dt) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")            # ordered (D,) H, W
    # last coordinate is x (width), so the columns run reversed against the axes
    base = np.stack([mesh[i] for i in reversed(range(nd))] + [np.ones_like(mesh[0])], -1)
    n = theta.shape[0]
    flat = wrap(np.ascontiguousarray(base.reshape(1, -1, nd + 1)))
    grid = flat.matmul(theta.transpose(1, 2))           # (N, prod(spatial), nd)
    return grid.reshape((n,) + tuple(spatial) + (nd,))


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect_np(x, twice_low, twice_high):
    """torch's reflect_coordinates on an array, with the slope (+1 or -1) at each point."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    d = x - lo
    sign = np.where(d < 0, -1, 1).astype(x.dtype)
    d = np.abs(d)
    extra = np.fmod(d, span)
    flips = np.floor(d / span)
    even = np.fmod(flips, 2) == 0
    val = np.where(even, extra + lo, span - extra + lo)
    return val.astype(x.dtype), np.where(even, sign, -sign)


def _pad_coords_np(x, size, padding_mode, align_corners):
    """compute_coordinates on plain arrays (bicubic tap positions: no gradient needed)."""
    if padding_mode == "border":
        return np.clip(x, 0, size - 1)
    if padding_mode == "reflection":
        if align_corners:
            x = _reflect_np(x, 0, 2 * (size - 1))[0]
        else:
            x = _reflect_np(x, -1, 2 * size - 1)[0]
        return np.clip(x, 0, size - 1)
    return x


def _pad_coords(coord, size, padding_mode, align_corners):
    """Apply border/reflection padding to an unnormalised coordinate tensor: a piecewise-linear
    map, written as coord * slope + offset with slope/offset taken from the values, so the
    gradient is torch's (0 at and beyond a clipped border, -1 on reflected stretches)."""
    if padding_mode == "zeros":
        return coord
    x = coord._array
    if padding_mode == "reflection":
        if align_corners:
            val, slope = _reflect_np(x, 0, 2 * (size - 1))
        else:
            val, slope = _reflect_np(x, -1, 2 * size - 1)
    else:
        val, slope = x, np.ones_like(x)
    inside = (val > 0) & (val < size - 1)
    clipped = np.clip(val, 0, size - 1).astype(x.dtype)
    slope = np.where(inside, slope, 0).astype(x.dtype)
    return coord * wrap(slope) + wrap((clipped - slope * x).astype(x.dtype))


def _gather(flat_input, idx, nd_out_shape):
    """input (N, C, S) read at idx (N, L) for every channel -> (N, C, L)."""
    n, c = flat_input.shape[:2]
    full = np.ascontiguousarray(np.broadcast_to(idx[:, None, :], (n, c, idx.shape[1])))
    return gather_spatial(flat_input, wrap(full), 1)


def _cubic_coeffs(t):
    a = -0.75
    return [_cubic2(t + 1, a), _cubic1(t, a), _cubic1(1 - t, a), _cubic2(2 - t, a)]


def grid_sample(input, grid, mode, padding_mode, align_corners):
    """input (N, C, *in_spatial), grid (N, *out_spatial, nd) -> (N, C, *out_spatial)."""
    nd = grid.shape[-1]
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    length = math.prod(out_spatial)
    flat_in = input.reshape(n, c, -1)
    g = grid.reshape(n, length, nd)
    # grid's last dimension is (x, y[, z]): coordinate k addresses spatial axis nd-1-k
    coords = [_unnormalize(g[..., nd - 1 - i], sizes[i], align_corners) for i in range(nd)]
    if mode == "bicubic":
        out = _grid_bicubic(flat_in, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_pad_coords(coords[i], sizes[i], padding_mode, align_corners)
                  for i in range(nd)]
        if mode == "nearest":
            out = _grid_nearest(flat_in, coords, sizes)
        else:
            out = _grid_linear(flat_in, coords, sizes)
    return out.reshape((n, c) + out_spatial)


def _flat_index(ints, sizes):
    flat = np.zeros(ints[0].shape, dtype=np.int64)
    ok = np.ones(ints[0].shape, dtype=bool)
    for i, s in enumerate(sizes):
        ok &= (ints[i] >= 0) & (ints[i] < s)
        flat = flat * s + np.clip(ints[i], 0, s - 1)
    return flat, ok


@op("nearest_inbounds", keep="", node_name="GridSampler2DBackward0")
def _nearest_inbounds(m, coord, *, size):
    """1 where the rounded coordinate addresses a pixel, else 0: piecewise constant, so its
    derivative is zero, which is what torch reports for the grid under mode='nearest'."""
    r = np.rint(coord)
    return ((r >= 0) & (r < size)).astype(coord.dtype)


_nearest_inbounds.derivative(lambda m, g, coord, out, size: m.zeros_like(g))


def _grid_nearest(flat_in, coords, sizes):
    ints = [np.rint(cd._array).astype(np.int64) for cd in coords]
    flat, _ = _flat_index(ints, sizes)
    w = None
    for cd, s in zip(coords, sizes):
        wi = dispatch.unary(_nearest_inbounds, cd, size=s)
        w = wi if w is None else w * wi
    return _gather(flat_in, flat, None) * w.unsqueeze(1)


def _grid_linear(flat_in, coords, sizes):
    nd = len(sizes)
    dt = flat_in._array.dtype
    lows = [np.floor(cd._array) for cd in coords]
    fracs = [cd - wrap(lo.astype(dt)) for cd, lo in zip(coords, lows)]   # differentiable
    out = None
    for corner in np.ndindex(*(2,) * nd):
        ints = [lows[i].astype(np.int64) + corner[i] for i in range(nd)]
        flat, ok = _flat_index(ints, sizes)
        w = None
        for i in range(nd):
            wi = fracs[i] if corner[i] else 1 - fracs[i]
            w = wi if w is None else w * wi
        w = w * wrap(ok.astype(dt))
        term = _gather(flat_in, flat, None) * w.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _grid_bicubic(flat_in, coords, sizes, padding_mode, align_corners):
    dt = flat_in._array.dtype
    ix, iy = coords[1], coords[0]         # coordinate tensors for width and height
    w_in, h_in = sizes[1], sizes[0]
    x0 = np.floor(ix._array)
    y0 = np.floor(iy._array)
    tx = ix - wrap(x0.astype(dt))
    ty = iy - wrap(y0.astype(dt))
    cx = _cubic_coeffs(tx)
    cy = _cubic_coeffs(ty)
    out = None
    for j in range(4):
        py = _pad_coords_np(y0 - 1 + j, h_in, padding_mode, align_corners)
        for i in range(4):
            px = _pad_coords_np(x0 - 1 + i, w_in, padding_mode, align_corners)
            flat, ok = _flat_index([py.astype(np.int64), px.astype(np.int64)], sizes)
            w = cx[i] * cy[j] * wrap(ok.astype(dt))
            term = _gather(flat_in, flat, None) * w.unsqueeze(1)
            out = term if out is None else out + term
    return out


# --- fractional max pooling --------------------------------------------------------------------
def fractional_intervals(sample, in_size, out_size, k, dt):
    """Window starts for every (N, C) plane: floor((j + u) * alpha) - floor(u * alpha), the last
    window flush with the input's end (Graham, 2014), computed in the input's opmath dtype."""
    u = sample.astype(dt)[..., None]
    seq = np.zeros(u.shape[:-1] + (out_size,), dtype=np.int64)
    if out_size > 1:
        alpha = dt.type(in_size - k) / dt.type(out_size - 1)
        j = np.arange(out_size - 1, dtype=dt)
        seq[..., :-1] = ((j + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out_size > 0:
        seq[..., -1] = in_size - k
    return seq


def fractional_max_pool(input, k, out_size, samples):
    """(N, C, *spatial) with samples (N, C, nd) in [0, 1) -> (values, flat indices). For 2-D
    inputs torch reads sample 0 for the width and sample 1 for the height; for 3-D in order
    (T, H, W)."""
    nd = len(k)
    x = input._array
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    dt = opmath(x.dtype)
    smp = samples._array if isinstance(samples, Tensor) else np.asarray(samples)
    order = (1, 0) if nd == 2 else tuple(range(nd))
    starts = [fractional_intervals(smp[..., order[i]], spatial[i], out_size[i], k[i], dt)
              for i in range(nd)]
    shape = (n, c) + tuple(out_size)
    best = np.zeros(shape, dtype=np.int64)
    vals = np.full(shape, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min, x.dtype)
    planes = x.reshape(n, c, -1)
    first = True
    for koff in np.ndindex(*k):
        flat = np.zeros(shape, dtype=np.int64)
        for i in range(nd):
            coord = starts[i].reshape((n, c) + (1,) * i + (out_size[i],) + (1,) * (nd - 1 - i))
            flat = flat * spatial[i] + coord + koff[i]
        cand = np.take_along_axis(planes, flat.reshape(n, c, -1), -1).reshape(shape)
        better = cand > vals
        if x.dtype.kind == "f":
            better |= np.isnan(cand)
        if first:
            better = np.ones(shape, dtype=bool)
            first = False
        vals = np.where(better, cand, vals)
        best = np.where(better, flat, best)
    idx = wrap(best)
    return gather_spatial(input, idx, nd), idx


def check_fractional(name, spatial, k, out_size):
    for i in range(len(k)):
        if out_size[i] + k[i] - 1 > spatial[i]:
            raise EmberRuntimeError(
                f"{name}(): pool size {k[i]} too large relative to input size {spatial[i]} "
                f"for output size {out_size[i]} (dimension {i}); need "
                "output_size + kernel_size - 1 <= input_size")


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDING = ("zeros", "border", "reflection")


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    from ..nn.functional import grid_sample
    return grid_sample(input, grid, _GRID_MODES[interpolation_mode],
                       _GRID_PADDING[padding_mode], bool(align_corners))


@public("grid_sampler_2d")
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    ``F.grid_sample`` with modes given as integers (0 bilinear, 1 nearest, 2 bicubic; padding
    0 zeros, 1 border, 2 reflection).

    Shape:
        input (N, C, H_in, W_in); grid (N, H_out, W_out, 2) holding (x, y) in [-1, 1];
        output (N, C, H_out, W_out).

    Example:
        >>> img = torch.arange(4.).view(1, 1, 2, 2)
        >>> torch.grid_sampler_2d(img, torch.tensor([[[[0., 0.]]]]), 0, 0, True)
        tensor([[[[1.5000]]]])
    """
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@public("grid_sampler_3d")
def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    the volumetric form of grid_sampler_2d.

    Shape:
        input (N, C, D_in, H_in, W_in); grid (N, D_out, H_out, W_out, 3) holding (x, y, z)
        in [-1, 1]; output (N, C, D_out, H_out, W_out).

    Example:
        >>> vol = torch.arange(8.).view(1, 1, 2, 2, 2)
        >>> torch.grid_sampler_3d(vol, torch.zeros(1, 1, 1, 1, 3), 0, 0, True)
        tensor([[[[[3.5000]]]]])
    """
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@public("grid_sampler")
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    grid_sampler_2d for a 4-D input, grid_sampler_3d for a 5-D one.

    Example:
        >>> img = torch.arange(4.).view(1, 1, 2, 2)
        >>> torch.grid_sampler(img, torch.tensor([[[[-1., -1.], [1., 1.]]]]), 0, 0, True)
        tensor([[[[0., 3.]]]])
    """
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)
