"""Products through BLAS: matmul, mm, bmm, mv, dot, vdot, outer, einsum, linear, addmm."""

from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from . import dispatch
from ._public import write_out
from .registry import op, public


def _promote_pair(a, b):
    if a._array.dtype is b._array.dtype:
        return a._array, b._array
    rd = _dt.promote_tensors_np(a._array.dtype, False, b._array.dtype, False)
    return a._array.astype(rd), b._array.astype(rd)


def _mat_str(shape):
    return "x".join(str(s) for s in shape)


def _matmul_error(name, a, b):
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) == 1:
        sa = (1,) + sa
    if len(sb) == 1:
        sb = sb + (1,)
    return EmberRuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat_str(sa[-2:])} and "
                             f"{_mat_str(sb[-2:])}) in {name} of tensors with shapes "
                             f"{list(a.shape)} and {list(b.shape)}")


def _matmul_ga(m, g, a, b, out):
    if b.ndim == 1:
        g = m.expand_dims(g, -1)
        bt = m.expand_dims(m.conj(b), 0)
    else:
        bt = m.swapaxes(m.conj(b), -1, -2)
    if a.ndim == 1:
        if b.ndim == 1:
            return g * m.conj(b)
        g = m.expand_dims(g, -2)
        return m.matmul(g, bt)[..., 0, :]
    return m.matmul(g, bt)


def _matmul_gb(m, g, a, b, out):
    if a.ndim == 1:
        if b.ndim == 1:
            return g * m.conj(a)
        g = m.expand_dims(g, -2)
        at = m.expand_dims(m.conj(a), -1)
    else:
        at = m.swapaxes(m.conj(a), -1, -2)
    if b.ndim == 1:
        g = m.expand_dims(g, -1)
        return m.matmul(at, g)[..., 0]
    return m.matmul(at, g)


_MATMUL = op("matmul", keep="ab", kind="linalg", node_name="MmBackward0")(
    lambda m, a, b: m.matmul(a, b))
_MATMUL.derivative((_matmul_ga, _matmul_gb))


def _matmul(name, a, b, out=None):
    try:
        A, B = a._array, b._array
    except AttributeError:
        raise EmberRuntimeError(f"{name}(): expected both arguments to be Tensors, got "
                                f"{type(a).__name__} and {type(b).__name__}") from None
    if A.dtype is not B.dtype:
        raise EmberRuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                                f"{a.dtype.name} != {b.dtype.name} (in {name})")
    if A.ndim == 0 or B.ndim == 0:
        raise EmberRuntimeError(f"both arguments to {name} need to be at least 1D, but they are "
                                f"{A.ndim}D and {B.ndim}D")
    try:
        res = dispatch.binary(_MATMUL, a, b)    # same dtypes: binary's promotion is a no-op
    except EmberRuntimeError:
        raise _matmul_error(name, a, b) from None
    return res if out is None else write_out(res, out)


@public("matmul", method=True)
def matmul(input, other, *, out=None):
    """matmul(input, other, *, out=None) -> Tensor: matrix product with NumPy/torch broadcasting
    rules for 1-D and batched operands."""
    return _matmul("matmul", input, other, out)


@public("mm", method=True)
def mm(input, mat2, *, out=None):
    """mm(input, mat2, *, out=None) -> Tensor: product of two 2-D matrices."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise EmberRuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    return _matmul("mm", input, mat2, out)


@public("bmm", method=True)
def bmm(input, mat2, *, out=None):
    """bmm(input, mat2, *, out=None) -> Tensor: batched product of (b, n, m) and (b, m, p)."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise EmberRuntimeError(f"batch1 must be a 3D tensor (got {input.ndim}D and {mat2.ndim}D)")
    if input.shape[0] != mat2.shape[0]:
        raise EmberRuntimeError(f"batch1 and batch2 must have same number of batches, got "
                                f"{input.shape[0]} and {mat2.shape[0]}")
    return _matmul("bmm", input, mat2, out)


@public("mv", method=True)
def mv(input, vec, *, out=None):
    """mv(input, vec, *, out=None) -> Tensor: matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise EmberRuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, "
                                f"{vec.ndim}")
    return _matmul("mv", input, vec, out)


@public("dot", "inner", method=True)
def dot(input, other, *, out=None):
    """dot(input, other, *, out=None) -> Tensor: inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise EmberRuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                                "tensors")
    if input.shape[0] != other.shape[0]:
        raise EmberRuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and"
                                f" src [{other.shape[0]}] to have the same number of elements, "
                                "but got different sizes")
    return _matmul("dot", input, other, out)


