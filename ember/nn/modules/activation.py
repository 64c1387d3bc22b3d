"""Activation modules: hold torch's constructor arguments and extra_repr, call nn.functional."""
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU",
    "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU",
    "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin",
    "Softmax", "Softmax2d", "LogSoftmax", "CosineSimilarity", "PairwiseDistance",
]


def _inplace_suffix(inplace):
    return ", inplace=True" if inplace else ""


class _Inplace(Module):
    """An activation whose only option is ``inplace`` (shown in the repr when True)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Threshold(Module):
    """Threshold(threshold, value, inplace=False): x where x > threshold, else value.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Threshold(0.1, 20.)
        >>> m(x)
        tensor([20.0000, 20.0000, 20.0000,  1.5000])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class ReLU(_Inplace):
    """ReLU(inplace=False): max(x, 0).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.ReLU()
        >>> m(x)
        tensor([0.0000, 0.0000, 0.0000, 1.5000])
    """

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)


class RReLU(Module):
    """RReLU(lower=1/8, upper=1/3, inplace=False): leaky ReLU whose negative slope is drawn from
    U(lower, upper) per element in training, and is (lower + upper) / 2 in evaluation.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.RReLU().eval()
        >>> m(x)
        tensor([-0.4583, -0.1146,  0.0000,  1.5000])
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_suffix(self.inplace)}"


class Hardtanh(Module):
    """Hardtanh(min_val=-1.0, max_val=1.0, inplace=False): clamp to [min_val, max_val].

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Hardtanh()
        >>> m(x)
        tensor([-1.0000, -0.5000,  0.0000,  1.0000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            import warnings
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            import warnings
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if not self.max_val > self.min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                f"{_inplace_suffix(self.inplace)}")


class ReLU6(Hardtanh):
    """ReLU6(inplace=False): min(max(0, x), 6).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.ReLU6()
        >>> m(x)
        tensor([0.0000, 0.0000, 0.0000, 1.5000])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """Sigmoid(): 1 / (1 + exp(-x)).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Sigmoid()
        >>> m(x)
        tensor([0.1192, 0.3775, 0.5000, 0.8176])
    """

    def forward(self, input):
        return F.sigmoid(input)


class Hardsigmoid(Module):
    """Hardsigmoid(inplace=False): relu6(x + 3) / 6.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Hardsigmoid()
        >>> m(x)
        tensor([0.1667, 0.4167, 0.5000, 0.7500])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Tanh(Module):
    """Tanh(): tanh(x).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Tanh()
        >>> m(x)
        tensor([-0.9640, -0.4621,  0.0000,  0.9051])
    """

    def forward(self, input):
        return F.tanh(input)


class SiLU(_Inplace):
    """SiLU(inplace=False): x * sigmoid(x) (a.k.a. swish).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.SiLU()
        >>> m(x)
        tensor([-0.2384, -0.1888,  0.0000,  1.2264])
    """

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)


class Mish(_Inplace):
    """Mish(inplace=False): x * tanh(softplus(x)).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Mish()
        >>> m(x)
        tensor([-0.2525, -0.2207,  0.0000,  1.4034])
    """

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)


