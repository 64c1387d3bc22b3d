"""Pooling in 1, 2 and 3 spatial dimensions.

Max pooling finds each window's argmax on a strided window view (vectorised, no loop over output
pixels) and then gathers the values with ``spatial_gather``, whose adjoint ``spatial_scatter``
puts gradients back at the argmax positions (repeats accumulate); the pair also serves
max_unpool. Average pooling is a depthwise convolution with a ones kernel divided by the window
counts, so it reuses conv's gradients. Adaptive average pooling is separable: one averaging
matrix per spatial dimension.
"""
import numpy as np

from .._errors import EmberRuntimeError
from ..tensor import wrap
from . import dispatch
from .conv import CONV, _prod
from .registry import op

_as_strided = np.lib.stride_tricks.as_strided


def _flat(a, nd):
    return a.reshape(a.shape[:a.ndim - nd] + (-1,))


@op("spatial_gather", keep="b", node_name="MaxPool2DWithIndicesBackward0")
def _spatial_gather(m, x, idx, nd, in_shape):
    """out[..., j] = x[..., idx[..., j]] over the flattened last ``nd`` dimensions."""
    lead = x.shape[:x.ndim - nd]
    vals = np.take_along_axis(x.reshape(lead + (-1,)), idx.reshape(lead + (-1,)), axis=-1)
    return vals.reshape(idx.shape)


@op("spatial_scatter", keep="b", node_name="MaxUnpool2DBackward0")
def _spatial_scatter(m, g, idx, nd, out_shape):
    """The adjoint of spatial_gather: zeros of ``out_shape`` with g added at idx."""
    lead = out_shape[:len(out_shape) - nd]
    size = _prod(out_shape[len(out_shape) - nd:])
    rows = _prod(lead)
    flat_idx = idx.reshape(rows, -1) + (np.arange(rows) * size)[:, None]
    res = np.bincount(flat_idx.ravel(), weights=g.reshape(rows, -1).ravel().real,
                      minlength=rows * size)
    if np.iscomplexobj(g):
        res = res + 1j * np.bincount(flat_idx.ravel(), weights=g.reshape(rows, -1).ravel().imag,
                                     minlength=rows * size)
    return res.astype(g.dtype, copy=False).reshape(out_shape)


def _run(m, opdef, inputs, attrs):
    if getattr(m, "is_tensor_namespace", False):
        return dispatch.apply(opdef, inputs, attrs)
    return opdef.forward(m, *inputs, **attrs)


_spatial_gather.derivative((
    lambda m, g, x, idx, out, nd, in_shape: _run(m, _spatial_scatter, (g, idx),
                                                 {"nd": nd, "out_shape": in_shape}), None))
_spatial_scatter.derivative((
    lambda m, gg, g, idx, out, nd, out_shape: _run(m, _spatial_gather, (gg, idx),
                                                   {"nd": nd, "in_shape": out_shape}), None))


def gather_spatial(input, idx_t, nd):
    return dispatch.apply(_spatial_gather, (input, idx_t),
                          {"nd": nd, "in_shape": tuple(input.shape)})


# --- non-overlapping max pooling (kernel == stride, no padding or dilation, sizes divisible) ----
# The common case (MaxPool2d(2)) needs no window copy, argmax or flat int64 index: each window
# offset is a strided view of x, so the max is a chain of np.maximum over prod(k) views, and the
# argmax is kept as a uint8 window offset. Backward writes g into each offset's view where the
# offset matches; every input element belongs to exactly one window, so nothing accumulates.
class _WindowArg:
    """Where the forward kernel leaves the argmax window offsets (uint8, the output's shape)."""

    __slots__ = ("arg",)

    def __init__(self):
        self.arg = None


