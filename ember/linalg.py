"""ember.linalg: PyTorch's torch.linalg namespace.

Thin functions with torch's signatures: argument checks and torch's error messages, ``out=``,
named result tuples. The math (kernels and derivatives) lives in ops/linalg_decomp.py and
ops/linalg_solve.py; functions that torch composes from other ops (norms, cond, matrix_power,
multi_dot, lu_solve…) are composed here from differentiable ember ops, so their gradients come
for free.
"""
import math

import numpy as np

from . import dtypes as _dt
from . import return_types as _rt
from ._errors import EmberRuntimeError, EmberTypeError
from .ops import linalg_decomp as _dec
from .ops import linalg_solve as _sol
from .ops._public import write_out
from .ops.reduction import vector_norm as _vector_norm
from .tensor import Tensor, wrap

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh",
    "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex",
    "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp",
    "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
    "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve",
    "vander", "vecdot", "vector_norm",
]


class LinAlgError(EmberRuntimeError):
    """Raised when a decomposition or solve fails on its input (a singular matrix, one that is
    not positive-definite): torch.linalg.LinAlgError, a RuntimeError."""


# --- argument checks -----------------------------------------------------------------------------
def _check_tensor(name, A, arg="A"):
    if not isinstance(A, Tensor):
        raise EmberTypeError(f"linalg.{name}(): argument '{arg}' must be Tensor, not "
                             f"{type(A).__name__}")


def _check_float(name, A, low_precision=False):
    if A.dtype in (_dt.float16, _dt.bfloat16):
        if low_precision:
            return
        raise EmberRuntimeError(f"linalg.{name}: Low precision dtypes not supported. Got "
                                f"{A.dtype.scalar_name}")
    if A._array.dtype.kind not in "fc":
        raise EmberRuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                                f"input. Got {A.dtype.scalar_name}")


def _check_matrix(name, A, arg="A"):
    _check_tensor(name, A, arg)
    if A.ndim < 2:
        raise EmberRuntimeError(f"linalg.{name}: The input tensor {arg} must have at least 2 "
                                f"dimensions.")
    _check_float(name, A)


def _check_square(name, A, arg="A"):
    _check_matrix(name, A, arg)
    if A.shape[-1] != A.shape[-2]:
        raise EmberRuntimeError(f"linalg.{name}: {arg} must be batches of square matrices, but "
                                f"they are {A.shape[-2]} by {A.shape[-1]} matrices")


def _check_same_dtype(name, A, B):
    if A.dtype != B.dtype:
        raise EmberRuntimeError(f"linalg.{name}: Expected A and B to have the same dtype, but "
                                f"found A of type {A.dtype.scalar_name} and B of type "
                                f"{B.dtype.scalar_name} instead")


def _batch_prefix(info, idx):
    if info.ndim == 0:
        return ""
    return f"(Batch element {int(np.ravel_multi_index(idx, info.shape))}): "


def _raise_info(name, info, what):
    """Raise torch's error for the first nonzero LAPACK info; ``what(k)`` words it."""
    _dec.untraceable(f"linalg.{name} checks its result's info")
    info = np.asarray(info)
    bad = np.argwhere(info > 0)
    if len(bad):        # (a 0-d info gives one empty index row)
        idx = tuple(bad[0])
        raise LinAlgError(f"linalg.{name}: {_batch_prefix(info, idx)}"
                                f"{what(int(info[idx]))}")


def _singular(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because "
            "the input matrix is singular.")


def _write_outs(res, out, cls):
    if out is None:
        return res
    if not isinstance(out, (tuple, list)) or len(out) != len(res):
        raise EmberTypeError(f"out= must be a tuple of {len(res)} tensors")
    for r, o in zip(res, out):
        write_out(r, o)
    return cls(*out)


# --- determinants, inverses, solves ------------------------------------------------------------
def det(A, *, out=None):
    """linalg.det(A, *, out=None) -> Tensor: determinant of each square matrix."""
    _check_square("det", A)
    return write_out(_sol.det(A), out)


