"""Activations, softmax family, one_hot, normalize and distances against torch: modules (repr,
outputs, input and parameter gradients), functional forms over shapes and dtypes, float64
gradcheck / gradgradcheck of every fused op, in-place variants and torch's errors."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch

MODULES = [
    ("ReLU()", (3, 4)),
    ("ReLU(inplace=True)", (3, 4)),
    ("ReLU6()", (3, 4)),
    ("ReLU6(inplace=True)", (3, 4)),
    ("LeakyReLU()", (3, 4)),
    ("LeakyReLU(0.2, inplace=True)", (3, 4)),
    ("PReLU()", (2, 3, 4)),
    ("PReLU(3, 0.1)", (2, 3, 4)),
    ("PReLU(3)", (2, 3)),
    ("PReLU(1)", (5,)),
    ("RReLU()", (3, 4)),
    ("RReLU(0.1, 0.3, inplace=True)", (3, 4)),
    ("ELU()", (3, 4)),
    ("ELU(alpha=0.5, inplace=True)", (3, 4)),
    ("SELU()", (3, 4)),
    ("SELU(True)", (3, 4)),
    ("CELU()", (3, 4)),
    ("CELU(2.0, True)", (3, 4)),
    ("GELU()", (3, 4)),
    ("GELU('tanh')", (3, 4)),
    ("SiLU()", (3, 4)),
    ("SiLU(True)", (3, 4)),
    ("Mish()", (3, 4)),
    ("Mish(True)", (3, 4)),
    ("Sigmoid()", (3, 4)),
    ("LogSigmoid()", (3, 4)),
    ("Tanh()", (3, 4)),
    ("Hardtanh()", (3, 4)),
    ("Hardtanh(-2, 3, True)", (3, 4)),
    ("Hardtanh(-0.5, 0.5)", (3, 4)),
    ("Hardsigmoid()", (3, 4)),
    ("Hardsigmoid(True)", (3, 4)),
    ("Hardswish()", (3, 4)),
    ("Hardswish(True)", (3, 4)),
    ("Softplus()", (3, 4)),
    ("Softplus(2, 3)", (3, 4)),
    ("Softplus(beta=0.5, threshold=1.0)", (3, 4)),
    ("Softsign()", (3, 4)),
    ("Softshrink()", (3, 4)),
    ("Softshrink(1)", (3, 4)),
    ("Hardshrink()", (3, 4)),
    ("Hardshrink(1.5)", (3, 4)),
    ("Tanhshrink()", (3, 4)),
    ("Threshold(0.1, 20)", (3, 4)),
    ("Threshold(0.1, 20, True)", (3, 4)),
    ("GLU()", (3, 4)),
    ("GLU(0)", (4, 3)),
    ("Softmax(1)", (3, 4)),
    ("Softmax()", (3, 4)),
    ("Softmax(dim=-1)", (2, 3, 4)),
    ("Softmin(dim=0)", (3, 4)),
    ("Softmin()", (2, 3, 4)),
    ("LogSoftmax(-1)", (3, 4)),
    ("LogSoftmax()", (5,)),
    ("Softmax2d()", (2, 3, 4, 5)),
    ("Softmax2d()", (3, 4, 5)),
]


def _pair(expr):
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("expr,shape", MODULES, ids=[f"{c[0]}-{c[1]}" for c in MODULES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_module_matches_torch(expr, shape, dtype):
    t, e = _pair(expr)
    t.eval()      # RReLU: the deterministic mean slope (training mode is tested separately)
    e.eval()
    if dtype == "float64":
        t.double()
        e.double()
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).uniform(-4, 4, shape).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    # through a non-leaf, so the inplace=True variants are legal
    ty, ey = t(tx * 1), e(ex * 1)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    if "Hardsigmoid" in expr and dtype == "float64":
        tol["rtol"] = 1e-7       # torch's gradient multiplies by 1/6 rounded to float32
    assert ey.dtype == getattr(ember, dtype)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
    cot = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.tensor(cot))
    ey.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **tol)
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), err_msg=n, **tol)


DISTANCE_MODULES = ["CosineSimilarity()", "CosineSimilarity(dim=0, eps=1e-3)",
                    "PairwiseDistance()", "PairwiseDistance(1.0, 1e-3, True)",
                    "PairwiseDistance(p=3)", "PairwiseDistance(p=float('inf'))"]


@pytest.mark.parametrize("expr", DISTANCE_MODULES)
def test_distance_modules(expr):
    t, e = _pair(expr)
    assert repr(e) == repr(t)
    check_against_torch(lambda lib, a, b: eval("lib.nn." + expr, {"lib": lib})(a, b),
                        [(4, 5), (4, 5)], dtype="float64")


# --- functional forms over shapes and dtypes -----------------------------------------------------
UNARY = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "elu": lambda F, x: F.elu(x, 0.7),
    "elu_neg_alpha": lambda F, x: F.elu(x, -0.5),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.5),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 1.5),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "softplus": lambda F, x: F.softplus(x),
    "softplus_beta": lambda F, x: F.softplus(x, beta=2.0, threshold=4.0),
    "softsign": lambda F, x: F.softsign(x),
    "softshrink": lambda F, x: F.softshrink(x, 0.7),
    "hardshrink": lambda F, x: F.hardshrink(x, 0.7),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.3, -2.0),
    "rrelu_eval": lambda F, x: F.rrelu(x, 0.1, 0.4),
    "softmin": lambda F, x: F.softmin(x, -1),
    "softmax": lambda F, x: F.softmax(x, 0),
    "log_softmax": lambda F, x: F.log_softmax(x, -1),
}
SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_matches_torch(name, shape, dtype):
    fn = UNARY[name]
    check_against_torch(lambda lib, x: fn(lib.nn.functional, x), [shape], dtype=dtype,
                        low=-5.0, high=5.0, rtol=_rtol(name, dtype), atol=_atol(name, dtype))


def _rtol(name, dtype):
    # torch's hardsigmoid gradient multiplies by 1/6 rounded to float32, even in float64
    return 1e-7 if name == "hardsigmoid" and dtype == "float64" else None


def _atol(name, dtype):
    # in float32 torch's tanh-GELU cancels in 1 + tanh(u) near u = -4; ember uses sigmoid(2u)
    return 1e-5 if name == "gelu_tanh" and dtype == "float32" else None


@pytest.mark.parametrize("name", sorted(UNARY))
def test_functional_noncontiguous(name):
    fn = UNARY[name]
    check_against_torch(lambda lib, x: fn(lib.nn.functional, x), [(4, 5)], dtype="float64",
                        low=-5.0, high=5.0, noncontig=True, rtol=_rtol(name, "float64"))


def test_boundaries_and_extremes_match_torch():
    # values at the kinks and far in the tails, where the gradient conventions and overflow bite
    vals = np.array([-100.0, -30.0, -20.5, -3.0, -1.0, -0.7, -0.5, 0.0, 0.5, 0.7, 1.0, 3.0, 6.0,
                     20.0, 20.5, 30.0, 100.0])
    for name, fn in UNARY.items():
        if name in ("softmax", "softmin", "log_softmax"):
            continue
        for dtype in ("float32", "float64"):
            check_against_torch(lambda lib, x: fn(lib.nn.functional, x), [vals.shape],
                                dtype=dtype, transform=lambda a: vals.astype(a.dtype),
                                rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_and_gradgradcheck(name):
    fn = UNARY[name]
    # keep away from the kinks, where finite differences straddle two branches
    a = np.random.default_rng(0).uniform(0.1, 2.5, (3, 4)) * np.where(
        np.random.default_rng(1).random((3, 4)) > 0.5, 1, -1)
    a = np.where(np.abs(np.abs(a) - 0.7) < 0.05, a + 0.2, a)
    x = ember.tensor(a, requires_grad=True)
    f = lambda t: fn(ember.nn.functional, t)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_prelu_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.uniform(0.2, 2, (2, 3, 4)) * rng.choice([-1, 1], (2, 3, 4)),
                     requires_grad=True)
    w = ember.tensor(rng.uniform(0.1, 0.5, 3), requires_grad=True)
    assert ember.autograd.gradcheck(ember.nn.functional.prelu, (x, w))
    assert ember.autograd.gradgradcheck(ember.nn.functional.prelu, (x, w))


def test_glu_and_distances_gradcheck():
    rng = np.random.default_rng(0)
    F = ember.nn.functional
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for f, args in [(lambda a: F.glu(a, 1), (x,)), (lambda a: F.normalize(a, dim=1), (x,)),
                    (lambda a, b: F.cosine_similarity(a, b), (x, y)),
                    (lambda a, b: F.pairwise_distance(a, b), (x, y)),
                    (lambda a, b: F.pairwise_distance(a, b, p=3.0), (x, y))]:
        assert ember.autograd.gradcheck(f, args)
        assert ember.autograd.gradgradcheck(f, args)


def test_prelu_functional_and_methods():
    check_against_torch(lambda lib, x, w: lib.nn.functional.prelu(x, w), [(2, 3, 4, 5), (3,)],
                        dtype="float64")
    check_against_torch(lambda lib, x, w: lib.prelu(x, w), [(4, 3), (1,)], dtype="float64")
    check_against_torch(lambda lib, x, w: x.prelu(w), [(), (1,)], dtype="float64")
    check_against_torch(lambda lib, x: lib.hardshrink(x, 0.3) + x.hardshrink(), [(5,)])
    check_against_torch(lambda lib, x: lib.selu(x) + lib.celu(x, 0.5) + lib.threshold(x, 0.1, 2),
                        [(5,)])


def test_glu_functional():
    check_against_torch(lambda lib, x: lib.nn.functional.glu(x, 1), [(2, 6, 3)])
    check_against_torch(lambda lib, x: lib.nn.functional.glu(x), [(4,)])


# --- in-place variants -------------------------------------------------------------------------
INPLACE = [
    ("relu_", lambda F, x: F.relu_(x)), ("elu_", lambda F, x: F.elu_(x, 0.5)),
    ("selu_", lambda F, x: F.selu_(x)), ("celu_", lambda F, x: F.celu_(x, 2.0)),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x, 0.3)),
    ("hardtanh_", lambda F, x: F.hardtanh_(x, -0.5, 0.5)),
    ("threshold_", lambda F, x: F.threshold_(x, 0.2, 5.0)),
    ("rrelu_", lambda F, x: F.rrelu_(x, 0.1, 0.3)),
    ("silu", lambda F, x: F.silu(x, inplace=True)), ("mish", lambda F, x: F.mish(x, True)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x, True)),
    ("hardswish", lambda F, x: F.hardswish(x, True)),
    ("relu6", lambda F, x: F.relu6(x, True)), ("elu", lambda F, x: F.elu(x, inplace=True)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_variants(name, fn):
    x = np.random.default_rng(0).uniform(-3, 3, (3, 4))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    th, eh = tx * 2, ex * 2
    tr, er = fn(torch.nn.functional, th), fn(ember.nn.functional, eh)
    assert er is eh                    # the same tensor, written in place
    np.testing.assert_allclose(eh.detach().numpy(), th.detach().numpy(), rtol=1e-12)
    cot = np.random.default_rng(1).standard_normal((3, 4))
    tr.backward(torch.tensor(cot))
    er.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-7)   # hardsigmoid's 1/6
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        fn(ember.nn.functional, ember.tensor(x, requires_grad=True))


def test_top_level_inplace_functions():
    for name, args in [("relu_", ()), ("selu_", ()), ("celu_", (0.5,)), ("rrelu_", ()),
                       ("threshold_", (0.1, 3.0))]:
        x = np.random.default_rng(0).uniform(-3, 3, (5,))
        t, e = torch.tensor(x), ember.tensor(x)
        getattr(torch, name)(t, *args)
        assert getattr(ember, name)(e, *args) is e
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)


# --- randomized and sampled activations ----------------------------------------------------------
def test_rrelu_training_draws_slopes_in_range():
    m = ember.nn.RReLU(0.1, 0.3)
    m.train()
    x = ember.tensor(np.linspace(-5, 5, 2001), requires_grad=True)
    y = m(x)
    a = x.detach().numpy()
    slopes = y.detach().numpy()[a < 0] / a[a < 0]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    np.testing.assert_array_equal(y.detach().numpy()[a > 0], a[a > 0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[a < 0], slopes)
    np.testing.assert_array_equal(x.grad.numpy()[a > 0], 1.0)
    m.eval()
    np.testing.assert_allclose(m(x).detach().numpy()[a < 0], a[a < 0] * 0.2)


def test_gumbel_softmax():
    F = ember.nn.functional
    ember.manual_seed(0)
    logits = ember.tensor(np.log([[0.1, 0.2, 0.7]] * 4000), requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and np.all(h.sum(-1) == 1)
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.03)
    (hard * ember.tensor(np.arange(3.0))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


# --- one_hot, normalize, cosine similarity, pairwise distance ------------------------------------
@pytest.mark.parametrize("idx,n", [([0, 2, 1], -1), ([[0, 3], [1, 1]], 5), ([], 3), (2, 4)])
def test_one_hot(idx, n):
    t = torch.nn.functional.one_hot(torch.tensor(idx, dtype=torch.long), n)
    e = ember.nn.functional.one_hot(ember.tensor(idx, dtype=ember.int64), n)
    assert e.dtype == ember.int64 and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("kw,shape", [({}, (3, 4)), (dict(p=1.0, dim=0), (3, 4)),
                                      (dict(dim=-1, eps=0.5), (2, 3, 4)), (dict(dim=0), (4,)),
                                      (dict(p=float("inf")), (3, 4, 2)), (dict(dim=0), ())])
def test_normalize(kw, shape):
    check_against_torch(lambda lib, x: lib.nn.functional.normalize(x, **kw), [shape],
                        dtype="float64")


def test_normalize_out():
    x = np.random.default_rng(0).standard_normal((3, 4))
    out = ember.empty(3, 4, dtype=ember.float64)
    r = ember.nn.functional.normalize(ember.tensor(x), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.normalize(torch.tensor(x)).numpy())


@pytest.mark.parametrize("s1,s2,kw", [((3, 4), (3, 4), {}), ((3, 4), (1, 4), {}),
                                      ((2, 3, 4), (3, 4), dict(dim=-1)), ((4,), (4,), dict(dim=0)),
                                      ((3, 4), (3, 4), dict(dim=0, eps=2.0))])
def test_cosine_similarity(s1, s2, kw):
    check_against_torch(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, **kw),
                        [s1, s2], dtype="float64")
    check_against_torch(lambda lib, a, b: lib.cosine_similarity(a, b, **kw), [s1, s2])


def test_cosine_similarity_clamped_norms_match_torch():
    # a tiny vector: its norm is clamped to eps in value, not in gradient (torch's no_grad clamp)
    rng = np.random.default_rng(3)
    check_against_torch(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, eps=0.3),
                        [(3, 4), (3, 4)], dtype="float64",
                        transform=lambda a: a * rng.choice([0.05, 1.0], (3, 1)))


@pytest.mark.parametrize("s1,s2,kw", [((3, 4), (3, 4), {}), ((3, 4), (4,), dict(p=1.0)),
                                      ((4,), (4,), dict(keepdim=True)), ((), (), {}),
                                      ((2, 3, 4), (2, 3, 4), dict(p=0.5, eps=1e-3))])
def test_pairwise_distance(s1, s2, kw):
    check_against_torch(lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, **kw),
                        [s1, s2], dtype="float64")
    check_against_torch(lambda lib, a, b: lib.pairwise_distance(a, b, **kw), [s1, s2])


# --- grad_fn names -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                                  "logsigmoid", "hardsigmoid", "hardswish", "softshrink",
                                  "hardshrink", "relu6", "hardtanh", "leaky_relu"])
def test_grad_fn_names(name):
    t = getattr(torch.nn.functional, name)(torch.randn(3, requires_grad=True))
    e = getattr(ember.nn.functional, name)(ember.randn(3, requires_grad=True))
    assert e.grad_fn.name() == t.grad_fn.name()


# --- errors ------------------------------------------------------------------------------------
def test_errors_match_torch():
    F = ember.nn.functional
    x = ember.randn(3, 4)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(x, alpha=0.0)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for "
                                           r"input dtype Float, but found -0.5"):
        F.softshrink(x, -0.5)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                                           "size 5"):
        F.glu(ember.randn(3, 5))
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(ember.tensor(1.0))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="foo")
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(x, 0.5, 0.1, True)
    with pytest.raises(RuntimeError, match="Found parameter numbers = 3 and channel size = 4"):
        F.prelu(x, ember.ones(3))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor"):
        F.prelu(ember.tensor(1.0), ember.ones(2))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor, but "
                                           "got: ndim = 2"):
        F.prelu(x, ember.ones(4, 1))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater than min_val"):
        ember.nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        ember.nn.Softmax2d()(x)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        F.cosine_similarity(x, ember.randn(5, 4))
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        F.pairwise_distance(x, ember.randn(5, 4))


@pytest.mark.parametrize("idx,n,msg", [([0, 3], 3, "Class values must be smaller than"),
                                       ([0, -1], 3, "Class values must be non-negative"),
                                       ([], -1, "Can not infer total number of classes"),
                                       ([1, 2], 0, "Class values must be smaller than")])
def test_one_hot_errors(idx, n, msg):
    with pytest.raises(RuntimeError, match=msg):
        ember.nn.functional.one_hot(ember.tensor(idx, dtype=ember.int64), n)
    with pytest.raises(RuntimeError, match="only applicable to index tensor of type LongTensor"):
        ember.nn.functional.one_hot(ember.tensor([1.0]), 3)


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ember.nn.functional.softmax(ember.randn(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        ember.nn.LogSoftmax()(ember.randn(2, 3))


def test_gelu_backward_from_saved_tail_is_bitwise_the_recomputed_one():
    """Under autograd the float32 forward keeps Φ(-|x|) for the rule (Note [Fast float32
    GELU]); the gradient must be the one the rule computes without it, bit for bit."""
    from ember.ops import activation_ops as act
    rng = np.random.default_rng(0)
    xn = np.concatenate([rng.standard_normal(40000).astype(np.float32) * 4,
                         np.array([0.0, -0.0, 1e-30, -1e-30, 20.0, -20.0], np.float32)])
    gn = rng.standard_normal(xn.size).astype(np.float32)
    x = ember.tensor(xn, requires_grad=True)
    y = ember.nn.functional.gelu(x)
    y.backward(ember.tensor(gn))
    with np.errstate(all="ignore"):
        ref = act._gelu_grad(np, gn, xn, None)
        fwd = act.GELU.forward(np, xn)
    np.testing.assert_array_equal(x.grad.numpy(), ref)
    np.testing.assert_array_equal(y.detach().numpy(), fwd)


def test_gelu_retained_graph_backs_up_twice():
    """The rule hands the saved tail back for reuse; a second backward recomputes it."""
    xn = np.random.default_rng(1).standard_normal((5, 7)).astype(np.float32)
    grads = {}
    for lib in (torch, ember):
        x = lib.tensor(xn, requires_grad=True)
        loss = (lib.nn.functional.gelu(x) ** 2).sum()
        loss.backward(retain_graph=True)
        first = x.grad.numpy().copy()
        loss.backward()
        grads[lib.__name__] = (first, x.grad.numpy())
    for a, b in zip(grads["ember"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
