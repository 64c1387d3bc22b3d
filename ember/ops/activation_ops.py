"""Fused activation kernels: one op (forward kernel + derivative rule) per activation that would
otherwise take several passes and temporaries: the ELU family, GELU, SiLU, Mish, softplus,
log-sigmoid, the hard-* and shrink functions, PReLU.

Rules are written in the rule dialect (DESIGN.md §2.3), so double backward reuses them. A branch
of ``m.where`` that is not selected must still be finite, or double backward multiplies a zero
gradient by inf: exponentials are taken of ``m.minimum(a, 0)`` or ``-|a|``, never of ``a``.
nn.functional (ember/nn/functional/activation.py) checks arguments and calls these ops.
"""
import math

import numpy as np

from .. import _jit
from .._errors import EmberRuntimeError
from . import dispatch
from .registry import METHODS, PUBLIC, op, public

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_K = math.sqrt(2.0 / math.pi)      # GELU's tanh approximation: tanh(k (x + c x^3))
_TANH_C = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _same_dtype(r, a):
    # scipy.special has no float16 loops; keep the input's dtype as torch does
    return r if r.dtype == a.dtype else r.astype(a.dtype)


def _elementwise(name, keep="a", node_name=None):
    return op(name, keep=keep, kind="elementwise", dtype_rule="float", node_name=node_name)


# --- ELU family: scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)) ------------------
# elu: (alpha, 1, 1); selu: (SELU_ALPHA, SELU_SCALE, 1); celu: (alpha, 1, 1 / alpha).
def _elu_kernel(m, a, alpha=1.0, scale=1.0, input_scale=1.0):
    neg = m.expm1(m.minimum(a, 0) * input_scale)
    neg *= alpha * scale
    return m.where(a > 0, a * scale, neg)


def _elu_grad(m, g, a, out, alpha=1.0, scale=1.0, input_scale=1.0):
    neg = g * (alpha * scale * input_scale) * m.exp(m.minimum(a, 0) * input_scale)
    return m.where(a > 0, g * scale, neg)


ELU = _elementwise("elu")(_elu_kernel)
ELU.derivative(_elu_grad)
CELU = _elementwise("celu")(_elu_kernel)
CELU.derivative(_elu_grad)


# Note [Fast float32 GELU]
# scipy.special.erf has no vectorised float32 loop: ~40 ns per element here, 30x NumPy's tanh;
# with four calls per step the Transformer benchmark's GELU cost more than its GEMMs. For float32
# arrays GELU uses h = Φ(-|x|) = erfc(|x|/√2)/2 = t·exp(P(t) - x²/2), t = 1/(1 + 0.4|x|/√2),
# where P is a degree-8 polynomial in t - 0.6 fitted for ember (least squares, then Lawson
# weights towards minimax; |error| < 9e-8 in the exponent for |x| ≤ 14.85, beyond which h
# underflows anyway). Then gelu(x) = max(x, 0) - |x|·h and gelu'(x) = Φ(x) + x·φ(x) with
# Φ(x) = [x ≥ 0] - sign(x)·h. Computing the small tail h directly keeps its relative accuracy
# where 1 + erf(x) cancels (scipy's float32 path loses every digit below x ≈ -5). Against
# float64: relative error ≤ 6e-7 for |x| ≤ 1 and ≤ 8e-7 for |x| ≤ 3. The ~30 NumPy passes run
# over chunks that stay in L2; 2-3x faster than the erf path in forward and backward. Under
# autograd (nn.functional.gelu) the forward keeps h for the rule (SavedTail), so the backward
# is one exp and a few products, ~2.4x faster than evaluating h again (with the same bits).
_PHI_T0 = 0.6
_PHI_COEF = tuple(np.float32(c) for c in (
    -0.2078370263519828, -0.07127240917258877, 0.3060438244831634, 0.12998810687275641,
    -0.36247784438736846, -0.2958101275156237, 0.4908493417876725, 1.632357612354395,
    -1.3987465813864288))
_PHI_CHUNK = 16384
_F32 = np.dtype(np.float32)


