"""ember.autograd: backward, grad, grad modes, Function, anomaly detection and gradcheck."""
import numpy as np

from .._errors import EmberRuntimeError, EmberTypeError
from .._state import state
from ..ops.registry import METHODS as _METHODS
from ..ops.registry import PUBLIC as _PUBLIC
from ..tensor import Tensor, wrap
from . import graph  # noqa: F401
from .anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Node",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]

_METHODS["is_inference"] = is_inference
_PUBLIC["is_anomaly_enabled"] = is_anomaly_enabled
_PUBLIC["is_anomaly_check_nan_enabled"] = is_anomaly_check_nan_enabled


def _set_anomaly_enabled(enabled, check_nan=True):
    """set_anomaly_enabled(enabled, check_nan=True): switch anomaly detection on or off for the
    rest of the program (the functional form of ``autograd.detect_anomaly``).

    Example::

        >>> torch.set_anomaly_enabled(True)
        >>> torch.is_anomaly_enabled()
        True
        >>> torch.set_anomaly_enabled(False)
    """
    set_detect_anomaly(enabled, check_nan)


_set_anomaly_enabled.__name__ = _set_anomaly_enabled.__qualname__ = "set_anomaly_enabled"
_PUBLIC["set_anomaly_enabled"] = _set_anomaly_enabled
_PUBLIC["is_inference"] = is_inference


def _as_seq(x, what="tensors"):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs, grad_outputs, create_graph):
    """The gradient each root starts with: the given one (checked) or ones for a scalar."""
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise EmberRuntimeError(f"grad requires one gradient per output: got {len(outputs)} "
                                f"outputs and {len(grad_outputs)} gradients")
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise EmberTypeError(f"backward/grad expects Tensors as outputs, got "
                                 f"{type(out).__name__} at position {i}")
        g = grad_outputs[i] if grad_outputs is not None else None
        if out._edge is None:
            raise EmberRuntimeError(f"element {i} of tensors does not require grad and does not "
                                    f"have a grad_fn{_no_graph_reason(out)}")
        if g is None:
            if out._array.size != 1:
                raise EmberRuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has "
                    f"shape {list(out._array.shape)}: pass a gradient of that shape, e.g. "
                    f"backward(torch.ones_like(out)), or reduce it first with .sum())")
            if out._array.dtype.kind == "c":
                raise EmberRuntimeError("grad can be implicitly created only for real scalar "
                                        f"outputs but got {out.dtype}")
            a = out._array
            # np.array(1, dtype) costs a fifth of np.ones_like on the usual 0-d loss
            g = np.array(1, a.dtype) if a.ndim == 0 else np.ones_like(a)
            grads.append(wrap(g) if create_graph else g)
            continue
        if not isinstance(g, Tensor):
            g = wrap(np.asarray(g, dtype=out._array.dtype))
        if g._array.shape != out._array.shape:
            raise EmberRuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {_size(g)} and output[{i}] "
                f"has a shape of {_size(out)}.")
        if (g._array.dtype.kind == "c") != (out._array.dtype.kind == "c"):
            raise EmberRuntimeError(
                f"For complex Tensors, both grad_output and output are required to have the same "
                f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                f"output[{i}] has a dtype of {out.dtype}.")
        grads.append(g if create_graph else g._array)
    return grads


def _size(t):
    return f"torch.Size([{', '.join(str(s) for s in t._array.shape)}])"


def _no_graph_reason(t):
    """Why ``t`` has no graph, as far as ember can tell (torch says nothing here)."""
    from .._diagnostics import no_graph_reason
    return no_graph_reason(t, state.grad_enabled)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    accumulate d(tensors)/d(leaves) into the leaves' ``.grad`` (only into ``inputs`` when
    given).

    Example::

        >>> a = torch.tensor([1., 2.], requires_grad=True)
        >>> b = torch.tensor(3., requires_grad=True)
        >>> torch.autograd.backward([(a * b).sum(), b * b])
        >>> a.grad, b.grad
        (tensor([3., 3.]), tensor(9.))
    """
    outputs = _as_seq(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    gouts = _as_seq(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_seq(inputs)
    if inputs is not None:
        if len(inputs) == 0:
            raise EmberRuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for i, t in enumerate(inputs):
            if t._edge is None:
                raise EmberRuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does "
                                        "not require grad")
    run_backward(outputs, _root_grads(outputs, gouts, create_graph), retain_graph, create_graph,
                 inputs=inputs, allow_unused=True, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
    allow_unused=None, materialize_grads=False) -> tuple of Tensors: d(outputs)/d(inputs),
    without touching ``.grad``.

    Example::

        >>> x = torch.tensor([1., 2., 3.], requires_grad=True)
        >>> y = (x ** 2).sum()
        >>> torch.autograd.grad(y, x)
        (tensor([2., 4., 6.]),)
        >>> (dx,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
        >>> torch.autograd.grad(dx.sum(), x)
        (tensor([ 6., 12., 18.]),)
    """
    from ..tensor import wrap
    outs = _as_seq(outputs)
    ins = _as_seq(inputs)
    gouts = _as_seq(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads"
                         "=True, but got: allow_unused=False.")
    if is_grads_batched:
        raise EmberRuntimeError("grad(is_grads_batched=True) is not supported by ember")
    for i, t in enumerate(ins):
        if t._edge is None:
            raise EmberRuntimeError("One of the differentiated Tensors does not require grad "
                                    f"(inputs[{i}] has requires_grad=False)")
    res = run_backward(outs, _root_grads(outs, gouts, create_graph), retain_graph, create_graph,
                       inputs=ins, allow_unused=allow_unused, accumulate=False)
    final = []
    for i, (t, r) in enumerate(zip(ins, res)):
        if r is None:
            if materialize_grads:
                r = wrap(np.zeros_like(t._array))
            elif not allow_unused:
                raise EmberRuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
        final.append(r)
    return tuple(final)
