"""The recorder: while a call runs eagerly with ``state.tracer`` set to a Recorder, every kernel
call (dispatch), every derivative rule, sum-to-shape and accumulation of backward (a copy of the
engine's plain loop, below) and every optimizer update is written down as a step over *slots*.

A slot is one array value, known by the identity of the array object that held it during the
trace (the recorder keeps every such object alive, so identities are never reused). Arrays that
no recorded step produced are external: a function argument, a tensor that outlives the call
(parameters, buffers, captured data), a parameter's pre-existing ``.grad`` or a constant.

Note [Slots are buffers]: an in-place step writes into its target slot instead of making a new
one, exactly as the eager call wrote into the same array; steps are replayed in order, so reads
before the write see the old value and reads after it the new one.
"""
import os
import sys
import weakref

import numpy as np

from .._errors import EmberRuntimeError
from .._state import state
from ..autograd import engine as _engine
from ..autograd.node import FREED_MSG, AccumulateGrad, Slot
from ..ops.random import default_generator
from ..optim import optimizer as _optimizer
from ..tensor import Tensor

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_ARRAYS = (np.ndarray, np.generic)
_new_obj = object.__new__
_HOLD_BYTES = 256       # produced arrays up to this size are held while tracing (Note [Weak slots])


class GraphBreak(RuntimeError):
    """A traced call did something a static graph cannot replay (``fullgraph=True``)."""


# -- steps ----------------------------------------------------------------------------------------

class Call:
    """``outs = fn(m, *args, **attrs)``; ``args`` are ("s", slot) or ("c", constant) refs;
    ``outs`` a slot (single result), or a tuple of slots/None when ``multi`` (tuple result)."""

    __slots__ = ("args", "attrs", "emit", "fn", "fresh", "kind", "multi", "name", "op", "outs")

    def __init__(self, fn, args, attrs, outs, multi, name, kind, op=None):
        self.fn, self.args, self.attrs, self.outs = fn, args, attrs, outs
        self.multi, self.name, self.kind, self.op = multi, name, kind, op
        self.emit = None            # a pass may give the step its own code
        self.fresh = False          # its results owned their memory when traced (no views)

class Inplace:
    """``copyto(slot, fn(m, slot, *args, **attrs))``: an in-place op (Note [Slots are buffers])."""

    __slots__ = ("args", "attrs", "emit", "fn", "name", "op", "target")

    def __init__(self, fn, target, args, attrs, name, op):
        self.fn, self.target, self.args, self.attrs, self.name, self.op = \
            fn, target, args, attrs, name, op
        self.emit = None


class GradSet:
    """``param.grad`` becomes a tensor holding slot ``src`` (kept in the plan's own buffer)."""

    __slots__ = ("dst", "param", "src", "tensor")

    def __init__(self, param, src, dst):
        self.param, self.src, self.dst = param, src, dst
        self.tensor = None          # the plan's .grad tensor around its buffer


class GradNone:
    __slots__ = ("param",)

    def __init__(self, param):
        self.param = param


class AddInto:
    """``target += src`` (a leaf's gradient accumulating into an existing ``.grad``)."""

    __slots__ = ("src", "target")

    def __init__(self, target, src):
        self.target, self.src = target, src


class Fill0:
    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target


class OptUpdate:
    """One optimizer's update of one parameter group; ``grads`` the (param, grad slot) pairs it
    read, so the gradients stay live until it ran."""

    __slots__ = ("emit", "grads", "group", "opt")

    def __init__(self, opt, group, grads):
        self.opt, self.group, self.grads = opt, group, grads
        self.emit = None


def _step(fn, args, attrs, outs, multi, name, kind, op, fresh):
    """``Call(...)`` with ``fresh`` set, without the class call's overhead (the recorder's hot
    path makes one per recorded kernel or rule)."""
    c = _new_obj(Call)
    c.fn, c.args, c.attrs, c.outs, c.multi = fn, args, attrs, outs, multi
    c.name, c.kind, c.op, c.emit, c.fresh = name, kind, op, None, fresh
    return c


