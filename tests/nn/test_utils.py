"""nn.utils against torch: gradient clipping, parameter/vector conversion, legacy weight_norm and
spectral_norm hooks, parametrize and parametrizations (weight_norm, spectral_norm, orthogonal):
values, gradients over several optimizer steps, state_dict keys, reprs and errors."""
import numpy as np
import pytest
import torch

import ember

U_T, U_E = torch.nn.utils, ember.nn.utils


def _to_ember(sd):
    return {k: ember.tensor(v.detach().numpy()) for k, v in sd.items()}


def _grads(seed=0, shapes=((3, 4), (5,), (2, 2, 2)), scale=1.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    arrays = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    tp, ep = [], []
    for a in arrays:
        t = torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.tensor(a).dtype))
        t.grad = torch.tensor(a)
        e = ember.nn.Parameter(ember.zeros(a.shape, dtype=ember.tensor(a).dtype))
        e.grad = ember.tensor(a)
        tp.append(t)
        ep.append(e)
    return tp, ep


# --- clipping ----------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 0.5, 3, 0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    tp, ep = _grads()
    tn = U_T.clip_grad_norm_(tp, max_norm, norm_type)
    en = U_E.clip_grad_norm_(ep, max_norm, norm_type)
    assert isinstance(en, ember.Tensor) and en.ndim == 0 and en.dtype == ember.float32
    np.testing.assert_allclose(en.item(), tn.item(), rtol=1e-5)
    for t, e in zip(tp, ep):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_variants():
    tp, ep = _grads(dtype=np.float64)
    tn = U_T.clip_grad_norm_(tp[0], 0.1, foreach=False)
    en = U_E.clip_grad_norm_(ep[0], 0.1, foreach=True)
    assert en.dtype == ember.float64
    np.testing.assert_allclose(en.item(), tn.item())
    np.testing.assert_allclose(ep[0].grad.numpy(), tp[0].grad.numpy())
    # parameters without gradients are skipped; none at all gives 0
    p = ember.nn.Parameter(ember.ones(3))
    assert U_E.clip_grad_norm_([p], 1.0).item() == 0.0
    assert p.grad is None
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        U_E.clip_grad_norm_((q for q in []), 1.0)
    # get_total_norm + clip_grads_with_norm_ is the two-step form
    tp, ep = _grads(seed=3)
    tt = U_T.get_total_norm([p.grad for p in tp], 3.0)
    et = U_E.get_total_norm([p.grad for p in ep], 3.0)
    np.testing.assert_allclose(et.item(), tt.item(), rtol=1e-6)
    U_T.clip_grads_with_norm_(tp, 0.2, tt)
    U_E.clip_grads_with_norm_(ep, 0.2, et)
    for t, e in zip(tp, ep):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_nonfinite():
    tp, ep = _grads()
    tp[1].grad[0] = float("inf")
    ep[1].grad[0] = float("inf")
    for lib, ps in ((torch, tp), (ember, ep)):
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                               "`parameters` is non-finite"):
            lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    tn = U_T.clip_grad_norm_(tp, 1.0)
    en = U_E.clip_grad_norm_(ep, 1.0)
    assert np.isinf(en.item()) and np.isinf(tn.item())
    for t, e in zip(tp, ep):
        np.testing.assert_array_equal(np.isnan(e.grad.numpy()), np.isnan(t.grad.numpy()))


def test_clip_grad_norm_deprecated_alias():
    _, ep = _grads()
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        U_E.clip_grad_norm(ep, 1.0)


@pytest.mark.parametrize("clip", [0.3, 2])
def test_clip_grad_value_matches_torch(clip):
    tp, ep = _grads(scale=2.0)
    assert U_E.clip_grad_value_(ep, clip) is None
    U_T.clip_grad_value_(tp, clip)
    for t, e in zip(tp, ep):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    U_E.clip_grad_value_(ep[0], 0.1, foreach=False)
    assert np.abs(ep[0].grad.numpy()).max() <= 0.1


