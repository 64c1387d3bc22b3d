"""ember.compile: compiled calls give eager's values, gradients and parameters; guards re-trace;
data-dependent control flow falls back to eager with one warning; random ops draw fresh numbers;
mode="debug" finds a planted difference."""
import os
import sys
import warnings

import numpy as np
import pytest

import ember
from ember.compile import _INTERPRETED, GraphBreak
from ember.compile.interp import Interpreted

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from benchmarks import run as bench

nn = ember.nn
# calls until a compiled function runs its generated plan: one eager, one traced, the
# interpreted replays (Note [Tiered plans]), then the call that generates the plan
_TO_PLAN = 2 + _INTERPRETED + 1


# -- workloads: the benchmark's, and small-batch twins that return their loss ------------------

def _params(step):
    """Parameters of the optimizers a benchmark step closes over, in order."""
    out = []
    for cell in step.__closure__:
        o = cell.cell_contents
        if hasattr(o, "param_groups"):          # an ember or torch optimizer
            for g in o.param_groups:
                out += g["params"]
    return out


def _twin(make):
    """Two copies of a workload with identical initial parameters."""
    ember.manual_seed(0)
    a = make(ember)
    ember.manual_seed(0)
    b = make(ember)
    for p, q in zip(_params(a), _params(b)):
        np.copyto(q._array, p._array)
    return a, b


def _assert_same(pa, pb, rtol=1e-5, atol=1e-6, exact=False):
    for p, q in zip(pa, pb):
        if exact:
            np.testing.assert_array_equal(q._array, p._array)
        else:
            np.testing.assert_allclose(q._array, p._array, rtol=rtol, atol=atol)
        if p._grad is None:
            assert q._grad is None
        elif exact:
            np.testing.assert_array_equal(q._grad._array, p._grad._array)
        else:
            np.testing.assert_allclose(q._grad._array, p._grad._array, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["seed_linear_regression", "seed_mlp", "mlp784", "lenet",
                                  "transformer_lm", "lstm_lm"])
def test_benchmark_workloads_match_eager(name):
    make = getattr(bench, name, None)
    if make is None:
        pytest.skip(f"benchmarks/run.py has no {name}")
    eager, step = _twin(make)
    compiled = ember.compile(step)
    # both tiers: interpreted replays, then the generated plan (Note [Tiered plans])
    for _ in range(8 if name.startswith("seed") else _TO_PLAN + 1):
        eager()
        compiled()
    assert compiled.traces == 1 and compiled.tier_ups == 1
    _assert_same(_params(eager), _params(step), exact=True)     # bit for bit


def _mlp_adam(lib, batch=16):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(20, 32), lib.nn.ReLU(), lib.nn.Linear(32, 5))
    x = lib.randn(batch, 20)
    y = lib.randint(0, 5, (batch,))
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _lenet_small(lib, batch=4):
    lib.manual_seed(0)
    model = lib.nn.Sequential(
        lib.nn.Conv2d(1, 6, 5, padding=2), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
        lib.nn.Conv2d(6, 16, 5), lib.nn.ReLU(), lib.nn.MaxPool2d(2), lib.nn.Flatten(),
        lib.nn.Linear(16 * 5 * 5, 32), lib.nn.ReLU(), lib.nn.Linear(32, 10))
    x = lib.randn(batch, 1, 28, 28)
    y = lib.randint(0, 10, (batch,))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("make", [_mlp_adam, _lenet_small])
def test_losses_and_parameters_match_eager_and_torch(make):
    import torch
    eager, step = _twin(make)
    compiled = ember.compile(step)
    ref = make(torch)
    for p, q in zip(_params(ref), _params(eager)):
        with torch.no_grad():
            p.copy_(torch.from_numpy(q._array.copy()))
    for cr, ce in zip(ref.__closure__, eager.__closure__):     # the data too (x, y)
        if isinstance(cr.cell_contents, torch.Tensor):
            cr.cell_contents.copy_(torch.from_numpy(ce.cell_contents._array.copy()))
    losses = []
    for _ in range(6):
        le, lc, lt = eager(), compiled(), ref()
        losses.append((le.item(), lc.item(), lt.item()))
    kept = lc
    compiled()
    assert kept.item() == losses[-1][1]          # a returned loss is not overwritten later
    for le, lc, lt in losses:
        assert lc == pytest.approx(le, rel=1e-5)
        assert lc == pytest.approx(lt, rel=1e-4)
    eager()
    _assert_same(_params(eager), _params(step))