def slogdet(A, *, out=None):
    """linalg.slogdet(A, *, out=None) -> (sign, logabsdet)."""
    _check_square("slogdet", A)
    return _write_outs(_rt.linalg_slogdet(*_sol.slogdet(A)), out, _rt.linalg_slogdet)


def inv_ex(A, *, check_errors=False, out=None):
    """linalg.inv_ex(A, *, check_errors=False, out=None) -> (inverse, info)."""
    _check_square("inv_ex", A)
    res = _sol.inv_ex(A)
    if check_errors:
        _raise_info("inv_ex", res[1]._array, _singular)
    return _write_outs(_rt.linalg_inv_ex(*res), out, _rt.linalg_inv_ex)


def inv(A, *, out=None):
    """linalg.inv(A, *, out=None) -> Tensor: inverse of each square matrix; raises for a
    singular one."""
    _check_square("inv", A)
    res, info = _sol.inv_ex(A)
    _raise_info("inv", info._array, _singular)
    return write_out(res, out)


def _solve_checks(name, A, B):
    _check_square(name, A)
    _check_tensor(name, B, "B")
    _check_same_dtype(name, A, B)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    if (B.shape[-1] if vector else B.shape[-2]) != n:
        bs = tuple(B.shape)
        raise EmberRuntimeError(f"linalg.{name}: Incompatible shapes of A and B for the equation "
                                f"AX = B ({n}x{n} and {'x'.join(map(str, bs[-2:]))})")


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """linalg.solve_ex(A, B, *, left=True, check_errors=False, out=None) -> (result, info)."""
    _solve_checks("solve_ex", A, B if left else B.mT if B.ndim > 1 else B)
    res = _sol.solve_ex(A, B, left)
    if check_errors:
        _raise_info("solve_ex", res[1]._array, _singular)
    return _write_outs(_rt.linalg_solve_ex(*res), out, _rt.linalg_solve_ex)


