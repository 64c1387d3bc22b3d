"""Products through BLAS: matmul, mm, bmm, mv, dot, vdot, outer, einsum, linear, addmm and the
rest of torch's product family (addmv, addr, baddbmm, addbmm, kron, tensordot, inner, trace,
cdist, dist, chain_matmul); and the torch-namespace spellings of ember.linalg's functions
(det, inverse, svd, qr, lu, cholesky_solve, triangular_solve, geqrf, ormqr…)."""
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError
from ..tensor import Tensor, wrap
from . import dispatch
from ._public import write_out
from .registry import METHODS, op, public


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
    rules for 1-D and batched operands.

    Shape:
        1-D operands act as a row (first) or column (second) vector that is then dropped;
        ``(*, n, m) @ (*, m, p)`` gives ``(*, n, p)`` with the batch dims broadcast.

    Example:
        >>> a = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.matmul(a, torch.tensor([1., 1.]))
        tensor([3., 7.])
        >>> torch.matmul(torch.ones(5, 2, 3), torch.ones(3, 4)).shape
        torch.Size([5, 2, 4])
    """
    return _matmul("matmul", input, other, out)


@public("mm", method=True)
def mm(input, mat2, *, out=None):
    """mm(input, mat2, *, out=None) -> Tensor: product of two 2-D matrices.

    Shape:
        ``(n, m)`` and ``(m, p)`` give ``(n, p)``; no broadcasting.

    Example:
        >>> torch.mm(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[0., 1.], [1., 0.]]))
        tensor([[2., 1.],
                [4., 3.]])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise EmberRuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    return _matmul("mm", input, mat2, out)


@public("bmm", method=True)
def bmm(input, mat2, *, out=None):
    """bmm(input, mat2, *, out=None) -> Tensor: batched product of (b, n, m) and (b, m, p).

    Shape:
        ``(b, n, m)`` and ``(b, m, p)`` give ``(b, n, p)``.

    Example:
        >>> torch.bmm(torch.ones(4, 2, 3), torch.ones(4, 3, 5)).shape
        torch.Size([4, 2, 5])
    """
    if input.ndim != 3 or mat2.ndim != 3:
        raise EmberRuntimeError(f"batch1 must be a 3D tensor (got {input.ndim}D and {mat2.ndim}D)")
    if input.shape[0] != mat2.shape[0]:
        raise EmberRuntimeError(f"batch1 and batch2 must have same number of batches, got "
                                f"{input.shape[0]} and {mat2.shape[0]}")
    return _matmul("bmm", input, mat2, out)


@public("mv", method=True)
def mv(input, vec, *, out=None):
    """mv(input, vec, *, out=None) -> Tensor: matrix-vector product.

    Shape:
        ``(n, m)`` and ``(m,)`` give ``(n,)``.

    Example:
        >>> torch.mv(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([1., -1.]))
        tensor([-1., -1.])
    """
    if input.ndim != 2 or vec.ndim != 1:
        raise EmberRuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, "
                                f"{vec.ndim}")
    return _matmul("mv", input, vec, out)


@public("dot", method=True)
def dot(input, other, *, out=None):
    """dot(input, other, *, out=None) -> Tensor: inner product of two 1-D tensors.

    Example:
        >>> torch.dot(torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6]))
        tensor(32)
    """
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
    """outer(input, vec2) -> Tensor: the outer product of two vectors.

    ``ger`` is the same function under its older name.

    Shape:
        ``(n,)`` and ``(m,)`` give ``(n, m)``.

    Example:
        >>> torch.outer(torch.tensor([1, 2, 3]), torch.tensor([1, 10]))
        tensor([[ 1, 10],
                [ 2, 20],
                [ 3, 30]])
        >>> torch.ger(torch.tensor([1, 2]), torch.tensor([3]))
        tensor([[3],
                [6]])
    """
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
    # w is 2-D (linear() checks): .T is a view, without np.swapaxes' dispatch cost
    if x.ndim > 2:
        y = m.matmul(_rows(x), w.T).reshape(x.shape[:-1] + (w.shape[0],))
    else:
        y = m.matmul(x, w.T)
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
    return m.matmul(_rows(g).T, m.conj(_rows(x)))