def test_scheduler_lr_change_is_honoured():
    eager, step = _twin(_mlp_adam)
    opts = [c.cell_contents for f in (eager, step) for c in f.__closure__
            if isinstance(c.cell_contents, ember.optim.Optimizer)]
    scheds = [ember.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.1) for o in opts]
    compiled = ember.compile(step)
    for _ in range(7):
        eager()
        compiled()
        for s in scheds:
            s.step()
    assert compiled.traces == 1
    assert opts[1].param_groups[0]["lr"] == pytest.approx(1e-5)
    _assert_same(_params(eager), _params(step))


def test_generic_optimizer_path_and_accumulation():
    # RMSprop has no specialised update: the plan calls its update function; two backward
    # passes per step accumulate into .grad; Module.zero_grad clears it
    def make(lib):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2)
        opt = lib.optim.RMSprop(lin.parameters(), lr=1e-2)
        x = lib.randn(4, 3)

        def step():
            lin.zero_grad()
            loss = (lin(x) ** 2).mean()
            loss.backward()
            (lin(x * 2).sum() * 0.1).backward()
            opt.step()
            return loss
        return step
    eager, step = _twin(make)
    compiled = ember.compile(step)
    for _ in range(5):
        assert compiled().item() == pytest.approx(eager().item(), rel=1e-5)
    _assert_same(_params(eager), _params(step))


# -- forward functions and modules --------------------------------------------------------------

def test_forward_function_retraces_on_new_shape():
    w = ember.randn(4, 3)

    def f(x):
        return (x @ w).relu().sum(1)
    cf = ember.compile(f)
    for n in (5, 5, 5, 7, 7, 7, 5):
        x = ember.randn(n, 4)
        np.testing.assert_allclose(cf(x).numpy(), f(x).numpy(), rtol=1e-6)
    assert cf.traces == 2


def test_dynamic_batch_does_not_retrace():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    cf = ember.compile(step, dynamic=True)
    ref = [p.detach().clone() for p in model.parameters()]
    for n in (6, 6, 6, 9, 3, 12):
        x, y = ember.randn(n, 4), ember.randn(n, 2)
        # the same update computed eagerly from the same starting parameters
        before = [p.detach().clone() for p in model.parameters()]
        loss = cf(x, y)
        after = [p.detach().clone() for p in model.parameters()]
        with ember.no_grad():
            for p, b in zip(model.parameters(), before):
                p.copy_(b)
        want = step(x, y)
        assert loss.item() == pytest.approx(want.item(), rel=1e-5)
        for p, a in zip(model.parameters(), after):
            np.testing.assert_allclose(a.numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-7)
    assert cf.traces == 1
    del ref


def test_compiled_module_forward_and_training_flag_guard():
    model = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5), nn.ReLU())
    cm = ember.compile(model)
    assert list(cm.parameters()) == list(model.parameters())
    x = ember.randn(3, 6)
    with ember.no_grad():
        model.eval()
        for _ in range(3):
            np.testing.assert_allclose(cm(x).numpy(), model(x).numpy(), rtol=1e-6)
        model.train()
        outs = [cm(x).numpy() for _ in range(4)]
    assert cm._compiled.traces == 2          # eval and train are separate plans
    # dropout draws a fresh mask on every replay
    assert not np.array_equal(outs[-1], outs[-2])


def test_random_ops_match_eager_stream():
    def f(x):
        return nn.functional.dropout(x, 0.3) * 2
    cf = ember.compile(f)
    x = ember.ones(50)
    ember.manual_seed(3)
    want = [f(x).numpy().copy() for _ in range(5)]
    ember.manual_seed(3)
    got = [cf(x).numpy().copy() for _ in range(5)]
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)


# -- fallbacks ---------------------------------------------------------------------------------

