"""OpDef and the helpers that define an op together with its derivative.

An op is a kernel ``forward(m, *arrays, **attrs)`` over an array namespace ``m`` plus a derivative
rule. A rule is either one function returning a gradient per input, or a tuple of per-input
functions (``None`` for inputs that have no gradient), each called as ``rule(m, g, *kept, out,
**attrs)``: ``kept`` holds the inputs the op declared in ``keep`` (others arrive as ``None``) and
``out`` the output when ``"out"`` is kept. Gradients may come back broadcast: the engine sums them
to each input's shape and casts to its dtype.

The public side lives here too: ``public(...)`` records a function for the ``ember`` namespace
and, optionally, as a Tensor method, so an op family's file is the only file a new op touches.
"""

__all__ = ["OpDef", "op", "unary", "binary", "public", "OPS", "PUBLIC", "METHODS"]

OPS = {}        # op name -> OpDef
PUBLIC = {}     # name in the ember namespace -> function
METHODS = {}    # Tensor method name -> function(self, ...)


class OpDef:
    __slots__ = ("name", "kind", "forward", "grad", "keep_inputs", "keep_out", "keep_shapes",
                 "node_name", "dtype_rule", "per_input", "np_name", "keep_for")

    def __init__(self, name, forward, grad=None, *, keep="", kind="other", node_name=None,
                 dtype_rule="promote", np_name=None, keep_for=None):
        self.name = name
        self.kind = kind
        self.forward = forward
        self.grad = grad
        self.per_input = isinstance(grad, tuple)
        # keep: letters a, b, c… name positional inputs whose values backward needs; "out" the
        # output; "shape" means the rule gets input *shapes* (view ops: no version check).
        self.keep_out = "out" in keep
        letters = "".join(c for c in keep.replace("out", "").replace("shape", "") if c.isalpha())
        if letters == "all":      # variadic ops (einsum, cat): every input
            self.keep_inputs = tuple(range(256))
        else:
            self.keep_inputs = tuple(sorted(ord(ch) - ord("a") for ch in letters if ch.isalpha()))
        self.keep_shapes = "shape" in keep
        # keep_for: per input, the inputs its own rule reads (e.g. mul: ("b", "a")). The node then
        # keeps only what the inputs needing a gradient require; a table by bitmask of live edges.
        self.keep_for = None
        if keep_for is not None:
            need = [tuple(ord(c) - ord("a") for c in spec) for spec in keep_for]
            self.keep_for = tuple(
                tuple(sorted({j for i in range(len(need)) if mask >> i & 1 for j in need[i]}))
                for mask in range(1 << len(need)))
        base = "".join(p.capitalize() for p in name.strip("_").split("_"))
        self.node_name = node_name or f"{base}Backward0"
        self.dtype_rule = dtype_rule
        self.np_name = np_name

    def derivative(self, fn):
        """Decorator: attach ``fn`` as this op's derivative rule (defined right under the op)."""
        self.grad = fn
        self.per_input = isinstance(fn, tuple)
        return fn

    def __repr__(self):
        return f"<op {self.name}>"


def register(opdef):
    if opdef.name in OPS:
        raise ValueError(f"op {opdef.name!r} is defined twice")
    OPS[opdef.name] = opdef
    return opdef


def op(name, **kw):
    """Decorator form: ``@op("softmax", keep="out")`` on the forward kernel ``f(m, a, *, dim)``."""
    def wrap(forward):
        return register(OpDef(name, forward, **kw))
    return wrap


def _np_kernel(np_name, arity):
    # Resolved on the namespace at call time so a CuPy or tracing namespace can stand in.
    if arity == 1:
        def forward(m, a):
            return getattr(m, np_name)(a)
    else:
        def forward(m, a, b):
            return getattr(m, np_name)(a, b)
    forward.__name__ = np_name
    return forward


def unary(name, np_name, *, grad=None, keep="", dtype_rule="same", kernel=None, keep_for=None):
    """One table row for an elementwise unary op: torch name, NumPy function, kept values, rule."""
    return register(OpDef(name, kernel or _np_kernel(np_name, 1), grad, keep=keep,
                          kind="elementwise", dtype_rule=dtype_rule, np_name=np_name))


def binary(name, np_name, *, grad=None, keep="", dtype_rule="promote", kernel=None,
           keep_for=None):
    """One table row for an elementwise binary op; ``grad`` is a pair of per-input rules."""
    return register(OpDef(name, kernel or _np_kernel(np_name, 2), grad, keep=keep,
                          kind="elementwise", dtype_rule=dtype_rule, np_name=np_name,
                          keep_for=keep_for))


def public(*names, method=None, function=True):
    """Decorator: expose a function as ``ember.<name>`` and/or ``Tensor.<method>``.

    ``method=True`` binds it as a method under the same names; a string or tuple names the
    methods explicitly. The function's first parameter is the tensor (``input``/``self``)."""
    def wrap(fn):
        ns = names or (fn.__name__,)
        if function:
            for n in ns:
                PUBLIC[n] = fn
        ms = ns if method is True else ((method,) if isinstance(method, str) else (method or ()))
        for n in ms:
            METHODS[n] = fn
        return fn
    return wrap
