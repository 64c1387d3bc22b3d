"""Autograd history for in-place ops.

Note [In-place on views]: when ``op_`` writes into a tensor ``t``:
- if ``t`` is not a view, its history simply gains one node: the op applied to its old value.
- if ``t`` is a view of a root ``R`` (``y = x * 1; y[0] = 0``), the write changed part of ``R``.
  ``R`` gets a CopySlices node whose backward takes R's gradient, hands the slice that ``t``
  covers to the op's own rule, and passes the rest through unchanged (the written region gets
  the rule's gradient for the old value). The view's own ``grad_fn`` is then rebuilt by replaying
  the recorded view chain (``t._view``) on ``R``'s new history.
- either way every *other* live view of ``R`` now shows the new values, so its history is
  rebuilt the same way (``y = x * 1; v = y[1:]; y.mul_(2)``: ``v``'s gradient goes through the
  multiplication). To find them, ``apply_view`` registers each view it gives a grad_fn, when its
  root is a non-leaf, with ``track_view`` (a weak reference in the root's ``_meta["views"]``);
  views of leaves need nothing, since a leaf that requires grad cannot be written in place
  while grad mode is on. torch rebuilds such views lazily on access; ember rebuilds them at
  the write, because the hot path reads ``_edge`` directly.
"""
import weakref

import numpy as np

from .engine import _fit, node_backward
from .node import AccumulateGrad, Node


def track_view(t):
    """Remember view ``t`` on its root, so a later in-place write can rebuild its history."""
    root = t._view[0]
    if type(root._edge) is AccumulateGrad:
        return
    meta = root._meta
    if meta is None:
        meta = root._meta = {}
    views = meta.get("views")
    if views is None:
        meta["views"] = [weakref.ref(t)]
        return
    views.append(weakref.ref(t))
    n = len(views)
    if n >= 64 and not n & (n - 1):
        # A long-lived root can spawn many short-lived views (slicing in a loop): drop the
        # dead references at each power of two, so the list stays within twice the live ones.
        views[:] = [r for r in views if r() is not None]


def record_inplace(op, t, old_edge, old, others, attrs):
    """Give ``t`` (already overwritten, version already bumped) the history of ``op_``."""
    other_edges = tuple(o._edge if hasattr(o, "_edge") else None for o in others)
    first = old if old is not None else t
    if t._view is None:
        t._edge = _inplace_node(op, t, first, others, (old_edge, *other_edges), attrs)
        _rebuild_views(t, None)
        return
    root, chain = t._view
    inner = _inplace_node(op, t, first, others, (True, *other_edges), attrs)
    root._edge = CopySlices(root, chain, inner, other_edges, t._array.shape)
    t._edge = _view_edge(root, chain)
    _rebuild_views(root, t)


def _inplace_node(op, t, first, others, edges, attrs):
    """The op's Node. An operand that shares ``t``'s memory (``y.mul_(y)``) is saved at the
    version it had *before* the write, as torch does, so backward reports it as modified;
    the output, if kept, is saved at the version after it."""
    cell = t._vc
    alias = cell is not None and any(getattr(o, "_vc", None) is cell for o in others)
    if not alias:
        return Node(op, (first, *others), edges, attrs, t._array, t)
    cell.version -= 1
    try:
        node = Node(op, (first, *others), edges, attrs, t._array, t)
    finally:
        cell.version += 1
    if op.keep_out:
        node.versions = node.versions[:-1] + ((cell, cell.version),)
    return node


def _view_edge(root, chain):
    """The grad_fn a view made by ``chain`` would get from ``root``'s current history."""
    from ..ops.dispatch import apply_view
    cur = root
    for vop, vattrs in chain:
        cur = apply_view(vop, cur, **vattrs)
    return cur._edge


def _rebuild_views(root, written):
    meta = root._meta
    views = meta.get("views") if meta is not None else None
    if not views:
        return
    # The replays below register throw-away views; keep only the live ones seen now.
    meta["views"] = []
    alive = []
    for ref in views:
        w = ref()
        if w is None:
            continue
        alive.append(ref)
        if w is not written and w._edge is not None:
            w._edge = _view_edge(root, w._view[1])
    meta["views"] = alive


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
    node_name = "torch::autograd::CopySlices"
    grad = True
    keep_inputs = ()
    keep_out = False
    keep_shapes = False


_COPY_SLICES = _CopySlicesOp()
