"""detect_anomaly(): nodes remember the Python stack of the forward call that made them, and
the engine raises naming that node when its backward produces NaN."""
import warnings

from .._state import state


class detect_anomaly:
    """detect_anomaly(check_nan=True): a context manager (or decorator) for debugging NaNs."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = state.anomaly
        state.anomaly = self.check_nan or True

    def __exit__(self, *exc):
        state.anomaly = self.prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with self:
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    """set_detect_anomaly(mode, check_nan=True): turn anomaly detection on or off."""

    def __init__(self, mode, check_nan=True):
        self.prev = state.anomaly
        state.anomaly = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.anomaly = self.prev


def is_anomaly_enabled():
    return state.anomaly
