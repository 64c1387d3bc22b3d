"""Walking the nested tuples, lists and dicts that modules return."""
from ..tensor import Tensor


def flatten_tensors(obj, out):
    """Append the Tensors inside nested tuples/lists/dicts of ``obj`` to ``out``; returns it."""
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            flatten_tensors(x, out)
    elif isinstance(obj, dict):
        for x in obj.values():
            flatten_tensors(x, out)
    return out
