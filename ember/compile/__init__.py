"""ember.compile: trace a function (a forward, or a whole training step) into a static plan and
replay it as one generated Python function of NumPy calls (DESIGN.md §2.9).

Per guard key (argument shapes, dtypes and requires_grad, grad mode, ``training`` flags) the first
call runs eagerly (lazy state such as optimizer buffers appears), the second runs eagerly under the
recorder, and later calls replay the plan: no Tensor or autograd objects, parameters, gradients
and optimizer state updated in place, the learning rate re-read from the param groups each call,
random ops drawing fresh numbers.

Note [Tiered plans]: a plan has two tiers. The first is an interpreter over the recorded steps
(``interp.Interpreted``: one pass over the steps, no source); the next ``_INTERPRETED`` calls
after the trace replay through it, and the call after them builds the generated plan (passes,
code generation, ``compile()`` of the source: most of what planning costs, 0.9 ms of the seed
MLP's 1.1 ms) and runs it, as every later call does. A step that runs once or twice never pays
for code generation. Both tiers call the kernels eager calls, so both give eager's values bit for
bit (tests/compile checks both); the interpreter drops each value after its last use but plans no
buffers, so its replays cost about an eager step without autograd. ``_INTERPRETED = 0`` generates
the plan at the trace. ``trace_time`` is the tracing call's recording and planning,
``tier_up_time`` the generation of the second tier, ``tier_ups`` how many were made.
``mode="debug"``, ``dynamic=True`` and forwards whose outputs require grad (AOT entries) build the
generated plan at the trace, as before.

Note [Interpreter at the first replay]: the call that traces only records (the eager call under
the recorder); the first replay builds the interpreter and runs it. Building it is a fifth of an
eager step for the seed models (18 µs against 81 µs for the linear regression). The trace is the
costliest call of a compiled step's first few, and the first replay runs without autograd, so
the build moves to the call that has room for it; a variant traced but never replayed (the
last, smaller batch of an epoch) never pays for it. benchmarks/run.py reports that first
replay's time ("replay1").
"""
import gc
import time
import warnings
from itertools import repeat
from operator import attrgetter, is_not

import numpy as np

from .._state import state
from ..tensor import Tensor, wrap
from . import aot, trace
from .interp import Interpreted
from .plan import Plan, Retrace
from .trace import GraphBreak, Recorder, drop_tensor_refs, tracing

__all__ = ["CompiledFunction", "CompiledModule", "GraphBreak", "compile"]

_MAX_PLANS = 8
_INTERPRETED = 3        # replays run by the interpreter before the plan is generated
_TRAINING = attrgetter("training")
_EDGE = attrgetter("_edge")
_CONTAINERS = (tuple, list, dict)
_EAGER = "eager"


def compile(model=None, *, fullgraph=False, dynamic=None, backend="numpy", mode=None,
            options=None, disable=False):
    """compile(model=None, *, fullgraph=False, dynamic=None, backend='inductor', mode=None,
    options=None, disable=False) -> compiled callable.

    ``model`` is a function (a forward, or a training step that calls ``backward()`` and
    ``optimizer.step()``) or an ``nn.Module``. Used without ``model`` it returns a decorator.
    ``dynamic=True`` lets the first dimension of tensor arguments vary without re-tracing;
    ``fullgraph=True`` raises instead of falling back to eager on data-dependent control flow;
    ``mode="debug"`` runs each call eagerly and through the plan and warns at the first step
    whose result differs.

    Example:
        >>> import ember as torch
        >>> f = torch.compile(lambda x: (x * 2).sum())
        >>> [f(torch.ones(3)).item() for _ in range(3)]
        [6.0, 6.0, 6.0]
    """
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable:
        return model
    if mode not in (None, "default", "debug", "reduce-overhead", "max-autotune",
                    "max-autotune-no-cudagraphs"):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, "
                           "reduce-overhead, max-autotune, max-autotune-no-cudagraphs, debug")
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        return CompiledModule(model, fullgraph=fullgraph, dynamic=dynamic, mode=mode)
    if not callable(model):
        raise TypeError(f"compile(): expected a callable or an nn.Module, got "
                           f"{type(model).__name__}")
    return CompiledFunction(model, fullgraph=fullgraph, dynamic=dynamic, mode=mode)


