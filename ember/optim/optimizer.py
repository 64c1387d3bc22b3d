"""Optimizer: torch's param_groups / state / state_dict bookkeeping. Each optimizer adds one
array-level update function over raw arrays (DESIGN.md §2.8); step() runs it under no_grad and
bumps the versions of the parameters it changed.

The helpers at the bottom (``_tick``, ``_lerp_``, ``_real`` ...) are the few pieces of array math
that several update functions share; they work on NumPy arrays, never on Tensors.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import dtypes as _dt
from .._diagnostics import check_stale as _check_stale
from .._diagnostics import probe_grad as _probe_grad
from .._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from .._state import state as _state
from ..nn.modules.module import _Handle
from ..tensor import Tensor, wrap


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()

_global_step_pre_hooks = OrderedDict()
_global_step_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """register_optimizer_step_pre_hook(hook): ``hook(optimizer, args, kwargs)`` runs before
    every optimizer's step and may return new ``(args, kwargs)``."""
    h = _Handle(_global_step_pre_hooks)
    _global_step_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook):
    """register_optimizer_step_post_hook(hook): ``hook(optimizer, args, kwargs)`` runs after
    every optimizer's step."""
    h = _Handle(_global_step_post_hooks)
    _global_step_post_hooks[h.id] = hook
    return h


