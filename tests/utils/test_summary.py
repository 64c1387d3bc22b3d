"""ember.utils.summary against a table computed by hand for a small CNN."""
import pytest

import ember

nn = ember.nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


# By hand, for input (2, 1, 8, 8) float32:
#   Conv2d(1, 4, 3): 4*1*3*3 + 4 = 40 params (160 B), output (2, 4, 8, 8) = 2048 B
#   ReLU (2, 4, 8, 8) 2048 B; MaxPool2d(2) (2, 4, 4, 4) 512 B; Flatten (2, 64) 512 B
#   Linear(64, 10): 64*10 + 10 = 650 params (2600 B), output (2, 10) = 80 B
#   leaf outputs 2048 + 2048 + 512 + 512 + 80 = 5200 B; forward/backward = 2 * 5200
EXPECTED = """\
============================================================================
Layer (type)                 Output Shape   Param #   Trainable    Memory
============================================================================
SmallCNN                     [2, 10]             --          --      80 B
  features (Sequential)      [2, 4, 4, 4]        --          --     512 B
    features.0 (Conv2d)      [2, 4, 8, 8]        40       False   2.21 KB
    features.1 (ReLU)        [2, 4, 8, 8]        --          --   2.05 KB
    features.2 (MaxPool2d)   [2, 4, 4, 4]        --          --     512 B
  classifier (Sequential)    [2, 10]             --          --      80 B
    classifier.0 (Flatten)   [2, 64]             --          --     512 B
    classifier.1 (Linear)    [2, 10]            650        True   2.68 KB
============================================================================
Total params: 690
Trainable params: 650
Non-trainable params: 40
----------------------------------------------------------------------------
Input size (MB): 0.00
Forward/backward pass size (MB): 0.01
Params size (MB): 0.00
Estimated Total Size (MB): 0.01
============================================================================"""


def _model():
    m = SmallCNN()
    m.features[0].requires_grad_(False)      # frozen: counted apart
    return m


def test_table_matches_hand_computed(capsys):
    s = ember.utils.summary(_model(), ember.randn(2, 1, 8, 8))
    assert str(s) == EXPECTED
    assert capsys.readouterr().out == EXPECTED + "\n"       # verbose=1 prints it


def test_counts_and_bytes():
    s = ember.utils.summary(_model(), input_size=(2, 1, 8, 8), verbose=0)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (690, 650, 40)
    assert s.param_bytes == 690 * 4
    assert s.input_bytes == 2 * 64 * 4
    assert s.output_bytes == 5200 and s.forward_backward_bytes == 10400
    assert s.total_bytes == 512 + 10400 + 2760
    assert [r.name for r in s.rows] == ["", "features", "features.0", "features.1",
                                        "features.2", "classifier", "classifier.0",
                                        "classifier.1"]
    assert s.rows[-1].shapes == [[2, 10]] and s.rows[2].params == 40


def test_input_size_batch_dim_depth_and_quiet(capsys):
    s = ember.utils.summary(_model(), (1, 8, 8), batch_dim=0, depth=1, verbose=0)
    assert capsys.readouterr().out == ""
    lines = str(s).splitlines()
    assert lines[3].split() == ["SmallCNN", "[1,", "10]", "--", "--", "40", "B"]
    # at the depth limit a container's row stands for its hidden children
    assert lines[4].split()[:7] == ["features", "(Sequential)", "[1,", "4,", "4,", "4]", "40"]
    assert lines[4].split()[7:] == ["False", "416", "B"]     # 256 B output + 160 B params
    assert len(lines) == 3 + 3 + 10      # header, three rows (depth <= 1), totals


def test_mode_restored_hooks_removed_and_errors_propagate():
    m = _model()
    ember.utils.summary(m, ember.randn(2, 1, 8, 8), mode="eval", verbose=0)
    assert m.training and all(not mod._forward_hooks and not mod._forward_pre_hooks
                              for mod in m.modules())
    with pytest.raises(RuntimeError, match="classifier.1"):
        ember.utils.summary(m, ember.randn(2, 1, 10, 10), verbose=0)
    assert all(not mod._forward_hooks for mod in m.modules())
    with pytest.raises(ValueError, match="input_data"):
        ember.utils.summary(m)


def test_multiple_inputs_and_outputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(4, 2)

        def forward(self, x, y):
            return self.a(x), self.b(y)

    s = ember.utils.summary(Two(), [ember.ones(5, 3), ember.ones(5, 4)], verbose=0)
    assert s.rows[0].shapes == [[5, 2], [5, 2]]
    assert s.total_params == 8 + 10
