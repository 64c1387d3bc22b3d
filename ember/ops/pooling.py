"""Pooling in 1, 2 and 3 spatial dimensions.

Max pooling finds each window's argmax on a strided window view (vectorised, no loop over output
pixels) and then gathers the values with ``spatial_gather``, whose adjoint ``spatial_scatter``
puts gradients back at the argmax positions (repeats accumulate); the pair also serves
max_unpool. Average pooling is a depthwise convolution with a ones kernel divided by the window
counts, so it reuses conv's gradients. Adaptive average pooling is separable: one averaging
matrix per spatial dimension.
"""
import numpy as np

from .. import _jit
from .._errors import EmberRuntimeError
from ..tensor import wrap
from . import dispatch
from .conv import CONV, _prod, scratch
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
# The common case (MaxPool2d(2)) needs no window copy, argmax or flat int64 index. The window max
# is taken one spatial dimension at a time, innermost first: a (pre, k_i, Q) reshape puts the
# k_i candidates of a dimension side by side, so each pass is one long run (Q = 1: one strided
# 1-D pass over the whole array; the old per-offset views of the 2-D window ran inner loops of
# out[-1] elements). Each stage keeps its argmax as a uint8 offset along its own dimension.
# Ties: a stage keeps the first maximum of its dimension, and the outer stage the first row
# holding the maximum, so the winner is the first maximum in row-major window order, as in torch's
# scan. Backward undoes the stages outermost first; every element is written exactly once.
class _WindowArg:
    """Where the forward kernel leaves the argmax offsets: one uint8 array per stage."""

    __slots__ = ("arg",)

    def __init__(self):
        self.arg = None


def _stages(shape, k):
    """Per stage, innermost dimension first: the (pre, k_i, Q) reshape of its input, the input's
    shape and the shape after the stage."""
    nd = len(k)
    lead = len(shape) - nd
    cur = list(shape)
    res = []
    for i in reversed(range(nd)):
        ax = lead + i
        pre, q = cur[ax] // k[i], 1
        for s in cur[:ax]:
            pre *= s
        for s in cur[ax + 1:]:
            q *= s
        before = tuple(cur)
        cur[ax] //= k[i]
        res.append(((pre, k[i], q), before, tuple(cur)))
    return res


def _split(a, pkq):
    """(pre, k, Q) view of ``a``; with Q == 1 (pre, k), so a candidate is one strided 1-D run."""
    a = a.reshape(pkq)
    return a[:, :, 0] if pkq[2] == 1 else a


@op("max_pool_window", keep="b", node_name="MaxPool2DWithIndicesBackward0")
def _max_pool_window(m, x, saved, k):
    """Max over non-overlapping windows; the per-stage argmax offsets go to ``saved.arg``."""
    if _fused_2d(x, k):
        res, args = _window_max_2d(x, k)
        if saved is not None:
            saved.arg = args
        return res
    res, args = _window_max(x, k, False)
    # a NaN anywhere propagates into the result, so one check covers every stage
    if res.size and np.isnan(np.add.reduce(res, axis=None)):
        res, args = _window_max(x, k, True)
    if saved is not None:
        saved.arg = args
    return res


