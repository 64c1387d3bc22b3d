"""Convolution in 1, 2 and 3 spatial dimensions, and its adjoints.

Three ops close under differentiation, so double backward needs no extra code:
    y  = conv(x, w)                          (+ bias)
    gx = conv_input_grad(g, w)   — also the forward of transposed convolution
    gw = conv_weight_grad(g, x)
with  d gx/dg = conv(., w),  d gx/dw = conv_weight_grad(g, .),
      d gw/dg = conv(x, .),  d gw/dx = conv_input_grad(g, .).

Note [Conv workspace]: conv and conv_weight_grad are im2col + GEMM, but the column matrix is
never built for the whole batch. It is K times the input (25x for a 5x5 kernel): 5 MB for
LeNet's first layer at batch 64, freshly allocated memory that the kernel must page in (on this
VM a page fault costs as much as the copy that fills the page). Instead one L2-sized buffer is
filled with the columns of a few samples at a time and reused, each chunk's GEMM writing straight
into its rows of the result. The weight gradient rebuilds the columns the same way rather than
keeping the forward's: the rebuild reads a small, cache-warm input, which measured cheaper than
holding and faulting in the full matrix (benchmarks/NOTES.md), and memory stays O(input).
The buffer and the other temporaries that never leave a kernel (padded input, transposed
gradient, batch-last result) come from ``scratch``: per-thread buffers kept between calls, so
that they are paged in once, not on every call (up to 4 MiB each; larger ones are allocated
per call). The NOTES.md experiment predates them: keeping the forward's columns in such
buffers was retried and still lost (benchmarks/notes/conv.md).

Note [Conv batch-last]: with few output positions per sample (L = prod(out), LeNet's second
layer: L = 100) the per-sample layout is slow twice over: the column copy runs along output
rows of out[-1] elements (10 floats), and each GEMM is (O, C*K) @ (C*K, L), too narrow for
BLAS. Such convolutions put the batch last instead: the input is copied once to
(C, *spatial, N), its windows (C, *k, *out, N) are copied in contiguous runs of out[-1] * N
elements, and one GEMM per chunk of output rows covers the whole batch. The result (O, *out, N)
is transposed back in one copy. The weight gradient takes the same columns times g laid out as
(*out, N, O). Above L = 256 (LeNet's first layer: 784) the per-sample GEMMs are wide enough and
the extra transposes of input and result cost more than they save (benchmarks/notes/conv.md).
The bias, when dtypes agree, is one more weight column against a row of ones in the columns.
"""
import itertools
import math
import threading

import numpy as np

from . import dispatch
from .linalg_ops import bias_grad_ones
from .registry import op

_as_strided = np.lib.stride_tricks.as_strided
_CHUNK_BYTES = 1 << 19     # column buffer per chunk of samples: well inside a 1 MiB L2
_BATCH_LAST_MAX_L = 256    # output positions per sample up to which conv goes batch-last
_SCRATCH_MAX = 1 << 22     # larger temporaries are allocated per call
_local = threading.local()
_prod = math.prod


def scratch(slot, shape, dtype, zero=False):
    """An array from a per-thread buffer that the kernels reuse across calls (Note [Conv
    workspace]): it must not outlive the kernel, and one kernel uses each slot once."""
    dtype = np.dtype(dtype)
    nbytes = _prod(shape) * dtype.itemsize
    if nbytes > _SCRATCH_MAX:
        return (np.zeros if zero else np.empty)(shape, dtype)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = bufs[slot] = np.empty(max(nbytes, 4096), np.uint8)
    res = buf[:nbytes].view(dtype).reshape(shape)
    if zero:
        res.fill(0)
    return res


def _pad(x, padding):
    """Zero padding of the spatial dimensions (np.pad costs ~5x more on these small arrays)."""
    if not any(padding):
        return x
    spatial = x.shape[2:]
    res = scratch("pad", x.shape[:2] + tuple(n + 2 * p for n, p in zip(spatial, padding)),
                  x.dtype, zero=True)
    res[(slice(None), slice(None)) + tuple(slice(p, p + n) for n, p in zip(spatial, padding))] = x
    return res


def _out_shape(x_shape, kshape, stride, padding, dilation):
    return tuple((x_shape[2 + i] + 2 * padding[i] - dilation[i] * (k - 1) - 1) // stride[i] + 1
                 for i, k in enumerate(kshape))


