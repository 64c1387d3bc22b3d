"""Embedding and EmbeddingBag against torch: torch's weights loaded into ember, outputs and
weight gradients (random cotangent) compared; padding_idx, max_norm (in-place renorm),
scale_grad_by_freq, from_pretrained, offsets, per_sample_weights, include_last_offset."""
import numpy as np
import pytest
import torch

import ember

RTOL, ATOL = 1e-5, 1e-6


def _pair(cls, *args, **kwargs):
    torch.manual_seed(0)
    t = getattr(torch.nn, cls)(*args, **kwargs)
    e = getattr(ember.nn, cls)(*args, **kwargs)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(e) == repr(t)
    return t, e


def _run(t, e, make_args, dtype=np.float32):
    """Call both modules, compare outputs, backprop one random cotangent, compare weights
    (max_norm rewrites them) and every gradient; returns the ember output."""
    t_args, e_args, t_leaves, e_leaves = make_args()
    to, eo = t(*t_args), e(*e_args)
    assert tuple(eo.shape) == tuple(to.shape)
    assert str(eo.dtype) == str(to.dtype)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=RTOL,
                               atol=ATOL)
    cot = np.random.default_rng(5).standard_normal(tuple(to.shape)).astype(dtype)
    to.backward(torch.tensor(cot))
    eo.backward(ember.tensor(cot))
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=RTOL,
                               atol=ATOL)
    for i, (a, b) in enumerate(zip(e_leaves, t_leaves)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"leaf {i}")
    return eo


def _indices(arr, dtype=np.int64):
    a = np.asarray(arr, dtype=dtype)
    return lambda: ([torch.tensor(a)], [ember.tensor(a)], [], [])


IDX = np.array([[1, 2, 0, 4], [4, 3, 2, 9], [1, 1, 1, 0]])

EMBEDDING_CASES = [
    ("plain", (10, 4), {}, IDX),
    ("scalar_index", (10, 4), {}, np.array(7)),
    ("empty_index", (10, 4), {}, np.zeros((0,), np.int64)),
    ("3d_index", (6, 3), {}, np.random.default_rng(0).integers(0, 6, (2, 3, 4))),
    ("int32_index", (10, 4), {}, IDX.astype(np.int32)),
    ("padding_idx", (10, 4), {"padding_idx": 1}, IDX),
    ("padding_idx_zero", (10, 4), {"padding_idx": 0}, IDX),
    ("padding_idx_negative", (10, 4), {"padding_idx": -1}, IDX),
    ("max_norm", (10, 4), {"max_norm": 1.0}, IDX),
    ("max_norm_l1", (10, 4), {"max_norm": 1.5, "norm_type": 1.0}, IDX),
    ("max_norm_inf", (10, 4), {"max_norm": 0.8, "norm_type": float("inf")}, IDX),
    ("max_norm_padding", (10, 4), {"max_norm": 1.0, "padding_idx": 2}, IDX),
    ("scale_grad_by_freq", (10, 4), {"scale_grad_by_freq": True}, IDX),
    ("scale_grad_by_freq_padding", (10, 4), {"scale_grad_by_freq": True, "padding_idx": 1},
     IDX),
    ("sparse_flag", (10, 4), {"sparse": True}, IDX),
]


@pytest.mark.parametrize("name,args,kwargs,idx", EMBEDDING_CASES,
                         ids=[c[0] for c in EMBEDDING_CASES])
def test_embedding_matches_torch(name, args, kwargs, idx):
    t, e = _pair("Embedding", *args, **kwargs)
    if "sparse" in kwargs:
        t = torch.nn.Embedding(*args)                 # torch's sparse grad is another type
        t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    _run(t, e, _indices(idx, idx.dtype if idx.dtype == np.int32 else np.int64))
    if "padding_idx" in kwargs:
        pad = kwargs["padding_idx"] % args[0]
        assert np.all(e.weight.grad.numpy()[pad] == 0)


