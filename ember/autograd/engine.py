"""backward(): collect the nodes reachable from the roots, run them by decreasing ``seq``, sum
and cast each gradient to its input's shape and dtype, accumulate into leaves, free the graph.

Plain backward hands rules raw arrays and the backend namespace; ``create_graph=True`` hands them
Tensors and ember's differentiable namespace, so the same rule text builds a graph of its own.
"""
import sys
import warnings

import numpy as np

from .._diagnostics import SAMPLE as _SAMPLE
from .._diagnostics import sample_root as _sample_root
from .._errors import EmberRuntimeError
from .._state import state
from ..tensor import Tensor, wrap
from .node import FREED_MSG, AccumulateGrad, Slot

_XP = None
_getrefcount = sys.getrefcount
_backward_calls = 0

# Note [Ready leaves]: by default a leaf's gradient lands in ``.grad`` after every node ran. While
# some user (DistributedDataParallel) has asked for it, leaves that carry post-accumulate hooks
# are accumulated as soon as the last node feeding them ran, so their hooks fire during backward
# (torch's order) and can start communication while the rest of the graph is still running.
_ready_leaf_users = 0
# Callbacks queued by hooks during a backward; they run once it finished (torch's queue_callback).
_queued = []


def want_ready_leaves(on=True):
    """Turn on (or off, paired with an earlier on) Note [Ready leaves]."""
    global _ready_leaf_users
    _ready_leaf_users += 1 if on else -1


def queue_callback(callback):
    """queue_callback(callback): run ``callback()`` when the current backward pass finished."""
    _queued.append(callback)


def _xp():
    global _XP
    if _XP is None:
        from ..device import CPU
        _XP = CPU.backend.xp
    return _XP


def _node_slot(edge):
    if type(edge) is Slot:
        return edge.node, edge.idx
    return edge, 0


def _fit(g, shape, np_dtype, tensor_mode):
    """Sum a (possibly broadcast) gradient to ``shape`` and cast it to ``np_dtype``."""
    if tensor_mode:
        from .. import _diff_namespace as dn
        if not hasattr(g, "_array"):
            g = dn._t(g)
        if tuple(g.shape) != shape:
            g = dn.sum_to(g, shape)
        if g._array.dtype != np_dtype:
            g = dn.cast_grad(g, np_dtype)
        return g
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if g.shape != shape:
        # broadcast_shapes costs ~2 µs: only a gradient smaller than its input needs it
        lead = g.ndim - len(shape)
        if lead < 0 or 1 in g.shape[lead:]:
            full = np.broadcast_shapes(g.shape, shape)
            if full != g.shape:
                g = np.broadcast_to(g, full)
        g = _xp().sum_to(g, shape)
    if g.dtype != np_dtype:
        if g.dtype.kind == "c" and np_dtype.kind != "c":
            g = g.real
        g = g.astype(np_dtype)
    return g