def test_clip_after_backward_trains():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 1))
    x, y = ember.randn(32, 4), ember.randn(32, 1)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        total = U_E.clip_grad_norm_(model.parameters(), 0.5)
        after = U_E.get_total_norm([p.grad for p in model.parameters()])
        assert after.item() <= min(total.item(), 0.5) + 1e-5
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# --- parameters <-> vector ---------------------------------------------------------------------
def test_parameters_to_vector_roundtrip():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Conv1d(2, 3, 2))
    e = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Conv1d(2, 3, 2))
    e.load_state_dict(_to_ember(t.state_dict()))
    tv = U_T.parameters_to_vector(t.parameters())
    ev = U_E.parameters_to_vector(e.parameters())
    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
    ev.sum().backward()           # differentiable
    assert all(np.all(p.grad.numpy() == 1) for p in e.parameters())
    new = ember.arange(ev.numel(), dtype=ember.float32)
    U_E.vector_to_parameters(new, e.parameters())
    U_T.vector_to_parameters(torch.arange(tv.numel(), dtype=torch.float32), t.parameters())
    for (n, tp), ep in zip(t.named_parameters(), e.parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
            lib.nn.utils.vector_to_parameters([1.0], [])


# --- legacy hooks ------------------------------------------------------------------------------
def _train_compare(t, e, x_shape, steps=3, lr=0.1, rtol=1e-5, atol=1e-6):
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    to = torch.optim.SGD(t.parameters(), lr=lr)
    eo = ember.optim.SGD(e.parameters(), lr=lr)
    for _ in range(steps):
        ty = t(torch.tensor(x))
        ey = e(ember.tensor(x))
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
        (ty ** 2).sum().backward()
        (ey ** 2).sum().backward()
        for (n, tp), ep in zip(t.named_parameters(), e.parameters()):
            np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=n)
        to.step()
        eo.step()
        to.zero_grad()
        eo.zero_grad()
    for (n, tb), eb in zip(t.named_buffers(), e.buffers()):
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)


@pytest.mark.parametrize("layer,dim,x_shape", [("Linear(3, 4)", 0, (2, 3)),
                                               ("Linear(3, 4)", None, (2, 3)),
                                               ("Conv2d(2, 3, 3)", 1, (1, 2, 5, 5)),
                                               ("ConvTranspose1d(2, 3, 2)", 0, (2, 2, 4))])
def test_legacy_weight_norm_matches_torch(layer, dim, x_shape):
    torch.manual_seed(0)
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
        t = U_T.weight_norm(eval("torch.nn." + layer), dim=dim)
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated in favor of"):
        e = U_E.weight_norm(eval("ember.nn." + layer), dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in e.state_dict().values()] == \
        [tuple(v.shape) for v in t.state_dict().values()]
    e.load_state_dict(_to_ember(t.state_dict()))
    assert repr(e) == repr(t)
    _train_compare(t, e, x_shape)
    U_T.remove_weight_norm(t)
    U_E.remove_weight_norm(e)
    assert list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        U_E.remove_weight_norm(e)


def test_legacy_weight_norm_twice_errors():
    with pytest.warns(FutureWarning):
        m = U_E.weight_norm(ember.nn.Linear(2, 2))
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match="Cannot register two "
                                                                        "weight_norm hooks"):
        U_E.weight_norm(m)


@pytest.mark.parametrize("layer,x_shape,kw", [("Linear(3, 4)", (2, 3), {}),
                                              ("Conv2d(2, 3, 3)", (1, 2, 5, 5),
                                               {"n_power_iterations": 3}),
                                              ("ConvTranspose2d(2, 3, 2)", (1, 2, 3, 3), {}),
                                              ("Linear(5, 2)", (2, 5), {"eps": 1e-3, "dim": 1})])
@pytest.mark.parametrize("train", [True, False])
def test_legacy_spectral_norm_matches_torch(layer, x_shape, kw, train):
    torch.manual_seed(0)
    t = U_T.spectral_norm(eval("torch.nn." + layer), **kw)
    e = U_E.spectral_norm(eval("ember.nn." + layer), **kw)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict(_to_ember(t.state_dict()))
    t.train(train)
    e.train(train)
    _train_compare(t, e, x_shape)
    U_T.remove_spectral_norm(t)
    U_E.remove_spectral_norm(e)
    assert list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_legacy_spectral_norm_normalises_and_errors():
    m = U_E.spectral_norm(ember.nn.Linear(6, 8), n_power_iterations=20)
    m(ember.randn(1, 6))
    sigma = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-3
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        U_E.spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        U_E.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        U_E.remove_spectral_norm(ember.nn.Linear(2, 2))