def test_embedding_init_zeroes_padding_row():
    e = ember.nn.Embedding(5, 3, padding_idx=2)
    assert np.all(e.weight.detach().numpy()[2] == 0)
    assert e.padding_idx == 2 and ember.nn.Embedding(5, 3, padding_idx=-1).padding_idx == 4
    w = e.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() > 0


def test_embedding_max_norm_renormalises_in_place():
    e = ember.nn.Embedding(6, 3, max_norm=1.0)
    with ember.no_grad():
        e.weight.mul_(10)
    before = e.weight.detach().numpy().copy()
    version = e.weight._version
    e(ember.tensor([0, 2, 2]))
    after = e.weight.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(after[[0, 2]], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(after[[1, 3, 4, 5]], before[[1, 3, 4, 5]])
    assert e.weight._version > version


def test_embedding_from_pretrained():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    for freeze in (True, False):
        t = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        e = ember.nn.Embedding.from_pretrained(ember.tensor(w), freeze=freeze, padding_idx=1)
        assert repr(e) == repr(t)
        assert e.weight.requires_grad == t.weight.requires_grad == (not freeze)
        idx = [[1, 3], [0, 1]]
        np.testing.assert_array_equal(e(ember.tensor(idx)).detach().numpy(),
                                      t(torch.tensor(idx)).detach().numpy())
    # the padding row is left as given
    assert e.weight.detach().numpy()[1].tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(AssertionError, match="expected to be 2-dimensional"):
        ember.nn.Embedding.from_pretrained(ember.zeros(3))


def test_embedding_functional_and_gradcheck():
    w = ember.randn(7, 3, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([[1, 2, 2], [6, 0, 1]])
    f = ember.nn.functional

    def fn(w):
        # padding_idx and scale_grad_by_freq make the gradient differ from the Jacobian on
        # purpose, so only its own derivative (the double backward) is checked here
        return f.embedding(idx, w, padding_idx=2, scale_grad_by_freq=True)
    assert ember.autograd.gradcheck(lambda w: f.embedding(idx, w), (w,))
    assert ember.autograd.gradgradcheck(lambda w: f.embedding(idx, w), (w,))
    assert ember.autograd.gradgradcheck(fn, (w,))


@pytest.mark.parametrize("call,err,match", [
    (lambda F, w: F.embedding(ember.tensor([1.0]), w), RuntimeError,
     ("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
      "Long, Int; but got torch.FloatTensor")),
    (lambda F, w: F.embedding(ember.tensor([3]), w), IndexError, "index out of range in self"),
    (lambda F, w: F.embedding(ember.tensor([-1]), w), IndexError, "index out of range in self"),
    (lambda F, w: F.embedding(ember.tensor([0]), w, padding_idx=3), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda F, w: ember.nn.Embedding(3, 2, padding_idx=-4), AssertionError,
     "Padding_idx must be within num_embeddings"),
])
def test_embedding_errors(call, err, match):
    with pytest.raises(err, match=match):
        call(ember.nn.functional, ember.randn(3, 2))


# --- EmbeddingBag -----------------------------------------------------------------------------
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7])
OFFSETS = np.array([0, 4, 4, 7])          # bag 1 is empty

