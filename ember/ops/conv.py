"""Convolution in 1, 2 and 3 spatial dimensions, and its adjoints.

Forward is im2col over a strided window view of the (zero-padded) input followed by one batched
GEMM per call (one matmul over all groups). Three ops close under differentiation, so double
backward needs no extra code:
    y  = conv(x, w)                          (+ bias)
    gx = conv_input_grad(g, w)   — also the forward of transposed convolution
    gw = conv_weight_grad(g, x)
with  d gx/dg = conv(., w),  d gx/dw = conv_weight_grad(g, .),
      d gw/dg = conv(x, .),  d gw/dx = conv_input_grad(g, .).
"""
import itertools

import numpy as np

from . import dispatch
from .registry import op

_as_strided = np.lib.stride_tricks.as_strided


def _prod(xs):
    n = 1
    for x in xs:
        n *= x
    return n


def _pad(x, padding):
    if not any(padding):
        return x
    return np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])


def _out_size(size, k, stride, padding, dilation):
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def _cols(x, kshape, stride, padding, dilation, groups):
    """im2col: (G, Cg*K, N*L) columns of input patches, and the output spatial shape.

    The window view is ordered (C, *k, N, *out) so the copy that materialises it runs along
    contiguous output rows, and the product with the weights is one GEMM per group."""
    nd = len(kshape)
    xp = _pad(x, padding)
    n, c = xp.shape[:2]
    out = tuple((xp.shape[2 + i] - dilation[i] * (kshape[i] - 1) - 1) // stride[i] + 1
                for i in range(nd))
    st = xp.strides
    win = _as_strided(xp, (c,) + tuple(kshape) + (n,) + out,
                      (st[1],) + tuple(st[2 + i] * dilation[i] for i in range(nd)) + (st[0],)
                      + tuple(st[2 + i] * stride[i] for i in range(nd)), writeable=False)
    return win.reshape(groups, (c // groups) * _prod(kshape), n * _prod(out)), out


def _gemm(a, b):
    """Batched (G, M, K) @ (G, K, N) as one 2-D BLAS call per group: NumPy's stacked matmul
    leaves BLAS for a slow loop when the operands are transposed views."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0])[None]
    return np.stack([np.matmul(a[i], b[i]) for i in range(a.shape[0])])


def _grad_rows(g, groups):
    """(N, O, *out) -> (G, Og, N*L), the layout the GEMMs want."""
    o = g.shape[1]
    return np.swapaxes(g, 0, 1).reshape(groups, o // groups, -1)


def _conv_kernel(m, x, w, b=None, *, stride, padding, dilation, groups):
    n = x.shape[0]
    o = w.shape[0]
    cols, out = _cols(x, w.shape[2:], stride, padding, dilation, groups)
    y = _gemm(w.reshape(groups, o // groups, -1), cols)              # (G, Og, N*L)
    y = np.swapaxes(y.reshape((o, n) + out), 0, 1)
    if b is None:
        return np.ascontiguousarray(y)
    res = np.empty(y.shape, dtype=np.result_type(y, b))
    np.add(y, b.reshape((1, o) + (1,) * len(out)), out=res)          # bias added while copying
    return res


def _input_grad_kernel(m, g, w, *, x_shape, stride, padding, dilation, groups):
    nd = g.ndim - 2
    n, o = g.shape[:2]
    out = g.shape[2:]
    kshape = w.shape[2:]
    c = x_shape[1]
    wg = w.reshape(groups, o // groups, -1)
    dcols = _gemm(np.swapaxes(wg, 1, 2), _grad_rows(g, groups))      # (G, Cg*K, N*L)
    dcols = dcols.reshape((c,) + tuple(kshape) + (n,) + tuple(out))
    padded = (n, c) + tuple(x_shape[2 + i] + 2 * padding[i] for i in range(nd))
    dx = np.zeros(padded, dtype=dcols.dtype)
    # col2im: one strided add per kernel offset (K iterations), never one per output pixel
    for idx in itertools.product(*(range(k) for k in kshape)):
        sl = (slice(None), slice(None)) + tuple(
            slice(idx[i] * dilation[i], idx[i] * dilation[i] + stride[i] * (out[i] - 1) + 1,
                  stride[i]) for i in range(nd))
        dx[sl] += np.swapaxes(dcols[(slice(None),) + idx], 0, 1)
    if not any(padding):
        return dx
    crop = (slice(None), slice(None)) + tuple(slice(p, p + x_shape[2 + i])
                                              for i, p in enumerate(padding))
    return np.ascontiguousarray(dx[crop])


def _weight_grad_kernel(m, g, x, *, w_shape, stride, padding, dilation, groups):
    cols, out = _cols(x, w_shape[2:], stride, padding, dilation, groups)
    return _gemm(_grad_rows(g, groups), np.swapaxes(cols, 1, 2)).reshape(w_shape)


CONV = op("convolution", keep="ab", node_name="ConvolutionBackward0")(_conv_kernel)
CONV_INPUT_GRAD = op("conv_input_grad", keep="ab",
                     node_name="ConvolutionBackwardBackward0")(_input_grad_kernel)
CONV_WEIGHT_GRAD = op("conv_weight_grad", keep="ab",
                      node_name="ConvolutionBackwardBackward1")(_weight_grad_kernel)


def _run(m, opdef, inputs, attrs):
    """Call an op from a rule: a kernel call on arrays, a recorded op on Tensors."""
    if getattr(m, "is_tensor_namespace", False):
        return dispatch.apply(opdef, inputs, attrs)
    return opdef.forward(m, *inputs, **attrs)


def _geom(attrs):
    return {k: attrs[k] for k in ("stride", "padding", "dilation", "groups")}


CONV.derivative((
    lambda m, g, x, w, b, out, **a: _run(m, CONV_INPUT_GRAD, (g, w),
                                         dict(_geom(a), x_shape=tuple(x.shape))),
    lambda m, g, x, w, b, out, **a: _run(m, CONV_WEIGHT_GRAD, (g, x),
                                         dict(_geom(a), w_shape=tuple(w.shape))),
    lambda m, g, x, w, b, out, **a: m.sum(g, axis=(0,) + tuple(range(2, g.ndim))),
))
CONV_INPUT_GRAD.derivative((
    lambda m, gg, g, w, out, x_shape, **a: _run(m, CONV, (gg, w, None), _geom(a)),
    lambda m, gg, g, w, out, x_shape, **a: _run(m, CONV_WEIGHT_GRAD, (g, gg),
                                                dict(_geom(a), w_shape=tuple(w.shape))),
))
CONV_WEIGHT_GRAD.derivative((
    lambda m, gg, g, x, out, w_shape, **a: _run(m, CONV, (x, gg, None), _geom(a)),
    lambda m, gg, g, x, out, w_shape, **a: _run(m, CONV_INPUT_GRAD, (g, gg),
                                                dict(_geom(a), x_shape=tuple(x.shape))),
))


def conv(input, weight, bias, stride, padding, dilation, groups):
    """Run the convolution op (arguments already validated and expanded to tuples)."""
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return dispatch.apply(CONV, (input, weight, bias), attrs)


def conv_transpose(input, weight, bias, stride, padding, output_padding, dilation, groups):
    """Transposed convolution = the adjoint of conv with respect to its input."""
    nd = input.ndim - 2
    n = input.shape[0]
    c_out = weight.shape[1] * groups
    spatial = tuple((input.shape[2 + i] - 1) * stride[i] - 2 * padding[i]
                    + dilation[i] * (weight.shape[2 + i] - 1) + output_padding[i] + 1
                    for i in range(nd))
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
             "x_shape": (n, c_out) + spatial}
    y = dispatch.apply(CONV_INPUT_GRAD, (input, weight), attrs)
    if bias is not None:
        y = y + bias.reshape((1, c_out) + (1,) * nd)
    return y
