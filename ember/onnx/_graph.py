"""Translate a recorded forward (``_trace.Recorder``) into ONNX nodes and initializers.

Values are named by Tensor identity. A step whose inputs are all constants (parameters, buffers,
tensors made inside forward) is folded: its recorded result becomes a constant, so batch norm's
``rsqrt(var + eps)`` or LSTM's summed biases never reach the graph as ops.

Note [Dynamic axes by two traces]
Shapes baked into ops (``view(2, 3, 8)``) must not bake the batch size. With dynamic axes the
model is traced twice, the second time with each dynamic input axis one longer; a dimension whose
size differs between the two traces is dynamic. A Reshape target then uses 0 (copy the input's
dimension) or -1 (infer) there, and a constant whose shape differs (``zeros(batch, ...)`` made in
forward) is an error rather than a silently wrong graph. Both traces must record the same ops.
"""
import numpy as np

from ..tensor import Tensor
from ._modules import ModuleTranslator
from ._trace import ExportError, UnsupportedOperatorError

_INT64_MAX = np.iinfo(np.int64).max

_UNARY = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "neg": "Neg", "abs": "Abs", "reciprocal": "Reciprocal", "sin": "Sin",
          "cos": "Cos", "erf": "Erf", "floor": "Floor", "ceil": "Ceil", "sign": "Sign",
          "logical_not": "Not", "clone": "Identity", "alias": "Identity",
          "contiguous": "Identity", "detach": "Identity"}
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
           "maximum": "Max", "minimum": "Min", "gt": "Greater", "lt": "Less",
           "ge": "GreaterOrEqual", "le": "LessOrEqual", "eq": "Equal",
           "logical_and": "And", "logical_or": "Or", "matmul": "MatMul", "mm": "MatMul",
           "bmm": "MatMul"}


class Value:
    __slots__ = ("const", "dyn", "name", "shape")

    def __init__(self, name=None, const=None, shape=(), dyn=()):
        self.name = name            # graph name, once materialized
        self.const = const          # ndarray for a constant value, else None
        self.shape = tuple(shape)
        self.dyn = tuple(dyn)       # per dimension: True where it follows a dynamic axis


def _dyn(shape_a, shape_b):
    if shape_b is None:
        return (False,) * len(shape_a)
    if len(shape_a) != len(shape_b):
        raise ExportError("the traced graph changes rank with the batch size")
    return tuple(a != b for a, b in zip(shape_a, shape_b))


class GraphBuilder:
    def __init__(self, onnx, opset, param_names):
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.nodes = []
        self.inits = []
        self.used = set()
        self.values = {}            # id(Tensor) -> Value
        self.by_array = {}          # id(ndarray) -> Value (embedding's index comes as an attr)
        self.keep = []              # tensors whose ids key the maps above
        self.param_names = param_names      # id(tensor) -> state_dict name
        self.const_cache = {}       # id(ndarray) -> initializer name
        self.live_ints = []         # (array, Value) of integer graph values, newest last

    # -- names, nodes, initializers -----------------------------------------------------------
    def fresh(self, hint):
        hint = hint.replace("/", ".") or "v"
        name, i = hint, 1
        while name in self.used:
            name = f"{hint}_{i}"
            i += 1
        self.used.add(name)
        return name

    def node(self, op_type, inputs, n_out=1, hint=None, **attrs):
        outs = [self.fresh(f"{hint or op_type}") for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=self.fresh(f"n_{op_type}"), **attrs))
        return outs[0] if n_out == 1 else outs

    def init(self, arr, hint="const"):
        """An initializer holding ``arr`` (deduplicated by array identity)."""
        key = id(arr)
        name = self.const_cache.get(key)
        if name is not None:
            return name
        arr = np.asarray(arr)
        name = self.fresh(hint)
        # (not ascontiguousarray: it turns a 0-d array into shape (1,))
        self.inits.append(self.onnx.numpy_helper.from_array(np.array(arr, order="C"), name))
        self.const_cache[key] = name
        self.keep.append(arr)
        return name

    def ints(self, xs, hint="shape"):
        return self.init(np.asarray(list(xs), dtype=np.int64), hint)

    # -- values -------------------------------------------------------------------------------
    def bind(self, t, value):
        self.keep.append(t)
        self.values[id(t)] = value
        self.by_array[id(t._array)] = value
        if value.name is not None and t._array.dtype.kind in "iu":
            self.live_ints.append((t._array, value))

    def value_of(self, t, shape_b=None):
        """The Value of Tensor ``t``; a tensor no step made is a constant (parameter, buffer or a
        tensor made in forward outside ember's ops)."""
        v = self.values.get(id(t))
        if v is not None:
            return v
        v = Value(const=t._array, shape=t._array.shape, dyn=_dyn(t._array.shape, shape_b))
        self.bind(t, v)
        return v

    def name_of(self, v, hint="const", where=None):
        """Materialize ``v`` as a graph name (an initializer for a constant)."""
        if v.name is not None:
            return v.name
        if any(v.dyn):
            raise ExportError(
                f"ember.onnx.export: a constant of shape {list(v.shape)} whose size follows a dynamic axis{where} "
                f"(a tensor created inside forward from the batch size, e.g. zeros(x.shape[0], "
                f"...)); it cannot be exported with dynamic_axes")
        v.name = self.init(v.const, hint)
        return v.name


