"""detect_anomaly(): nodes created while it is on remember the (user part of the) Python stack
of the forward call that made them; during backward a node whose rule returns NaN raises an
error naming it and showing that stack, and any error raised in a node's backward is preceded
by a warning with the same stack, as torch does."""
import functools
import warnings

from .._state import state


def _set(mode, check_nan):
    state.anomaly = bool(mode)
    state.anomaly_check_nan = bool(check_nan)


class detect_anomaly:
    """detect_anomaly(check_nan=True): a context manager (or, in ember, a decorator) for
    debugging backward. Nodes made inside remember the forward line that created them; a
    backward that produces NaN raises ``Function 'SqrtBackward0' returned nan values in its 0th
    output.`` followed by that line, and any error in a node's backward is preceded by a
    warning showing it.

    Example::

        >>> import warnings
        >>> x = torch.tensor([0.], requires_grad=True)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")   # the mode warns that it is slow
        ...     with torch.autograd.detect_anomaly():
        ...         y = x.sqrt() * 0
        ...         try:
        ...             y.backward()
        ...         except RuntimeError as e:
        ...             print(str(e).splitlines()[0])
        Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(*self.prev)

    def __call__(self, fn):
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = (state.anomaly, state.anomaly_check_nan)
            _set(True, check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                _set(*prev)
        return wrapper


class set_detect_anomaly:
    """set_detect_anomaly(mode, check_nan=True): turn anomaly detection on or off; takes effect
    at once, and as a context manager restores the previous setting on exit.

    Example::

        >>> with torch.autograd.set_detect_anomaly(True):
        ...     print(torch.is_anomaly_enabled())
        ...
        True
        >>> torch.is_anomaly_enabled()
        False
    """

    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self.prev)


def is_anomaly_enabled():
    """is_anomaly_enabled() -> bool.

    Example::

        >>> torch.is_anomaly_enabled()
        False
    """
    return state.anomaly


def is_anomaly_check_nan_enabled():
    """is_anomaly_check_nan_enabled() -> bool.

    Example::

        >>> torch.is_anomaly_check_nan_enabled()
        True
    """
    return state.anomaly_check_nan
