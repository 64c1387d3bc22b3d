"""Every optimizer x each of its options: 100-step parameter trajectories, state_dict layout and
values, hyperparameter validation and checkpoint/resume, all against torch from the same start."""
import copy
import io

import numpy as np
import pytest
import torch

import ember

from ._problem import Run, to_ember, to_numpy

# (optimizer, options) per case; every option of every optimizer appears at least once.
# ``_float64``: the run is so sensitive that torch's own float32 trajectory moves by more than
# 1e-5 when the start is perturbed by one ulp (checked in test_float32_sensitivity), so those
# cases are compared in float64, where rounding is 2**29 times smaller.
CASES = [
    ("Adam", {}), ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)), ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)),
    ("AdamW", {}), ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("Adamax", {}), ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(betas=(0.5, 0.9), eps=1e-4, maximize=True, _float64=True)),
    ("NAdam", {}), ("NAdam", dict(momentum_decay=0.01)), ("NAdam", dict(weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(betas=(0.8, 0.99), maximize=True)),
    ("RAdam", {}), ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), maximize=True)),
    ("RMSprop", {}), ("RMSprop", dict(centered=True)), ("RMSprop", dict(momentum=0.9, lr=1e-3)),
    ("RMSprop", dict(alpha=0.9, weight_decay=0.1)),
    ("RMSprop", dict(centered=True, momentum=0.5, lr=1e-3, eps=1e-4, maximize=True)),
    ("Adagrad", {}), ("Adagrad", dict(lr_decay=0.01)),
    ("Adagrad", dict(initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(eps=1e-3, maximize=True)),
    ("Adadelta", {}), ("Adadelta", dict(rho=0.5, lr=0.5)),
    ("Adadelta", dict(weight_decay=0.1, eps=1e-4, maximize=True)),
    ("Rprop", {}), ("Rprop", dict(etas=(0.3, 1.5))), ("Rprop", dict(step_sizes=(1e-4, 0.05))),
    ("Rprop", dict(lr=1e-3, maximize=True)),
    ("ASGD", {}), ("ASGD", dict(t0=10)), ("ASGD", dict(lambd=0.01, alpha=0.5, t0=20)),
    ("ASGD", dict(weight_decay=0.1, maximize=True)),
    ("Adafactor", {}), ("Adafactor", dict(beta2_decay=-0.5, eps=(1e-3, 1e-2), _float64=True)),
    ("Adafactor", dict(d=2.0, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.05, maximize=True, _float64=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
]

# Muon optimizes 2-D parameters only: w1 and w2.
MUON_CASES = [{}, dict(lr=0.02), dict(lr=0.02, nesterov=False), dict(lr=0.02, weight_decay=0),
              dict(lr=0.02, momentum=0.8, ns_steps=3),
              dict(lr=0.02, adjust_lr_fn="match_rms_adamw"),
              dict(lr=0.02, adjust_lr_fn="original", ns_coefficients=(2.0, -1.5, 0.5))]

COMPLEX = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
           "Rprop", "ASGD", "SGD"]


def _ids(cases):
    return [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items() if k[0] != '_') or 'defaults'}"
            for n, kw in cases]


def _compare(name, kwargs, steps=100, atol=1e-5, **run_kw):
    e = Run(ember, name, kwargs, **run_kw).steps(steps)
    t = Run(torch, name, kwargs, **run_kw).steps(steps)
    np.testing.assert_allclose(e, t, rtol=1e-5, atol=atol)
    return e


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_trajectory_matches_torch(name, kwargs):
    kwargs = dict(kwargs)
    if kwargs.pop("_float64", False):
        traj = _compare(name, kwargs, dtype="float64", atol=1e-8)
    else:
        traj = _compare(name, kwargs)
    assert not np.allclose(traj[0], traj[-1]), "the parameters should move"


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if "_float64" in c[1]],
                         ids=_ids([c for c in CASES if "_float64" in c[1]]))
def test_float32_sensitivity(name, kwargs):
    """Why some cases run in float64: torch alone, started one ulp apart, ends > 1e-5 apart."""
    kwargs = {k: v for k, v in kwargs.items() if k != "_float64"}
    a = Run(torch, name, kwargs).steps(100)
    r = Run(torch, name, kwargs)
    with torch.no_grad():
        for p in r.params:
            p.mul_(1 + 2 ** -23)
    assert np.abs(r.steps(100) - a).max() > 1e-5


def test_muon_trajectory_matches_torch():
    _compare("Muon", {}, select=[0, 2])


