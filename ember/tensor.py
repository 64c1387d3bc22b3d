"""Tensor: a NumPy array plus autograd state, in __slots__ (DESIGN.md §2.4, §2.6).

Slots: ``_array`` the backend array (often a NumPy view); ``_edge`` where gradients go (this
tensor's grad_fn node, a Slot of a multi-output node, a leaf's AccumulateGrad, or None when it
does not require grad); ``_grad``; ``_vc`` the version cell (Note [Version counters]); ``_view``
``(root tensor, view chain)`` for views; ``_meta`` rarely used extras (retain_grad, names);
``_device``. Math methods and operators are bound from the op registry by _tensor_methods.py.
"""
import numpy as np

from . import _layout
from . import dtypes as _dt
from ._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from ._state import state
from ._storage import UntypedStorage, cell_of
from .device import CPU

_new = object.__new__


class Size(tuple):
    """torch.Size: a tuple of ints with ``numel()``.

    Example::

        >>> s = torch.zeros(2, 3, 4).shape
        >>> s
        torch.Size([2, 3, 4])
        >>> s[1:], s.numel(), tuple(s)
        (torch.Size([3, 4]), 24, (2, 3, 4))
    """

    __slots__ = ()

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + other)

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(other + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__


def wrap(array, edge=None):
    """A new Tensor around ``array`` (no copy). The hot path builds results this way."""
    t = _new(Tensor)
    t._array = array
    t._edge = edge
    t._device = CPU
    t._grad = None
    t._vc = None
    t._view = None
    t._meta = None
    return t


class Tensor:
    """Tensor: an n-dimensional array of one dtype, with autograd history.

    Build tensors with ``ember.tensor(data)``, ``ember.zeros(*size)``, ``ember.randn(*size)``
    and the other creation functions; ``ember.Tensor(*size)`` and ``ember.Tensor(data)`` are the
    legacy constructors (float32). The data lives in a NumPy array: view operations
    (``view``, ``transpose``, slicing, ``detach``, ``numpy()``) share that memory, so a write
    through one is seen by all. ``requires_grad=True`` makes ember record the operations that
    use the tensor, so that ``backward()`` can compute gradients.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [4., 5., 6.]])
        >>> x
        tensor([[1., 2., 3.],
                [4., 5., 6.]])
        >>> x.shape, x.dtype
        (torch.Size([2, 3]), torch.float32)
        >>> row = x[0]           # a view: same memory
        >>> row[0] = 10.
        >>> x[0, 0]
        tensor(10.)
    """
    __slots__ = ("_array", "_edge", "_device", "_grad", "_vc", "_view", "_meta", "__weakref__")

    # Let NumPy defer to our reflected operators (np_array + tensor -> Tensor.__radd__).
    __array_priority__ = 1000

    def __new__(cls, *args, dtype=None, device=None, requires_grad=False):
        from .ops.creation import _legacy_new
        t = _legacy_new(cls, args, dtype, device)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, *args, **kwargs):
        pass

    # -- metadata ------------------------------------------------------------------------
    @property
    def shape(self):
        """The size of each dimension, a ``torch.Size`` (a tuple).

        Example::

            >>> torch.zeros(2, 3).shape
            torch.Size([2, 3])
        """
        return Size(self._array.shape)

    def size(self, dim=None):
        """size(dim=None) -> Size or int: the shape, or the length of dimension ``dim``.

        Example::

            >>> x = torch.zeros(2, 3)
            >>> x.size(), x.size(1), x.size(-1)
            (torch.Size([2, 3]), 3, 3)
        """
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[_size_dim(dim, self._array.ndim)]

    @property
    def dtype(self):
        """The data type of the elements (``torch.float32``, ``torch.int64``, ...).

        Example::

            >>> torch.tensor([1, 2]).dtype, torch.tensor([1., 2.]).dtype
            (torch.int64, torch.float32)
        """
        return _dt._FROM_NP[self._array.dtype]

    @property
    def device(self):
        """The device the data lives on (ember: always the CPU).

        Example::

            >>> torch.zeros(1).device
            device(type='cpu')
        """
        return self._device

    @property
    def is_cuda(self):
        """Whether the tensor lives on a CUDA device (always False in ember)."""
        return self._device.type == "cuda"

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_nested = False
    @property
    def layout(self):
        """torch.strided: ember's tensors are always strided arrays."""
        from ._layout import strided
        return strided

    @property
    def ndim(self):
        """The number of dimensions (``dim()``).

        Example::

            >>> torch.zeros(2, 3, 4).ndim
            3
        """
        return self._array.ndim

    def dim(self):
        """dim() -> int: number of dimensions.

        Example::

            >>> torch.zeros(2, 3).dim()
            2
        """
        return self._array.ndim

    ndimension = dim

    def numel(self):
        """numel() -> int: number of elements.

        Example::

            >>> torch.zeros(2, 3).numel()
            6
        """
        return self._array.size

    nelement = numel

    def element_size(self):
        """element_size() -> int: bytes per element.

        Example::

            >>> torch.zeros(1, dtype=torch.float64).element_size()
            8
        """
        return self._array.itemsize

    @property
    def itemsize(self):
        """Bytes per element (``element_size()``).

        Example::

            >>> torch.zeros(3, dtype=torch.float64).itemsize, torch.zeros(3).nbytes
            (8, 12)
        """
        return self._array.itemsize

    @property
    def nbytes(self):
        """Bytes taken by the elements (``numel() * element_size()``)."""
        return self._array.nbytes

    def stride(self, dim=None):
        """stride(dim=None) -> tuple or int: how many elements to step in memory to move one
        position along each dimension (or along ``dim``).

        Example::

            >>> x = torch.zeros(2, 3)
            >>> x.stride(), x.t().stride()
            ((3, 1), (1, 3))
        """
        a = self._array
        st = tuple(s // a.itemsize for s in a.strides) if a.itemsize else a.strides
        return st if dim is None else st[_size_dim(dim, a.ndim)]

    def storage_offset(self):
        """storage_offset() -> int: elements between the storage's start and this tensor's first.

        Example::

            >>> x = torch.arange(6.).view(2, 3)
            >>> x[1, 1:].storage_offset()
            4
        """
        from ._storage import root_array
        a = self._array
        root = root_array(a)
        offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return offset // max(a.itemsize, 1)

    def is_contiguous(self, memory_format=None):
        """is_contiguous(memory_format=torch.contiguous_format) -> bool: whether the elements
        lie in memory in row-major order without gaps.

        Example::

            >>> x = torch.zeros(2, 3)
            >>> x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()
            (True, False, True)
        """
        a = self._array
        if memory_format is not None and memory_format is not _layout.contiguous_format and \
                memory_format is not _layout.preserve_format:
            order = _layout.DIM_ORDERS.get(getattr(memory_format, "name", None))
            if order is None:
                raise EmberTypeError(f"is_contiguous(): argument 'memory_format' must be "
                                     f"torch.memory_format, not {type(memory_format).__name__}")
            return a.ndim == len(order) and _layout.is_laid_out(a.shape, self.stride(), order)
        if a.flags.c_contiguous:
            return True
        # torch ignores strides of size-1 dimensions
        return _layout.is_laid_out(a.shape, self.stride(), range(a.ndim))

    def data_ptr(self):
        """data_ptr() -> int: the address of the first element.

        Example::

            >>> x = torch.arange(4.)
            >>> x[1:].data_ptr() - x.data_ptr()
            4
        """
        return self._array.__array_interface__["data"][0]

    def untyped_storage(self):
        """untyped_storage() -> UntypedStorage: the memory block under this tensor and all its
        views.

        Example::

            >>> x = torch.zeros(4)
            >>> x.view(2, 2).untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
            True
        """
        return UntypedStorage(self._array)

    def is_floating_point(self):
        """is_floating_point() -> bool: whether the dtype is a floating-point type.

        Example::

            >>> torch.ones(1).is_floating_point(), torch.arange(3).is_floating_point()
            (True, False)
        """
        return self._array.dtype.kind == "f" or self._array.dtype == _dt.bfloat16.np

    def is_complex(self):
        """is_complex() -> bool: whether the dtype is a complex type."""
        return self._array.dtype.kind == "c"

    def is_signed(self):
        """is_signed() -> bool: whether the dtype can hold negative values.

        Example::

            >>> torch.tensor([1]).is_signed(), torch.tensor([1], dtype=torch.uint8).is_signed()
            (True, False)
        """
        return self.dtype.is_signed

    def get_device(self):
        """get_device() -> int: the CUDA device index, or -1 for the CPU (always -1 in ember)."""
        return -1

    # -- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for autograd; settable on leaves.

        Example::

            >>> x = torch.ones(2)
            >>> x.requires_grad
            False
            >>> x.requires_grad = True
            >>> (x * 2).requires_grad
            True
        """
        return self._edge is not None

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """requires_grad_(requires_grad=True) -> Tensor: start (or stop) recording the
        operations on this leaf tensor, in place; returns the tensor.

        Example::

            >>> torch.ones(2).requires_grad_()
            tensor([1., 1.], requires_grad=True)
        """
        from .autograd.node import AccumulateGrad
        e = self._edge
        if e is not None and type(e) is not AccumulateGrad:
            if requires_grad:
                return self
            raise EmberRuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad:
            if e is None:
                k = self._array.dtype.kind
                if k not in "fc" and self._array.dtype != _dt.bfloat16.np:
                    raise EmberRuntimeError("only Tensors of floating point and complex dtype can "
                                            f"require gradients (got {self.dtype})")
                if not state.inference and self._meta and self._meta.get("inference"):
                    raise EmberRuntimeError("Setting requires_grad=True on inference tensor "
                                            "outside InferenceMode is not allowed.")
                self._edge = AccumulateGrad(self)
        else:
            self._edge = None
        return self

    @property
    def is_leaf(self):
        """True for tensors no recorded operation produced: user-created tensors and all
        tensors that do not require grad. Only leaves get ``.grad`` filled by backward.

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> w.is_leaf, (w * 2).is_leaf
            (True, False)
        """
        from .autograd.node import AccumulateGrad
        return self._edge is None or type(self._edge) is AccumulateGrad

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (``None`` for leaves); backward starts
        from it.

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> (w * w).sum().grad_fn.name()
            'SumBackward0'
        """
        from .autograd.node import AccumulateGrad, Slot
        e = self._edge
        if e is None or type(e) is AccumulateGrad:
            return None
        return e.node if type(e) is Slot else e

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (``None`` until then); only leaves, and
        tensors that called ``retain_grad()``, get one.

        Example::

            >>> w = torch.tensor([1., 2.], requires_grad=True)
            >>> w.grad is None
            True
            >>> (3 * w).sum().backward()
            >>> w.grad
            tensor([3., 3.])
        """
        if self._grad is None and self._edge is not None and not self.is_leaf and \
                not (self._meta and self._meta.get("retains_grad")):
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise EmberTypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                     f"of type {type(value).__name__}")
            if value._array.shape != self._array.shape:
                raise EmberRuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
            if value._array.dtype != self._array.dtype:
                raise EmberRuntimeError(f"assigned grad has data of a different type: grad "
                                        f"{value.dtype}, tensor {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return bool(self._meta and self._meta.get("retains_grad"))

    def retain_grad(self):
        """retain_grad(): keep ``.grad`` for this non-leaf tensor during backward.

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> h = w * 2
            >>> h.retain_grad()
            >>> h.sum().backward()
            >>> h.grad
            tensor([1., 1.])
        """
        if self._edge is None:
            raise EmberRuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.is_leaf or self.retains_grad:
            return
        import weakref
        from .autograd.node import Slot
        e = self._edge
        node, idx = (e.node, e.idx) if type(e) is Slot else (e, 0)
        if node.retains is None:
            node.retains = {}
        node.retains[idx] = weakref.ref(self)
        if self._meta is None:
            self._meta = {}
        self._meta["retains_grad"] = True

    def register_hook(self, hook):
        """register_hook(hook): ``hook(grad) -> Tensor or None`` runs when this tensor's gradient
        is computed (a returned tensor replaces the gradient); returns a handle with
        ``remove()``.

        Example::

            >>> w = torch.tensor([1., 2.], requires_grad=True)
            >>> handle = w.register_hook(lambda g: g * 10)
            >>> (w * 3).sum().backward()
            >>> w.grad
            tensor([30., 30.])
            >>> handle.remove()
        """
        if self._edge is None:
            raise EmberRuntimeError("cannot register a hook on a tensor that doesn't require "
                                    "gradient")
        from .autograd.node import Slot
        e = self._edge
        node, idx = (e.node, e.idx) if type(e) is Slot else (e, 0)
        return node._add_tensor_hook(idx, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs after a leaf's ``.grad`` was accumulated."""
        from .autograd.node import AccumulateGrad, _Handle
        if type(self._edge) is not AccumulateGrad:
            raise EmberRuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                                    "tensors")
        leaf = self._edge
        if leaf.post_acc_hooks is None:
            leaf.post_acc_hooks = []
        leaf.post_acc_hooks.append(hook)
        return _Handle(leaf.post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """backward(gradient=None, retain_graph=None, create_graph=False, inputs=None):
        compute the gradient of this tensor with respect to the graph's leaves and add it to
        their ``.grad``.

        Args:
            gradient: the gradient of the final result with respect to this tensor; may be
                omitted for a one-element tensor (it is then 1).
            retain_graph: keep the graph's saved values, to call backward through it again.
            create_graph: record the backward computation too, for higher-order derivatives.
            inputs: only accumulate into these tensors' ``.grad``.

        Example::

            >>> w = torch.tensor([2., 3.], requires_grad=True)
            >>> (w * w).sum().backward()
            >>> w.grad
            tensor([4., 6.])
        """
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """detach() -> Tensor: a tensor on the same memory that is cut from the graph (it does
        not require grad).

        Example::

            >>> w = torch.tensor([2., 3.], requires_grad=True)
            >>> w.detach()
            tensor([2., 3.])
        """
        t = wrap(self._array)
        # shares the version counter, as torch's detach does, but is no view for autograd:
        # writing into it never touches its source's graph
        t._vc = cell_of(self)
        # remembered so backward() on it can say why it has no graph
        t._meta = {"detached": True, "inference": True} if (
            self._meta and self._meta.get("inference")) else {"detached": True}
        return t

    def __copy__(self):
        # copy.copy: a new tensor object on the same memory (torch rebuilds it from storage)
        t = wrap(self._array)
        if self._edge is not None:
            t.requires_grad_(True)
        return t

    def detach_(self):
        """detach_() -> Tensor: cut this tensor from the graph in place (it becomes a leaf that does
        not require grad).

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> h = w * 2
            >>> _ = h.detach_()
            >>> h.requires_grad, h.is_leaf
            (False, True)
        """
        from .autograd.node import AccumulateGrad
        e = self._edge
        if self._view is not None and e is not None and type(e) is not AccumulateGrad:
            raise EmberRuntimeError("Can't detach views in-place. Use detach() instead.")
        self._edge = None
        return self

    @property
    def data(self):
        """A tensor on the same memory, detached from the graph, that does not share the
        version counter (writing to it is not checked by autograd).

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> w.data
            tensor([1., 1.])
            >>> w.data.requires_grad
            False
        """
        t = wrap(self._array)
        t._vc = None         # torch: .data does not share the version counter
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise EmberTypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._array = value._array
        if self._edge is not None and hasattr(self._edge, "shape") and self.is_leaf:
            self._edge.shape = value._array.shape
            self._edge.dtype = value._array.dtype

    @property
    def _base(self):
        return None if self._view is None else self._view[0]

    def _is_view(self):
        return self._view is not None

    @property
    def _version(self):
        return 0 if self._vc is None else self._vc.version

    @property
    def output_nr(self):
        """Which output of its ``grad_fn`` this tensor is (0 for single-output ops)."""
        from .autograd.node import Slot
        return self._edge.idx if type(self._edge) is Slot else 0

    # -- conversion -------------------------------------------------------------------------
    def item(self):
        """item() -> number: the value of a one-element tensor as a Python number.

        Example::

            >>> torch.tensor([[7]]).item(), torch.tensor(2.5).item()
            (7, 2.5)
        """
        a = self._array
        if a.size != 1:
            raise EmberRuntimeError(f"a Tensor with {a.size} elements cannot be converted to "
                                    f"Scalar")
        v = a.reshape(()).item() if a.dtype != _dt.bfloat16.np else float(a.reshape(()))
        return v

    def tolist(self):
        """tolist(): nested Python lists (a number for a 0-dim tensor).

        Example::

            >>> torch.tensor([[1., 2.], [3., 4.]]).tolist()
            [[1.0, 2.0], [3.0, 4.0]]
        """
        a = self._array
        if a.dtype == _dt.bfloat16.np or a.dtype == np.float16:
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force=False):
        """numpy(*, force=False) -> ndarray sharing this tensor's memory.

        A tensor that requires grad must be detached first (or pass ``force=True``).

        Example::

            >>> t = torch.zeros(3)
            >>> a = t.numpy()
            >>> a[0] = 5
            >>> t
            tensor([5., 0., 0.])
        """
        if self._edge is not None and not force:
            raise EmberRuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                    "tensor.detach().numpy() instead.")
        return self._array

    def __array__(self, dtype=None, copy=None):
        if self._edge is not None:
            raise EmberRuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                    "tensor.detach().numpy() instead.")
        a = self._array
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """__dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None) -> PyCapsule
        sharing this tensor's memory (the array's own DLPack export; CPU only)."""
        from .utils.dlpack import export_capsule
        return export_capsule(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        """__dlpack_device__() -> (device type, index): (1, 0), DLPack's code for the CPU."""
        return self._array.__dlpack_device__()

    def __len__(self):
        if self._array.ndim == 0:
            raise EmberTypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise EmberTypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        n = self._array.size
        if n != 1:
            what = "no values" if n == 0 else "more than one value"
            raise EmberRuntimeError(f"Boolean value of Tensor with {what} is ambiguous "
                                    f"(shape {list(self._array.shape)})")
        return bool(self._array.reshape(()))

    def _scalar(self, target):
        # float()/int()/complex(): torch's ValueError for several elements and its RuntimeError
        # for a complex value that would lose its imaginary part
        a = self._array
        if a.size != 1:
            raise EmberValueError(f"only one element tensors can be converted to Python scalars "
                                  f"(got shape {list(a.shape)})")
        v = self.item()
        if type(v) is complex and target is not complex:
            ctype = "double" if target is float else "int64_t"
            raise EmberRuntimeError(f"value cannot be converted to type {ctype} without overflow "
                                    f"(a {self.dtype} tensor holding {v})")
        return target(v)

    def __float__(self):
        # torch 2.x also warns here when the tensor requires grad; ember stays silent so that
        # float(loss) in logging code does not fail under warnings-as-errors
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __index__(self):
        a = self._array
        if a.dtype.kind not in "iub" or a.size != 1:
            raise EmberTypeError("only integer tensors of a single element can be converted to an "
                                 "index")
        return int(a.reshape(()))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool, complex)):
            return bool((self == element)._array.any())
        raise EmberRuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                                f"passed in a {type(element).__name__}.")

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self, tensor_contents)

    def __format__(self, spec):
        # 0-dim tensors format as their Python number (f"{loss:.4f}"); others only as str()
        if self._array.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise EmberRuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                                    "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        t = _new(type(self))
        t._array, t._edge, t._device, t._grad, t._vc, t._view, t._meta = \
            self._array.copy(), None, self._device, None, None, None, None
        if self._edge is not None:
            t.requires_grad_(True)
        if self._grad is not None:
            t._grad = wrap(self._grad._array.copy())
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, proto):
        raise EmberTypeError("ember tensors are not picklable: use ember.save, which writes a "
                             "format that loads without running code")

    @property
    def T(self):
        """The tensor with its dimensions reversed (the transpose, for a matrix).

        Example::

            >>> torch.arange(6).view(2, 3).T
            tensor([[0, 3],
                    [1, 4],
                    [2, 5]])
        """
        n = self._array.ndim
        if n != 2:
            import warnings
            if n == 0:
                msg = ("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                       "these cases.")
            else:
                msg = ("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                       "shape is deprecated and it will throw an error in a future release. "
                       "Consider `x.mT` to transpose batches of matrices or "
                       "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                       f"dimensions of a tensor. (got a {n}-D tensor)")
            warnings.warn(msg, UserWarning, stacklevel=2)
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self):
        """The transpose of the last two dimensions (a batch of matrices).

        Example::

            >>> torch.zeros(5, 2, 3).mT.shape
            torch.Size([5, 3, 2])
        """
        if self._array.ndim < 2:
            raise EmberRuntimeError(f"tensor.mT is only supported on matrices or batches of "
                                    f"matrices. Got {self._array.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        """The conjugate transpose of a matrix (``.T`` for real tensors).

        Example::

            >>> torch.tensor([[1., 2.], [3., 4.]]).H
            tensor([[1., 3.],
                    [2., 4.]])
        """
        n = self._array.ndim
        if n == 0:
            import warnings
            warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=2)
            return self.conj() if self.is_complex() else self
        if n != 2:
            hint = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
            raise EmberRuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                                    f"{n}-D tensor.{hint}")
        return self.transpose(0, 1).conj() if self.is_complex() else self.transpose(0, 1)

    @property
    def mH(self):
        """The conjugate transpose of the last two dimensions."""
        if self._array.ndim < 2:
            raise EmberRuntimeError(f"tensor.mH is only supported on matrices or batches of "
                                    f"matrices. Got {self._array.ndim}-D tensor.")
        return self.mT.conj() if self.is_complex() else self.mT

    @property
    def real(self):
        """The real part of a complex tensor, as a view (the tensor itself when real).

        Example::

            >>> z = torch.tensor([1 + 2j, 3 - 1j])
            >>> z.real, z.imag
            (tensor([1., 3.]), tensor([ 2., -1.]))
        """
        from .ops.complex_ops import real
        return real(self)

    @real.setter
    def real(self, value):
        self.real.copy_(value)

    @property
    def imag(self):
        """The imaginary part of a complex tensor, as a view."""
        from .ops.complex_ops import imag
        return imag(self)

    @imag.setter
    def imag(self, value):
        self.imag.copy_(value)


def _wrap_dim(dim, ndim):
    """Normalise a possibly negative ``dim`` for a tensor of ``ndim`` dimensions (0-dim tensors
    accept 0 and -1, as torch does)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        from ._errors import EmberIndexError
        raise EmberIndexError(f"Dimension out of range (expected to be in range of "
                              f"[{-n}, {n - 1}], "
                              f"but got {dim})")
    return dim % n if ndim else 0


def _size_dim(dim, ndim):
    """``dim`` for size()/stride(): as _wrap_dim, with torch's own message for 0-dim tensors."""
    if ndim == 0 and dim not in (0, -1):
        from ._errors import EmberIndexError
        raise EmberIndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)