BAG_CASES = [
    # (id, module kwargs, input, offsets, per_sample_weights)
    ("mean_2d", {}, IDX, None, False),
    ("sum_2d", {"mode": "sum"}, IDX, None, False),
    ("max_2d", {"mode": "max"}, IDX, None, False),
    ("mean_offsets", {}, FLAT, OFFSETS, False),
    ("sum_offsets", {"mode": "sum"}, FLAT, OFFSETS, False),
    ("max_offsets", {"mode": "max"}, FLAT, OFFSETS, False),
    ("sum_last_offset", {"mode": "sum", "include_last_offset": True}, FLAT,
     np.array([0, 4, 4, 7, 11]), False),
    ("max_last_offset", {"mode": "max", "include_last_offset": True}, FLAT,
     np.array([0, 3, 3, 11]), False),
    ("mean_last_offset_empty_tail", {"include_last_offset": True}, FLAT,
     np.array([0, 2, 11, 11]), False),
    ("sum_psw", {"mode": "sum"}, FLAT, OFFSETS, True),
    ("sum_psw_2d", {"mode": "sum"}, IDX, None, True),
    ("sum_psw_padding", {"mode": "sum", "padding_idx": 2}, FLAT, OFFSETS, True),
    ("mean_padding", {"padding_idx": 2}, FLAT, OFFSETS, False),
    ("sum_padding_2d", {"mode": "sum", "padding_idx": 1}, IDX, None, False),
    ("max_padding", {"mode": "max", "padding_idx": 4}, FLAT, OFFSETS, False),
    ("mean_all_padding_bag", {"padding_idx": 0}, FLAT, np.array([0, 8, 10]), False),
    ("max_norm_sum", {"mode": "sum", "max_norm": 1.0}, FLAT, OFFSETS, False),
    ("max_norm_max", {"mode": "max", "max_norm": 1.2, "norm_type": 1.0}, FLAT, OFFSETS, False),
    ("int32", {"mode": "sum"}, FLAT.astype(np.int32), OFFSETS.astype(np.int32), False),
]


@pytest.mark.parametrize("name,kwargs,idx,offsets,psw", BAG_CASES,
                         ids=[c[0] for c in BAG_CASES])
