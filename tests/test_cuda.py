"""ember.cuda: the availability queries answer "no GPU" as torch does on a CPU-only machine, so
device-selection code written for torch runs unchanged."""
import pytest
import torch

import ember


def test_queries_match_torch_on_a_cpu_only_machine():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    if not torch.cuda.is_available():        # the torch oracle is the CPU build
        assert torch.cuda.device_count() == ember.cuda.device_count()


def test_device_selection_idiom_picks_the_cpu():
    device = "cuda" if ember.cuda.is_available() else "cpu"
    x = ember.ones(2).to(device)
    assert str(x.device) == "cpu"
    ember.cuda.manual_seed_all(0)       # accepted, as scripts call it unconditionally
    ember.cuda.synchronize()


def test_current_device_raises():
    with pytest.raises(RuntimeError, match="No CUDA GPUs are available"):
        ember.cuda.current_device()
