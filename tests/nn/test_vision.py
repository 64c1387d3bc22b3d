"""Vision layers and functions against torch: interpolate/Upsample, grid_sample, affine_grid,
pixel/channel shuffles, unfold/fold, fractional max pooling, local response norm, Bilinear and
the lazy layers. Values, input gradients (random cotangent), reprs, errors; float64 gradcheck
and gradgradcheck for every differentiable op."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch


def F(lib):
    return lib.nn.functional


# --- interpolate -------------------------------------------------------------------------------
INTERP = [
    # (mode, input shape, kwargs)
    ("nearest", (2, 3, 5), {"scale_factor": 2.3}),
    ("nearest", (2, 3, 5), {"size": 3}),
    ("nearest", (2, 3, 5, 7), {"size": (11, 4)}),
    ("nearest", (2, 3, 5, 7), {"scale_factor": (0.6, 2.0)}),
    ("nearest", (1, 2, 3, 4, 5), {"scale_factor": 1.7}),
    ("nearest", (2, 3, 6, 4), {"scale_factor": 2}),
    ("nearest-exact", (2, 3, 5), {"size": 12}),
    ("nearest-exact", (2, 3, 5, 7), {"scale_factor": 0.6}),
    ("nearest-exact", (1, 2, 3, 4, 5), {"size": (5, 3, 7)}),
    ("linear", (2, 3, 5), {"scale_factor": 2.3, "align_corners": False}),
    ("linear", (2, 3, 5), {"size": 11, "align_corners": True}),
    ("linear", (2, 3, 9), {"size": 4}),
    ("linear", (2, 3, 5), {"scale_factor": 1.5, "recompute_scale_factor": True}),
    ("bilinear", (2, 3, 5, 7), {"size": (11, 4), "align_corners": False}),
    ("bilinear", (2, 3, 5, 7), {"scale_factor": 2.3, "align_corners": True}),
    ("bilinear", (2, 3, 8, 9), {"scale_factor": (0.5, 0.7)}),
    ("bilinear", (2, 3, 1, 7), {"size": (3, 1), "align_corners": True}),
    ("bicubic", (2, 3, 5, 7), {"size": (11, 4), "align_corners": False}),
    ("bicubic", (2, 3, 5, 7), {"scale_factor": 2.3, "align_corners": True}),
    ("bicubic", (2, 3, 9, 8), {"scale_factor": 0.6}),
    ("trilinear", (1, 2, 3, 4, 5), {"scale_factor": 2.3, "align_corners": False}),
    ("trilinear", (1, 2, 3, 4, 5), {"size": (2, 7, 3), "align_corners": True}),
    ("area", (2, 3, 9), {"size": 4}),
    ("area", (2, 3, 9, 7), {"size": (4, 10)}),
    ("area", (2, 3, 9, 7), {"scale_factor": 0.6}),
    ("area", (1, 2, 6, 5, 4), {"size": (3, 2, 7)}),
    ("bilinear", (2, 3, 15, 17), {"size": (6, 5), "antialias": True}),
    ("bilinear", (2, 3, 15, 17), {"scale_factor": 0.6, "antialias": True, "align_corners": True}),
    ("bilinear", (2, 3, 5, 6), {"scale_factor": 2.3, "antialias": True}),
    ("bicubic", (2, 3, 15, 17), {"size": (6, 5), "antialias": True}),
    ("bicubic", (2, 3, 15, 17), {"scale_factor": (0.3, 1.4), "antialias": True}),
    ("lanczos", (2, 3, 15, 17), {"size": (6, 5), "antialias": True}),
]


@pytest.mark.parametrize("mode,shape,kw", INTERP, ids=[f"{m}-{s}-{k}" for m, s, k in INTERP])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interpolate_matches_torch(mode, shape, kw, dtype):
    check_against_torch(lambda lib, x: F(lib).interpolate(x, mode=mode, **kw), [shape], dtype,
                        rtol=1e-4 if dtype == "float32" else None,
                        atol=1e-5 if dtype == "float32" else None)


@pytest.mark.parametrize("mode,shape,kw", INTERP[::3], ids=[f"{m}-{k}" for m, _, k in INTERP[::3]])
def test_interpolate_gather_path(mode, shape, kw, monkeypatch):
    """Inputs longer than the dense-matrix threshold resample by gathering taps: force that
    path on small inputs (values, gradients, and the gradient's own gradient)."""
    from ember.ops import vision
    monkeypatch.setattr(vision, "_DENSE_MAX_IN", 0)
    check_against_torch(lambda lib, x: F(lib).interpolate(x, mode=mode, **kw), [shape],
                        "float64")
    x = ember.tensor(np.random.default_rng(0).standard_normal(shape[:2] + tuple(
        min(s, 4) for s in shape[2:])), requires_grad=True)
    def fn(t):
        return ember.nn.functional.interpolate(t, mode=mode, **kw)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_interpolate_large_inputs():
    check_against_torch(lambda lib, x: F(lib).interpolate(x, size=(100, 37), mode="bicubic"),
                        [(1, 2, 70, 90)], rtol=1e-4, atol=1e-5)
    check_against_torch(lambda lib, x: F(lib).interpolate(x, scale_factor=0.3, mode="bilinear",
                                                          antialias=True),
                        [(1, 2, 70, 90)], rtol=1e-4, atol=1e-5)


def test_interpolate_noncontiguous_and_empty_batch():
    check_against_torch(lambda lib, x: F(lib).interpolate(x, scale_factor=2, mode="bilinear"),
                        [(2, 3, 4, 5)], noncontig=True)
    check_against_torch(lambda lib, x: F(lib).interpolate(x, size=(3, 7), mode="bicubic"),
                        [(0, 3, 4, 5)])


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_nearest_integer_input(mode):
    check_against_torch(lambda lib, x: F(lib).interpolate(x, scale_factor=1.7, mode=mode),
                        [(2, 3, 5, 4)], "uint8", 0, 200, grad=False)


def test_interpolate_same_size_is_a_copy():
    x = ember.randn(1, 2, 4, 4)
    y = ember.nn.functional.interpolate(x, size=(4, 4))
    assert y is not x and np.array_equal(y.numpy(), x.numpy())
    y[0, 0, 0, 0] = 100.0
    assert x[0, 0, 0, 0].item() != 100.0


INTERP_ERRORS = [
    ({"size": 4, "scale_factor": 2}, (1, 2, 5), ValueError, "only one of size or scale_factor"),
    ({}, (1, 2, 5), ValueError, "either size or scale_factor should be defined"),
    ({"size": (3, 4)}, (1, 2, 5), ValueError, "same number of spatial dimensions"),
    ({"scale_factor": (2, 2)}, (1, 2, 5), ValueError, "scale_factor must have the same number"),
    ({"size": 4, "mode": "nearest", "align_corners": True}, (1, 2, 5), ValueError,
     "align_corners option can only be set"),
    ({"size": 4, "mode": "bilinear"}, (1, 2, 5), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    ({"size": 4, "mode": "linear"}, (1, 2, 5, 5), NotImplementedError,
     "Got 4D input, but linear mode needs 3D input"),
    ({"size": 4, "mode": "trilinear"}, (1, 2, 5, 5), NotImplementedError,
     "Got 4D input, but trilinear mode needs 5D input"),
    ({"size": 4, "mode": "bicubic"}, (1, 2, 5), NotImplementedError, "Input Error: Only 3D, 4D"),
    ({"size": 4}, (2, 5), NotImplementedError, r"Only 3D, 4D and 5D input Tensors supported"),
    ({"size": 4, "recompute_scale_factor": True}, (1, 2, 5), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
    ({"size": 4, "mode": "nearest", "antialias": True}, (1, 2, 5, 5), ValueError,
     "Anti-alias option is restricted"),
    ({"size": 4, "mode": "lanczos"}, (1, 2, 5, 5), ValueError, "Lanczos mode requires antialias"),
    ({"size": (2.5, 3)}, (1, 2, 5, 5), TypeError, "expected size to be one of int"),
]


@pytest.mark.parametrize("kw,shape,exc,msg", INTERP_ERRORS)
def test_interpolate_errors_match_torch(kw, shape, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            F(lib).interpolate(lib.zeros(shape), **kw)


UPSAMPLE = ["Upsample(scale_factor=2)", "Upsample(size=(3, 7), mode='bilinear')",
            "Upsample(scale_factor=(1.5, 2.0), mode='bicubic', align_corners=True)",
            "Upsample(scale_factor=1.5, mode='nearest', recompute_scale_factor=True)",
            "UpsamplingNearest2d(scale_factor=2)", "UpsamplingBilinear2d(size=(7, 3))"]


@pytest.mark.parametrize("expr", UPSAMPLE)
def test_upsample_modules(expr):
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    assert repr(e) == repr(t)
    check_against_torch(lambda lib, x: (t if lib is torch else e)(x), [(2, 3, 4, 5)])


def test_deprecated_upsample_functions_warn_and_match():
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4)).astype(np.float32)
    for name, kw in [("upsample", {"scale_factor": 2, "mode": "bilinear"}),
                     ("upsample_nearest", {"scale_factor": 2}),
                     ("upsample_bilinear", {"size": (5, 7)})]:
        with pytest.warns(UserWarning, match="is deprecated"):
            tr = getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            er = getattr(ember.nn.functional, name)(ember.tensor(x), **kw)
        np.testing.assert_allclose(er.numpy(), tr.numpy(), rtol=1e-5, atol=1e-6)


# --- grid_sample / affine_grid -----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners):
    check_against_torch(
        lambda lib, x, g: F(lib).grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                             align_corners=align_corners),
        [(2, 3, 5, 6), (2, 4, 7, 2)], "float64", -1.4, 1.4, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_3d_matches_torch(mode, padding_mode, align_corners):
    check_against_torch(
        lambda lib, x, g: F(lib).grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                             align_corners=align_corners),
        [(2, 3, 4, 5, 3), (2, 3, 2, 4, 3)], "float64", -1.4, 1.4, rtol=1e-8, atol=1e-10)


def test_grid_sample_float32_and_unit_sizes():
    check_against_torch(lambda lib, x, g: F(lib).grid_sample(x, g, align_corners=False),
                        [(2, 3, 5, 6), (2, 4, 7, 2)], "float32", -1.2, 1.2, rtol=1e-4,
                        atol=1e-5)
    for pm in ("border", "reflection"):
        check_against_torch(lambda lib, x, g, pm=pm: F(lib).grid_sample(x, g, padding_mode=pm,
                                                                        align_corners=True),
                            [(1, 2, 1, 4), (1, 3, 2, 2)], "float64", -1.4, 1.4)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 3, 3, 4, 5)])