def test_data_dependent_control_flow_warns_once_and_matches_eager():
    eager, step = _twin(_mlp_adam)

    def branchy(f):
        def g():
            loss = f()
            if loss.item() > 100.0:   # data-dependent line
                raise AssertionError
            return loss
        return g
    line = branchy.__code__.co_firstlineno + 3
    ge, gc = branchy(eager), ember.compile(branchy(step))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(5):
            assert gc().item() == pytest.approx(ge().item(), rel=1e-6)
    msgs = [str(w.message) for w in rec]
    assert len(msgs) == 1, msgs
    assert f"test_compile.py:{line}" in msgs[0] and "item()" in msgs[0]
    _assert_same(_params(eager), _params(step))


def test_fullgraph_raises_on_data_dependence():
    def f(x):
        y = x * 2
        if y.sum() > 0:
            return y
        return -y
    cf = ember.compile(f, fullgraph=True)
    x = ember.ones(3)
    cf(x)
    with pytest.raises(GraphBreak, match="data-dependent"):
        cf(x)


def test_debug_mode_reports_planted_difference(monkeypatch):
    from ember.compile import passes

    def bad_relu(plan, s, check=False):
        if check:
            return True
        return [f"np.maximum({plan.arg(s.args[0])}, 0.25, out={plan.out(s.outs)})"]
    monkeypatch.setitem(passes._CALLS, passes._ew._relu, bad_relu)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = ember.randn(5, 3)
    cf = ember.compile(lambda: model(x).sum(), mode="debug")
    with ember.no_grad():
        cf()
        cf()
        with pytest.warns(UserWarning, match=r"relu\) differs from eager"):
            out = cf()
    assert "relu" in cf.debug_report
    with ember.no_grad():
        assert out.item() == pytest.approx(model(x).sum().item())


def test_debug_mode_silent_when_plan_is_right():
    eager, step = _twin(_mlp_adam)
    cf = ember.compile(step, mode="debug")
    for _ in range(4):
        assert cf().item() == pytest.approx(eager().item(), rel=1e-6)
    assert cf.debug_report is None
    _assert_same(_params(eager), _params(step))


