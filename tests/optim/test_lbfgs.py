"""LBFGS against torch: both line searches, history limits, tolerances, state layout."""
import numpy as np
import pytest
import torch

import ember

from ._problem import loss_fn, make_params, to_ember, to_numpy

# torch's LBFGS converts the closure's loss with float(), which warns for a tensor in a graph
pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")


class LBFGSRun:
    """LBFGS on the MLP problem (``kind="mlp"``) or on linear least squares (``"lsq"``)."""

    def __init__(self, lib, kwargs, dtype="float32", params=None, kind="mlp"):
        self.lib, self.kind = lib, kind
        rng = np.random.default_rng(1)
        self.x = lib.tensor(rng.standard_normal((16, 4)).astype(dtype))
        self.y = lib.tensor(rng.standard_normal((16, 3)).astype(dtype))
        if params is None:
            if kind == "mlp":
                params = make_params(lib, dtype)
            else:
                params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                          for s in [(4, 3), (3,)]]
        self.params = params
        self.opt = lib.optim.LBFGS(self.params, **kwargs)
        self.evals = 0

    def closure(self):
        self.evals += 1
        self.opt.zero_grad()
        if self.kind == "mlp":
            loss = loss_fn(self.lib, self.params, self.x, self.y)
        else:
            w, b = self.params
            loss = ((self.x @ w + b - self.y) ** 2).mean()
        loss.backward()
        return loss

    def steps(self, n):
        out, losses = [], []
        for _ in range(n):
            losses.append(float(self.opt.step(self.closure).detach()))
            out.append(np.concatenate([to_numpy(p).ravel() for p in self.params]))
        return np.array(out), np.array(losses)


# lr=5 makes the line search bracket and zoom, lr=0.05 makes it extrapolate first
CASES = [dict(), dict(lr=0.5), dict(line_search_fn="strong_wolfe"),
         dict(line_search_fn="strong_wolfe", lr=5.0),
         dict(line_search_fn="strong_wolfe", lr=0.05),
         dict(line_search_fn="strong_wolfe", history_size=3),
         dict(history_size=2, max_iter=5, lr=0.3), dict(max_iter=4, max_eval=6, lr=0.5),
         dict(line_search_fn="strong_wolfe", max_iter=8, max_eval=10, lr=3.0),
         dict(line_search_fn="strong_wolfe", tolerance_grad=1e-3, tolerance_change=1e-4),
         dict(tolerance_change=1e-3, lr=0.5)]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(k) for k in CASES])
def test_lbfgs_matches_torch_mlp_float64(kwargs):
    """On the (non-convex) MLP, float32 LBFGS is chaotic: torch itself, started one ulp
    away, ends ~1e-3 away after a few steps. So the MLP runs in float64, for three steps
    (60 iterations), where torch's own one-ulp spread is below 1e-10."""
    e, t = LBFGSRun(ember, kwargs, "float64"), LBFGSRun(torch, kwargs, "float64")
    ep, el = e.steps(3)
    tp, tl = t.steps(3)
    np.testing.assert_allclose(ep, tp, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(el, tl, rtol=1e-10, atol=1e-10)
    assert e.evals == t.evals
    assert tl[-1] < tl[0]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(k) for k in CASES])
def test_lbfgs_matches_torch_least_squares(kwargs):
    """float32 on a convex problem, stopped before the iterates reach float32's noise floor
    (~15 iterations here), where both wander by ~1e-5 and break tests flip."""
    max_iter = min(kwargs.get("max_iter", 12), 12)
    kwargs = dict(kwargs, max_iter=max_iter)
    e, t = LBFGSRun(ember, kwargs, kind="lsq"), LBFGSRun(torch, kwargs, kind="lsq")
    ep, el = e.steps(12 // max_iter)
    tp, tl = t.steps(12 // max_iter)
    np.testing.assert_allclose(ep, tp, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(el, tl, rtol=1e-5, atol=1e-6)
    assert e.evals == t.evals


def test_line_search_cases_take_their_branches(monkeypatch):
    """The strong-Wolfe cases above reach both interpolation sites: extrapolation (bounded)
    and zoom (unbounded)."""
    import ember.optim.lbfgs as lb
    seen = set()
    real = lb._cubic_interpolate

    def spy(*args, bounds=None):
        seen.add(bounds is None)
        return real(*args, bounds=bounds)

    monkeypatch.setattr(lb, "_cubic_interpolate", spy)
    for kwargs in CASES:
        if kwargs.get("line_search_fn"):
            LBFGSRun(ember, kwargs, "float64").steps(3)
    assert seen == {True, False}


@pytest.mark.parametrize("kwargs", [dict(), dict(line_search_fn="strong_wolfe", history_size=3)])
def test_lbfgs_state_dict_matches_torch(kwargs):
    e, t = LBFGSRun(ember, kwargs, "float64"), LBFGSRun(torch, kwargs, "float64")
    e.steps(2)
    t.steps(2)
    es, ts = e.opt.state_dict()["state"], t.opt.state_dict()["state"]
    assert list(es) == list(ts) == [0]
    es, ts = es[0], ts[0]
    assert sorted(es) == sorted(ts)
    for k, tv in ts.items():
        ev = es[k]
        if isinstance(tv, list):
            assert len(ev) == len(tv), k
            pairs = [(a, b) for a, b in zip(ev, tv) if b is not None]
            assert all(a is None for a, b in zip(ev, tv) if b is None), k
        else:
            pairs = [(ev, tv)]
        for a, b in pairs:
            assert isinstance(a, ember.Tensor) == isinstance(b, torch.Tensor), k
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-9, atol=1e-12,
                                       err_msg=k)
    assert e.opt.state_dict()["param_groups"][0].keys() == \
        t.opt.state_dict()["param_groups"][0].keys()


def test_lbfgs_resumes_from_torch_state():
    kwargs = dict(line_search_fn="strong_wolfe", history_size=4)
    t = LBFGSRun(torch, kwargs, "float64")
    t.steps(2)
    params = [ember.tensor(to_numpy(p), requires_grad=True) for p in t.params]
    e = LBFGSRun(ember, kwargs, "float64", params=params)
    e.opt.load_state_dict(to_ember(t.opt.state_dict()))
    np.testing.assert_allclose(e.steps(3)[0], t.steps(3)[0], rtol=1e-8, atol=1e-8)


def test_lbfgs_needs_a_closure_and_one_group():
    a = ember.ones(2, requires_grad=True)
    opt = ember.optim.LBFGS([a])
    with pytest.raises(TypeError):
        opt.step()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        ember.optim.LBFGS([{"params": [a]}, {"params": [ember.ones(1, requires_grad=True)]}])
    bad = ember.optim.LBFGS([a], line_search_fn="armijo")
    a.grad = None

    def closure():
        bad.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(closure)


def test_lbfgs_stops_at_optimum():
    a = ember.zeros(3, requires_grad=True)
    opt = ember.optim.LBFGS([a])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert len(calls) == 1
    np.testing.assert_array_equal(a.detach().numpy(), [0, 0, 0])
