"""The rule dialect over ember Tensors (DESIGN.md §2.3).

Under ``backward(create_graph=True)`` the engine hands derivative rules this module as ``m``
instead of NumPy, and Tensors instead of arrays, so the same rule text records a differentiable
graph: that is how ``x**4`` gets its third derivative. Each name mirrors NumPy's signature. The
helpers rules use for scatter-like adjoints (scatter_basic, index_scatter, zero_at, sum_to) are
ops here with their own derivatives.
"""
import numpy as np

from . import dtypes as _dt
from .ops import dispatch
from .ops.registry import OPS, op
from .tensor import Tensor, wrap

is_tensor_namespace = True
F = OPS   # noqa: N816  (registry lookup by torch name)


def _t(x):
    return x if isinstance(x, Tensor) else wrap(np.asarray(x))


def conj(x):
    if isinstance(x, Tensor):
        return x.conj() if x.is_complex() else x
    return x.conjugate() if isinstance(x, complex) else x


def _unary(name):
    def fn(x):
        return getattr(_t(x), name)()
    fn.__name__ = name
    return fn


exp = _unary("exp")
exp2 = _unary("exp2")
log = _unary("log")
log1p = _unary("log1p")
expm1 = _unary("expm1")
sin = _unary("sin")
cos = _unary("cos")
sinh = _unary("sinh")
cosh = _unary("cosh")
tanh = _unary("tanh")
sqrt = _unary("sqrt")
sign = _unary("sign")
sgn = _unary("sgn")
abs = _unary("abs")
floor = _unary("floor")
trunc = _unary("trunc")
isfinite = _unary("isfinite")


def real(x):
    return x.real


def imag(x):
    return x.imag


def iscomplexobj(x):
    return isinstance(x, Tensor) and x.is_complex()


def where(cond, x, y):
    from .ops.elementwise import where as w
    return w(cond, x, y)


def sum(x, axis=None, keepdims=False, dtype=None):
    return _t(x).sum(dim=axis, keepdim=keepdims)


def mean(x, axis=None, keepdims=False):
    return _t(x).mean(dim=axis, keepdim=keepdims)


def max(x, axis=None, keepdims=False):
    return _t(x).amax(dim=() if axis is None else axis, keepdim=keepdims)


def maximum(a, b):
    from .ops.elementwise import _B
    return dispatch.binary(_B["maximum"], a, b)


def minimum(a, b):
    from .ops.elementwise import _B
    return dispatch.binary(_B["minimum"], a, b)


def floor_divide(a, b):
    from .ops.elementwise import _B
    return dispatch.binary(_B["floor_divide"], a, b)


def matmul(a, b):
    return a.matmul(b)


def einsum(equation, *operands, optimize=False):
    from .ops.linalg_ops import einsum as _einsum
    return _einsum(equation, *operands)


def swapaxes(x, a, b):
    return x.transpose(a, b)


def transpose(x, axes):
    return x.permute(*axes)


