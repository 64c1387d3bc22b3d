"""Graph nodes: one Node per differentiable op call (its ``grad_fn``), one AccumulateGrad per leaf.

A Node keeps only what its op declared (``keep``), each kept tensor with the version it had
(Note [Version counters] in _storage.py), and its output's shape and dtype so the engine can sum
and cast the gradients it sends to it. ``seq`` comes from a global counter: creation order is a
topological order of a define-by-run graph, so the engine just runs nodes by decreasing ``seq``.
"""
import itertools
import os
import traceback
import weakref

import numpy as np

from .._errors import EmberRuntimeError
from .._state import state
from .._storage import cell_of

_sequence = itertools.count()

FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
             "tensors after they have already been freed). Saved intermediate values of the graph "
             "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
             "you need to backward through the graph a second time or if you need to access saved "
             "tensors after calling backward.")


class Slot:
    """The edge to output ``idx`` of a node with several outputs (a single-output node is its own
    edge)."""

    __slots__ = ("idx", "node")

    def __init__(self, node, idx):
        self.node, self.idx = node, idx


class Node:
    """A ``grad_fn``: one differentiable op call. ``next`` holds one edge per input (its
    ``grad_fn``, a Slot, its leaf's AccumulateGrad, or None); ``kept``/``kept_out`` what the
    op's rule needs, ``versions`` the (cell, version) pairs they had when saved.

    Example::

        >>> w = torch.ones(2, requires_grad=True)
        >>> loss = (w * 3).sum()
        >>> loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name()
        ('SumBackward0', 'MulBackward0')
    """

    __slots__ = (
        "__weakref__",
        "_metadata",
        "attrs",
        "dtype",
        "kept",
        "kept_out",
        "n_out",
        "next",
        "op",
        "post_hooks",
        "pre_hooks",
        "retains",
        "seq",
        "shape",
        "stack",
        "tensor_hooks",
        "versions",
    )

    # Subclasses whose backward is not a registry rule (autograd.Function, CopySlices) override
    # this with a method ``custom_backward(g, tensor_mode) -> grads``; the engine tests it once.
    custom_backward = None

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
            idxs = op.keep_inputs
            if op.keep_for is not None:
                # keep only what the rules of the inputs that need a gradient read (torch saves
                # nothing for `v * 2` with v constant, so writing v in place stays legal)
                mask = 0
                bit = 1
                for e in edges:
                    if e is not None:
                        mask |= bit
                    bit <<= 1
                idxs = op.keep_for[mask]
            vs = []
            for i in idxs:
                if i >= n:
                    break
                t = kept[i] = inputs[i]
                c = getattr(t, "_vc", False)
                if c is False:
                    continue                # a constant: a Python scalar, None, an array
                if c is None:
                    c = cell_of(t)
                vs.append((c, c.version))
            versions = tuple(vs)
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
        self.stack = forward_stack() if state.anomaly else None

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
        """A dict stored on the node for the user (torch's ``grad_fn.metadata``)."""
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node computed its gradients; it may
        return replacement grad_inputs."""
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
        """grad_fn(*grad_outputs) -> gradients for each input (None where an input has none),
        without touching the rest of the graph (torch's direct call of a grad_fn)."""
        from ..tensor import Tensor, wrap
        from .engine import node_backward
        arrays = [g._array if isinstance(g, Tensor) else g for g in grads]
        res = node_backward(self, arrays[0] if self.n_out == 1 else arrays, False)
        out = tuple(None if r is None else wrap(np.asarray(r)) for r in res)
        return out[0] if len(out) == 1 else out

    # -- saved values -------------------------------------------------------------------------
    def unpack(self):
        """The kept values, after checking none was freed or overwritten in place."""
        kept = self.kept
        if kept is None:
            raise EmberRuntimeError(FREED_MSG)
        for cell, seen in self.versions:
            if cell.version != seen:
                self._raise_modified(cell, seen)
        return kept

    def _raise_modified(self, cell, seen):
        # Find which kept value the stale cell belongs to, to name it as torch does.
        for t in self.kept:
            if getattr(t, "_vc", None) is cell:
                raise EmberRuntimeError(modified_message(
                    describe(t._array.shape, t._array.dtype), _producer(t._edge), cell.version,
                    seen, self.name()))
        raise EmberRuntimeError(modified_message(describe(self.shape, self.dtype),
                                                 f"output 0 of {_short(self.name())}",
                                                 cell.version, seen, self.name()))

    def release(self):
        # Shapes (view ops) are not saved tensors: like torch, such a node stays usable.
        if self.kept is not None and (self.kept or self.kept_out is not None) and \
                not self.op.keep_shapes:
            self.kept = None
            self.kept_out = None

    def _add_tensor_hook(self, idx, fn):
        if self.tensor_hooks is None:
            self.tensor_hooks = {}
        lst = self.tensor_hooks.setdefault(idx, [])
        lst.append(fn)
        return _Handle(lst, fn)


def forward_stack():
    """The user's part of the current Python stack (anomaly mode): frames inside ember's own
    package are dropped so the last line shown is the user's call."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PKG_DIR)]
    return traceback.format_list(frames)


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_LEGACY = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
           "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
           "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
           "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
           "complex128": "ComplexDoubleTensor"}


def describe(shape, np_dtype):
    """torch's name for a saved tensor in error messages: ``torch.FloatTensor [2, 3]``."""
    name = _LEGACY.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)
    return f"torch.{name} [{', '.join(str(s) for s in shape)}]"


def _short(node_name):
    # "ExpBackward0" -> "Exp": how torch names the op that produced a tensor
    i = node_name.rfind("Backward")
    return node_name[:i] if i > 0 else node_name


def _producer(edge):
    if edge is None or type(edge) is AccumulateGrad:
        return None
    node, idx = (edge.node, edge.idx) if type(edge) is Slot else (edge, 0)
    return f"output {idx} of {_short(node.name())}"


def modified_message(desc, producer, version, seen, node_name):
    """torch's text for a value saved for backward and overwritten in place since."""
    which = f", which is {producer}," if producer else ""
    hint = ("Hint: the backtrace further above shows the operation that failed to compute its "
            "gradient. The variable in question was changed in there or anywhere later. Good luck!"
            if state.anomaly else
            "Hint: enable anomaly detection to find the operation that failed to compute its "
            "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{desc}]{which} is at version {version}; expected version "
            f"{seen} instead. {hint} (The value was saved for the backward of {node_name}; "
            "clone it before modifying it in place.)")


class AccumulateGrad:
    """The sink of a leaf tensor that requires grad: adds arriving gradients into ``.grad``."""

    __slots__ = (
        "__weakref__",
        "_metadata",
        "_var",
        "dtype",
        "post_acc_hooks",
        "post_hooks",
        "pre_hooks",
        "shape",
        "tensor_hooks",
    )
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
    metadata = Node.metadata

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

    __slots__ = ("_fn", "_lst")

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
