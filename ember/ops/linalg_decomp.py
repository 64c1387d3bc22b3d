"""Matrix decompositions with their derivatives: svd, eigh, eig, qr, cholesky, lu_factor, ldl.

Kernels are numpy.linalg's batched routines (an own partial-pivoting LU, since NumPy has none).
Several of these ops have more than one differentiable output (U, S, Vh): ``apply_multi`` runs
them and makes one ``_MultiNode`` whose rule receives a tuple of output gradients (None for an
output no gradient reached) and the tuple of outputs. Rules are written in the rule dialect;
the few linear-algebra primitives they need (solve, inv) go through ``_solve``/``_inv``, which
pick NumPy or ember's own differentiable ops, so ``create_graph=True`` works.

Notation in the derivations below: ``X^H`` is the conjugate transpose, ``<X, Y> = Re tr(X^H Y)``
the real inner product the gradients are taken in (PyTorch's conjugate-Wirtinger convention).
"""
import numpy as np

from .._errors import EmberRuntimeError
from .._state import state
from .._storage import cell_of
from ..autograd.node import Node, Slot, _sequence, forward_stack
from ..tensor import Tensor, wrap
from . import dispatch
from .registry import op

_xp = dispatch._xp


# --- ops with several outputs --------------------------------------------------------------------
class _MultiNode(Node):
    """grad_fn of an op with several outputs: its rule is called once with every output's
    gradient (``rule(m, grads, *kept_inputs, outs, **attrs)``)."""

    __slots__ = ()

    def __init__(self, op, inputs, edges, attrs, outs, res):
        self.op = op
        self.attrs = attrs
        self.next = edges
        self.seq = next(_sequence)
        self.shape = tuple(o.shape for o in outs)
        self.dtype = tuple(o.dtype for o in outs)
        self.n_out = len(outs)
        self.tensor_hooks = self.retains = self.post_hooks = self.pre_hooks = None
        versions = []
        kept = [None] * len(inputs)
        for i in op.keep_inputs:
            if i >= len(inputs):
                break
            t = kept[i] = inputs[i]
            if isinstance(t, Tensor):
                c = cell_of(t)
                versions.append((c, c.version))
        self.kept = tuple(kept)
        self.kept_out = tuple(outs)
        for t in res:
            c = cell_of(t)
            versions.append((c, c.version))
        self.versions = tuple(versions)
        self.stack = forward_stack() if state.anomaly else None

    def custom_backward(self, g, tensor_mode):
        kept = self.unpack()
        outs = self.kept_out
        if tensor_mode:
            from .. import _diff_namespace as m
            vals = kept
            outs = tuple(wrap(o, Slot(self, k) if o.dtype.kind in "fc" else None)
                         for k, o in enumerate(outs))
        else:
            m = _xp
            vals = [v._array if isinstance(v, Tensor) else v for v in kept]
        grads = self.op.grad(m, tuple(g), *vals, outs, **self.attrs)
        return tuple(grads)


def untraceable(why):
    """Tell an active ember.compile trace that this call cannot be replayed (it runs eagerly)."""
    if state.tracer is not None:
        state.tracer.fail(why)


def apply_multi(op, inputs, attrs=None, *, arrays=None):
    """Run an op whose kernel returns a tuple of arrays; returns a tuple of Tensors, the
    floating ones sharing one grad_fn when an input requires grad."""
    untraceable(f"{op.name}: ops with several outputs are not traced yet")
    attrs = attrs or {}
    if arrays is None:
        arrays = [t._array if isinstance(t, Tensor) else t for t in inputs]
    outs = tuple(np.asarray(o) for o in op.forward(_xp, *arrays, **attrs))
    res = tuple(wrap(o) for o in outs)
    if state.grad_enabled and op.grad is not None:
        edges = tuple(t._edge if isinstance(t, Tensor) else None for t in inputs)
        if any(e is not None for e in edges):
            node = _MultiNode(op, inputs, edges, attrs, outs, res)
            for k, t in enumerate(res):
                if outs[k].dtype.kind in "fc":
                    t._edge = Slot(node, k)
    return res