def _find_modules(fn):
    """Modules whose ``training`` flag the guard key includes: those reachable from the
    function's closure, the globals it names, and a bound method's instance."""
    from ..nn.modules.module import Module
    roots = []
    self_ = getattr(fn, "__self__", None)
    if self_ is not None:
        roots.append(self_)
    code = getattr(fn, "__code__", None)
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            roots.append(cell.cell_contents)
        except ValueError:
            pass
    if code is not None:
        g = getattr(fn, "__globals__", {})
        roots.extend(g[n] for n in _code_names(code) if n in g)
    mods, seen = [], set()
    for r in roots:
        cands = r if isinstance(r, (list, tuple)) else (r,)
        for c in cands:
            if isinstance(c, Module):
                for m in c.modules():
                    if id(m) not in seen:
                        seen.add(id(m))
                        mods.append(m)
    return mods


def _code_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _code_names(c)
    return names


def _flatten(obj, leaves):
    """Append the leaves of nested tuples/lists/dicts to ``leaves``; return a rebuild spec."""
    t = type(obj)
    if t is tuple or t is list:
        return (t, [_flatten(x, leaves) for x in obj])
    if t is dict:
        return (dict, [(k, _flatten(v, leaves)) for k, v in obj.items()])
    leaves.append(obj)
    return None


def _rebuild(spec, it):
    if spec is None:
        return next(it)
    t, items = spec
    if t is dict:
        return {k: _rebuild(v, it) for k, v in items}
    return t(_rebuild(x, it) for x in items)


class _Entry:
    __slots__ = (
        "batch",
        "batch_free",
        "copy",
        "direct",
        "fast",
        "fn",
        "n_tensor_args",
        "outs",
        "plan",
        "single",
        "spec",
        "trace_s",
    )