def test_affine_grid_matches_torch(align_corners, size):
    nd = len(size) - 2
    check_against_torch(lambda lib, t: F(lib).affine_grid(t, size, align_corners=align_corners),
                        [(2, nd, nd + 1)], "float64")


def test_affine_grid_then_grid_sample_identity():
    theta = ember.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]).double()
    x = ember.randn(1, 2, 4, 5, dtype=ember.float64)
    grid = ember.nn.functional.affine_grid(theta, (1, 2, 4, 5), align_corners=False)
    y = ember.nn.functional.grid_sample(x, grid, align_corners=False)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)


GRID_ERRORS = [
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 4, 4), lib.zeros(1, 2, 2, 3),
                                    align_corners=False), RuntimeError, "size 2 in last dim"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 4, 4), lib.zeros(2, 2, 2, 2),
                                    align_corners=False), RuntimeError, "same batch size"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 4, 4, 4), lib.zeros(1, 2, 2, 2, 3),
                                    mode="bicubic", align_corners=False), RuntimeError,
     "bicubic interpolation only supports 4D input"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 4, 4), lib.zeros(1, 2, 2, 2), mode="foo",
                                    align_corners=False), ValueError, "expected mode to be"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 4, 4), lib.zeros(1, 2, 2, 2),
                                    padding_mode="foo", align_corners=False), ValueError,
     "expected padding_mode"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 3, 0, 4), lib.zeros(1, 2, 2, 2),
                                    align_corners=False), RuntimeError,
     "non-empty spatial dimensions"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 3, 4), align_corners=False),
     NotImplementedError, "affine_grid only supports 4D and 5D sizes"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 3, 3), (1, 3, 4, 4), align_corners=False),
     ValueError, "Expected a batch of 2D affine matrices of shape Nx2x3"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 3, 3), (1, 3, 4, 4, 4), align_corners=False),
     ValueError, "Expected a batch of 3D affine matrices of shape Nx3x4"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), (1, 3, 4, 4),
                                    align_corners=False), ValueError,
     "Expected theta to have floating point type"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 3, 0, 4), align_corners=False),
     ValueError, "Expected non-zero, positive output size"),
]