# --- helpers shared by the rules (both namespaces) ---------------------------------------------
def is_tensor_mode(m):
    return getattr(m, "is_tensor_namespace", False)


def mH(m, x):
    """Conjugate transpose of the last two dimensions."""
    return m.conj(m.swapaxes(x, -1, -2))


def const(m, arr):
    """A NumPy constant as a value of namespace ``m``."""
    return wrap(np.asarray(arr)) if is_tensor_mode(m) else arr


def np_dtype(x):
    return x._array.dtype if isinstance(x, Tensor) else x.dtype


def eye_like(m, n, x):
    return const(m, np.eye(n, dtype=np_dtype(x)))


def diag(m, x):
    """The main diagonal of the last two dimensions."""
    if is_tensor_mode(m):
        return x.diagonal(0, -2, -1)
    return np.diagonal(x, 0, -2, -1)


def diag_embed(m, v, like=None):
    n = v.shape[-1]
    return m.expand_dims(v, -1) * eye_like(m, n, like if like is not None else v)


def solve(m, a, b):
    """a^{-1} b for a matrix right-hand side."""
    if is_tensor_mode(m):
        from .linalg_solve import solve_tensor
        return solve_tensor(a, b)
    return m.linalg.solve(a, b)


def inv(m, a):
    if is_tensor_mode(m):
        from .linalg_solve import inv_tensor
        return inv_tensor(a)
    return m.linalg.inv(a)


def tri_solve(m, a, b, upper, unit=False):
    """a^{-1} b with a triangular (only its ``upper``/lower triangle is read)."""
    if is_tensor_mode(m):
        from .linalg_solve import solve_triangular_tensor
        return solve_triangular_tensor(a, b, upper, unit)
    from .linalg_solve import triangular_kernel
    return triangular_kernel(np, a, b, upper=upper, left=True, unit=unit)


def off_diag_inverse(m, d):
    """F_ij = 1 / d_ij off the diagonal, 0 on it (d: ... x n x n differences)."""
    n = d.shape[-1]
    mask = const(m, ~np.eye(n, dtype=bool))
    safe = m.where(mask, d, const(m, np.ones((), dtype=np_dtype(d))))
    return m.where(mask, 1 / safe, const(m, np.zeros((), dtype=np_dtype(d))))


def _zeros(m, shape, dtype):
    return const(m, np.zeros(shape, dtype=dtype))


# --- svd -----------------------------------------------------------------------------------------
@op("linalg_svd", keep="", kind="linalg", node_name="LinalgSvdBackward0")
def _svd(m, a, full_matrices=False):
    if a.size == 0:
        return _empty_svd(a, full_matrices)
    return m.linalg.svd(a, full_matrices=full_matrices)


def _empty_svd(a, full):
    *batch, r, c = a.shape
    k = min(r, c)
    rdt = np.empty(0, a.dtype).real.dtype
    ur, vc = (r, c) if full else (k, k)
    u = np.broadcast_to(np.eye(r, ur, dtype=a.dtype), (*batch, r, ur)).copy()
    vh = np.broadcast_to(np.eye(vc, c, dtype=a.dtype), (*batch, vc, c)).copy()
    return u, np.zeros((*batch, k), rdt), vh