class SlotInfo:
    __slots__ = ("dtype", "is_array", "obj", "shape", "source", "value", "written")

    def __init__(self, obj, source):
        self.obj = obj              # externals only (produced arrays: see Recorder._new)
        self.is_array = type(obj) is np.ndarray
        self.shape = obj.shape      # every slot holds an array or a NumPy scalar
        self.dtype = obj.dtype
        self.source = source        # None: made by a step; ("arg", i) | ("tensor", T) | ...
        self.written = False
        self.value = None           # debug mode: the value the eager call computed


def user_frame():
    """(filename, lineno) of the innermost frame outside ember: the user's line."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PKG):
        f = f.f_back
    if f is None:
        return ("<unknown>", 0)
    return (f.f_code.co_filename, f.f_lineno)


def _contiguous(arrays):
    """Whether every array among ``arrays`` is C-contiguous (as planned buffers are)."""
    for a in arrays:
        if type(a) is np.ndarray and not a.flags.c_contiguous:
            return False
    return True


def _fit_plain(m, g, shape, np_dtype):
    return _engine._fit(g, shape, np_dtype, False)


def _add(m, a, b):
    return a + b


def _astype(m, a, np_dtype, shape):
    a = np.asarray(a).astype(np_dtype, copy=False)
    return a if a.shape == shape else np.broadcast_to(a, shape)


class Recorder:
    """``state.tracer`` during the traced call. ``arg_arrays``: id(array) -> argument position
    for the tensor arguments of this call; ``capture``: keep a copy of every step's result
    (``mode="debug"``)."""

    def __init__(self, arg_arrays, fullgraph=False, capture=False):
        self.arrays = None              # set by dispatch right before record()
        self.steps = []
        self.slots = []
        self.amap = {}
        self.tensors = {}               # slot -> tensor it was first seen through
        self.arg_arrays = arg_arrays
        self.fullgraph = fullgraph
        self.capture = capture
        self.broken = None              # why the call cannot be replayed (eager fallback)
        self.data_dep = None            # (file, line, what) of a data-dependent branch
        self.did_backward = False
        self.grad_slot = {}             # id(param) -> slot its .grad holds now (plan buffer)
        # the default generator's NumPy generator while tracing: a kernel handed it draws from
        # whichever one is current at replay (manual_seed() replaces it, maybe before the plan
        # is generated: Note [Tiered plans])
        self.default_rng = default_generator._rng
        self._weak = {}
        self._hold = {}                 # id -> small produced array (Note [Weak slots])
        self.m = _engine._xp()          # the namespace rules run with
        self.srefs = []                 # slot -> its ("s", slot) reference, made once

    # -- slots ------------------------------------------------------------------------------
    def _new(self, obj, source=None):
        if source is None and type(obj) is np.ndarray:
            return self._made(obj)
        k = len(self.slots)
        self.slots.append(SlotInfo(obj, source))
        # steps share one reference tuple per slot: fewer objects for the collector to scan
        # after the trace (Note [No collection while tracing])
        self.srefs.append(("s", k))
        self.amap[id(obj)] = k
        if self.capture and source is None:
            self.slots[k].value = np.array(obj, copy=True)
        return k

    def _made(self, arr):
        """The slot of an array a recorded step produced (the hot path: one per kernel or rule
        result, so the SlotInfo is filled in place rather than through its constructor)."""
        k = len(self.slots)
        info = _new_obj(SlotInfo)
        info.obj = info.source = info.value = None
        info.is_array, info.written = True, False
        info.shape, info.dtype = arr.shape, arr.dtype
        self.slots.append(info)
        self.srefs.append(("s", k))
        key = id(arr)
        self.amap[key] = k
        # Note [Weak slots]: a produced array is not kept alive (the trace's memory stays
        # eager's); when it dies its id leaves the map, so a new array reusing the id is never
        # mistaken for it. A small one is held until the trace ends instead: a weak reference
        # and its callback cost more than the array's few bytes
        if arr.nbytes <= _HOLD_BYTES:
            self._hold[key] = arr
        else:
            self._weak[key] = weakref.ref(arr, self._forget(key, k))
        if self.capture:
            info.value = np.array(arr, copy=True)
        return k

    def release(self):
        """After the trace: the held arrays go, and with them the identities that knew them."""
        self._hold = {}
        self.amap = {}

    def _forget(self, key, k):
        amap, weak = self.amap, self._weak

        def gone(ref):
            if amap.get(key) == k:
                del amap[key]
            if weak.get(key) is ref:
                del weak[key]
        return gone

    def ext(self, arr, tensor=None):
        """The slot of an array no step made; registers it on first sight."""
        k = self.amap.get(id(arr))
        if k is not None:
            return k
        pos = self.arg_arrays.get(id(arr))
        if pos is not None:
            return self._new(arr, ("arg", pos))
        if tensor is not None:
            k = self._new(arr, ("tensor", None))
            self.tensors[k] = tensor
            return k
        return self._new(arr, ("const", arr))

    def ref(self, a, t=None):
        """A reference for a kernel argument ``a`` (``t``: the tensor it came from, if any)."""
        k = self.amap.get(id(a))
        if k is not None:
            # only arrays enter the map, and those it names are alive (held or watched)
            return self.srefs[k]
        if isinstance(a, _ARRAYS):
            if t is not None and a is not t._array:
                # the kernel saw a converted copy (promotion, broadcast): replay the conversion
                src = self.ext(t._array, t)
                out = self._new(a)
                self.steps.append(Call(_astype, [self.srefs[src], ("c", a.dtype),
                                                 ("c", a.shape)], {}, out, False, "cast", "cast"))
                return self.srefs[out]
            return self.srefs[self.ext(a, t)]
        return ("c", a)

    def slot_of_tensor(self, t):
        return self.ext(t._array, t)

    # -- dispatch hook ------------------------------------------------------------------------
    def record(self, op, inputs, attrs, t):
        arrays = self.arrays
        self.arrays = None
        if arrays is None:
            arrays = [x._array if isinstance(x, Tensor) else x for x in inputs]
        args = []
        amap, srefs = self.amap, self.srefs
        n_in = len(inputs)
        for i, a in enumerate(arrays):
            k = amap.get(id(a))
            if k is not None:
                args.append(srefs[k])
                continue
            x = inputs[i] if i < n_in else None
            args.append(self.ref(a, x if isinstance(x, Tensor) else None))
        attrs = dict(attrs) if attrs else {}
        if t is (inputs[0] if inputs else None):
            k = args[0][1]
            self.slots[k].written = True
            if self.capture:
                self.slots[k].value = None
            self.steps.append(Inplace(op.forward, k, args[1:], attrs, op.name, op))
            self._check_inplace_history(t, k)
            return
        out = t._array
        if id(out) in self.amap:       # the kernel returned one of its inputs: an alias
            return
        k = self._made(out) if type(out) is np.ndarray else self._new(out)
        # planned buffers are C-contiguous: with inputs laid out so when traced, the kernel
        # takes the same path at replay (a reshape that copied then copies again)
        self.steps.append(_step(op.forward, args, attrs, k, False, op.name, "forward", op,
                                type(out) is np.ndarray and out.base is None and
                                _contiguous(arrays)))

    def _check_inplace_history(self, t, k):
        # an in-place op on a tensor in the graph keeps a copy of the old value for its rule;
        # the copy is made outside dispatch, so it cannot be replayed yet
        e = t._edge
        if e is not None and type(e) is not AccumulateGrad and state.grad_enabled:
            kept = getattr(e, "kept", None)
            if kept and isinstance(kept[0], Tensor) and id(kept[0]._array) not in self.amap:
                self.fail("an in-place op on a tensor whose old value backward needs")

    def fail(self, why):
        if self.broken is None:
            self.broken = why

    # -- data dependence ----------------------------------------------------------------------
    def data_access(self, t, what):
        if self.data_dep is not None:
            return
        known = id(t._array) in self.amap or id(t._array) in self.arg_arrays or \
            t._edge is not None
        if not known:
            return
        file, line = user_frame()
        self.data_dep = (file, line, what)
        if self.fullgraph:
            raise GraphBreak(f"ember.compile(fullgraph=True): data-dependent Python control flow "
                             f"({what} on a traced tensor) at {file}:{line}")

    # -- optimizer hooks ----------------------------------------------------------------------
    def zero_grad(self, params, set_to_none):
        for p in params:
            g = p._grad
            if g is None:
                continue
            if set_to_none:
                self.steps.append(GradNone(p))
                self.grad_slot.pop(id(p), None)
            else:
                k = self._grad_ref(p)
                self.slots[k].written = True
                self.steps.append(Fill0(k))

    def _grad_ref(self, p):
        k = self.amap.get(id(p._grad._array))
        if k is None:
            k = self._new(p._grad._array, ("grad", p))
        return k

    def optimizer_update(self, opt, group):
        if (opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
                or _optimizer._global_step_pre_hooks or _optimizer._global_step_post_hooks):
            self.fail("optimizer step hooks")
        grads = [(p, self._grad_ref(p)) for p in group["params"] if p._grad is not None]
        self.steps.append(OptUpdate(opt, group, grads))

    # -- backward -----------------------------------------------------------------------------
    def backward(self, run_backward, roots, root_grads, retain_graph, create_graph, inputs,
                 allow_unused, accumulate, boundary=None, sink=None):
        """Run backward eagerly, recording what it computes (the engine's plain path). With
        ``sink`` (a dict), the gradients reaching leaves and the ``boundary`` nodes are left in
        it (node -> slot) instead of being accumulated: a compiled forward's own backward."""
        if create_graph or inputs is not None:
            self.fail("backward(create_graph=True) or backward(inputs=...)")
            return self._untraced(run_backward, roots, root_grads, retain_graph, create_graph,
                                  inputs, allow_unused, accumulate)
        engine = _engine
        buffers = {}
        start = []
        for t, g in zip(roots, root_grads):
            node, idx = engine._node_slot(t._edge)
            if type(g) is not np.ndarray:
                g = g._array
            self.ref(g)
            engine._accumulate(buffers, node, idx, g)
            start.append(node)
        seen, stack, order, leaves = set(), list(start), [], []
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if type(n) is AccumulateGrad or (boundary is not None and n in boundary):
                leaves.append(n)
                continue
            order.append(n)
            for e in n.next:
                if e is not None:
                    stack.append(e.node if type(e) is Slot else e)
        hooked = state.anomaly or engine._queued or getattr(engine, "_ready_leaf_users", 0)
        if not hooked:
            for n in order:
                if (n.custom_backward is not None or n.pre_hooks or n.tensor_hooks or n.retains
                        or n.post_hooks):
                    hooked = True
                    break
            for lf in leaves:
                if lf.pre_hooks or lf.tensor_hooks or getattr(lf, "post_acc_hooks", None):
                    hooked = True
                    break
        if hooked:
            self.fail("backward hooks, custom autograd Functions or anomaly mode")
            return self._untraced(run_backward, roots, root_grads, retain_graph, create_graph,
                                  inputs, allow_unused, accumulate)
        order.sort(key=engine._seq, reverse=True)
        self.did_backward = True
        prev_mode = state.grad_enabled
        state.grad_enabled = False
        try:
            for node in order:
                g = buffers.pop(node, None)
                if g is None:
                    continue
                grads = self._run_rule(node, g)
                if not retain_graph:
                    node.release()
                for e, gi in zip(node.next, grads):
                    if e is None or gi is None:
                        continue
                    if type(e) is Slot:
                        tgt, idx = e.node, e.idx
                        gi = self._fit(gi, tgt.shape[idx], tgt.dtype[idx])
                        lst = buffers.get(tgt)
                        if lst is None:
                            lst = buffers[tgt] = [None] * tgt.n_out
                        lst[idx] = gi if lst[idx] is None else self._acc(lst[idx], gi)
                        continue
                    gi = self._fit(gi, e.shape, e.dtype)
                    prev = buffers.get(e)
                    buffers[e] = gi if prev is None else self._acc(prev, gi)
            # the last rule's results must not look shared to _accumulate_leaf (it copies then)
            grads = gi = None
            for leaf in leaves:
                g = buffers.pop(leaf, None)
                if g is None:
                    continue
                if sink is not None:
                    if type(g) is list:
                        self.fail("a compiled forward whose input is one output of several")
                        continue
                    sink[leaf] = self.ref(g)[1]
                else:
                    self._leaf(leaf, g)
        finally:
            state.grad_enabled = prev_mode

    def _untraced(self, run_backward, *args):
        tracer = state.tracer
        state.tracer = None
        try:
            return run_backward(*args)
        finally:
            state.tracer = tracer

    def _run_rule(self, node, g):
        kept = node.kept
        if kept is None:
            raise EmberRuntimeError(FREED_MSG)
        if node.versions:
            node.unpack()
        op, out, attrs = node.op, node.kept_out, node.attrs
        ref = self.ref
        args = [ref(g)]
        if kept:
            vals = []
            for t in kept:
                if isinstance(t, Tensor):
                    v = t._array
                    vals.append(v)
                    args.append(ref(v, t))
                else:
                    vals.append(t)
                    args.append(ref(t))
        else:
            vals = (None,) * len(node.next)
            args.extend([("c", None)] * len(vals))
        args.append(ref(out) if out is not None else ("c", None))
        contig = _contiguous((g, *vals, out))
        m = self.m
        if op.per_input:
            grads = []
            name = op.node_name
            for i, (rule, e) in enumerate(zip(op.grad, node.next)):
                if rule is None or e is None:
                    grads.append(None)
                    continue
                r = rule(m, g, *vals, out, **attrs)
                grads.append(r)
                self._rule_out(rule, args, attrs, r, False, f"{name}[{i}]", op, contig)
            return grads
        r = op.grad(m, g, *vals, out, **attrs)
        multi = type(r) is tuple or type(r) is list
        self._rule_out(op.grad, args, attrs, r, multi, op.node_name, op, contig)
        return r if multi else (r,)

    def _rule_out(self, fn, args, attrs, r, multi, name, op, contig=False):
        amap = self.amap
        if multi:
            outs = []
            fresh = contig
            for x in r:
                if x is None:
                    outs.append(None)
                    continue
                if fresh and (type(x) is not np.ndarray or x.base is not None):
                    fresh = False
                if not isinstance(x, _ARRAYS):
                    outs.append(None)
                    self.fail(f"a derivative rule of {op.name} returned {type(x).__name__}")
                elif id(x) in amap:
                    outs.append(None)   # the rule passed an array through (an alias)
                else:
                    outs.append(self._made(x) if type(x) is np.ndarray else self._new(x))
            if outs.count(None) != len(outs):
                self.steps.append(_step(fn, args, dict(attrs), tuple(outs), True, name, "rule",
                                        op, fresh))
            return
        if r is None:
            return
        if not isinstance(r, _ARRAYS):
            self.fail(f"a derivative rule of {op.name} returned {type(r).__name__}")
            return
        if id(r) in amap:
            return                      # the rule passed an array through (an alias)
        if type(r) is np.ndarray:
            self.steps.append(_step(fn, args, dict(attrs), self._made(r), False, name, "rule",
                                    op, contig and r.base is None))
        else:
            self.steps.append(_step(fn, args, dict(attrs), self._new(r), False, name, "rule",
                                    op, False))

    def _fit(self, g, shape, np_dtype):
        r = _engine._fit(g, shape, np_dtype, False)
        if r is not g:
            src = self.ref(g)
            k = self._new(r)
            self.steps.append(Call(_fit_plain, [src, ("c", shape), ("c", np_dtype)], {}, k,
                                   False, "sum_to/cast", "fit"))
        return r

    def _acc(self, a, b):
        r = a + b
        ra, rb = self.ref(a), self.ref(b)
        k = self._new(r)
        self.steps.append(Call(_add, [ra, rb], {}, k, False, "accumulate", "acc"))
        return r

    def _leaf(self, leaf, g):
        _accumulate_leaf = _engine._accumulate_leaf
        var = leaf._var()
        if var is None:
            return
        cur = var._grad
        src = self.ref(g)[1]
        if cur is not None and cur._edge is None and cur._array.shape == g.shape and \
                cur._array.flags.writeable:
            k = self._grad_ref(var)
            self.slots[k].written = True
            if self.capture:
                self.slots[k].value = None
            _accumulate_leaf(leaf, g, False)
            self.steps.append(AddInto(k, src))
            return
        if cur is not None:
            # grad = cur + g through dispatch (recorded), then bound like a fresh gradient
            _accumulate_leaf(leaf, g, False)
            src = self.slot_of_tensor(var._grad)
        else:
            # one reference more than the engine's loop holds: this frame's ``g`` (and the
            # recorder's own when it holds a small array: Note [Weak slots]), so a gradient
            # nothing else holds is stolen as eager steals it instead of copied (MLP-784: six
            # weight-sized copies per trace)
            _accumulate_leaf(leaf, g, False, 2 if self._hold.get(id(g)) is g else 1)
        arr = var._grad._array
        # (a stolen gradient gets a second slot: from now on it is the parameter's buffer)
        dst = self._new(arr)
        self.steps.append(GradSet(var, src, dst))
        self.grad_slot[id(var)] = dst


# -- tracing context -------------------------------------------------------------------------------

_WATCHED = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__",
            "__complex__", "__array__")
