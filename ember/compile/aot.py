"""A compiled forward whose result requires grad (``compile(model)(x)`` while training): the
trace also records, once, the backward of that result from a placeholder gradient, stopping at
the parameters and at the arguments. The forward plan returns the values that backward reads;
each replayed result gets one node whose backward runs the backward plan on them, so the engine
accumulates into ``.grad`` and continues into the arguments' own graphs as usual.
"""
import numpy as np

from .._errors import EmberRuntimeError
from ..autograd import node as _node
from ..autograd.node import FREED_MSG, AccumulateGrad, Node, Slot
from ..tensor import Tensor, wrap
from .plan import Plan, _reads
from .trace import Call, Inplace, SlotInfo


class _AotOp:
    name = "compiled_forward"
    node_name = "CompiledFunctionBackward"
    keep_shapes = False
    kind = "other"


_AOT_OP = _AotOp()


class CompiledNode(Node):
    """The grad_fn of a compiled forward's result: runs the recorded backward plan."""

    __slots__ = ("_plan", "_saved")

    def custom_backward(self, g, tensor_mode):
        if tensor_mode:
            raise EmberRuntimeError("backward(create_graph=True) through an ember.compile'd "
                                    "forward is not supported; call the module uncompiled")
        saved = self._saved
        if saved is None:
            raise EmberRuntimeError(FREED_MSG)
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        return self._plan.fn(g, *saved)

    def release(self):
        self._saved = None


def _make_node(plan, saved, edges, out):
    n = object.__new__(CompiledNode)
    n.op = _AOT_OP
    n.attrs = {}
    n.next = edges
    n.seq = next(_node._sequence)
    n.shape = out.shape
    n.dtype = out.dtype
    n.n_out = 1
    n.tensor_hooks = n.retains = n.post_hooks = n.pre_hooks = None
    n.kept = ()
    n.kept_out = None
    n.versions = ()
    n.stack = None
    n._plan = plan
    n._saved = saved
    return n


class _View:
    """The part of a recording one plan is built from."""

    def __init__(self, slots, steps):
        self.slots = slots
        self.steps = steps


def _copy_info(info):
    c = object.__new__(SlotInfo)
    for name in SlotInfo.__slots__:
        setattr(c, name, getattr(info, name))
    return c


class AotEntry:
    """Everything a replay of a compiled forward-with-backward needs."""

    __slots__ = ("bwd", "edges", "fwd", "grad_out", "n_out", "outs", "pos", "simple", "spec",
                 "targets")


def record(rec, out_leaves, outs, tensor_pos, leaves):
    """Record the backward of the one output that requires grad (before the recording's
    externals are resolved); returns what ``build`` needs, or None when this call cannot be
    compiled that way (it then runs eagerly)."""
    req = [i for i, t in enumerate(out_leaves) if isinstance(t, Tensor) and t._edge is not None]
    if len(req) != 1 or outs[req[0]][0] != "slot":
        return None
    out = out_leaves[req[0]]
    if type(out._edge) is not Node and not isinstance(out._edge, Node):
        return None
    if getattr(out._edge, "custom_backward", None) is not None:
        return None
    boundary = {}
    for j, i in enumerate(tensor_pos):
        e = leaves[i]._edge
        if e is None:
            continue
        if type(e) is Slot:
            return None
        boundary[e] = j
    mark = len(rec.steps)
    g0 = np.ones_like(out._array)
    sink = {}
    rec.backward(lambda *a: None, [out], [g0], True, False, None, False, True,
                 boundary=boundary, sink=sink)
    if rec.broken is not None:
        return None
    return mark, g0, sink, boundary


def build(rec, rec_state, out_slots, outs, tensor_pos, leaves, n_args, index):
    """Both plans, from the recording completed by ``record``."""
    mark, g0, sink, boundary = rec_state
    g_slot = rec.amap[id(g0)]
    fwd_steps, bwd_steps = rec.steps[:mark], rec.steps[mark:]
    if any(type(s) not in (Call, Inplace) for s in bwd_steps):
        return None
    made = set()
    for s in bwd_steps:
        if type(s) is Call:
            made.update(o for o in (s.outs if s.multi else (s.outs,)) if o is not None)
    saved = []
    for s in bwd_steps:
        for k in _reads(s):
            src = rec.slots[k].source
            if k != g_slot and k not in made and k not in saved and (
                    src is None or src[0] == "arg"):
                saved.append(k)
    targets, grad_out = [], []
    for nd, k in sink.items():
        if type(nd) is AccumulateGrad:
            var = nd._var()
            j = next((jj for jj, i in enumerate(tensor_pos) if leaves[i] is var), None)
            targets.append(("arg", j) if j is not None else ("node", nd))
        else:
            targets.append(("arg", boundary[nd]))
        grad_out.append(k)
    bslots = [_copy_info(info) for info in rec.slots]
    bslots[g_slot].source = ("arg", 0)
    for i, k in enumerate(saved):
        bslots[k].source = ("arg", i + 1)
    bwd = Plan(_View(bslots, bwd_steps), grad_out, 1 + len(saved), no_passes=True)
    fwd = Plan(_View(rec.slots, fwd_steps), list(out_slots) + saved, n_args, no_passes=True)
    e = AotEntry()
    e.fwd, e.bwd, e.n_out = fwd, bwd, len(out_slots)
    e.targets, e.grad_out, e.outs = targets, grad_out, outs
    e.spec = index
    e.pos = list(tensor_pos)        # the key fixes which leaves are tensors
    # the usual case, one result that is a plan value, into parameters' leaves: a short path
    e.edges = tuple(x for _, x in targets) if all(k == "node" for k, _ in targets) else None
    e.simple = e.n_out == 1 and outs[0][0] == "slot" and index == 0
    return e


def replay(entry, leaves, tensor_pos):
    """Run the forward plan; the result that requires grad gets its backward node."""
    vals = entry.fwd.fn(*[leaves[i]._array for i in tensor_pos])
    if entry.simple and entry.edges is not None:
        v = vals[0]
        t = wrap(v)
        t._edge = _make_node(entry.bwd, vals[1:], entry.edges, v)
        return [t]
    n = entry.n_out
    saved = vals[n:]
    edges = []
    for kind, x in entry.targets:
        edges.append(x if kind == "node" else leaves[tensor_pos[x]]._edge)
    res = []
    for idx, ((kind, x), v) in enumerate(zip(entry.outs, vals[:n])):
        if kind == "slot":
            t = wrap(v)
            if idx == entry.spec[1]:
                t._edge = _make_node(entry.bwd, saved, tuple(edges), v)
            res.append(t)
        elif kind == "arg":
            res.append(leaves[x])
        else:
            res.append(x)
    return res
