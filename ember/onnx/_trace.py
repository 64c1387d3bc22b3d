"""A forward-only recorder for ONNX export: runs a model once with ``state.tracer`` set and keeps
every dispatched op as a ``Step`` over the Tensors it read and made.

Unlike ember.compile's recorder (which keys slots by array identity and lets produced arrays die
so a trace costs what eager costs), this one keeps every Tensor alive: an export traces once, and
the exporter then names values by Tensor identity, which also follows in-place ops and views.

Some modules run as one unit instead of op by op (``leaf_module_types``): their ops are computed
outside dispatch (max pooling's window indices) or are a layout that has a direct ONNX operator
(LSTM), so the exporter maps the module itself.
"""
from .._state import state
from ..tensor import Tensor
from ..utils._nested import flatten_tensors


class OnnxExporterError(RuntimeError):
    """The model cannot be exported (an op without an ONNX mapping, a graph that changes with the
    batch size, backward or optimizer calls inside the traced forward)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op (or leaf module) the exporter has no ONNX mapping for."""


ExportError = OnnxExporterError


class Step:
    """One recorded call: an op (``module`` is None) or a leaf module run as a unit."""

    __slots__ = (
        "arrays",
        "attrs",
        "inplace",
        "inputs",
        "kwargs",
        "module",
        "name",
        "op",
        "out",
        "outs",
        "scope",
    )

    def __init__(self, name, scope):
        self.name = name
        self.scope = scope          # (qualified name, module) of the innermost module, or None
        self.op = self.module = self.out = self.kwargs = None
        self.inputs = self.arrays = self.outs = ()
        self.attrs = {}
        self.inplace = False


def leaf_module_types():
    from ..nn.modules import pooling, rnn
    return (rnn.LSTM, pooling._MaxPoolNd, pooling._AvgPoolNd)


class Recorder:
    """``state.tracer`` during an export trace; implements every hook dispatch, the autograd
    engine and the optimizer call when a tracer is set."""

    def __init__(self):
        self.arrays = None              # set by dispatch right before record()
        self.steps = []
        self.scope = []
        self.broken = None

    def _where(self):
        return self.scope[-1] if self.scope else None

    # -- dispatch hook ------------------------------------------------------------------------
    def record(self, op, inputs, attrs, t):
        arrays = self.arrays
        self.arrays = None
        s = Step(op.name, self._where())
        s.op = op
        s.inputs = tuple(inputs)
        s.arrays = tuple(arrays) if arrays is not None else tuple(
            x._array if isinstance(x, Tensor) else x for x in inputs)
        s.attrs = dict(attrs) if attrs else {}
        s.out = t
        # in place: the exporter reads the target's current name, then rebinds it to the result
        s.inplace = bool(inputs) and t is inputs[0]
        self.steps.append(s)

    def record_module(self, module, qual, args, kwargs, result):
        s = Step(type(module).__name__, (qual, module))
        s.module = module
        s.inputs = tuple(args)
        s.kwargs = dict(kwargs)
        s.out = result
        s.outs = tuple(flatten_tensors(result, []))
        self.steps.append(s)

    # -- hooks that have no place in an exported forward -------------------------------------
    def fail(self, why):
        if self.broken is None:
            self.broken = why

    def data_access(self, t, what):
        pass

    def backward(self, *args, **kwargs):
        raise ExportError("ember.onnx.export: the model's forward called backward(); only "
                          "inference graphs can be exported")

    def zero_grad(self, params, set_to_none):
        raise ExportError("ember.onnx.export: the model's forward called zero_grad()")

    def optimizer_update(self, opt, group):
        raise ExportError("ember.onnx.export: the model's forward stepped an optimizer")


class patched_modules:
    """Context manager: wrap each submodule's ``forward`` so recorded steps know the module
    they ran in, and so leaf modules run untraced and are recorded as one step."""

    def __init__(self, model, rec):
        self.model, self.rec = model, rec
        self.saved = []

    def __enter__(self):
        from ..nn.modules.module import Module
        if not isinstance(self.model, Module):
            return self
        leaves = leaf_module_types()
        for qual, mod in self.model.named_modules():
            had = "forward" in mod.__dict__
            self.saved.append((mod, had, mod.__dict__.get("forward")))
            object.__setattr__(mod, "forward",
                               self._wrap(mod, qual, mod.forward,
                                          isinstance(mod, leaves)))
        return self

    def _wrap(self, mod, qual, fwd, leaf):
        rec = self.rec

        def forward(*args, **kwargs):
            rec.scope.append((qual, mod))
            try:
                if not leaf:
                    return fwd(*args, **kwargs)
                tracer, state.tracer = state.tracer, None
                try:
                    result = fwd(*args, **kwargs)
                finally:
                    state.tracer = tracer
                rec.record_module(mod, qual, args, kwargs, result)
                return result
            finally:
                rec.scope.pop()
        return forward

    def __exit__(self, *exc):
        for mod, had, fwd in self.saved:
            if had:
                object.__setattr__(mod, "forward", fwd)
            else:
                del mod.__dict__["forward"]
        return False


def trace(model, args, kwargs):
    """Run ``model(*args, **kwargs)`` once under no_grad with a Recorder; (result, recorder)."""
    from ..autograd.grad_mode import no_grad
    rec = Recorder()
    with no_grad(), patched_modules(model, rec):
        prev = state.tracer
        state.tracer = rec
        try:
            result = model(*args, **kwargs)
        finally:
            state.tracer = prev
    return result, rec
