"""Fused neural-network kernels: softmax family, losses (more: conv, pooling, norms)."""
import numpy as np

from .. import _jit
from .._errors import EmberIndexError, EmberRuntimeError
from ..tensor import _wrap_dim
from . import dispatch
from .registry import op, public


@op("softmax", keep="out", dtype_rule="float")
def _softmax(m, a, dim):
    e = m.exp(a - m.max(a, axis=dim, keepdims=True, initial=-m.inf))   # no overflow
    e /= m.sum(e, axis=dim, keepdims=True)
    return e


_softmax.derivative(lambda m, g, a, out, dim: out * (g - m.sum(g * out, axis=dim, keepdims=True)))


@op("log_softmax", keep="out", dtype_rule="float")
def _log_softmax(m, a, dim):
    shifted = a - m.max(a, axis=dim, keepdims=True, initial=-m.inf)
    shifted -= m.log(m.sum(m.exp(shifted), axis=dim, keepdims=True))
    return shifted


_log_softmax.derivative(lambda m, g, a, out, dim:
                        g - m.exp(out) * m.sum(g, axis=dim, keepdims=True))


def _softmax_call(opdef, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    nd = input._array.ndim
    if dim is None:
        dim = 0 if nd in (0, 1, 3) else 1     # torch's legacy implicit choice
    d = _wrap_dim(dim, nd)
    if input._array.dtype.kind not in "fc":
        input = input.float()
    if nd == 0:
        return dispatch.unary(opdef, input.reshape(1), dim=0).reshape(())
    return dispatch.unary(opdef, input, dim=d)


@public("softmax", method=True)
def softmax(input, dim=None, dtype=None):
    """softmax(input, dim, dtype=None) -> Tensor: exp(x) / sum(exp(x)) along ``dim``.

    Example:
        >>> torch.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([0.0900, 0.2447, 0.6652])
        >>> torch.softmax(torch.tensor([[0.0, 0.0], [0.0, 1.0]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.2689, 0.7311]])
    """
    return _softmax_call(_softmax, input, dim, dtype)


@public("log_softmax", method=True)
def log_softmax(input, dim=None, dtype=None):
    """log_softmax(input, dim, dtype=None) -> Tensor: x - logsumexp(x) along ``dim``.

    Example:
        >>> torch.log_softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([-2.4076, -1.4076, -0.4076])
    """
    return _softmax_call(_log_softmax, input, dim, dtype)


# --- losses -----------------------------------------------------------------------------------
def _reduce(m, x, reduction):
    if reduction == "mean":
        return m.mean(x)
    if reduction == "sum":
        return m.sum(x)
    return x


def _scale(m, g, reduction, n):
    return g / n if reduction == "mean" else g


@op("mse_loss", keep="ab", node_name="MseLossBackward0")
def _mse(m, a, b, reduction="mean"):
    d = a - b
    d *= d
    if reduction == "none":
        return d
    total = d.sum()
    # the array's own sum is several times cheaper than np.mean on small tensors
    return total / d.size if reduction == "mean" else total


def _mse_ga(m, g, a, b, out, reduction="mean"):
    if reduction == "mean":
        if type(a) is np.ndarray and a.shape == b.shape:
            n = a.size                  # the usual case, without broadcast_shapes' ~2 µs
        else:
            n = 1
            for s in np.broadcast_shapes(tuple(a.shape), tuple(b.shape)):
                n *= s
        g = g * (2.0 / n)
    else:
        g = g * 2.0
    return g * (a - b)


_mse.derivative((_mse_ga, lambda m, g, a, b, out, reduction="mean": -_mse_ga(m, g, a, b, out,
                                                                              reduction)))


def mse_loss(input, target, reduction="mean"):
    _check_reduction(reduction)
    if input.shape != target.shape:
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    try:
        return dispatch.binary(_mse, input, target, reduction=reduction)
    except EmberRuntimeError:
        raise EmberRuntimeError(f"mse_loss: the size of input {list(input.shape)} and target "
                                f"{list(target.shape)} cannot be broadcast together") from None


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


# --- negative log-likelihood family -------------------------------------------------------------
# cross_entropy = log_softmax + nll. The NLL step is written over a dense coefficient array
# ``coef`` (targets, class weights, ignore_index, label smoothing and the reduction's divisor all
# folded in): loss = -sum(coef * logp). Its gradient is just -coef * g, and since coef is a
# constant, double backward through cross-entropy comes for free.
@op("nll_coef", keep="ab", keep_for=("b", "a"), node_name="NllLossBackward0")
def _nll_coef(m, logp, coef, reduce=True):
    prod = coef * logp
    if reduce:
        return -m.sum(prod)
    return -m.sum(prod, axis=1)


def _nll_coef_grad(m, g, logp, coef, out, reduce=True):
    return -coef * g if reduce else -coef * m.expand_dims(g, 1)


def _nll_coef_target_grad(m, g, logp, coef, out, reduce=True):
    # only class-probability targets that require grad reach this (torch differentiates them)
    return -logp * g if reduce else -logp * m.expand_dims(g, 1)


_nll_coef.derivative((_nll_coef_grad, _nll_coef_target_grad))


def class_coefficients(target, n_classes, weight, ignore_index, label_smoothing, reduction,
                       dtype):
    """Dense (N, C, *d) coefficients for class-index targets of shape (N, *d)."""
    t = target.astype(np.int64, copy=False)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise EmberIndexError(f"Target {int(t[bad].flat[0])} is out of bounds (expected class "
                              f"indices in [0, {n_classes - 1}] or ignore_index={ignore_index})")
    safe = np.where(valid, t, 0)
    shape = (t.shape[0], n_classes) + t.shape[1:]
    coef = np.zeros(shape, dtype=dtype)
    w = np.ones(n_classes, dtype=dtype) if weight is None else weight.astype(dtype, copy=False)
    w_t = np.where(valid, w[safe], 0).astype(dtype)           # weight of each sample's class
    onehot_idx = np.expand_dims(safe, 1)
    np.put_along_axis(coef, onehot_idx, np.expand_dims(w_t * (1 - label_smoothing), 1), axis=1)
    if label_smoothing:
        wshape = (1, n_classes) + (1,) * (t.ndim - 1)
        coef += (label_smoothing / n_classes) * w.reshape(wshape) * np.expand_dims(valid, 1)
    if reduction == "mean":
        denom = w_t.sum()
        coef /= denom if denom != 0 else np.nan
    return coef


def prob_coefficients(target, weight, label_smoothing, reduction, dtype):
    """Coefficients for class-probability targets (same shape as the input)."""
    n_classes = target.shape[1]
    p = target.astype(dtype, copy=True)
    if label_smoothing:
        p = p * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        p *= weight.astype(dtype).reshape((1, n_classes) + (1,) * (target.ndim - 2))
    if reduction == "mean":
        p /= target.shape[0] * int(np.prod(target.shape[2:]))
    return p


def _soft_target_loss(logp, t, weight, label_smoothing, reduction, squeeze):
    """prob_coefficients built from ember ops, for targets that require grad."""
    n_classes = t.shape[1]
    p = t.to(logp.dtype)
    if label_smoothing:
        p = p * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        p = p * weight.to(logp.dtype).reshape((1, n_classes) + (1,) * (t.ndim - 2))
    if reduction == "mean":
        p = p / (t.shape[0] * int(np.prod(t.shape[2:])))
    res = dispatch.apply(_nll_coef, (logp, p), {"reduce": reduction != "none"})
    return res.squeeze(0) if squeeze and reduction == "none" else res


def _nll_from_logp(logp, coef_array, reduction):
    from ..tensor import wrap
    coef = wrap(coef_array)
    if reduction == "none":
        return dispatch.apply(_nll_coef, (logp, coef), {"reduce": False})
    return dispatch.apply(_nll_coef, (logp, coef))


# --- fused cross-entropy for class indices --------------------------------------------------------
# The common classifier loss, (N, C) logits and class-index targets without label smoothing, as one
# kernel and one rule: loss_i = (logsumexp(x_i) - x_i[t_i]) * cw_i, gradient (softmax - onehot)
# * cw * g. The per-row coefficient cw folds in class weights, ignore_index and the mean's
# divisor. Forward keeps its softmax (the size of the log_softmax torch keeps) for the rule; under
# create_graph the rule recomputes it with the softmax op, so double backward is differentiable.
class _SavedSoftmax:
    __slots__ = ("p",)

    def __init__(self):
        self.p = None


@op("cross_entropy_index", keep="abce", node_name="NllLossBackward0")
def _ce_index(m, x, t, cw, valid, saved, reduction="mean"):
    """sum_i (logsumexp(x_i) - x_i[t_i]) * cw_i (per row for reduction "none"); ``valid`` is
    None or the rows that count, ``saved.p`` receives softmax(x) for the rule."""
    loss = _ce_rows(x, t, saved)
    loss *= cw
    if valid is not None:
        loss[~valid] = 0                     # an ignored row adds nothing, even if not finite
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean" and valid is not None and not valid.any():
        total = total.dtype.type(np.nan)      # every target ignored: torch's mean is 0/0
    return total


# Elements per block of rows in _ce_rows: the shifted logits then need a block-sized scratch
# array, not a second logits-sized one (8 MB for the Transformer benchmark's 2048 x 1000).
_CE_BLOCK = 1 << 16


def _ce_rows(x, t, saved):
    """Per row: logsumexp(x_i) - x_i[t_i]; ``saved.p`` (if given) receives softmax(x) =
    exp(x - max) / sum(exp(x - max)), the exponentials being those the loss used (one exp
    pass over the logits, not two)."""
    n, c = x.shape
    rows = max(1, _CE_BLOCK // max(c, 1))
    if _ce_shift is not None and x.dtype in _JIT_DTYPES and x.flags.c_contiguous and c:
        return _ce_rows_jit(x, t, saved, rows)
    loss = np.empty(n, dtype=x.dtype)
    p = np.empty_like(x) if saved is not None else None
    sh = np.empty((min(rows, n), c), dtype=x.dtype)
    e = np.empty_like(sh) if p is None else None
    for r0 in range(0, n, rows):
        r1 = min(r0 + rows, n)
        k = r1 - r0
        xb, shb = x[r0:r1], sh[:k]
        eb = p[r0:r1] if p is not None else e[:k]
        np.subtract(xb, xb.max(axis=1, keepdims=True), out=shb)
        np.exp(shb, out=eb)
        total = eb.sum(axis=1)
        np.subtract(np.log(total), shb[np.arange(k), t[r0:r1]], out=loss[r0:r1])
        if p is not None:
            eb /= total[:, None]
    if saved is not None:
        saved.p = p
    return loss


# Note [Cross-entropy in numba]: with numba (ember/_jit.py) each block of rows is one loop
# (row maxima and the shifted logits), NumPy's exp (numba's scalar expf is 4x slower here and
# differs in the last bit), and one loop (row sums, then the division) while the block is in
# cache; the logarithm stays NumPy's, over all rows at once. The maxima and the shifts are
# NumPy's bits; the row sums use eight partial sums where NumPy's pairwise sum splits rows
# longer than 128 in halves, so the loss and softmax differ in the last bits.
def _ce_shift_loop(x, e, mx):
    """e = x - max(x) per row of the block x (k, C); mx (k,) receives the maxima."""
    k, n = x.shape
    n8 = n - n % 8
    for r in range(k):
        xr, er = x[r], e[r]
        m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = xr[0]
        # eight running maxima (one would wait on each comparison). A NaN may be passed over
        # here, unlike np.max; its row's sum, softmax and loss are NaN either way
        for j in range(0, n8, 8):
            m0 = max(m0, xr[j])
            m1 = max(m1, xr[j + 1])
            m2 = max(m2, xr[j + 2])
            m3 = max(m3, xr[j + 3])
            m4 = max(m4, xr[j + 4])
            m5 = max(m5, xr[j + 5])
            m6 = max(m6, xr[j + 6])
            m7 = max(m7, xr[j + 7])
        for j in range(n8, n):
            m0 = max(m0, xr[j])
        m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
        mx[r] = m
        for j in range(n):
            er[j] = xr[j] - m


def _ce_normalize_loop(e, total, divide, c):
    """total (k,) <- row sums of the exponentials e (k, C); e /= its row sums if ``divide``."""
    k, n = e.shape
    zero = c[0]
    n8 = n - n % 8
    for r in range(k):
        er = e[r]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
        for j in range(0, n8, 8):
            a0 += er[j]
            a1 += er[j + 1]
            a2 += er[j + 2]
            a3 += er[j + 3]
            a4 += er[j + 4]
            a5 += er[j + 5]
            a6 += er[j + 6]
            a7 += er[j + 7]
        for j in range(n8, n):
            a0 += er[j]
        s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        total[r] = s
        if divide:
            for j in range(n):
                er[j] = er[j] / s


_ce_shift = _jit.kernel(_ce_shift_loop)
_ce_normalize = _jit.kernel(_ce_normalize_loop)
_JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _ce_rows_jit(x, t, saved, rows):
    n, c = x.shape
    p = np.empty_like(x) if saved is not None else None
    e = np.empty((min(rows, n), c), dtype=x.dtype) if p is None else None
    mx = np.empty(n, dtype=x.dtype)
    total = np.empty(n, dtype=x.dtype)
    cst = np.zeros(1, dtype=x.dtype)
    for r0 in range(0, n, rows):
        r1 = min(r0 + rows, n)
        eb = p[r0:r1] if p is not None else e[:r1 - r0]
        _ce_shift(x[r0:r1], eb, mx[r0:r1])
        np.exp(eb, out=eb)
        _ce_normalize(eb, total[r0:r1], p is not None, cst)
    # log(total) - (x_t - max), as the NumPy path's log(total) - shifted_t
    loss = np.log(total)
    loss -= np.subtract(x[np.arange(n), t], mx)
    if saved is not None:
        saved.p = p
    return loss


def _ce_index_grad(m, g, x, t, cw, valid, saved, out, reduction="mean"):
    if getattr(m, "is_tensor_namespace", False):
        from ..tensor import wrap
        onehot = np.zeros(tuple(x.shape), dtype=x._array.dtype)
        onehot[np.arange(len(t)), t] = 1
        return (softmax(x, 1) - wrap(onehot)) * (g * wrap(cw)).reshape(-1, 1)
    if saved is not None and saved.p is not None:
        # the forward's softmax becomes the gradient in place (no fresh 8 MB array for the
        # usual logits); a second backward through a retained graph finds it gone and
        # recomputes it from x
        gx, saved.p = saved.p, None
    else:
        gx = _softmax.forward(m, x, 1)
    c = g * cw
    if np.ndim(g) == 0 and c.size and c[0] == c[-1] and (c == c[0]).all():
        gx *= c[0]                    # one weight for every row (the usual mean): a scalar
    else:                             # product runs ~3x faster than a broadcast column
        gx *= c[:, None]
    gx[np.arange(len(t)), t] -= c
    return gx


_ce_index.derivative((_ce_index_grad, None, None, None, None))


def _fused_cross_entropy(x, target, weight, ignore_index, reduction):
    """cross_entropy for 2-D float logits and class indices, label_smoothing == 0, N > 0."""
    n, c = x.shape
    dt = x._array.dtype
    t = target if target.dtype == np.int64 else target.astype(np.int64)
    valid = None
    if t.min() < 0 or t.max() >= c or 0 <= ignore_index < c:
        ok = t != ignore_index
        bad = ok & ((t < 0) | (t >= c))
        if bad.any():
            raise EmberIndexError(f"Target {int(t[bad][0])} is out of bounds (expected class "
                                  f"indices in [0, {c - 1}] or ignore_index={ignore_index})")
        if not ok.all():
            valid = ok
            t = np.where(ok, t, 0)
    if weight is None and valid is None:
        cw = np.full(n, 1.0 / n if reduction == "mean" else 1.0, dtype=dt)
    else:
        cw = np.ones(n, dtype=dt) if weight is None else weight.astype(dt, copy=False)[t]
        if valid is not None:
            cw *= valid
        if reduction == "mean":
            cw = cw / cw.sum()                # a zero total weight gives NaN/inf, as in torch,
            if valid is not None:
                cw[~valid] = 0                # but ignored rows keep a zero gradient
    saved = _SavedSoftmax() if x._edge is not None else None
    return dispatch.apply(_ce_index, (x, t, cw, valid, saved), {"reduction": reduction})


def _check_targets(name, input, target, weight):
    if input.ndim == 0:
        raise EmberRuntimeError(f"{name}: input must have at least 1 dimension (got a 0-dim "
                                "tensor)")
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise EmberRuntimeError(f"{name}: weight tensor should be defined either for all "
                                f"{n_classes} classes or no classes but got weight tensor of shape:"
                                f" {list(weight.shape)}")
    return n_classes


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise EmberRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                                f"{label_smoothing}")
    n_classes = _check_targets("cross_entropy", input, target, weight)
    squeeze = input.ndim == 1
    x = input.unsqueeze(0) if squeeze else input
    t = target.unsqueeze(0) if squeeze else target
    tk = t._array.dtype.kind
    if tk in "iu" and x.ndim == 2 and not label_smoothing and x.shape[0] and x.shape[1] \
            and x._array.dtype.kind == "f" and tuple(t.shape) == (x.shape[0],):
        res = _fused_cross_entropy(x, t._array, None if weight is None else weight._array,
                                   ignore_index, reduction)
        return res.squeeze(0) if squeeze and reduction == "none" else res
    logp = log_softmax(x, 1)
    dt = logp._array.dtype
    w = None if weight is None else weight._array
    if tk in "fc":
        if tuple(t.shape) != tuple(x.shape):
            raise EmberRuntimeError(
                f"cross_entropy: class-probability targets must have the input's shape "
                f"{list(x.shape)}, got {list(t.shape)}; class-index targets must be integer "
                f"tensors of shape {[x.shape[0]] + list(x.shape[2:])} (got {t.dtype})")
        if t._edge is not None:
            return _soft_target_loss(logp, t, weight, label_smoothing, reduction, squeeze)
        coef = prob_coefficients(t._array, w, label_smoothing, reduction, dt)
    elif tk in "iu":
        if tuple(t.shape) != (x.shape[0],) + tuple(x.shape[2:]):
            raise EmberRuntimeError(
                f"cross_entropy: expected target of shape {[x.shape[0]] + list(x.shape[2:])} "
                f"(class indices for input of shape {list(x.shape)}), got {list(t.shape)}")
        coef = class_coefficients(t._array, n_classes, w, ignore_index, label_smoothing,
                                  reduction, dt)
    else:
        raise EmberRuntimeError(f"cross_entropy: target must hold class indices (int64) or class "
                                f"probabilities (floating), got {t.dtype}")
    res = _nll_from_logp(logp, coef, reduction)
    return res.squeeze(0) if squeeze and reduction == "none" else res


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    _check_reduction(reduction)
    n_classes = _check_targets("nll_loss", input, target, weight)
    squeeze = input.ndim == 1
    x = input.unsqueeze(0) if squeeze else input
    t = target.unsqueeze(0) if squeeze else target
    if t._array.dtype.kind not in "iu":
        raise EmberRuntimeError(f"nll_loss: expected target of integer class indices (int64), "
                                f"got {t.dtype}")
    if tuple(t.shape) != (x.shape[0],) + tuple(x.shape[2:]):
        raise EmberRuntimeError(f"nll_loss: expected target of shape "
                                f"{[x.shape[0]] + list(x.shape[2:])}, got {list(t.shape)}")
    coef = class_coefficients(t._array, n_classes, None if weight is None else weight._array,
                              ignore_index, 0.0, reduction, x._array.dtype)
    res = _nll_from_logp(x, coef, reduction)
    return res.squeeze(0) if squeeze and reduction == "none" else res