def _half_erfc_f32(x, a, hx, t, s, q):
    """Fill a = |x|, hx = x²/2 and q = Φ(-|x|) for a float32 chunk (t, s: scratch)."""
    f = np.float32
    np.abs(x, out=a)
    np.multiply(a, f(0.5), out=hx)                    # exact: a power-of-two scaling
    np.multiply(a, f(0.4 * math.sqrt(0.5)), out=t)
    t += f(1)
    np.reciprocal(t, out=t)
    np.subtract(t, f(_PHI_T0), out=s)                # centred: less cancellation in Horner
    c = _PHI_COEF
    p = np.multiply(s, c[0], out=q)
    p += c[1]
    for ci in c[2:]:
        p *= s
        p += ci
    hx *= a                                             # x²/2, rounded once
    p -= hx
    np.exp(p, out=q)
    q *= t


def _chunks(x):
    """Flat contiguous view of ``x`` and per-chunk scratch arrays."""
    xf = np.ascontiguousarray(x).reshape(-1)
    k = min(xf.size, _PHI_CHUNK)
    return xf, [np.empty(k, dtype=_F32) for _ in range(5)]


class SavedTail:
    """h = Φ(-|x|) from a float32 GELU forward, for its rule: with it the backward skips a
    second evaluation of the polynomial. ``x`` is the input array it belongs to."""
    __slots__ = ("h", "x")

    def __init__(self):
        self.x = self.h = None


# Buffers of h whose rule has run, for the next forward. Writing a fresh multi-MB array costs
# page faults (and glibc returns such blocks to the system on free, so each step faults again):
# reusing these made the Transformer benchmark's step ~10% faster in-process.
_TAILS = []


def _tail_buffer(n):
    while _TAILS:
        b = _TAILS.pop()
        if b.size == n:
            return b
    return np.empty(n, dtype=_F32)


def _gelu_f32(x, saved=None):
    """gelu(x) for a float32 array (exact erf form); h = Φ(-|x|) goes to ``saved``."""
    xf, (a, hx, t, s, q) = _chunks(x)
    out = np.empty_like(xf)
    h = _tail_buffer(xf.size) if saved is not None else None
    zero = np.zeros_like(a)     # np.maximum against an array runs ~4x faster than against 0
    n = xf.size
    for i in range(0, n, _PHI_CHUNK):
        xs, o = xf[i:i + _PHI_CHUNK], out[i:i + _PHI_CHUNK]
        k = xs.size
        if k != a.size:
            a, hx, t, s, q, zero = a[:k], hx[:k], t[:k], s[:k], q[:k], zero[:k]
        if h is not None:
            q = h[i:i + _PHI_CHUNK]
        _half_erfc_f32(xs, a, hx, t, s, q)
        np.maximum(xs, zero, out=o)
        np.multiply(q, a, out=hx)
        o -= hx
    if saved is not None:
        saved.x, saved.h = x, h
    return out.reshape(x.shape)


def _gelu_grad_saved(g, x, h):
    """g·gelu'(x) for float32 arrays of one shape, given h = Φ(-|x|) from the forward."""
    xf = np.ascontiguousarray(x).reshape(-1)
    gf = np.ascontiguousarray(g).reshape(-1)
    k = min(xf.size, _PHI_CHUNK)
    u = np.empty(k, dtype=_F32)
    neg = np.empty(k, dtype=np.int32)
    out = np.empty_like(xf)
    n = xf.size
    for i in range(0, n, _PHI_CHUNK):
        xs, o = xf[i:i + _PHI_CHUNK], out[i:i + _PHI_CHUNK]
        if xs.size != u.size:
            u, neg = u[:xs.size], neg[:xs.size]
        # Φ(x) = 1 - h for x ≥ +0, h for x ≤ -0 (the values _gelu_grad_f32 computes as
        # [x ≥ 0] - sign(x)·h), picked by the sign bit with integer ops: ~0.8 ns per element
        # less than copysign and signbit
        hs = h[i:i + _PHI_CHUNK]
        np.right_shift(xs.view(np.int32), 31, out=neg)  # all ones where the sign bit is set
        np.subtract(np.float32(1), hs, out=u)
        ui, t = u.view(np.int32), o.view(np.int32)
        np.bitwise_xor(ui, hs.view(np.int32), out=t)
        t &= neg
        ui ^= t
        # then the rest of _gelu_grad_f32's operations in its order, so the same bits
        np.multiply(xs, np.float32(-0.5), out=o)        # -x²/2 as -(|x|/2)·|x|, rounded once
        o *= xs
        np.exp(o, out=o)
        o *= np.float32(_INV_SQRT_2PI)
        o *= xs                                         # x·φ(x)
        o += u
        o *= gf[i:i + _PHI_CHUNK]
    return out.reshape(x.shape)


