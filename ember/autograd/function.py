"""autograd.Function: user-defined ops with ``forward(ctx, ...)`` and ``backward(ctx, ...)`` (or
``forward(...)`` plus ``setup_context(ctx, inputs, output)``).

As in torch, the ``ctx`` handed to forward *is* the backward node: an instance of a class
``<Name>Backward`` made once per Function subclass, so ``out.grad_fn.saved_tensors``,
``out.grad_fn.needs_input_grad`` and any attribute the user stored on ``ctx`` are visible from
the graph, and ``type(out.grad_fn).__name__`` reads like torch's. Its ``next`` holds one edge
per *tensor* argument; ``backward`` still returns one gradient per argument.
"""
import functools
import inspect
import warnings

import numpy as np

from .._errors import EmberRuntimeError, EmberTypeError
from .._state import state
from .._storage import cell_of
from .node import (
    FREED_MSG,
    AccumulateGrad,
    Node,
    Slot,
    _producer,
    _sequence,
    describe,
    forward_stack,
    modified_message,
)


class _CtxMethods:
    """What ``ctx`` offers in forward/setup_context and backward."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        """save_for_backward(*tensors): keep tensors (or None) for backward; reading them back
        through ``saved_tensors`` checks they were not modified in place since."""
        from ..tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise EmberTypeError(f"save_for_backward can only save variables, but argument "
                                     f"{i} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        """The tensors given to save_for_backward, checked against in-place modification."""
        saved = self._to_save
        if saved is _FREED:
            raise EmberRuntimeError(FREED_MSG)
        versions = getattr(self, "_versions", None)
        if versions is not None:
            for t, v in zip(saved, versions):
                if t is not None and v is not None and cell_of(t).version != v:
                    raise EmberRuntimeError(modified_message(
                        describe(t._array.shape, t._array.dtype), _producer(t._edge),
                        cell_of(t).version, v, type(self).__name__))
        return tuple(saved or ())

    @property
    def saved_variables(self):
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning,
                      stacklevel=2)
        return self.saved_tensors

    def mark_dirty(self, *tensors):
        """mark_dirty(*tensors): these inputs were modified in place by forward."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """mark_non_differentiable(*tensors): these outputs get no gradient."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """set_materialize_grads(value): whether backward receives zeros (True, the default) or
        None for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class FunctionCtx(_CtxMethods):
    """A standalone ctx object (torch.autograd.function.FunctionCtx).

    Example::

        >>> from ember.autograd.function import FunctionCtx
        >>> ctx = FunctionCtx()
        >>> ctx.save_for_backward(torch.ones(2))
        >>> ctx.scale = 3.0
        >>> ctx.scale
        3.0
    """

    def __init__(self):
        self._to_save = ()
        self._dirty = ()
        self._non_differentiable = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def name(self):
        return type(self).__name__


_FREED = object()      # _to_save after the graph was freed