def _linear_gb(m, g, x, w, b, out):
    # summed here rather than by the engine's generic unbroadcast (broadcast_shapes + sum_to);
    # an array's own sum skips np.sum's Python wrapper (a third of this rule's time)
    if g.ndim < 2:
        return g
    if type(g) is np.ndarray:
        ones = bias_grad_ones(g.size // g.shape[-1] if g.shape[-1] else 0, g.dtype)
        if ones is not None:
            return np.matmul(ones, _rows(g))
        return g.sum(axis=0 if g.ndim == 2 else tuple(range(g.ndim - 1)))
    return m.sum(g, axis=0 if g.ndim == 2 else tuple(range(g.ndim - 1)))


# Note [Bias gradient as a product]: the bias gradient sums the output gradient's rows. As
# ones(N)·G (one BLAS matrix-vector product) that takes a third of the time of NumPy's row-wise
# reduction from 64 rows on ((2048, 512): 86 vs 209 µs) and rounds less (blocked sums), so
# larger float batches use it; smaller ones keep the plain sum, cheaper to call.
_BIAS_ONES_MIN_ROWS = 64
_bias_ones = {}


def bias_grad_ones(n, dtype):
    """The ones vector that sums ``n`` gradient rows of ``dtype`` as a product, or None where a
    plain sum is the better deal (few rows, non-float dtypes). ember.compile's plans use it too."""
    if n < _BIAS_ONES_MIN_ROWS or dtype.kind != "f" or dtype.itemsize < 4:
        return None
    key = (n, dtype)
    ones = _bias_ones.get(key)
    if ones is None:
        if len(_bias_ones) > 64:
            _bias_ones.clear()
        ones = _bias_ones[key] = np.ones(n, dtype=dtype)
    return ones


_LINEAR = op("linear", keep="ab", keep_for=("b", "a", ""), kind="linalg",
             node_name="AddmmBackward0")(_linear_kernel)
_LINEAR.derivative((_linear_gx, _linear_gw, _linear_gb))


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
        from .._diagnostics import dtype_hint
        hint = dtype_hint(input.dtype, weight.dtype)
        raise EmberRuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
            f"{weight.dtype.scalar_name} (linear input {input.dtype} vs weight "
            f"{weight.dtype}){': ' + hint if hint else ''}")
    if bias is None:
        return dispatch.apply(_LINEAR, (input, weight, None), arrays=(x, w, None))
    return dispatch.apply(_LINEAR, (input, weight, bias), arrays=(x, w, bias._array))


@op("einsum", keep="all+out", kind="linalg")
def _einsum(m, *arrays, equation):
    return m.einsum(equation, *arrays, optimize=len(arrays) > 2)


