"""Complex views and helpers: real, imag, conj, view_as_real, view_as_complex, angle, polar,
complex.

Note [Wirtinger]: for a real loss L of complex z = x + iy, ember (like PyTorch) stores
``z.grad = dL/dx + i dL/dy``, the conjugate Wirtinger derivative times two. Every rule therefore
multiplies incoming gradients by the *conjugate* of the local derivative (``m.conj``), and a real
view of complex data (real, imag) sends ``g`` back as ``g`` and ``i g`` respectively.
"""
import numpy as np

from .._errors import EmberRuntimeError
from . import dispatch
from .registry import METHODS, op, public, unary

_REAL = op("real", keep="shape", kind="view")(lambda m, a: m.real(a) if a.dtype.kind == "c" else a)
_REAL.derivative(lambda m, g, a_shape, out: g)
_IMAG = op("imag", keep="shape", kind="view")(lambda m, a: m.imag(a))
_IMAG.derivative(lambda m, g, a_shape, out: g * 1j)


@public("real")
def real(input):
    """real(input) -> Tensor: a view of the real part (the tensor itself for real dtypes).

    Example:
        >>> torch.real(torch.tensor([1 + 2j, 3 - 4j]))
        tensor([1., 3.])
    """
    if not input.is_complex():
        return input
    return dispatch.apply_view(_REAL, input)


@public("imag")
def imag(input):
    """imag(input) -> Tensor: a view of the imaginary part (complex tensors only).

    Example:
        >>> torch.imag(torch.tensor([1 + 2j, 3 - 4j]))
        tensor([ 2., -4.])
    """
    if not input.is_complex():
        raise EmberRuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return dispatch.apply_view(_IMAG, input)


_CONJ = unary("conj_physical", "conjugate", grad=lambda m, g, a, out: m.conj(g))
_CONJ.node_name = "ConjBackward0"


@public("conj", "conj_physical", method=True)
def conj(input):
    """conj(input) -> Tensor: complex conjugate (a copy in ember; the input for real dtypes).

    Example:
        >>> torch.conj(torch.tensor([1 + 2j, 3 - 4j]))
        tensor([1.-2.j, 3.+4.j])
    """
    if not input.is_complex():
        return input
    return dispatch.unary(_CONJ, input)


METHODS["conj_physical_"] = lambda self: dispatch.apply_inplace(_CONJ, self)
METHODS["resolve_conj"] = lambda self: self
METHODS["resolve_neg"] = lambda self: self
METHODS["is_conj"] = lambda self: False
METHODS["is_neg"] = lambda self: False
@public("resolve_conj", "resolve_neg")
def resolve_conj(input):
    """resolve_conj(input) -> Tensor: ``input`` with a pending conjugation applied. ember
    conjugates eagerly, so there is never one pending and ``input`` itself comes back;
    ``resolve_neg`` likewise.

    Example:
        >>> x = torch.tensor([1 + 2j]).conj()
        >>> torch.resolve_conj(x)
        tensor([1.-2.j])
    """
    return input

_AS_REAL = op("view_as_real", keep="shape", kind="view")(
    lambda m, a: a.view(np.float32 if a.dtype == np.complex64 else np.float64).reshape(
        a.shape + (2,)))


def _as_complex_kernel(m, a):
    return a.view(np.complex64 if a.dtype == np.float32 else np.complex128)[..., 0]


_AS_COMPLEX = op("view_as_complex", keep="shape", kind="view")(_as_complex_kernel)
_AS_REAL.derivative(lambda m, g, a_shape, out: m.view_as_complex(g))
_AS_COMPLEX.derivative(lambda m, g, a_shape, out: m.view_as_real(g))


@public("view_as_real")
def view_as_real(input):
    """view_as_real(input) -> Tensor: a real view with a trailing dimension of size 2.

    Example:
        >>> torch.view_as_real(torch.tensor([1 + 2j, 3 - 4j]))
        tensor([[ 1.,  2.],
                [ 3., -4.]])
    """
    if not input.is_complex():
        raise EmberRuntimeError("view_as_real is only supported for complex tensors")
    return dispatch.apply_view(_AS_REAL, input)


@public("view_as_complex")
def view_as_complex(input):
    """view_as_complex(input) -> Tensor: a complex view of a (..., 2) float tensor.

    Example:
        >>> torch.view_as_complex(torch.tensor([[1.0, 2.0], [3.0, -4.0]]))
        tensor([1.+2.j, 3.-4.j])
    """
    a = input._array
    if a.dtype not in (np.float32, np.float64):
        raise EmberRuntimeError(f"view_as_complex is only supported for float and double tensors, "
                                f"but got a tensor of scalar type: {input.dtype}")
    if a.ndim == 0 or a.shape[-1] != 2:
        raise EmberRuntimeError("Tensor must have a last dimension of size 2")
    if a.strides[-1] != a.itemsize:
        raise EmberRuntimeError("Tensor must have a last dimension with stride 1")
    return dispatch.apply_view(_AS_COMPLEX, input)


_ANGLE = unary("angle", "angle", keep="a", dtype_rule="float",
               kernel=lambda m, a: m.angle(a).astype(a.real.dtype) if a.dtype.kind == "c"
               else m.where(a < 0, np.pi, 0).astype(a.dtype) if a.dtype.kind == "f"
               else m.where(a < 0, np.pi, 0).astype(np.float32),
               grad=lambda m, g, a, out: _angle_grad(m, g, a))


def _angle_grad(m, g, a):
    if not m.iscomplexobj(a):
        return g * 0
    # angle = atan2(y, x): dL/dx + i dL/dy = g * i z / |z|^2 (0 at z = 0, as torch defines it)
    mag2 = (a * m.conj(a)).real
    return m.where(mag2 == 0, 0, g * a * 1j / m.where(mag2 == 0, 1, mag2))


@public("angle", method=True)
def angle(input):
    """angle(input) -> Tensor: elementwise argument (angle) in radians.

    Example:
        >>> torch.angle(torch.tensor([1.0, -1.0, 0.0]))
        tensor([0.0000, 3.1416, 0.0000])
        >>> torch.angle(torch.tensor([1j, -1j]))
        tensor([ 1.5708, -1.5708])
    """
    return dispatch.unary(_ANGLE, input)


@public("polar")
def polar(abs, angle):
    """polar(abs, angle) -> Tensor: abs * (cos(angle) + i sin(angle)).

    Example:
        >>> torch.polar(torch.tensor([2.0, 1.0]), torch.tensor([0.0, 0.0]))
        tensor([2.+0.j, 1.+0.j])
    """
    return complex(abs * angle.cos(), abs * angle.sin())


@op("complex", keep="", kind="elementwise")
def _complex(m, re, im):
    return re + 1j * im if re.dtype == np.float64 else (re + 1j * im).astype(np.complex64)


_complex.derivative((lambda m, g, re, im, out: m.real(g), lambda m, g, re, im, out: m.imag(g)))


@public("complex")
def complex(real, imag):
    """complex(real, imag) -> Tensor: real + i * imag (float32 -> complex64, float64 ->
    complex128).

    Example:
        >>> torch.complex(torch.tensor([1.0, 2.0]), torch.tensor([3.0, -4.0]))
        tensor([1.+3.j, 2.-4.j])
    """
    if real._array.dtype != imag._array.dtype or real._array.dtype not in (np.float32, np.float64):
        raise EmberRuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                                f"{real.dtype} and {imag.dtype}")
    return dispatch.apply(_complex, (real, imag))
