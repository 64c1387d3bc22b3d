"""From a recording to one generated Python function: dead steps dropped, externals read once at
the top, every step one line (a NumPy call where a pass found one, else the registered kernel or
rule called with its constants bound as globals), large temporaries released after their last
use. The function takes the argument arrays and returns the output values.
"""
import math

import numpy as np

from ..device import CPU
from ..ops.random import default_generator
from ..optim.optimizer import _bump
from ..tensor import wrap
from . import passes
from .trace import AddInto, Call, Fill0, GradNone, GradSet, Inplace, OptUpdate

_LITERAL = (int, str, bool, type(None))
_DEL_BYTES = 1 << 16        # temporaries at least this large are released after their last use
_CODE = {}                  # generated source -> its code object
_CODE_MAX = 64


class Plan:
    """A compiled recording: ``fn(*arg_arrays)`` replays it and returns the output values."""

    def __init__(self, rec, out_slots, n_args, debug=False, dynamic=False, batch=None,
                 no_passes=False, wrap_out=False):
        self.rec = rec
        self.wrap_out = wrap_out    # one output: return it as a Tensor (None stays None)
        self.no_passes = no_passes
        self.batch = batch
        self.n_args = n_args
        self.out_slots = out_slots
        self.dynamic = dynamic
        self.debug = debug
        self.buffers = set()        # slots that live in preallocated buffers (outputs are copied)
        self.globals = {"np": np, "m": CPU.backend.xp, "DG": default_generator, "_bump": _bump,
                        "_bump_all": _bump_all, "_wrap": wrap}
        self._consts = {}
        self._bufname = {}          # slot -> global name of its preallocated buffer
        self._blocks = []           # Note [Buffer pool]: byte blocks buffers are cut from
        self._pool = []             # free (block, start, end) pieces at this point of the plan
        self._base = {}             # buffer name -> its (block, start, size) piece
        self._zeros = {}            # dtype -> name of a 0-d zero (passes._zero)
        self.preamble = []          # guard and hyperparameter reads, before any step runs
        self._gb = {}
        self._fresh = 0
        self._outset = set() if debug else {k for k in out_slots if k is not None}
        self._outset_all = {k for k in out_slots if k is not None}
        self._same = {}             # slot -> slot whose buffer it shares (a fused chain)
        self._into = {}             # last slot of a chain -> the kernel result it runs in
        self._heads = set()         # those kernel results (deleted with the chain's last slot)
        self._locals = set()        # output slots given a fresh array by an emitter
        self._alloc = []            # allocation lines of the step being emitted
        steps = list(rec.steps)
        live = self._dce(steps)
        self.steps = _drop_shadowed_grad_none([s for s, keep in zip(steps, live) if keep])
        self.batch_arg = None
        self.batch_free = dynamic and self._batch_free()
        readers = {}
        for s in self.steps:
            for k in _reads(s):
                readers[k] = readers.get(k, 0) + 1
        self.steps = passes.run(self, self.steps, readers)
        self.source = self._generate()
        code = _CODE.get(self.source)
        if code is None:
            # compiling the source is a third of a small step's trace; a re-trace or a second
            # model of the same structure generates the same text (constants are globals)
            code = compile(self.source, "<ember.compile plan>", "exec")
            if len(_CODE) >= _CODE_MAX:
                _CODE.pop(next(iter(_CODE)))
            _CODE[self.source] = code
        exec(code, self.globals)  # noqa: S102 (our own generated source: the point of a plan)
        self.fn = self.globals["_replay"]
        for objs in self._resets.values():
            for obj in objs:
                # the traced call's values in them are never read again (Note [Cache resets])
                for a in type(obj).__slots__:
                    setattr(obj, a, None)
        for info in rec.slots:
            # the trace's own arrays are no longer needed (constants live in the globals)
            info.value = None
            if info.source is None or info.source[0] != "const":
                info.obj = None

    # -- dead-code elimination --------------------------------------------------------------------
    def _dce(self, steps):
        slots = self.rec.slots
        live = {k for k in self.out_slots if k is not None}
        keep = [False] * len(steps)
        for i in range(len(steps) - 1, -1, -1):
            s = steps[i]
            t = type(s)
            if t is Call:
                outs = s.outs if s.multi else (s.outs,)
                needed = any(o is not None and o in live for o in outs) or (
                    s.op is not None and s.op.kind == "random") or _side_channel(s)
                if not needed:
                    continue
                keep[i] = True
                for o in outs:
                    live.discard(o)
                live.update(a[1] for a in s.args if a[0] == "s")
            elif t is Inplace:
                keep[i] = True
                live.add(s.target)
                live.update(a[1] for a in s.args if a[0] == "s")
            elif t is GradSet:
                keep[i] = True
                live.discard(s.dst)
                live.add(s.src)
            elif t is AddInto:
                keep[i] = True
                live.add(s.target)
                live.add(s.src)
            elif t is Fill0:
                keep[i] = True
                live.add(s.target)
            elif t is OptUpdate:
                keep[i] = True
                live.update(k for _, k in s.grads)
            elif t is GradNone:
                keep[i] = True
            else:
                keep[i] = True
                live.update(getattr(s, "reads", ()))
        del slots
        return keep

    def _batch_free(self):
        """dynamic=True: whether the plan holds up for any first dimension of the arguments,
        i.e. the traced batch size appears only in shape tuples of attributes (rewritten to
        read the argument's size) and in no constant array."""
        b = self.batch
        if b is None or b <= 1:
            return False
        for k, info in enumerate(self.rec.slots):
            src = info.source
            if src is not None and src[0] == "arg" and info.shape and info.shape[0] == b:
                self.batch_arg = src[1] if self.batch_arg is None else min(self.batch_arg,
                                                                            src[1])
        if self.batch_arg is None:
            return False
        for s in self.steps:
            for k in _reads(s):
                info = self.rec.slots[k]
                src = info.source
                if src is not None and src[0] in ("const", "tensor") and info.shape and \
                        info.shape[0] == b:
                    return False
        return True

    def needs_copy(self, k):
        return k in self._gb or k in self.buffers

    # -- helpers for passes ---------------------------------------------------------------------
    def out(self, k):
        """The global name of slot ``k``'s preallocated buffer (a parameter's gradient buffer
        when the slot only feeds that gradient). An output of the call gets a fresh array each
        replay instead (a local): a buffer would have to be copied out at every return."""
        f = self._same.get(k)
        if f is not None:
            # Note [Elementwise chains]: k's value is dead once the next link reads it
            while f in self._same:
                f = self._same[f]
            name = self.out(f)
            self._bufname[k] = name
            return name
        head = self._into.get(k)
        if head is not None and k not in self._bufname:
            # a chain that starts at a kernel's fresh result runs in that array
            name = self._bufname[k] = f"v{head}"
            return name
        if k in self._outset:
            name = f"v{k}"
            if k not in self._locals:
                self._locals.add(k)
                info = self.rec.slots[k]
                self._alloc.append(f"{name} = np.empty({info.shape!r}, "
                                   f"{self.const(info.dtype, 'D')})")
            return name
        name = self._bufname.get(k)
        if name is None:
            info = self.rec.slots[k]
            nbytes = math.prod(info.shape) * info.dtype.itemsize
            piece = self._take(nbytes)
            blk, lo, _n = piece
            arr = self._blocks[blk][lo:lo + nbytes].view(info.dtype).reshape(info.shape)
            name = self.const(arr, "B")
            self._base[name] = piece
            self._bufname[k] = name
            self.buffers.add(k)
        return name

    def _take(self, nbytes):
        """Bytes for a buffer whose previous contents are dead by now: the best-fitting free
        piece of an earlier block, else a new block (Note [Buffer pool])."""
        n = (max(nbytes, 1) + 63) & ~63
        free = self._pool
        best = None
        for i, (blk, lo, hi) in enumerate(free):
            if hi - lo >= n and (best is None or hi - lo < free[best][2] - free[best][1]):
                best = i
        if best is None:
            blk = len(self._blocks)
            self._blocks.append(np.empty(n, np.uint8))
            lo = 0
        else:
            blk, lo, hi = free[best]
            if hi - lo == n:
                del free[best]
            else:
                free[best] = (blk, lo + n, hi)
        return blk, lo, n

    def _give(self, piece):
        """Return a piece to the pool, merged with free neighbours of the same block."""
        blk, lo, n = piece
        hi = lo + n
        free = self._pool
        keep = []
        for f in free:
            if f[0] == blk and (f[2] == lo or f[1] == hi):
                lo, hi = min(lo, f[1]), max(hi, f[2])
            else:
                keep.append(f)
        keep.append((blk, lo, hi))
        self._pool[:] = keep

    def _buffer_lifetimes(self):
        """step index -> slots whose buffer may be reused after that step. A slot lives until
        its last read; the inputs of a step that does not run through a pass may be viewed by
        its result (a reshape, a transpose) unless that result owned its memory when traced,
        and inputs of a step handed a cache object may be kept in it, so those live as long as
        what they feed."""
        steps = self.steps
        last = {}
        for i, s in enumerate(steps):
            for k in _reads(s):
                last[k] = i
        by_obj = {}
        for i, s in enumerate(steps):
            if type(s) is Call and _side_channel(s):
                for a in s.args:
                    if a[0] == "c" and not isinstance(a[1], _PLAIN):
                        by_obj.setdefault(id(a[1]), []).append(i)
        for idxs in by_obj.values():
            end = max(idxs)
            for i in idxs:
                for k in _reads(steps[i]):
                    last[k] = max(last.get(k, i), end)
        for i in range(len(steps) - 1, -1, -1):
            s = steps[i]
            if getattr(s, "emit", None) is not None or type(s) not in (Call, Inplace) or \
                    getattr(s, "fresh", False):
                # a result that owned its memory at trace time views none of the inputs: the
                # buffers a plan hands such a kernel are laid out as the traced arrays were
                continue
            outs = (s.outs if s.multi else (s.outs,)) if type(s) is Call else (s.target,)
            end = max((last.get(o, i) for o in outs if o is not None), default=i)
            for k in _reads(s):
                last[k] = max(last.get(k, i), end)
        keep = set(self.out_slots)
        by_step = {}
        for k, i in last.items():
            if k not in keep:
                by_step.setdefault(i, []).append(k)
        return by_step

    def _cache_resets(self):
        """step index -> cache objects (Note [Cache resets]) to empty after that step."""
        last = {}
        for i, s in enumerate(self.steps):
            if type(s) is Call:
                for v in [a[1] for a in s.args if a[0] == "c"] + list(s.attrs.values()):
                    if not isinstance(v, _PLAIN) and _resettable(v):
                        last[id(v)] = (i, v)
        by_step = {}
        for i, obj in last.values():
            by_step.setdefault(i, []).append(obj)
        return by_step

    def scratch(self, shape, dtype):
        """A work buffer private to one emitted step."""
        return self.const(np.empty(shape, dtype), "W")

    def fresh(self, prefix):
        self._fresh += 1
        return f"{prefix}{self._fresh}"

    def frozen(self, ref):
        """Whether a reference is a constant array that nothing writes (foldable)."""
        if ref[0] != "s":
            return True
        info = self.rec.slots[ref[1]]
        return info.source is not None and info.source[0] == "const" and not info.written

    def array_of(self, name):
        return self.globals[name]

    def view(self, name, shape):
        """Source for buffer ``name`` seen with another shape (a view made once for a global
        buffer, per call for a local one)."""
        arr = self.globals.get(name)
        if arr is None:
            return f"{name}.reshape({tuple(shape)!r})"
        if arr.shape == tuple(shape):
            return name
        return self.const(arr.reshape(shape), "R")

    def fresh_out(self, k):
        """Whether slot ``k`` is an output the plan allocates afresh at each replay (an emitter
        may then let NumPy allocate it: ``v{k} = np.f(...)``)."""
        return k in self._outset and k not in self._locals

    # -- names --------------------------------------------------------------------------------
    def const(self, value, hint="C"):
        """A global name bound to ``value`` (one name per object)."""
        key = id(value)
        name = self._consts.get(key)
        if name is None:
            name = f"{hint}{len(self._consts)}"
            self._consts[key] = name
            self.globals[name] = value
            self.globals.setdefault("_keep", []).append(value)
        return name

    def lit(self, v):
        """Python source for a constant argument."""
        t = type(v)
        if t in _LITERAL:
            return repr(v)
        if t is float and math.isfinite(v):
            return repr(v)
        if t is tuple and all(type(x) in _LITERAL for x in v):
            if self.batch_free and v and type(v[0]) is int and v[0] == self.batch:
                return f"(_B,) + {v[1:]!r}"      # the traced batch size: read it per call
            return repr(v)
        if isinstance(v, np.random.Generator) and v is getattr(self.rec, "default_rng",
                                                               default_generator._rng):
            return "DG._rng"        # manual_seed() replaces it: read the current one each call
        return self.const(v)

    def name(self, k):
        src = self.rec.slots[k].source
        if src is None:
            b = self._bufname.get(k)
            if b is not None:
                return b
            return self._gb.get(k, f"v{k}")
        kind = src[0]
        if kind == "arg":
            return f"a{src[1]}"
        if kind == "const":
            return self.const(src[1])
        return f"v{k}"

    def arg(self, a):
        return self.name(a[1]) if a[0] == "s" else self.lit(a[1])

    # -- code generation ---------------------------------------------------------------------------
    def _generate(self):
        rec = self.rec
        readers = {}
        for s in self.steps:
            for k in _reads(s):
                readers[k] = readers.get(k, 0) + 1
        makers = {}
        for s in self.steps:
            if type(s) is Call and not s.multi:
                makers[s.outs] = s
        # gradient buffers are consecutive views of one flat buffer per dtype, so an update
        # can treat a whole group's gradients as one array (passes._sgd)
        sizes = {}
        for s in self.steps:
            if type(s) is GradSet:
                info = rec.slots[s.dst]
                sizes[info.dtype] = sizes.get(info.dtype, 0) + math.prod(info.shape)
        flats = {dt: np.empty(n, dt) for dt, n in sizes.items()}
        offs = dict.fromkeys(sizes, 0)
        self._gbinfo = {}
        for s in self.steps:
            if type(s) is GradSet:
                info = rec.slots[s.dst]
                n = math.prod(info.shape)
                off = offs[info.dtype]
                offs[info.dtype] = off + n
                buf = flats[info.dtype][off:off + n].reshape(info.shape)
                self._gbinfo[s.dst] = (flats[info.dtype], off, n)
                self._gb[s.dst] = gb = self.const(buf, "GB")
                s.tensor = wrap(buf)
                mk = makers.get(s.src)
                if mk is not None and mk.emit is not None and readers.get(s.src) == 1 and \
                        s.src not in self.out_slots and s.src not in self._bufname:
                    # the step that makes this gradient writes it into the .grad buffer
                    self._bufname[s.src] = gb
        n_args = self.n_args
        body = []
        used = set(readers) | set(self.out_slots)
        for k, info in enumerate(rec.slots):
            src = info.source
            if src is None or k not in used:
                continue
            if src[0] == "tensor":
                body.append(f"v{k} = {self.const(src[1], 'T')}._array")
            elif src[0] in ("cell", "global"):
                # a tensor the function names directly: rebinding the name must be seen
                where = (f"{self.const(src[1], 'K')}.cell_contents" if src[0] == "cell"
                         else f"{self.const(src[1], 'K')}[{src[2]!r}]")
                body.append(f"v{k} = {where}._array")
                body.append(f"if v{k}.shape != {info.shape!r} or v{k}.dtype != "
                            f"{self.const(info.dtype, 'D')}: raise _Retrace")
            elif src[0] == "grad":
                p = self.const(src[1], "P")
                body.append(f"v{k} = {p}._grad")
                body.append(f"if v{k} is None: raise _Retrace")
                body.append(f"v{k} = v{k}._array")
        self.globals["_Retrace"] = Retrace
        if self.batch_free:
            body.insert(0, f"_B = a{self.batch_arg}.shape[0]")
        last = self._last_uses()
        free_after = self._buffer_lifetimes()
        resets = self._resets = {} if self.no_passes else self._cache_resets()
        top = len(body)
        gb_names = set(self._gb.values())
        for i, s in enumerate(self.steps):
            self._alloc = []
            lines = self._emit(s)
            if self._alloc:
                lines = self._alloc + lines
            if self.debug:
                lines = lines + self._check_lines(s, i)
            body.extend(lines)
            for k in last.get(i, ()):
                nm = self.name(k)
                if nm == f"v{k}" or (k in self._into and nm == f"v{self._into[k]}"):
                    body.append(f"del {nm}")
            for obj in resets.get(i, ()):
                body.append(" = ".join(f"{self.const(obj)}.{a}" for a in type(obj).__slots__)
                            + " = None")
            for k in free_after.get(i, ()):
                name = self._bufname.get(k)
                if name is not None and name not in gb_names and k not in self._same:
                    piece = self._base.pop(name, None)
                    if piece is not None:
                        self._give(piece)
        body[top:top] = self.preamble
        if self.wrap_out:
            k = self.out_slots[0]
            if k is None:
                body.append("return None")
            elif self.needs_copy(k):
                body.append(f"return _wrap(np.array({self.name(k)}, copy=True))")
            else:
                body.append(f"return _wrap({self.name(k)})")
        else:
            outs = ", ".join(self.name(k) if k is not None else "None" for k in self.out_slots)
            body.append(f"return ({outs}{',' if len(self.out_slots) == 1 else ''})")
        params = ", ".join(f"a{i}" for i in range(n_args))
        return f"def _replay({params}):\n" + "".join(f"    {ln}\n" for ln in body)

    def _last_uses(self):
        """step index -> produced local slots whose last read it is (large ones only)."""
        slots = self.rec.slots
        last = {}
        outs = set(self.out_slots)
        for i, s in enumerate(self.steps):
            for k in _reads(s):
                info = slots[k]
                if info.source is None and k not in outs and k not in self._gb and \
                        k not in self._heads:
                    last[k] = i
        by_step = {}
        for k, i in last.items():
            info = slots[k]
            if info.shape is not None and info.dtype is not None and \
                    math.prod(info.shape) * info.dtype.itemsize >= _DEL_BYTES:
                by_step.setdefault(i, []).append(k)
        return by_step

    def _emit(self, s):
        t = type(s)
        if t is Call:
            custom = getattr(s, "emit", None)
            if custom is not None:
                return custom(self, s)
            fn = self.const(s.fn, "F")
            args = ", ".join(["m"] + [self.arg(a) for a in s.args] +
                             [f"{k}={self.lit(v)}" for k, v in s.attrs.items()])
            if s.multi:
                outs = ", ".join(f"v{o}" if o is not None else "_" for o in s.outs)
                return [f"{outs}, *_ = {fn}({args})" if len(s.outs) else f"{fn}({args})"]
            return [f"v{s.outs} = {fn}({args})"]
        if t is Inplace:
            custom = getattr(s, "emit", None)
            if custom is not None:
                return custom(self, s)
            fn = self.const(s.fn, "F")
            tgt = self.name(s.target)
            args = ", ".join(["m", tgt] + [self.arg(a) for a in s.args] +
                             [f"{k}={self.lit(v)}" for k, v in s.attrs.items()])
            return [f"np.copyto({tgt}, {fn}({args}), casting='unsafe')"]
        if t is GradSet:
            gb = self._gb[s.dst]
            lines = []
            if self.name(s.src) != gb:
                lines.append(f"np.copyto({gb}, {self.name(s.src)})")
            lines.append(f"{self.const(s.param, 'P')}._grad = {self.const(s.tensor, 'GT')}")
            return lines
        if t is GradNone:
            return [f"{self.const(s.param, 'P')}._grad = None"]
        if t is AddInto:
            tgt = self.name(s.target)
            return [f"np.add({tgt}, {self.name(s.src)}, out={tgt})"]
        if t is Fill0:
            return [f"{self.name(s.target)}.fill(0)"]
        if t is OptUpdate:
            custom = getattr(s, "emit", None)
            if custom is not None:
                return custom(self, s)
            return [f"{self.const(s.opt, 'O')}._update_group({self.const(s.group, 'G')})"]
        return s.emit(self, s)

    def _check_lines(self, s, i):
        t = type(s)
        if t is Call:
            outs = s.outs if s.multi else (s.outs,)
            return [f"_check({i}, {o}, {self.name(o)})" for o in outs if o is not None]
        if t is Inplace:
            return [f"_check({i}, {s.target}, {self.name(s.target)})"]
        return []


