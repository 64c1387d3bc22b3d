"""matmul, mm, bmm, mv, dot, outer, einsum, linear, addmm against torch."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((2, 1, 2, 3), (5, 3, 4)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((0, 3), (3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_matmul(shapes, dtype):
    check_against_torch(lambda lib, a, b: lib.matmul(a, b), list(shapes), dtype)
    check_against_torch(lambda lib, a, b: a @ b, list(shapes), dtype)


@pytest.mark.parametrize("name,shapes", [("mm", [(2, 3), (3, 4)]), ("bmm", [(2, 3, 4), (2, 4, 5)]),
                                         ("mv", [(2, 3), (3,)]), ("dot", [(3,), (3,)]),
                                         ("outer", [(3,), (4,)]), ("inner", [(3,), (3,)])])
def test_named_products(name, shapes):
    check_against_torch(lambda lib, a, b: getattr(lib, name)(a, b), shapes, "float64")
    check_against_torch(lambda lib, a, b: getattr(a, name)(b), shapes, "float32")


def test_matmul_gradcheck():
    rng = np.random.default_rng(0)
    for sa, sb in MATMUL_SHAPES[:-1]:
        a = ember.tensor(rng.standard_normal(sa), requires_grad=True)
        b = ember.tensor(rng.standard_normal(sb), requires_grad=True)
        assert ember.autograd.gradcheck(ember.matmul, (a, b))
        assert ember.autograd.gradgradcheck(ember.matmul, (a, b))


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
                                       ("i,i->", [(3,), (3,)]), ("ij->ji", [(2, 3)]),
                                       ("ij->j", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
                                       ("ij,ij->i", [(2, 3), (2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
                                       ("ij,jk", [(2, 3), (3, 4)])])
def test_einsum(eq, shapes):
    check_against_torch(lambda lib, *xs: lib.einsum(eq, *xs), shapes, "float64")


@pytest.mark.parametrize("xshape", [(4, 3), (3,), (2, 5, 3), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xshape, bias):
    shapes = [xshape, (2, 3)] + ([(2,)] if bias else [])
    check_against_torch(lambda lib, x, w, *b: lib.nn.functional.linear(x, w, *b), shapes)


def test_linear_gradcheck():
    rng = np.random.default_rng(3)
    x = ember.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = ember.tensor(rng.standard_normal(2), requires_grad=True)
    f = ember.nn.functional.linear
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


def test_addmm():
    check_against_torch(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2),
                        [(2, 4), (2, 3), (3, 4)])


@pytest.mark.parametrize("call,msg", [
    (lambda: ember.ones(2, 3) @ ember.ones(4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: ember.mm(ember.ones(3), ember.ones(3, 3)), "2D"),
    (lambda: ember.ones(2, 3) @ ember.ones(3, dtype=ember.float64), "same dtype"),
    (lambda: ember.dot(ember.ones(3), ember.ones(4)), "inconsistent tensor size"),
    (lambda: ember.bmm(ember.ones(2, 3, 4), ember.ones(3, 4, 5)), "same number of batches"),
])
def test_product_errors(call, msg):
    with pytest.raises(RuntimeError, match=msg):
        call()


@pytest.mark.parametrize("shape", [(64, 7), (300, 5), (4, 50, 6), (2, 3, 40, 8)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_bias_gradient_over_many_rows_matches_torch(shape, dtype):
    """From 64 rows the bias gradient is a ones-vector product (Note [Bias gradient as a
    product]); it must equal torch's row sum to rounding, for 2-D and batched inputs."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((3, shape[-1])).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    g = rng.standard_normal(shape[:-1] + (3,)).astype(dtype)
    tb = torch.tensor(b, requires_grad=True)
    torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), tb).backward(torch.tensor(g))
    eb = ember.tensor(b, requires_grad=True)
    ember.nn.functional.linear(ember.tensor(x), ember.tensor(w), eb).backward(ember.tensor(g))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=tol, atol=tol)
