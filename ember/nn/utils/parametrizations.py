"""Parametrizations built on nn.utils.parametrize: weight_norm, spectral_norm and orthogonal.

state_dict keys match torch's: ``parametrizations.weight.original0/original1`` (weight_norm's
g and v), ``parametrizations.weight.original`` plus ``...0._u``/``...0._v`` (spectral_norm) and
``...0.base`` (orthogonal with trivialization)."""
import enum
import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, wrap
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# --- weight_norm -------------------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """weight_norm(module, name='weight', dim=0) -> module: ``module.<name>`` becomes
    g * v / ||v|| (norm over every dimension but ``dim``), with g and v stored as
    ``parametrizations.<name>.original0`` and ``original1``.

    Example::

        >>> m = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(4, 3))
        >>> sorted(m.state_dict())
        ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _load_legacy_keys(state_dict, prefix, *args):
        # checkpoints of the legacy hook (``weight_g``/``weight_v``) load into the new layout
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_load_legacy_keys)
    return module


# --- spectral_norm -----------------------------------------------------------------------------
def _normalize_np(x, eps):
    return x / max(float(np.sqrt(np.vdot(x, x).real)), eps)


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from ...ops.random import _rng
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight)
            h, w = mat.shape
            dt = weight._array.dtype
            rng = _rng(None)
            u = _normalize_np(rng.standard_normal(h), eps).astype(dt)
            v = _normalize_np(rng.standard_normal(w), eps).astype(dt)
            self.register_buffer("_u", wrap(u))
            self.register_buffer("_v", wrap(v))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, weight_mat, n_power_iterations):
        # in place on the buffers, outside autograd (torch's @no_grad power method)
        w = weight_mat._array
        u, v = self._u._array, self._v._array
        for _ in range(n_power_iterations):
            u = _normalize_np(w @ v, self.eps)
            v = _normalize_np(w.conj().T @ u, self.eps)
        with no_grad():
            self._u.copy_(wrap(u.astype(self._u._array.dtype, copy=False)))
            self._v.copy_(wrap(v.astype(self._v._array.dtype, copy=False)))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = (u.conj() * mat.mv(v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None) -> module:
    ``module.<name>`` divided by its largest singular value, estimated by power iteration on the
    buffers ``parametrizations.<name>.0._u/_v`` (one step per training-mode evaluation).
    ``dim`` defaults to 1 for transposed convolutions, else 0."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(  # noqa: TRY004
            f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import _ConvTranspose
        dim = 1 if isinstance(module, _ConvTranspose) else 0
    parametrize.register_parametrization(module, name,
                                         _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# --- orthogonal --------------------------------------------------------------------------------
class _OrthMaps(enum.Enum):
    matrix_exp = enum.auto()
    cayley = enum.auto()
    householder = enum.auto()


def _eye_like(x, n, k=None):
    from ...ops.creation import eye
    return eye(n, n if k is None else k, dtype=x.dtype)


def _matrix_exp(a):
    """exp(A) by scaling and squaring a degree-18 Taylor polynomial, written with
    differentiable ops so gradients (of any order) flow through the matmuls."""
    n = a.shape[-1]
    norm = float(np.abs(a._array).sum(-2).max()) if a.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2 ** s) if s else a
    eye = _eye_like(a, n)
    res = eye
    for k in range(18, 0, -1):          # Horner: I + x/1 (I + x/2 (I + ...))
        res = eye + x.matmul(res) / k
    for _ in range(s):
        res = res.matmul(res)
    return res


def _householder_product(a, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_iᴴ with v_i column i of ``a``
    below the diagonal and 1 on it (LAPACK's orgqr), from differentiable ops."""
    n, k = a.shape[-2], a.shape[-1]
    lower = a.tril(-1) + _eye_like(a, n, k)
    q = _eye_like(a, n, k)
    for i in reversed(range(k)):
        v = lower[..., :, i:i + 1]
        q = q - (tau[..., i:i + 1].unsqueeze(-1) * v).matmul(v.mT.matmul(q))
    return q


class _Solve:
    """linalg.solve(A, B) as an autograd Function (the Cayley map needs it)."""

    _fn = None

    @classmethod
    def apply(cls, a, b):
        if cls._fn is None:
            from ...autograd.function import Function

            class LinalgSolve(Function):
                @staticmethod
                def forward(ctx, a, b):
                    x = wrap(np.linalg.solve(a._array, b._array))
                    ctx.save_for_backward(a, x)
                    return x

                @staticmethod
                def backward(ctx, g):
                    a, x = ctx.saved_tensors
                    gb = LinalgSolve.apply(a.mT, g)
                    return -gb.matmul(x.mT), gb
            cls._fn = LinalgSolve
        return cls._fn.apply(a, b)


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    arr = q._array
    eps = 10.0 * n * np.finfo(arr.dtype).eps
    gram = np.swapaxes(arr.conj(), -1, -2) @ arr
    return np.allclose(gram, np.eye(k), atol=eps, rtol=1e-5)


def _make_orthogonal(arr):
    """Q of A = QR with diag(R) >= 0, for a tall (batch of) matrix."""
    q, r = np.linalg.qr(arr)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    sgn = np.where(d == 0, 1, d / np.where(d == 0, 1, np.abs(d)))
    return q * sgn[..., None, :]


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = x.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            x = x.tril()
            if n != k:
                from ...ops.creation import zeros
                from ...ops.shape import cat
                pad = zeros(tuple(x.shape[:-2]) + (n, n - k), dtype=x.dtype)
                x = cat([x, pad], -1)
            a = x - x.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                q = _matrix_exp(a)
            else:
                eye = _eye_like(a, n)
                q = _Solve.apply(eye - a * 0.5, eye + a * 0.5)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = _householder_product(a, tau)
            # the diagonal of x holds the signs (+1/-1) of the columns; not differentiated
            signs = np.trunc(np.diagonal(x._array, axis1=-2, axis2=-1))
            q = q * wrap(signs[..., None, :].astype(x._array.dtype))
        base = self._buffers.get("base")
        if base is not None:
            q = base.matmul(q)
        if transposed:
            q = q.mT
        return q

    def right_inverse(self, q):
        if tuple(q.shape) != tuple(self.shape):
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got "
                             f"a tensor of shape {q.shape}.")
        q_init = q
        arr = q._array
        n, k = arr.shape[-2], arr.shape[-1]
        transpose = n < k
        if transpose:
            arr = np.swapaxes(arr, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                          "or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            a = _householder_reflectors(arr)
            res = np.swapaxes(a, -1, -2) if transpose else a
            return wrap(np.ascontiguousarray(res))
        if n == k:
            base = arr.copy() if _is_orthogonal(wrap(arr)) else _make_orthogonal(arr)
        else:
            from ...ops.random import _rng
            extra = _rng(None).standard_normal(arr.shape[:-2] + (n, n - k)).astype(arr.dtype)
            base = _make_orthogonal(np.concatenate([arr, extra], -1))
        with no_grad():
            self.base = wrap(np.ascontiguousarray(base))
        neg_id = np.zeros(tuple(q_init.shape), dtype=arr.dtype)
        idx = np.arange(min(neg_id.shape[-2:]))
        neg_id[..., idx, idx] = -1.0
        return wrap(neg_id)


def _geqrf(arr):
    """Householder QR in LAPACK's packed form (real): R on and above the diagonal, the
    reflectors v_i (v_i[0] = 1 implied) below it, and tau."""
    a = np.array(arr, dtype=arr.dtype, copy=True)
    n, k = a.shape[-2], a.shape[-1]
    taus = np.zeros(a.shape[:-2] + (k,), dtype=a.dtype)
    for i in range(min(n, k)):
        x0 = a[..., i, i]
        xn = np.sqrt((a[..., i + 1:, i] ** 2).sum(-1))
        beta = np.where(xn == 0, x0, -np.where(x0 >= 0, 1.0, -1.0) * np.hypot(x0, xn))
        denom = np.where(xn == 0, 1.0, x0 - beta)
        tau = np.where(xn == 0, 0.0, (beta - x0) / np.where(beta == 0, 1.0, beta))
        v = a[..., i + 1:, i] / denom[..., None]
        a[..., i, i] = beta
        a[..., i + 1:, i] = v
        taus[..., i] = tau
        if i + 1 < k:
            full = np.concatenate([np.ones(v.shape[:-1] + (1,), a.dtype), v], -1)
            block = a[..., i:, i + 1:]
            w = (full[..., None, :] @ block)                      # (..., 1, k-i-1)
            a[..., i:, i + 1:] = block - tau[..., None, None] * full[..., :, None] * w
    return a, taus


def _householder_reflectors(arr):
    """right_inverse of the householder map: geqrf's reflectors with the diagonal replaced by
    the signs of diag(R) (negated where a reflection was skipped, tau = 0), as torch does."""
    a, tau = _geqrf(arr)
    idx = np.arange(min(a.shape[-2:]))
    d = np.sign(a[..., idx, idx])
    d = np.where(tau[..., :len(idx)] == 0, -d, d)
    a[..., idx, idx] = d
    return a


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """orthogonal(module, name='weight', orthogonal_map=None, *, use_trivialization=True) ->
    module: constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal, through
    the matrix exponential (square), Householder reflections (tall/wide) or the Cayley map."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(  # noqa: TRY004
            f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} "
                         "dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None) \
        if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