def _bump_all(params):
    """Version bumps of parameters an update changed (optim.optimizer._bump, for many)."""
    for p in params:
        c = p._vc
        if c is not None:
            c.version += 1


class Retrace(Exception):
    """A replay found state it was not planned for (a guard the key does not cover)."""


_PLAIN = (int, float, bool, str, type(None), tuple, slice, type(Ellipsis), np.dtype,
          np.ndarray, np.generic, complex)


def _side_channel(s):
    """A kernel handed a mutable object (a cache its rule reads, e.g. the saved softmax of
    cross-entropy) must run even when its own result is dead."""
    return any(a[0] == "c" and not isinstance(a[1], _PLAIN) for a in s.args)


# Note [Buffer pool]: planned buffers are cut from byte blocks as the code is generated, in step
# order: a buffer takes the best-fitting free piece (any shape or dtype views it) and gives it
# back after its last read, merged with free neighbours, so a block freed by a large activation
# serves several smaller ones later, as a heap would; a new block is made only when no piece
# fits. (Exact shape-and-dtype reuse kept 38 MiB of buffers for the Transformer LM; this, 30.)

# Note [Cache resets]: a kernel that hands its rule values through a cache object (the
# softmax of cross-entropy, GELU's tail, attention's probabilities) gets a fresh one per call
# in eager mode, which dies with the graph; in a plan the object is a constant, so its arrays
# would stay alive between replays and the next forward would make new ones while the old ones
# are still held. After the last step that uses it, the plan empties it (every slot None: what
# a fresh instance holds), so they go when eager's would; the values of the traced call in them
# are dropped once the plan is built.
_RESETTABLE = {}