@public("einsum")
def einsum(equation, *operands):
    """einsum(equation, *operands) -> Tensor: Einstein summation, through NumPy's einsum.

    Example:
        >>> a = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.einsum("ij->ji", a)
        tensor([[1., 3.],
                [2., 4.]])
        >>> torch.einsum("ij,j->i", a, torch.tensor([1., 1.]))
        tensor([3., 7.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    arrays = [t._array for t in operands]
    if len({a.dtype for a in arrays}) > 1:
        raise EmberRuntimeError("einsum(): operands do not have the same dtype: "
                                f"{[str(t.dtype) for t in operands]}")
    if "..." in eq:
        # torch sums ellipsis dims the output leaves out; NumPy refuses, so spell them out
        try:
            ins, res = _explicit_labels(eq, [a.shape for a in arrays])
            eq = ",".join(ins) + "->" + res
        except (IndexError, ValueError):
            pass        # malformed: NumPy's own error below names the problem
    try:
        return dispatch.apply(_EINSUM, tuple(operands), {"equation": eq})
    except ValueError as exc:
        raise EmberRuntimeError(f"einsum(): {exc} (equation '{equation}', operand shapes "
                                f"{[list(t.shape) for t in operands]})") from None


def _einsum_grad(m, g, *args, equation):
    arrays = args[:-1]          # the last positional is the kept output, unused here
    ins, res = _explicit_labels(equation, [a.shape for a in arrays])
    grads = []
    for i, a in enumerate(arrays):
        others = [arrays[j] for j in range(len(arrays)) if j != i]
        spec_others = [ins[j] for j in range(len(arrays)) if j != i]
        target = ins[i]
        # letters of the input that appear nowhere else are summed out: restore by broadcasting
        sub = ",".join([res] + spec_others)
        labels = "".join(dict.fromkeys(target))
        keep = "".join(c for c in labels if c in sub)
        gi = m.einsum(f"{sub}->{keep}", g, *[m.conj(o) for o in others])
        if keep != labels:
            gi = _expand_to(m, gi, keep, labels, [a.shape[target.index(c)] for c in labels])
        if labels != target:
            gi = _diagonal_embed(m, gi, labels, target, a.shape)
        grads.append(gi)
    return tuple(grads)


def _explicit_labels(equation, shapes):
    """The equation's operand and output labels with '...' spelled out as letters and the
    implicit output made explicit. An ellipsis dim of size 1 that broadcasts against a larger
    one gets a label of its own, so its gradient is summed rather than matched by size."""
    lhs, arrow, res = equation.partition("->")
    ins = lhs.split(",")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if c not in equation]
    if "..." in equation:
        counts = [len(shape) - len(spec.replace("...", "")) for spec, shape in zip(ins, shapes)]
        n = max([k for k, spec in zip(counts, ins) if "..." in spec], default=0)
        size = [1] * n          # the broadcast ellipsis shape, right-aligned
        for spec, shape, k in zip(ins, shapes, counts):
            if "..." in spec:
                start = spec.index("...")
                for j, d in enumerate(shape[start:start + k]):
                    if d != 1:
                        size[n - k + j] = d
        shared = [free.pop(0) for _ in range(n)]
        ellipsis_labels = set(shared) | set(free)     # the private ones are drawn from free
        for i, (spec, shape, k) in enumerate(zip(ins, shapes, counts)):
            if "..." not in spec:
                continue
            start = spec.index("...")
            ell = ""
            for j, d in enumerate(shape[start:start + k]):
                pos = n - k + j
                ell += shared[pos] if d == size[pos] else free.pop(0)
            ins[i] = spec.replace("...", ell)
        if arrow:
            res = res.replace("...", "".join(shared))
        else:
            letters = "".join(ins)
            res = "".join(shared) + "".join(sorted(
                c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis_labels))
    elif not arrow:
        # implicit output: sorted letters appearing once
        letters = "".join(ins)
        res = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c.isalpha()))
    return ins, res


def _expand_to(m, gi, have, want, sizes):
    """Broadcast gi (labels ``have``) to distinct labels ``want`` of the given sizes."""
    order = [have.index(c) for c in want if c in have]
    gi = m.transpose(gi, order) if order != list(range(len(order))) else gi
    idx = tuple(slice(None) if c in have else None for c in want)
    return m.broadcast_to(gi[idx], tuple(sizes))


def _diagonal_embed(m, gi, labels, target, shape):
    """An operand with a repeated label (``'ii->i'``) only reads its diagonal: its gradient
    is ``gi`` (over the distinct ``labels``) written on that diagonal, zero elsewhere."""
    u = len(labels)
    index = []
    for k, c in enumerate(target):
        j = labels.index(c)
        index.append(np.arange(shape[k]).reshape([-1 if t == j else 1 for t in range(u)]))
    return m.scatter_advanced(tuple(shape), tuple(index), gi)


_EINSUM = _einsum
_EINSUM.derivative(_einsum_grad)


@public("addmm", method=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """addmm(input, mat1, mat2, *, beta=1, alpha=1) -> beta * input + alpha * (mat1 @ mat2).

    Shape:
        ``mat1`` (n, m) and ``mat2`` (m, p); ``input`` broadcasts to (n, p).

    Example:
        >>> m = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.addmm(torch.ones(2, 2), m, torch.eye(2), beta=2)
        tensor([[3., 4.],
                [5., 6.]])
    """
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    base = input if beta == 1 else input * beta
    return write_out(base + prod if beta != 0 else prod + input * 0, out)


# --- torch's product family, composed from differentiable ops --------------------------------------
def _check_tensors(name, *ts):
    for t in ts:
        if not isinstance(t, Tensor):
            raise EmberTypeError(f"{name}(): expected Tensor arguments, got {type(t).__name__}")


def _scaled_sum(input, prod, beta, alpha):
    """beta * input + alpha * prod, with torch's rule that beta = 0 ignores input (even NaN)."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(prod.shape))
        return prod if shape == tuple(prod.shape) else prod.expand(*shape).clone()
    return (input if beta == 1 else input * beta) + prod


@public("addmv", method=True)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> beta * input + alpha * (mat @
    vec).

    Shape:
        ``mat`` (n, m) and ``vec`` (m,); ``input`` broadcasts to (n,).

    Example:
        >>> m = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.addmv(torch.tensor([1., 1.]), m, torch.tensor([1., 0.]), alpha=2)
        tensor([3., 7.])
    """
    _check_tensors("addmv", input, mat, vec)
    return write_out(_scaled_sum(input, mv(mat, vec), beta, alpha), out)


@public("addr", method=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> beta * input + alpha *
    outer(vec1, vec2).

    Shape:
        ``vec1`` (n,) and ``vec2`` (m,); ``input`` broadcasts to (n, m).

    Example:
        >>> torch.addr(torch.zeros(2, 3), torch.tensor([1., 2.]), torch.tensor([1., 2., 3.]))
        tensor([[1., 2., 3.],
                [2., 4., 6.]])
    """
    _check_tensors("addr", input, vec1, vec2)
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise EmberRuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
                                if vec1.ndim != 1 else
                                f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    prod = outer(vec1, vec2)
    if prod.dtype == _dt.bool_:
        r = prod & (alpha != 0)
        return write_out(r if beta == 0 else (input & bool(beta)) | r, out)
    return write_out(_scaled_sum(input, prod, beta, alpha), out)