def test_compiled_module_trains_like_eager():
    # compile(module) while training: the replayed result carries a node running the recorded
    # backward; gradients reach the parameters and, through the input, an outer graph
    def make():
        ember.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    ref, mod = make(), make()
    cm = ember.compile(mod)
    opts = [ember.optim.Adam(m.parameters(), lr=1e-2) for m in (ref, mod)]
    x = ember.randn(5, 4)
    y = ember.randint(0, 3, (5,))
    for _ in range(5):
        for f, o in ((ref, opts[0]), (cm, opts[1])):
            o.zero_grad()
            loss = nn.functional.cross_entropy(f(x), y)
            loss.backward()
            o.step()
    assert cm(x).grad_fn.name() == "CompiledFunctionBackward"
    assert cm._compiled.traces == 1
    _assert_same(list(ref.parameters()), list(mod.parameters()))
    base = ember.randn(5, 4)
    xs = [base.clone().requires_grad_() for _ in range(2)]
    for _ in range(3):
        for f, xi in zip((ref, cm), xs):
            xi.grad = None
            (f(xi * 2) ** 2).sum().backward()
    np.testing.assert_allclose(xs[1].grad.numpy(), xs[0].grad.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        out = cm(x).sum()
        out.backward()
        out.backward()


def test_trace_time_is_reported():
    step = bench.seed_mlp(ember)
    cf = ember.compile(step)
    for _ in range(3):
        cf()
    assert cf.trace_time is not None and cf.trace_time > 0


def test_freezing_a_layer_retraces():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x = ember.randn(6, 3)

    def step():
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        return loss
    cf = ember.compile(step)
    for _ in range(3):
        cf()
    model[0].weight.requires_grad_(False)
    frozen = model[0].weight.detach().clone()
    for _ in range(3):
        cf()
    np.testing.assert_array_equal(model[0].weight.numpy(), frozen.numpy())
    assert cf.traces == 2


def test_compiled_module_inside_compiled_step():
    eager_model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    model.load_state_dict(eager_model.state_dict())
    inner = ember.compile(model)
    opts = [ember.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
            for m in (eager_model, model)]
    x, y = ember.randn(7, 3), ember.randn(7, 1)

    def make(f, opt):
        def step():
            opt.zero_grad()
            loss = nn.functional.mse_loss(f(x), y)
            loss.backward()
            opt.step()
            return loss
        return step
    eager, outer = make(eager_model, opts[0]), ember.compile(make(inner, opts[1]))
    for _ in range(5):
        assert outer().item() == pytest.approx(eager().item(), rel=1e-5)
    assert outer.traces == 1
    _assert_same(list(eager_model.parameters()), list(model.parameters()))


def test_rebinding_a_captured_tensor_is_seen():
    lin = nn.Linear(3, 1)
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    x, y = ember.randn(4, 3), ember.randn(4, 1)

    def step():
        opt.zero_grad()
        loss = nn.functional.mse_loss(lin(x), y)
        loss.backward()
        opt.step()
        return loss
    cf = ember.compile(step)
    for _ in range(3):
        cf()
    for n in (4, 4, 6, 6, 6):
        x, y = ember.randn(n, 3), ember.randn(n, 1)     # a new batch, as a data loop does
        with ember.no_grad():
            want = nn.functional.mse_loss(lin(x), y).item()
        assert cf().item() == pytest.approx(want, rel=1e-6)


def test_replacing_parameter_data_retraces():
    # plain SGD updates the parameters as one flat buffer they are views of; assigning .data
    # breaks that, and the next call must notice
    eager, step = _twin(bench.seed_mlp)
    compiled = ember.compile(step)
    for _ in range(_TO_PLAN):
        eager()
        compiled()
    assert _plan_of(compiled) is not None
    for f in (eager, step):
        p = _params(f)[0]
        p.data = ember.full(tuple(p.shape), 0.5)
    for _ in range(4):
        eager()
        compiled()
    _assert_same(_params(eager), _params(step))
    assert compiled.traces == 2


# -- elementwise fusion ------------------------------------------------------------------------

def _plan_of(cf):
    return next(e.plan for e in cf._cache.values() if hasattr(e, "plan"))


@pytest.mark.parametrize("shape", [(64, 32), (1024, 512)])     # the second is chunked
def test_elementwise_chain_is_one_fused_block(shape):
    ember.manual_seed(0)
    x, y = ember.randn(*shape), ember.randn(*shape)
    f = ember.compile(lambda x, y: (x * 2 + 1).tanh() * y)
    for _ in range(_TO_PLAN):
        got = f(x, y)
    src = _plan_of(f).source
    assert src.count("# fused elementwise block") == 1, src
    # no intermediate array: every link writes the one result buffer
    assert src.count("np.tanh(") == 1 and "v" in src
    if shape[0] == 1024:
        assert "for r" in src, src
    want = (x * 2 + 1).tanh() * y
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    x2, y2 = ember.randn(*shape), ember.randn(*shape)
    np.testing.assert_allclose(f(x2, y2).numpy(), ((x2 * 2 + 1).tanh() * y2).numpy(),
                               rtol=1e-6, atol=1e-6)


def _sgd_step(layers, n_in, n_out, batch, head=None):
    """(step, model): a seeded Sequential of ``layers`` trained by SGD with momentum on a squared
    error; ``head`` maps the model's output before the error is taken."""
    ember.manual_seed(0)
    model = nn.Sequential(*layers())
    x, y = ember.randn(batch, n_in), ember.randn(batch, n_out)
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step():
        opt.zero_grad()
        out = model(x)
        h = (out if head is None else head(out)) - y
        loss = (h * h).mean()
        loss.backward()
        opt.step()
        return loss
    return step, model


def test_gradients_through_fused_chains_match_eager():
    def make():
        return _sgd_step(lambda: (nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                                  nn.Linear(16, 3)), 12, 3, 40,
                         head=lambda o: (o * 2 + 1).sigmoid() * 3)
    eager, em = make()
    step, cm = make()
    cf = ember.compile(step)
    for _ in range(_TO_PLAN):
        le, lc = eager(), cf()
        assert lc.item() == pytest.approx(le.item(), rel=1e-5)
    assert "# fused elementwise block" in _plan_of(cf).source
    for p, q in zip(em.parameters(), cm.parameters()):
        np.testing.assert_allclose(q._array, p._array, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(q.grad._array, p.grad._array, rtol=1e-5, atol=1e-6)


def test_benchmark_reports_the_tracing_call():
    step, times, err = bench.compile_step(ember, bench.seed_mlp(ember))
    assert err is None and step.traces == 1 and step.tier_ups == 1
    first, trace, replay1, tier_up = times
    assert first > 0 and trace > 0 and replay1 > 0 and tier_up > 0


def test_trace_leaves_the_interpreter_to_the_first_replay():
    # Note [Interpreter at the first replay]: the tracing call records; the next call builds the
    # interpreter and replays through it, with eager's values bit for bit
    def make():
        return _sgd_step(lambda: (nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)), 3, 1, 5)
    eager, em = make()
    step, cm = make()
    cstep = ember.compile(step)
    kinds = []
    for _ in range(3):
        assert cstep().item() == eager().item()
        entries = [e for e in cstep._cache.values()
                   if type(e) is sys.modules["ember.compile"]._Entry]
        kinds.append(type(entries[0].fn) is Interpreted if entries else None)
    assert kinds == [None, False, True] and cstep.traces == 1 and cstep.tier_ups == 0
    for p, q in zip(em.parameters(), cm.parameters()):
        np.testing.assert_array_equal(q._array, p._array)
        np.testing.assert_array_equal(q.grad._array, p.grad._array)


def test_kernel_caches_are_emptied_between_replays():
    # cross-entropy keeps its softmax for the rule in a cache object: a plan holds that object,
    # and must not keep the arrays in it alive from one call to the next
    step = bench.mlp784(ember)
    cf = ember.compile(step)
    for _ in range(_TO_PLAN):
        cf()
    plan = _plan_of(cf)
    caches = [v for v in plan.globals.values()
              if type(v).__dict__.get("__slots__") and hasattr(v, "p")]
    assert caches
    for c in caches:
        assert all(getattr(c, a) is None for a in type(c).__slots__)


def test_buffer_viewed_at_replay_but_copied_when_traced_stays_alive():
    # x.t() * 2 comes out F-ordered eagerly, so reshape copies it; the plan's buffer is
    # C-ordered, so at replay reshape returns a view of it, and the buffer must not be handed on
    def f(x):
        y = x.t() * 2
        v = y.reshape(-1)
        w = (x * 3).t().reshape(-1)
        return v * 5 + w
    cf = ember.compile(f)
    for _ in range(4):
        x = ember.randn(8, 16)
        np.testing.assert_array_equal(cf(x).numpy(), f(x).numpy())


# -- tiers (Note [Tiered plans]) ---------------------------------------------------------------

def _entry_of(cf):
    return next(e for e in cf._cache.values() if hasattr(e, "plan"))


@pytest.mark.parametrize("name", ["seed_linear_regression", "seed_mlp", "mlp784", "lenet"])
def test_both_tiers_match_eager_bit_for_bit_at_every_step(name):
    eager, step = _twin(getattr(bench, name))
    compiled = ember.compile(step)
    for i in range(_TO_PLAN + 2):
        eager()
        compiled()
        if i:
            # traced and interpreted calls, the call that generates the plan, its replays
            assert (_entry_of(compiled).plan is None) == (i < _TO_PLAN - 1)
        for p, q in zip(_params(eager), _params(step)):
            np.testing.assert_array_equal(q._array, p._array)
            np.testing.assert_array_equal(q._grad._array, p._grad._array)
    assert compiled.traces == 1 and compiled.tier_ups == 1


def test_trace_call_generates_no_source(monkeypatch):
    from ember.compile import plan as plan_mod
    built = []
    monkeypatch.setattr(plan_mod.Plan, "_generate",
                        lambda self, orig=plan_mod.Plan._generate: built.append(1) or orig(self))
    cf = ember.compile(bench.seed_mlp(ember))
    for _ in range(_TO_PLAN - 1):
        cf()
    assert not built and cf.traces == 1 and cf.tier_ups == 0
    cf()
    assert built == [1] and cf.tier_ups == 1 and cf.tier_up_time > 0


def test_interpreted_replays_draw_from_the_current_generator():
    def f(x):
        return nn.functional.dropout(x, 0.3) * 2
    cf = ember.compile(f)
    x = ember.ones(50)
    for i in range(_TO_PLAN + 1):
        ember.manual_seed(i)        # replaces the default generator's NumPy generator
        got = cf(x)
        ember.manual_seed(i)
        np.testing.assert_array_equal(got.numpy(), f(x).numpy())


def test_interpreted_gradients_are_not_shared_between_leaves():
    # both leaves receive the same gradient array; with zero_grad(set_to_none=False) the next
    # backward adds into each .grad: they must be separate buffers, as eagerly
    def make():
        a = ember.ones(3, requires_grad=True)
        b = ember.ones(3, requires_grad=True)
        opt = ember.optim.SGD([a, b], lr=0.1)

        def step():
            opt.zero_grad(set_to_none=False)
            (a + b).sum().backward()
            opt.step()
            return a.grad.clone()
        return step, a, b
    (eager, ea, eb), (step, ca, cb) = make(), make()
    cf = ember.compile(step)
    for _ in range(_TO_PLAN + 2):
        eager()
        cf()
        np.testing.assert_array_equal(ca.detach().numpy(), ea.detach().numpy())
        np.testing.assert_array_equal(cb.detach().numpy(), eb.detach().numpy())
        np.testing.assert_array_equal(cb.grad.numpy(), eb.grad.numpy())


def test_no_interpreted_tier_plans_at_the_trace(monkeypatch):
    monkeypatch.setattr(sys.modules["ember.compile"], "_INTERPRETED", 0)
    eager, step = _twin(bench.seed_mlp)
    compiled = ember.compile(step)
    for i in range(4):
        eager()
        compiled()
        if i:
            assert _entry_of(compiled).plan is not None
    assert compiled.tier_ups == 0
    _assert_same(_params(eager), _params(step), exact=True)


# -- the call that traces (benchmarks/notes/compile.md, session 5) ------------------------------

def test_watchers_stay_installed_and_report_only_while_tracing():
    # Note [Watchers stay installed]: no class attribute changes per trace
    from ember.compile import trace
    cf = ember.compile(lambda x: x * 2)
    x = ember.ones(3)
    cf(x)
    cf(x)
    item, zero_grad = ember.Tensor.item, nn.Module.zero_grad
    assert item.__wrapped__.__doc__ == item.__doc__ and item.__name__ == "item"
    cf2 = ember.compile(lambda x: x + 1)
    cf2(x)
    cf2(x)
    assert ember.Tensor.item is item and nn.Module.zero_grad is zero_grad
    assert trace._active is None
    # outside a trace they behave as the originals
    t = ember.tensor([2.5])
    assert t.item() == 2.5 and float(t) == 2.5 and bool(t) and t.numpy(force=True)[0] == 2.5
    assert int(ember.tensor(3)) == 3 and [0, 1, 2, 3][ember.tensor(3)] == 3
    lin = nn.Linear(2, 1)
    lin(ember.ones(1, 2)).sum().backward()
    lin.zero_grad()
    assert lin.weight.grad is None


def test_trace_releases_what_it_held():
    # Note [Weak slots]: small produced arrays are held while tracing, and only then
    from ember.compile import trace
    made = []
    orig = trace.Recorder.release

    def release(self):
        assert self._hold       # the seed MLP's arrays are all small
        made.append(self)
        orig(self)
    step = bench.seed_mlp(ember)
    cf = ember.compile(step)
    cf()
    trace.Recorder.release = release
    try:
        cf()
    finally:
        trace.Recorder.release = orig
    (rec,) = made
    assert not rec._hold and not rec.amap


def test_seed_models_trace_steals_gradients_as_eager(monkeypatch):
    # the recorder's own reference to a small gradient must not force a copy into .grad
    from ember.autograd import engine
    copies = []
    orig = engine._accumulate_leaf

    def spy(leaf, g, tensor_mode, spare=0):
        before = leaf._var()._grad
        orig(leaf, g, tensor_mode, spare + 1)       # + this frame's ``g``
        after = leaf._var()._grad
        if before is None and after is not None:
            copies.append(after._array is not g)
    for make in (bench.seed_linear_regression, bench.seed_mlp):
        eager, step = _twin(make)
        cf = ember.compile(step)
        eager()
        cf()
        copies.clear()
        monkeypatch.setattr(engine, "_accumulate_leaf", spy)
        eager()
        eager_copies = list(copies)
        copies.clear()
        cf()                    # the trace
        monkeypatch.setattr(engine, "_accumulate_leaf", orig)
        assert copies == eager_copies and not any(copies)
        for _ in range(_TO_PLAN):
            eager()
            cf()
        _assert_same(_params(eager), _params(step))
