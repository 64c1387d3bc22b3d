"""autograd.Function: user-defined ops with ``forward(ctx, ...)`` and ``backward(ctx, ...)``."""
import functools

import numpy as np

from .._errors import EmberRuntimeError
from .._state import state
from .node import Node, Slot, _sequence


class FunctionCtx:
    """The ``ctx`` handed to forward/backward: save_for_backward, saved_tensors,
    needs_input_grad, mark_dirty, mark_non_differentiable, set_materialize_grads."""

    def __init__(self):
        self._saved = None
        self._dirty = ()
        self._non_diff = ()
        self._materialize = True
        self.needs_input_grad = ()
        self._freed = False

    def save_for_backward(self, *tensors):
        self._saved = tuple((t, t._version if t is not None else 0) for t in tensors)

    @property
    def saved_tensors(self):
        if self._freed:
            from .node import FREED_MSG
            raise EmberRuntimeError(FREED_MSG)
        if self._saved is None:
            return ()
        out = []
        for t, v in self._saved:
            if t is not None and t._version != v:
                raise EmberRuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype} tensor of shape {list(t.shape)}] is at version "
                    f"{t._version}; expected version {v} instead.")
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


class _FunctionOp:
    __slots__ = ("name", "node_name", "grad", "keep_inputs", "keep_out", "keep_shapes")

    def __init__(self, cls):
        self.name = cls.__name__
        self.node_name = cls.__name__ + "Backward"
        self.grad = True
        self.keep_inputs, self.keep_out, self.keep_shapes = (), False, False


class FunctionNode(Node):
    __slots__ = ("cls", "ctx", "arg_is_tensor")

    def __init__(self, cls, ctx, args, outs):
        from ..tensor import Tensor
        self.op = cls._op
        self.attrs = {}
        self.next = tuple(a._edge if isinstance(a, Tensor) else None for a in args)
        self.arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        self.seq = next(_sequence)
        self.n_out = len(outs)
        shapes = tuple(o._array.shape if isinstance(o, Tensor) else () for o in outs)
        dts = tuple(o._array.dtype if isinstance(o, Tensor) else np.dtype(np.float32) for o in outs)
        if self.n_out == 1:
            self.shape, self.dtype = shapes[0], dts[0]
        else:
            self.shape, self.dtype = shapes, dts
        self.tensor_hooks = self.retains = self.post_hooks = self.pre_hooks = None
        self.kept, self.kept_out, self.versions, self.stack = (), None, (), None
        self.cls, self.ctx = cls, ctx

    def custom_backward(self, g, tensor_mode):
        from ..tensor import Tensor, wrap
        grads = [g] if self.n_out == 1 else list(g)
        shapes = [self.shape] if self.n_out == 1 else self.shape
        dts = [self.dtype] if self.n_out == 1 else self.dtype
        wrapped = []
        for gi, sh, dt in zip(grads, shapes, dts):
            if gi is None:
                wrapped.append(wrap(np.zeros(sh, dt)) if self.ctx._materialize else None)
            else:
                wrapped.append(gi if tensor_mode else wrap(gi))
        if self.ctx._freed:
            from .node import FREED_MSG
            raise EmberRuntimeError(FREED_MSG)
        res = self.cls.backward(self.ctx, *wrapped)
        if not isinstance(res, tuple):
            res = (res,)
        n_args = len(self.next)
        if len(res) != n_args:
            if len(res) > n_args and all(r is None for r in res[n_args:]):
                res = res[:n_args]
            else:
                raise EmberRuntimeError(f"function {self.op.node_name} returned an incorrect number "
                                        f"of gradients (expected {n_args}, got {len(res)})")
        out = []
        for i, (r, e) in enumerate(zip(res, self.next)):
            if r is None or e is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise EmberRuntimeError(f"function {self.op.node_name} returned a gradient "
                                        f"different than None at position {i + 1}, but the "
                                        "corresponding forward input was not a Variable")
            tgt = e.node if type(e) is Slot else e
            tshape = tgt.shape if tgt.n_out == 1 else tgt.shape[e.idx]
            if tuple(r.shape) != tuple(tshape):
                try:
                    np.broadcast_shapes(tuple(r.shape), tuple(tshape))
                except ValueError:
                    raise EmberRuntimeError(
                        f"Function {self.op.node_name} returned an invalid gradient at index {i} - "
                        f"got {list(r.shape)} but expected shape compatible with "
                        f"{list(tshape)}") from None
            out.append(r if tensor_mode else r._array)
        return out

    def release(self):
        self.ctx._freed = True


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._op = _FunctionOp(cls)


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` (or the
    newer ``forward(*args)`` + ``setup_context(ctx, inputs, output)``), then call ``.apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor, wrap
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._edge is not None for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        prev = state.grad_enabled
        state.grad_enabled = False
        try:
            if uses_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            state.grad_enabled = prev
        is_tuple = isinstance(output, tuple)
        outs = list(output) if is_tuple else [output]
        needs = prev and any(ctx.needs_input_grad)
        dirty = {id(t) for t in ctx._dirty}
        non_diff = {id(t) for t in ctx._non_diff}
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) not in dirty and any(o is a for a in args):
                outs[k] = wrap(o._array)     # an input returned as is becomes a new alias
        if needs:
            node = FunctionNode(cls, ctx, args, outs)
            for k, o in enumerate(outs):
                if not isinstance(o, Tensor) or id(o) in non_diff:
                    continue
                if o._array.dtype.kind not in "fc" and o._array.dtype.name != "bfloat16":
                    continue
                o._edge = node if node.n_out == 1 else Slot(node, k)
        return tuple(outs) if is_tuple else outs[0]


def once_differentiable(fn):
    """Decorator for ``backward``: run it without recording a graph (its result cannot be
    differentiated again)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = state.grad_enabled
        state.grad_enabled = False
        try:
            return fn(ctx, *args)
        finally:
            state.grad_enabled = prev
    return wrapper