@pytest.mark.parametrize("kwargs", MUON_CASES, ids=_ids([("Muon", k) for k in MUON_CASES]))
def test_muon_each_step_matches_torch(kwargs):
    """Muon orthogonalizes in bfloat16. ember rounds to bfloat16 where torch does, but its
    float32 matmuls sum in another order, so now and then one value rounds to the neighbouring
    bfloat16 (2**-8 relative) and long trajectories drift apart by far more than 1e-5. So each
    of 60 steps starts ember from torch's exact state (along torch's trajectory) and compares
    the step: exact to 1e-6 on most steps, within one bfloat16 rounding of the update on all."""
    t = Run(torch, "Muon", kwargs, select=[0, 2])
    e = Run(ember, "Muon", kwargs, select=[0, 2])
    lr = kwargs.get("lr", 1e-3)
    exact = 0
    for _ in range(60):
        with ember.no_grad():
            for ep, tp in zip(e.params, t.params):
                ep.copy_(ember.tensor(to_numpy(tp)))
                if tp in t.opt.state:
                    e.opt.state[ep]["momentum_buffer"].copy_(
                        ember.tensor(to_numpy(t.opt.state[tp]["momentum_buffer"])))
        got, want = e.steps(1), t.steps(1)
        np.testing.assert_allclose(got, want, atol=lr * 0.05, rtol=0)
        exact += np.abs(got - want).max() <= 1e-6
        for ep, tp in zip(e.params, t.params):
            if tp in t.opt.state:
                np.testing.assert_allclose(to_numpy(e.opt.state[ep]["momentum_buffer"]),
                                           to_numpy(t.opt.state[tp]["momentum_buffer"]),
                                           atol=1e-6, rtol=1e-6)
    assert exact >= 54, f"only {exact} of 60 steps matched torch to 1e-6"


@pytest.mark.parametrize("shape", [(4, 8), (8, 3), (16, 16), (32, 64), (64, 32)])
def test_muon_orthogonalization_matches_torch(shape):
    """The bfloat16 Newton-Schulz iteration itself: bitwise equal for most entries, one or
    two bfloat16 steps apart for the rest (see above)."""
    from torch.optim._muon import _zeropower_via_newtonschulz

    from ember.optim.muon import _newton_schulz
    rng = np.random.default_rng(0)
    same = total = 0
    for _ in range(20):
        g = rng.standard_normal(shape).astype(np.float32)
        want = _zeropower_via_newtonschulz(torch.tensor(g), (3.4445, -4.775, 2.0315), 5,
                                           1e-7).float().numpy()
        got = _newton_schulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7)
        np.testing.assert_allclose(got, want, atol=2 ** -5, rtol=0)
        same += (got == want).sum()
        total += got.size
    assert same >= 0.85 * total


@pytest.mark.parametrize("name", COMPLEX)
def test_complex_parameters(name):
    kwargs = dict(lr=0.01) if name in ("Adam", "AdamW", "RAdam", "SGD", "Rprop") else {}
    _compare(name, kwargs, steps=30, complex_=True)


GROUP_CASES = [("Adam", dict(lr=0.01), [dict(amsgrad=True), dict(lr=0.05, weight_decay=0.1)]),
               ("SGD", dict(lr=0.05), [dict(momentum=0.9), dict(lr=0.01)]),
               ("RMSprop", {}, [dict(centered=True), dict(momentum=0.5, lr=1e-3)]),
               ("Adagrad", {}, [dict(lr_decay=0.1), dict(lr=0.1)]),
               ("NAdam", {}, [dict(momentum_decay=0.01), dict(weight_decay=0.1)]),
               ("Rprop", {}, [dict(etas=(0.4, 1.1)), dict(step_sizes=(1e-3, 1.0))]),
               ("Adafactor", {}, [dict(d=2.0), dict(lr=0.05)], "float64"),
               ("ASGD", {}, [dict(t0=5), dict(lr=0.05)]),
               ("Adadelta", {}, [dict(rho=0.5), dict(lr=0.1)]),
               ("Adamax", {}, [dict(betas=(0.5, 0.9)), dict(lr=0.01)], "float64"),
               ("RAdam", {}, [dict(lr=0.01), dict(decoupled_weight_decay=True,
                                                  weight_decay=0.1)])]


@pytest.mark.parametrize("case", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_match_torch(case):
    # the float64 ones use the hyperparameters found float32-sensitive above
    name, kwargs, groups, dtype = case if len(case) == 4 else case + ("float32",)
    _compare(name, kwargs, groups=groups, dtype=dtype, atol=1e-5 if dtype == "float32" else 1e-8)


TENSOR_LR = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
             "Rprop", "ASGD", "SGD", "Adafactor"]


