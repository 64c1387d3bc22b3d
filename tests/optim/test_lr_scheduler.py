"""Every lr scheduler against torch: lr (and momentum) sequences with two parameter groups,
ReduceLROnPlateau fed a loss sequence, state_dict layout, resume, warnings and errors."""
import copy
import math
import warnings

import numpy as np
import pytest
import torch

import ember


def _decay(epoch):
    return 0.95 ** epoch


def _wave(epoch):
    return 1.0 + 0.5 * math.sin(epoch)


def _mult(epoch):
    return 0.97


# name -> f(lib, optimizer) building the scheduler (lib.optim.lr_scheduler is the module)
def _s(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda lib, o: _s(lib).StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda lib, o: _s(lib).MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda lib, o: _s(lib).ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda lib, o: _s(lib).CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
    "CosineAnnealingLR-eta0": lambda lib, o: _s(lib).CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingWarmRestarts": lambda lib, o: _s(lib).CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-mult1": lambda lib, o: _s(lib).CosineAnnealingWarmRestarts(
        o, T_0=6),
    "LambdaLR": lambda lib, o: _s(lib).LambdaLR(o, _decay),
    "LambdaLR-per-group": lambda lib, o: _s(lib).LambdaLR(o, [_decay, _wave]),
    "MultiplicativeLR": lambda lib, o: _s(lib).MultiplicativeLR(o, _mult),
    "LinearLR": lambda lib, o: _s(lib).LinearLR(o, start_factor=0.25, total_iters=10),
    "LinearLR-down": lambda lib, o: _s(lib).LinearLR(o, start_factor=1.0, end_factor=0.1,
                                                     total_iters=20),
    "ConstantLR": lambda lib, o: _s(lib).ConstantLR(o, factor=0.5, total_iters=8),
    "PolynomialLR": lambda lib, o: _s(lib).PolynomialLR(o, total_iters=20, power=2.0),
    "OneCycleLR": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=51),
    "OneCycleLR-three-phase-linear": lambda lib, o: _s(lib).OneCycleLR(
        o, max_lr=0.3, epochs=5, steps_per_epoch=11, three_phase=True, anneal_strategy="linear",
        pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda lib, o: _s(lib).OneCycleLR(
        o, max_lr=0.1, total_steps=60, cycle_momentum=False),
    "CyclicLR": lambda lib, o: _s(lib).CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2],
                                                step_size_up=5),
    "CyclicLR-triangular2": lambda lib, o: _s(lib).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6, mode="triangular2",
        base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-exp_range": lambda lib, o: _s(lib).CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda lib, o: _s(lib).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=_decay, scale_mode="iterations",
        cycle_momentum=False),
    "SequentialLR": lambda lib, o: _s(lib).SequentialLR(
        o, [_s(lib).LinearLR(o, start_factor=0.1, total_iters=10),
            _s(lib).ExponentialLR(o, gamma=0.9)], milestones=[10]),
    "SequentialLR-three": lambda lib, o: _s(lib).SequentialLR(
        o, [_s(lib).ConstantLR(o, factor=0.5, total_iters=5),
            _s(lib).CosineAnnealingLR(o, T_max=10),
            _s(lib).StepLR(o, step_size=4, gamma=0.5)], milestones=[6, 20]),
    "ChainedScheduler": lambda lib, o: _s(lib).ChainedScheduler(
        [_s(lib).ConstantLR(o, factor=0.5, total_iters=8), _s(lib).ExponentialLR(o, gamma=0.95),
         _s(lib).MultiStepLR(o, milestones=[20, 35], gamma=0.5)]),
}

OPTIMIZERS = {"SGD": ("SGD", dict(momentum=0.9)), "Adam": ("Adam", {})}


def _optimizer(lib, name="SGD", tensor_lr=False):
    opt_name, kw = OPTIMIZERS[name]
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    lrs = (lib.tensor(0.1), lib.tensor(0.05)) if tensor_lr else (0.1, 0.05)
    return getattr(lib.optim, opt_name)([{"params": [a], "lr": lrs[0]},
                                         {"params": [b], "lr": lrs[1]}], **kw)


def _record(opt, sched):
    groups = opt.param_groups
    return ([float(v) for v in sched.get_last_lr()], [float(g["lr"]) for g in groups],
            [g.get("momentum", g.get("betas", (None,))[0]) for g in groups])


