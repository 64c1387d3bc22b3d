"""Losses against torch (values and input gradients)."""
import numpy as np
import pytest
import torch

import ember

W = np.array([0.3, 1.0, 2.0, 0.5], dtype=np.float32)
CE_OPTIONS = [{}, dict(reduction="sum"), dict(reduction="none"), dict(weight=W),
              dict(ignore_index=1), dict(label_smoothing=0.2),
              dict(weight=W, label_smoothing=0.1, ignore_index=2),
              dict(weight=W, reduction="none", label_smoothing=0.3)]


def _conv(kw, lib):
    return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


@pytest.mark.parametrize("kw", CE_OPTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3), (4,)])
def test_cross_entropy_class_indices(kw, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, 4, tshape)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(tx, torch.tensor(t), **_conv(kw, torch))
    le = ember.nn.functional.cross_entropy(ex, ember.tensor(t), **_conv(kw, ember))
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    cot = rng.standard_normal(tuple(lt.shape)).astype(np.float32)
    lt.backward(torch.tensor(cot))
    le.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.1), dict(weight=W),
                                dict(reduction="none")])
def test_cross_entropy_probabilities(kw):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    p = torch.softmax(torch.tensor(rng.standard_normal((5, 4)).astype(np.float32)), 1).numpy()
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    lt = torch.nn.CrossEntropyLoss(**_conv(kw, torch))(tx, torch.tensor(p))
    le = ember.nn.CrossEntropyLoss(**_conv(kw, ember))(ex, ember.tensor(p))
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    lt.sum().backward()
    le.sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, dict(weight=W), dict(ignore_index=0), dict(reduction="none")])
def test_nll_loss(kw):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = rng.integers(0, 4, 6)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    lt = torch.nn.NLLLoss(**_conv(kw, torch))(torch.log_softmax(tx, 1), torch.tensor(t))
    le = ember.nn.NLLLoss(**_conv(kw, ember))(ember.log_softmax(ex, 1), ember.tensor(t))
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    lt.sum().backward()
    le.sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropy_double_backward():
    rng = np.random.default_rng(3)
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = ember.tensor(rng.integers(0, 4, 3))
    f = lambda a: ember.nn.functional.cross_entropy(a, t, label_smoothing=0.1)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_cross_entropy_errors_name_shapes_and_dtypes():
    x = ember.randn(4, 3)
    with pytest.raises(RuntimeError, match="class-index targets must be integer tensors of shape \\[4\\]"):
        ember.nn.functional.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 5, 1]))
    with pytest.raises(RuntimeError, match=r"expected target of shape \[4\]"):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="label_smoothing must be between"):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 2, 1]), label_smoothing=1.5)
