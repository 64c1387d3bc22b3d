"""nn.init against torch: exact values where the result is deterministic (constant, eye, dirac,
gains, fans), distribution statistics where it is random, structure (orthogonality, sparsity),
generators, warnings and error messages."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember

INIT = ember.nn.init


@pytest.mark.parametrize("args", [("linear",), ("conv1d",), ("conv_transpose3d",), ("sigmoid",),
                                  ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                                  ("leaky_relu", 1), ("selu",)])
def test_calculate_gain_matches_torch(args):
    assert INIT.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args,msg", [(("foo",), "Unsupported nonlinearity foo"),
                                      (("leaky_relu", True), "negative_slope True not a valid"),
                                      (("leaky_relu", "x"), "negative_slope x not a valid")])
def test_calculate_gain_errors(args, msg):
    for lib in (torch, ember):
        with pytest.raises(ValueError, match=msg):
            lib.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2, 2)])
def test_fans_match_torch(shape):
    assert INIT._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


SHAPE = (400, 250)


def test_uniform_and_normal_statistics():
    t = INIT.uniform_(ember.empty(SHAPE), -2.0, 3.0)
    mean, std, lo, hi = _stats(t)
    assert lo >= -2.0 and hi < 3.0
    assert abs(mean - 0.5) < 0.02 and abs(std - 5 / math.sqrt(12)) < 0.02
    t = INIT.normal_(ember.empty(SHAPE), 1.5, 0.5)
    mean, std, _, _ = _stats(t)
    assert abs(mean - 1.5) < 0.01 and abs(std - 0.5) < 0.01


@pytest.mark.parametrize("fn,val", [("constant_", 0.3), ("ones_", 1.0), ("zeros_", 0.0)])
def test_constant_fills(fn, val):
    t = ember.nn.Parameter(ember.randn(3, 4))
    res = getattr(INIT, fn)(t, *([val] if fn == "constant_" else []))
    assert res is t and t.is_leaf and t.requires_grad
    np.testing.assert_array_equal(t.detach().numpy(), np.full((3, 4), val, np.float32))


@pytest.mark.parametrize("a,b,mean,std", [(-2.0, 2.0, 0.0, 1.0), (-0.5, 1.0, 0.2, 0.3),
                                          (2.0, 3.0, 0.0, 1.0), (-0.1, 0.1, 0.0, 1.0)])
def test_trunc_normal_statistics(a, b, mean, std):
    t = INIT.trunc_normal_(ember.empty(SHAPE), mean, std, a, b)
    x = t.numpy().astype(np.float64)
    assert x.min() >= a and x.max() <= b
    # moments of the truncated normal
    alpha, beta = (a - mean) / std, (b - mean) / std
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (phi(alpha) - phi(beta)) / z
    v = std ** 2 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / z
                    - ((phi(alpha) - phi(beta)) / z) ** 2)
    assert abs(x.mean() - m) < 0.01 * max(1, std)
    assert abs(x.std() - math.sqrt(v)) < 0.01 * max(1, std)
    # same moments as torch's sampler
    tt = torch.nn.init.trunc_normal_(torch.empty(SHAPE), mean, std, a, b).numpy()
    assert abs(tt.mean() - x.mean()) < 0.02 * max(1, std)


def test_trunc_normal_warns_when_mean_far_from_interval():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            lib.nn.init.trunc_normal_(lib.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_statistics(gain):
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    t = INIT.xavier_uniform_(ember.empty(SHAPE), gain=gain)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    _, std, lo, hi = _stats(t)
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.01 * bound
    t = INIT.xavier_normal_(ember.empty(SHAPE), gain=gain)
    _, std, _, _ = _stats(t)
    assert abs(std - gain * math.sqrt(2 / (fan_in + fan_out))) < 0.01 * std


@pytest.mark.parametrize("a,mode,nl", [(0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in",
                                                                     "leaky_relu"),
                                       (0, "fan_out", "relu"), (0.1, "fan_out", "tanh")])
def test_kaiming_statistics(a, mode, nl):
    shape = (200, 40, 3, 3)
    fan = 40 * 9 if mode == "fan_in" else 200 * 9
    std_expected = torch.nn.init.calculate_gain(nl, a) / math.sqrt(fan)
    t = INIT.kaiming_normal_(ember.empty(shape), a=a, mode=mode, nonlinearity=nl)
    assert abs(_stats(t)[1] - std_expected) < 0.01 * std_expected
    t = INIT.kaiming_uniform_(ember.empty(shape), a=a, mode=mode, nonlinearity=nl)
    _, std, lo, hi = _stats(t)
    bound = math.sqrt(3) * std_expected
    assert -bound <= lo and hi <= bound and abs(std - std_expected) < 0.01 * std_expected


def test_eye_and_dirac_match_torch_exactly():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        np.testing.assert_array_equal(INIT.eye_(ember.empty(shape)).numpy(),
                                      torch.nn.init.eye_(torch.empty(shape)).numpy())
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 6, 3, 2, 5), 1),
                          ((6, 3, 4, 4), 3), ((2, 5, 3), 2)]:
        np.testing.assert_array_equal(INIT.dirac_(ember.empty(shape), groups).numpy(),
                                      torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


def test_dirac_conv_is_identity():
    w = INIT.dirac_(ember.empty(3, 3, 3, 3))
    x = ember.randn(2, 3, 5, 5)
    y = ember.nn.functional.conv2d(x, w, padding=1)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (8, 2, 3, 3), (3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_structure(shape, gain):
    t = INIT.orthogonal_(ember.empty(shape, dtype=ember.float64), gain=gain)
    q = t.numpy().reshape(shape[0], -1) / gain
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-10)


def test_sparse_zero_counts():
    t = INIT.sparse_(ember.empty(20, 30), sparsity=0.3, std=0.5)
    a = t.numpy()
    zeros_per_col = (a == 0).sum(0)
    assert (zeros_per_col == math.ceil(0.3 * 20)).all()
    nz = a[a != 0]
    assert abs(nz.std() - 0.5) < 0.05
    # each column zeroes different rows
    assert len({tuple(np.flatnonzero(a[:, j] == 0)) for j in range(30)}) > 1


RANDOM = [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("xavier_uniform_", ()),
          ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
          ("orthogonal_", ()), ("sparse_", (0.5,))]


@pytest.mark.parametrize("name,args", RANDOM)
def test_generator_reproducibility(name, args):
    fn = getattr(INIT, name)
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    a = fn(ember.empty(6, 5), *args, generator=g1).numpy().copy()
    ember.manual_seed(123)
    b = fn(ember.empty(6, 5), *args, generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
    ember.manual_seed(0)
    c = fn(ember.empty(6, 5), *args).numpy().copy()
    ember.manual_seed(0)
    d = fn(ember.empty(6, 5), *args).numpy()
    np.testing.assert_array_equal(c, d)


def test_init_runs_without_recording_autograd():
    p = ember.nn.Parameter(ember.empty(4, 3))
    for name, args in RANDOM + [("eye_", ()), ("constant_", (2.0,))]:
        v = p._version
        assert getattr(INIT, name)(p, *args) is p
        assert p.is_leaf and p.grad_fn is None and p._version > v


INIT_ERRORS = [
    (lambda lib: lib.nn.init.xavier_uniform_(lib.empty(5)),
     "Fan in and fan out can not be computed"),
    (lambda lib: lib.nn.init.kaiming_normal_(lib.empty(3, 4), mode="fan_avg"),
     r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"),
    (lambda lib: lib.nn.init.eye_(lib.empty(2, 2, 2)), "Only tensors with 2 dimensions"),
    (lambda lib: lib.nn.init.dirac_(lib.empty(2, 2)), "Only tensors with 3, 4, or 5 dimensions"),
    (lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 3), groups=2),
     "dim 0 must be divisible by groups"),
    (lambda lib: lib.nn.init.orthogonal_(lib.empty(3)), "Only tensors with 2 or more dimensions"),
    (lambda lib: lib.nn.init.sparse_(lib.empty(3, 2, 2), 0.1), "Only tensors with 2 dimensions"),
]


@pytest.mark.parametrize("fn,msg", INIT_ERRORS)
def test_init_errors_match_torch(fn, msg):
    for lib in (torch, ember):
        with pytest.raises(ValueError, match=msg):
            fn(lib)


def test_zero_element_kaiming_warns_like_torch():
    for lib in (torch, ember):
        for fn in (lib.nn.init.kaiming_uniform_, lib.nn.init.kaiming_normal_):
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                fn(lib.empty(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        INIT.orthogonal_(ember.empty(0, 3))


@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "eye", "dirac",
                                 "xavier_uniform", "xavier_normal", "kaiming_uniform",
                                 "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_aliases_warn(old):
    args = {"constant": (1.0,), "sparse": (0.2,)}.get(old, ())
    shape = (3, 2, 3) if old == "dirac" else (4, 3)
    with pytest.warns(FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of "
                                           f"`nn.init.{old}_`"):
        getattr(INIT, old)(ember.empty(shape), *args)


def test_every_torch_initializer_exists():
    names = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")]
    assert names and all(hasattr(INIT, n) for n in names)


def test_dtypes_are_preserved():
    for dt in (ember.float64, ember.float16, ember.bfloat16):
        for name, args in RANDOM + [("eye_", ())]:
            t = getattr(INIT, name)(ember.empty(4, 3, dtype=dt), *args)
            assert t.dtype == dt