# --- parametrize -------------------------------------------------------------------------------
def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def _scale(lib):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2
    return Scale()


def test_register_parametrization_like_torch():
    P_T, P_E = torch.nn.utils.parametrize, ember.nn.utils.parametrize
    torch.manual_seed(0)
    t = torch.nn.Linear(3, 3)
    e = ember.nn.Linear(3, 3)
    e.load_state_dict(_to_ember(t.state_dict()))
    weight_t, weight_e = t.weight, e.weight
    P_T.register_parametrization(t, "weight", _symmetric(torch))
    P_E.register_parametrization(e, "weight", _symmetric(ember))
    assert type(e).__name__ == "ParametrizedLinear" and isinstance(e, ember.nn.Linear)
    assert P_E.type_before_parametrizations(e) is ember.nn.Linear
    assert P_E.is_parametrized(e) and P_E.is_parametrized(e, "weight")
    assert not P_E.is_parametrized(e, "bias")
    assert e.parametrizations.weight.original is weight_e      # same Parameter object
    assert t.parametrizations.weight.original is weight_t
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy())
    # chaining
    P_T.register_parametrization(t, "weight", _scale(torch))
    P_E.register_parametrization(e, "weight", _scale(ember))
    assert repr(e).replace("Symmetric", "S").replace("Scale", "C") == \
        repr(t).replace("Symmetric", "S").replace("Scale", "C")
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    # assignment goes through right_inverse
    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    a = a + a.T
    t.weight = torch.tensor(a)
    e.weight = ember.tensor(a)
    np.testing.assert_allclose(e.weight.detach().numpy(), a)
    np.testing.assert_allclose(e.parametrizations.weight.original.detach().numpy(),
                               t.parametrizations.weight.original.detach().numpy())
    # gradients reach the original
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    t(torch.tensor(x)).sum().backward()
    e(ember.tensor(x)).sum().backward()
    np.testing.assert_allclose(e.parametrizations.weight.original.grad.numpy(),
                               t.parametrizations.weight.original.grad.numpy(), rtol=1e-5)
    # caching evaluates the parametrization once
    with P_E.cached():
        assert e.weight is e.weight
    assert e.weight is not e.weight
    # removal
    P_T.remove_parametrizations(t, "weight")
    P_E.remove_parametrizations(e, "weight")
    assert type(e) is ember.nn.Linear and list(e.state_dict()) == list(t.state_dict())
    assert e.weight is weight_e
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy())


def test_remove_parametrizations_leave_original_and_buffers():
    P = ember.nn.utils.parametrize
    m = ember.nn.BatchNorm1d(3)
    P.register_parametrization(m, "running_var", _scale(ember))
    assert "parametrizations.running_var.original" in m.state_dict()
    np.testing.assert_allclose(m.running_var.numpy(), np.ones(3))
    np.testing.assert_allclose(m.parametrizations.running_var.original.numpy(), 0.5 * np.ones(3))
    P.remove_parametrizations(m, "running_var", leave_parametrized=False)
    np.testing.assert_allclose(m.running_var.numpy(), 0.5 * np.ones(3))
    assert "running_var" in dict(m.named_buffers()) and type(m) is ember.nn.BatchNorm1d


PARAM_ERRORS = [
    (lambda lib: lib.nn.utils.parametrize.register_parametrization(
        lib.nn.Linear(2, 2), "foo", _scale(lib)), ValueError,
     "does not have a parameter, a buffer, or a parametrized element with name 'foo'"),
    (lambda lib: lib.nn.utils.parametrize.remove_parametrizations(lib.nn.Linear(2, 2), "weight"),
     ValueError, "does not have a parametrization on weight"),
]


