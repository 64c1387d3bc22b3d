"""The only path from a Tensor call to a kernel: apply(), unary(), binary(), apply_view() and
apply_inplace(). Each reads the arrays, runs the op's kernel over the backend namespace, wraps
the result and, when grad mode is on and an input requires grad, creates the autograd Node.
Type promotion for binary ops happens here through cached tables (Note [Weak scalars])."""
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError
from .._state import state
from .._storage import cell_of
from ..autograd.inplace import track_view
from ..autograd.node import AccumulateGrad, Node
from ..device import CPU
from ..tensor import Tensor, wrap

_new = object.__new__
_xp = CPU.backend.xp
_promote_scalar = _dt.promote_scalar_np
_promote_tensors = _dt.promote_tensors_np
_SCALARS = (int, float, bool, complex)
_FLOAT_KINDS = "fc"
_BF16 = _dt.bfloat16.np


def _float_np():
    return _dt._defaults.float.np


def _make(out, op, inputs, edges, attrs):
    """Wrap a kernel result; attach a Node when any input edge is live."""
    t = _new(Tensor)
    t._array = out
    t._device = CPU
    t._grad = None
    t._vc = None
    t._view = None
    t._meta = None
    t._edge = Node(op, inputs, edges, attrs, out, t) if edges is not None else None
    if state.tracer is not None:
        state.tracer.record(op, inputs, attrs, t)
    return t


def unary(op, a, **attrs):
    """Run a one-input op (elementwise or not) on Tensor ``a``."""
    A = a._array
    if op.dtype_rule == "float" and A.dtype.kind not in _FLOAT_KINDS and A.dtype != _BF16:
        A = A.astype(_float_np())
    out = op.forward(_xp, A, **attrs) if attrs else op.forward(_xp, A)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if state.tracer is not None:
        state.tracer.arrays = (A,)      # what the kernel saw (after casts), for the recorder
    e = a._edge
    if e is not None and state.grad_enabled and op.grad is not None:
        return _make(out, op, (a,), (e,), attrs)
    return _make(out, op, (a,), None, attrs)


def binary(op, a, b, **attrs):
    """Run a two-input elementwise op; ``a`` or ``b`` may be a Python scalar (a weak operand)."""
    if isinstance(a, Tensor):
        A = a._array
        if isinstance(b, Tensor):
            B = b._array
            if A.dtype is not B.dtype:
                rd = _promote_tensors(A.dtype, A.ndim == 0, B.dtype, B.ndim == 0)
                if A.dtype is not rd:
                    A = A.astype(rd)
                if B.dtype is not rd:
                    B = B.astype(rd)
            edges = (a._edge, b._edge)
        else:
            B, A = _scalar_operand(b, A)
            edges = (a._edge, None)
    else:
        if not isinstance(b, Tensor):
            raise EmberTypeError(f"{op.name}(): expected at least one Tensor, got "
                                 f"{type(a).__name__} and {type(b).__name__}")
        B = b._array
        A, B = _scalar_operand(a, B)
        edges = (None, b._edge)
    if op.dtype_rule == "float":
        if not isinstance(A, np.ndarray) or A.dtype.kind not in _FLOAT_KINDS:
            if isinstance(A, np.ndarray) and A.dtype != _dt.bfloat16.np:
                A = A.astype(_float_np())
        if isinstance(B, np.ndarray) and B.dtype.kind not in _FLOAT_KINDS and B.dtype != _BF16:
            B = B.astype(_float_np())
    try:
        out = op.forward(_xp, A, B, **attrs) if attrs else op.forward(_xp, A, B)
    except ValueError as exc:
        raise _broadcast_error(op, a, b, exc) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if state.tracer is not None:
        state.tracer.arrays = (A, B)
    if state.grad_enabled and op.grad is not None and (
            edges[0] is not None or edges[1] is not None):
        return _make(out, op, (a, b), edges, attrs)
    return _make(out, op, (a, b), None, attrs)


def _scalar_operand(s, A):
    """Promote array ``A`` against Python scalar ``s``; returns (scalar, array) ready for NumPy."""
    ts = type(s)
    if ts not in _SCALARS:
        if isinstance(s, np.generic):
            s = s.item()
            ts = type(s)
        elif isinstance(s, np.ndarray):
            raise EmberTypeError("mixing NumPy arrays with tensors: convert it first with "
                                 "ember.from_numpy(array) or ember.tensor(array)")
        else:
            raise EmberTypeError(f"unsupported operand type {ts.__name__} for a tensor op")
    rd = _promote_scalar(A.dtype, ts)
    if A.dtype is not rd:
        A = A.astype(rd)
    elif ts is int and A.dtype.kind in "iu":
        info = np.iinfo(A.dtype)
        if not info.min <= s <= info.max:     # torch wraps out-of-range ints; NumPy would raise
            s = np.array(s).astype(A.dtype)[()]
    elif ts is float and A.dtype is _BF16:
        s = _BF16.type(s)     # ml_dtypes makes bfloat16 (op) Python float a float32; torch doesn't
    return s, A


def _broadcast_error(op, a, b, exc):
    sa = list(getattr(a, "shape", ()))
    sb = list(getattr(b, "shape", ()))
    n = max(len(sa), len(sb))
    pa, pb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    # torch names the rightmost clashing dimension, indexed in the broadcast shape
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return EmberRuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i} ({op.name} of shapes {sa} and {sb})")
    return EmberRuntimeError(f"{op.name}: {exc} (shapes {sa} and {sb})")


