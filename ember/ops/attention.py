"""Attention as fused ops: the softmax step (scale, mask and normalise the scores), and the
whole multi-head self-attention core between the projections (``self_attention``, below).

``attention_softmax(scores, mask, scale, safe)`` computes ``softmax(scale * scores + mask)``
over the last dimension in one pass over the (..., L, S) scores instead of three (scale, mask,
softmax), with one temporary. ``mask`` is None, a bool array (True = may attend, the convention
of scaled_dot_product_attention) or a float tensor added to the scaled scores (it gets a
gradient when it requires one).

A query row whose keys are all masked has no softmax. ``safe=True`` gives it all-zero weights
(and so zero gradients), as torch's scaled_dot_product_attention does; ``safe=False`` gives NaN,
as torch's MultiheadAttention does when it returns the weights (need_weights=True).
"""
import numpy as np

from .. import _jit
from . import dispatch
from .conv import scratch
from .registry import op

_NEG_INF = float("-inf")


@op("attention_softmax", keep="out", node_name="SoftmaxBackward0")
def _attention_softmax(m, scores, mask, scale=1.0, safe=True):
    s = scores * scale                  # a fresh array: everything below works in place on it
    if mask is not None:
        fits = np.broadcast_shapes(mask.shape, s.shape) == s.shape
        if mask.dtype == np.bool_:
            if fits:
                m.copyto(s, _NEG_INF, where=~mask)
            else:
                s = m.where(mask, s, _NEG_INF)
        elif fits:
            s += mask
        else:
            s = s + mask
    mx = m.max(s, axis=-1, keepdims=True)
    if safe:
        mx[mx == _NEG_INF] = 0          # fully masked rows: exp(-inf) = 0 everywhere
    s -= mx
    m.exp(s, out=s)
    total = m.sum(s, axis=-1, keepdims=True)
    if safe:
        total[total == 0] = 1
    s /= total
    return s


def _grad_masked(m, g, scores, mask, out, scale=1.0, safe=True):
    if type(g) is np.ndarray and g.shape == out.shape:
        # arrays: the row sums without a product temporary, then one fresh array worked in place
        r = np.einsum("...i,...i->...", g, out)
        gs = g - r[..., None]
        gs *= out
        return gs
    return out * (g - m.sum(g * out, axis=-1, keepdims=True))


def _grad_scores(m, g, scores, mask, out, scale=1.0, safe=True):
    gs = _grad_masked(m, g, scores, mask, out)
    if scale == 1.0:
        return gs
    if type(gs) is np.ndarray:
        gs *= scale                     # a fresh array of this rule's own
        return gs
    return gs * scale


_attention_softmax.derivative((_grad_scores, _grad_masked))


def attention_softmax(scores, mask=None, scale=1.0, safe=True):
    """softmax(scale * scores + mask, dim=-1); see the module docstring for ``mask``/``safe``."""
    return dispatch.apply(_attention_softmax, (scores, mask), {"scale": scale, "safe": safe})


# --- self-attention core over packed q, k, v --------------------------------------------------
# Multi-head self-attention between the in- and out-projections as one op: packed qkv (N, L, 3E)
# (or (L, N, 3E)) in, merged heads (N, L, E) out. Keeping it whole avoids a Node per head split,
# merge and product, and lets the backward write dq, dk and dv straight into one (N, L, 3E)
# gradient instead of scattering three slices into zero-filled copies and summing them.
#
# The scores are formed transposed, S^T = K Q^T of shape (N, H, S, L): softmax then reduces
# over axis -2, which NumPy vectorises across the contiguous last axis; its reductions over a
# short last axis (64 keys here) run ~3x slower per element. The products with P read P^T as a
# transposed view, which BLAS takes as it is.
class SavedProbs:
    """P^T (N, H, S, L) from the forward, for the rule; ``x`` is the qkv array it belongs to."""
    __slots__ = ("pt", "x")

    def __init__(self):
        self.x = self.pt = None


_CAUSAL_T = {}
# P^T buffers whose rule has run, for the next forward (a reused multi-MB buffer skips the page
# faults of a fresh one; see activation_ops._TAILS)
_PROBS = []


def _probs_buffer(shape, dtype):
    while _PROBS:
        b = _PROBS.pop()
        if b.shape == shape and b.dtype == dtype:
            return b
    return np.empty(shape, dtype=dtype)


