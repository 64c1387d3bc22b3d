"""Fused loss kernels: the elementwise losses whose composition would take several passes
(smooth L1 / Huber, binary cross-entropy with and without logits) and the CTC loss.

Each elementwise op returns the unreduced loss; nn.functional (ember/nn/functional/loss.py)
checks arguments, applies weights and the reduction. The CTC loss runs the forward-backward
algorithm in log space, vectorised over the batch and the label positions, looping over time.
"""
import numpy as np

from .._errors import EmberRuntimeError
from . import dispatch
from .registry import op

_LOG_FLOOR = -100.0      # torch clamps BCE's logarithms so a 0/1 prediction costs 100, not inf
_BCE_EPS = 1e-12         # ... and its gradient's denominator x (1 - x) to at least this


# --- smooth L1 and Huber: quadratic near 0, linear beyond beta / delta ---------------------------
@op("smooth_l1_loss", keep="ab", kind="elementwise", node_name="SmoothL1LossBackward0")
def SMOOTH_L1(m, a, b, beta=1.0):
    d = m.abs(a - b)
    if beta == 0:
        return d
    return m.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta)


def _smooth_l1_grad(m, g, a, b, out, beta=1.0):
    d = a - b
    if beta == 0:
        return g * m.sign(d)
    return g * m.minimum(m.maximum(d / beta, -1), 1)


SMOOTH_L1.derivative((_smooth_l1_grad,
                      lambda m, g, a, b, out, beta=1.0: -_smooth_l1_grad(m, g, a, b, out, beta)))


@op("huber_loss", keep="ab", kind="elementwise", node_name="HuberLossBackward0")
def HUBER(m, a, b, delta=1.0):
    d = m.abs(a - b)
    return m.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def _huber_grad(m, g, a, b, out, delta=1.0):
    return g * m.minimum(m.maximum(a - b, -delta), delta)


HUBER.derivative((_huber_grad,
                  lambda m, g, a, b, out, delta=1.0: -_huber_grad(m, g, a, b, out, delta)))


# --- binary cross-entropy on probabilities -------------------------------------------------------
@op("binary_cross_entropy", keep="ab", kind="elementwise",
    node_name="BinaryCrossEntropyBackward0")
def BCE(m, x, y):
    log_x = m.maximum(m.log(x), _LOG_FLOOR)
    log_1mx = m.maximum(m.log1p(-x), _LOG_FLOOR)
    return (y - 1) * log_1mx - y * log_x


BCE.derivative((
    lambda m, g, x, y, out: g * (x - y) / m.maximum((1 - x) * x, _BCE_EPS),
    lambda m, g, x, y, out: g * (m.maximum(m.log1p(-x), _LOG_FLOOR)
                                 - m.maximum(m.log(x), _LOG_FLOOR))))


# --- binary cross-entropy on logits: softplus(-x) = -log sigmoid(x) never overflows --------------
# loss = (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x); ``pw`` may be None (pos_weight = 1).
@op("binary_cross_entropy_with_logits", keep="abc", kind="elementwise",
    node_name="BinaryCrossEntropyWithLogitsBackward0")
def BCE_LOGITS(m, x, y, pw):
    sp = m.logaddexp(-x, 0)
    if pw is None:
        return (1 - y) * x + sp
    return (1 - y) * x + (1 + (pw - 1) * y) * sp


def _bcel_x(m, g, x, y, pw, out):
    if pw is None:
        return g * (m.special_expit(x) - y)
    return g * ((1 - y) - (1 + (pw - 1) * y) * m.special_expit(-x))


def _bcel_y(m, g, x, y, pw, out):
    if pw is None:
        return -g * x
    return g * ((pw - 1) * m.logaddexp(-x, 0) - x)


BCE_LOGITS.derivative((_bcel_x, _bcel_y,
                       lambda m, g, x, y, pw, out: g * y * m.logaddexp(-x, 0)))


# --- CTC ---------------------------------------------------------------------------------------
# Labels are extended with blanks: l' = (blank, l1, blank, l2, ..., blank), length L = 2S + 1.
# alpha[t, n, s] is the log-probability of all paths for sample n that emit l'[:s+1] in frames
# 0..t; beta[t, n, s] of those that emit l'[s:] in frames t..T_n-1 (both include frame t).
# The loss is -logsumexp(alpha[T_n-1, n, 2S_n - 1 : 2S_n + 1]).
class CTCSaved:
    """Carries alpha and the losses (before zero_infinity) from the forward kernel to the
    derivative rule, so backward only adds the beta recursion."""

    __slots__ = ("alpha", "nll")

    def __init__(self):
        self.alpha = self.nll = None


def _lse3(a, b, c):
    mx = np.maximum(np.maximum(a, b), c)
    safe = np.where(mx == -np.inf, 0, mx)      # all -inf: -inf, not (-inf) - (-inf) = nan
    s = np.exp(a - safe)
    s += np.exp(b - safe)
    s += np.exp(c - safe)
    return np.log(s) + safe


def _skip_allowed(ext):
    # a path may jump from s-2 to s when l'[s] is a label different from l'[s-2]
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    return skip


def _final_positions(tgt_len):
    last = 2 * tgt_len                        # the trailing blank
    return last, np.maximum(last - 1, 0)      # and the last label (when there is one)