@pytest.mark.parametrize("fn,exc,msg", PARAM_ERRORS)
def test_parametrize_errors_match_torch(fn, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            fn(lib)


def test_parametrization_shape_check():
    class Bad(ember.nn.Module):
        def forward(self, x):
            return x[0]
    with pytest.raises(ValueError, match="may not change the shape"):
        ember.nn.utils.parametrize.register_parametrization(ember.nn.Linear(2, 3), "weight",
                                                            Bad())


# --- parametrizations --------------------------------------------------------------------------
PARAMETRIZED = [
    ("weight_norm", {}, "Linear(3, 4)", (2, 3)),
    ("weight_norm", {"dim": None}, "Linear(3, 4)", (2, 3)),
    ("weight_norm", {"dim": 1}, "Conv2d(2, 3, 3)", (1, 2, 5, 5)),
    ("spectral_norm", {}, "Linear(5, 3)", (2, 5)),
    ("spectral_norm", {"n_power_iterations": 2}, "Conv1d(2, 4, 3)", (2, 2, 6)),
    ("spectral_norm", {}, "ConvTranspose2d(2, 3, 2)", (1, 2, 3, 3)),
    ("orthogonal", {}, "Linear(4, 4)", (2, 4)),
    ("orthogonal", {}, "Linear(3, 5)", (2, 3)),
    ("orthogonal", {}, "Linear(5, 3)", (2, 5)),
    ("orthogonal", {"orthogonal_map": "cayley"}, "Linear(4, 4)", (2, 4)),
    ("orthogonal", {"orthogonal_map": "cayley"}, "Linear(3, 5)", (2, 3)),
    ("orthogonal", {"orthogonal_map": "householder"}, "Linear(4, 4)", (2, 4)),
    ("orthogonal", {"orthogonal_map": "householder", "use_trivialization": False}, "Linear(3, 5)",
     (2, 3)),
    ("orthogonal", {"orthogonal_map": "householder", "use_trivialization": False}, "Linear(4, 3)",
     (2, 4)),
    ("orthogonal", {"orthogonal_map": "householder", "use_trivialization": False}, "Linear(4, 4)",
     (2, 4)),
]


@pytest.mark.parametrize("name,kw,layer,x_shape", PARAMETRIZED,
                         ids=[f"{p[0]}-{p[1]}-{p[2]}" for p in PARAMETRIZED])
def test_parametrizations_match_torch(name, kw, layer, x_shape):
    torch.manual_seed(0)
    t = getattr(U_T.parametrizations, name)(eval("torch.nn." + layer), **kw)
    e = getattr(U_E.parametrizations, name)(eval("ember.nn." + layer), **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in e.state_dict().values()] == \
        [tuple(v.shape) for v in t.state_dict().values()]
    e.load_state_dict(_to_ember(t.state_dict()))
    _train_compare(t, e, x_shape, rtol=1e-4, atol=1e-5)
    if name == "orthogonal":
        w = e.weight.detach().numpy().astype(np.float64)
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram, np.eye(min(w.shape)), atol=1e-5)


def test_parametrizations_initial_values():
    torch.manual_seed(0)
    w = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for name in ("weight_norm", "orthogonal"):
        t = torch.nn.Linear(3, 4)
        e = ember.nn.Linear(3, 4)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
        e.weight.data = ember.tensor(w)
        getattr(U_T.parametrizations, name)(t)
        getattr(U_E.parametrizations, name)(e)
        np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    # spectral norm of a fresh parametrization: 15 power iterations already ran
    e = U_E.parametrizations.spectral_norm(ember.nn.Linear(6, 8))
    sigma = np.linalg.svd(e.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 0.05


PARAMETRIZATION_ERRORS = [
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "bias"),
     ValueError, "Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."),
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "foo"),
     ValueError, "has no parameter or buffer with name 'foo'"),
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3),
                                                          orthogonal_map="bar"),
     ValueError, 'orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'),
    (lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 3), dim=2),
     IndexError, "Dimension out of range"),
    (lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 3),
                                                             n_power_iterations=0),
     ValueError, "Expected n_power_iterations to be positive"),
]


