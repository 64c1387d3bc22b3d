"""The seed chapter's two programs: run each under torch and ember from the same initial weights
and compare the final loss and parameters."""
import pathlib

import numpy as np
import pytest
import torch

import ember

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _run(script, lib, monkeypatch, capsys):
    """Execute an example with ``lib`` as torch; Linear layers start from a shared seeded init."""
    src = (EXAMPLES / script).read_text()
    if lib is torch:
        src = src.replace("import ember as torch", "import torch").replace(
            "import ember.nn as nn", "import torch.nn as nn").replace(
            "import ember.optim as optim", "import torch.optim as optim")
    rng = np.random.default_rng(1234)

    def reset(self):
        w = rng.uniform(-0.5, 0.5, tuple(self.weight.shape)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, tuple(self.bias.shape)).astype(np.float32)
        with lib.no_grad():
            self.weight.copy_(lib.tensor(w))
            self.bias.copy_(lib.tensor(b))
    monkeypatch.setattr(lib.nn.Linear, "reset_parameters", reset)
    ns = {"__name__": "__main__"}
    exec(compile(src, script, "exec"), ns)
    out = capsys.readouterr().out
    params = {k: v.detach().numpy().copy() for k, v in ns["model"].named_parameters()}
    return ns["loss"].item(), params, out


@pytest.mark.parametrize("script", ["seed_linear_regression.py", "seed_mlp.py"])
def test_seed_example_matches_torch(script, monkeypatch, capsys):
    e_loss, e_params, e_out = _run(script, ember, monkeypatch, capsys)
    t_loss, t_params, _ = _run(script, torch, monkeypatch, capsys)
    assert abs(e_loss - t_loss) < 1e-4, (e_loss, t_loss)
    assert e_params.keys() == t_params.keys()
    for k in t_params:
        np.testing.assert_allclose(e_params[k], t_params[k], atol=1e-4, err_msg=k)
    assert "final loss" in e_out


def test_linear_regression_learns_the_line(monkeypatch, capsys):
    _, params, _ = _run("seed_linear_regression.py", ember, monkeypatch, capsys)
    assert abs(params["linear.weight"].item() - 2.0) < 0.05
    assert abs(params["linear.bias"].item()) < 0.2


def test_unfixed_seed_shape_bug_is_reported():
    """The seed's original bug: a shape-(5,) tensor into nn.Linear(1, 1)."""
    x = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(1x5 and 1x1\)"):
        ember.nn.Linear(1, 1)(x)
