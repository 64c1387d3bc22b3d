"""Named result tuples of ops with several outputs (``values, indices = x.max(0)``), as in
``torch.return_types``: plain tuples that also answer ``.values`` and ``.indices``."""
import collections

__all__ = ["max", "min", "sort", "topk", "kthvalue", "mode", "median", "nanmedian", "cummax",
           "cummin", "aminmax", "frexp"]


def _make(name, fields=("values", "indices")):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{inner})"
    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                               "__module__": __name__})
    return cls


max = _make("max")            # noqa: A001  (torch's names)
min = _make("min")            # noqa: A001
sort = _make("sort")
topk = _make("topk")
kthvalue = _make("kthvalue")
mode = _make("mode")
median = _make("median")
cummax = _make("cummax")
cummin = _make("cummin")
nanmedian = _make("nanmedian")
aminmax = _make("aminmax", ("min", "max"))
histogram = _make("histogram", ("hist", "bin_edges"))
histogramdd = _make("histogramdd", ("hist", "bin_edges"))
frexp = _make("frexp", ("mantissa", "exponent"))

# linear algebra (ember.linalg and the torch-namespace functions)
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
svd = _make("svd", ("U", "S", "V"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _make("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
qr = _make("qr", ("Q", "R"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_lu_factor = _make("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _make("linalg_lu", ("P", "L", "U"))
lu_unpack = _make("lu_unpack", ("P", "L", "U"))
linalg_ldl_factor = _make("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _make("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))
geqrf = _make("geqrf", ("a", "tau"))