@pytest.mark.parametrize("fn,exc,msg", GRID_ERRORS)
def test_grid_errors_match_torch(fn, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            fn(lib)


def test_grid_sample_align_corners_warning():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F(lib).grid_sample(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 1, 2, 2))


# --- shuffles, unfold/fold -----------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape", [
    (lambda lib, x: F(lib).pixel_shuffle(x, 2), (2, 8, 3, 4)),
    (lambda lib, x: F(lib).pixel_shuffle(x, 3), (9, 2, 3)),
    (lambda lib, x: F(lib).pixel_shuffle(x, 2), (2, 3, 4, 2, 2)),
    (lambda lib, x: F(lib).pixel_unshuffle(x, 2), (2, 3, 4, 6)),
    (lambda lib, x: F(lib).pixel_unshuffle(x, 3), (2, 2, 1, 6, 3)),
    (lambda lib, x: F(lib).channel_shuffle(x, 3), (2, 6, 4, 5)),
    (lambda lib, x: F(lib).channel_shuffle(x, 2), (2, 4, 3)),
    (lambda lib, x: F(lib).channel_shuffle(x, 2), (2, 4, 3, 2, 2)),
    (lambda lib, x: F(lib).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     (2, 3, 7, 8)),
    (lambda lib, x: F(lib).unfold(x, 2), (3, 4, 5)),
    (lambda lib, x: F(lib).unfold(x, 3, padding=2, stride=3), (2, 2, 5, 4)),
    (lambda lib, x: F(lib).fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     (2, 18, 12)),
    (lambda lib, x: F(lib).fold(x, 4, 2), (8, 9)),
    (lambda lib, x: F(lib).fold(x, (5, 4), 3, padding=1, stride=2), (2, 27, 6)),
])
def test_rearrangements_match_torch(fn, shape):
    check_against_torch(fn, [shape])


