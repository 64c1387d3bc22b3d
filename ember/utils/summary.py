"""summary(model, input): a layer-by-layer table of a model (output shapes, parameter counts,
trainable or frozen, memory estimates), the table torchinfo and Keras print and PyTorch users
ask for. One forward pass under no_grad with forward hooks on every submodule records it."""

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["ModelSummary", "summary"]

_MB = 1e6       # torchinfo and Keras report decimal megabytes


class _Row:
    __slots__ = ("depth", "module", "name", "nbytes", "params", "shapes", "trainable", "type")

    def __init__(self, name, module, depth):
        self.name, self.module, self.depth = name, module, depth
        self.type = type(module).__name__
        self.shapes = []          # of the output's tensors (only shapes: no output is kept)
        self.nbytes = 0


class ModelSummary:
    """What ``summary()`` measured; ``str()`` is the table.

    Attributes: ``rows`` (one per module call, in call order: ``name``, ``type``, ``depth``,
    output ``shapes`` and ``nbytes``, own ``params`` and ``trainable`` counts), ``total_params``,
    ``trainable_params``, ``non_trainable_params``, ``input_bytes``, ``output_bytes`` (outputs of
    the leaf modules), ``param_bytes``, ``depth``. A row's Memory is its output plus its own
    parameters (its whole subtree's when it stands for hidden deeper rows)."""

    def __init__(self, model, rows, inputs, depth):
        self.rows = rows
        self.depth = depth
        seen = set()
        total = trainable = param_bytes = 0
        for p in model.parameters():
            if id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            total += n
            param_bytes += p._array.nbytes
            if p.requires_grad:
                trainable += n
        self.total_params = total
        self.trainable_params = trainable
        self.non_trainable_params = total - trainable
        self.param_bytes = param_bytes
        self.input_bytes = sum(t._array.nbytes for t in _tensors(inputs))
        self.output_bytes = sum(r.nbytes for r in rows if not r.module._modules)

    @property
    def forward_backward_bytes(self):
        """Outputs of the leaf modules, twice: the activations kept for backward and their
        gradients (torchinfo's estimate)."""
        return 2 * self.output_bytes

    @property
    def total_bytes(self):
        return self.input_bytes + self.forward_backward_bytes + self.param_bytes

    def _cells(self):
        out = []
        for r in self.rows:
            if r.depth > self.depth:
                continue
            label = r.type if r.depth == 0 else "  " * r.depth + f"{r.name} ({r.type})"
            params, trainable = r.params, r.trainable
            if r.depth == self.depth and r.module._modules:
                # deeper rows are hidden: this one stands for its whole subtree
                params, trainable = _count(r.module, recurse=True)
            mem = r.nbytes + _count_bytes(r.module, recurse=r.depth == self.depth)
            if params == 0:
                pcell = tcell = "--"
            else:
                pcell = f"{params:,}"
                tcell = ("True" if trainable == params else "False" if trainable == 0
                         else "Partial")
            shapes = ", ".join(str(s) for s in r.shapes) if r.shapes else "--"
            out.append((label, shapes, pcell, tcell, _human(mem)))
        return out

    def __str__(self):
        head = ("Layer (type)", "Output Shape", "Param #", "Trainable", "Memory")
        cells = self._cells()
        w = [max([len(head[i])] + [len(c[i]) for c in cells]) + 3 for i in range(5)]
        width = sum(w)

        def line(c):
            return (c[0].ljust(w[0]) + c[1].ljust(w[1]) + c[2].rjust(w[2] - 3) + "   "
                    + c[3].rjust(w[3] - 3) + "   " + c[4].rjust(w[4] - 3)).rstrip()
        rows = [line(c) for c in cells]
        return "\n".join(
            ["=" * width, line(head), "=" * width, *rows, "=" * width,
             f"Total params: {self.total_params:,}",
             f"Trainable params: {self.trainable_params:,}",
             f"Non-trainable params: {self.non_trainable_params:,}",
             "-" * width,
             f"Input size (MB): {self.input_bytes / _MB:.2f}",
             f"Forward/backward pass size (MB): {self.forward_backward_bytes / _MB:.2f}",
             f"Params size (MB): {self.param_bytes / _MB:.2f}",
             f"Estimated Total Size (MB): {self.total_bytes / _MB:.2f}",
             "=" * width])

    __repr__ = __str__


