"""Complex autograd follows PyTorch's conjugate-Wirtinger convention: for a real loss L the
``.grad`` of a complex leaf z is dL/dRe(z) + i dL/dIm(z). Each program is compared with torch."""
import numpy as np
import pytest

from tests.autograd._util import same, values

Z = np.array([1 + 2j, -0.5 + 0.3j, 2 - 1j])
W = np.array([0.3 - 1j, 1.5 + 0.5j, -1 + 0.25j])

LOSSES = {
    "abs": lambda lib, z, w: z.abs().sum(),
    "real": lambda lib, z, w: (z.real * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum(),
    "imag_sq": lambda lib, z, w: (z.imag ** 2).sum(),
    "angle": lambda lib, z, w: z.angle().sum(),
    "mul": lambda lib, z, w: (z * w * (1 + 1j)).abs().sum(),
    "div": lambda lib, z, w: (w / z).real.sum(),
    "exp": lambda lib, z, w: z.exp().imag.sum(),
    "conj": lambda lib, z, w: (z.conj() * w).real.sum(),
    "abs_sq": lambda lib, z, w: (z * z.conj()).real.sum(),
    "log": lambda lib, z, w: z.log().abs().sum(),
    "sin": lambda lib, z, w: z.sin().abs().sum(),
    "square": lambda lib, z, w: (z ** 2).abs().sum(),
    "matmul": lambda lib, z, w: (z.reshape(3, 1) @ w.reshape(1, 3)).abs().sum(),
    "view_as_real": lambda lib, z, w: (lib.view_as_real(z * w) ** 2).sum()
    + lib.view_as_real(z)[:, 1].sum(),
    "sub_neg": lambda lib, z, w: (-(z - w)).abs().sum(),
    "sum_then_abs": lambda lib, z, w: (z * w).sum().abs(),
    "sqrt": lambda lib, z, w: z.sqrt().real.sum(),
    "tanh": lambda lib, z, w: z.tanh().imag.sum(),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_complex_leaf_grads_match_torch(name):
    def prog(lib):
        z = lib.tensor(Z, requires_grad=True)
        w = lib.tensor(W, requires_grad=True)
        loss = LOSSES[name](lib, z, w)
        loss.backward()
        return [values(loss), values(z.grad), values(w.grad)]
    same(prog, rtol=1e-9, atol=1e-10)


def test_complex_output_with_complex_cotangent():
    def prog(lib):
        z = lib.tensor(Z, requires_grad=True)
        out = z * z * lib.tensor(W)
        out.backward(lib.tensor(np.array([1 + 1j, 2 - 1j, 0.5j])))
        return values(z.grad)
    same(prog, rtol=1e-9, atol=1e-10)


def test_real_leaf_through_complex_ops():
    def prog(lib):
        r = lib.tensor([1.0, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
        loss = (r * (1 + 2j)).abs().sum() + lib.complex(r, r * 2).angle().sum()
        loss.backward()
        return values(r.grad)
    same(prog, rtol=1e-9, atol=1e-10)


def test_view_as_complex_grad():
    def prog(lib):
        r = lib.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=lib.float64, requires_grad=True)
        lib.view_as_complex(r).abs().sum().backward()
        return values(r.grad)
    same(prog, rtol=1e-9, atol=1e-10)


def test_complex_higher_order():
    def prog(lib):
        z = lib.tensor(Z, requires_grad=True)
        loss = (z * z.conj() * z).abs().sum()
        g, = lib.autograd.grad(loss, z, create_graph=True)
        g2, = lib.autograd.grad(g.abs().sum(), z)
        return [values(g), values(g2)]
    same(prog, rtol=1e-8, atol=1e-9)
