"""Embedding lookup: rows of a (num_embeddings, dim) weight picked by an integer index tensor.

One kernel (NumPy ``take`` along rows) and one derivative: the gradient rows are added back at
their indices (``scatter_advanced``, repeats accumulating). torch's two gradient options are
folded into the op's attrs and a constant input, so the rule stays a single scatter and also runs
under ``create_graph=True``:

* ``padding_idx``: positions holding it send no gradient, so ``rows`` lists the flat positions
  that do and ``targets`` their indices;
* ``scale_grad_by_freq``: each position's gradient is divided by how often its index occurs in
  the batch, a constant column ``coef`` (the op's second input, kept for backward).

nn.functional.embedding / embedding_bag check arguments and call ``embedding`` here.
"""
import numpy as np

from .. import _jit
from .._errors import EmberIndexError, EmberRuntimeError
from ..tensor import Tensor, wrap
from . import dispatch
from .registry import op

_INDEX_KINDS = (np.dtype(np.int64), np.dtype(np.int32))
_TORCH_TYPE = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}


@op("embedding", keep="b", kind="indexing", node_name="EmbeddingBackward0")
def _embedding(m, weight, coef, index, rows, targets, num_weights):
    return m.take(weight, index, axis=0)


def _embedding_grad(m, g, weight, coef, out, index, rows, targets, num_weights):
    d = g.shape[-1]
    flat = g.reshape((index.size, d))
    if rows is not None:
        flat = flat[rows]
    if coef is not None:
        flat = flat * coef
    if type(flat) is np.ndarray and flat.dtype.kind == "f":
        if _rows_added_jit is not None and flat.dtype in _JIT_DTYPES:
            # Note [Embedding gradient in numba]
            out = np.zeros((num_weights, d), dtype=flat.dtype)
            _rows_added_jit(targets, np.ascontiguousarray(flat), out)
            return out
        if targets.size >= _GROUPED_MIN_ROWS:
            return _rows_added(num_weights, targets, flat)
    return m.scatter_advanced((num_weights, d), (targets,), flat)


_SEQUENTIAL_MAX_REPEATS = 16
_GROUPED_MIN_ROWS = 64        # below this add.at's ~3 µs per row beats the sort's fixed ~40 µs


def _rows_added(n, targets, rows):
    """A zero (n, d) array with each of ``rows`` added at its row of ``targets`` (Note [Embedding
    gradient]).

    Note [Embedding gradient]. ``np.add.at`` adds one row at a time (~3 µs per row of 200
    floats: 2.4 ms for a (35 x 20)-token LSTM batch, where torch takes 0.3 ms). Grouping equal
    targets (a stable sort) allows two faster ways. With few repeats, the k-th occurrences of
    all targets are distinct, so each rank k is one fancy-index ``+=`` over distinct rows; the
    additions happen in add.at's order, so the result is bit-identical (0.5 ms for that batch).
    With many repeats (position embeddings: every position once per sample) that would be one
    pass per repeat, so each group is summed by ``np.add.reduceat`` instead (its own summation
    order: equal to add.at within rounding, 5x faster for 32 repeats of 64 rows)."""
    order = np.argsort(targets, kind="stable")
    sorted_t = targets[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_t[1:] != sorted_t[:-1])))
    counts = np.diff(np.append(starts, sorted_t.size))
    grouped = rows[order]
    out = np.zeros((n, rows.shape[1]), dtype=rows.dtype)
    if counts.max() > _SEQUENTIAL_MAX_REPEATS:
        out[sorted_t[starts]] = np.add.reduceat(grouped, starts, axis=0)
        return out
    rank = np.arange(sorted_t.size) - np.repeat(starts, counts)
    for k in range(int(counts.max())):
        sel = rank == k
        out[sorted_t[sel]] += grouped[sel]
    return out


# Note [Embedding gradient in numba]: with numba (ember/_jit.py) the rows are added in one loop
# in position order, which is np.add.at's order: the same bits as add.at and as the grouped
# path's few-repeats case (the many-repeats case sums each group with reduceat, so it differs
# from this loop in rounding). The Transformer benchmark's token embedding (2048 rows of 128
# into 1000): 1.59 -> 0.17 ms; its position embedding (32 repeats of 64 rows): 1.27 -> 0.10 ms
# (benchmarks/notes/transformer.md, session 5).
def _rows_added_loop(targets, rows, out):
    """out[targets[i]] += rows[i] for i in order (targets checked against out's rows)."""
    n, d = rows.shape
    for i in range(n):
        t = targets[i]
        for j in range(d):
            out[t, j] += rows[i, j]


_rows_added_jit = _jit.kernel(_rows_added_loop)
_JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_embedding.derivative((_embedding_grad, None))


def index_array(indices, name="embedding"):
    """The NumPy array of an index tensor (int64 or int32), or torch's dtype error."""
    a = indices._array
    if a.dtype not in _INDEX_KINDS:
        tname = _TORCH_TYPE.get(str(indices.dtype).split(".")[-1], str(indices.dtype))
        raise EmberRuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                                f"following scalar types: Long, Int; but got torch.{tname} "
                                f"instead (while checking arguments for {name})")
    return a


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """weight[indices] with torch's gradient options; ``indices`` is an int array or Tensor,
    ``padding_idx`` already wrapped to [0, num_embeddings) (-1: none)."""
    idx = index_array(indices) if isinstance(indices, Tensor) else indices
    if weight.ndim != 2:
        raise EmberRuntimeError(f"'weight' must be 2-D, got a weight of shape "
                                f"{list(weight.shape)}")
    n = weight.shape[0]
    idx = np.array(idx, dtype=np.int64)        # a copy: the Node keeps it for backward
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise EmberIndexError("index out of range in self")
    flat = idx.reshape(-1)
    rows = None
    targets = flat
    if padding_idx is not None and padding_idx >= 0:
        keep = flat != padding_idx
        if not keep.all():
            rows = np.flatnonzero(keep)
            targets = flat[rows]
    coef = None
    if scale_grad_by_freq and targets.size:
        counts = np.bincount(targets, minlength=n)
        coef = wrap((1.0 / counts[targets]).astype(weight._array.dtype)[:, None])
    attrs = {"index": idx, "rows": rows, "targets": targets, "num_weights": n}
    return dispatch.apply(_embedding, (weight, coef), attrs)


def renorm_rows_(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: rows of ``weight`` used by ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` are scaled in place to norm ``max_norm`` (no autograd record)."""
    from ..autograd.grad_mode import no_grad
    idx = index_array(indices) if isinstance(indices, Tensor) else indices
    uniq = np.unique(idx)
    if uniq.size == 0:
        return
    if uniq[0] < 0 or uniq[-1] >= weight.shape[0]:
        raise EmberIndexError("index out of range in self")
    w = weight._array
    rows = w[uniq]
    p = float(norm_type)
    norms = np.linalg.norm(rows, ord=p, axis=1)      # in the weight's dtype, as torch
    big = norms > max_norm
    if not big.any():
        return
    scale = max_norm / (norms[big].astype(np.float64) + 1e-7)
    new = (rows[big] * scale[:, None]).astype(w.dtype)
    with no_grad():
        # through an in-place op so the version counter moves, as torch's does
        weight.index_copy_(0, wrap(uniq[big]), wrap(new))