_active = None          # the Recorder of the call being traced: what the watchers report to
_installed = False


class tracing:
    """Context manager: install ``rec`` as ``state.tracer`` and as the recorder the watched
    Tensor methods (those that turn traced data into Python values: data-dependent control
    flow) and ``Module.zero_grad`` report to."""

    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        global _active
        if not _installed:
            _install_watchers()
        self.prev, self.prev_active = state.tracer, _active
        _active = state.tracer = self.rec
        return self.rec

    def __exit__(self, *exc):
        global _active
        state.tracer, _active = self.prev, self.prev_active
        return False


def _install_watchers():
    """Note [Watchers stay installed]: replacing the watched methods for each trace and putting
    them back afterwards cost the seed models' trace about a fifth of its time: assigning to a
    class attribute invalidates the type's version tag (and, for a dunder, rewrites the C slot
    of every subclass), so each specialised attribute lookup on Tensors and Modules missed in
    the traced call and in the step after it. The watchers are put in place once, when the
    process's first compiled function is made (so no trace pays for it), and stay; outside a
    trace they cost a call frame and one global read. Docstrings, names and ``__wrapped__`` are
    the originals'."""
    global _installed
    from ..nn.modules.module import Module
    for name in _WATCHED:
        orig = Tensor.__dict__.get(name)
        if orig is not None:
            setattr(Tensor, name, _watch(orig, name))
    Module.zero_grad = _watch_zero_grad(Module.__dict__["zero_grad"])
    _installed = True