def _with_step_hooks(step):
    """Wrap a ``step`` so registered step hooks run around it (once, also when a subclass's
    step calls ``super().step()``); with no hooks it only adds a call."""
    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        if self._in_step_hooks or not (self._optimizer_step_pre_hooks
                                       or self._optimizer_step_post_hooks
                                       or _global_step_pre_hooks or _global_step_post_hooks):
            return step(self, *args, **kwargs)
        self._in_step_hooks = True
        try:
            for hook in chain(_global_step_pre_hooks.values(),
                              self._optimizer_step_pre_hooks.values()):
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise EmberRuntimeError(f"{hook} must return None or a tuple of "
                                                f"(new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            out = step(self, *args, **kwargs)
            for hook in chain(self._optimizer_step_post_hooks.values(),
                              _global_step_post_hooks.values()):
                hook(self, args, kwargs)
        finally:
            self._in_step_hooks = False
        return out
    hooked._ember_hooked = True
    return hooked


class Optimizer:
    """Optimizer(params, defaults): the base class of the optimizers.

    ``params`` is an iterable of tensors, or of dicts ("parameter groups") each holding
    ``'params'`` and any options that override ``defaults`` for that group. The optimizer keeps
    ``param_groups`` (a list of those dicts, options filled in) and ``state`` (per-parameter
    buffers such as momentum). Subclasses implement ``_update_group(group)`` (array math for one
    parameter group, called under no_grad) or override ``step``.

    Example::

        >>> model = nn.Linear(3, 1)
        >>> opt = optim.SGD([
        ...     {'params': [model.weight]},
        ...     {'params': [model.bias], 'lr': 0.5}], lr=0.1, momentum=0.9)
        >>> [(len(g['params']), g['lr'], g['momentum']) for g in opt.param_groups]
        [(1, 0.1, 0.9), (1, 0.5, 0.9)]
        >>> model(torch.ones(2, 3)).sum().backward()
        >>> opt.step()
        >>> opt.zero_grad()
        >>> model.weight.grad is None, len(opt.state)
        (True, 2)
    """

    # state entries kept as 0-d float tensors (torch's layout); a loaded plain number is converted
    _scalar_state = ("step",)
    _in_step_hooks = False
    # (param, its .grad, that grad's version cell and version) after the last step, and the
    # parameter probed: _diagnostics.check_stale
    _grad_probe = _probe_param = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise EmberTypeError("params argument given to the optimizer should be an iterable of "
                                 "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise EmberValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for g in param_groups:
            self.add_param_group(g)

    def _init_hooks(self):
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    def add_param_group(self, param_group):
        """add_param_group(param_group): add a dict with 'params' and optional options.

        Example::

            >>> a = torch.zeros(2, requires_grad=True)
            >>> b = torch.zeros(3, requires_grad=True)
            >>> opt = optim.Adam([a], lr=0.01)
            >>> opt.add_param_group({'params': [b], 'lr': 0.001})
            >>> [g['lr'] for g in opt.param_groups]
            [0.01, 0.001]
        """
        if not isinstance(param_group, dict):
            raise EmberTypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise EmberTypeError("optimizer parameters need to be organized in ordered "
                                 "collections, but the ordering of tensors in sets will change "
                                 "between runs. Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise EmberValueError("all optimizer params should be with/without names. Some "
                                      "param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise EmberTypeError("optimizer can only optimize Tensors, but one of the params "
                                     "is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf
                                                                      or p.retains_grad):
                raise EmberValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise EmberValueError(f"parameter group didn't specify a value of required "
                                      f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", UserWarning, stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise EmberValueError("all optimizer param groups should be with/without names. "
                                      f"cannot add param group {txt} to the optimizer")
            if any(id(p) in ids for p in group["params"]):
                raise EmberValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """zero_grad(set_to_none=True): clear the ``.grad`` of every parameter."""
        self._grad_probe = None         # zeroing in place keeps .grad's identity and version
        if _state.tracer is not None:
            _state.tracer.zero_grad([p for g in self.param_groups for p in g["params"]],
                                    set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        g = p._grad
                        if g._edge is not None:
                            g = p._grad = g.detach()
                        g._array[...] = 0

    @_with_step_hooks
    def step(self, closure=None):
        """step(closure=None): one update of every parameter group; returns closure's loss."""
        loss = None
        if closure is not None:
            prev = _state.grad_enabled
            _state.grad_enabled = True
            try:
                loss = closure()
            finally:
                _state.grad_enabled = prev
        if self._grad_probe is not None:
            _check_stale(self)
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            for group in self.param_groups:
                if _state.tracer is not None:
                    # ember.compile replays this update (re-reading the group's lr each call)
                    _state.tracer.optimizer_update(self, group)
                self._update_group(group)
        finally:
            _state.grad_enabled = prev
        _probe_grad(self)
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    # -- hooks --------------------------------------------------------------------------------

    def _register(self, table, hook, prepend=False):
        h = _Handle(table)
        table[h.id] = hook
        if prepend:
            table.move_to_end(h.id, last=False)
        return h

    def register_step_pre_hook(self, hook):
        """register_step_pre_hook(hook): ``hook(optimizer, args, kwargs)`` before each step;
        may return ``(new_args, new_kwargs)``."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """register_step_post_hook(hook): ``hook(optimizer, args, kwargs)`` after each step."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """register_state_dict_pre_hook(hook, prepend=False): ``hook(optimizer)``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """register_state_dict_post_hook(hook, prepend=False): ``hook(optimizer, state_dict)``,
        may return a new state_dict."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """register_load_state_dict_pre_hook(hook, prepend=False): ``hook(optimizer,
        state_dict)``, may return a new state_dict to load."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """register_load_state_dict_post_hook(hook, prepend=False): ``hook(optimizer)``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict ---------------------------------------------------------------------------

    def state_dict(self):
        """state_dict() -> {'state': {index: {...}}, 'param_groups': [...]} with parameters
        replaced by their integer index, as torch saves them. Values are the live state
        tensors (not copies), as in torch.

        Example::

            >>> w = torch.ones(2, requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
            >>> (w * w).sum().backward()
            >>> opt.step()
            >>> sd = opt.state_dict()
            >>> list(sd['state'][0]), sd['param_groups'][0]['params']
            (['momentum_buffer'], [0])
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            for i, p in enumerate(g["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        st = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": st, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            res = hook(self, sd)
            if res is not None:
                sd = res
        return sd

    def load_state_dict(self, state_dict):
        """load_state_dict(state_dict): restore state saved by state_dict(). Tensors are copied
        (cast to their parameter's dtype, except ``step``), so the loaded optimizer shares no
        buffers with the one that saved."""
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            res = hook(self, state_dict)
            if res is not None:
                state_dict = res
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise EmberValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise EmberValueError("loaded state dict contains a parameter group that doesn't "
                                  "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in groups)))
        new_state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                new_state[p] = self._cast_state(p, v)
            else:
                new_state[k] = v
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": new_state, "param_groups": saved})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    def _cast_state(self, p, value, key=None):
        """A loaded state value for parameter ``p``: tensors copied to p's dtype (float
        params only; scalar counters keep theirs), containers rebuilt, plain numbers in
        ``_scalar_state`` turned into 0-d tensors."""
        if isinstance(value, Tensor):
            a = value._array
            if key not in self._scalar_state and p.is_floating_point():
                a = a.astype(p._array.dtype)
            return wrap(np.array(a, copy=True))
        if isinstance(value, dict):
            return {k: self._cast_state(p, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(p, v) for v in value)
        if key in self._scalar_state and isinstance(value, (int, float)):
            return _scalar(value)
        return value

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_hooks()
        self.defaults.setdefault("differentiable", False)
        # groups saved by an older version may lack newer options
        for group in self.param_groups:
            for k, v in self.defaults.items():
                if v is not required:
                    group.setdefault(k, v)

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"


def _typename(o):
    """torch.typename: 'torch.FloatTensor' for a float32 tensor, the qualified type otherwise."""
    if isinstance(o, Tensor):
        return f"torch.{o.dtype.scalar_name}Tensor"
    t = type(o)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


# -- shared checks ------------------------------------------------------------------------------

def _check_lr(lr):
    """Torch's checks on a learning rate that may be a 1-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise EmberValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise EmberValueError(f"Invalid learning rate: {lr}")


def _check(ok, msg):
    if not ok:
        raise EmberValueError(msg)


def _check_betas(betas):
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")


def _value(x):
    """A hyperparameter as a Python number (tensor-valued lr / betas are 1-element)."""
    return float(x) if isinstance(x, Tensor) else x


# -- shared array math ----------------------------------------------------------------------------

def _bump(p):
    """A parameter changed in place: saved copies of it in a live graph are now stale."""
    c = p._vc
    if c is not None:
        c.version += 1


def _scalar(v=0.0):
    """A 0-d tensor of torch's optimizer scalar dtype (float64 only under that default)."""
    dt = np.float64 if _dt.get_default_dtype() is _dt.float64 else np.float32
    return wrap(np.array(v, dtype=dt))


def _zeros(p):
    return wrap(np.zeros_like(p._array))


def _tick(st):
    """Advance the ``step`` counter (a 0-d tensor, as in torch) and return it as a float."""
    a = st["step"]._array
    a += 1
    return float(a)


def _lerp_(a, b, w):
    """a <- a + w * (b - a) in place, with torch's two-sided formula (exact at w == 1)."""
    d = np.subtract(b, a)
    if abs(w) < 0.5:
        d *= w
        a += d
    else:
        d *= 1 - w
        np.subtract(b, d, out=a)


def _grad_of(p, maximize):
    """The gradient array of ``p`` (negated for maximize), or None when p has none."""
    g = p._grad
    if g is None:
        return None
    g = g._array
    return -g if maximize else g


def _real(a):
    """``a`` as a writable view with at least one dimension, complex values as trailing
    (real, imag) pairs (torch.view_as_real). At least 1-d because a NumPy ufunc on 0-d
    arrays returns a scalar, which ``out=`` and in-place updates cannot use."""
    if a.dtype.kind != "c":
        return a if a.ndim else a.reshape(1)
    r = a.real
    return np.lib.stride_tricks.as_strided(r, shape=a.shape + (2,),
                                           strides=a.strides + (r.itemsize,), writeable=True)
