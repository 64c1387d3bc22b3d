"""Rewrites of a recording before code generation. Each pass gives steps it recognises their
own code (``step.emit``): a direct NumPy call writing with ``out=`` into a buffer planned once,
instead of the registered kernel allocating a fresh array. Every rewrite computes what the
kernel computes, with the same NumPy operations in the same order, so results are eager's bit
for bit (only the memory layout of a few temporaries may differ).

A pass only fires when the shapes and dtypes seen at trace time make its rewrite valid; the plan
is keyed on those, so they hold at every replay.
"""
import numpy as np

from ..ops import elementwise as _ew
from ..ops import linalg_ops as _la
from ..ops import nn_ops as _nn
from ..optim.adam import Adam
from ..optim.sgd import SGD
from ..tensor import Tensor
from .trace import Call, OptUpdate, _add, _fit_plain


def run(plan, steps):
    """Attach emitters to the steps a pass recognises; returns the step list."""
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
    return steps


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
    return f"{plan.arg(a)}.reshape({int(np.prod(shape[:-1]))}, {shape[-1]})"


def _out_rows(plan, k):
    """The name of slot ``k``'s buffer, seen as 2-D rows (a view made once)."""
    out = plan.out(k)
    arr = plan.array_of(out)
    if arr.ndim == 2:
        return out
    return plan.const(arr.reshape(-1, arr.shape[-1]), "R")


def _linear(plan, s, check=False):
    x, w, b = s.args[:3]
    if check:
        return len(s.args) == 3 and not s.attrs and _realnd(plan, x) and _real2d(plan, w) and (
            b == ("c", None) or _is_real(plan, b))
    out = plan.out(s.outs)
    lines = [f"np.matmul({_rows(plan, x)}, {plan.arg(w)}.T, out={_out_rows(plan, s.outs)})"]
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
    return [f"np.{s.op.np_name}({args}, out={plan.out(s.outs)})"]


def _relu(plan, s, check=False):
    if check:
        return len(s.args) == 1 and _is_real(plan, s.args[0])
    return [f"np.maximum({plan.arg(s.args[0])}, 0, out={plan.out(s.outs)})"]


# -- derivative rules -----------------------------------------------------------------------------

def _linear_gx(plan, s, check=False):
    g, _x, w = s.args[:3]
    if check:
        return _realnd(plan, g) and _real2d(plan, w)
    return [f"np.matmul({_rows(plan, g)}, {plan.arg(w)}, out={_out_rows(plan, s.outs)})"]


def _linear_gw(plan, s, check=False):
    g, x = s.args[:2]
    if check:
        return _realnd(plan, g, x)
    return [f"np.matmul({_rows(plan, g)}.T, {_rows(plan, x)}, out={plan.out(s.outs)})"]


def _linear_gb(plan, s, check=False):
    g = s.args[0]
    if check:
        inf = _info(plan, g)
        return inf is not None and len(inf[0]) >= 2 and inf[1].kind == "f"
    nd = len(_info(plan, g)[0])
    # np.add.reduce is what np.sum runs, without its Python wrapper
    return [(f"np.add.reduce({plan.arg(g)}, axis={tuple(range(nd - 1))!r}, "
            f"out={plan.out(s.outs)})")]


def _relu_grad(plan, s, check=False):
    g, out = s.args[0], s.args[-1]
    if check:
        return s.fn.__name__ == "<lambda>" and _is_real(plan, g) and _is_real(plan, out) and \
            _info(plan, g)[0] == _info(plan, out)[0]
    mask = plan.scratch(_info(plan, out)[0], np.bool_)
    return [f"np.greater({plan.arg(out)}, 0, out={mask})",
            f"np.multiply({plan.arg(g)}, {mask}, out={plan.out(s.outs)})"]


def _mse_grad(plan, s, check=False):
    g, a, b = s.args[:3]
    red = s.attrs.get("reduction", "mean")
    if check:
        ia, ib, ig = _info(plan, a), _info(plan, b), _info(plan, g)
        return (ia is not None and ib is not None and ig is not None and ia == ib
                and ig[0] == () and ia[1].kind == "f" and red in ("mean", "sum"))
    n = int(np.prod(_info(plan, a)[0]))
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
    out = plan.out(s.outs)
    view = plan.const(plan.array_of(out).reshape(kd), "R")
    return [f"np.add.reduce({plan.arg(g)}, axis={axes!r}, keepdims=True, out={view})"]