def _window_max(x, k, nan):
    """(window max, per-stage argmax offsets); ``nan``: make a window's last NaN its argmax."""
    args = []
    cur = x
    stages = _stages(x.shape, k)
    for s, (pkq, _, after) in enumerate(stages):
        a = _split(cur, pkq)
        kk = pkq[1]
        # the stages before the last write to reused buffers (Note [Conv workspace])
        best = np.empty(after, x.dtype) if s == len(stages) - 1 else \
            scratch(("pool", s % 2), after, x.dtype)
        best = best.reshape(a.shape[:1] + a.shape[2:])
        if kk == 1:
            np.copyto(best, a[:, 0])
            arg = np.zeros(best.shape, dtype=np.uint8)
        elif kk == 2:
            # strict: the first maximum wins, as in torch; maximum propagates NaN, as torch does
            arg = np.greater(a[:, 1], a[:, 0]).view(np.uint8)
            np.maximum(a[:, 0], a[:, 1], out=best)
        else:
            np.copyto(best, a[:, 0])
            arg = np.zeros(best.shape, dtype=np.uint8)
            mask = np.empty(best.shape, dtype=bool)
            hit = np.empty(best.shape, dtype=np.uint8)
            # Offsets are scanned in increasing order, so where one beats the running max it
            # exceeds every offset stored so far: arg = max(arg, j * mask), two uint8 passes
            # (np.copyto with where= is ~50x slower here).
            for j in range(1, kk):
                v = a[:, j]
                np.greater(v, best, out=mask)
                np.maximum(arg, np.multiply(mask.view(np.uint8), j, out=hit), out=arg)
                np.maximum(best, v, out=best)
        if nan and kk > 1:
            # torch's scan takes every NaN it meets, so the last NaN is the argmax: in this
            # stage's dimension, and (its NaN propagated into the candidates) in the outer ones
            arg[np.isnan(best)] = 0
            mask = np.empty(best.shape, dtype=bool)
            for j in range(1, kk):
                np.maximum(arg, np.multiply(np.isnan(a[:, j], out=mask).view(np.uint8), j),
                           out=arg)
        args.append(arg)
        cur = best.reshape(after)
    return cur, tuple(args)


# Note [Fused 2-D window max]. Where numba is installed (ember/_jit.py), 2x2 pooling of a
# C-contiguous float32/float64 array runs both stages above in one loop, with the same
# comparisons in the same order, so the values and the per-stage uint8 offsets (in the same
# shapes) are exactly _window_max's: a window holding NaN gives NaN and the last NaN's offset,
# as its second pass does. Backward writes each window's gradient at its argmax over zeros in
# one pass. LeNet's two pools (process time, /tmp-style A/B in benchmarks/notes/conv.md):
# forward 0.99 -> 0.45 ms, backward 0.83 -> 0.34 ms per step.
def _window_max_2x2_loop(x, out, arg_w, arg_h):
    n, h, w = x.shape
    oh, ow = h // 2, w // 2
    for p in range(n):
        for r in range(oh):
            top = x[p, 2 * r]
            bot = x[p, 2 * r + 1]
            aw0 = arg_w[(p * h + 2 * r) * ow:(p * h + 2 * r + 1) * ow]
            aw1 = arg_w[(p * h + 2 * r + 1) * ow:(p * h + 2 * r + 2) * ow]
            ah = arg_h[p * oh + r]
            o = out[p, r]
            for c in range(ow):
                # per stage: the right (lower) candidate wins if it is NaN, or if it is greater
                # and the left is not NaN; otherwise the left one stays (np.maximum's result)
                a0 = top[2 * c]
                a1 = top[2 * c + 1]
                t0 = (a1 != a1) | ((a1 > a0) & (a0 == a0))
                b0 = a1 if t0 else a0
                a0 = bot[2 * c]
                a1 = bot[2 * c + 1]
                t1 = (a1 != a1) | ((a1 > a0) & (a0 == a0))
                b1 = a1 if t1 else a0
                th = (b1 != b1) | ((b1 > b0) & (b0 == b0))
                o[c] = b1 if th else b0
                aw0[c] = t0
                aw1[c] = t1
                ah[c] = th


def _window_scatter_2d_loop(g, kh, kw, arg_w, arg_h, res):
    n, oh, ow = g.shape
    for p in range(n):
        for r in range(oh):
            for c in range(ow):
                row = r * kh + arg_h[p * oh + r, c]
                res[p, row, c * kw + arg_w[(p * oh * kh + row) * ow + c]] = g[p, r, c]


_window_max_2x2_fused = _jit.kernel(_window_max_2x2_loop, [
    f"void({t}[:, :, ::1], {t}[:, :, ::1], uint8[::1], uint8[:, ::1])"
    for t in ("float32", "float64")])
_window_scatter_2d_fused = _jit.kernel(_window_scatter_2d_loop, [
    f"void({t}[:, :, ::1], int64, int64, uint8[::1], uint8[:, ::1], {t}[:, :, ::1])"
    for t in ("float32", "float64")])
_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fused_2d(x, k):
    return _window_max_2x2_fused is not None and tuple(k) == (2, 2) and x.ndim >= 2 and \
        x.dtype in _FUSED_DTYPES and x.flags.c_contiguous and x.size > 0


