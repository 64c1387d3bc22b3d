"""ember.autograd: backward, grad, grad modes, Function, anomaly detection and gradcheck."""
import numpy as np

from .._errors import EmberRuntimeError
from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .node import Node
from . import graph  # noqa: F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly", "gradcheck",
           "gradgradcheck", "Node"]


def _as_seq(x):
    if x is None:
        return None
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs, grad_outputs, create_graph):
    from ..tensor import Tensor, wrap
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if out._edge is None:
            raise EmberRuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
                + _no_graph_hint(out))
        if g is None:
            if out._array.size != 1:
                raise EmberRuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this output has "
                    f"shape {list(out._array.shape)}; pass gradient= with that shape)")
            if out._array.dtype.kind == "c":
                raise EmberRuntimeError("grad can be implicitly created only for real scalar "
                                        "outputs")
            g = np.ones_like(out._array)
        else:
            if not isinstance(g, Tensor):
                g = wrap(np.asarray(g, dtype=out._array.dtype))
            if tuple(g.shape) != tuple(out._array.shape):
                raise EmberRuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                    f"output[{i}] has a shape of {list(out._array.shape)}.")
            g = g if create_graph else g._array
        grads.append(wrap(g) if create_graph and not isinstance(g, Tensor) else g)
    return grads


def _no_graph_hint(t):
    from .._state import state
    if not state.grad_enabled:
        return " (it was computed while grad mode was off: inside no_grad() or inference_mode())"
    return ""


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    accumulate d(tensors)/d(leaves) into the leaves' ``.grad``."""
    outputs = _as_seq(tensors)
    gouts = _as_seq(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_seq(inputs)
    if inputs is not None and len(inputs) == 0:
        raise EmberRuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(outputs, _root_grads(outputs, gouts, create_graph), retain_graph, create_graph,
                 inputs=inputs, allow_unused=True, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
    allow_unused=None, materialize_grads=False) -> tuple of Tensors: d(outputs)/d(inputs),
    without touching ``.grad``."""
    from ..tensor import wrap
    outs = _as_seq(outputs)
    ins = _as_seq(inputs)
    gouts = _as_seq(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(ins):
        if t._edge is None:
            raise EmberRuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                                    "require grad")
    res = run_backward(outs, _root_grads(outs, gouts, create_graph), retain_graph, create_graph,
                       inputs=ins, allow_unused=allow_unused, accumulate=False)
    final = []
    for i, (t, r) in enumerate(zip(ins, res)):
        if r is None:
            if materialize_grads:
                r = wrap(np.zeros_like(t._array))
            elif not allow_unused:
                raise EmberRuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {list(t.shape)}) appears "
                    "to not have been used in the graph. Set allow_unused=True if this is the "
                    "desired behavior.")
        final.append(r)
    return tuple(final)
