"""Layers against torch: the same constructor arguments, torch's state_dict loaded into ember,
then outputs, input gradients and parameter gradients (random cotangent) compared."""
import numpy as np
import pytest
import torch

import ember

CASES = [
    ("Conv1d(3, 4, 3)", (2, 3, 9)),
    ("Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False)", (2, 4, 10)),
    ("Conv1d(3, 4, 3, padding='same', dilation=2)", (2, 3, 9)),
    ("Conv1d(3, 4, 4, padding='same')", (2, 3, 9)),
    ("Conv2d(3, 4, 3)", (2, 3, 7, 6)),
    ("Conv2d(3, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=3)", (2, 3, 8, 7)),
    ("Conv2d(2, 4, 3, padding=1, padding_mode='reflect')", (2, 2, 6, 5)),
    ("Conv2d(2, 4, 3, padding=2, padding_mode='replicate')", (2, 2, 6, 5)),
    ("Conv2d(2, 4, 3, padding=1, padding_mode='circular')", (2, 2, 6, 5)),
    ("Conv2d(2, 4, 3, padding='valid')", (2, 2, 6, 5)),
    ("Conv2d(2, 4, 3)", (2, 6, 5)),
    ("Conv3d(2, 3, 2, stride=2, padding=1)", (2, 2, 5, 4, 6)),
    ("ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1)", (2, 3, 5)),
    ("ConvTranspose2d(4, 2, 3, stride=2, groups=2, dilation=1)", (2, 4, 4, 5)),
    ("ConvTranspose2d(3, 2, (2, 3), stride=(2, 1), padding=(0, 1), bias=False)", (2, 3, 4, 4)),
    ("ConvTranspose3d(2, 2, 2, stride=2)", (1, 2, 3, 3, 2)),
    ("MaxPool1d(3, stride=2, padding=1)", (2, 3, 10)),
    ("MaxPool2d(2)", (2, 3, 8, 6)),
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 9, 8)),
    ("MaxPool2d(2, dilation=2)", (1, 2, 7, 7)),
    ("MaxPool3d(2, stride=1)", (1, 2, 4, 3, 5)),
    ("AvgPool1d(3, stride=2, padding=1, count_include_pad=False)", (2, 3, 10)),
    ("AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 9, 8)),
    ("AvgPool2d(2, divisor_override=3)", (2, 3, 8, 6)),
    ("AvgPool3d(2)", (1, 2, 4, 4, 4)),
    ("LPPool2d(2, 2)", (2, 3, 8, 6)),
    ("LPPool1d(3, 2, stride=1)", (2, 3, 9)),
    ("AdaptiveAvgPool1d(4)", (2, 3, 10)),
    ("AdaptiveAvgPool2d((3, 5))", (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d((None, 2))", (2, 3, 8, 7)),
    ("AdaptiveAvgPool3d(2)", (1, 2, 5, 4, 3)),
    ("AdaptiveMaxPool1d(3)", (2, 3, 10)),
    ("AdaptiveMaxPool2d((3, 4))", (2, 3, 8, 7)),
    ("BatchNorm1d(3)", (4, 3)),
    ("BatchNorm1d(3, affine=False)", (4, 3, 5)),
    ("BatchNorm2d(3, momentum=None)", (4, 3, 5, 4)),
    ("BatchNorm3d(2, eps=1e-3)", (3, 2, 3, 2, 2)),
    ("InstanceNorm1d(3)", (2, 3, 6)),
    ("InstanceNorm2d(3, affine=True, track_running_stats=True)", (2, 3, 5, 4)),
    ("LayerNorm(5)", (3, 4, 5)),
    ("LayerNorm((4, 5), elementwise_affine=False)", (3, 4, 5)),
    ("LayerNorm(5, bias=False)", (3, 5)),
    ("GroupNorm(2, 4)", (3, 4, 5)),
    ("RMSNorm(5)", (3, 4, 5)),
    ("RMSNorm((4, 5), eps=1e-3)", (3, 4, 5)),
    ("Flatten()", (2, 3, 4, 5)),
    ("Flatten(0, 2)", (2, 3, 4, 5)),
    ("Unflatten(1, (2, 3))", (4, 6, 5)),
    ("ZeroPad2d((1, 2, 0, 3))", (2, 3, 4, 5)),
    ("ConstantPad1d(2, 3.5)", (2, 3, 4)),
    ("ReflectionPad1d((2, 1))", (2, 3, 5)),
    ("ReflectionPad2d(2)", (2, 3, 4, 5)),
    ("ReplicationPad3d(1)", (1, 2, 3, 3, 3)),
    ("CircularPad2d((1, 2, 2, 1))", (2, 3, 4, 5)),
    ("Dropout(0.5)", (4, 5)),
    ("Linear(5, 3)", (4, 5)),
    ("Identity()", (4, 5)),
]


def _pair(expr):
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
    e.load_state_dict(sd)
    return t, e


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("expr,shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layer_matches_torch(expr, shape, mode):
    torch.manual_seed(0)
    t, e = _pair(expr)
    if mode == "eval" or "Dropout" in expr:
        t.eval()
        e.eval()
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).standard_normal(shape)
    tx = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    ex = ember.tensor(x, dtype=ember.float32, requires_grad=True)
    ty, ey = t(tx), e(ex)
    assert tuple(ey.shape) == tuple(ty.shape)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    cot = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(cot))
    ey.backward(ember.tensor(cot))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=n)
    for (n, tb), (_, eb) in zip(t.named_buffers(), e.named_buffers()):
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


