"""Optimizer: torch's param_groups / state / state_dict bookkeeping. Each optimizer adds one
array-level update function over raw arrays (DESIGN.md §2.8); step() runs it under no_grad and
bumps the versions of the parameters it changed."""
from collections import defaultdict
from copy import deepcopy

from .._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from .._state import state as _state
from ..tensor import Tensor


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Optimizer(params, defaults): base class; subclasses implement ``_update_group``."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise EmberTypeError("params argument given to the optimizer should be an iterable of "
                                 "Tensors or dicts, but got " + type(params).__name__)
        param_groups = list(params)
        if len(param_groups) == 0:
            raise EmberValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for g in param_groups:
            self.add_param_group(g)

    def add_param_group(self, param_group):
        """add_param_group(param_group): add a dict with 'params' and optional options."""
        if not isinstance(param_group, dict):
            raise EmberTypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise EmberTypeError("optimizer parameters need to be organized in ordered "
                                 "collections, but the ordering of tensors in sets will change "
                                 "between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise EmberTypeError("optimizer can only optimize Tensors, but one of the params "
                                     f"is {type(p).__name__}")
            if not p.is_leaf:
                raise EmberValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise EmberValueError(f"parameter group didn't specify a value of required "
                                      f"optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if any(id(p) in seen for p in param_group["params"]):
            raise EmberValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """zero_grad(set_to_none=True): clear the ``.grad`` of every parameter."""
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
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            for group in self.param_groups:
                self._update_group(group)
        finally:
            _state.grad_enabled = prev
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    def state_dict(self):
        """state_dict() -> {'state': {index: {...}}, 'param_groups': [...]} with parameters
        replaced by their integer index, as torch saves them."""
        index = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = list(range(start, start + len(g["params"])))
            for i, p in zip(ids, g["params"]):
                index.setdefault(id(p), i)
            packed["params"] = ids
            start += len(ids)
            groups.append(packed)
        st = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": st, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """load_state_dict(state_dict): restore state saved by state_dict()."""
        state_dict = deepcopy(state_dict)
        groups = self.param_groups
        saved = state_dict["param_groups"]
        if len(groups) != len(saved):
            raise EmberValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved):
            if len(g["params"]) != len(s["params"]):
                raise EmberValueError("loaded state dict contains a parameter group that doesn't "
                                      "match the size of optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved):
            for p, i in zip(g["params"], s["params"]):
                id_map[i] = p
        self.state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            k = int(k)
            if k in id_map:
                p = id_map[k]
                self.state[p] = {name: (val.to(p.dtype) if isinstance(val, Tensor) and
                                        val.is_floating_point() and name != "step" else val)
                                 for name, val in v.items()}
        for g, s in zip(groups, saved):
            for k, v in s.items():
                if k != "params":
                    g[k] = v

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"


def _bump(p):
    """A parameter changed in place: saved copies of it in a live graph are now stale."""
    c = p._vc
    if c is not None:
        c.version += 1


def check_no_graph_loss(loss):
    if isinstance(loss, Tensor) and loss._edge is None:
        raise EmberRuntimeError("closure returned a tensor without a graph")
