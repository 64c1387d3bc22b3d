"""Random sampling against torch: shapes, dtypes and errors match; values cannot (ember draws from
PCG64, torch from a Mersenne Twister), so the distributions are checked statistically on 100k
samples, and seeding, generator isolation and state save/restore are checked for exact
reproducibility."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import dtype_name, to_numpy

N = 100_000


def meta(x):
    return tuple(x.shape), dtype_name(x.dtype)


def same_meta(fn):
    t, e = fn(torch), fn(ember)
    assert meta(e) == meta(t)
    return e


def same_error(fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert isinstance(ee.value, type(te.value)), (type(ee.value), type(te.value))
    tmsg = str(te.value).split("(Triggered")[0].split("  (Could")[0].strip()
    assert tmsg.split("\n")[0] in str(ee.value) or type(te.value) is TypeError, \
        (str(ee.value), tmsg)
    return str(ee.value)


# --- shapes and dtypes ---------------------------------------------------------------------------

SHAPE_CASES = [
    lambda L: L.rand(2, 3), lambda L: L.rand((2, 3)), lambda L: L.rand(()), lambda L: L.rand(0),
    lambda L: L.rand(2, dtype=L.float64), lambda L: L.rand(2, dtype=L.float16),
    lambda L: L.rand(2, dtype=L.bfloat16), lambda L: L.rand(2, dtype=L.complex64),
    lambda L: L.rand(size=(4,)),
    lambda L: L.randn(4), lambda L: L.randn(2, 2, dtype=L.complex128),
    lambda L: L.randn(3, dtype=L.float64), lambda L: L.randn([2, 1]),
    lambda L: L.randint(10, (3,)), lambda L: L.randint(2, 10, (3, 2)),
    lambda L: L.randint(10, (3,), dtype=L.int32), lambda L: L.randint(10, (3,), dtype=L.float32),
    lambda L: L.randint(0, 5, size=(2,)), lambda L: L.randint(high=5, size=(2,)),
    lambda L: L.randint(0, 2, (3,), dtype=L.bool), lambda L: L.randint(3, size=()),
    lambda L: L.randperm(5), lambda L: L.randperm(5, dtype=L.float32), lambda L: L.randperm(0),
    lambda L: L.normal(0.0, 1.0, (2, 3)), lambda L: L.normal(2, 3, size=[4]),
    lambda L: L.normal(0.0, 1.0, (2,), dtype=L.float64),
    lambda L: L.normal(L.zeros(3), L.ones(3)), lambda L: L.normal(L.zeros(3), 2.0),
    lambda L: L.normal(1.0, L.ones(3)), lambda L: L.normal(L.zeros(3, 1), L.ones(4)),
    lambda L: L.normal(L.zeros(3, dtype=L.float64), 1.0),
    lambda L: L.normal(L.zeros(2, dtype=L.float64), L.ones(2)),
    lambda L: L.bernoulli(L.full((3,), 0.5)),
    lambda L: L.bernoulli(L.full((3,), 0.5, dtype=L.float64)),
    lambda L: L.bernoulli(L.zeros(3), 0.3), lambda L: L.full((3,), 0.5).bernoulli(),
    lambda L: L.rand_like(L.ones(2, dtype=L.float64)), lambda L: L.randn_like(L.ones(2, 3)),
    lambda L: L.rand_like(L.ones(2), dtype=L.float16),
    lambda L: L.randint_like(L.ones(2, 3), 5),
    lambda L: L.randint_like(L.ones(2, dtype=L.int32), 3, 5),
    lambda L: L.multinomial(L.ones(4), 2), lambda L: L.multinomial(L.ones(2, 5), 3),
    lambda L: L.multinomial(L.ones(3), 5, replacement=True),
    lambda L: L.poisson(L.ones(2, 3)),
    lambda L: L.ones(3).uniform_(2, 3), lambda L: L.ones(3, dtype=L.float64).normal_(2, 3),
    lambda L: L.ones(3).bernoulli_(0.3), lambda L: L.ones(3, dtype=L.int64).bernoulli_(0.3),
    lambda L: L.ones(3).bernoulli_(L.full((3,), 0.2)),
    lambda L: L.ones(3).random_(0, 5), lambda L: L.ones(3, dtype=L.int64).random_(10),
    lambda L: L.ones(3, dtype=L.uint8).random_(), lambda L: L.ones(3, dtype=L.bool).random_(),
    lambda L: L.ones(3).exponential_(2.0), lambda L: L.ones(3).geometric_(0.5),
    lambda L: L.ones(3, dtype=L.int64).geometric_(0.5),
    lambda L: L.ones(3).log_normal_(), lambda L: L.ones(3).cauchy_(),
]


@pytest.mark.parametrize("i", range(len(SHAPE_CASES)))
def test_shape_and_dtype_match_torch(i):
    same_meta(SHAPE_CASES[i])


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_default_dtype_applies(default):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    for fn in (lambda L: L.rand(2), lambda L: L.randn(2), lambda L: L.normal(0.0, 1.0, (2,)),
               lambda L: L.rand(2, dtype=L.complex64)):
        same_meta(fn)


@pytest.mark.parametrize("fn", ["rand", "randn", "randint", "randperm", "normal"])
@pytest.mark.parametrize("out_dtype", ["float32", "float64", "int64"])
def test_out_argument(fn, out_dtype):
    calls = {"rand": lambda L, o: L.rand(2, 3, out=o), "randn": lambda L, o: L.randn(4, out=o),
             "randint": lambda L, o: L.randint(5, (2,), out=o),
             "randperm": lambda L, o: L.randperm(6, out=o),
             "normal": lambda L, o: L.normal(0.0, 1.0, (3,), out=o)}

    def run(L):
        o = L.zeros(0, dtype=getattr(L, out_dtype))
        try:
            r = calls[fn](L, o)
        except Exception as exc:
            return type(exc)
        assert r is o
        return meta(o)
    t, e = run(torch), run(ember)
    if isinstance(t, type):
        assert isinstance(e, type) and issubclass(e, t)
    else:
        assert e == t


def test_requires_grad_and_leaves():
    for x in (ember.rand(2, requires_grad=True), ember.randn(2, requires_grad=True),
              ember.normal(0.0, 1.0, (2,), requires_grad=True),
              ember.rand_like(ember.ones(2), requires_grad=True)):
        assert x.requires_grad and x.is_leaf


def test_samples_depending_on_grad_tensors_get_zero_gradient():
    """bernoulli(p) and normal(mean, std) are in the graph but pass no gradient, as in torch."""
    for L in (torch, ember):
        p = L.full((3,), 0.5, requires_grad=True)
        b = L.bernoulli(p)
        assert b.requires_grad and b.grad_fn is not None
        mean, std = L.zeros(3, requires_grad=True), L.ones(3, requires_grad=True)
        y = L.normal(mean, std)
        (b.sum() + y.sum()).backward()
        for leaf in (p, mean, std):
            assert np.all(to_numpy(leaf.grad) == 0)


def test_inplace_fill_on_graph_tensor_cuts_gradient():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.uniform_()
    assert y.grad_fn is not None
    y.sum().backward()
    assert np.all(x.grad.numpy() == 0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        ember.ones(3, requires_grad=True).normal_()


# --- errors ------------------------------------------------------------------------------------

ERROR_CASES = [
    lambda L: L.rand(2, dtype=L.int64), lambda L: L.randn(2, dtype=L.int32),
    lambda L: L.rand_like(L.ones(2, dtype=L.int64)),
    lambda L: L.randint(5, 2, (3,)), lambda L: L.randint(10, (2,), dtype=L.complex64),
    lambda L: L.randint(0, 300, (2,), dtype=L.uint8),
    lambda L: L.randperm(-1),
    lambda L: L.normal(0.0, -1.0, (2,)), lambda L: L.normal(0.0, 1.0),
    lambda L: L.normal(L.zeros(3, dtype=L.int64), 1.0),
    lambda L: L.normal(L.zeros(2), L.ones(3)), lambda L: L.normal(L.zeros(2), -L.ones(2)),
    lambda L: L.bernoulli(L.full((3,), 1.5)), lambda L: L.bernoulli(L.ones(3, dtype=L.int64)),
    lambda L: L.bernoulli(L.ones(2), 1.5),
    lambda L: L.ones(3, dtype=L.int64).uniform_(), lambda L: L.ones(3, dtype=L.bool).uniform_(),
    lambda L: L.ones(3).uniform_(3, 2),
    lambda L: L.ones(3, dtype=L.int64).normal_(), lambda L: L.ones(3).normal_(0, -1),
    lambda L: L.ones(3).bernoulli_(1.3),
    lambda L: L.ones(3).random_(5, 2), lambda L: L.ones(3, dtype=L.uint8).random_(0, 300),
    lambda L: L.ones(3, dtype=L.int64).exponential_(), lambda L: L.ones(3).exponential_(-1.0),
    lambda L: L.ones(3).geometric_(1.5), lambda L: L.ones(3).log_normal_(1, -1),
    lambda L: L.ones(3, dtype=L.int64).log_normal_(),
    lambda L: L.multinomial(L.tensor([0.0, 1, 0]), 4),
    lambda L: L.multinomial(L.tensor([0.0, -1, 0]), 1),
    lambda L: L.multinomial(L.zeros(3), 1), lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    lambda L: L.poisson(L.ones(2, dtype=L.int64)),
    lambda L: L.set_rng_state(L.zeros(3)),
    lambda L: L.Generator().manual_seed(2 ** 64),
]


@pytest.mark.parametrize("i", range(len(ERROR_CASES)))
def test_errors_match_torch(i):
    same_error(ERROR_CASES[i])


# --- seeding, generators and state ---------------------------------------------------------------

def draw_all(generator=None):
    g = {} if generator is None else {"generator": generator}
    return [ember.rand(5, **g), ember.randn(5, **g), ember.randint(0, 100, (5,), **g),
            ember.randperm(7, **g), ember.normal(0.0, 1.0, (5,), **g),
            ember.bernoulli(ember.full((5,), 0.5), **g), ember.ones(5).uniform_(**g),
            ember.ones(5).normal_(**g), ember.ones(5).exponential_(**g),
            ember.ones(5).random_(0, 9, **g), ember.multinomial(ember.ones(6), 3, **g)]


def assert_equal_draws(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_manual_seed_reproduces_every_sampler():
    ember.manual_seed(123)
    first = draw_all()
    ember.manual_seed(123)
    assert_equal_draws(first, draw_all())
    ember.manual_seed(124)
    assert not np.array_equal(first[0].numpy(), draw_all()[0].numpy())


def test_seed_functions():
    g = ember.manual_seed(7)
    assert isinstance(g, ember.Generator) and g is ember.default_generator
    assert ember.initial_seed() == 7 == torch.manual_seed(7).initial_seed()
    s = ember.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and ember.initial_seed() == s
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    for seed in (-1, -5, 2 ** 64 - 1, 0):
        assert ember.Generator().manual_seed(seed).initial_seed() == \
            torch.Generator().manual_seed(seed).initial_seed()


def test_rng_state_restores_the_same_draws():
    ember.manual_seed(5)
    ember.rand(3)
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8 and state.ndim == 1
    after = draw_all()
    ember.rand(100)
    ember.set_rng_state(state)
    assert_equal_draws(after, draw_all())


def test_generator_state_roundtrip_and_isolation():
    g = ember.Generator().manual_seed(42)
    st = g.get_state()
    a = draw_all(g)
    g.set_state(st)
    assert_equal_draws(a, draw_all(g))
    # drawing from the default generator does not move g, and vice versa
    g.manual_seed(42)
    ember.manual_seed(0)
    ember.rand(1000)
    assert_equal_draws(a, draw_all(g))
    ember.manual_seed(0)
    ref = ember.rand(4)
    ember.manual_seed(0)
    draw_all(ember.Generator().manual_seed(1))
    np.testing.assert_array_equal(ember.rand(4).numpy(), ref.numpy())
    assert str(g.device) == "cpu" and g.manual_seed(3) is g


def test_two_generators_with_the_same_seed_agree():
    a = ember.randn(10, generator=ember.Generator().manual_seed(9))
    b = ember.randn(10, generator=ember.Generator().manual_seed(9))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_generator_argument_type_checked():
    with pytest.raises(TypeError):
        ember.rand(2, generator=5)


# --- statistics on 100k samples ----------------------------------------------------------------

def stats(x):
    a = to_numpy(x).astype(np.float64)
    return a.mean(), a.std()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_rand_uniform_statistics(dtype):
    x = ember.rand(N, dtype=getattr(ember, dtype))
    a = to_numpy(x).astype(np.float64)
    assert a.min() >= 0 and a.max() < 1
    m, s = stats(x)
    assert abs(m - 0.5) < 0.01 and abs(s - (1 / 12) ** 0.5) < 0.01
    counts, _ = np.histogram(a, bins=10, range=(0, 1))
    assert counts.min() > 0.09 * N and counts.max() < 0.11 * N


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_randn_normal_statistics(dtype):
    a = to_numpy(ember.randn(N, dtype=getattr(ember, dtype))).astype(np.float64)
    assert abs(a.mean()) < 0.01 and abs(a.std() - 1) < 0.01
    assert abs(np.mean(np.abs(a) < 1) - 0.6827) < 0.01       # the 68% rule


def test_complex_randn_has_unit_variance_split_evenly():
    z = ember.randn(N, dtype=ember.complex64).numpy()
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.02
    assert abs(z.real.var() - 0.5) < 0.01 and abs(z.imag.var() - 0.5) < 0.01


@pytest.mark.parametrize("fn, mean, std", [
    (lambda: ember.normal(3.0, 2.0, (N,)), 3.0, 2.0),
    (lambda: ember.normal(ember.full((N,), -1.0), 0.5), -1.0, 0.5),
    (lambda: ember.normal(2.0, ember.full((N,), 3.0)), 2.0, 3.0),
    (lambda: ember.empty(N).uniform_(-2, 4), 1.0, 6 / 12 ** 0.5),
    (lambda: ember.empty(N, dtype=ember.float64).normal_(5, 0.1), 5.0, 0.1),
    (lambda: ember.empty(N).exponential_(4.0), 0.25, 0.25),
    (lambda: ember.bernoulli(ember.full((N,), 0.3)), 0.3, (0.3 * 0.7) ** 0.5),
    (lambda: ember.empty(N).bernoulli_(0.8), 0.8, 0.4),
    (lambda: ember.randint(0, 10, (N,)), 4.5, (99 / 12) ** 0.5),
    (lambda: ember.empty(N).random_(0, 4), 1.5, (15 / 12) ** 0.5),
    (lambda: ember.empty(N).geometric_(0.25), 4.0, (0.75 / 0.0625) ** 0.5),
    (lambda: ember.poisson(ember.full((N,), 3.0)), 3.0, 3.0 ** 0.5),
    (lambda: ember.empty(N).log_normal_(0.0, 0.25), np.exp(0.25 ** 2 / 2),
     ((np.exp(0.0625) - 1) * np.exp(0.0625)) ** 0.5),
])
def test_distribution_moments(fn, mean, std):
    m, s = stats(fn())
    assert abs(m - mean) < 0.02 * max(1.0, abs(mean)) and abs(s - std) < 0.02 * max(1.0, std)


def test_randint_and_random_bounds():
    a = ember.randint(3, 7, (N,)).numpy()
    assert a.min() == 3 and a.max() == 6
    b = ember.empty(N).random_(10).numpy()
    assert b.min() == 0 and b.max() == 9
    c = ember.empty(N, dtype=ember.uint8).random_().numpy()
    assert c.min() == 0 and c.max() == 255
    d = ember.empty(N, dtype=ember.float16).random_().numpy()
    assert d.min() >= 0 and d.max() <= 2 ** 11 and d.max() > 2 ** 10
    e = ember.randint_like(ember.ones(N), 3, 5).numpy()
    assert set(np.unique(e)) == {3.0, 4.0}


def test_randperm_is_a_permutation():
    p = ember.randperm(1000).numpy()
    assert sorted(p.tolist()) == list(range(1000))
    assert not np.array_equal(p, np.arange(1000))


def test_multinomial_frequencies_and_no_repeats():
    w = ember.tensor([1.0, 2.0, 7.0])
    draws = ember.multinomial(w, N, replacement=True).numpy()
    freq = np.bincount(draws, minlength=3) / N
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.01)
    rows = ember.multinomial(ember.ones(500, 6), 6).numpy()
    assert all(sorted(r) == list(range(6)) for r in rows)
    # without replacement, zero-weight categories come only after all the others
    z = ember.multinomial(ember.tensor([0.0, 1.0, 0.0, 1.0]), 3).numpy()
    assert set(z[:2]) == {1, 3}
    first = ember.multinomial(ember.tensor([[1.0, 9.0]] * 20000), 1).numpy()
    assert abs(first.mean() - 0.9) < 0.01
