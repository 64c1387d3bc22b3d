"""Messages for the mistakes every framework's users make (GitHub issue 6), built only on the
error or warning path so that code which makes none of them pays nothing.

* Module trail: an ember error escaping a module's ``forward`` is re-raised by the first enclosing
  ``Module.__call__`` as the same exception type whose message starts with the failing module's
  dotted path, its configuration, the input it got and, where ember can tell, the likely cause
  (Note [Module trail]).
* dtype mismatch: a float64 input meeting float32 weights probably came from NumPy.
* Stale gradients: ``optimizer.step()`` warns once (``StaleGradWarning``) when the gradients it
  is about to apply were already applied by its previous step (no ``zero_grad`` in between).
* Growing graph: keeping every step's graph alive (``total_loss += loss``) is detected by
  sampling backward roots and warned once (``GrowingGraphWarning``).
"""
import contextlib
import os
import sys
import warnings
from weakref import ref as _weakref

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class StaleGradWarning(UserWarning):
    """optimizer.step() is about to apply gradients its previous step already applied (usually a
    missing ``optimizer.zero_grad()``). Silence with
    ``warnings.filterwarnings("ignore", category=torch.StaleGradWarning)``.

    Example:
        >>> issubclass(torch.StaleGradWarning, UserWarning)
        True
    """


class GrowingGraphWarning(UserWarning):
    """Autograd graphs from many earlier steps are still alive (``total_loss += loss`` or
    ``losses.append(loss)`` keep every step's graph): memory grows with each step.

    Example:
        >>> issubclass(torch.GrowingGraphWarning, UserWarning)
        True
    """


NUMPY_FLOAT64_HINT = ("the input is float64, probably because it came from a NumPy array "
                      "(np.float64 is NumPy's default); use torch.from_numpy(x).float() or "
                      "x.astype(np.float32)")


def dtype_hint(input_dtype, weight_dtype):
    """Why an input's dtype differs from a layer's weights, as far as ember can guess ("" when
    it has no guess). Takes ember dtypes."""
    if str(input_dtype) == "torch.float64" and str(weight_dtype) in ("torch.float32",
                                                                      "torch.float16",
                                                                      "torch.bfloat16"):
        return NUMPY_FLOAT64_HINT
    return ""


def _user_stacklevel():
    """The ``stacklevel`` that makes a warning point at the first frame outside ember (the
    user's ``optimizer.step()`` or ``loss.backward()`` line), however deep ember's calls."""
    f = sys._getframe(1)
    level = 1
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
        level += 1
    return level


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


# -- Note [Module trail] --------------------------------------------------------------------------
# Module.__call__ calls forward() inside ``try``; its ``except EmberRuntimeError`` clause (free
# when nothing is raised) calls module_failure(). The innermost call only records what failed on
# the exception (_Failure: the module, its input, a hint) and re-raises it unchanged, so calling a
# layer directly keeps the op's own message (tests compare some of them with torch's verbatim).
# The first enclosing call finds the child by identity among its registered modules, builds a new
# exception of the same type whose message names the path, chained from the original, and each
# further enclosing call prepends its child's name and rewrites that exception's message in place.

class _Failure:
    __slots__ = ("dtype", "flat", "flat_src", "hint", "last", "module", "original", "path",
                 "shapes", "wrapped")

    def __init__(self, module, args, exc):
        self.module = self.last = module
        self.path = []
        self.original = str(exc)
        self.wrapped = False
        self.flat = self.flat_src = None
        tensors = [a for a in args if hasattr(a, "_array")]
        self.shapes = [tuple(t._array.shape) for t in tensors]
        self.dtype = None
        self.hint = _hint(module, tensors[0], self) if tensors else ""

    def message(self):
        m = self.module
        extra = m.extra_repr()
        desc = f"{type(m).__name__}({extra})" if "\n" not in extra else type(m).__name__
        where = f"{'.'.join(self.path)} ({desc})" if self.path else desc
        if not self.shapes:
            got = "failed"          # called without positional tensors
        elif len(self.shapes) == 1:
            got = f"got input of shape {_shape_text(self.shapes[0])}"
        else:
            got = "got inputs of shapes " + ", ".join(_shape_text(s) for s in self.shapes)
        if self.dtype is not None:
            got += f" and dtype {self.dtype}"
        hint = self.hint
        if self.flat is not None:
            src = self.flat_src or f"flattening a tensor of shape {_shape_text(self.flat[1])}"
            hint += f" — {self.flat[0]} comes from {src}"
        head = f"{where} {got}" + (f"; {hint}" if hint else "")
        return head + "\n" + self.original


def _param_dtype(module):
    for p in module._parameters.values():
        if p is not None and p._array.dtype.kind in "fc":
            return p.dtype
    return None