@public("outer", "ger", method=True)
def outer(input, vec2, *, out=None):
    """outer(input, vec2) -> Tensor: the outer product of two vectors."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise EmberRuntimeError("outer: expected 1-D tensors, got shapes "
                                f"{list(input.shape)} and {list(vec2.shape)}")
    return write_out(input.unsqueeze(1) * vec2.unsqueeze(0), out)


# --- linear: x @ W.T + b in one op (AddmmBackward0 in torch) -------------------------------------
def _rows(a):
    """(..., k) -> (n, k). NumPy's stacked matmul of a 3-D+ array with a 2-D matrix misses BLAS
    when the matrix is transposed or an operand has zero strides (~50x slower), so linear's
    products run as one 2-D GEMM on the flattened rows."""
    n = 1
    for s in a.shape[:-1]:
        n *= s
    return a.reshape((n, a.shape[-1]))


def _linear_kernel(m, x, w, b=None):
    if x.ndim > 2:
        y = m.matmul(_rows(x), m.swapaxes(w, -1, -2)).reshape(x.shape[:-1] + (w.shape[0],))
    else:
        y = m.matmul(x, m.swapaxes(w, -1, -2))
    if b is not None:
        y += b               # fresh result: add the bias in place instead of a second temporary
    return y


def _linear_gx(m, g, x, w, b, out):
    if g.ndim > 2:
        return m.matmul(_rows(g), m.conj(w)).reshape(tuple(g.shape[:-1]) + (w.shape[-1],))
    return m.matmul(g, m.conj(w))


def _linear_gw(m, g, x, w, b, out):
    if x.ndim == 1:
        return m.expand_dims(g, -1) * m.conj(m.expand_dims(x, 0))
    return m.matmul(m.swapaxes(_rows(g), 0, 1), m.conj(_rows(x)))


_LINEAR = op("linear", keep="ab", keep_for=("b", "a", ""), kind="linalg",
             node_name="AddmmBackward0")(_linear_kernel)
_LINEAR.derivative((_linear_gx, _linear_gw, lambda m, g, x, w, b, out: g))


def linear(input, weight, bias=None):
    """linear(input, weight, bias=None) -> Tensor: input @ weight.T + bias."""
    w = weight._array
    x = input._array
    if x.ndim == 0 or w.ndim != 2 or (x.shape[-1] != w.shape[1]):
        sa = (1, x.shape[0]) if x.ndim == 1 else ((x.size // x.shape[-1] if x.shape[-1] else 0,
                                                  x.shape[-1]) if x.ndim else ())
        raise EmberRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_mat_str(sa)} and "
            f"{_mat_str(w.shape[::-1])}) (linear: input shape {list(x.shape)}, weight shape "
            f"{list(w.shape)}: the input's last dimension must equal weight.shape[1] = "
            f"{w.shape[1] if w.ndim == 2 else '?'})")
    if x.dtype is not w.dtype:
        raise EmberRuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
            f"{weight.dtype.scalar_name} (linear input {input.dtype} vs weight "
            f"{weight.dtype})")
    if bias is None:
        return dispatch.apply(_LINEAR, (input, weight, None), arrays=(x, w, None))
    return dispatch.apply(_LINEAR, (input, weight, bias), arrays=(x, w, bias._array))


@op("einsum", keep="all+out", kind="linalg")
def _einsum(m, *arrays, equation):
    return m.einsum(equation, *arrays, optimize=len(arrays) > 2)


@public("einsum")
def einsum(equation, *operands):
    """einsum(equation, *operands) -> Tensor: Einstein summation, through NumPy's einsum."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    arrays = [t._array for t in operands]
    if len({a.dtype for a in arrays}) > 1:
        raise EmberRuntimeError("einsum(): operands do not have the same dtype: "
                                f"{[str(t.dtype) for t in operands]}")
    try:
        return dispatch.apply(_EINSUM, tuple(operands), {"equation": eq})
    except ValueError as exc:
        raise EmberRuntimeError(f"einsum(): {exc} (equation '{equation}', operand shapes "
                                f"{[list(t.shape) for t in operands]})") from None


def _einsum_grad(m, g, *args, equation):
    arrays = args[:-1]          # the last positional is the kept output, unused here
    ins, _, res = equation.partition("->")
    ins = ins.split(",")
    if not _:
        # implicit output: sorted letters appearing once
        letters = "".join(ins)
        res = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c.isalpha()))
    grads = []
    for i, a in enumerate(arrays):
        others = [arrays[j] for j in range(len(arrays)) if j != i]
        spec_others = [ins[j] for j in range(len(arrays)) if j != i]
        target = ins[i]
        if "..." in equation:
            grads.append(_einsum_grad_ellipsis(m, g, arrays, ins, res, i))
            continue
        # letters of the input that appear nowhere else are summed out: restore by broadcasting
        sub = ",".join([res] + spec_others)
        keep = "".join(c for c in dict.fromkeys(target) if c in sub)
        gi = m.einsum(f"{sub}->{keep}", g, *[m.conj(o) for o in others])
        if keep != target:
            gi = _expand_to(m, gi, keep, target, a.shape)
        grads.append(gi)
    return tuple(grads)


def _expand_to(m, gi, have, want, shape):
    """Broadcast gi (labels ``have``) to labels ``want``; repeated labels become diagonals."""
    if len(set(want)) != len(want):
        raise EmberRuntimeError("einsum backward with a repeated index in one operand is not "
                                "supported yet")
    order = [have.index(c) for c in want if c in have]
    gi = m.transpose(gi, order) if order != list(range(len(order))) else gi
    idx = tuple(slice(None) if c in have else None for c in want)
    return m.broadcast_to(gi[idx], shape)


def _einsum_grad_ellipsis(m, g, arrays, ins, res, i):
    raise EmberRuntimeError("einsum backward with '...' is not supported yet; write the "
                            "equation with explicit labels")


_EINSUM = _einsum
_EINSUM.derivative(_einsum_grad)


@public("addmm", method=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """addmm(input, mat1, mat2, *, beta=1, alpha=1) -> beta * input + alpha * (mat1 @ mat2)."""
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    base = input if beta == 1 else input * beta
    return write_out(base + prod if beta != 0 else prod + input * 0, out)