@pytest.mark.parametrize("fn,exc,msg", PARAMETRIZATION_ERRORS)
def test_parametrization_errors_match_torch(fn, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            fn(lib)


def test_orthogonal_assignment_and_spectral_bias():
    m = U_E.parametrizations.orthogonal(ember.nn.Linear(4, 4))
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0].astype(np.float32)
    m.weight = ember.tensor(q)
    np.testing.assert_allclose(m.weight.detach().numpy(), q, atol=1e-6)
    m = U_E.parametrizations.orthogonal(ember.nn.Linear(4, 4), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix "
                                                  "exponential"):
        m.weight = ember.tensor(q)
    # spectral_norm of a 1-D tensor is plain normalisation
    m = U_E.parametrizations.spectral_norm(ember.nn.Linear(3, 4), "bias")
    np.testing.assert_allclose(np.linalg.norm(m.bias.detach().numpy()), 1.0, rtol=1e-6)


def test_model_with_parametrizations_trains():
    ember.manual_seed(0)
    nn = ember.nn
    model = nn.Sequential(U_E.parametrizations.weight_norm(nn.Linear(4, 16)), nn.Tanh(),
                          U_E.parametrizations.spectral_norm(nn.Linear(16, 16)), nn.Tanh(),
                          U_E.parametrizations.orthogonal(nn.Linear(16, 16)), nn.Tanh(),
                          nn.Linear(16, 1))
    x = ember.randn(64, 4)
    y = (x[:, :1] * x[:, 1:2]).tanh()
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(80):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    w = model[4].weight.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(16), atol=1e-4)
    sd = model.state_dict()
    fresh = nn.Sequential(U_E.parametrizations.weight_norm(nn.Linear(4, 16)), nn.Tanh(),
                          U_E.parametrizations.spectral_norm(nn.Linear(16, 16)), nn.Tanh(),
                          U_E.parametrizations.orthogonal(nn.Linear(16, 16)), nn.Tanh(),
                          nn.Linear(16, 1))
    fresh.load_state_dict(sd)
    fresh.eval()
    model.eval()
    np.testing.assert_allclose(fresh(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_parametrized_weight_norm_loads_legacy_checkpoints():
    with pytest.warns(FutureWarning):
        old = U_E.weight_norm(ember.nn.Linear(3, 4))
    new = U_E.parametrizations.weight_norm(ember.nn.Linear(3, 4))
    new.load_state_dict(old.state_dict())
    x = ember.randn(2, 3)
    np.testing.assert_allclose(new(x).detach().numpy(), old(x).detach().numpy(), rtol=1e-6)
    # torch's own legacy checkpoint loads the same way
    with pytest.warns(FutureWarning):
        t = U_T.weight_norm(torch.nn.Linear(3, 4))
    new.load_state_dict(_to_ember(t.state_dict()))
    np.testing.assert_allclose(new(x).detach().numpy(),
                               t(torch.tensor(x.numpy())).detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize("module", ["ember.nn.modules.vision", "ember.nn.modules.fold",
                                    "ember.nn.modules.lazy", "ember.nn.modules.container",
                                    "ember.nn.init", "ember.nn.utils.clip_grad",
                                    "ember.nn.utils.parametrize",
                                    "ember.nn.utils.parametrizations"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(module)
    globs = {"ember": ember, "torch": ember, "nn": ember.nn, "F": ember.nn.functional,
             "optim": ember.optim, "register_parametrization":
             ember.nn.utils.parametrize.register_parametrization}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    tests = [t for t in finder.find(mod, globs=globs) if t.examples]
    assert tests
    for t in tests:
        runner.run(t)
    assert runner.failures == 0


def test_parametrized_module_deepcopy_and_pickle():
    import copy
    import pickle
    m = U_E.parametrizations.orthogonal(ember.nn.Linear(4, 4))
    m2 = copy.deepcopy(m)
    assert type(m2).__name__ == "ParametrizedLinear"
    assert m2.parametrizations.weight.original is not m.parametrizations.weight.original
    x = ember.randn(2, 4)
    np.testing.assert_array_equal(m2(x).detach().numpy(), m(x).detach().numpy())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict"):
        pickle.dumps(m)