def _resettable(obj):
    t = type(obj)
    ok = _RESETTABLE.get(t)
    if ok is None:
        sl = t.__dict__.get("__slots__")
        ok = False
        if isinstance(sl, (tuple, list)) and sl and all(
                type(a) is str and a.isidentifier() for a in sl) and \
                all("__slots__" not in b.__dict__ or b is t or b is object for b in t.__mro__):
            try:
                fresh = t()
                ok = all(getattr(fresh, a, 0) is None for a in sl)
            except Exception:  # noqa: BLE001 (a constructor with arguments: not a cache)
                ok = False
        _RESETTABLE[t] = ok
    return ok


def _drop_shadowed_grad_none(steps):
    """zero_grad(set_to_none) followed by backward: only the final binding of ``.grad``
    matters when no optimizer update reads it in between."""
    keep = []
    for i, s in enumerate(steps):
        if type(s) is GradNone:
            shadowed = False
            for t in steps[i + 1:]:
                if type(t) is OptUpdate:
                    break
                if type(t) is GradSet and t.param is s.param:
                    shadowed = True
                    break
            if shadowed:
                continue
        keep.append(s)
    return keep


def _reads(s):
    t = type(s)
    if t is Call or t is Inplace:
        r = [a[1] for a in s.args if a[0] == "s"]
        if t is Inplace:
            r.append(s.target)
        return r
    if t is GradSet:
        return [s.src] if s.src != s.dst else []
    if t is AddInto:
        return [s.target, s.src]
    if t is Fill0:
        return [s.target]
    if t is OptUpdate:
        return [k for _, k in s.grads]
    return list(getattr(s, "reads", ()))