def _gelu_grad_f32(g, x):
    """g·gelu'(x) for float32 arrays of one shape."""
    xf, (a, hx, t, s, q) = _chunks(x)
    gf = np.ascontiguousarray(g).reshape(-1)
    out = np.empty_like(xf)
    n = xf.size
    for i in range(0, n, _PHI_CHUNK):
        xs, o = xf[i:i + _PHI_CHUNK], out[i:i + _PHI_CHUNK]
        k = xs.size
        if k != a.size:
            a, hx, t, s, q = a[:k], hx[:k], t[:k], s[:k], q[:k]
        _half_erfc_f32(xs, a, hx, t, s, q)
        np.copysign(q, xs, out=q)                       # sign(x)·h (-0.0 counts as negative)
        np.negative(hx, out=hx)
        np.exp(hx, out=hx)
        hx *= np.float32(1.0 / math.sqrt(2.0 * math.pi))
        hx *= xs                                        # x·φ(x)
        np.signbit(xs, out=o)
        np.subtract(np.float32(1), o, out=o)            # 1 for x ≥ +0, 0 for x ≤ -0 ...
        o -= q                                          # ... minus sign(x)·h: Φ(x)
        o += hx
        o *= gf[i:i + _PHI_CHUNK]
    return out.reshape(x.shape)


# Note [GELU in numba]: with numba (ember/_jit.py) the float32 passes above become two loops
# per chunk around NumPy's exp, which stays NumPy's: numba calls the scalar libm expf, 4x
# slower here than NumPy's SIMD loop (no SVML) and different in the last bit. The loops do
# _half_erfc_f32's float32 operations in its order (numba without fastmath neither reorders
# nor fuses them into FMAs), so both paths give the same bits and only the time changes: per
# 2^20 elements, forward 9.2 -> 2.9 ms, backward from the saved tail 4.9 -> 2.5 ms, without
# it 11.0 -> 4.6 ms. float64 GELU is one loop around libm's erf instead of scipy's (cephes;
# they differ by an ulp or so): forward 25.9 -> 13.1 ms, backward 34.4 -> 20.6 ms.
def _gelu_exponent_loop(x, c, p):
    """p = P(t) - x²/2 of _half_erfc_f32 for a float32 chunk (c: its constants)."""
    half, k, one, t0 = c[0], c[1], c[2], c[3]
    c0, c1, c2, c3, c4, c5, c6, c7, c8 = c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], \
        c[12]
    for i in range(x.size):
        a = abs(x[i])
        t = one / (a * k + one)
        s = t - t0
        q = s * c0 + c1
        q = q * s + c2
        q = q * s + c3
        q = q * s + c4
        q = q * s + c5
        q = q * s + c6
        q = q * s + c7
        q = q * s + c8
        p[i] = q - (a * half) * a


def _gelu_finish_loop(x, q, out, c):
    """q: exp(p) in, h = Φ(-|x|) out; out = max(x, 0) - |x|·h, as _gelu_f32's passes."""
    k, one, zero = c[1], c[2], c[13]
    for i in range(x.size):
        xi = x[i]
        a = abs(xi)
        h = q[i] * (one / (a * k + one))
        q[i] = h
        # np.maximum(x, +0.0) as the NumPy path takes it: +0.0 for -0.0, NaN for NaN (which
        # Python's max(zero, x) would turn into 0)
        out[i] = (zero if xi <= zero else xi) - h * a  # noqa: FURB136


