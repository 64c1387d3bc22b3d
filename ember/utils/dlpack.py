"""DLPack exchange without copies: ``Tensor.__dlpack__``/``__dlpack_device__`` export a tensor,
``from_dlpack`` imports anything that speaks DLPack (NumPy arrays, torch or JAX CPU tensors, or a
capsule from ``to_dlpack``). NumPy does the protocol work; ember only wraps its arrays.

A capsule can be consumed once. Capsules of the versioned protocol (DLPack ≥ 1.0, what
``to_dlpack`` makes) carry a read-only flag; legacy ones (torch's ``to_dlpack``) do not, so NumPy,
and therefore ember, imports those read-only.
"""
import numpy as np

from .._errors import EmberRuntimeError, EmberTypeError

__all__ = ["from_dlpack", "to_dlpack"]

_CAPSULE = type(np.ones(1).__dlpack__())


def export_capsule(tensor, stream=None, max_version=None, dl_device=None, copy=None):
    """The work of ``Tensor.__dlpack__``: NumPy's export of the tensor's array."""
    if tensor._edge is not None:
        raise EmberRuntimeError("Can't export tensors that require gradient, use "
                                "tensor.detach()")
    if stream is not None and stream != -1:
        raise EmberRuntimeError(f"ember tensors live on the CPU: __dlpack__ takes stream=None, "
                                f"got stream={stream!r}")
    kwargs = {}
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    return tensor._array.__dlpack__(**kwargs)


def to_dlpack(tensor):
    """to_dlpack(tensor) -> PyCapsule: a DLPack capsule sharing ``tensor``'s memory, to be
    consumed once by a ``from_dlpack`` (ember's, torch's, NumPy's through ``__dlpack__``).

    Example::

        >>> t = ember.arange(3.0)
        >>> u = ember.utils.dlpack.from_dlpack(ember.utils.dlpack.to_dlpack(t))
        >>> u[0] = 5.0
        >>> t
        tensor([5., 1., 2.])
    """
    from ..tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise EmberTypeError(f"to_dlpack(): expected a Tensor, got {type(tensor).__name__}")
    # the versioned protocol can say "writable", so importers need not make a read-only array
    return export_capsule(tensor, max_version=(1, 0))


class _CapsuleHolder:
    """Gives a bare capsule the ``__dlpack__`` interface ``np.from_dlpack`` expects."""

    __slots__ = ("capsule",)

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)       # a bare capsule does not say; ember can only import CPU memory


def from_dlpack(ext_tensor):
    """from_dlpack(ext_tensor) -> Tensor: a tensor sharing the memory of ``ext_tensor``, any
    object with ``__dlpack__``/``__dlpack_device__`` (NumPy array, torch or JAX CPU tensor) or a
    DLPack capsule.

    Example::

        >>> import numpy as np
        >>> a = np.zeros(3, dtype=np.float32)
        >>> t = ember.from_dlpack(a)
        >>> t += 1
        >>> a
        array([1., 1., 1.], dtype=float32)
    """
    from ..tensor import Tensor, wrap
    if isinstance(ext_tensor, Tensor):
        return wrap(ext_tensor._array)
    if isinstance(ext_tensor, _CAPSULE):
        ext_tensor = _CapsuleHolder(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise EmberTypeError(f"from_dlpack(): expected an object with __dlpack__ or a DLPack "
                             f"capsule, got {type(ext_tensor).__name__}")
    try:
        arr = np.from_dlpack(ext_tensor)
    except BufferError as exc:
        raise EmberRuntimeError(f"from_dlpack(): {exc} (ember tensors live on the CPU; move the "
                                f"source there first, e.g. x.cpu())") from exc
    from .. import dtypes as _dt
    if arr.dtype not in _dt._FROM_NP:
        raise EmberTypeError(f"from_dlpack(): dtype {arr.dtype} has no ember equivalent")
    return wrap(arr)