@pytest.mark.parametrize("name", TENSOR_LR)
def test_tensor_lr(name):
    e = Run(ember, name, dict(lr=ember.tensor(0.01))).steps(30)
    t = Run(torch, name, dict(lr=torch.tensor(0.01))).steps(30)
    np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)


def test_float64_trajectories():
    for name, kwargs in [("Adam", dict(lr=0.01, amsgrad=True)), ("Adafactor", {}),
                         ("NAdam", {}), ("ASGD", dict(t0=10))]:
        e = Run(ember, name, kwargs, dtype="float64").steps(100)
        t = Run(torch, name, kwargs, dtype="float64").steps(100)
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10, err_msg=name)


# -- state_dict ---------------------------------------------------------------------------------

STATE_CASES = [(n, kw) for n, kw in CASES if kw == {}] + [
    ("Adam", dict(amsgrad=True)), ("RMSprop", dict(centered=True, momentum=0.9)),
    ("SGD", dict(momentum=0.9)), ("SGD", {}), ("Adafactor", dict(lr=0.05))]


def _compare_state_dicts(esd, tsd, rtol=1e-5, atol=1e-6):
    assert set(esd) == set(tsd) == {"state", "param_groups"}
    assert set(esd["state"]) == set(tsd["state"])
    for k, tv in tsd["state"].items():
        ev = esd["state"][k]
        assert list(ev) == list(tv), f"state[{k}] keys: {list(ev)} vs {list(tv)}"
        for name, t in tv.items():
            e = ev[name]
            assert isinstance(e, ember.Tensor) == isinstance(t, torch.Tensor), name
            if isinstance(t, torch.Tensor):
                assert tuple(e.shape) == tuple(t.shape), name
                assert str(e.dtype) == str(t.dtype), f"{name}: {e.dtype} vs {t.dtype}"
            np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=rtol, atol=atol,
                                       err_msg=name)
    assert len(esd["param_groups"]) == len(tsd["param_groups"])
    for eg, tg in zip(esd["param_groups"], tsd["param_groups"]):
        assert list(eg) == list(tg), f"group keys: {list(eg)} vs {list(tg)}"
        for k in tg:
            assert eg[k] == tg[k], f"group[{k}]: {eg[k]} vs {tg[k]}"


@pytest.mark.parametrize("name,kwargs", STATE_CASES, ids=_ids(STATE_CASES))
def test_state_dict_matches_torch(name, kwargs):
    sel = [0, 2] if name == "Muon" else None
    e, t = Run(ember, name, kwargs, select=sel), Run(torch, name, kwargs, select=sel)
    e.steps(5)
    t.steps(5)
    _compare_state_dicts(e.opt.state_dict(), t.opt.state_dict())


def test_state_dict_before_any_step():
    for name in ("Adam", "Adagrad", "SGD"):
        e, t = Run(ember, name, {}), Run(torch, name, {})
        _compare_state_dicts(e.opt.state_dict(), t.opt.state_dict())


def test_muon_state_dict_matches_torch():
    e, t = Run(ember, "Muon", {}, select=[0, 2]), Run(torch, "Muon", {}, select=[0, 2])
    e.steps(3)
    t.steps(3)
    _compare_state_dicts(e.opt.state_dict(), t.opt.state_dict())


# -- checkpoint and resume --------------------------------------------------------------------

@pytest.mark.parametrize("via", ["deepcopy", "ember.save"])
@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("SGD", dict(lr=0.05, momentum=0.9))])
def test_resume_continues_the_same_trajectory(name, kwargs, via):
    straight = Run(ember, name, kwargs).steps(40)

    first = Run(ember, name, kwargs)
    first.steps(20)
    saved_params = [p.detach().clone() for p in first.params]
    if via == "deepcopy":
        saved = copy.deepcopy(first.opt.state_dict())
    else:
        buf = io.BytesIO()
        ember.save(first.opt.state_dict(), buf)
        buf.seek(0)
        saved = ember.load(buf)
    first.steps(3)        # the saved copy must not see later steps

    params = [p.requires_grad_() for p in saved_params]
    resumed = Run(ember, name, kwargs, params=params)
    resumed.opt.load_state_dict(saved)
    np.testing.assert_array_equal(resumed.steps(20), straight[20:])