def _inplace_cast_error(op, t, others):
    """torch's message for an in-place op whose promoted result does not fit ``t``'s dtype,
    e.g. int64_tensor.add_(1.5): "result type Float can't be cast to the desired output type
    Long". Only built on the error path, so the promotion here costs nothing otherwise."""
    operands = [(t.dtype, 1 if t.ndim == 0 else 2)]
    for o in others:
        if isinstance(o, Tensor):
            operands.append((o.dtype, 1 if o.ndim == 0 else 2))
        elif isinstance(o, (bool, int, float, complex)):
            operands.append((_dt.scalar_dtype(o), 0))
    r = _dt.result_type_of(operands)
    if op.dtype_rule == "float" and r.category < _dt.float32.category:
        r = _dt.get_default_dtype()
    return EmberRuntimeError(f"result type {r.scalar_name} can't be cast to the desired output "
                             f"type {t.dtype.scalar_name} (in-place {op.name} on a {t.dtype} "
                             f"tensor of shape {list(t.shape)})")


def apply(op, inputs, attrs=None, *, arrays=None):
    """Run an op on any number of inputs (Tensors, or constants passed through as they are).

    ``arrays`` lets the caller pass already converted/promoted arrays for the inputs."""
    if arrays is None:
        arrays = [t._array if isinstance(t, Tensor) else t for t in inputs]
    out = op.forward(_xp, *arrays, **attrs) if attrs else op.forward(_xp, *arrays)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if state.tracer is not None:
        state.tracer.arrays = arrays
    if state.grad_enabled and op.grad is not None:
        # a list comprehension, not tuple(generator): this runs for every linear/conv/loss call
        edges = [t._edge if isinstance(t, Tensor) else None for t in inputs]
        for e in edges:
            if e is not None:
                return _make(out, op, inputs, tuple(edges), attrs or {})
    return _make(out, op, inputs, None, attrs or {})


def apply_view(op, a, **attrs):
    """Run a view op: the result shares ``a``'s memory and version counter and records how it
    was made from the root, so in-place writes through it can be replayed for autograd."""
    out = op.forward(_xp, a._array, **attrs)
    t = _new(Tensor)
    t._array = out
    t._device = CPU
    t._grad = None
    t._meta = None
    v = a._view
    if v is None:
        t._view = (a, ((op, attrs),))
        t._vc = cell_of(a)
    else:
        t._view = (v[0], v[1] + ((op, attrs),))
        t._vc = a._vc
    e = a._edge
    if e is not None and state.grad_enabled and op.grad is not None:
        t._edge = Node(op, (a,), (e,), attrs, out, t)
        if type(t._view[0]._edge) is not AccumulateGrad:
            track_view(t)       # Note [In-place on views]: a later write may rebuild its history
    else:
        t._edge = None
    if state.tracer is not None:
        state.tracer.record(op, (a,), attrs, t)
    return t


def _read_only_message(A):
    # expand() and zero-stride as_strided() views are read-only NumPy arrays
    if any(st == 0 and n > 1 for st, n in zip(A.strides, A.shape)):
        return ("unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.")
    return ("this tensor's memory is read-only (it views an expand()ed tensor or a read-only "
            "NumPy array); clone() it before writing to it in place")


def apply_inplace(op, t, others=(), attrs=None, *, arrays=None):
    """Run ``op`` and write its result into ``t`` (``t.op_()``): checks torch's leaf and dtype
    rules, bumps the version counter and rewrites autograd history (autograd/inplace.py)."""
    attrs = attrs or {}
    e = t._edge
    grad_on = state.grad_enabled
    if grad_on:
        if type(e) is AccumulateGrad:
            raise EmberRuntimeError("a leaf Variable that requires grad is being used in an "
                                    "in-place operation.")
        if t._view is not None and type(t._view[0]._edge) is AccumulateGrad:
            raise EmberRuntimeError("a view of a leaf Variable that requires grad is being used in "
                                    "an in-place operation.")
    if t._meta is not None and t._meta.get("inference") and not state.inference:
        raise EmberRuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                                "allowed.You can make a clone to get a normal tensor before doing "
                                "inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                                "more details.")
    A = t._array
    if arrays is None:
        arrays = [o._array if isinstance(o, Tensor) else o for o in others]
    out = op.forward(_xp, A, *arrays, **attrs)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if out.dtype != A.dtype and not _dt.can_cast(_dt.from_numpy_dtype(out.dtype),
                                                 _dt.from_numpy_dtype(A.dtype)):
        raise _inplace_cast_error(op, t, others)
    needs = grad_on and op.grad is not None and (
        e is not None or (t._view is not None and t._view[0]._edge is not None)
        or any(isinstance(o, Tensor) and o._edge is not None for o in others))
    old = None
    if needs and 0 in op.keep_inputs:
        old = wrap(A.copy(), e)        # the rule needs the value from before the write
    try:
        np.copyto(A, out, casting="unsafe")     # broadcasts out to A's shape, or raises
    except ValueError:
        if not A.flags.writeable:
            raise EmberRuntimeError(_read_only_message(A)) from None
        raise EmberRuntimeError(f"output with shape {list(A.shape)} doesn't match the broadcast "
                                f"shape {list(out.shape)}") from None
    cell_of(t).version += 1
    if needs:
        from ..autograd.inplace import record_inplace
        record_inplace(op, t, e, old, others, attrs)
    if state.tracer is not None:
        state.tracer.arrays = (A, *arrays)
        state.tracer.record(op, (t, *others), attrs, t)
    return t
