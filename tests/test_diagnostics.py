"""The diagnostics of issue 6, one table row per message: what the user did, what ember raises
or warns, and the text the message must contain (torch's own text where torch has one)."""
import re
import warnings

import numpy as np
import pytest

import ember
import ember._diagnostics as diag

nn = ember.nn


class Net(nn.Module):
    """The issue's CNN: its classifier expects 1050 features, the Flatten gives 32x7x7 = 1568."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1050, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def _cnn_shape_error():
    Net()(ember.randn(4, 1, 28, 28))


def _numpy_input_nested():
    Net()(ember.from_numpy(np.zeros((2, 1, 28, 28))))


def _numpy_input_linear():
    nn.Linear(3, 2)(ember.from_numpy(np.zeros((4, 3))))


def _conv_channels():
    nn.Sequential(nn.Conv2d(3, 8, 3))(ember.randn(2, 1, 8, 8))


def _linear_direct():
    nn.Linear(3, 4)(ember.randn(2, 5))


def _float_class_targets():
    nn.CrossEntropyLoss()(ember.randn(3, 5), ember.tensor([0.0, 2.0, 1.0]))


def _backward_no_grad():
    w = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        (w * 2).sum().backward()


def _backward_frozen():
    m = nn.Linear(2, 1)
    m.requires_grad_(False)
    m(ember.ones(2)).sum().backward()


def _backward_detached():
    (ember.ones(2, requires_grad=True) * 2).sum().detach().backward()


def _backward_inference():
    with ember.inference_mode():
        y = (ember.ones(2, requires_grad=True) * 2).sum()
    y.backward()


MODULE_PATH = ("classifier.2 (Linear(in_features=1050, out_features=10, bias=True)) got input of "
               "shape (4, 1568); its last dimension must be 1050 — 1568 = 32×7×7 comes from the "
               "Flatten before it\n")
NO_GRAPH = "element 0 of tensors does not require grad and does not have a grad_fn: "
NUMPY_HINT = ("the input is float64, probably because it came from a NumPy array (np.float64 is "
              "NumPy's default); use torch.from_numpy(x).float() or x.astype(np.float32)")

# (id, what the user does, exception type, text the message starts with, texts it contains)
ERRORS = [
    ("module-path", _cnn_shape_error, RuntimeError, MODULE_PATH,
     ["mat1 and mat2 shapes cannot be multiplied (4x1568 and 1050x10)"]),
    ("numpy-float64-nested", _numpy_input_nested, RuntimeError,
     "features.0 (Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))) got input "
     "of shape (2, 1, 28, 28) and dtype float64; " + NUMPY_HINT,
     ["Input type (torch.float64) and weight type (torch.float32) should be the same"]),
    ("numpy-float64-linear", _numpy_input_linear, RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float", [NUMPY_HINT]),
    ("conv-channels", _conv_channels, RuntimeError,
     ("0 (Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))) got input of shape (2, 1, 8, 8); its "
      "channel dimension (dim 1) must be 3\n"), ["expected input[2, 1, 8, 8] to have 3 channels"]),
    # a layer called directly keeps the op's message (tests compare some with torch's verbatim)
    ("direct-call-unchanged", _linear_direct, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x5 and 3x4)", []),
    ("float-class-targets", _float_class_targets, RuntimeError,
     "expected target dtype to be Long or Byte, but got Float: ",
     ["class indices, an int64 tensor of shape (3,) with values in [0, 5)",
      "class probabilities, a floating tensor of the input's shape (3, 5)",
      "use target.long()"]),
    ("backward-under-no-grad", _backward_no_grad, RuntimeError, NO_GRAPH,
     ["grad mode is off here (inside no_grad()"]),
    ("backward-frozen-params", _backward_frozen, RuntimeError, NO_GRAPH,
     ["every parameter it was computed from has requires_grad=False", "no_grad()",
      "inference_mode()", ".detach()"]),
    ("backward-detached", _backward_detached, RuntimeError, NO_GRAPH,
     ["it was returned by .detach()"]),
    ("backward-inference", _backward_inference, RuntimeError, NO_GRAPH,
     ["made inside inference_mode()"]),
]


@pytest.mark.parametrize("fn, exc_type, start, contains",
                         [row[1:] for row in ERRORS], ids=[row[0] for row in ERRORS])
def test_error_messages(fn, exc_type, start, contains):
    with pytest.raises(exc_type) as info:
        fn()
    msg = str(info.value)
    assert msg.startswith(start), msg
    for text in contains:
        assert text in msg, (text, msg)


def test_module_trail_keeps_type_and_chains_the_original():
    with pytest.raises(ember.EmberRuntimeError) as info:
        _cnn_shape_error()
    cause = info.value.__cause__
    assert isinstance(cause, ember.EmberRuntimeError)
    assert str(cause).startswith("mat1 and mat2 shapes cannot be multiplied")
    assert str(info.value).endswith(str(cause))


def test_module_trail_leaves_other_exceptions_alone():
    class Stop(nn.Module):
        def forward(self, x):
            raise StopIteration

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("user error")

    with pytest.raises(StopIteration):
        nn.Sequential(Stop())(ember.ones(1))
    with pytest.raises(ValueError, match="^user error$"):
        nn.Sequential(nn.Sequential(Bad()))(ember.ones(1))


def test_module_trail_names_unregistered_modules_and_custom_forwards():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = [nn.Linear(3, 2)]      # a plain list: not registered

        def forward(self, x):
            return self.hidden[0](x)

    with pytest.raises(RuntimeError, match=r"^0\.<unregistered Linear> \(Linear\(in_features=3"):
        nn.Sequential(Wrapper())(ember.ones(2, 4))


# -- warnings ---------------------------------------------------------------------------------

def _seed_loop(zero, accumulate=1, steps=4, model_zero=False):
    x = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).view(-1, 1)
    y = ember.tensor([2.0, 4.0, 6.0, 8.0, 10.0]).view(-1, 1)
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = ember.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        if zero == "none":
            pass
        elif model_zero:
            model.zero_grad(set_to_none=zero == "none-set")
        else:
            optimizer.zero_grad(set_to_none=zero == "set_to_none")
        for _ in range(accumulate):
            loss = criterion(model(x), y)
            loss.backward()
        optimizer.step()


def _twice_without_backward():
    w = ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    opt.step()


def _sum_of_losses(keep):
    model = nn.Linear(2, 1)
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    x = ember.ones(3, 2)
    total, losses = 0, []
    for _ in range(5 * diag.SAMPLE * diag.RING):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        if keep == "sum":
            total += loss
        elif keep == "list":
            losses.append(loss)
        else:
            total += loss.item()


def _same_graph_again():
    w = ember.ones(2, requires_grad=True)
    y = (w * 2).sum()
    for _ in range(5 * diag.SAMPLE * diag.RING):
        y.backward(retain_graph=True)


def _backward_on_leaves():
    leaves = [ember.ones(2, requires_grad=True) for _ in range(5 * diag.SAMPLE * diag.RING)]
    for w in leaves:
        w.backward(ember.ones(2))


# (id, the loop, warning category or None for silence, texts the message contains)
WARNINGS = [
    ("seed-loop-without-zero-grad", lambda: _seed_loop("none"), ember.StaleGradWarning,
     ["already applied", "optimizer.zero_grad()", "category=torch.StaleGradWarning"]),
    ("step-twice-without-backward", _twice_without_backward, ember.StaleGradWarning,
     ["already applied"]),
    ("zero-grad-each-step", lambda: _seed_loop("set_to_none"), None, []),
    ("zero-grad-in-place", lambda: _seed_loop("zeros"), None, []),
    ("model-zero-grad", lambda: _seed_loop("none-set", model_zero=True), None, []),
    ("model-zero-grad-in-place", lambda: _seed_loop("zeros", model_zero=True), None, []),
    ("gradient-accumulation", lambda: _seed_loop("set_to_none", accumulate=4), None, []),
    ("gradient-accumulation-in-place", lambda: _seed_loop("zeros", accumulate=3), None, []),
    ("total-loss-plus-loss", lambda: _sum_of_losses("sum"), ember.GrowingGraphWarning,
     ["is still alive", "AddBackward0", "total_loss += loss.item()"]),
    ("losses-append-loss", lambda: _sum_of_losses("list"), ember.GrowingGraphWarning,
     ["losses.append(loss)", "MeanBackward0"]),
    ("total-loss-plus-item", lambda: _sum_of_losses("item"), None, []),
    ("same-graph-retained", _same_graph_again, None, []),
    ("backward-on-kept-leaves", _backward_on_leaves, None, []),
]


@pytest.fixture
def fresh_graph_check():
    diag._ring.clear()
    diag._warned = False
    yield
    diag._ring.clear()
    diag._warned = False


@pytest.mark.parametrize("fn, category, contains", [row[1:] for row in WARNINGS],
                         ids=[row[0] for row in WARNINGS])
def test_warnings(fn, category, contains, fresh_graph_check):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    ours = [w for w in caught if issubclass(w.category, (ember.StaleGradWarning,
                                                         ember.GrowingGraphWarning))]
    if category is None:
        assert not ours, [str(w.message) for w in ours]
        return
    assert len(ours) == 1, [str(w.message) for w in ours]     # warned once
    assert ours[0].category is category
    assert ours[0].filename == __file__        # points at the user's line
    for text in contains:
        assert text in str(ours[0].message), (text, str(ours[0].message))


def test_stale_grad_warning_is_easy_to_silence():
    assert issubclass(ember.StaleGradWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ember.StaleGradWarning)
        _seed_loop("none")


def test_message_table_covers_every_diagnostic():
    # one row per message the issue lists; a new diagnostic gets a row here
    ids = {row[0] for row in ERRORS} | {row[0] for row in WARNINGS}
    for needed in ("module-path", "numpy-float64-linear", "float-class-targets",
                   "backward-under-no-grad", "backward-frozen-params", "backward-detached",
                   "seed-loop-without-zero-grad", "gradient-accumulation",
                   "total-loss-plus-loss"):
        assert needed in ids
    assert re.search("32×7×7", MODULE_PATH)