class CompiledFunction:
    """The callable ``compile()`` returns for a function. ``traces`` counts recordings made,
    ``trace_time`` holds the seconds the last one took (eager call + planning); ``tier_ups`` and
    ``tier_up_time`` the same for generated plans (Note [Tiered plans])."""

    def __init__(self, fn, *, fullgraph=False, dynamic=None, mode=None, modules=None):
        self._fn = fn
        self.__wrapped__ = fn
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)
        self.fullgraph = fullgraph
        self.dynamic = bool(dynamic)
        self.mode = mode
        self._modules = modules if modules is not None else _find_modules(fn)
        if not trace._installed:
            trace._install_watchers()   # once per process (Note [Watchers stay installed])
        # requires_grad of their parameters is guarded too (freezing a layer re-traces)
        self._params = [p for m in self._modules for p in m._parameters.values()
                        if p is not None]
        self._cache = {}
        self._warned_full = False
        self.traces = 0
        self.trace_time = None
        self.tier_ups = 0
        self.tier_up_time = None
        self.debug_report = None

    # -- guards ---------------------------------------------------------------------------------
    def _key(self, leaves):
        if self._modules:
            # C-level maps: the guard runs on every call, and comprehensions cost a frame
            parts = [state.grad_enabled, *map(_TRAINING, self._modules),
                     *map(is_not, map(_EDGE, self._params), repeat(None))]
        else:
            parts = [state.grad_enabled]
        if not leaves:
            return tuple(parts)
        dyn = self.dynamic
        for x in leaves:
            if isinstance(x, Tensor):
                a = x._array
                parts.append((a.shape[1:] if dyn and a.ndim else a.shape, a.dtype,
                              x._edge is not None))
            else:
                try:
                    hash(x)
                    parts.append((type(x), x))
                except TypeError:
                    parts.append((type(x), id(x)))
        return tuple(parts)

    # -- calls ------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if state.tracer is not None:
            # inside another compiled call's trace: run eagerly so that one records our ops
            return self._fn(*args, **kwargs)
        leaves = args
        if kwargs:
            leaves = []
            _flatten((args, kwargs), leaves)
        elif args:
            for a in args:
                if type(a) in _CONTAINERS:
                    leaves = []
                    _flatten((args, kwargs), leaves)
                    break
        key = self._key(leaves)
        entry = self._cache.get(key)
        t = type(entry)
        if t is _Entry and entry.fast:
            # the common case: a plan for these inputs, no batch or debug variants
            try:
                if entry.direct:
                    # the plan builds the one result itself
                    pos = entry.n_tensor_args
                    if pos:
                        return entry.fn(*[leaves[i]._array for i in pos])
                    return entry.fn()
                return self._replay(entry, leaves)
            except Retrace:
                del self._cache[key]
                entry = None
        elif t is aot.AotEntry:
            vals = aot.replay(entry, leaves, entry.pos)
            if entry.spec[0] is None:
                return vals[0]
            return _rebuild(entry.spec[0], iter(vals))
        return self._call_slow(key, entry, args, kwargs, leaves)

    def _call_slow(self, key, entry, args, kwargs, leaves):
        if self.dynamic and type(entry) is _Entry and not entry.batch_free:
            b = _batch(leaves)
            if b != entry.batch:
                # this plan baked the traced batch size somewhere: one plan per batch size
                key = key + (("batch", b),)
                entry = self._cache.get(key)
        if type(entry) is aot.AotEntry:
            vals = aot.replay(entry, leaves, entry_tensor_pos(leaves))
            return _rebuild(entry.spec[0], iter(vals))
        if type(entry) is _Entry:
            if self.mode == "debug":
                return self._debug_call(entry, args, kwargs, leaves)
            try:
                return self._replay(entry, leaves)
            except Retrace:
                del self._cache[key]
                entry = None
        if entry is None:
            if sum(type(e) in (_Entry, aot.AotEntry) for e in self._cache.values()) >= \
                    _MAX_PLANS:
                if not self._warned_full:
                    self._warned_full = True
                    warnings.warn(f"ember.compile: {self.__name__} has {_MAX_PLANS} compiled "
                                  f"variants (guard misses on shapes, dtypes, grad mode or "
                                  f"training flags); new variants run eagerly", UserWarning,
                                  stacklevel=3)
                return self._fn(*args, **kwargs)
            self._cache[key] = 1       # first sight runs eagerly: lazy state appears
            return self._fn(*args, **kwargs)
        if entry == 1:
            result, new = self._trace(args, kwargs, leaves, capture=self.mode == "debug")
            self._cache[key] = new
            return result
        return self._fn(*args, **kwargs)

    def _replay(self, entry, leaves):
        pos = entry.n_tensor_args
        if pos:
            vals = entry.fn(*[leaves[i]._array for i in pos])
        else:
            vals = entry.fn()
        if entry.direct:
            return vals
        if entry.single is not None:
            # one result (the common case): no rebuilding
            kind, x = entry.single
            if kind == "slot":
                v = vals[0]
                return wrap(np.array(v, copy=True) if entry.copy[0] else v)
            if kind == "none":
                return None
            return leaves[x] if kind == "arg" else x
        outs = []
        for (kind, x), v, cp in zip(entry.outs, vals, entry.copy):
            if kind == "slot":
                outs.append(wrap(np.array(v, copy=True) if cp else v))
            elif kind == "arg":
                outs.append(leaves[x])
            else:
                outs.append(x)
        return _rebuild(entry.spec, iter(outs))

    def _trace(self, args, kwargs, leaves, capture=False):
        # Note [No collection while tracing]: a trace makes thousands of small objects (slots,
        # steps, weak references) that live until planning ends; the cyclic collector would
        # scan them again and again as they pile up (a full collection with torch or a large
        # model in the process takes milliseconds). Refcounting still frees what dies; one
        # collection pass afterwards sees what is left.
        if not gc.isenabled():
            return self._trace_body(args, kwargs, leaves, capture)
        gc.disable()
        try:
            return self._trace_body(args, kwargs, leaves, capture)
        finally:
            gc.enable()

    def _trace_body(self, args, kwargs, leaves, capture):
        t0 = time.perf_counter()
        tensor_pos = [i for i, x in enumerate(leaves) if isinstance(x, Tensor)]
        arg_arrays = {}
        for j, i in enumerate(tensor_pos):
            arg_arrays.setdefault(id(leaves[i]._array), j)
        rec = Recorder(arg_arrays, fullgraph=self.fullgraph, capture=capture)
        try:
            with tracing(rec):
                result = self._fn(*args, **kwargs)
            self.traces += 1
            out_leaves = []
            spec = _flatten(result, out_leaves)
            if rec.data_dep is not None:
                file, line, what = rec.data_dep
                warnings.warn(f"ember.compile: {self.__name__} has data-dependent Python control "
                              f"flow ({what} on a traced tensor) at {file}:{line}; it runs eagerly "
                              f"for these inputs from now on", UserWarning, stacklevel=5)
                return result, _EAGER
            needs_grad = not rec.did_backward and any(
                isinstance(t, Tensor) and t._edge is not None for t in out_leaves)
            if needs_grad and (capture or self.dynamic or rec.broken is not None):
                rec.fail("its outputs require grad (not compiled with mode='debug' or dynamic)")
            outs, out_slots, copy = [], [], []
            for t in out_leaves:
                if isinstance(t, Tensor):
                    k = rec.amap.get(id(t._array))
                    if k is None:
                        k = rec.ext(t._array, t)
                    src = rec.slots[k].source
                    if src is not None and src[0] == "arg":
                        outs.append(("arg", tensor_pos[src[1]]))
                    elif src is not None and src[0] == "tensor":
                        outs.append(("const", t))
                    else:
                        outs.append(("slot", None))
                        out_slots.append(k)
                        copy.append(False)
                        continue
                    out_slots.append(None)
                    copy.append(False)
                else:
                    outs.append(("const", t))
                    out_slots.append(None)
                    copy.append(False)
            aot_state = None
            if needs_grad and rec.broken is None:
                aot_state = aot.record(rec, out_leaves, outs, tensor_pos, leaves)
                if aot_state is None:
                    return result, _EAGER       # e.g. several outputs require grad: eager
            _bind_names(self._fn, rec, drop_tensor_refs(rec))
            if aot_state is not None and rec.broken is None:
                idx = next(i for i, t in enumerate(out_leaves)
                           if isinstance(t, Tensor) and t._edge is not None)
                entry = aot.build(rec, aot_state, out_slots, outs, tensor_pos, leaves,
                                  len(tensor_pos), idx)
                entry.spec = (spec, idx)
                self.trace_time = time.perf_counter() - t0
                return result, entry
            if rec.broken is not None:
                if rec.broken.startswith("its outputs require grad"):
                    return result, _EAGER
                warnings.warn(f"ember.compile: {self.__name__} cannot be replayed ({rec.broken}); "
                              f"it runs eagerly for these inputs from now on", UserWarning,
                              stacklevel=5)
                return result, _EAGER
            batch = _batch(leaves) if self.dynamic else None
            # one result that is a plan value (or None): the plan returns it as a Tensor itself
            direct = not capture and spec is None and (outs[0][0] == "slot" or
                                                       outs[0] == ("const", None))
            entry = _Entry()
            entry.direct = direct
            entry.spec = spec
            entry.outs = outs
            entry.n_tensor_args = tensor_pos
            entry.batch = batch
            entry.fast = not self.dynamic and self.mode != "debug"
            if entry.fast and _INTERPRETED > 0:
                # Note [Tiered plans]: the generated plan waits until the step has been replayed
                def promote(*arrays):
                    self._tier_up(entry, rec, out_slots)
                    return entry.fn(*arrays)
                entry.plan = None

                def first_replay(*arrays):
                    # Note [Interpreter at the first replay]
                    entry.fn = Interpreted(rec, out_slots, direct, _INTERPRETED, promote)
                    return entry.fn(*arrays)
                entry.fn = first_replay
                entry.copy = [False] * len(out_slots)
                entry.batch_free = False
            else:
                plan = Plan(rec, out_slots, len(tensor_pos), debug=capture, dynamic=self.dynamic,
                            batch=batch, wrap_out=direct)
                if capture:
                    plan.rec_steps = list(rec.steps)
                entry.plan = plan
                entry.fn = plan.fn
                entry.copy = [k is not None and plan.needs_copy(k) for k in out_slots]
                entry.batch_free = plan.batch_free
                del rec.steps
            entry.single = None
            if spec is None:
                kind, x = outs[0]
                entry.single = ("none", None) if kind == "const" and x is None else outs[0]
            entry.trace_s = time.perf_counter() - t0
            self.trace_time = entry.trace_s
            return result, entry
        finally:
            rec.release()     # small arrays it held (Note [Weak slots])

    def _tier_up(self, entry, rec, out_slots):
        """Build and compile the plan of an entry its interpreter has replayed (Note [Tiered
        plans]); the caller runs it for the current call."""
        t0 = time.perf_counter()
        enabled = gc.isenabled()
        gc.disable()        # Note [No collection while tracing]: planning makes as many objects
        try:
            plan = Plan(rec, out_slots, len(entry.n_tensor_args), wrap_out=entry.direct)
        finally:
            if enabled:
                gc.enable()
        del rec.steps
        entry.plan = plan
        entry.copy = [k is not None and plan.needs_copy(k) for k in out_slots]
        entry.fn = plan.fn
        self.tier_ups += 1
        self.tier_up_time = time.perf_counter() - t0

    def _debug_call(self, entry, args, kwargs, leaves):
        from .debug import debug_call
        return debug_call(self, entry, args, kwargs, leaves)