def test_maxpool_return_indices_and_unpool():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 8)).astype(np.float32)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ev, ei = ember.nn.functional.max_pool2d(ember.tensor(x), 2, return_indices=True)
    assert np.array_equal(ei.numpy(), ti.numpy()) and ei.dtype == ember.int64
    tu = torch.nn.MaxUnpool2d(2)(tv, ti)
    eu = ember.nn.MaxUnpool2d(2)(ev, ei)
    np.testing.assert_array_equal(eu.numpy(), tu.numpy())


@pytest.mark.parametrize("fn,args", [
    ("conv2d", lambda lib: (lib.randn(2, 3, 5, 5, dtype=lib.float64, requires_grad=True),
                            lib.randn(4, 3, 3, 3, dtype=lib.float64, requires_grad=True),
                            lib.randn(4, dtype=lib.float64, requires_grad=True))),
    ("conv_transpose1d", lambda lib: (lib.randn(2, 2, 4, dtype=lib.float64, requires_grad=True),
                                      lib.randn(2, 3, 3, dtype=lib.float64, requires_grad=True))),
    ("max_pool2d", lambda lib: (lib.randn(1, 2, 4, 4, dtype=lib.float64, requires_grad=True), 2)),
    ("avg_pool1d", lambda lib: (lib.randn(1, 2, 6, dtype=lib.float64, requires_grad=True), 3, 2,
                                1)),
])
def test_functional_gradcheck(fn, args):
    a = args(ember)
    f = getattr(ember.nn.functional, fn)
    assert ember.autograd.gradcheck(f, a)
    assert ember.autograd.gradgradcheck(f, a)


def test_conv_errors():
    conv = ember.nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="expected input.*to have 3 channels, but got 2"):
        conv(ember.randn(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        conv(ember.randn(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match="Expected 3D .* or 4D"):
        conv(ember.randn(5, 5))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        ember.nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.Conv2d(3, 4, 3, groups=2)


def test_batchnorm_eval_uses_running_stats_and_counts_batches():
    t, e = _pair("BatchNorm2d(3)")
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    for _ in range(3):
        t(torch.tensor(x))
        e(ember.tensor(x))
    assert e.num_batches_tracked.item() == 3
    t.eval()
    e.eval()
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropout_statistics_and_eval_identity():
    ember.manual_seed(0)
    d = ember.nn.Dropout(0.3)
    y = d(ember.ones(200000))
    kept = (y.numpy() != 0).mean()
    assert abs(kept - 0.7) < 0.01
    np.testing.assert_allclose(y.numpy()[y.numpy() != 0], 1 / 0.7, rtol=1e-6)
    d.eval()
    x = ember.randn(10)
    assert d(x) is x
    z = ember.nn.Dropout2d(0.5)(ember.ones(4, 8, 3, 3))
    per_channel = z.numpy().reshape(32, 9)
    assert all(len(set(row)) == 1 for row in per_channel)


# --- layer norm as one op with its affine (ops/normalization.py: native_layer_norm) ----------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,normalized,bias", [((4, 6, 16), (16,), True),
                                                   ((3, 5, 6, 3), (6, 3), True),
                                                   ((7, 8), (8,), False)])
def test_fused_layer_norm_matches_torch(dtype, shape, normalized, bias):
    rng = np.random.default_rng(0)
    xn = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    wn = rng.standard_normal(normalized).astype(dtype)
    bn = rng.standard_normal(normalized).astype(dtype)
    gn = rng.standard_normal(shape).astype(dtype)
    res = {}
    for lib in (torch, ember):
        x = lib.tensor(xn, requires_grad=True)
        w = lib.tensor(wn, requires_grad=True)
        b = lib.tensor(bn, requires_grad=True) if bias else None
        y = lib.nn.functional.layer_norm(x, normalized, w, b, 1e-5)
        y.backward(lib.tensor(gn))
        res[lib.__name__] = [y.grad_fn.name(), y.detach().numpy(), x.grad.numpy(),
                             w.grad.numpy()] + ([b.grad.numpy()] if bias else [])
    t, e = res["torch"], res["ember"]
    assert e[0] == t[0] == "NativeLayerNormBackward0"
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}
    for a, b in zip(e[1:], t[1:]):
        np.testing.assert_allclose(a, b, **tol)


def test_fused_layer_norm_double_backward_and_frozen_weight():
    rng = np.random.default_rng(1)
    xn, wn, bn = rng.standard_normal((3, 4, 8)), rng.standard_normal(8), rng.standard_normal(8)
    out = {}
    for lib in (torch, ember):
        x = lib.tensor(xn, requires_grad=True)
        w = lib.tensor(wn, requires_grad=True)
        b = lib.tensor(bn)                                  # no gradient wanted for the bias
        y = lib.nn.functional.layer_norm(x, (8,), w, b)
        gx, gw = lib.autograd.grad((y ** 3).sum(), (x, w), create_graph=True)
        hx, hw = lib.autograd.grad((gx ** 2).sum() + (gw ** 2).sum(), (x, w))
        out[lib.__name__] = [gx.detach().numpy(), gw.detach().numpy(), hx.numpy(), hw.numpy()]
    for a, b in zip(out["ember"], out["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    x = ember.tensor(xn, requires_grad=True)
    w = ember.tensor(wn, requires_grad=True)
    assert ember.autograd.gradgradcheck(
        lambda x, w: ember.nn.functional.layer_norm(x, (8,), w, ember.tensor(bn)), (x, w))
