"""default_collate (a list of samples -> one batch) and default_convert (one sample -> tensors),
with the container and dtype rules of torch's versions:

- tensors are stacked along a new dimension 0; NumPy arrays and NumPy scalars become tensors of
  their own dtype first;
- Python floats give float64, Python ints int64 (bools bool; a batch whose first element is an
  int but holding floats gives the default float dtype, as ``tensor()`` would);
- strings and bytes stay a list; dicts (and other mappings) are collated per key; namedtuples
  keep their type; other tuples become lists; lists (and other sequences) are collated per
  position and keep their type when it can be rebuilt.
"""
import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

import numpy as np

from ... import dtypes as _dt
from ...ops.creation import as_tensor, tensor
from ...ops.shape import stack
from ...tensor import Tensor, wrap
from .dataset import _StackedBatch

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_text_array(a):
    # String, bytes and object arrays cannot become tensors (torch tests dtype.str for S/a/U/O).
    return a.dtype.kind in "SUO"


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_mapping(elem, values):
    """``elem``'s mapping type holding ``values`` (a dict); a plain dict if it cannot be
    rebuilt."""
    if isinstance(elem, MutableMapping):
        clone = copy.copy(elem)
        clone.update(values)
        return clone
    try:
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values):
    """``elem``'s sequence type holding ``values`` (a list); a plain list if it cannot be
    rebuilt."""
    if isinstance(elem, MutableSequence):
        clone = copy.copy(elem)
        for i, v in enumerate(values):
            clone[i] = v
        return clone
    try:
        return type(elem)(values)
    except TypeError:
        return values


def _stack_tensors(batch):
    first = batch[0]
    shape, dt = first._array.shape, first._array.dtype
    # Plain arrays of one shape and dtype stack in one NumPy call; anything else (autograd,
    # mixed dtypes or shapes, non-tensors) goes through ember.stack for its semantics and errors.
    if all(isinstance(t, Tensor) and t._edge is None and t._array.shape == shape
           and t._array.dtype == dt for t in batch):
        return wrap(np.stack([t._array for t in batch]))
    return stack(batch, 0)


def default_collate(batch):
    """default_collate(batch) -> the samples in ``batch`` merged into one batch: tensors gain a
    leading batch dimension, containers are collated element-wise (rules in the module doc).

    Example::

        >>> default_collate([(1, 2.0), (3, 4.0)])
        [tensor([1, 3]), tensor([2., 4.], dtype=torch.float64)]
        >>> default_collate([{'x': ember.zeros(2), 'name': 'a'}, {'x': ember.ones(2), 'name': 'b'}])
        {'x': tensor([[0., 0.],
                [1., 1.]]), 'name': ['a', 'b']}
    """
    if isinstance(batch, _StackedBatch):
        return list(batch.tensors)
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (str, bytes)):
        if _is_text_array(np.asarray(elem)):
            raise TypeError(_ERR.format(elem.dtype))
        if isinstance(elem, np.ndarray):
            return _stack_tensors([as_tensor(b) for b in batch])
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dt.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _rebuild_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """default_convert(data) -> ``data`` with NumPy arrays and scalars turned into tensors,
    recursing into mappings and sequences (tuples become lists); the collate function when
    automatic batching is off (``batch_size=None``).

    Example::

        >>> default_convert({'a': np.arange(3), 'b': 'text'})
        {'a': tensor([0, 1, 2]), 'b': 'text'}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        if _is_text_array(np.asarray(data)):
            return data
        return as_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


__all__ = ["default_collate", "default_convert"]