def test_fold_of_unfold_counts_overlaps():
    x = ember.ones(1, 2, 5, 5)
    cols = ember.nn.functional.unfold(x, 3, padding=1)
    back = ember.nn.functional.fold(cols, (5, 5), 3, padding=1)
    tx = torch.ones(1, 2, 5, 5)
    tback = torch.nn.functional.fold(torch.nn.functional.unfold(tx, 3, padding=1), (5, 5), 3,
                                     padding=1)
    np.testing.assert_array_equal(back.numpy(), tback.numpy())


SHUFFLE_ERRORS = [
    (lambda lib: F(lib).pixel_shuffle(lib.zeros(2, 3), 2), "at least 3 dimensions"),
    (lambda lib: F(lib).pixel_shuffle(lib.zeros(1, 3, 2, 2), 2), "divisible by the square"),
    (lambda lib: F(lib).pixel_shuffle(lib.zeros(1, 4, 2, 2), 0), "positive upscale_factor"),
    (lambda lib: F(lib).pixel_unshuffle(lib.zeros(1, 4, 3, 2), 2), "height to be divisible"),
    (lambda lib: F(lib).pixel_unshuffle(lib.zeros(1, 4, 2, 3), 2), "width to be divisible"),
    (lambda lib: F(lib).pixel_unshuffle(lib.zeros(1, 4, 2, 2), 0), "positive downscale_factor"),
    (lambda lib: F(lib).channel_shuffle(lib.zeros(1, 4, 2, 2), 3),
     "Number of channels must be divisible by groups"),
    (lambda lib: F(lib).channel_shuffle(lib.zeros(4), 2), "expects input with > 2 dims"),
    (lambda lib: F(lib).channel_shuffle(lib.zeros(1, 4, 2), 0), "must be positive"),
    (lambda lib: F(lib).unfold(lib.zeros(2, 3, 4, 5, 6), 2), "Expected 3D or 4D"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 3, 4, 4), 5),
     "calculated shape of the array of sliding blocks"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 3, 4, 4), 0), "kernel size should be greater"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 3, 4, 4), 2, stride=0), "stride should be greater"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 3, 4, 4), 2, padding=-1),
     "padding should be non-negative"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 3, 4, 4), 2, dilation=0),
     "dilation should be greater"),
    (lambda lib: F(lib).fold(lib.zeros(1, 13, 9), (4, 4), 2), "divisible by the product"),
    (lambda lib: F(lib).fold(lib.zeros(1, 12, 8), (4, 4), 2),
     "match the calculated number of sliding blocks 3 \\* 3 = 9"),
    (lambda lib: F(lib).fold(lib.zeros(1, 2, 12, 8), (4, 4), 2), "Expected 2D or 3D"),
]


@pytest.mark.parametrize("fn,msg", SHUFFLE_ERRORS)
def test_rearrangement_errors_match_torch(fn, msg):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match=msg):
            fn(lib)