@pytest.mark.parametrize("name,kwargs", STATE_CASES + [("Muon", {})],
                         ids=_ids(STATE_CASES + [("Muon", {})]))
def test_resume_from_torch_state_dict(name, kwargs):
    """A torch checkpoint loads into ember and continues on torch's trajectory."""
    sel = [0, 2] if name == "Muon" else None
    t = Run(torch, name, kwargs, select=sel)
    t.steps(10)
    params = [ember.tensor(to_numpy(p), requires_grad=True) for p in t.params]
    e = Run(ember, name, kwargs, select=sel, params=params)
    e.opt.load_state_dict(to_ember(t.opt.state_dict()))
    np.testing.assert_allclose(e.steps(10), t.steps(10), rtol=1e-5, atol=1e-5)


def test_load_state_dict_casts_and_copies():
    e = Run(ember, "Adam", {})
    e.steps(2)
    sd = e.opt.state_dict()
    p64 = [ember.tensor(to_numpy(p).astype(np.float64), requires_grad=True) for p in e.params]
    opt = ember.optim.Adam(p64)
    opt.load_state_dict(sd)
    st = opt.state[p64[0]]
    assert st["exp_avg"].dtype == ember.float64 and st["step"].dtype == ember.float32
    assert st["exp_avg"]._array is not sd["state"][0]["exp_avg"]._array


def test_load_state_dict_errors():
    e = Run(ember, "Adam", {})
    sd = e.opt.state_dict()
    other = ember.optim.Adam([e.params[0]])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    two = ember.optim.Adam([{"params": e.params[:2]}, {"params": e.params[2:]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(sd)


# -- validation -------------------------------------------------------------------------------

BAD = [
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("Adam", dict(betas=(0, 0.9))), ("AdamW", dict(lr=-0.5)),
    ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(0.9, 1.5))),
    ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(weight_decay=-1)),
    ("RAdam", dict(betas=(-0.1, 0.9))), ("RMSprop", dict(alpha=-1)),
    ("RMSprop", dict(momentum=-1)), ("RMSprop", dict(eps=-1)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)), ("Rprop", dict(etas=(1.1, 1.2))),
    ("Rprop", dict(etas=(0.5, 0.9))), ("ASGD", dict(weight_decay=-1)),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))),
    ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
    ("Muon", dict(lr=-1)), ("Muon", dict(momentum=-1)), ("Muon", dict(weight_decay=-1)),
    ("Muon", dict(adjust_lr_fn="nope")), ("LBFGS", dict(lr=-1)),
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1,
                                                       nesterov=True)),
]


def _error(lib, name, kwargs, params=None):
    params = params if params is not None else [lib.ones(2, 2, requires_grad=True)]
    try:
        getattr(lib.optim, name)(params, **kwargs)
    except Exception as exc:     # noqa: BLE001 - the type is compared below
        return exc
    return None


@pytest.mark.parametrize("name,kwargs", BAD, ids=_ids(BAD))
def test_bad_hyperparameters_raise_like_torch(name, kwargs):
    te, ee = _error(torch, name, kwargs), _error(ember, name, kwargs)
    assert te is not None and ee is not None
    _assert_same_kind(ee, te)
    assert str(ee) == str(te)


def _assert_same_kind(ee, te):
    for cls in (ValueError, TypeError, RuntimeError, KeyError):
        assert isinstance(ee, cls) == isinstance(te, cls), f"{type(ee)} vs {type(te)}"


@pytest.mark.parametrize("lib_params", ["tensor", "empty", "set", "non_leaf", "duplicate_groups",
                                        "not_tensor", "muon_1d", "lbfgs_groups",
                                        "tensor_lr_2_elements"])
def test_bad_params_raise_like_torch(lib_params):
    def make(lib):
        a = lib.ones(2, 2, requires_grad=True)
        return {"tensor": ("SGD", a, {}), "empty": ("SGD", [], {}),
                "set": ("SGD", [{"params": {a}}], {}),
                "non_leaf": ("SGD", [a * 2], {}),
                "duplicate_groups": ("SGD", [{"params": [a]}, {"params": [a]}], {}),
                "not_tensor": ("SGD", [a, 3], {}),
                "muon_1d": ("Muon", [lib.ones(3, requires_grad=True)], {}),
                "lbfgs_groups": ("LBFGS", [{"params": [a]}, {"params": [lib.ones(1)]}], {}),
                "tensor_lr_2_elements": ("Adam", [a], dict(lr=lib.ones(2)))}[lib_params]
    results = []
    for lib in (torch, ember):
        name, params, kw = make(lib)
        results.append(_error(lib, name, kw, params))
    te, ee = results
    assert te is not None and ee is not None
    _assert_same_kind(ee, te)
    assert str(ee) == str(te)


