"""ATen-level wrappers (native_batch_norm & co), put / masked_scatter, einsum's gradient with
repeated labels and the nn.functional fixes of the OpInfo issue, beyond what the conformance
harness checks: in-place variants, running statistics, errors and double backward."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, check_against_torch


def _pair(a, requires_grad=False):
    return (torch.tensor(a, requires_grad=requires_grad),
            ember.tensor(a, requires_grad=requires_grad))


# --- native_* wrappers -------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", ["native_batch_norm", "_native_batch_norm_legit"])
def test_native_batch_norm_updates_running_stats(name, training):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    tx, ex = _pair(x, True)
    tm, em = _pair(np.zeros(3))
    tv, ev = _pair(np.ones(3))
    t_out = getattr(torch, name)(tx, None, None, tm, tv, training, 0.3, 1e-5)
    e_out = getattr(ember, name)(ex, None, None, em, ev, training, 0.3, 1e-5)
    assert_same(e_out, t_out, rtol=1e-10, atol=1e-12)
    assert_same(em, tm, rtol=1e-10, atol=1e-12)
    assert_same(ev, tv, rtol=1e-10, atol=1e-12)


def test_native_batch_norm_legit_without_stats_and_with_update():
    x = np.random.default_rng(1).standard_normal((3, 2, 4))
    tx, ex = _pair(x)
    assert_same(ember._native_batch_norm_legit(ex, None, None, True, 0.1, 1e-5),
                torch._native_batch_norm_legit(tx, None, None, True, 0.1, 1e-5), 1e-10, 1e-12)
    tm, em = _pair(np.zeros(2))
    tv, ev = _pair(np.ones(2))
    t_out = torch.ops.aten._batch_norm_with_update(tx, None, None, tm, tv, 0.1, 1e-5)
    e_out = ember._batch_norm_with_update(ex, None, None, em, ev, 0.1, 1e-5)
    assert_same(e_out, t_out, 1e-10, 1e-12)
    assert_same(ev, tv, 1e-10, 1e-12)


def test_native_batch_norm_eval_needs_running_stats():
    with pytest.raises(RuntimeError, match="running_mean and running_var must be defined"):
        ember.native_batch_norm(ember.ones(2, 3), None, None, None, None, False, 0.1, 1e-5)


def test_native_layer_and_group_norm():
    x = np.random.default_rng(2).standard_normal((2, 6, 3))
    check_against_torch(lambda lib, v, w, b: lib.native_layer_norm(v, (6, 3), w, b, 1e-5)[0],
                        [(2, 6, 3), (6, 3), (6, 3)], dtype="float64")
    tx, ex = _pair(x, True)
    t_out = torch.native_group_norm(tx, None, None, 2, 6, 3, 3, 1e-5)
    e_out = ember.native_group_norm(ex, None, None, 2, 6, 3, 3, 1e-5)
    assert_same(e_out, t_out, 1e-10, 1e-12)
    # mean and rstd are differentiable in torch
    cot = [np.random.default_rng(k).standard_normal(tuple(o.shape)) for k, o in enumerate(t_out)]
    tg = torch.autograd.grad(t_out, tx, [torch.tensor(c) for c in cot])
    eg = ember.autograd.grad(list(e_out), ex, [ember.tensor(c) for c in cot])
    assert_same(eg, tg, 1e-9, 1e-11)


def test_softmax_backward_data_and_dropout_backward():
    def softmax_backward(lib, g, y):
        f = torch.ops.aten._softmax_backward_data if lib is torch else lib._softmax_backward_data
        return f(g, y.softmax(1), 1, lib.float64)
    check_against_torch(softmax_backward, [(3, 4), (3, 4)], dtype="float64")
    mask = np.random.default_rng(3).random((3, 4)) > 0.5

    def dropout_backward(lib, g):
        # torch has it only as an aten op
        f = torch.ops.aten.native_dropout_backward if lib is torch else lib.native_dropout_backward
        return f(g, lib.tensor(mask), 2.0)
    check_against_torch(dropout_backward, [(3, 4)], dtype="float64")


# --- put / masked_scatter ----------------------------------------------------------------------
@pytest.mark.parametrize("accumulate", [False, True])
def test_put_negative_and_repeated_indices(accumulate):
    idx = [0, -1, 4, 4] if accumulate else [0, -1, 4]
    check_against_torch(lambda lib, x, s: lib.put(x, lib.tensor(idx), s, accumulate),
                        [(3, 3), (len(idx),)], dtype="float64")


def test_put_inplace_and_errors():
    for lib in (torch, ember):
        x = lib.zeros(2, 3)
        assert x.put_(lib.tensor([1, -1]), lib.tensor([5.0, 7.0])) is x
        assert x.tolist() == [[0.0, 5.0, 0.0], [0.0, 0.0, 7.0]]
    x = ember.zeros(3, 3)
    with pytest.raises(RuntimeError, match="Expected a long tensor for index"):
        ember.put(x, ember.tensor([1.0]), ember.tensor([1.0]))
    with pytest.raises(IndexError, match="same number of elements"):
        ember.put(x, ember.tensor([1, 2]), ember.tensor([1.0]))
    with pytest.raises(IndexError, match="tried to access index 10 on a tensor of 9"):
        ember.put(x, ember.tensor([10]), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.put(x, ember.tensor([1]), ember.tensor([1.0], dtype=ember.float64))


def test_put_inplace_autograd():
    def fn(lib, x, s):
        y = x * 2
        y.put_(lib.tensor([1, 3]), s)
        return y
    check_against_torch(fn, [(2, 2), (2,)], dtype="float64")


def test_masked_scatter_broadcast_and_inplace():
    mask = np.array([True, False, True])
    check_against_torch(lambda lib, x, s: lib.masked_scatter(x, lib.tensor(mask), s),
                        [(2, 3), (7,)], dtype="float64")
    check_against_torch(lambda lib, x, s: lib.masked_scatter(x, lib.tensor(mask[None, :, None]
                                                                         .repeat(2, 0)), s),
                        [(3, 1), (9,)], dtype="float64")

    def inplace(lib, x, s):
        y = x + 0
        y.masked_scatter_(lib.tensor(mask), s)
        return y
    check_against_torch(inplace, [(2, 3), (4,)], dtype="float64")


def test_masked_scatter_errors():
    x = ember.zeros(3, 3)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        ember.masked_scatter(x, ember.ones(3, 3), ember.ones(9))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones"):
        ember.masked_scatter(x, ember.ones(3, 3, dtype=ember.bool), ember.ones(4))
    with pytest.raises(RuntimeError, match="same dtypes"):
        ember.masked_scatter(x, ember.ones(3, 3, dtype=ember.bool),
                             ember.ones(9, dtype=ember.float64))
    with pytest.raises(RuntimeError):
        x.masked_scatter_(ember.ones(2, 3, 3, dtype=ember.bool), ember.ones(18))


# --- einsum with repeated labels and ellipses --------------------------------------------------
@pytest.mark.parametrize("eq,shapes", [
    ("ii->i", [(3, 3)]), ("iij->j", [(2, 2, 4)]), ("ii", [(3, 3)]), ("iji->j", [(2, 3, 2)]),
    ("bii,bj->bij", [(2, 3, 3), (2, 4)]), ("...ii->...i", [(2, 3, 3)]),
    ("i...,i...->...", [(2, 1, 3), (2, 4, 1)]), ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),
    ("...ik,...j->ij", [(1, 2, 3), (3,)]),
])
def test_einsum_grad_repeated_labels(eq, shapes):
    check_against_torch(lambda lib, *xs: lib.einsum(eq, *xs), shapes, dtype="float64")


def test_einsum_repeated_label_double_backward():
    x = ember.tensor(np.random.default_rng(4).standard_normal((3, 3, 2)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda v: ember.einsum("iij->ij", v) ** 2, (x,))


# --- nn.functional fixes -----------------------------------------------------------------------
def test_max_unpool_duplicate_indices_write_once():
    x = np.array([[[1.0, 2.0, 3.0]]])
    idx = np.array([[[1, 1, 3]]])
    for nd in (1,):
        t = torch.nn.functional.max_unpool1d(torch.tensor(x), torch.tensor(idx), 2)
        e = ember.nn.functional.max_unpool1d(ember.tensor(x), ember.tensor(idx), 2)
        assert_same(e, t)


def test_conv_transpose_output_padding_double_backward():
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 1, 3, 3)), requires_grad=True)

    def f(a, b):
        return ember.nn.functional.conv_transpose2d(a, b, stride=(2, 3), padding=1,
                                                    output_padding=(1, 2), groups=4,
                                                    dilation=(1, 2))
    assert ember.autograd.gradcheck(f, (x, w))
    assert ember.autograd.gradgradcheck(f, (x, w))


def test_empty_batch_and_group_norm():
    for lib in (torch, ember):
        F = lib.nn.functional
        assert tuple(F.batch_norm(lib.zeros(0), lib.zeros(0), lib.ones(0)).shape) == (0,)
        assert tuple(F.group_norm(lib.zeros(0, 4, 2), 2).shape) == (0, 4, 2)


@pytest.mark.parametrize("p", [1.0, 2.0, 0.5, float("inf")])
def test_pdist_with_duplicate_rows(p):
    x = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
    check_against_torch(lambda lib, v: lib.nn.functional.pdist(v, p), [(4, 2)], dtype="float64",
                        transform=lambda a: x)


def test_pdist_errors():
    with pytest.raises(RuntimeError, match="2D"):
        ember.nn.functional.pdist(ember.ones(3))
    with pytest.raises(RuntimeError, match="non-negative"):
        ember.nn.functional.pdist(ember.ones(3, 2), -1)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_p_one_and_eval(name):
    F = ember.nn.functional
    x = ember.randn(2, 3, 4)
    y = getattr(F, name)(x, 1.0, training=True)
    assert y.shape == x.shape and not y.abs().sum().item()
    assert getattr(F, name)(x, 0.5, training=False) is x
    y = F.feature_alpha_dropout(x, 0.5, training=True)
    # whole channels share one mask draw: a dropped channel is constant, a kept one a * x + b
    alpha = 1.7580993408473766
    a = (0.5 * (1 + 0.5 * alpha ** 2)) ** -0.5
    b = a * alpha * 0.5
    for n in range(2):
        for c in range(3):
            row, xr = y[n, c], x[n, c]
            dropped = bool(((row - row[0]).abs() < 1e-6).all())
            assert dropped or bool(((row - (a * xr + b)).abs() < 1e-5).all())
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(F, name)(x, 1.5, training=True)


# --- aten-only helpers -------------------------------------------------------------------------
def test_unsafe_masked_index_ignores_out_of_range_masked_positions():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3))
    mask = rng.random((6, 5)) > 0.4
    i0 = np.arange(6).reshape(6, 1) - 1         # -1 .. 4: 4 is out of range for size 4
    i1 = np.arange(5).reshape(1, 5) - 1
    mask[5, :] = False
    mask[:, 4] = False
    tx, ex = _pair(x, True)
    t = torch._unsafe_masked_index(tx, torch.tensor(mask), [torch.tensor(i0), torch.tensor(i1)],
                                   2.5)
    e = ember._unsafe_masked_index(ex, ember.tensor(mask), [ember.tensor(i0), ember.tensor(i1)],
                                   2.5)
    assert_same(e, t)
    cot = rng.standard_normal((6, 5))
    assert_same(ember.autograd.grad(e, ex, ember.tensor(cot)),
                torch.autograd.grad(t, tx, torch.tensor(cot)))
    vals = rng.standard_normal((6, 5))
    t = torch._unsafe_masked_index_put_accumulate(tx, torch.tensor(mask), [torch.tensor(i0),
                                                  torch.tensor(i1)], torch.tensor(vals))
    e = ember._unsafe_masked_index_put_accumulate(ex, ember.tensor(mask), [ember.tensor(i0),
                                                  ember.tensor(i1)], ember.tensor(vals))
    assert_same(e, t)