def _tensors(x):
    if isinstance(x, Tensor):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _tensors(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _tensors(v)


def _count(module, recurse=False):
    total = trainable = 0
    for p in module.parameters(recurse=recurse):
        n = p.numel()
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable


def _count_bytes(module, recurse=False):
    return sum(p._array.nbytes for p in module.parameters(recurse=recurse))


def _human(n):
    """Bytes in decimal units, as torchinfo reports them: '0 B', '2.56 KB', '1.20 MB'."""
    if n < 1e3:
        return f"{n} B"
    if n < 1e6:
        return f"{n / 1e3:.2f} KB"
    return f"{n / 1e6:.2f} MB"


def _make_inputs(input_size, dtypes, batch_dim):
    from .. import dtypes as _dt
    from ..ops.random import randn
    sizes = input_size
    if not sizes or isinstance(sizes[0], int):
        sizes = [sizes]
    dts = list(dtypes) if dtypes is not None else [None] * len(sizes)
    out = []
    for size, dt in zip(sizes, dts):
        size = list(size)
        if batch_dim is not None:
            size.insert(batch_dim, 1)
        dt = _dt.get_default_dtype() if dt is None else dt
        t = randn(*size)
        out.append(t if t.dtype is dt else t.to(dt))
    return out


def summary(model, input_size=None, input_data=None, batch_dim=None, depth=3, device=None,
            dtypes=None, mode=None, verbose=1, **kwargs):
    """summary(model, input_size=None, input_data=None, batch_dim=None, depth=3, device=None,
    dtypes=None, mode=None, verbose=1, **kwargs) -> ModelSummary: run ``model`` once on
    ``input_data`` (a tensor, or a list/tuple of the forward's positional arguments) or on
    random tensors of ``input_size`` (a shape, or a list of shapes), and tabulate each module
    call's output shape, its own parameter count and whether they train, then totals
    (trainable and frozen) and memory estimates. The second positional argument may also be
    the example input itself: ``summary(model, x)``.

    Args:
        batch_dim: where to insert a batch dimension of size 1 into ``input_size`` shapes.
        depth: deepest nesting level shown (deeper modules count in their parent's row).
        dtypes: one dtype per ``input_size`` shape (default dtype otherwise).
        mode: ``"train"`` or ``"eval"`` for the pass (restored afterwards); None keeps it.
        verbose: 0 returns silently, 1 (default) also prints the table.
        kwargs: passed to ``model.forward``.

    Example::

        >>> net = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU())
        >>> s = summary(net, ember.zeros(2, 4), verbose=0)
        >>> s.total_params, s.rows[-1].name, s.rows[-1].shapes
        (15, '1', [[2, 3]])
    """
    if isinstance(input_size, (Tensor, dict)) or (
            isinstance(input_size, (list, tuple)) and input_size
            and any(isinstance(v, Tensor) for v in input_size)):
        input_data, input_size = input_size, None
    if input_data is None:
        if input_size is None:
            raise ValueError("summary() needs input_data (an example input) or input_size "
                             "(its shape)")
        input_data = _make_inputs(input_size, dtypes, batch_dim)
    args = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    if isinstance(input_data, dict):
        args, kwargs = [], {**input_data, **kwargs}
    if device is not None:
        from ..device import check_device
        check_device(device)

    names = {}
    for name, m in model.named_modules(remove_duplicate=False):
        names.setdefault(id(m), name)
    rows, open_rows, handles = [], {}, []

    def pre(module, inputs):
        name = names.get(id(module), "")
        row = _Row(name, module, 0 if not name else name.count(".") + 1)
        row.params, row.trainable = _count(module)
        rows.append(row)
        open_rows.setdefault(id(module), []).append(row)

    def post(module, inputs, output):
        stack = open_rows.get(id(module))
        if stack:
            row = stack.pop()
            for t in _tensors(output):
                row.shapes.append(list(t._array.shape))
                row.nbytes += t._array.nbytes

    was_training = model.training
    try:
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        if mode is not None:
            if mode not in ("train", "eval"):
                raise ValueError(f"summary(): mode must be 'train', 'eval' or None, got {mode!r}")
            model.train(mode == "train")
        with no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
        if mode is not None:
            model.train(was_training)
    result = ModelSummary(model, rows, args, depth)
    if verbose:
        print(result)
    return result
