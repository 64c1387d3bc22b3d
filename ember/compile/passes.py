"""Rewrites of a recording before code generation. Each pass gives steps it recognises their
own code (``step.emit``): a direct NumPy call writing with ``out=`` into a buffer planned once,
instead of the registered kernel allocating a fresh array. Every rewrite computes what the
kernel computes, with the same NumPy operations in the same order, so results are eager's bit
for bit (only the memory layout of a few temporaries may differ).

A pass only fires when the shapes and dtypes seen at trace time make its rewrite valid; the plan
is keyed on those, so they hold at every replay.
"""
import math

import numpy as np

from ..ops import elementwise as _ew
from ..ops import linalg_ops as _la
from ..ops import nn_ops as _nn
from ..optim.adam import _CHUNK as _ADAM_CHUNK
from ..optim.adam import Adam, AdamW, adam_update
from ..optim.sgd import SGD, sgd_update
from ..tensor import Tensor
from .trace import Call, OptUpdate, _add, _fit_plain


def run(plan, steps, readers):
    """Attach emitters to the steps a pass recognises, then fuse elementwise chains; returns
    the step list. ``readers``: slot -> how many reads the steps make of it."""
    if plan.batch_free or plan.no_passes:
        return steps            # buffers would be sized by the traced batch, or outlive a call
    for s in steps:
        t = type(s)
        if t is Call:
            e = _CALLS.get(s.fn)
            if e is None and s.op is not None and s.kind == "forward":
                e = _ufunc_for(s)
            if e is not None and e(plan, s, check=True):
                s.emit = e
        elif t is OptUpdate:
            e = _OPTIMIZERS.get(type(s.opt))
            if e is not None and e(plan, s, check=True):
                s.emit = e
    _fuse(plan, steps, readers)
    return steps


# -- elementwise fusion ---------------------------------------------------------------------------

# Note [Elementwise chains]: an elementwise step whose input is the only use of a value made by
# the step before it in the chain writes its result over that value: the whole chain (the
# producing step, e.g. a linear, a matmul, or a kernel whose traced result was a fresh array
# of its own, then ufuncs, activations and their derivative rules) lives in one buffer and makes
# no intermediate arrays. Exact overlap of input and output is safe for an elementwise ufunc,
# and the values are bit for bit the unfused ones. A chain of consecutive pure-ufunc steps over
# more than _FUSE_L2 bytes runs as one loop over blocks of rows, so its passes meet the block in
# cache (block size measured: benchmarks/notes/compile.md).
_FUSE_L2 = 1 << 20          # bytes above which a fused block is chunked (one core's L2)
_FUSE_CHUNK = 1 << 18       # bytes of each operand per block (measured: 128-512 KiB best)


def _fuse(plan, steps, readers):
    from .plan import _PLAIN, _side_channel  # plan imports this module
    slots = plan.rec.slots
    outs = plan._outset_all
    makers = {}
    kernels = {}                # slot -> step making it as a fresh array of its own kernel
    chains = {}                 # last slot of a chain -> its steps
    for i, s in enumerate(steps):
        if type(s) is not Call or s.multi:
            continue
        o = s.outs
        if s.emit is None:
            if s.fresh and slots[o].is_array and not _side_channel(s) and not any(
                    not isinstance(v, _PLAIN) for v in s.attrs.values()):
                kernels[o] = i
            continue
        makers[o] = i
        if s.emit not in _ELEMENTWISE:
            continue
        io = slots[o]
        for a in s.args:
            if a[0] != "s":
                continue
            k = a[1]
            j = makers.get(k)
            if j is None:
                j = kernels.get(k)
            ik = slots[k]
            if j is None or readers.get(k) != 1 or k in outs or ik.shape != io.shape or \
                    ik.dtype != io.dtype or k in plan._same:
                continue
            plan._same[k] = o       # k's buffer is o's (Note [Elementwise chains])
            chain = chains.pop(k, None) or [(j, steps[j])]
            chain.append((i, s))
            chains[o] = chain
            break
    for o, chain in chains.items():
        head = chain[0][1]
        if head.emit is None:
            # the kernel's own result is the chain's buffer
            plan._into[o] = head.outs
            plan._heads.add(head.outs)
        _mark_block(plan, chain, slots)