def test_duplicate_parameters_warn():
    a = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([a, a], lr=0.1)


# -- Optimizer API ----------------------------------------------------------------------------

def test_named_parameters_and_add_param_group():
    model = ember.nn.Linear(3, 2)
    opt = ember.optim.Adam(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [ember.ones(1, requires_grad=True)]})
    tm = torch.nn.Linear(3, 2)
    assert list(torch.optim.Adam(tm.named_parameters()).param_groups[0]) == \
        list(opt.param_groups[0])


def test_add_param_group_takes_defaults():
    a, b = (ember.ones(2, requires_grad=True) for _ in range(2))
    opt = ember.optim.Adam([a], lr=0.1, amsgrad=True)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["amsgrad"] is True
    assert opt.param_groups[1]["params"] == [b]


def test_step_and_state_dict_hooks():
    a = ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([a], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load"))
    a.sum().backward()
    opt.step()
    h1.remove()
    opt.zero_grad()          # re-applying the same gradients would warn (StaleGradWarning)
    a.sum().backward()
    opt.step()
    assert calls == ["pre", "post", "post"]
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert calls[-1] == "load"


def test_zero_grad():
    a = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([a], lr=0.1)
    a.sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), [0, 0])
    opt.zero_grad()
    assert a.grad is None


def test_params_without_grad_are_skipped():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    for name in ("Adam", "RMSprop", "Adafactor", "NAdam", "Rprop"):
        opt = getattr(ember.optim, name)([a, b])
        a.grad = None
        b.sum().backward()
        opt.step()
        np.testing.assert_array_equal(a.detach().numpy(), [1, 1])
        assert a not in opt.state
        b.grad = None


def test_step_bumps_the_version_counter():
    a = ember.ones(2, requires_grad=True)
    y = a * a            # saves a for backward
    opt = ember.optim.Adam([a], lr=0.1)
    a.grad = ember.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_step_runs_closure_with_grad_and_update_without():
    a = ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([a], lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and float(loss.detach()) == 2.0
    assert not a.grad_fn and a.requires_grad


def test_repr_lists_groups():
    a = ember.ones(2, requires_grad=True)
    r = repr(ember.optim.Adam([a], lr=0.1))
    assert r.startswith("Adam (\nParameter Group 0\n") and "    lr: 0.1" in r


@pytest.mark.parametrize("name", TENSOR_LR)
def test_scalar_and_empty_parameters(name):
    """0-d parameters (NumPy turns 0-d ufunc results into scalars) and empty ones."""
    res = []
    for lib in (ember, torch):
        s = lib.tensor(0.5, requires_grad=True)
        v = lib.tensor([0.3, -0.2, 0.1], requires_grad=True)
        params = [s, v] if name == "Adafactor" else [s, v, lib.zeros(0, requires_grad=True)]
        x = lib.tensor([1.0, 2.0, -1.0])
        opt = getattr(lib.optim, name)(params, lr=0.01)
        out = []
        for _ in range(20):
            opt.zero_grad()
            loss = ((s * x + v) ** 2).sum() + (params[-1] * 2).sum()
            loss.backward()
            opt.step()
            out.append([float(s.detach())] + v.detach().numpy().tolist())
        res.append(np.array(out))
    np.testing.assert_allclose(res[0], res[1], rtol=1e-5, atol=1e-6)


def test_step_hooks_run_once_for_a_subclass_calling_super():
    class Logged(ember.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    a = ember.ones(2, requires_grad=True)
    opt = Logged([a], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    handle = ember.optim.optimizer.register_optimizer_step_post_hook(
        lambda o, args, kw: calls.append("global-post"))
    try:
        a.grad = ember.ones(2)
        opt.step()
    finally:
        handle.remove()
    assert calls == ["pre", "global-post"]
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9])


def test_adam_tensor_betas():
    e = Run(ember, "Adam", dict(lr=0.01, betas=(ember.tensor(0.8), ember.tensor([0.99])))).steps(30)
    t = Run(torch, "Adam", dict(lr=0.01, betas=(torch.tensor(0.8), torch.tensor([0.99])))).steps(30)
    np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="betas must be either both floats or both Tensors"):
            lib.optim.Adam([lib.ones(1, requires_grad=True)], betas=(lib.tensor(0.9), 0.99))
