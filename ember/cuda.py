"""torch.cuda as seen from a machine without CUDA: ember computes on the CPU, so the queries
answer "no GPU" and seeding calls are accepted and do nothing. This is what lets the common
``device = "cuda" if torch.cuda.is_available() else "cpu"`` line run unchanged.

Example:
    >>> torch.cuda.is_available(), torch.cuda.device_count()
    (False, 0)
"""
from ._errors import EmberRuntimeError

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache", "current_device", "is_initialized"]


def is_available():
    """is_available() -> bool: False; ember has no CUDA backend in this build.

    Example:
        >>> torch.cuda.is_available()
        False
    """
    return False


def device_count():
    """device_count() -> int: 0.

    Example:
        >>> torch.cuda.device_count()
        0
    """
    return 0


def is_initialized():
    """is_initialized() -> bool: False.

    Example:
        >>> torch.cuda.is_initialized()
        False
    """
    return False


def manual_seed(seed):
    """manual_seed(seed): accepted and ignored (there is no CUDA generator to seed).

    Example:
        >>> torch.cuda.manual_seed(0)
    """


def manual_seed_all(seed):
    """manual_seed_all(seed): accepted and ignored.

    Example:
        >>> torch.cuda.manual_seed_all(0)
    """


def synchronize(device=None):
    """synchronize(device=None): nothing to wait for.

    Example:
        >>> torch.cuda.synchronize()
    """


def empty_cache():
    """empty_cache(): nothing is cached.

    Example:
        >>> torch.cuda.empty_cache()
    """


def current_device():
    """current_device() -> int: raises, as torch does on a machine without a CUDA device.

    Example:
        >>> torch.cuda.current_device()
        Traceback (most recent call last):
        ...
        ember._errors.EmberRuntimeError: No CUDA GPUs are available (ember computes on the CPU)
    """
    raise EmberRuntimeError("No CUDA GPUs are available (ember computes on the CPU)")
