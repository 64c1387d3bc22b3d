"""Version counters and storage identity.

Note [Version counters]: a VersionCell is shared by a tensor and every view of it; in-place ops
bump it, and autograd nodes record (cell, version) for each value they keep, so using a value
that was overwritten after being saved raises instead of giving a wrong gradient. Cells are made
lazily: a tensor that was never saved or viewed has none, and its version is 0.
"""
import numpy as np


class VersionCell:
    __slots__ = ("version",)

    def __init__(self):
        self.version = 0


def cell_of(t):
    """The tensor's version cell, created on first need (views always have their root's)."""
    c = t._vc
    if c is None:
        c = t._vc = VersionCell()
    return c


def root_array(a):
    """The array that owns the memory ``a`` looks at (follows NumPy's ``base`` chain)."""
    while True:
        b = a.base
        if b is None:
            return a
        if not isinstance(b, np.ndarray):
            # as_strided views hang off a helper object whose .base is the real array
            b = getattr(b, "base", None)
            if not isinstance(b, np.ndarray):
                return a
        a = b


class UntypedStorage:
    """untyped_storage(): the memory block under a tensor, enough to tell whether two tensors
    share memory (``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()``).

    Example:
        >>> x = torch.arange(4.0)
        >>> isinstance(x.untyped_storage(), torch.UntypedStorage), x.untyped_storage().nbytes()
        (True, 16)
        >>> x[1:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        True
    """

    __slots__ = ("_root",)

    def __init__(self, array):
        self._root = root_array(array)

    def data_ptr(self):
        return self._root.__array_interface__["data"][0]

    def nbytes(self):
        return self._root.nbytes

    def size(self):
        return self._root.nbytes

    def __len__(self):
        return self._root.nbytes

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and self.data_ptr() == other.data_ptr()

    def __hash__(self):
        return hash(self.data_ptr())

    def __repr__(self):
        return f"UntypedStorage(data_ptr={self.data_ptr():#x}, nbytes={self.nbytes()})"