def test_embedding_bag_matches_torch(name, kwargs, idx, offsets, psw):
    t, e = _pair("EmbeddingBag", 10, 3, **kwargs)
    w = np.random.default_rng(3).standard_normal(idx.shape).astype(np.float32)

    def make():
        ta = [torch.tensor(idx), None if offsets is None else torch.tensor(offsets)]
        ea = [ember.tensor(idx), None if offsets is None else ember.tensor(offsets)]
        tl, el = [], []
        if psw:
            tl = [torch.tensor(w, requires_grad=True)]
            el = [ember.tensor(w, requires_grad=True)]
            ta.append(tl[0])
            ea.append(el[0])
        return ta, ea, tl, el
    _run(t, e, make)


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("idx,offsets", [(FLAT, OFFSETS), (IDX, None)])
def test_embedding_bag_scale_grad_by_freq(mode, idx, offsets):
    """Each row's gradient divided by its index's count in the whole input, the documented
    semantics; the reference is torch's F.embedding(scale_grad_by_freq=True) summed per bag
    (torch 2.13's CPU embedding_bag gives the index after a repeated run that run's count)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((10, 3)).astype(np.float32)
    flat = idx.reshape(-1)
    starts = np.arange(0, flat.size, idx.shape[1]) if offsets is None else offsets
    bag = np.searchsorted(starts, np.arange(flat.size), side="right") - 1
    tw = torch.tensor(w, requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(flat), tw, scale_grad_by_freq=True)
    ref = torch.zeros(starts.size, 3).index_add(0, torch.tensor(bag), rows)
    if mode == "mean":
        ref = ref / torch.tensor(np.maximum(np.bincount(bag, minlength=starts.size), 1))[:, None]
    ew = ember.tensor(w, requires_grad=True)
    out = ember.nn.functional.embedding_bag(
        ember.tensor(idx), ew, None if offsets is None else ember.tensor(offsets), mode=mode,
        scale_grad_by_freq=True)
    cot = rng.standard_normal(tuple(ref.shape)).astype(np.float32)
    ref.backward(torch.tensor(cot))
    out.backward(ember.tensor(cot))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_embedding_bag_functional_gradcheck():
    f = ember.nn.functional
    w = ember.randn(6, 3, dtype=ember.float64, requires_grad=True)
    psw = ember.randn(7, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([0, 2, 2, 5, 1, 3, 3])
    off = ember.tensor([0, 3, 3, 5])

    def summed(w, psw):
        return f.embedding_bag(idx, w, off, mode="sum", per_sample_weights=psw, padding_idx=3)
    assert ember.autograd.gradcheck(summed, (w, psw))
    assert ember.autograd.gradgradcheck(summed, (w, psw))
    assert ember.autograd.gradcheck(lambda w: f.embedding_bag(idx, w, off, mode="max"), (w,))
    assert ember.autograd.gradcheck(lambda w: f.embedding_bag(idx, w, off), (w,))


def test_embedding_bag_from_pretrained():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="max", padding_idx=0)
    e = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w), mode="max", padding_idx=0)
    assert repr(e) == repr(t)
    assert not e.weight.requires_grad
    idx = [[0, 3], [1, 2]]
    np.testing.assert_array_equal(e(ember.tensor(idx)).numpy(), t(torch.tensor(idx)).numpy())


@pytest.mark.parametrize("kwargs,err,match", [
    ({"offsets": [1]}, RuntimeError, "offsets\\[0\\] has to be 0"),
    ({"offsets": [0, 3]}, RuntimeError, "offsets\\[-1\\] can not be greater than input's length"),
    ({"offsets": [0, 1], "mode": "max", "scale_grad_by_freq": True}, ValueError,
     "max mode does not support scaling the gradient"),
    ({"offsets": [0, 1], "mode": "x"}, ValueError, "mode has to be one of sum, mean or max"),
    ({"offsets": [0, 1], "mode": "mean", "per_sample_weights": [1.0, 1.0]},
     NotImplementedError, "per_sample_weights is only supported for mode='sum'"),
    ({"offsets": [0, 1], "mode": "sum", "per_sample_weights": [1.0]}, ValueError,
     "must have the same shape as the input"),
    ({}, ValueError, "offsets has to be a 1D Tensor but got None"),
    ({"offsets": [0, 1], "padding_idx": 4}, RuntimeError,
     "padding_idx must be within the number of embeddings, -3 through 2, but got 4"),
])
def test_embedding_bag_errors(kwargs, err, match):
    kw = dict(kwargs)
    for k in ("offsets", "per_sample_weights"):
        if k in kw:
            kw[k] = ember.tensor(kw[k])
    with pytest.raises(err, match=match):
        ember.nn.functional.embedding_bag(ember.tensor([1, 2]), ember.randn(3, 2), **kw)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        ember.nn.functional.embedding_bag(ember.tensor([[1, 2]]), ember.randn(3, 2),
                                          ember.tensor([0]))


@pytest.mark.parametrize("vocab,shape,kw", [
    (1000, (35, 20), {}),                                  # few repeats: rank-by-rank adds
    (64, (32, 64), {}),                                    # many repeats: grouped sums
    (50, (40, 30), {"padding_idx": 3}),
    (200, (64, 8), {"scale_grad_by_freq": True}),
    (7, (100,), {"padding_idx": 0, "scale_grad_by_freq": True}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_batch_gradient_matches_torch(vocab, shape, kw, dtype):
    """Batches of at least 64 positions take the grouped gradient (Note [Embedding gradient])."""
    t, e = _pair("Embedding", vocab, 16, **kw)
    if dtype == np.float64:
        t, e = t.double(), e.double()
    rng = np.random.default_rng(0)
    idx = rng.integers(0, vocab, shape)
    cot = rng.standard_normal(shape + (16,)).astype(dtype)
    t(torch.from_numpy(idx)).backward(torch.from_numpy(cot))
    e(ember.tensor(idx)).backward(ember.tensor(cot))
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-5)


def test_grouped_gradient_is_add_at_bit_for_bit_with_few_repeats():
    from ember.ops.embedding import _rows_added
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 1000, 700)
    rows = rng.standard_normal((700, 200)).astype(np.float32)
    ref = np.zeros((1000, 200), np.float32)
    np.add.at(ref, (targets,), rows)
    np.testing.assert_array_equal(_rows_added(1000, targets, rows), ref)