def expand_dims(x, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    nd = x.ndim + len(axes)
    for a in sorted(d % nd for d in axes):
        x = x.unsqueeze(a)
    return x


def reshape(x, shape, copy=None):
    return x.reshape(shape)


def broadcast_to(x, shape):
    return _t(x).expand(*shape)


def zeros_like(x):
    from .ops.creation import zeros_like as z
    return z(x)


def ones_like(x):
    from .ops.creation import ones_like as o
    return o(x)


def view_as_real(x):
    from .ops.complex_ops import view_as_real as f
    return f(x)


def view_as_complex(x):
    from .ops.complex_ops import view_as_complex as f
    return f(x)


# --- adjoint helpers, each an op with its own derivative ----------------------------------------
_SCATTER_BASIC = op("scatter_basic", keep="", node_name="SelectBackwardBackward0")(
    lambda m, g, shape, index: m.scatter_basic(shape, index, g))
_SCATTER_BASIC.derivative(lambda m, gg, g, out, shape, index: gg[index])


def scatter_basic(shape, index, g):
    return dispatch.unary(_SCATTER_BASIC, g, shape=shape, index=index)


_SCATTER_ADV = op("scatter_advanced", keep="", node_name="IndexBackwardBackward0")(
    lambda m, g, shape, index: m.scatter_advanced(shape, index, g))
_SCATTER_ADV.derivative(lambda m, gg, g, out, shape, index: gg[index])


def scatter_advanced(shape, index, g):
    return dispatch.unary(_SCATTER_ADV, g, shape=shape, index=index)


_INDEX_SCATTER = op("index_scatter", keep="", node_name="AsStridedBackwardBackward0")(
    lambda m, g, shape, index: m.index_scatter(shape, index, g))
_INDEX_SCATTER.derivative(lambda m, gg, g, out, shape, index: gg.reshape(-1)[index])


def index_scatter(shape, index, g):
    return dispatch.unary(_INDEX_SCATTER, g, shape=shape, index=index)


_ZERO_AT = op("zero_at", keep="", node_name="IndexPutBackwardBackward0")(
    lambda m, g, index: m.zero_at(g, index))
_ZERO_AT.derivative(lambda m, gg, g, out, index: m.zero_at(gg, index))


def zero_at(g, index):
    return dispatch.unary(_ZERO_AT, g, index=index)


_SUM_TO = op("sum_to", keep="shape", node_name="SumBackward1")(
    lambda m, g, shape: m.sum_to(g, shape))
_SUM_TO.derivative(lambda m, gg, g_shape, out, shape: m.broadcast_to(gg, g_shape))


def sum_to(g, shape):
    g = _t(g)
    if tuple(g.shape) == tuple(shape):
        return g
    full = np.broadcast_shapes(tuple(g.shape), tuple(shape))
    if full != tuple(g.shape):
        g = g.expand(*full)
    return dispatch.unary(_SUM_TO, g, shape=tuple(shape))


def cast_grad(g, np_dtype):
    if g.is_complex() and np_dtype.kind != "c":
        g = g.real
    return g.to(_dt.from_numpy_dtype(np_dtype))


def special_erf(x):
    return _t(x).erf()


def special_erfc(x):
    return _t(x).erfc()


def special_expit(x):
    return _t(x).sigmoid()


# special functions whose derivative is another special function (ops/special_ops.py)
def special_gammaln(x):
    return dispatch.unary(OPS["lgamma"], _t(x))


def special_digamma(x):
    return dispatch.unary(OPS["digamma"], _t(x))


def special_polygamma(n, x):
    return dispatch.unary(OPS["polygamma"], _t(x), n=n)


def special_i0(x):
    return dispatch.unary(OPS["i0"], _t(x))


def special_i1(x):
    return dispatch.unary(OPS["special_i1"], _t(x))


def special_i0e(x):
    return dispatch.unary(OPS["special_i0e"], _t(x))


def special_i1e(x):
    return dispatch.unary(OPS["special_i1e"], _t(x))


def logaddexp(a, b):
    from .ops.elementwise import _B
    return dispatch.binary(_B["logaddexp"], a, b)


# --- reductions, scans, sorting and copying shape ops (ops/reduction.py, sorting.py, shape.py) --
def min(x, axis=None, keepdims=False):
    return _t(x).amin(dim=() if axis is None else axis, keepdim=keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        r = x.reshape(-1).prod(0)
        return r.reshape((1,) * x.ndim) if keepdims else r
    return x.prod(axis, keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    return _t(x).any(dim=axis, keepdim=keepdims)


def cumsum(x, axis=None):
    x = _t(x)
    return x.reshape(-1).cumsum(0) if axis is None else x.cumsum(axis)


def cumprod(x, axis=None):
    x = _t(x)
    return x.reshape(-1).cumprod(0) if axis is None else x.cumprod(axis)


def flip(x, axis=None):
    x = _t(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    return x.flip((axis,) if isinstance(axis, int) else tuple(axis))


def roll(x, shift, axis=None):
    return _t(x).roll(shift, axis)


def concatenate(arrays, axis=0):
    from .ops.shape import cat
    return cat([_t(a) for a in arrays], axis)


def tril(x, k=0):
    return _t(x).tril(k)


def triu(x, k=0):
    return _t(x).triu(k)


_TAKE_ALONG = op("take_along_axis", keep="shape", node_name="GatherBackward0")(
    lambda m, x, index, axis: m.take_along_axis(x, index, axis))
_TAKE_ALONG.derivative(lambda m, gg, x_shape, out, index, axis:
                       m.scatter_along(x_shape, index, gg, axis))
_SCATTER_ALONG = op("scatter_along", keep="", node_name="GatherBackwardBackward0")(
    lambda m, g, shape, index, axis: m.scatter_along(shape, index, g, axis))
_SCATTER_ALONG.derivative(lambda m, gg, g, out, shape, index, axis:
                          m.take_along_axis(gg, index, axis))


def take_along_axis(x, indices, axis):
    return dispatch.unary(_TAKE_ALONG, _t(x), index=indices, axis=axis)


def scatter_along(shape, indices, g, axis):
    return dispatch.unary(_SCATTER_ALONG, _t(g), shape=tuple(shape), index=indices, axis=axis)
