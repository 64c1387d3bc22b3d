"""Autograd history for in-place ops.

Note [In-place on views]: when ``op_`` writes into a tensor ``t``:
- if ``t`` is not a view, its history simply gains one node: the op applied to its old value.
- if ``t`` is a view of a root ``R`` (``y = x * 1; y[0] = 0``), the write changed part of ``R``.
  ``R`` gets a CopySlices node whose backward takes R's gradient, hands the slice that ``t``
  covers to the op's own rule, and passes the rest through unchanged (the written region gets
  the rule's gradient for the old value). The view's own ``grad_fn`` is then rebuilt by replaying
  the recorded view chain (``t._view``) on ``R``'s new history.
Other views of ``R`` made before the write keep their old history (a known gap: torch rebuilds
them lazily; here only the written view and the root are rebuilt).
"""
import numpy as np

from .engine import _fit, node_backward
from .node import Node


def record_inplace(op, t, old_edge, old, others, attrs):
    other_edges = tuple(o._edge if hasattr(o, "_edge") else None for o in others)
    first = old if old is not None else t
    if t._view is None:
        t._edge = Node(op, (first, *others), (old_edge, *other_edges), attrs, t._array, t)
        return
    root, chain = t._view
    inner = Node(op, (first, *others), (True, *other_edges), attrs, t._array, t)
    root._edge = CopySlices(root, chain, inner, other_edges, t._array.shape)
    # Rebuild the written view's history on top of the root's new one.
    from ..ops.dispatch import apply_view
    cur = root
    for vop, vattrs in chain:
        cur = apply_view(vop, cur, **vattrs)
    t._edge = cur._edge


def replay(chain, x, tensor_mode):
    """Apply a recorded view chain to an array (or, in tensor mode, a Tensor)."""
    if tensor_mode:
        from ..ops.dispatch import apply_view
        for vop, vattrs in chain:
            x = apply_view(vop, x, **vattrs)
        return x
    from ..device import CPU
    xp = CPU.backend.xp
    for vop, vattrs in chain:
        x = vop.forward(xp, x, **vattrs)
    return x


class CopySlices(Node):
    """The root's node after an in-place write through one of its views."""

    __slots__ = ("chain", "inner", "view_shape")

    def __init__(self, root, chain, inner, other_edges, view_shape):
        self.op = _COPY_SLICES
        self.attrs = {}
        self.next = (root._edge, *other_edges)
        self.seq = inner.seq
        self.shape = root._array.shape
        self.dtype = root._array.dtype
        self.n_out = 1
        self.tensor_hooks = self.retains = self.post_hooks = self.pre_hooks = None
        self.kept, self.kept_out, self.versions, self.stack = (), None, (), inner.stack
        self.chain, self.inner, self.view_shape = chain, inner, view_shape

    def custom_backward(self, g, tensor_mode):
        if tensor_mode:
            res = g.clone()
            gv = replay(self.chain, g, True).clone()
        else:
            res = np.array(g, copy=True)
            gv = np.array(replay(self.chain, g, False), copy=True)
        grads = node_backward(self.inner, gv, tensor_mode)
        g0 = grads[0]
        region = replay(self.chain, res, tensor_mode)
        if tensor_mode:
            from ..ops.creation import zeros_like
            region.copy_(zeros_like(region) if g0 is None else _fit(g0, tuple(region.shape),
                                                                      region._array.dtype, True))
        else:
            region[...] = 0 if g0 is None else _fit(g0, region.shape, region.dtype, False)
        return (res, *grads[1:])

    def release(self):
        self.inner.release()


class _CopySlicesOp:
    name = "copy_slices"
    node_name = "CopySlices"
    grad = True
    keep_inputs = ()
    keep_out = False
    keep_shapes = False


_COPY_SLICES = _CopySlicesOp()
