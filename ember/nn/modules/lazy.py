"""Lazy modules: parameters whose shape is inferred from the first input.

A lazy layer holds ``UninitializedParameter``s; a forward pre-hook calls
``initialize_parameters(input)`` on the first call, which materialises them (a class change, so
the Parameter objects an optimizer may already hold stay the same objects), initialises them as
the eager layer would, removes the hook and turns the module into its eager class
(``cls_to_become``): ``LazyLinear`` becomes ``Linear``.
"""
import numpy as np

from ..._errors import EmberRuntimeError
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from ...tensor import Tensor, wrap
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear

_SHAPE_MSG = ("Can't access the shape of an uninitialized parameter or buffer. This error usually "
              "happens in `load_state_dict` when trying to load an uninitialized parameter into "
              "an initialized one. Call `forward` to initialize the parameters before accessing "
              "their attributes.")


class _UninitializedMixin:
    """Shared by UninitializedParameter and UninitializedBuffer: no shape until materialize()."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """materialize(shape, device=None, dtype=None): allocate (uninitialised) memory of
        ``shape`` and become a plain Parameter / Tensor."""
        from ... import dtypes as _dt
        np_dtype = self._array.dtype if dtype is None else _dt.to_dtype(dtype).np
        if isinstance(shape, int):
            shape = (shape,)
        Tensor.data.fset(self, wrap(np.empty(tuple(shape), dtype=np_dtype)))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise EmberRuntimeError(_SHAPE_MSG)

    def size(self, dim=None):
        raise EmberRuntimeError(_SHAPE_MSG)

    def numel(self):
        raise EmberRuntimeError(_SHAPE_MSG)

    def detach(self):
        return self

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        res = type(self)(self.requires_grad, dtype=None)
        res._array = self._array.copy()
        memo[id(self)] = res
        return res


class UninitializedParameter(_UninitializedMixin, Parameter):
    """UninitializedParameter(requires_grad=True, device=None, dtype=None): a Parameter without
    a shape yet; ``materialize(shape)`` turns it into a Parameter.

    Example:
        >>> p = nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> p.shape, isinstance(p, nn.Parameter)
        (torch.Size([2, 3]), True)
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        p = Parameter.__new__(cls, empty(0, dtype=dtype), requires_grad)
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """UninitializedBuffer(requires_grad=False, device=None, dtype=None): a buffer without a
    shape yet; ``materialize(shape)`` turns it into a Tensor.

    Example:
        >>> b = nn.UninitializedBuffer()
        >>> b.materialize((2, 3))
        >>> b.shape, isinstance(b, nn.UninitializedBuffer)
        (torch.Size([2, 3]), False)
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        base = empty(0, dtype=dtype)
        t = object.__new__(cls)
        t._array, t._edge, t._device, t._grad, t._vc, t._view, t._meta = (
            base._array, None, base._device, None, None, None, None)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass


def is_lazy(param):
    """is_lazy(param) -> bool: whether ``param`` is an uninitialized parameter or buffer."""
    return isinstance(param, _UninitializedMixin)


class LazyModuleMixin:
    """Mixin for modules whose parameters are shaped by their first input: subclasses define
    ``initialize_parameters(*args)`` and ``cls_to_become``.

    Example::

        >>> m = nn.LazyLinear(4)
        >>> m.has_uninitialized_params()
        True
        >>> _ = m(torch.ones(2, 3))
        >>> type(m).__name__, m.weight.shape
        ('Linear', torch.Size([4, 3]))
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Loading a materialised checkpoint gives uninitialized entries their shapes."""
        regs = list(self._parameters.items()) + list(self._buffers.items())
        for name, param in regs:
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                src = state_dict[key]
                if not is_lazy(src):
                    with no_grad():
                        param.materialize(tuple(src.shape))

    def has_uninitialized_params(self):
        """Whether any parameter or buffer of this module is still uninitialized."""
        regs = list(self._parameters.values()) + list(self._buffers.values())
        return any(is_lazy(p) for p in regs)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise EmberRuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module.__dict__["_initialize_hook"]
        del module.__dict__["_load_hook"]
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise EmberRuntimeError("Modules with uninitialized parameters can't be used with "
                                "`DataParallel`. Run a dummy forward pass to correctly "
                                "initialize the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """LazyLinear(out_features, bias=True, device=None, dtype=None): a Linear whose in_features
    is taken from the first input's last dimension; it then becomes a Linear.

    Example::

        >>> m = ember.nn.LazyLinear(3)
        >>> m(ember.randn(2, 5)).shape, type(m).__name__, m.in_features
        (torch.Size([2, 3]), 'Linear', 5)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:       # materialised by load_state_dict before any forward
            if input.shape[-1] != self.weight.shape[-1]:
                raise EmberRuntimeError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class _LazyConvMixin(LazyModuleMixin):
    def _lazy_init(self, out_channels, bias, dtype):
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise EmberRuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input "
                                    f"to {type(self).__name__}, but got input of size: "
                                    f"{input.shape}")
        return input.shape[1] if input.ndim == nd + 2 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        with no_grad():
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """LazyConv1d(out_channels, kernel_size, ...): Conv1d with in_channels from the first
    input.

    Example::

        >>> m = nn.LazyConv1d(4, 3)
        >>> m(torch.ones(1, 2, 8)).shape
        torch.Size([1, 4, 6])
        >>> m.weight.shape
        torch.Size([4, 2, 3])
    """
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """LazyConv2d(out_channels, kernel_size, ...): Conv2d with in_channels from the first
    input.

    Example::

        >>> m = nn.LazyConv2d(4, 3)
        >>> m(torch.ones(1, 2, 8, 8)).shape
        torch.Size([1, 4, 6, 6])
        >>> m.weight.shape
        torch.Size([4, 2, 3, 3])
    """
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """LazyConv3d(out_channels, kernel_size, ...): Conv3d with in_channels from the first
    input.

    Example::

        >>> m = nn.LazyConv3d(4, 3)
        >>> m(torch.ones(1, 2, 5, 5, 5)).shape
        torch.Size([1, 4, 3, 3, 3])
        >>> m.weight.shape
        torch.Size([4, 2, 3, 3, 3])
    """
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """LazyConvTranspose1d(out_channels, kernel_size, ...).

    Example::

        >>> m = nn.LazyConvTranspose1d(4, 3)
        >>> m(torch.ones(1, 2, 8)).shape
        torch.Size([1, 4, 10])
        >>> m.weight.shape
        torch.Size([2, 4, 3])
    """
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """LazyConvTranspose2d(out_channels, kernel_size, ...).

    Example::

        >>> m = nn.LazyConvTranspose2d(4, 3)
        >>> m(torch.ones(1, 2, 8, 8)).shape
        torch.Size([1, 4, 10, 10])
        >>> m.weight.shape
        torch.Size([2, 4, 3, 3])
    """
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """LazyConvTranspose3d(out_channels, kernel_size, ...).

    Example::

        >>> m = nn.LazyConvTranspose3d(4, 3)
        >>> m(torch.ones(1, 2, 3, 3, 3)).shape
        torch.Size([1, 4, 5, 5, 5])
        >>> m.weight.shape
        torch.Size([2, 4, 3, 3, 3])
    """
    cls_to_become = ConvTranspose3d
