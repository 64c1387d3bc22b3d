"""The softmax step of attention as one fused op: scale, mask and normalise the scores.

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

from . import dispatch
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
    return out * (g - m.sum(g * out, axis=-1, keepdims=True))


def _grad_scores(m, g, scores, mask, out, scale=1.0, safe=True):
    gs = _grad_masked(m, g, scores, mask, out)
    return gs * scale if scale != 1.0 else gs


_attention_softmax.derivative((_grad_scores, _grad_masked))


def attention_softmax(scores, mask=None, scale=1.0, safe=True):
    """softmax(scale * scores + mask, dim=-1); see the module docstring for ``mask``/``safe``."""
    return dispatch.apply(_attention_softmax, (scores, mask), {"scale": scale, "safe": safe})
