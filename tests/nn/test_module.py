"""nn.Module, Parameter, Linear, ReLU, Sequential, MSELoss against torch."""
import math

import numpy as np
import pytest
import torch

import ember


def _build(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 4)
            self.act = nn.ReLU()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
            self.scale = nn.Parameter(lib.ones(2))
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.body(self.act(self.fc1(x))) * self.scale
    return Net()


def _copy_weights(src_torch, dst_ember):
    with ember.no_grad():
        for (n1, p1), (n2, p2) in zip(src_torch.named_parameters(), dst_ember.named_parameters()):
            assert n1 == n2
            p2.copy_(ember.tensor(p1.detach().numpy()))


def test_registration_and_traversal_match_torch():
    t, e = _build(torch), _build(ember)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert repr(e) == repr(t)
    assert e.get_submodule("body.2") is e.body[2]


def test_forward_backward_match_torch():
    t, e = _build(torch), _build(ember)
    _copy_weights(t, e)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    yt = t(torch.tensor(x))
    ye = e(ember.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    yt.pow(2).sum().backward()
    ye.pow(2).sum().backward()
    for (n, pt), (_, pe) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=n)


def test_state_dict_round_trip_and_strict_report():
    e1, e2 = _build(ember), _build(ember)
    e2.load_state_dict(e1.state_dict())
    for (_, a), (_, b) in zip(e1.named_parameters(), e2.named_parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    sd = e1.state_dict()
    sd.pop("fc1.bias")
    sd["extra.weight"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as ei:
        e2.load_state_dict(sd)
    msg = str(ei.value)
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    res = e2.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]


def test_state_dict_from_torch_loads():
    t, e = _build(torch), _build(ember)
    sd = {k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()}
    e.load_state_dict(sd)
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_size_mismatch_in_load_state_dict():
    e = ember.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        e.load_state_dict({"weight": ember.zeros(2, 4), "bias": ember.zeros(2)})


def test_train_eval_and_zero_grad():
    e = _build(ember)
    assert e.training and e.body[1].training
    e.eval()
    assert not e.training and not e.body[1].training
    e.train()
    assert e.body[0].training
    e(ember.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())
    e(ember.ones(2, 3)).sum().backward()
    e.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in e.parameters())


def test_linear_default_init_distribution():
    ember.manual_seed(0)
    m = ember.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = m.weight.detach().numpy()
    b = m.bias.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert b.min() >= -bound and b.max() <= bound
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad and m.weight.is_leaf


def test_parameter_basics():
    p = ember.nn.Parameter(ember.randn(3))
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\n")
    q = ember.nn.Parameter(ember.randn(3), requires_grad=False)
    assert not q.requires_grad


def test_sequential_indexing_and_slicing():
    s = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[1], ember.nn.ReLU) and s[-1] is s[2]
    head = s[:2]
    assert isinstance(head, ember.nn.Sequential) and len(head) == 2
    assert tuple(s(ember.ones(4, 2)).shape) == (4, 1)


def test_assigning_wrong_types_raises():
    m = ember.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        m.weight = ember.ones(2, 2)
    with pytest.raises(AttributeError):
        type("Bad", (ember.nn.Module,), {"__init__": lambda self: setattr(
            self, "w", ember.nn.Parameter(ember.ones(1)))})()


def test_module_to_double():
    m = ember.nn.Linear(2, 2).double()
    assert m.weight.dtype == ember.float64
    y = m(ember.ones(1, 2, dtype=ember.float64))
    y.sum().backward()
    assert m.weight.grad.dtype == ember.float64


def test_forward_hooks():
    m = ember.nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args: seen.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    out = m(ember.ones(1, 2))
    assert seen == ["pre"] and out.abs().sum().item() == 0
    h1.remove()
    h2.remove()
    assert m(ember.ones(1, 2)).abs().sum().item() != 0


def test_full_backward_hooks_match_torch():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
            m.bias.copy_(lib.tensor([0.01, -0.02]))
        seen = {}

        def pre(mod, grad_output):
            seen["pre"] = grad_output[0].detach().numpy().copy()
            return (grad_output[0] * 2,)

        def post(mod, grad_input, grad_output):
            seen["in"] = grad_input[0].detach().numpy().copy()
            seen["out"] = grad_output[0].detach().numpy().copy()
        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(post)
        x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], requires_grad=True)
        (m(x) * lib.tensor([[1.0, -1.0], [2.0, 0.5]])).sum().backward()
        seen["x.grad"] = x.grad.numpy().copy()
        seen["w.grad"] = m.weight.grad.numpy().copy()
        return seen
    t, e = run(torch), run(ember)
    assert t.keys() == e.keys()
    for k in t:
        np.testing.assert_allclose(e[k], t[k], rtol=1e-6, atol=1e-7, err_msg=k)


def test_apply_and_named_modules_prefix():
    m = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.Sequential(ember.nn.Linear(2, 1)))
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names == ["Linear", "Linear", "Sequential", "Sequential"]
    assert [n for n, _ in m.named_parameters(prefix="net")] == [
        "net.0.weight", "net.0.bias", "net.1.0.weight", "net.1.0.bias"]