def _hint(module, x, failure):
    """The likely cause, from the module's configuration and its (first) input ``x``. Shapes
    first, as the layers check them before dtypes."""
    hint = _shape_hint(module, x, failure)
    if hint:
        return hint
    pdt = _param_dtype(module)
    if pdt is not None and x._array.dtype.kind in "fc" and x.dtype is not pdt:
        failure.dtype = str(x.dtype).replace("torch.", "")
        hint = dtype_hint(x.dtype, pdt)
        if hint and hint in failure.original:
            return ""
        return hint or (f"the module's parameters are {str(pdt).replace('torch.', '')}: convert "
                        f"the input with x.to({pdt}) or the module with module.to(x.dtype)")
    return ""


def _shape_hint(module, x, failure):
    shape = x._array.shape
    n_in = getattr(module, "in_features", None)
    if type(n_in) is int and shape and shape[-1] != n_in:
        _note_flatten(x, failure)
        return f"its last dimension must be {n_in}"
    c_in = getattr(module, "in_channels", None)
    ks = getattr(module, "kernel_size", None)
    if type(c_in) is int and isinstance(ks, tuple):
        nd = len(ks)
        if len(shape) not in (nd + 1, nd + 2):
            return (f"{type(module).__name__} takes {nd + 1}-D (unbatched) or {nd + 2}-D "
                    f"(batched) input, got {len(shape)}-D")
        c = shape[1] if len(shape) == nd + 2 else shape[0]
        if c != c_in:
            return f"its channel dimension (dim {len(shape) - nd - 1}) must be {c_in}"
    n_f = getattr(module, "num_features", None)
    if type(n_f) is int and len(shape) > 1 and shape[1] != n_f:
        return f"its dimension 1 (channels) must be {n_f}"
    return ""


def _note_flatten(x, failure):
    """When ``x`` (the input whose last dimension is wrong) is a flattened view, remember the
    shape it was flattened from, so the message can factor the size: 1568 = 32×7×7."""
    v = x._view
    if v is None or len(v[1]) != 1:
        return
    src = tuple(v[0]._array.shape)
    shape = x._array.shape
    if len(shape) != 2 or len(src) < 3 or src[0] != shape[0]:
        return
    n = 1
    for s in src[1:]:
        n *= s
    if n == shape[1]:
        failure.flat = (f"{n} = " + "×".join(str(s) for s in src[1:]), src)


def _extend_trail(f, module):
    """Prepend the name under which ``module`` holds the child the failure came through; returns
    the message with the path so far."""
    child = f.last
    name = None
    names = list(module._modules.items())
    for i, (key, m) in enumerate(names):
        if m is child:
            name = key
            if f.flat is not None and not f.path and i and \
                    type(names[i - 1][1]).__name__ == "Flatten":
                f.flat_src = "the Flatten before it"
            break
    else:
        for key, m in module.named_modules():
            if m is child and key:
                name = key
                break
    f.path.insert(0, name if name is not None else f"<unregistered {type(child).__name__}>")
    f.last = module
    return f.message()


def module_failure(module, exc, args):
    """Called from Module.__call__'s except clause with the EmberRuntimeError ``exc`` that
    escaped ``module``'s forward. Returns a new exception to raise (chained from ``exc``), or
    None to re-raise ``exc`` unchanged (Note [Module trail])."""
    f = getattr(exc, "_ember_failure", None)
    if f is None:
        # a diagnostic must never hide the real error
        with contextlib.suppress(Exception):
            exc._ember_failure = _Failure(module, args, exc)
        return None
    try:
        msg = _extend_trail(f, module)
    except Exception:   # noqa: BLE001  (a diagnostic must never hide the real error)
        return None
    if f.wrapped:
        exc.args = (msg,)
        return None
    try:
        new = type(exc)(msg)
    except Exception:   # noqa: BLE001  (an exception type whose constructor takes other args)
        exc.args = (msg,)
        return None
    f.wrapped = True
    new._ember_failure = f
    return new


# -- stale gradients ------------------------------------------------------------------------------

STALE_GRAD_MSG = (
    "optimizer.step() is applying gradients that its previous step() already applied: no "
    "zero_grad() ran in between, so this step's .grad still holds the earlier gradients (backward "
    "adds into .grad, it does not overwrite it). Call optimizer.zero_grad() (or "
    "model.zero_grad()) once per iteration, before loss.backward(). Accumulating gradients over "
    "several backward() calls between two steps is fine. Silence this with "
    "warnings.filterwarnings('ignore', category=torch.StaleGradWarning).")