def _windows(x, kshape, stride, padding, dilation):
    """(N, C, *k, *out) strided view of the input's patches (no copy), and ``out``.

    Ordered so that copying it runs along contiguous output rows and each sample's columns
    (C*K, L) multiply the weights into a result already in (N, O, *out) order."""
    nd = len(kshape)
    xp = _pad(x, padding)
    out = tuple((xp.shape[2 + i] - dilation[i] * (kshape[i] - 1) - 1) // stride[i] + 1
                for i in range(nd))
    st = xp.strides
    win = _as_strided(xp, xp.shape[:2] + tuple(kshape) + out,
                      st[:2] + tuple(st[2 + i] * dilation[i] for i in range(nd))
                      + tuple(st[2 + i] * stride[i] for i in range(nd)), writeable=False)
    return win, out


def _column_chunks(win, groups, ones=False):
    """Yield (n0, n1, cols) over the batch, cols the (n1-n0, [G,] Cg*K, L) columns of samples
    n0:n1, all chunks sharing one buffer (Note [Conv workspace]). ``ones`` (one group only)
    appends a row of ones, so that a bias column in the weights adds the bias in the GEMM."""
    n, c = win.shape[:2]
    nd = (win.ndim - 2) // 2
    kshape, out = win.shape[2:2 + nd], win.shape[2 + nd:]
    ck, lsz = (c // groups) * _prod(kshape), _prod(out)
    if all(k == 1 for k in kshape) and not ones:
        # a 1x1 kernel's columns are the input itself: a view where the strides allow
        yield 0, n, win.reshape((n,) + ((ck, lsz) if groups == 1 else (groups, ck, lsz)))
        return
    rows = c * _prod(kshape) + ones
    step = max(1, min(n, _CHUNK_BYTES // max(1, rows * lsz * win.itemsize)))
    buf = scratch("cols", (step, rows, lsz), win.dtype)
    if ones:
        buf[:, -1] = 1
    dst = buf[:, :c * _prod(kshape)].reshape(buf.shape[:1] + win.shape[1:])
    shape = (rows, lsz) if groups == 1 else (groups, ck, lsz)
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        np.copyto(dst[:n1 - n0], win[n0:n1])
        yield n0, n1, buf[:n1 - n0].reshape((n1 - n0,) + shape)


def _batch_last(n, out, kshape, groups):
    """Whether conv and its weight gradient take the batch-last layout (Note [Conv batch-last])."""
    return (groups == 1 and n > 1 and _prod(out) <= _BATCH_LAST_MAX_L
            and not all(k == 1 for k in kshape))


def _windows_batch_last(x, kshape, stride, padding, dilation):
    """(C, *k, *out, N) strided view of the input's patches, over one batch-last (padded) copy
    of the input; and ``out``."""
    nd = len(kshape)
    n, c = x.shape[:2]
    sp = tuple(x.shape[2 + i] + 2 * padding[i] for i in range(nd))
    xp = scratch("pad", (c,) + sp + (n,), x.dtype, zero=any(padding))
    xp[(slice(None),) + tuple(slice(p, p + x.shape[2 + i]) for i, p in enumerate(padding))] = \
        x.transpose(tuple(range(1, nd + 2)) + (0,))
    out = tuple((sp[i] - dilation[i] * (kshape[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    st = xp.strides
    win = _as_strided(xp, (c,) + tuple(kshape) + out + (n,),
                      (st[0],) + tuple(st[1 + i] * dilation[i] for i in range(nd))
                      + tuple(st[1 + i] * stride[i] for i in range(nd)) + (st[-1],),
                      writeable=False)
    return win, out


def _row_chunks(win, out, ones=False):
    """Yield (r0, r1, cols): cols the (C*K, (r1-r0)*prod(out[1:])*N) columns of output rows
    r0:r1 of a batch-last window view, all chunks sharing one buffer; ``ones`` appends a row of
    ones (see _column_chunks)."""
    nd = len(out)
    c, n = win.shape[0], win.shape[-1]
    ck = c * _prod(win.shape[1:1 + nd])
    width = _prod(out[1:]) * n
    step = max(1, min(out[0], _CHUNK_BYTES // max(1, (ck + ones) * width * win.itemsize)))
    buf = scratch("cols", ((ck + ones) * step * width,), win.dtype)
    every = (slice(None),) * (1 + nd)
    for r0 in range(0, out[0], step):
        r1 = min(out[0], r0 + step)
        cols = buf[:(ck + ones) * (r1 - r0) * width].reshape(ck + ones, -1)
        np.copyto(cols[:ck].reshape(win.shape[:1 + nd] + (r1 - r0,) + win.shape[2 + nd:]),
                  win[every + (slice(r0, r1),)])
        if ones:
            cols[ck] = 1
        yield r0, r1, cols


def _weights(w, groups):
    """(O, C/G, *k) -> (Og, Cg*K) for one group (a plain 2-D GEMM operand), else (G, Og, Cg*K)."""
    if groups == 1:
        return w.reshape(w.shape[0], -1)
    return w.reshape(groups, w.shape[0] // groups, -1)


def _conv_kernel(m, x, w, b=None, *, stride, padding, dilation, groups):
    n = x.shape[0]
    o = w.shape[0]
    kshape = w.shape[2:]
    # the bias as one more weight column against a row of ones saves a pass over the output
    fuse = b is not None and groups == 1 and x.dtype == w.dtype == b.dtype
    wm = _weights(w, groups)
    if fuse:
        wm = np.concatenate((wm, b.reshape(o, 1)), axis=1)
    if _batch_last(n, _out_shape(x.shape, kshape, stride, padding, dilation), kshape, groups):
        nd = len(kshape)
        win, out = _windows_batch_last(x, kshape, stride, padding, dilation)
        yt = scratch("out", (o,) + out + (n,), np.result_type(x, w))
        for r0, r1, cols in _row_chunks(win, out, fuse):
            np.matmul(wm, cols, out=yt[:, r0:r1].reshape(o, -1))
        y = yt.transpose((nd + 1, 0) + tuple(range(1, nd + 1))).copy()
    else:
        win, out = _windows(x, kshape, stride, padding, dilation)
        lsz = _prod(out)
        y = np.empty((n, o, lsz) if groups == 1 else (n, groups, o // groups, lsz),
                     dtype=np.result_type(x, w))
        for n0, n1, cols in _column_chunks(win, groups, fuse):
            np.matmul(wm, cols, out=y[n0:n1])
        y = y.reshape((n, o) + out)
    if b is None or fuse:
        return y
    bb = b.reshape((1, o) + (1,) * len(out))
    if bb.dtype == y.dtype:
        y += bb              # y is fresh: add the bias in place
        return y
    return y + bb


def _input_grad_kernel(m, g, w, *, x_shape, stride, padding, dilation, groups):
    """col2im without the column matrix: for each kernel offset, one GEMM (C, O) @ (O, L*N)
    into a reused buffer, added at that offset's window of the (padded) input gradient.

    Batch-last layout (C, *spatial, N): the GEMM needs g as one (O, L*N) matrix, and each add
    then runs over contiguous blocks of out[-1] * N elements, not rows of out[-1]."""
    nd = g.ndim - 2
    n, o = g.shape[:2]
    out = tuple(g.shape[2:])
    kshape = tuple(w.shape[2:])
    c = x_shape[1]
    cg, og = c // groups, o // groups
    dt = np.result_type(g, w)
    gt = scratch("g", (o,) + out + (n,), g.dtype)                             # (O, *out, N)
    np.copyto(gt, g.transpose(tuple(range(1, nd + 2)) + (0,)))
    # per kernel offset, the (Cg, Og) transposed weight slice of each group
    wk = w.reshape(groups, og, cg, -1).transpose(3, 0, 2, 1)                # (K, G, Cg, Og)
    if groups == 1:
        gt, wk = gt.reshape(o, -1), wk[:, 0]
    else:
        gt = gt.reshape(groups, og, -1)
    part = scratch("cols", (c,) + out + (n,), dt)
    part_m = part.reshape(c, -1) if groups == 1 else part.reshape(groups, cg, -1)
    dx = scratch("out", (c,) + tuple(x_shape[2 + i] + 2 * padding[i] for i in range(nd)) + (n,),
                 dt, zero=True)
    every = (slice(None),)
    # each kernel offset's window of dx, per dimension, in the order of wk's offsets
    spans = [[slice(j * dilation[i], j * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
              for j in range(kshape[i])] for i in range(nd)]
    for j, win in enumerate(itertools.product(*spans)):
        np.matmul(wk[j], gt, out=part_m)
        dx[every + win + every] += part
    if any(padding):
        dx = dx[every + tuple(slice(p, p + x_shape[2 + i]) for i, p in enumerate(padding))]
    # back to (N, C, *spatial): one copy crops and transposes
    return dx.transpose((nd + 1, 0) + tuple(range(1, nd + 1))).copy()


def _weight_grad_kernel(m, g, x, *, w_shape, stride, padding, dilation, groups):
    """sum over samples of g[n] @ cols[n].T, the columns rebuilt chunk by chunk; batch-last
    (Note [Conv batch-last]): cols @ g laid out as (*out, N, O), per chunk of output rows."""
    n, o = g.shape[:2]
    og = o // groups
    kshape = tuple(w_shape[2:])
    if _batch_last(n, tuple(g.shape[2:]), kshape, groups):
        nd = g.ndim - 2
        win, out = _windows_batch_last(x, kshape, stride, padding, dilation)
        if out != tuple(g.shape[2:]):     # output_padding's extra rows, as below
            out = tuple(g.shape[2:])
            win = win[(slice(None),) * (1 + nd) + tuple(slice(0, k) for k in out)]
        chunks = _row_chunks(win, out)
        # g as (*out, N, O): each chunk of output rows is one contiguous (rows*N, O) operand
        gt = scratch("g", tuple(g.shape[2:]) + (n, o), g.dtype)
        np.copyto(gt, g.transpose(tuple(range(2, nd + 2)) + (0, 1)))
        acc = np.zeros((_prod(w_shape[1:]), o), dtype=np.result_type(g, x))
        part = np.empty_like(acc)
        for r0, r1, cols in chunks:
            acc += np.matmul(cols, gt[r0:r1].reshape(-1, o), out=part)
        return np.ascontiguousarray(acc.T).reshape(w_shape)
    ck = _prod(w_shape[1:])
    win, out = _windows(x, kshape, stride, padding, dilation)
    if out != tuple(g.shape[2:]):
        # x is a transposed conv's output grown by output_padding: its trailing rows have
        # windows that no entry of g reaches
        out = tuple(g.shape[2:])
        win = win[(slice(None),) * (win.ndim - len(out)) + tuple(slice(0, k) for k in out)]
    chunks = _column_chunks(win, groups)
    lsz = _prod(out)
    dt = np.result_type(g, x)
    acc = np.zeros((og, ck) if groups == 1 else (groups, og, ck), dtype=dt)
    g = np.ascontiguousarray(g).reshape((n, o, lsz) if groups == 1 else (n, groups, og, lsz))
    part = None
    for n0, n1, cols in chunks:
        cols_t = np.swapaxes(cols, -1, -2)                          # (m, [G,] L, Cg*K)
        if og <= lsz:
            # per-sample products no larger than the columns: one batched call and a sum
            if part is None:
                part = np.empty((n1 - n0,) + acc.shape, dtype=dt)
            prods = np.matmul(g[n0:n1], cols_t, out=part[:n1 - n0])
            acc += np.add.reduce(prods, axis=0)
        else:
            if part is None:
                part = np.empty(acc.shape, dtype=dt)
            for i in range(n1 - n0):
                acc += np.matmul(g[n0 + i], cols_t[i], out=part)
    return acc.reshape(w_shape)


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
    lambda m, g, x, w, b, out, **a: _run(m, CONV_INPUT_GRAD, (g, m.conj(w)),
                                         dict(_geom(a), x_shape=tuple(x.shape))),
    lambda m, g, x, w, b, out, **a: _run(m, CONV_WEIGHT_GRAD, (g, m.conj(x)),
                                         dict(_geom(a), w_shape=tuple(w.shape))),
    lambda m, g, x, w, b, out, **a: _bias_grad(m, g),
))


# Note [Conv bias gradient as products]: the bias gradient sums the output gradient over the
# batch and every spatial position. NumPy reduces axes (0, 2, 3) with strided passes; as
# products, G (N·C rows of H·W) · ones(H·W) and then ones(N) · that (N, C) result, it is 3.5x
# faster at LeNet's shapes ((64, 6, 24, 24): 167 -> 47 µs; (64, 16, 8, 8): 79 -> 23 µs) and
# rounds less (blocked sums), as linear's bias gradient (Note [Bias gradient as a product]).
def _bias_grad(m, g):
    if type(g) is np.ndarray and g.ndim >= 3 and g.flags.c_contiguous:
        n, c = g.shape[0], g.shape[1]
        rows = n * c
        ones = bias_grad_ones(g.size // rows if rows else 0, g.dtype)
        if ones is not None:
            per = np.matmul(g.reshape(rows, -1), ones).reshape(n, c)
            ones = bias_grad_ones(n, g.dtype)
            return np.matmul(ones, per) if ones is not None else per.sum(axis=0)
    return m.sum(g, axis=(0,) + tuple(range(2, g.ndim)))


def _crop(y, shape):
    """``y`` cut to ``shape``'s spatial size (the adjoint of output_padding's extra rows)."""
    if tuple(y.shape[2:]) == tuple(shape[2:]):
        return y
    return y[(slice(None), slice(None)) + tuple(slice(0, k) for k in shape[2:])]


CONV_INPUT_GRAD.derivative((
    lambda m, gg, g, w, out, x_shape, **a: _crop(_run(m, CONV, (gg, m.conj(w), None),
                                                      _geom(a)), g.shape),
    lambda m, gg, g, w, out, x_shape, **a: _run(m, CONV_WEIGHT_GRAD, (m.conj(g), gg),
                                                dict(_geom(a), w_shape=tuple(w.shape))),
))
CONV_WEIGHT_GRAD.derivative((
    lambda m, gg, g, x, out, w_shape, **a: _crop(_run(m, CONV, (m.conj(x), gg, None),
                                                      _geom(a)), g.shape),
    lambda m, gg, g, x, out, w_shape, **a: _run(m, CONV_INPUT_GRAD, (m.conj(g), gg),
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