def _like(wrapper, orig):
    # what functools.update_wrapper copies, at a fraction of its cost (the first trace pays it)
    wrapper.__name__, wrapper.__qualname__ = orig.__name__, orig.__qualname__
    wrapper.__doc__, wrapper.__module__, wrapper.__wrapped__ = \
        orig.__doc__, orig.__module__, orig
    return wrapper


def _watch(orig, name):
    what = name if name.startswith("__") else name + "()"
    code = orig.__code__
    if code.co_argcount == 1 and not code.co_kwonlyargcount and not code.co_flags & 0x0C:
        # the common one-argument form (float(t), bool(t)) without packing *args/**kwargs
        # (0x0C: CO_VARARGS | CO_VARKEYWORDS)
        def watched(self):
            if _active is not None:
                _active.data_access(self, what)
            return orig(self)
    else:
        def watched(self, *args, **kwargs):
            if _active is not None:
                _active.data_access(self, what)
            return orig(self, *args, **kwargs)
    return _like(watched, orig)


def _watch_zero_grad(orig):
    def zero_grad(module, set_to_none=True):
        rec = _active
        if rec is None:
            return orig(module, set_to_none)
        rec.zero_grad(list(module.parameters()), set_to_none)
        tracer, state.tracer = state.tracer, None
        try:
            if not set_to_none:
                for p in module.parameters():
                    if p._grad is not None:
                        p._grad._array[...] = 0
            else:
                orig(module, set_to_none)
        finally:
            state.tracer = tracer
        return None
    return _like(zero_grad, orig)


def drop_tensor_refs(rec):
    """After the trace: externals seen through tensors that died with the call (made inside it
    outside any op) become constants; the others are persistent state read each replay. Returns
    the slots of the latter."""
    refs = [(k, weakref.ref(t)) for k, t in rec.tensors.items()]
    rec.tensors.clear()
    live = []
    for k, r in refs:
        t = r()
        info = rec.slots[k]
        if t is None:
            if info.written:
                rec.fail("a tensor created inside the compiled call outside ember's ops was "
                         "written in place")
            info.source = ("const", info.obj)
        else:
            info.source = ("tensor", t)
            live.append(k)
    return live