def _gelu_grad_pre_loop(x, o):
    """o = -(x/2)·x, the exponent of φ(x), as _gelu_grad_saved's first two passes."""
    for i in range(x.size):
        o[i] = (x[i] * np.float32(-0.5)) * x[i]


def _gelu_grad_finish_loop(x, xbits, h, e, g, out, c):
    """out = g·(Φ(x) + x·φ(x)) from e = exp(-x²/2) and the tail h, as _gelu_grad_saved."""
    one, r = c[2], c[14]
    for i in range(x.size):
        hs = h[i]
        u = hs if xbits[i] < 0 else one - hs          # Φ(x) by the sign bit
        out[i] = ((e[i] * r) * x[i] + u) * g[i]


def _gelu_f64_loop(x, out):
    for i in range(x.size):
        xi = x[i]
        out[i] = 0.5 * xi * (1.0 + math.erf(xi * _SQRT1_2))


def _gelu_grad_f64_loop(x, g, out):
    for i in range(x.size):
        xi = x[i]
        cdf = 0.5 * (1.0 + math.erf(xi * _SQRT1_2))
        pdf = math.exp(-0.5 * xi * xi) * _INV_SQRT_2PI
        out[i] = g[i] * (cdf + xi * pdf)


_gelu_exponent = _jit.kernel(_gelu_exponent_loop)
_gelu_finish = _jit.kernel(_gelu_finish_loop)
_gelu_grad_pre = _jit.kernel(_gelu_grad_pre_loop)
_gelu_grad_finish = _jit.kernel(_gelu_grad_finish_loop)
_gelu_f64 = _jit.kernel(_gelu_f64_loop)
_gelu_grad_f64 = _jit.kernel(_gelu_grad_f64_loop)
# Chunk of the numba path: three calls per chunk instead of ~30 passes, so a larger one pays
# (fwd+bwd per 2^20 elements, min of 15: 16K 6.32, 32K 6.18, 64K 6.27, 128K 6.61 ms)
_JIT_CHUNK = 1 << 15
# the loops' float32 constants (a Python float would make numba compute in float64)
_GELU_C = np.array((0.5, 0.4 * math.sqrt(0.5), 1.0, _PHI_T0) + _PHI_COEF
                   + (0.0, 1.0 / math.sqrt(2.0 * math.pi)), dtype=np.float32)


def _gelu_f32_jit(x, saved):
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(xf)
    h = _tail_buffer(xf.size) if saved is not None else np.empty(min(xf.size, _JIT_CHUNK), _F32)
    n, c = xf.size, _GELU_C
    for i in range(0, n, _JIT_CHUNK):
        j = min(i + _JIT_CHUNK, n)
        xs = xf[i:j]
        q = h[i:j] if saved is not None else h[:j - i]
        _gelu_exponent(xs, c, q)
        np.exp(q, out=q)
        _gelu_finish(xs, q, out[i:j], c)
    if saved is not None:
        saved.x, saved.h = x, h
    return out.reshape(x.shape)


def _gelu_grad_jit(g, x, h=None):
    """_gelu_grad_saved (or without ``h``, _gelu_grad_f32: the same bits) in numba loops."""
    xf = np.ascontiguousarray(x).reshape(-1)
    gf = np.ascontiguousarray(g).reshape(-1)
    xb = xf.view(np.int32)
    out = np.empty_like(xf)
    k = min(xf.size, _JIT_CHUNK)
    e = np.empty(k, _F32)
    hk = np.empty(k, _F32) if h is None else None
    n, c = xf.size, _GELU_C
    for i in range(0, n, _JIT_CHUNK):
        j = min(i + _JIT_CHUNK, n)
        xs, es, os = xf[i:j], e[:j - i], out[i:j]
        if h is None:                   # the forward's tail again; os is scratch until the end
            hs = hk[:j - i]
            _gelu_exponent(xs, c, hs)
            np.exp(hs, out=hs)
            _gelu_finish(xs, hs, os, c)
        else:
            hs = h[i:j]
        _gelu_grad_pre(xs, es)
        np.exp(es, out=es)
        _gelu_grad_finish(xs, xb[i:j], hs, es, gf[i:j], os, c)
    return out.reshape(x.shape)