@public("baddbmm", method=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> beta * input + alpha *
    bmm(batch1, batch2).

    Shape:
        ``batch1`` (b, n, m) and ``batch2`` (b, m, p); ``input`` broadcasts to (b, n, p).

    Example:
        >>> torch.baddbmm(torch.ones(2, 3, 5), torch.ones(2, 3, 4), torch.ones(2, 4, 5)).shape
        torch.Size([2, 3, 5])
        >>> torch.baddbmm(torch.ones(1, 1, 1), torch.ones(1, 1, 2), torch.ones(1, 2, 1), alpha=3)
        tensor([[[7.]]])
    """
    _check_tensors("baddbmm", input, batch1, batch2)
    return write_out(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), out)


@public("addbmm", method=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> beta * input + alpha *
    sum_i(batch1[i] @ batch2[i]).

    Shape:
        ``batch1`` (b, n, m) and ``batch2`` (b, m, p); ``input`` broadcasts to (n, p).

    Example:
        >>> torch.addbmm(torch.zeros(2, 2), torch.ones(3, 2, 4), torch.ones(3, 4, 2))
        tensor([[12., 12.],
                [12., 12.]])
    """
    _check_tensors("addbmm", input, batch1, batch2)
    return write_out(_scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha), out)


def _inplace_method(name, fn):
    """Tensor.<name>_(...): the out-of-place result written back into self (copy_ carries the
    autograd history)."""
    def method(self, *args, **kwargs):
        return self.copy_(fn(self, *args, **kwargs))
    method.__name__ = name + "_"
    method.__doc__ = f"{name}_(...) -> Tensor: in-place {name}."
    METHODS[name + "_"] = method


for _name, _fn in (("addmv", addmv), ("addr", addr), ("baddbmm", baddbmm), ("addbmm", addbmm),
                   ("addmm", addmm)):
    _inplace_method(_name, _fn)


@public("kron", method=True)
def kron(input, other, *, out=None):
    """kron(input, other, *, out=None) -> Tensor: the Kronecker product.

    Shape:
        the shorter shape is padded with leading 1s; each output size is the product of
        the two input sizes.

    Example:
        >>> torch.kron(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 1]]))
        tensor([[1, 1, 2, 2],
                [3, 3, 4, 4]])
    """
    _check_tensors("kron", input, other)
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape(tuple(x for d in sa for x in (d, 1)))
    b = other.reshape(tuple(x for d in sb for x in (1, d)))
    return write_out((a * b).reshape(tuple(x * y for x, y in zip(sa, sb))), out)


@public("tensordot")
def tensordot(a, b, dims=2, out=None):
    """tensordot(a, b, dims=2, out=None) -> Tensor: contracts the last ``dims`` dimensions of
    a with the first of b, or the listed pairs ``dims=([a dims], [b dims])``.

    Example:
        >>> a = torch.arange(6.).reshape(2, 3)
        >>> torch.tensordot(a, torch.ones(3, 2), dims=1)
        tensor([[ 3.,  3.],
                [12., 12.]])
        >>> torch.tensordot(a, a, dims=([0, 1], [0, 1]))
        tensor(55.)
    """
    _check_tensors("tensordot", a, b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise EmberRuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise EmberRuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                                    f"dims={dims}")
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise EmberRuntimeError("both dimension lists should have same length")
        da = [d % a.ndim for d in da]
        db = [d % b.ndim for d in db]
    for x, y in zip(da, db):
        # a size-1 contracted dimension broadcasts against the other operand's
        if a.shape[x] == 1 and b.shape[y] != 1:
            b = b.sum(y, keepdim=True)
        elif b.shape[y] == 1 and a.shape[x] != 1:
            a = a.sum(x, keepdim=True)
        if a.shape[x] != b.shape[y]:
            raise EmberRuntimeError(f"contracted dimensions need to match, but first has size "
                                    f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} "
                                    f"in dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    A = a.permute(*fa, *da).reshape(-1, k) if a.ndim else a.reshape(1, 1)
    B = b.permute(*db, *fb).reshape(k, -1) if b.ndim else b.reshape(1, 1)
    if A.dtype != B.dtype:
        rd = _dt.promote_types(A.dtype, B.dtype)
        A, B = A.to(rd), B.to(rd)
    res = (A @ B).reshape(tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))
    return write_out(res, out)


@public("inner", method=True)
def inner(input, other, *, out=None):
    """inner(input, other, *, out=None) -> Tensor: sum over the last dimensions of both (a
    scalar operand multiplies).

    Shape:
        ``(*a, k)`` and ``(*b, k)`` give ``(*a, *b)``.

    Example:
        >>> torch.inner(torch.tensor([1, 2, 3]), torch.tensor([1, 0, -1]))
        tensor(-2)
        >>> torch.inner(torch.ones(2, 3), torch.ones(4, 3)).shape
        torch.Size([2, 4])
    """
    _check_tensors("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return write_out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise EmberRuntimeError(f"inner() the last dimension must match on both input tensors "
                                f"but got shapes {list(input.shape)} and {list(other.shape)}")
    return write_out(tensordot(input, other, ([-1], [-1])), out)


