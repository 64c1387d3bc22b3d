"""Graph nodes: one Node per differentiable op call (its ``grad_fn``), one AccumulateGrad per leaf.

A Node keeps only what its op declared (``keep``), each kept tensor with the version it had
(Note [Version counters] in _storage.py), and its output's shape and dtype so the engine can sum
and cast the gradients it sends to it. ``seq`` comes from a global counter: creation order is a
topological order of a define-by-run graph, so the engine just runs nodes by decreasing ``seq``.
"""
import itertools
import traceback
import weakref

from .._errors import EmberRuntimeError
from .._state import state
from .._storage import cell_of

_sequence = itertools.count()

FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved tensors "
             "after they have already been freed). Saved intermediate values of the graph are freed "
             "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
             "backward through the graph a second time or if you need to access saved tensors after "
             "calling backward.")


class Slot:
    """The edge to output ``idx`` of a node with several outputs (a single-output node is its own
    edge)."""

    __slots__ = ("node", "idx")

    def __init__(self, node, idx):
        self.node, self.idx = node, idx


class Node:
    __slots__ = ("op", "attrs", "next", "kept", "kept_out", "versions", "seq", "shape", "dtype",
                 "n_out", "tensor_hooks", "retains", "post_hooks", "pre_hooks", "stack",
                 "__weakref__")

    def __init__(self, op, inputs, edges, attrs, out_array, res):
        self.op = op
        self.attrs = attrs
        self.next = edges
        self.seq = next(_sequence)
        self.shape = out_array.shape
        self.dtype = out_array.dtype
        self.n_out = 1
        self.tensor_hooks = self.retains = self.post_hooks = self.pre_hooks = None
        versions = ()
        if op.keep_shapes:
            self.kept = tuple(getattr(t, "shape", None) for t in inputs)
        elif op.keep_inputs:
            n = len(inputs)
            kept = [None] * n
            for i in op.keep_inputs:
                if i >= n:
                    break
                t = kept[i] = inputs[i]
                if hasattr(t, "_vc"):
                    c = cell_of(t)
                    versions += ((c, c.version),)
            self.kept = tuple(kept)
        else:
            self.kept = ()
        if op.keep_out:
            self.kept_out = out_array
            c = cell_of(res)
            versions += ((c, c.version),)
        else:
            self.kept_out = None
        self.versions = versions
        self.stack = traceback.format_stack()[:-3] if state.anomaly else None

    # -- torch's grad_fn surface ------------------------------------------------------------
    def name(self):
        return self.op.node_name

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif type(e) is Slot:
                out.append((e.node, e.idx))
            else:
                out.append((e, 0))
        return tuple(out)

    @property
    def metadata(self):
        return {}

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node computed its gradients."""
        if self.post_hooks is None:
            self.post_hooks = []
        self.post_hooks.append(fn)
        return _Handle(self.post_hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; it may return replacement gradients."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)
        return _Handle(self.pre_hooks, fn)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def __call__(self, *grads):
        raise EmberRuntimeError("calling a grad_fn directly is not supported; use autograd.grad")

    # -- saved values -------------------------------------------------------------------------
    def unpack(self):
        kept = self.kept
        if kept is None:
            raise EmberRuntimeError(FREED_MSG)
        for cell, seen in self.versions:
            if cell.version != seen:
                raise EmberRuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{self._describe_kept()}] is at version {cell.version}; "
                    f"expected version {seen} instead. Hint: the backward of {self.name()} needs "
                    "that value; clone it before modifying it in place.")
        return kept

    def _describe_kept(self):
        for t in list(self.kept or ()) :
            if hasattr(t, "_array"):
                return f"{t._array.dtype} tensor of shape {list(t._array.shape)}"
        return f"output of {self.name()}"

    def release(self):
        if self.kept is not None and (self.kept or self.kept_out is not None):
            self.kept = None
            self.kept_out = None

    def _add_tensor_hook(self, idx, fn):
        if self.tensor_hooks is None:
            self.tensor_hooks = {}
        lst = self.tensor_hooks.setdefault(idx, [])
        lst.append(fn)
        return _Handle(lst, fn)


class AccumulateGrad:
    """The sink of a leaf tensor that requires grad: adds arriving gradients into ``.grad``."""

    __slots__ = ("_var", "shape", "dtype", "tensor_hooks", "post_acc_hooks", "post_hooks",
                 "pre_hooks", "__weakref__")
    seq = -1
    next = ()
    n_out = 1
    op = None

    def __init__(self, var):
        self._var = weakref.ref(var)
        self.shape = var._array.shape
        self.dtype = var._array.dtype
        self.tensor_hooks = self.post_acc_hooks = self.post_hooks = self.pre_hooks = None

    @property
    def variable(self):
        return self._var()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()
    metadata = {}

    def register_hook(self, fn):
        if self.post_hooks is None:
            self.post_hooks = []
        self.post_hooks.append(fn)
        return _Handle(self.post_hooks, fn)

    def register_prehook(self, fn):
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)
        return _Handle(self.pre_hooks, fn)

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    def _add_tensor_hook(self, idx, fn):
        if self.tensor_hooks is None:
            self.tensor_hooks = {0: []}
        lst = self.tensor_hooks[0]
        lst.append(fn)
        return _Handle(lst, fn)


class _Handle:
    """RemovableHandle: ``remove()`` unregisters the hook."""

    __slots__ = ("_lst", "_fn")

    def __init__(self, lst, fn):
        self._lst, self._fn = lst, fn

    def remove(self):
        try:
            self._lst.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
