"""ember.linalg and the torch-namespace linear algebra against torch: complex inputs and their
gradients, batch broadcasting, errors, out=, named result tuples, and gradcheck/gradgradcheck
(the OpInfo conformance harness covers the real float32/float64 samples)."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, to_numpy

RNG = np.random.default_rng(1234)


def _random(shape, dtype):
    a = RNG.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * RNG.standard_normal(shape)
    return a.astype(dtype)


def _well_conditioned(shape, dtype):
    n = shape[-1]
    return (_random(shape, dtype) + 3 * np.eye(n)).astype(dtype)


def _hpd(shape, dtype):
    a = _random(shape, dtype)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _hermitian(shape, dtype):
    a = _random(shape, dtype)
    return ((a + np.conj(np.swapaxes(a, -1, -2))) / 2).astype(dtype)


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _flat(item)]
    return [x]


def compare(fn, arrays, rtol=1e-7, atol=1e-9, grad=True):
    """fn(lib, *tensors) under torch and ember: outputs and the gradients of a random real
    projection of every floating output."""
    t_in = [torch.tensor(a, requires_grad=grad) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=grad) for a in arrays]
    t_out, e_out = fn(torch, *t_in), fn(ember, *e_in)
    assert_same(e_out, t_out, rtol, atol)
    if not grad:
        return
    t_loss, e_loss = 0, 0
    for t, e in zip(_flat(t_out), _flat(e_out)):
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            continue
        c = _random(tuple(t.shape), "complex128" if t.is_complex() else "float64")
        tc, ec = torch.tensor(c).to(t.dtype), ember.tensor(c.astype(to_numpy(e).dtype))
        t_loss = t_loss + ((t * tc).real if t.is_complex() else t * tc).sum()
        e_loss = e_loss + ((e * ec).real if e.is_complex() else e * ec).sum()
    t_grads = torch.autograd.grad(t_loss, t_in, allow_unused=True)
    e_grads = ember.autograd.grad(e_loss, e_in, allow_unused=True)
    for i, (tg, eg) in enumerate(zip(t_grads, e_grads)):
        if tg is None or eg is None:
            other = eg if tg is None else tg
            assert other is None or not np.any(to_numpy(other)), f"gradient {i}"
            continue
        assert_same(eg, tg, rtol * 100, atol * 100, what=f"gradient {i}")


DTYPES = ["float64", "complex128"]


# --- values and gradients (complex included) -----------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (0, 3, 3), (1, 1)])
def test_det_inv_slogdet(dtype, shape):
    a = _well_conditioned(shape, dtype)
    compare(lambda lib, x: lib.linalg.det(x), [a])
    compare(lambda lib, x: lib.linalg.inv(x), [a])
    compare(lambda lib, x: tuple(lib.linalg.slogdet(x)), [a])
    compare(lambda lib, x: lib.logdet(x @ x.mH), [a])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("ashape,bshape", [((3, 3), (3, 2)), ((2, 1, 3, 3), (4, 3, 2)),
                                           ((2, 3, 3), (2, 3)), ((3, 3), (3,))])
def test_solve(dtype, left, ashape, bshape):
    if not left and bshape in ((2, 3), (3,)):
        pytest.skip("a vector right-hand side is only for left=True")
    a, b = _well_conditioned(ashape, dtype), _random(bshape, dtype)
    if not left and len(bshape) > 1:
        b = np.swapaxes(b, -1, -2).copy()
    compare(lambda lib, x, y: lib.linalg.solve(x, y, left=left), [a, b])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left,unit", [(True, False), (False, False), (True, True)])
def test_solve_triangular(dtype, upper, left, unit):
    a, b = _well_conditioned((2, 3, 3), dtype), _random((2, 3, 3), dtype)
    compare(lambda lib, x, y: lib.linalg.solve_triangular(x, y, upper=upper, left=left,
                                                          unitriangular=unit), [a, b])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dtype, upper):
    compare(lambda lib, x: lib.linalg.cholesky(x, upper=upper), [_hpd((2, 4, 4), dtype)])
    compare(lambda lib, x, b: lib.cholesky_solve(b, lib.linalg.cholesky(x, upper=upper), upper),
            [_hpd((3, 3), dtype), _random((3, 2), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5), (2, 4, 2)])
def test_qr(dtype, shape):
    compare(lambda lib, x: tuple(lib.linalg.qr(x)), [_random(shape, dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 3, 4)])
def test_svd_gauge_invariant(dtype, shape):
    # singular vectors are defined up to a phase per pair: compare what does not depend on it
    def f(lib, x):
        U, S, Vh = lib.linalg.svd(x, full_matrices=False)
        return S, U @ Vh, (U * U.conj()).real
    compare(f, [_random(shape, dtype)])
    compare(lambda lib, x: lib.linalg.svdvals(x), [_random(shape, dtype)])
    compare(lambda lib, x: lib.linalg.matrix_norm(x, "nuc"), [_random(shape, dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_eigh_gauge_invariant(dtype):
    def f(lib, x):
        L, V = lib.linalg.eigh(x)
        return L, (V * L.unsqueeze(-2)) @ V.mH, V.abs()
    compare(f, [_hermitian((2, 4, 4), dtype)])
    compare(lambda lib, x: lib.linalg.eigvalsh(x, UPLO="U"), [_hermitian((3, 3), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_eig_gauge_invariant(dtype):
    def f(lib, x):
        L, V = lib.linalg.eig(x)
        return L, V.abs()
    compare(f, [_random((2, 4, 4), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_lu(dtype, shape):
    compare(lambda lib, x: tuple(lib.linalg.lu_factor(x)), [_random(shape, dtype)])
    compare(lambda lib, x: tuple(lib.linalg.lu(x)), [_random(shape, dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False),
                                          (False, True)])
def test_lu_solve(dtype, left, adjoint):
    def f(lib, a, b):
        LU, piv = lib.linalg.lu_factor(a)
        return lib.linalg.lu_solve(LU, piv, b, left=left, adjoint=adjoint)
    compare(f, [_well_conditioned((2, 3, 3), dtype), _random((2, 3, 3), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pinv_matrix_exp_lstsq(dtype):
    compare(lambda lib, x: lib.linalg.pinv(x), [_random((2, 4, 3), dtype)])
    compare(lambda lib, x: lib.linalg.pinv(x, hermitian=True), [_hermitian((3, 3), dtype)])
    compare(lambda lib, x: lib.linalg.matrix_exp(x), [_random((2, 3, 3), dtype)])
    compare(lambda lib, x: lib.matrix_exp(x * 10), [_random((3, 3), dtype)])
    compare(lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
            [_random((5, 3), dtype), _random((5, 2), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_householder_geqrf_ormqr(dtype):
    a = _random((5, 3), dtype)
    compare(lambda lib, x: tuple(lib.geqrf(x)), [a], grad=False)
    h, tau = (t.numpy() for t in torch.geqrf(torch.tensor(a)))
    compare(lambda lib, x, t, c: lib.ormqr(x, t, c, transpose=True),
            [h, tau, _random((5, 2), dtype)])
    compare(lambda lib, x, t, c: lib.ormqr(x, t, c, left=False), [h, tau, _random((2, 5), dtype)])
    compare(lambda lib, x, t: lib.linalg.householder_product(x, t), [h, tau])


@pytest.mark.parametrize("dtype", DTYPES)
def test_products(dtype):
    v, w = _random((3,), dtype), _random((3,), dtype)
    compare(lambda lib, x, y: lib.linalg.cross(x, y), [_random((4, 3), dtype),
                                                        _random((1, 3), dtype)])
    compare(lambda lib, x, y: lib.vdot(x, y), [v, w])
    compare(lambda lib, x, y: lib.linalg.vecdot(x, y), [_random((2, 3), dtype), w])
    compare(lambda lib, x, y: lib.kron(x, y), [_random((2, 3), dtype), _random((2, 1, 2), dtype)])
    compare(lambda lib, x, y: lib.tensordot(x, y, dims=([1, 0], [2, 0])),
            [_random((3, 2, 4), dtype), _random((3, 5, 2), dtype)])
    compare(lambda lib, x, y: lib.inner(x, y), [_random((2, 3), dtype), _random((4, 3), dtype)])
    compare(lambda lib, x: lib.linalg.multi_dot([x[0], x, x.mT, x[:, 0]]),
            [_random((3, 3), dtype)])
    compare(lambda lib, x: lib.trace(x), [_random((3, 4), dtype)])


def test_inner_with_scalar():
    compare(lambda lib, x, y: lib.inner(x, y), [np.array(2.5), _random((2, 3), "float64")])
    compare(lambda lib, x, y: lib.inner(x, y), [_random((3,), "float64"), np.array(-1.0)])


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_add_products(beta, alpha):
    i3, m = _random((3,), "float64"), _random((3, 4), "float64")
    kw = {"beta": beta, "alpha": alpha}
    compare(lambda lib, i, a, v: lib.addmv(i, a, v, **kw), [i3, m, _random((4,), "float64")])
    compare(lambda lib, i, a, b: lib.addr(i, a, b, **kw),
            [_random((3, 4), "float64"), i3, _random((4,), "float64")])
    compare(lambda lib, i, a, b: lib.baddbmm(i, a, b, **kw),
            [_random((2, 3, 2), "float64"), _random((2, 3, 4), "float64"),
             _random((2, 4, 2), "float64")])
    compare(lambda lib, i, a, b: lib.addbmm(i, a, b, **kw),
            [_random((3, 2), "float64"), _random((2, 3, 4), "float64"),
             _random((2, 4, 2), "float64")])


def test_add_products_beta_zero_ignores_nan():
    i = np.full((3,), np.nan)
    compare(lambda lib, i, a, v: lib.addmv(i, a, v, beta=0),
            [i, _random((3, 4), "float64"), _random((4,), "float64")], grad=False)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, float("inf")])
def test_cdist_dist(p):
    compare(lambda lib, x, y: lib.cdist(x, y, p=p), [_random((2, 4, 3), "float64"),
                                                      _random((2, 5, 3), "float64")])
    compare(lambda lib, x, y: lib.dist(x, y, p), [_random((4, 3), "float64"),
                                                 _random((3,), "float64")])


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf")])
def test_matrix_norm_and_cond(ord):
    a = _well_conditioned((2, 3, 3), "float64")
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True), [a])
    compare(lambda lib, x: lib.linalg.norm(x, ord, dim=(-1, -2)), [a])
    # torch's own backward of cond through inv fails (an in-place write): values only
    compare(lambda lib, x: lib.linalg.cond(x, ord), [a], grad=ord in (2, -2))


def test_matrix_power_rank_vander_tensorinv():
    a = _well_conditioned((2, 3, 3), "float64")
    for n in (-3, -1, 0, 1, 2, 5):
        compare(lambda lib, x, n=n: lib.linalg.matrix_power(x, n), [a])
    compare(lambda lib, x: lib.linalg.matrix_rank(x), [_random((3, 5, 4), "float64")],
            grad=False)
    compare(lambda lib, x: lib.linalg.vander(x, N=4), [_random((2, 3), "float64")])
    compare(lambda lib, x: lib.linalg.tensorinv(x, ind=1), [_well_conditioned((4, 4), "float64")
                                                            .reshape(4, 2, 2)])


def test_ldl():
    pytest.importorskip("scipy")
    a = _hermitian((2, 4, 4), "float64")
    compare(lambda lib, x: tuple(lib.linalg.ldl_factor(x)), [a], grad=False)
    compare(lambda lib, x, b: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(x), b),
            [a, _random((2, 4, 2), "float64")], grad=False)


@pytest.mark.filterwarnings(r"ignore:torch\.\w+ is deprecated:UserWarning")
@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
def test_torch_namespace_forms():
    a = _random((4, 3), "float64")
    def svd_parts(lib, x):
        r = lib.svd(x)
        return r.S, r.U @ r.V.mT
    compare(svd_parts, [a])
    compare(lambda lib, x: lib.svd(x, compute_uv=False).S, [a])
    compare(lambda lib, x: tuple(lib.qr(x, some=False)), [_random((3, 4), "float64")])
    compare(lambda lib, x: lib.pinverse(x), [a])
    compare(lambda lib, x: lib.inverse(x), [_well_conditioned((3, 3), "float64")])
    compare(lambda lib, x, b: lib.triangular_solve(b, x, upper=False, transpose=True)[0],
            [_well_conditioned((3, 3), "float64"), _random((2, 3, 2), "float64")])
    compare(lambda lib, x: lib.cholesky_inverse(lib.linalg.cholesky(x)),
            [_hpd((3, 3), "float64")])
    compare(lambda lib, x: tuple(lib.lu_unpack(*lib.linalg.lu_factor(x))), [a])
    compare(lambda lib, x: lib.chain_matmul(x, x.mT, x), [a])
    compare(lambda lib, x: lib.norm(x, p="nuc"), [a])
    compare(lambda lib, x, y: lib.cross(x, y), [_random((3, 2), "float64"),
                                                _random((3, 2), "float64")])


def test_lowrank_shapes_and_seeding():
    a = ember.tensor(_random((6, 4), "float64"))
    ember.manual_seed(0)
    U, S, V = ember.svd_lowrank(a, q=3)
    assert (tuple(U.shape), tuple(S.shape), tuple(V.shape)) == ((6, 3), (3,), (4, 3))
    ember.manual_seed(0)
    assert np.array_equal(ember.svd_lowrank(a, q=3)[0]._array, U._array)
    U, S, V = ember.pca_lowrank(a.mT)
    assert (tuple(U.shape), tuple(S.shape), tuple(V.shape)) == ((4, 4), (4,), (6, 4))
    # a rank-2 matrix is recovered exactly
    b = a[:, :2] @ a[:2, :]
    U, S, V = ember.svd_lowrank(b, q=2)
    np.testing.assert_allclose((U * S.unsqueeze(0) @ V.mT)._array, b._array, atol=1e-10)


# --- named tuples, out=, errors ------------------------------------------------------------------
def test_named_tuples():
    a = ember.tensor(_well_conditioned((3, 3), "float64"))
    r = ember.linalg.svd(a)
    assert type(r).__name__ == "linalg_svd" and r.U is r[0] and r.S is r[1] and r.Vh is r[2]
    assert "torch.return_types.linalg_svd" in repr(r)
    assert ember.linalg.eigh(a @ a.mT).eigenvalues.shape == (3,)
    assert ember.linalg.qr(a).R.shape == (3, 3)
    assert ember.linalg.slogdet(a).logabsdet.shape == ()
    assert ember.linalg.lu_factor(a).pivots.dtype == ember.int32
    assert ember.linalg.lu_factor_ex(a).info.dtype == ember.int32
    assert ember.linalg.inv_ex(a).inverse.shape == (3, 3)
    assert ember.linalg.cholesky_ex(a @ a.mT).L.shape == (3, 3)
    assert ember.linalg.solve_ex(a, a).result.shape == (3, 3)
    assert ember.svd(a).V.shape == (3, 3)
    assert ember.linalg.lu(a).P.shape == (3, 3)
    r = ember.linalg.lstsq(a, a, driver="gelsd")
    assert r.rank.dtype == ember.int64 and r.singular_values.shape == (3,)
    assert ember.linalg.eig(a).eigenvalues.dtype == ember.complex128


def test_grad_fn_names():
    a = _well_conditioned((3, 3), "float64")
    fns = [lambda lib, x: lib.linalg.det(x), lambda lib, x: lib.linalg.inv(x),
           lambda lib, x: lib.linalg.svd(x)[0], lambda lib, x: lib.linalg.eigh(x)[1],
           lambda lib, x: lib.linalg.qr(x)[0], lambda lib, x: lib.linalg.cholesky(x @ x.mT),
           lambda lib, x: lib.linalg.lu_factor(x)[0], lambda lib, x: lib.linalg.slogdet(x)[1],
           lambda lib, x: lib.linalg.solve(x, x), lambda lib, x: lib.linalg.pinv(x),
           lambda lib, x: lib.linalg.solve_triangular(x, x, upper=False),
           lambda lib, x: lib.linalg.matrix_exp(x), lambda lib, x: lib.linalg.eig(x)[0]]
    for fn in fns:
        t = fn(torch, torch.tensor(a, requires_grad=True))
        e = fn(ember, ember.tensor(a, requires_grad=True))
        assert e.grad_fn.name() == t.grad_fn.name()


def test_out_arguments():
    a = ember.tensor(_well_conditioned((2, 3, 3), "float64"))
    o = ember.empty(0, dtype=ember.float64)
    r = ember.linalg.inv(a, out=o)
    assert r is o and o.shape == (2, 3, 3)
    np.testing.assert_allclose(o._array, np.linalg.inv(a._array))
    outs = (ember.empty(0, dtype=ember.float64), ember.empty(0, dtype=ember.float64),
            ember.empty(0, dtype=ember.float64))
    r = ember.linalg.svd(a, out=outs)
    assert r.U is outs[0] and outs[1].shape == (2, 3)
    d = ember.empty(0, dtype=ember.float64)
    ember.linalg.det(a, out=d)
    np.testing.assert_allclose(d._array, np.linalg.det(a._array))


def _both_raise(fn, arrays, match):
    with pytest.raises(RuntimeError, match=match):
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(RuntimeError, match=match):
        fn(ember, *[ember.tensor(a) for a in arrays])


def test_singular_and_not_pd_errors():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    _both_raise(lambda lib, x: lib.linalg.inv(x),
                [sing], r"linalg.inv: The diagonal element 2 is zero, the inversion could not "
                        r"be completed because the input matrix is singular.")
    batch = np.stack([np.eye(2), sing])
    _both_raise(lambda lib, x: lib.linalg.inv(x), [batch],
                r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero")
    _both_raise(lambda lib, x: lib.linalg.solve(x, x), [sing], "singular")
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]])
    _both_raise(lambda lib, x: lib.linalg.cholesky(x), [not_pd],
                r"linalg.cholesky: The factorization could not be completed because the input "
                r"is not positive-definite \(the leading minor of order 2 is not "
                r"positive-definite\).")
    _both_raise(lambda lib, x: lib.linalg.cholesky_ex(x, check_errors=True), [not_pd],
                "leading minor of order 2")
    _both_raise(lambda lib, x: lib.linalg.inv(x), [np.ones((2, 3))],
                "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices")
    _both_raise(lambda lib, x: lib.linalg.det(x), [np.ones(3)],
                "linalg.det: The input tensor A must have at least 2 dimensions.")
    _both_raise(lambda lib, x: lib.linalg.inv(x), [np.ones((2, 2), np.int64)],
                "linalg.inv: Expected a floating point or complex tensor as input. Got Long")


def test_linalg_error_class():
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.cholesky(ember.zeros(2, 2))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_namespace_matches_torch():
    public = {n for n in dir(torch.linalg) if not n.startswith("_") and n != "common_notes"}
    assert public <= set(dir(ember.linalg))


def test_ex_variants_report_info():
    sing = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    for lib in (torch, ember):
        info = lib.linalg.inv_ex(lib.tensor(sing)).info
        assert info.tolist() == [0, 2]
        info = lib.linalg.cholesky_ex(lib.tensor(sing)).info
        assert info.tolist() == [0, 2]
        info = lib.linalg.lu_factor_ex(lib.tensor(sing)).info
        assert info.tolist() == [0, 2]


def test_ex_variants_outputs_on_failure():
    # what LAPACK leaves behind: inf/nan from the zero pivot, the partial Cholesky factor
    sing = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])
    compare(lambda lib, x: tuple(lib.linalg.inv_ex(x)), [sing], grad=False)
    compare(lambda lib, x: tuple(lib.linalg.solve_ex(x, x[..., 0])), [sing], grad=False)
    not_pd = np.array([[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 5.0]])
    compare(lambda lib, x: tuple(lib.linalg.cholesky_ex(x)), [not_pd], grad=False)


def test_low_precision_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="linalg.inv: Low precision dtypes not supported. "
                                               "Got Half"):
            lib.linalg.inv(lib.ones(2, 2, dtype=lib.float16))
        assert lib.linalg.matrix_norm(lib.ones(2, 2, dtype=lib.float16)).dtype == lib.float16


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3)])
def test_svd_full_matrices_gradient(shape):
    def f(lib, x):
        U, S, Vh = lib.linalg.svd(x, full_matrices=True)
        k = S.shape[-1]
        return S, U[..., :k] @ Vh[..., :k, :]
    compare(f, [_random(shape, "float64")])


@pytest.mark.parametrize("dtype", ["complex128"])
def test_more_complex(dtype):
    a = _well_conditioned((2, 3, 3), dtype)
    for ord in ("fro", "nuc", 2, 1, float("inf")):
        compare(lambda lib, x, ord=ord: lib.linalg.matrix_norm(x, ord), [a])
    compare(lambda lib, x: lib.linalg.cond(x), [a])
    compare(lambda lib, x: lib.linalg.matrix_power(x, -2), [a])
    compare(lambda lib, x: lib.linalg.matrix_rank(x), [a], grad=False)
    compare(lambda lib, x: lib.linalg.vander(x[0, 0]), [a])
    compare(lambda lib, x, b: lib.linalg.tensorsolve(x, b),
            [_well_conditioned((6, 6), dtype).reshape(3, 2, 6), _random((3, 2), dtype)])
    compare(lambda lib, x: lib.linalg.pinv(x, atol=0.5), [a])


def test_empty_and_zero_size():
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        a = np.zeros(shape)
        compare(lambda lib, x: lib.linalg.det(x), [a])
        compare(lambda lib, x: lib.linalg.inv(x), [a])
        compare(lambda lib, x: lib.linalg.svdvals(x), [a])
        compare(lambda lib, x: lib.linalg.eigvalsh(x), [a])
    compare(lambda lib, x: tuple(lib.linalg.svd(x)), [np.zeros((3, 0))], grad=False)
    compare(lambda lib, x: tuple(lib.linalg.qr(x, mode="complete")), [np.zeros((3, 0))],
            grad=False)


# --- gradcheck / gradgradcheck (float64 finite differences) ------------------------------------
def _leaf(a):
    return ember.tensor(a, requires_grad=True)


def _svd_uvh(x):
    U, S, Vh = ember.linalg.svd(x)    # U diag(S) Vh and U Vh do not depend on the signs
    return U @ (Vh * S.unsqueeze(-1)) + U @ Vh


def _eigh_vvh(x):
    L, V = ember.linalg.eigh(x)
    # the spectral sum and the projector on the first eigenvector: free of the sign gauge
    return (V * L.unsqueeze(-2)) @ V.mT + V[..., :1] @ V[..., :1].mT


GRADGRAD = [
    ("det", lambda x: ember.linalg.det(x), _well_conditioned),
    ("inv", lambda x: ember.linalg.inv(x), _well_conditioned),
    ("slogdet", lambda x: ember.linalg.slogdet(x).logabsdet, _well_conditioned),
    ("solve", lambda x: ember.linalg.solve(x, x[..., :1] + 1), _well_conditioned),
    ("solve_triangular", lambda x: ember.linalg.solve_triangular(x, x.mT, upper=True),
     _well_conditioned),
    ("cholesky", lambda x: ember.linalg.cholesky(x @ x.mT), _well_conditioned),
    ("qr", lambda x: ember.linalg.qr(x)[0] + ember.linalg.qr(x)[1], _well_conditioned),
    ("eigh", lambda x: ember.linalg.eigh(x + x.mT)[0], _well_conditioned),
    ("svdvals", lambda x: ember.linalg.svdvals(x), _well_conditioned),
    ("svd_vectors", lambda x: _svd_uvh(x), _random),
    ("eigh_vectors", lambda x: _eigh_vvh(x + x.mT), _random),
    ("eig", lambda x: ember.view_as_real(ember.linalg.eigvals(x @ x.mT)), _well_conditioned),
    ("pinv", lambda x: ember.linalg.pinv(x), _well_conditioned),
    ("matrix_exp", lambda x: ember.linalg.matrix_exp(x), _random),
    ("lu_factor", lambda x: ember.linalg.lu_factor(x).LU, _well_conditioned),
    ("cross", lambda x: ember.linalg.cross(x, x.flip(0)), _random),
]


@pytest.mark.parametrize("name,fn,make", GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_gradcheck_gradgradcheck(name, fn, make):
    x = _leaf(make((3, 3), "float64"))
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))
