"""ember.special: torch.special's functions. The special functions proper are ops in
ops/special_ops.py (SciPy kernels); the rest are torch.special's aliases of ember functions."""
from .ops import special_ops as _sp
from .ops.registry import PUBLIC as _PUBLIC

_S = _sp.SPECIAL   # the special_* ops, under their torch.special names
i0e = _S["i0e"]
i1 = _S["i1"]
i1e = _S["i1e"]
ndtr = _S["ndtr"]
ndtri = _S["ndtri"]
log_ndtr = _S["log_ndtr"]
erfcx = _S["erfcx"]
entr = _S["entr"]
airy_ai = _S["airy_ai"]
bessel_j0 = _S["bessel_j0"]
bessel_j1 = _S["bessel_j1"]
bessel_y0 = _S["bessel_y0"]
bessel_y1 = _S["bessel_y1"]
modified_bessel_i0 = _S["modified_bessel_i0"]
modified_bessel_i1 = _S["modified_bessel_i1"]
modified_bessel_k0 = _S["modified_bessel_k0"]
modified_bessel_k1 = _S["modified_bessel_k1"]
scaled_modified_bessel_k0 = _S["scaled_modified_bessel_k0"]
scaled_modified_bessel_k1 = _S["scaled_modified_bessel_k1"]
spherical_bessel_j0 = _S["spherical_bessel_j0"]
xlog1py = _S["xlog1py"]
zeta = _S["zeta"]
chebyshev_polynomial_t = _S["chebyshev_polynomial_t"]
chebyshev_polynomial_u = _S["chebyshev_polynomial_u"]
chebyshev_polynomial_v = _S["chebyshev_polynomial_v"]
chebyshev_polynomial_w = _S["chebyshev_polynomial_w"]
hermite_polynomial_h = _S["hermite_polynomial_h"]
hermite_polynomial_he = _S["hermite_polynomial_he"]
laguerre_polynomial_l = _S["laguerre_polynomial_l"]
legendre_polynomial_p = _S["legendre_polynomial_p"]
shifted_chebyshev_polynomial_t = _S["shifted_chebyshev_polynomial_t"]
shifted_chebyshev_polynomial_u = _S["shifted_chebyshev_polynomial_u"]
shifted_chebyshev_polynomial_v = _S["shifted_chebyshev_polynomial_v"]
shifted_chebyshev_polynomial_w = _S["shifted_chebyshev_polynomial_w"]

polygamma = _sp.polygamma
multigammaln = _sp.mvlgamma
logit = _sp.logit
digamma = psi = _PUBLIC["digamma"]
gammaln = _PUBLIC["lgamma"]
i0 = _PUBLIC["i0"]
sinc = _PUBLIC["sinc"]
gammainc = _PUBLIC["igamma"]
gammaincc = _PUBLIC["igammac"]
expit = _PUBLIC["sigmoid"]
exp2 = _PUBLIC["exp2"]
expm1 = _PUBLIC["expm1"]
log1p = _PUBLIC["log1p"]
erf = _PUBLIC["erf"]
erfc = _PUBLIC["erfc"]
erfinv = _PUBLIC["erfinv"]
round = _PUBLIC["round"]   # torch's name, shadowing the builtin here
xlogy = _PUBLIC["xlogy"]
logsumexp = _PUBLIC["logsumexp"]


def softmax(input, dim, *, dtype=None):
    """softmax(input, dim, *, dtype=None) -> Tensor: exp(x) / sum(exp(x)) along ``dim``."""
    return _PUBLIC["softmax"](input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log_softmax(input, dim, *, dtype=None) -> Tensor: x - logsumexp(x) along ``dim``."""
    return _PUBLIC["log_softmax"](input, dim, dtype=dtype)


__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
           "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
           "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e",
           "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
           "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]