def _mark_block(plan, chain, slots):
    """Give a chain its block header, and the run of consecutive pure-ufunc steps it starts
    with a chunked loop when the buffer is larger than L2."""
    names = ", ".join(s.name for _, s in chain)
    # the chunked run starts at the producing step when that is a ufunc too
    start = 0 if chain[0][1].emit in _CHUNKABLE else 1
    run = []
    for i, s in chain[start:]:
        if s.emit not in _CHUNKABLE or (run and i != run[-1][0] + 1):
            break
        run.append((i, s))
    info = slots[chain[-1][1].outs]
    shape = info.shape
    rows = 0
    if len(run) >= 2 and len(shape) and shape[0] > 1 and \
            math.prod(shape) * info.dtype.itemsize > _FUSE_L2 and all(
                a[0] == "s" or type(a[1]) in (int, float, bool) for _, s in run for a in s.args):
        rows = max(1, (_FUSE_CHUNK // info.dtype.itemsize) // max(1, math.prod(shape[1:])))
    if 0 < rows < shape[0]:
        steps = [s for _, s in run]
        for s in steps[1:]:
            s.emit = _emit_nothing
        steps[0].emit = lambda plan, s: _chunked(plan, steps, shape, rows, names)
        return
    first = chain[0][1] if chain[0][1].emit is not None else chain[1][1]
    inner = first.emit
    first.emit = lambda plan, s: [f"# fused elementwise block: {names}"] + inner(plan, s)


def _emit_nothing(plan, s):
    return []


def _chunked(plan, steps, shape, rows, names):
    for s in steps:
        out = plan.out(s.outs)      # one buffer for all of them
    r = plan.fresh("r")
    lines = [f"# fused elementwise block: {names}",
             f"for {r} in range(0, {shape[0]}, {rows}):",
             f"    {r}_o = {out}[{r}:{r} + {rows}]"]
    cut = {}

    def arg(a):
        if a[0] == "c":
            return plan.lit(a[1])
        name = plan.name(a[1])
        if name == out:
            return f"{r}_o"
        sh = plan.rec.slots[a[1]].shape
        if sh is not None and len(sh) == len(shape) and sh[0] == shape[0]:
            if name not in cut:
                cut[name] = f"{r}_{len(cut)}"
                lines.append(f"    {cut[name]} = {name}[{r}:{r} + {rows}]")
            return cut[name]
        return name             # broadcast along the rows: the whole of it in every block
    for s in steps:
        fn = "maximum" if s.emit is _relu else s.op.np_name
        args = [arg(a) for a in s.args] + ([_zero(plan, s.args[0])] if s.emit is _relu else [])
        lines.append(f"    np.{fn}({', '.join(args)}, out={r}_o)")
    return lines


def _info(plan, a):
    """(shape, dtype) of a slot reference, or None for a constant."""
    if a[0] != "s":
        return None
    i = plan.rec.slots[a[1]]
    return i.shape, i.dtype


def _real2d(plan, *refs):
    for a in refs:
        inf = _info(plan, a)
        if inf is None or len(inf[0]) != 2 or inf[1].kind != "f":
            return False
    return True


def _is_real(plan, a):
    inf = _info(plan, a)
    return inf is not None and inf[1].kind == "f"


# -- forward kernels ------------------------------------------------------------------------------

def _realnd(plan, *refs):
    for a in refs:
        inf = _info(plan, a)
        if inf is None or len(inf[0]) < 2 or inf[1].kind != "f":
            return False
    return True


def _rows(plan, a):
    """Source for ``a`` as a 2-D array of rows (the kernels' _rows: a view when it can be)."""
    shape = _info(plan, a)[0]
    if len(shape) == 2:
        return plan.arg(a)
    return f"{plan.arg(a)}.reshape({math.prod(shape[:-1])}, {shape[-1]})"


def _out_rows(plan, k):
    """The name of slot ``k``'s buffer, seen as 2-D rows (a view made once)."""
    out = plan.out(k)
    shape = plan.rec.slots[k].shape
    if len(shape) == 2:
        return out
    return plan.view(out, (math.prod(shape[:-1]), shape[-1]))


def _linear(plan, s, check=False):
    x, w, b = s.args[:3]
    if check:
        return len(s.args) == 3 and not s.attrs and _realnd(plan, x) and _real2d(plan, w) and (
            b == ("c", None) or _is_real(plan, b))
    out = plan.out(s.outs)
    mm = _mm(plan, s, (x, w), _info(plan, x)[0][-1])
    lines = [f"{mm}({_rows(plan, x)}, {plan.arg(w)}.T, out={_out_rows(plan, s.outs)})"]
    if b != ("c", None):
        lines.append(f"np.add({out}, {plan.arg(b)}, out={out})")
    return lines


def _ufunc_for(s):
    """Elementwise table ops whose kernel is the NumPy ufunc itself: call it with out=."""
    name = s.op.np_name
    if name is None or s.op.kind != "elementwise" or getattr(s.fn, "__name__", None) != name:
        return None
    if not isinstance(getattr(np, name, None), np.ufunc) or s.attrs:
        return None
    return _ufunc


def _ufunc(plan, s, check=False):
    if check:
        info = plan.rec.slots[s.outs]
        if info.shape is None or info.dtype is None or not info.is_array:
            return False
        # the buffer must have the shape and dtype the kernel's own result had
        return all(a[0] == "s" or type(a[1]) in (int, float, bool) for a in s.args)
    args = ", ".join(plan.arg(a) for a in s.args)
    if plan.fresh_out(s.outs):
        return [f"v{s.outs} = np.{s.op.np_name}({args})"]
    return [f"np.{s.op.np_name}({args}, out={plan.out(s.outs)})"]


def _relu(plan, s, check=False):
    if check:
        return len(s.args) == 1 and _is_real(plan, s.args[0])
    return [(f"np.maximum({plan.arg(s.args[0])}, {_zero(plan, s.args[0])}, "
            f"out={plan.out(s.outs)})")]


def _zero(plan, a):
    """A 0-d zero of ``a``'s dtype: a Python 0 is converted at every call (0.45 us of a
    1.1 us np.maximum on a small array); the values are the same."""
    dt = _info(plan, a)[1]
    name = plan._zeros.get(dt)
    if name is None:
        name = plan._zeros[dt] = plan.const(np.zeros((), dt), "Z")
    return name


# -- derivative rules -----------------------------------------------------------------------------

def _linear_gx(plan, s, check=False):
    g, _x, w = s.args[:3]
    if check:
        return _realnd(plan, g) and _real2d(plan, w)
    mm = _mm(plan, s, (g, w), _info(plan, g)[0][-1])
    return [f"{mm}({_rows(plan, g)}, {plan.arg(w)}, out={_out_rows(plan, s.outs)})"]


def _linear_gw(plan, s, check=False):
    g, x = s.args[:2]
    if check:
        return _realnd(plan, g, x)
    mm = _mm(plan, s, (g, x), math.prod(_info(plan, g)[0][:-1]))
    return [f"{mm}({_rows(plan, g)}.T, {_rows(plan, x)}, out={plan.out(s.outs)})"]


_TINY_GEMM = 1 << 15     # multiply-adds up to which np.dot's lower call cost pays


def _mm(plan, s, refs, k):
    """``np.dot`` for a tiny product of one dtype (0.8 us less per call than np.matmul: a
    third of a small model's step is such calls; both run the same BLAS gemm, measured equal
    bit for bit), else the backend's ``m.matmul``, the eager kernels' own (it may be MKL's:
    backends/mkl_gemm.py), so the plan rounds as eager does."""
    info = plan.rec.slots[s.outs]
    dts = {_info(plan, a)[1] for a in refs}
    if dts == {info.dtype} and math.prod(info.shape) * k <= _TINY_GEMM:
        return "np.dot"
    return "m.matmul"


def _linear_gb(plan, s, check=False):
    g = s.args[0]
    if check:
        inf = _info(plan, g)
        return inf is not None and len(inf[0]) >= 2 and inf[1].kind == "f"
    shape, dtype = _info(plan, g)[:2]
    nd = len(shape)
    # the eager rule's choice (Note [Bias gradient as a product]), so both round alike
    ones = _la.bias_grad_ones(math.prod(shape[:-1]), dtype) if shape[-1] else None
    if ones is not None:
        return [(f"np.matmul({plan.const(ones, 'ONES')}, {_rows(plan, g)}, "
                 f"out={plan.out(s.outs)})")]
    # np.add.reduce is what np.sum runs, without its Python wrapper
    return [(f"np.add.reduce({plan.arg(g)}, axis={tuple(range(nd - 1))!r}, "
            f"out={plan.out(s.outs)})")]


def _relu_grad(plan, s, check=False):
    g, out = s.args[0], s.args[-1]
    if check:
        return s.fn.__name__ == "<lambda>" and _is_real(plan, g) and _is_real(plan, out) and \
            _info(plan, g)[0] == _info(plan, out)[0]
    mask = plan.scratch(_info(plan, out)[0], np.bool_)
    return [f"np.greater({plan.arg(out)}, {_zero(plan, out)}, out={mask})",
            f"np.multiply({plan.arg(g)}, {mask}, out={plan.out(s.outs)})"]


def _mse_grad(plan, s, check=False):
    g, a, b = s.args[:3]
    red = s.attrs.get("reduction", "mean")
    if check:
        ia, ib, ig = _info(plan, a), _info(plan, b), _info(plan, g)
        return (ia is not None and ib is not None and ig is not None and ia == ib
                and ig[0] == () and ia[1].kind == "f" and red in ("mean", "sum"))
    n = math.prod(_info(plan, a)[0])
    scale = 2.0 / n if red == "mean" else 2.0
    out = plan.out(s.outs)
    if plan.frozen(g):
        # the root gradient is a constant (ones): fold g * scale once
        c = plan.const(plan.rec.slots[g[1]].obj * scale)
    else:
        c = f"({plan.arg(g)} * {scale!r})"
    return [f"np.subtract({plan.arg(a)}, {plan.arg(b)}, out={out})",
            f"np.multiply({c}, {out}, out={out})"]


def _fit(plan, s, check=False):
    g, shape, dt = s.args[0], s.args[1][1], s.args[2][1]
    if check:
        inf = _info(plan, g)
        if inf is None or inf[1] != dt or inf[1].kind not in "fc":
            return False
        gs = inf[0]
        try:
            full = np.broadcast_shapes(gs, shape)
        except ValueError:
            return False
        return full == gs and len(gs) >= len(shape)
    gs = _info(plan, g)[0]
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and gs[i + lead] != 1)
    kd = tuple(1 if i in axes else n for i, n in enumerate(gs))
    view = plan.view(plan.out(s.outs), kd)
    return [f"np.add.reduce({plan.arg(g)}, axis={axes!r}, keepdims=True, out={view})"]


def _acc(plan, s, check=False):
    a, b = s.args
    if check:
        ia, ib = _info(plan, a), _info(plan, b)
        return ia is not None and ib is not None and ia == ib
    return [f"np.add({plan.arg(a)}, {plan.arg(b)}, out={plan.out(s.outs)})"]


def _ce_grad(plan, s, check=False):
    """Cross-entropy's rule writing its gradient over the softmax its forward saved (the
    kernel makes a new array the size of the logits, the largest live one of a language model's
    step): only when this step is the last that refers to that cache object."""
    if check:
        if len(s.args) != 7 or s.multi or s.args[5][0] != "c":
            return False
        saved = s.args[5][1]
        if saved is None or not hasattr(saved, "p") or not _realnd(plan, s.args[1]):
            return False
        last = None
        for i, t in enumerate(plan.steps):
            if type(t) is Call and (any(a[0] == "c" and a[1] is saved for a in t.args) or
                                    any(v is saved for v in t.attrs.values())):
                last = t
        return last is s
    args = ", ".join(["m"] + [plan.arg(a) for a in s.args] +
                     [f"{k}={plan.lit(v)}" for k, v in s.attrs.items()])
    return [(f"v{s.outs} = {plan.const(_ce_grad_over_softmax, 'F')}({plan.const(s.fn, 'F')}, "
            f"{args})")]


def _ce_grad_over_softmax(rule, m, g, x, t, cw, valid, saved, out, **attrs):
    p = saved.p
    if type(p) is not np.ndarray or p.shape != x.shape or p.dtype != x.dtype or \
            not p.flags.writeable or p.base is not None:
        return rule(m, g, x, t, cw, valid, saved, out, **attrs)
    c = g * cw
    if c.dtype != p.dtype:
        return rule(m, g, x, t, cw, valid, saved, out, **attrs)
    # the rule's arithmetic, in place: p * c0 (or per row), then minus c at the targets
    if np.ndim(g) == 0 and c.size and c[0] == c[-1] and (c == c[0]).all():
        np.multiply(p, c[0], out=p)
    else:
        np.multiply(p, c[:, None], out=p)
    p[np.arange(len(t)), t] -= c
    saved.p = None
    return p


_CALLS = {}


def _register(fn, emitter):
    if fn is not None:
        _CALLS[fn] = emitter


_register(getattr(_la, "_linear_kernel", None), _linear)
_register(getattr(_la, "_linear_gx", None), _linear_gx)
_register(getattr(_la, "_linear_gw", None), _linear_gw)
_register(getattr(_la, "_linear_gb", None), _linear_gb)
_register(getattr(_ew, "_relu", None), _relu)
_register(getattr(_nn, "_mse_ga", None), _mse_grad)
_register(getattr(_nn, "_ce_index_grad", None), _ce_grad)
_register(_fit_plain, _fit)
_register(_add, _acc)


def _install_relu_rule():
    from ..ops.registry import OPS
    op = OPS.get("relu")
    if op is not None and op.grad is not None:
        rule = op.grad[0] if op.per_input else op.grad
        _register(rule, _relu_grad)


_install_relu_rule()


# -- optimizers -----------------------------------------------------------------------------------

# A group's hyperparameters are read at every replay (a scheduler may change the learning
# rate); the structural ones (zero or not, flags) are checked against the trace so that a change
# re-traces instead of running the wrong code. One call per group keeps the source short.

def _sgd_hyper(g, mu0, wd0, nesterov, maximize):
    r = (g["lr"], g["momentum"], g["dampening"], g["weight_decay"], g["nesterov"],
         g["maximize"])
    if (r[1] != 0) is not mu0 or (r[3] != 0) is not wd0 or r[4] is not nesterov or \
            r[5] is not maximize:
        from .plan import Retrace
        raise Retrace
    return r


def _adam_hyper(g, wd0, amsgrad, maximize, decoupled):
    wd = g["weight_decay"]
    if (wd != 0) is not wd0 or g["amsgrad"] is not amsgrad or g["maximize"] is not maximize \
            or g["decoupled_weight_decay"] is not decoupled:
        from .plan import Retrace
        raise Retrace
    b1, b2 = g["betas"]
    c1 = 1 - b1
    return g["lr"], b1, b2, c1, 1 - b2, abs(c1) < 0.5, g["eps"], wd


def _sgd(plan, s, check=False):
    grp = s.group
    if check:
        return (not isinstance(grp["lr"], Tensor) and not isinstance(grp["weight_decay"], Tensor)
                and type(s.opt)._update_group is SGD._update_group
                and all(p._grad is not None for p in grp["params"])
                and len(s.grads) == len(grp["params"])
                and (grp["momentum"] == 0 or all(
                    s.opt.state[p].get("momentum_buffer") is not None for p in grp["params"])))
    n = plan.fresh("h")
    mu0, wd0 = grp["momentum"] != 0, grp["weight_decay"] != 0
    lines = [(f"{n}_lr, {n}_momentum, {n}_dampening, {n}_weight_decay, {n}_nesterov, "
             f"{n}_maximize = {plan.const(_sgd_hyper, 'F')}({plan.const(s.group, 'G')}, {mu0}, "
             f"{wd0}, {grp['nesterov']!r}, {grp['maximize']!r})")]
    plan.preamble.extend(lines)     # checked before the call changes anything
    lines = []
    if not (mu0 or wd0 or grp["maximize"]):
        flat = _flat_sgd(plan, s, n)
        if flat is not None:
            return flat
    st = plan.const(s.opt.state, "S")
    upd = plan.const(_sgd_update, "F")
    for p, k in s.grads:
        P = plan.const(p, "P")
        q = f"{st}[{P}]" if mu0 else "None"
        lines.append(f"{upd}({P}, {plan.name(k)}, {q}, {n}_lr, {n}_momentum, {n}_dampening, "
                     f"{n}_weight_decay, {n}_nesterov, {n}_maximize)")
    return lines


def _sgd_update(p, g, q, lr, mu, damp, wd, nesterov, maximize):
    """One parameter's SGD step, the eager optimizer's own (optim/sgd.py sgd_update: numba's
    fused loop where it pays, NumPy's calls otherwise); one call per parameter keeps the
    generated source short, and the structural flags were checked against the trace."""
    sgd_update(p, -g if maximize else g, q, lr, mu, damp, wd, nesterov)


def _flat_sgd(plan, s, n):
    """Plain SGD as two NumPy calls for the whole group: when the group's gradients are
    consecutive in the plan's flat gradient buffer, the parameters are made views of one flat
    buffer laid out the same way (Note [Flat parameters]); None when that cannot be done."""
    info = []
    for p, k in s.grads:
        gi = plan._gbinfo.get(k)
        if gi is None or p._array.dtype != gi[0].dtype or p._array.size != gi[2]:
            return None
        info.append((gi[1], p, gi))
    info.sort(key=lambda t: t[0])
    flat_g = info[0][2][0]
    start = info[0][0]
    pos = start
    for off, p, gi in info:
        if gi[0] is not flat_g or off != pos:
            return None
        pos += gi[2]
    end = pos
    params = [p for _, p, _ in info]
    # Note [Flat parameters]: the parameters' arrays become views of one buffer (values copied
    # once); every replay checks they still are, and re-traces otherwise (a .data assignment,
    # a .to() ...). Reuse a layout an earlier plan made.
    base = params[0]._array.base
    reuse = base is not None and base.ndim == 1 and base.size == end - start and all(
        p._array.base is base for p in params)
    if reuse:
        ptr0 = base.__array_interface__["data"][0]
        o = 0
        for p in params:
            if p._array.__array_interface__["data"][0] != ptr0 + o * base.itemsize or \
                    not p._array.flags.c_contiguous:
                reuse = False
                break
            o += p._array.size
    if not reuse:
        if any(p._edge is not None and type(p._edge).__name__ != "AccumulateGrad"
               for p in params):
            return None
        base = np.empty(end - start, flat_g.dtype)
        o = 0
        for p in params:
            v = base[o:o + p._array.size].reshape(p._array.shape)
            np.copyto(v, p._array)
            p._array = v
            o += p._array.size
    F = plan.const(base, "PF")
    G = plan.const(flat_g[start:end], "GF")
    t = plan.scratch((end - start,), flat_g.dtype)
    plan.preamble.append("if " + " or ".join(
        f"{plan.const(p, 'P')}._array is not {plan.const(p._array, 'PV')}" for p in params)
        + ": raise _Retrace")
    ps = plan.const(tuple(params), "PS")
    return [f"np.multiply({G}, {n}_lr, out={t})", f"np.subtract({F}, {t}, out={F})",
            f"_bump_all({ps})"]


def _adam(plan, s, check=False):
    grp = s.group
    if check:
        return (not any(isinstance(grp[k], Tensor) for k in ("lr", "eps", "weight_decay"))
                and not any(isinstance(b, Tensor) for b in grp["betas"])
                and type(s.opt)._update_group is Adam._update_group
                and all(p._grad is not None and p._array.dtype.kind == "f" and p._array.ndim
                        and s.opt.state[p].get("exp_avg") is not None for p in grp["params"])
                and len(s.grads) == len(grp["params"]))
    n = plan.fresh("h")
    wd0 = grp["weight_decay"] != 0
    lines = [(f"{n}_lr, {n}_b1, {n}_b2, {n}_c1, {n}_c2, {n}_small, {n}_eps, {n}_weight_decay = "
             f"{plan.const(_adam_hyper, 'F')}({plan.const(s.group, 'G')}, {wd0}, "
             f"{grp['amsgrad']!r}, {grp['maximize']!r}, {grp['decoupled_weight_decay']!r})")]
    plan.preamble.extend(lines)     # checked before the call changes anything
    lines = []
    st = plan.const(s.opt.state, "S")
    # Note [Chunked Adam]: each parameter is updated a block of rows at a time so the dozen
    # passes of the update run over data that stays in L2 (about 25% faster than whole-array
    # passes on 400k-element weights); one small scratch buffer serves every parameter. The
    # update is one call of _adam_update per parameter rather than inline lines: the generated
    # source stays short, and compiling it is a large part of the trace.
    plans = []
    for p, k in s.grads:
        shape = p._array.shape
        row = math.prod(shape[1:])
        rc = min(shape[0], max(1, _ADAM_CHUNK // max(row, 1)))
        plans.append((p, k, shape, row, rc))
    need = {}
    for p, k, shape, row, rc in plans:
        dt = p._array.dtype
        need[dt] = max(need.get(dt, 0), rc * row)
    flat = {dt: np.empty(n, dt) for dt, n in need.items()}
    upd = plan.const(_adam_update, "F")
    ams = grp["amsgrad"]
    for p, k, shape, row, rc in plans:
        P = plan.const(p, "P")
        gr = plan.name(k)
        t = plan.const(flat[p._array.dtype][:rc * row].reshape((rc,) + shape[1:]), "W")
        if grp["maximize"]:
            lines.append(f"{gr}_n = -{gr}")
            gr = f"{gr}_n"
        if wd0:
            if grp["decoupled_weight_decay"]:
                lines.append(f"{P}._array *= 1 - {n}_lr * {n}_weight_decay")
            else:
                lines.append(f"{gr}_d = {gr} + {n}_weight_decay * {P}._array")
                gr = f"{gr}_d"
        lines.append(f"{upd}({P}, {gr}, {st}[{P}], {t}, {rc}, {n}_lr, {n}_b1, {n}_b2, "
                     f"{n}_c1, {n}_c2, {n}_small, {n}_eps, {ams!r})")
    return lines


def _adam_update(p, g, q, t, rc, lr, b1, b2, c1, c2, small, eps, amsgrad):
    """One parameter's Adam step: the eager optimizer's own array update (Note [Chunked Adam]
    in optim/adam.py), through the plan's scratch block ``t``."""
    s = q["step"]._array
    s += 1
    adam_update(p._array, g, q["exp_avg"]._array, q["exp_avg_sq"]._array,
                q["max_exp_avg_sq"]._array if amsgrad else None, float(s), lr, b1, b2, eps,
                scratch=t)
    c = p._vc
    if c is not None:
        c.version += 1


_OPTIMIZERS = {SGD: _sgd, Adam: _adam, AdamW: _adam}
_ELEMENTWISE = frozenset((_ufunc, _relu, _relu_grad, _mse_grad, _acc))
_CHUNKABLE = frozenset((_ufunc, _relu))