@public("vdot", method=True)
def vdot(input, other, *, out=None):
    """vdot(input, other, *, out=None) -> Tensor: sum(conj(input) * other) of two 1-D
    tensors.

    Example:
        >>> torch.vdot(torch.tensor([1+2j, 3j]), torch.tensor([1+0j, 1+0j]))
        tensor(1.-5.j)
    """
    _check_tensors("vdot", input, other)
    if input.ndim != 1 or other.ndim != 1:
        raise EmberRuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                                "tensors")
    if input.dtype != other.dtype:
        raise EmberRuntimeError(f"vdot : expected both vectors to have same dtype, but found "
                                f"{input.dtype.scalar_name} and {other.dtype.scalar_name}")
    if input.shape[0] != other.shape[0]:
        raise EmberRuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and"
                                f" src [{other.shape[0]}] to have the same number of elements, "
                                "but got different sizes")
    a = input.conj() if input.is_complex() else input
    return write_out(_matmul("vdot", a, other), out)


@public("trace", method=True)
def trace(input):
    """trace(input) -> Tensor: sum of the main diagonal of a 2-D tensor.

    Example:
        >>> torch.trace(torch.arange(9.).reshape(3, 3))
        tensor(12.)
    """
    if input.ndim != 2:
        raise EmberRuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


@public("chain_matmul")
def chain_matmul(*matrices, out=None):
    """chain_matmul(*matrices, out=None) -> Tensor: product of 2-D matrices (multi_dot).

    Example:
        >>> a = torch.tensor([[1., 2.], [3., 4.]])
        >>> torch.chain_matmul(a, torch.eye(2), a)
        tensor([[ 7., 10.],
                [15., 22.]])
    """
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        if matrices[0].ndim != 2:
            raise EmberRuntimeError(f"chain_matmul(): Expected one or more 2D tensor but got a "
                                    f"{matrices[0].ndim}D tensor")
        return write_out(matrices[0].clone(), out)
    for t in matrices:
        if t.ndim != 2:
            raise EmberRuntimeError(f"chain_matmul(): Expected 2D tensors but got a {t.ndim}D "
                                    "tensor")
    return _linalg().multi_dot(matrices, out=out)