def _run(lib, name, steps=50, opt_name="SGD", tensor_lr=False):
    opt = _optimizer(lib, opt_name, tensor_lr)
    sched = SCHEDULERS[name](lib, opt)
    out = [_record(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(_record(opt, sched))
    return out, opt, sched


def _assert_same_records(e, t):
    assert len(e) == len(t)
    for i, (er, tr) in enumerate(zip(e, t)):
        for ev, tv in zip(er, tr):
            np.testing.assert_allclose(np.array(ev, dtype=float), np.array(tv, dtype=float),
                                       rtol=1e-12, atol=0, err_msg=f"step {i}")


@pytest.mark.parametrize("name", list(SCHEDULERS))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lr_sequence_matches_torch(name, opt_name):
    e, _, _ = _run(ember, name, opt_name=opt_name)
    t, _, _ = _run(torch, name, opt_name=opt_name)
    _assert_same_records(e, t)
    assert len({tuple(r[1]) for r in t}) > 1, "the schedule should change the lr"


@pytest.mark.parametrize("name", ["ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
                                  "CyclicLR", "SequentialLR", "LambdaLR"])
def test_tensor_lr_is_updated_in_place(name):
    e, eo, _ = _run(ember, name, 20, "Adam", tensor_lr=True)
    t, _, _ = _run(torch, name, 20, "Adam", tensor_lr=True)
    np.testing.assert_allclose([r[1] for r in e], [r[1] for r in t], rtol=1e-6)
    assert all(isinstance(g["lr"], ember.Tensor) for g in eo.param_groups)


def _plain(v):
    """A comparable form of a state_dict value (functions and Counters normalised)."""
    if callable(v) and not isinstance(v, (int, float)):
        return "<callable>"
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return float(v)
    return v


def _assert_same_state(e, t):
    assert set(e) == set(t), f"{sorted(e)} vs {sorted(t)}"
    for k in t:
        ev, tv = _plain(e[k]), _plain(t[k])
        if isinstance(tv, float):
            assert ev == pytest.approx(tv, rel=1e-12), k
        elif k == "_schedulers":
            for a, b in zip(ev, tv):
                _assert_same_state(a, b)
        else:
            assert ev == tv, f"{k}: {ev!r} vs {tv!r}"


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_matches_torch(name):
    _, _, es = _run(ember, name, 13)
    _, _, ts = _run(torch, name, 13)
    _assert_same_state(es.state_dict(), ts.state_dict())


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_resume_continues_the_schedule(name):
    straight, _, _ = _run(ember, name, 40)
    _, opt, sched = _run(ember, name, 20)
    osd, ssd = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2 = _optimizer(ember)
    sched2 = SCHEDULERS[name](ember, opt2)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    out = []
    for _ in range(20):
        opt2.step()
        sched2.step()
        out.append(_record(opt2, sched2))
    _assert_same_records(out, straight[21:])


def test_initial_lr_and_base_lrs():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05] and sched.last_epoch == 0
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        ember.optim.lr_scheduler.StepLR(_optimizer(ember), 3, last_epoch=4)


def test_resume_with_last_epoch_matches_torch():
    out = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"] * 2
        sched = _s(lib).CosineAnnealingLR(opt, T_max=10, last_epoch=4)
        rec = [_record(opt, sched)]
        for _ in range(10):
            opt.step()
            sched.step()
            rec.append(_record(opt, sched))
        out.append(rec)
    _assert_same_records(*out)


# -- ReduceLROnPlateau ------------------------------------------------------------------------

LOSSES = ([1.0, 0.9, 0.8, 0.8, 0.79995, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.7]
          + [0.7 - 1e-6 * i for i in range(20)] + [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])

PLATEAU = [dict(), dict(patience=2), dict(patience=1, cooldown=2, factor=0.5),
           dict(patience=2, threshold=1e-2, threshold_mode="abs"),
           dict(mode="max", patience=1), dict(mode="max", threshold_mode="abs", patience=0),
           dict(patience=0, min_lr=[0.02, 0.001], factor=0.3),
           dict(patience=0, min_lr=0.04, eps=1e-3)]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = _s(lib).ReduceLROnPlateau(opt, **kwargs)
        rec = []
        for loss in LOSSES:
            opt.step()
            sched.step(lib.tensor(loss) if len(rec) % 2 else loss)
            rec.append(_record(opt, sched))
        results.append((rec, sched))
    (e, es), (t, ts) = results
    _assert_same_records(e, t)
    assert len({tuple(r[1]) for r in t}) > 1, "the lr should be reduced at least once"
    _assert_same_state(es.state_dict(), ts.state_dict())


# -- closed form, warnings, errors ------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:The epoch parameter")
@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR", "LambdaLR",
                                  "CosineAnnealingWarmRestarts"])
