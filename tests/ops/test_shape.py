"""Copying shape ops against torch: flip/fliplr/flipud, roll, repeat, tile, tril/triu (+ in-place),
repeat_interleave, and cat/stack/clone; values, dtypes and gradients; float64
gradcheck/gradgradcheck; torch's errors."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch

FLOATS = ["float32", "float64"]


# --- flip ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dims", [((), ()), ((), (0,)), ((0,), (0,)), ((5,), (0,)),
                                        ((3, 4), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)),
                                        ((2, 3, 4), (-1, 0)), ((2, 3, 4), (1,)),
                                        ((2, 0, 3), (0, 2))])
@pytest.mark.parametrize("dtype", FLOATS)
def test_flip(shape, dims, dtype):
    check_against_torch(lambda lib, x: lib.flip(x, dims), [shape], dtype)
    if dims:                               # torch's method needs at least one dim
        check_against_torch(lambda lib, x: x.flip(*dims), [shape], dtype)
    check_against_torch(lambda lib, x: lib.flip(x, dims=dims), [shape], dtype)


def test_flip_int_noncontig_and_copy():
    check_against_torch(lambda lib, x: x.flip(0), [(5,)], "int64", 0, 9, grad=False)
    check_against_torch(lambda lib, x: x.flip(0, 1), [(3, 4)], noncontig=True)
    x = ember.arange(4.0)
    y = x.flip(0)
    y[0] = 100.0                  # torch's flip copies: x is untouched
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_fliplr_flipud():
    for shape in [(3, 4), (2, 3, 4)]:
        check_against_torch(lambda lib, x: lib.fliplr(x), [shape])
        check_against_torch(lambda lib, x: x.flipud(), [shape])
    check_against_torch(lambda lib, x: lib.flipud(x), [(5,)])
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        ember.fliplr(ember.ones(3))
    with pytest.raises(RuntimeError, match="Input must be >= 1-d."):
        ember.flipud(ember.tensor(1.0))


def test_flip_errors():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        ember.flip(ember.ones(3), (0, 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.flip(ember.ones(3), (1,))


# --- roll ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,shifts,dims", [
    ((), 1, None), ((5,), 2, None), ((5,), -7, 0), ((3, 4), 1, None), ((3, 4), 1, 0),
    ((3, 4), (1, -2), (0, 1)), ((2, 3, 4), (5,), (-1,)), ((2, 3, 4), (1, 1), (0, 0)),
    ((0, 3), 1, 1), ((3, 4), (2,), None)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_roll(shape, shifts, dims, dtype):
    check_against_torch(lambda lib, x: lib.roll(x, shifts, dims), [shape], dtype)
    check_against_torch(lambda lib, x: x.roll(shifts, dims), [shape], dtype)


def test_roll_errors():
    for call in (lambda lib, x: lib.roll(x, (1, 2), 0), lambda lib, x: lib.roll(x, (1, 2))):
        with pytest.raises(RuntimeError) as te:
            call(torch, torch.ones(3, 2))
        with pytest.raises(RuntimeError) as ee:
            call(ember, ember.ones(3, 2))
        assert str(ee.value) == str(te.value)


# --- repeat / tile -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,sizes", [((), ()), ((), (3,)), ((), (2, 2)), ((4,), (3,)),
                                         ((4,), (2, 3)), ((3, 4), (1, 1)), ((3, 4), (2, 3)),
                                         ((3, 4), (2, 1, 2)), ((2, 3), (0, 2)),
                                         ((0, 3), (2, 2)), ((2, 1, 3), (1, 4, 1))])
@pytest.mark.parametrize("dtype", FLOATS)
def test_repeat(shape, sizes, dtype):
    if sizes:                              # torch's x.repeat() needs at least one size
        check_against_torch(lambda lib, x: x.repeat(*sizes), [shape], dtype)
    check_against_torch(lambda lib, x: x.repeat(sizes), [shape], dtype)


@pytest.mark.parametrize("shape,dims", [((), ()), ((), (2,)), ((4,), (3,)), ((3, 4), (2,)),
                                        ((3, 4), (2, 3)), ((3, 4), (2, 1, 2)),
                                        ((2, 3, 4), (2, 1))])
def test_tile(shape, dims):
    check_against_torch(lambda lib, x: lib.tile(x, dims), [shape])
    check_against_torch(lambda lib, x: x.tile(dims), [shape])
    if dims:
        check_against_torch(lambda lib, x: x.tile(*dims), [shape], "int32", 0, 9, grad=False)


def test_repeat_errors_and_noncontig():
    check_against_torch(lambda lib, x: x.repeat(2, 3), [(3, 4)], noncontig=True)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be "
                                           "smaller than number of dimensions of tensor"):
        ember.ones(3, 2).repeat(2)


# --- tril / triu ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 5), (0, 3), (3, 3)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 5, -5])
@pytest.mark.parametrize("dtype", FLOATS)
def test_tril_triu(name, shape, diagonal, dtype):
    check_against_torch(lambda lib, x: getattr(lib, name)(x, diagonal), [shape], dtype)
    check_against_torch(lambda lib, x: getattr(x, name)(diagonal=diagonal), [shape], dtype)


@pytest.mark.parametrize("name", ["tril_", "triu_"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_tril_triu_in_place(name, dtype):
    def fn(lib, x):
        y = x * 1
        assert getattr(y, name)(1) is y
        return y
    check_against_torch(fn, [(3, 4)], dtype, 0, 5, grad=dtype == "float32")


def test_tril_triu_errors_and_noncontig():
    check_against_torch(lambda lib, x: x.tril(), [(4, 5)], noncontig=True)
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        ember.tril(ember.ones(3))
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 dimensions"):
        ember.ones(3).triu_()


# --- repeat_interleave ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape,repeats,dim", [
    ((4,), 2, None), ((3, 4), 2, None), ((3, 4), 3, 0), ((3, 4), 2, -1), ((3, 4), [1, 0, 2], 0),
    ((3, 4), [2], 1), ((), 3, None), ((2, 3, 2), [1, 2, 3], 1), ((0, 2), 2, 0)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_repeat_interleave(shape, repeats, dim, dtype):
    def fn(lib, x):
        r = lib.tensor(repeats) if isinstance(repeats, list) else repeats
        return lib.repeat_interleave(x, r, dim)
    check_against_torch(fn, [shape], dtype)
    check_against_torch(lambda lib, x: x.repeat_interleave(
        lib.tensor(repeats) if isinstance(repeats, list) else repeats, dim=dim), [shape], dtype)


def test_repeat_interleave_counts_only():
    for counts in ([1, 2, 0, 3], [0], []):
        t = torch.repeat_interleave(torch.tensor(counts, dtype=torch.int64))
        e = ember.repeat_interleave(ember.tensor(counts, dtype=ember.int64))
        assert e.tolist() == t.tolist() and e.dtype == ember.int64


# --- cat / stack / clone -------------------------------------------------------------------------
def test_cat_stack_clone():
    check_against_torch(lambda lib, a, b: lib.cat([a, b], 1), [(2, 3), (2, 4)])
    check_against_torch(lambda lib, a, b: lib.cat([a, b], -1), [(2, 3), (2, 0)])
    check_against_torch(lambda lib, a, b: lib.stack([a, b], 1), [(2, 3), (2, 3)])
    check_against_torch(lambda lib, a: a.clone(), [(2, 3)])


# --- float64 gradcheck / gradgradcheck -----------------------------------------------------------
GRAD_FNS = {
    "flip": lambda x: x.flip(0, 1),
    "fliplr": lambda x: x.fliplr(),
    "roll": lambda x: x.roll((1, -1), (0, 1)),
    "roll_flat": lambda x: x.roll(5),
    "repeat": lambda x: x.repeat(2, 1, 2),
    "tile": lambda x: x.tile((2,)),
    "tril": lambda x: x.tril(),
    "triu": lambda x: x.triu(-1),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=0),
    "repeat_interleave_tensor": lambda x: x.repeat_interleave(ember.tensor([0, 1, 3, 1]), dim=1),
    "repeat_interleave_flat": lambda x: x.repeat_interleave(2),
}


@pytest.mark.parametrize("name", sorted(GRAD_FNS))
def test_gradcheck_and_gradgradcheck(name):
    x = ember.tensor(np.random.default_rng(2).uniform(-1, 1, (3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(GRAD_FNS[name], (x,))
    assert ember.autograd.gradgradcheck(GRAD_FNS[name], (x,))


def test_grad_fn_names():
    x = ember.ones(3, 4, requires_grad=True)
    assert x.flip(0).grad_fn.name() == "FlipBackward0"
    assert x.roll(1, 0).grad_fn.name() == "RollBackward0"
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"
    assert x.tile(2).grad_fn.name() == "RepeatBackward0"
    assert x.tril().grad_fn.name() == "TrilBackward0"
    assert x.triu().grad_fn.name() == "TriuBackward0"
