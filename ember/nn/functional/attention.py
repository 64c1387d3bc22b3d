"""nn.functional: embeddings and attention (re-exported by nn/functional/__init__.py).

Attention is batched matrix products over (batch, heads, L, E) tensors around one fused op
(ops/attention.py: scale, mask and softmax the scores); no Python loop runs over heads or
positions. Masks keep torch's two conventions: scaled_dot_product_attention's bool mask says
where a query *may* attend, MultiheadAttention's where it may *not*.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ..._errors import EmberRuntimeError
from ..._state import state
from ...ops import embedding as _emb
from ...ops.attention import attention_softmax, self_attention
from ...ops.creation import zeros
from ...ops.linalg_ops import linear as _linear
from ...ops.shape import cat
from ...tensor import wrap

__all__ = [
    "embedding",
    "embedding_bag",
    "multi_head_attention_forward",
    "scaled_dot_product_attention",
]


def _dropout(x, p):
    from . import dropout
    return dropout(x, p, True)


# --- scaled dot-product attention ---------------------------------------------------------------
def _causal_allowed(L, S):
    """Bool (L, S): query i may attend key j <= i (top-left aligned, as torch)."""
    return wrap(np.tri(L, S, dtype=bool))


def _check_float_mask(mask, query):
    if mask.dtype is not query.dtype:
        raise EmberRuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {mask.dtype.scalar_name.lower()} and  query.dtype: "
            f"{query.dtype.scalar_name.lower()} instead.")


def _repeat_heads(t, n):
    """(..., H, S, E) -> (..., H*n, S, E), each head repeated n times in a row
    (repeat_interleave on the head dimension); the backward sums the copies."""
    if n == 1:
        return t
    shape = tuple(t.shape)
    lead, (h, s, e) = shape[:-3], shape[-3:]
    return t.unsqueeze(-3).expand(*lead, h, n, s, e).reshape(*lead, h * n, s, e)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
    is_causal=False, scale=None, enable_gqa=False) -> Tensor.

    softmax(query @ key^T * scale + mask) @ value, with scale = 1/sqrt(E) by default. A bool
    ``attn_mask`` is True where a query may attend; a float one is added to the scores. Query
    rows that may attend nothing get zeros. ``is_causal`` lets query i see keys j <= i.
    ``enable_gqa`` shares each key/value head among Hq/H query heads.

    Shape: query (N, ..., Hq, L, E), key (N, ..., H, S, E), value (N, ..., H, S, Ev),
    attn_mask broadcastable to (N, ..., Hq, L, S); output (N, ..., Hq, L, Ev).

    Example::

        >>> q = ember.randn(2, 4, 5, 8)
        >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        torch.Size([2, 4, 5, 8])
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise EmberRuntimeError("scaled_dot_product_attention: query, key and value must be at "
                                f"least 2-D, got shapes {list(query.shape)}, "
                                f"{list(key.shape)} and {list(value.shape)}")
    E = query.shape[-1]
    if key.shape[-1] != E:
        raise EmberRuntimeError(f"scaled_dot_product_attention: query and key must have the "
                                f"same embedding size, got query {list(query.shape)} and key "
                                f"{list(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise EmberRuntimeError(f"scaled_dot_product_attention: key and value must have the "
                                f"same sequence length, got key {list(key.shape)} and value "
                                f"{list(value.shape)}")
    if is_causal and attn_mask is not None:
        raise EmberRuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                                "set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise EmberRuntimeError(
                "Number of heads in key and value must divide the number of heads in query "
                f"(got query {list(query.shape)}, key {list(key.shape)}, value "
                f"{list(value.shape)})")
        key = _repeat_heads(key, hq // hk)
        value = _repeat_heads(value, hq // hk)
    L, S = query.shape[-2], key.shape[-2]
    mask = attn_mask
    if is_causal:
        mask = _causal_allowed(L, S)
    elif mask is not None and mask.dtype is not _dt.bool_:
        _check_float_mask(mask, query)
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    scores = query.matmul(key.transpose(-2, -1))
    attn = attention_softmax(scores, mask, scale, safe=True)
    if dropout_p > 0.0:
        attn = _dropout(attn, dropout_p)
    return attn.matmul(value)


# --- embeddings ---------------------------------------------------------------------------------
def _embedding_padding_idx(padding_idx, n):
    if padding_idx is None:
        return -1
    if padding_idx >= n or padding_idx < -n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + n if padding_idx < 0 else padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False) -> Tensor: the rows ``weight[input]``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: rows looked up whose
    ``norm_type``-norm exceeds it are rescaled in place first. ``scale_grad_by_freq``: each
    row's gradient is divided by its index's count in ``input``. ``sparse`` is accepted; the
    gradient is always dense.

    Shape: input (*) int64/int32, weight (V, D), output (*, D).

    Example::

        >>> w = ember.arange(6.).reshape(3, 2)
        >>> F.embedding(ember.tensor([[2, 0]]), w)
        tensor([[[4., 5.],
                 [0., 1.]]])
    """
    idx = _emb.index_array(input)
    pad = _embedding_padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:
        _emb.renorm_rows_(weight, idx, max_norm, norm_type)
    return _emb.embedding(weight, idx, pad, scale_grad_by_freq)