def _fast_gelu(a, approximate):
    # plain arrays only: under create_graph the rules run on Tensors and keep the generic form
    return approximate == "none" and type(a) is np.ndarray and a.dtype == _F32


def _jit_gelu_f64(a, approximate):
    return _gelu_f64 is not None and approximate == "none" and type(a) is np.ndarray \
        and a.dtype == np.float64


# --- GELU --------------------------------------------------------------------------------------
@_elementwise("gelu")
def GELU(m, a, approximate="none", saved=None):
    if _fast_gelu(a, approximate):
        with np.errstate(over="ignore", invalid="ignore"):      # inf in, nan out: as torch
            if _gelu_exponent is not None:
                return _gelu_f32_jit(a, saved)
            return _gelu_f32(a, saved)
    if _jit_gelu_f64(a, approximate):
        out = np.empty(a.shape, np.float64)
        _gelu_f64(np.ascontiguousarray(a).reshape(-1), out.reshape(-1))
        return out
    if approximate == "tanh":
        # 0.5 (1 + tanh(u)) = sigmoid(2u), which does not cancel where tanh(u) is near -1
        return a * _same_dtype(m.special_expit((a + _TANH_C * a * a * a) * (2 * _TANH_K)), a)
    return _same_dtype(0.5 * a * (1 + m.special_erf(a * _SQRT1_2)), a)


@GELU.derivative
def _gelu_grad(m, g, a, out, approximate="none", saved=None):
    if _fast_gelu(a, approximate) and type(g) is np.ndarray and g.shape == a.shape \
            and g.dtype == _F32:
        with np.errstate(over="ignore", invalid="ignore"):
            if saved is not None and saved.x is a and saved.h is not None:
                h, saved.h = saved.h, None
                res = (_gelu_grad_jit if _gelu_grad_finish is not None
                       else _gelu_grad_saved)(g, a, h)
                # the rule was h's last reader (retain_graph: recompute); a few buffers of at
                # most 64 MB are kept, so an idle model holds little
                if len(_TAILS) < 4 and h.nbytes <= 1 << 26:
                    _TAILS.append(h)
                return res
            if _gelu_grad_finish is not None:
                return _gelu_grad_jit(g, a)
            return _gelu_grad_f32(g, a)
    if _jit_gelu_f64(a, approximate) and type(g) is np.ndarray and g.shape == a.shape \
            and g.dtype == np.float64:
        out = np.empty(a.shape, np.float64)
        _gelu_grad_f64(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(g).reshape(-1),
                       out.reshape(-1))
        return out
    if approximate == "tanh":
        s = m.special_expit((a + _TANH_C * a * a * a) * (2 * _TANH_K))
        return g * (s + a * s * (1 - s) * (2 * _TANH_K) * (1 + 3 * _TANH_C * a * a))
    cdf = 0.5 * (1 + m.special_erf(a * _SQRT1_2))
    pdf = m.exp(-0.5 * a * a) * _INV_SQRT_2PI
    return g * (cdf + a * pdf)


# --- sigmoid-weighted: SiLU, Mish, log-sigmoid, softplus ---------------------------------------
@_elementwise("silu")
def SILU(m, a):
    return a * _same_dtype(m.special_expit(a), a)


@SILU.derivative
def _silu_grad(m, g, a, out):
    s = m.special_expit(a)
    return g * s * (1 + a * (1 - s))


@_elementwise("mish")
def MISH(m, a):
    return a * m.tanh(m.logaddexp(a, 0))       # logaddexp(a, 0) = softplus(a), without overflow


@MISH.derivative
def _mish_grad(m, g, a, out):
    t = m.tanh(m.logaddexp(a, 0))
    return g * (t + a * (1 - t * t) * m.special_expit(a))


@_elementwise("log_sigmoid")
def LOG_SIGMOID(m, a):
    return -m.logaddexp(-a, 0)


