"""``mode="debug"``: every call runs eagerly (recording each step's value) and then through the
plan from the same starting state, checking each step's result against eager's; the first step
that differs is reported with its op name and largest absolute difference. The program goes on
from eager's results and state.
"""
import warnings

import numpy as np

from ..ops.random import default_generator
from ..tensor import Tensor
from .trace import Call, GradNone, GradSet, Inplace, OptUpdate, Recorder, tracing


def _state_arrays(plan):
    """Arrays a replay may write, and the parameters whose ``.grad`` it may rebind."""
    arrays, params = {}, {}
    for s in plan.steps:
        t = type(s)
        if t is OptUpdate:
            for p in s.group["params"]:
                arrays[id(p._array)] = p._array
                params[id(p)] = p
                for v in s.opt.state.get(p, {}).values():
                    if isinstance(v, Tensor):
                        arrays[id(v._array)] = v._array
        elif t is GradSet or t is GradNone:
            params[id(s.param)] = s.param
        elif t is Inplace:
            info = plan.rec.slots[s.target]
            src = info.source
            if src is not None and src[0] == "tensor":
                arrays[id(src[1]._array)] = src[1]._array
    for p in params.values():
        if p._grad is not None:
            arrays[id(p._grad._array)] = p._grad._array
    return list(arrays.values()), list(params.values())


def _snapshot(arrays, params):
    return ([a.copy() for a in arrays], [p._grad for p in params],
            default_generator._rng.bit_generator.state)


def _restore(arrays, params, snap):
    copies, grads, rng = snap
    for a, c in zip(arrays, copies):
        np.copyto(a, c)
    for p, g in zip(params, grads):
        p._grad = g
    default_generator._rng.bit_generator.state = rng


def debug_call(cf, entry, args, kwargs, leaves):
    """One call of a compiled function in debug mode (see the module docstring)."""
    plan = entry.plan
    arrays, params = _state_arrays(plan)
    before = _snapshot(arrays, params)
    tensor_pos = entry.n_tensor_args
    arg_arrays = {}
    for j, i in enumerate(tensor_pos):
        arg_arrays.setdefault(id(leaves[i]._array), j)
    rec = Recorder(arg_arrays, capture=True)
    with tracing(rec):
        result = cf._fn(*args, **kwargs)
    after = _snapshot(arrays, params)
    names = [_step_name(s) for s in plan.rec_steps]
    mine = [_step_name(s) for s in rec.steps]
    report = None
    if names != mine:
        report = "the eager call recorded different steps than the plan (re-trace needed)"
    else:
        _restore(arrays, params, before)
        found = []

        def check(i, k, value):
            if found:
                return
            want = rec.slots[k].value if k < len(rec.slots) else None
            if want is None:
                return
            got = np.asarray(value)
            if got.shape != want.shape:
                found.append((i, f"shape {got.shape} instead of {want.shape}"))
                return
            if not np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True):
                diff = np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))
                found.append((i, f"max abs diff {diff:.3g}"))
        plan.globals["_check"] = check
        try:
            plan.fn(*[leaves[i]._array for i in tensor_pos])
        finally:
            _restore(arrays, params, after)
        if found:
            i, what = found[0]
            report = f"step {i} ({_step_name(plan.steps[i])}) differs from eager: {what}"
    cf.debug_report = report
    if report is not None:
        warnings.warn(f"ember.compile(mode='debug'): {cf.__name__}: {report}", UserWarning,
                      stacklevel=5)
    return result


def _step_name(s):
    t = type(s)
    if t is Call or t is Inplace:
        return s.name
    return t.__name__