def solve(A, B, *, left=True, out=None):
    """linalg.solve(A, B, *, left=True, out=None) -> Tensor: X with AX = B (XA = B when
    left=False); B may be a (batch of) vector(s)."""
    _solve_checks("solve", A, B if left else B.mT if B.ndim > 1 else B)
    res, info = _sol.solve_ex(A, B, left)
    if np.any(info._array > 0):
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                          "singular.")
    return write_out(res, out)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """linalg.solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None)."""
    _check_matrix("solve_triangular", A)
    _check_matrix("solve_triangular", B, "B")
    _check_same_dtype("solve_triangular", A, B)
    if A.shape[-1] != A.shape[-2]:
        raise EmberRuntimeError("linalg.solve_triangular: A must be batches of square matrices, "
                                f"but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    k = B.shape[-2] if left else B.shape[-1]
    if k != A.shape[-1]:
        raise EmberRuntimeError("linalg.solve_triangular: Incompatible shapes of A and B for the "
                                f"equation {'AX = B' if left else 'XA = B'} "
                                f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    return write_out(_sol.solve_triangular_tensor(A, B, upper, unitriangular, left), out)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """linalg.pinv(A, *, atol=None, rtol=None, hermitian=False, out=None) -> Tensor: the
    Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * s_max) count as 0.
    The legacy positional ``rcond`` is rtol."""
    _check_matrix("pinv", A)
    if rcond is not None:
        rtol = rcond
    atol, rtol = _tolerances(A, atol, rtol)
    return write_out(_sol.pinv(A, atol, rtol, bool(hermitian)), out)


def _tol_value(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        a = t._array
        return float(a) if a.ndim == 0 else a.astype(np.float64)
    return float(t)


def _tolerances(A, atol, rtol):
    """torch's defaults: rtol = eps * max(m, n) when neither is given, 0 when only atol is."""
    atol, rtol = _tol_value(atol), _tol_value(rtol)
    if rtol is None:
        if atol is None or (np.ndim(atol) == 0 and atol <= 0):
            rtol = float(np.finfo(A._array.dtype).eps) * max(A.shape[-2], A.shape[-1])
        else:
            rtol = 0.0
    return atol, rtol


def matrix_exp(A):
    """linalg.matrix_exp(A) -> Tensor: exp of each square matrix (scaling and squaring)."""
    _check_square("matrix_exp", A)
    return _sol.matrix_exp(A)


def matrix_power(A, n, *, out=None):
    """linalg.matrix_power(A, n, *, out=None) -> Tensor: A^n by repeated squaring; n < 0
    inverts first."""
    _check_tensor("matrix_power", A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise EmberRuntimeError("linalg.matrix_power: A must be batches of square matrices, but "
                                f"they are {A.shape[-2] if A.ndim > 1 else 1} by "
                                f"{A.shape[-1] if A.ndim else 1} matrices")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise EmberTypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A._array.dtype), tuple(A.shape))
        # still a function of A (zero gradient), as torch's result
        return write_out(A * 0 + wrap(eye.copy()), out)
    if n < 0:
        A = inv(A)
        n = -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    if result is A:
        result = A.clone()
    return write_out(result, out)


# --- decompositions ------------------------------------------------------------------------------
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """linalg.cholesky_ex(A, *, upper=False, check_errors=False, out=None) -> (L, info)."""
    _check_square("cholesky_ex", A)
    res = _dec.cholesky_ex(A, upper)
    if check_errors:
        _raise_info("cholesky_ex", res[1]._array, _not_pd)
    return _write_outs(_rt.linalg_cholesky_ex(*res), out, _rt.linalg_cholesky_ex)


def _not_pd(k):
    return ("The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {k} is not positive-definite).")


def cholesky(A, *, upper=False, out=None):
    """linalg.cholesky(A, *, upper=False, out=None) -> Tensor: L with A = L L^H (U^H U when
    upper); raises for a matrix that is not positive-definite."""
    _check_square("cholesky", A)
    L, info = _dec.cholesky_ex(A, upper)
    _raise_info("cholesky", info._array, _not_pd)
    return write_out(L, out)


def qr(A, mode="reduced", *, out=None):
    """linalg.qr(A, mode='reduced', *, out=None) -> (Q, R); mode is 'reduced', 'complete' or
    'r' (Q is then empty)."""
    _check_matrix("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise EmberRuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                                "'reduced' (default), 'r', or 'complete'")
    return _write_outs(_rt.linalg_qr(*_dec.qr(A, mode)), out, _rt.linalg_qr)


def _check_driver(name, driver):
    if driver is not None:
        raise EmberRuntimeError(f"torch.linalg.{name}: keyword argument `driver=` is only "
                                "supported on CUDA inputs with cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    """linalg.svd(A, full_matrices=True, *, driver=None, out=None) -> (U, S, Vh)."""
    _check_matrix("svd", A)
    _check_driver("svd", driver)
    return _write_outs(_rt.linalg_svd(*_dec.svd(A, full_matrices)), out, _rt.linalg_svd)


def svdvals(A, *, driver=None, out=None):
    """linalg.svdvals(A, *, driver=None, out=None) -> Tensor: singular values, descending."""
    _check_matrix("svdvals", A)
    _check_driver("svdvals", driver)
    return write_out(_dec.svd(A, False)[1], out)


def eigh(A, UPLO="L", *, out=None):
    """linalg.eigh(A, UPLO='L', *, out=None) -> (eigenvalues, eigenvectors) of Hermitian
    matrices, eigenvalues ascending; only the UPLO triangle is read."""
    _check_square("eigh", A)
    if UPLO not in ("L", "U"):
        raise EmberRuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _write_outs(_rt.linalg_eigh(*_dec.eigh(A, UPLO)), out, _rt.linalg_eigh)


def eigvalsh(A, UPLO="L", *, out=None):
    """linalg.eigvalsh(A, UPLO='L', *, out=None) -> Tensor."""
    _check_square("eigvalsh", A)
    if UPLO not in ("L", "U"):
        raise EmberRuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return write_out(_dec.eigh(A, UPLO)[0], out)


def eig(A, *, out=None):
    """linalg.eig(A, *, out=None) -> (eigenvalues, eigenvectors), complex."""
    _check_square("eig", A)
    return _write_outs(_rt.linalg_eig(*_dec.eig(A)), out, _rt.linalg_eig)


def eigvals(A, *, out=None):
    """linalg.eigvals(A, *, out=None) -> Tensor: complex eigenvalues."""
    _check_square("eigvals", A)
    return write_out(_dec.eig(A)[0], out)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """linalg.lu_factor_ex(A, *, pivot=True, check_errors=False, out=None) -> (LU, pivots,
    info)."""
    _check_matrix("lu_factor_ex", A)
    _check_pivot("lu_factor_ex", pivot)
    res = _dec.lu_factor_ex(A, pivot)
    if check_errors:
        _raise_info("lu_factor_ex", res[2]._array, _lu_singular)
    return _write_outs(_rt.linalg_lu_factor_ex(*res), out, _rt.linalg_lu_factor_ex)


def _check_pivot(name, pivot):
    if not pivot:
        raise EmberRuntimeError(f"linalg.{name}: LU without pivoting is not implemented on the "
                                "CPU")


def _lu_singular(k):
    return (f"The factorization could not be completed because the input is singular "
            f"(U[{k}, {k}] is zero).")


def lu_factor(A, *, pivot=True, out=None):
    """linalg.lu_factor(A, *, pivot=True, out=None) -> (LU, pivots): the packed LU factors and
    LAPACK's 1-based row interchanges."""
    _check_matrix("lu_factor", A)
    _check_pivot("lu_factor", pivot)
    LU, piv, info = _dec.lu_factor_ex(A, pivot)
    if A.shape[-1] == A.shape[-2]:
        _raise_info("lu_factor", info._array, lambda k: (
            "The factorization could not be completed because the input is not invertible."))
    return _write_outs(_rt.linalg_lu_factor(LU, piv), out, _rt.linalg_lu_factor)


def _unpack(LU, piv, unpack_data=True, unpack_pivots=True):
    _dec.untraceable("the permutation of LU pivots is built on the host")
    r, c = LU.shape[-2], LU.shape[-1]
    k = min(r, c)
    P = L = U = None
    if unpack_pivots:
        perm = _dec.pivots_to_perm(piv._array, r)
        P = wrap(_dec.perm_matrix(perm, LU._array.dtype))
    if unpack_data:
        eye = wrap(np.eye(r, k, dtype=LU._array.dtype))
        L = LU[..., :, :k].tril(-1) + eye
        U = LU[..., :k, :].triu()
    return P, L, U


def lu(A, *, pivot=True, out=None):
    """linalg.lu(A, *, pivot=True, out=None) -> (P, L, U) with A = P L U."""
    _check_matrix("lu", A)
    _check_pivot("lu", pivot)
    LU, piv, _ = _dec.lu_factor_ex(A, pivot)
    return _write_outs(_rt.linalg_lu(*_unpack(LU, piv)), out, _rt.linalg_lu)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """linalg.lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None) -> Tensor: solves
    AX = B (XA = B when left=False, with A^H when adjoint) from lu_factor's output."""
    _check_square("lu_solve", LU, "LU")
    _check_same_dtype("lu_solve", LU, B)
    if not left:
        # X A = B  <=>  A^H X^H = B^H
        X = lu_solve(LU, pivots, B.mH, left=True, adjoint=not adjoint)
        return write_out(X.mH, out)
    n = LU.shape[-1]
    _dec.untraceable("the permutation of LU pivots is built on the host")
    perm = _dec.pivots_to_perm(pivots._array, n)
    P = wrap(_dec.perm_matrix(perm, LU._array.dtype))
    tri = _sol.solve_triangular_tensor
    if not adjoint:
        # A = P L U: X = U^-1 L^-1 P^T B
        Y = tri(LU, P.mT @ B, False, True)
        X = tri(LU, Y, True)
    else:
        # A^H = U^H L^H P^T: X = P L^-H U^-H B
        Y = tri(LU.mH, B, False)
        X = P @ tri(LU.mH, Y, True, True)
    return write_out(X, out)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """linalg.ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None) -> (LD,
    pivots, info): Bunch-Kaufman LDL^T (LAPACK sytrf, through SciPy)."""
    _check_square("ldl_factor_ex", A)
    _dec.untraceable("linalg.ldl_factor_ex runs outside the op registry")
    res = tuple(wrap(x) for x in _dec.ldl_factor_kernel(A._array, hermitian))
    if check_errors:
        _raise_info("ldl_factor_ex", res[2]._array, lambda k: (
            f"The factorization could not be completed because the input is singular "
            f"(D[{k}, {k}] is zero)."))
    return _write_outs(_rt.linalg_ldl_factor_ex(*res), out, _rt.linalg_ldl_factor_ex)


def ldl_factor(A, *, hermitian=False, out=None):
    """linalg.ldl_factor(A, *, hermitian=False, out=None) -> (LD, pivots)."""
    _check_square("ldl_factor", A)
    _dec.untraceable("linalg.ldl_factor runs outside the op registry")
    LD, piv, _ = (wrap(x) for x in _dec.ldl_factor_kernel(A._array, hermitian))
    return _write_outs(_rt.linalg_ldl_factor(LD, piv), out, _rt.linalg_ldl_factor)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """linalg.ldl_solve(LD, pivots, B, *, hermitian=False, out=None) -> Tensor."""
    _check_square("ldl_solve", LD, "LD")
    _check_same_dtype("ldl_solve", LD, B)
    _dec.untraceable("linalg.ldl_solve runs outside the op registry")
    return write_out(wrap(_dec.ldl_solve_kernel(LD._array, pivots._array, B._array,
                                                hermitian)), out)


def householder_product(A, tau, *, out=None):
    """linalg.householder_product(A, tau, *, out=None) -> Tensor: the first n columns of
    H_1 ... H_k, H_i = I - tau_i v_i v_i^H (v_i: column i of A below the diagonal, 1 on it)."""
    _check_matrix("householder_product", A, "input")
    if A.shape[-2] < A.shape[-1]:
        raise EmberRuntimeError("torch.linalg.householder_product: input.shape[-2] must be "
                                "greater than or equal to input.shape[-1]")
    if tau.shape[-1] > A.shape[-1]:
        raise EmberRuntimeError("torch.linalg.householder_product: input.shape[-1] must be "
                                "greater than or equal to tau.shape[-1]")
    Q = _householder_q(A, tau, A.shape[-2])[..., :, :A.shape[-1]]
    if tau.shape[-1] == 0:
        Q = Q + A * 0       # no reflector: still a function of A (zero gradient), as torch
    return write_out(Q.contiguous(), out)


def _householder_q(A, tau, cols):
    """The full (..., m, m) product of the k reflectors stored in A, tau (as Q @ H_i)."""
    m = A.shape[-2]
    dt = A._array.dtype
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(tau.shape[:-1]))
    Q = wrap(np.broadcast_to(np.eye(m, dtype=dt), batch + (m, m)).copy())
    for i in range(tau.shape[-1]):
        below = wrap((np.arange(m) > i).astype(dt))
        e = wrap((np.arange(m) == i).astype(dt))
        v = A[..., :, i] * below + e
        t = tau[..., i]
        Qv = (Q @ v.unsqueeze(-1))
        Q = Q - (Qv * t.unsqueeze(-1).unsqueeze(-1)) @ v.conj().unsqueeze(-2)
    return Q


def lstsq(A, B, rcond=None, *, driver=None):
    """linalg.lstsq(A, B, rcond=None, *, driver=None) -> (solution, residuals, rank,
    singular_values): least squares through the pseudo-inverse; which of residuals, rank and
    singular_values are filled follows the driver, as torch's CPU drivers do."""
    _check_matrix("lstsq", A)
    _check_tensor("lstsq", B, "B")
    _check_same_dtype("lstsq", A, B)
    driver = driver or "gelsy"
    _dec.untraceable("linalg.lstsq computes its rank on the host")
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise EmberRuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                                f"gelsy, gelsd, gelss), but got {driver}")
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2], A.shape[-1]
    rtol = _tol_value(rcond)
    if rtol is None or rtol < 0:
        rtol = float(np.finfo(A._array.dtype).eps) * max(m, n)
    X = pinv(A, rtol=rtol) @ Bm
    rdt = np.empty(0, A._array.dtype).real.dtype
    batch = tuple(np.broadcast_shapes(tuple(A.shape[:-2]), tuple(Bm.shape[:-2])))
    sv_np = np.linalg.svd(A._array, compute_uv=False) if A._array.size else \
        np.zeros(tuple(A.shape[:-2]) + (min(m, n),), rdt)
    rank_np = (sv_np > rtol * sv_np.max(axis=-1, keepdims=True, initial=0)).sum(-1)
    # empty residuals are still outputs of the differentiable solve in torch
    empty = (X.real if X.is_complex() else X).reshape(-1)[:0]
    if driver == "gels":
        rank = wrap(np.zeros((0,), np.int64))
    else:
        rank = wrap(np.broadcast_to(rank_np, batch).astype(np.int64))
    sv = wrap(sv_np.astype(rdt)) if driver in ("gelsd", "gelss") else \
        wrap(np.zeros((0,), rdt))
    residuals = empty
    if m > n and driver != "gelsy" and bool(np.all(rank_np == n)):
        r = A @ X - Bm
        residuals = (r.conj() * r).real.sum(-2) if r.is_complex() else (r * r).sum(-2)
    if vector:
        X = X.squeeze(-1)
        if residuals.ndim:
            residuals = residuals.squeeze(-1) if residuals is not empty else residuals
    return _rt.linalg_lstsq(X, residuals, rank, sv)


# --- norms, rank, condition number ---------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """linalg.vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None)."""
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype, out=out)