# --- fractional max pooling ------------------------------------------------------------------
FMP = [
    (2, (2, 3, 9, 10), 2, {"output_size": (4, 5)}),
    (2, (2, 3, 9, 10), 3, {"output_size": 4}),
    (2, (2, 3, 9, 10), (2, 3), {"output_size": (5, 3)}),
    (2, (2, 3, 9, 10), 3, {"output_ratio": (0.5, 0.6)}),
    (2, (3, 7, 8), 2, {"output_size": (3, 4)}),
    (2, (1, 2, 5, 5), 2, {"output_size": (4, 1)}),
    (3, (2, 3, 6, 7, 5), 2, {"output_size": (3, 4, 3)}),
    (3, (1, 2, 7, 6, 8), (3, 2, 2), {"output_ratio": (0.5, 0.5, 0.5)}),
    (3, (2, 5, 6, 5), 2, {"output_size": 2}),
]


@pytest.mark.parametrize("nd,shape,k,kw", FMP)
def test_fractional_max_pool_matches_torch(nd, shape, k, kw):
    n = shape[0] if len(shape) == nd + 2 else 1
    c = shape[-nd - 1]
    samples = np.random.default_rng(3).random((n, c, nd))
    fn = "fractional_max_pool2d" if nd == 2 else "fractional_max_pool3d"

    def run(lib, x):
        s = lib.tensor(samples, dtype=x.dtype)
        return getattr(F(lib), fn)(x, k, return_indices=True, _random_samples=s, **kw)
    for dtype in ("float32", "float64"):
        check_against_torch(lambda lib, x: run(lib, x)[0], [shape], dtype)
    x = np.random.default_rng(0).standard_normal(shape)
    ei = run(ember, ember.tensor(x))[1]
    ti = run(torch, torch.tensor(x))[1]
    assert ei.dtype == ember.int64
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())


def test_fractional_max_pool_ties_and_samples_near_one():
    x = np.zeros((1, 2, 8, 8), dtype=np.float32)       # all ties: the first element wins
    x[0, 1, 3:5, 3:5] = 1
    s = np.array([[[0.999, 0.0], [0.5, 0.9999]]], dtype=np.float32)
    for k, o in [(2, 5), (3, 4)]:
        tv, ti = torch.nn.functional.fractional_max_pool2d(
            torch.tensor(x), k, output_size=o, return_indices=True, _random_samples=torch.tensor(s))
        ev, ei = ember.nn.functional.fractional_max_pool2d(
            ember.tensor(x), k, output_size=o, return_indices=True, _random_samples=ember.tensor(s))
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())


def test_fractional_max_pool_modules():
    for expr in ["FractionalMaxPool2d(3, output_ratio=0.5)",
                 "FractionalMaxPool2d((2, 3), output_size=(4, 3), return_indices=True)",
                 "FractionalMaxPool3d(2, output_size=(3, 3, 2))"]:
        t = eval("torch.nn." + expr, {"torch": torch})
        e = eval("ember.nn." + expr, {"ember": ember})
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict()) == []
    # fixed samples registered as a buffer give deterministic windows
    s = np.random.default_rng(1).random((2, 3, 2)).astype(np.float32)
    t = torch.nn.FractionalMaxPool2d(2, output_size=(4, 4), _random_samples=torch.tensor(s))
    e = ember.nn.FractionalMaxPool2d(2, output_size=(4, 4), _random_samples=ember.tensor(s))
    assert list(e.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    check_against_torch(lambda lib, x: (t if lib is torch else e)(x), [(2, 3, 9, 8)])
    # fresh samples each call: the output shape is fixed, the windows vary
    m = ember.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))
    assert tuple(m(ember.randn(2, 3, 12, 10)).shape) == (2, 3, 6, 5)


FMP_ERRORS = [
    (lambda lib: F(lib).fractional_max_pool2d(lib.zeros(1, 3, 4, 4), 3, output_size=3),
     RuntimeError, "pool height 3 too large relative to input height 4"),
    (lambda lib: F(lib).fractional_max_pool2d(lib.zeros(1, 3, 4, 4), 2), ValueError,
     "requires specifying either an output_size or an output_ratio"),
    (lambda lib: F(lib).fractional_max_pool2d(lib.zeros(1, 3, 4, 4), 2, output_size=2,
                                              _random_samples=lib.rand(1, 2, 2)),
     RuntimeError, "Expect _random_samples.size\\(1\\) equals to input channel size"),
    (lambda lib: F(lib).fractional_max_pool3d(lib.zeros(1, 3, 4, 4, 4), 3, output_size=3),
     RuntimeError, "pool time 3 too large relative to input time 4"),
    (lambda lib: lib.nn.FractionalMaxPool2d(2), ValueError,
     "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio"),
    (lambda lib: lib.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5), ValueError,
     "only one of output_size and output_ratio may be specified"),
    (lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError,
     "output_ratio must be between 0 and 1"),
    (lambda lib: lib.nn.FractionalMaxPool3d(0, output_size=2), ValueError,
     "kernel_size must be greater than 0"),
]


