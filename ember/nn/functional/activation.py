"""nn.functional activations, softmax family and distances: torch's signatures and argument
checks, then one call into ops/ (ops/activation_ops.py holds the fused kernels and rules)."""
import warnings

import numpy as np

from ..._errors import EmberRuntimeError
from ..._state import state
from ...ops import activation_ops as _act
from ...ops import dispatch
from ...ops.elementwise import _HARDTANH, _LEAKY, _THRESH
from ...ops.nn_ops import log_softmax as _log_softmax, softmax as _softmax
from ...ops.registry import OPS
from ...tensor import _wrap_dim

__all__ = [
    "threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "elu", "elu_",
    "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_",
    "glu", "gelu", "logsigmoid", "hardshrink", "tanhshrink", "softsign", "softplus", "softmin",
    "softmax", "softshrink", "gumbel_softmax", "log_softmax", "tanh", "sigmoid", "hardsigmoid",
    "silu", "mish", "hardswish", "one_hot", "normalize", "cosine_similarity", "pairwise_distance",
    "pdist",
]

_run = _act._run


# --- ReLU family -------------------------------------------------------------------------------
def threshold(input, threshold, value, inplace=False):
    """threshold(input, threshold, value, inplace=False) -> Tensor: x where x > threshold, else
    value.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.threshold(x, 0.1, 20.)
        tensor([20.0000, 20.0000, 20.0000,  1.5000])
    """
    return _run(_THRESH, input, inplace, {"threshold": threshold, "value": value})


def threshold_(input, threshold, value):
    """threshold_(input, threshold, value) -> Tensor: in-place threshold.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.threshold_(x, 0.1, 20.)
        >>> x
        tensor([20.0000, 20.0000, 20.0000,  1.5000])
    """
    return _run(_THRESH, input, True, {"threshold": threshold, "value": value})


def relu(input, inplace=False):
    """relu(input, inplace=False) -> Tensor: max(x, 0).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.relu(x)
        tensor([0.0000, 0.0000, 0.0000, 1.5000])
    """
    if inplace:
        return dispatch.apply_inplace(OPS["relu"], input)
    return dispatch.unary(OPS["relu"], input)


