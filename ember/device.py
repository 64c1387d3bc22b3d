"""Device objects. Only "cpu" is available today; a device carries its backend (the array
namespace ``xp`` that kernels and rules use), so adding "cuda" means adding a backend, not
touching ops (DESIGN.md §2.7)."""
from ._errors import EmberRuntimeError, EmberTypeError

_KNOWN_TYPES = ("cpu", "cuda", "mps", "meta", "xpu")


class DeviceUnavailableError(EmberRuntimeError, AssertionError):
    """Asked for a device ember cannot compute on. torch raises AssertionError ("Torch not
    compiled with CUDA enabled") in this case, so both ``except`` forms keep working."""


class device:
    """device(type, index=None) or device("cuda:0"): where a tensor's data lives.

    Compares equal only to another device with the same type and index (as in torch,
    ``device("cpu") == "cpu"`` is False).

    Example:
        >>> d = torch.device("cuda:1")
        >>> d.type, d.index
        ('cuda', 1)
        >>> torch.zeros(2).device
        device(type='cpu')
        >>> torch.device("cpu") == "cpu"
        False
    """

    __slots__ = ("type", "index", "_backend")

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise EmberTypeError(f"device(): argument 'type' must be str or int, not "
                                 f"{_typename(type)}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise EmberRuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if index is not None and index < 0:
            raise EmberRuntimeError(f"Device index must not be negative (got {index})")
        if type not in _KNOWN_TYPES:
            raise EmberRuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at "
                                    f"start of device string: {type}")
        if type == "cpu" and index is None:
            return CPU
        self = object.__new__(cls)
        self.type, self.index, self._backend = type, index, None
        return self

    @property
    def backend(self):
        if self._backend is None:
            from .backends import get_backend
            self._backend = get_backend(self.type)
        return self._backend

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


def _typename(obj):
    return obj.__class__.__name__


CPU = object.__new__(device)
CPU.type, CPU.index, CPU._backend = "cpu", None, None


def check_device(d):
    """Resolve a device argument to the device tensors get. ember computes on the CPU only, so
    anything else is refused with a message that says so."""
    if d is None or d is CPU:
        return CPU
    d = device(d)
    if d.type != "cpu":
        raise DeviceUnavailableError(f"ember has no {d.type} backend yet: only device='cpu' is "
                                     f"available (asked for device '{d}')")
    return CPU