LOG_SIGMOID.derivative(lambda m, g, a, out: g * m.special_expit(-a))


@_elementwise("softplus")
def SOFTPLUS(m, a, beta=1.0, threshold=20.0):
    z = a * beta
    # above the threshold softplus is the identity (to float precision): torch returns x there
    return m.where(z > threshold, a, m.logaddexp(z, 0) / beta)


SOFTPLUS.derivative(lambda m, g, a, out, beta=1.0, threshold=20.0:
                    m.where(a * beta > threshold, g, g * m.special_expit(a * beta)))


# --- piecewise-linear and shrink functions -------------------------------------------------------
@_elementwise("hardsigmoid")
def HARDSIGMOID(m, a):
    return m.clip(a + 3, 0, 6) / 6


HARDSIGMOID.derivative(lambda m, g, a, out: m.where((a > -3) & (a < 3), g / 6, 0))


@_elementwise("hardswish")
def HARDSWISH(m, a):
    return a * m.clip(a + 3, 0, 6) / 6


# torch's boundaries: 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on
HARDSWISH.derivative(lambda m, g, a, out:
                     m.where(a <= -3, 0, m.where(a < 3, g * (a / 3 + 0.5), g)))


@_elementwise("softshrink")
def SOFTSHRINK(m, a, lambd=0.5):
    return m.where(a > lambd, a - lambd, m.where(a < -lambd, a + lambd, 0))


SOFTSHRINK.derivative(lambda m, g, a, out, lambd=0.5:
                      m.where((a >= -lambd) & (a <= lambd), 0, g))


@_elementwise("hardshrink")
def HARDSHRINK(m, a, lambd=0.5):
    return m.where((a >= -lambd) & (a <= lambd), 0, a)


HARDSHRINK.derivative(lambda m, g, a, out, lambd=0.5:
                      m.where((a >= -lambd) & (a <= lambd), 0, g))


@_elementwise("softsign", node_name="DivBackward0")
def SOFTSIGN(m, a):
    return a / (1 + m.abs(a))


@SOFTSIGN.derivative
def _softsign_grad(m, g, a, out):
    d = 1 + m.abs(a)
    return g / (d * d)


@_elementwise("tanhshrink", node_name="SubBackward0")
def TANHSHRINK(m, a):
    return a - m.tanh(a)


@TANHSHRINK.derivative
def _tanhshrink_grad(m, g, a, out):
    t = m.tanh(a)
    return g * t * t


# --- PReLU: a learnable slope per channel (``w`` arrives broadcastable to ``a``) -------------
@op("prelu", keep="ab", kind="elementwise", node_name="PreluKernelBackward0")
def PRELU(m, a, w):
    return m.where(a > 0, a, w * a)


PRELU.derivative((lambda m, g, a, w, out: m.where(a > 0, g, w * g),
                  lambda m, g, a, w, out: m.where(a > 0, 0, a * g)))


# --- max(x, lo) whose gradient is the identity: torch clamps some denominators under no_grad
# (cosine_similarity's norms, gaussian_nll_loss's variance), so the clamp is invisible to autograd.
@op("clamp_min_passthrough", kind="elementwise", node_name="CloneBackward0")
def CLAMP_MIN_PASSTHROUGH(m, a, lo):
    return m.maximum(a, lo)


CLAMP_MIN_PASSTHROUGH.derivative(lambda m, g, a, out, lo: g)


def clamp_min_passthrough(t, lo):
    return dispatch.unary(CLAMP_MIN_PASSTHROUGH, t, lo=lo)


# --- callables shared by nn.functional and the torch.* namespace --------------------------------
def _run(opdef, input, inplace, attrs=None):
    if inplace:
        return dispatch.apply_inplace(opdef, input, (), attrs)
    return dispatch.unary(opdef, input, **attrs) if attrs else dispatch.unary(opdef, input)


def elu(input, alpha=1.0, inplace=False):
    return _run(ELU, input, inplace, {"alpha": float(alpha), "scale": 1.0, "input_scale": 1.0})


