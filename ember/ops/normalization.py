"""Normalization: one fused op standardises over a set of axes (xhat = (x - mean) / std, biased
variance); batch, group and instance norm are that op plus an elementwise affine. Layer norm
with a weight (the common case) is one op with its affine, ``native_layer_norm``."""
import math

import numpy as np

from .. import _jit
from .._errors import EmberRuntimeError
from .._state import state
from . import dispatch
from .conv import scratch
from .registry import op


@op("native_norm", keep="a+out", node_name="NativeLayerNormBackward0")
def _standardize(m, x, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    xc *= 1.0 / np.sqrt(var + eps)
    return xc


@_standardize.derivative
def _standardize_grad(m, g, x, out, axes, eps):
    if type(g) is np.ndarray and g.shape == x.shape and g.dtype == x.dtype:
        return _standardize_grad_arrays(g, x, out, axes, eps)
    mu = m.mean(x, axis=axes, keepdims=True)
    var = m.mean((x - mu) * (x - mu), axis=axes, keepdims=True)
    invstd = 1 / m.sqrt(var + eps)
    return invstd * (g - m.mean(g, axis=axes, keepdims=True)
                     - out * m.mean(g * out, axis=axes, keepdims=True))


def _standardize_grad_arrays(g, x, out, axes, eps):
    """The rule above, operation for operation (so bit for bit), in two scratch arrays instead
    of seven temporaries: each fresh activation-sized array is a page-faulted allocation."""
    mu = x.mean(axis=axes, keepdims=True)
    a = np.subtract(x, mu)
    np.multiply(a, a, out=a)
    invstd = 1 / np.sqrt(a.mean(axis=axes, keepdims=True) + eps)
    mg = g.mean(axis=axes, keepdims=True)
    np.multiply(g, out, out=a)
    mgo = a.mean(axis=axes, keepdims=True)
    b = np.subtract(g, mg)
    np.multiply(out, mgo, out=a)
    b -= a
    b *= invstd
    return b


def standardize(x, axes, eps):
    if x._array.dtype.kind not in "fc" and x._array.dtype.name != "bfloat16":
        raise EmberRuntimeError(f"normalization expects a floating point input, got {x.dtype}")
    return dispatch.unary(_standardize, x, axes=tuple(axes), eps=float(eps))


def _channel_view(t, ndim):
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    if input._array.size == 0:
        # torch returns an empty result and leaves the running statistics alone (even for a
        # 1-D input of shape [0], which has no channel dimension)
        return input * 1
    if input.ndim < 2:
        raise EmberRuntimeError(f"batch_norm: expected at least 2-D input (N, C, ...), got "
                                f"{input.ndim}-D input of shape {list(input.shape)}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise EmberRuntimeError(f"batch_norm: {name} should have shape [{c}] (channels of "
                                    f"input {list(input.shape)}), got {list(t.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // max(c, 1)
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        y = standardize(input, axes, eps)
        if running_mean is not None:
            x = input._array
            mean = x.mean(axis=axes)
            var = x.var(axis=axes) * (n / (n - 1))        # running_var keeps the unbiased estimate
            rm, rv = running_mean._array, running_var._array
            rm *= 1 - momentum
            rm += momentum * mean.astype(rm.dtype)
            rv *= 1 - momentum
            rv += momentum * var.astype(rv.dtype)
            for t in (running_mean, running_var):
                if t._vc is not None:
                    t._vc.version += 1
    else:
        y = (input - _channel_view(running_mean, input.ndim)) * _channel_view(
            (running_var + eps).rsqrt(), input.ndim)
    if weight is not None:
        y = y * _channel_view(weight, input.ndim)
    if bias is not None:
        y = y + _channel_view(bias, input.ndim)
    return y


# --- layer norm with its affine as one op ---------------------------------------------------------
# y = xhat·w + b over the trailing D elements of each row, as torch's native_layer_norm: one
# forward, one rule. The row statistics are matrix-vector products (BLAS reads each row once; a
# NumPy reduction over a short last axis costs ~3x more), dweight and dbias are column sums
# (vector-matrix products), and the standardised rows and 1/std reach the rule through ``saved``,
# so the backward recomputes nothing.
class _SavedRows:
    __slots__ = ("rstd", "x", "xhat")

    def __init__(self):
        self.x = self.xhat = self.rstd = None


def _ones(n, dtype):
    o = _ONES.get((n, dtype))
    if o is None:
        if len(_ONES) > 64:           # varying batch sizes: keep the cache small
            _ONES.clear()
        o = _ONES[(n, dtype)] = np.ones(n, dtype=dtype)
        o.flags.writeable = False
    return o


_ONES = {}


# Note [Layer norm in numba]: with numba (ember/_jit.py) each row is read once for its mean,
# once for its variance, and once to write xhat and y, instead of ~6 NumPy passes; the
# backward is one loop over the rows too. A row's sums use eight partial sums (a serial sum
# would wait on each add's latency, and without fastmath LLVM may not reorder it), so the
# statistics differ from the BLAS products' in the last bits: tests compare within float
# tolerances, and a compiled plan calls the same loop as eager.
def _layer_norm_loop(x, w, b, c, xhat, y, rstd):
    """Rows of x (n, d) standardised into xhat, y = xhat·w + b; c = (0, 1, d, eps, has_b)."""
    n, d = x.shape
    zero, one, dd, eps, has_b = c[0], c[1], c[2], c[3], c[4] != c[0]
    d8 = d - d % 8
    for r in range(n):
        xr, hr, yr = x[r], xhat[r], y[r]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
        for j in range(0, d8, 8):
            a0 += xr[j]
            a1 += xr[j + 1]
            a2 += xr[j + 2]
            a3 += xr[j + 3]
            a4 += xr[j + 4]
            a5 += xr[j + 5]
            a6 += xr[j + 6]
            a7 += xr[j + 7]
        for j in range(d8, d):
            a0 += xr[j]
        mu = (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) / dd
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
        for j in range(0, d8, 8):
            v0 = xr[j] - mu
            v1 = xr[j + 1] - mu
            v2 = xr[j + 2] - mu
            v3 = xr[j + 3] - mu
            v4 = xr[j + 4] - mu
            v5 = xr[j + 5] - mu
            v6 = xr[j + 6] - mu
            v7 = xr[j + 7] - mu
            a0 += v0 * v0
            a1 += v1 * v1
            a2 += v2 * v2
            a3 += v3 * v3
            a4 += v4 * v4
            a5 += v5 * v5
            a6 += v6 * v6
            a7 += v7 * v7
        for j in range(d8, d):
            v0 = xr[j] - mu
            a0 += v0 * v0
        var = (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) / dd + eps
        rs = one / np.sqrt(var)
        rstd[r] = rs
        if has_b:
            for j in range(d):
                h = (xr[j] - mu) * rs
                hr[j] = h
                yr[j] = h * w[j] + b[j]
        else:
            for j in range(d):
                h = (xr[j] - mu) * rs
                hr[j] = h
                yr[j] = h * w[j]


def _layer_norm_grad_loop(g, xhat, rstd, w, c, dx, dw, db):
    """dx = rstd·(g·w - mean(g·w) - xhat·mean(g·w·xhat)) per row (dx may be xhat); dw, db
    (zeroed by the caller) receive the column sums of g·xhat and g."""
    n, d = g.shape
    zero, dd = c[0], c[2]
    d8 = d - d % 8
    for r in range(n):
        gr, hr, xr = g[r], xhat[r], dx[r]
        for j in range(d):
            db[j] += gr[j]
            dw[j] += gr[j] * hr[j]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
        b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = zero
        for j in range(0, d8, 8):
            u0 = gr[j] * w[j]
            u1 = gr[j + 1] * w[j + 1]
            u2 = gr[j + 2] * w[j + 2]
            u3 = gr[j + 3] * w[j + 3]
            u4 = gr[j + 4] * w[j + 4]
            u5 = gr[j + 5] * w[j + 5]
            u6 = gr[j + 6] * w[j + 6]
            u7 = gr[j + 7] * w[j + 7]
            a0 += u0
            a1 += u1
            a2 += u2
            a3 += u3
            a4 += u4
            a5 += u5
            a6 += u6
            a7 += u7
            b0 += u0 * hr[j]
            b1 += u1 * hr[j + 1]
            b2 += u2 * hr[j + 2]
            b3 += u3 * hr[j + 3]
            b4 += u4 * hr[j + 4]
            b5 += u5 * hr[j + 5]
            b6 += u6 * hr[j + 6]
            b7 += u7 * hr[j + 7]
        for j in range(d8, d):
            u0 = gr[j] * w[j]
            a0 += u0
            b0 += u0 * hr[j]
        c1 = (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) / dd
        c2 = (((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7))) / dd
        rs = rstd[r]
        for j in range(d):
            xr[j] = (gr[j] * w[j] - hr[j] * c2 - c1) * rs


_layer_norm_rows = _jit.kernel(_layer_norm_loop)
_layer_norm_grad_rows = _jit.kernel(_layer_norm_grad_loop)
_JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _ln_constants(dtype, d, eps, has_b):
    return np.array((0, 1, d, eps, has_b), dtype=dtype)


@op("native_layer_norm", keep="abd", node_name="NativeLayerNormBackward0")
def _layer_norm(m, x, w, b, saved, d=1, eps=1e-5):
    """layer norm over the trailing ``d`` elements of ``x`` (a real floating array), then ×w+b
    (``b`` may be None); ``saved`` (or None) receives x, the standardised rows and 1/std."""
    rows = x.reshape(-1, d)
    if _layer_norm_rows is not None and x.dtype in _JIT_DTYPES and rows.flags.c_contiguous \
            and w.flags.c_contiguous and (b is None or b.flags.c_contiguous):
        xhat = np.empty_like(rows)
        y = np.empty_like(rows)
        rstd = np.empty(rows.shape[0], x.dtype)
        wv = w.reshape(-1)
        _layer_norm_rows(rows, wv, wv if b is None else b.reshape(-1),
                         _ln_constants(x.dtype, d, eps, b is not None), xhat, y, rstd)
        if saved is not None:
            saved.x, saved.xhat, saved.rstd = x, xhat, rstd
        return y.reshape(x.shape)
    ones = _ones(d, x.dtype)
    mu = rows @ ones
    mu /= d
    xc = rows - mu[:, None]
    var = np.einsum("ij,ij->i", xc, xc)
    var /= d
    var += eps
    rstd = np.sqrt(var, out=var)
    np.divide(1, rstd, out=rstd)
    xc *= rstd[:, None]
    y = xc * w.reshape(-1)
    if b is not None:
        y += b.reshape(-1)
    if saved is not None:
        saved.x, saved.xhat, saved.rstd = x, xc, rstd
    return y.reshape(x.shape)


def _layer_norm_grad(m, g, x, w, b, saved, out, d=1, eps=1e-5):
    if getattr(m, "is_tensor_namespace", False) or saved is None or saved.x is not x \
            or saved.xhat is None or type(g) is not np.ndarray or g.shape != x.shape \
            or g.dtype != x.dtype:
        return _layer_norm_grad_generic(m, g, x, w, d, eps)
    xhat, rstd = saved.xhat, saved.rstd
    g2 = g.reshape(-1, d)
    wv = w.reshape(-1)
    if _layer_norm_grad_rows is not None and g.dtype in _JIT_DTYPES and g2.flags.c_contiguous \
            and xhat.flags.c_contiguous and wv.flags.c_contiguous:
        dw = np.zeros(d, g.dtype)
        db = np.zeros(d, g.dtype)
        # dx over xhat, as below: the rule is its last reader
        dx, saved.xhat = xhat, None
        _layer_norm_grad_rows(g2, xhat, rstd, wv, _ln_constants(g.dtype, d, eps, False), dx, dw,
                              db)
        return dx.reshape(x.shape), dw.reshape(w.shape), db.reshape(w.shape), None
    onesr = _ones(g2.shape[0], g.dtype)
    db = onesr @ g2
    # one temporary, from a reused buffer: writing a fresh activation-sized array costs ~2x
    t = scratch("layer_norm", g2.shape, g2.dtype)
    np.multiply(g2, xhat, out=t)
    dw = onesr @ t
    c2 = t @ wv                         # sum over the row of (g·w)·xhat
    c2 /= d
    c1 = g2 @ wv                        # sum over the row of g·w
    c1 /= d
    np.multiply(xhat, c2[:, None], out=t)
    # dx = rstd·(g·w - mean(g·w) - xhat·mean(g·w·xhat)), written over xhat: the rule is its
    # last reader (a second backward through a retained graph takes the generic path)
    dx, saved.xhat = xhat, None
    np.multiply(g2, wv, out=dx)
    dx -= t
    dx -= c1[:, None]
    dx *= rstd[:, None]
    return dx.reshape(x.shape), dw.reshape(w.shape), db.reshape(w.shape), None


def _layer_norm_grad_generic(m, g, x, w, d, eps):
    """The rule in the rule dialect (double backward, or without the forward's rows)."""
    k = x.ndim - w.ndim
    axes = tuple(range(k, x.ndim))
    mu = m.mean(x, axis=axes, keepdims=True)
    xc = x - mu
    invstd = 1 / m.sqrt(m.mean(xc * xc, axis=axes, keepdims=True) + eps)
    xhat = xc * invstd
    gh = g * w
    gx = invstd * (gh - m.mean(gh, axis=axes, keepdims=True)
                   - xhat * m.mean(gh * xhat, axis=axes, keepdims=True))
    # the engine sums dweight and dbias over the leading axes
    return gx, g * xhat, g, None


_layer_norm.derivative(_layer_norm_grad)


def _fused_layer_norm_fits(input, weight, bias, normalized_shape):
    x = input._array
    if x.dtype.kind != "f" or x.dtype.itemsize < 4 or weight is None:
        return False
    w = weight._array
    if w.dtype != x.dtype or tuple(w.shape) != tuple(normalized_shape):
        return False
    return bias is None or (bias._array.dtype == x.dtype
                            and tuple(bias.shape) == tuple(normalized_shape))


def layer_norm(input, normalized_shape, weight, bias, eps):
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != tuple(normalized_shape):
        raise EmberRuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
            f"{list(input.shape)}")
    if k and input._array.size and _fused_layer_norm_fits(input, weight, bias, normalized_shape):
        live = state.grad_enabled and (input._edge is not None or weight._edge is not None or (
            bias is not None and bias._edge is not None))
        return dispatch.apply(_layer_norm, (input, weight, bias,
                                            _SavedRows() if live else None),
                              {"d": math.prod(normalized_shape), "eps": float(eps)})
    y = standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(input, num_groups, weight, bias, eps):
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise EmberRuntimeError(f"Expected number of channels in input to be divisible by "
                                f"num_groups, but got input of shape {list(input.shape)} and "
                                f"num_groups={num_groups}")
    # explicit group size: with an empty batch, -1 would be ambiguous
    per_group = (c // num_groups) * math.prod(input.shape[2:])
    y = standardize(input.reshape(n, num_groups, per_group), (2,), eps).reshape(
        tuple(input.shape))
    if weight is not None:
        y = y * _channel_view(weight, input.ndim)
    if bias is not None:
        y = y + _channel_view(bias, input.ndim)
    return y


def instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps):
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        y = standardize(input, axes, eps)
        if running_mean is not None:
            x = input._array
            n = int(np.prod(x.shape[2:]))
            mean = x.mean(axis=axes).mean(0)
            var = (x.var(axis=axes) * (n / max(n - 1, 1))).mean(0)
            running_mean._array *= 1 - momentum
            running_mean._array += momentum * mean.astype(running_mean._array.dtype)
            running_var._array *= 1 - momentum
            running_var._array += momentum * var.astype(running_var._array.dtype)
    else:
        y = (input - _channel_view(running_mean, input.ndim)) * _channel_view(
            (running_var + eps).rsqrt(), input.ndim)
    if weight is not None:
        y = y * _channel_view(weight, input.ndim)
    if bias is not None:
        y = y + _channel_view(bias, input.ndim)
    return y


def rms_norm(input, normalized_shape, weight, eps):
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != tuple(normalized_shape):
        raise EmberRuntimeError(f"rms_norm: expected input with trailing shape "
                                f"{list(normalized_shape)}, got {list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._array.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y