def _window_views(a, k):
    """(offset, view) for each window offset of ``a`` (..., *(o_i * k_i)); views are (..., *o)."""
    nd = len(k)
    lead = a.shape[:a.ndim - nd]
    split = lead
    for i in range(nd):
        split += (a.shape[a.ndim - nd + i] // k[i], k[i])
    a = a.reshape(split)
    every = (slice(None),) * len(lead)
    for j, off in enumerate(np.ndindex(*k)):
        yield j, a[every + tuple(x for o in off for x in (slice(None), o))]


@op("max_pool_window", keep="b", node_name="MaxPool2DWithIndicesBackward0")
def _max_pool_window(m, x, saved, k):
    """Max over non-overlapping windows; the argmax offsets go to ``saved.arg``."""
    views = _window_views(x, k)
    _, best = next(views)
    best = best.copy()
    arg = np.zeros(best.shape, dtype=np.uint8)
    mask = np.empty(best.shape, dtype=bool)
    hit = np.empty(best.shape, dtype=np.uint8)
    # Offsets are scanned in increasing order, so where one beats the running max it exceeds
    # every offset stored so far: arg = max(arg, j * mask), two uint8 passes (np.copyto with
    # where= is ~50x slower here).
    for j, v in views:
        np.greater(v, best, out=mask)          # strict: the first maximum wins, as in torch
        np.maximum(arg, np.multiply(mask.view(np.uint8), j, out=hit), out=arg)
        np.maximum(best, v, out=best)          # propagates NaN into the result, as torch does
    if best.size and np.isnan(np.add.reduce(best, axis=None)):
        # torch's scan also takes every NaN it meets, so a window's last NaN is its argmax; the
        # comparisons above only ever stored offsets before the window's first NaN.
        for j, v in _window_views(x, k):
            np.maximum(arg, np.multiply(np.isnan(v, out=mask).view(np.uint8), j, out=hit),
                       out=arg)
    if saved is not None:
        saved.arg = arg
    return best


@op("window_scatter", keep="b", node_name="MaxPool2DWithIndicesBackwardBackward0")
def _window_scatter(m, g, arg, k):
    """The adjoint of window_gather: g written at each window's argmax offset, zeros elsewhere."""
    nd = len(k)
    lead = g.shape[:g.ndim - nd]
    shape = lead + tuple(g.shape[g.ndim - nd + i] * k[i] for i in range(nd))
    # g * mask writes every element once, but 0 * inf is NaN: non-finite g takes the exact path
    exact = not np.isfinite(np.add.reduce(g, axis=None))
    res = np.zeros(shape, g.dtype) if exact else np.empty(shape, g.dtype)
    mask = np.empty(arg.shape, dtype=bool)
    for j, v in _window_views(res, k):
        np.equal(arg, j, out=mask)
        if exact:
            np.copyto(v, g, where=mask)
        else:
            np.multiply(g, mask, out=v)
    return res


@op("window_gather", keep="b", node_name="MaxPool2DWithIndicesBackward0")
def _window_gather(m, x, arg, k):
    """Each window's element at its offset in ``arg``."""
    views = _window_views(x, k)
    _, res = next(views)
    res = res.copy()
    mask = np.empty(arg.shape, dtype=bool)
    for j, v in views:
        np.equal(arg, j, out=mask)
        np.copyto(res, v, where=mask)
    return res


_max_pool_window.derivative((
    lambda m, g, x, saved, out, k: _run(m, _window_scatter, (g, saved.arg), {"k": k}), None))
_window_scatter.derivative((
    lambda m, gg, g, arg, out, k: _run(m, _window_gather, (gg, arg), {"k": k}), None))
_window_gather.derivative((
    lambda m, gg, x, arg, out, k: _run(m, _window_scatter, (gg, arg), {"k": k}), None))


def _non_overlapping(x, k, s, p, d):
    # window offsets are stored as uint8, hence at most 256 elements per window
    if k != s or any(p) or any(v != 1 for v in d) or x.dtype.kind != "f" or _prod(k) > 256:
        return False
    spatial = x.shape[x.ndim - len(k):]
    return all(n >= kk and n % kk == 0 for n, kk in zip(spatial, k))


def _pool_out(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    span = size + 2 * p - eff
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:   # the last window must start inside the input
        out -= 1
    return out


def _check_pool(name, x, k, s, p, d):
    nd = len(k)
    for i in range(nd):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise EmberRuntimeError(f"{name}: pad should be at most half of effective kernel size, "
                                    f"but got pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
        if k[i] <= 0 or s[i] <= 0 or d[i] <= 0:
            raise EmberRuntimeError(f"{name}: kernel_size, stride and dilation must be greater "
                                    f"than zero, got {k}, {s}, {d}")


def max_pool_indices(x, k, s, p, d, ceil_mode, name="max_pool"):
    """(flat argmax index per output into the input's spatial plane, output spatial shape)."""
    nd = len(k)
    _check_pool(name, x, k, s, p, d)
    spatial = x.shape[-nd:]
    out = tuple(_pool_out(spatial[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd))
    if any(o <= 0 for o in out):
        raise EmberRuntimeError(f"{name}: output size is too small (input spatial "
                                f"{list(spatial)}, kernel {list(k)}, computed output {list(out)})")
    need = tuple((out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(nd))
    pads = [(0, 0)] * (x.ndim - nd) + [(p[i], max(need[i] - spatial[i] - p[i], p[i]))
                                        for i in range(nd)]
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = np.pad(x, pads, constant_values=fill) if any(any(q) for q in pads) else x
    st = xp.strides
    lead = x.shape[:x.ndim - nd]
    win = _as_strided(xp, lead + out + tuple(k),
                      st[:len(lead)] + tuple(st[len(lead) + i] * s[i] for i in range(nd))
                      + tuple(st[len(lead) + i] * d[i] for i in range(nd)), writeable=False)
    flatwin = win.reshape(lead + out + (-1,))
    # NaN wins, as in torch: argmax over a NaN-aware key
    arg = np.argmax(np.where(np.isnan(flatwin), np.inf, flatwin), axis=-1) \
        if x.dtype.kind == "f" else np.argmax(flatwin, axis=-1)
    koff = np.unravel_index(arg, k)
    flat = np.zeros(arg.shape, dtype=np.int64)
    for i in range(nd):
        grid = np.arange(out[i]).reshape((-1,) + (1,) * (nd - 1 - i)) * s[i] - p[i]
        coord = grid + koff[i] * d[i]
        flat = flat * spatial[i] + coord
    return flat, out


def max_pool(input, k, s, p, d, ceil_mode, return_indices, name="max_pool"):
    nd = len(k)
    if not return_indices and _non_overlapping(input._array, k, s, p, d):
        saved = _WindowArg() if input._edge is not None else None
        return dispatch.apply(_max_pool_window, (input, saved), {"k": tuple(k)})
    idx, _ = max_pool_indices(input._array, k, s, p, d, ceil_mode, name)
    idx_t = wrap(idx)
    vals = gather_spatial(input, idx_t, nd)
    return (vals, idx_t) if return_indices else vals


@op("max_unpool", keep="b", node_name="MaxUnpool2DBackward0")
def _unpool_kernel(m, x, idx, nd, out_shape):
    """Zeros of ``out_shape`` with x written (not added) at idx: with repeated indices one value
    lands, as in torch (the last in memory order)."""
    lead = out_shape[:len(out_shape) - nd]
    rows = _prod(lead)
    res = np.zeros((rows, _prod(out_shape[len(out_shape) - nd:])), dtype=x.dtype)
    np.put_along_axis(res, idx.reshape(rows, -1), x.reshape(rows, -1), axis=1)
    return res.reshape(out_shape)


# every input reads its target position back, duplicates included (torch's gather)
_unpool_kernel.derivative((
    lambda m, g, x, idx, out, nd, out_shape: _run(m, _spatial_gather, (g, idx),
                                                  {"nd": nd, "in_shape": out_shape}), None))


def max_unpool(input, indices, out_spatial):
    nd = len(out_spatial)
    out_shape = tuple(input.shape[:input.ndim - nd]) + tuple(out_spatial)
    size = _prod(out_spatial)
    if indices._array.size and (indices._array.min() < 0 or indices._array.max() >= size):
        raise EmberRuntimeError(f"max_unpool: found an invalid max index "
                                f"{int(indices._array.max())}"
                                f" (output spatial size {list(out_spatial)})")
    return dispatch.apply(_unpool_kernel, (input, indices), {"nd": nd, "out_shape": out_shape})


def avg_pool(input, k, s, p, ceil_mode, count_include_pad, divisor_override):
    nd = len(k)
    d = (1,) * nd
    _check_pool("avg_pool", input, k, s, p, d)
    x = input._array
    spatial = x.shape[-nd:]
    out = tuple(_pool_out(spatial[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(nd))
    need = tuple((out[i] - 1) * s[i] + k[i] for i in range(nd))
    extra = tuple(max(need[i] - spatial[i] - 2 * p[i], 0) for i in range(nd))
    lead = x.shape[:x.ndim - nd]
    c = _prod(lead[1:]) if len(lead) > 1 else 1
    # Work as (N', C', *spatial) for the depthwise convolution.
    xs = input.reshape((-1, c) + spatial) if len(lead) != 2 else input
    if any(extra):
        from .padding import pad as _pad
        flat_pad = []
        for i in reversed(range(nd)):
            flat_pad += [0, extra[i]]
        xs = _pad(xs, tuple(flat_pad), "constant", 0.0)
    ones = wrap(np.ones((c, 1) + tuple(k), dtype=x.dtype))
    geom = {"stride": tuple(s), "padding": tuple(p), "dilation": d, "groups": c}
    summed = dispatch.apply(CONV, (xs, ones, None), geom)
    if divisor_override:
        res = summed / divisor_override
    else:
        region = np.zeros(tuple(spatial[i] + 2 * p[i] + extra[i] for i in range(nd)), x.dtype)
        inner = tuple(slice(p[i], p[i] + spatial[i]) for i in range(nd))
        if count_include_pad:
            region[tuple(slice(0, spatial[i] + 2 * p[i]) for i in range(nd))] = 1
        else:
            region[inner] = 1
        win = np.lib.stride_tricks.sliding_window_view(region, tuple(k))
        counts = win[tuple(slice(None, None, s[i]) for i in range(nd))]
        counts = counts.reshape(counts.shape[:nd] + (-1,)).sum(-1)[tuple(slice(0, o) for o in out)]
        res = summed / wrap(counts)
    return res.reshape(lead + out) if len(lead) != 2 else res


def adaptive_avg_pool(input, out_size):
    """Separable: one (out, in) averaging matrix per spatial dimension, applied by matmul."""
    nd = len(out_size)
    x = input
    spatial = tuple(input.shape[-nd:])
    for i in range(nd):
        n_in, n_out = spatial[i], out_size[i]
        if n_in == n_out:
            continue
        mat = np.zeros((n_out, n_in), dtype=input._array.dtype)
        for j in range(n_out):
            lo, hi = (j * n_in) // n_out, -(-((j + 1) * n_in) // n_out)
            mat[j, lo:hi] = 1.0 / (hi - lo)
        axis = input.ndim - nd + i
        x = x.movedim(axis, -1).matmul(wrap(mat.T)).movedim(-1, axis)
    return x if x is not input else input.clone()


def adaptive_windows(n_in, n_out):
    return [((j * n_in) // n_out, -(-((j + 1) * n_in) // n_out)) for j in range(n_out)]


def adaptive_max_pool(input, out_size, return_indices):
    """Max over adaptive windows: each dimension's windows in turn (a loop over output *rows* of
    one dimension, not over pixels), tracking the flat argmax index for the gradient."""
    nd = len(out_size)
    x = input._array
    spatial = x.shape[-nd:]
    lead = x.shape[:x.ndim - nd]
    if any(s == 0 for s in spatial):
        raise EmberRuntimeError(f"adaptive_max_pool: input spatial size {list(spatial)} must be "
                                "non-empty")
    vals = x
    flat = np.broadcast_to(np.arange(_prod(spatial)).reshape(spatial), x.shape)
    for i in range(nd):
        axis = len(lead) + i
        pieces_v, pieces_i = [], []
        for lo, hi in adaptive_windows(spatial[i], out_size[i]):
            seg = np.take(vals, range(lo, hi), axis=axis)
            key = np.where(np.isnan(seg), np.inf, seg) if seg.dtype.kind == "f" else seg
            a = np.expand_dims(np.argmax(key, axis=axis), axis)
            pieces_v.append(np.take_along_axis(seg, a, axis=axis))
            pieces_i.append(np.take_along_axis(np.take(flat, range(lo, hi), axis=axis), a,
                                               axis=axis))
        vals = np.concatenate(pieces_v, axis=axis)
        flat = np.concatenate(pieces_i, axis=axis)
    idx_t = wrap(np.ascontiguousarray(flat).astype(np.int64))
    res = gather_spatial(input, idx_t, nd)
    return (res, idx_t) if return_indices else res


def lp_pool(input, p, k, s, ceil_mode):
    nd = len(k)
    powed = input.pow(p)
    avg = avg_pool(powed, k, s, (0,) * nd, ceil_mode, True, None)
    kw = _prod(k)
    return (avg.sign() * avg.abs().relu()).mul(kw).pow(1.0 / p)
