"""SGD trajectories against torch over 100 steps, for each option."""
import numpy as np
import pytest
import torch

import ember

OPTIONS = [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True),
           dict(lr=0.05, momentum=0.9, dampening=0.3), dict(lr=0.1, weight_decay=0.01),
           dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)]


def _trajectory(lib, opts, steps=100):
    rng = np.random.default_rng(0)
    w = lib.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)
    x = lib.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((8, 2)).astype(np.float32))
    opt = lib.optim.SGD([w, b], **opts)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        if opts.get("maximize"):
            loss = -loss
        loss.backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("opts", OPTIONS)
def test_sgd_matches_torch(opts):
    np.testing.assert_allclose(_trajectory(ember, opts), _trajectory(torch, opts), atol=1e-5)


def test_sgd_param_groups_and_state_dict():
    a = ember.nn.Parameter(ember.ones(2))
    b = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    (a.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1] and set(sd["state"]) == {0, 1}
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9])
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5])


@pytest.mark.parametrize("kw,msg", [(dict(lr=-1), "Invalid learning rate"),
                                    (dict(lr=0.1, momentum=-1), "Invalid momentum"),
                                    (dict(lr=0.1, nesterov=True), "Nesterov momentum requires")])
def test_sgd_bad_hyperparameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        ember.optim.SGD([ember.nn.Parameter(ember.ones(1))], **kw)


def test_empty_parameter_list():
    with pytest.raises(ValueError, match="empty parameter list"):
        ember.optim.SGD([], lr=0.1)
