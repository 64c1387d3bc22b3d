"""Named result tuples of ops with several outputs (``values, indices = x.max(0)``), as in
``torch.return_types``: plain tuples that also answer ``.values`` and ``.indices``."""
import collections

__all__ = ["max", "min", "sort", "topk", "kthvalue", "mode", "median", "cummax", "cummin"]


def _make(name, fields=("values", "indices")):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{inner})"
    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                               "__module__": __name__})
    return cls


max = _make("max")            # noqa: A001  (torch's names)
min = _make("min")            # noqa: A001
sort = _make("sort")
topk = _make("topk")
kthvalue = _make("kthvalue")
mode = _make("mode")
median = _make("median")
cummax = _make("cummax")
cummin = _make("cummin")
