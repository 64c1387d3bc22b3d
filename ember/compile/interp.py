"""The first tier of a plan (Note [Tiered plans] in compile/__init__.py): the recorded steps
replayed by one loop over prepared tuples. Every step calls what the generated source calls when
no pass rewrote it (the registered kernel or rule, ``np.copyto`` for in-place ops, the optimizer's
own group update), so values are eager's bit for bit; building it is one pass over the steps,
where the generated plan costs passes, code generation and ``compile()``.
"""
import numpy as np

from .._state import state
from ..device import CPU
from ..ops.random import default_generator
from ..tensor import wrap
from .plan import Retrace
from .trace import AddInto, Call, Fill0, GradNone, GradSet, Inplace, OptUpdate

_CALL, _MULTI, _INPLACE, _GRADSET, _GRADNONE, _ADDINTO, _FILL0, _OPT = range(8)
_RNG = object()         # stands for the default generator: manual_seed() replaces its _rng


class Interpreted:
    """``fn(*arg_arrays)`` like ``Plan.fn``; after ``left`` calls the next one calls
    ``promote(*arg_arrays)`` instead (the tier-up), which must return that call's result."""

    __slots__ = ("copy", "drops", "ext", "init", "left", "outs", "prog", "promote",
                 "wrap_out")

    def __init__(self, rec, out_slots, wrap_out, left, promote):
        self.wrap_out = wrap_out
        self.left = left
        self.promote = promote
        slots = rec.slots
        rng = rec.default_rng
        # One pass over the steps makes the program and each slot's last read; a second, over
        # the slots read, the externals and the drops. (The first replay builds this: Note
        # [Interpreter at the first replay]; as generator-heavy passes it cost a fifth of the
        # seed models' trace.)
        last = {}
        written = set()
        prog = []
        grad_sets = []
        for i, s in enumerate(rec.steps):
            t = type(s)
            if t is Call or t is Inplace:
                # the step's own ("s", slot) / ("c", constant) references, unless the default
                # generator is among them (it is read at each call: _RNG stands for it)
                args = s.args
                dyn = False
                for tag, v in args:
                    if tag == "s":
                        last[v] = i
                    elif v is rng:
                        dyn = True
                attrs = s.attrs
                if attrs:
                    for v in attrs.values():
                        if v is rng:
                            dyn = True
                            break
                if dyn:
                    args = [(tag, _RNG if tag == "c" and v is rng else v) for tag, v in args]
                    attrs = {n: (_RNG if v is rng else v) for n, v in attrs.items()}
                if t is Inplace:
                    last[s.target] = i
                    written.add(s.target)
                    prog.append((_INPLACE, s.fn, args, attrs, dyn, s.target))
                else:
                    prog.append((_MULTI if s.multi else _CALL, s.fn, args, attrs, dyn, s.outs))
            elif t is GradSet:
                if s.src != s.dst:
                    last[s.src] = i
                written.add(s.dst)
                grad_sets.append(i)
                prog.append(s)
            elif t is GradNone:
                prog.append((_GRADNONE, s.param, None, None, None, None))
            elif t is AddInto:
                last[s.target] = last[s.src] = i
                written.add(s.target)
                prog.append((_ADDINTO, s.target, s.src, None, None, None))
            elif t is Fill0:
                last[s.target] = i
                written.add(s.target)
                prog.append((_FILL0, s.target, None, None, None, None))
            elif t is OptUpdate:
                for _, k in s.grads:
                    last[k] = i
                prog.append((_OPT, s.opt, s.group, None, None, None))
            else:
                raise TypeError(f"ember.compile: no interpreter for step {t.__name__}")
        outs = {k for k in out_slots if k is not None}
        for i in grad_sets:
            s = prog[i]
            # the array becomes the parameter's .grad: taken as eager takes it when no other
            # step reads it, else copied, so two leaves never share one buffer
            steal = last.get(s.src) == i and s.src not in outs and slots[s.src].source is None
            prog[i] = (_GRADSET, s.param, s.src, s.dst, steal, None)
        drops = [()] * len(prog)
        init = [None] * len(slots)
        ext = []                    # (slot, kind, x, shape, dtype): read at every call
        for k in outs.difference(last):
            last[k] = -1
        for k, i in last.items():
            info = slots[k]
            src = info.source
            if src is None:
                if k not in outs:
                    drops[i] += (k,)
                continue
            kind = src[0]
            if kind == "const":
                init[k] = src[1]
            elif kind == "arg":
                ext.append((k, 0, src[1], None, None))
            elif kind == "tensor":
                ext.append((k, 1, src[1], None, None))
            elif kind == "cell":
                ext.append((k, 2, src[1], info.shape, info.dtype))
            elif kind == "global":
                ext.append((k, 3, (src[1], src[2]), info.shape, info.dtype))
            else:                   # "grad": the parameter's .grad before the call
                ext.append((k, 4, src[1], None, None))
        self.init, self.ext = init, ext
        self.prog = prog
        self.drops = drops
        # outputs a later step may write (a .grad buffer, an in-place target) leave as copies
        self.outs = tuple(out_slots)
        self.copy = tuple(k is not None and k in written for k in out_slots)

    def __call__(self, *args):
        if self.left <= 0:
            return self.promote(*args)
        self.left -= 1
        env = self.init.copy()
        for k, kind, x, shape, dtype in self.ext:
            if kind == 0:
                env[k] = args[x]
            elif kind == 1:
                env[k] = x._array
            elif kind == 4:
                g = x._grad
                if g is None:
                    raise Retrace
                env[k] = g._array
            else:
                v = (x.cell_contents if kind == 2 else x[0][x[1]])._array
                if v.shape != shape or v.dtype != dtype:
                    raise Retrace
                env[k] = v
        m = CPU.backend.xp
        for (code, a, b, c, dyn, out), drop in zip(self.prog, self.drops):
            if code <= _INPLACE:
                if dyn:
                    rng = default_generator._rng
                    vals = [m] + [env[v] if tag == "s" else (rng if v is _RNG else v)
                                  for tag, v in b]
                    attrs = {n: (rng if v is _RNG else v) for n, v in c.items()}
                else:
                    vals = [m] + [env[v] if tag == "s" else v for tag, v in b]
                    attrs = c
                if code == _CALL:
                    env[out] = a(*vals, **attrs)
                elif code == _MULTI:
                    r = a(*vals, **attrs)
                    for o, x in zip(out, r):
                        if o is not None:
                            env[o] = x
                else:
                    tgt = env[out]
                    vals.insert(1, tgt)
                    np.copyto(tgt, a(*vals, **attrs), casting="unsafe")
            elif code == _GRADSET:
                g = env[b]
                if not (dyn and type(g) is np.ndarray and g.base is None and
                        g.flags.writeable):
                    g = np.array(g, copy=True)
                a._grad = wrap(g)
                env[c] = g
            elif code == _GRADNONE:
                a._grad = None
            elif code == _ADDINTO:
                t = env[a]
                np.add(t, env[b], out=t)
            elif code == _FILL0:
                env[a].fill(0)
            else:
                prev = state.grad_enabled
                state.grad_enabled = False
                try:
                    a._update_group(b)
                finally:
                    state.grad_enabled = prev
            for k in drop:
                env[k] = None
        if self.wrap_out:
            k = self.outs[0]
            if k is None:
                return None
            v = env[k]
            return wrap(np.array(v, copy=True) if self.copy[0] else v)
        return tuple(None if k is None else
                     (np.array(env[k], copy=True) if cp else env[k])
                     for k, cp in zip(self.outs, self.copy))
