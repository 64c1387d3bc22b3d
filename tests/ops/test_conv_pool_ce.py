"""The training hot paths against torch: chunked im2col convolution and its adjoints, the
non-overlapping max-pool path and the fused class-index cross-entropy (benchmarks/NOTES.md)."""
import numpy as np
import pytest
import torch

import ember
from ember.ops import conv as conv_ops
from tests.helpers.oracle import check_against_torch

CONVS = [
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 3), {}),
    ("conv2d", (2, 4, 8, 7), (6, 2, 3, 2),
     {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}),
    ("conv2d", (3, 4, 5, 5), (6, 4, 1, 1), {}),                     # 1x1: no column copy
    ("conv2d", (2, 4, 5, 5), (6, 4, 1, 1), {"stride": 2}),          # 1x1, strided view
    ("conv2d", (3, 2, 3, 3), (8, 2, 3, 3), {}),                     # Og > L: per-sample sum
    ("conv2d", (3, 4, 3, 3), (8, 2, 3, 3), {"groups": 2}),
    ("conv2d", (2, 1, 12, 12), (6, 1, 5, 5), {"padding": 2}),       # LeNet's first layer
    ("conv2d", (3, 1, 28, 28), (6, 1, 5, 5), {"padding": 2}),       # L = 784: per-sample
    ("conv2d", (2, 2, 13, 18), (3, 2, 3, 3),
     {"stride": (2, 1), "dilation": (1, 2), "padding": (1, 2)}),
    ("conv1d", (2, 3, 9), (4, 3, 3), {"padding": 1}),
    ("conv3d", (2, 2, 5, 4, 6), (3, 2, 2, 2, 2), {"stride": 2, "padding": 1}),
    ("conv2d", (0, 3, 5, 5), (4, 3, 3, 3), {}),                     # empty batch
]


@pytest.fixture(params=["auto", "per_sample", "batch_last"])
def layout(request, monkeypatch):
    """Both conv layouts on every case: per-sample columns (N, C, *k, *out) and batch-last
    columns (C, *k, *out, N), which the kernels choose between by the output size."""
    if request.param != "auto":
        monkeypatch.setattr(conv_ops, "_BATCH_LAST_MAX_L",
                            -1 if request.param == "per_sample" else 1 << 30)
    return request.param


@pytest.mark.parametrize("name,xs,ws,kw", CONVS, ids=[f"{c[0]}{c[1]}{c[3]}" for c in CONVS])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_torch(name, xs, ws, kw, bias, layout):
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    check_against_torch(lambda lib, *a: getattr(lib.nn.functional, name)(*a, **kw), shapes,
                        "float64")


@pytest.mark.parametrize("xs,dtype", [
    ((2, 3, 10, 10), "float64"),    # 81 positions: spatial sum as a product, batch summed plainly
    ((64, 2, 9, 9), "float32"),     # 64 positions and 64 samples: both sums as products
    ((64, 2, 4, 4), "float64"),     # 9 positions: NumPy's sum
])
def test_conv_bias_gradient_as_products(xs, dtype):
    # Note [Conv bias gradient as products]: the bias gradient against torch's, and by finite
    # differences in float64
    check_against_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b),
                        [xs, (3, xs[1], 2, 2), (3,)], dtype,
                        **({"rtol": 1e-4, "atol": 1e-4} if dtype == "float32" else {}))
    if dtype == "float64":
        rng = np.random.default_rng(1)
        x, w, b = (ember.tensor(rng.standard_normal(s), requires_grad=True)
                   for s in (xs, (3, xs[1], 2, 2), (3,)))
        assert ember.autograd.gradcheck(lambda b: ember.nn.functional.conv2d(x, w, b), (b,))


@pytest.mark.parametrize("noncontig", [False, True])
def test_conv_non_contiguous_inputs(noncontig, layout):
    check_against_torch(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1),
                        [(2, 3, 6, 5), (4, 3, 3, 3)], "float32", noncontig=noncontig,
                        rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("chunk_bytes", [1, 25000])