def _norm_dims(name, A, dim):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise EmberRuntimeError(f"linalg.{name}: dim must be a 2-tuple. Got "
                                + " ".join(str(d) for d in (dim if isinstance(dim, (tuple, list))
                                                            else (dim,))))
    nd = A.ndim
    d0, d1 = (d % nd if -nd <= d < nd else None for d in dim)
    if d0 is None or d1 is None:
        raise EmberRuntimeError(f"Dimension out of range (expected to be in range of [{-nd}, "
                                f"{nd - 1}], but got {dim[0] if d0 is None else dim[1]})")
    if d0 == d1:
        raise EmberRuntimeError(f"linalg.{name}: dims must be different. Got ({dim[0]}, "
                                f"{dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """linalg.matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    ord is 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2."""
    _check_tensor("matrix_norm", A)
    if A.ndim < 2:
        raise EmberRuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                                "dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    _check_float("matrix_norm", A, low_precision=ord not in ("nuc", 2, -2))
    d0, d1 = _norm_dims("matrix_norm", A, dim)
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim, out=out)
        if ord != "nuc":
            raise EmberRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise EmberRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):
        if ord != "nuc" and A.numel() == 0:
            raise EmberRuntimeError(f"linalg.matrix_norm: Expected a non-empty matrix when "
                                    f"ord={ord}")
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
        return write_out(r, out)
    a = A.abs()
    if ord in (1, -1):
        inner_dim, outer_dim = d0, d1
    else:
        inner_dim, outer_dim = d1, d0
    s = a.sum(inner_dim, keepdim=True)
    r = s.amax(outer_dim, keepdim=True) if ord > 0 else s.amin(outer_dim, keepdim=True)
    if not keepdim:
        r = r.squeeze((d0, d1))
    return write_out(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """linalg.norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None): a vector norm
    over one dimension (or all of them), a matrix norm over two."""
    _check_tensor("norm", A)
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            if isinstance(ord, str):
                raise EmberRuntimeError(f"linalg.norm: If dim is specified, it mut be of length "
                                        f"1 or 2. Got {list(dim)}")
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype,
                               out=out)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype,
                               out=out)
        raise EmberRuntimeError(f"linalg.norm: If dim is specified, it mut be of length 1 or 2. "
                                f"Got {list(dim)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if A.ndim == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    raise EmberRuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                            f"1D or 2D. Got {A.ndim}D.")


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """linalg.matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None) -> Tensor:
    the number of singular values above max(atol, rtol * s_max)."""
    _check_matrix("matrix_rank", A)
    _dec.untraceable("linalg.matrix_rank computes on the host")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol)
    a = A._array
    if a.size == 0:
        s = np.zeros(a.shape[:-2] + (0,), np.empty(0, a.dtype).real.dtype)
    elif hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    smax = s.max(axis=-1, keepdims=True, initial=0)
    cut = np.maximum(_sol._tol(atol, s.dtype), _sol._tol(rtol, s.dtype) * smax)
    return write_out(wrap((s > cut).sum(-1).astype(np.int64)), out)


def cond(A, p=None, *, out=None):
    """linalg.cond(A, p=None, *, out=None) -> Tensor: ||A||_p ||A^-1||_p; p None or 2 (or -2)
    use the singular values and allow non-square A."""
    _check_matrix("cond", A)
    if p in (None, 2, -2):
        s = svdvals(A)
        r = s.amax(-1) / s.amin(-1) if p != -2 else s.amin(-1) / s.amax(-1)
        if A.numel() == 0 and A.shape[-1] == 0 and A.shape[-2] == 0:
            r = wrap(np.zeros(tuple(A.shape[:-2]), s._array.dtype))
        return write_out(r, out)
    if p not in ("fro", "nuc", math.inf, -math.inf, 1, -1):
        raise EmberRuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _check_square("cond", A)
    if A.numel() == 0:
        rdt = np.empty(0, A._array.dtype).real.dtype
        return write_out(wrap(np.zeros(tuple(A.shape[:-2]), rdt)), out)
    Ainv, info = _sol.inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(Ainv, p)
    bad = info._array > 0
    if bad.any():
        r = r.masked_fill(wrap(bad), math.inf)
    return write_out(r, out)


# --- products ------------------------------------------------------------------------------------
def matmul(input, other, *, out=None):
    """linalg.matmul(input, other, *, out=None): alias of matmul."""
    from .ops.linalg_ops import matmul as mm
    return mm(input, other, out=out)


def multi_dot(tensors, *, out=None):
    """linalg.multi_dot(tensors, *, out=None) -> Tensor: the product of 2-D matrices (the first
    and last may be 1-D vectors), associated left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise EmberRuntimeError(f"multi_dot(): expected at least 2 tensors but got "
                                f"{len(tensors)}")
    for i, t in enumerate(tensors):
        nd = t.ndim
        if (i in (0, len(tensors) - 1) and nd not in (1, 2)) or (
                0 < i < len(tensors) - 1 and nd != 2):
            which = "first" if i == 0 else ("last" if i == len(tensors) - 1 else None)
            if which:
                raise EmberRuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but "
                                        f"got {nd}D")
            raise EmberRuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dt:
            raise EmberRuntimeError("multi_dot(): all tensors must have be the same dtype but "
                                    f"tensor 0 is {dt.name} and tensor 1 is {t.dtype.name}")
    first_vec = tensors[0].ndim == 1
    last_vec = tensors[-1].ndim == 1
    ts = list(tensors)
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(len(ts) - 1):
        if ts[i].shape[-1] != ts[i + 1].shape[-2]:
            raise EmberRuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {tuple(tensors[i].shape)} "
                f"and {tuple(tensors[i + 1].shape)} cannot be multiplied")
    r = ts[0]
    for t in ts[1:]:
        r = r @ t
    if first_vec:
        r = r.squeeze(0)
    if last_vec:
        r = r.squeeze(-1)
    return write_out(r, out)


