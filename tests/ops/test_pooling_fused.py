"""Note [Fused 2-D window max] (ops/pooling.py): the numba loop for 2x2 max pooling gives the
NumPy stages' values, argmax offsets (same shapes and dtype) and gradients bit for bit,
including ties, NaN, infinities and a single output column. Skipped without numba (CI's second
pass installs it); the tests against torch in test_conv_pool_ce.py run whichever path is on."""
import numpy as np
import pytest

import ember
from ember.ops import pooling as P

needs_numba = pytest.mark.skipif(P._window_max_2x2_fused is None,
                                 reason="numba not installed (pip install numba) or EMBER_JIT=0")
SHAPES = [(64, 6, 28, 28), (3, 4, 8, 6), (2, 5, 4, 2), (2, 3, 2, 2), (7, 2, 2), (1, 1, 2, 8)]


def _numpy_forward(x):
    res, args = P._window_max(x, (2, 2), False)
    if np.isnan(np.add.reduce(res, axis=None)):
        res, args = P._window_max(x, (2, 2), True)
    return res, args


def _specials(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(dtype)           # few values: many ties
    x[..., ::2, 1::2] *= -1.0                               # signed zeros among the ties
    flat = x.reshape(-1)
    flat[rng.integers(0, x.size, max(1, x.size // 40))] = np.nan
    flat[rng.integers(0, x.size, max(1, x.size // 50))] = np.inf
    flat[rng.integers(0, x.size, max(1, x.size // 50))] = -np.inf
    return x


@needs_numba
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_offsets_equal_numpy(shape, dtype):
    for seed in range(3):
        x = _specials(shape, dtype, seed)
        got, got_args = P._window_max_2d(x, (2, 2))
        want, want_args = _numpy_forward(x)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)           # NaN where NaN
        assert len(got_args) == len(want_args)
        for a, b in zip(got_args, want_args):
            assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
            np.testing.assert_array_equal(a, b)


@needs_numba
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_backward_equals_numpy(shape, monkeypatch):
    x = _specials(shape, np.float32, 5)
    _, args = P._window_max_2d(x, (2, 2))
    rng = np.random.default_rng(6)
    g = rng.standard_normal(tuple(shape[:-2]) + (shape[-2] // 2, shape[-1] // 2)).astype(
        np.float32)
    g.reshape(-1)[::5] = np.inf                            # the NumPy path's exact branch
    got = P._window_scatter.forward(None, g, args, (2, 2))
    monkeypatch.setattr(P, "_window_scatter_2d_fused", None)
    want = P._window_scatter.forward(None, g, args, (2, 2))
    np.testing.assert_array_equal(got, want)


@needs_numba
def test_fused_forward_numpy_backward_and_double_backward():
    """A non-contiguous gradient takes the NumPy scatter over the fused forward's offsets; the
    double backward (window_gather) reads them too."""
    x = ember.tensor(np.random.default_rng(2).standard_normal((2, 2, 4, 6)), requires_grad=True)
    f = lambda a: ember.nn.functional.max_pool2d(a, 2)
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))
    _, args = P._window_max_2d(x.detach().numpy(), (2, 2))
    g = np.random.default_rng(3).standard_normal((2, 2, 3, 2)).transpose(0, 1, 3, 2)
    assert not g.flags.c_contiguous
    got = P._window_scatter.forward(None, g, args, (2, 2))          # NumPy stages
    want = P._window_scatter.forward(None, np.ascontiguousarray(g), args, (2, 2))  # fused
    np.testing.assert_array_equal(got, want)