@op("ctc_loss", keep="abcde", node_name="CtcLossBackward0")
def CTC(m, lp, ext, in_len, tgt_len, saved, zero_infinity=False):
    T, N, _ = lp.shape
    L = ext.shape[1]
    lpe = np.take_along_axis(lp, np.broadcast_to(ext, (T, N, L)), axis=2)
    skip = _skip_allowed(ext)
    ninf = np.array(-np.inf, dtype=lp.dtype)
    alpha = np.full((max(T, 1), N, L), ninf)
    if T:
        alpha[0, :, 0] = lpe[0, :, 0]
        if L > 1:
            alpha[0, :, 1] = np.where(tgt_len > 0, lpe[0, :, 1], ninf)
    s1 = np.full((N, L), ninf)
    s2 = np.full((N, L), ninf)
    for t in range(1, T):
        prev = alpha[t - 1]
        s1[:, 1:] = prev[:, :-1]
        s2[:, 2:] = prev[:, :-2]
        alpha[t] = _lse3(prev, s1, np.where(skip, s2, ninf)) + lpe[t]
    rows = np.arange(N)
    t_last = np.maximum(in_len - 1, 0)
    last, prev_label = _final_positions(tgt_len)
    a_blank = alpha[t_last, rows, last]
    a_label = np.where(tgt_len > 0, alpha[t_last, rows, prev_label], ninf)
    ll = np.logaddexp(a_blank, a_label)
    # no frames: only the empty target is possible, with probability 1
    ll = np.where(in_len == 0, np.where(tgt_len == 0, 0, ninf), ll).astype(lp.dtype)
    nll = -ll
    saved.alpha, saved.nll = alpha, nll
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0, nll).astype(lp.dtype)
    return nll


def _ctc_beta(lpe, ext, in_len, tgt_len):
    T, N, L = lpe.shape
    ninf = np.array(-np.inf, dtype=lpe.dtype)
    skip_next = np.zeros((N, L), dtype=bool)
    skip_next[:, :-2] = _skip_allowed(ext)[:, 2:]      # may jump from s to s+2
    beta = np.full((T, N, L), ninf)
    rows = np.arange(N)
    last, prev_label = _final_positions(tgt_len)
    has_label = tgt_len > 0
    cur = np.full((N, L), ninf)
    n1 = np.full((N, L), ninf)
    n2 = np.full((N, L), ninf)
    for t in range(T - 1, -1, -1):
        n1[:, :-1] = cur[:, 1:]
        n2[:, :-2] = cur[:, 2:]
        rec = _lse3(cur, n1, np.where(skip_next, n2, ninf)) + lpe[t]
        init = np.full((N, L), ninf)
        init[rows, last] = lpe[t, rows, last]
        init[rows[has_label], prev_label[has_label]] = lpe[t, rows, prev_label][has_label]
        step = (t - (in_len - 1))[:, None]           # < 0: inside, 0: the last frame, > 0: past
        cur = np.where(step == 0, init, np.where(step < 0, rec, ninf))
        beta[t] = cur
    return beta


def ctc_gradient(lp, ext, in_len, tgt_len, alpha, nll, zero_infinity):
    """d(loss_n)/d(log_probs) per unit loss, as torch defines it: exp(lp) minus the posterior
    occupancy of each class. (The exp(lp) term sums to 1 over classes, so it cancels in the
    log_softmax that produces log_probs: the gradient on the logits is the exact one.)"""
    T, N, C = lp.shape
    L = ext.shape[1]
    lpe = np.take_along_axis(lp, np.broadcast_to(ext, (T, N, L)), axis=2)
    beta = _ctc_beta(lpe, ext, in_len, tgt_len)
    # alpha + beta counts frame t twice; occupancy is exp(alpha + beta - lp + nll)
    post = np.exp(alpha[:T] + beta + nll[None, :, None])
    flat = (np.arange(T * N).reshape(T, N, 1) * C + ext[None]).reshape(-1)
    occ = np.bincount(flat, weights=post.reshape(-1), minlength=T * N * C).reshape(T, N, C)
    grad = np.exp(lp) - np.exp(np.log(occ) - lp)
    inside = np.arange(T)[:, None] < in_len[None, :]
    if zero_infinity:
        inside = inside & ~np.isinf(nll)[None, :]
    return np.where(inside[:, :, None], grad, 0).astype(lp.dtype)


def _ctc_lp_grad(m, g, lp, ext, in_len, tgt_len, saved, out, zero_infinity=False):
    tensor_mode = getattr(m, "is_tensor_namespace", False)
    lp_arr = lp._array if tensor_mode else lp
    G = ctc_gradient(lp_arr, ext, in_len, tgt_len, saved.alpha, saved.nll, zero_infinity)
    if not tensor_mode:
        return g[None, :, None] * G
    from ..tensor import wrap
    return dispatch.apply(CTC_GRAD_APPLY, (m.expand_dims(g, (0, 2)), wrap(G), lp))


CTC.derivative((_ctc_lp_grad, None, None, None, None))


# Under create_graph the CTC gradient is g * G with G constant: differentiable in g, while a
# derivative in log_probs raises as torch's does.
@op("ctc_loss_backward", keep="b", node_name="CtcLossBackwardBackward0")
def CTC_GRAD_APPLY(m, g, G, lp):
    return g * G


def _no_double_backward(m, gg, g, G, lp, out):
    raise EmberRuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


CTC_GRAD_APPLY.derivative((lambda m, gg, g, G, lp, out: gg * G, None, _no_double_backward))


def ctc_nll(log_probs, ext, in_len, tgt_len, zero_infinity):
    """Per-sample negative log-likelihoods (N,) of (T, N, C) ``log_probs``; ``ext`` (N, 2S+1)
    the blank-extended targets, lengths as int64 arrays."""
    return dispatch.apply(CTC, (log_probs, ext, in_len, tgt_len, CTCSaved()),
                          {"zero_infinity": bool(zero_infinity)})
