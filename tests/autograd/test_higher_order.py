"""Higher-order derivatives (create_graph=True) against torch: repeated autograd.grad,
backward(create_graph=True), a Hessian-vector product through a small MLP."""
import warnings

import numpy as np
import pytest

from tests.autograd._util import same, values

X = np.array([1.5, -0.5, 2.0, 0.3])

FUNCS = {
    "x**4": (lambda lib, x: x ** 4, 4),
    "sin": (lambda lib, x: x.sin(), 3),
    "exp_times_x": (lambda lib, x: x.exp() * x, 3),
    "tanh": (lambda lib, x: x.tanh(), 3),
    "sigmoid": (lambda lib, x: x.sigmoid(), 3),
    "log": (lambda lib, x: (x * x + 1).log(), 3),
    "sqrt": (lambda lib, x: (x * x + 1).sqrt(), 3),
    "reciprocal": (lambda lib, x: 1 / (x * x + 1), 3),
    "relu_cubic": (lambda lib, x: (x * x).relu() * x, 3),
    "cos_of_square": (lambda lib, x: (x * x).cos(), 3),
    "pow_tensor": (lambda lib, x: (x * x + 1) ** (x * 0.5), 2),
    "broadcast_sum": (lambda lib, x: (x.view(4, 1) * x.view(1, 4)).sum(0) ** 2, 3),
    "mean_square": (lambda lib, x: ((x - x.mean()) ** 2).mean() * lib.ones(4), 3),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_repeated_grad_matches_torch(name):
    fn, order = FUNCS[name]

    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        g = fn(lib, x)
        out = []
        for _ in range(order):
            g, = lib.autograd.grad(g.sum(), x, create_graph=True)
            out.append(values(g))
        return out
    same(prog, rtol=1e-9, atol=1e-10)


def test_third_derivative_of_x4_exactly():
    import ember
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    y = (x ** 4).sum()
    g1, = ember.autograd.grad(y, x, create_graph=True)
    g2, = ember.autograd.grad(g1.sum(), x, create_graph=True)
    g3, = ember.autograd.grad(g2.sum(), x, create_graph=True)
    g4, = ember.autograd.grad(g3.sum(), x)
    np.testing.assert_allclose(g3.detach().numpy(), 24 * X)
    np.testing.assert_allclose(g4.numpy(), np.full(4, 24.0))
    assert g3.requires_grad and g3.grad_fn is not None


def test_backward_create_graph_into_leaf_grad():
    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        r = [values(g), g.requires_grad]
        x.grad = None
        g.sum().backward()
        return r + [values(x.grad)]
    same(prog, quiet_torch=True)


def test_grad_of_grad_with_grad_outputs():
    v = np.array([0.5, -1.0, 2.0, 1.5])

    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(v, dtype=lib.float64, requires_grad=True)
        y = x.sin() * x
        g, = lib.autograd.grad(y, x, w, create_graph=True)
        gx, gw = lib.autograd.grad((g * g).sum(), [x, w])
        return [values(g), values(gx), values(gw)]
    same(prog, rtol=1e-9, atol=1e-10)


def test_mlp_hessian_vector_product():
    rng = np.random.default_rng(0)
    w1, w2, inp = rng.standard_normal((4, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((5, 3))
    v1, v2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))

    def prog(lib):
        W1 = lib.tensor(w1, requires_grad=True)
        W2 = lib.tensor(w2, requires_grad=True)
        h = (lib.tensor(inp) @ W1.t()).tanh()
        loss = ((h @ W2.t()) ** 2).mean()
        g1, g2 = lib.autograd.grad(loss, (W1, W2), create_graph=True)
        dot = (g1 * lib.tensor(v1)).sum() + (g2 * lib.tensor(v2)).sum()
        h1, h2 = lib.autograd.grad(dot, (W1, W2))
        return [values(g1), values(g2), values(h1), values(h2)]
    same(prog, rtol=1e-9, atol=1e-10)


def test_create_graph_results_are_not_graph_leaves():
    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad((x * x).sum(), x, create_graph=True)
        h, = lib.autograd.grad((x * x).sum(), x)
        return [g.requires_grad, g.is_leaf, h.requires_grad, h.is_leaf]
    with warnings.catch_warnings():
        same(prog)


def test_double_backward_through_inplace_and_views():
    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = x.exp()[1:] * x[:3]
        z = y.view(3, 1).expand(3, 2) * 2
        g, = lib.autograd.grad(z.sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g ** 2).sum(), x)
        return [values(g), values(gg)]
    same(prog, rtol=1e-9, atol=1e-10)
