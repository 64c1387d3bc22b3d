"""Variable-length batches for recurrent layers: PackedSequence and the pack/pad helpers.

A PackedSequence stores the steps of a batch of sequences sorted by decreasing length, step
after step: ``data`` holds ``batch_sizes[0]`` rows for step 0 (one per sequence), then
``batch_sizes[1]`` rows for step 1 (the sequences at least two long), and so on. Every helper
here moves rows with one gather (``source[index]``), so gradients flow back through one
IndexBackward node; the index arithmetic runs in NumPy on lengths, never on data.
"""
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ..._errors import EmberRuntimeError
from ...tensor import Tensor, wrap

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence_",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """PackedSequence(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None).

    Made by :func:`pack_padded_sequence` / :func:`pack_sequence`, not by hand. ``batch_sizes``
    (int64) counts the sequences present at each step; ``sorted_indices[i]`` is the original
    batch position of the i-th longest sequence and ``unsorted_indices`` its inverse (both None
    when the input was already sorted). ``PackedSequence((data, batch_sizes))`` also works.

    Example::

        >>> rnn = nn.utils.rnn
        >>> packed = rnn.pack_sequence([torch.randn(3, 4), torch.randn(2, 4)])
        >>> output, h = nn.GRU(4, 5)(packed)
        >>> type(output).__name__, output.data.shape, h.shape
        ('PackedSequence', torch.Size([5, 5]), torch.Size([1, 2, 5]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif getattr(batch_sizes, "device", None) is not None and batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence "
                             "should never be created manually. They should be instantiated by "
                             "functions like pack_sequence and pack_padded_sequences in "
                             "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html"
                             "#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        """Convert ``data`` like Tensor.to (batch_sizes stay int64 on the CPU); returns self
        when nothing changes."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        return self._with_data(self.data.cpu(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=_dt("float64"))

    def float(self):
        return self.to(dtype=_dt("float32"))

    def half(self):
        return self.to(dtype=_dt("float16"))

    def long(self):
        return self.to(dtype=_dt("int64"))

    def int(self):
        return self.to(dtype=_dt("int32"))

    def short(self):
        return self.to(dtype=_dt("int16"))

    def char(self):
        return self.to(dtype=_dt("int8"))

    def byte(self):
        return self.to(dtype=_dt("uint8"))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _dt(name):
    from ... import dtypes
    return getattr(dtypes, name)


def _int64(values):
    return wrap(np.asarray(values, dtype=np.int64))


def invert_permutation(permutation):
    """invert_permutation(permutation) -> Tensor or None: the inverse of a 1-D permutation.

    Example::

        >>> rnn = nn.utils.rnn
        >>> rnn.invert_permutation(torch.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    p = np.asarray(permutation._array, dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.shape[0], dtype=np.int64)
    return wrap(inv)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        a = lengths._array
        if a.ndim != 1:
            kind = {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}.get(a.dtype.kind, "")
            raise EmberRuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but "
                                    f"got {a.ndim}D cpu {kind} tensor")
        return a.astype(np.int64)
    a = np.asarray(lengths, dtype=np.int64)
    if a.ndim != 1:
        raise EmberRuntimeError(f"'lengths' argument should be a 1D sequence of ints, but got "
                                f"shape {list(a.shape)}")
    return a


def _step_major_rows(lengths, stride_t, stride_b):
    """Flat source row of each packed row: steps in order, sequences in order within a step
    (``lengths`` sorted decreasingly); a position (t, b) lives at t*stride_t + b*stride_b."""
    steps = np.arange(lengths[0] if lengths.size else 0)
    present = steps[:, None] < lengths[None, :]
    t, b = np.nonzero(present)
    return t * stride_t + b * stride_b, present.sum(axis=1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True) ->
    PackedSequence.

    ``input`` is (T, B, *) padded sequences ((B, T, *) with ``batch_first``), ``lengths`` their
    lengths. With ``enforce_sorted=True`` the lengths must be in decreasing order; otherwise the
    batch is sorted here and ``sorted_indices`` records how.

    Example::

        >>> rnn = nn.utils.rnn
        >>> padded = torch.tensor([[1., 2., 3.], [4., 5., 0.]])
        >>> packed = rnn.pack_padded_sequence(padded, [3, 2], batch_first=True)
        >>> packed.data, packed.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _int64(order)
        input = input.index_select(batch_dim, sorted_indices)
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise EmberRuntimeError(f"pack_padded_sequence: expected input of at least 2 dimensions "
                                f"(T, B, *), got shape {list(shape)}")
    batch, total = shape[batch_dim], shape[1 - batch_dim]
    if lens.shape[0] != batch:
        raise EmberRuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                                f"{lens.shape[0]} (batch_size={batch})")
    if np.any(lens[1:] > lens[:-1]):
        raise EmberRuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability.")
    if batch == 0 or lens[-1] <= 0:
        raise EmberRuntimeError("Length of all samples has to be greater than 0, but found an "
                                "element in 'lengths' that is <= 0")
    if lens[0] > total:
        raise EmberRuntimeError(f"pack_padded_sequence: a length ({int(lens[0])}) exceeds the "
                                f"padded input's sequence dimension ({total}); input shape "
                                f"{list(shape)}, batch_first={batch_first}")
    stride_t, stride_b = (1, total) if batch_first else (batch, 1)
    rows, batch_sizes = _step_major_rows(lens, stride_t, stride_b)
    data = input.reshape((batch * total,) + shape[2:])[wrap(rows)]
    return PackedSequence(data, _int64(batch_sizes), sorted_indices, None)


def _lengths_of(batch_sizes):
    """Sequence lengths (in sorted order) from the per-step counts."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    return (bs[:, None] > np.arange(bs[0] if bs.size else 0)[None, :]).sum(axis=0)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)
    -> (Tensor, Tensor): the inverse of pack_padded_sequence.

    Returns the (T, B, *) padded batch ((B, T, *) with ``batch_first``) in the original batch
    order and the lengths (int64). ``total_length`` pads to that many steps.

    Example::

        >>> rnn = nn.utils.rnn
        >>> packed = rnn.pack_sequence([torch.tensor([1., 2., 3.]), torch.tensor([4., 5.])])
        >>> rnn.pad_packed_sequence(packed, batch_first=True)
        (tensor([[1., 2., 3.],
                [4., 5., 0.]]), tensor([3, 2]))
    """
    data = sequence.data
    batch_sizes = np.asarray(sequence.batch_sizes._array, dtype=np.int64)
    steps = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    lens = _lengths_of(batch_sizes)
    batch = lens.shape[0]
    n_rows = data.shape[0]
    # index[t, b] = packed row of step t of sorted sequence b, or the padding row n_rows
    index = np.full((steps, batch), n_rows, dtype=np.int64)
    t, b = np.nonzero(np.arange(steps)[:, None] < lens[None, :])
    index[t, b] = np.arange(n_rows)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        perm = np.asarray(unsorted._array, dtype=np.int64)
        index = index[:, perm]
        lens = lens[perm]
    if batch_first:
        index = index.T
    rest = tuple(data.shape[1:])
    pad = _padding_row(data, rest, padding_value)
    source = _cat0([data, pad])
    padded = source[wrap(np.ascontiguousarray(index).reshape(-1))]
    return padded.reshape(index.shape + rest), _int64(lens)


def _padding_row(like, rest, value):
    from ...ops.creation import full
    return full((1,) + rest, value, dtype=like.dtype)


def _cat0(tensors):
    from ...ops.shape import cat
    return cat(tensors, 0)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right') ->
    Tensor: stack (L_i, *) tensors into (T, B, *) ((B, T, *) with ``batch_first``), T the
    longest length, filling with ``padding_value`` on ``padding_side``.

    Example::

        >>> rnn = nn.utils.rnn
        >>> rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])], batch_first=True)
        tensor([[1, 2, 3],
                [4, 0, 0]])
    """
    if not isinstance(sequences, Iterable):
        raise EmberRuntimeError("pad_sequence: Expected iterable for input sequences, but got "
                                f"arg of type: {type(sequences)}")
    seqs = tuple(sequences)
    if not seqs:
        raise EmberRuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise EmberRuntimeError("Expected padding_side to be one of left or right, but got "
                                f"{padding_side}.")
    rest = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.ndim == 0 or tuple(s.shape[1:]) != rest:
            raise EmberRuntimeError(
                f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, rest))})"
                f" like sequences[0] {list(seqs[0].shape)}, but sequences[{i}] has shape "
                f"{list(s.shape)}")
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    n_rows = int(lens.sum())
    steps = int(lens.max())
    t = np.arange(steps)[:, None]
    if padding_side == "right":
        offset = t
    else:
        offset = t - (steps - lens)[None, :]
    present = (offset >= 0) & (offset < lens[None, :])
    index = np.where(present, starts[None, :] + offset, n_rows)
    if batch_first:
        index = index.T
    source = _cat0(list(seqs) + [_padding_row(seqs[0], rest, padding_value)])
    padded = source[wrap(np.ascontiguousarray(index).reshape(-1))]
    return padded.reshape(index.shape + rest)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """unpad_sequence(padded_sequences, lengths, batch_first=False) -> list of Tensors: the
    inverse of pad_sequence (right padding).

    Example::

        >>> rnn = nn.utils.rnn
        >>> padded = torch.tensor([[1, 2, 3], [4, 0, 0]])
        >>> rnn.unpad_sequence(padded, torch.tensor([3, 1]), batch_first=True)
        [tensor([1, 2, 3]), tensor([4])]
    """
    lens = _lengths_array(lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :int(n)] for b, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """pack_sequence(sequences, enforce_sorted=True) -> PackedSequence: pad_sequence, then
    pack_padded_sequence with the sequences' lengths.

    Example::

        >>> rnn = nn.utils.rnn
        >>> seqs = [torch.tensor([1, 2]), torch.tensor([3, 4, 5])]
        >>> rnn.pack_sequence(seqs, enforce_sorted=False).data
        tensor([3, 1, 4, 2, 5])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """unpack_sequence(packed_sequences) -> list of Tensors: the inverse of pack_sequence.

    Example::

        >>> rnn = nn.utils.rnn
        >>> seqs = [torch.tensor([1, 2, 3]), torch.tensor([4])]
        >>> rnn.unpack_sequence(rnn.pack_sequence(seqs))
        [tensor([1, 2, 3]), tensor([4])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
