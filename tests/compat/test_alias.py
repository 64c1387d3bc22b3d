"""ember.compat.install_torch_alias / uninstall_torch_alias: ``import torch`` gives ember's
modules while installed; misses name the torch API; everything is put back afterwards."""
import importlib
import sys

import pytest

import ember
from ember import compat

real_torch = pytest.importorskip("torch")
import torch.nn  # noqa: F401  (so that a real torch submodule is in sys.modules too)


@pytest.fixture
def alias():
    compat.install_torch_alias()
    try:
        yield
    finally:
        compat.uninstall_torch_alias()


def _import(name):
    __import__(name)
    return sys.modules[name]


def test_torch_and_submodules_are_embers(alias):
    import torch
    import torch.nn.functional as F
    import torch.optim.lr_scheduler
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    assert torch is ember
    assert nn is ember.nn and F is ember.nn.functional
    assert torch.optim.lr_scheduler is ember.optim.lr_scheduler
    assert DataLoader is ember.utils.data.DataLoader
    assert TensorDataset is ember.utils.data.TensorDataset
    assert _import("torch.autograd") is ember.autograd
    assert _import("torch.utils.data") is ember.utils.data
    assert compat.is_torch_alias_installed()
    # ember's modules keep their own identity
    assert ember.__spec__.name == "ember" and ember.nn.__spec__.name == "ember.nn"
    assert ember.__name__ == "ember"


@pytest.mark.parametrize("name", ["linalg", "fft", "special"])
def test_submodules_other_helpers_may_not_have_written_yet(name, alias):
    if importlib.util.find_spec(f"ember.{name}") is not None:
        assert _import(f"torch.{name}") is importlib.import_module(f"ember.{name}")
    else:
        with pytest.raises(ModuleNotFoundError, match=rf"torch\.{name} is not implemented"):
            importlib.import_module(f"torch.{name}")


def test_uninstall_puts_real_torch_back(alias):
    before = {n: m for n, m in sys.modules.items() if n == "torch" or n.startswith("torch.")}
    assert before == {}                  # the alias took the real modules out
    compat.uninstall_torch_alias()
    import torch
    assert torch is real_torch
    assert sys.modules["torch.nn"] is real_torch.nn
    assert not compat.is_torch_alias_installed()
    assert "__getattr__" not in vars(ember) and "__getattr__" not in vars(ember.nn)
    compat.uninstall_torch_alias()       # a second uninstall is a no-op


def test_install_twice_is_harmless(alias):
    compat.install_torch_alias()
    import torch
    assert torch is ember
    assert sum(type(f).__name__ == "_TorchAliasFinder" for f in sys.meta_path) == 1


def test_context_manager():
    with compat.torch_alias():
        assert importlib.import_module("torch") is ember
    assert importlib.import_module("torch") is real_torch


def test_missing_attribute_names_the_torch_api(alias):
    import torch
    with pytest.raises(AttributeError) as e:
        _ = torch.foo_bar
    assert str(e.value) == f"torch.foo_bar is not implemented in ember (ember {ember.__version__})"
    assert not hasattr(torch, "foo_bar")
    with pytest.raises(AttributeError, match=r"^torch\.nn\.functional\.no_such_op is not impl"):
        _ = torch.nn.functional.no_such_op
    with pytest.raises(AttributeError, match=r"^torch\.utils\.data\.NoSuchLoader is not impl"):
        _ = torch.utils.data.NoSuchLoader
    # dunder probes get Python's usual message
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        _ = torch.__wrapped__
    assert getattr(torch.nn, "__no_such_dunder__", None) is None


def test_friendly_misses_only_while_installed():
    with pytest.raises(AttributeError) as e:
        _ = ember.foo_bar
    assert "not implemented" not in str(e.value)
    with compat.torch_alias():
        pass
    assert "__getattr__" not in vars(ember)


def test_existing_module_getattr_is_asked_first(alias, monkeypatch):
    from torch import optim
    # a module-level __getattr__ a module already has (lazy attributes) keeps working
    compat.uninstall_torch_alias()
    def lazy_getattr(name):
        if name == "lazy":
            return 42
        raise AttributeError(name)
    monkeypatch.setattr(ember.optim, "__getattr__", lazy_getattr, raising=False)
    compat.install_torch_alias()
    assert optim.lazy == 42
    with pytest.raises(AttributeError, match=r"torch\.optim\.Nope is not implemented"):
        _ = optim.Nope
    compat.uninstall_torch_alias()
    assert ember.optim.lazy == 42        # the module's own __getattr__ is back


def test_unimported_ember_submodule_is_an_attribute(alias, monkeypatch):
    # as in PyTorch, torch.X works after a bare `import torch` for every submodule X
    monkeypatch.delitem(sys.modules, "ember.demo", raising=False)
    monkeypatch.delattr(ember, "demo", raising=False)
    import torch
    assert torch.demo.__name__ == "ember.demo"


def test_missing_module_names_the_torch_module(alias):
    with pytest.raises(ModuleNotFoundError) as e:
        import torch.no_such_module  # noqa: F401
    assert "torch.no_such_module is not implemented in ember" in str(e.value)
    assert e.value.name == "torch.no_such_module"
    with pytest.raises(ImportError, match=r"torch\._C is not implemented"):
        importlib.import_module("torch._C")


def test_other_imports_are_untouched(alias):
    import json

    import numpy
    assert json.__name__ == "json" and numpy.__name__ == "numpy"
    assert importlib.util.find_spec("torchvision_is_not_torch") is None