def _window_max_2d(x, k):
    """Note [Fused 2-D window max]: (window max, per-stage offsets shaped as _window_max's)."""
    kh, kw = k
    h, w = x.shape[-2:]
    lead = x.shape[:-2]
    n = x.size // (h * w)
    oh, ow = h // kh, w // kw
    out = np.empty(lead + (oh, ow), x.dtype)
    arg_w = np.empty(n * h * ow, np.uint8)
    arg_h = np.empty((n * oh, ow), np.uint8)
    _window_max_2x2_fused(x.reshape(n, h, w), out.reshape(n, oh, ow), arg_w, arg_h)
    # _stages drops a stage's last axis when it is 1: keep the NumPy path's shapes, which its
    # scatter and gather (and a NumPy-path backward of this forward) broadcast against
    return out, (arg_w, arg_h[:, 0] if ow == 1 else arg_h)


@op("window_scatter", keep="b", node_name="MaxPool2DWithIndicesBackwardBackward0")
def _window_scatter(m, g, arg, k):
    """The adjoint of window_gather: g written at each window's argmax, zeros elsewhere."""
    nd = len(k)
    shape = g.shape[:g.ndim - nd] + tuple(g.shape[g.ndim - nd + i] * k[i] for i in range(nd))
    if _window_scatter_2d_fused is not None and tuple(k) == (2, 2) and g.dtype in _FUSED_DTYPES and \
            g.flags.c_contiguous and g.size > 0:
        res = np.zeros(shape, g.dtype)
        n, oh, ow = g.size // (g.shape[-2] * g.shape[-1]), g.shape[-2], g.shape[-1]
        _window_scatter_2d_fused(g.reshape(n, oh, ow), k[0], k[1], arg[0],
                                 arg[1].reshape(n * oh, ow), res.reshape(n, shape[-2], shape[-1]))
        return res
    # g * mask writes every element once, but 0 * inf is NaN: non-finite g takes the exact path
    exact = not np.isfinite(np.add.reduce(g, axis=None))
    cur = g
    for s, ((pkq, before, _), a) in enumerate(zip(reversed(_stages(shape, k)), reversed(arg))):
        if s == nd - 1:
            res = np.zeros(before, g.dtype) if exact else np.empty(before, g.dtype)
        else:
            res = scratch(("pool", s % 2), before, g.dtype, zero=exact)
        r = _split(res, pkq)
        gc = cur.reshape(pkq[0], pkq[2])
        if pkq[2] == 1:
            gc = gc[:, 0]
        kk = pkq[1]
        if exact:
            for j in range(kk):
                np.copyto(r[:, j], gc, where=(a == j))
        elif kk == 2:
            np.multiply(gc, a, out=r[:, 1])
            np.subtract(gc, r[:, 1], out=r[:, 0])      # exact: g - g*1 = 0, g - g*0 = g
        else:
            mask = np.empty(a.shape, dtype=bool)
            for j in range(kk):
                np.equal(a, j, out=mask)
                np.multiply(gc, mask, out=r[:, j])
        cur = res
    return cur


@op("window_gather", keep="b", node_name="MaxPool2DWithIndicesBackward0")
def _window_gather(m, x, arg, k):
    """Each window's element at its argmax (the stages of ``arg`` applied in turn)."""
    cur = x
    for (pkq, _, after), a in zip(_stages(x.shape, k), arg):
        v = _split(cur, pkq)
        res = v[:, 0].copy()
        for j in range(1, pkq[1]):
            np.copyto(res, v[:, j], where=(a == j))
        cur = res.reshape(after)
    return cur


_max_pool_window.derivative((
    lambda m, g, x, saved, out, k: _run(m, _window_scatter, (g, saved.arg), {"k": k}), None))
_window_scatter.derivative((
    lambda m, gg, g, arg, out, k: _run(m, _window_gather, (gg, arg), {"k": k}), None))
_window_gather.derivative((
    lambda m, gg, x, arg, out, k: _run(m, _window_scatter, (gg, arg), {"k": k}), None))


def _non_overlapping(x, k, s, p, d):
    # each stage stores offsets as uint8 (at most 256 per dimension); windows stay within 256
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
