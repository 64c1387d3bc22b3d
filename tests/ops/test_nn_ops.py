"""Fused neural-network ops (softmax family, MSE) against torch."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1),
                                       ((2, 3, 4), 1), ((0, 3), 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_family(name, shape, dim, dtype):
    check_against_torch(lambda lib, x: getattr(lib, name)(x * 5, dim), [shape], dtype)
    check_against_torch(lambda lib, x: getattr(lib.nn.functional, name)(x, dim=dim), [shape], dtype)


def test_softmax_large_values_stay_finite():
    x = ember.tensor([1000.0, 1001.0, 999.0])
    assert np.isfinite(ember.softmax(x, 0).numpy()).all()
    assert np.isfinite(ember.log_softmax(x, 0).numpy()).all()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradcheck(name):
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    f = lambda t: getattr(ember, name)(t, 1)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    check_against_torch(lambda lib, a, b: lib.nn.functional.mse_loss(a, b, reduction=reduction),
                        [(4, 3), (4, 3)])
    check_against_torch(lambda lib, a, b: lib.nn.MSELoss(reduction=reduction)(a, b),
                        [(5, 1), (5, 1)], "float64")


def test_mse_gradcheck():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(ember.nn.functional.mse_loss, (a, b))
    assert ember.autograd.gradgradcheck(ember.nn.functional.mse_loss, (a, b))


def test_mse_shape_mismatch_warns_like_torch():
    with pytest.warns(UserWarning, match="different to the input size"):
        ember.nn.functional.mse_loss(ember.ones(5, 1), ember.ones(5))
    with pytest.warns(UserWarning, match="different to the input size"):
        torch.nn.functional.mse_loss(torch.ones(5, 1), torch.ones(5))


def test_mse_bad_reduction():
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        ember.nn.functional.mse_loss(ember.ones(2), ember.ones(2), reduction="avg")


@pytest.mark.parametrize("kw", [{}, {"ignore_index": 3}, {"reduction": "sum"},
                                {"reduction": "none"}, {"weight": True}])
def test_cross_entropy_blocked_rows_match_torch(kw):
    """Logits large enough for the row-blocked kernel, with a last block that is partial."""
    rng = np.random.default_rng(0)
    n, c = 301, 500
    xn = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    tn = rng.integers(0, c, n)
    tn[::7] = 3
    wn = rng.random(c).astype(np.float32) + 0.5
    gn = rng.standard_normal(n).astype(np.float32)
    res = {}
    for lib in (torch, ember):
        x = lib.tensor(xn, requires_grad=True)
        args = dict(kw)
        if args.pop("weight", False):
            args["weight"] = lib.tensor(wn)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(tn), **args)
        loss.backward(lib.tensor(gn) if loss.ndim else None)
        res[lib.__name__] = (loss.detach().numpy(), x.grad.numpy())
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_cross_entropy_and_layer_norm_retained_graph_back_up_twice():
    """Both rules work in place on what their forward saved; a second backward through a
    retained graph must recompute it."""
    rng = np.random.default_rng(2)
    xn = rng.standard_normal((300, 500)).astype(np.float32)
    tn = rng.integers(0, 500, 300)
    hn = rng.standard_normal((6, 16)).astype(np.float32)
    wn = rng.standard_normal(16).astype(np.float32)
    grads = {}
    for lib in (torch, ember):
        x = lib.tensor(xn, requires_grad=True)
        h = lib.tensor(hn, requires_grad=True)
        w = lib.tensor(wn, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(tn)) + \
            (lib.nn.functional.layer_norm(h, (16,), w) ** 2).sum()
        loss.backward(retain_graph=True)
        first = [t.grad.numpy().copy() for t in (x, h, w)]
        loss.backward()
        grads[lib.__name__] = first + [t.grad.numpy() for t in (x, h, w)]
    for a, b in zip(grads["ember"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
