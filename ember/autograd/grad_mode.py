"""no_grad, enable_grad, set_grad_enabled, inference_mode: context managers and decorators that
flip the flags in _state (one attribute each, read by every op)."""
import functools
import inspect

from .._state import state


class _GradModeBase:
    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    with self.clone():
                        response = gen.send(request)
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeBase):
    """no_grad(): ops inside record no graph (a context manager or a decorator)."""

    def __enter__(self):
        self.prev = state.grad_enabled
        state.grad_enabled = False

    def __exit__(self, *exc):
        state.grad_enabled = self.prev


class enable_grad(_GradModeBase):
    """enable_grad(): turn recording back on inside a no_grad region."""

    def __enter__(self):
        self.prev = state.grad_enabled
        state.grad_enabled = True

    def __exit__(self, *exc):
        state.grad_enabled = self.prev


class set_grad_enabled(_GradModeBase):
    """set_grad_enabled(mode): set recording on or off; works as a function, context manager or
    decorator."""

    def __init__(self, mode):
        self.prev = state.grad_enabled
        self.mode = bool(mode)
        state.grad_enabled = self.mode

    def __enter__(self):
        state.grad_enabled = self.mode

    def __exit__(self, *exc):
        state.grad_enabled = self.prev

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_GradModeBase):
    """inference_mode(mode=True): like no_grad; tensors made inside are inference tensors that
    cannot join a graph later."""

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = (state.grad_enabled, state.inference)
        if self.mode:
            state.grad_enabled = False
            state.inference = True

    def __exit__(self, *exc):
        state.grad_enabled, state.inference = self.prev

    def clone(self):
        return inference_mode(self.mode)


def is_grad_enabled():
    """is_grad_enabled() -> bool."""
    return state.grad_enabled


def is_inference_mode_enabled():
    """is_inference_mode_enabled() -> bool."""
    return state.inference
