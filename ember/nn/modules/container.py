"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (torch's semantics: indexing,
slicing, renumbering after deletion, ``+``/``*`` on Sequential, compressed ModuleList repr).

Modules registered here are also plain instance attributes (module.py), so every change of the
registry goes through add_module/delattr or ``_reset_modules`` to keep both in step."""
import operator
from collections import OrderedDict
from collections import abc as container_abcs
from itertools import chain, islice

from ..._errors import EmberRuntimeError
from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent


def _reset_modules(self, modules):
    """Replace all children by ``modules`` (a list of (name, module)), keeping attributes in
    step with the registry."""
    d = self.__dict__
    for key in list(self._modules):
        d.pop(key, None)
    self._modules.clear()
    for key, m in modules:
        self._modules[key] = m
        d[key] = m


def _renumber(self):
    _reset_modules(self, [(str(i), m) for i, m in enumerate(self._modules.values())])


def _abs_index(n, idx):
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx + n if idx < 0 else idx


class Sequential(Module):
    """Sequential(*modules) or Sequential(OrderedDict): runs modules in order. Supports
    indexing, slicing (a Sequential), len, iteration, ``del``, append/extend/insert/pop and
    ``+``, ``+=``, ``*``, ``*=``.

    Example::

        >>> net = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU())
        >>> net(ember.randn(2, 4)).shape, len(net + net)
        (torch.Size([2, 3]), 4)

    Shape:
        Input: what the first module takes; output: what the last module returns.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, m in args[0].items():
                self.add_module(key, m)
        else:
            for idx, m in enumerate(args):
                self.add_module(str(idx), m)

    def _get_item_by_idx(self, iterator, idx):
        i = _abs_index(len(self), idx)
        return next(islice(iterator, i, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(iter(self._modules.values()), idx)

    def __setitem__(self, idx, module):
        key = self._get_item_by_idx(iter(self._modules.keys()), idx)
        setattr(self, key, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, self._get_item_by_idx(iter(self._modules.keys()), idx))
        _renumber(self)       # torch renumbers the survivors 0..n-1, names included

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given.")
        ret = Sequential()
        for layer in chain(self, other):
            ret.append(layer)
        return ret

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given.")
        offset = len(self)
        for i, module in enumerate(list(other)):
            self.add_module(str(i + offset), module)
        return self

    def _check_factor(self, other):
        if not isinstance(other, int) or isinstance(other, bool):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")

    def __mul__(self, other):
        """Sequential * n: the same module objects repeated n times (shared parameters)."""
        self._check_factor(other)
        combined = Sequential()
        for i, module in enumerate(list(self) * other):
            combined.add_module(str(i), module)
        return combined

    __rmul__ = __mul__

    def __imul__(self, other):
        self._check_factor(other)
        mods = list(self)
        for i, module in enumerate(mods * (other - 1)):
            self.add_module(str(len(mods) + i), module)
        return self

    def append(self, module):
        """append(module) -> self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """insert(index, module) -> self: ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")  # noqa: TRY004
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        mods = list(self._modules.values())
        mods.insert(index, module)
        _reset_modules(self, [(str(i), m) for i, m in enumerate(mods)])
        return self

    def extend(self, sequential):
        """extend(iterable of modules) -> self."""
        for layer in sequential:
            self.append(layer)
        return self

    def pop(self, key):
        """pop(index or slice) -> the removed module(s)."""
        v = self[key]
        del self[key]
        return v

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(Module):
    """ModuleList(modules=None): a list of registered submodules (indexing, slicing, ``del``,
    append/extend/insert/pop, ``+``, ``+=``). Its repr folds runs of identical modules as
    ``(0-2): 3 x Linear(...)``.

    Example::

        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> layers.append(nn.ReLU())
        ModuleList(
          (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)
          (3): ReLU()
        )
        >>> len(layers), len(list(layers.parameters()))
        (4, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self += modules

    def _get_abs_string_index(self, idx):
        return str(_abs_index(len(self), idx))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._get_abs_string_index(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._get_abs_string_index(idx), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, self._get_abs_string_index(idx))
        _renumber(self)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def __repr__(self):
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []           # [first index, last index, repr] of consecutive equal reprs
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for lo, hi, r in runs:
            head = f"({lo})" if lo == hi else f"({lo}-{hi}): {hi - lo + 1} x"
            lines.append(_addindent(f"{head}: {r}" if lo == hi else f"{head} {r}", 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index, module):
        """insert(index, module): ``module`` before position ``index``."""
        n = len(self._modules)
        index = operator.index(index)
        if index < 0:
            index = max(index + n, 0)
        mods = list(self._modules.values())
        mods.insert(index, module)
        _reset_modules(self, [(str(i), m) for i, m in enumerate(mods)])

    def append(self, module):
        """append(module) -> self."""
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        """pop(index or slice) -> the removed module(s)."""
        v = self[key]
        del self[key]
        return v

    def extend(self, modules):
        """extend(iterable of modules) -> self."""
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self


def _pairs_update(owner, items, name):
    """Shared update() of ModuleDict/ParameterDict for an iterable of (key, value) pairs."""
    for j, p in enumerate(items):
        if not isinstance(p, container_abcs.Iterable):
            raise TypeError(f"{name} update sequence element #{j} should be Iterable; is"
                            + type(p).__name__)
        if len(p) != 2:
            raise ValueError(f"{name} update sequence element #{j} has length {len(p)}; 2 is "
                             "required")
        owner[p[0]] = p[1]


class ModuleDict(Module):
    """ModuleDict(modules=None): an ordered dict of registered submodules.

    Example::

        >>> heads = nn.ModuleDict({'cls': nn.Linear(8, 10), 'box': nn.Linear(8, 4)})
        >>> {k: tuple(m(torch.zeros(1, 8)).shape) for k, m in heads.items()}
        {'cls': (1, 10), 'box': (1, 4)}
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """clear(): remove every module."""
        _reset_modules(self, [])

    def pop(self, key):
        """pop(key) -> the removed module."""
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """update(mapping or iterable of (key, module) pairs)."""
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        if isinstance(modules, (OrderedDict, ModuleDict, container_abcs.Mapping)):
            for key, module in modules.items():
                self[key] = module
        else:
            _pairs_update(self, modules, "ModuleDict")


def _param_line(key, p, typename):
    if isinstance(p, Tensor):
        size = "x".join(str(s) for s in p.shape)
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        return f"  ({key}): {kind} containing: [{typename(p)} of size {size}]"
    return f"  ({key}): Object of type: {type(p).__name__}"


def _store(module, name, value):
    """Set entry ``name``: tensors become Parameters (registered), anything else a plain
    attribute, as torch's containers do."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        value = Parameter(value)
    if isinstance(value, Parameter) and name not in module._parameters:
        module.__dict__.pop(name, None)       # a plain object stored here before
        module.register_parameter(name, value)
    else:
        setattr(module, name, value)    # Module's rules: a Parameter slot takes None/Parameter


class ParameterList(Module):
    """ParameterList(values=None): a list of Parameters (plain tensors are wrapped in Parameter,
    other objects kept as they are), registered so ``parameters()`` and ``state_dict`` see them.

    Example::

        >>> pl = ember.nn.ParameterList([ember.randn(2), ember.randn(3)])
        >>> [tuple(p.shape) for p in pl], len(list(pl.parameters()))
        ([(2,), (3,)], 2)
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx):
        return str(_abs_index(len(self), idx))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx, param):
        _store(self, self._get_abs_string_index(idx), param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter([self[i] for i in range(len(self))])

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value):
        """append(value) -> self."""
        idx = self._size
        self._size += 1
        _store(self, str(idx), value)
        return self

    def extend(self, values):
        """extend(iterable) -> self (a Tensor is not unpacked)."""
        if not isinstance(values, container_abcs.Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_param_line(k, p, lambda t: str(t.dtype)) for k, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise EmberRuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """ParameterDict(parameters=None): an ordered dict of Parameters keyed by strings (a plain
    ``dict`` argument is inserted in sorted key order, as torch does).

    Example::

        >>> p = nn.ParameterDict({'scale': torch.ones(2)})
        >>> p['shift'] = torch.zeros(2)
        >>> sorted(name for name, _ in p.named_parameters())
        ['scale', 'shift']
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key_to_attr(key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a "
                            f"string (type is '{type(key).__name__}'). Open an issue on github if "
                            "you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        attr = self._key_to_attr(key)
        self._keys[key] = None
        _store(self, attr, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        """copy() -> a new ParameterDict holding the same Parameter objects."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for k in list(self._keys):
            del self[k]

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def popitem(self):
        """popitem() -> the last inserted (key, value)."""
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        k = next(reversed(self._keys))
        v = self[k]
        del self[k]
        return k, v

    def get(self, key, default=None):
        return self[key] if key in self else default  # noqa: SIM401 (this *is* get)

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters):
        """update(mapping or iterable of (key, value) pairs)."""
        if not isinstance(parameters, container_abcs.Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, value in parameters.items():
                self[key] = value
        elif isinstance(parameters, container_abcs.Mapping):
            for key, value in sorted(parameters.items()):
                self[key] = value
        else:
            _pairs_update(self, parameters, "ParameterDict")

    def extra_repr(self):
        return "\n".join(_param_line(k, p, lambda t: t.type()) for k, p in self.items())

    def __call__(self, input):
        raise EmberRuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        res = self.copy()
        res.update(other)
        return res

    def __ror__(self, other):
        res = other.copy()
        res.update(self)
        return res

    def __ior__(self, other):
        self.update(other)
        return self