@_svd.derivative
def _svd_grad(m, grads, a, outs, full_matrices=False):
    # A = U S V^H with k = min(m, n). Differentiating U^H A V gives, for dP = U^H dA V,
    #   U^H dU = F o (dP S + S dP^H),  V^H dV = F o (S dP + dP^H S),  dS = Re diag(dP)
    # with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, plus the parts of dU, dV outside the
    # spans of U, V: (I - U U^H) dA V S^-1 and (I - V V^H) dA^H U S^-1. Transposing each map:
    #   gA = U [F o (J - J^H) S + S F o (K - K^H) + diag(gS)] V^H
    #        + (I - U U^H) gU S^-1 V^H + U S^-1 gV^H (I - V V^H),  J = U^H gU, K = V^H gV.
    # For complex inputs the phase of each singular pair is free; the imaginary part of
    # diag(J) then contributes i Im(J_ii) / s_i on the diagonal.
    gU, gS, gVh = grads
    U, S, Vh = outs
    k = S.shape[-1]
    if full_matrices:
        U, Vh = U[..., :k], Vh[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
    V = mH(m, Vh)
    if gS is None:
        gS = _zeros(m, S.shape, np_dtype(S))
    inner = diag_embed(m, gS, U)
    if gU is None and gVh is None:
        return (m.matmul(U * m.expand_dims(gS, -2), Vh),)
    s_col = m.expand_dims(S, -1)
    s_row = m.expand_dims(S, -2)
    F = off_diag_inverse(m, s_row * s_row - s_col * s_col)
    gA_extra = None
    if gU is not None:
        J = m.matmul(mH(m, U), gU)
        inner = inner + F * (J - mH(m, J)) * s_row
        if m.iscomplexobj(J):
            inner = inner + diag_embed(m, 1j * m.imag(diag(m, J)) / S, U)
        # (I - U U^H) gU S^-1 V^H, only nonzero when U does not span the column space (m > k)
        if U.shape[-2] > k:
            resid = gU - m.matmul(U, J)
            gA_extra = m.matmul(resid / s_row, Vh)
    if gVh is not None:
        gV = mH(m, gVh)
        K = m.matmul(Vh, gV)
        inner = inner + s_col * (F * (K - mH(m, K)))
        if Vh.shape[-1] > k:
            resid = gV - m.matmul(V, K)
            extra = m.matmul(U / s_row, mH(m, resid))
            gA_extra = extra if gA_extra is None else gA_extra + extra
    gA = m.matmul(m.matmul(U, inner), Vh)
    return (gA if gA_extra is None else gA + gA_extra,)


def svd(a, full_matrices=True):
    return apply_multi(_svd, (a,), {"full_matrices": bool(full_matrices)})


# --- eigh ----------------------------------------------------------------------------------------
@op("linalg_eigh", keep="", kind="linalg", node_name="LinalgEighBackward0")
def _eigh(m, a, UPLO="L"):
    if a.size == 0:
        rdt = np.empty(0, a.dtype).real.dtype
        return np.zeros(a.shape[:-1], rdt), np.zeros(a.shape, a.dtype)
    return m.linalg.eigh(a, UPLO=UPLO)


@_eigh.derivative
def _eigh_grad(m, grads, a, outs, UPLO="L"):
    # A = V diag(L) V^H: dL = diag(V^H dA V), V^H dV = E o (V^H dA V) with E_ij = 1/(l_j - l_i).
    # Taking the skew-Hermitian part of V^H gV first makes the gradient Hermitian, as the
    # input is read as a Hermitian matrix.
    gL, gV = grads
    L, V = outs
    inner = None if gL is None else diag_embed(m, gL, V)
    if gV is not None:
        K = m.matmul(mH(m, V), gV)
        E = off_diag_inverse(m, m.expand_dims(L, -2) - m.expand_dims(L, -1))
        part = E * ((K - mH(m, K)) * 0.5)
        inner = part if inner is None else inner + part
    if inner is None:
        return (None,)
    return (m.matmul(m.matmul(V, inner), mH(m, V)),)


def eigh(a, UPLO="L"):
    return apply_multi(_eigh, (a,), {"UPLO": UPLO})


# --- eig -----------------------------------------------------------------------------------------
def _complex_of(dt):
    return np.result_type(dt, np.complex64)


@op("linalg_eig", keep="", kind="linalg", node_name="LinalgEigBackward0")
def _eig(m, a):
    cdt = _complex_of(a.dtype)
    if a.size == 0:
        return np.zeros(a.shape[:-1], cdt), np.zeros(a.shape, cdt)
    w, v = m.linalg.eig(a)
    return w.astype(cdt, copy=False), v.astype(cdt, copy=False)


@_eig.derivative
def _eig_grad(m, grads, a, outs):
    # A V = V L: with dP = V^-1 dA V, dL = diag(dP) and V^-1 dV = E o dP (+ a diagonal fixed by
    # the unit-norm columns), E_ij = 1/(l_j - l_i). Transposed: gA = V^-H (diag(gL) +
    # conj(E) o W) V^H, W = V^H gV - V^H V diag(Re diag(V^H gV)) (the norm constraint).
    gL, gV = grads
    L, V = outs
    Vh = mH(m, V)
    inner = None if gL is None else diag_embed(m, gL, V)
    if gV is not None:
        W = m.matmul(Vh, gV)
        W = W - m.matmul(m.matmul(Vh, V), diag_embed(m, m.real(diag(m, W)), V))
        E = off_diag_inverse(m, m.expand_dims(L, -2) - m.expand_dims(L, -1))
        part = m.conj(E) * W
        inner = part if inner is None else inner + part
    if inner is None:
        return (None,)
    return (solve(m, Vh, m.matmul(inner, Vh)),)


def eig(a):
    return apply_multi(_eig, (a,), {})


# --- qr ------------------------------------------------------------------------------------------
@op("linalg_qr", keep="", kind="linalg", node_name="LinalgQrBackward0")
def _qr(m, a, mode="reduced"):
    *batch, r, c = a.shape
    k = min(r, c)
    if a.size == 0:
        qc = r if mode == "complete" else k
        q = np.broadcast_to(np.eye(r, qc, dtype=a.dtype), (*batch, r, qc)).copy()
        rr = np.zeros((*batch, r if mode == "complete" else k, c), a.dtype)
        if mode == "r":
            return np.zeros((0,), a.dtype), rr
        return q, rr
    if mode == "r":
        return np.zeros((0,), a.dtype), m.linalg.qr(a, mode="r")
    q, rr = m.linalg.qr(a, mode=mode)
    return q, rr


@_qr.derivative
def _qr_grad(m, grads, a, outs, mode="reduced"):
    # Square or tall (m >= n, reduced): with M = R gR^H - gQ^H Q,
    #   gA = (gQ + Q copyltu(M)) R^-H,  copyltu(M) = tril(M, -1) + tril(M, -1)^H + Re diag(M).
    # Wide (m < n): A = [X | Y] = Q [U | V]; Y = Q V contributes Q gV and Y gV^H to gQ, and X
    # is the square case.
    gQ, gR = grads
    Q, R = outs
    if mode == "r":
        raise EmberRuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                                "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                                "are going to differentiate through linalg.qr.")
    r, c = Q.shape[-2], R.shape[-1]
    if mode == "complete" and r > c:
        raise EmberRuntimeError("The QR decomposition is not differentiable when mode='complete' "
                                "and nrows > ncols.")
    if gQ is None:
        gQ = _zeros(m, Q.shape, np_dtype(Q))
    if gR is None:
        gR = _zeros(m, R.shape, np_dtype(R))
    gY = None
    if r < c:
        Rx, Ry = R[..., :, :r], R[..., :, r:]
        gRx, gRy = gR[..., :, :r], gR[..., :, r:]
        Y = m.matmul(Q, Ry)
        gQ = gQ + m.matmul(Y, mH(m, gRy))
        gY = m.matmul(Q, gRy)
        R, gR = Rx, gRx
    M = m.matmul(R, mH(m, gR)) - m.matmul(mH(m, gQ), Q)
    low = m.tril(M, -1)
    sym = low + mH(m, low) + diag_embed(m, m.real(diag(m, M)), M)
    b = gQ + m.matmul(Q, sym)
    # b R^-H = (R^-1 b^H)^H: a triangular solve with R
    gX = mH(m, tri_solve(m, R, mH(m, b), upper=True))
    if gY is None:
        return (gX,)
    return (m.concatenate([gX, gY], axis=-1),)


def qr(a, mode="reduced"):
    return apply_multi(_qr, (a,), {"mode": mode})


# --- cholesky ------------------------------------------------------------------------------------
def leading_minor_failures(a):
    """info per matrix as LAPACK's potrf reports it: 0, or the order of the first leading minor
    that is not positive-definite."""
    *batch, n, _ = a.shape
    flat = a.reshape(-1, n, n)
    info = np.zeros(flat.shape[0], np.int32)
    for b in range(flat.shape[0]):
        try:
            np.linalg.cholesky(flat[b])
            continue
        except np.linalg.LinAlgError:
            pass
        for k in range(1, n + 1):
            try:
                np.linalg.cholesky(flat[b, :k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return info.reshape(batch)


@op("linalg_cholesky_ex", keep="", kind="linalg", node_name="LinalgCholeskyExBackward0")
def _cholesky(m, a, upper=False):
    if upper:
        a = np.conj(np.swapaxes(a, -1, -2))
    if a.size == 0:
        L, info = np.zeros(a.shape, a.dtype), np.zeros(a.shape[:-2], np.int32)
    else:
        try:
            L = m.linalg.cholesky(a)
            info = np.zeros(a.shape[:-2], np.int32)
        except np.linalg.LinAlgError:
            info = leading_minor_failures(a)
            L = _cholesky_partial(a, info)
    if upper:
        L = np.conj(np.swapaxes(L, -1, -2))
    return np.ascontiguousarray(L), info


def _cholesky_partial(a, info):
    """Factor the matrices that are positive-definite; the others as LAPACK's unblocked potrf
    leaves them: columns before the failing one factored, the failing diagonal entry holding
    its non-positive pivot, the rest of the lower triangle untouched (upper triangle zero)."""
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    out = np.tril(flat)
    for b, bad in enumerate(info.reshape(-1)):
        if not bad:
            out[b] = np.linalg.cholesky(flat[b])
            continue
        L = out[b]
        for j in range(bad):
            d = flat[b, j, j] - np.vdot(L[j, :j], L[j, :j])
            if j == bad - 1:
                L[j, j] = d
                break
            L[j, j] = np.sqrt(d.real)
            L[j + 1:, j] = (flat[b, j + 1:, j] - L[j + 1:, :j] @ np.conj(L[j, :j])) / L[j, j]
    return out.reshape(a.shape)


@_cholesky.derivative
def _cholesky_grad(m, grads, a, outs, upper=False):
    # A = L L^H: L^-1 dA L^-H = L^-1 dL + (L^-1 dL)^H, so dL = L Phi(L^-1 dA L^-H) with Phi the
    # lower triangle with a halved diagonal; transposed, gA = L^-H M L^-1 where M is the
    # Hermitian matrix built from T = tril(L^H gL) (strict lower part mirrored, diagonal
    # halved). Like torch, the diagonal keeps its imaginary part, so for complex inputs the
    # gradient is only Hermitian up to a part that no Hermitian perturbation sees.
    gL = grads[0]
    L = outs[0]
    if gL is None:
        return (None,)
    if upper:
        L, gL = mH(m, L), mH(m, gL)
    T = m.tril(m.matmul(mH(m, L), gL))
    M = (T + mH(m, m.tril(T, -1))) * 0.5
    # L^-H M L^-1 = L^-H (L^-H M^H)^H
    LH = mH(m, L)
    return (tri_solve(m, LH, mH(m, tri_solve(m, LH, mH(m, M), upper=True)), upper=True),)


def cholesky_ex(a, upper=False):
    return apply_multi(_cholesky, (a,), {"upper": bool(upper)})


# --- lu ------------------------------------------------------------------------------------------
def lu_kernel(a):
    """Partial-pivoting LU of a batch of (r, c) matrices, LAPACK getrf's conventions: returns the
    packed LU, 1-based pivots (int32: row i was swapped with row pivots[i] - 1) and info (first
    zero pivot, 1-based, or 0)."""
    *batch, r, c = a.shape
    k = min(r, c)
    lu = np.array(a.reshape(-1, r, c), copy=True)
    nb = lu.shape[0]
    piv = np.zeros((nb, k), np.int32)
    info = np.zeros(nb, np.int32)
    rows = np.arange(nb)
    for j in range(k):
        col = lu[:, j:, j]
        # LAPACK's i?amax: |re| + |im| for complex (first index on ties)
        mag = np.abs(col.real) + np.abs(col.imag) if col.dtype.kind == "c" else np.abs(col)
        p = j + np.argmax(mag, axis=1)
        piv[:, j] = p + 1
        swap = p != j
        if swap.any():
            sel = rows[swap]
            tmp = lu[sel, j, :].copy()
            lu[sel, j, :] = lu[sel, p[swap], :]
            lu[sel, p[swap], :] = tmp
        d = lu[:, j, j]
        zero = d == 0
        info[(info == 0) & zero] = j + 1
        dd = np.where(zero, 1, d)
        if j + 1 < r:
            col = lu[:, j + 1:, j] / dd[:, None]
            col[zero] = lu[zero, j + 1:, j]
            lu[:, j + 1:, j] = col
            if j + 1 < c:
                lu[:, j + 1:, j + 1:] -= col[:, :, None] * lu[:, j, None, j + 1:]
    return (lu.reshape(*batch, r, c), piv.reshape(*batch, k), info.reshape(batch))


def pivots_to_perm(piv, r):
    """perm with (P^T A)[i] = A[perm[i]] for LAPACK pivots of an r-row matrix."""
    *batch, k = piv.shape
    flat = piv.reshape((int(np.prod(batch)), k)).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(r), (flat.shape[0], r)).copy()
    rows = np.arange(flat.shape[0])
    for j in range(k):
        p = flat[:, j]
        tmp = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = tmp
    return perm.reshape(*batch, r)


def perm_matrix(perm, dtype):
    """P with A = P (P^T A): P[perm[i], i] = 1."""
    r = perm.shape[-1]
    eye = np.eye(r, dtype=dtype)
    # columns of P: P[:, i] = e_{perm[i]}, i.e. P = eye[:, perm]
    return np.swapaxes(eye[perm], -1, -2)


@op("linalg_lu_factor_ex", keep="", kind="linalg", node_name="LinalgLuFactorExBackward0")
def _lu_factor(m, a, pivot=True):
    if a.size == 0:
        k = min(a.shape[-2:])
        return (np.zeros(a.shape, a.dtype), np.ones(a.shape[:-2] + (k,), np.int32),
                np.zeros(a.shape[:-2], np.int32))
    return lu_kernel(a)


@_lu_factor.derivative
def _lu_factor_grad(m, grads, a, outs, pivot=True):
    # A = P L U. Square: X = L^-1 P^T dA U^-1 = L^-1 dL + dU U^-1 (strictly lower + upper), so
    #   gA = P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H.
    # Tall (r > c): L = [L1; L2], L2 = A2 U^-1 adds gL2 U^-H to gA2 and -L2^H gL2 to gU U^H.
    # Wide (r < c): U = [U1 | U2], U2 = L^-1 P^T A2 adds P L^-H gU2 to gA2 and -L^-H gU2 U2^H
    # to gL.
    gLU = grads[0]
    LU, piv = outs[0], outs[1]
    if gLU is None:
        return (None,)
    r, c = LU.shape[-2], LU.shape[-1]
    k = min(r, c)
    piv_np = piv._array if isinstance(piv, Tensor) else piv
    P = const(m, perm_matrix(pivots_to_perm(piv_np, r), np_dtype(LU)))
    L = m.tril(LU[..., :, :k], -1) + eye_like(m, r, LU)[..., :, :k]
    U = m.triu(LU[..., :k, :])
    gL = m.tril(gLU[..., :, :k], -1)
    gU = m.triu(gLU[..., :k, :])
    if r == c:
        inner = m.tril(m.matmul(mH(m, L), gL), -1) + m.triu(m.matmul(gU, mH(m, U)))
        return (m.matmul(P, _left_right(m, L, inner, U)),)
    if r > c:
        L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
        inner = (m.tril(m.matmul(mH(m, L1), gL1), -1)
                 + m.triu(m.matmul(gU, mH(m, U)) - m.matmul(mH(m, L2), gL2)))
        top = _left_right(m, L1, inner, U)
        # gL2 U^-H = (U^-1 gL2^H)^H
        bottom = mH(m, tri_solve(m, U, mH(m, gL2), upper=True))
        return (m.matmul(P, m.concatenate([top, bottom], axis=-2)),)
    U1, U2, gU1, gU2 = U[..., :, :k], U[..., :, k:], gU[..., :, :k], gU[..., :, k:]
    LinvH_gU2 = tri_solve(m, mH(m, L), gU2, upper=True, unit=True)
    gL = gL - m.matmul(LinvH_gU2, mH(m, U2))
    inner = m.tril(m.matmul(mH(m, L), gL), -1) + m.triu(m.matmul(gU1, mH(m, U1)))
    left = _left_right(m, L, inner, U1)
    return (m.matmul(P, m.concatenate([left, LinvH_gU2], axis=-1)),)


def _left_right(m, L, inner, U):
    """L^-H inner U^-H for unit lower L and upper U."""
    y = tri_solve(m, mH(m, L), inner, upper=True, unit=True)
    return mH(m, tri_solve(m, U, mH(m, y), upper=True))


def lu_factor_ex(a, pivot=True):
    return apply_multi(_lu_factor, (a,), {"pivot": bool(pivot)})


# --- ldl (LAPACK's sytrf through SciPy: NumPy has no Bunch-Kaufman factorization) ----------------
def _lapack(name, dtype):
    try:
        from scipy.linalg import lapack
    except ImportError:
        raise EmberRuntimeError(f"{name} needs SciPy's LAPACK wrappers: pip install scipy") \
            from None
    prefix = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}[dtype.name]
    return getattr(lapack, prefix + name)


def ldl_factor_kernel(a, hermitian=False):
    *batch, n, _ = a.shape
    flat = a.reshape((int(np.prod(batch)), n, n))
    ld = np.zeros_like(flat)
    piv = np.zeros((flat.shape[0], n), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    if flat.size:
        fn = _lapack("hetrf" if hermitian and a.dtype.kind == "c" else "sytrf", a.dtype)
        for b in range(flat.shape[0]):
            res, ipiv, inf = fn(flat[b], lower=1)
            ld[b] = np.tril(res)
            piv[b] = ipiv
            info[b] = inf
    return ld.reshape(a.shape), piv.reshape(*batch, n), info.reshape(batch)


def ldl_solve_kernel(ld, piv, b, hermitian=False):
    n = ld.shape[-1]
    batch = np.broadcast_shapes(ld.shape[:-2], piv.shape[:-1], b.shape[:-2])
    nb = int(np.prod(batch))
    ldb = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape(nb, n, n)
    pb = np.broadcast_to(piv, batch + piv.shape[-1:]).reshape(nb, n)
    bb = np.broadcast_to(b, batch + b.shape[-2:]).reshape(nb, n, b.shape[-1])
    out = np.zeros(bb.shape, np.result_type(ld.dtype, b.dtype))
    if out.size:
        fn = _lapack("hetrs" if hermitian and ld.dtype.kind == "c" else "sytrs", out.dtype)
        for i in range(bb.shape[0]):
            x, _ = fn(ldb[i], pb[i], bb[i], lower=1)
            out[i] = x
    return out.reshape(batch + b.shape[-2:])