def test_conv_many_chunks(monkeypatch, layout, chunk_bytes):
    # a tiny workspace forces one sample (or output row) per chunk; 25000 bytes make chunks of
    # 3 samples or 4 rows for the first case, the last one partial: forward and weight gradient
    # add up the chunks
    monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", chunk_bytes)
    check_against_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1),
                        [(5, 3, 6, 5), (4, 3, 3, 3), (4,)], "float64")
    check_against_torch(lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=2),
                        [(5, 4, 4, 4), (6, 2, 3, 3)], "float64")


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 2, 5, 4), (3, 2, 3, 2), {"padding": 1}),
    ("conv2d", (2, 4, 4, 4), (4, 2, 2, 2), {"stride": 2, "groups": 2}),
    ("conv2d", (2, 2, 3, 3), (5, 2, 3, 3), {}),
    ("conv1d", (2, 2, 6), (3, 2, 3), {"dilation": 2}),
    ("conv_transpose2d", (2, 2, 3, 3), (2, 3, 2, 2), {"stride": 2}),
    ("conv2d", (2, 1, 3, 18), (2, 1, 2, 3), {"padding": (0, 1)}),
])
def test_conv_gradcheck_and_gradgradcheck(name, xs, ws, kw, layout):
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal(xs), requires_grad=True)
    w = ember.tensor(rng.standard_normal(ws), requires_grad=True)
    f = lambda a, b: getattr(ember.nn.functional, name)(a, b, **kw)
    assert ember.autograd.gradcheck(f, (x, w))
    assert ember.autograd.gradgradcheck(f, (x, w))


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 2, 5, 4), (3, 2, 3, 2), {"padding": 1}),
    ("conv_transpose2d", (2, 2, 3, 3), (2, 3, 2, 2), {"stride": 2}),
    ("conv1d", (2, 4, 6), (4, 2, 3), {"groups": 2}),
])
def test_conv_complex_gradients_match_torch(name, xs, ws, kw, layout):
    # torch's conjugate-Wirtinger convention: grad_x = conv_transpose(g, conj(w)), grad_w from
    # conj(x); second order through every adjoint (each rule conjugates its kept operand)
    rng = np.random.default_rng(3)

    def c(shape):
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    xa, wa = c(xs), c(ws)
    ys = tuple(getattr(torch.nn.functional, name)(torch.tensor(xa), torch.tensor(wa), **kw).shape)
    ga, ux, uw = c(ys), c(xs), c(ws)
    res = {}
    for lib in (torch, ember):
        x, w = lib.tensor(xa, requires_grad=True), lib.tensor(wa, requires_grad=True)
        g = lib.tensor(ga, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, w, **kw)
        gx, gw = lib.autograd.grad(y, (x, w), g, create_graph=True)
        s = (gx * lib.tensor(ux)).real.sum() + (gw * lib.tensor(uw)).imag.sum()
        res[lib] = [gx, gw, *lib.autograd.grad(s, (x, w, g))]
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_conv_non_finite_input(layout):
    # inf in x reaches only the outputs and weight-gradient entries whose windows hold it
    def specials(a):
        if a.shape != (2, 1, 28, 28):
            return a
        a = a.copy()
        a[0, 0, 3, 27] = np.inf
        a[1, 0, 10, 0] = -np.inf
        return a
    check_against_torch(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=2),
                        [(2, 1, 28, 28), (3, 1, 5, 5)], "float64", transform=specials)