class Translator(ModuleTranslator):
    """Walks the steps of trace A (and of trace B for dynamic shapes) emitting nodes."""

    def __init__(self, gb):
        self.gb = gb

    def where(self, step):
        if step.scope is None:
            return ""
        qual, mod = step.scope
        if not qual:
            return f" (in {type(mod).__name__}.forward)"
        return f" (in module '{qual}', {type(mod).__name__})"

    def run(self, steps_a, steps_b):
        if steps_b is not None and (len(steps_a) != len(steps_b) or any(
                a.name != b.name for a, b in zip(steps_a, steps_b))):
            raise ExportError("ember.onnx.export: the model records different ops when a "
                              "dynamic axis changes size; it cannot be exported with "
                              "dynamic_axes")
        for i, s in enumerate(steps_a):
            sb = steps_b[i] if steps_b is not None else None
            self.step(s, sb)

    # -- one step -----------------------------------------------------------------------------
    def step(self, s, sb):
        gb = self.gb
        if s.module is not None:
            return self.module_step(s, sb)
        ins = []
        for j, x in enumerate(s.inputs):
            if isinstance(x, Tensor):
                xb = sb.inputs[j] if sb is not None else None
                ins.append(gb.value_of(x, tuple(xb.shape) if isinstance(xb, Tensor) else None))
            else:
                ins.append(x)
        out_b = tuple(sb.out.shape) if sb is not None else None
        dyn = _dyn(tuple(s.out.shape), out_b)
        tensors = [v for v in ins if isinstance(v, Value)]
        if s.op.kind == "random":
            raise self.unsupported(s, "random ops cannot be exported")
        if tensors and all(v.name is None for v in tensors) and not _attr_arrays_live(gb, s):
            # constant folding: the recorded result is the value
            gb.bind(s.out, Value(const=np.array(s.out._array, copy=True),
                                 shape=s.out.shape, dyn=dyn))
            return
        fn = getattr(self, "op_" + s.name, None)
        if fn is None:
            if s.name in _UNARY:
                fn = self.unary
            elif s.name in _BINARY:
                fn = self.binary
            else:
                raise self.unsupported(s)
        self.cur = s
        name = fn(s, ins, dyn)
        gb.bind(s.out, Value(name=name, shape=s.out.shape, dyn=dyn))

    def bind_result(self, t, name, t_b):
        """Name graph value ``name`` as Tensor ``t`` (``t_b``: its twin in trace B, or None)."""
        dyn = _dyn(tuple(t.shape), None if t_b is None else tuple(t_b.shape))
        self.gb.bind(t, Value(name=name, shape=t.shape, dyn=dyn))

    def unsupported(self, s, why=None):
        what = why or "it has no ONNX mapping in ember.onnx"
        return UnsupportedOperatorError(
            f"ember.onnx.export: cannot export op '{s.name}'{self.where(s)}: {what}")

    # -- helpers ------------------------------------------------------------------------------
    def inp(self, s, ins, j, like=None):
        """Name of input ``j``: a tensor (cast to what the kernel saw) or a scalar constant with
        the dtype of the array ``like``."""
        gb = self.gb
        v = ins[j]
        if isinstance(v, Value):
            name = gb.name_of(v, self.hint(s.inputs[j]), self.where(s))
            seen = s.arrays[j] if j < len(s.arrays) else None
            if isinstance(seen, np.ndarray) and seen.dtype != s.inputs[j]._array.dtype:
                name = gb.node("Cast", [name], to=_tensor_type(gb.onnx, seen.dtype))
            return name
        if v is None:
            return ""
        dt = like.dtype if like is not None else np.asarray(v).dtype
        return gb.init(np.asarray(v, dtype=dt), "scalar")

    def hint(self, t):
        n = self.gb.param_names.get(id(t))
        return n if n is not None else "const"

    def array_of(self, s, j):
        a = s.arrays[j] if j < len(s.arrays) else None
        if isinstance(a, np.ndarray):
            return a
        for x in s.arrays:
            if isinstance(x, np.ndarray):
                return x
        return s.out._array

    def reshape_target(self, in_shape, in_dyn, out_shape, out_dyn):
        tgt, infer = [], False
        for i, (n, d) in enumerate(zip(out_shape, out_dyn)):
            if not d:
                tgt.append(n)
            elif i < len(in_shape) and in_dyn[i] and in_shape[i] == n:
                tgt.append(0)
            elif not infer:
                tgt.append(-1)
                infer = True
            else:
                raise self.unsupported(self.cur, f"reshape to {list(out_shape)} mixes several "
                                       f"dynamic dimensions")
        return tgt

    def reshape(self, x, v, shape, dyn):
        return self.gb.node("Reshape", [x, self.gb.ints(self.reshape_target(
            v.shape, v.dyn, shape, dyn))])

    def axes_input(self, axes):
        return self.gb.ints(axes, "axes")

    # -- elementwise ----------------------------------------------------------------------------
    def unary(self, s, ins, dyn):
        return self.gb.node(_UNARY[s.name], [self.inp(s, ins, 0)])

    def binary(self, s, ins, dyn):
        if s.attrs and set(s.attrs) - {"alpha"}:
            raise self.unsupported(s, f"attributes {sorted(s.attrs)} are not supported")
        like = self.array_of(s, 0)
        a = self.inp(s, ins, 0, like)
        b = self.inp(s, ins, 1, like)
        alpha = s.attrs.get("alpha", 1)
        if alpha != 1:
            b = self.gb.node("Mul", [b, self.inp(s, [alpha], 0, like)])
        return self.gb.node(_BINARY[s.name], [a, b])

    def op_ne(self, s, ins, dyn):
        like = self.array_of(s, 0)
        eq = self.gb.node("Equal", [self.inp(s, ins, 0, like), self.inp(s, ins, 1, like)])
        return self.gb.node("Not", [eq])

    def op_where(self, s, ins, dyn):
        like = self.array_of(s, 1)
        return self.gb.node("Where", [self.inp(s, ins, 0), self.inp(s, ins, 1, like),
                                      self.inp(s, ins, 2, like)])

    def op_masked_fill(self, s, ins, dyn):
        x = self.inp(s, ins, 0)
        fill = self.gb.init(np.asarray(s.attrs["value"], dtype=s.out._array.dtype), "fill")
        return self.gb.node("Where", [self.inp(s, ins, 1), fill, x])

    def op_rsqrt(self, s, ins, dyn):
        return self.gb.node("Reciprocal", [self.gb.node("Sqrt", [self.inp(s, ins, 0)])])

    def op_clamp(self, s, ins, dyn):
        dt = s.out._array.dtype
        lo, hi = s.attrs.get("lo"), s.attrs.get("hi")
        names = [self.inp(s, ins, 0),
                 "" if lo is None else self.gb.init(np.asarray(lo, dtype=dt), "min"),
                 "" if hi is None else self.gb.init(np.asarray(hi, dtype=dt), "max")]
        while names[-1] == "":
            names.pop()
        return self.gb.node("Clip", names)

    def op_leaky_relu(self, s, ins, dyn):
        return self.gb.node("LeakyRelu", [self.inp(s, ins, 0)], alpha=float(s.attrs["slope"]))

    def op_elu(self, s, ins, dyn):
        a = s.attrs
        if a.get("scale", 1.0) != 1.0 or a.get("input_scale", 1.0) != 1.0:
            raise self.unsupported(s, "only plain ELU (scale=1, input_scale=1) is mapped")
        return self.gb.node("Elu", [self.inp(s, ins, 0)], alpha=float(a.get("alpha", 1.0)))

    def op_silu(self, s, ins, dyn):
        x = self.inp(s, ins, 0)
        return self.gb.node("Mul", [x, self.gb.node("Sigmoid", [x])])

    def op_gelu(self, s, ins, dyn):
        gb = self.gb
        x = self.inp(s, ins, 0)
        dt = s.out._array.dtype

        def c(v):
            return gb.init(np.asarray(v, dtype=dt), "gelu_c")
        if s.attrs.get("approximate", "none") == "tanh":
            # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            x3 = gb.node("Mul", [gb.node("Mul", [x, x]), x])
            inner = gb.node("Mul", [gb.node("Add", [x, gb.node("Mul", [x3, c(0.044715)])]),
                                    c(np.sqrt(2.0 / np.pi))])
            t = gb.node("Add", [gb.node("Tanh", [inner]), c(1.0)])
        else:
            t = gb.node("Add", [gb.node("Erf", [gb.node("Mul", [x, c(1 / np.sqrt(2.0))])]),
                                c(1.0)])
        return gb.node("Mul", [gb.node("Mul", [x, t]), c(0.5)])

    # -- softmax, attention, normalization -------------------------------------------------------
    def op_softmax(self, s, ins, dyn):
        return self.gb.node("Softmax", [self.inp(s, ins, 0)], axis=int(s.attrs["dim"]))

    def op_log_softmax(self, s, ins, dyn):
        return self.gb.node("LogSoftmax", [self.inp(s, ins, 0)], axis=int(s.attrs["dim"]))

    def op_attention_softmax(self, s, ins, dyn):
        gb = self.gb
        like = self.array_of(s, 0)
        x = self.inp(s, ins, 0)
        scale = s.attrs.get("scale", 1.0)
        if scale != 1.0:
            x = gb.node("Mul", [x, self.inp(s, [scale], 0, like)])
        if ins[1] is not None:
            m = self.inp(s, ins, 1)
            if s.arrays[1].dtype == np.bool_:
                x = gb.node("Where", [m, x, gb.init(np.asarray(-np.inf, like.dtype), "neg_inf")])
            else:
                x = gb.node("Add", [x, m])
        return gb.node("Softmax", [x], axis=-1)

    def op_native_norm(self, s, ins, dyn):
        gb = self.gb
        v = ins[0]
        x = self.inp(s, ins, 0)
        n = len(v.shape)
        axes = tuple(a % n for a in s.attrs["axes"])
        eps = float(s.attrs["eps"])
        k = len(axes)
        if axes == tuple(range(n - k, n)) and not any(v.dyn[n - k:]):
            ones = np.ones(v.shape[n - k:], dtype=s.out._array.dtype)
            return gb.node("LayerNormalization", [x, gb.init(ones, "ln_scale")], axis=n - k,
                           epsilon=eps)
        mu = self.reduce("ReduceMean", x, axes, True)
        xc = gb.node("Sub", [x, mu])
        var = self.reduce("ReduceMean", gb.node("Mul", [xc, xc]), axes, True)
        e = gb.init(np.asarray(eps, dtype=s.out._array.dtype), "eps")
        return gb.node("Div", [xc, gb.node("Sqrt", [gb.node("Add", [var, e])])])

    def op_native_layer_norm(self, s, ins, dyn):
        # layer norm with its affine, over the last len(weight.shape) axes (opset 17+)
        names = [self.inp(s, ins, 0), self.inp(s, ins, 1)]
        if ins[2] is not None:
            names.append(self.inp(s, ins, 2))
        n = len(ins[0].shape)
        return self.gb.node("LayerNormalization", names, axis=n - len(ins[1].shape),
                            epsilon=float(s.attrs["eps"]))

    # -- reductions -------------------------------------------------------------------------------
    def reduce(self, op_type, x, axes, keepdims):
        kd = int(bool(keepdims))
        if axes is None:
            return self.gb.node(op_type, [x], keepdims=kd)
        if op_type == "ReduceSum" or self.gb.opset >= 18:
            return self.gb.node(op_type, [x, self.axes_input(axes)], keepdims=kd)
        return self.gb.node(op_type, [x], axes=list(axes), keepdims=kd)

    def _reduction(self, op_type, s, ins):
        dim = s.attrs.get("dim")
        if isinstance(dim, int):
            dim = (dim,)
        extra = set(s.attrs) - {"dim", "keepdim", "n", "dtype"}
        if extra:
            raise self.unsupported(s, f"attributes {sorted(extra)} are not supported")
        return self.reduce(op_type, self.inp(s, ins, 0), dim, s.attrs.get("keepdim", False))

    def op_sum(self, s, ins, dyn):
        return self._reduction("ReduceSum", s, ins)

    def op_mean(self, s, ins, dyn):
        return self._reduction("ReduceMean", s, ins)

    def op_amax(self, s, ins, dyn):
        return self._reduction("ReduceMax", s, ins)

    def op_amin(self, s, ins, dyn):
        return self._reduction("ReduceMin", s, ins)

    # -- linear algebra, convolution, pooling, embedding -----------------------------------------
    def op_linear(self, s, ins, dyn):
        gb = self.gb
        x = self.inp(s, ins, 0)
        w = ins[1]
        has_b = len(ins) > 2 and ins[2] is not None
        if len(ins[0].shape) == 2 and has_b:
            return gb.node("Gemm", [x, self.inp(s, ins, 1), self.inp(s, ins, 2)], transB=1)
        if w.name is None and not any(w.dyn):
            wt = gb.init(np.ascontiguousarray(w.const.T), self.hint(s.inputs[1]) + ".T")
        else:
            wt = gb.node("Transpose", [self.inp(s, ins, 1)], perm=[1, 0])
        y = gb.node("MatMul", [x, wt])
        return gb.node("Add", [y, self.inp(s, ins, 2)]) if has_b else y

    def op_convolution(self, s, ins, dyn):
        a = s.attrs
        pads = []
        for p in a["padding"]:
            pads.append(p if isinstance(p, int) else p[0])
        ends = [p if isinstance(p, int) else p[1] for p in a["padding"]]
        names = [self.inp(s, ins, 0), self.inp(s, ins, 1)]
        if len(ins) > 2 and ins[2] is not None:
            names.append(self.inp(s, ins, 2))
        return self.gb.node("Conv", names, kernel_shape=list(ins[1].shape[2:]),
                            strides=list(a["stride"]), pads=pads + ends,
                            dilations=list(a["dilation"]), group=int(a["groups"]))

    def op_max_pool_window(self, s, ins, dyn):
        k = list(s.attrs["k"])
        return self.gb.node("MaxPool", [self.inp(s, ins, 0)], kernel_shape=k, strides=k)

    def op_embedding(self, s, ins, dyn):
        gb = self.gb
        idx = s.attrs["index"]
        v = gb.by_array.get(id(idx))
        if v is None:
            # F.embedding copies its index to int64: find the graph value it was copied from
            v = next((val for arr, val in reversed(gb.live_ints)
                      if arr.shape == idx.shape and np.array_equal(arr, idx)), None)
            if v is not None and s.attrs.get("rows") is not None:
                raise self.unsupported(s, "padding_idx present in the index is not supported")
        if v is None:
            v = Value(const=idx, shape=idx.shape)
        elif v.name is not None:
            name = v.name
            if gb.by_array.get(id(idx)) is not v or idx.dtype != np.int64:
                name = gb.node("Cast", [name], to=_tensor_type(gb.onnx, np.int64))
            return gb.node("Gather", [self.inp(s, ins, 0), name], axis=0)
        return gb.node("Gather", [self.inp(s, ins, 0), gb.name_of(v, "index", self.where(s))],
                       axis=0)

    # -- views and shape ops ---------------------------------------------------------------------
    def op_view(self, s, ins, dyn):
        return self.reshape(self.inp(s, ins, 0), ins[0], tuple(s.out.shape), dyn)

    # squeezes and flattens are reshapes to the recorded shape
    op_reshape_copy = op_squeeze_dim = op_squeeze = op_flatten = op_view

    def op_unsqueeze(self, s, ins, dyn):
        return self.gb.node("Unsqueeze", [self.inp(s, ins, 0),
                                          self.axes_input([int(s.attrs["dim"])])])

    def op_permute(self, s, ins, dyn):
        n = len(ins[0].shape)
        return self.gb.node("Transpose", [self.inp(s, ins, 0)],
                            perm=[d % n for d in s.attrs["dims"]])

    def op_transpose(self, s, ins, dyn):
        n = len(ins[0].shape)
        perm = list(range(n))
        d0, d1 = s.attrs["dim0"] % n, s.attrs["dim1"] % n
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return self.gb.node("Transpose", [self.inp(s, ins, 0)], perm=perm)

    def op_expand(self, s, ins, dyn):
        v = ins[0]
        shape = []
        lead = len(s.out.shape) - len(v.shape)
        for i, (n, d) in enumerate(zip(s.out.shape, dyn)):
            if not d:
                shape.append(n)
            elif i >= lead and v.dyn[i - lead]:
                shape.append(1)         # Expand keeps the input's own size there
            else:
                raise self.unsupported(s, "expanding to a size that follows a dynamic axis")
        return self.gb.node("Expand", [self.inp(s, ins, 0), self.gb.ints(shape)])

    def op_cat(self, s, ins, dyn):
        n = len(s.out.shape)
        names = [self.inp(s, ins, j) for j in range(len(ins))]
        return self.gb.node("Concat", names, axis=int(s.attrs["dim"]) % n)

    def op_select(self, s, ins, dyn):
        return self.index(s, ins)

    op_slice = op_select

    def index(self, s, ins):
        gb = self.gb
        v = ins[0]
        x = self.inp(s, ins, 0)
        idx = s.attrs["index"]
        if not isinstance(idx, tuple):
            idx = (idx,)
        n = len(v.shape)
        used = sum(1 for e in idx if e is not None and e is not Ellipsis)
        full = []
        for e in idx:
            if e is Ellipsis:
                full.extend([slice(None)] * (n - used))
            else:
                full.append(e)
        if Ellipsis not in idx:
            full.extend([slice(None)] * (n - used))
        starts, ends, axes, steps, picks, news = [], [], [], [], [], []
        axis = 0
        for e in full:
            if e is None:
                news.append(axis)
                continue
            if isinstance(e, slice):
                if e != slice(None) and e != slice(None, None, 1):
                    starts.append(0 if e.start is None else e.start)
                    ends.append(_INT64_MAX if e.stop is None else e.stop)
                    steps.append(1 if e.step is None else e.step)
                    axes.append(axis)
            elif isinstance(e, (int, np.integer)):
                picks.append((axis, int(e)))
            else:
                raise self.unsupported(s, f"index element {e!r} is not supported")
            axis += 1
        if news:
            raise self.unsupported(s, "indexing with None is not supported")
        if axes:
            x = gb.node("Slice", [x, gb.ints(starts, "starts"), gb.ints(ends, "ends"),
                                  gb.ints(axes, "axes"), gb.ints(steps, "steps")])
        for ax, i in reversed(picks):
            x = gb.node("Gather", [x, gb.init(np.asarray(i, dtype=np.int64), "index")],
                        axis=ax)
        if not axes and not picks:
            x = gb.node("Identity", [x])
        return x


def _attr_arrays_live(gb, s):
    """Whether an array attribute of the step comes from a graph value (embedding's index)."""
    if s.name == "embedding":
        idx = s.attrs["index"]
        return any(arr.shape == idx.shape and np.array_equal(arr, idx)
                   for arr, _ in gb.live_ints) or id(idx) in gb.by_array
    return False


def _tensor_type(onnx, dtype):
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