def _bag_offsets(input, offsets, per_sample_weights):
    """(flat indices, per-bag start offsets, flat per-sample weights) for 1-D or 2-D input."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        b, n = input.shape
        idx = _emb.index_array(input, "embedding_bag").reshape(-1)
        starts = np.arange(b, dtype=np.int64) * n
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return idx, starts, per_sample_weights, False
    if input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        idx = _emb.index_array(input, "embedding_bag")
        off = offsets._array
        if off.dtype.kind not in "iu":
            raise EmberRuntimeError(f"embedding_bag: offsets must be an integer tensor, got "
                                    f"{offsets.dtype}")
        return idx, off.astype(np.int64), per_sample_weights, None
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")


def _bag_layout(n, starts, include_last_offset):
    """Bag boundaries: (number of bags, bag id of each entry, end of the last entry used)."""
    if starts.size and starts[0] != 0:
        raise EmberRuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                                f"mini-batch has to start from position 0. However, got "
                                f"{int(starts[0])}")
    if starts.size and starts[-1] > n:
        raise EmberRuntimeError(f"offsets[-1] can not be greater than input's length {n} but "
                                f"got offsets[-1] of {int(starts[-1])}")
    if starts.size > 1 and (np.diff(starts) < 0).any():
        raise EmberRuntimeError(f"embedding_bag: offsets must be non-decreasing, got "
                                f"{starts.tolist()}")
    if include_last_offset:
        n_bags = max(starts.size - 1, 0)
        end = int(starts[-1]) if starts.size else 0
        starts = starts[:n_bags]
    else:
        n_bags = starts.size
        end = n
    bag = np.searchsorted(starts, np.arange(end), side="right") - 1
    return n_bags, bag, end


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
    scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
    include_last_offset=False, padding_idx=None) -> Tensor.

    Sums, means or maxima of bags of embedding rows. A 2-D ``input`` (B, N) is B bags of N
    indices; a 1-D ``input`` is cut into bags starting at ``offsets``. Entries equal to
    ``padding_idx`` are left out (and not counted by the mean); empty bags give zeros.
    ``per_sample_weights`` (mode='sum' only) scales each entry.

    Shape: output (B, D).

    Example::

        >>> w = ember.arange(6.).reshape(3, 2)
        >>> F.embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]), mode="sum")
        tensor([[4., 6.],
                [2., 3.]])
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    idx, starts, psw, forced = _bag_offsets(input, offsets, per_sample_weights)
    if forced is not None:
        include_last_offset = forced
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        _emb.renorm_rows_(weight, idx, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise EmberRuntimeError(f"padding_idx must be within the number of embeddings, "
                                    f"{-num} through {num - 1}, but got {padding_idx}")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    n_bags, bag, end = _bag_layout(idx.size, starts, include_last_offset)
    used = idx[:end]
    if used.size and (used.min() < 0 or used.max() >= num):
        bad = used[(used < 0) | (used >= num)][0]
        raise EmberRuntimeError(f"embedding_bag: index {int(bad)} is out of range for an "
                                f"embedding of {num} rows")
    sel = None if padding_idx is None else np.flatnonzero(used != padding_idx)
    if sel is not None and sel.size == end:
        sel = None
    if sel is not None:
        used, bag = used[sel], bag[sel]
    elif end < idx.size:
        sel = np.arange(end)
    rows = _emb.embedding(weight, used, -1, scale_grad_by_freq)
    out = zeros((n_bags, dim), dtype=weight.dtype)
    if mode == "max":
        return _bag_max(out, rows, bag, n_bags)
    if psw is not None:
        w = psw if sel is None else psw.index_select(0, wrap(sel))
        rows = rows * w.unsqueeze(-1)
    out = out.index_add(0, wrap(bag), rows)
    if mode == "mean":
        count = np.bincount(bag, minlength=n_bags).astype(weight._array.dtype)
        out = out / wrap(np.maximum(count, 1)[:, None])
    return out


def _bag_max(out, rows, bag, n_bags):
    """Per-bag, per-column maximum of ``rows``: the winning row of each column is found in
    NumPy, then gathered, so the gradient flows to exactly those entries."""
    vals = rows._array
    if vals.shape[0] == 0:
        return out.index_add(0, wrap(bag), rows)
    first = np.searchsorted(bag, np.arange(n_bags))         # bags are contiguous and sorted
    pos = np.arange(bag.size) - first[bag]
    padded = np.full((n_bags, int(pos.max()) + 1, vals.shape[1]), -np.inf, dtype=vals.dtype)
    padded[bag, pos] = vals
    winner = first[:, None] + padded.argmax(axis=1)          # (bags, D): row of each maximum
    full = np.unique(bag)
    picked = rows.gather(0, wrap(winner[full]))
    return out.index_add(0, wrap(full), picked)


# --- multi-head attention -----------------------------------------------------------------------
def _canonical_mask(mask, name, other=None, other_name=""):
    """Check a mask's dtype as torch does (bool or floating; the same type as its partner)."""
    if mask is None:
        return None
    if mask.dtype is not _dt.bool_ and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype is not mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same "
                      "type for both instead.", stacklevel=4)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                                 f" but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            if attn_mask.ndim == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _pad_key_column(mask):
    """One more key column that every query may attend (False / 0.0) for an added key."""
    if mask is None:
        return None
    shape = tuple(mask.shape[:-1]) + (1,)
    return cat([mask, zeros(shape, dtype=mask.dtype)], -1)