def _accumulate(buffers, node, idx, g):
    if node.n_out == 1:
        prev = buffers.get(node)
        buffers[node] = g if prev is None else prev + g
    else:
        lst = buffers.get(node)
        if lst is None:
            lst = buffers[node] = [None] * node.n_out
        lst[idx] = g if lst[idx] is None else lst[idx] + g


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False, accumulate=True):
    """Backpropagate ``root_grads`` from the ``roots`` tensors.

    With ``inputs`` given, returns their gradients; with ``accumulate`` they are also (and only
    they are) accumulated into ``.grad`` as torch's ``backward(inputs=...)`` does."""
    if state.tracer is not None:
        # ember.compile records this backward (it runs its own copy of the loop below and
        # falls back to it when a case is beyond what it can replay)
        return state.tracer.backward(run_backward, roots, root_grads, retain_graph,
                                     create_graph, inputs, allow_unused, accumulate)
    tensor_mode = bool(create_graph)
    buffers = {}
    start = []
    for t, g in zip(roots, root_grads):
        node, idx = _node_slot(t._edge)
        if not tensor_mode and type(g) is not np.ndarray:
            g = g._array
        _accumulate(buffers, node, idx, g)
        start.append(node)
    if accumulate:
        # every SAMPLE-th backward hands its root to the growing-graph check (_diagnostics)
        global _backward_calls
        _backward_calls += 1
        if not _backward_calls % _SAMPLE:
            _sample_root(start[0])

    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            if t._edge is None:
                if not allow_unused and not accumulate:
                    raise EmberRuntimeError("One of the differentiated Tensors does not require "
                                            "grad")
                continue
            capture.setdefault(_node_slot(t._edge), []).append(i)

    # Collect reachable nodes (iterative: RNN graphs are deeper than the recursion limit).
    seen = set()
    stack = start
    order = []
    leaves = []
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if type(n) is AccumulateGrad:
            leaves.append(n)
            continue
        order.append(n)
        for e in n.next:
            if e is not None:
                stack.append(e.node if type(e) is Slot else e)
    order.sort(key=_seq, reverse=True)
    pending = None
    if _ready_leaf_users and capture is None and accumulate:
        pending = _ready_counts(order, leaves)

    results = [None] * len(inputs) if inputs is not None else None
    prev_mode = state.grad_enabled
    state.grad_enabled = tensor_mode
    pop = buffers.pop
    try:
        for node in order:
            g = pop(node, None)
            if g is None:
                continue
            if node.pre_hooks:
                g = _call_pre_hooks(node, g, tensor_mode)
            if node.tensor_hooks:
                g = _run_tensor_hooks(node, g, tensor_mode)
            if node.retains:
                _retain(node, g, tensor_mode)
            if capture is not None:
                _capture(capture, node, g, results, tensor_mode)
            try:
                grads = node_backward(node, g, tensor_mode)
            except Exception:
                if state.anomaly:
                    anomaly_report(node)
                raise
            if node.post_hooks:
                grads = _call_post_hooks(node, grads, g, tensor_mode)
            if not retain_graph:
                node.release()
            for e, gi in zip(node.next, grads):
                if e is None or gi is None:
                    continue
                if type(e) is Slot:
                    tgt, idx = e.node, e.idx
                    gi = _fit(gi, tgt.shape[idx], tgt.dtype[idx], tensor_mode)
                    _accumulate(buffers, tgt, idx, gi)
                    continue
                gi = _fit(gi, e.shape, e.dtype, tensor_mode)
                prev = buffers.get(e)
                buffers[e] = gi if prev is None else prev + gi
                if pending is not None:
                    gi = prev = None
                    _leaf_fed(pending, buffers, e, tensor_mode)
        # Drop this frame's references so a leaf can take its gradient array without a copy
        # (_accumulate_leaf counts references to decide).
        grads = gi = g = None
        for leaf in leaves:
            g = pop(leaf, None)
            if g is None:
                continue
            if leaf.pre_hooks:
                g = _call_pre_hooks(leaf, g, tensor_mode)
            if leaf.tensor_hooks:
                g = _run_tensor_hooks(leaf, g, tensor_mode)
            if capture is not None:
                hit = _capture(capture, leaf, g, results, tensor_mode)
                if not accumulate or not hit:
                    continue
            elif not accumulate:
                continue
            _accumulate_leaf(leaf, g, tensor_mode)
            g = None
    except BaseException:
        _queued.clear()
        raise
    finally:
        state.grad_enabled = prev_mode
    if _queued:
        _run_queued()
    if inputs is not None and accumulate:
        # backward(inputs=[non-leaf, ...]) also fills .grad of non-leaf inputs
        for t, r in zip(inputs, results):
            if r is not None and type(_node_slot(t._edge)[0]) is not AccumulateGrad:
                t._grad = r if t._grad is None else t._grad + r
    return results


def _seq(n):
    return n.seq


def _ready_counts(order, leaves):
    """How many edges still feed each hooked leaf (Note [Ready leaves]); None if no leaf has
    post-accumulate hooks."""
    hooked = {leaf: 0 for leaf in leaves if leaf.post_acc_hooks}
    if not hooked:
        return None
    for n in order:
        for e in n.next:
            if e in hooked:
                hooked[e] += 1
    return hooked


def _leaf_fed(pending, buffers, leaf, tensor_mode):
    left = pending.get(leaf)
    if left is None:
        return
    if left > 1:
        pending[leaf] = left - 1
        return
    del pending[leaf]
    g = buffers.pop(leaf)
    # run_backward's list of the node's gradients and zip's current tuple over it may each hold
    # g once more (then g may still be stolen, nobody else sees it); a hook's result may not
    spare = 2
    if leaf.pre_hooks:
        g = _call_pre_hooks(leaf, g, tensor_mode)
        spare = 0
    if leaf.tensor_hooks:
        g = _run_tensor_hooks(leaf, g, tensor_mode)
        spare = 0
    _accumulate_leaf(leaf, g, tensor_mode, spare)


def _run_queued():
    callbacks = _queued[:]
    _queued.clear()
    for fn in callbacks:
        fn()


def node_backward(node, g, tensor_mode):
    """Run one node's derivative rule; returns one gradient (or None) per input edge."""
    cb = node.custom_backward
    if cb is not None:
        grads = cb(g, tensor_mode)
    else:
        kept = node.kept
        if kept is None:
            raise EmberRuntimeError(FREED_MSG)
        if node.versions:
            node.unpack()
        op = node.op
        out = node.kept_out
        if tensor_mode:
            from .. import _diff_namespace as m
            from ..tensor import wrap
            vals = kept
            if out is not None:
                out = wrap(out, node)
        else:
            m = _XP or _xp()
            vals = [v._array if isinstance(v, Tensor) else v for v in kept]
        if not vals:
            vals = (None,) * len(node.next)
        attrs = node.attrs
        if op.per_input:
            grads = [rule(m, g, *vals, out, **attrs) if rule is not None and e is not None
                     else None for rule, e in zip(op.grad, node.next)]
        else:
            grads = op.grad(m, g, *vals, out, **attrs)
            if type(grads) is not tuple and type(grads) is not list:
                grads = (grads,)
    if state.anomaly:
        _check_anomaly(node, grads, tensor_mode)
    return grads