def test_conv_scratch_buffers_are_per_thread():
    # the kernels' reused temporaries (Note [Conv workspace]) must not be shared by threads;
    # the kernels are called directly (autograd's grad mode is not what this checks)
    import threading

    from ember.ops import pooling as pool_ops
    geom = {"stride": (1, 1), "padding": (1, 1), "dilation": (1, 1), "groups": 1}

    def run(seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((4 + seed, 3, 12, 12))
        w = rng.standard_normal((5, 3, 3, 3))
        y = conv_ops.CONV.forward(None, x, w, None, **geom)
        saved = pool_ops._WindowArg()
        p = pool_ops._max_pool_window.forward(None, y, saved, (2, 2))
        g = pool_ops._window_scatter.forward(None, 2 * p, saved.arg, (2, 2))
        return [y, p, g, conv_ops.CONV_INPUT_GRAD.forward(None, g, w, x_shape=x.shape, **geom),
                conv_ops.CONV_WEIGHT_GRAD.forward(None, g, x, w_shape=w.shape, **geom)]
    want = [run(s) for s in range(4)]
    errors = []

    def worker(s):
        try:
            for _ in range(30):
                for a, b in zip(run(s), want[s]):
                    np.testing.assert_array_equal(a, b)
        except AssertionError as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_conv_weight_only_and_input_only_gradients():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    for need_x, need_w in ((True, False), (False, True)):
        tx, tw = torch.tensor(x, requires_grad=need_x), torch.tensor(w, requires_grad=need_w)
        ex, ew = ember.tensor(x, requires_grad=need_x), ember.tensor(w, requires_grad=need_w)
        torch.nn.functional.conv2d(tx, tw, padding=1).square().sum().backward()
        ember.nn.functional.conv2d(ex, ew, padding=1).square().sum().backward()
        for t, e in ((tx, ex), (tw, ew)):
            assert (e.grad is None) == (t.grad is None)
            if t.grad is not None:
                np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10)


# --- max pooling with kernel == stride ------------------------------------------------------------
POOLS = [("max_pool2d", (2, 3, 8, 6), 2), ("max_pool2d", (3, 4, 6), 2),       # unbatched
         ("max_pool2d", (2, 2, 9, 6), 3), ("max_pool1d", (2, 3, 10), 5),
         ("max_pool3d", (1, 2, 4, 6, 8), 2), ("max_pool2d", (2, 3, 4, 6), (2, 3)),
         ("max_pool2d", (0, 3, 4, 4), 2),
         ("max_pool2d", (1, 2, 32, 32), 16),      # 256 offsets: the most a uint8 holds
         ("max_pool2d", (1, 2, 34, 17), 17)]      # 289 offsets: the general path


@pytest.mark.parametrize("name,shape,k", POOLS, ids=[f"{p[1]}k{p[2]}" for p in POOLS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_non_overlapping(name, shape, k, dtype):
    check_against_torch(lambda lib, x: getattr(lib.nn.functional, name)(x, k), [shape], dtype)


def _ties(a):
    # few distinct values: windows hold ties, and the first maximum must take the gradient
    return np.round(a)


def test_max_pool_ties_nan_inf_and_non_contiguous():
    check_against_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(2, 3, 6, 8)],
                        transform=_ties)
    check_against_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(2, 3, 6, 8)],
                        noncontig=True)

    def specials(a):
        a = a.copy()
        a[0, 0, 0, :4] = [np.nan, 1.0, np.nan, 0.5]       # two NaNs in one window
        a[0, 1, 2:4, 2:4] = -np.inf                         # a window of -inf only
        a[1, 0, 0, 1] = np.inf
        a[1, 0, 1, 0] = np.nan                              # inf before NaN: NaN wins
        return a
    check_against_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(2, 3, 4, 4)],
                        transform=specials)


@pytest.mark.parametrize("name,shape,k", [
    ("max_pool1d", (2, 3, 12), 4), ("max_pool2d", (2, 3, 9, 8), (3, 2)),
    ("max_pool2d", (2, 3, 6, 8), (1, 2)), ("max_pool3d", (2, 2, 4, 6, 6), (2, 3, 2))])
def test_max_pool_stages_ties_and_nan(name, shape, k):
    # the window max runs one dimension at a time: the first maximum in row-major window order
    # must still win ties, and the last NaN the window
    def specials(a):
        a = np.round(a)
        flat = a.reshape(-1)
        flat[::7] = np.nan
        flat[3::11] = np.inf
        return a
    for transform in (np.round, lambda a: np.maximum(np.round(a), 0), specials):
        check_against_torch(lambda lib, x: getattr(lib.nn.functional, name)(x, k), [shape],
                            transform=transform)