def _to_additive(mask, dtype):
    """A bool 'masked out' mask as 0 / -inf in ``dtype``; float masks pass (cast to dtype)."""
    if mask.dtype is _dt.bool_:
        return zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, float("-inf"))
    return mask if mask.dtype is dtype else mask.to(dtype)


def _merge_masks(attn_mask, key_padding_mask, n, h, L, S, dtype):
    """attn_mask (L, S) or (N*H, L, S) and key_padding_mask (N, S), both 'True = masked', as
    one mask broadcastable to the (N, H, L, S) scores in attention_softmax's convention: a bool
    'may attend' mask when both are bool, else a float mask to add."""
    am = None
    if attn_mask is not None:
        am = attn_mask.reshape(n, h, L, S) if attn_mask.ndim == 3 else attn_mask
    kpm = None if key_padding_mask is None else key_padding_mask.reshape(n, 1, 1, S)
    if am is None and kpm is None:
        return None
    if (am is None or am.dtype is _dt.bool_) and (kpm is None or kpm.dtype is _dt.bool_):
        if am is None:
            return kpm.logical_not()
        if kpm is None:
            return am.logical_not()
        return am.logical_or(kpm).logical_not()
    if am is None:
        return _to_additive(kpm, dtype)
    if kpm is None:
        return _to_additive(am, dtype)
    return _to_additive(am, dtype) + _to_additive(kpm, dtype)


