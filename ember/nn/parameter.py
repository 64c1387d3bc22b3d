"""Parameter: a Tensor subclass that Modules register automatically."""
from ..tensor import Tensor, wrap


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True): a leaf tensor a Module treats as trainable.

    Example::

        >>> p = nn.Parameter(torch.zeros(2))
        >>> p
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
        >>> lin = nn.Linear(1, 1)
        >>> lin.scale = nn.Parameter(torch.ones(1))
        >>> [name for name, _ in lin.named_parameters()]
        ['weight', 'bias', 'scale']
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            import numpy as np
            from ..dtypes import _defaults
            arr = np.empty((0,), dtype=_defaults.float.np)
        else:
            arr = data._array
        p = object.__new__(cls)
        p._array, p._edge, p._device, p._grad, p._vc, p._view, p._meta = (
            arr, None, getattr(data, "_device", None) or _cpu(), None,
            None if data is None else data._vc, None, None)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        import numpy as np
        p = Parameter(wrap(np.array(self._array, copy=True)), self.requires_grad)
        memo[id(self)] = p
        return p


def _cpu():
    from ..device import CPU
    return CPU


class Buffer:
    """Buffer(data, persistent=True): marks a tensor as a module buffer when assigned.

    Example::

        >>> lin = nn.Linear(1, 1)
        >>> lin.steps = nn.Buffer(torch.zeros(()))
        >>> list(lin.state_dict())
        ['weight', 'bias', 'steps']
    """

    def __new__(cls, data=None, *, persistent=True):
        data._meta = dict(data._meta or {}, buffer_persistent=persistent)
        return data