def relu_(input):
    """relu_(input) -> Tensor: in-place relu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.relu_(x)
        >>> x
        tensor([0.0000, 0.0000, 0.0000, 1.5000])
    """
    return dispatch.apply_inplace(OPS["relu"], input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor: clamp to
    [min_val, max_val] (gradient 1 strictly inside, 0 elsewhere).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.hardtanh(x)
        tensor([-1.0000, -0.5000,  0.0000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(_HARDTANH, input, inplace, {"lo": min_val, "hi": max_val})


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh_(input, min_val=-1., max_val=1.) -> Tensor: in-place hardtanh.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.hardtanh_(x)
        >>> x
        tensor([-1.0000, -0.5000,  0.0000,  1.0000])
    """
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """relu6(input, inplace=False) -> Tensor: min(max(0, x), 6).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.relu6(x * 5)
        tensor([0., 0., 0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    """elu(input, alpha=1.0, inplace=False) -> Tensor: x if x > 0 else alpha * (exp(x) - 1).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.elu(x)
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """
    return _act.elu(input, alpha, inplace)


def elu_(input, alpha=1.0):
    """elu_(input, alpha=1.) -> Tensor: in-place elu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.elu_(x)
        >>> x
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """
    return _act.elu(input, alpha, True)


def selu(input, inplace=False):
    """selu(input, inplace=False) -> Tensor: scale * elu(x, alpha) with scale = 1.0507...,
    alpha = 1.6732... (self-normalizing).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.selu(x)
        tensor([-1.5202, -0.6918,  0.0000,  1.5761])
    """
    return _act.selu(input, inplace)


def selu_(input):
    """selu_(input) -> Tensor: in-place selu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.selu_(x)
        >>> x
        tensor([-1.5202, -0.6918,  0.0000,  1.5761])
    """
    return _act.selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """celu(input, alpha=1., inplace=False) -> Tensor:
    max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.celu(x)
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """
    return _act.celu(input, alpha, inplace)


def celu_(input, alpha=1.0):
    """celu_(input, alpha=1.) -> Tensor: in-place celu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.celu_(x)
        >>> x
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """
    return _act.celu(input, alpha, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor:
    x if x > 0 else negative_slope * x.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.leaky_relu(x, 0.1)
        tensor([-0.2000, -0.0500,  0.0000,  1.5000])
    """
    return _run(_LEAKY, input, inplace, {"slope": negative_slope})


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu_(input, negative_slope=0.01) -> Tensor: in-place leaky_relu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.leaky_relu_(x, 0.1)
        >>> x
        tensor([-0.2000, -0.0500,  0.0000,  1.5000])
    """
    return _run(_LEAKY, input, True, {"slope": negative_slope})


def prelu(input, weight):
    """prelu(input, weight) -> Tensor: x if x > 0 else weight * x; ``weight`` has one element
    or one per channel (dimension 1 of the input).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.prelu(x, torch.tensor([0.25]))
        tensor([-0.5000, -0.1250,  0.0000,  1.5000])
    """
    return _act.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """rrelu(input, lower=1./8, upper=1./3, training=False, inplace=False) -> Tensor:
    randomized leaky ReLU (slopes from U(lower, upper) in training, their mean otherwise).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.rrelu(x, training=False)
        tensor([-0.4583, -0.1146,  0.0000,  1.5000])
    """
    return _act.rrelu(input, lower, upper, training, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu_(input, lower=1./8, upper=1./3, training=False) -> Tensor: in-place rrelu.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> _ = F.rrelu_(x, training=False)
        >>> x
        tensor([-0.4583, -0.1146,  0.0000,  1.5000])
    """
    return _act.rrelu(input, lower, upper, training, True)


# --- smooth activations --------------------------------------------------------------------------
def gelu(input, approximate="none"):
    """gelu(input, approximate='none') -> Tensor: x * Phi(x) (Phi the standard normal CDF), or
    with approximate='tanh' 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.gelu(x)
        tensor([-0.0455, -0.1543,  0.0000,  1.3998])
    """
    if approximate not in ("none", "tanh"):
        raise EmberRuntimeError("approximate argument must be either none or tanh.")
    if input._edge is not None and state.grad_enabled and approximate == "none" \
            and input._array.dtype == np.float32:
        # the forward hands Φ(-|x|) to the rule (Note [Fast float32 GELU])
        return dispatch.unary(_act.GELU, input, approximate=approximate,
                              saved=_act.SavedTail())
    return dispatch.unary(_act.GELU, input, approximate=approximate)


def silu(input, inplace=False):
    """silu(input, inplace=False) -> Tensor: x * sigmoid(x).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.silu(x)
        tensor([-0.2384, -0.1888,  0.0000,  1.2264])
    """
    return _run(_act.SILU, input, inplace, None)


def mish(input, inplace=False):
    """mish(input, inplace=False) -> Tensor: x * tanh(softplus(x)).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.mish(x)
        tensor([-0.2525, -0.2207,  0.0000,  1.4034])
    """
    return _run(_act.MISH, input, inplace, None)


def logsigmoid(input):
    """logsigmoid(input) -> Tensor: log(1 / (1 + exp(-x))), computed without overflow.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.logsigmoid(x)
        tensor([-2.1269, -0.9741, -0.6931, -0.2014])
    """
    return dispatch.unary(_act.LOG_SIGMOID, input)


def softplus(input, beta=1.0, threshold=20.0):
    """softplus(input, beta=1, threshold=20) -> Tensor: log(1 + exp(beta x)) / beta, and x
    where beta x > threshold.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.softplus(x)
        tensor([0.1269, 0.4741, 0.6931, 1.7014])
    """
    return dispatch.unary(_act.SOFTPLUS, input, beta=beta, threshold=threshold)


def sigmoid(input):
    """sigmoid(input) -> Tensor: 1 / (1 + exp(-x)).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.sigmoid(x)
        tensor([0.1192, 0.3775, 0.5000, 0.8176])
    """
    return dispatch.unary(OPS["sigmoid"], input)


def tanh(input):
    """tanh(input) -> Tensor.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.tanh(x)
        tensor([-0.9640, -0.4621,  0.0000,  0.9051])
    """
    return dispatch.unary(OPS["tanh"], input)


def hardsigmoid(input, inplace=False):
    """hardsigmoid(input, inplace=False) -> Tensor: relu6(x + 3) / 6.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.hardsigmoid(x)
        tensor([0.1667, 0.4167, 0.5000, 0.7500])
    """
    return _run(_act.HARDSIGMOID, input, inplace, None)


def hardswish(input, inplace=False):
    """hardswish(input, inplace=False) -> Tensor: x * relu6(x + 3) / 6.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.hardswish(x)
        tensor([-0.3333, -0.2083,  0.0000,  1.1250])
    """
    return _run(_act.HARDSWISH, input, inplace, None)


def softsign(input):
    """softsign(input) -> Tensor: x / (1 + |x|).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.softsign(x)
        tensor([-0.6667, -0.3333,  0.0000,  0.6000])
    """
    return dispatch.unary(_act.SOFTSIGN, input)


def tanhshrink(input):
    """tanhshrink(input) -> Tensor: x - tanh(x).

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.tanhshrink(x)
        tensor([-1.0360, -0.0379,  0.0000,  0.5949])
    """
    return dispatch.unary(_act.TANHSHRINK, input)


def softshrink(input, lambd=0.5):
    """softshrink(input, lambd=0.5) -> Tensor: x - lambd above lambd, x + lambd below -lambd,
    0 between.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.softshrink(x)
        tensor([-1.5000,  0.0000,  0.0000,  1.0000])
    """
    if lambd < 0:
        big = np.finfo(input._array.dtype).max if input._array.dtype.kind == "f" else np.inf
        raise EmberRuntimeError(f"lambda must be in range [0, {big:g}] for input dtype "
                                f"{input.dtype.scalar_name}, but found {lambd}")
    return dispatch.unary(_act.SOFTSHRINK, input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    """hardshrink(input, lambd=0.5) -> Tensor: 0 on [-lambd, lambd], x elsewhere.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> F.hardshrink(x)
        tensor([-2.0000,  0.0000,  0.0000,  1.5000])
    """
    return _act.hardshrink(input, lambd)


def glu(input, dim=-1):
    """glu(input, dim=-1) -> Tensor: a * sigmoid(b), where a and b are the two halves of
    ``input`` along ``dim``.

    Example::

        >>> F.glu(torch.tensor([[1., 2., 0., 100.]]))
        tensor([[0.5000, 2.0000]])
    """
    if input.ndim == 0:
        raise EmberRuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise EmberRuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    h = n // 2
    return input.narrow(d, 0, h) * input.narrow(d, h, h).sigmoid()


# --- softmax family ------------------------------------------------------------------------------
def _softmax_dim(name, input, dim, stacklevel):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
        return 0 if input.ndim in (0, 1, 3) else 1
    return dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(input, dim=None, dtype=None) -> Tensor: exp(x) / sum(exp(x)) along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> F.softmax(x, dim=1)
        tensor([[0.0900, 0.2447, 0.6652],
                [0.3333, 0.3333, 0.3333]])
    """
    return _softmax(input, _softmax_dim("softmax", input, dim, _stacklevel), dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(input, dim=None, dtype=None) -> Tensor: softmax(-x) along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> F.softmin(x, dim=1)
        tensor([[0.6652, 0.2447, 0.0900],
                [0.3333, 0.3333, 0.3333]])
    """
    dim = _softmax_dim("softmin", input, dim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log_softmax(input, dim=None, dtype=None) -> Tensor: x - logsumexp(x) along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> F.log_softmax(x, dim=1)
        tensor([[-2.4076, -1.4076, -0.4076],
                [-1.0986, -1.0986, -1.0986]])
    """
    return _log_softmax(input, _softmax_dim("log_softmax", input, dim, _stacklevel), dtype)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """gumbel_softmax(logits, tau=1, hard=False, dim=-1) -> Tensor: a sample from the
    Gumbel-softmax distribution; with hard=True a one-hot sample whose gradient is the soft
    sample's (straight-through).

    Example::

        >>> y = F.gumbel_softmax(torch.zeros(2, 3), tau=0.5, hard=True)
        >>> y.sum(dim=1), set(y.flatten().tolist())
        (tensor([1., 1.]), {0.0, 1.0})
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from ...ops.random import _rng
    from ...tensor import wrap
    a = logits._array
    gumbels = wrap(-np.log(_rng(None).exponential(1.0, a.shape)).astype(a.dtype))
    y_soft = _softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = _wrap_dim(dim, logits.ndim)
    idx = np.expand_dims(np.argmax(y_soft._array, axis=d), d)
    hard_arr = np.zeros(a.shape, dtype=y_soft._array.dtype)
    np.put_along_axis(hard_arr, idx, 1, axis=d)
    return wrap(hard_arr) - y_soft.detach() + y_soft


# --- one_hot, normalize, distances ---------------------------------------------------------------
def one_hot(tensor, num_classes=-1):
    """one_hot(tensor, num_classes=-1) -> LongTensor: shape ``tensor.shape + (num_classes,)``
    with a 1 at each index (num_classes=-1 infers max + 1).

    Example::

        >>> F.one_hot(torch.tensor([0, 2, 1]), num_classes=3)
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0]])
    """
    from ...tensor import wrap
    a = tensor._array
    if a.dtype != np.int64:
        raise EmberRuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise EmberRuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise EmberRuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise EmberRuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise EmberRuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), dtype=np.int64)
    if a.size:
        np.put_along_axis(out, a[..., None], 1, axis=-1)
    return wrap(out)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """normalize(input, p=2.0, dim=1, eps=1e-12, out=None) -> Tensor:
    x / max(||x||_p, eps) along ``dim``.

    Example::

        >>> F.normalize(torch.tensor([[3., 4.], [0., 2.]]), dim=1)
        tensor([[0.6000, 0.8000],
                [0.0000, 1.0000]])
    """
    res = input / input.norm(p, dim, keepdim=True).clamp_min(eps)
    if out is None:
        return res
    from ...ops._public import write_out
    return write_out(res, out)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor: sum(x1 * x2) / (||x1|| ||x2||)
    along ``dim``, each norm clamped to at least eps (broadcasting x1 against x2).

    Example::

        >>> F.cosine_similarity(torch.tensor([[1., 0.]]), torch.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    return _act.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor: the p-norm of
    x1 - x2 + eps over the last dimension.

    Example::

        >>> F.pairwise_distance(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.]]))
        tensor([5.0000])
    """
    return _act.pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p=2):
    """pdist(input, p=2) -> Tensor: the p-norm distance between every pair of rows of an
    ``(N, M)`` input, as the ``N * (N - 1) / 2`` entries above the diagonal of the distance
    matrix, row by row.

    Example::

        >>> F.pdist(torch.tensor([[0., 0.], [3., 4.], [6., 8.]]))
        tensor([ 5., 10.,  5.])
    """
    if input.ndim != 2:
        raise EmberRuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.is_floating_point():
        raise EmberRuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise EmberRuntimeError("pdist only supports non-negative p values")
    from ...linalg import vector_norm
    from ...tensor import wrap
    i, j = np.triu_indices(input.shape[0], 1)
    diff = input[wrap(i)] - input[wrap(j)]
    if p != float("inf"):
        return vector_norm(diff, p, -1)
    # torch's pdist hands every entry tied for the max the full gradient (the inf-norm's own
    # rule splits it): value from the max, gradient through each tied |diff|
    ad = diff.abs()
    top = ad.detach().amax(-1, keepdim=True)
    tied = (ad.detach() == top).to(ad.dtype)
    return top.squeeze(-1) + ((ad - ad.detach()) * tied).sum(-1)
