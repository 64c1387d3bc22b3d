"""ONNX export (torch.onnx's entry point): trace a model's forward once through the dispatcher
and write the recorded ops as an ONNX graph.

The ``onnx`` package is an optional extra (``pip install ember[onnx]``); it is imported only
inside :func:`export`, so ``import ember`` never loads it.
"""
import os
import warnings

import numpy as np

from ..serialization import _atomic_write
from ..tensor import Tensor
from ._trace import OnnxExporterError, UnsupportedOperatorError

__all__ = ["OnnxExporterError", "UnsupportedOperatorError", "export"]

DEFAULT_OPSET = 17
_OPSETS = (17, 18)


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError as exc:
        raise ModuleNotFoundError(
            "ember.onnx.export needs the 'onnx' package, an optional dependency of ember: "
            "install it with `pip install ember[onnx]` (or `pip install onnx`)") from exc
    return onnx


def export(model, args=(), f=None, *, kwargs=None, export_params=True, verbose=None,
           input_names=None, output_names=None, opset_version=None, dynamic_axes=None,
           keep_initializers_as_inputs=False, training=None, do_constant_folding=True,
           dynamo=False, **unused):
    """export(model, args=(), f=None, *, kwargs=None, export_params=True, verbose=None,
    input_names=None, output_names=None, opset_version=None, dynamic_axes=None, ...) -> None

    Runs ``model(*args, **kwargs)`` once in eval mode under no_grad, records every op it
    dispatches and writes the graph as an ONNX model to ``f`` (a path, written atomically, or a
    binary file object). Parameters and buffers become initializers. ``dynamic_axes`` maps an
    input or output name to the axes that may change size (``{"input": {0: "batch"}}`` or
    ``{"input": [0]}``); with it the model is traced a second time with those axes one longer
    to tell which shapes follow them. With ``f=None`` the ``onnx.ModelProto`` is returned.

    Args:
        model: an ``nn.Module`` (or a callable on tensors).
        args: a tensor or a tuple of arguments; a trailing dict is taken as keyword arguments.
        input_names, output_names: names of the graph's tensor inputs and outputs in order.
        opset_version: 17 (default) or 18.

    Example:
        >>> import io, ember as torch
        >>> buf = io.BytesIO()
        >>> torch.onnx.export(torch.nn.Linear(3, 2), torch.randn(1, 3), buf,
        ...                   input_names=["x"], output_names=["y"],
        ...                   dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        >>> buf.getvalue()[:2] != b""
        True
    """
    onnx = _import_onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset not in _OPSETS:
        raise ValueError(f"ember.onnx.export: opset_version must be one of {_OPSETS}, "
                         f"got {opset_version}")
    if not export_params:
        raise NotImplementedError("ember.onnx.export: export_params=False is not supported")
    if keep_initializers_as_inputs:
        raise NotImplementedError("ember.onnx.export: keep_initializers_as_inputs=True is not "
                                  "supported")
    args, kwargs = _split_args(args, kwargs)
    from ..nn.modules.module import Module
    modes = None
    if isinstance(model, Module) and training is not True:
        # torch exports in eval mode by default (TrainingMode.EVAL): dropout off, running stats
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
    try:
        proto = _build(onnx, model, args, kwargs, opset, input_names, output_names,
                       dynamic_axes)
    finally:
        if modes is not None:
            for m, flag in modes:
                m.training = flag
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is None:
        return proto
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
        return None
    # the checkpoint writer's temp-file-and-rename: a reader never sees a half-written model
    _atomic_write(os.fspath(f), lambda fh: fh.write(data))
    return None


def _split_args(args, kwargs):
    if isinstance(args, Tensor) or not isinstance(args, (tuple, list)):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    return args, kwargs


def _axes_spec(dynamic_axes, name):
    """{axis: dim_param} for one input/output name."""
    spec = (dynamic_axes or {}).get(name)
    if spec is None:
        return {}
    if isinstance(spec, dict):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(spec)}


def _grown(t, axes):
    """``t`` one longer along each of ``axes`` (its first slice repeated): the second trace."""
    a = t._array
    for ax in axes:
        a = np.concatenate([a, np.take(a, [0], axis=ax)], axis=ax)
    from ..tensor import wrap
    return wrap(np.ascontiguousarray(a))