def _split_heads(x, h, batch_first):
    """(L, N, E) or (N, L, E) -> (N, H, L, E/H), a view."""
    if batch_first:
        n, L, e = x.shape
        return x.reshape(n, L, h, e // h).permute(0, 2, 1, 3)
    L, n, e = x.shape
    return x.reshape(L, n, h, e // h).permute(1, 2, 0, 3)


def _merge_heads(x, batch_first):
    """(N, H, L, D) -> (L, N, H*D) or (N, L, H*D)."""
    n, h, L, d = x.shape
    if batch_first:
        return x.permute(0, 2, 1, 3).reshape(n, L, h * d)
    return x.permute(2, 0, 1, 3).reshape(L, n, h * d)


def _static_heads(t, name, n, h, hd):
    if t.shape[0] != n * h:
        raise AssertionError(f"expecting {name}.size(0) of {n * h}, but got {t.shape[0]}")
    if t.shape[2] != hd:
        raise AssertionError(f"expecting {name}.size(2) of {hd}, but got {t.shape[2]}")
    return t.reshape(n, h, t.shape[1], hd)


def _project(query, key, value, e, in_proj_weight, in_proj_bias, separate, q_proj_weight,
             k_proj_weight, v_proj_weight):
    """The q, k, v input projections; self-attention runs one (3E, E) product."""
    if separate:
        for w, nm in ((q_proj_weight, "q"), (k_proj_weight, "k"), (v_proj_weight, "v")):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {nm}_proj_weight "
                                     "is None")
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
        return (_linear(query, q_proj_weight, bq), _linear(key, k_proj_weight, bk),
                _linear(value, v_proj_weight, bv))
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    w, b = in_proj_weight, in_proj_bias
    if key is value:
        if query is key:
            qkv = _linear(query, w, b)
            return qkv[..., :e], qkv[..., e:2 * e], qkv[..., 2 * e:]
        q = _linear(query, w[:e], None if b is None else b[:e])
        kv = _linear(key, w[e:], None if b is None else b[e:])
        return q, kv[..., :e], kv[..., e:]
    return (_linear(query, w[:e], None if b is None else b[:e]),
            _linear(key, w[e:2 * e], None if b is None else b[e:2 * e]),
            _linear(value, w[2 * e:], None if b is None else b[2 * e:]))


def _fused_self_attention(query, key, value, e, h, hd, L, S, n, in_proj_weight, in_proj_bias,
                          bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                          out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                          separate, static_k, static_v, use_causal, batch_first, batched):
    """Self-attention under autograd as one op between the projections (ops/attention.py:
    self_attention), or None where the general path is needed: attention weights returned,
    dropout, added keys, or a mask that needs a gradient or does not fit the scores."""
    if need_weights or separate or not (query is key is value) or in_proj_weight is None \
            or bias_k is not None or bias_v is not None or add_zero_attn \
            or static_k is not None or static_v is not None \
            or (training and dropout_p > 0.0) or query._array.dtype.kind != "f" \
            or query._array.dtype.itemsize < 4 or in_proj_weight.dtype is not query.dtype:
        return None
    if not state.grad_enabled or (query._edge is None and in_proj_weight._edge is None and (
            in_proj_bias is None or in_proj_bias._edge is None)):
        # nothing to differentiate: the general path (which ONNX export records) costs the same
        return None
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (n, S):
        return None
    mask = None
    if not use_causal:
        if attn_mask is not None and tuple(attn_mask.shape) != (L, S) and \
                tuple(attn_mask.shape) != (n * h, L, S):
            return None
        m = _merge_masks(attn_mask, key_padding_mask, n, h, L, S, query.dtype)
        if m is not None:
            if m._edge is not None or (m.dtype is not _dt.bool_ and m.dtype is not query.dtype):
                return None
            mask = m._array
            try:
                if np.broadcast_shapes(mask.shape, (n, h, L, S)) != (n, h, L, S):
                    return None
            except ValueError:
                return None
    qkv = _linear(query, in_proj_weight, in_proj_bias)
    out = self_attention(qkv, mask, use_causal, h, 1.0 / math.sqrt(hd), batch_first)
    out = _linear(out, out_proj_weight, out_proj_bias)
    return (out if batched else out.squeeze(1)), None


def mha_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                is_causal=False, batch_first=False):
    """multi_head_attention_forward for (L, N, E) inputs, or (N, L, E) with ``batch_first``
    (MultiheadAttention calls it so, which saves two transposes)."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        # keep "query is key is value" true so self-attention still runs one projection
        same_kv, same_qk = key is value, query is key
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch_first = False
    if batch_first:
        n, L, e = query.shape
        S = key.shape[1]
    else:
        L, n, e = query.shape
        S = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                       "attn_mask")
    if is_causal and attn_mask is None:
        raise EmberRuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    use_causal = is_causal and key_padding_mask is None and not need_weights
    if use_causal:
        attn_mask = None                        # the hint replaces the mask, as in torch
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask")
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {e}")
    h = num_heads
    hd = e // h
    if hd * h != e:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {h}")
    kb = (key.shape[:2] if not batch_first else (key.shape[1], key.shape[0]))
    vb = (value.shape[:2] if not batch_first else (value.shape[1], value.shape[0]))
    if use_separate_proj_weight:
        if tuple(kb) != tuple(vb):
            raise AssertionError(f"key's sequence and batch dims {tuple(kb)} do not match "
                                 f"value's {tuple(vb)}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                             f"{tuple(value.shape)}")
    fused = _fused_self_attention(query, key, value, e, h, hd, L, S, n, in_proj_weight,
                                  in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                  out_proj_weight, out_proj_bias, training, key_padding_mask,
                                  need_weights, attn_mask, use_separate_proj_weight, static_k,
                                  static_v, use_causal, batch_first, batched)
    if fused is not None:
        return fused
    q, k, v = _project(query, key, value, e, in_proj_weight, in_proj_bias,
                       use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (L, S):
                raise EmberRuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(L, S)}.")
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (n * h, L, S):
                raise EmberRuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(n * h, L, S)}.")
        else:
            raise EmberRuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        sdim = 1 if batch_first else 0
        extra = (n, 1, e) if batch_first else (1, n, e)
        k = cat([k, bias_k.reshape(1, 1, e).expand(*extra)], sdim)
        v = cat([v, bias_v.reshape(1, 1, e).expand(*extra)], sdim)
        attn_mask = _pad_key_column(attn_mask)
        key_padding_mask = _pad_key_column(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    qh = _split_heads(q, h, batch_first)
    kh = _split_heads(k, h, batch_first) if static_k is None else \
        _static_heads(static_k, "static_k", n, h, hd)
    vh = _split_heads(v, h, batch_first) if static_v is None else \
        _static_heads(static_v, "static_v", n, h, hd)
    if add_zero_attn:
        z = zeros((n, h, 1, hd), dtype=kh.dtype)
        kh = cat([kh, z], 2)
        vh = cat([vh, z], 2)
        attn_mask = _pad_key_column(attn_mask)
        key_padding_mask = _pad_key_column(key_padding_mask)
    S = kh.shape[2]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != n:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {n}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != S:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {S}, but got "
                                 f"{key_padding_mask.shape[1]}")
    mask = _causal_allowed(L, S) if use_causal else \
        _merge_masks(attn_mask, key_padding_mask, n, h, L, S, qh.dtype)
    scores = qh.matmul(kh.transpose(-2, -1))
    attn = attention_softmax(scores, mask, 1.0 / math.sqrt(hd), safe=not need_weights)
    if training and dropout_p > 0.0:
        attn = _dropout(attn, dropout_p)
    out = _merge_heads(attn.matmul(vh), batch_first)
    out = _linear(out, out_proj_weight, out_proj_bias)
    weights = None
    if need_weights:
        weights = attn.mean(1) if average_attn_weights else attn
    if not batched:
        out = out.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
    in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
    out_proj_bias, training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
    use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
    v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
    is_causal=False) -> (Tensor, Tensor or None).

    The computation of nn.MultiheadAttention. Masks say where a query may *not* attend: bool
    True (or a float mask, added to the scores). With ``need_weights`` the attention weights
    come back too (averaged over heads when ``average_attn_weights``); a query row with
    nothing to attend then gives NaN, without them zeros.

    Shape: query (L, N, E) or (L, E); key (S, N, kdim); value (S, N, vdim);
    key_padding_mask (N, S); attn_mask (L, S) or (N*num_heads, L, S); output (L, N, E) and
    weights (N, L, S) or (N, num_heads, L, S).

    Example:
        >>> q = torch.eye(4)[:2].unsqueeze(1)  # (L, N, E) = (2, 1, 4)
        >>> W, b = torch.eye(4).repeat(3, 1), torch.zeros(12)  # packed q, k, v projections
        >>> out, w = F.multi_head_attention_forward(q, q, q, 4, 1, W, b, None, None, False, 0.0,
        ...                                         torch.eye(4), torch.zeros(4))
        >>> out.shape, w
        (torch.Size([2, 1, 4]), tensor([[[0.6225, 0.3775],
                 [0.3775, 0.6225]]]))
    """
    return mha_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                       in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                       out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                       use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                       static_k, static_v, average_attn_weights, is_causal)