def cross(input, other, *, dim=-1, out=None):
    """linalg.cross(input, other, *, dim=-1, out=None) -> Tensor: the 3-vector cross product
    along ``dim`` (batch dimensions broadcast)."""
    if input.ndim != other.ndim:
        raise EmberRuntimeError(f"linalg.cross: inputs must have the same number of dimensions. "
                                f"Got {input.ndim} and {other.ndim}")
    nd = input.ndim
    if not -nd <= dim < nd:
        raise EmberIndexErrorLike(dim, nd)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise EmberRuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                                f"{input.shape[dim]} and {other.shape[dim]}")
    if input.dtype != other.dtype:
        rd = _dt.promote_types(input.dtype, other.dtype)
        input, other = input.to(rd), other.to(rd)
    try:
        res = _sol.cross(input, other, dim)
    except ValueError:
        raise EmberRuntimeError(f"linalg.cross: shapes {list(input.shape)} and "
                                f"{list(other.shape)} cannot be broadcast") from None
    return write_out(res, out)


def EmberIndexErrorLike(dim, nd):
    from ._errors import EmberIndexError
    return EmberIndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                           f"{nd - 1}], but got {dim})")


def vecdot(x, y, *, dim=-1, out=None):
    """linalg.vecdot(x, y, *, dim=-1, out=None) -> Tensor: sum(conj(x) * y) along ``dim``."""
    if x.dtype != y.dtype:
        raise EmberRuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but "
                                f"found x of type {x.dtype.scalar_name} and y of type "
                                f"{y.dtype.scalar_name} instead")
    xc = x.conj() if x.is_complex() else x
    return write_out((xc * y).sum(dim), out)