class BackwardCFunction(_CtxMethods, Node):
    """Base of the per-Function backward node classes; an instance is the ``ctx``."""

    _forward_cls = None

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else ((e.node, e.idx) if type(e) is Slot else (e, 0))
                     for e in self.next)

    def release(self):
        self._to_save = _FREED

    def custom_backward(self, g, tensor_mode):
        from ..tensor import Tensor, wrap
        grads = [g] if self.n_out == 1 else list(g)
        shapes = [self.shape] if self.n_out == 1 else self.shape
        dtypes = [self.dtype] if self.n_out == 1 else self.dtype
        args = []
        for gi, shape, dt in zip(grads, shapes, dtypes):
            if gi is None:
                args.append(wrap(np.zeros(shape, dt)) if self.materialize_grads else None)
            else:
                args.append(gi if tensor_mode else wrap(gi))
        if self._to_save is _FREED:
            raise EmberRuntimeError(FREED_MSG)
        res = self._backward_fn(self, *args)
        name = type(self).__name__
        if not isinstance(res, tuple):
            res = (res,)
        n_args = len(self._arg_is_tensor)
        if len(res) != n_args:
            if len(res) > n_args and all(r is None for r in res[n_args:]):
                res = res[:n_args]
            else:
                raise EmberRuntimeError(f"function {name} returned an incorrect number of "
                                        f"gradients (expected {n_args}, got {len(res)})")
        out = []
        k = 0
        for i, (r, is_tensor) in enumerate(zip(res, self._arg_is_tensor)):
            if not is_tensor:
                if r is not None:
                    raise EmberRuntimeError(
                        f"function {name} returned a gradient different than None at position "
                        f"{i + 1}, but the corresponding forward input was not a Variable")
                continue
            e = self.next[k]
            k += 1
            if r is None or e is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise EmberTypeError(f"function {name} returned a {type(r).__name__} as the "
                                     f"gradient at position {i + 1}; expected a Tensor or None")
            want = e.node.shape[e.idx] if type(e) is Slot else e.shape
            got = tuple(r._array.shape)
            if got != tuple(want) and not _summable(got, tuple(want)):
                raise EmberRuntimeError(
                    f"Function {name} returned an invalid gradient at index {k - 1} - got "
                    f"{list(got)} but expected shape compatible with {list(want)}")
            out.append(r if tensor_mode else r._array)
        return out