def test_max_pool_stages_double_backward():
    x = ember.tensor(np.random.default_rng(4).standard_normal((2, 2, 4, 6, 6)), requires_grad=True)
    f = lambda a: ember.nn.functional.max_pool3d(a, (2, 3, 2))
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_max_pool_backward_with_non_finite_gradient():
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    cot = np.ones((1, 1, 2, 2), dtype=np.float32)
    cot[0, 0, 0, 0] = np.inf
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2).backward(torch.tensor(cot))
    ember.nn.functional.max_pool2d(ex, 2).backward(ember.tensor(cot))
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())    # zeros stay zeros


def test_max_pool_non_overlapping_gradcheck():
    x = ember.tensor(np.random.default_rng(2).standard_normal((2, 2, 4, 6)), requires_grad=True)
    f = lambda a: ember.nn.functional.max_pool2d(a, 2)
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))
    assert f(x).grad_fn.name() == "MaxPool2DWithIndicesBackward0"


# --- fused cross-entropy ------------------------------------------------------------------------
W = np.array([0.3, 1.0, 2.0, 0.5, 1.5], dtype=np.float32)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": W}, {"ignore_index": 2},
                                {"weight": W, "ignore_index": 0, "reduction": "sum"},
                                {"weight": W, "ignore_index": 4, "reduction": "none"}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tdtype", [np.int64, np.int32, np.uint8])
def test_cross_entropy_fused(kw, dtype, tdtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5)).astype(dtype)
    t = rng.integers(0, 5, 7).astype(tdtype)
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    ekw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    if "weight" in kw:
        tkw["weight"] = tkw["weight"].to(getattr(torch, dtype))
        ekw["weight"] = ekw["weight"].to(getattr(ember, dtype))
    check_against_torch(
        lambda lib, a: lib.nn.functional.cross_entropy(
            a, (torch if lib is torch else ember).tensor(t.astype(np.int64)),
            **(tkw if lib is torch else ekw)), [(7, 5)], dtype, transform=lambda _: x)
    # the targets' own integer dtype is accepted too (torch requires int64)
    le = ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(t), **ekw)
    lt = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t.astype(np.int64)),
                                           **tkw)
    np.testing.assert_allclose(le.numpy(), lt.numpy(), rtol=1e-5)


def test_cross_entropy_fused_edge_cases():
    x = np.random.default_rng(1).standard_normal((3, 4))
    x[1] = np.nan
    t = np.array([0, 2, 3])
    for red in ("mean", "sum", "none"):
        # a NaN row that is ignored adds nothing, as in torch
        lt = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), ignore_index=2,
                                               reduction=red)
        le = ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(t), ignore_index=2,
                                               reduction=red)
        np.testing.assert_allclose(le.numpy(), lt.numpy())
    # every target ignored: the mean is NaN, as in torch
    everything = ember.nn.functional.cross_entropy(ember.randn(2, 3), ember.tensor([1, 1]),
                                                   ignore_index=1)
    assert np.isnan(everything.item())
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        ember.nn.functional.cross_entropy(ember.randn(2, 3), ember.tensor([0, 7]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        ember.nn.functional.cross_entropy(ember.randn(2, 3), ember.tensor([-1, 0]))


def test_cross_entropy_fused_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(3)
    x = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    t = ember.tensor(np.array([0, 4, 2, 2]))
    w = ember.tensor(rng.uniform(0.5, 2.0, 5))
    for kw in ({}, {"weight": w, "ignore_index": 4}, {"reduction": "none"},
               {"reduction": "sum", "weight": w}):
        f = lambda a: ember.nn.functional.cross_entropy(a, t, **kw)  # noqa: B023
        assert ember.autograd.gradcheck(f, (x,))
        assert ember.autograd.gradgradcheck(f, (x,))
    assert ember.nn.functional.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"


def test_cross_entropy_retain_graph_backward_twice():
    x = ember.randn(3, 4, requires_grad=True)
    loss = ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 3]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)
