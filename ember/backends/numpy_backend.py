"""The CPU backend. Kernels and derivative rules run against ``xp``: NumPy's namespace plus the few
helpers the rule dialect adds (DESIGN.md §2.3), so the same rule text runs on CuPy or, under
``create_graph=True``, on ember's differentiable namespace (autograd/_diff_namespace.py)."""
import types

import numpy


def _conj(x):
    # Identity for real data: PyTorch's conjugate-Wirtinger convention costs nothing on reals.
    if isinstance(x, (numpy.ndarray, numpy.generic)):   # 0-d results arrive as NumPy scalars
        return numpy.conj(x) if x.dtype.kind == "c" else x
    return x.conjugate() if isinstance(x, complex) else x


def _scatter_basic(shape, index, g):
    """A zero array of ``shape`` with ``g`` written at a basic (view-making) index."""
    z = numpy.zeros(shape, dtype=g.dtype)
    z[index] = g
    return z


def _scatter_advanced(shape, index, g):
    """A zero array of ``shape`` with ``g`` added at an advanced index (repeats accumulate)."""
    z = numpy.zeros(shape, dtype=g.dtype)
    numpy.add.at(z, index, g)
    return z


def _index_scatter(shape, index, g):
    """Adjoint of "read element ``index[j]`` of a ``shape`` array into position j": adds each
    gradient element back at its flat source index (repeats accumulate)."""
    size = 1
    for s in shape:
        size *= s
    z = numpy.zeros(size, dtype=g.dtype)
    numpy.add.at(z, index.reshape(-1), numpy.broadcast_to(g, index.shape).reshape(-1))
    return z.reshape(shape)


def _zero_at(g, index):
    z = numpy.array(g, copy=True)
    z[index] = 0
    return z


def _scatter_along(shape, index, g, axis):
    """A zero array of ``shape`` with ``g`` written at ``index`` along ``axis``: the adjoint of
    take_along_axis when the indices are distinct along the axis (sort, topk, max over a dim)."""
    z = numpy.zeros(shape, dtype=g.dtype)
    numpy.put_along_axis(z, index, g, axis)
    return z


def _sum_to(g, shape):
    """Sum a broadcast gradient down to ``shape`` (the engine's single unbroadcast)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    out = g.sum(axis=axes, keepdims=True) if axes else g
    return out.reshape(shape)


def _sgn(x):
    """sign for reals, x/|x| (0 at 0) for complex: torch.sgn."""
    if x.dtype.kind != "c":
        return numpy.sign(x)
    mag = numpy.abs(x)
    return numpy.where(mag == 0, 0, x / numpy.where(mag == 0, 1, mag))


def _view_as_real(x):
    """(...) complex -> (..., 2) real (a copy: rules need values, not aliasing)."""
    return numpy.stack([x.real, x.imag], axis=-1)


def _view_as_complex(x):
    """(..., 2) real -> (...) complex (a copy)."""
    return x[..., 0] + 1j * x[..., 1]


def _special(name):
    def fn(*args):
        try:
            import scipy.special
        except ImportError:
            raise ImportError(f"ember's special function {name}() needs SciPy: "
                              "pip install scipy") from None
        return getattr(scipy.special, name)(*args)
    fn.__name__ = name
    return fn


def make_namespace():
    public = {k: getattr(numpy, k) for k in dir(numpy) if not k.startswith("_")}
    ns = types.SimpleNamespace(**public)
    ns.conj = _conj
    ns.scatter_basic = _scatter_basic
    ns.scatter_advanced = _scatter_advanced
    ns.sum_to = _sum_to
    ns.index_scatter = _index_scatter
    ns.zero_at = _zero_at
    ns.scatter_along = _scatter_along
    ns.sgn = _sgn
    ns.view_as_real = _view_as_real
    ns.view_as_complex = _view_as_complex
    for name in ("erf", "erfc", "erfinv", "gammaln", "digamma", "polygamma", "i0", "ndtri",
                 "expit", "logit", "xlogy", "xlog1py", "erfcx", "i0e", "i1", "i1e", "zeta",
                 "ndtr", "log_ndtr", "entr", "airy", "j0", "j1", "y0", "y1", "k0", "k1", "k0e",
                 "k1e", "spherical_jn", "gammainc", "gammaincc"):
        setattr(ns, "special_" + name, _special(name))
    from . import mkl_gemm
    if mkl_gemm.wanted():               # optional: Intel MKL takes the large float products
        ns.matmul = mkl_gemm.matmul
    ns.is_tensor_namespace = False
    return ns


class NumpyBackend:
    __slots__ = ("xp", "kernels")
    name = "cpu"

    def __init__(self):
        self.xp = make_namespace()
        self.kernels = {}     # per-op kernel overrides by op name; empty on CPU

    @property
    def special(self):
        import scipy.special
        return scipy.special