@pytest.mark.parametrize("fn,exc,msg", FMP_ERRORS)
def test_fractional_max_pool_errors_match_torch(fn, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            fn(lib)


# --- local response norm, bilinear -------------------------------------------------------------
@pytest.mark.parametrize("shape,args", [((2, 6, 5), (3,)), ((2, 6, 4, 5), (4, 0.1, 0.5, 2.0)),
                                        ((2, 6, 3, 4, 5), (2,)), ((2, 3, 4), (7, 1e-2))])
def test_local_response_norm_matches_torch(shape, args):
    check_against_torch(lambda lib, x: F(lib).local_response_norm(x, *args), [shape])
    t, e = torch.nn.LocalResponseNorm(*args), ember.nn.LocalResponseNorm(*args)
    assert repr(e) == repr(t)
    check_against_torch(lambda lib, x: (t if lib is torch else e)(x), [shape])


def test_local_response_norm_errors_and_empty():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
            F(lib).local_response_norm(lib.zeros(3, 4), 2)
    x = ember.zeros(0, 3, 4)
    assert ember.nn.functional.local_response_norm(x, 2).shape == (0, 3, 4)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 5), (6, 4, 5), (6,)],
                                    [(2, 3, 4), (2, 3, 5), (6, 4, 5)],
                                    [(4,), (5,), (2, 4, 5), (2,)]])
def test_bilinear_functional_matches_torch(shapes):
    check_against_torch(lambda lib, *a: F(lib).bilinear(*a), shapes, rtol=1e-4, atol=1e-5)


BILINEAR_ERRORS = [
    ([(3, 4), (3, 5), (6, 4, 4)], "input2 size does not match weight size: got 5 but expected 4"),
    ([(3, 4), (2, 5), (6, 4, 5)], "input batch dimensions do not match at dim 0: got 3 and 2"),
    ([(3, 4), (3, 5), (6, 4, 5), (5,)], "bias size does not match weight size: got 5"),
    ([(3, 2, 4), (3, 5), (6, 4, 5)], "input dimensions do not match: got 3 and 2"),
]


@pytest.mark.parametrize("shapes,msg", BILINEAR_ERRORS)
def test_bilinear_errors_match_torch(shapes, msg):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match=msg):
            F(lib).bilinear(*[lib.zeros(s) for s in shapes])


# --- modules through torch's state_dict -------------------------------------------------------
MODULES = [
    ("PixelShuffle(2)", [(2, 8, 3, 4)]),
    ("PixelUnshuffle(2)", [(2, 2, 4, 6)]),
    ("ChannelShuffle(2)", [(2, 4, 3, 3)]),
    ("Unfold(kernel_size=(2, 3), dilation=2, padding=1, stride=3)", [(2, 3, 7, 8)]),
    ("Unfold(2)", [(2, 3, 4, 4)]),
    ("Fold(output_size=(4, 5), kernel_size=2)", [(2, 12, 12)]),
    ("Fold((3, 4), (2, 1), dilation=2, padding=1, stride=(2, 1))", [(1, 6, 12)]),
    ("Bilinear(4, 5, 3)", [(6, 4), (6, 5)]),
    ("Bilinear(2, 3, 4, bias=False)", [(2, 5, 2), (2, 5, 3)]),
]


@pytest.mark.parametrize("expr,shapes", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(expr, shapes):
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    check_against_torch(lambda lib, *xs: (t if lib is torch else e)(*xs), shapes, rtol=1e-4,
                        atol=1e-5)
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=n)


def test_bilinear_init_distribution():
    m = ember.nn.Bilinear(16, 5, 40)
    bound = 1 / 4
    w = m.weight.detach().numpy()
    assert w.shape == (40, 16, 5) and np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        ember.nn.Bilinear(0, 2, 3)