def _bind_names(fn, rec, live):
    """Tensors the function reaches through a closure cell or a global name are read through
    that name at every replay (``x = next_batch`` between calls is honoured). ``live``: the
    slots whose source is a tensor that outlived the call (drop_tensor_refs)."""
    where = {}
    code = getattr(fn, "__code__", None)
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if isinstance(v, Tensor):
            where.setdefault(id(v), ("cell", cell))
    if code is not None:
        g = getattr(fn, "__globals__", {})
        for n in code.co_names:
            v = g.get(n)
            if isinstance(v, Tensor):
                where.setdefault(id(v), ("global", g, n))
    if not where:
        return
    slots = rec.slots
    for k in live:
        info = slots[k]
        t = info.source[1]
        w = where.get(id(t))
        if w is not None and t._array.shape == info.shape:
            info.source = w


def entry_tensor_pos(leaves):
    return [i for i, x in enumerate(leaves) if isinstance(x, Tensor)]


def _batch(leaves):
    for x in leaves:
        if isinstance(x, Tensor) and x._array.ndim:
            return x._array.shape[0]
    return None


class CompiledModule:
    """What ``compile(module)`` returns: calls run the module through a CompiledFunction;
    everything else (parameters(), train(), state_dict() ...) goes to the module itself."""

    def __init__(self, module, **kw):
        object.__setattr__(self, "_orig_mod", module)

        def forward(*args, **kwargs):
            return module(*args, **kwargs)
        forward.__name__ = type(module).__name__
        object.__setattr__(self, "_compiled",
                           CompiledFunction(forward, modules=list(module.modules()), **kw))

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __repr__(self):
        return f"CompiledModule({self._orig_mod!r})"