def _causal_additive_t(L, S, dtype):
    """(S, L): 0 where key j may be seen by query i (j <= i), else -inf; transposed scores'
    layout. Read-only and cached: every causal call of a model uses the same one."""
    key = (L, S, dtype)
    a = _CAUSAL_T.get(key)
    if a is None:
        if len(_CAUSAL_T) > 16:
            _CAUSAL_T.clear()
        a = np.where(np.tri(L, S, dtype=bool).T, 0, _NEG_INF).astype(dtype)
        a.flags.writeable = False
        _CAUSAL_T[key] = a
    return a


def _heads(x, h, batch_first):
    """(N, L, 3E) or (L, N, 3E) -> q, k, v views of shape (N, H, L, E/H)."""
    if batch_first:
        n, L, e3 = x.shape
        v5 = x.reshape(n, L, 3, h, e3 // (3 * h))
        return [v5[:, :, i].transpose(0, 2, 1, 3) for i in range(3)]
    L, n, e3 = x.shape
    v5 = x.reshape(L, n, 3, h, e3 // (3 * h))
    return [v5[:, :, i].transpose(1, 2, 0, 3) for i in range(3)]


def _merged(shape, h, batch_first, dtype, parts=1):
    """A fresh (N, L, parts*E) (or (L, N, ...)) array and its per-part (N, H, L, E/H) views."""
    out = np.empty(shape[:2] + (parts * shape[2],), dtype=dtype)
    v5 = out.reshape(shape[0], shape[1], parts, h, shape[2] // h)
    perm = (0, 2, 1, 3) if batch_first else (1, 2, 0, 3)
    return out, [v5[:, :, i].transpose(perm) for i in range(parts)]


# Note [Attention softmax in numba]: with numba (ember/_jit.py) the softmax over the transposed
# scores is two loops around NumPy's exp (numba's scalar expf runs 4x slower than NumPy's SIMD
# loop here and differs in the last bit): scale, mask, column maxima and the shift in one, sums
# and division in the other, each over one (S, L) block while it sits in cache, instead of
# seven NumPy passes over all N·H blocks. Every operation is NumPy's, in its order (NumPy sums
# over axis -2 row by row too), so the two paths give the same bits. The backward's
# dS^T = (dP^T - c)·P^T·scale is one loop instead of three passes.
def _scores_shift_loop(st, scale, add, c, mx):
    """st (B, S, L) <- st·scale (+ add (S, L) where c[1] != 0) minus its column maxima; a
    column of -inf gets maximum 0 where c[2] != 0 (``safe``). mx: (L,) scratch."""
    nb, ns, nl = st.shape
    neg_inf, has_add, safe, zero = c[0], c[1] != c[3], c[2] != c[3], c[3]
    for bi in range(nb):
        sb = st[bi]
        for j in range(nl):
            mx[j] = neg_inf
        for i in range(ns):
            row = sb[i]
            for j in range(nl):
                v = row[j] * scale
                if has_add:
                    v = v + add[i, j]
                row[j] = v
                m = mx[j]
                mx[j] = v if (v > m or np.isnan(v)) else m     # np.max: NaN wins
        if safe:
            for j in range(nl):
                if mx[j] == neg_inf:
                    mx[j] = zero
        for i in range(ns):
            row = sb[i]
            for j in range(nl):
                row[j] = row[j] - mx[j]


def _scores_normalize_loop(st, c, total):
    """st (B, S, L) of exponentials <- st / its column sums (a zero sum counts as 1 where
    c[2] != 0). total: (L,) scratch."""
    nb, ns, nl = st.shape
    safe, zero, one = c[2] != c[3], c[3], c[4]
    for bi in range(nb):
        sb = st[bi]
        for j in range(nl):
            total[j] = zero
        for i in range(ns):
            row = sb[i]
            for j in range(nl):
                total[j] += row[j]
        if safe:
            for j in range(nl):
                if total[j] == zero:
                    total[j] = one
        for i in range(ns):
            row = sb[i]
            for j in range(nl):
                row[j] = row[j] / total[j]


def _scores_grad_loop(dst, pt, cc, scale):
    """dst (B, S, L) <- (dst - cc[:, None, :])·pt·scale, cc (B, L)."""
    nb, ns, nl = dst.shape
    for bi in range(nb):
        db, pb, cb = dst[bi], pt[bi], cc[bi]
        for i in range(ns):
            dr, pr = db[i], pb[i]
            for j in range(nl):
                dr[j] = ((dr[j] - cb[j]) * pr[j]) * scale


_scores_shift = _jit.kernel(_scores_shift_loop)
_scores_normalize = _jit.kernel(_scores_normalize_loop)
_scores_grad = _jit.kernel(_scores_grad_loop)
_JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _softmax_cols_jit(st, scale, add, safe):
    """The forward's softmax over axis -2 of st (N, H, S, L) in place with the loops above;
    ``add`` is None or an (S, L) array added after scaling."""
    dt = st.dtype
    s3 = st.reshape(-1, st.shape[-2], st.shape[-1])
    c = np.array((_NEG_INF, add is not None, safe, 0, 1), dtype=dt)
    mx = np.empty(st.shape[-1], dt)
    _scores_shift(s3, dt.type(scale), s3[0] if add is None else add, c, mx)
    np.exp(st, out=st)
    _scores_normalize(s3, c, mx)


@op("self_attention", keep="abcd+out", node_name="ScaledDotProductFlashAttentionForCpuBackward0")
def _self_attention(m, qkv, mask, causal, saved, heads=1, scale=1.0, batch_first=True,
                    safe=True):
    """softmax(scale·Q K^T + mask) V per head, heads merged. ``mask``: None, a bool array
    (True = may attend) or a float array, broadcastable to the (N, H, L, S) scores; ``causal``
    replaces it with query i seeing keys j <= i."""
    q, k, v = _heads(qkv, heads, batch_first)
    shape = q.shape[:-2] + (k.shape[-2], q.shape[-2])
    st = np.matmul(k, q.swapaxes(-1, -2),                   # (N, H, S, L)
                   out=_probs_buffer(shape, qkv.dtype) if saved is not None else None)
    if _scores_shift is not None and st.flags.c_contiguous and st.dtype in _JIT_DTYPES:
        add = None
        if causal:
            add = _causal_additive_t(st.shape[-1], st.shape[-2], st.dtype)
        elif mask is not None:
            if mask.shape == (st.shape[-1], st.shape[-2]) and mask.dtype == st.dtype:
                add = np.ascontiguousarray(mask.T)
            else:                       # other masks: applied by NumPy, the loops do the rest
                st *= scale
                _mask_scores(st, mask)
                scale = 1.0
        _softmax_cols_jit(st, scale, add, safe and not causal)
    else:
        st *= scale
        if causal:
            st += _causal_additive_t(st.shape[-1], st.shape[-2], st.dtype)
        elif mask is not None:
            _mask_scores(st, mask)
        mx = st.max(axis=-2, keepdims=True)
        if safe and not causal:
            mx[mx == _NEG_INF] = 0          # fully masked rows: exp(-inf) = 0 everywhere
        st -= mx
        np.exp(st, out=st)
        total = st.sum(axis=-2, keepdims=True)
        if safe and not causal:
            total[total == 0] = 1
        st /= total
    n_l = qkv.shape[:2]
    out, (ctx,) = _merged(n_l + (qkv.shape[2] // 3,), heads, batch_first, qkv.dtype)
    np.matmul(st.swapaxes(-1, -2), v, out=ctx)
    if saved is not None:
        saved.x, saved.pt = qkv, st
    return out


def _mask_scores(st, mask):
    """Mask the transposed scores st (N, H, S, L) in place by ``mask`` (broadcastable to the
    (N, H, L, S) scores): False entries of a bool mask become -inf, a float mask is added."""
    mt = mask.swapaxes(-1, -2) if mask.ndim >= 2 else mask[..., None]
    if mask.dtype == np.bool_:
        np.copyto(st, _NEG_INF, where=~mt)
    else:
        st += mt


def _self_attention_grad(m, g, qkv, mask, causal, saved, out, heads=1, scale=1.0,
                         batch_first=True, safe=True):
    if getattr(m, "is_tensor_namespace", False):
        return _self_attention_grad_tensor(g, qkv, mask, causal, heads, scale, batch_first,
                                           safe)
    if saved is None or saved.x is not qkv or saved.pt is None or out is None:
        saved = SavedProbs()
        out = _self_attention.forward(m, qkv, mask, causal, saved, heads, scale, batch_first,
                                      safe)
    # the rule is P's last reader: its buffer goes back for the next forward (a second
    # backward through a retained graph recomputes P)
    pt, saved.pt = saved.pt, None
    q, k, v = _heads(qkv, heads, batch_first)
    e = qkv.shape[2] // 3
    gh = _heads_of(g, heads, batch_first)
    # the (N, H, S, L) temporary comes from a reused buffer (writing a fresh one costs ~2x)
    dpt = np.matmul(v, gh.swapaxes(-1, -2), out=scratch("attention_dp", pt.shape, pt.dtype))
    gqkv, (dq, dk, dv) = _merged(qkv.shape[:2] + (e,), heads, batch_first, qkv.dtype, 3)
    np.matmul(pt, gh, out=dv)                                # P^T dO
    # dS = P·(dP - rowsum(dP·P)), here transposed. rowsum(dP·P)_i = dO_i·O_i (O = P V): a
    # product over (N, H, L, E/H) instead of a product and a sum over (N, H, L, S)
    sub = "nlhd,nlhd->nhl" if batch_first else "lnhd,lnhd->nhl"
    four = g.shape[:2] + (heads, e // heads)
    c = np.einsum(sub, g.reshape(four), out.reshape(four))
    dst = dpt                                                # dS^T, in dP^T's buffer
    if _scores_grad is not None and dst.flags.c_contiguous and pt.flags.c_contiguous \
            and c.dtype == dst.dtype and dst.dtype in _JIT_DTYPES:
        sh = dst.shape
        _scores_grad(dst.reshape(-1, sh[-2], sh[-1]), pt.reshape(-1, sh[-2], sh[-1]),
                     np.ascontiguousarray(c).reshape(-1, sh[-1]), dst.dtype.type(scale))
    else:
        dst -= c[:, :, None, :]
        dst *= pt
        dst *= scale
    np.matmul(dst.swapaxes(-1, -2), k, out=dq)               # dS K
    np.matmul(dst, q, out=dk)                                # dS^T Q
    if len(_PROBS) < 4 and pt.nbytes <= 1 << 26:
        _PROBS.append(pt)
    return gqkv, None, None, None


def _heads_of(g, h, batch_first):
    """(N, L, E) or (L, N, E) -> (N, H, L, E/H) view."""
    a, b, e = g.shape
    v4 = g.reshape(a, b, h, e // h)
    return v4.transpose(0, 2, 1, 3) if batch_first else v4.transpose(1, 2, 0, 3)


def _self_attention_grad_tensor(g, qkv, mask, causal, heads, scale, batch_first, safe):
    """The rule on Tensors (double backward): the same products, differentiable."""
    from ..tensor import wrap
    from .shape import cat

    def split(t, parts):
        a, b, e = t.shape
        t5 = t.reshape(a, b, parts, heads, e // (parts * heads))
        perm = (2, 0, 3, 1, 4) if batch_first else (2, 1, 3, 0, 4)
        return t5.permute(*perm)                             # (parts, N, H, L, d)

    q, k, v = split(qkv, 3).unbind(0)
    L, S = q.shape[-2], k.shape[-2]
    msk = wrap(np.tri(L, S, dtype=bool)) if causal else (None if mask is None else wrap(mask))
    p = attention_softmax(q.matmul(k.transpose(-2, -1)), msk, scale, safe)
    gh = split(g, 1)[0]
    dp = gh.matmul(v.transpose(-2, -1))
    ds = p * (dp - (dp * p).sum(-1, keepdim=True)) * scale
    parts = [ds.matmul(k), ds.transpose(-2, -1).matmul(q), p.transpose(-2, -1).matmul(gh)]
    grad = cat([t.unsqueeze(0) for t in parts], 0)          # (3, N, H, L, d)
    perm = (1, 3, 0, 2, 4) if batch_first else (3, 1, 0, 2, 4)
    return grad.permute(*perm).reshape(tuple(qkv.shape)), None, None, None


_self_attention.derivative(_self_attention_grad)


def self_attention(qkv, mask, causal, heads, scale, batch_first, safe=True):
    """Multi-head attention core over packed projections; see the section comment above.
    ``mask`` is a NumPy array (or None) that needs no gradient."""
    saved = SavedProbs() if qkv._edge is not None else None
    return dispatch.apply(_self_attention, (qkv, mask, causal, saved),
                          {"heads": heads, "scale": scale, "batch_first": batch_first,
                           "safe": safe})