@public("selu")
def selu(input, inplace=False):
    """selu(input) -> Tensor: SCALE * elu(x, ALPHA) with the self-normalizing constants.

    Example:
        >>> torch.selu(torch.tensor([0.0, 1.0, 2.0]))
        tensor([0.0000, 1.0507, 2.1014])
    """
    return _run(ELU, input, inplace, {"alpha": SELU_ALPHA, "scale": SELU_SCALE,
                                      "input_scale": 1.0})


@public("celu")
def celu(input, alpha=1.0, inplace=False):
    """celu(input, alpha=1.0) -> Tensor: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example:
        >>> torch.celu(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.6321,  0.0000,  2.0000])
    """
    if alpha == 0:
        raise EmberRuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _run(CELU, input, inplace, {"alpha": float(alpha), "scale": 1.0,
                                       "input_scale": 1.0 / alpha})


@public("selu_")
def selu_(input):
    """selu_(input) -> Tensor: ``selu`` written into ``input``.

    Example:
        >>> torch.selu_(torch.tensor([-1.0, 0.5, 2.0]))
        tensor([-1.1113,  0.5254,  2.1014])
    """
    return selu(input, True)


@public("celu_")
def celu_(input, alpha=1.0):
    """celu_(input, alpha=1.) -> Tensor: ``celu`` written into ``input``.

    Example:
        >>> torch.celu_(torch.tensor([-1.0, 0.5, 2.0]))
        tensor([-0.6321,  0.5000,  2.0000])
    """
    return celu(input, alpha, True)


def _prelu_weight(input, weight):
    if input.dtype is not weight.dtype:
        raise EmberRuntimeError(f"prelu: Type promoting not supported. Got "
                                f"{input.dtype.scalar_name} and {weight.dtype.scalar_name}")
    if weight.ndim > 1:
        raise EmberRuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                                f"ndim = {weight.ndim}")
    n = weight.numel()
    if n == 1:
        return weight.reshape(())
    if input.ndim == 0:
        raise EmberRuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != channels:
        raise EmberRuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                                f"parameter numbers = {n} and channel size = {channels}.")
    return weight.reshape((n,) + (1,) * (input.ndim - 2))


@public("prelu", method=True)
def prelu(input, weight):
    """prelu(input, weight) -> Tensor: x if x > 0 else weight * x, one weight per channel
    (dimension 1 of the input) or a single shared weight.

    Shape:
        input ``(N, C, *)`` with ``weight`` of shape ``(C,)`` or a single element (always a
        single element for inputs with fewer than 2 dimensions); the output has the input's
        shape.

    Example:
        >>> x = torch.tensor([[-2.0, 3.0], [-4.0, -1.0]])
        >>> torch.prelu(x, torch.tensor([0.5, 0.25]))
        tensor([[-1.0000,  3.0000],
                [-2.0000, -0.2500]])
    """
    return dispatch.binary(PRELU, input, _prelu_weight(input, weight))


@public("hardshrink", method=True)
def hardshrink(input, lambd=0.5):
    """hardshrink(input, lambd=0.5) -> Tensor: 0 on [-lambd, lambd], x elsewhere.

    Example:
        >>> torch.hardshrink(torch.tensor([-1.0, -0.25, 0.0, 0.5, 2.0]))
        tensor([-1.,  0.,  0.,  0.,  2.])
    """
    return dispatch.unary(HARDSHRINK, input, lambd=lambd)


@public("rrelu")
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """rrelu(input, lower=1/8, upper=1/3, training=False) -> Tensor: randomized leaky ReLU.

    In training each element x <= 0 is multiplied by a slope drawn from U(lower, upper); in
    evaluation the slope is the fixed mean (lower + upper) / 2.

    Example:
        >>> torch.rrelu(torch.tensor([-3.0, 0.0, 2.0]), lower=0.25, upper=0.75)
        tensor([-1.5000,  0.0000,  2.0000])
        >>> x = torch.rrelu(torch.tensor([-1.0, 2.0]), training=True)
        >>> x.shape, x[1].item()
        (torch.Size([2]), 2.0)
    """
    if lower > upper:
        raise EmberRuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        from .elementwise import _LEAKY
        return _run(_LEAKY, input, inplace, {"slope": (lower + upper) / 2})
    from ..tensor import wrap
    from .random import _rng
    a = input._array
    slopes = _rng(None).uniform(lower, upper, a.shape)
    noise = wrap(np.where(a <= 0, slopes, 1).astype(a.dtype))
    return input.mul_(noise) if inplace else input * noise


