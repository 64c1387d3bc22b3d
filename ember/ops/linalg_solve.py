"""Determinants, inverses, linear solves, the pseudo-inverse, the matrix exponential and the cross
product, with their derivatives (notation as in linalg_decomp.py)."""
import numpy as np

from . import dispatch
from .linalg_decomp import (
    apply_multi,
    const,
    eye_like,
    inv,
    is_tensor_mode,
    lu_kernel,
    mH,
    np_dtype,
    solve,
)
from .registry import op


# --- det / slogdet -------------------------------------------------------------------------------
@op("linalg_det", keep="a+out", kind="linalg", node_name="LinalgDetBackward0")
def _det(m, a):
    if a.size == 0:
        return np.ones(a.shape[:-2], a.dtype)
    return m.linalg.det(a).astype(a.dtype, copy=False)


def adjugate_np(a):
    """adj(A) (= det(A) A^-1 where A is invertible) for any square A, through the SVD:
    adj(U S V^H) = det(U) det(V^H) V adj(S) U^H, adj(S)_ii = prod_{j != i} s_j."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(s[..., 1:], -1)], axis=-1),
                               axis=-1), -1)
    others = before * after           # prod of the other singular values, zeros allowed
    phase = np.linalg.det(u) * np.linalg.det(vh)
    adj = np.matmul(np.conj(np.swapaxes(vh, -1, -2)) * others[..., None, :],
                    np.conj(np.swapaxes(u, -1, -2)))
    return adj * phase[..., None, None]


@_det.derivative
def _det_grad(m, g, a, out):
    # d det = tr(adj(A) dA), so gA = g adj(A)^H = g conj(det) A^-H where A is invertible.
    g = m.expand_dims(m.expand_dims(g, -1), -1)
    if is_tensor_mode(m):
        d = m.expand_dims(m.expand_dims(m.conj(out), -1), -1)
        return g * d * mH(m, inv(m, a))
    return g * mH(m, adjugate_np(a))


def det(a):
    return dispatch.apply(_det, (a,))


@op("linalg_slogdet", keep="a", kind="linalg", node_name="LinalgSlogdetBackward0")
def _slogdet(m, a):
    rdt = np.empty(0, a.dtype).real.dtype
    if a.size == 0:
        return np.ones(a.shape[:-2], a.dtype), np.zeros(a.shape[:-2], rdt)
    sign, logabs = m.linalg.slogdet(a)
    return sign.astype(a.dtype, copy=False), logabs.astype(rdt, copy=False)


@_slogdet.derivative
def _slogdet_grad(m, grads, a, outs):
    # d log det = tr(A^-1 dA) = d logabsdet + i d(angle): with sign = e^{i angle},
    # gA = (g_logabs + i c) A^-H, c = -Im(conj(g_sign) sign) (0 for real inputs).
    g_sign, g_log = grads
    sign = outs[0]
    k = g_log if g_log is not None else const(m, np.zeros(sign.shape, np_dtype(sign).type(0)
                                                          .real.dtype))
    if g_sign is not None and np_dtype(sign).kind == "c":
        k = k - 1j * m.imag(m.conj(g_sign) * sign)
    k = m.expand_dims(m.expand_dims(k, -1), -1)
    return (k * mH(m, inv(m, a)),)


def slogdet(a):
    return apply_multi(_slogdet, (a,), {})


# --- inv -----------------------------------------------------------------------------------------
def lu_solve_np(a, b):
    """A^-1 B through getrf's LU and substitution: a singular A gives inf/nan where LAPACK's
    getrs does (what torch's _ex variants return), with getrf's info."""
    lu, piv, info = lu_kernel(a)
    n = a.shape[-1]
    from .linalg_decomp import perm_matrix, pivots_to_perm
    pt = np.swapaxes(perm_matrix(pivots_to_perm(piv, n), a.dtype), -1, -2)
    y = _substitute(np.tril(lu, -1) + np.eye(n, dtype=a.dtype), pt @ b, upper=False)
    return _substitute(np.triu(lu), y, upper=True), info


@op("linalg_inv_ex", keep="", kind="linalg", node_name="LinalgInvExBackward0")
def _inv_ex(m, a):
    info = np.zeros(a.shape[:-2], np.int32)
    if a.size == 0:
        return np.zeros(a.shape, a.dtype), info
    try:
        return m.linalg.inv(a), info
    except np.linalg.LinAlgError:
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return lu_solve_np(a, eye)


@_inv_ex.derivative
def _inv_grad(m, grads, a, outs):
    # d(A^-1) = -A^-1 dA A^-1, so gA = -A^-H g A^-H.
    g = grads[0]
    if g is None:
        return (None,)
    xh = mH(m, outs[0])
    return (-m.matmul(m.matmul(xh, g), xh),)


def inv_ex(a):
    return apply_multi(_inv_ex, (a,), {})


def inv_tensor(a):
    """A^-1 as a differentiable ember op (rules under create_graph)."""
    return inv_ex(a)[0]


# --- solve ---------------------------------------------------------------------------------------
@op("linalg_solve_ex", keep="a", kind="linalg", node_name="LinalgSolveExBackward0")
def _solve_ex(m, a, b, left=True, vector=False):
    info = np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2 + vector]), np.int32)
    if vector:
        b = b[..., None]
    if not left:
        a, b = np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    if a.size == 0 or b.size == 0:
        x = np.zeros(shape, np.result_type(a.dtype, b.dtype))
    else:
        try:
            x = m.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            x, info = lu_solve_np(a, b)
            info = np.broadcast_to(info, shape[:-2]).copy()
    if not left:
        x = np.swapaxes(x, -1, -2)
    if vector:
        x = x[..., 0]
    return np.ascontiguousarray(x), info


@_solve_ex.derivative
def _solve_grad(m, grads, a, b, outs, left=True, vector=False):
    # left: X = A^-1 B, so gB = A^-H gX and gA = -gB X^H; right: X = B A^-1, gB = gX A^-H and
    # gA = -X^H gB.
    g = grads[0]
    if g is None:
        return None, None
    x = outs[0]
    if vector:
        g, x = m.expand_dims(g, -1), m.expand_dims(x, -1)
    if left:
        gb = solve(m, mH(m, a), g)
        ga = -m.matmul(gb, mH(m, x))
    else:
        gb = mH(m, solve(m, a, mH(m, g)))
        ga = -m.matmul(mH(m, x), gb)
    if vector:
        gb = gb[..., 0]
    return ga, gb


def solve_ex(a, b, left=True):
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    return apply_multi(_solve_ex, (a, b), {"left": bool(left), "vector": vector})


def solve_tensor(a, b):
    return solve_ex(a, b)[0]


# --- solve_triangular ----------------------------------------------------------------------------
def _substitute(a, b, upper):
    """Forward/back substitution for triangular a (..., n, n) and b (..., n, k); zeros on the
    diagonal give inf/nan as LAPACK's trsm does."""
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        if upper:
            s = np.einsum("...j,...jk->...k", a[..., i, i + 1:], x[..., i + 1:, :])
        else:
            s = np.einsum("...j,...jk->...k", a[..., i, :i], x[..., :i, :])
        x[..., i, :] = (x[..., i, :] - s) / a[..., i, i, None]
    return x


def triangular_kernel(m, a, b, upper, left=True, unit=False):
    if not left:
        # X A = B  <=>  A^T X^T = B^T, and A^T has the other triangle
        xt = triangular_kernel(m, np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper,
                               True, unit)
        return np.swapaxes(xt, -1, -2)
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        t = t.copy() if t is a else t
        idx = np.arange(n)
        t[..., idx, idx] = 1
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    if t.size == 0 or b.size == 0:
        return np.zeros(shape, np.result_type(a.dtype, b.dtype))
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        return _substitute(t, b, upper)


@op("linalg_solve_triangular", keep="a+out", kind="linalg",
    node_name="LinalgSolveTriangularBackward0")
def _solve_triangular(m, a, b, upper, left=True, unitriangular=False):
    return np.ascontiguousarray(triangular_kernel(m, a, b, upper, left, unitriangular))


@_solve_triangular.derivative
def _solve_triangular_grad(m, g, a, b, out, upper, left=True, unitriangular=False):
    # As solve, with gA restricted to the triangle that was read (the strict one when unit).
    if left:
        gb = solve_triangular_tensor(mH(m, a), g, not upper, unitriangular) \
            if is_tensor_mode(m) else triangular_kernel(m, mH(m, a), g, not upper, True,
                                                        unitriangular)
        ga = -m.matmul(gb, mH(m, out))
    else:
        gb = solve_triangular_tensor(mH(m, a), g, not upper, unitriangular, left=False) \
            if is_tensor_mode(m) else triangular_kernel(m, mH(m, a), g, not upper, False,
                                                        unitriangular)
        ga = -m.matmul(mH(m, out), gb)
    k = 1 if unitriangular else 0
    ga = m.triu(ga, k) if upper else m.tril(ga, -k)
    return ga, gb


def solve_triangular_tensor(a, b, upper, unit=False, left=True):
    return dispatch.apply(_solve_triangular, (a, b), {"upper": bool(upper), "left": bool(left),
                                                      "unitriangular": bool(unit)})


# --- pinv ----------------------------------------------------------------------------------------
@op("linalg_pinv", keep="a+out", kind="linalg", node_name="LinalgPinvBackward0")
def _pinv(m, a, atol=None, rtol=None, hermitian=False):
    *batch, r, c = a.shape
    if a.size == 0:
        return np.zeros((*batch, c, r), a.dtype)
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    smax = s.max(axis=-1, keepdims=True)
    cut = np.maximum(_tol(atol, s.dtype), _tol(rtol, s.dtype) * smax)
    keep = s > cut
    if hermitian:
        winv = np.where(keep, 1 / np.where(keep, w, 1), 0)
        return np.matmul(v * winv[..., None, :], np.conj(np.swapaxes(v, -1, -2))).astype(a.dtype)
    sinv = np.where(keep, 1 / np.where(keep, s, 1), 0)
    vs = np.conj(np.swapaxes(vh, -1, -2)) * sinv[..., None, :]
    return np.matmul(vs, np.conj(np.swapaxes(u, -1, -2))).astype(a.dtype, copy=False)


def _tol(t, dtype):
    if t is None:
        return np.zeros((), dtype)
    t = np.asarray(t, dtype=dtype)
    return t[..., None] if t.ndim else t


@_pinv.derivative
def _pinv_grad(m, g, a, out, atol=None, rtol=None, hermitian=False):
    # Golub-Pereyra: dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, so
    # gA = -P^H g P^H + (I - A P) g^H P P^H + P^H P g^H (I - P A).
    p = out
    ph, gh = mH(m, p), mH(m, g)
    r, c = a.shape[-2], a.shape[-1]
    ap = eye_like(m, r, a) - m.matmul(a, p)
    pa = eye_like(m, c, a) - m.matmul(p, a)
    return (-m.matmul(m.matmul(ph, g), ph) + m.matmul(m.matmul(ap, gh), m.matmul(p, ph))
            + m.matmul(m.matmul(ph, p), m.matmul(gh, pa)))


def pinv(a, atol=None, rtol=None, hermitian=False):
    return dispatch.apply(_pinv, (a,), {"atol": atol, "rtol": rtol, "hermitian": hermitian})


# --- matrix_exp ----------------------------------------------------------------------------------
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def expm_kernel(a):
    """exp(A) by scaling and squaring with the degree-13 Pade approximant (Higham 2005),
    computed in double precision."""
    work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    n = a.shape[-1]
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    norm1 = np.abs(work).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore"):
        s = np.where(norm1 > _THETA13, np.ceil(np.log2(np.maximum(norm1, 1e-300) / _THETA13)),
                     0).astype(np.int64)
    work = work / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = np.eye(n, dtype=work.dtype)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
                + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    smax = int(s.max()) if s.size else 0
    for i in range(smax):
        sq = r @ r
        r = np.where((s > i)[..., None, None], sq, r)
    return r.astype(a.dtype)


@op("linalg_matrix_exp", keep="a", kind="linalg", node_name="LinalgMatrixExpBackward0")
def _matrix_exp(m, a):
    return expm_kernel(a)


@_matrix_exp.derivative
def _matrix_exp_grad(m, g, a, out):
    # The Frechet derivative of exp at A applied to E is the top-right block of
    # exp([[A, E], [0, A]]); its adjoint is the same with A^H: gA = exp([[A^H, g], [0, A^H]])_12.
    ah = mH(m, a)
    n = a.shape[-1]
    zero = const(m, np.zeros(tuple(a.shape), np_dtype(a)))
    top = m.concatenate([ah, g], axis=-1)
    bottom = m.concatenate([zero, ah], axis=-1)
    block = m.concatenate([top, bottom], axis=-2)
    if is_tensor_mode(m):
        e = dispatch.apply(_MATRIX_EXP, (block,))
    else:
        e = expm_kernel(block)
    return e[..., :n, n:]


_MATRIX_EXP = _matrix_exp


def matrix_exp(a):
    return dispatch.apply(_matrix_exp, (a,))


# --- cross ---------------------------------------------------------------------------------------
@op("linalg_cross", keep="ab", kind="linalg", node_name="LinalgCrossBackward0")
def _cross(m, a, b, dim=-1):
    a, b = np.broadcast_arrays(a, b)
    return np.cross(a, b, axis=dim)


def _cross_ga(m, g, a, b, dim=-1):
    # g . (da x b) = da . (b x g);  g . (a x db) = db . (g x a)
    return cross_any(m, m.conj(b), g, dim)


def _cross_gb(m, g, a, b, dim=-1):
    return cross_any(m, g, m.conj(a), dim)


_cross.derivative((lambda m, g, a, b, out, dim=-1: _cross_ga(m, g, a, b, dim),
                   lambda m, g, a, b, out, dim=-1: _cross_gb(m, g, a, b, dim)))


def cross_any(m, a, b, dim):
    if is_tensor_mode(m):
        return cross(a, b, dim)
    return _cross.forward(m, a, b, dim)


def cross(a, b, dim=-1):
    return dispatch.apply(_cross, (a, b), {"dim": dim})