@public("cdist")
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """cdist(x1, x2, p=2.0, compute_mode=...) -> Tensor: p-norm distances between the rows of
    x1 (..., P, M) and x2 (..., R, M).

    Shape:
        ``x1`` (*, P, M) and ``x2`` (*, R, M) give (*, P, R), batch dims broadcast.

    Example:
        >>> torch.cdist(torch.tensor([[0., 0.], [1., 1.]]), torch.tensor([[3., 4.]]))
        tensor([[5.0000],
                [3.6056]])
    """
    _check_tensors("cdist", x1, x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise EmberRuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D"
                                if x1.ndim < 2 else
                                f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise EmberRuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                                f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise EmberRuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    from .reduction import vector_norm
    return vector_norm(diff, p, -1)


@public("dist", method=True)
def dist(input, other, p=2):
    """dist(input, other, p=2) -> Tensor: the p-norm of input - other.

    Example:
        >>> torch.dist(torch.tensor([1., 2.]), torch.tensor([4., 6.]))
        tensor(5.)
        >>> torch.dist(torch.tensor([1., 2.]), torch.tensor([4., 6.]), p=1)
        tensor(7.)
    """
    _check_tensors("dist", input, other)
    from .reduction import vector_norm
    return vector_norm(input - other, p)


# --- torch-namespace spellings of ember.linalg ---------------------------------------------------
def _linalg():
    from .. import linalg
    return linalg


@public("det", method=True)
def det(input):
    """det(input) -> Tensor: linalg.det.

    Shape:
        ``(*, n, n)`` gives ``(*)``.

    Example:
        >>> torch.det(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(-2.)
    """
    return _linalg().det(input)


@public("logdet", method=True)
def logdet(input):
    """logdet(input) -> Tensor: log(det(input)); NaN where the determinant is negative.

    Shape:
        ``(*, n, n)`` gives ``(*)``.

    Example:
        >>> torch.logdet(torch.tensor([[2., 0.], [0., 3.]]))
        tensor(1.7918)
        >>> torch.logdet(torch.tensor([[0., 1.], [1., 0.]]))
        tensor(nan)
    """
    sign, logabs = _linalg().slogdet(input)
    if input.is_complex():
        return sign.log() + logabs
    from .elementwise import where
    return where(sign < 0, float("nan"), logabs)


@public("slogdet", method=True)
def slogdet(input, *, out=None):
    """slogdet(input) -> (sign, logabsdet).

    Shape:
        ``(*, n, n)`` gives ``sign`` and ``logabsdet`` of shape ``(*)``.

    Example:
        >>> torch.slogdet(torch.tensor([[0., 1.], [1., 0.]]))
        torch.return_types.slogdet(
        sign=tensor(-1.),
        logabsdet=tensor(0.))
    """
    from .. import return_types as rt
    res = rt.slogdet(*_linalg().slogdet(input))
    return _linalg()._write_outs(res, out, rt.slogdet)


@public("inverse", method=True)
def inverse(input, *, out=None):
    """inverse(input, *, out=None) -> Tensor: linalg.inv.

    Shape:
        ``(*, n, n)`` gives ``(*, n, n)``.

    Example:
        >>> torch.inverse(torch.tensor([[2., 0.], [0., 4.]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _linalg().inv(input, out=out)


@public("matrix_exp", method=True)
def matrix_exp(input):
    """matrix_exp(input) -> Tensor: linalg.matrix_exp.

    Shape:
        ``(*, n, n)`` gives ``(*, n, n)``.

    Example:
        >>> torch.matrix_exp(torch.tensor([[1., 0.], [0., 2.]]))
        tensor([[2.7183, 0.0000],
                [0.0000, 7.3891]])
    """
    return _linalg().matrix_exp(input)


@public("matrix_power", method=True)
def matrix_power(input, n, *, out=None):
    """matrix_power(input, n, *, out=None) -> Tensor: linalg.matrix_power.

    Shape:
        ``(*, n, n)`` gives ``(*, n, n)``.

    Example:
        >>> torch.matrix_power(torch.tensor([[1, 1], [0, 1]]), 3)
        tensor([[1, 3],
                [0, 1]])
    """
    return _linalg().matrix_power(input, n, out=out)


@public("pinverse", method=True)
def pinverse(input, rcond=1e-15):
    """pinverse(input, rcond=1e-15) -> Tensor: linalg.pinv with rtol=rcond.

    Shape:
        ``(*, m, n)`` gives ``(*, n, m)``.

    Example:
        >>> torch.pinverse(torch.tensor([[1., 0.], [0., 2.], [0., 0.]]))
        tensor([[1.0000, 0.0000, 0.0000],
                [0.0000, 0.5000, 0.0000]])
    """
    return _linalg().pinv(input, rtol=rcond)


@public("cholesky", method=True)
def cholesky(input, upper=False, *, out=None):
    """cholesky(input, upper=False, *, out=None) -> Tensor: linalg.cholesky.

    Shape:
        ``(*, n, n)`` gives ``(*, n, n)``.

    Example:
        >>> torch.cholesky(torch.tensor([[4., 2.], [2., 2.]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    return _linalg().cholesky(input, upper=upper, out=out)


@public("cholesky_solve", method=True)
def cholesky_solve(input, input2, upper=False, *, out=None):
    """cholesky_solve(B, L, upper=False, *, out=None) -> Tensor: X with (L L^H) X = B (U^H U
    when upper). The gradient treats L as a full matrix, as torch's does.

    Shape:
        ``B`` (*, n, k) and ``L`` (*, n, n) give (*, n, k), batch dims broadcast.

    Example:
        >>> L = torch.tensor([[2., 0.], [1., 1.]])
        >>> torch.cholesky_solve(torch.tensor([[6.], [4.]]), L)
        tensor([[1.],
                [1.]])
    """
    L = _linalg()
    if input.ndim < 2 or input2.ndim < 2:
        raise EmberRuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} "
                                "dimensions instead" if input.ndim < 2 else
                                f"u should have at least 2 dimensions, but has {input2.ndim} "
                                "dimensions instead")
    A = input2.mH @ input2 if upper else input2 @ input2.mH
    return write_out(L.solve(A, input), out)


@public("cholesky_inverse", method=True)
def cholesky_inverse(input, upper=False, *, out=None):
    """cholesky_inverse(L, upper=False, *, out=None) -> Tensor: (L L^H)^-1 (U^H U when
    upper).

    Shape:
        ``(*, n, n)`` gives ``(*, n, n)``.

    Example:
        >>> torch.cholesky_inverse(torch.tensor([[1., 0.], [1., 1.]]))
        tensor([[ 2., -1.],
                [-1.,  1.]])
    """
    A = input.mH @ input if upper else input @ input.mH
    return _linalg().inv(A, out=out)


@public("qr", method=True)
def qr(input, some=True, *, out=None):
    """qr(input, some=True, *, out=None) -> (Q, R): linalg.qr in 'reduced' (some) or
    'complete' mode.

    Shape:
        ``(*, m, n)`` with k = min(m, n) gives Q (*, m, k) and R (*, k, n); with some=False,
        Q (*, m, m) and R (*, m, n).

    Example:
        >>> A = torch.tensor([[1., 2.], [3., 4.], [5., 6.]])
        >>> Q, R = torch.qr(A)
        >>> Q.shape, R.shape
        (torch.Size([3, 2]), torch.Size([2, 2]))
        >>> torch.allclose(Q @ R, A, atol=1e-6)
        True
    """
    from .. import return_types as rt
    L = _linalg()
    res = rt.qr(*L.qr(input, "reduced" if some else "complete"))
    return L._write_outs(res, out, rt.qr)


@public("svd", method=True)
def svd(input, some=True, compute_uv=True, *, out=None):
    """svd(input, some=True, compute_uv=True, *, out=None) -> (U, S, V), V (not V^H); without
    compute_uv, U and V are zero (m, m) and (n, n) matrices.

    Shape:
        ``(*, m, n)`` with k = min(m, n) gives U (*, m, k), S (*, k) and V (*, n, k); with
        some=False, U (*, m, m) and V (*, n, n).

    Example:
        >>> A = torch.tensor([[1., 2.], [3., 4.], [5., 6.]])
        >>> U, S, V = torch.svd(A)
        >>> U.shape, S.shape, V.shape
        (torch.Size([3, 2]), torch.Size([2]), torch.Size([2, 2]))
        >>> torch.allclose(U @ torch.diag(S) @ V.T, A, atol=1e-5)
        True
    """
    from .. import return_types as rt
    L = _linalg()
    if not compute_uv:
        S = L.svdvals(input)
        r, c = input.shape[-2], input.shape[-1]
        dt = input._array.dtype
        U = wrap(np.zeros(tuple(input.shape[:-2]) + (r, r), dt))
        V = wrap(np.zeros(tuple(input.shape[:-2]) + (c, c), dt))
        return L._write_outs(rt.svd(U, S, V), out, rt.svd)
    U, S, Vh = L.svd(input, full_matrices=not some)
    return L._write_outs(rt.svd(U, S, Vh.mH), out, rt.svd)


@public("lu", method=True)
def lu(A, pivot=True, get_infos=False, out=None):
    """lu(A, pivot=True, get_infos=False, out=None) -> (LU, pivots) or (LU, pivots, infos).

    Shape:
        ``(*, m, n)`` gives LU (*, m, n) and int32 pivots (*, min(m, n)), 1-based.

    Example:
        >>> LU, pivots = torch.lu(torch.tensor([[1., 2.], [3., 4.]]))
        >>> LU
        tensor([[3.0000, 4.0000],
                [0.3333, 0.6667]])
        >>> pivots
        tensor([2, 2], dtype=torch.int32)
    """
    L = _linalg()
    LU, piv, info = L.lu_factor_ex(A, pivot=pivot)
    res = (LU, piv, info) if get_infos else (LU, piv)
    if out is not None:
        for r, o in zip(res, out):
            write_out(r, o)
        return tuple(out)
    return res


@public("lu_unpack")
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None) ->
    (P, L, U); what is not unpacked comes back empty.

    Shape:
        LU (*, m, n) with k = min(m, n) gives P (*, m, m), L (*, m, k) and U (*, k, n).

    Example:
        >>> A = torch.tensor([[1., 2.], [3., 4.]])
        >>> P, L, U = torch.lu_unpack(*torch.lu(A))
        >>> L
        tensor([[1.0000, 0.0000],
                [0.3333, 1.0000]])
        >>> torch.allclose(P @ L @ U, A)
        True
    """
    from .. import return_types as rt
    L = _linalg()
    P, Lo, U = L._unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)
    empty = wrap(np.zeros((0,), LU_data._array.dtype))
    res = rt.lu_unpack(empty if P is None else P, empty if Lo is None else Lo,
                       empty if U is None else U)
    return L._write_outs(res, out, rt.lu_unpack)


@public("lu_solve", method=True)
def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """lu_solve(b, LU_data, LU_pivots, *, out=None) -> Tensor: linalg.lu_solve(LU, pivots,
    b).

    Shape:
        ``b`` (*, n, k), LU_data (*, n, n) and LU_pivots (*, n) give (*, n, k).

    Example:
        >>> LU, pivots = torch.lu(torch.tensor([[1., 2.], [3., 4.]]))
        >>> torch.lu_solve(torch.tensor([[5.], [11.]]), LU, pivots)
        tensor([[1.],
                [2.]])
    """
    return _linalg().lu_solve(LU_data, LU_pivots, b, out=out)


@public("triangular_solve", method=True)
def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """triangular_solve(b, A, upper=True, transpose=False, unitriangular=False) ->
    (solution, cloned_coefficient): solves A X = b (A^T X = b with transpose).

    Shape:
        ``b`` (*, n, k) and ``A`` (*, n, n); the solution is (*, n, k), batch dims broadcast.

    Example:
        >>> A = torch.tensor([[2., 1.], [0., 4.]])
        >>> torch.triangular_solve(torch.tensor([[4.], [8.]]), A).solution
        tensor([[1.],
                [2.]])
    """
    from .. import return_types as rt
    L = _linalg()
    if b.ndim < 2 or A.ndim < 2:
        raise EmberRuntimeError(f"torch.triangular_solve: Expected b to have at least 2 "
                                f"dimensions, but it has {b.ndim} dimensions instead"
                                if b.ndim < 2 else
                                f"torch.triangular_solve: Expected A to have at least 2 "
                                f"dimensions, but it has {A.ndim} dimensions instead")
    coef = A.mT if transpose else A
    X = L.solve_triangular(coef, b, upper=upper != bool(transpose), unitriangular=unitriangular)
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(b.shape[:-2]))
    res = rt.triangular_solve(X, A.expand(*batch, *A.shape[-2:]).clone())
    return L._write_outs(res, out, rt.triangular_solve)


@public("geqrf", method=True)
def geqrf(input, *, out=None):
    """geqrf(input, *, out=None) -> (a, tau): LAPACK's QR: R above the diagonal, the Householder
    vectors below it, and their scalar factors.

    Shape:
        ``(*, m, n)`` gives a (*, m, n) and tau (*, min(m, n)).

    Example:
        >>> a, tau = torch.geqrf(torch.tensor([[1., 2.], [3., 4.], [5., 6.]]))
        >>> a.shape, tau.shape
        (torch.Size([3, 2]), torch.Size([2]))
    """
    from .. import return_types as rt
    L = _linalg()
    L._check_matrix("geqrf", input, "input")
    from .linalg_decomp import untraceable
    untraceable("geqrf runs outside the op registry")
    a = input._array
    r, c = a.shape[-2], a.shape[-1]
    if a.size == 0:
        h, tau = np.zeros(a.shape, a.dtype), np.zeros(a.shape[:-2] + (min(r, c),), a.dtype)
    else:
        h, tau = np.linalg.qr(a, mode="raw")
        h = np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(a.dtype, copy=False)
        tau = tau.astype(a.dtype, copy=False)
    return L._write_outs(rt.geqrf(wrap(h), wrap(tau)), out, rt.geqrf)


@public("ormqr", method=True)
def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
    """ormqr(input, tau, other, left=True, transpose=False, *, out=None) -> Tensor: other
    multiplied by the Q of geqrf's (input, tau), from the left or right, Q^H if transpose.

    Example:
        >>> A = torch.tensor([[1., 2.], [3., 4.], [5., 6.]])
        >>> a, tau = torch.geqrf(A)
        >>> R = torch.cat([a.triu()[:2], torch.zeros(1, 2)])
        >>> torch.allclose(torch.ormqr(a, tau, R), A, atol=1e-5)
        True
    """
    L = _linalg()
    mn = input.shape[-2]
    Q = L._householder_q(input, input2, mn)
    if transpose:
        Q = Q.mH
    return write_out(Q @ input3 if left else input3 @ Q, out)


@public("svd_lowrank")
def svd_lowrank(A, q=6, niter=2, M=None):
    """svd_lowrank(A, q=6, niter=2, M=None) -> (U, S, V): a randomized rank-q SVD of A - M
    (Halko, Martinsson & Tropp's subspace iteration).

    Shape:
        ``A`` (*, m, n) gives U (*, m, q), S (*, q) and V (*, n, q).

    Example:
        >>> A = torch.outer(torch.arange(1., 6.), torch.tensor([1., 2., 3.]))
        >>> U, S, V = torch.svd_lowrank(A, q=2)
        >>> U.shape, S.shape, V.shape
        (torch.Size([5, 2]), torch.Size([2]), torch.Size([3, 2]))
        >>> torch.allclose(U @ torch.diag(S) @ V.T, A, atol=1e-4)
        True
    """
    from .random import randn
    L = _linalg()
    if M is not None:
        A = A - M
    q = 6 if q is None else q
    r, c = A.shape[-2], A.shape[-1]
    if r < c:
        U, S, V = svd_lowrank(A.mH, q, niter)
        return V, S, U
    R = randn(*A.shape[:-2], c, q, dtype=A.dtype)
    Q = L.qr(A @ R).Q
    for _ in range(niter):
        Q = L.qr(A.mH @ Q).Q
        Q = L.qr(A @ Q).Q
    U, S, Vh = L.svd(Q.mH @ A, full_matrices=False)
    return Q @ U, S, Vh.mH


@public("pca_lowrank")
def pca_lowrank(A, q=None, center=True, niter=2):
    """pca_lowrank(A, q=None, center=True, niter=2) -> (U, S, V): svd_lowrank of the
    column-centred A; q defaults to min(6, m, n).

    Shape:
        ``A`` (*, m, n) gives U (*, m, q), S (*, q) and V (*, n, q).

    Example:
        >>> A = torch.outer(torch.arange(1., 6.), torch.tensor([1., 2., 3.]))
        >>> U, S, V = torch.pca_lowrank(A, q=2)
        >>> U.shape, S.shape, V.shape
        (torch.Size([5, 2]), torch.Size([2]), torch.Size([3, 2]))
    """
    r, c = A.shape[-2], A.shape[-1]
    if q is None:
        q = min(6, r, c)
    if center:
        A = A - A.mean(-2, keepdim=True)
    return svd_lowrank(A, q, niter)


@public("cross", method=True)
def cross(input, other, dim=None, *, out=None):
    """cross(input, other, dim=None, *, out=None) -> Tensor: linalg.cross; without ``dim``, the
    first dimension of size 3.

    Example:
        >>> torch.cross(torch.tensor([1., 0., 0.]), torch.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise EmberRuntimeError("no dimension of size 3 in input")
    return _linalg().cross(input, other, dim=dim, out=out)
