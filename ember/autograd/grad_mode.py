"""no_grad, enable_grad, set_grad_enabled, inference_mode: context managers and decorators that
flip the flags in _state (one attribute each, read by every op).

Each works as ``with no_grad():``, as ``@no_grad()`` and as ``@no_grad`` (torch accepts the bare
form for the modes that take no argument). A decorated generator function runs every resumption
of the generator inside the mode, and the caller's mode in between, as torch does.

Note [Inference tensors]: tensors made inside ``inference_mode()`` carry a shared
``InferenceCell`` instead of a version counter. Reading its version outside inference mode
raises torch's error, and saving a value for backward (Node creation, ``save_for_backward``)
reads it, so such a tensor can flow through ops that keep nothing (``y + w``) but cannot be
saved (``y * w`` where ``w`` requires grad), exactly where torch raises. Op results are marked
by swapping dispatch's result builder while the mode is active, so ordinary ops pay nothing.
"""
import functools
import inspect
import warnings

from .._errors import EmberRuntimeError
from .._state import state
from .._storage import VersionCell

_CANNOT_SAVE = ("Inference tensors cannot be saved for backward. Please do not use Tensors created "
                "in inference mode in computation tracked by autograd. To work around this, you "
                "can make a clone to get a normal tensor and use it in autograd, or use "
                "`torch.no_grad()` instead of `torch.inference_mode()`.")


class _GradModeBase:
    """Shared decorator logic: ``clone()`` makes a fresh manager for each call."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            warnings.warn("Decorating classes is deprecated and will be disabled in future "
                          "versions. You should only decorate functions or methods. To preserve "
                          "the current behavior of class decoration, you can directly decorate "
                          "the `__init__` method and nothing else.", FutureWarning, stacklevel=2)
            fn.__init__ = self(fn.__init__)
            return fn
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:  # noqa: BLE001  (thrown in by the caller)
                        with self.clone():
                            response = gen.throw(exc)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return gen_wrapper

    def clone(self):
        return type(self)()


class _NoArgMode(_GradModeBase):
    """A mode that takes no argument, so ``@mode`` (no parentheses) also decorates."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgMode):
    """no_grad(): ops inside record no graph (a context manager or a decorator).

    Example::

        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self):
        self.prev = state.grad_enabled
        state.grad_enabled = False

    def __exit__(self, *exc):
        state.grad_enabled = self.prev


class enable_grad(_NoArgMode):
    """enable_grad(): turn recording back on inside a no_grad region.

    Example::

        >>> x = torch.ones(2, requires_grad=True)
        >>> with torch.no_grad():
        ...     with torch.enable_grad():
        ...         y = x * 2
        ...
        >>> y.requires_grad
        True
    """

    def __enter__(self):
        self.prev = state.grad_enabled
        state.grad_enabled = True

    def __exit__(self, *exc):
        state.grad_enabled = self.prev


class set_grad_enabled(_GradModeBase):
    """set_grad_enabled(mode): set recording on or off; works as a function (takes effect at
    once), a context manager (restores the previous mode on exit) or a decorator.

    Example::

        >>> x = torch.ones(2, requires_grad=True)
        >>> with torch.set_grad_enabled(False):
        ...     y = x * 2
        ...
        >>> y.requires_grad
        False
        >>> _ = torch.set_grad_enabled(False)
        >>> (x * 2).requires_grad
        False
        >>> _ = torch.set_grad_enabled(True)
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {type(mode).__name__}")
        self.prev = state.grad_enabled
        self.mode = mode
        state.grad_enabled = mode

    def __call__(self, fn):
        # As a decorator the constructor must not leave the mode changed at definition time.
        state.grad_enabled = self.prev
        return super().__call__(fn)

    def __enter__(self):
        state.grad_enabled = self.mode

    def __exit__(self, *exc):
        state.grad_enabled = self.prev

    def clone(self):
        return _SetGradCtx(self.mode)


class _SetGradCtx(_GradModeBase):
    """What a ``set_grad_enabled`` decorator enters on each call (no effect until entered)."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __exit__(self, *exc):
        state.grad_enabled = self.prev

    def clone(self):
        return _SetGradCtx(self.mode)


class InferenceCell(VersionCell):
    """The version cell of inference tensors (Note [Inference tensors])."""

    __slots__ = ()

    @property
    def version(self):
        if state.inference:
            return 0
        raise EmberRuntimeError(_CANNOT_SAVE)

    @version.setter
    def version(self, value):
        pass


INFERENCE_CELL = InferenceCell.__new__(InferenceCell)


def mark_inference(t):
    """Make ``t`` an inference tensor (called for tensors made inside inference_mode). The
    ``_meta`` flag is what the in-place and requires_grad_ checks read."""
    t._vc = INFERENCE_CELL
    if t._meta is None:
        t._meta = {"inference": True}
    else:
        t._meta["inference"] = True
    return t


def is_inference(self):
    """is_inference() -> bool: whether this tensor was made inside inference_mode().

    Example:
        >>> with torch.inference_mode():
        ...     x = torch.ones(2)
        >>> torch.is_inference(x), x.is_inference()
        (True, True)
        >>> torch.ones(2).is_inference()
        False
    """
    return type(self._vc) is InferenceCell


class inference_mode(_GradModeBase):
    """inference_mode(mode=True): like no_grad, and tensors made inside are inference tensors
    that cannot be saved for backward later (Note [Inference tensors]).
    ``inference_mode(False)`` inside an inference region turns it off again.

    Example::

        >>> x = torch.ones(2, requires_grad=True)
        >>> with torch.inference_mode():
        ...     y = x * 2
        ...
        >>> y.requires_grad, y.is_inference()
        (False, True)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)          # bare @inference_mode on a function

    def __init__(self, mode=True):
        if isinstance(mode, bool):
            self.mode = mode

    def __enter__(self):
        from ..ops import dispatch
        self.prev = (state.grad_enabled, state.inference, dispatch._make)
        if self.mode:
            state.grad_enabled = False
            if not state.inference:
                dispatch._make = _inference_maker(dispatch._make)
            state.inference = True
        elif state.inference:
            state.grad_enabled = True
            state.inference = False
            dispatch._make = getattr(dispatch._make, "plain", dispatch._make)

    def __exit__(self, *exc):
        from ..ops import dispatch
        state.grad_enabled, state.inference, dispatch._make = self.prev

    def clone(self):
        return inference_mode(self.mode)


def _inference_maker(make):
    def make_inference(out, op, inputs, edges, attrs):
        return mark_inference(make(out, op, inputs, edges, attrs))
    make_inference.plain = make
    return make_inference


def is_grad_enabled():
    """is_grad_enabled() -> bool.

    Example::

        >>> torch.is_grad_enabled()
        True
        >>> with torch.no_grad():
        ...     print(torch.is_grad_enabled())
        ...
        False
    """
    return state.grad_enabled


def is_inference_mode_enabled():
    """is_inference_mode_enabled() -> bool.

    Example::

        >>> with torch.inference_mode():
        ...     print(torch.is_inference_mode_enabled())
        ...
        True
        >>> torch.is_inference_mode_enabled()
        False
    """
    return state.inference