def test_step_with_epoch_uses_closed_form(name):
    out = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name](lib, opt)
        rec = []
        for epoch in [3, 7, 2, 11, 25, 15, 40] + ([7.5, 13.25] if "Warm" in name else []):
            opt.step()
            sched.step(epoch)
            rec.append(_record(opt, sched))
        out.append(rec)
    _assert_same_records(*out)


def test_warnings_like_torch():
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = _s(lib).StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()
        with pytest.warns(UserWarning, match="The epoch parameter"):
            sched.step(3)
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = _s(lib).StepLR(opt, 2)
        opt.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="has been overridden after learning rate"):
            sched.step()


def test_no_warning_in_the_right_order():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def _error(lib, build):
    try:
        build(lib, _optimizer(lib))
    except Exception as exc:      # noqa: BLE001 - compared below
        return exc
    return None


BAD = {
    "not-optimizer": lambda lib, o: _s(lib).StepLR(object(), 3),
    "constant-factor": lambda lib, o: _s(lib).ConstantLR(o, factor=1.5),
    "linear-start": lambda lib, o: _s(lib).LinearLR(o, start_factor=0),
    "linear-end": lambda lib, o: _s(lib).LinearLR(o, end_factor=2),
    "warm-T0": lambda lib, o: _s(lib).CosineAnnealingWarmRestarts(o, T_0=0),
    "warm-Tmult": lambda lib, o: _s(lib).CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm-eta": lambda lib, o: _s(lib).CosineAnnealingWarmRestarts(o, T_0=2, eta_min="x"),
    "onecycle-steps": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=0.1),
    "onecycle-total": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=0.1, total_steps=0),
    "onecycle-epochs": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=0.1, epochs=0,
                                                         steps_per_epoch=3),
    "onecycle-pct": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=0.1, total_steps=5,
                                                      pct_start=1),
    "onecycle-anneal": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=0.1, total_steps=5,
                                                         anneal_strategy="exp"),
    "onecycle-max-lr-len": lambda lib, o: _s(lib).OneCycleLR(o, max_lr=[0.1], total_steps=5),
    "cyclic-mode": lambda lib, o: _s(lib).CyclicLR(o, 0.01, 0.1, mode="sawtooth"),
    "plateau-factor": lambda lib, o: _s(lib).ReduceLROnPlateau(o, factor=1.0),
    "plateau-mode": lambda lib, o: _s(lib).ReduceLROnPlateau(o, mode="up"),
    "plateau-threshold": lambda lib, o: _s(lib).ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau-min-lr": lambda lib, o: _s(lib).ReduceLROnPlateau(o, min_lr=[0.1]),
    "lambda-count": lambda lib, o: _s(lib).LambdaLR(o, [_decay]),
    "multiplicative-callable": lambda lib, o: _s(lib).MultiplicativeLR(o, [_decay, 3]),
    "sequential-empty": lambda lib, o: _s(lib).SequentialLR(o, [], []),
    "sequential-milestones": lambda lib, o: _s(lib).SequentialLR(
        o, [_s(lib).StepLR(o, 2), _s(lib).StepLR(o, 3)], milestones=[]),
    "sequential-plateau": lambda lib, o: _s(lib).SequentialLR(
        o, [_s(lib).StepLR(o, 2), _s(lib).ReduceLROnPlateau(o)], milestones=[3]),
    "chained-empty": lambda lib, o: _s(lib).ChainedScheduler([]),
    "onecycle-overrun": lambda lib, o: _overrun(_s(lib).OneCycleLR(o, max_lr=0.1,
                                                                   total_steps=2)),
}


def _overrun(sched):
    for _ in range(3):
        sched.step()


@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("case", list(BAD))
def test_errors_like_torch(case):
    te, ee = _error(torch, BAD[case]), _error(ember, BAD[case])
    assert te is not None and ee is not None
    for cls in (ValueError, TypeError, KeyError, RuntimeError):
        assert isinstance(ee, cls) == isinstance(te, cls), f"{type(ee)} vs {type(te)}"
    assert str(ee) == str(te)


def test_different_optimizer_in_sequence_raises():
    a = _optimizer(ember)
    b = _optimizer(ember)
    s = ember.optim.lr_scheduler
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
        s.SequentialLR(a, [s.StepLR(a, 2), s.StepLR(b, 2)], milestones=[3])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
        s.ChainedScheduler([s.StepLR(a, 2), s.StepLR(b, 2)])
