"""The remaining losses against torch: functional forms (values, input and target gradients with a
random cotangent, every reduction and option), modules (repr, buffers, outputs), float64
gradcheck / gradgradcheck, CTC on random batches, LinearCrossEntropyLoss, and torch's errors."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng


def _normal(*shape, scale=1.0):
    return lambda rng: rng.standard_normal(shape) * scale


def _uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def _signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def _ints(lo, hi, *shape):
    return lambda rng: rng.integers(lo, hi, shape)


def _const(a):
    return lambda rng: np.asarray(a)


def _tensors(lib, arrays, grads, dtype):
    out = []
    for a, g in zip(arrays, grads):
        if a.dtype.kind == "f":
            out.append(lib.tensor(a.astype(dtype), requires_grad=g))
        else:
            out.append(lib.tensor(a))
    return out


def compare(fn, specs, dtype="float64", seed=0, rtol=None, atol=None, nograd=()):
    """Run ``fn(lib, *tensors)`` under torch and ember on the same random inputs; compare the
    values and, with a random cotangent, the gradients of every float input (except those in
    ``nograd``: arguments torch refuses to differentiate)."""
    rng = RNG(seed)
    arrays = [s(rng) for s in specs]
    grads = [a.dtype.kind == "f" and i not in nograd for i, a in enumerate(arrays)]
    rtol = rtol or (1e-10 if dtype == "float64" else 2e-5)
    atol = atol or (1e-12 if dtype == "float64" else 1e-6)
    t_in = _tensors(torch, arrays, grads, dtype)
    e_in = _tensors(ember, arrays, grads, dtype)
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    assert str(e_out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1]
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol,
                               atol=atol, err_msg="value")
    if not t_out.requires_grad:
        return
    cot = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(cot))
    e_out.backward(ember.tensor(cot))
    for i, (t, e) in enumerate(zip(t_in, e_in)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert e.grad is None or not np.any(e.grad.numpy()), f"gradient of input {i}"
            continue
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def _w(lib, a):
    return lib.tensor(np.asarray(a))


W4 = [0.3, 1.0, 2.0, 0.5]
REDUCTIONS = ["mean", "sum", "none"]

CASES = {
    # regression
    "l1": (lambda L, r: L.nn.functional.l1_loss(*r[:2], reduction=r[2]),
           [_normal(3, 4), _normal(3, 4)]),
    "l1_weight": (lambda L, x, y, w: L.nn.functional.l1_loss(x, y, weight=w),
                  [_normal(3, 4), _normal(3, 4), _uniform(0.1, 2, 3, 4)]),
    "mse_weight": (lambda L, x, y, w: L.nn.functional.mse_loss(x, y, weight=w, reduction="sum"),
                   [_normal(3, 4), _normal(3, 4), _uniform(0.1, 2, 3, 4)]),
    "mse_weight_mean": (lambda L, x, y, w: L.nn.functional.mse_loss(x, y, weight=w),
                        [_normal(3, 4), _normal(3, 4), _uniform(0.1, 2, 3, 4)]),
    "smooth_l1": (lambda L, r: L.nn.functional.smooth_l1_loss(*r[:2], reduction=r[2]),
                  [_normal(3, 4, scale=2), _normal(3, 4)]),
    "smooth_l1_beta": (lambda L, x, y: L.nn.functional.smooth_l1_loss(x, y, beta=0.5),
                       [_normal(5, 4, scale=2), _normal(5, 4)]),
    "smooth_l1_beta0": (lambda L, x, y: L.nn.functional.smooth_l1_loss(x, y, beta=0.0,
                                                                       reduction="none"),
                        [_normal(5, 4), _normal(5, 4)]),
    "huber": (lambda L, r: L.nn.functional.huber_loss(*r[:2], reduction=r[2]),
              [_normal(3, 4, scale=2), _normal(3, 4)]),
    "huber_delta": (lambda L, x, y: L.nn.functional.huber_loss(x, y, delta=0.3),
                    [_normal(5, 4), _normal(5, 4)]),
    "huber_weight": (lambda L, x, y, w: L.nn.functional.huber_loss(x, y, weight=w),
                     [_normal(5, 4, scale=2), _normal(5, 4), _uniform(0.1, 2, 5, 4)]),
    "gaussian_nll": (lambda L, r: L.nn.functional.gaussian_nll_loss(*r[:3], reduction=r[3]),
                     [_normal(4, 3), _normal(4, 3), _uniform(0.1, 2, 4, 3)]),
    "gaussian_nll_full": (lambda L, x, y, v: L.nn.functional.gaussian_nll_loss(x, y, v,
                                                                              full=True),
                          [_normal(4, 3), _normal(4, 3), _uniform(0.1, 2, 4, 3)]),
    "gaussian_nll_var_short": (lambda L, x, y, v: L.nn.functional.gaussian_nll_loss(x, y, v),
                               [_normal(4, 3), _normal(4, 3), _uniform(0.1, 2, 4)]),
    "gaussian_nll_var_one": (lambda L, x, y, v: L.nn.functional.gaussian_nll_loss(
        x, y, v, reduction="none"),
        [_normal(2, 4, 3), _normal(2, 4, 3), _uniform(0.1, 2, 2, 1, 3)]),
    "gaussian_nll_var_eps": (lambda L, x, y, v: L.nn.functional.gaussian_nll_loss(x, y, v,
                                                                                 eps=0.5),
                             [_normal(4, 3), _normal(4, 3), _uniform(0.0, 1, 4, 3)]),
    "gaussian_nll_target_bcast": (lambda L, x, y, v: L.nn.functional.gaussian_nll_loss(x, y, v),
                                  [_normal(4, 3), _normal(1, 3), _uniform(0.1, 2, 4, 3)]),
    "gaussian_nll_float_var": (lambda L, x, y: L.nn.functional.gaussian_nll_loss(x, y, 0.7),
                               [_normal(4, 3), _normal(4, 3)]),
    "poisson_log": (lambda L, r: L.nn.functional.poisson_nll_loss(*r[:2], reduction=r[2]),
                    [_normal(4, 3), _uniform(0, 4, 4, 3)]),
    "poisson": (lambda L, x, y: L.nn.functional.poisson_nll_loss(x, y, log_input=False, eps=0.1),
                [_uniform(0.1, 3, 4, 3), _uniform(0, 4, 4, 3)]),
    "poisson_full": (lambda L, x, y: L.nn.functional.poisson_nll_loss(x, y, full=True),
                     [_normal(4, 3), _uniform(0.2, 4, 4, 3)]),
    "kl_div": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="batchmean"),
               [_normal(4, 3), _uniform(0.05, 1, 4, 3)]),
    "kl_div_sum": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="sum"),
                   [_normal(4, 3), _uniform(0.05, 1, 4, 3)]),
    "kl_div_none": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="none"),
                    [_normal(4, 3), _uniform(0.05, 1, 4, 3)]),
    "kl_div_log_target": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="batchmean",
                                                                 log_target=True),
                          [_normal(4, 3), _normal(4, 3)]),
    "kl_div_scalar": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="batchmean"),
                      [_normal(), _uniform(0.1, 1)]),
    # classification
    "bce": (lambda L, r: L.nn.functional.binary_cross_entropy(*r[:2], reduction=r[2]),
            [_uniform(0.01, 0.99, 4, 3), _uniform(0, 1, 4, 3)]),
    "bce_weight": (lambda L, x, y, w: L.nn.functional.binary_cross_entropy(x, y, weight=w),
                   [_uniform(0.01, 0.99, 4, 3), _uniform(0, 1, 4, 3), _uniform(0.1, 2, 3)]),
    "bce_logits": (lambda L, r: L.nn.functional.binary_cross_entropy_with_logits(
        *r[:2], reduction=r[2]), [_normal(4, 3, scale=3), _uniform(0, 1, 4, 3)]),
    "bce_logits_pos_weight": (lambda L, x, y, p: L.nn.functional.binary_cross_entropy_with_logits(
        x, y, pos_weight=p), [_normal(4, 3, scale=3), _uniform(0, 1, 4, 3), _uniform(0.5, 3, 3)]),
    "bce_logits_both": (lambda L, x, y, w, p: L.nn.functional.binary_cross_entropy_with_logits(
        x, y, w, pos_weight=p, reduction="sum"),
        [_normal(4, 3, scale=3), _uniform(0, 1, 4, 3), _uniform(0.1, 2, 4, 1),
         _uniform(0.5, 3, 3)]),
    "bce_logits_extreme": (lambda L, x, y: L.nn.functional.binary_cross_entropy_with_logits(
        x, y, reduction="none"), [_const([-200.0, -40.0, 0.0, 40.0, 200.0]),
                                  _const([1.0, 0.0, 0.5, 1.0, 0.0])]),
    "soft_margin": (lambda L, r: L.nn.functional.soft_margin_loss(*r[:2], reduction=r[2]),
                    [_normal(4, 3, scale=2), _signs(4, 3)]),
    "multilabel_soft_margin": (lambda L, r: L.nn.functional.multilabel_soft_margin_loss(
        *r[:2], reduction=r[2]), [_normal(4, 3, scale=2), _ints(0, 2, 4, 3)]),
    "multilabel_soft_margin_weight": (
        lambda L, x, y, w: L.nn.functional.multilabel_soft_margin_loss(x, y, weight=w),
        [_normal(4, 3, scale=2), _uniform(0, 1, 4, 3), _uniform(0.1, 2, 3)]),
    "multilabel_margin": (lambda L, r: L.nn.functional.multilabel_margin_loss(
        r[0], r[1], reduction=r[2]), [_normal(4, 5), _const([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0],
                                                             [-1, 1, 2, 3, 4], [2, 2, -1, 0, 0]])]),
    "multilabel_margin_1d": (lambda L, x, y: L.nn.functional.multilabel_margin_loss(x, y),
                             [_normal(5), _const([4, 1, -1, 0, 0])]),
    "multi_margin": (lambda L, r: L.nn.functional.multi_margin_loss(r[0], r[1], reduction=r[2]),
                     [_normal(5, 4), _ints(0, 4, 5)]),
    "multi_margin_p2": (lambda L, x, y: L.nn.functional.multi_margin_loss(x, y, p=2, margin=0.5),
                        [_normal(5, 4), _ints(0, 4, 5)]),
    "multi_margin_weight": (lambda L, x, y: L.nn.functional.multi_margin_loss(
        x, y, weight=_w(L, W4).to(x.dtype), reduction="none"), [_normal(5, 4), _ints(0, 4, 5)]),
    "multi_margin_1d": (lambda L, x, y: L.nn.functional.multi_margin_loss(x, y, reduction="none"),
                        [_normal(4), _const(2)]),
    # margin / embedding
    "margin_ranking": (lambda L, r: L.nn.functional.margin_ranking_loss(*r[:3], reduction=r[3]),
                       [_normal(6), _normal(6), _signs(6)]),
    "margin_ranking_margin": (lambda L, a, b, y: L.nn.functional.margin_ranking_loss(
        a, b, y, margin=0.5), [_normal(6), _normal(6), _signs(6)]),
    "hinge_embedding": (lambda L, r: L.nn.functional.hinge_embedding_loss(*r[:2],
                                                                          reduction=r[2]),
                        [_normal(4, 3, scale=2), _signs(4, 3)]),
    "hinge_embedding_margin": (lambda L, x, y: L.nn.functional.hinge_embedding_loss(
        x, y, margin=2.0), [_normal(4, 3, scale=2), _signs(4, 3)]),
    "cosine_embedding": (lambda L, r: L.nn.functional.cosine_embedding_loss(*r[:3],
                                                                            reduction=r[3]),
                         [_normal(5, 4), _normal(5, 4), _signs(5)]),
    "cosine_embedding_margin": (lambda L, a, b, y: L.nn.functional.cosine_embedding_loss(
        a, b, y, margin=-0.2), [_normal(5, 4), _normal(5, 4), _signs(5)]),
    "cosine_embedding_1d": (lambda L, a, b, y: L.nn.functional.cosine_embedding_loss(a, b, y),
                            [_normal(4), _normal(4), _const(-1.0)]),
    "triplet": (lambda L, r: L.nn.functional.triplet_margin_loss(*r[:3], reduction=r[3]),
                [_normal(5, 4), _normal(5, 4), _normal(5, 4)]),
    "triplet_options": (lambda L, a, p, n: L.nn.functional.triplet_margin_loss(
        a, p, n, margin=2.0, p=1, eps=1e-3, swap=True), [_normal(5, 4), _normal(5, 4),
                                                         _normal(5, 4)]),
    "triplet_1d": (lambda L, a, p, n: L.nn.functional.triplet_margin_loss(a, p, n, margin=3.0),
                   [_normal(4), _normal(4), _normal(4)]),
    "triplet_distance": (lambda L, a, p, n: L.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, swap=True, margin=1.5), [_normal(5, 4), _normal(5, 4), _normal(5, 4)]),
    "triplet_distance_custom": (
        lambda L, a, p, n: L.nn.functional.triplet_margin_with_distance_loss(
            a, p, n, reduction="none",
            distance_function=lambda x, y: 1 - L.nn.functional.cosine_similarity(x, y)),
        [_normal(5, 4), _normal(5, 4), _normal(5, 4)]),
}
REDUCED = {k for k, (fn, _) in CASES.items() if fn.__code__.co_varnames[1] == "r"}
# torch does not differentiate these arguments (ember does: see the gradcheck test)
NOGRAD = {"bce_weight": {2}, "bce_logits_pos_weight": {2}, "bce_logits_both": {2, 3},
          "soft_margin": {1}}


def _case_fn(name, reduction):
    fn, specs = CASES[name]
    if name in REDUCED:
        return (lambda L, *ts: fn(L, list(ts) + [reduction])), specs
    return fn, specs


PARAMS = [(n, r) for n in sorted(CASES) for r in (REDUCTIONS if n in REDUCED else [None])]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name,reduction", PARAMS, ids=[f"{n}-{r}" for n, r in PARAMS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_matches_torch(name, reduction, dtype):
    fn, specs = _case_fn(name, reduction)
    compare(fn, specs, dtype=dtype, nograd=NOGRAD.get(name, ()))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name,reduction", PARAMS, ids=[f"{n}-{r}" for n, r in PARAMS])
def test_gradcheck_and_gradgradcheck(name, reduction):
    if name == "gaussian_nll_var_eps":
        pytest.skip("var is clamped to eps in value only (torch's no_grad clamp): finite "
                    "differences see the clamp, autograd does not")
    fn, specs = _case_fn(name, reduction)
    rng = RNG(5)
    arrays = [s(rng) for s in specs]
    inputs = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]

    def f(*ts):
        return fn(ember, *ts)
    assert ember.autograd.gradcheck(f, inputs)
    assert ember.autograd.gradgradcheck(f, inputs)


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    t = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y),
                                                 reduction="none")
    e = ember.nn.functional.binary_cross_entropy(ember.tensor(x), ember.tensor(y),
                                                 reduction="none")
    np.testing.assert_allclose(e.numpy(), t.numpy())
    assert e.numpy()[0] == 100.0


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
def test_kl_div_mean_warns_and_zero_targets():
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    y = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    t = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(y), reduction="none")
    e = ember.nn.functional.kl_div(ember.tensor(x), ember.tensor(y), reduction="none")
    np.testing.assert_allclose(e.numpy(), t.numpy())
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ember.nn.functional.kl_div(ember.tensor(x), ember.tensor(y))


def test_legacy_size_average_and_reduce():
    x, y = np.random.default_rng(0).standard_normal((2, 3, 4))
    for kw, red in [(dict(size_average=False), "sum"), (dict(reduce=False), "none"),
                    (dict(size_average=True, reduce=True), "mean")]:
        with pytest.warns(UserWarning, match=f"please use reduction='{red}' instead"):
            e = ember.nn.functional.l1_loss(ember.tensor(x), ember.tensor(y), **kw)
        np.testing.assert_allclose(e.numpy(), torch.nn.functional.l1_loss(
            torch.tensor(x), torch.tensor(y), reduction=red).numpy())
        with pytest.warns(UserWarning, match=f"please use reduction='{red}' instead"):
            m = ember.nn.SmoothL1Loss(**kw)
        assert m.reduction == red


def test_target_size_warning():
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input "
                                         "size"):
        ember.nn.functional.l1_loss(ember.randn(3, 4), ember.randn(3, 1))


# --- modules -------------------------------------------------------------------------------------
MODULES = [
    ("L1Loss()", [_normal(3, 4), _normal(3, 4)]),
    ("L1Loss(reduction='sum')", [_normal(3, 4), _normal(3, 4)]),
    ("MSELoss(reduction='none')", [_normal(3, 4), _normal(3, 4)]),
    ("SmoothL1Loss(beta=0.5)", [_normal(3, 4), _normal(3, 4)]),
    ("HuberLoss(delta=2)", [_normal(3, 4, scale=3), _normal(3, 4)]),
    ("BCELoss()", [_uniform(0.01, 0.99, 3, 4), _uniform(0, 1, 3, 4)]),
    ("BCELoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5]))", [_uniform(0.01, 0.99, 3, 4),
                                                          _uniform(0, 1, 3, 4)]),
    ("BCEWithLogitsLoss(pos_weight=lib.tensor([0.5, 1.0, 2.0, 1.5]))",
     [_normal(3, 4), _uniform(0, 1, 3, 4)]),
    ("BCEWithLogitsLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5]), reduction='sum')",
     [_normal(3, 4), _uniform(0, 1, 3, 4)]),
    ("KLDivLoss(reduction='batchmean', log_target=True)", [_normal(3, 4), _normal(3, 4)]),
    ("PoissonNLLLoss()", [_normal(3, 4), _uniform(0, 3, 3, 4)]),
    ("PoissonNLLLoss(log_input=False, full=True, eps=1e-3)", [_uniform(0.1, 2, 3, 4),
                                                              _uniform(0, 3, 3, 4)]),
    ("GaussianNLLLoss()", [_normal(3, 4), _normal(3, 4), _uniform(0.1, 1, 3, 4)]),
    ("GaussianNLLLoss(full=True, eps=1e-3, reduction='sum')",
     [_normal(3, 4), _normal(3, 4), _uniform(0.1, 1, 3, 1)]),
    ("CosineEmbeddingLoss(margin=0.1)", [_normal(3, 4), _normal(3, 4), _signs(3)]),
    ("MarginRankingLoss(margin=0.2)", [_normal(5), _normal(5), _signs(5)]),
    ("HingeEmbeddingLoss(margin=0.5)", [_normal(3, 4), _signs(3, 4)]),
    ("SoftMarginLoss()", [_normal(3, 4), _signs(3, 4)]),
    ("MultiLabelSoftMarginLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5]))",
     [_normal(3, 4), _uniform(0, 1, 3, 4)]),
    ("MultiLabelMarginLoss()", [_normal(2, 4), _const([[1, 3, -1, 0], [0, 1, 2, 3]])]),
    ("MultiMarginLoss(p=2, margin=0.7, weight=lib.tensor([0.5, 1.0, 2.0, 1.5]))",
     [_normal(5, 4), _ints(0, 4, 5)]),
    ("TripletMarginLoss(margin=0.5, p=1.5, swap=True)", [_normal(3, 4)] * 3),
    ("TripletMarginWithDistanceLoss(margin=2.0)", [_normal(3, 4)] * 3),
    ("TripletMarginWithDistanceLoss(distance_function=lib.nn.PairwiseDistance(p=1.0))",
     [_normal(3, 4)] * 3),
    ("CrossEntropyLoss(label_smoothing=0.1)", [_normal(5, 4), _ints(0, 4, 5)]),
    ("NLLLoss(ignore_index=2)", [_normal(5, 4), _ints(0, 4, 5)]),
]


@pytest.mark.parametrize("expr,specs", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(expr, specs):
    t = eval("lib.nn." + expr, {"lib": torch})
    e = eval("lib.nn." + expr, {"lib": ember})
    assert repr(e) == repr(t)
    assert sorted(dict(e.named_buffers())) == sorted(dict(t.named_buffers()))
    for name in vars(t):
        if not name.startswith("_") and name != "training":
            assert hasattr(e, name), name
    compare(lambda L, *ts: (t if L is torch else e)(*ts), specs, dtype="float32",
            nograd=range(1, len(specs)))


def test_module_reprs_with_defaults():
    for name in ["L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
                 "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss",
                 "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
                 "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss",
                 "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]:
        t, e = getattr(torch.nn, name)(), getattr(ember.nn, name)()
        assert repr(e) == repr(t)
        for attr in ("reduction", "margin", "p", "eps", "swap", "beta", "delta", "log_target",
                     "log_input", "full", "blank", "zero_infinity"):
            if hasattr(t, attr):
                assert getattr(e, attr) == getattr(t, attr), (name, attr)


# --- CTC -----------------------------------------------------------------------------------------
def _ctc_batch(seed, T=14, N=5, C=6, S=5, concat=False):
    rng = RNG(seed)
    x = rng.standard_normal((T, N, C))
    in_len = rng.integers(max(1, T // 2), T + 1, N)
    in_len[0] = T
    tgt_len = rng.integers(0, S + 1, N)
    tgt_len[0] = S
    targets = rng.integers(1, C, (N, S))
    targets[0, 1] = targets[0, 0]          # a repeated label needs a blank between
    if concat:
        targets = np.concatenate([targets[i, :tgt_len[i]] for i in range(N)])
    return x, targets, in_len, tgt_len


def _ctc_pair(x, targets, in_len, tgt_len, as_tensors=True, **kw):
    out = []
    for lib in (torch, ember):
        lx = lib.tensor(x, requires_grad=True)
        il = lib.tensor(in_len) if as_tensors else tuple(int(v) for v in in_len)
        tl = lib.tensor(tgt_len) if as_tensors else tuple(int(v) for v in tgt_len)
        loss = lib.nn.functional.ctc_loss(lx.log_softmax(-1), lib.tensor(targets), il, tl, **kw)
        out.append((lx, loss))
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ctc_matches_torch(seed, reduction, concat, dtype):
    x, targets, in_len, tgt_len = _ctc_batch(seed, concat=concat)
    (tx, tl), (ex, el) = _ctc_pair(x.astype(dtype), targets, in_len, tgt_len,
                                   as_tensors=seed % 2 == 0, reduction=reduction, blank=0)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    assert el.dtype == getattr(ember, dtype) and tuple(el.shape) == tuple(tl.shape)
    np.testing.assert_allclose(el.detach().numpy(), tl.detach().numpy(), **tol)
    cot = RNG(seed + 10).standard_normal(tuple(tl.shape)).astype(dtype)
    tl.backward(torch.tensor(cot))
    el.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("blank", [0, 3, 5])
def test_ctc_blank_and_direct_log_prob_gradient(blank):
    # torch's gradient w.r.t. log_probs itself (not through log_softmax) includes exp(lp)
    rng = RNG(blank)
    T, N, C = 9, 3, 6
    lp = torch.tensor(rng.standard_normal((T, N, C))).log_softmax(2).numpy()
    labels = [c for c in range(C) if c != blank]
    targets = rng.choice(labels, (N, 4))
    in_len, tgt_len = np.array([9, 7, 5]), np.array([4, 2, 1])
    res = []
    for lib in (torch, ember):
        t = lib.tensor(lp, requires_grad=True)
        loss = lib.nn.functional.ctc_loss(t, lib.tensor(targets), lib.tensor(in_len),
                                          lib.tensor(tgt_len), blank=blank, reduction="sum")
        loss.backward()
        res.append((loss.detach().numpy(), t.grad.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-9, atol=1e-12)


def test_ctc_impossible_alignments_and_zero_infinity():
    x, targets, in_len, tgt_len = _ctc_batch(7, T=6, N=3, S=4)
    in_len = np.array([6, 2, 0])          # 4 labels (one repeated) cannot fit in 2 frames
    tgt_len = np.array([3, 4, 0])          # no frames and an empty target: loss 0
    for zero_inf in (False, True):
        (tx, tl), (ex, el) = _ctc_pair(x, targets, in_len, tgt_len, reduction="none",
                                       zero_infinity=zero_inf)
        np.testing.assert_allclose(el.detach().numpy(), tl.detach().numpy(), rtol=1e-10)
        assert np.isinf(el.detach().numpy()[1]) != zero_inf
        if zero_inf:
            tl.sum().backward()
            el.sum().backward()
            np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10,
                                       atol=1e-12)
            assert not np.any(ex.grad.numpy()[:, 1:])


def test_ctc_unbatched_and_module():
    x, targets, in_len, tgt_len = _ctc_batch(3, N=1)
    for reduction in REDUCTIONS:
        res = []
        for lib in (torch, ember):
            t = lib.tensor(x[:, 0], requires_grad=True)
            loss = lib.nn.CTCLoss(blank=0, reduction=reduction)(
                t.log_softmax(-1), lib.tensor(targets[0]), lib.tensor(int(in_len[0])),
                lib.tensor(int(tgt_len[0])))
            loss.backward()
            res.append((loss.detach().numpy(), t.grad.numpy()))
        assert res[1][0].shape == res[0][0].shape
        np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
        np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-9, atol=1e-12)
    assert repr(ember.nn.CTCLoss(blank=2, zero_infinity=True)) == "CTCLoss()"


def test_ctc_gradcheck_through_log_softmax():
    x, targets, in_len, tgt_len = _ctc_batch(2, T=6, N=2, C=4, S=2)
    xt = ember.tensor(x, requires_grad=True)

    def f(a):
        return ember.nn.functional.ctc_loss(a.log_softmax(2), ember.tensor(targets),
                                            ember.tensor(in_len), ember.tensor(tgt_len))
    assert ember.autograd.gradcheck(f, (xt,))
    # first-order gradients can build a graph (differentiable in the incoming gradient) ...
    loss = f(xt)
    (g,) = ember.autograd.grad(loss, xt, create_graph=True)
    assert g.requires_grad
    # ... but, as in torch, not a second derivative in log_probs
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not "
                                           "implemented"):
        g.sum().backward()


def test_ctc_errors_match_torch():
    F = ember.nn.functional
    lp = ember.randn(6, 2, 4).log_softmax(2)
    tg = ember.tensor([[1, 2, 3], [1, 1, 2]])
    cases = [
        ((lp, tg, ember.tensor([7, 5]), ember.tensor([3, 2])),
         {}, "Expected input_lengths to have value at most 6, but got value 7"),
        ((lp, tg, ember.tensor([6, 5]), ember.tensor([4, 2])),
         {}, "Expected tensor to have size at least 4 at dimension 1, but got size 3"),
        ((lp, tg, ember.tensor([6, 5, 3]), ember.tensor([3, 2])),
         {}, "input_lengths must be of size batch_size"),
        ((lp, tg, ember.tensor([6, 5]), ember.tensor([3, 2, 1])),
         {}, "target_lengths must be of size batch_size"),
        ((lp, tg.reshape(-1)[:4], (6, 5), (3, 2)),
         {}, "Expected tensor to have size 5 at dimension 0, but got size 4"),
        ((lp, tg, (6, 5), (3, 2)), dict(blank=4), "blank must be in label range"),
        ((lp, tg, (6, 5), (3, -1)), {}, "Expected target_lengths to have value at least 0"),
        ((lp, tg, (6, -1), (3, 1)), {}, "Expected input_lengths to have value at least 0"),
        ((lp, tg, ember.tensor([6.0, 5.0]), ember.tensor([3, 2])), {},
         "input_lengths must be integral"),
    ]
    for args, kw, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            F.ctc_loss(*args, **kw)
        with pytest.raises(RuntimeError, match=msg):
            torch.nn.functional.ctc_loss(*[torch.tensor(a.numpy()) if isinstance(a, ember.Tensor)
                                           else a for a in args], **kw)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.ctc_loss(lp, tg, (6, 5), (3, 2), reduction="foo")
    with pytest.raises(IndexError, match="target label 9 is out of range"):
        F.ctc_loss(lp, ember.tensor([[1, 9, 3], [1, 1, 2]]), (6, 5), (3, 2))


# --- LinearCrossEntropyLoss ----------------------------------------------------------------------
LCE = [
    ("LinearCrossEntropyLoss(5, 7)", (4, 5), "index"),
    ("LinearCrossEntropyLoss(5, 7, bias=True, reduction='sum')", (4, 5), "index"),
    ("LinearCrossEntropyLoss(5, 7, bias=True, reduction='none', label_smoothing=0.2)", (4, 5),
     "index"),
    ("LinearCrossEntropyLoss(5, 7, ignore_index=3, weight=lib.rand(7))", (6, 5), "index"),
    ("LinearCrossEntropyLoss(5, 7)", (5,), "index"),
    ("LinearCrossEntropyLoss(5, 7, bias=True)", (4, 5), "prob"),
    ("LinearCrossEntropyLoss(5, 6, out_features=(3, 2), bias=True)", (4, 5), "index"),
    ("LinearCrossEntropyLoss(5, 6, out_features=(3,), reduction='none')", (4, 5), "prob"),
    ("LinearCrossEntropyLoss(5, 7, options=lib.nn.LinearCrossEntropyOptions())", (4, 5),
     "index"),
]


@pytest.mark.parametrize("expr,shape,kind", LCE, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in LCE])
def test_linear_cross_entropy_loss_matches_torch(expr, shape, kind):
    torch.manual_seed(0)
    t = eval("lib.nn." + expr, {"lib": torch})
    e = eval("lib.nn." + expr, {"lib": ember})
    if t.weight is not None:
        e.weight = ember.tensor(t.weight.numpy())
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(e) == repr(t).replace("LinearCrossEntropyOptions(", "LinearCrossEntropyOptions(")
    assert sorted(e.state_dict()) == sorted(t.state_dict())
    rng = RNG(1)
    x = rng.standard_normal(shape).astype(np.float32)
    n_cls, extra = t.num_classes, tuple(t.out_features)
    batch = shape[:-1]
    if kind == "index":
        y = rng.integers(0, n_cls, batch + extra)
        if t.ignore_index is not None and y.size:
            y.reshape(-1)[0] = t.ignore_index
    else:
        y = rng.random(batch + (n_cls,) + extra).astype(np.float32)
        y /= y.sum(axis=len(batch), keepdims=True)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tl, el = t(tx, torch.tensor(y)), e(ex, ember.tensor(y))
    assert tuple(el.shape) == tuple(tl.shape)
    np.testing.assert_allclose(el.detach().numpy(), tl.detach().numpy(), rtol=1e-5, atol=1e-6)
    cot = rng.standard_normal(tuple(tl.shape)).astype(np.float32)
    tl.backward(torch.tensor(cot))
    el.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=n)


def test_linear_cross_entropy_functional_and_errors():
    F = ember.nn.functional
    rng = RNG(0)
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((7, 5))
    y = rng.integers(0, 7, 4)
    res = [lib.nn.functional.linear_cross_entropy(lib.tensor(x), lib.tensor(w), lib.tensor(y),
                                                  label_smoothing=0.1)
           for lib in (torch, ember)]
    np.testing.assert_allclose(res[1].numpy(), res[0].numpy(), rtol=1e-10)
    xt = ember.tensor(x, requires_grad=True)
    wt = ember.tensor(w, requires_grad=True)
    f = lambda a, b: F.linear_cross_entropy(a, b, ember.tensor(y))  # noqa: E731
    assert ember.autograd.gradcheck(f, (xt, wt))
    assert ember.autograd.gradgradcheck(f, (xt, wt))
    with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2, got 3"):
        F.linear_cross_entropy(ember.randn(2, 3, 5), ember.tensor(w), ember.tensor(y))
    with pytest.raises(RuntimeError, match="expected equal input and linear_weight last "
                                           "dimensions"):
        F.linear_cross_entropy(ember.randn(4, 6), ember.tensor(w), ember.tensor(y))
    with pytest.raises(RuntimeError, match="requires batched input"):
        F.linear_cross_entropy(ember.randn(5), ember.randn(7, 2, 5), ember.tensor(1))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified when target "
                                           "contains probabilities"):
        F.linear_cross_entropy(ember.tensor(x), ember.tensor(w), ember.rand(4, 7), ignore_index=1)
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(7,\), got \(3,\)"):
        ember.nn.LinearCrossEntropyLoss(5, 7, weight=ember.ones(3))
    with pytest.raises(RuntimeError, match="expected label_smoothing to be in range"):
        ember.nn.LinearCrossEntropyLoss(5, 7, label_smoothing=2.0)


# --- errors ------------------------------------------------------------------------------------
def _raises_like_torch(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(torch)
    with pytest.raises(exc, match=msg):
        call(ember)


ERRORS = [
    (lambda L: L.nn.functional.l1_loss(L.randn(3, 4), L.randn(3, 4), reduction="foo"),
     ValueError, "foo is not a valid value for reduction"),
    (lambda L: L.nn.functional.l1_loss(L.randn(3, 4), L.randn(3, 4), weight=L.ones(4)),
     ValueError, "Weights and input must have the same size"),
    (lambda L: L.nn.functional.smooth_l1_loss(L.randn(3), L.randn(3), beta=-1.0),
     RuntimeError, "smooth_l1_loss does not support negative values for beta"),
    (lambda L: L.nn.functional.huber_loss(L.randn(3), L.randn(3), delta=0.0),
     RuntimeError, "huber_loss does not support non-positive values for delta"),
    (lambda L: L.nn.functional.binary_cross_entropy(L.rand(3, 4), L.rand(3, 1)),
     ValueError, "Using a target size .* is deprecated. Please ensure they have the same size"),
    (lambda L: L.nn.functional.binary_cross_entropy(L.randn(3, 4) + 2, L.rand(3, 4)),
     RuntimeError, "all elements of input should be between 0 and 1"),
    (lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.randn(3, 4), L.rand(3, 1)),
     ValueError, r"Target size \(torch.Size\(\[3, 1\]\)\) must be the same as input size "
                 r"\(torch.Size\(\[3, 4\]\)\)"),
    (lambda L: L.nn.functional.poisson_nll_loss(L.randn(3), L.rand(3), reduction="x"),
     ValueError, "x is not a valid value for reduction"),
    (lambda L: L.nn.functional.gaussian_nll_loss(L.randn(3, 4), L.randn(3, 4), L.rand(3, 2)),
     ValueError, "var is of incorrect size"),
    (lambda L: L.nn.functional.gaussian_nll_loss(L.randn(3, 4), L.randn(3, 4), -L.rand(3, 4)),
     ValueError, "var has negative entry/entries"),
    (lambda L: L.nn.functional.gaussian_nll_loss(L.randn(3, 4), L.randn(3, 4), -1.0),
     ValueError, "var has negative entry/entries"),
    (lambda L: L.nn.functional.gaussian_nll_loss(L.randn(3, 4), L.randn(3, 4), L.rand(3, 4),
                                                 reduction="x"),
     ValueError, "x is not valid"),
    (lambda L: L.nn.functional.cosine_embedding_loss(L.randn(3, 4), L.randn(4), L.ones(3)),
     RuntimeError, r"1D target tensor expects 2D input tensors, but found inputs with sizes "
                   r"\[3, 4\] and \[4\]"),
    (lambda L: L.nn.functional.cosine_embedding_loss(L.randn(3, 4), L.randn(3, 4),
                                                     L.ones(3, 1)),
     RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    (lambda L: L.nn.functional.margin_ranking_loss(L.randn(3), L.randn(3, 1), L.ones(3)),
     RuntimeError, "margin_ranking_loss : All input tensors should have same dimension"),
    (lambda L: L.nn.functional.multilabel_margin_loss(L.randn(3, 4),
                                                      L.ones(3, 3, dtype=L.int64)),
     RuntimeError, r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]"),
    (lambda L: L.nn.functional.multilabel_margin_loss(L.randn(3, 4),
                                                      5 * L.ones(3, 4, dtype=L.int64)),
     RuntimeError, "argument #2 'target' is out of range"),
    (lambda L: L.nn.functional.multilabel_margin_loss(L.randn(3, 4), L.ones(3, 4)),
     RuntimeError, "expected scalar type Long but found Float"),
    (lambda L: L.nn.functional.multi_margin_loss(L.randn(3, 4), L.ones(3, dtype=L.int64), p=3),
     ValueError, "only p == 1 and p == 2 supported"),
    (lambda L: L.nn.functional.multi_margin_loss(L.randn(3, 4), L.ones(2, dtype=L.int64)),
     RuntimeError, r"Expected target size \[3\], but got \[2\]"),
    (lambda L: L.nn.functional.multi_margin_loss(L.randn(3, 4), 7 * L.ones(3, dtype=L.int64)),
     RuntimeError, "target out of range"),
    (lambda L: L.nn.functional.multi_margin_loss(L.randn(3, 4), L.ones(3, dtype=L.int64),
                                                 weight=L.ones(3)),
     RuntimeError, r"inconsistent weight size, expected 4 but got \[3\]"),
    (lambda L: L.nn.functional.multi_margin_loss(L.randn(2, 3, 4), L.ones(2, dtype=L.int64)),
     RuntimeError, "Expected non-empty vector or matrix with optional 0-dim batch size"),
    (lambda L: L.nn.functional.triplet_margin_loss(L.randn(3, 4), L.randn(3, 4), L.randn(4)),
     RuntimeError, "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda L: L.nn.functional.triplet_margin_loss(*[L.randn(3, 4)] * 3, margin=-1),
     ValueError, "margin must be greater than 0, got -1"),
    (lambda L: L.nn.functional.triplet_margin_with_distance_loss(*[L.randn(3, 4)] * 3, margin=0),
     ValueError, "margin must be greater than 0, got 0"),
    (lambda L: L.nn.TripletMarginLoss(margin=-1), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got -1 instead"),
    (lambda L: L.nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda L: L.nn.MultiMarginLoss(weight=L.ones(2, 2)), ValueError,
     "MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"),
    (lambda L: L.nn.functional.kl_div(L.randn(3), L.rand(3), reduction="foo"),
     ValueError, "foo is not a valid value for reduction"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    call, exc, msg = ERRORS[i]
    _raises_like_torch(call, exc, msg)