@public("threshold")
def threshold(input, threshold, value, inplace=False):
    """threshold(input, threshold, value) -> Tensor: x where x > threshold, else value.

    Example:
        >>> torch.threshold(torch.tensor([-1.0, 0.5, 1.0, 3.0]), 0.75, -5.0)
        tensor([-5., -5.,  1.,  3.])
    """
    from .elementwise import _THRESH
    return _run(_THRESH, input, inplace, {"threshold": threshold, "value": value})


@public("threshold_")
def threshold_(input, threshold, value):
    """threshold_(input, threshold, value) -> Tensor: ``threshold`` written into ``input``
    (elements not greater than ``threshold`` become ``value``).

    Example:
        >>> torch.threshold_(torch.tensor([-1.0, 0.5, 2.0]), 0.6, -1.0)
        tensor([-1., -1.,  2.])
    """
    return globals()["threshold"](input, threshold, value, True)


@public("rrelu_")
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu_(input, lower=1./8, upper=1./3, training=False) -> Tensor: ``rrelu`` written into
    ``input``; outside training the negative slope is the mean of lower and upper.

    Example:
        >>> torch.rrelu_(torch.tensor([-1.0, 0.5, 2.0]))
        tensor([-0.2292,  0.5000,  2.0000])
    """
    return rrelu(input, lower, upper, training, True)
PUBLIC["relu_"] = METHODS["relu_"]


# --- distances ---------------------------------------------------------------------------------
def _broadcast_pair(x1, x2):
    """Expand two tensors to their common shape, with torch's message when they clash."""
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    if s1 == s2:
        return x1, x2
    n = max(len(s1), len(s2))
    p1, p2 = (1,) * (n - len(s1)) + s1, (1,) * (n - len(s2)) + s2
    shape = []
    for i in range(n):
        if p1[i] != p2[i] and p1[i] != 1 and p2[i] != 1:
            raise EmberRuntimeError(f"The size of tensor a ({p1[i]}) must match the size of "
                                    f"tensor b ({p2[i]}) at non-singleton dimension {i}")
        shape.append(p2[i] if p1[i] == 1 else p1[i])
    shape = tuple(shape)
    return (x1 if s1 == shape else x1.expand(*shape)), (x2 if s2 == shape else x2.expand(*shape))


@public("cosine_similarity")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor: sum(x1 * x2) / (||x1|| ||x2||)
    along ``dim``, each norm clamped to at least eps (broadcasting x1 against x2).

    Shape:
        ``x1`` and ``x2`` broadcast to a common shape; the output is that shape
        without ``dim``.

    Example:
        >>> a = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> b = torch.tensor([[0.0, 1.0], [2.0, 2.0]])
        >>> torch.cosine_similarity(a, b, dim=1)
        tensor([0.0000, 1.0000])
    """
    x1, x2 = _broadcast_pair(x1, x2)
    # torch clamps the norms outside autograd: the clamp changes values, not gradients
    n1 = clamp_min_passthrough(x1.norm(2, dim, keepdim=True), eps)
    n2 = clamp_min_passthrough(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@public("pairwise_distance")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor: the p-norm of
    x1 - x2 + eps over the last dimension.

    Shape:
        ``(*, D)`` inputs give a ``(*)`` output (``(*, 1)`` with keepdim=True);
        1-D inputs give a 0-dim tensor.

    Example:
        >>> a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
        >>> b = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
        >>> torch.pairwise_distance(a, b, eps=0.0)
        tensor([5., 0.])
        >>> torch.pairwise_distance(a, b, p=1.0, eps=0.0)
        tensor([7., 0.])
    """
    return (x1 - x2 + eps).norm(p, -1, keepdim)