def vander(x, *, N=None):
    """linalg.vander(x, *, N=None) -> Tensor: powers x^0 ... x^(N-1) along a new last
    dimension."""
    if x.ndim == 0:
        x = x.unsqueeze(0)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise EmberRuntimeError("N must be greater than 1.")
    if x.dtype == _dt.bool_:
        x = x.to(_dt.int64)
    cols = []
    p = None
    for i in range(n):
        p = (x * 0 + 1) if i == 0 else (x if i == 1 else p * x)
        cols.append(p)
    if not cols:
        return wrap(np.zeros(tuple(x.shape) + (0,), x._array.dtype))
    from .ops.shape import stack
    return stack(cols, -1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """linalg.diagonal(A, *, offset=0, dim1=-2, dim2=-1) -> Tensor (a view)."""
    return A.diagonal(offset, dim1, dim2)


def tensorinv(A, ind=2, *, out=None):
    """linalg.tensorinv(A, ind=2, *, out=None) -> Tensor: the inverse for tensordot over the
    first ``ind`` dimensions."""
    if ind <= 0:
        raise EmberRuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape = tuple(A.shape[ind:]) + tuple(A.shape[:ind])
    rows = int(np.prod(A.shape[:ind]))
    cols = int(np.prod(A.shape[ind:]))
    if rows != cols:
        raise EmberRuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) "
                                f"== prod(self.shape[:ind]), but got {cols} != {rows}")
    res = inv(A.reshape(rows, cols)).reshape(out_shape)
    return write_out(res, out)


def tensorsolve(A, B, dims=None, *, out=None):
    """linalg.tensorsolve(A, B, dims=None, *, out=None) -> Tensor: X with tensordot(A, X,
    X.ndim) = B."""
    nd = A.ndim
    if dims is not None:
        dims = [d % nd for d in dims]
        rest = [d for d in range(nd) if d not in dims]
        A = A.permute(*rest, *dims)
    res_shape = tuple(A.shape[B.ndim:])
    rows = int(np.prod(B.shape))
    cols = int(np.prod(res_shape))
    if rows != cols:
        raise EmberRuntimeError("Expected self to satisfy the requirement "
                                "prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                                f"but got {cols} != {rows}")
    res = solve(A.reshape(rows, cols), B.reshape(rows)).reshape(res_shape)
    return write_out(res, out)