def _build(onnx, model, args, kwargs, opset, input_names, output_names, dynamic_axes):
    from ..utils._nested import flatten_tensors
    from . import _graph
    from ._trace import trace
    inputs = [a for a in args if isinstance(a, Tensor)] + \
        [v for v in kwargs.values() if isinstance(v, Tensor)]
    in_names = list(input_names or [])
    if len(in_names) > len(inputs):
        raise ValueError(f"ember.onnx.export: {len(in_names)} input_names for {len(inputs)} "
                         f"tensor inputs")
    in_names += [f"input_{i}" if i else "input" for i in range(len(in_names), len(inputs))]
    known = set(in_names) | set(output_names or [])
    for key in dynamic_axes or {}:
        if key not in known:
            warnings.warn(f"Provided key {key} for dynamic axes is not a valid input/output "
                          f"name", UserWarning, stacklevel=3)
    result, rec = trace(model, args, kwargs)
    _check_broken(rec)
    grow = {i: sorted(_axes_spec(dynamic_axes, n)) for i, n in enumerate(in_names)}
    steps_b = result_b = inputs_b = None
    if any(grow.values()):
        grown = {id(t): _grown(t, grow[i]) if grow[i] else t for i, t in enumerate(inputs)}
        args_b = tuple(grown.get(id(a), a) if isinstance(a, Tensor) else a for a in args)
        kwargs_b = {k: grown.get(id(v), v) if isinstance(v, Tensor) else v
                    for k, v in kwargs.items()}
        result_b, rec_b = trace(model, args_b, kwargs_b)
        _check_broken(rec_b)
        steps_b = rec_b.steps
        inputs_b = [grown[id(t)] for t in inputs]
    params = {}
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        for n, p in model.named_parameters():
            params[id(p)] = n
        for n, b in model.named_buffers():
            params[id(b)] = n
    gb = _graph.GraphBuilder(onnx, opset, params)
    helper = onnx.helper
    graph_inputs = []
    for i, (t, name) in enumerate(zip(inputs, in_names)):
        gb.used.add(name)
        dyn = _graph._dyn(tuple(t.shape), tuple(inputs_b[i].shape) if inputs_b else None)
        gb.bind(t, _graph.Value(name=name, shape=t.shape, dyn=dyn))
        spec = _axes_spec(dynamic_axes, name)
        dims = [spec.get(a, n) for a, n in enumerate(t.shape)]
        graph_inputs.append(helper.make_tensor_value_info(
            name, _graph._tensor_type(onnx, t._array.dtype), dims))
    _graph.Translator(gb).run(rec.steps, steps_b)
    outs = flatten_tensors(result, [])
    outs_b = flatten_tensors(result_b, []) if steps_b is not None else None
    if not outs:
        raise OnnxExporterError("ember.onnx.export: the model returned no tensors")
    o_names = list(output_names or [])
    if len(o_names) > len(outs):
        raise ValueError(f"ember.onnx.export: {len(o_names)} output_names for {len(outs)} "
                         f"tensor outputs")
    o_names += [f"output_{i}" if i else "output" for i in range(len(o_names), len(outs))]
    graph_outputs = []
    for i, (t, name) in enumerate(zip(outs, o_names)):
        shape_b = tuple(outs_b[i].shape) if outs_b is not None else None
        v = gb.value_of(t, shape_b)
        src = gb.name_of(v, "const", "")
        if name in gb.used and name != src:
            raise ValueError(f"ember.onnx.export: output name {name!r} is already used")
        gb.used.add(name)
        gb.nodes.append(helper.make_node("Identity", [src], [name], name=gb.fresh("n_out")))
        spec = _axes_spec(dynamic_axes, name)
        dyn = _graph._dyn(tuple(t.shape), shape_b)
        dims = [spec.get(a, f"{name}_dim{a}" if dyn[a] else n) for a, n in enumerate(t.shape)]
        graph_outputs.append(helper.make_tensor_value_info(
            name, _graph._tensor_type(onnx, t._array.dtype), dims))
    graph = helper.make_graph(gb.nodes, "ember_graph", graph_inputs, graph_outputs,
                              initializer=gb.inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ember")
    proto.ir_version = min(proto.ir_version, 8 if opset <= 17 else 9)
    onnx.checker.check_model(proto)
    return proto


def _check_broken(rec):
    if rec.broken is not None:
        raise OnnxExporterError(f"ember.onnx.export: the forward cannot be exported "
                                f"({rec.broken})")