# --- lazy modules ------------------------------------------------------------------------------
LAZY = [
    ("LazyLinear(4)", (2, 3)),
    ("LazyLinear(4, bias=False)", (2, 5, 3)),
    ("LazyConv1d(4, 3, stride=2)", (2, 3, 9)),
    ("LazyConv1d(4, 3)", (3, 9)),
    ("LazyConv2d(4, 3, padding=1, groups=2)", (2, 6, 5, 5)),
    ("LazyConv3d(2, 2, bias=False)", (1, 3, 4, 4, 3)),
    ("LazyConvTranspose1d(4, 3, stride=2, output_padding=1)", (2, 3, 5)),
    ("LazyConvTranspose2d(4, 3, groups=2)", (2, 6, 4, 4)),
    ("LazyConvTranspose3d(2, 2, stride=2)", (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("expr,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_modules_materialise_like_torch(expr, shape):
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    assert repr(e) == repr(t)
    assert e.has_uninitialized_params()
    assert [repr(v) for v in e.state_dict().values()] == \
        [repr(v) for v in t.state_dict().values()]
    params_before = list(e.parameters())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t(torch.tensor(x))
    ey = e(ember.tensor(x))
    assert type(e).__name__ == type(t).__name__ and repr(e) == repr(t)
    assert not hasattr(e, "_initialize_hook")
    assert [p is q for p, q in zip(params_before, e.parameters())] == [True] * len(params_before)
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert type(e.weight) is ember.nn.Parameter
    # initialised like the eager layer: bounded by 1/sqrt(fan_in)
    fan_in = int(np.prod(e.weight.shape[1:]))
    assert np.abs(e.weight.detach().numpy()).max() <= 1 / np.sqrt(fan_in) + 1e-6
    assert tuple(ey.shape) == tuple(t(torch.tensor(x)).shape)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    check_against_torch(lambda lib, a: (t if lib is torch else e)(a), [shape], rtol=1e-4,
                        atol=1e-5)


def test_lazy_errors_and_uninitialized_parameter():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.zeros(2, 3, 8, 8))
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) "
                                               "input to LazyConv2d"):
            lib.nn.LazyConv2d(4, 3)(lib.zeros(8, 8))
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            _ = lib.nn.LazyLinear(3).weight.shape
    p = ember.nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad
    p.materialize((2, 3))
    assert type(p) is ember.nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad
    b = ember.nn.UninitializedBuffer()
    assert repr(b) == "<UninitializedBuffer>"
    b.materialize(4, dtype=ember.float64)
    assert type(b) is ember.Tensor and b.dtype == ember.float64


def test_lazy_linear_trains_with_optimizer_created_first():
    m = ember.nn.LazyLinear(1)
    x = ember.randn(16, 3)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5]])
    m(x)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    first = None
    for _ in range(50):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first * 0.05


# --- gradcheck / gradgradcheck in float64 ------------------------------------------------------
def _x(*shape, lo=-1.0, hi=1.0, seed=0):
    a = np.random.default_rng(seed).uniform(lo, hi, shape)
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


