"""Device objects. Only "cpu" is available today; a device carries its backend (the array
namespace ``xp`` that kernels and rules use), so adding "cuda" means adding a backend, not
touching ops (DESIGN.md §2.7)."""
from ._errors import EmberRuntimeError


class device:
    """device(type, index=None) or device("cuda:0"): where a tensor's data lives."""

    __slots__ = ("type", "index", "_backend")

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        if isinstance(type, int):
            type, index = "cuda", type
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type == "cpu" and index in (None, 0, -1):
            return CPU
        if type not in ("cpu", "cuda", "mps", "meta"):
            raise EmberRuntimeError(f"Expected one of cpu, cuda, mps, meta device type at start of "
                                    f"device string: {type}")
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
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = object.__new__(device)
CPU.type, CPU.index, CPU._backend = "cpu", None, None


def check_device(d):
    """Resolve a device argument; ember computes on the CPU only, so anything else is refused
    with a message that says so."""
    if d is None:
        return CPU
    d = device(d)
    if d is not CPU:
        raise EmberRuntimeError(f"ember has no {d} backend yet: only device='cpu' is available")
    return d