def _check_anomaly(node, grads, tensor_mode):
    if not state.anomaly_check_nan:
        return
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        arr = gi._array if hasattr(gi, "_array") else np.asarray(gi)
        if arr.dtype.kind in "fc" and np.isnan(arr).any():
            raise EmberRuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward call that created it:\n{_stack_text(node)}")


def _stack_text(node):
    stack = getattr(node, "stack", None)
    return "".join(stack) if stack else "(no forward stack: the node was created outside " \
        "detect_anomaly())\n"


def anomaly_report(node):
    """Under detect_anomaly, an error in ``node``'s backward first warns with the forward stack
    that created the node, as torch does."""
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  f"error:\n{_stack_text(node)}", UserWarning, stacklevel=2)


def _run_tensor_hooks(node, g, tensor_mode):
    hooks = node.tensor_hooks
    if node.n_out == 1:
        for fn in tuple(hooks.get(0, ())):
            r = fn(_as_tensor(g, tensor_mode))
            if r is not None:
                g = r if tensor_mode else r._array
        return g
    g = list(g)
    for idx, fns in hooks.items():
        for fn in tuple(fns):
            if g[idx] is not None:
                r = fn(_as_tensor(g[idx], tensor_mode))
                if r is not None:
                    g[idx] = r if tensor_mode else r._array
    return g


def _retain(node, g, tensor_mode):
    items = ((0, g),) if node.n_out == 1 else tuple(enumerate(g))
    for idx, gi in items:
        ref = node.retains.get(idx)
        t = ref() if ref is not None else None
        if t is None or gi is None:
            continue
        if t._grad is None:
            t._grad = _as_tensor(gi if tensor_mode else np.array(gi), tensor_mode)
        else:
            t._grad = t._grad + _as_tensor(gi, tensor_mode)


def _as_tensor(g, tensor_mode):
    if tensor_mode:
        return g
    from ..tensor import wrap
    return wrap(g)


def _capture(capture, node, g, results, tensor_mode):
    hit = False
    if node.n_out == 1:
        idxs = capture.get((node, 0))
        if idxs:
            hit = True
            for i in idxs:
                results[i] = _as_tensor(g if tensor_mode else np.array(g), tensor_mode)
        return hit
    for slot, gi in enumerate(g):
        for i in capture.get((node, slot), ()):
            hit = True
            if gi is not None:
                results[i] = _as_tensor(gi if tensor_mode else np.array(gi), tensor_mode)
    return hit


def _accumulate_leaf(leaf, g, tensor_mode, spare=0):
    var = leaf._var()
    if var is None:
        return
    if tensor_mode:
        cur = var._grad
        var._grad = g if cur is None else cur + g
    else:
        cur = var._grad
        if cur is None:
            # Steal the array when nothing else can see it: references held here are the
            # caller's local, this parameter and getrefcount's own argument. Any other one (a
            # second leaf's buffer, a user's tensor, a hook's result) forces a copy, so two
            # leaves never share one .grad buffer.
            if g.base is not None or _getrefcount(g) > 3 + spare or not g.flags.writeable:
                g = np.array(g, copy=True)
            var._grad = wrap(g)
        elif cur._edge is None and cur._array.shape == g.shape and cur._array.flags.writeable:
            cur._array += g
            if cur._vc is not None:
                cur._vc.version += 1
        else:
            var._grad = cur + wrap(g)
    if leaf.post_acc_hooks:
        for fn in tuple(leaf.post_acc_hooks):
            fn(var)


def _call_pre_hooks(node, g, tensor_mode):
    grads = (g,) if node.n_out == 1 else tuple(g)
    wrapped = tuple(None if x is None else _as_tensor(x, tensor_mode) for x in grads)
    for fn in tuple(node.pre_hooks):
        r = fn(wrapped)
        if r is not None:
            wrapped = tuple(r)
    back = tuple(None if x is None else (x if tensor_mode else x._array) for x in wrapped)
    return back[0] if node.n_out == 1 else list(back)


def _call_post_hooks(node, grads, g, tensor_mode):
    gin = tuple(None if x is None else _as_tensor(x, tensor_mode) for x in grads)
    gout = (g,) if node.n_out == 1 else tuple(g)
    gout = tuple(None if x is None else _as_tensor(x, tensor_mode) for x in gout)
    for fn in tuple(node.post_hooks):
        r = fn(gin, gout)
        if r is not None:
            gin = tuple(r)
    return [None if x is None else (x if tensor_mode else x._array) for x in gin]
