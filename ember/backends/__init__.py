"""Backend registry: a device type names a backend holding the array namespace ``xp``."""
from .numpy_backend import NumpyBackend

_BACKENDS = {"cpu": NumpyBackend()}


def get_backend(device_type):
    try:
        return _BACKENDS[device_type]
    except KeyError:
        from .._errors import EmberRuntimeError
        raise EmberRuntimeError(f"no backend for device type '{device_type}'") from None