def _summable(got, want):
    """Whether a gradient of shape ``got`` sums down to ``want`` (``want`` broadcasts to it)."""
    try:
        return np.broadcast_shapes(got, want) == got
    except ValueError:
        return False


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` (or
    ``forward(*args)`` + ``setup_context(ctx, inputs, output)``), then call ``.apply(*args)``.

    Example::

        >>> class Cube(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         x, = ctx.saved_tensors
        ...         return 3 * x ** 2 * g
        >>> x = ember.tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).backward()
        >>> x.grad
        tensor([12.])
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself. "
                      "Instantiating an autograd function will raise an error in a future "
                      "version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise EmberRuntimeError("Legacy autograd function with non-static forward method is "
                                "deprecated. Please use new-style autograd function with static "
                                "forward method. (Example: "
                                "https://pytorch.org/docs/stable/autograd.html#torch.autograd."
                                "Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def _has_defaults(cls):
        sig = cls.__dict__.get("_signature_cache")
        if sig is None:
            sig = inspect.signature(cls.forward)
            cls._signature_cache = sig
        return any(p.default is not p.empty for p in sig.parameters.values())

    @classmethod
    def _bind(cls, args, kwargs):
        """Keyword and default arguments become positional inputs, as torch counts them (so
        backward returns one gradient per forward parameter)."""
        cls._has_defaults()
        sig = cls._signature_cache
        uses_ctx = cls.setup_context is Function.setup_context
        bound = sig.bind(None, *args, **kwargs) if uses_ctx else sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.args[1:] if uses_ctx else bound.args

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor, wrap
        if kwargs or cls._has_defaults():
            args, kwargs = cls._bind(args, kwargs), {}
        grad_on = state.grad_enabled
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx._to_save = ()
        ctx._dirty = ctx._non_differentiable = ()
        ctx.materialize_grads = True
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.needs_input_grad = tuple(t and a._edge is not None for a, t in zip(args, is_tensor))
        state.grad_enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            state.grad_enabled = grad_on
        is_tuple = isinstance(output, tuple)
        outs = list(output) if is_tuple else [output]
        needs = grad_on and any(ctx.needs_input_grad)
        dirty = {id(t) for t in ctx._dirty}
        non_diff = {id(t) for t in ctx._non_differentiable}
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                continue
            if id(o) in dirty:
                if grad_on and type(o._edge) is AccumulateGrad:
                    raise EmberRuntimeError("a leaf Variable that requires grad has been used in "
                                            "an in-place operation.")
                cell_of(o).version += 1
            elif any(o is a for a in args):
                # an input returned as is becomes a new tensor sharing its memory (torch: a view)
                alias = wrap(o._array)
                alias._vc = cell_of(o)
                outs[k] = alias
        if needs:
            _connect(cls, ctx, args, is_tensor, outs, non_diff)
        return tuple(outs) if is_tuple else outs[0]


def _connect(cls, ctx, args, is_tensor, outs, non_diff):
    """Make ``ctx`` the grad_fn of the differentiable outputs."""
    from ..tensor import Tensor
    bwd, vjp = cls.backward, cls.vjp
    if bwd is not Function.backward and vjp is not Function.vjp:
        raise EmberRuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                                "not allowed. You should only implement one of them.")
    ctx._backward_fn = vjp if vjp is not Function.vjp else bwd
    ctx.op = None
    ctx.attrs = {}
    ctx.next = tuple(a._edge for a, t in zip(args, is_tensor) if t)
    ctx._arg_is_tensor = is_tensor
    ctx.seq = next(_sequence)
    ctx.n_out = len(outs)
    shapes = tuple(o._array.shape if isinstance(o, Tensor) else () for o in outs)
    dtypes = tuple(o._array.dtype if isinstance(o, Tensor) else np.dtype(np.float32)
                   for o in outs)
    if ctx.n_out == 1:
        ctx.shape, ctx.dtype = shapes[0], dtypes[0]
    else:
        ctx.shape, ctx.dtype = shapes, dtypes
    ctx.tensor_hooks = ctx.retains = ctx.post_hooks = ctx.pre_hooks = None
    ctx.kept, ctx.kept_out, ctx.versions = (), None, ()
    ctx.stack = forward_stack() if state.anomaly else None
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor) or id(o) in non_diff:
            continue
        if o._array.dtype.kind not in "fc" and o._array.dtype.name != "bfloat16":
            continue
        o._edge = ctx if ctx.n_out == 1 else Slot(ctx, k)
    # Versions are read once the outputs are final (a dirty output was bumped above).
    ctx._versions = tuple(None if t is None else cell_of(t).version for t in ctx._to_save)


class _DelayedError(Node):
    """grad_fn of what a @once_differentiable backward returns under create_graph: using it
    raises, since that backward was computed without recording a graph."""

    def __init__(self, edges, out_array):
        self.op = _DELAYED_OP
        self.attrs = {}
        self.next = edges
        self.seq = next(_sequence)
        self.shape = out_array.shape
        self.dtype = out_array.dtype
        self.n_out = 1
        self.tensor_hooks = self.retains = self.post_hooks = self.pre_hooks = None
        self.kept, self.kept_out, self.versions, self.stack = (), None, (), None

    def custom_backward(self, g, tensor_mode):
        raise EmberRuntimeError("trying to differentiate twice a function that was marked with "
                                "@once_differentiable")


class _DelayedErrorOp:
    name = "delayed_error"
    node_name = "DelayedError"
    keep_shapes = False


_DELAYED_OP = _DelayedErrorOp()


def once_differentiable(fn):
    """Decorator for ``backward``: run it without recording a graph; differentiating its result
    again raises.

    Example::

        >>> class Cube(torch.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...
        ...     @staticmethod
        ...     @torch.autograd.once_differentiable
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 3 * x ** 2 * g
        ...
        >>> x = torch.tensor([2.], requires_grad=True)
        >>> Cube.apply(x).backward()
        >>> x.grad
        tensor([12.])
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from ..tensor import Tensor, wrap
        prev = state.grad_enabled
        state.grad_enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            state.grad_enabled = prev
        if not prev:
            return outputs
        if not any(isinstance(a, Tensor) and a._edge is not None for a in args):
            return outputs
        # As in torch, the error node hangs off the (graph-less) outputs: backward through it
        # raises, while grad() w.r.t. anything before it finds it unused.
        single = not isinstance(outputs, tuple)
        res = []
        for o in ((outputs,) if single else outputs):
            if isinstance(o, Tensor):
                o = wrap(o._array, _DelayedError((None,), o._array))
            res.append(o)
        return res[0] if single else tuple(res)
    return wrapper