_SMP = ember.tensor([[[0.3, 0.6], [0.9, 0.1]]], dtype=ember.float64)
GRADCHECK = [
    ("interp-nearest", lambda: ((_x(1, 2, 3, 4),),
                                lambda x: ember.nn.functional.interpolate(x, scale_factor=1.7))),
    ("interp-linear", lambda: ((_x(1, 2, 4),), lambda x: ember.nn.functional.interpolate(
        x, size=7, mode="linear"))),
    ("interp-bilinear-ac", lambda: ((_x(1, 2, 3, 4),), lambda x: ember.nn.functional.interpolate(
        x, size=(5, 3), mode="bilinear", align_corners=True))),
    ("interp-bicubic", lambda: ((_x(1, 1, 4, 4),), lambda x: ember.nn.functional.interpolate(
        x, scale_factor=1.5, mode="bicubic"))),
    ("interp-trilinear", lambda: ((_x(1, 1, 2, 3, 3),), lambda x: ember.nn.functional.interpolate(
        x, size=(3, 2, 4), mode="trilinear"))),
    ("interp-area", lambda: ((_x(1, 2, 7, 5),), lambda x: ember.nn.functional.interpolate(
        x, size=(3, 4), mode="area"))),
    ("interp-antialias", lambda: ((_x(1, 1, 9, 8),), lambda x: ember.nn.functional.interpolate(
        x, size=(4, 3), mode="bicubic", antialias=True))),
    ("grid-bilinear", lambda: ((_x(1, 2, 3, 4), _x(1, 3, 2, 2, lo=-1.2, hi=1.2, seed=1)),
                               lambda x, g: ember.nn.functional.grid_sample(
                                   x, g, padding_mode="reflection", align_corners=False))),
    ("grid-bilinear-3d", lambda: ((_x(1, 1, 3, 3, 2), _x(1, 2, 2, 1, 3, lo=-1.2, hi=1.2, seed=1)),
                                  lambda x, g: ember.nn.functional.grid_sample(
                                      x, g, padding_mode="border", align_corners=True))),
    ("grid-bicubic", lambda: ((_x(1, 2, 4, 4), _x(1, 2, 2, 2, lo=-1.2, hi=1.2, seed=1)),
                              lambda x, g: ember.nn.functional.grid_sample(
                                  x, g, mode="bicubic", align_corners=False))),
    ("grid-nearest", lambda: ((_x(1, 2, 4, 4), ember.tensor(np.random.default_rng(1).uniform(
        -1, 1, (1, 2, 2, 2)))), lambda x, g: ember.nn.functional.grid_sample(
            x, g, mode="nearest", align_corners=False))),
    ("affine-grid", lambda: ((_x(2, 2, 3),), lambda t: ember.nn.functional.affine_grid(
        t, (2, 1, 3, 4), align_corners=False))),
    ("unfold", lambda: ((_x(1, 2, 4, 5),), lambda x: ember.nn.functional.unfold(
        x, (2, 3), padding=1, stride=(1, 2)))),
    ("fold", lambda: ((_x(1, 8, 16),), lambda x: ember.nn.functional.fold(
        x, (3, 4), 2, dilation=(1, 2), padding=1))),
    ("pixel-shuffle", lambda: ((_x(1, 8, 2, 3),), lambda x: ember.nn.functional.pixel_shuffle(
        x, 2))),
    ("pixel-unshuffle", lambda: ((_x(1, 2, 4, 2),),
                                 lambda x: ember.nn.functional.pixel_unshuffle(x, 2))),
    ("channel-shuffle", lambda: ((_x(1, 4, 2, 2),),
                                 lambda x: ember.nn.functional.channel_shuffle(x, 2))),
    ("fractional-max", lambda: ((_x(1, 2, 5, 5),), lambda x: ember.nn.functional.
                                fractional_max_pool2d(x, 2, output_size=3, _random_samples=_SMP))),
    ("lrn", lambda: ((_x(2, 4, 3, lo=0.2),), lambda x: ember.nn.functional.local_response_norm(
        x, 3, alpha=0.5))),
    ("bilinear", lambda: ((_x(2, 3), _x(2, 2, seed=1), _x(4, 3, 2, seed=2), _x(4, seed=3)),
                          lambda a, b, w, c: ember.nn.functional.bilinear(a, b, w, c))),
]


@pytest.mark.parametrize("name,make", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck_float64(name, make):
    inputs, fn = make()
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)


def test_small_cnn_with_vision_layers_trains():
    """A tiny U-Net-like model (unfold, pixel shuffle, upsample, grid-sampled augmentation)
    learns a fixed target: the layers compose and their gradients drive learning."""
    ember.manual_seed(0)
    nn = ember.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.PixelUnshuffle(2),
                          nn.Conv2d(32, 16, 1), nn.ReLU(), nn.Upsample(scale_factor=2,
                                                                       mode="bilinear"),
                          nn.Conv2d(16, 1, 3, padding=1))
    x = ember.randn(4, 1, 8, 8)
    target = ember.nn.functional.avg_pool2d(x, 3, 1, 1)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_lazy_load_state_dict_materialises():
    torch.manual_seed(0)
    src = torch.nn.Linear(3, 4)
    sd = src.state_dict()
    t, e = torch.nn.LazyLinear(4), ember.nn.LazyLinear(4)
    t.load_state_dict(sd)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    assert repr(e) == repr(t) and tuple(e.weight.shape) == (4, 3)
    assert type(e).__name__ == "LazyLinear"
    check_against_torch(lambda lib, x: (t if lib is torch else e)(x), [(2, 3)])
    assert repr(e) == repr(t) == "Linear(in_features=3, out_features=4, bias=True)"
    c = ember.nn.LazyConv2d(2, 3)
    c.load_state_dict(ember.nn.Conv2d(5, 2, 3).state_dict())
    assert tuple(c.weight.shape) == (2, 5, 3, 3)
    assert tuple(c(ember.randn(1, 5, 4, 4)).shape) == (1, 2, 2, 2)