def _acc(plan, s, check=False):
    a, b = s.args
    if check:
        ia, ib = _info(plan, a), _info(plan, b)
        return ia is not None and ib is not None and ia == ib
    return [f"np.add({plan.arg(a)}, {plan.arg(b)}, out={plan.out(s.outs)})"]


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

def _hyper(plan, s, keys):
    """Lines reading a group's hyperparameters into locals; structural ones (zero or not, flags)
    are checked against the trace so a change re-traces instead of running the wrong code."""
    g = plan.const(s.group, "G")
    n = plan.fresh("h")
    lines = [f"{n}_{k} = {g}[{k!r}]" for k in keys]
    return g, n, lines


def _sgd(plan, s, check=False):
    grp = s.group
    if check:
        return (not isinstance(grp["lr"], Tensor) and not isinstance(grp["weight_decay"], Tensor)
                and type(s.opt)._update_group is SGD._update_group
                and all(p._grad is not None for p in grp["params"])
                and len(s.grads) == len(grp["params"])
                and (grp["momentum"] == 0 or all(
                    s.opt.state[p].get("momentum_buffer") is not None for p in grp["params"])))
    _g, n, lines = _hyper(plan, s, ("lr", "momentum", "dampening", "weight_decay", "nesterov",
                                   "maximize"))
    mu0, wd0 = grp["momentum"] != 0, grp["weight_decay"] != 0
    lines.append(f"if ({n}_momentum != 0) is not {mu0} or ({n}_weight_decay != 0) is not {wd0} "
                 f"or {n}_nesterov is not {grp['nesterov']!r} or {n}_maximize is not "
                 f"{grp['maximize']!r}: raise _Retrace")
    plan.preamble.extend(lines)     # checked before the call changes anything
    lines = []
    if not (mu0 or wd0 or grp["maximize"]):
        flat = _flat_sgd(plan, s, n)
        if flat is not None:
            return flat
    st = plan.const(s.opt.state, "S")
    for p, k in s.grads:
        P = plan.const(p, "P")
        w = plan.fresh("w")
        gr = plan.name(k)
        lines.append(f"{w} = {P}._array")
        if grp["maximize"]:
            lines.append(f"{gr}_n = -{gr}")
            gr = f"{gr}_n"
        if wd0:
            lines.append(f"{gr}_d = {gr} + {n}_weight_decay * {w}")
            gr = f"{gr}_d"
        if mu0:
            b = plan.fresh("b")
            lines.append(f"{b} = {st}[{P}]['momentum_buffer']._array")
            lines.append(f"{b} *= {n}_momentum")
            lines.append(f"{b} += (1 - {n}_dampening) * {gr}")
            if grp["nesterov"]:
                lines.append(f"{gr}_v = {gr} + {n}_momentum * {b}")
                gr = f"{gr}_v"
            else:
                gr = b
        lines.append(f"{w} -= {n}_lr * {gr}")
        lines.append(f"_bump({P})")
    return lines


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
    _g, n, lines = _hyper(plan, s, ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                                   "decoupled_weight_decay"))
    wd0 = grp["weight_decay"] != 0
    lines.append(f"if ({n}_weight_decay != 0) is not {wd0} or {n}_amsgrad is not "
                 f"{grp['amsgrad']!r} or {n}_maximize is not {grp['maximize']!r} or "
                 f"{n}_decoupled_weight_decay is not {grp['decoupled_weight_decay']!r}: "
                 f"raise _Retrace")
    lines.append(f"{n}_b1, {n}_b2 = {n}_betas")
    lines.append(f"{n}_c1 = 1 - {n}_b1")
    lines.append(f"{n}_c2 = 1 - {n}_b2")
    lines.append(f"{n}_small = abs({n}_c1) < 0.5")
    plan.preamble.extend(lines)     # checked before the call changes anything
    lines = []
    st = plan.const(s.opt.state, "S")
    # Note [Chunked Adam]: each parameter is updated a block of rows at a time so the dozen
    # passes of the update run over data that stays in L2 (about 25% faster than whole-array
    # passes on 400k-element weights); one small scratch buffer serves every parameter.
    plans = []
    for p, k in s.grads:
        shape = p._array.shape
        row = int(np.prod(shape[1:]))
        rc = min(shape[0], max(1, _CHUNK // max(row, 1)))
        plans.append((p, k, shape, row, rc))
    need = {}
    for p, k, shape, row, rc in plans:
        dt = p._array.dtype
        need[dt] = max(need.get(dt, 0), rc * row)
    flat = {dt: np.empty(n, dt) for dt, n in need.items()}
    for p, k, shape, row, rc in plans:
        P = plan.const(p, "P")
        w, q = plan.fresh("w"), plan.fresh("q")
        gr = plan.name(k)
        t = plan.const(flat[p._array.dtype][:rc * row].reshape((rc,) + shape[1:]), "W")
        lines.append(f"{w} = {P}._array")
        lines.append(f"{q} = {st}[{P}]")
        lines.append(f"{q}_s = {q}['step']._array")
        lines.append(f"{q}_s += 1")
        lines.append(f"{q}_k = float({q}_s)")
        if grp["maximize"]:
            lines.append(f"{gr}_n = -{gr}")
            gr = f"{gr}_n"
        if wd0:
            if grp["decoupled_weight_decay"]:
                lines.append(f"{w} *= 1 - {n}_lr * {n}_weight_decay")
            else:
                lines.append(f"{gr}_d = {gr} + {n}_weight_decay * {w}")
                gr = f"{gr}_d"
        lines += [f"{q}_m = {q}['exp_avg']._array",
                  f"{q}_v = {q}['exp_avg_sq']._array",
                  f"{q}_z = {n}_lr / (1 - {n}_b1 ** {q}_k)",
                  f"{q}_y = (1 - {n}_b2 ** {q}_k) ** 0.5"]
        if grp["amsgrad"]:
            lines.append(f"{q}_x = {q}['max_exp_avg_sq']._array")
        names = {"g": gr, "m": f"{q}_m", "v": f"{q}_v", "x": f"{q}_x", "w": w, "t": t,
                 "y": f"{q}_y", "z": f"{q}_z"}
        if rc < shape[0]:
            r = plan.fresh("r")
            lines.append(f"for {r} in range(0, {shape[0]}, {rc}):")
            sl = f"[{r}:{r} + {rc}]"
            cut = dict(names)
            for key in "gmvw" + ("x" if grp["amsgrad"] else ""):
                cut[key] = f"{r}_{key}"
                lines.append(f"    {r}_{key} = {names[key]}{sl}")
            cut["t"] = f"{r}_t"
            lines.append(f"    {r}_t = {t}[:{shape[0]} - {r}]")
            lines += ["    " + ln for ln in _adam_body(n, cut, grp["amsgrad"])]
        else:
            lines += _adam_body(n, names, grp["amsgrad"])
        lines.append(f"_bump({P})")
    return lines


_CHUNK = 32768


def _adam_body(n, a, amsgrad):
    """The update of one block, operation for operation as optim/adam.py does it."""
    g, m, v, x, w, t, y, z = (a[k] for k in "gmvxwtyz")
    lines = [f"np.subtract({g}, {m}, out={t})",
             f"if {n}_small:",
             f"    np.multiply({t}, {n}_c1, out={t})",
             f"    np.add({m}, {t}, out={m})",
             "else:",
             f"    np.multiply({t}, {n}_b1, out={t})",
             f"    np.subtract({g}, {t}, out={m})",
             f"np.multiply({g}, {n}_c2, out={t})",
             f"np.multiply({t}, {g}, out={t})",
             f"np.multiply({v}, {n}_b2, out={v})",
             f"np.add({v}, {t}, out={v})"]
    if amsgrad:
        lines.append(f"np.maximum({x}, {v}, out={x})")
        v = x
    lines += [f"np.sqrt({v}, out={t})",
              f"np.divide({t}, {y}, out={t})",
              f"np.add({t}, {n}_eps, out={t})",
              f"np.divide({m}, {t}, out={t})",
              f"np.multiply({t}, -{z}, out={t})",
              f"np.add({w}, {t}, out={w})"]
    return lines


_OPTIMIZERS = {SGD: _sgd, Adam: _adam}
