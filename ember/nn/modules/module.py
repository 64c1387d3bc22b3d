"""Module: parameters, buffers and submodules registered by assignment; traversal, state_dict,
train/eval, hooks. Registered values are also stored as plain instance attributes so forward()
reads them at dict speed instead of through __getattr__ (DESIGN.md §2.8)."""
import itertools
from collections import OrderedDict, namedtuple

from ..._diagnostics import module_failure as _module_failure
from ..._errors import EmberRuntimeError, EmberTypeError
from ...tensor import Tensor
from ..parameter import Parameter

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _IncompatibleKeysResult(_IncompatibleKeys):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _Handle:
    _ids = itertools.count()

    def __init__(self, d):
        self._d = d
        self.id = next(self._ids)

    def remove(self):
        self._d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_global_forward_hooks = OrderedDict()
_global_forward_pre_hooks = OrderedDict()


class Module:
    """Module(): the base class of every layer and model.

    Subclass it, assign layers (Modules) and ``nn.Parameter``s as attributes in ``__init__``
    (after calling ``super().__init__()``), and compute the output in ``forward``. Calling the
    module runs ``forward`` together with any hooks. Assigned layers and parameters are
    registered: ``parameters()`` finds them for the optimizer, ``state_dict()`` saves them,
    ``to()``/``float()``/``double()`` convert them, ``train()``/``eval()`` switch their mode.

    Example::

        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(4, 8)
        ...         self.out = nn.Linear(8, 2)
        ...
        ...     def forward(self, x):
        ...         return self.out(torch.relu(self.hidden(x)))
        >>> model = TwoLayer()
        >>> model(torch.randn(3, 4)).shape
        torch.Size([3, 2])
        >>> [name for name, _ in model.named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
        >>> model
        TwoLayer(
          (hidden): Linear(in_features=4, out_features=8, bias=True)
          (out): Linear(in_features=8, out_features=2, bias=True)
        )
    """

    training = True
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # -- registration --------------------------------------------------------------------------
    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign module before Module.__init__() call")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, params)
            params[name] = value
        elif params is not None and name in params:
            if value is not None and not isinstance(value, Parameter):
                raise EmberTypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                     f"'{name}' (torch.nn.Parameter or None expected)")
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d["_modules"])
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise EmberTypeError(f"cannot assign '{type(value).__name__}' as child module "
                                     f"'{name}' (torch.nn.Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise EmberTypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                     "(torch.Tensor or None expected)")
            d["_buffers"][name] = value
        elif isinstance(value, Tensor) and value._meta and "buffer_persistent" in value._meta:
            self.register_buffer(name, value, persistent=value._meta["buffer_persistent"])
            return
        object.__setattr__(self, name, value)

    def _remove_from(self, name, keep):
        d = self.__dict__
        for reg in (d["_parameters"], d["_buffers"], d["_modules"]):
            if reg is not keep:
                reg.pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: names registered through register_* before
        # __init__ finished, or deleted plain attributes.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if name in d.get(reg, ()):
                del d[reg][name]
                d["_non_persistent_buffers_set"].discard(name)
                d.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """register_parameter(name, param): add a Parameter (or None) under ``name``."""
        self._check_init()
        if not isinstance(name, str):
            raise EmberTypeError(f"parameter name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise EmberTypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                                 f"'{name}' (torch.nn.Parameter or None required)")
        if param is not None and not param.is_leaf:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly. To express '{name}' as a "
                             "function of another Tensor, compute the value in the forward() "
                             "method.")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """register_buffer(name, tensor, persistent=True): state that is not a parameter (saved
        in state_dict unless persistent=False)."""
        self._check_init()
        if not isinstance(name, str):
            raise EmberTypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise EmberTypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                                 f"'{name}' (torch Tensor or None required)")
        self._remove_from(name, self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def register_module(self, name, module):
        """register_module(name, module): alias of add_module."""
        self.add_module(name, module)

    def add_module(self, name, module):
        """add_module(name, module): add a child module (or None) under ``name``."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise EmberTypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise EmberTypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def get_submodule(self, target):
        """get_submodule("a.b.c") -> Module."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # -- traversal -------------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse=True):
        """parameters(recurse=True) -> iterator over Parameters (each once).

        Example::

            >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
            >>> sum(p.numel() for p in model.parameters())
            13
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """named_parameters(prefix='', recurse=True) -> iterator of (dotted name, Parameter).

        Example::

            >>> model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
            >>> [(name, tuple(p.shape)) for name, p in model.named_parameters()]
            [('0.weight', (3, 2)), ('0.bias', (3,)), ('1.weight', (1, 3)), ('1.bias', (1,))]
        """
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """named_modules() -> iterator of (dotted name, Module), self first as ''.

        Example::

            >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> [name for name, _ in model.named_modules()]
            ['', '0', '1']
        """
        if memo is None:
            memo = set()
        if id(self) in memo and remove_duplicate:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    # -- modes and grads ---------------------------------------------------------------------
    def train(self, mode=True):
        """train(mode=True) -> self: set training mode here and in every submodule.

        Example::

            >>> model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
            >>> model.eval()[1].training
            False
            >>> model.train()[1].training
            True
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        """eval() -> self: train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """zero_grad(set_to_none=True): clear every parameter's ``.grad``.

        Example::

            >>> lin = nn.Linear(2, 1)
            >>> lin(torch.ones(1, 2)).sum().backward()
            >>> lin.weight.grad is None
            False
            >>> lin.zero_grad()
            >>> lin.weight.grad is None
            True
        """
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p._grad = None
                else:
                    p._grad = p._grad.detach()
                    p._grad.zero_()

    # -- conversion ------------------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        if recurse:
            for m in self.children():
                m._apply(fn)
        for key, p in self._parameters.items():
            if p is None:
                continue
            new = fn(p)
            if new is not p:
                p._array = new._array
                if p._edge is not None:
                    p._edge.shape, p._edge.dtype = new._array.shape, new._array.dtype
                if p._grad is not None:
                    p._grad = fn(p._grad)
        for key, b in self._buffers.items():
            if b is not None:
                nb = fn(b)
                self._buffers[key] = nb
                object.__setattr__(self, key, nb)
        return self

    def apply(self, fn):
        """apply(fn) -> self: call fn(module) on every submodule, then self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """to(dtype) / to(device) / to(device, dtype) -> self: converts floating parameters and
        buffers in place."""
        from ... import dtypes as _dt
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
        from ...device import check_device
        check_device(kwargs.get("device", next((a for a in args if isinstance(a, str)), None)))
        if dtype is None:
            return self
        dtype = _dt.to_dtype(dtype)
        if not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got "
                            f"desired dtype={dtype}")

        def convert(t):
            if t.is_floating_point() or t.is_complex():
                return t.to(dtype)
            return t
        return self._apply(convert)

    def float(self):
        from ... import dtypes as _dt
        return self._apply(lambda t: t.to(_dt.float32) if t.is_floating_point() else t)

    def double(self):
        from ... import dtypes as _dt
        return self._apply(lambda t: t.to(_dt.float64) if t.is_floating_point() else t)

    def half(self):
        from ... import dtypes as _dt
        return self._apply(lambda t: t.to(_dt.float16) if t.is_floating_point() else t)

    def bfloat16(self):
        from ... import dtypes as _dt
        return self._apply(lambda t: t.to(_dt.bfloat16) if t.is_floating_point() else t)

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise EmberRuntimeError("ember has no CUDA backend yet: modules live on the CPU")

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    # -- state dict --------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """state_dict(*, destination=None, prefix='', keep_vars=False) -> OrderedDict of
        parameters and persistent buffers under dotted names.

        Example::

            >>> lin = nn.Linear(2, 1)
            >>> sd = lin.state_dict()
            >>> list(sd.keys()), sd['weight'].shape
            (['weight', 'bias'], torch.Size([1, 2]))
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            r = hook(self, destination, prefix, {})
            if r is not None:
                destination = r
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """load_state_dict(state_dict, strict=True, assign=False) -> (missing_keys,
        unexpected_keys); strict raises listing both, as torch does.

        Example::

            >>> src, dst = nn.Linear(2, 1), nn.Linear(2, 1)
            >>> dst.load_state_dict(src.state_dict())
            <All keys matched successfully>
            >>> bool((dst.weight == src.weight).all())
            True
        """
        if not hasattr(state_dict, "items"):
            raise EmberTypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        pre_hooked = [(mp, m) for mp, m in self.named_modules() if m._load_state_dict_pre_hooks]
        if pre_hooked:
            state_dict = OrderedDict(state_dict)      # hooks may rename keys: not the caller's
            for mprefix, m in pre_hooked:
                for hook in list(m._load_state_dict_pre_hooks.values()):
                    hook(m, state_dict, mprefix + "." if mprefix else "", {}, strict, missing,
                         unexpected, errors)
        own = {}
        for mprefix, m in self.named_modules():
            p = mprefix + "." if mprefix else ""
            for name, t in m._parameters.items():
                if t is not None:
                    own[p + name] = (m, name, t, "param")
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent_buffers_set:
                    own[p + name] = (m, name, t, "buffer")
        for key, (m, name, t, kind) in own.items():
            if key not in state_dict:
                missing.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor '
                              f"or Tensor-like object from checkpoint but received {type(src)}")
                continue
            if tuple(src.shape) != tuple(t.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{src.shape} from checkpoint, the shape in current model is "
                              f"{t.shape}.")
                continue
            from ...autograd.grad_mode import no_grad
            with no_grad():
                if assign:
                    if kind == "param":
                        setattr(m, name, Parameter(src, requires_grad=t.requires_grad))
                    else:
                        setattr(m, name, src)
                else:
                    t.copy_(src)
        for key in state_dict.keys():
            if key not in own:
                unexpected.append(key)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise EmberRuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeysResult(missing, unexpected)

    # -- calling and hooks -------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        try:
            if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                    or self._backward_pre_hooks or _global_forward_hooks
                    or _global_forward_pre_hooks):
                return self.forward(*args, **kwargs)
            return self._call_with_hooks(args, kwargs)
        except EmberRuntimeError as exc:
            # Note [Module trail] in _diagnostics.py: name the failing submodule's path (the
            # try costs nothing when forward succeeds)
            new = _module_failure(self, exc, args)
            if new is None:
                raise
            raise new from exc

    def _call_with_hooks(self, args, kwargs):
        for hid, hook in list(_global_forward_pre_hooks.items()) + list(
                self._forward_pre_hooks.items()):
            if self._forward_pre_hooks_with_kwargs.get(hid):
                r = hook(self, args, kwargs)
                if r is not None:
                    args, kwargs = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        bw = None
        if self._backward_hooks or self._backward_pre_hooks:
            from ._backward_hooks import BackwardHook
            bw = BackwardHook(self)
            args = bw.setup_input(args)
        out = self.forward(*args, **kwargs)
        for hid, hook in list(_global_forward_hooks.items()) + list(self._forward_hooks.items()):
            if self._forward_hooks_with_kwargs.get(hid):
                r = hook(self, args, kwargs, out)
            else:
                r = hook(self, args, out)
            if r is not None:
                out = r
        if bw is not None:
            out = bw.setup_output(out)
        return out

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or modified args, run before forward."""
        h = _Handle(self._forward_pre_hooks)
        self._forward_pre_hooks[h.id] = hook
        if prepend:
            self._forward_pre_hooks.move_to_end(h.id, last=False)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """hook(module, args, output) -> None or modified output, run after forward.

        Example::

            >>> lin = nn.Linear(2, 3)
            >>> shapes = []
            >>> handle = lin.register_forward_hook(lambda mod, args, out: shapes.append(out.shape))
            >>> _ = lin(torch.ones(4, 2))
            >>> shapes
            [torch.Size([4, 3])]
            >>> handle.remove()
        """
        h = _Handle(self._forward_hooks)
        self._forward_hooks[h.id] = hook
        if prepend:
            self._forward_hooks.move_to_end(h.id, last=False)
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
        return h

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or new grad_input."""
        h = _Handle(self._backward_hooks)
        self._backward_hooks[h.id] = hook
        return h

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or new grad_output."""
        h = _Handle(self._backward_pre_hooks)
        self._backward_pre_hooks[h.id] = hook
        return h

    def register_backward_hook(self, hook):
        return self.register_full_backward_hook(hook)

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs), run by load_state_dict before any entry is copied; it may
        edit ``state_dict`` (rename old keys, materialise lazy parameters)."""
        h = _Handle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[h.id] = hook
        return h

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return self.register_load_state_dict_pre_hook(lambda module, *args: hook(*args))

    def register_state_dict_hook(self, hook):
        h = _Handle(self._state_dict_hooks)
        self._state_dict_hooks[h.id] = hook
        return h

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in repr (override in layers)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        child_lines = []
        for key, m in self._modules.items():
            mod_str = repr(m)
            mod_str = _addindent(mod_str, 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra.split("\n")) == 1 and not child_lines:
                main += extra
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        attrs = dir(type(self)) + list(self.__dict__.keys())
        return sorted(attrs)

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * n + line for line in lines)