class Hardswish(Module):
    """Hardswish(inplace=False): x * relu6(x + 3) / 6.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Hardswish()
        >>> m(x)
        tensor([-0.3333, -0.2083,  0.0000,  1.1250])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class ELU(Module):
    """ELU(alpha=1.0, inplace=False): x if x > 0 else alpha * (exp(x) - 1).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.ELU()
        >>> m(x)
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class CELU(ELU):
    """CELU(alpha=1.0, inplace=False): max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.CELU()
        >>> m(x)
        tensor([-0.8647, -0.3935,  0.0000,  1.5000])
    """

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class SELU(_Inplace):
    """SELU(inplace=False): scale * elu(x, alpha), scale = 1.0507..., alpha = 1.6732...

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.SELU()
        >>> m(x)
        tensor([-1.5202, -0.6918,  0.0000,  1.5761])
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class GLU(Module):
    """GLU(dim=-1): a * sigmoid(b) for the halves a, b of the input along ``dim``.

    Shape:
        Input ``(*, 2 * M, *)`` (even size along ``dim``); output ``(*, M, *)``.

    Example::

        >>> m = nn.GLU()
        >>> m(torch.tensor([[1., 2., 0., 100.]]))
        tensor([[0.5000, 2.0000]])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """GELU(approximate='none'): x * Phi(x); approximate='tanh' uses the tanh approximation.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.GELU()
        >>> m(x)
        tensor([-0.0455, -0.1543,  0.0000,  1.3998])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """Hardshrink(lambd=0.5): 0 on [-lambd, lambd], x elsewhere.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Hardshrink()
        >>> m(x)
        tensor([-2.0000,  0.0000,  0.0000,  1.5000])
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class LeakyReLU(Module):
    """LeakyReLU(negative_slope=0.01, inplace=False): x if x > 0 else negative_slope * x.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.LeakyReLU(0.1)
        >>> m(x)
        tensor([-0.2000, -0.0500,  0.0000,  1.5000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class LogSigmoid(Module):
    """LogSigmoid(): log(sigmoid(x)).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.LogSigmoid()
        >>> m(x)
        tensor([-2.1269, -0.9741, -0.6931, -0.2014])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Softplus(Module):
    """Softplus(beta=1.0, threshold=20.0): log(1 + exp(beta x)) / beta (x above threshold).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Softplus()
        >>> m(x)
        tensor([0.1269, 0.4741, 0.6931, 1.7014])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """Softshrink(lambd=0.5): x - lambd above lambd, x + lambd below -lambd, else 0.

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Softshrink()
        >>> m(x)
        tensor([-1.5000,  0.0000,  0.0000,  1.0000])
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    """PReLU(num_parameters=1, init=0.25, device=None, dtype=None): x if x > 0 else a * x with a
    learnable slope ``weight`` (one shared, or one per channel = input dimension 1).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.PReLU()
        >>> m(x)
        tensor([-0.5000, -0.1250,  0.0000,  1.5000], grad_fn=<PreluKernelBackward0>)
        >>> m.weight
        Parameter containing:
        tensor([0.2500], requires_grad=True)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """Softsign(): x / (1 + |x|).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Softsign()
        >>> m(x)
        tensor([-0.6667, -0.3333,  0.0000,  0.6000])
    """

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """Tanhshrink(): x - tanh(x).

    Shape:
        Input ``(*)``: any shape. Output: the same shape as the input.

    Example::

        >>> x = torch.tensor([-2., -0.5, 0., 1.5])
        >>> m = nn.Tanhshrink()
        >>> m(x)
        tensor([-1.0360, -0.0379,  0.0000,  0.5949])
    """

    def forward(self, input):
        return F.tanhshrink(input)


class _SoftmaxBase(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(_SoftmaxBase):
    """Softmin(dim=None): softmax(-x) along ``dim``.

    Shape:
        Input ``(*)``: any shape. Output: the same shape, normalized along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> nn.Softmin(dim=1)(x)
        tensor([[0.6652, 0.2447, 0.0900],
                [0.3333, 0.3333, 0.3333]])
    """

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class Softmax(_SoftmaxBase):
    """Softmax(dim=None): exp(x) / sum(exp(x)) along ``dim``.

    Shape:
        Input ``(*)``: any shape. Output: the same shape, normalized along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> nn.Softmax(dim=1)(x)
        tensor([[0.0900, 0.2447, 0.6652],
                [0.3333, 0.3333, 0.3333]])
    """

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    """LogSoftmax(dim=None): log(softmax(x)) along ``dim``.

    Shape:
        Input ``(*)``: any shape. Output: the same shape, normalized along ``dim``.

    Example::

        >>> x = torch.tensor([[1., 2., 3.], [1., 1., 1.]])
        >>> nn.LogSoftmax(dim=1)(x)
        tensor([[-2.4076, -1.4076, -0.4076],
                [-1.0986, -1.0986, -1.0986]])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax2d(): softmax over the channels of (N, C, H, W) or (C, H, W) inputs.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output the same shape.

    Example::

        >>> y = nn.Softmax2d()(torch.randn(1, 3, 2, 2))
        >>> y.shape, y.sum(dim=1)
        (torch.Size([1, 3, 2, 2]), tensor([[[1.0000, 1.0000],
                 [1.0000, 1.0000]]]))
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)


class CosineSimilarity(Module):
    """CosineSimilarity(dim=1, eps=1e-08): cosine of the angle between x1 and x2 along dim.

    Shape:
        ``x1`` and ``x2`` broadcast to ``(*1, D, *2)``; output ``(*1, *2)`` (``dim`` removed).

    Example::

        >>> a = torch.tensor([[1., 0.], [1., 1.]])
        >>> b = torch.tensor([[0., 1.], [2., 2.]])
        >>> nn.CosineSimilarity(dim=1)(a, b)
        tensor([0.0000, 1.0000])
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """PairwiseDistance(p=2.0, eps=1e-06, keepdim=False): ||x1 - x2 + eps||_p over the last
    dimension.

    Shape:
        ``x1``, ``x2``: ``(N, D)`` or ``(D,)``; output ``(N,)`` or ``()``, or with ``keepdim=True``
        ``(N, 1)``.

    Example::

        >>> a = torch.tensor([[0., 0.], [1., 1.]])
        >>> b = torch.tensor([[3., 4.], [1., 1.]])
        >>> nn.PairwiseDistance()(a, b)
        tensor([5.0000e+00, 1.4142e-06])
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