def probe_grad(optimizer):
    """After a step: remember one parameter's .grad tensor, its version cell and version, so the
    next step can tell in O(1) whether the gradients were reset in between (set to None,
    replaced, or written in place through the tensor, which bumps the version). The probe holds
    that one gradient until the next zero_grad() or step()."""
    p = optimizer._probe_param
    g = None if p is None else p._grad
    if g is None:
        for group in optimizer.param_groups:
            for q in group["params"]:
                if q._grad is not None:
                    p, g = q, q._grad
                    optimizer._probe_param = p
                    break
            if g is not None:
                break
        else:
            optimizer._grad_probe = None
            return
    vc = g._vc
    optimizer._grad_probe = (p, g, vc, 0 if vc is None else vc.version)


def check_stale(optimizer):
    """Before a step: warn once per optimizer when the probed gradient is still the one the
    previous step applied and it is not zero.

    Not seen as a reset (so it warns): zeroing through ``p.grad.data`` (``.data`` has its own
    version counter). Not seen as stale (silent): missing zero_grad() once the gradient has a
    version counter (it had an in-place write through the tensor, e.g. ``p.grad.zero_()``),
    since backward's in-place accumulation then bumps it too."""
    p, g, vc, version = optimizer._grad_probe
    if p._grad is not g or g._vc is not vc or (vc is not None and vc.version != version):
        return
    if optimizer.__dict__.get("_stale_warned") or not g._array.any():
        return
    optimizer._stale_warned = True
    warnings.warn(STALE_GRAD_MSG, StaleGradWarning, stacklevel=_user_stacklevel())


# -- growing graphs -------------------------------------------------------------------------------
# The engine hands every SAMPLE-th backward root node to sample_root(). In a healthy loop the
# loss of an earlier iteration dies when the variable holding it is rebound, so its node dies
# too; when the roots sampled RING backward calls apart are all still alive, something keeps
# every step's graph (total_loss += loss chains them into one graph; losses.append(loss) keeps
# them in a list). Cost: one counter test per backward, one weakref per SAMPLE backwards.

SAMPLE = 16
RING = 4
_ring = []
_warned = False


def sample_root(node):
    """Record ``node`` (a backward root, sampled by the engine) and warn once when the distinct
    graph roots sampled before it are all still alive."""
    global _warned
    if getattr(node, "op", None) is None:
        return      # backward() on a leaf: its AccumulateGrad lives with the leaf, no graph
    _ring.append(_weakref(node))
    if len(_ring) > RING + 1:
        del _ring[0]
    if _warned or len(_ring) <= RING:
        return
    olds = [r() for r in _ring[:-1]]
    if any(n is None for n in olds) or len({id(n) for n in olds} | {id(node)}) <= RING:
        # a dead root, or one graph backpropagated again and again (retain_graph=True)
        return
    _warned = True
    warnings.warn(_growing_message(olds), GrowingGraphWarning, stacklevel=_user_stacklevel())


def _growing_message(olds):
    """Name what holds the old graphs: a node of a newer graph (``total_loss += loss``) or a
    tensor kept in a container (``losses.append(loss)``). Uses gc, so only on the warning path."""
    import gc

    from .autograd.node import Node
    from .tensor import Tensor
    node = olds[0]
    holder = "something"
    for r in gc.get_referrers(node):
        if type(r) is tuple:
            for owner in gc.get_referrers(r):
                if isinstance(owner, Node):
                    holder = (f"the {owner.name()} node of a newer graph (an accumulation such as "
                              f"total_loss += loss chains every step's graph into one)")
                    break
        elif isinstance(r, Tensor):
            holder = ("the loss tensors themselves, still referenced (e.g. kept in a list by "
                      "losses.append(loss))")
        if holder != "something":
            break
    steps = SAMPLE * RING
    return (f"a graph built over at least {steps} backward() calls is still alive: the roots "
            f"({node.name()}) of the last {RING} sampled backward() calls, {SAMPLE} calls apart, "
            f"are all kept alive by {holder}, so memory grows with every step. To log a loss, "
            f"keep a number: total_loss += loss.item() (or loss.detach()).")


def no_graph_reason(t, grad_enabled):
    """Why ``t`` has no graph, as far as ember can tell (torch says nothing here)."""
    meta = t._meta
    if meta is not None and meta.get("inference"):
        return (": it is an inference tensor, made inside inference_mode(), which records no "
                "graph")
    if meta is not None and meta.get("detached"):
        return ": it was returned by .detach(), which cuts it out of the graph"
    if meta is not None and meta.get("no_grad"):
        return (": it was computed inside no_grad() (or set_grad_enabled(False)), where ops "
                "record no graph; compute the loss outside that block")
    if not grad_enabled:
        return (": grad mode is off here (inside no_grad() or set_grad_enabled(False)), so "
                "results computed in this region do not require grad")
    return (": it has requires_grad=False. Likely causes: every parameter it was computed from "
            "has requires_grad=False (frozen with requires_grad_(False), or plain tensors "
            "created without requires_grad=True); it was computed inside no_grad(), "
            "inference_mode() or set_grad_enabled(False); or it comes from .detach(), .item() "
            "or .numpy() of a tensor that had a graph")

